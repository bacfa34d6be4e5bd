"""What the briefing says is true (issue 18, "fix first"): every number in its summary and
on its cover equals the database's count of the same thing, speeches are not pinned to
sessions they were not in, and it never says what only the code knows."""

from __future__ import annotations

import re
import shutil
import sqlite3
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import cli

REPO = Path(__file__).resolve().parent.parent
#: Words only a database would say.
DATABASE_WORDS = ["not recorded", "outside a recorded session", "no usable file", "None",
                  "nan", "null", "Unknown"]


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.skip += tag in ("style", "script", "svg")

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in ("style", "script", "svg")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def rendered(root: Path) -> tuple[str, sqlite3.Connection]:
    """The briefing's visible text (HTML, the same template as the PDF), one space-separated
    line, and the database it was built from."""
    result = CliRunner().invoke(cli, ["--archive", str(root), "briefing", "--html",
                                      "--no-verify"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return read(root)


def read(root: Path) -> tuple[str, sqlite3.Connection]:
    """The visible text of `root`'s HTML briefing as it is, and its database."""
    parser = _Text()
    parser.feed((root / "exports" / "briefing.html").read_text(encoding="utf-8"))
    return " ".join("".join(parser.parts).split()), sqlite3.connect(
        root / "exports" / "archive.db")


@pytest.fixture(scope="module")
def astana(astana_briefed: Path) -> tuple[str, sqlite3.Connection]:
    return read(astana_briefed)


def number(text: str, pattern: str) -> int:
    found = re.search(pattern, text)
    assert found, pattern
    return int(found.group(1))


def one(db: sqlite3.Connection, sql: str) -> int:
    return int(db.execute(sql).fetchone()[0])


def test_every_count_in_the_summary_is_the_databases(astana: tuple[str, sqlite3.Connection]
                                                     ) -> None:
    text, db = astana
    counts = {
        r"names them: (\d+) countr": "select count(distinct entity_id) from participations "
                                 "where kind = 'country'",
        r"(\d+) international bod": "select count(*) from entities where kind = "
                                    "'organisation' and category like '%international%'",
        r"(\d+) other organisation": "select count(*) from entities where kind = "
                                     "'organisation' and coalesce(category, '') not like "
                                     "'%international%'",
        r"and (\d+) people": "select count(distinct entity_id) from participations where "
                             "kind = 'person'",
        r"(\d+) speeches and remarks": "select count(*) from speeches",
        r"programme recorded has (\d+) session": "select count(*) from sessions",
        r"a programme of (\d+) session": "select count(*) from sessions",
        r"(\d+) proposals?, ": "select count(*) from proposals",
        r"(\d+) of them by a named proposer": "select count(*) from proposals where "
                                               "proposer_id is not null",
        r"South Asia, (\d+) points": "select count(*) from agreement_items",
        r"(\d+) interviews?\b": "select count(*) from speeches where kind = 'interview'",
        r"(\d+) opening address": "select count(*) from speeches where kind = 'opening'",
        r"(\d+) other remarks?\b": "select count(*) from speeches where kind = 'remark'",
        r"(\d+) panel contribution": "select count(*) from speeches where kind = 'panel'",
        r"of the (\d+) the source says": "select value from figures where counts like "
                                         "'countries%'",
        r"the source reports (\d+)": "select value from figures where counts like "
                                      "'countries%'",
    }
    for pattern, sql in counts.items():
        assert number(text, pattern) == one(db, sql), pattern


def test_every_agreed_point_is_in_the_summary_as_numbered(
        astana: tuple[str, sqlite3.Connection]) -> None:
    text, db = astana
    summary = text.split("What was agreed", 1)[1].split("Ideas raised", 1)[0]
    for n, point in db.execute("select n, text from agreement_items order by n"):
        assert " ".join(point.split()) in summary, n


def test_proposals_are_ideas_not_outcomes(astana: tuple[str, sqlite3.Connection]) -> None:
    text, db = astana
    ideas = text.split("Ideas raised", 1)[1].split("What comes next", 1)[0]
    # who proposed what, and whether it was taken up, only as the record says
    assert "the record does not say that any was adopted or taken up" in ideas
    (taken,) = db.execute("select count(*) from commitments where proposal_id is not null"
                          ).fetchone()
    assert taken == 0 and "taken up as a commitment" not in ideas
    assert "individual speakers" not in text
    assert "Agreed" not in ideas


def test_no_database_words(astana: tuple[str, sqlite3.Connection]) -> None:
    text, _ = astana
    for words in DATABASE_WORDS:
        assert not re.search(rf"\b{re.escape(words)}\b", text), words
    assert not re.search(r"\b01[0-9A-HJKMNP-TV-Z]{24}\b", text)  # a raw entity id


def test_remarks_are_grouped_by_their_kind_and_openings_come_first(
        astana: tuple[str, sqlite3.Connection]) -> None:
    text, _ = astana
    assert re.search(r"29 June 2015 Opening remarks Karim Massimov", text)
    # the kind, not a missing session
    assert re.search(r"Interviews and remarks to the press Gil Kerlikowske", text)


def test_the_source_is_named(astana: tuple[str, sqlite3.Connection]) -> None:
    text, _ = astana
    assert "Compiled from" in text
    assert "Press reporting: Calls for Broader Cooperation Define Astana Anti-Extremism " \
           "Conference, The Astana Times, July 2015" in text
    assert "para. 14" in text and ", p14" not in text


def test_the_pdf_is_tagged_and_archival(astana_briefed: Path) -> None:
    """PDF/A-3, level A: tagged (headings, lists, tables with header cells), title and
    language set, archival metadata."""
    import subprocess

    pdf = astana_briefed / "exports" / "briefing.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    assert "Title:           Central and South Asian Regional Conference" in info
    meta = subprocess.run(["pdfinfo", "-meta", str(pdf)], capture_output=True,
                          text=True).stdout
    assert 'pdfaid:part="3"' in meta and 'pdfaid:conformance="A"' in meta
    tree = subprocess.run(["pdfinfo", "-struct", str(pdf)], capture_output=True,
                          text=True).stdout
    roles = [line.split()[0].rstrip(":") for line in tree.splitlines() if line.strip()]
    assert {"H1", "H2", "H3", "L", "LI", "Table", "TH", "TD", "Figure"} <= set(roles)
    assert roles.count("H1") == 1  # the title; chapters are H2
    # every figure (the charts) carries its text alternative, with the numbers it draws
    alts = figure_alts(pdf)
    assert alts and all(alts), alts
    assert any(a.startswith("Participants by kind: Countries: 10;") for a in alts), alts


def figure_alts(path: Path) -> list[str]:
    """The /Alt of every Figure element of the PDF's structure tree ("" where missing)."""
    from pypdf import PdfReader

    out: list[str] = []

    def walk(node: object) -> None:
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, list):
            for kid in node:
                walk(kid)
        elif isinstance(node, dict):
            if node.get("/S") == "/Figure":
                out.append(str(node.get("/Alt", "")))
            if "/K" in node:
                walk(node["/K"])

    walk(PdfReader(str(path)).trailer["/Root"]["/StructTreeRoot"])
    return out


def test_the_pdf_carries_its_log_and_verify_pdf_checks_it(astana_briefed: Path,
                                                         tmp_path: Path) -> None:
    """`archive verify --pdf` needs only the PDF; a tampered attachment is caught."""
    log = REPO / "events" / "events.jsonl"
    pdf = astana_briefed / "exports" / "briefing.pdf"
    last = log.read_bytes().splitlines()[-1]
    head = re.search(rb'"hash":"([0-9a-f]{64})"', last).group(1).decode()  # type: ignore[union-attr]
    elsewhere = tmp_path / "no-archive-here"
    elsewhere.mkdir()
    ok = CliRunner().invoke(cli, ["--archive", str(elsewhere), "verify", "--pdf", str(pdf)])
    assert ok.exit_code == 0, ok.output
    assert f"hash {head}" in ok.stdout
    # the same PDF with one quote changed inside its attachment (rewritten with pypdf)
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(str(pdf)))
    (spec,) = [f for f in writer.attachment_list if f.name == "events.jsonl"]
    forged = spec.content.replace(b"We have to join", b"We have to JOIN")
    assert forged != spec.content
    spec.content = forged  # type: ignore[misc]
    tampered = tmp_path / "tampered.pdf"
    with open(tampered, "wb") as f:
        writer.write(f)
    bad = CliRunner().invoke(cli, ["verify", "--pdf", str(tampered)])
    assert bad.exit_code == 1 and "hash mismatch" in bad.stderr, bad.output
    missing = CliRunner().invoke(cli, ["verify", "--pdf", str(REPO / "README.md")])
    assert missing.exit_code == 1 and missing.stderr.startswith("Error: ")


def test_nothing_is_smaller_than_7_5pt_or_paler_than_4_5_to_1(astana_briefed: Path) -> None:
    """Measured from the PDF: every word's box is at least as tall as 7.5pt DejaVu text
    (ascent + descent = 1.164 em); and every text colour in the style sheet has a
    contrast of at least 4.5:1 against white."""
    import subprocess

    boxes = subprocess.run(["pdftotext", "-enc", "UTF-8", "-bbox",
                            str(astana_briefed / "exports" / "briefing.pdf"), "-"],
                           capture_output=True).stdout.decode("utf-8", "replace")
    heights = [float(b) - float(a) for a, b in re.findall(
        r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">', boxes)]
    assert heights and min(heights) >= 7.5 * 1.164 - 0.05

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
                  for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    css = "".join((REPO / "archive" / "briefing" / name).read_text()
                  for name in ("style.css", "web.css"))
    colours = re.findall(r"(?<![-\w])color:\s*#([0-9a-fA-F]{6})", css)
    assert colours
    for colour in colours:
        if colour.lower() in ("ffffff", "fff"):
            continue  # white text sits on the dark cover band
        assert (1.05) / (luminance(colour) + 0.05) >= 4.5, colour


@pytest.mark.slow
def test_pages_referred_to_once_write_the_same_bytes(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """`briefing.pdf` keeps pydyf's list of page references instead of building it once
    per tagged element (quadratic in the pages); the PDF is byte for byte the one pydyf's
    own property writes."""
    import pydyf

    from archive.app import Archive
    from archive.briefing import pdf  # noqa: F401 (puts the kept list in place)

    kept = pydyf.PDF.page_references
    assert kept.fget is not None and hasattr(kept.fget, "stock")
    root = tmp_path / "archive"
    shutil.copytree(REPO / "events", root / "events")
    ours = Archive(root).brief(tmp_path / "ours.pdf", verify=False)
    monkeypatch.setattr(pydyf.PDF, "page_references", kept.fget.stock)
    stock = Archive(root).brief(tmp_path / "stock.pdf", verify=False)
    assert ours.pages == stock.pages > 10
    assert ours.path.read_bytes() == stock.path.read_bytes()
