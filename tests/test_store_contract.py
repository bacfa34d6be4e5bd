"""One contract, two stores: every test here runs against the file log and against a real
PostgreSQL server (`postgres.py`), through the real library, and a stateful test drives
both side by side and requires them to hold byte-identical logs after every step."""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from helpers import counter_ids, examples
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from archive.app import Archive
from archive.append.recorder import Recorder
from archive.errors import ArchiveError, Conflict, InvalidEvent, LogCorrupt, NotFound
from archive.exchange import log_lines
from archive.store.base import EventLog
from archive.store.open import open_log
from archive.store.verify import verify

NOW = "2024-01-02T03:04:05.000Z"


@dataclass
class Store:
    """An archive folder over one store, and how to damage its log from outside."""

    kind: str
    root: Path
    url: str | None

    def log(self) -> EventLog:
        return open_log(self.root)

    def recorder(self, prefix: str = "id") -> Recorder:
        return Recorder(self.log(), "tests", clock=lambda: NOW, new_id=counter_ids(prefix))

    def bytes(self) -> bytes:
        return b"".join(log_lines(self.log()))

    def rewrite(self, seq: int, old: bytes, new: bytes) -> None:
        """Change the text of line `seq` behind the archive's back."""
        if self.url is None:
            path = self.root / "events" / "events.jsonl"
            lines = path.read_bytes().splitlines(keepends=True)
            assert old in lines[seq - 1]
            lines[seq - 1] = lines[seq - 1].replace(old, new)
            path.write_bytes(b"".join(lines))
            return
        with psycopg.connect(self.url, autocommit=True) as conn:
            changed = conn.execute(
                "update archive_log set line = convert_to(replace(convert_from(line, "
                "'UTF8'), %s, %s), 'UTF8') where seq = %s "
                "and position(%s in convert_from(line, 'UTF8')) > 0",
                (old.decode(), new.decode(), seq, old.decode())).rowcount
            assert changed == 1


def make_store(kind: str, root: Path, url: str | None) -> Store:
    if kind == "file":
        Archive(root).init()
        return Store(kind, root, None)
    assert url is not None
    Archive(root).init(url)
    return Store(kind, root, url)


@pytest.fixture(params=["file", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    return make_store(request.param, tmp_path / "archive", url)


@pytest.fixture
def conference(store: Store) -> Store:
    store.recorder().add("conference.held", {"name": "Summit", "start": "2015-06-29"},
                         event_id="conf")
    return store


def note(rec: Recorder, text: str, **kw: Any) -> Any:
    return rec.add("note.recorded", {"text": text}, conference="conf", **kw)


# ---------------------------------------------------------------- append and read


def test_append_is_read_back_in_order_with_a_verified_chain(conference: Store) -> None:
    rec = conference.recorder()
    for i in range(5):
        note(rec, f"note {i}")
    log = conference.log()
    events = list(log)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5, 6]
    assert [e.data.text for e in events[1:]] == [f"note {i}" for i in range(5)]
    head = log.head()
    report = verify(log)
    assert (report.seq, report.hash, report.size) == (head.seq, head.hash, head.offset)
    assert head.offset == len(conference.bytes())
    assert log.ends_with(head.offset, head.hash)
    assert not log.ends_with(head.offset, events[-2].hash)
    assert [e.id for e in log.of_type("note.recorded")] == [e.id for e in events[1:]]


def test_both_stores_hold_the_same_bytes(tmp_path: Path, pg_url: str) -> None:
    stores = [make_store("file", tmp_path / "f", None),
              make_store("postgresql", tmp_path / "p", pg_url)]
    for s in stores:
        rec = s.recorder()
        rec.add("conference.held", {"name": "Summit"}, event_id="conf")
        rec.add("speech.delivered", {"summary": "Opening"}, {"speaker": "Ann Lee"},
                conference="conf")
        note(rec, "Кириллица and 😀")
    assert stores[0].bytes() == stores[1].bytes() != b""
    assert stores[0].log().head() == stores[1].log().head()


def test_idempotent_retry_by_id(conference: Store) -> None:
    rec = conference.recorder()
    first = note(rec, "once", event_id="n1")
    before = conference.bytes()
    again = note(rec, "once", event_id="n1")
    assert again.existing and again.events[0].hash == first.events[0].hash
    assert conference.bytes() == before
    with pytest.raises(Conflict, match="different content"):
        note(rec, "twice", event_id="n1")
    assert conference.bytes() == before


def test_expected_seq(conference: Store) -> None:
    rec = conference.recorder()
    with pytest.raises(Conflict, match="expected the log to end at sequence 5"):
        note(rec, "late", expect_seq=5)
    assert conference.log().head().seq == 1
    note(rec, "on time", expect_seq=1)
    assert conference.log().head().seq == 2


def test_exactly_one_of_two_racing_writers_wins(conference: Store) -> None:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def write(tag: str) -> None:
        rec = conference.recorder(prefix=tag)
        barrier.wait()
        try:
            note(rec, tag, expect_seq=1)
            outcomes.append("won")
        except Conflict:
            outcomes.append("lost")

    threads = [threading.Thread(target=write, args=(t,)) for t in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["lost", "won"]
    assert verify(conference.log()).seq == 2


def test_import_is_all_or_nothing(conference: Store) -> None:
    rec = conference.recorder()
    good = [b'{"type":"note.recorded","data":{"conference":"conf","text":"n%d"}}' % i
            for i in range(30)]
    bad = b'{"type":"note.recorded","data":{"conference":"nowhere","text":"x"}}'
    before = conference.bytes()
    with pytest.raises(NotFound, match="import line 31"):
        rec.import_lines(good + [bad])
    assert conference.bytes() == before
    result = rec.import_lines(good)
    assert "imported 30 events (sequence 2-31)" in result.messages[0]
    assert verify(conference.log()).events == 31
    note(rec, "after the import")  # the index is in step with the log
    assert conference.log().head().seq == 32


def test_import_reads_the_log_while_it_streams(conference: Store) -> None:
    """An import that needs earlier events (a retried id, a correction) while its lines
    are already going to the store."""
    rec = conference.recorder()
    note(rec, "first", event_id="n1")
    lines = [b'{"type":"note.recorded","data":{"conference":"conf","text":"a"}}',
             b'{"id":"n1","type":"note.recorded","data":{"conference":"conf","text":"first"}}',
             b'{"type":"event.corrected","data":{"target":"n1","changes":{"text":"First"},'
             b'"reason":"typo"}}',
             b'{"id":"n1","type":"note.recorded","data":{"conference":"conf","text":"other"}}']
    before = conference.bytes()
    with pytest.raises(Conflict, match="import line 4: id n1 is already recorded"):
        rec.import_lines(lines)
    assert conference.bytes() == before
    result = rec.import_lines(lines[:3])
    assert "imported 2 events" in result.messages[0] and "1 already recorded" in \
        result.messages[1]
    assert verify(conference.log()).events == 4


def test_catalogue_rules_refuse_and_write_nothing(conference: Store) -> None:
    rec = conference.recorder()
    target = note(rec, "to retract").events[0].id
    rec.retract(target, "wrong")
    before = conference.bytes()
    with pytest.raises(ArchiveError, match="it was retracted"):
        rec.retract(target, "again")
    with pytest.raises(NotFound):
        rec.add("speech.delivered", {"summary": "x", "speaker": "nobody-0001"},
                conference="conf")
    assert conference.bytes() == before


# ---------------------------------------------------------------- verification


def test_tampering_is_detected_at_its_line(conference: Store) -> None:
    rec = conference.recorder()
    for i in range(3):
        note(rec, f"note {i}")
    conference.rewrite(3, b"note 1", b"note X")
    with pytest.raises(LogCorrupt, match="line 3: .*hash") as caught:
        verify(conference.log())
    assert caught.value.line == 3
    assert str(caught.value).startswith(conference.log().name)


def test_a_rewritten_head_is_reported_before_anything_is_appended(conference: Store) -> None:
    rec = conference.recorder()
    note(rec, "last")
    archive = Archive(conference.root)
    archive.build()
    conference.rewrite(2, b'"text":"last"', b'"text":"edited"')
    with pytest.raises(ArchiveError, match="no longer holds event #2"):
        note(rec, "more")


def test_attachment_reaches_every_folder(conference: Store, tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    rec = conference.recorder()
    fields = rec.attachment_fields(photo)
    rec.add("attachment.added", fields, conference="conf", attach=photo)
    other = tmp_path / "second-machine"
    if conference.url is None:
        shutil.copytree(conference.root, other)
        shutil.rmtree(other / "exports")
    else:
        Archive(other).init(conference.url)
    assert not (other / "exports" / "archive.db").exists()
    Archive(other).build()
    assert (other / "events" / "attachments" / fields["sha256"]).read_bytes() == \
        photo.read_bytes()


# ---------------------------------------------------------------- both stores, in step


class SideBySide(RuleBasedStateMachine):
    """The same steps on a file archive and a PostgreSQL archive: after every step both
    logs are byte-identical and verify, and a refused step wrote nothing to either."""

    url: str = ""  # set per test run (a new database)

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="side-by-side-"))
        self.stores = [make_store("file", self.tmp / "f", None),
                       make_store("postgresql", self.tmp / "p", _fresh_database())]
        self.recorders = [s.recorder() for s in self.stores]
        self.notes: list[str] = []
        for rec in self.recorders:
            rec.add("conference.held", {"name": "Summit"}, event_id="conf")

    def teardown(self) -> None:
        for s in self.stores:
            log = s.log()
            if hasattr(log, "close"):
                log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def both(self, step: Callable[[Recorder], Any]) -> None:
        before = [s.bytes() for s in self.stores]
        outcomes = []
        for rec, s, b in zip(self.recorders, self.stores, before, strict=True):
            try:
                step(rec)
                outcomes.append("ok")
            except (ArchiveError, InvalidEvent) as exc:
                outcomes.append(type(exc).__name__)
                assert s.bytes() == b
        assert outcomes[0] == outcomes[1]

    @rule(text=st.text(min_size=1, max_size=20), ident=st.sampled_from([None, "n1", "n2"]))
    def add_note(self, text: str, ident: str | None) -> None:
        self.both(lambda rec: note(rec, text, event_id=ident))

    @rule(expect=st.integers(0, 12))
    def add_expecting(self, expect: int) -> None:
        self.both(lambda rec: note(rec, "expected", expect_seq=expect))

    @rule(n=st.integers(1, 5), broken=st.booleans())
    def import_some(self, n: int, broken: bool) -> None:
        lines = [b'{"type":"note.recorded","data":{"conference":"conf","text":"i%d"}}' % i
                 for i in range(n)]
        if broken:
            lines.insert(n // 2, b'{"type":"note.recorded","data":{"text":1}}')
        self.both(lambda rec: rec.import_lines(lines))

    @rule(which=st.integers(0, 20))
    def retract(self, which: int) -> None:
        self.both(lambda rec: rec.retract(f"id-{which:04d}", "mistake"))

    @invariant()
    def identical_and_verified(self) -> None:
        a, b = (s.bytes() for s in self.stores)
        assert a == b
        assert verify(self.stores[0].log()).hash == verify(self.stores[1].log()).hash


_SERVER: list[Any] = []


def _fresh_database() -> str:
    return str(_SERVER[0].new_database())


SideBySide.TestCase.settings = settings(
    max_examples=examples(15), stateful_step_count=12, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.slow
def test_file_and_postgresql_stay_in_step(pg_server: Any) -> None:
    _SERVER[:] = [pg_server]
    SideBySide.TestCase().runTest()
