"""Popolo out and back in (`exchange.popolo`, `exchange.popolo_import`): every export is
valid against the Popolo project's own JSON schemas (draft-03, `tests/popolo/draft-03`,
resolved offline), says what the database says (aliases, sources, roles, dates, links
that open the reader page), and comes back the same through `archive import --format
popolo` into an empty archive; bad input is one `Error:` line and nothing written."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from briefing_fixtures import SOURCE_URL, Draft, write_log
from click.testing import Result
from generated_archives import drafts, shapes
from helpers import examples, run_async
from hypothesis import HealthCheck, given, settings
from popolo_check import popolo_errors

from archive.app import Archive
from archive.core.events import Source, make_payload
from archive.exchange.links import reader_url
from archive.exchange.popolo import (
    MEETING_CLASSES,
    SPEECH_TITLES,
    UNTITLED_MEETING,
    popolo,
    post_id,
    split_text,
)
from archive.exchange.popolo_import import archive_id
from archive.store.log import Log, Pending

REPO = Path(__file__).resolve().parent.parent
BASE = "https://archive.example.org/popolo"

def exported(root: Path, base_url: str | None = BASE) -> dict[str, Any]:
    """The Popolo of an archive, built first."""
    return json.loads(popolo(Archive(root).build().path, base_url=base_url))


def shipped(astana_briefed: Path) -> dict[str, Any]:
    """The Popolo of the shipped archive (built already: nothing is written to it)."""
    return json.loads(popolo(astana_briefed / "exports" / "archive.db", base_url=BASE))


def rows(root: Path, sql: str) -> list[sqlite3.Row]:
    with closing(sqlite3.connect(root / "exports" / "archive.db")) as db:
        db.row_factory = sqlite3.Row
        return list(db.execute(sql))


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


# ---------------------------------------------------------------- the shipped archive


def test_the_shipped_archive_is_valid_popolo_and_the_check_can_fail(astana_briefed: Path):
    for base in (None, BASE):
        document = json.loads(popolo(astana_briefed / "exports" / "archive.db",
                                     base_url=base))
        assert popolo_errors(document) == []
        assert sum(map(len, document.values())) >= 89
    broken = json.loads(json.dumps(document))
    broken["persons"][0]["links"] = [{"note": "no url"}]
    broken["persons"][1]["links"] = [{"url": "not a uri"}]
    broken["memberships"][0]["start_date"] = "29 June 2015"
    broken["speeches"][0]["date"] = "2015-06-29"  # a day is not a date-time
    broken["events"][0]["attendees"] = "everyone"
    found = popolo_errors(broken)
    assert len(found) == 5, found
    assert any("'url' is a required property" in e for e in found)
    assert any("not a uri" in e for e in found)
    assert any("'2015-06-29' is not a 'date-time'" in e for e in found)


def test_persons_and_organisations_are_the_entities(astana_briefed: Path):
    document = shipped(astana_briefed)
    popolo_of = by_id(document["persons"] + document["organizations"])
    cited = {r["id"]: r["url"] for r in rows(astana_briefed, "select id, url from sources")}
    entities = rows(astana_briefed, "select e.*, v.source_url, v.source_locator from "
                                    "entities e join events v on v.id = e.first_event_id")
    assert {e["id"] for e in entities} | {o["id"] for o in document["organizations"]
                                          if o["id"].startswith("conference:")} \
        == set(popolo_of)
    assert {p["id"] for p in document["persons"]} == \
        {e["id"] for e in entities if e["kind"] == "person"}
    for e in entities:
        item = popolo_of[e["id"]]
        assert item["name"] == e["name"]
        names = [o["name"] for o in item.get("other_names", []) if "note" not in o]
        assert names == json.loads(e["aliases"])
        shorts = [o["name"] for o in item.get("other_names", []) if "note" in o]
        assert shorts == ([e["short_name"]] if e["short_name"] else [])
        if e["kind"] != "person":
            assert item["classification"] == (
                "country" if e["kind"] == "country" else e["category"] or "organisation")
        # its source: the first mention's (a source cited by id, by its own URL)
        first = {"url": cited.get(e["source_url"], e["source_url"]),
                 "note": e["source_locator"]}
        assert item["sources"] == [first]
        assert item["links"] == [{"url": reader_url(BASE, "entities", e["id"]),
                                  "note": "archive page"}]
    osce = next(o for o in document["organizations"] if o["name"].startswith(
        "Organization for Security"))
    assert osce["other_names"] == [
        {"name": "Organisation for Security and Cooperation in Europe"},  # before its fix
        {"name": "OSCE", "note": "short name"}]


def test_every_link_opens_the_reader_page_of_what_it_names(astana_briefed: Path):
    from archive.serve.server import make_datasette

    document = shipped(astana_briefed)
    ds = make_datasette(astana_briefed / "exports" / "archive.db", astana_briefed)
    links = [(key, item["id"], link["url"]) for key in ("persons", "organizations",
                                                       "memberships")
             for item in document[key] for link in item.get("links", [])]
    assert len(links) == sum(len(document[k]) for k in ("persons", "organizations",
                                                        "memberships"))
    for key, ident, url in links:
        assert url.startswith(BASE + "/archive/")
        path = url[len(BASE):]
        table = {"persons": "entities", "memberships": "participations"}.get(key)
        if ident.startswith("conference:"):
            table, ident = "conferences", ident.removeprefix("conference:")
        assert path == f"/archive/{table or 'entities'}/{ident}"
        response = run_async(ds.client.get(path + ".json?_shape=objects"))
        assert response.status_code == 200, path
        assert [r["id"] for r in response.json()["rows"]] == [ident]
    plain = json.loads(popolo(astana_briefed / "exports" / "archive.db"))
    assert not [item for items in plain.values() for item in items if "links" in item]


def test_memberships_are_the_participations(astana_briefed: Path):
    document = shipped(astana_briefed)
    conferences = by_id([dict(r) for r in rows(astana_briefed, "select * from conferences")])
    parts = rows(astana_briefed, "select * from participations order by event_seq")
    assert [m["id"] for m in document["memberships"]] == [p["id"] for p in parts]
    for m, p in zip(document["memberships"], parts, strict=True):
        c = conferences[p["conference_id"]]
        assert m["organization_id"] == f"conference:{c['id']}"
        if p["kind"] == "person":
            assert m["person_id"] == p["entity_id"] and "member" not in m
        else:
            assert m["member"] == {"@type": "Organization", "id": p["entity_id"]}
        assert m.get("role") == p["role"]
        assert m["label"] == p["status"]
        assert m.get("post_id") == (post_id(m["organization_id"], p["role"])
                                    if p["role"] and p["kind"] == "person" else None)
        assert m.get("on_behalf_of_id") == (p["affiliation_id"] or p["country_id"])
        assert (m.get("start_date"), m.get("end_date")) == (c["start"], c["end"] or c["start"])
        assert m["sources"] == [{"url": p["source_url"], "note": p["source_locator"]}]
    massimov = next(m for m in document["memberships"] if m.get("role") == "Prime Minister")
    assert massimov["post_id"] == "conference:astana15/post/prime-minister"
    held: dict[str, dict[str, str]] = {}  # each post a person's role names, first recorded
    for m, p in zip(document["memberships"], parts, strict=True):
        if "post_id" in m:
            held.setdefault(m["post_id"], {"id": m["post_id"], "label": p["role"],
                                           "role": p["role"],
                                           "organization_id": m["organization_id"]})
    assert document["posts"] == list(held.values())
    assert len(held) == len({(p["conference_id"], p["role"].casefold()) for p in parts
                             if p["role"] and p["kind"] == "person"}) > 1


def test_speeches_are_the_speeches(astana_briefed: Path):
    document = shipped(astana_briefed)
    speeches = rows(astana_briefed, "select * from speeches order by event_seq")
    quotes: dict[str, list[str]] = {}
    for q in rows(astana_briefed, "select speech_id, text from quotes order by n"):
        quotes.setdefault(q["speech_id"], []).append(q["text"])
    assert [s["id"] for s in document["speeches"]] == [s["id"] for s in speeches]
    events = by_id(document["events"])
    for n, (item, s) in enumerate(zip(document["speeches"], speeches, strict=True), 1):
        assert item["creator_id"] == s["speaker_id"]
        assert item["event_id"] == (s["session_id"] or s["conference_id"])
        assert item["event_id"] in events
        assert item["title"] == SPEECH_TITLES[s["kind"]]
        assert item.get("role") == s["role"]
        assert split_text(item.get("text")) == (s["summary"], quotes.get(s["id"], []))
        assert item["position"] == n
        # nothing records a recording, a day is no date-time, Popolo has no language
        assert not {"audio", "video", "date", "language"} & set(item)
    assert {e["classification"] for e in document["events"]} == {"conference", "panel"}


# ---------------------------------------------------------------- merges, fixes, video

RICH: list[Draft] = [
    ("conf", "conference.held", {"name": "Summit on Water", "place": "Dushanbe",
                                 "start": "2031-05-01", "end": "2031-05-02"}, None, "p1"),
    ("s1", "session.held", {"conference": "conf", "title": "Plenary", "kind": "plenary",
                            "day": "2031-05-01"}, None, "p1"),
    ("s2", "session.held", {"conference": "conf", "title": "Panel on rivers",
                            "parent": "s1", "description": "Rivers."}, None, "p2"),
    ("a-tj", "participant.attended", {"conference": "conf", "entity": "tj",
                                      "kind": "country", "name": "Tajikistan",
                                      "status": "host"}, None, "p2"),
    ("a-un", "participant.attended", {"conference": "conf", "entity": "un",
                                      "kind": "organisation", "name": "United Nations",
                                      "short_name": "UN", "category": "international body",
                                      "status": "observer"}, None, "p2"),
    ("a-ali", "participant.attended", {"conference": "conf", "entity": "p1",
                                       "kind": "person", "name": "Mohammed Ali",
                                       "role": "Prime Minister", "country": "tj"},
     None, "p3"),
    ("a-dup", "participant.attended", {"conference": "conf", "entity": "p2",
                                       "kind": "person", "name": "Muhammad Ali",
                                       "role": "Envoy", "affiliation": "un"}, None, "p4"),
    ("merge", "entities.merged", {"kept": "p1", "merged": "p2"}, None, "p5"),
    ("fix", "event.corrected", {"target": "a-ali", "changes": {"name": "Mohammed Ali Khan"}},
     None, "p6"),
    ("a-pera", "participant.attended", {"conference": "conf", "entity": "p3",
                                        "kind": "person", "name": "Ana Pera",
                                        "role": "Secretary-General", "affiliation": "un"},
     None, "p7"),
    ("rec-pera", "entity.recorded", {"entity": "p3", "kind": "person", "name": "Ana Pera",
                                     "aliases": ["A. Pera"]}, None, "p8"),
    ("sp2", "speech.delivered", {"conference": "conf", "speaker": "un", "kind": "statement",
                                 "summary": "A paragraph.\n\nAnother."}, "2031-05-01", "p9"),
    ("mt", "meeting.held", {"conference": "conf", "participants": ["p1", "p3", "un"],
                            "session": "s2", "outcome": "Agreed to meet again."},
     "2031-05-02T15:00", "p10"),
]


def rich_archive(root: Path) -> Path:
    """A log with a merge, a corrected name, a record of its own, a nested session, a
    side meeting, a speech cited by a recorded video and a fact whose source has no URL."""
    log = write_log(root, RICH)
    log.append([
        Pending("vid", "source.cited", make_payload("source.cited", {
            "title": "The opening, on video", "url": "https://video.example.org/opening",
            "kind": "video"}), None, None),
        Pending("note-src", "source.cited", make_payload("source.cited", {
            "title": "A briefing note", "kind": "official"}), None, None),
        Pending("sp1", "speech.delivered", make_payload("speech.delivered", {
            "conference": "conf", "speaker": "p1", "kind": "opening", "session": "s1",
            "role": "Prime Minister", "summary": "Opened the summit.",
            "quotes": ["Water is peace."]}), "2031-05-01T09:30+05:00",
            Source(url="vid", locator="00:01:10")),
        Pending("a-li", "participant.attended", make_payload("participant.attended", {
            "conference": "conf", "entity": "p4", "kind": "person", "name": "Li Wei"}),
            None, Source(url="note-src")),
    ], recorded_at="2031-06-01T00:00:00Z", recorded_by="tests")
    return root


def test_merges_fixes_records_meetings_and_a_video_say_what_the_record_says(tmp_path: Path):
    root = rich_archive(tmp_path / "rich")
    document = exported(root)
    assert popolo_errors(document) == []
    people = by_id(document["persons"])
    (aliases,) = rows(root, "select aliases from entities where id = 'p1'")[0]
    assert [o["name"] for o in people["p1"]["other_names"]] == json.loads(aliases) == [
        "Muhammad Ali", "Mohammed Ali"]
    assert people["p1"]["name"] == "Mohammed Ali Khan"
    # its first mention, the merge that joined the other spelling in, the fix of its name
    assert people["p1"]["sources"] == [{"url": SOURCE_URL, "note": n}
                                       for n in ("p3", "p5", "p6")]
    # a record of its own: the other names it gives (`entity_records`, not `entities`)
    assert [json.loads(r["aliases"]) for r in rows(root, "select aliases from entities "
                                                        "where id = 'p3' union all select "
                                                        "aliases from entity_records")] \
        == [[], ["A. Pera"]]
    assert people["p3"]["other_names"] == [{"name": "A. Pera"}]
    assert people["p3"]["sources"] == [{"url": SOURCE_URL, "note": n} for n in ("p7", "p8")]
    assert "sources" not in people["p4"]  # its source has no URL
    memberships = by_id(document["memberships"])
    assert memberships["a-dup"]["person_id"] == "p1"  # the merged record's participation
    assert memberships["a-dup"]["on_behalf_of_id"] == "un"
    assert memberships["a-ali"]["on_behalf_of_id"] == "tj"
    assert memberships["a-un"]["label"] == "observer"
    events = by_id(document["events"])
    assert events["s2"]["parent_id"] == "s1" and events["s1"]["parent_id"] == "conf"
    assert events["mt"] == {
        "id": "mt", "name": UNTITLED_MEETING, "classification": MEETING_CLASSES["bilateral"],
        "description": "Agreed to meet again.", "start_date": "2031-05-02",
        "parent_id": "s2", "attendees": [{"id": "p1", "name": "Mohammed Ali Khan"},
                                         {"id": "p3", "name": "Ana Pera"},
                                         {"id": "un", "name": "United Nations"}],
        "sources": [{"url": SOURCE_URL, "note": "p10"}]}
    speeches = by_id(document["speeches"])
    video = "https://video.example.org/opening"
    assert speeches["sp1"]["video"] == video
    assert speeches["sp1"]["sources"] == [{"url": video, "note": "00:01:10"}]
    assert speeches["sp1"]["date"] == "2031-05-01T09:30:00+05:00"
    assert speeches["sp1"]["text"] == "Opened the summit.\n\n“Water is peace.”"
    assert speeches["sp2"]["creator_id"] == "un" and "date" not in speeches["sp2"]
    assert split_text(speeches["sp2"]["text"]) == ("A paragraph.\n\nAnother.", [])
    assert not [s for s in document["speeches"] if "audio" in s]


def test_the_rich_archive_comes_back_the_same(tmp_path: Path, run_cli: Callable[..., Result]):
    root = rich_archive(tmp_path / "rich")
    first = round_trip(root, tmp_path / "back", run_cli)
    assert first["speeches"] and first["events"]


# ---------------------------------------------------------------- the round trip


def round_trip(root: Path, fresh: Path, run_cli: Callable[..., Result]) -> dict[str, Any]:
    """Export, import into an empty archive, export again: the same bytes. A second
    import writes nothing. Returns the document."""
    Archive(root).build()
    out = fresh.parent / f"{fresh.name}.popolo.json"
    assert run_cli("export", "--format", "popolo", "--base-url", BASE, "-o", str(out),
                   root=root).exit_code == 0
    assert run_cli("init", root=fresh).exit_code == 0
    imported = run_cli("import", "--format", "popolo", str(out), root=fresh)
    assert imported.exit_code == 0, imported.output
    again = fresh.parent / f"{fresh.name}.again.json"
    assert run_cli("export", "--format", "popolo", "--base-url", BASE, "-o", str(again),
                   root=fresh).exit_code == 0
    assert again.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")
    log = Log(fresh).path.read_bytes()
    second = run_cli("import", "--format", "popolo", str(out), root=fresh)
    assert second.exit_code == 0 and "recorded nothing new" in second.output
    assert Log(fresh).path.read_bytes() == log
    assert run_cli("verify", root=fresh).exit_code == 0
    document: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return document


def test_the_shipped_archive_comes_back_the_same(astana_briefed: Path, tmp_path: Path,
                                                 run_cli: Callable[..., Result]):
    root = tmp_path / "astana"
    (root / "events").mkdir(parents=True)
    shutil.copyfile(astana_briefed / "events" / "events.jsonl",
                    root / "events" / "events.jsonl")
    document = round_trip(root, tmp_path / "back", run_cli)
    assert run_cli("init", root=tmp_path / "third").exit_code == 0
    said = run_cli("import", "--format", "popolo",
                   str(tmp_path / "back.popolo.json"), root=tmp_path / "third")
    assert said.stdout.splitlines() == [
        f"recorded {len(document['persons']) + len(document['organizations']) - 1} people "
        f"and organisations, 1 conference, 9 sessions, {len(document['memberships'])} "
        f"memberships and {len(document['speeches'])} speeches"]


@pytest.mark.slow
@settings(max_examples=examples(20), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shapes())
def test_generated_archives_are_valid_popolo_and_come_back_the_same(
        tmp_path_factory: pytest.TempPathFactory, run_cli: Callable[..., Result],
        shape: Any):
    tmp = tmp_path_factory.mktemp("generated")
    write_log(tmp / "a", drafts(shape))
    document = exported(tmp / "a")
    assert popolo_errors(document) == []
    assert len(document["memberships"]) == shape.countries + shape.organisations + \
        shape.people
    assert len(document["speeches"]) == shape.speeches
    round_trip(tmp / "a", tmp / "b", run_cli)


# ---------------------------------------------------------------- files from elsewhere

GOOD: dict[str, Any] = {
    "persons": [{"id": "ana", "name": "Ana Pera"}],
    "organizations": [{"id": "conference:c1", "name": "Participants of C",
                       "classification": "conference"}],
    "events": [{"id": "c1", "name": "Summit C", "classification": "conference",
                "organization_id": "conference:c1", "start_date": "2031-05-01"}],
    "memberships": [{"id": "m1", "person_id": "ana", "organization_id": "conference:c1"}],
    "speeches": [{"id": "sp", "creator_id": "ana", "event_id": "c1", "text": "Hello."}],
}


def _with(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    document = json.loads(json.dumps(GOOD))
    change(document)
    return document


BAD = {
    "not an object": ([GOOD], "not a Popolo document"),
    "no Popolo lists": ({"name": "x"}, "not a Popolo document"),
    "persons not a list": (_with(lambda d: d.update(persons={"id": "ana"})),
                           "Popolo `persons` is not a list"),
    "a person with no name": (_with(lambda d: d["persons"][0].pop("name")),
                              "Popolo persons[0] ('ana'): has no `name`"),
    "an id twice": (_with(lambda d: d["persons"].append({"id": "ana", "name": "A. P."})),
                    "Popolo persons[1] ('ana'): the id 'ana' is given twice"),
    "a missing person": (_with(lambda d: d["memberships"][0].update(person_id="ghost")),
                         "Popolo memberships[0] ('m1'): person 'ghost' is not one of the "
                         "file's persons or organizations"),
    "a missing body": (_with(lambda d: d["memberships"][0].update(organization_id="nope")),
                       "`organization_id` 'nope' is not one of the file's organizations"),
    "a speech with no creator": (_with(lambda d: d["speeches"][0].pop("creator_id")),
                                 "Popolo speeches[0] ('sp'): has no `creator_id`"),
    "a speech at no event": (_with(lambda d: d["speeches"][0].update(event_id="x")),
                             "`event_id` 'x' is not one of the file's events"),
    "parents in a circle": (_with(lambda d: d["events"].extend([
        {"id": "e1", "name": "One", "parent_id": "e2"},
        {"id": "e2", "name": "Two", "parent_id": "e1"}])), "go round in a circle"),
    "a meeting with nobody": (_with(lambda d: d["events"].append(
        {"id": "mt", "name": "Talk", "classification": "bilateral meeting",
         "parent_id": "c1"})), "a side meeting needs who took part"),
    "a source that is no URL": (_with(lambda d: d["speeches"][0].update(
        sources=[{"url": "the-report"}])), "a source's `url` is not a URL: 'the-report'"),
    "a post with no id": (_with(lambda d: d.update(posts=[{"label": "Chair"}])),
                          "Popolo posts[0]: has no `id`"),
    "a post id twice": (_with(lambda d: d.update(posts=[{"id": "p", "label": "Chair"},
                                                        {"id": "p", "label": "Host"}])),
                        "Popolo posts[1] ('p'): the id 'p' is given twice"),
    "a date the archive refuses": (_with(lambda d: d["events"][0].update(
        start_date="29 June 2031")), "Popolo events[0] ('c1'): "),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_popolo_is_one_error_and_nothing_is_written(
        name: str, tmp_path: Path, run_cli: Callable[..., Result],
        log_bytes: Callable[[], bytes]):
    document, words = BAD[name]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    before = log_bytes()
    result = run_cli("import", "--format", "popolo", str(path))
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: ") and words in line, line
    assert line.endswith("nothing was imported")
    assert log_bytes() == before


def test_good_popolo_imports(tmp_path: Path, run_cli: Callable[..., Result]):
    path = tmp_path / "good.json"
    path.write_text(json.dumps(GOOD), encoding="utf-8")
    result = run_cli("import", "--format", "popolo", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout == ("recorded 1 people and organisations, 1 conference, "
                             "1 membership and 1 speech\n")


def test_a_file_from_elsewhere_keeps_what_the_archive_can_hold(
        tmp_path: Path, run_cli: Callable[..., Result], archive_dir: Path):
    known = run_cli("add", "participant", "--kind", "person", "--name", "Karim Massimov")
    massimov = re.search(r"new person 'Karim Massimov' \((\w+)\)", known.stderr)
    assert massimov is not None
    document = {
        "persons": [{"id": "ocd-person/1a", "name": "Karim Massimov"},
                    {"id": "ocd-person/2b", "name": "Aigerim Bekova",
                     "other_names": [{"name": "A. Bekova"}],
                     "sources": [{"url": "https://parliament.example.kz/1", "note": "a"},
                                 {"url": "https://parliament.example.kz/2"}]}],
        "organizations": [{"id": "party/1", "name": "Nur Otan", "classification": "party"}],
        "memberships": [{"person_id": "ocd-person/2b", "organization_id": "party/1",
                         "role": "member"}],
        "posts": [{"id": "seat-1", "label": "Member for Astana"}],
        "areas": [{"id": "kz", "name": "Kazakhstan"}],
    }
    path = tmp_path / "members.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = run_cli("import", "--format", "popolo", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "recorded 3 people and organisations",
        "left out 1 memberships of organizations that are not a conference's "
        "participants: the archive records taking part in a conference",
        "left out 1 posts that no membership of a conference holds: the archive records "
        "a post as the role of who held it",
        "left out 1 areas: the archive has no place for them"]
    Archive(archive_dir).build()
    bekova = archive_id("ocd-person/2b")
    assert re.fullmatch(r"popolo-ocd-person-2b-[0-9a-f]{12}", bekova)
    found = {r["id"]: dict(r) for r in rows(archive_dir, "select * from entities")}
    assert found[bekova]["name"] == "Aigerim Bekova"
    assert json.loads(found[bekova]["aliases"]) == ["A. Bekova"]
    assert found[archive_id("party/1")]["category"] == "party"
    assert [r["entity_id"] for r in rows(archive_dir, "select entity_id from "
                                                      "entity_records order by event_seq")
            ] == [massimov[1], bekova, bekova, archive_id("party/1")]
    assert len([e for e in found.values() if e["name"] == "Karim Massimov"]) == 1
    again = run_cli("import", "--format", "popolo", str(path))
    assert again.stdout.splitlines()[0] == "recorded nothing new"


def test_a_membership_without_a_role_has_the_role_of_its_post(
        tmp_path: Path, run_cli: Callable[..., Result]):
    root = rich_archive(tmp_path / "rich")
    document = exported(root)
    posted = [m for m in document["memberships"] if "post_id" in m]
    assert posted and document["posts"]
    for m in posted:
        del m["role"]
    for post in document["posts"]:
        post["role"] = post["role"].upper()  # what the post says, not the export's own
    path = tmp_path / "posts.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert run_cli("init", root=tmp_path / "fresh").exit_code == 0
    result = run_cli("import", "--format", "popolo", str(path), root=tmp_path / "fresh")
    assert result.exit_code == 0, result.output
    assert "post" not in result.stdout  # every post is held: none left out
    roles = {m["id"]: m["role"] for m in exported(tmp_path / "fresh")["memberships"]
             if "role" in m}
    posts = {p["id"]: p["role"] for p in document["posts"]}
    assert roles == {archive_id(m["id"]): posts[m["post_id"]] for m in posted}


def test_an_export_into_the_archive_it_came_from_is_refused(
        astana_briefed: Path, tmp_path: Path, run_cli: Callable[..., Result]):
    """Its conference is already there with what the export leaves out (organisers,
    topics...): a conflict, and nothing written."""
    root = tmp_path / "astana"
    (root / "events").mkdir(parents=True)
    shutil.copyfile(astana_briefed / "events" / "events.jsonl",
                    root / "events" / "events.jsonl")
    out = tmp_path / "p.json"
    assert run_cli("export", "--format", "popolo", "-o", str(out), root=root).exit_code == 0
    before = Log(root).path.read_bytes()
    result = run_cli("import", "--format", "popolo", str(out), root=root)
    assert result.exit_code == 1
    assert "id astana15 is already recorded" in result.stderr
    assert Log(root).path.read_bytes() == before
