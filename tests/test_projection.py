"""The fold on its own: events in, rows out; no files, no database."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import examples
from histories import SRC, chain, histories
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.core.projection import Delete, Insert, fold, project
from archive.errors import InvalidEvent

BASE = [
    ("conf", "conference.held", {"name": "Conf", "organisers": ["OSCE"]}),
    ("p1", "participant.attended", {"conference": "conf", "entity": "ann", "kind": "person",
                                    "name": "Ann Lee", "country": "kz"}),
    ("p2", "participant.attended", {"conference": "conf", "entity": "kz", "kind": "country",
                                    "name": "Kazakhstan"}),
    ("sp", "speech.delivered", {"conference": "conf", "speaker": "ann", "summary": "Hello.",
                                "quotes": ["First words.", "Second words."]}),
]


def tables(items: list[tuple[str, str, dict[str, Any]]]) -> dict[str, dict[Any, dict]]:
    return fold(chain(items)).tables


def test_facts_have_ids_provenance_and_children():
    t = tables(BASE)
    assert t["conferences"]["conf"]["organisers"] == '["OSCE"]'
    speech = t["speeches"]["sp"]
    assert (speech["speaker_id"], speech["speaker_name"], speech["quote_count"]) == \
        ("ann", "Ann Lee", 2)
    assert (speech["event_id"], speech["event_seq"], speech["source_url"],
            speech["source_locator"], speech["at"]) == ("sp", 4, SRC.url, "p1", "2015-06-29")
    assert [(q["id"], q["n"], q["text"]) for q in t["quotes"].values()] == \
        [("sp/1", 1, "First words."), ("sp/2", 2, "Second words.")]
    assert {(r["kind"], r["text"], r["who"]) for r in t["texts"].values()
            if r["kind"] in ("summary", "quote")} == {
        ("summary", "Hello.", "Ann Lee"), ("quote", "First words.", "Ann Lee"),
        ("quote", "Second words.", "Ann Lee")}
    assert {r["who"] for r in t["texts"].values() if r["kind"] == "participant"} == {
        "Ann Lee", "Kazakhstan"}
    assert [e["seq"] for e in t["events"].values()] == [1, 2, 3, 4]


def test_first_mention_creates_the_entity_and_later_ones_reuse_it():
    t = tables(BASE + [("p3", "participant.attended", {
        "conference": "conf", "entity": "ann", "kind": "person", "name": "A. Lee",
        "role": "Chair"})])
    assert t["entities"]["ann"]["name"] == "Ann Lee"
    assert t["entities"]["ann"]["first_event_id"] == "p1"
    assert t["entities"]["ann"]["country_id"] == "kz"
    assert {p["name_given"] for p in t["participations"].values()
            if p["entity_id"] == "ann"} == {"Ann Lee", "A. Lee"}


def test_correction_reprojects_the_target_and_records_revisions():
    t = tables(BASE + [("c1", "event.corrected", {
        "target": "sp", "changes": {"summary": "Hello all.", "quotes": ["Only words."]},
        "reason": "misheard"})])
    assert t["speeches"]["sp"]["summary"] == "Hello all."
    assert t["speeches"]["sp"]["quote_count"] == 1
    assert list(t["quotes"]) == ["sp/1"]
    assert t["speeches"]["sp"]["event_seq"] == 4  # the fact keeps its origin
    rev = t["revisions"]["c1/summary"]
    assert (rev["old_value"], rev["new_value"], rev["reason"], rev["table_name"],
            rev["row_id"]) == ("Hello.", "Hello all.", "misheard", "speeches", "sp")
    assert json.loads(t["revisions"]["c1/quotes"]["new_value"]) == ["Only words."]
    assert {r["text"] for r in t["texts"].values()
            if r["table_name"] in ("speeches", "quotes")} == {"Hello all.", "Only words."}


def test_correcting_a_first_mention_renames_the_entity_everywhere():
    t = tables(BASE + [("c1", "event.corrected", {"target": "p1",
                                                  "changes": {"name": "Anne Lee"}})])
    assert t["entities"]["ann"]["name"] == "Anne Lee"
    assert t["speeches"]["sp"]["speaker_name"] == "Anne Lee"
    assert t["participations"]["p1"]["name_given"] == "Anne Lee"


def test_retraction_removes_the_fact_its_children_and_texts():
    t = tables(BASE + [("r1", "event.retracted", {"target": "sp", "reason": "wrong talk"})])
    assert t["speeches"] == {} and t["quotes"] == {}
    assert [r for r in t["texts"].values() if r["table_name"] in ("speeches", "quotes")] == []
    r = t["retractions"]["r1"]
    assert (r["target_event_id"], r["target_type"], r["table_name"], r["label"],
            r["reason"]) == ("sp", "speech.delivered", "speeches", "Hello.", "wrong talk")


def test_retracting_a_first_mention_drops_the_entity_only_when_unused():
    t = tables(BASE + [("r1", "event.retracted", {"target": "p1", "reason": "x"})])
    assert "ann" in t["entities"]  # still the speaker of `sp`
    t = tables(BASE[:3] + [("r1", "event.retracted", {"target": "p1", "reason": "x"})])
    assert "ann" not in t["entities"]
    assert "kz" in t["entities"]


def test_merge_rewrites_references_and_keeps_aliases():
    items = BASE + [
        ("p3", "participant.attended", {"conference": "conf", "entity": "ann2",
                                        "kind": "person", "name": "Anna Li"}),
        ("sp2", "speech.delivered", {"conference": "conf", "speaker": "ann2",
                                     "quotes": ["Third."]}),
        ("m", "entities.merged", {"kept": "ann", "merged": "ann2", "reason": "same"}),
        ("pr", "proposal.made", {"conference": "conf", "proposer": "ann2", "text": "Do it."}),
    ]
    t = tables(items)
    assert "ann2" not in t["entities"]
    assert json.loads(t["entities"]["ann"]["aliases"]) == ["Anna Li"]
    assert t["speeches"]["sp2"]["speaker_id"] == "ann"
    assert t["speeches"]["sp2"]["speaker_name"] == "Ann Lee"
    assert t["quotes"]["sp2/1"]["speaker_id"] == "ann"
    assert t["participations"]["p3"]["entity_id"] == "ann"
    assert t["proposals"]["pr"]["proposer_id"] == "ann"  # later references follow the merge
    assert t["entity_aliases"]["ann2"]["entity_id"] == "ann"


@pytest.mark.parametrize("item", [
    ("c2", "event.corrected", {"target": "c1", "changes": {"reason": "x"}}),
    ("c2", "event.corrected", {"target": "nope", "changes": {"summary": "x"}}),
    ("c2", "event.retracted", {"target": "r1", "reason": "x"}),
    ("c2", "event.retracted", {"target": "p2", "reason": "again"}),
    ("c2", "event.corrected", {"target": "p2", "changes": {"name": "KZ again"}}),
])
def test_fixes_that_break_the_rules_change_nothing(item):
    """The rules refuse these when they are appended; a log that holds one still builds."""
    items = BASE + [("c1", "event.corrected", {"target": "p2", "changes": {"name": "KZ"}}),
                    ("r1", "event.retracted", {"target": "p2", "reason": "dup"})]
    state = fold(chain(items))
    (event,) = chain([item], start=len(items) + 1)
    assert [op.table for op in project(event, state)] == ["events"]


def test_a_correction_must_fit_the_schema():
    state = fold(chain(BASE))
    (event,) = chain([("c2", "event.corrected", {"target": "sp", "changes": {"colour": "x"}})],
                     start=len(BASE) + 1)
    with pytest.raises(InvalidEvent, match="has no field 'colour'"):
        project(event, state)


def test_an_undone_merge_is_folded_as_never_applied():
    items = [*BASE, ("p9", "participant.attended", {"conference": "conf", "entity": "ann2",
                                                     "kind": "person", "name": "Anna Li"}),
             ("sp9", "speech.delivered", {"conference": "conf", "speaker": "ann2"}),
             ("m", "entities.merged", {"kept": "ann", "merged": "ann2", "reason": "same"}),
             ("u", "entities.unmerged", {"merge": "m", "reason": "two people"})]
    t = fold(chain(items)).tables
    without = fold(chain(items[:-2])).tables
    for table in ("entities", "speeches", "participations", "entity_aliases"):
        assert t[table] == without[table]
    assert t["merges"]["m"]["undone_by"] == "u"
    assert t["merges"]["m"]["merged_name"] == "Anna Li"
    applied = fold(chain(items[:-1])).tables
    assert applied["speeches"]["sp9"]["speaker_id"] == "ann"
    assert applied["merges"]["m"]["undone_by"] is None


def test_project_only_reads_the_state():
    state = fold(chain(BASE))
    before = json.dumps(state.tables, sort_keys=True)
    (event,) = chain([("r1", "event.retracted", {"target": "sp", "reason": "x"})], start=5)
    ops = project(event, state)
    assert json.dumps(state.tables, sort_keys=True) == before
    assert Delete("speeches", "sp", children=True) in ops
    assert isinstance(ops[0], Insert) and ops[0].table == "events"


# ---------------------------------------------------------------- properties

@settings(max_examples=examples(60), deadline=None)
@given(histories(), st.data())
def test_fold_of_a_then_b_equals_fold_of_a_continued_with_b(items, data):
    events = chain(items)
    k = data.draw(st.integers(0, len(events)))
    whole = fold(events).tables
    assert fold(events[k:], fold(events[:k])).tables == whole
    assert fold(events).tables == whole  # deterministic
