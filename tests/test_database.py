"""Building exports/archive.db from real logs: contents, determinism, incremental, as-of."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner
from fixtures_db import SAMPLE, XSS_ATTR, XSS_SCRIPT, append, make_archive, rows, search_index
from helpers import examples
from histories import histories
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.app import Archive
from archive.cli import cli
from archive.database.build import read_info
from archive.errors import ArchiveError, HeadLost, LogCorrupt, NotFound
from archive.store.log import Log

REPO = Path(__file__).resolve().parent.parent


def query(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def facts(path: Path) -> dict[str, list[tuple]]:
    return {name: r for name, r in rows(path) if name != "_archive_build"}


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    return make_archive(tmp_path / "a")


def test_build_projects_every_kind_of_fact(archive):
    result = Archive(archive).build()
    db = archive / "exports" / "archive.db"
    assert (result.path, result.seq, result.applied, result.full) == (db, len(SAMPLE),
                                                                      len(SAMPLE), True)
    counts = {t: query(db, f"select count(*) from [{t}]")[0][0] for t in (
        "conferences", "sessions", "entities", "participations", "speeches", "quotes",
        "proposals", "agreements", "agreement_items", "figures", "followups", "attachments",
        "notes", "events", "revisions", "retractions", "entity_aliases", "people")}
    assert counts == {
        "conferences": 1, "sessions": 1, "entities": 4, "participations": 5, "speeches": 2,
        "quotes": 3, "proposals": 1, "agreements": 1, "agreement_items": 2, "figures": 1,
        "followups": 1, "attachments": 1, "notes": 1, "events": len(SAMPLE), "revisions": 1,
        "retractions": 1, "entity_aliases": 1, "people": 2}
    assert query(db, "select summary, speaker_name from speeches where id = 'sp1'") == \
        [("Welcomed all delegations.", "Ivan Ivanov")]
    assert query(db, "select speaker_id from speeches where id = 'sp2'") == [("ivanov",)]
    assert query(db, "select aliases from entities where id = 'ivanov'") == [('["I. Ivanof"]',)]
    assert query(db, "select file_present from attachments") == [(0,)]
    info = read_info(db)
    assert info is not None and info["seq"] == str(len(SAMPLE))
    assert info["offset"] == str(Log(archive).size()) and info["conferences"] == "1"


def test_schema_has_foreign_keys_indexes_search_and_views(archive):
    db = sqlite_utils.Database(Archive(archive).build().path)
    fks = {(fk.column, fk.other_table, fk.other_column) for fk in db["speeches"].foreign_keys}
    assert {("speaker_id", "entities", "id"), ("session_id", "sessions", "id"),
            ("conference_id", "conferences", "id"), ("event_seq", "events", "seq")} <= fks
    indexed = {tuple(i.columns) for i in db["speeches"].indexes}
    assert {("speaker_id",), ("session_id",), ("event_seq",)} <= indexed
    assert db["texts"].detect_fts() == "texts_fts"
    assert set(db.view_names()) == {"people", "organisations", "countries",
                                    "commitment_status"}
    hits = db.execute("select t.kind, t.text, t.speech_id from texts_fts f join texts t "
                      "on t.rowid = f.rowid where texts_fts match 'borders'").fetchall()
    assert hits == [("quote", "Radicalisation knows no borders.", "sp1")]


def test_hostile_strings_are_stored_verbatim(archive):
    db = Archive(archive).build().path
    assert query(db, "select text from quotes where id = 'sp2/1'") == [(XSS_SCRIPT,)]
    assert query(db, "select name from entities where id = 'evil'") == [(XSS_ATTR,)]


def test_two_full_builds_are_identical(archive, tmp_path):
    a = Archive(archive).build(tmp_path / "one.db", full=True).path
    b = Archive(archive).build(tmp_path / "two.db", full=True).path
    assert list(rows(a)) == list(rows(b))


def test_incremental_build_applies_only_new_events_and_equals_a_full_build(tmp_path):
    root = make_archive(tmp_path / "a", SAMPLE[:10])
    first = Archive(root).build()
    append(root, SAMPLE[10:], recorded_at="2026-02-01T00:00:00Z")
    second = Archive(root).build()
    assert (second.full, second.applied, second.seq) == (False, len(SAMPLE) - 10, len(SAMPLE))
    assert second.hash == Log(root).head().hash != first.hash
    full = Archive(root).build(tmp_path / "full.db", full=True)
    assert list(rows(second.path)) == list(rows(full.path))
    assert not [p for p in (root / "exports").iterdir() if p.name.endswith(".tmp")]


def test_an_up_to_date_database_is_left_alone(archive):
    db = Archive(archive).build().path
    before = db.stat()
    again = Archive(archive).build()
    assert (again.applied, again.full) == (0, False)
    assert (db.stat().st_ino, db.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_incremental_build_reads_only_from_the_remembered_offset(tmp_path):
    """Damage an early line (same length): an incremental build never looks at it."""
    root = make_archive(tmp_path / "a", SAMPLE[:5])
    Archive(root).build()
    append(root, SAMPLE[5:8])
    path = Log(root).path
    data = path.read_bytes()
    path.write_bytes(data.replace(b"Astana", b"Astanb", 1))
    result = Archive(root).build()
    assert (result.full, result.applied) == (False, 3)
    with pytest.raises(LogCorrupt, match="hash mismatch"):
        Archive(root).build(full=True)


def test_a_log_that_no_longer_matches_is_reported_not_silently_rebuilt(tmp_path):
    root = make_archive(tmp_path / "a", SAMPLE[:8])
    Archive(root).build()
    other = make_archive(tmp_path / "b", SAMPLE[:3] + SAMPLE[4:12])  # a different history
    shutil.copyfile(Log(other).path, Log(root).path)
    with pytest.raises(HeadLost, match="no longer holds event #8 "):
        Archive(root).build()
    (root / "exports" / ".head").unlink()  # the database remembers it too
    with pytest.raises(HeadLost, match="archive.db was built from"):
        Archive(root).build()
    result = Archive(root).build(full=True)  # replaced on purpose: build it from scratch
    assert result.full and result.seq == 11
    assert list(rows(result.path)) == list(rows(Archive(other).build().path))


def test_a_changed_next_line_forces_a_rebuild(tmp_path):
    """Same bytes up to the remembered offset, but the next line does not chain on."""
    root = make_archive(tmp_path / "a", SAMPLE[:4])
    Archive(root).build()
    log = Log(root)
    remembered = log.path.read_bytes()
    other = make_archive(tmp_path / "b", SAMPLE[:6])
    tail = Log(other).path.read_bytes().splitlines(keepends=True)[5:]
    log.path.write_bytes(remembered + tail[0])  # line 5 of another log: seq 6, wrong prev
    with pytest.raises(LogCorrupt, match="sequence 6 where 5 was expected"):
        Archive(root).build()


@pytest.mark.parametrize("as_of, seq", [("7", 7), ("sp1", 8), ("2026-01-01", 10),
                                        ("2026-01-01T00:00:00Z", 10), ("2025-12", 0)])
def test_as_of_builds_the_archive_as_it_stood(tmp_path, as_of, seq):
    root = make_archive(tmp_path / "a", SAMPLE[:10])
    append(root, SAMPLE[10:], recorded_at="2026-01-02T09:00:00Z")
    result = Archive(root).build(as_of=as_of)
    assert result.seq == seq
    assert result.path == root / "exports" / f"archive-as-of-{seq}.db"
    assert query(result.path, "select count(*) from events") == [(seq,)]
    assert read_info(result.path)["as_of"] == as_of
    full_then = Archive(root).build(tmp_path / "then.db", as_of=str(seq))
    assert facts(full_then.path) == facts(result.path)


def test_as_of_errors_name_the_problem(archive):
    with pytest.raises(NotFound, match="no event has that id"):
        Archive(archive).build(as_of="missing-id")
    with pytest.raises(NotFound, match="the log ends at sequence 19"):
        Archive(archive).build(as_of="99")
    with pytest.raises(ArchiveError, match="has no month 13"):
        Archive(archive).build(as_of="2015-13-01")


def test_progress_reports_every_byte(archive):
    seen: list[tuple[int, int]] = []
    Archive(archive).build(progress=lambda done, total: seen.append((done, total)))
    assert sum(d for d, _ in seen) == Log(archive).size() == seen[-1][1]


def test_attachment_file_presence_comes_from_the_folder(archive):
    folder = archive / "events" / "attachments"
    folder.mkdir()
    (folder / ("a" * 64)).write_bytes(b"photo")
    assert query(Archive(archive).build().path, "select file_present from attachments") == [(1,)]


def test_build_command(archive):
    runner = CliRunner()
    result = runner.invoke(cli, ["--archive", str(archive), "build"])
    assert result.exit_code == 0, result.output
    assert f"rebuilt to sequence {len(SAMPLE)} ({len(SAMPLE)} events applied)" in result.output
    result = runner.invoke(cli, ["--archive", str(archive), "build", "--as-of", "nope"])
    assert result.exit_code == 1
    assert result.output == "Error: --as-of nope: no event has that id in the log\n"


@settings(max_examples=examples(15), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(histories(), st.data())
def test_incremental_equals_full_on_generated_logs(tmp_path_factory, items, data):
    tmp = tmp_path_factory.mktemp("h")
    k = data.draw(st.integers(1, len(items)))
    root = make_archive(tmp / "a", items[:k])
    Archive(root).build()
    if items[k:]:
        append(root, items[k:])
    incremental = Archive(root).build()
    assert not incremental.full
    full = Archive(root).build(tmp / "full.db", full=True)
    again = Archive(root).build(tmp / "again.db", full=True)
    assert list(rows(incremental.path)) == list(rows(full.path)) == list(rows(again.path))
    assert search_index(incremental.path) == search_index(full.path)


def test_the_shipped_astana_archive(tmp_path):
    root = tmp_path / "astana"
    shutil.copytree(REPO / "events", root / "events")
    result = Archive(root).build()
    db = sqlite_utils.Database(result.path)
    assert result.seq == Log(root).head().seq == result.applied
    assert db.execute("select name, place, start, end from conferences").fetchall() == [(
        "Central and South Asian Regional Conference on Countering Violent Extremism",
        "Astana", "2015-06-29", "2015-06-30")]
    counts = {t: db[t].count for t in ("sessions", "speeches", "quotes", "proposals",
                                              "agreement_items", "participations", "people")}
    assert all(counts.values()), counts
    for table, column in [("speeches", "speaker_id"), ("quotes", "speech_id"),
                          ("participations", "entity_id"), ("sessions", "conference_id")]:
        other = "speeches" if column == "speech_id" else \
            "conferences" if column == "conference_id" else "entities"
        dangling = db.execute(f"select count(*) from {table} t left join {other} o "
                              f"on o.id = t.{column} where o.id is null").fetchone()[0]
        assert dangling == 0, (table, column)
    hits = db.execute("select t.kind, t.text, s.speaker_name from texts_fts f "
                      "join texts t on t.rowid = f.rowid join speeches s on s.id = t.speech_id "
                      "where texts_fts match 'persuasive'").fetchall()
    assert [h[0] for h in hits] == ["quote"]
    assert "persuasive voices" in hits[0][1] and hits[0][2]
    again = Archive(root).build(tmp_path / "again.db", full=True)
    assert facts(again.path) == facts(result.path)


def test_incremental_build_while_served_replaces_the_file(tmp_path):
    from archive.database.build import serving

    root = make_archive(tmp_path / "a", SAMPLE[:6])
    db = Archive(root).build().path
    append(root, SAMPLE[6:9])
    inode = db.stat().st_ino
    assert Archive(root).build().applied == 3 and db.stat().st_ino == inode  # in place
    append(root, SAMPLE[9:])
    with serving(db):
        result = Archive(root).build()
    assert result.applied == len(SAMPLE) - 9 and not result.full
    assert db.stat().st_ino != inode  # a new file: the server's open one never changed
    assert facts(db) == facts(Archive(root).build(tmp_path / "full.db", full=True).path)


@settings(max_examples=examples(15), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(histories())
def test_rows_still_buffered_and_rows_sent_give_the_same_database(tmp_path_factory, items):
    """A full build answers earlier events from its buffer and drops buffered rows on a
    delete; with a batch of one row everything goes through SQLite instead."""
    from archive.database import rowstore

    tmp = tmp_path_factory.mktemp("b")
    root = make_archive(tmp / "a", items)
    buffered = Archive(root).build(tmp / "buffered.db", full=True)
    batch = rowstore._BATCH
    rowstore._BATCH = 1
    try:
        sent = Archive(root).build(tmp / "sent.db", full=True)
    finally:
        rowstore._BATCH = batch
    assert list(rows(buffered.path)) == list(rows(sent.path))


def test_a_log_written_before_the_rules_still_builds(tmp_path):
    """A second retraction and a correction of a retracted fact, appended without the
    rules (as an older version could): verify reports the first, the build ignores both."""
    root = make_archive(tmp_path / "a", SAMPLE)
    target = next(i for i, t, _ in SAMPLE if t == "note.recorded")
    append(root, [("once", "event.retracted", {"target": target, "reason": "one"}),
                  ("twice", "event.retracted", {"target": target, "reason": "two"}),
                  ("fix", "event.corrected", {"target": target, "changes": {"text": "y"}})])
    result = CliRunner().invoke(cli, ["--archive", str(root), "verify"])
    assert result.exit_code == 1
    assert f"cannot retract {target}: it was retracted" in result.output
    built = Archive(root).build()
    assert built.seq == len(SAMPLE) + 3
    assert query(built.path, "select id from retractions where target_event_id = ?",
                 (target,)) == [("once",)]
    assert query(built.path, "select count(*) from revisions where target_event_id = ?",
                 (target,)) == [(0,)]


#: Changes a built database in a transaction that spills pages to the file (a small
#: cache), then dies before it commits: the hot journal a killed incremental build leaves.
HALF_APPLIED = r"""
import os, signal, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode=DELETE")
conn.execute("PRAGMA cache_size=2")
conn.execute("BEGIN IMMEDIATE")
conn.execute("UPDATE events SET data = data || ?", ("x" * 4000,))
conn.execute("DELETE FROM notes")
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_build_killed_half_way_is_rolled_back_before_anything_reads_it(tmp_path):
    root = make_archive(tmp_path / "a", SAMPLE)
    db = Archive(root).build().path
    before = facts(db)
    proc = subprocess.run([sys.executable, "-c", HALF_APPLIED, str(db)], timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert db.with_name("archive.db-journal").exists()  # hot: the file is half-applied
    assert not Archive(root).is_stale()  # what serve --no-build asks first: recovered
    assert not db.with_name("archive.db-journal").exists()
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert facts(db) == before


@pytest.mark.parametrize(("as_of", "said"), [
    ("3", "as of sequence 3"), ("seq:3", "as of sequence 3"),
    ("id:kz", "as of event kz"),
    ("time:2030-01-01", "as of what was recorded by 2030-01-01"),
])
def test_as_of_says_which_point_it_took(archive, as_of, said):
    result = CliRunner().invoke(cli, ["--archive", str(archive), "build", "--as-of", as_of])
    assert result.exit_code == 0, result.output
    assert f"rebuilt {said} to sequence " in result.output


@pytest.mark.parametrize("ident", ["5", "2015-06-29", "2015-06-29T10:00Z"])
def test_a_new_id_cannot_read_as_a_sequence_number_or_a_date(archive, ident):
    before = (archive / "events" / "events.jsonl").read_bytes()
    result = CliRunner().invoke(cli, ["--archive", str(archive), "add", "note", "--text", "x",
                                      "--id", ident])
    assert result.exit_code == 1
    assert result.output == (f"Error: field `id` reads as a sequence number or a date; give "
                             f"an id with a letter in it: '{ident}'\n")
    assert (archive / "events" / "events.jsonl").read_bytes() == before
