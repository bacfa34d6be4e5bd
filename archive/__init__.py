"""An event-sourced conference archive.

The public API: the log and its events, the append path, verification. The heavy parts
(`archive.database.build`, `archive.serve.server.serve`, `archive.briefing.render`) are imported
from their modules, so that importing `archive` stays fast.
"""

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
    TornTail,
)
from .store.log import Head, Log, Pending
from .store.verify import Report, verify

__all__ = [
    "REGISTRY", "Ambiguous", "ArchiveError", "Conflict", "Draft", "Event", "Head",
    "InvalidEvent", "Log", "LogCorrupt", "NotAnArchive", "NotFound", "Payload", "Pending",
    "Recorder", "RenderError", "Report", "Result", "Source", "TornTail", "make_payload",
    "parse_line", "verify",
]
