"""Where everything of one archive folder lives: the one place that names its paths.

    <root>/events/events.jsonl          the log (the source of truth)
    <root>/events/.lock                 the writers' lock (one writer at a time)
    <root>/events/.append               readers' and the writer's lock around an append
    <root>/events/.append-intent        an append in progress: where the log ends before
                                        and after it (settled by the next writer)
    <root>/events/attachments/<sha256>  attachments, content-addressed
    <root>/events/store.toml            for a log kept in PostgreSQL: the store's URL
                                        (`store.pg`); the folder then has no events.jsonl
    <root>/exports/archive.db           the database (derived)
    <root>/exports/.log-index.sqlite    the log index (derived, a cache)
    <root>/exports/.head                the highest head this archive has seen (kept
                                        outside the log; `store.anchor`)
    <root>/exports/briefing.pdf         the briefing (derived), and `briefing.pdf.json`,
                                        the log state it shows
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidEvent

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def events(self) -> Path:
        return self.root / "events"

    @property
    def log(self) -> Path:
        return self.events / "events.jsonl"

    @property
    def store_config(self) -> Path:
        return self.events / "store.toml"

    @property
    def lock(self) -> Path:
        return self.events / ".lock"

    @property
    def append_lock(self) -> Path:
        """Held shared by readers for a moment, exclusive by a writer while it appends."""
        return self.events / ".append"

    @property
    def append_intent(self) -> Path:
        """Where an append in progress says where the log ends before and after it."""
        return self.events / ".append-intent"

    @property
    def attachments(self) -> Path:
        return self.events / "attachments"

    def attachment(self, sha256: str) -> Path:
        """The file of an attachment: its name is exactly 64 lowercase hex digits."""
        if _SHA256.fullmatch(sha256) is None:
            raise InvalidEvent(f"`sha256` is not 64 lowercase hex digits: {sha256[:80]!r}")
        return self.attachments / sha256

    def import_spool(self, pid: int) -> Path:
        return self.events / f".import-{pid}.tmp"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def database(self) -> Path:
        return self.exports / "archive.db"

    def as_of_database(self, seq: int | None = None) -> Path:
        return self.exports / (f"archive-as-of-{seq}.db" if seq is not None
                               else "archive-as-of.db")

    @property
    def index(self) -> Path:
        return self.exports / ".log-index.sqlite"

    @property
    def head(self) -> Path:
        return self.exports / ".head"

    @property
    def metadata(self) -> Path:
        return self.exports / "datasette-metadata.json"

    def briefing(self, *, as_of_seq: int | None = None, since: int | None = None,
                 day: str | None = None, html: bool = False,
                 conference: str | None = None, lang: str = "en") -> Path:
        """`exports/briefing[-CONFERENCE][-as-of-N][-since-N][-DAY][.LANG].pdf` (or
        `.html`); the conference's id names the briefing of one conference of several, and
        a language other than English the briefing in it (`briefing.ru.pdf`: a language
        as a file name's last extension before the type, as web servers negotiate it)."""
        name = "briefing" + (f"-{conference}" if conference else "")
        if as_of_seq is not None:
            name += f"-as-of-{as_of_seq}"
        if since is not None:
            name += f"-since-{since}"
        if day is not None:
            name += f"-{day}"
        if lang != "en":
            name += f".{lang}"
        return self.exports / (name + (".html" if html else ".pdf"))


def stamp_of(output: Path) -> Path:
    """The small JSON file beside a briefing saying which log state it shows."""
    return output.with_name(output.name + ".json")


def serving_lock_of(database: Path) -> Path:
    """The lock `archive serve` holds while it serves a database file."""
    return database.with_name(f".{database.name}.serving")


def is_sha256(value: str) -> bool:
    return _SHA256.fullmatch(value) is not None
