"""The PDF briefing, checked on the text of the really rendered PDF (poppler's tools).

Every archive here is a real log written with `archive.store.log.Log`, built with the real
`archive.database.build`, rendered with the real WeasyPrint.
"""

from __future__ import annotations

import http.server
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import briefing_pdf as pdf
import pytest
from briefing_fixtures import (
    AGREED_ITEMS,
    AHAMED_QUOTE,
    DRAGANOV_QUOTE,
    KAZAKH_NAME,
    KERLIKOWSKE_QUOTE,
    PHOTO_CAPTION,
    PM_QUOTES,
    PROPOSALS,
    C,
    demo_drafts,
    store_attachment,
    tiny_png,
    write_demo_log,
    write_log,
)
from click.testing import CliRunner

from archive.app import Archive
from archive.briefing import Limits, render
from archive.briefing.fetcher import SafeFetcher
from archive.briefing.pdf import html_to_pdf
from archive.cli import cli
from archive.errors import Ambiguous, NotFound, RenderError
from archive.store.layout import Layout

REPO = Path(__file__).resolve().parent.parent
PASSWD = Path("/etc/passwd").read_text()


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo archive and its briefing, rendered once for the read-only tests."""
    root = tmp_path_factory.mktemp("demo")
    write_demo_log(root)
    result = Archive(root).brief()
    assert result.path == root / "exports" / "briefing.pdf"
    assert result.refused == () and result.warnings == ()
    return root, result.path


@pytest.fixture(scope="module")
def demo_text(demo: tuple[Path, Path]) -> str:
    return pdf.text(demo[1])


# ---------------------------------------------------------------- content


def test_every_agreed_item_proposal_quote_and_speaker_appears(demo, demo_text):
    root, out = demo
    for needle in [*AGREED_ITEMS, *PROPOSALS, *PM_QUOTES, KERLIKOWSKE_QUOTE, DRAGANOV_QUOTE,
                   AHAMED_QUOTE, "Karim Massimov", "Gil Kerlikowske", "Petko Draganov",
                   "Faheem Ahamed", "Shavkat Sabirov"]:
        assert pdf.contains(demo_text, needle), needle
    # The same from the database itself: nothing the projection holds is left out.
    assert_every_fact_appears(root / "exports" / "archive.db", demo_text)


def assert_every_fact_appears(db_path: Path, text: str) -> None:
    db = sqlite3.connect(db_path)
    facts = [row[0] for table, column in [
        ("agreement_items", "text"), ("proposals", "text"), ("quotes", "text"),
        ("speeches", "speaker_name"), ("agreements", "title"), ("figures", "counts"),
        ("followups", "name"), ("notes", "text")]
        for row in db.execute(f"select {column} from {table}")]
    db.close()
    assert facts
    missing = [f for f in facts if not pdf.contains(text, f)]
    assert missing == []


def test_cover_names_the_conference_and_the_colophon_gives_provenance(demo):
    root, out = demo
    cover = pdf.text(out, 1)
    head = Archive(root).build()  # up to date: nothing applied, same state
    assert head.applied == 0
    for needle in ["Central and South Asian Regional Conference on Countering Violent "
                   "Extremism", "Astana, Kazakhstan", "29–30 June 2015",
                   "Government of Kazakhstan", "Government of the United States",
                   "OSCE Programme Office in Astana", "Record as of", "1 July 2015"]:
        assert pdf.contains(cover, needle), needle
    assert "Page 1 of" not in cover  # the cover has no running header or footer
    assert head.hash not in cover and "#" not in cover  # provenance is in the colophon
    last = pdf.text(out, pdf.pages(out))
    for needle in ["About this briefing", f"entry #{head.seq}", head.hash,
                   "recorded 1 July 2015",
                   f"archive verify --head {head.seq}:{head.hash[:16]}"]:
        assert pdf.contains(last, needle), needle


def test_publisher_is_named_on_the_cover_and_in_the_colophon(demo, tmp_path):
    root, _ = demo
    out = Archive(root).brief(tmp_path / "pub.pdf", publisher="OSCE Secretariat").path
    assert pdf.contains(pdf.text(out, 1), "Compiled by")
    assert pdf.contains(pdf.text(out, 1), "OSCE Secretariat")
    assert pdf.contains(pdf.text(out, pdf.pages(out)), "compiled by OSCE Secretariat")
    assert pdf.info(out)["Author"] == "OSCE Secretariat"


def test_contents_page_numbers_match_where_sections_start(demo):
    _, out = demo
    rows = pdf.contents(out)
    titles = [t for t, _, _ in rows]
    assert titles[:4] == ["Executive summary", "Programme", "Agreements", "Proceedings"]
    assert {"29 June 2015", "30 June 2015", "Annex 1. Participants", "Sources",
            "About this briefing"} <= set(titles)
    assert any(t.startswith("Annex") and t.endswith("Corrections and retractions")
               for t in titles)
    total = pdf.pages(out)
    # Each page's lines below the one-line running header.
    lines = {p: [x.strip() for x in pdf.text(out, p, layout=True).splitlines()[1:]]
             for p in range(3, total + 1)}
    proceedings = next(page for title, page, _ in rows if title == "Proceedings")
    for title, page, _ in rows:
        # The heading is a line of its own on that page, and on no later one (a day's
        # heading is also in the programme, before the proceedings).
        pages = [p for p in lines if title in lines[p]]
        assert pages and pages[-1] == page, (title, page, pages)
        assert page >= proceedings or pages == [page], (title, page, pages)


def test_running_headers_page_x_of_y_bookmarks_and_metadata(demo):
    root, out = demo
    total = pdf.pages(out)
    for page in range(2, total + 1):
        assert f"Page {page} of {total}" in pdf.text(out, page)
    header = pdf.text(out, 3, layout=True).splitlines()[0].split()
    # the name is wider than the running head's box: cut after a whole word, not clipped
    assert " ".join(header) == "Central and South Asian Regional Conference… Executive summary"
    header = pdf.text(out, total, layout=True).splitlines()[0]
    assert header.endswith("About this briefing")
    assert "Conference briefing · 1 July 2015" in pdf.text(out, total)
    assert "Log #" not in pdf.text(out)  # no log position in the running footers
    raw = pdf.inflated(out)
    assert b"/Outlines" in raw and b"/First" in raw
    for title in [b"Cover", b"Contents", b"Executive summary", b"Proceedings", b"Sources"]:
        assert b"(" + title + b")" in raw, title
    meta = pdf.info(out)
    assert meta["Title"].startswith("Central and South Asian Regional Conference")
    assert "Astana" in meta["Subject"] and "#" not in meta["Subject"]
    assert "conference briefing" in meta["Keywords"]
    # Dates from the log (the events were recorded on 1 July 2015), not the clock.
    assert "2015" in meta["CreationDate"] and "2015" in meta["ModDate"]


def test_other_scripts_render_with_real_glyphs(demo, demo_text):
    _, out = demo
    for needle in ["Груп. фото", "Қазақстан", KAZAKH_NAME]:
        assert needle in demo_text or pdf.contains(demo_text, needle), needle
    fonts = pdf.run("pdffonts", out)
    assert "DejaVu" in fonts and "Type 3" not in fonts


def test_corrections_shown_and_listed_with_reasons(demo, demo_text):
    _, out = demo
    total = pdf.pages(out)
    appendix = next(p for t, p, _ in pdf.contents(out) if t.endswith("retractions"))
    before = "".join(pdf.text(out, p) for p in range(1, appendix))
    assert pdf.contains(before, "Karim Massimov, Prime Minister of Kazakhstan")
    assert "Minster" not in before and "countries represented" not in before
    tail = "".join(pdf.text(out, p) for p in range(appendix, total + 1))
    for needle in ["Kazakh Prime Minster", "Prime Minister of Kazakhstan",
                   "Typo in the source (“Minster”)", "countries represented",
                   "The report counts 18 countries in total"]:
        assert pdf.contains(tail, needle), needle


def test_sources_are_numbered_notes_and_listed_at_the_end(demo):
    _, out = demo
    page = next(p for t, p, _ in pdf.contents(out) if t == "Sources")
    notes = pdf.text(out, page)
    assert pdf.contains(notes, "https://astanatimes.com/2015/07/calls-for-broader-cooperation/"
                               ", para 14.")
    assert "1. " in notes or pdf.contains(notes, "1.https://")
    assert "Event #" not in notes and "Events #" not in notes


def test_photo_with_file_is_drawn_and_caption_only_otherwise(demo, demo_text):
    _, out = demo
    assert pdf.images(out) == 1
    assert pdf.contains(demo_text, PHOTO_CAPTION)
    assert pdf.contains(demo_text, "Panel on media (photo not available)")
    assert pdf.contains(demo_text, "the photo itself is not reproduced here")


def test_charts_are_drawn_as_svg_with_labels(demo, demo_text):
    assert pdf.contains(demo_text, "Participants by kind")
    assert pdf.contains(demo_text, "Speeches and proposals per session")
    assert pdf.contains(demo_text, "International bodies")


@pytest.mark.slow
def test_same_log_prefix_gives_byte_identical_pdf(demo, tmp_path):
    root, out = demo
    again = Archive(root).brief(tmp_path / "again.pdf")
    assert again.path.read_bytes() == out.read_bytes()
    copy = tmp_path / "copy"
    shutil.copytree(root / "events", copy / "events")
    fresh = Archive(copy).brief(tmp_path / "fresh.pdf")  # a database built from scratch
    assert fresh.path.read_bytes() == out.read_bytes()


# ---------------------------------------------------------------- options


def test_as_of_renders_the_archive_as_it_stood(demo, tmp_path):
    root, _ = demo
    db_before = (root / "exports" / "archive.db").read_bytes()
    result = Archive(root).brief(tmp_path / "as-of.pdf", as_of="22")
    text = pdf.text(result.path)
    assert result.seq == 22
    con = sqlite3.connect(root / "exports" / "archive.db")
    hash22 = con.execute("select hash from events where seq = 22").fetchone()[0]
    con.close()
    assert pdf.contains(pdf.text(result.path, result.pages), hash22)
    assert pdf.contains(text, PM_QUOTES[0])
    assert not pdf.contains(text, AHAMED_QUOTE)  # recorded after event 22
    assert "Kazakh Prime Minster" in text  # the correction came later
    assert (root / "exports" / "archive.db").read_bytes() == db_before


def test_since_gives_an_update_with_both_stamps(demo, tmp_path):
    root, _ = demo
    result = Archive(root).brief(tmp_path / "update.pdf", since=30)
    text = pdf.text(result.path)
    cover = pdf.text(result.path, 1)
    colophon = pdf.text(result.path, result.pages)
    con = sqlite3.connect(root / "exports" / "archive.db")
    h30, h37 = (con.execute("select hash from events where seq = ?", (s,)).fetchone()[0]
                for s in (30, 37))
    con.close()
    assert pdf.contains(cover, "Update briefing")
    assert pdf.contains(colophon, h30) and pdf.contains(colophon, h37)
    assert pdf.contains(text, "CVE leaders' summit")  # recorded after event 30
    assert not pdf.contains(text, PROPOSALS[0])  # recorded before
    assert pdf.contains(text, "Prime Minister of Kazakhstan")  # corrected after 30
    assert not pdf.contains(text, KERLIKOWSKE_QUOTE)


def test_day_gives_a_one_day_briefing(demo, tmp_path):
    root, _ = demo
    result = Archive(root).brief(tmp_path / "day.pdf", day="2015-06-30")
    text = pdf.text(result.path)
    assert pdf.contains(text, "One-day briefing") and "30 June 2015" in text
    assert pdf.contains(text, AHAMED_QUOTE) and not pdf.contains(text, PM_QUOTES[0])


def test_html_preview_is_escaped_and_self_contained(demo, tmp_path):
    root, _ = demo
    result = Archive(root).brief(tmp_path / "b.html", html=True)
    html = result.path.read_text()
    assert result.format == "html" and "<style>" in html and "@page" in html
    assert "<script" not in html and "“Minster”" in html


def test_conference_must_be_chosen_when_there_are_several(tmp_path):
    root = tmp_path / "two"
    write_log(root, [(C, "conference.held", {"name": "First"}, None, "p1"),
                     ("c2", "conference.held", {"name": "Second"}, None, "p2")])
    with pytest.raises(Ambiguous, match="--conference"):
        Archive(root).brief()
    with pytest.raises(NotFound, match="no conference 'Third'"):
        Archive(root).brief(conference="Third")
    result = Archive(root).brief(conference="Second")
    assert "Second" in pdf.text(result.path, 1)


def test_cli_briefing(demo, tmp_path):
    root, _ = demo
    runner = CliRunner()
    out = tmp_path / "cli.pdf"
    result = runner.invoke(cli, ["--archive", str(root), "briefing", "-o", str(out)],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"{out} (log #37, ")
    assert out.read_bytes() == (root / "exports" / "briefing.pdf").read_bytes()
    bad = runner.invoke(cli, ["--archive", str(root), "briefing", "--day", "2015-13-01"])
    assert bad.exit_code == 2 and "is not a date" in bad.output
    gone = runner.invoke(cli, ["--archive", str(root), "briefing", "--conference", "x"])
    assert gone.exit_code == 1
    assert gone.output.startswith("Error: no conference 'x' in the archive")
    far = runner.invoke(cli, ["--archive", str(root), "briefing", "--since", "99"])
    assert far.output == "Error: --since 99 is outside the log, which ends at sequence 37\n"


def test_cli_import_does_not_load_weasyprint():
    code = "import sys, archive.cli; assert 'weasyprint' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------- bounds


def test_too_large_fails_clearly_and_leaves_no_partial_file(demo, tmp_path):
    root, _ = demo
    out = tmp_path / "big.pdf"
    out.write_bytes(b"previous briefing")
    with pytest.raises(RenderError, match="more than the limit of 10"):
        Archive(root).brief(out, limits=Limits(max_facts=10))
    with pytest.raises(RenderError, match="pages, more than the limit of 3"):
        Archive(root).brief(out, limits=Limits(max_pages=3))
    assert out.read_bytes() == b"previous briefing"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.pdf"]


# ---------------------------------------------------------------- safety


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        self.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(tiny_png())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    seen: list[str] = []
    _Recorder.requests = seen
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def hostile(url: str) -> list[str]:
    return [
        '<img src="file:///etc/passwd">',
        '<link rel="attachment" href="file:///etc/passwd">',
        "<style>@import url(file:///etc/passwd);</style>",
        '<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/hostname"/></svg>',
        '<base href="file:///">',
        '<div style="background: url(/dev/urandom)">x</div>',
        f'<img src="{url}probe.png"> {url}track',
    ]


def test_hostile_event_text_is_shown_literally_and_nothing_is_fetched(tmp_path, server):
    url, seen = server
    root = tmp_path / "hostile"
    bad = hostile(url)
    sha = store_attachment(root, tiny_png())
    drafts = demo_drafts(sha)
    drafts += [
        ("evil-p", "participant.attended", {"conference": C, "entity": "evil",
                                            "kind": "person", "name": bad[0],
                                            "role": bad[4]}, None, "x"),
        ("evil-s", "speech.delivered", {"conference": C, "speaker": "evil",
                                        "summary": " ".join(bad[:3]),
                                        "quotes": bad[3:]}, "2015-06-30", "x"),
        ("evil-a", "attachment.added", {"conference": C, "caption": bad[5] + bad[6]},
         None, "x"),
        ("evil-n", "note.recorded", {"conference": C, "text": "\n".join(bad)}, None, bad[1]),
    ]
    write_log(root, drafts)
    result = Archive(root).brief(tmp_path / "hostile.pdf")
    text = pdf.text(result.path)
    for needle in bad:
        assert pdf.contains(text, needle), needle
    assert seen == []
    assert result.refused == ()
    assert result.fetched == (f"attachment:{sha}",)  # the archive's own photo, nothing else
    # the one file it carries is its own log, byte for byte (hostile text stays text)
    assert pdf.embedded_files(result.path) == "1 embedded files\n1: events.jsonl\n"
    saved = tmp_path / "carried.jsonl"
    pdf.run("pdfdetach", "-save", "1", "-o", saved, result.path)
    assert saved.read_bytes() == (root / "events" / "events.jsonl").read_bytes()
    assert pdf.images(result.path) == 1  # only the archive's own photo
    assert PASSWD.splitlines()[0].encode() not in pdf.inflated(result.path)


def test_fetcher_refuses_hostile_html_even_if_it_reached_the_document(tmp_path, server):
    """Defence in depth: real elements (not escaped text) still fetch nothing."""
    url, seen = server
    root = tmp_path / "raw"
    root.mkdir()
    html = "<html lang=\"en\"><body><p>hello</p>" + "".join(hostile(url)) + "</body></html>"
    out = html_to_pdf(html, root=root, max_pages=10)
    assert seen == []
    assert out.fetched == ()
    assert {"file:///etc/passwd", "file:///etc/hostname", f"{url}probe.png"} <= set(
        out.refused)
    assert any("urandom" in u for u in out.refused)
    target = tmp_path / "raw.pdf"
    target.write_bytes(out.data)
    assert pdf.embedded_files(target).startswith("0 embedded files")
    assert PASSWD.splitlines()[0].encode() not in pdf.inflated(target)


def test_fetcher_allow_list(tmp_path):
    root = tmp_path / "a"
    sha = store_attachment(root, tiny_png())
    folder = root / "events" / "attachments"
    fetcher = SafeFetcher(root)
    assert fetcher.fetch((folder / sha).as_uri()).read() == tiny_png()
    assert fetcher.fetch(f"attachment:{sha}").read() == tiny_png()
    forged = "0" * 64
    (folder / forged).write_bytes(b"not what the name says")
    os.symlink("/etc/passwd", folder / ("1" * 64))
    refused = [
        "file:///etc/passwd", "file:///dev/urandom", (folder / forged).as_uri(),
        (folder / ("1" * 64)).as_uri(), (folder / sha).as_uri() + "/../../../etc/passwd",
        f"file://{folder}/../{sha}", "http://127.0.0.1:9/", "https://example.org/x.png",
        "data:image/png;base64,iVBORw0KGgo=", "ftp://example.org/x", "file://host/etc/passwd",
        "attachment:../../etc/passwd", f"attachment://{sha}", f"attachment:{forged}",
    ]
    for bad in refused:
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(bad)
    assert fetcher.refused == refused


# ---------------------------------------------------------------- the Astana archive


def test_astana_archive_briefing(tmp_path):
    """The demo archive shipped at the repository root renders completely."""
    log = REPO / "events" / "events.jsonl"
    assert log.is_file() and log.stat().st_size > 0, "the Astana log is not recorded yet"
    root = tmp_path / "astana"
    shutil.copytree(REPO / "events", root / "events",
                    ignore=shutil.ignore_patterns(".lock"))
    built = Archive(root).build()
    result = render(built.path, Layout(root), tmp_path / "astana.pdf")
    text = pdf.text(result.path)
    assert_every_fact_appears(built.path, text)
    assert result.refused == ()
    for title, page, _ in pdf.contents(result.path):
        assert pdf.contains(pdf.text(result.path, page), title)


def test_weasyprint_warnings_are_captured_and_returned(tmp_path, caplog):
    out = html_to_pdf('<html lang="en"><p style="color: no-such-colour; widows: -3">text</p>',
                      root=tmp_path,
                      max_pages=5)
    assert out.pages == 1 and out.warnings
    assert any("no-such-colour" in w or "Ignored" in w for w in out.warnings)
    assert not [r for r in caplog.records if r.name == "weasyprint"]  # not leaked to stderr


def test_damaged_photo_is_shown_as_its_caption(tmp_path):
    root = tmp_path / "damaged"
    sha = store_attachment(root, b"\x89PNG\r\n\x1a\n but not really an image")
    write_log(root, [
        (C, "conference.held", {"name": "Photo test"}, None, "p1"),
        ("ph", "attachment.added", {"conference": C, "sha256": sha, "media_type": "image/png",
                                    "caption": "A damaged photo"}, None, "p2"),
    ])
    result = Archive(root).brief(as_of="ph")  # an event id works as --as-of too
    assert result.path == root / "exports" / "briefing-as-of-2.pdf"
    text = pdf.text(result.path)
    assert pdf.contains(text, "A damaged photo")
    assert pdf.contains(text, "the photo itself is not reproduced here")
    assert pdf.images(result.path) == 0 and result.fetched == ()
