"""The catalogue: the pure fold of what exists, under which names, and whether it is live.
Given events, assert what it answers; no I/O."""

from __future__ import annotations

from typing import Any

from helpers import examples
from histories import BASE, chain, histories, known
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.core import catalogue as cat
from archive.core.catalogue import MemoryCatalogue, name_key


def test_names_are_matched_on_a_normalised_key() -> None:
    assert name_key("  Ann   LEE ") == "ann lee"
    assert name_key("ＡＮＮ") == "ann"  # NFKC: full-width letters
    c = known(BASE)
    assert cat.find(c, ["person"], "ann lee") == "ann"
    assert cat.find(c, ["country"], "KAZAKHSTAN") == "kz"
    assert cat.find(c, ["session:conf"], "opening") == "s1"
    assert cat.find(c, ["conference"], "astana conference") == "conf"
    assert cat.find(c, ["organisation"], "Ann Lee") is None


def test_references_are_counted_while_live() -> None:
    c = known(BASE)
    assert (c.refs("conf"), c.refs("s1"), c.refs("ann"), c.refs("kz")) == (4, 1, 1, 1)
    c = known([*BASE, ("r", "event.retracted", {"target": "sp", "reason": "x"})])
    assert (c.refs("conf"), c.refs("s1"), c.refs("ann")) == (3, 0, 0)
    assert c.event("sp") == cat.Known("speech.delivered", 5, False)


def test_a_correction_moves_the_references_of_the_corrected_payload() -> None:
    c = known([*BASE, ("s2", "session.held", {"conference": "conf", "title": "Panel"}),
               ("c", "event.corrected", {"target": "sp", "changes": {"session": "s2"}})])
    assert (c.refs("s1"), c.refs("s2")) == (0, 1)
    assert c.current("sp").session == "s2"  # type: ignore[attr-defined]


def test_a_retracted_entity_no_longer_resolves_and_a_corrected_name_does() -> None:
    c = known([*BASE, ("r", "event.retracted", {"target": "sp", "reason": "x"}),
               ("r2", "event.retracted", {"target": "p1", "reason": "x"}),
               ("c", "event.corrected", {"target": "p2", "changes": {"name": "Qazaqstan"}})])
    assert cat.find(c, ["person"], "Ann Lee") is None
    assert not cat.entity_live(c, "ann")
    assert cat.find(c, ["country"], "Qazaqstan") == cat.find(c, ["country"], "Kazakhstan") == "kz"


def test_merges_and_unmerges_follow_the_kept_record() -> None:
    items = [*BASE, ("p3", "participant.attended", {"conference": "conf", "entity": "ann2",
                                                     "kind": "person", "name": "Anna Li"}),
             ("m", "entities.merged", {"kept": "ann", "merged": "ann2"})]
    c = known(items)
    assert cat.root(c, "ann2") == "ann"
    assert cat.find(c, ["person"], "Anna Li") == "ann"
    assert sorted(cat.group(c, "ann")) == ["ann", "ann2"]
    c = known([*items, ("u", "entities.unmerged", {"merge": "m"})])
    assert cat.root(c, "ann2") == "ann2"
    assert cat.find(c, ["person"], "Anna Li") == "ann2"
    assert c.event("m") == cat.Known("entities.merged", 7, False)


def test_conferences_are_the_live_ones_oldest_first() -> None:
    c = known([*BASE, ("conf2", "conference.held", {"name": "Second"}),
               ("c", "event.corrected", {"target": "conf", "changes": {"name": "First"}})])
    assert c.conferences() == [("conf", "First"), ("conf2", "Second")]
    c = known([("a", "conference.held", {"name": "A"}), ("b", "conference.held", {"name": "B"}),
               ("r", "event.retracted", {"target": "b", "reason": "x"})])
    assert c.conferences() == [("a", "A")]


def test_a_store_over_another_answers_as_one_store() -> None:
    """What an append sees: the index (here a memory store) plus the events it adds."""
    events = chain([*BASE, ("r", "event.retracted", {"target": "sp", "reason": "x"})])
    below = MemoryCatalogue()
    for event in events[:3]:
        below.learn(event.id, event.seq, event.type, event.data)
    above = MemoryCatalogue(below=below)
    for event in events[3:]:
        above.learn(event.id, event.seq, event.type, event.data)
    whole = known([*BASE, ("r", "event.retracted", {"target": "sp", "reason": "x"})])
    for ident in ("conf", "s1", "p1", "p2", "sp", "r", "ann", "kz"):
        assert above.event(ident) == whole.event(ident)
        assert above.entity(ident) == whole.entity(ident)
        assert above.refs(ident) == whole.refs(ident)
    assert above.conferences() == whole.conferences()


@settings(max_examples=examples(60), deadline=None)
@given(histories(), st.data())
def test_learning_in_two_steps_equals_learning_at_once(items: Any, data: Any) -> None:
    events = chain(items)
    k = data.draw(st.integers(0, len(events)))
    whole = known(items)
    below = MemoryCatalogue()
    for event in events[:k]:
        below.learn(event.id, event.seq, event.type, event.data)
    above = MemoryCatalogue(below=below)
    for event in events[k:]:
        above.learn(event.id, event.seq, event.type, event.data)
    for ident in {e.id for e in events} | {"ann", "bob", "cem"}:
        assert above.event(ident) == whole.event(ident)
        assert above.entity(ident) == whole.entity(ident)
        assert above.refs(ident) == whole.refs(ident)
