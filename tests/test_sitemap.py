"""Stable links (issue 30): `/sitemap.xml` names every reader page at its absolute address,
each of those pages names itself as canonical, and a link pasted into a chat shows the
fact's headline (the feed's own, `exchange.headlines`) and its words (Open Graph)."""

from __future__ import annotations

import re
import sqlite3
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path

import pytest
from servers import http, start

from archive.exchange import headlines, links
from archive.serve.plugins.archive_sitemap import NS, READER_TABLES


@pytest.fixture(scope="module")
def served(astana_briefed: Path):
    proc, base = start(astana_briefed)
    yield base, astana_briefed / "exports" / "archive.db"
    proc.terminate()
    proc.wait(timeout=10)


def meta(page: str, attr: str, name: str) -> str | None:
    found = re.search(rf'<meta {attr}="{name}" content="([^"]*)">', page)
    return unescape(found.group(1)) if found else None


def test_the_sitemap_names_every_reader_page_and_each_names_itself(served):
    base, db_path = served
    status, body = http(base + "/sitemap.xml")
    assert status == 200
    urls = [loc.text for loc in ET.fromstring(body).iter(f"{{{NS}}}loc")]
    db = sqlite3.connect(db_path)
    wanted = [base + "/"] + [links.reader_url(base, t, r[0]) for t in READER_TABLES
                             for r in db.execute(f"select id from {t} order by rowid")
                             if t != "entities" or not db.execute(
                                 "select 1 from merges where merged_id = ? and undone_by "
                                 "is null", r).fetchone()]
    assert urls == wanted
    for url in urls[1:]:
        status, page = http(url)
        assert status == 200, url
        assert f'<link rel="canonical" href="{url}">' in page
        assert meta(page, "property", "og:url") == url and meta(page, "property", "og:title")


def test_a_pasted_speech_link_shows_the_speaker_and_the_quote(served):
    base, db_path = served
    db = sqlite3.connect(db_path)
    db.row_factory = sqlite3.Row
    ev = db.execute("select e.* from events e join speeches s on s.id = e.id "
                    "join entities p on p.id = s.speaker_id "
                    "where p.name = 'Karim Massimov' and s.kind = 'opening'").fetchone()
    said = headlines.said(db, ev)
    assert said is not None
    status, page = http(links.reader_url(base, "speeches", ev["id"]))
    assert status == 200
    assert meta(page, "property", "og:title") == said.title
    assert said.title.startswith("Karim Massimov: “We have to join")
    assert meta(page, "property", "og:description").startswith(
        "We have to join our forces with all constructive forces")
