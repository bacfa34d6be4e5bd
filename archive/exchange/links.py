"""Where a fact can be read on the web: the one owner of the archive's absolute links.

    base_url("https://archive.example.org/astana/")  -> "https://archive.example.org/astana"
    reader_url(base, "speeches", "astana15-sp-massimov")
        -> "https://archive.example.org/astana/archive/speeches/astana15-sp-massimov"
    fact_url(base, "speech.delivered", "astana15-sp-massimov")   (the same, by event type)

The base URL is where the archive is served (`archive serve --base-url`, `archive export
--base-url`, or `ARCHIVE_BASE_URL`); without one, a served page uses the address it was
asked at, and an exported file names no link it cannot make absolute.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..errors import InvalidEvent

#: The database Datasette serves the archive as (its reader pages sit under it).
DATABASE = "archive"


def base_url(value: str) -> str:
    """The base URL given, checked: absolute http(s), with a host, no query or fragment;
    its trailing slash dropped."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidEvent(f"the base URL {value[:200]!r} is not an absolute http(s) URL "
                           "(e.g. https://archive.example.org/astana)")
    if parts.query or parts.fragment:
        raise InvalidEvent(f"the base URL {value[:200]!r} has a query or a fragment; give "
                           "the address the archive is served at")
    return value.strip().rstrip("/")


_UNSAFE = re.compile(r"[^A-Za-z0-9_\- ]")


def tilde_encode(text: str) -> str:
    """A path segment as Datasette reads it (its `tilde_encode`, without importing
    Datasette into every export): each UTF-8 byte outside A-Z a-z 0-9 _ - as ~XX, a space
    as +; a `.` is encoded too, or Datasette would read it as a format (`.json`)."""
    return _UNSAFE.sub(lambda m: "".join(f"~{b:02X}" for b in m.group().encode()),
                       text).replace(" ", "+")


def reader_url(base: str, table: str, row_id: str) -> str:
    """The absolute address of a row's reader page."""
    return f"{base}/{DATABASE}/{table}/{tilde_encode(row_id)}"


def fact_url(base: str, event_type: str, event_id: str) -> str | None:
    """The reader page of the fact an event recorded (a row has its event's id), or None
    for an event that records no row of its own (a correction, a merge...)."""
    from ..core.events import payload_class

    try:
        tables = payload_class(event_type).TABLES
    except InvalidEvent:
        return None
    return reader_url(base, tables[0], event_id) if tables else None


def served_base(configured: str | None, scheme: str, host: str) -> str:
    """The base URL of a served page: the configured one, else the address it was asked
    at (Datasette's `request.scheme` and `request.host`)."""
    return configured or f"{scheme}://{host}"
