"""End to end in a real headless browser (Debian's chromium, driven by Playwright)
against a real `datasette` process: what a person sees."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fixtures_db import XSS_SCRIPT, make_archive
from playwright.sync_api import Browser, Page, sync_playwright
from servers import start

from archive.app import Archive

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Iterator[str]:
    root = make_archive(tmp_path_factory.mktemp("browser") / "a")
    Archive(root).build()
    Archive(root).brief()  # the real briefing of this state, which the home page offers
    proc, url = start(root)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


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
    page.wait_for_url("**/archive/texts?_search=borders*")
    table = page.locator("table.rows-and-columns")
    assert "Radicalisation knows no borders." in table.inner_text()
    assert "1 row where search matches" in page.locator("body").inner_text()
    # the result links to its speech, labelled with the speech's speaker
    page.locator("table.rows-and-columns td.col-speech_id a").first.click()
    page.wait_for_url("**/archive/speeches/sp1")
    assert "Ivan Ivanov" in page.locator("body").inner_text()


def test_speech_row_page(page: Page, base: str):
    page.goto(base + "/archive/speeches/sp1")
    body = page.locator("body").inner_text()
    assert "speeches: sp1" in body
    assert "Welcomed all delegations." in body
    assert "Where this comes from" in body
    assert "Recorded by event #8 (speech.delivered)" in body
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

