"""The briefing of any archive tells the truth (issue 18, "How it is checked"): for
Hypothesis-generated conferences (with and without sessions, dates, figures, observers,
delegations, side meetings, partial agreements), every count it prints is the database's
count of the same thing, every fact appears exactly once in the body, every chart's bars
sum to the facts they count, and no database word appears. Then the layout of really
rendered PDFs: headings stay with what follows, no table leaves one row alone on a page,
no text crosses the right margin."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from briefing_fixtures import write_log
from generated_archives import Shape, drafts, shapes
from helpers import examples
from hypothesis import HealthCheck, given, settings

from archive.app import Archive

REPO = Path(__file__).resolve().parent.parent
DATABASE_WORDS = ["not recorded", "outside a recorded session", "no usable file", "None",
                  "nan", "null", "Unknown", "Date not given", "(none)"]
INTERNATIONAL = ("(lower(category) like '%international%' or lower(category) like "
                 "'%intergovernmental%' or lower(category) like '%multilateral%')")
#: how the summary names each kind of speech, as a pattern for its count
KIND_PATTERNS = {"opening": r"(\d+) opening address", "keynote": r"(\d+) keynote address",
                 "panel": r"(\d+) panel contribution", "closing": r"(\d+) closing address",
                 "interview": r"(\d+) interviews?\b", "remark": r"(\d+) other remarks?\b",
                 "statement": r"(\d+) statements?\b"}


class _Text(HTMLParser):
    """The visible text of a page (no style, no SVG), one space-separated line."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.skip += tag in ("style", "script", "svg", "title")

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in ("style", "script", "svg", "title")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join("".join(parser.parts).split())


def section(html: str, id_: str) -> str:
    found = re.search(rf'<section id="{id_}".*?</section>', html, re.S)
    return found.group(0) if found else ""


def one(db: sqlite3.Connection, sql: str) -> int:
    return int(db.execute(sql).fetchone()[0] or 0)


def numbers(text: str, pattern: str) -> list[int]:
    return [int(m.group(1)) for m in re.finditer(pattern, text)]


def check_briefing(html: str, db: sqlite3.Connection) -> None:
    text = visible(html)
    summary = visible(section(html, "summary"))
    # ---- counts: each printed number is the database's
    participants = "select count(distinct entity_id) from participations where "
    counts = {
        r"(\d+) countr(?:y|ies)\b": one(db, participants + "kind = 'country'"),
        r"(\d+) international bod": one(db, participants + "kind = 'organisation' and "
                                        + INTERNATIONAL),
        r"(\d+) (?:other )?organisations?\b": one(
            db, participants + "kind = 'organisation' and not "
            + INTERNATIONAL.replace("category", "coalesce(category, '')")),
        r"(\d+) (?:people|person)\b": one(db, participants + "kind = 'person'"),
    }
    for pattern, expected in counts.items():
        found = numbers(summary, pattern)  # "Who took part", and the key messages
        assert set(found) == ({expected} if expected else set()), (pattern, summary)
        assert found or not expected, (pattern, summary)
    speeches = one(db, "select count(*) from speeches")
    sessions = one(db, "select count(*) from sessions")
    proposals = one(db, "select count(*) from proposals")
    assert numbers(summary, r"(\d+) (?:speech|speeches and remarks)\b") == \
        ([speeches] if speeches else [])
    assert numbers(summary, r"a programme of (\d+) session") == \
        ([sessions] if sessions and speeches else [])
    assert numbers(summary, r"the programme recorded has (\d+) session") == \
        ([sessions] if sessions else [])
    assert numbers(summary, r"; (\d+) proposals?\b") == \
        ([proposals] if proposals and speeches else [])
    named = one(db, "select count(*) from proposals where proposer_id is not null")
    by_named = numbers(summary, r"(\d+) of them by a named proposer")
    assert by_named == [named] * len(by_named)
    assert bool(by_named) is (0 < named < proposals)  # said wherever it is so, never else
    assert "individual speakers" not in summary
    for kind, pattern in KIND_PATTERNS.items():
        n = one(db, f"select count(*) from speeches where kind = '{kind}'")
        assert numbers(summary, pattern) == ([n] if n else []), (kind, summary)
    for title, items, points in db.execute(
            "select title, (select count(*) from agreement_items i where i.agreement_id = "
            "a.id), points from agreements a"):
        found = re.search(rf"Agreed: {re.escape(title)}, (\d+) points?(?: recorded of (\d+))?",
                          summary)
        assert found, title
        assert int(found.group(1)) == items
        shown_of = int(found.group(2)) if found.group(2) else None
        assert shown_of == (points if points and points > items else None)
    reported = db.execute("select value from figures where counts like 'countries%'"
                          ).fetchone()
    countries = one(db, participants + "kind = 'country'")
    more = [int(reported[0])] if reported and reported[0] > countries else []
    assert numbers(summary, r"the source reports (\d+)") == (more if countries else [])
    assert numbers(summary, r"of the (\d+) the source says") == (more if countries else [])
    assert numbers(summary, r"though the source says (\d+) were") == \
        ([] if countries else more)
    # ---- every fact exactly once in the body
    for table in ("speeches", "proposals", "agreements", "figures", "followups", "notes",
                  "meetings", "delegations", "attachments"):
        for (id_,) in db.execute(f"select id from {table}"):
            assert html.count(f'id="fact-{id_}"') == 1, (table, id_)
    for (quote,) in db.execute("select text from quotes"):
        assert text.count(f"“{quote}”") == 1, quote  # as the proceedings quote it
    agreements = visible(section(html, "agreements"))
    for (item,) in db.execute("select text from agreement_items"):
        assert agreements.count(item) == 1, item
        assert summary.count(item) == 1, item  # every agreed point in full in the summary
    # ---- charts: their bars are the facts they count
    for svg in re.findall(r'<figure class="chart" id="chart-sessions">.*?</figure>', html,
                          re.S):
        alt = visible(svg.split("</svg>")[1])
        assert sum(numbers(alt, r"(\d+) speech")) == speeches
        assert sum(numbers(alt, r"(\d+) proposal")) == one(
            db, "select count(*) from proposals where session_id is not null")
    for svg in re.findall(r'<figure class="chart" id="chart-participants">.*?</figure>', html,
                          re.S):
        alt = visible(svg.split("</svg>")[1])
        for label, pattern in (("Countries", r"(\d+) countr(?:y|ies)\b"),
                               ("International bodies", r"(\d+) international bod"),
                               ("People", r"(\d+) (?:people|person)\b")):
            assert numbers(alt, rf"{label}: (\d+)") == \
                ([counts[pattern]] if counts[pattern] else []), label
    # ---- no words only the code knows
    for words in DATABASE_WORDS:
        assert not re.search(rf"(?<!\w){re.escape(words)}(?!\w)", text), words
    assert not re.search(r"\b\d+\.0\b", text)  # an integer printed as a float
    assert not re.search(r"\b01[0-9A-HJKMNP-TV-Z]{24}\b", text)  # a raw entity id


@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shapes())
def test_every_count_fact_and_chart_of_a_generated_briefing_is_true(shape: Shape) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_log(root, drafts(shape))
        result = Archive(root).brief(html=True, verify=False)
        db = sqlite3.connect(root / "exports" / "archive.db")
        try:
            check_briefing(result.path.read_text("utf-8"), db)
        finally:
            db.close()


def test_the_shipped_briefing_is_true(tmp_path: Path) -> None:
    root = tmp_path / "astana"
    (root / "events").mkdir(parents=True)
    shutil.copyfile(REPO / "events" / "events.jsonl", root / "events" / "events.jsonl")
    result = Archive(root).brief(html=True, verify=False)
    db = sqlite3.connect(root / "exports" / "archive.db")
    try:
        check_briefing(result.path.read_text("utf-8"), db)
    finally:
        db.close()


# ---------------------------------------------------------------- layout of real PDFs

#: the shipped archive, and two made-up ones: large, with everything; undated, lean
LAYOUTS = {
    "astana": None,
    "large": Shape(seed=7, countries=6, organisations=8, people=16, sessions=4, speeches=30,
                   proposals=4, agreements=2, figures=3, followups=2, notes=3, meetings=2,
                   delegations=2, observers=True, partial=True, countries_figure=True),
    "undated": Shape(seed=11, countries=2, organisations=1, people=3, sessions=0,
                     speeches=4, proposals=1, agreements=1, figures=0, followups=0,
                     notes=0, dated=False),
}


@pytest.fixture(scope="module", params=sorted(LAYOUTS))
def rendered_pdf(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> Path:
    shape = LAYOUTS[request.param]
    if shape is None:  # the shipped archive's own briefing
        return request.getfixturevalue("astana_briefed") / "exports" / "briefing.pdf"
    root = tmp_path_factory.mktemp(f"layout-{request.param}")
    write_log(root, drafts(shape))
    return Archive(root).brief(verify=False).path


def structure(path: Path) -> list[tuple[str, int, int]]:
    """The tagged PDF's structure elements in reading order: (role, page, depth)."""
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    pages = {p.indirect_reference.idnum: i for i, p in enumerate(reader.pages, 1)}
    out: list[tuple[str, int, int]] = []

    def walk(node: object, depth: int) -> None:
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, list):
            for kid in node:
                walk(kid, depth)
        elif isinstance(node, dict):
            if "/S" in node:
                page = node.get("/Pg")
                out.append((str(node["/S"])[1:],
                            pages.get(page.idnum, 0) if page is not None else 0, depth))
            if "/K" in node:
                walk(node["/K"], depth + 1)

    walk(reader.trailer["/Root"]["/StructTreeRoot"], 0)
    return out


def test_headings_stay_with_what_follows(rendered_pdf: Path) -> None:
    elements = structure(rendered_pdf)
    for i, (role, page, depth) in enumerate(elements):
        if role not in ("H2", "H3", "H4"):
            continue
        after = next((e for e in elements[i + 1:] if e[2] <= depth), None)
        if after is not None:
            assert after[1] == page, (role, page, elements[i + 1:i + 4])


def test_no_table_leaves_one_row_alone_on_a_page(rendered_pdf: Path) -> None:
    """A table split over pages is tagged as one Table element per page, one after the
    other; each part must hold its header row and at least two rows of the table."""
    elements = structure(rendered_pdf)
    parts: list[list[int]] = []  # for each table, its rows (header included) on each page
    last_sibling: str | None = None
    for i, (role, _, depth) in enumerate(elements):
        if role != "Table":
            continue
        rows = 0
        for r, _, d in elements[i + 1:]:
            if d <= depth:
                break
            rows += r == "TR"
        last_sibling = next((r for r, _, d in reversed(elements[:i]) if d <= depth), None)
        if last_sibling == "Table" and parts:
            parts[-1].append(rows)
        else:
            parts.append([rows])
    split = [part for part in parts if len(part) > 1]
    for part in split:
        assert min(part) >= 3, part


def test_no_text_crosses_the_right_margin(rendered_pdf: Path) -> None:
    """A4 is 595.3pt wide: the text block of a page, and its running header, end 34 mm
    (96.4pt) from the right edge; the cover's own padding is 24 mm (68pt)."""
    boxes = subprocess.run(["pdftotext", "-bbox", str(rendered_pdf), "-"],
                           capture_output=True, check=True).stdout.decode("utf-8", "replace")
    pages = boxes.split("<page ")[1:]
    assert pages
    for number, page in enumerate(pages, 1):
        width = float(re.match(r'width="([\d.]+)"', page).group(1))  # type: ignore[union-attr]
        margin = 68.0 if number == 1 else 96.4
        right = max((float(x) for x in re.findall(r'xMax="([\d.]+)"', page)), default=0.0)
        assert right <= width - margin + 0.5, (number, right)
