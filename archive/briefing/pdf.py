"""HTML -> PDF with WeasyPrint: the safe fetcher, its log captured, size bounds, and
deterministic output (the PDF identifier comes from the content, dates from the log)."""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pydyf
from weasyprint import HTML, Attachment
from weasyprint.logger import LOGGER

from ..errors import RenderError
from ..proofs.documents import PDF_NAME as PDF_PROOFS
from .fetcher import ASSETS, SafeFetcher
from .record import NAME, Record

PROOFS_SAY = ("Inclusion proofs of the events this briefing cites, against the archive's "
              "signed checkpoint (archive verify --pdf FILE --pubkey KEY.pub)")


@dataclass(frozen=True)
class PdfOutput:
    data: bytes
    pages: int
    warnings: tuple[str, ...]
    refused: tuple[str, ...]
    fetched: tuple[str, ...]


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def captured_logs() -> Iterator[list[logging.LogRecord]]:
    """Collect WeasyPrint's warnings and errors instead of letting them reach stderr."""
    handler = _Collect()
    propagate = LOGGER.propagate
    LOGGER.addHandler(handler)
    LOGGER.propagate = False
    try:
        yield handler.records
    finally:
        LOGGER.removeHandler(handler)
        LOGGER.propagate = propagate


def _page_references_once() -> None:
    """pydyf (0.13) builds the tuple of every page's reference each time WeasyPrint's
    tagging asks for one page's, once per tagged element: quadratic in the pages, 6 s of
    the 47 s a 733-page briefing took. Keep the tuple while the list of pages is the same
    (it only grows, as pages are added); the bytes written do not change
    (tests/test_briefing_truth.py renders with and without this)."""
    stock = pydyf.PDF.page_references
    if not isinstance(stock, property) or stock.fget is None or hasattr(stock.fget, "stock"):
        return
    compute = stock.fget

    def page_references(pdf: pydyf.PDF) -> tuple[bytes, ...]:
        kids = pdf.pages["Kids"]
        kept = pdf.__dict__.get("_archive_page_references")
        if kept is None or kept[0] is not kids or kept[1] != len(kids):
            kept = (kids, len(kids), compute(pdf))
            pdf.__dict__["_archive_page_references"] = kept
        return kept[2]  # type: ignore[no-any-return]

    page_references.stock = stock  # type: ignore[attr-defined]
    pydyf.PDF.page_references = property(page_references)  # type: ignore[method-assign]


_page_references_once()

#: PDF/A-3, level A: the archival standard (fonts embedded, colours defined, metadata in
#: XMP), at its accessible level (tagged: headings, lists, tables and figures with their
#: text alternatives, the language and title set); PDF/A-3 is also the level that may
#: carry attached files (the log a briefing was built from). Tagging costs no measurable
#: render time here; the file grows by about 40%.
PDF_VARIANT = "pdf/a-3a"


def html_to_pdf(html: str, *, root: Path, max_pages: int, record: Record | None = None,
                date: str | None = None, proofs: bytes | None = None) -> PdfOutput:
    """Lay out and write the PDF in memory, with the log `record` attached when given
    (dated `date`, so the same log gives the same bytes). Raises RenderError for
    WeasyPrint errors that are not refusals of the fetcher, and for a document longer
    than `max_pages`."""
    fetcher = SafeFetcher(root)
    with captured_logs() as records:
        document = HTML(string=html, base_url=ASSETS.resolve().as_uri() + "/",
                        url_fetcher=fetcher).render(pdf_tags=True)
        pages = len(document.pages)
        if pages > max_pages:
            raise RenderError(
                f"the briefing would have {pages} pages, more than the limit of "
                f"{max_pages}; brief one day (--day) or an update (--since)")
        identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode()
        attachments = []
        when = datetime.fromisoformat((date or "2000-01-01")[:10]).replace(tzinfo=UTC)
        if record is not None:
            attachments.append(Attachment(
                file_obj=io.BytesIO(record.data), name=NAME, description=record.description,
                created=when, modified=when, relationship="Source"))
        if proofs is not None:
            attachments.append(Attachment(
                file_obj=io.BytesIO(proofs), name=PDF_PROOFS, description=PROOFS_SAY,
                created=when, modified=when, relationship="Supplement"))
        data = document.write_pdf(pdf_identifier=identifier, pdf_variant=PDF_VARIANT,
                                  attachments=attachments)
    warnings, errors = [], []
    for logged in records:
        message = logged.getMessage()
        if logged.levelno >= logging.ERROR and not any(u in message for u in fetcher.refused):
            errors.append(message)
        else:
            warnings.append(message)
    if errors:
        raise RenderError("WeasyPrint could not render the briefing: " + "; ".join(errors))
    return PdfOutput(data, pages, tuple(warnings), tuple(fetcher.refused),
                     tuple(fetcher.fetched))
