"""Following an archive and exchanging it (issue 11): the Atom feed of new facts served by
a real `datasette`, the follow-ups as an iCalendar file, and the Popolo export."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from icalendar import Calendar
from popolo_check import popolo_errors
from servers import http, start
from test_series import record, run

from archive.app import Archive
from archive.cli import cli

REPO = Path(__file__).resolve().parent.parent
ATOM = "{http://www.w3.org/2005/Atom}"


def feed_ids(root: Path, query: str = "") -> list[str]:
    Archive(root).build()
    proc, url = start(root)
    try:
        status, body = http(f"{url}/archive/feed.atom{query}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert status == 200, body
    feed = ET.fromstring(body.encode())
    return [e.findtext(f"{ATOM}id") or "" for e in feed.iter(f"{ATOM}entry")]


@pytest.mark.slow
def test_the_feed_gains_one_entry_per_new_fact_and_keeps_its_ids(tmp_path: Path):
    root = tmp_path / "a"
    record(root, "c14")
    before = feed_ids(root)
    assert len(before) == len(set(before)) == Archive(root).build().seq
    run(root, "add", "note", "--text", "The next summit was confirmed.")
    after = feed_ids(root)
    assert len(after) == len(before) + 1
    assert after[1:] == before  # newest first; the old entries keep their ids
    assert after[0].startswith("tag:conference-archive,2015:event:")
    # one conference's feed: only its facts
    b = tmp_path / "b"
    record(b, "c15")
    run(root, "pull", str(b), "--match", "auto")
    ours = feed_ids(root, "?conference=c15")
    everything = feed_ids(root)
    assert 0 < len(ours) < len(everything) and set(ours) <= set(everything)


def test_followups_as_a_calendar_with_stable_uids(tmp_path: Path):
    root = tmp_path / "a"
    record(root, "c14")
    run(root, "add", "followup", "--name", "Ministerial meeting", "--when", "2022-03-14",
        "--where", "Tashkent")
    run(root, "add", "followup", "--name", "Someday", "--where", "Almaty")  # no date
    run(root, "export", "--format", "ics", "-o", str(tmp_path / "one.ics"))
    cal = Calendar.from_ical((tmp_path / "one.ics").read_bytes())
    events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {"15th ECO Summit", "Ministerial meeting"}
    meeting = events["Ministerial meeting"]
    assert meeting.decoded("dtstart").isoformat() == "2022-03-14"
    assert str(meeting["location"]) == "Tashkent"
    month = events["15th ECO Summit"]
    assert month.decoded("dtstart").isoformat() == "2023-11-01"
    assert month.decoded("dtend").isoformat() == "2023-12-01"
    # another follow-up later: the earlier entries keep their UIDs (and their bytes)
    run(root, "add", "followup", "--name", "Expert group", "--when", "2024")
    run(root, "export", "--format", "ics", "-o", str(tmp_path / "two.ics"))
    again = {str(e["summary"]): str(e["uid"])
             for e in Calendar.from_ical((tmp_path / "two.ics").read_bytes()).walk("VEVENT")}
    assert {k: str(v["uid"]) for k, v in events.items()}.items() <= again.items()
    assert len(set(again.values())) == 3
    run(root, "export", "--format", "ics", "-o", str(tmp_path / "three.ics"))
    assert (tmp_path / "three.ics").read_bytes() == (tmp_path / "two.ics").read_bytes()


def test_popolo_export_validates_and_holds_the_archive(tmp_path: Path):
    src = tmp_path / "astana"
    (src / "events").mkdir(parents=True)
    shutil.copyfile(REPO / "events" / "events.jsonl", src / "events" / "events.jsonl")
    run(src, "export", "--format", "popolo", "-o", str(tmp_path / "p.json"))
    doc = json.loads((tmp_path / "p.json").read_text())
    assert popolo_errors(doc) == []
    import sqlite3

    db = sqlite3.connect(Archive(src).build().path)
    try:
        people = db.execute("select count(distinct entity_id) from participations "
                            "where kind = 'person'").fetchone()[0]
        speeches = db.execute("select count(*) from speeches").fetchone()[0]
        parts = db.execute("select count(*) from participations").fetchone()[0]
    finally:
        db.close()
    assert len(doc["persons"]) == people
    assert len(doc["speeches"]) == speeches and len(doc["memberships"]) == parts
    ids = {p["id"] for p in doc["persons"]} | {o["id"] for o in doc["organizations"]}
    for m in doc["memberships"]:
        assert m["organization_id"] in ids
        assert m.get("person_id", m.get("member", {}).get("id")) in ids
    osce = next(o for o in doc["organizations"] if o["name"].startswith("Organization for "
                                                                        "Security"))
    assert {"name": "OSCE", "note": "short name"} in osce["other_names"]
    massimov = next(s for s in doc["speeches"] if s["attribution_text"] == "Karim Massimov")
    assert "“We have to join our forces" in massimov["text"]
    assert massimov["sources"][0]["url"].startswith("https://astanatimes.com/")
    # a broken document fails the schema: the check can fail
    doc["memberships"][0]["start_date"] = "the first day"
    assert popolo_errors(doc) == ["memberships[0] ['start_date']: 'the first day' does not "
                                  "match '^[0-9]{4}((-[0-9]{2}){0,2}|(-[0-9]{2}){2}T[0-9]{2}"
                                  "(:[0-9]{2}){0,2}(Z|[+-][0-9]{2}(:[0-9]{2})?))$'"]


def test_popolo_import_records_people_that_later_mentions_resolve_to(tmp_path: Path):
    src = tmp_path / "astana"
    (src / "events").mkdir(parents=True)
    shutil.copyfile(REPO / "events" / "events.jsonl", src / "events" / "events.jsonl")
    run(src, "export", "--format", "popolo", "-o", str(tmp_path / "p.json"))
    doc = json.loads((tmp_path / "p.json").read_text())
    fresh = tmp_path / "fresh"
    run(fresh, "init")
    out = run(fresh, "import", "--format", "popolo", str(tmp_path / "p.json"))
    bodies = [o for o in doc["organizations"] if o.get("classification") != "conference"]
    assert f"recorded {len(doc['persons']) + len(bodies)} people and organisations" in out
    log = (fresh / "events" / "events.jsonl").read_bytes()
    again = run(fresh, "import", "--format", "popolo", str(tmp_path / "p.json"))
    assert "recorded nothing new" in again
    assert (fresh / "events" / "events.jsonl").read_bytes() == log
    run(fresh, "add", "conference", "--name", "A later conference")
    said = run(fresh, "add", "speech", "--speaker", "Karim Massimov", "--summary", "Spoke.")
    assert "speaker: known person 'Karim Massimov'" in said
    osce = run(fresh, "add", "participant", "--kind", "organisation", "--name", "OSCE")
    assert "known organisation" in osce or "OSCE" in osce
    import sqlite3

    db = sqlite3.connect(Archive(fresh).build().path)
    try:
        people = db.execute("select count(*) from entities where kind = 'person'").fetchone()
        assert people == (len(doc["persons"]),)  # no duplicate of the speaker
        kazakhstan = db.execute("select kind from entities where name = 'Kazakhstan'"
                                ).fetchall()
        assert kazakhstan == [("country",)]
    finally:
        db.close()
    bad = CliRunner().invoke(cli, ["--archive", str(fresh), "import", "--format", "popolo",
                                   str(REPO / "README.md")])
    assert bad.exit_code == 1 and bad.output.startswith("Error: ")
