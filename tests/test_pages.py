"""What the archive adds to Datasette's pages: a home page that starts people off at the
stored queries, and row pages that name what a fact refers to (Datasette's own row page
shows bare ids)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures_db import XSS_ATTR, make_archive
from helpers import run_async

from archive.app import Archive
from archive.serve.server import make_datasette


@pytest.fixture(scope="module")
def ds(tmp_path_factory: pytest.TempPathFactory):
    root: Path = make_archive(tmp_path_factory.mktemp("links") / "a")
    Archive(root).build()
    return make_datasette(root / "exports" / "archive.db", root)


def page(ds, path: str) -> str:
    response = run_async(ds.client.get(path))
    assert response.status_code == 200
    return response.text


def test_a_speech_row_links_its_speaker_session_and_conference_by_name(ds) -> None:
    text = page(ds, "/archive/speeches/sp1")
    assert '<li>speaker_id: <a href="/archive/entities/ivanov">Ivan Ivanov</a></li>' in text
    assert '<li>session_id: <a href="/archive/sessions/s1">Opening</a></li>' in text
    assert '<li>conference_id: <a href="/archive/conferences/conf">' in text


def test_a_hostile_label_is_escaped_on_the_row_page(ds) -> None:
    text = page(ds, "/archive/participations/p-evil")
    assert XSS_ATTR not in text
    assert '<a href="/archive/entities/evil">&#34;&gt;&lt;img src=x onerror=alert(1)&gt;</a>' \
        in text


def test_the_home_page_starts_people_at_the_stored_queries(ds) -> None:
    text = page(ds, "/")
    assert "<h2>Start here</h2>" in text
    assert '<a href="/archive/timeline">Timeline</a>' in text
    assert '<a href="/archive/who_proposed_what">Who proposed what</a>' in text
    assert '<a href="/archive/events">the log itself</a>' in text
