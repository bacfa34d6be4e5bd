"""The rules an event keeps with the lines before it, one case each, over a memory
catalogue (add, import and verify ask the same rules of the log index or of memory)."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import examples
from histories import BASE, chain, known
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.core import catalogue as cat
from archive.core import rules
from archive.core.catalogue import MemoryCatalogue
from archive.core.events import make_payload
from archive.errors import InvalidEvent, NotFound

MERGED = [*BASE, ("p3", "participant.attended", {"conference": "conf", "entity": "ann2",
                                                  "kind": "person", "name": "Anna Li"}),
          ("m", "entities.merged", {"kept": "ann", "merged": "ann2"})]


def check(items: list[tuple[str, str, dict[str, Any]]], type_: str, data: dict[str, Any]
          ) -> None:
    view = known(items)
    rules.check(make_payload(type_, data), view, dependents=lambda ids: sorted(ids)[:2])


@pytest.mark.parametrize(("items", "type_", "data", "error", "message"), [
    (BASE, "speech.delivered", {"conference": "nope", "speaker": "ann"}, NotFound,
     "field `data.conference`: no conference with id 'nope'"),
    (BASE, "speech.delivered", {"conference": "conf", "speaker": "s1"}, NotFound,
     "field `data.speaker`: no person, organisation or country with id 's1'"),
    (BASE, "speech.delivered", {"conference": "conf", "speaker": "ann", "session": "sp"},
     NotFound, "field `data.session`: no session with id 'sp'"),
    ([*BASE, ("r", "event.retracted", {"target": "sp", "reason": "x"})],
     "event.retracted", {"target": "sp", "reason": "again"}, InvalidEvent,
     "field `data.target`: cannot retract sp: it was retracted"),
    ([*BASE, ("r", "event.retracted", {"target": "sp", "reason": "x"})],
     "event.corrected", {"target": "sp", "changes": {"summary": "y"}}, InvalidEvent,
     "field `data.target`: cannot correct sp: it was retracted"),
    ([*BASE, ("r", "event.retracted", {"target": "sp", "reason": "x"})],
     "event.retracted", {"target": "r", "reason": "x"}, InvalidEvent,
     "field `data.target`: r is itself a fix (event.retracted); retract the original event "
     "instead"),
    (BASE, "event.retracted", {"target": "s1", "reason": "x"}, InvalidEvent,
     "field `data.target`: cannot retract s1: 1 live fact refers to it: s1; retract or "
     "correct those first"),
    (BASE, "event.retracted", {"target": "conf", "reason": "x"}, InvalidEvent,
     "field `data.target`: cannot retract conf: 4 live facts refer to it: conf, ...; retract "
     "or correct those first"),
    (BASE, "event.retracted", {"target": "p1", "reason": "x"}, InvalidEvent,
     "field `data.target`: cannot retract p1: 1 live fact refers to it: ann, p1; retract or "
     "correct those first"),
    (BASE, "event.corrected", {"target": "p1", "changes": {"kind": "organisation"}},
     InvalidEvent, "field `changes.kind`: the kind of a participant.attended cannot be "
                   "corrected (it says what the record is); retract it and record it again, "
                   "or merge two records with `archive merge`"),
    (BASE, "event.corrected", {"target": "sp", "changes": {"speaker": "nobody"}}, NotFound,
     "the corrected field `data.speaker`: no person, organisation or country with id "
     "'nobody'"),
    (BASE, "entities.merged", {"kept": "ann", "merged": "kz"}, InvalidEvent,
     "cannot merge a country into a person"),
    (MERGED, "entities.merged", {"kept": "kz", "merged": "ann2"}, InvalidEvent,
     "field `data.merged`: ann2 was merged into ann already; name that one instead"),
    (MERGED, "event.retracted", {"target": "m", "reason": "x"}, InvalidEvent,
     "field `data.target`: m is itself a fix (entities.merged); retract the original event "
     "instead; undo a merge with `archive unmerge`"),
    ([*MERGED, ("u", "entities.unmerged", {"merge": "m"})], "entities.unmerged",
     {"merge": "m"}, NotFound, "field `data.merge`: the merge 'm' was undone"),
    (BASE, "entities.unmerged", {"merge": "sp"}, NotFound,
     "field `data.merge`: no merge with id 'sp'"),
    (BASE, "participant.attended", {"conference": "conf", "entity": "kz", "kind": "person",
                                    "name": "Kaz"}, InvalidEvent,
     "field `data.kind`: entity kz is a country, not a person"),
])
def test_a_rule_broken(items: Any, type_: str, data: dict[str, Any], error: type[Exception],
                       message: str) -> None:
    with pytest.raises(error) as info:
        check(items, type_, data)
    assert str(info.value) == message


def test_an_entity_others_refer_to_lives_while_one_participation_names_it() -> None:
    two = [*BASE, ("p9", "participant.attended", {"conference": "conf", "entity": "ann",
                                                   "kind": "person", "name": "Ann Lee"})]
    check(two, "event.retracted", {"target": "p1", "reason": "the other one stays"})
    # in a merge group, any live participation of the group keeps it
    check([*MERGED], "event.retracted", {"target": "p3", "reason": "ann's own stays"})


def test_an_unmerge_that_would_leave_a_side_with_nothing_to_name_it() -> None:
    items = [*MERGED,
             ("sp2", "speech.delivered", {"conference": "conf", "speaker": "ann2"}),
             ("r", "event.retracted", {"target": "p3", "reason": "while merged"})]
    with pytest.raises(InvalidEvent, match="ann2 has no live participation left"):
        check(items, "entities.unmerged", {"merge": "m"})


def test_what_passes_the_rules_is_learned() -> None:
    items = [*MERGED, ("u", "entities.unmerged", {"merge": "m"}),
             ("m2", "entities.merged", {"kept": "ann", "merged": "ann2"})]
    view = known(items[:-1])
    (event,) = chain(items[-1:], start=len(items))
    rules.check(event.data, view)


class _Asked:
    """A catalogue seen only through the `View` questions (not a MemoryCatalogue), so
    that `rules.check` takes none of its shortcuts."""

    def __init__(self, inner: MemoryCatalogue):
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


_IDS = ["conf", "s1", "ann", "kz", "sp", "p1", "p2", "nope"]


@st.composite
def _event(draw: Any, i: int, made: list[str]) -> tuple[str, str, dict[str, Any]]:
    """An event that may break any rule: references drawn from what exists, was
    retracted, merged or never was (`made`: the ids events so far were given)."""
    ref = st.sampled_from(_IDS + made + ["bob", "zed"])
    kind = draw(st.sampled_from(["speech", "note", "participant", "participant", "retract",
                                 "retract", "merge", "session", "conference"]))
    if kind == "speech":
        return (f"e{i}", "speech.delivered", {
            "conference": draw(st.sampled_from(["conf", "conf", *made, "nope"])),
            "speaker": draw(st.one_of(ref, st.sampled_from(["ann", "bob", "zed"]))),
            **({"session": draw(ref)} if draw(st.booleans()) else {})})
    if kind == "note":
        return (f"e{i}", "note.recorded", {"conference": draw(ref), "text": "t",
                                           **({"about": draw(ref)} if draw(st.booleans())
                                              else {})})
    if kind == "participant":
        return (f"e{i}", "participant.attended", {
            "conference": draw(st.sampled_from(["conf", "conf", *made])),
            "entity": draw(st.sampled_from(["ann", "bob", "kz", "zed"])),
            "kind": draw(st.sampled_from(["person", "country"])),
            "name": draw(st.sampled_from(["N", "N", "N", "\u200b"])),
            **({"country": draw(ref)} if draw(st.integers(0, 3)) == 0 else {})})
    if kind == "retract":
        recent = st.sampled_from(made[-3:]) if made else ref  # a participation, often
        return (f"e{i}", "event.retracted", {"target": draw(st.one_of(ref, recent)),
                                             "reason": "r"})
    if kind == "merge":
        return (f"e{i}", "entities.merged", {"kept": draw(ref), "merged": draw(ref)})
    if kind == "session":
        return (draw(st.sampled_from([f"e{i}", "s1"])), "session.held",
                {"conference": draw(ref), "title": f"T{i}"})
    return (draw(st.sampled_from([f"e{i}", "conf"])), "conference.held", {"name": f"C{i}"})


def _verdict(data: Any, view: Any, plain: frozenset[str] = rules.PLAIN) -> str:
    kept, rules.PLAIN = rules.PLAIN, plain
    try:
        rules.check(data, view, dependents=lambda ids: sorted(ids)[:2])
    except (InvalidEvent, NotFound) as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        rules.PLAIN = kept
    return "ok"


@settings(max_examples=examples(200), deadline=None)
@given(st.data())
def test_the_rules_shortcuts_give_the_verdict_the_rules_give(data: Any) -> None:
    """Over random histories of events that pass or break the rules, `rules.check` on a
    memory catalogue (which first asks `plainly_live`, and stops at once for a plain
    fact) gives every event the verdict and message it gives when asked only through
    the `View` questions and made to go through every rule; and what passes is learned
    by the memory store's shortcut for plain facts and participations exactly as the
    fold's ops say."""
    shortcut = known(BASE)
    by_ops = known(BASE)
    seq, made = len(BASE), []
    for i in range(data.draw(st.integers(1, 30))):
        ident, type_, fields = data.draw(_event(i, made))
        try:
            payload = make_payload(type_, fields)
        except InvalidEvent:
            continue
        verdict = _verdict(payload, shortcut)
        assert verdict == _verdict(payload, _Asked(shortcut), plain=frozenset())
        if verdict != "ok" or shortcut.event(ident) is not None:
            continue
        seq += 1
        made.append(ident)
        shortcut.learn(ident, seq, type_, payload)
        by_ops.payloads[ident] = payload
        by_ops.apply(cat.learn(ident, seq, type_, payload, by_ops))
        assert vars(shortcut) == vars(by_ops)
