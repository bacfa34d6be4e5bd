"""The briefing carries its own record: the exact prefix of the log it was built from,
attached to the PDF (PDF/A-3 allows it; the relationship is "Source"), so a reader can
check a quote without the archive: `archive verify --pdf briefing.pdf` verifies the
attached log's hashes and chain and that it ends at the head the briefing states.

Nothing else is ever attached: the attachment is made here from the log's bytes, never
fetched (`fetcher` refuses every other URL)."""

from __future__ import annotations

import logging
import re
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.codec import line_tail
from ..errors import ArchiveError, NotFound
from ..store.layout import Layout
from ..store.sqlite import read_only

#: The name of the attached log in the PDF.
NAME = "events.jsonl"
#: A log longer than this is not attached (the colophon says so).
MAX_BYTES = 64 << 20


@dataclass(frozen=True)
class Record:
    """The log prefix a briefing shows: its bytes, and the head it ends at."""

    data: bytes
    seq: int
    hash: str

    @property
    def description(self) -> str:
        return f"The archive log up to event #{self.seq}, head hash {self.hash}"


def log_prefix(db_path: Path, layout: Layout, seq: int, hash_: str) -> Record | None:
    """The bytes of the log up to the line the database was built to (its offset in
    `_archive_build`), if they still end with that line and are not too long to attach."""
    with closing(read_only(db_path)) as conn:
        info = dict(conn.execute("select key, value from _archive_build").fetchall())
    offset = int(info.get("offset") or 0)
    if offset == 0 or offset > MAX_BYTES or int(info.get("seq") or 0) != seq:
        return None
    try:
        with open(layout.log, "rb") as f:
            data = f.read(offset)
    except OSError:
        return None
    if len(data) != offset or not data.endswith(line_tail(hash_)):
        return None
    return Record(data, seq, hash_)


def attachment(pdf: Path, name: str) -> Any:
    """The file `name` a PDF carries (pypdf's attachment: `.content`, `.description`),
    read back as a reader with only the PDF would; None if it carries none."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)  # its own warnings: ours below
    try:
        files = [f for f in PdfReader(str(pdf)).attachment_list if f.name == name]
    except (OSError, PdfReadError, ValueError) as exc:
        raise ArchiveError(f"{pdf}: not a readable PDF ({exc})") from None
    return files[0] if files else None


def attached(pdf: Path) -> Record:
    """The log a briefing carries and the head it says that log ends at."""
    found = attachment(pdf, NAME)
    if found is None:
        raise NotFound(f"{pdf} carries no log (no attached {NAME}): it was rendered without "
                       "one (by an older version, or from a log too long to attach)")
    said = re.fullmatch(r"The archive log up to event #(\d+), head hash ([0-9a-f]{64})",
                        str(getattr(found, "description", "") or ""))
    if said is None:
        raise ArchiveError(f"{pdf}: the attached {NAME} does not say which head it ends at")
    return Record(found.content, int(said.group(1)), said.group(2))


def verify_attached(pdf: Path) -> tuple[Record, int]:
    """Check the log a briefing carries: every line's schema and hash, the chain, the
    rules, and that it ends at the head the briefing states. Returns the record and how
    many events it holds."""
    import tempfile

    from ..store.log import Log
    from ..store.verify import verify

    record = attached(pdf)
    with tempfile.TemporaryDirectory(prefix="briefing-log-") as tmp:
        (Path(tmp) / "events").mkdir()
        (Path(tmp) / "events" / "events.jsonl").write_bytes(record.data)
        report = verify(Log(tmp))
    if (report.seq, report.hash) != (record.seq, record.hash):
        raise ArchiveError(f"{pdf}: the attached log ends at event #{report.seq} "
                           f"({report.hash[:16]}...), not at the head the briefing states "
                           f"(#{record.seq}, {record.hash[:16]}...)")
    return record, report.events


__all__ = ["MAX_BYTES", "NAME", "Record", "attached", "attachment", "log_prefix", "verify_attached"]
