"""An event-sourced conference archive.

The public API: `Archive` (one archive folder: append, verify, build, brief, serve), the
log and its events, and the one exception tree. The heavy parts (the database builder,
Datasette, WeasyPrint) load only when an `Archive` method needs them, so that importing
`archive` stays fast.
"""

from .app import Archive
from .append.recorder import Recorder, Result
from .core.codec import parse_line
from .core.events import REGISTRY, Draft, Event, Payload, Source, make_payload
from .errors import (
    Ambiguous,
    ArchiveError,
    Conflict,
    InvalidEvent,
    LogCorrupt,
    NotAnArchive,
    NotFound,
    RenderError,
    StorageError,
    TornTail,
)
from .store.log import Head, Log, Pending
from .store.verify import Report, verify

__all__ = [
    "REGISTRY", "Ambiguous", "Archive", "ArchiveError", "Conflict", "Draft", "Event", "Head",
    "InvalidEvent", "Log", "LogCorrupt", "NotAnArchive", "NotFound", "Payload", "Pending",
    "Recorder", "RenderError", "Report", "Result", "Source", "StorageError", "TornTail",
    "make_payload", "parse_line", "verify",
]
