"""A series in one archive (issue 11): two summits recorded in two archives, each through
the CLI as a user would, exported, imported and pulled into one; shared countries and
people become one entity each, and nothing is written twice."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.app import Archive
from archive.cli import cli
from archive.database.build import build

REPO = Path(__file__).resolve().parent.parent
SHARED = ["Kazakhstan", "Kyrgyzstan", "Tajikistan", "Uzbekistan", "Turkmenistan"]
SUMMITS = {
    "c14": ("14th ECO Summit", "Islamabad", "2021-11-28", 14,
            SHARED + ["Pakistan", "Iran"], ["Karim Massimov", "Gil Kerlikowske", "Ali Khan"]),
    "c15": ("15th ECO Summit", "Ashgabat", "2023-11-28", 15,
            SHARED + ["Azerbaijan", "Türkiye"], ["Karim Massimov", "Gil Kerlikowske"]),
}


def run(root: Path, *args: str, ok: bool = True) -> str:
    result = CliRunner().invoke(cli, ["--archive", str(root), *args])
    if ok:
        assert result.exit_code == 0, (args, result.output)
    return result.output


def record(root: Path, key: str) -> None:
    """One summit, recorded through the CLI: new entity ids of its own for every name."""
    name, place, day, number, countries, people = SUMMITS[key]
    run(root, "init")
    run(root, "add", "conference", "--id", key, "--name", name, "--place", place,
        "--start", day, "--series", "ECO Summit", "--number", str(number),
        "--source", f"https://example.org/{key}", "--locator", "p1")
    for country in countries:
        run(root, "add", "participant", "--kind", "country", "--name", country)
    for person in people:
        run(root, "add", "participant", "--kind", "person", "--name", person,
            "--role", "Minister")
    run(root, "add", "speech", "--speaker", people[0], "--summary", f"Spoke at {name}.",
        "--quote", f"We meet again in {place}.")
    run(root, "add", "followup", "--name", f"{number + 1}th ECO Summit",
        "--when", "2023-11")


@pytest.fixture
def two(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "c14", tmp_path / "c15"
    record(a, "c14")
    record(b, "c15")
    return a, b


def entity_counts(root: Path) -> dict[str, int]:
    """Distinct entities that took part, by kind, as the database counts them."""
    db = sqlite3.connect(Archive(root).build().path)
    try:
        return dict(db.execute("select kind, count(distinct entity_id) from participations "
                               "group by kind").fetchall())
    finally:
        db.close()


def rows(db_path: Path) -> dict[str, list[tuple]]:
    """Every fact table's rows (without the log's own columns: hashes, times of writing)."""
    db = sqlite3.connect(db_path)
    skip = {"recorded_at", "recorded_by", "hash", "prev", "built_at"}
    out = {}
    try:
        for (table,) in db.execute("select name from sqlite_master where type = 'table' and "
                                   "name not like '%fts%' and name not like '\\_%' escape "
                                   "'\\' and name not in ('events', 'sqlite_stat1')"):
            cols = [c[1] for c in db.execute(f"pragma table_info([{table}])")
                    if c[1] not in skip]
            out[table] = sorted(db.execute(
                f"select {', '.join(f'[{c}]' for c in cols)} from [{table}]").fetchall(),
                key=repr)
    finally:
        db.close()
    return out


def test_pull_makes_shared_entities_one_and_a_second_pull_writes_nothing(two):
    a, b = two
    before = entity_counts(a)
    assert before == {"country": 7, "person": 3}
    out = run(a, "pull", str(b), "--match", "auto")
    assert "pulled" in out and out.count("merged ") == 5 + 2, out
    log = (a / "events" / "events.jsonl").read_bytes()
    db = sqlite3.connect(Archive(a).build().path)
    try:
        assert db.execute("select count(*) from conferences").fetchone()[0] == 2
        merges = db.execute("select count(*) from events where type = 'entities.merged'"
                            ).fetchone()[0]
        assert merges == 7  # visible in the history
        names = [n for (n,) in db.execute("select name from entities where kind = 'country' "
                                          "and id in (select entity_id from participations)")]
    finally:
        db.close()
    assert sorted(names) == sorted(set(SUMMITS["c14"][4]) | set(SUMMITS["c15"][4]))
    assert entity_counts(a) == {"country": 9, "person": 3}
    # the same archive again: nothing new, nothing written
    again = run(a, "pull", str(b), "--match", "auto")
    assert "nothing new" in again
    assert (a / "events" / "events.jsonl").read_bytes() == log
    # the incremental build (after the pull) equals a full build of the same log
    incremental = Archive(a).build().path
    full = build(Archive(a).log, a / "full.db").path
    assert rows(incremental) == rows(full)


def test_pull_never_keeps_records_apart_and_ask_needs_a_terminal(two):
    a, b = two
    run(a, "pull", str(b), "--match", "never")
    assert entity_counts(a) == {"country": 14, "person": 5}
    fresh = a.parent / "fresh"
    record(fresh, "c14")
    refused = run(fresh, "pull", str(b), "--match", "ask", ok=False)
    assert refused.startswith("Usage:") or "needs a terminal" in refused


def test_a_pulled_record_with_a_known_id_and_another_name_is_refused(two, tmp_path):
    a, b = two
    line = {"type": "participant.attended", "id": "x1",
            "data": {"conference": "c15", "entity": _an_entity(a, "Kazakhstan"),
                     "kind": "country", "name": "Narnia"}}
    (tmp_path / "bad.jsonl").write_text(json.dumps(line) + "\n")
    log = (a / "events" / "events.jsonl").read_bytes()
    out = run(a, "pull", str(tmp_path / "bad.jsonl"), ok=False)
    assert out.startswith("Error: ") and "Narnia" in out and "Kazakhstan" in out
    assert (a / "events" / "events.jsonl").read_bytes() == log


def _an_entity(root: Path, name: str) -> str:
    db = sqlite3.connect(Archive(root).build().path)
    try:
        return db.execute("select id from entities where name = ?", (name,)).fetchone()[0]
    finally:
        db.close()


def test_export_then_import_into_an_empty_archive_gives_the_same_rows(tmp_path):
    src = tmp_path / "astana"
    (src / "events").mkdir(parents=True)
    shutil.copyfile(REPO / "events" / "events.jsonl", src / "events" / "events.jsonl")
    run(src, "export", "-o", str(tmp_path / "all.jsonl"))
    dst = tmp_path / "copy"
    run(dst, "init")
    out = run(dst, "import", str(tmp_path / "all.jsonl"))
    lines = sum(1 for _ in (REPO / "events" / "events.jsonl").open("rb"))
    assert f"imported {lines} events" in out
    assert rows(Archive(src).build().path) == rows(Archive(dst).build().path)
    again = run(dst, "import", str(tmp_path / "all.jsonl"))
    assert "imported 0 events" in again and f"{lines} already recorded" in again


def test_export_of_one_conference_stands_on_its_own(two, tmp_path):
    a, b = two
    run(a, "pull", str(b), "--match", "auto")
    run(a, "export", "--conference", "15th ECO Summit", "-o", str(tmp_path / "c15.jsonl"))
    lines = [json.loads(x) for x in (tmp_path / "c15.jsonl").read_text().splitlines()]
    assert {"seq", "prev", "hash", "recorded_at"}.isdisjoint(lines[0])
    assert lines[0]["id"] == "c15"
    assert not any(x["data"].get("conference") == "c14" for x in lines)
    alone = tmp_path / "alone"
    run(alone, "init")
    run(alone, "import", str(tmp_path / "c15.jsonl"))
    db = sqlite3.connect(Archive(alone).build().path)
    try:
        assert [r[0] for r in db.execute("select id from conferences")] == ["c15"]
        assert db.execute("select count(*) from speeches").fetchone()[0] == 1
    finally:
        db.close()


def test_one_conferences_export_records_a_speaker_another_one_first_recorded(tmp_path):
    """A speaker first recorded at an earlier conference: no line of the later one creates
    them, so its export records them on their own (`entity.recorded`, with the name in
    force after a correction), and it imports into an empty archive."""
    src = tmp_path / "src"
    run(src, "init")
    run(src, "add", "conference", "--id", "m1", "--name", "First", "--source", "urn:r1")
    run(src, "add", "participant", "--kind", "person", "--name", "Ana Pira", "--id", "p1",
        "--source", "urn:r1")
    run(src, "correct", "p1", "--set", "name=Ana Pera", "--reason", "misspelt")
    run(src, "add", "conference", "--id", "m2", "--name", "Second", "--source", "urn:r2")
    run(src, "add", "speech", "--conference", "m2", "--speaker", "Ana Pera", "--quote", "Hi",
        "--source", "urn:r2")
    out = tmp_path / "m2.jsonl"
    run(src, "export", "--conference", "m2", "-o", str(out))
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["type"] for x in lines] == ["conference.held", "entity.recorded",
                                          "speech.delivered"]
    assert lines[1]["data"]["name"] == "Ana Pera"
    alone = tmp_path / "alone"
    run(alone, "init")
    run(alone, "import", str(out))
    assert run(alone, "import", str(out)).startswith("imported 0")
    db = sqlite3.connect(Archive(alone).build().path)
    try:
        assert db.execute("select e.name from speeches s join entities e on e.id = "
                          "s.speaker_id").fetchall() == [("Ana Pera",)]
    finally:
        db.close()


def test_an_imported_fact_citing_an_unrecorded_source_id_is_refused(tmp_path):
    root = tmp_path / "a"
    record(root, "c14")
    line = {"type": "note.recorded", "source": {"url": "report-9"},
            "data": {"conference": "c14", "text": "A note"}}
    (tmp_path / "x.jsonl").write_text(json.dumps(line) + "\n")
    before = (root / "events" / "events.jsonl").read_bytes()
    out = run(root, "import", str(tmp_path / "x.jsonl"), ok=False)
    assert out == ("Error: import line 1: field `source.url`: no source has the id "
                   "'report-9'; import its `source.cited` line first, or give a URL; nothing "
                   "was imported\n")
    assert (root / "events" / "events.jsonl").read_bytes() == before


def test_the_same_id_with_other_content_is_an_error_naming_both(tmp_path):
    root = tmp_path / "a"
    record(root, "c14")
    line = {"id": "c14", "type": "conference.held", "data": {"name": "Another summit"}}
    (tmp_path / "x.jsonl").write_text(json.dumps(line) + "\n")
    out = run(root, "import", str(tmp_path / "x.jsonl"), ok=False)
    assert out.startswith("Error: ") and "c14" in out
    assert "14th ECO Summit" in out and "Another summit" in out


def test_log_export_is_the_log_byte_for_byte(tmp_path):
    src = tmp_path / "astana"
    (src / "events").mkdir(parents=True)
    shutil.copyfile(REPO / "events" / "events.jsonl", src / "events" / "events.jsonl")
    run(src, "export", "--format", "log", "-o", str(tmp_path / "log.jsonl"))
    assert (tmp_path / "log.jsonl").read_bytes() == (REPO / "events" / "events.jsonl"
                                                     ).read_bytes()


def test_series_briefing_tells_each_summit_attendance_and_what_was_held(two):
    import subprocess

    a, b = two
    run(a, "pull", str(b), "--match", "auto")
    out = run(a, "briefing", "--series")
    assert "briefing-series.pdf" in out
    pdf = a / "exports" / "briefing-series.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "ECO Summit" in text and "14th ECO Summit" in text and "15th ECO Summit" in text
    # matched by name, not recorded as held: the briefing says which
    assert ("15th ECO Summit, foreseen for November 2023: the 15th ECO Summit in "
            "this archive matches it by name or date (no record says it was that meeting)"
            ) in " ".join(text.split())
    assert "no later conference in this archive matches it" in " ".join(text.split())
    # the attendance table: one row per country, a tick per conference it attended
    db = sqlite3.connect(Archive(a).build().path)
    try:
        expected = dict(db.execute(
            "select e.name, count(*) from participations p join entities e on "
            "e.id = p.entity_id where p.kind = 'country' group by e.name").fetchall())
    finally:
        db.close()
    rows = {line.split()[0]: line.count("✓") for line in text.splitlines()
            if line.strip() and line.split()[0] in expected}
    assert rows == expected
    unknown = run(a, "briefing", "--series", "G20", ok=False)
    assert unknown.startswith("Error: ") and "ECO Summit" in unknown
