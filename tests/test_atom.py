"""The Atom feeds (`archive.exchange.atom`, served by `serve/plugins/archive_feeds.py`):
valid against RFC 4287's own RELAX NG schema (appendix B, `tests/atom/atom.rnc`) and its
Schematron rules, read without complaint by feedparser, and true to the database: each
entry says what its fact says now, links to the fact's reader page (which a real
`datasette` serves), names who spoke, proposed or cited it, and dates it as the record
does. Two archives: the shipped one, and a small one with every kind of event (a
correction, a retraction, merges, hostile text); and generated histories (agreement
statuses corrected, follow-ups held as postponed conferences, commitments rescheduled,
speeches and notes corrected or retracted, each event at its own time in the log), whose
every entry is checked against the tables."""

from __future__ import annotations

import html
import json
import re
import sqlite3
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest
import rnc2rng
from briefing_fixtures import SOURCE_URL, Draft
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from lxml import html as lxml_html
from servers import http, start
from test_statements_properties import generated
from test_statements_properties import histories as statement_histories

from archive.app import Archive
from archive.cli import cli
from archive.core.events import Source, make_payload
from archive.exchange import atom
from archive.statements import AGREED, agreement_status
from archive.store.log import Log, Pending

NS = {"atom": "http://www.w3.org/2005/Atom"}
SCHEMA = Path(__file__).resolve().parent / "atom" / "atom.rnc"
SCHEMATRON = "{http://www.ascc.net/xml/schematron}"
BASE = "https://archive.example.org/astana"
RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
                     r"(Z|[+-][0-9]{2}:[0-9]{2})")
HOSTILE = "We meet <script>alert(1)</script> ]]> & \ufffe\uffff here."


# ---------------------------------------------------------------- checking a feed


@pytest.fixture(scope="module")
def schema() -> tuple[etree.RelaxNG, list[tuple[str, str, str]]]:
    """RFC 4287's schema, converted from the compact syntax, and its Schematron rules."""
    text = rnc2rng.dumps(rnc2rng.load(str(SCHEMA)))
    # the grammar names the empty namespace `local`; XML cannot bind a prefix to it, and
    # the converted grammar uses `ns=""` wherever it means it
    grammar = etree.fromstring(re.sub(r'\s+xmlns:local=""', "", text).encode())
    rules = [(rule.get("context"), check.get("test"), " ".join(check.text.split()))
             for rule in grammar.iter(f"{SCHEMATRON}rule") for check in rule]
    assert len(rules) == 3  # the feed's author rule and the entry's two
    return etree.RelaxNG(grammar), rules


def valid(body: bytes, schema: tuple[etree.RelaxNG, list[tuple[str, str, str]]]
          ) -> tuple[etree._Element, Any]:
    """The feed, checked: the schema, its rules, RFC 3339 dates, unique ids, feedparser."""
    relaxng, rules = schema
    doc = etree.fromstring(body)
    assert relaxng.validate(doc), relaxng.error_log
    for context, test, message in rules:
        for node in doc.xpath(f"//{context}", namespaces=NS):
            assert node.xpath(f"boolean({test})", namespaces=NS), message
    for when in doc.xpath("//atom:published/text() | //atom:updated/text()", namespaces=NS):
        assert RFC3339.fullmatch(when), when
    ids = doc.xpath("atom:entry/atom:id/text()", namespaces=NS)
    assert len(ids) == len(set(ids))
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return doc, parsed


def by_event(doc: etree._Element) -> dict[str, etree._Element]:
    """The entries by the id of their event."""
    return {e.findtext("atom:id", namespaces=NS).rsplit(":", 1)[1]: e
            for e in doc.iterfind("atom:entry", NS)}


def text(entry: etree._Element, tag: str) -> str:
    return entry.findtext(f"atom:{tag}", namespaces=NS) or ""


def to_rfc3339(value: str) -> str:
    """A recorded date as the feed must date it (the shapes the test archives hold)."""
    if value.endswith("Z"):
        return value
    return {4: value + "-01-01", 7: value + "-01", 10: value}[len(value)] + "T00:00:00Z"


def rows(db_path: Path, sql: str, *args: object) -> list[sqlite3.Row]:
    with sqlite3.connect(db_path) as db:
        db.row_factory = sqlite3.Row
        return list(db.execute(sql, args))


#: When each event happened (its `at`, else the fact's own date, else its conference's
#: first day; a fix happens in the log) and when it last changed in the log.
DATES = """select e.id, coalesce(e.at, (select day from sessions where id = e.id),
  (select published from sources where id = e.id),
  case when e.type in ('event.corrected', 'event.retracted', 'entities.merged',
                       'entities.unmerged') then e.recorded_at end,
  (select start from conferences where id = coalesce(json_extract(e.data, '$.conference'),
                                                     e.id)),
  e.recorded_at) as published,
  (select max(t) from (select e.recorded_at as t union all
                       select recorded_at from revisions where target_event_id = e.id))
  as updated
from events e"""


# ---------------------------------------------------------------- the archives


@pytest.fixture(scope="module")
def shipped(astana_briefed: Path) -> Path:
    return astana_briefed / "exports" / "archive.db"


def cli_ok(root: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--archive", str(root), "--recorder", "tests", *args],
                                catch_exceptions=False)
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


S = ["--source", "src"]
EVERY = [
    ["add", "source", "--id", "src", "--title", "Report", "--url", "https://example.org/r",
     "--publisher", "Wire", "--published", "2031-03-05"],
    ["add", "conference", "--id", "k1", "--name", "Example Summit", "--place", "Utopia",
     "--start", "2031-03-01", "--end", "2031-03-02", *S, "--locator", "p1"],
    ["add", "conference", "--id", "k2", "--name", "Quiet Meeting", "--start", "2032-01-01",
     *S],
    ["add", "conference", "--id", "k3", "--name", "Empty Meeting", "--start", "2033", *S],
    ["add", "session", "--conference", "k1", "--id", "s-open", "--title", "Opening",
     "--day", "2031-03-01", *S],
    ["add", "participant", "--conference", "k1", "--id", "p-uto", "--kind", "country",
     "--name", "Utopia", "--status", "host", *S],
    ["add", "participant", "--conference", "k1", "--id", "p-ana", "--kind", "person",
     "--name", "Ana Pera", "--role", "Foreign Minister", "--country", "Utopia", *S],
    ["add", "participant", "--conference", "k1", "--id", "p-jo", "--kind", "person",
     "--name", "Jo Marsh", *S],
    ["add", "participant", "--conference", "k1", "--id", "p-jo2", "--kind", "person",
     "--name", "Joanne Marsh", "--new", *S],
    ["add", "speech", "--conference", "k1", "--id", "sp-ana", "--speaker", "Ana Pera",
     "--session", "s-open", "--at", "2031-03-01T10:30+06:00", "--quote", HOSTILE,
     "--source", "javascript:alert(1)"],
    ["add", "proposal", "--conference", "k1", "--id", "pr1", "--text",
     "A fund for <b>everyone</b> & more", "--proposer", "Ana Pera", *S],
    ["add", "agreement", "--conference", "k1", "--id", "ag1", "--title", "Pact",
     "--status", "proposed", "--party", "Utopia", *S],
    ["add", "agreement", "--conference", "k1", "--id", "ag2", "--title", "Declaration",
     "--party", "Utopia", "--item", "Do good", *S],
    ["add", "figure", "--conference", "k1", "--id", "fi1", "--value", "12", "--counts",
     "ministers present", "--cited-by", "Ana Pera", *S],
    ["add", "followup", "--conference", "k1", "--id", "fu1", "--name", "Next summit",
     "--when", "2032-01", "--where", "Utopia", *S],
    ["add", "followup-held", "--conference", "k1", "--id", "fh1", "--followup", "fu1",
     "--as", "k2", *S],
    ["add", "note", "--conference", "k1", "--id", "n1", "--text", "It rained.", "--about",
     "Ana Pera", *S],
    ["add", "note", "--conference", "k1", "--id", "n2", "--text", "A wrong note", *S],
    ["add", "meeting", "--conference", "k1", "--id", "m1", "--with", "Ana Pera", "--with",
     "Utopia", "--title", "Talks", *S],
    ["add", "delegation", "--conference", "k1", "--id", "d1", "--country", "Utopia",
     "--head", "Ana Pera=Foreign Minister", *S],
    ["add", "attachment", "--conference", "k1", "--id", "at1", "--caption", "Group photo",
     *S],
    ["add", "commitment", "--conference", "k1", "--id", "c1", "--agreement", "ag2",
     "--point", "1", "--owner", "Utopia", "--due", "2031-12", *S],
    ["add", "progress", "--conference", "k1", "--id", "pg1", "--commitment", "c1",
     "--status", "in-progress", "--note", "Begun", *S, "--locator", "p2"],
    ["add", "rescheduling", "--conference", "k1", "--id", "rs1", "--commitment", "c1",
     "--due", "2032-06", "--reason", "slow", *S],
    ["add", "postponement", "--conference", "k2", "--id", "po1", "--planned", "2031-12",
     "--moved-to", "2032-01-01", "--reason", "weather", *S],
    ["add", "entity", "--id", "e-bo", "--kind", "person", "--name", "Bo Lind", *S],
    ["correct", "n1", "--set", "text=It rained all day.", "--reason", "the report says so",
     "--id", "cx1"],
    ["retract", "n2", "--reason", "never happened"],
]


@pytest.fixture(scope="module")
def every(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive with an event of every type, recorded through the CLI: a correction,
    a retraction, a merge undone and made again, and a quote of hostile text."""
    root = tmp_path_factory.mktemp("every") / "a"
    cli_ok(root, "init")
    for step in EVERY:
        cli_ok(root, *step)
    merged = json.loads(cli_ok(root, "merge", "Jo Marsh", "Joanne Marsh", "--json"))
    cli_ok(root, "unmerge", merged[0]["id"], "--reason", "two people")
    cli_ok(root, "merge", "Jo Marsh", "Joanne Marsh", "--reason", "one after all")
    Archive(root).build()
    return root


def every_db(root: Path) -> Path:
    return root / "exports" / "archive.db"


@pytest.fixture(scope="module")
def served(astana_briefed: Path) -> Iterator[str]:
    """The shipped archive served by a real `datasette`, as `archive serve` runs it."""
    proc, url = start(astana_briefed)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# ---------------------------------------------------------------- valid Atom


def test_the_shipped_feed_is_valid_atom_and_the_same_bytes_each_time(shipped, schema):
    body = atom.feed(shipped, BASE)
    doc, parsed = valid(body, schema)
    assert len(parsed.entries) == 93 == rows(shipped, "select count(*) from events")[0][0]
    assert atom.feed(shipped, BASE) == body  # nothing reads the clock
    assert text(doc, "updated") == rows(shipped, "select max(recorded_at) from events")[0][0]
    assert doc.find("atom:link[@rel='self']", NS).get("href") == BASE + "/archive/feed.atom"


def test_an_empty_archive_and_a_conference_with_no_facts_give_valid_feeds(
        empty_archive, every, schema):
    db = Archive(empty_archive).build().path
    doc, parsed = valid(atom.feed(db, BASE), schema)
    assert parsed.entries == [] and text(doc, "updated") == "1970-01-01T00:00:00Z"
    doc, parsed = valid(atom.feed(every_db(every), BASE, conference="k3"), schema)
    assert [e.id for e in parsed.entries] == [atom.TAG + "event:k3"]  # itself, nothing else


@pytest.mark.slow
def test_the_served_feed_is_ours_not_the_stored_querys(served, schema):
    with urllib.request.urlopen(served + "/archive/feed.atom", timeout=10) as response:
        assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
        body = response.read()
    doc, parsed = valid(body, schema)
    # the plugin's route comes before Datasette's `/archive/feed.atom` (the `feed` query)
    assert text(doc, "generator") == "conference-archive (archive.exchange.atom)"
    assert len(parsed.entries) == 93
    assert doc.find("atom:link[@rel='self']", NS).get("href") == served + "/archive/feed.atom"
    for route in ("/archive/feed.atom?conference=astana15",
                  "/-/feeds/conference/astana15.atom",
                  "/-/feeds/person/01M8NC3EZ38X8XM4T6Z7EBDXVG.atom"):
        status, served_body = http(served + route)
        assert status == 200, route
        valid(served_body.encode(), schema)


@pytest.mark.slow
def test_the_home_page_names_its_feed_and_links_its_calendar(served):
    """A feed reader given the home page finds the feed (RFC 4287 autodiscovery), and the
    calendar is a link a person can follow, not a command to type."""
    status, home = http(served + "/")
    assert status == 200
    assert ('<link rel="alternate" type="application/atom+xml" title="New facts in the '
            'archive" href="/archive/feed.atom">') in home
    assert '<a href="/-/calendar.ics" type="text/calendar">' in home
    assert "archive export --format ics" not in home
    assert http(served + "/-/calendar.ics")[0] == 200


# ---------------------------------------------------------------- true to the database


def test_titles_are_distinct_and_say_what_the_record_says(shipped, every):
    for db in (shipped, every_db(every)):
        doc = etree.fromstring(atom.feed(db, BASE))
        entries = by_event(doc)
        titles = [text(e, "title") for e in entries.values()]
        assert len(titles) == len(set(titles)) == len(entries)
        for a in rows(db, "select a.id, a.title, a.status, (select count(*) from "
                          "agreement_parties p where p.agreement_id = a.id) + "
                          "json_array_length(coalesce(a.party_names, '[]')) as parties "
                          "from agreements a"):
            title, words = text(entries[a["id"]], "title"), agreement_status(a["status"])
            if a["status"] in AGREED and a["parties"]:
                assert title.endswith(f" {words.phrase}: {a['title']}"), title
            else:
                assert title.startswith(f"{words.word}: {a['title']}"), title
                assert "agreed" not in title.lower()
        for s in rows(db, "select id, speaker_name from speeches"):
            entry = entries[s["id"]]
            assert [n.text for n in entry.iterfind("atom:author/atom:name", NS)] == \
                [s["speaker_name"]]
            assert text(entry, "title").startswith(s["speaker_name"] + ": ")
        for c in rows(db, "select id, text from commitment_status"):
            assert text(entries[c["id"]], "title").startswith("Commitment: " + c["text"][:40])
        for p in rows(db, "select p.id, e.name from proposals p join entities e on "
                          "e.id = p.proposer_id"):
            assert [n.text for n in entries[p["id"]].iterfind("atom:author/atom:name", NS)
                    ] == [p["name"]]
    # the shipped archive's seven agreed steps read as seven different commitments
    shipped_titles = [text(e, "title") for e in by_event(etree.fromstring(
        atom.feed(shipped, BASE))).values()]
    assert len([t for t in shipped_titles if t.startswith("Commitment: ")]) == 7


def test_published_and_updated_are_the_databases_times(shipped, every):
    for db in (shipped, every_db(every)):
        entries = by_event(etree.fromstring(atom.feed(db, BASE)))
        dates = {r["id"]: r for r in rows(db, DATES)}
        for ident, entry in entries.items():
            want = dates[ident]
            if ident == "sp-ana":  # 10:30 at UTC+6
                assert text(entry, "published") == "2031-03-01T04:30:00Z"
            else:
                assert text(entry, "published") == to_rfc3339(want["published"]), ident
            assert text(entry, "updated") == want["updated"], ident


def test_a_corrected_fact_shows_what_the_record_says_now(shipped, every):
    entries = by_event(etree.fromstring(atom.feed(shipped, BASE)))
    osce = entries["astana15-o-osce"]
    assert text(osce, "title") == \
        "Organization for Security and Co-operation in Europe took part"
    said = rows(shipped, "select data from events where id = 'astana15-o-osce'")[0][0]
    assert json.loads(said)["name"] == "Organisation for Security and Cooperation in Europe"
    assert text(osce, "updated") == rows(shipped, "select recorded_at from events where "
                                                  "id = 'astana15-v2-osce'")[0][0]
    entries = by_event(etree.fromstring(atom.feed(every_db(every), BASE)))
    note = entries["n1"]
    assert text(note, "title") == "Note: It rained all day."
    assert "<p>It rained all day.</p>" in text(note, "content")
    assert "It rained." not in text(note, "content")
    assert text(entries["cx1"], "title").startswith("Corrected “Note: It rained all day.”")


def test_a_retracted_fact_is_not_shown_as_if_live(every):
    entries = by_event(etree.fromstring(atom.feed(every_db(every), BASE)))
    assert "n2" not in entries
    retraction = rows(every_db(every), "select id from retractions")[0]["id"]
    assert text(entries[retraction], "title") == "Retracted: A wrong note"
    assert "never happened" in text(entries[retraction], "content")
    assert sum("A wrong note" in text(e, "content") for e in entries.values()) == 1


def check_links(url: str, db: Path) -> int:
    """Every entry's link is its fact's reader page at `url`, and is served: a fact's page
    names its event; a correction's is the corrected fact's page, which lists it."""
    corrected = {r["correction_event_id"]: r for r in rows(db, "select * from revisions")}
    status, body = http(f"{url}/archive/feed.atom")
    assert status == 200
    entries = etree.fromstring(body.encode()).findall("atom:entry", NS)
    for entry in entries:
        ident = text(entry, "id").rsplit(":", 1)[1]
        link = entry.find("atom:link[@rel='alternate']", NS).get("href")
        status, page = http(link)
        assert status == 200, link
        if ident in corrected:
            fix = corrected[ident]
            assert link == f"{url}/archive/{fix['table_name']}/{fix['row_id']}"
            assert fix["reason"] in html.unescape(page), link
        else:
            assert link.startswith(url + "/archive/") and ident in page, link
    return len(entries)


@pytest.mark.slow
def test_every_link_is_the_facts_reader_page_and_is_served(served, shipped, every):
    assert check_links(served, shipped) == 93
    proc, url = start(every)
    try:
        # every event but the retracted note
        assert check_links(url, every_db(every)) == len(rows(every_db(every), DATES)) - 1
        # the home page of an archive of several conferences links to each one's feed
        home = http(url + "/")[1]
        feeds = re.findall(r'href="(/-/feeds/conference/[^"]+\.atom)"', home)
        assert feeds == [atom.feed_path(conference=c) for c in ("k1", "k2", "k3")]
        assert all(http(url + path)[0] == 200 for path in feeds)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# ---------------------------------------------------------------- one conference, one person


def _conference_events(db: Path, cid: str) -> set[str]:
    """The events of a conference as the log says: it, the facts naming it, their fixes;
    without what was retracted."""
    return {r[0] for r in rows(db, """
        with mine as (select id from events where id = ?1
                      or json_extract(data, '$.conference') = ?1)
        select id from mine union select id from events where type in
          ('event.corrected', 'event.retracted') and json_extract(data, '$.target') in mine
        except select target_event_id from retractions except select c.id from events c
          where c.type = 'event.corrected' and json_extract(c.data, '$.target') in
          (select target_event_id from retractions)""", cid)}


def _naming(db: Path, entity: str) -> set[str]:
    """The events whose payload holds the entity's id anywhere, and their corrections."""
    return {r[0] for r in rows(db, """
        with mine as (select distinct e.id from events e, json_tree(e.data) t
                      where t.atom = ?1)
        select id from mine union select id from events where type = 'event.corrected'
          and json_extract(data, '$.target') in mine""", entity)}


def test_a_conference_feed_holds_exactly_its_facts(shipped, every, schema):
    for db, cids in ((shipped, ["astana15"]), (every_db(every), ["k1", "k2", "k3"])):
        for cid in cids:
            doc, _ = valid(atom.feed(db, BASE, conference=cid), schema)
            assert set(by_event(doc)) == _conference_events(db, cid), cid
            assert doc.find("atom:link[@rel='alternate']", NS).get("href") == \
                f"{BASE}/archive/conferences/{cid}"


def test_a_person_feed_holds_exactly_the_facts_naming_them(shipped, schema):
    entities = [r[0] for r in rows(shipped, "select id from entities")]
    assert len(entities) > 30
    for entity in entities:
        body = atom.feed(shipped, BASE, person=entity)
        if entity == entities[0]:
            valid(body, schema)
        assert set(by_event(etree.fromstring(body))) == _naming(shipped, entity), entity


def test_a_person_feed_follows_merges(every):
    db = every_db(every)
    kept, merged = rows(db, "select kept_id, merged_id from merges where undone_by is null")[0]
    mine = by_event(etree.fromstring(atom.feed(db, BASE, person=kept)))
    merges = [r[0] for r in rows(db, "select id from merges")]
    unmerge = rows(db, "select undone_by from merges where undone_by is not null")[0][0]
    assert {"p-jo", "p-jo2", *merges, unmerge} == set(mine)
    # the merged record's id is an alias of the kept one: its feed is the kept one's
    assert atom.feed(db, BASE, person=merged) == atom.feed(db, BASE, person=kept)


@pytest.mark.slow
def test_a_missing_person_or_conference_is_a_404_with_one_line(served):
    for route, said in (("/-/feeds/person/nobody.atom", "no person, organisation or country"),
                        ("/-/feeds/conference/nowhere.atom", "no conference 'nowhere'"),
                        ("/archive/feed.atom?conference=nowhere", "no conference 'nowhere'")):
        status, body = http(served + route)
        assert status == 404, route
        assert body.startswith(said) and body.count("\n") == 1, body
        assert "Traceback" not in body


# ---------------------------------------------------------------- export


def test_export_atom_needs_a_base_url(run_cli, archive_dir, tmp_path, schema):
    out = tmp_path / "feed.atom"
    result = run_cli("export", "--format", "atom", "-o", str(out),
                     env={"ARCHIVE_BASE_URL": None})  # type: ignore[dict-item]
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith(
        "Error: --format atom needs --base-url URL (or ARCHIVE_BASE_URL)")
    assert not out.exists()
    result = run_cli("export", "--format", "atom", "--base-url", BASE + "/", "-o", str(out))
    assert result.exit_code == 0, result.output
    doc, parsed = valid(out.read_bytes(), schema)
    assert out.read_bytes() == atom.feed(archive_dir / "exports" / "archive.db", BASE)
    assert parsed.entries[0].link == f"{BASE}/archive/conferences/conf-astana"


# ---------------------------------------------------------------- hostile text


def test_hostile_text_stays_text(every, schema):
    doc, _ = valid(atom.feed(every_db(every), BASE), schema)
    speech = by_event(doc)["sp-ana"]
    title = text(speech, "title")
    assert "<script>alert(1)</script> ]]> &" in title  # as text, once parsed
    assert "\ufffd\ufffd" in title  # U+FFFE and U+FFFF: no XML 1.0 document can carry them
    content = lxml_html.fragment_fromstring(text(speech, "content"), create_parent="div")
    assert content.xpath("//script") == [] and content.xpath("//b") == []
    assert "<script>alert(1)</script> ]]> & \ufffd\ufffd here." in content.text_content()
    assert [a.get("href") for a in content.iter("a")] == [f"{BASE}/archive/speeches/sp-ana"]
    assert "Source: javascript:alert(1)." in content.text_content()  # said, not linked
    proposal = lxml_html.fragment_fromstring(text(by_event(doc)["pr1"], "content"),
                                             create_parent="div")
    assert proposal.xpath("//b") == [] and "<b>everyone</b> & more" in proposal.text_content()


def test_characters_xml_cannot_carry_are_replaced_not_written(every):
    # the archive refuses control characters at input, so only U+FFFE and U+FFFF get in
    result = CliRunner().invoke(cli, ["--archive", str(every), "add", "note", "--conference",
                                      "k1", "--text", "bell \x07"])
    assert result.exit_code == 1 and "control character U+0007" in result.output
    element = ET.Element("title")
    element.text = "bell \x07 \ufffe"
    with pytest.raises(ET.ParseError):  # what ElementTree would write unasked
        ET.fromstring(ET.tostring(element))
    element.text = atom.xml_text(element.text)
    assert ET.fromstring(ET.tostring(element)).text == "bell \ufffd \ufffd"


# ---------------------------------------------------------------- in a feed reader


READER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ feed.title }}</title>
<style>body { font: 15px/1.4 sans-serif; max-width: 52em; margin: 1em auto; }
li { margin: .5em 0; } .meta { color: #555; font-size: 12px; }</style></head>
<body><h1>{{ feed.title }}</h1><ol>
{% for e in entries %}<li><a class="title" href="{{ e.link }}">{{ e.title }}</a>
<div class="meta">{{ e.author }} · {{ e.published }}</div></li>
{% endfor %}</ol></body></html>"""


def test_a_feed_reader_shows_every_entry_under_its_own_title(browser, shipped, tmp_path):
    from jinja2 import Environment

    parsed = feedparser.parse(atom.feed(shipped, BASE))
    page_file = tmp_path / "reader.html"
    page_file.write_text(Environment(autoescape=True).from_string(READER).render(
        feed=parsed.feed, entries=parsed.entries), encoding="utf-8")
    page = browser.new_page(viewport={"width": 900, "height": 1200})
    try:
        page.goto(page_file.as_uri())
        page.screenshot(path=str(tmp_path / "reader.png"), full_page=True)
        shown = page.locator("a.title").all_inner_texts()
    finally:
        page.close()
    assert (tmp_path / "reader.png").stat().st_size > 10_000
    assert shown == [e.title for e in parsed.entries]
    assert len(shown) == len(set(shown)) == 93


# ---------------------------------------------------------------- generated histories


@st.composite
def feed_histories(draw: st.DrawFn) -> list[Draft]:
    """The histories of the statements' property test (agreement statuses corrected,
    follow-ups held as conferences that were postponed and corrected, commitments whose
    due dates move), with speeches and notes, some corrected, some retracted, some dated
    in the world."""
    drafts: list[Draft] = list(draw(statement_histories()))
    for pid, name in (("ann", "Ann Lee"), ("bo", "Bo Lind")):
        drafts.append((f"p-{pid}", "participant.attended", {
            "conference": "c1", "entity": pid, "kind": "person", "name": name}, None, "p6"))
    for i in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["speech", "note"]))
        at = draw(st.sampled_from([None, "2031-03-01", "2031-03-02T10:30:00Z"]))
        if kind == "speech":
            drafts.append((f"sp{i}", "speech.delivered", {
                "conference": "c1", "speaker": draw(st.sampled_from(["ann", "bo"])),
                "summary": f"Speech {i}", "quotes": draw(st.lists(st.sampled_from(
                    ["We agree.", "Water is peace.", "Not yet."]), max_size=2))}, at, "p7"))
            changes: dict[str, Any] = {"summary": f"Speech {i}, as given",
                                       "quotes": [f"Said {i} again."]}
        else:
            drafts.append((f"sp{i}", "note.recorded", {"conference": "c1",
                                                       "text": f"Note {i}"}, at, "p7"))
            changes = {"text": f"Note {i}, read again"}
        if draw(st.booleans()):
            drafts.append((f"sp{i}-fix", "event.corrected", {
                "target": f"sp{i}", "changes": changes, "reason": "misheard"}, None, "p7"))
        if draw(st.integers(0, 3)) == 0:
            drafts.append((f"sp{i}-x", "event.retracted", {
                "target": f"sp{i}", "reason": "not said there"}, None, "p7"))
    return drafts


def write_dated(root: Path, drafts: list[Draft]) -> Path:
    """The drafts appended one by one, a minute apart in the log's time, and built."""
    log = Log(root)
    log.init()
    start = datetime(2031, 3, 3, 9, tzinfo=UTC)
    for n, (id_, type_, data, at, locator) in enumerate(drafts):
        log.append([Pending(id=id_, type=type_, data=make_payload(type_, data), at=at,
                            source=Source(url=SOURCE_URL, locator=locator))],
                   recorded_at=(start + timedelta(minutes=n)).strftime(
                       "%Y-%m-%dT%H:%M:%SZ"), recorded_by="tests")
    return Archive(root).build().path


def instant(value: str) -> str:
    """A recorded date or date-time as the feed must date it, in UTC."""
    if "T" not in value:
        return to_rfc3339(value)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def check_feed(db: Path, schema: tuple[etree.RelaxNG, list[tuple[str, str, str]]]) -> None:
    """Every claim the whole archive's feed makes, against the tables (not through
    `archive.statements` or `exchange.headlines`, the layers under test)."""
    doc, _ = valid(atom.feed(db, BASE), schema)
    entries = by_event(doc)
    retracted = {r[0] for r in rows(db, "select target_event_id from retractions")}
    fixes_of_retracted = {r[0] for r in rows(
        db, "select correction_event_id from revisions where target_event_id in "
            "(select target_event_id from retractions)")}
    assert set(entries) == {r[0] for r in rows(db, "select id from events")} - retracted \
        - fixes_of_retracted
    titles = [text(e, "title") for e in entries.values()]
    assert len(set(titles)) == len(titles)
    for ident, r in {r["id"]: r for r in rows(db, DATES)}.items():
        if ident in entries:
            assert text(entries[ident], "published") == instant(r["published"]), ident
            assert text(entries[ident], "updated") == r["updated"], ident
    for a in rows(db, "select id, title, status from agreements"):
        title, words = text(entries[a["id"]], "title"), agreement_status(a["status"])
        assert title.startswith(f"{words.word}: {a['title']}"), title  # no parties named
        if a["status"] not in AGREED:
            assert "agreed" not in title.lower() and "adopted" not in title.lower(), title
    for s in rows(db, "select s.id, s.speaker_name, s.summary, (select text from quotes q "
                      "where q.speech_id = s.id order by n limit 1) as quote from speeches s"):
        entry = entries[s["id"]]
        assert [n.text for n in entry.iterfind("atom:author/atom:name", NS)] == \
            [s["speaker_name"]]
        words = f"“{s['quote']}”" if s["quote"] else s["summary"]
        assert text(entry, "title") == f"{s['speaker_name']}: {words}", s["id"]
    for n in rows(db, "select id, text from notes"):
        assert text(entries[n["id"]], "title") == f"Note: {n['text']}"
        assert f"<p>{n['text']}</p>" in text(entries[n["id"]], "content")
    for c in rows(db, "select c.id, c.due, (select due from reschedulings r where "
                      "r.commitment_id = c.id order by r.event_seq desc limit 1) as moved, "
                      "(select count(*) from reschedulings r where r.commitment_id = c.id) "
                      "as moves from commitments c"):
        content = html.unescape(text(entries[c["id"]], "content"))
        due = c["moved"] or c["due"]
        assert f"Due {due}" + (f" (first due {c['due']})." if c["moves"] else ".") \
            in content, (c["id"], content)
    for f in rows(db, "select id, date from followups"):
        held = rows(db, "select c.start, c.end from followups_held h join conferences c on "
                        "c.id = h.held_as_id where h.followup_id = ? order by h.event_seq "
                        "desc limit 1", f["id"])
        title = text(entries[f["id"]], "title")
        if held:
            start, end = held[0]
            assert f", held {start if end in (None, start) else f'{start} to {end}'}" in \
                title, title
        else:
            assert f", foreseen for {f['date']}" in title, title
    for cid in [r[0] for r in rows(db, "select id from conferences")]:
        mine = by_event(etree.fromstring(atom.feed(db, BASE, conference=cid)))
        assert set(mine) == _conference_events(db, cid), cid
        assert all(etree.tostring(mine[i]) == etree.tostring(entries[i]) for i in mine)
    for person in ("ann", "bo"):
        assert set(by_event(etree.fromstring(atom.feed(db, BASE, person=person)))) == \
            _naming(db, person) - retracted - fixes_of_retracted


@generated(12)
@given(drafts=feed_histories())
def test_every_claim_of_a_generated_feed_is_the_databases(tmp_path_factory, drafts,
                                                          schema) -> None:
    check_feed(write_dated(tmp_path_factory.mktemp("feed"), drafts), schema)
