"""Layout that holds whatever is recorded (issue 10, item 15): a 5,000-letter word wraps
inside the page, a figure of 1e300 is shown in powers of ten, emoji are drawn with a font
that has them (Symbola, installed by `make`), and tables keep their columns readable."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from briefing_pdf import contains, fonts, text, words
from click.testing import CliRunner

from archive.cli import cli
from archive.core.numbers import format_number

LONG = "x" * 5000


def add(root: Path, *args: str) -> None:
    result = CliRunner().invoke(cli, ["--archive", str(root), "--recorder", "tests",
                                      "add", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("layout")
    assert CliRunner().invoke(cli, ["--archive", str(root), "init", str(root)]).exit_code == 0
    add(root, "conference", "--name", "Layout test \N{EARTH GLOBE EUROPE-AFRICA}",
        "--at", "2020-01-01")
    add(root, "speech", "--speaker", "Ann Lee", "--summary", f"Start {LONG} end",
        "--quote", "We \N{THUMBS UP SIGN} agree \N{PARTY POPPER}")
    add(root, "figure", "--value", "1e300", "--counts", "stars in " + LONG[:600],
        "--cited-by", "Ann Lee")
    add(root, "figure", "--value", "0.0001", "--counts", "a tiny share")
    add(root, "note", "--text", "https://example.org/" + LONG)
    result = CliRunner().invoke(cli, ["--archive", str(root), "briefing"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return root / "exports" / "briefing.pdf"


#: The right margin of the page (34 mm) and of the cover (its 24 mm padding), in points,
#: less 1.5 pt for the rounding of glyph boxes.
RIGHT_MARGIN = 34 / 25.4 * 72 - 1.5
COVER_MARGIN = 24 / 25.4 * 72 - 1.5


def beyond_the_measure(pdf: Path) -> list[tuple[int, float, float, str]]:
    """Every word whose box ends in the right margin: nothing, not even a table column,
    is wider than the text block."""
    return [(page, right, width, w[:20]) for page, right, width, _h, w in words(pdf)
            if right > width - (COVER_MARGIN if page == 1 else RIGHT_MARGIN)]


def test_no_word_runs_off_the_page(pdf: Path, tmp_path: Path) -> None:
    shown = words(pdf)
    assert sum(w.count("x") for *_, w in shown) >= 2 * 5000 + 600  # all of it is shown
    assert beyond_the_measure(pdf) == []
    assert ink_in_the_margin(pdf, tmp_path) == []


def ink_in_the_margin(pdf: Path, tmp: Path) -> list[int]:
    """The pages that draw anything (a word, a rule, a table's border) in the right
    margin, 1 mm past the text block to 1 mm from the edge: the pages as rendered by
    poppler at 50 dpi, looked at as pixels."""
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", "50", "-gray", "-png", str(pdf), str(tmp / "p")],
                   check=True)
    pages = []
    for n, png in enumerate(sorted(tmp.glob("p-*.png")), 1):
        image = Image.open(png).convert("L")
        mm = image.width / 210
        strip = image.crop((int(image.width - (34 - 1) * mm) + 1, 0,
                            int(image.width - mm), image.height))
        if n > 1 and strip.getextrema()[0] < 200:  # the cover is a full-bleed design
            pages.append(n)
    return pages


def test_the_shipped_briefing_keeps_every_table_within_the_measure(
        astana_briefed: Path, tmp_path: Path) -> None:
    """The people table's four columns were 100% of the width plus their padding: its
    last column ran 12 mm into the margin."""
    pdf = astana_briefed / "exports" / "briefing.pdf"
    assert beyond_the_measure(pdf) == []
    assert ink_in_the_margin(pdf, tmp_path) == []


def test_table_columns_stay_readable(pdf: Path) -> None:
    """The long cell wraps in its own column; the others keep whole words."""
    body = text(pdf)
    assert "Cited by".upper() in body.upper() and "Ann Lee" in body
    cited = [w for *_, w in words(pdf) if w in ("Ann", "Lee", "source")]
    assert {"Ann", "Lee", "source"} <= set(cited)


def test_huge_and_tiny_numbers_are_readable(pdf: Path) -> None:
    body = text(pdf)
    assert contains(body, "1 × 10³⁰⁰") and contains(body, "1 × 10⁻⁴")
    assert "0" * 30 not in body


@pytest.mark.parametrize(("value", "shown"), [
    (1e300, "1 × 10³⁰⁰"), (-2.5e17, "-2.5 × 10¹⁷"), (0.001234, "1.23 × 10⁻³"),
    (1234567, "1,234,567"), (999_999_999_999_999, "999,999,999,999,999"), (2.75, "2.75"),
    (0, "0"), (120.0, "120")])
def test_format_number(value: float, shown: str) -> None:
    assert format_number(value) == shown


def test_emoji_are_drawn_with_a_font_that_has_them(pdf: Path) -> None:
    assert "Symbola" in fonts(pdf)
    assert contains(text(pdf), "We \N{THUMBS UP SIGN} agree \N{PARTY POPPER}")


#: Words only the PDF prints (its page numbers, the attached log's note, a photo's label).
PDF_ONLY = {"Page", "Photo", "Attached", "PDF", "carries", "file", "events", "jsonl", "so",
            "anyone", "can", "attached", "pdf", "FILE"}


def test_no_word_of_the_shipped_briefing_is_broken_in_the_middle(astana_briefed: Path
                                                                  ) -> None:
    """Every word the PDF shows is a word of the same briefing as HTML (where nothing
    wraps inside a word): a table cell that broke "Kazakhstan" into "Kazakh" and "stan"
    would show fragments that are no words of the briefing."""
    import html as markup
    import re

    page = (astana_briefed / "exports" / "briefing.html").read_text(encoding="utf-8")
    page = re.sub(r"<style.*?</style>", " ", page, flags=re.S)
    vocabulary = set(re.findall(r"\w+", markup.unescape(re.sub(r"<[^>]+>", " ", page))))
    shown = {token: n for n, *_, word in words(astana_briefed / "exports" / "briefing.pdf")
             for token in re.findall(r"\w+", markup.unescape(word))}
    broken = {t: n for t, n in shown.items()
              if t not in vocabulary and t not in PDF_ONLY and not t.isdigit()}
    assert broken == {}
    assert len(shown) > 700  # the whole briefing was read
