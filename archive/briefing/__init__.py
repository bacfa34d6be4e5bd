"""The PDF briefing: the archive's database laid out as a conference briefing.

    render(db, layout, out)               -> the briefing of the database `db`
    render(db, layout, out, since=30)     -> an update: only what is new after event 30
    render(db, layout, out, day="2015-06-29")  -> a one-day briefing
    render(db, layout, out, html=True)    -> the HTML instead (a preview)

It reads a database and writes one file; `archive.app.Archive.brief` builds the database
first (or one as of a point of the log) and names the file.

Layers: `data` reads the SQLite database read-only into the dataclasses of `model`;
`document` lays them out with Jinja2 (`templates/`, `style.css`, `charts`); `pdf` turns
the HTML into a PDF with WeasyPrint through the allow-list `fetcher`. The same log prefix
gives a byte-identical PDF: nothing reads the clock.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from ..errors import RenderError
from ..store import durable
from ..store.layout import Layout, stamp_of
from .data import load
from .document import render_html
from .model import Briefing, ProvedBy, Stamp, cited
from .record import log_prefix

__all__ = ["Limits", "RenderResult", "render", "render_progress", "render_series"]


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


def render(db_path: Path, layout: Layout, output: Path, *, since: int | None = None,
           conference: str | None = None, day: str | None = None, html: bool = False,
           limits: Limits | None = None, verified: bool = False,
           publisher: str | None = None, ready: Callable[[], None] | None = None,
           lang: str = "en") -> RenderResult:
    """Render the briefing of the database at `db_path` (read-only) to `output`, atomically.
    `layout` is the archive's folder (for its attachments); `verified` says the log was
    verified end to end for this render (the provenance says so); `ready`, when given, is
    called just before the file is written, and stops it by raising (the check of the log
    running beside the render, `archive.checking`). `lang` is the language it is written
    in (one of `i18n.languages()`)."""
    from .fetcher import ATTACHMENT_SCHEME
    from .pdf import html_to_pdf  # WeasyPrint loads only when rendering

    started = time.perf_counter()
    bounds = limits or Limits()
    check_language(lang)
    briefing = load(Path(db_path), root=layout.root, conference=conference, since=since,
                    day=day, lang=lang)
    briefing = dataclasses.replace(briefing, verified=verified, publisher=publisher or None)
    check_size(briefing, bounds)
    output = Path(output)
    if html:
        # photos by a relative path: it works opened from disk, and served by `archive
        # serve` (which answers /events/attachments/<sha256>) beside /-/briefing.html
        folder = Path(os.path.relpath(layout.attachments.resolve(),
                                      output.resolve().parent)).as_posix() + "/"
        text, _charts = render_html(briefing, attachment_base=folder, web=True)
        data = text.encode("utf-8")
        if ready is not None:
            ready()
        durable.write_atomic(output, data)
        write_stamp(output, briefing, since, day, conference)
        return RenderResult(output, "html", None, briefing.stamp.seq, briefing.stamp.hash,
                            since, len(data), time.perf_counter() - started)
    record = log_prefix(Path(db_path), layout, briefing.stamp.seq, briefing.stamp.hash)
    proofs, proved_by = _proofs(layout, cited(briefing))
    briefing = dataclasses.replace(briefing, carries_log=record is not None,
                                   checkpoint=proved_by)
    text, _charts = render_html(briefing, attachment_base=ATTACHMENT_SCHEME + ":")
    pdf = html_to_pdf(text, root=layout.root, max_pages=bounds.max_pages, record=record,
                      date=briefing.stamp.date, proofs=proofs)
    if ready is not None:
        ready()
    durable.write_atomic(output, pdf.data)
    write_stamp(output, briefing, since, day, conference)
    return RenderResult(output, "pdf", pdf.pages, briefing.stamp.seq, briefing.stamp.hash,
                        since, len(pdf.data), time.perf_counter() - started, pdf.warnings,
                        pdf.refused, pdf.fetched)


def check_language(lang: str) -> None:
    """Refuse a briefing language without a catalogue, naming the ones there are."""
    from .i18n import unknown

    if (problem := unknown(lang)) is not None:
        raise RenderError(problem)


def _proofs(layout: Layout, events: dict[str, int]) -> tuple[bytes | None, ProvedBy | None]:
    """The inclusion proofs of the events a PDF cites, against the archive's latest
    checkpoint (none if it has no checkpoint)."""
    from ..proofs.service import briefing_proofs

    made = briefing_proofs(layout.root, events)
    if made is None:
        return None, None
    data, checkpoint, proved = made
    return data, ProvedBy(checkpoint.origin, checkpoint.size, proved, len(events))


def render_series(db_path: Path, layout: Layout, output: Path, *, series: str | None = None,
                  html: bool = False, verified: bool = False, publisher: str | None = None,
                  limits: Limits | None = None, ready: Callable[[], None] | None = None,
                  lang: str = "en") -> RenderResult:
    """Render the briefing of a series (`briefing.series`) to `output`, atomically, in
    `lang`."""
    from .series import load_series

    check_language(lang)
    started = time.perf_counter()
    data = load_series(Path(db_path), series)
    assert data.stamp is not None
    return _render_page("series.html.j2", {"s": data}, data.stamp, db_path, layout, output,
                        html=html, verified=verified, publisher=publisher, limits=limits,
                        started=started, state={"series": data.name}, ready=ready, lang=lang)


def render_progress(db_path: Path, layout: Layout, output: Path, *,
                    conference: str | None = None, html: bool = False,
                    verified: bool = False, publisher: str | None = None,
                    limits: Limits | None = None, ready: Callable[[], None] | None = None,
                    lang: str = "en") -> RenderResult:
    """Render the accountability report (`briefing.progress`) to `output`, atomically,
    in `lang`."""
    from .progress import load_progress

    check_language(lang)
    started = time.perf_counter()
    report = load_progress(Path(db_path), conference)
    return _render_page("progress.html.j2", {"r": report}, report.stamp, db_path, layout,
                        output, html=html, verified=verified, publisher=publisher,
                        limits=limits, started=started, state=None, ready=ready, lang=lang)


def _render_page(template: str, context: dict[str, object], stamp: Stamp, db_path: Path,
                 layout: Layout, output: Path, *, html: bool, verified: bool,
                 publisher: str | None, limits: Limits | None, started: float,
                 state: dict[str, object] | None,
                 ready: Callable[[], None] | None, lang: str = "en") -> RenderResult:
    """A document of its own template (a series briefing, the accountability report):
    the web version, or the PDF carrying the log it was built from; `state` (when given)
    is written beside it, for `archive serve` to offer it only with that state."""
    from .document import environment, mark_languages, stylesheet
    from .i18n import Words
    from .pdf import html_to_pdf

    text = mark_languages(environment(lang).get_template(template).render(
        **context, css=Markup(stylesheet(html, Words(lang))), publisher=publisher or None,
        verified=verified), lang)
    if html:
        data, pages, fmt = text.encode("utf-8"), None, "html"
        extra: tuple[tuple[str, ...], ...] = ((), (), ())
    else:
        record = log_prefix(Path(db_path), layout, stamp.seq, stamp.hash)
        pdf = html_to_pdf(text, root=layout.root, max_pages=(limits or Limits()).max_pages,
                          record=record, date=stamp.date)
        data, pages, fmt = pdf.data, pdf.pages, "pdf"
        extra = (pdf.warnings, pdf.refused, pdf.fetched)
    if ready is not None:
        ready()
    durable.write_atomic(output, data)
    if state is not None:
        durable.write_atomic(stamp_of(output), json.dumps({
            "seq": stamp.seq, "hash": stamp.hash, "since": None, "day": None,
            **state}).encode())
    return RenderResult(output, fmt, pages, stamp.seq, stamp.hash, None, len(data),
                        time.perf_counter() - started, *extra)


def write_stamp(output: Path, briefing: Briefing, since: int | None, day: str | None,
                conference: str | None) -> None:
    """Which state of the log the briefing shows, so `archive serve` offers it only
    while it serves that state."""
    durable.write_atomic(stamp_of(output), json.dumps({
        "seq": briefing.stamp.seq, "hash": briefing.stamp.hash, "since": since, "day": day,
        "conference": conference}).encode())


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
