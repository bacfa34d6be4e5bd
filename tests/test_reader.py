"""Exploring the archive as a reader would (issue 15): the shipped Astana archive served
by a real `datasette`, read in a real headless Chromium: profiles, conference and fact
pages, ranked search, at a phone's width, checked by axe-core."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from servers import start

REPO = Path(__file__).resolve().parent.parent
AXE = REPO / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
PM_QUOTES = [
    "We have to join our forces with all constructive forces in this world who are ready "
    "to counter violent extremism",
    "That is why we have to boost our contacts and cooperation with law enforcement "
    "agencies all over the world.",
]


@pytest.fixture(scope="module")
def astana(astana_briefed: Path) -> Iterator[tuple[str, dict[str, str]]]:
    root = astana_briefed
    db = sqlite3.connect(root / "exports" / "archive.db")
    ids = {
        "pm": db.execute("select id from entities where name = 'Karim Massimov'").fetchone()[0],
        "agreement": db.execute("select id from agreements").fetchone()[0],
        "conference": db.execute("select id from conferences").fetchone()[0],
        "speech": db.execute("select s.id from speeches s join entities e on "
                             "e.id = s.speaker_id where e.name = 'Karim Massimov' and "
                             "s.kind = 'opening'").fetchone()[0],
        "sessions": str(db.execute("select count(*) from sessions").fetchone()[0]),
    }
    db.close()
    proc, url = start(root)
    yield url, ids
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    yield context.new_page()
    context.close()


def text(page: Page) -> str:
    return " ".join(page.locator("body").inner_text().split())


def test_the_prime_ministers_profile_has_his_words_and_his_proposal(phone: Page, astana):
    url, ids = astana
    phone.goto(f"{url}/archive/entities/{ids['pm']}")
    assert phone.get_by_role("heading", level=1).inner_text() == "Karim Massimov"
    body = text(phone)
    for quote in PM_QUOTES:
        assert quote in body
    assert "An international convention defining terrorism." in body
    assert "Central and South Asian Regional Conference on Countering Violent Extremism" in body
    assert "Prime Minister" in body


def test_the_speech_page_shows_its_quotes_without_a_click(phone: Page, astana):
    url, ids = astana
    phone.goto(f"{url}/archive/speeches/{ids['speech']}")
    quotes = phone.locator("blockquote.archive-quote").all_inner_texts()
    assert [q.strip("“”") for q in quotes] == [q.rstrip(",") for q in PM_QUOTES] or \
        all(any(q in shown for shown in quotes) for q in PM_QUOTES)


def test_the_agreement_page_lists_the_seven_steps(phone: Page, astana):
    url, ids = astana
    phone.goto(f"{url}/archive/agreements/{ids['agreement']}")
    steps = phone.locator(".archive-page ol li").all_inner_texts()
    assert len(steps) == 7
    assert steps[0].startswith("identifying persons responsible for countering extremism")


def test_the_conference_page_lists_its_panels_and_agreed_points(phone: Page, astana):
    url, ids = astana
    phone.goto(f"{url}/archive/conferences/{ids['conference']}")
    panels = phone.locator("ol.archive-programme > li")
    assert panels.count() == int(ids["sessions"]) == 9
    assert "countering violent extremism in media" in text(phone)
    assert phone.get_by_role("link", name="PDF").get_attribute("href") == "/-/briefing.pdf"


def test_search_ranks_and_marks_the_words(phone: Page, astana):
    url, _ = astana
    phone.goto(f"{url}/archive/search?q=human+rights")
    first = phone.locator("ol.archive-results > li").first
    assert first.inner_text().split("\n")[-1].split(" · ")[0] in ("note", "quote")
    assert [m.lower() for m in first.locator("mark").all_inner_texts()][:2] == \
        ["human", "rights"]
    phone.goto(f"{url}/archive/search?q=Massimov")
    first = phone.locator("ol.archive-results > li").first
    assert first.inner_text().startswith("Karim Massimov") and "person" in first.inner_text()


PAGES = ["/", "/archive/search?q=human+rights", "/archive/entities/{pm}",
         "/archive/conferences/{conference}", "/archive/speeches/{speech}",
         "/archive/agreements/{agreement}"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_read_at_390px_with_no_serious_accessibility_violation(phone: Page, astana,
                                                                     path: str):
    url, ids = astana
    phone.goto(url + path.format(**ids))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.evaluate(AXE.read_text())  # not a script tag: the page's policy runs none
    result = phone.evaluate("async () => await axe.run(document, {resultTypes: "
                            "['violations']})")
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
               for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []


def test_search_results_narrow_by_kind_and_speaker(phone: Page, astana):
    url, _ = astana
    phone.goto(f"{url}/archive/search?q=extremism")
    facets = phone.locator("nav.archive-facets")
    assert "Kind:" in facets.inner_text() and "Speaker:" in facets.inner_text()
    facets.get_by_role("link", name="quote", exact=True).click()
    phone.wait_for_url("**kind=quote*")
    metas = phone.locator("ol.archive-results .archive-meta").all_inner_texts()
    assert metas and all(m.startswith("quote") for m in metas)
    assert "show all" in text(phone)
    phone.goto(f"{url}/archive/search?q=extremism")
    phone.locator("nav.archive-facets").get_by_role("link", name="Petko Draganov").click()
    phone.wait_for_url("**speaker=*")
    metas = phone.locator("ol.archive-results .archive-meta").all_inner_texts()
    assert metas and all("Petko Draganov" in m for m in metas)
