"""Event histories for fold and build tests: events placed as the log would place them
(in memory), and a Hypothesis strategy of random histories."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from archive.core.catalogue import MemoryCatalogue
from archive.core.codec import encode_event
from archive.core.events import ZERO_HASH, Event, Source, make_payload

SRC = Source(url="https://example.org/r", locator="p1")


def chain(items: list[tuple[str, str, dict[str, Any]]], start: int = 1,
          prev: str = ZERO_HASH) -> list[Event]:
    """Events as the log would place them (in memory)."""
    out = []
    for seq, (id_, type_, data) in enumerate(items, start):
        payload = make_payload(type_, data)
        _, digest = encode_event(id=id_, seq=seq, type=type_, at="2015-06-29",
                                 recorded_at="2026-01-01T00:00:00Z", recorded_by="t",
                                 source=SRC, data=payload, prev=prev)
        out.append(Event(id=id_, seq=seq, type=type_, v=payload.VERSION, at="2015-06-29",
                         recorded_at="2026-01-01T00:00:00Z", recorded_by="t", source=SRC,
                         data=payload, prev=prev, hash=digest))
        prev = digest
    return out


PEOPLE = ["ann", "bob", "cem"]


@st.composite
def histories(draw: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """A conference, people, then random speeches, corrections, retractions and merges."""
    items: list[tuple[str, str, dict[str, Any]]] = [("conf", "conference.held", {"name": "C"})]
    for p in PEOPLE:
        items.append((f"p-{p}", "participant.attended", {
            "conference": "conf", "entity": p, "kind": "person", "name": p.title()}))
    live: list[str] = []
    merged: set[str] = set()
    for i in range(draw(st.integers(0, 12))):
        action = draw(st.sampled_from(["speech", "speech", "correct", "retract", "merge"]))
        if action == "speech" or not live and action in ("correct", "retract"):
            text = draw(st.text(min_size=1, max_size=12).filter(
                lambda s: all(c >= " " and c != "\x7f" for c in s)))
            items.append((f"e{i}", "speech.delivered", {
                "conference": "conf", "speaker": draw(st.sampled_from(PEOPLE)),
                "summary": text, "quotes": [text] * draw(st.integers(0, 2))}))
            live.append(f"e{i}")
        elif action == "correct":
            items.append((f"e{i}", "event.corrected", {
                "target": draw(st.sampled_from(live)),
                "changes": {"summary": f"fixed {i}", "quotes": ["q"] * draw(st.integers(0, 3))}}))
        elif action == "retract":
            target = draw(st.sampled_from(live))
            live.remove(target)
            items.append((f"e{i}", "event.retracted", {"target": target, "reason": "r"}))
        else:
            kept, gone = draw(st.permutations(PEOPLE))[:2]
            if gone in merged or kept in merged:
                continue
            merged.add(gone)
            items.append((f"e{i}", "entities.merged", {"kept": kept, "merged": gone}))
    return items


#: A conference, a session, a person of a country, and a speech in the session.
BASE: list[tuple[str, str, dict[str, Any]]] = [
    ("conf", "conference.held", {"name": "Astana Conference"}),
    ("s1", "session.held", {"conference": "conf", "title": "Opening"}),
    ("p1", "participant.attended", {"conference": "conf", "entity": "ann", "kind": "person",
                                    "name": "Ann Lee", "country": "kz"}),
    ("p2", "participant.attended", {"conference": "conf", "entity": "kz", "kind": "country",
                                    "name": "Kazakhstan"}),
    ("sp", "speech.delivered", {"conference": "conf", "speaker": "ann", "session": "s1"}),
]


def known(items: list[tuple[str, str, dict[str, Any]]]) -> MemoryCatalogue:
    """The catalogue of these events (placed by `chain`)."""
    out = MemoryCatalogue()
    for event in chain(items):
        out.learn(event.id, event.seq, event.type, event.data)
    return out
