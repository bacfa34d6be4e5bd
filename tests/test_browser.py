"""End to end in a real headless browser (Debian's chromium, driven by Playwright)
against a real `datasette` process: what a person sees."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fixtures_db import XSS_ATTR, XSS_SCRIPT, make_archive
from playwright.sync_api import Browser, Page
from servers import start

from archive.app import Archive


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Iterator[str]:
    root = make_archive(tmp_path_factory.mktemp("browser") / "a")
    Archive(root).build()
    Archive(root).brief()  # the real briefing of this state, which the home page offers
    proc, url = start(root)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    yield page
    context.close()
    assert dialogs == [], "a script from the data ran in the page"


def test_home_page(page: Page, base: str):
    page.goto(base + "/")
    assert page.locator("h1").inner_text() == \
        "Regional Conference on Countering Extremism: the archive"
    assert "Every row links back" in page.locator("body").inner_text()
    assert page.get_by_role("link", name="archive", exact=True).is_visible()
    assert page.get_by_role("link", name="events", exact=True).is_visible()
    assert page.get_by_role("link", name="Download the PDF briefing").get_attribute("href") \
        == "/-/briefing.pdf"


def test_search_for_a_word_from_a_quote(page: Page, base: str):
    page.goto(base + "/")
    page.get_by_label("Search every spoken or written word:").fill("borders")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/archive/search?q=borders*")
    results = page.locator("ol.archive-results")
    assert "Radicalisation knows no borders." in results.inner_text()
    assert results.locator("mark").all_inner_texts() == ["borders"]
    assert "1 result, the best first." in page.locator("body").inner_text()
    assert "Ivan Ivanov" in results.inner_text()  # who said it
    # the result links to its speech, whose page shows the quote without a click
    results.get_by_role("link").first.click()
    page.wait_for_url("**/archive/speeches/sp1")
    assert "Radicalisation knows no borders." in page.locator("body").inner_text()


def test_a_name_finds_the_profile_first(page: Page, base: str):
    page.goto(base + "/archive/search?q=Ivanov")
    first = page.locator("ol.archive-results li").first
    assert "Ivan Ivanov" in first.inner_text() and "person" in first.inner_text()
    first.get_by_role("link").click()
    page.wait_for_url("**/archive/entities/**")
    assert page.get_by_role("heading", level=1).inner_text() == "Ivan Ivanov"
    assert "Radicalisation knows no borders." in page.locator("body").inner_text()


def test_speech_row_page(page: Page, base: str):
    page.goto(base + "/archive/speeches/sp1")
    # the fact as a reader writes it first: who, then what was said, quotes in full
    assert page.get_by_role("heading", level=1).inner_text() == "Ivan Ivanov"
    body = page.locator("body").inner_text()
    assert "Welcomed all delegations." in body
    assert "“Radicalisation knows no borders.”" in body
    # provenance and corrections are folded away, one click down
    assert "Where this comes from" in body
    assert "Recorded by event #8 (speech.delivered)" not in body
    page.get_by_text("Where this comes from, and its corrections").click()
    assert "Recorded by event #8 (speech.delivered)" in page.locator("body").inner_text()
    corrections = page.locator("table.archive-revisions").inner_text()
    assert "Welcomed the delegations." in corrections and "Typo in the report" in corrections
    source = page.locator("section.archive-provenance").get_by_role(
        "link", name="https://example.org/report")
    assert source.is_visible() and source.get_attribute("rel") == "nofollow noopener noreferrer"
    page.get_by_role("link", name="#8 (speech.delivered)").click()
    page.wait_for_url("**/archive/events/8")
    assert "speech.delivered" in page.locator("body").inner_text()


def test_hostile_quote_shows_as_text(page: Page, base: str):
    page.goto(base + "/archive/quotes/sp2~2F1")
    assert XSS_SCRIPT in page.locator("body").inner_text()
    page.goto(base + "/archive/participations")
    assert page.locator("img[src=x]").count() == 0


@pytest.mark.parametrize("path", [
    "/archive/entities/evil", "/archive/speeches/sp2",
    "/archive/conferences/conf", "/archive/search?q=onerror", "/archive/search?q=script",
    "/archive/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"])
def test_hostile_text_stays_text_on_the_reader_pages(page: Page, base: str, path: str):
    page.goto(base + path)
    body = page.locator("body").inner_text()
    assert XSS_ATTR in body or XSS_SCRIPT in body or "Nothing in the archive" in body
    assert page.locator("img[src=x]").count() == 0
    assert page.locator("script:not([src])").evaluate_all(
        "els => els.filter(e => e.textContent.includes('alert(1)')).length") == 0



# ---------------------------------------------------------------- the web briefing


@pytest.fixture(scope="module")
def web_briefing(tmp_path_factory) -> Iterator[str]:
    """The demo conference (with a photo, corrections, charts) served with both the PDF
    and the web version of its briefing."""
    from briefing_fixtures import write_demo_log

    root = tmp_path_factory.mktemp("web-briefing")
    write_demo_log(root)
    Archive(root).brief()
    Archive(root).brief(html=True)
    proc, url = start(root)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def test_home_page_offers_the_pdf_and_the_web_version(page: Page, web_briefing: str):
    page.goto(web_briefing + "/")
    assert page.get_by_role("link", name="Download the PDF briefing").get_attribute("href") \
        == "/-/briefing.pdf"
    page.get_by_role("link", name="read it on the web").click()
    page.wait_for_url("**/-/briefing.html")
    assert page.locator("h1").count() == 1


def test_web_briefing_reads_on_a_phone(browser: Browser, web_briefing: str, tmp_path):
    context = browser.new_context(viewport={"width": 390, "height": 844},
                                  device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(web_briefing + "/-/briefing.html")
    page.wait_for_load_state("networkidle")
    # no sideways scrolling, at the phone's width
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # (a table too wide for a phone scrolls in its own box, which a keyboard reaches)
    wide = page.evaluate("""[...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > 390.5 && !e.closest('.grid-box'))
        .map(e => e.tagName + '.' + e.className).slice(0, 5)""")
    assert wide == []
    boxes = page.locator(".grid-box")
    for i in range(boxes.count()):
        box = boxes.nth(i)
        assert (box.bounding_box() or {"x": 0, "width": 999})["width"] <= 390
        assert box.get_attribute("tabindex") == "0" and box.get_attribute("role") == "region"
    # one h1, and the landmarks a screen reader jumps between
    assert page.locator("h1").count() == 1
    for role in ("banner", "navigation", "main", "contentinfo"):
        assert page.get_by_role(role).count() >= 1, role
    # charts scale to the screen and have an accessible name; the photo loads
    charts = page.locator("figure.chart svg")
    assert charts.count() >= 1
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box is not None and box["width"] <= 390
        title = charts.nth(i).locator("title").text_content() or ""
        assert "Participants by kind: " in title or " per session: " in title, title
    photo = page.locator("figure.attachment img")
    assert photo.count() == 1
    assert page.evaluate("document.querySelector('figure.attachment img').naturalWidth") > 0
    assert failed == []
    page.screenshot(path=str(tmp_path / "briefing-390.png"), full_page=True)
    context.close()


def test_attachments_route_serves_only_raster_images(page: Page, web_briefing: str):
    import urllib.error
    import urllib.request

    for name in ("0" * 64, "../archive.db", "x" * 64):
        try:
            urllib.request.urlopen(web_briefing + "/events/attachments/" + name)
        except urllib.error.HTTPError as e:
            assert e.code == 404, name
        else:
            raise AssertionError(f"served {name}")



def test_no_visitor_is_shown_where_the_archive_lies_on_disk(page: Page, web_briefing: str):
    """Datasette shows its metadata to every visitor (/-/metadata.json): it names no file
    of this machine, yet the briefings and photos it served before are served still (the
    plugin finds them beside the database; the phone test above loads the photo)."""
    import json
    import os
    import urllib.request

    with urllib.request.urlopen(web_briefing + "/-/metadata.json") as response:
        metadata = json.load(response)

    def strings(value: object) -> list[str]:
        if isinstance(value, dict):
            return [s for v in value.values() for s in strings(v)]
        if isinstance(value, list):
            return [s for v in value for s in strings(v)]
        return [value] if isinstance(value, str) else []

    found = strings(metadata)
    assert "/-/archive.css" in found  # the walk reads the metadata's strings
    assert [s for s in found if s.startswith("/") and os.path.exists(s)] == []
    for path in ("/-/briefing.pdf", "/-/briefing.html"):
        with urllib.request.urlopen(web_briefing + path) as response:
            assert response.status == 200 and len(response.read()) > 1000, path
