"""A series in Datasette (issue 11): a real `datasette` process over an archive of two
summits pulled together, read over HTTP and in a real headless browser."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser
from servers import http, start
from test_series import record, run

from archive.app import Archive


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    a = tmp_path_factory.mktemp("series") / "c14"
    b = a.parent / "c15"
    record(a, "c14")
    record(b, "c15")
    run(a, "pull", str(b), "--match", "auto")
    # a figure with no qualifier and a whole number, and a follow-up with a place
    run(a, "add", "figure", "--conference", "c15", "--value", "1500",
        "--counts", "projects funded")
    run(a, "add", "followup", "--conference", "c15", "--name", "Ministerial meeting",
        "--when", "2022-03", "--where", "Tashkent")
    Archive(a).build()
    Archive(a).brief(conference="c15")
    Archive(a).brief_series()
    proc, url = start(a)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def query(base: str, name: str) -> list[dict]:
    status, body = http(f"{base}/archive/{name}.json?_shape=objects&_size=max")
    assert status == 200, body
    return json.loads(body)["rows"]


def test_home_page_lists_the_series_and_each_briefing(series: str, browser: Browser):
    page = browser.new_page()
    page.goto(series + "/")
    assert page.locator("h1").inner_text() == "ECO Summit: the archive"
    table = page.locator("section.archive-conferences table")
    text = table.inner_text()
    assert "14th ECO Summit" in text and "15th ECO Summit" in text
    assert "ECO Summit (no. 14)" in text and "Islamabad" in text and "Ashgabat" in text
    rows = table.locator("tbody tr")
    assert rows.count() == 2
    # the briefing of the 15th summit is offered beside it, and downloads
    link = rows.nth(1).get_by_role("link", name="PDF")
    assert link.get_attribute("href") == "/-/briefing-c15.pdf"
    assert rows.nth(0).get_by_role("link", name="PDF").count() == 0  # none rendered
    with urllib.request.urlopen(series + "/-/briefing-c15.pdf", timeout=10) as response:
        assert response.status == 200 and response.read(5) == b"%PDF-"
    assert http(series + "/-/briefing-c14.pdf")[0] == 404
    series_link = page.locator("section.archive-conferences").get_by_role("link", name="PDF")
    assert series_link.last.get_attribute("href") == "/-/briefing-series.pdf"
    with urllib.request.urlopen(series + "/-/briefing-series.pdf", timeout=10) as response:
        assert response.status == 200 and response.read(5) == b"%PDF-"
    page.close()


def test_speeches_facet_by_conference_and_timeline_spans_the_series(series: str,
                                                                    browser: Browser):
    page = browser.new_page()
    page.goto(series + "/archive/speeches")
    facet = page.locator(".facet-info[data-column=conference_id]")
    assert "14th ECO Summit" in facet.inner_text() and "15th ECO Summit" in facet.inner_text()
    facet.get_by_role("link", name="15th ECO Summit").click()
    page.wait_for_url("**conference_id=c15*")
    assert page.locator("table.rows-and-columns tbody tr").count() == 1
    assert "15th ECO Summit" in page.locator("table.rows-and-columns tbody").inner_text()
    page.goto(series + "/archive/timeline")
    body = page.locator("table.rows-and-columns").inner_text()
    assert "14th ECO Summit" in body and "15th ECO Summit" in body
    page.close()


def test_timeline_shows_figures_as_written_and_places_where_they_belong(series: str):
    rows = query(series, "timeline")
    figure = next(r for r in rows if r["what"] == "figure")
    assert figure["text"] == "1500 projects funded"  # no blank for a missing qualifier
    assert figure["conference"] == "15th ECO Summit"
    followup = next(r for r in rows if r["text"] == "Ministerial meeting")
    assert followup["where"] == "Tashkent" and followup["who"] is None
    assert followup["when"] == "2022-03"


def test_attendance_and_followups_across_the_series(series: str):
    attendance = query(series, "attendance")
    kazakhstan = [r["conference"] for r in attendance if r["name"] == "Kazakhstan"]
    assert kazakhstan == ["14th ECO Summit", "15th ECO Summit"]
    massimov = [r for r in attendance if r["name"] == "Karim Massimov"]
    assert len(massimov) == 2 and {r["entity_id"] for r in massimov} == {
        massimov[0]["entity_id"]}
    scheduled = query(series, "followups_held")
    by = {(r["scheduled_by"], r["follow_up"]): r for r in scheduled}
    assert by[("14th ECO Summit", "15th ECO Summit")]["held_as"] == "15th ECO Summit"
    assert by[("15th ECO Summit", "16th ECO Summit")]["held_as"] is None
