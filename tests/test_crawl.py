"""Every page type a reader reaches, found by walking the served archive from its home
page (issue 30): each passes axe-core with no serious or critical violation at 390 and
1280 px, fits a phone (no horizontal scrolling at 390 px), has one `main` landmark, one
`h1`... and every response carries the security headers. A new page is checked without
anyone listing it: the crawler finds it by its links."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import Browser
from servers import start

from archive.serve.pages import FACT_TABLES
from archive.serve.plugins.archive_plugin import SECURITY_HEADERS
from archive.serve.server import QUERIES

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
AXE = (REPO / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js").read_text()
#: Row pages with a reader template of their own; every other table's share one.
READER_ROWS = set(FACT_TABLES) | {"entities", "conferences"}


def shape(query: str) -> str:
    """What a query string does to a page, not its values: a facet, a filter, a sort..."""
    kinds = set()
    for key, _ in parse_qsl(query, keep_blank_values=True):
        if key.startswith("_facet"):
            kinds.add("facet")
        elif key.startswith("_sort"):
            kinds.add("sort")
        elif key in ("_search", "q"):
            kinds.add("search")
        elif key in ("sql", "_hide_sql", "_next", "_size"):
            kinds.add(key)
        elif not key.startswith("_"):
            kinds.add("filter")
    return ",".join(sorted(kinds))


def page_type(url: str) -> str:
    """One name per template and what the query does to it."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if segments[:1] == ["archive"] and len(segments) >= 3:
        table = segments[1]
        segments = ["archive", table if table in READER_ROWS else "ROW", "ID"]
    elif segments[:1] == ["archive"] and len(segments) == 2 and segments[1] not in QUERIES:
        segments = ["archive", "TABLE"]
    kinds = shape(parts.query)
    if segments[:1] == ["archive"] and len(segments) == 2 and "_hide_sql" in kinds:
        segments = ["archive", "QUERY"]  # its rows are the query's own page's: one will do
    return "/" + "/".join(segments) + "?" + kinds


def fetch(url: str) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}


def crawl(base: str, browser: Browser, extra: list[str], width: int,
          follow: bool = True) -> dict[str, list[str]]:
    """Walk from the home page (and `extra`: pages no link reaches, e.g. errors), one page
    of each type, at one window width; returns each type's problems. Without `follow`,
    check only the `extra` pages."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_init_script(VIOLATIONS)
    page = context.new_page()  # one tab for the walk: a new one per page costs a renderer
    queue = [base + "/"] * follow + [base + e for e in extra]
    seen: set[str] = set()
    problems: dict[str, list[str]] = {}
    try:
        while queue:
            url = queue.pop(0)
            kind = page_type(url)
            if kind in seen:
                continue
            seen.add(kind)
            status, headers = fetch(url)
            found = [f"no {k.decode()} header" for k, _ in SECURITY_HEADERS
                     if k.decode() not in headers]
            if "text/html" not in headers.get("content-type", ""):
                if found:
                    problems[kind] = found
                continue
            found += script_policy_problems(headers.get("content-security-policy", ""))
            page.goto(url, wait_until="load")
            queue += [h.split("#")[0] for h in page.eval_on_selector_all(
                "a[href]", "els => els.map(e => e.href)") if h.startswith(base) and follow]
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                found.append(f"{scroll} px wide at {width} px")
            mains = page.locator("main, [role=main]").count()
            h1s = page.locator("h1:visible").count()  # not in a closed <details>
            if (mains, h1s) != (1, 1):
                found.append(f"{mains} main landmarks and {h1s} h1")
            found += page.evaluate(TAB_ORDER)
            page.keyboard.press("Tab")  # the first stop is the skip link to the main content
            first = page.evaluate("[document.activeElement.className, "
                                  "document.activeElement.getAttribute('href')]")
            if first[0] != "archive-skip" or not (first[1] or "").startswith("#"):
                found.append(f"the first Tab stop is not the skip link: {first}")
            page.evaluate(AXE)
            result = page.evaluate("async () => await axe.run(document, "
                                   "{resultTypes: ['violations']})")
            found += [f"{width} px: {v['id']} ({v['impact']}) at "
                      f"{v['nodes'][0]['target']}" for v in result["violations"]
                      if v["impact"] in ("serious", "critical")]
            found += page.evaluate("window.archiveViolations")
            if found:
                problems[kind + f" ({url[len(base):]})"] = found
    finally:
        context.close()
    assert len(seen) > 20 or not follow, sorted(seen)  # the walk found the archive's pages
    return problems


ERRORS = ["/archive/no_such_table", "/archive?sql=select+nonsense+from"]

#: Every Content-Security-Policy violation a page reports, from its first script on.
VIOLATIONS = """window.archiveViolations = [];
document.addEventListener('securitypolicyviolation', e => window.archiveViolations.push(
  `policy violation: ${e.effectiveDirective} blocked ${e.blockedURI} ${e.sample}`));"""


def script_policy_problems(policy: str) -> list[str]:
    """What lets a script the archive did not write run: no script-src (nor default-src)
    limited to this server and hashes."""
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.split()}
    sources = directives.get("script-src", directives.get("default-src"))
    if sources is None:
        return ["no script-src in the Content-Security-Policy"]
    return [f"script-src allows {s}" for s in sources
            if s not in ("'self'", "'none'") and not s.startswith("'sha256-")]

#: The page's Tab order as a reader meets it: with no positive tabindex the order is the
#: document's, so it is visual when no focusable element shown lies wholly above the one
#: before it (outside one table row), and none that is focusable is drawn at zero size
#: (out of sight) except the skip link, which shows itself when focused.
TAB_ORDER = """() => {
  const out = [], name = e => e.outerHTML.slice(0, 80);
  for (const e of document.querySelectorAll('[tabindex]'))
    if (e.tabIndex > 0) out.push('positive tabindex: ' + name(e));
  const focusable = [...document.querySelectorAll(
      'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]')]
    .filter(e => !e.disabled && e.tabIndex >= 0 && !e.closest('details:not([open]) > :not(summary)')
                 && getComputedStyle(e).visibility !== 'hidden' && e.getClientRects().length);
  let before = null;
  for (const e of focusable) {
    if (e.classList.contains('archive-skip')) continue;
    const r = e.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) { out.push('focusable but not shown: ' + name(e)); continue; }
    const row = e.closest('tr');
    if (before && r.bottom + 1 < before.r.top && (!row || row !== before.e.closest('tr')))
      out.push('Tab goes back up the page to ' + name(e));
    before = {e, r};
  }
  return out;
}"""


@pytest.mark.parametrize("width", [390, 1280])  # a phone, a laptop (two tests: in parallel)
def test_every_page_of_the_astana_archive_passes_axe_and_fits_the_window(
        astana_briefed: Path, browser: Browser, width: int):
    proc, base = start(astana_briefed)
    try:
        problems = crawl(base, browser, ERRORS, width)
        assert problems == {}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _translated(conference: str) -> list[bytes]:
    """Texts in Russian and Kazakh with recorded translations (fictitious, for this test),
    so that the walk meets pages that mark texts in several languages."""
    import json

    src = {"url": "urn:test-translations", "locator": "p1"}
    lines = [
        {"type": "participant.attended", "id": "crawl-p", "source": src, "data": {
            "conference": conference, "entity": "crawl-speaker", "kind": "person",
            "name": "Асель Жумабаева"}},
        {"type": "speech.delivered", "id": "crawl-ru", "source": src, "data": {
            "conference": conference, "speaker": "crawl-speaker", "lang": "ru",
            "summary": "Говорила о сотрудничестве.", "quotes": ["Мы за мир."]}},
        {"type": "translation.recorded", "id": "crawl-t1", "source": src, "data": {
            "of": "crawl-ru", "part": 1, "lang": "en", "text": "We stand for peace.",
            "by": "official translation"}},
        {"type": "translation.recorded", "id": "crawl-t2", "source": src, "data": {
            "of": "crawl-ru", "lang": "kk", "text": "Ынтымақтастық туралы айтты.",
            "by": "interpreter"}},
        {"type": "agreement.reached", "id": "crawl-ag", "source": src, "data": {
            "conference": conference, "title": "Бірлескен мәлімдеме", "lang": "kk",
            "items": [{"n": 1, "text": "Әріптестікті нығайту"}]}},
        {"type": "translation.recorded", "id": "crawl-t3", "source": src, "data": {
            "of": "crawl-ag", "part": 1, "lang": "en", "text": "Strengthen partnership",
            "by": "the source's own"}}]
    return [json.dumps(line, ensure_ascii=False).encode() + b"\n" for line in lines]


def test_every_page_of_a_generated_1000_event_archive_passes_axe_on_a_phone(
        tmp_path: Path, browser: Browser):
    """The same walk over a generated archive (bench.generate: long names, many rows,
    corrections, merges, several conferences and pages of results), at 390 px, where
    overflow and contrast break first."""
    from archive.app import Archive
    from bench.generate import write_import

    root = tmp_path / "generated"
    Archive(root).init()
    lines = tmp_path / "import.jsonl"
    conference = write_import(lines, 1000, seed=7)["conferences"][0]
    with lines.open("rb") as f:
        Archive(root).recorder().import_lines(f)
    Archive(root).recorder().import_lines(iter(_translated(conference)))
    Archive(root).build()
    Archive(root).brief(html=True, verify=False, conference=conference)
    proc, base = start(root)
    try:
        assert crawl(base, browser, ERRORS, 390) == {}
        # and the reader's pages of texts in several languages, with their translations
        # (the walk meets one page of each type, which may be another speech's)
        # (and a table page whose header the phone layout draws off the page: its sort
        # links must not take Tab there; the walk's one table page may be another's)
        assert crawl(base, browser, ["/archive/speeches/crawl-ru", "/archive/agreements/"
                                     "crawl-ag", "/archive/entities/crawl-speaker",
                                     "/archive/translations"], 390, follow=False) == {}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_tab_order_check_finds_what_it_is_for(browser: Browser):
    """TAB_ORDER on pages made to fail it: each defect is named, a sound page passes."""
    page = browser.new_page(viewport={"width": 390, "height": 900})
    try:
        cases = {
            '<a href="#a">one</a> <a href="#b" tabindex="2">two</a>': "positive tabindex",
            '<div style="display:flex;flex-direction:column-reverse">'
            '<a href="#a">first in the document</a><p>text</p>'
            '<a href="#b">second</a></div>': "back up the page",
            '<a href="#a">one</a><a href="#z" style="display:inline-block;width:0;'
            'height:0;overflow:hidden">hidden</a>': "not shown",
            '<a class="archive-skip" href="#m" style="position:absolute;left:-9999px">'
            'skip</a><main id="m"><a href="#a">one</a><table><tr><td><p>x</p>'
            '<a href="#b">low in a cell</a></td><td><a href="#c">high</a></td></tr>'
            '</table><details><summary>more</summary><a href="#d">in</a></details>'
            '</main>': None,
        }
        for html, expected in cases.items():
            page.set_content(f"<!doctype html><html lang=en><body>{html}</body></html>")
            found = page.evaluate(TAB_ORDER)
            if expected is None:
                assert found == [], found
            else:
                assert len(found) == 1 and expected in found[0], (html, found)
    finally:
        page.close()


def test_the_policy_runs_datasettes_scripts_and_no_injected_one(
        astana_briefed: Path, browser: Browser):
    """A table page as served runs Datasette's inline facet switch; the same page with an
    inline script (and an event handler) slipped into its body, under the same headers,
    runs neither and reports both as violations."""
    proc, base = start(astana_briefed)
    context = browser.new_context()
    context.add_init_script(VIOLATIONS)
    page = context.new_page()
    try:
        page.goto(base + "/archive/speeches", wait_until="load")
        assert page.evaluate("typeof DATASETTE_ALLOW_FACET") == "boolean"
        assert page.evaluate("window.archiveViolations") == []

        def injected(route):  # what an escaping failure would serve
            response = route.fetch()
            body = response.text().replace(
                "</body>", "<script>window.injected = 1</script>"
                "<img src=x onerror=\"window.handled = 1\"></body>")
            route.fulfill(response=response, body=body)

        page.route(base + "/archive/sessions", injected)
        page.goto(base + "/archive/sessions", wait_until="load")
        assert page.evaluate("[typeof window.injected, typeof window.handled]") == [
            "undefined", "undefined"]
        assert page.evaluate("typeof DATASETTE_ALLOW_FACET") == "boolean"
        found = page.evaluate("window.archiveViolations")
        assert len(found) == 2 and all("script-src" in v for v in found), found
        assert script_policy_problems("script-src 'self' 'unsafe-inline'") == [
            "script-src allows 'unsafe-inline'"]
        assert script_policy_problems("frame-ancestors 'none'") == [
            "no script-src in the Content-Security-Policy"]
    finally:
        context.close()
        proc.terminate()
        proc.wait(timeout=10)
