"""Which store holds an archive's log: the file (the default), or the PostgreSQL store
an archive folder names in `events/store.toml`."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import ArchiveError, InvalidEvent
from . import durable
from .base import EventLog
from .layout import Layout
from .log import Log


def open_log(root: str | os.PathLike[str]) -> EventLog:
    """The log of the archive folder `root`, in the store it names."""
    url = store_url(Layout(Path(root)))
    if url is None:
        return Log(root)
    from .pg import PgLog

    return PgLog(root, url)


def store_url(layout: Layout) -> str | None:
    """The URL `events/store.toml` names, or None for a file archive."""
    try:
        text = layout.store_config.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ArchiveError(f"{layout.store_config}: {exc.strerror}") from None
    import tomllib  # only a PostgreSQL archive's commands need it

    try:
        url = tomllib.loads(text)["store"]
    except (tomllib.TOMLDecodeError, KeyError) as exc:
        raise ArchiveError(f"{layout.store_config} does not name a store "
                           f"(store = \"postgresql://...\"): {exc}") from None
    if not isinstance(url, str):
        raise ArchiveError(f"{layout.store_config}: `store` is not a URL")
    return url


def init_store(root: Path, url: str) -> EventLog:
    """Name the PostgreSQL store `url` in the folder `root` (creating its tables if it
    has none). A URL that carries a password is refused: it would be written down."""
    from .pg import PgLog, is_store_url, redact

    if not is_store_url(url):
        raise InvalidEvent(f"--store {url!r}: a store is named by a postgresql:// URL")
    if redact(url) != url:
        raise InvalidEvent(
            "--store: the URL carries a password, which would be written to "
            "events/store.toml; give it through PGPASSWORD, PGPASSFILE or a service file")
    layout = Layout(root)
    if layout.log.exists():
        raise InvalidEvent(f"{root} already holds a file log (events/events.jsonl); to "
                           "copy it into PostgreSQL use `archive push`")
    existing = store_url(layout)
    if existing is not None and existing != url:
        raise InvalidEvent(f"{root} already names another store: {redact(existing)}")
    log = PgLog(root, url)
    log.init()
    if existing is None:
        durable.write_atomic(layout.store_config, (
            "# This archive's log is kept in PostgreSQL; credentials come from libpq\n"
            "# (PGPASSWORD, PGPASSFILE, a service file), never from this file.\n"
            f"store = {json.dumps(url)}\n").encode())
    return log
