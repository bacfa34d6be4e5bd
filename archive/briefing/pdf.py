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

from weasyprint import HTML, Attachment
from weasyprint.logger import LOGGER

from ..errors import RenderError
from .fetcher import ASSETS, SafeFetcher
from .record import NAME, Record


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


#: PDF/A-3, level A: the archival standard (fonts embedded, colours defined, metadata in
#: XMP), at its accessible level (tagged: headings, lists, tables and figures with their
#: text alternatives, the language and title set); PDF/A-3 is also the level that may
#: carry attached files (the log a briefing was built from). Tagging costs no measurable
#: render time here; the file grows by about 40%.
PDF_VARIANT = "pdf/a-3a"


def html_to_pdf(html: str, *, root: Path, max_pages: int, record: Record | None = None,
                date: str | None = None) -> PdfOutput:
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
        if record is not None:
            when = datetime.fromisoformat((date or "2000-01-01")[:10]).replace(tzinfo=UTC)
            attachments.append(Attachment(
                file_obj=io.BytesIO(record.data), name=NAME, description=record.description,
                created=when, modified=when, relationship="Source"))
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
