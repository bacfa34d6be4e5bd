"""The archive's central promise, tested against sequences: no accepted event makes the
archive unbuildable or its database inconsistent, and a refused one writes nothing.

A Hypothesis state machine drives the real library (`Recorder` on a real folder) through
random sequences of add, correct, retract, merge, unmerge and import, mistakes included
(retracting twice, correcting what was retracted, retracting what others refer to,
changing a participation's entity, merging what is merged, undoing a merge twice). After
every accepted step: `verify` passes, a full build succeeds with no foreign key
violation, the incremental build equals the full one, the in-memory fold equals the
SQLite build, and the catalogue's live entities are the database's entities. After every
refused step the log is byte-identical.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest
from fixtures_db import rows, search_index
from helpers import examples
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from archive.app import Archive
from archive.append.recorder import Recorder
from archive.core import catalogue as cat
from archive.core.projection import fold
from archive.core.schema import BY_NAME
from archive.errors import ArchiveError
from archive.store.log import Log
from archive.store.verify import verify

pytestmark = pytest.mark.slow

PEOPLE = ["Ann Lee", "Bo Chen", "Karim Massimov", "ann lee"]
COUNTRIES = ["Kazakhstan", "Georgia"]
SESSIONS = ["Opening", "Panel A"]
NOW = "2024-01-02T03:04:05.000Z"
#: Corrections worth trying on each type of fact (some are refused: identity fields).
CHANGES: dict[str, list[dict[str, Any]]] = {
    "speech.delivered": [{"summary": "Corrected."}, {"quotes": []}, {"role": "Minister"}],
    "note.recorded": [{"text": "Corrected."}],
    "session.held": [{"title": "Panel B"}, {"title": "Opening"}],
    "participant.attended": [{"name": "Dana Roe"}, {"name": "Ann Lee"}, {"role": "Minister"},
                             {"kind": "organisation"}],
    "conference.held": [{"name": "Conf 2"}],
    "meeting.held": [{"outcome": "Agreed."}, {"participants": []}],
    "agreement.reached": [{"items": [{"n": 3, "text": "Third."}]}, {"parties": []}],
    "delegation.sent": [{"members": []}],
}


def _ids() -> Callable[[], str]:
    count = 0

    def new_id() -> str:
        nonlocal count
        count += 1
        return f"id{count:04d}"

    return new_id


def memory_rows(tables: dict[str, dict[Any, dict[str, Any]]]) -> list[tuple[str, list]]:
    """In-memory tables in the shape `database.rows` gives a database."""
    out = []
    for name, table in tables.items():
        if name == "_archive_build":
            continue
        cols = BY_NAME[name].names
        out.append((name, [tuple(row[c] for c in cols) for _, row in sorted(table.items())]))
    return out


class Machine(RuleBasedStateMachine):
    facts = Bundle("facts")
    merges = Bundle("merges")

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="invariants-"))
        self.root = self.tmp / "archive"
        self.log = Log(self.root)
        self.log.init()
        self.recorder = Recorder(self.log, "tests", clock=lambda: NOW, new_id=_ids())
        self.accepted = 0
        self.types: dict[str, str] = {}
        self.named: set[str] = set()  # names of records made so far (merge candidates)
        self.checked = -1  # the log's size when the invariant last held (the log only grows)

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def attempt(self, step: Callable[[], Any]) -> Any:
        """Run one step: refused, it must leave the log byte-identical."""
        before = self.log.path.read_bytes()
        try:
            result = step()
        except ArchiveError:
            assert self.log.path.read_bytes() == before
            return None
        self.accepted += 1
        return result

    def written(self, result: Any) -> list[str]:
        if result is None or result.existing:
            return []
        self.types.update((e.id, e.type) for e in result.events)
        self.named.update(e.data.name for e in result.events
                          if e.type == "participant.attended")
        return [e.id for e in result.events]

    # ------------------------------------------------------------ steps

    @initialize(target=facts)
    def conference(self) -> Any:
        """A conference, two people and a country to start from (merges need two)."""
        written = self.written(self.recorder.add("conference.held", {"name": "Conf"}))
        for kind, name in (("person", "Ann Lee"), ("person", "Bo Chen"),
                           ("country", "Kazakhstan")):
            written += self.written(self.recorder.add(
                "participant.attended", {"kind": kind, "name": name}))
        return multiple(*written)

    @rule(target=facts, kind=st.sampled_from(["person", "country"]), n=st.integers(0, 3))
    def participant(self, kind: str, n: int) -> Any:
        name = (PEOPLE if kind == "person" else COUNTRIES)[n % (4 if kind == "person" else 2)]
        names = {"country": COUNTRIES[n % 2]} if kind == "person" and n % 2 else {}
        return multiple(*self.written(self.attempt(lambda: self.recorder.add(
            "participant.attended", {"kind": kind, "name": name}, names))))

    @rule(target=facts, kind=st.sampled_from(["person", "country"]), n=st.integers(0, 3))
    def recorded_on_its_own(self, kind: str, n: int) -> Any:
        """A person or country recorded apart from any conference (a Popolo import)."""
        name = (PEOPLE if kind == "person" else COUNTRIES)[(n + 1) % (4 if kind == "person"
                                                                        else 2)]
        return multiple(*self.written(self.attempt(lambda: self.recorder.add(
            "entity.recorded", {"kind": kind, "name": name,
                                "aliases": [name.upper()]}))))

    @rule(target=facts, title=st.sampled_from(SESSIONS), session=st.sampled_from(
        [None, *SESSIONS]), note=st.booleans())
    def session_or_note(self, title: str, session: str | None, note: bool) -> Any:
        if note:
            names = {"session": session} if session else {}
            return multiple(*self.written(self.attempt(lambda: self.recorder.add(
                "note.recorded", {"text": "A note."}, names))))
        return multiple(*self.written(self.attempt(lambda: self.recorder.add(
            "session.held", {"title": title}))))

    @rule(target=facts, speaker=st.sampled_from(PEOPLE), session=st.sampled_from(
        [None, *SESSIONS]))
    def speech(self, speaker: str, session: str | None) -> Any:
        names = {"speaker": speaker} | ({"session": session} if session else {})
        return multiple(*self.written(self.attempt(lambda: self.recorder.add(
            "speech.delivered", {"summary": f"{speaker} spoke.", "quotes": ["Words."]},
            names))))

    @rule(target=facts, kind=st.sampled_from(["meeting", "agreement", "note", "delegation"]),
          who=st.lists(st.sampled_from(PEOPLE + COUNTRIES), min_size=1, max_size=3))
    def linked(self, kind: str, who: list[str]) -> Any:
        """A fact that names several entities in a list (version 2 of the model): merges,
        retractions and corrections must keep every one of its links consistent."""
        type_, fields, names = {
            "meeting": ("meeting.held", {"kind": "bilateral"}, {"participants": who}),
            "agreement": ("agreement.reached", {"title": "Declaration", "items": [
                {"n": 1, "text": "First."}]}, {"parties": who}),
            "note": ("note.recorded", {"text": "About them.", "tags": ["t"]}, {"about": who}),
            "delegation": ("delegation.sent", {}, {"country": COUNTRIES[0], "members": [
                {"entity": w, "post": "Minister"} for w in who]}),
        }[kind]
        return multiple(*self.written(self.attempt(lambda: self.recorder.add(
            type_, fields, names))))

    @rule(target=facts, fact=facts, data=st.data())
    def correct(self, fact: str, data: st.DataObject) -> Any:
        others = sorted(self.types)
        change = data.draw(st.sampled_from(CHANGES.get(self.types.get(fact, ""), [{}]) + [
            {"session": data.draw(st.sampled_from(others))},
            {"speaker": data.draw(st.sampled_from(others))},
            {"country": data.draw(st.sampled_from(others))},
            {"entity": data.draw(st.sampled_from(others))}]))
        return multiple(*self.written(self.attempt(
            lambda: self.recorder.correct(fact, change, reason="fix"))))

    @rule(target=facts, fact=facts)
    def retract(self, fact: str) -> Any:
        return multiple(*self.written(self.attempt(
            lambda: self.recorder.retract(fact, "mistake"))))

    @precondition(lambda self: len(self.named) >= 2)
    @rule(target=merges, data=st.data())
    def merge(self, data: st.DataObject) -> Any:
        kept, merged = data.draw(st.permutations(sorted(self.named)))[:2]
        return multiple(*self.written(self.attempt(
            lambda: self.recorder.merge(kept, merged, reason="same"))))

    @rule(target=facts, merge=st.one_of(consumes(merges), merges))
    def unmerge(self, merge: str) -> Any:
        return multiple(*self.written(self.attempt(
            lambda: self.recorder.unmerge(merge, reason="different"))))

    @rule(target=facts, fact=facts, twice=st.booleans(), bad=st.booleans())
    def import_(self, fact: str, twice: bool, bad: bool) -> Any:
        """A file that retracts (twice, in one import), adds notes, maybe a bad line."""
        lines = [{"type": "note.recorded", "data": {"conference": "id0001", "text": "Imp."}},
                 {"type": "event.retracted", "data": {"target": fact, "reason": "import"}}]
        if twice:
            lines.append(lines[-1])
        if bad and twice:
            lines.append({"type": "note.recorded", "data": {"conference": "nope", "text": "x"}})
        encoded = [msgspec.json.encode(line) + b"\n" for line in lines]
        return multiple(*self.written(self.attempt(
            lambda: self.recorder.import_lines(encoded))))

    # ------------------------------------------------------------ the promise

    @invariant()
    def archive_is_consistent(self) -> None:
        size = self.log.path.stat().st_size
        if size == self.checked:
            return  # nothing was written since the last check: it holds as it did then
        self.checked = size
        report = verify(self.log)
        full = Archive(self.root).build(self.tmp / "full.db", full=True)
        assert full.seq == report.seq
        conn = sqlite3.connect(full.path)
        try:
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
            assert conn.execute("SELECT count(*) FROM speeches WHERE speaker_name IS NULL"
                                ).fetchone()[0] == 0
            entities = {r[0] for r in conn.execute("SELECT id FROM entities")}
        finally:
            conn.close()
        incremental = Archive(self.root).build(self.tmp / "incremental.db")
        built = [t for t in rows(full.path) if t[0] != "_archive_build"]
        assert [t for t in rows(incremental.path) if t[0] != "_archive_build"] == built
        assert search_index(incremental.path) == search_index(full.path)
        assert memory_rows(fold(list(self.log)).tables) == built
        known = cat.MemoryCatalogue()
        ids: list[str] = []
        for event in self.log:
            known.learn(event.id, event.seq, event.type, event.data)
            if event.type in ("participant.attended", "entity.recorded"):
                ids.append(event.data.entity)
        live = {cat.root(known, i) for i in ids if cat.entity_live(known, i)}
        assert live == entities


Machine.TestCase.settings = settings(
    max_examples=examples(40), stateful_step_count=20, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestArchiveInvariants = Machine.TestCase
