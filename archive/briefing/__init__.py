"""The PDF briefing: the archive's database laid out as a conference briefing.

    render(root)                      -> exports/briefing.pdf (database built first if stale)
    render(root, as_of="12")          -> the briefing as the archive stood at event 12
    render(root, since=30)            -> an update: only what is new after event 30
    render(root, day="2015-06-29")    -> a one-day briefing
    render(root, out, html=True)      -> the HTML instead (a preview)

Layers: `data` reads the SQLite database read-only into the dataclasses of `model`;
`document` lays them out with Jinja2 (`templates/`, `style.css`, `charts`); `pdf` turns
the HTML into a PDF with WeasyPrint through the allow-list `fetcher`. The same log prefix
gives a byte-identical PDF: nothing reads the clock.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import RenderError
from .data import load
from .document import render_html
from .model import Briefing

__all__ = ["Limits", "RenderResult", "default_output", "render", "render_database"]


@dataclass(frozen=True)
class RenderResult:
    """What `render` wrote and from which state of the log."""

    path: Path
    format: str  # "pdf" or "html"
    pages: int | None
    seq: int
    hash: str
    since: int | None
    size: int
    seconds: float
    warnings: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()
    fetched: tuple[str, ...] = ()


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a render's time bounded; beyond them it fails before writing.

    `max_facts` and `max_chars` are checked before layout (layout time grows with them),
    `max_pages` after layout and before anything is written."""

    max_facts: int = 12_000
    max_chars: int = 4_000_000
    max_pages: int = 1_200


def default_output(root: Path, *, as_of_seq: int | None = None, since: int | None = None,
                   day: str | None = None, html: bool = False) -> Path:
    """`exports/briefing[-as-of-N][-since-N][-DAY].pdf` (or `.html`)."""
    name = "briefing"
    if as_of_seq is not None:
        name += f"-as-of-{as_of_seq}"
    if since is not None:
        name += f"-since-{since}"
    if day is not None:
        name += f"-{day}"
    return Path(root) / "exports" / (name + (".html" if html else ".pdf"))


def render(root: str | Path, output: str | Path | None = None, *, as_of: str | None = None,
           since: int | None = None, conference: str | None = None, day: str | None = None,
           html: bool = False, limits: Limits | None = None) -> RenderResult:
    """Build the database if needed (or a temporary one `as_of` a point of the log), then
    render the briefing to `output` (default under `exports/`) atomically."""
    from ..build.database import build
    from ..store.log import Log

    root = Path(root)
    Log(root).require()
    if as_of is None:
        built = build(root)
        return render_database(built.path, root, output, since=since, conference=conference,
                               day=day, html=html, limits=limits)
    with tempfile.TemporaryDirectory(prefix="briefing-as-of-") as tmp:
        built = build(root, Path(tmp) / "archive.db", as_of=as_of)
        if output is None:
            output = default_output(root, as_of_seq=built.seq, since=since, day=day, html=html)
        return render_database(built.path, root, output, since=since, conference=conference,
                               day=day, html=html, limits=limits)


def render_database(db_path: str | Path, root: str | Path, output: str | Path | None = None,
                    *, since: int | None = None, conference: str | None = None,
                    day: str | None = None, html: bool = False,
                    limits: Limits | None = None) -> RenderResult:
    """Render the briefing from an already built database (read-only)."""
    from .fetcher import ATTACHMENT_SCHEME
    from .pdf import html_to_pdf, write_atomic  # WeasyPrint loads only when rendering

    started = time.perf_counter()
    root = Path(root)
    bounds = limits or Limits()
    briefing = load(Path(db_path), root=root, conference=conference, since=since, day=day)
    check_size(briefing, bounds)
    if output is None:
        output = default_output(root, since=since, day=day, html=html)
    output = Path(output)
    if html:
        folder = (root / "events" / "attachments").resolve().as_uri() + "/"
        text, _charts = render_html(briefing, attachment_base=folder)
        data = text.encode("utf-8")
        write_atomic(output, data)
        return RenderResult(output, "html", None, briefing.stamp.seq, briefing.stamp.hash,
                            since, len(data), time.perf_counter() - started)
    text, _charts = render_html(briefing, attachment_base=ATTACHMENT_SCHEME + ":")
    pdf = html_to_pdf(text, root=root, max_pages=bounds.max_pages)
    write_atomic(output, pdf.data)
    # which state of the log the PDF shows, so `archive serve` offers it only with that state
    write_atomic(stamp_path(output), json.dumps({
        "seq": briefing.stamp.seq, "hash": briefing.stamp.hash, "since": since, "day": day,
        "conference": conference}).encode())
    return RenderResult(output, "pdf", pdf.pages, briefing.stamp.seq, briefing.stamp.hash,
                        since, len(pdf.data), time.perf_counter() - started, pdf.warnings,
                        pdf.refused, pdf.fetched)


def stamp_path(output: Path) -> Path:
    """The small JSON file beside a PDF saying which log state it shows."""
    return output.with_name(output.name + ".json")


def check_size(briefing: Briefing, limits: Limits) -> None:
    """Refuse, before any layout, a briefing too large to render in bounded time."""
    facts = briefing.fact_count()
    if facts > limits.max_facts:
        raise RenderError(
            f"the briefing would show {facts} facts, more than the limit of "
            f"{limits.max_facts}; "
            "brief one day (--day) or an update (--since), or raise the limit")
    chars = sum(len(sp.summary or "") + sum(len(q.text) for q in sp.quotes)
                for sp in briefing.speeches)
    chars += sum(len(n.text) for n in briefing.notes) + sum(len(p.text)
                                                           for p in briefing.proposals)
    if chars > limits.max_chars:
        raise RenderError(
            f"the briefing's text has {chars} characters, more than the limit of "
            f"{limits.max_chars}; brief one day (--day) or an update (--since)")
