"""The log index: a derived sidecar (`exports/.log-index.sqlite`) that answers, without
reading the whole log, what an append needs to know: does this id exist (and with what
content), which entity does this name mean, which conference is the default.

It is a cache, never a source of truth: it remembers the log offset and hash it has
indexed up to, and every use first catches up from that offset (so a retry is checked
against the log itself, after any restart). If the log no longer matches (repaired,
replaced), the index is rebuilt from the log. Deleting it loses nothing.

Only the standard library's sqlite3 is used, to keep `archive add` fast to start.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .codec import content_digest
from .events import (
    ZERO_HASH,
    ConferenceHeld,
    EntitiesMerged,
    Event,
    EventCorrected,
    ParticipantAttended,
    SessionHeld,
)
from .log import Log

INDEX_NAME = ".log-index.sqlite"
_SCHEMA = """
create table if not exists meta (key text primary key, value);
create table if not exists ids (
    id text primary key, seq integer not null, type text not null, offset integer not null,
    digest text not null);
create table if not exists entities (id text primary key, kind text not null, name text not null);
create table if not exists names (
    scope text not null, key text not null, id text not null, primary key (scope, key));
create table if not exists conferences (id text primary key, seq integer not null, name text);
"""


def name_key(name: str) -> str:
    """The normalised key names are matched on: NFKC, casefold, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


@dataclass(frozen=True)
class Row:
    """Index entries one event contributes (pure; see `entries`)."""

    ids: tuple[str, int, str, int, str]
    entity: tuple[str, str, str] | None
    names: tuple[tuple[str, str, str], ...]
    conference: tuple[str, int, str] | None


def entries(event: Event, start: int) -> Row:
    """What the index learns from one event. Pure."""
    data = event.data
    digest = content_digest(event.type, data, event.at, event.source)
    entity = None
    names: list[tuple[str, str, str]] = []
    conference = None
    if isinstance(data, ConferenceHeld):
        conference = (event.id, event.seq, data.name)
        names.append(("conference", name_key(data.name), event.id))
    elif isinstance(data, SessionHeld):
        names.append((f"session:{data.conference}", name_key(data.title), event.id))
    elif isinstance(data, ParticipantAttended):
        entity = (data.entity, data.kind, data.name)
        names.append((data.kind, name_key(data.name), data.entity))
    return Row((event.id, event.seq, event.type, start, digest), entity, tuple(names),
               conference)


class Index:
    """Open with `with Index(log) as index:`; call under the log's lock when appending."""

    def __init__(self, log: Log, path: Path | None = None):
        self.log = log
        self.path = path or (log.root / "exports" / INDEX_NAME)
        self.db: sqlite3.Connection

    def __enter__(self) -> Index:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("pragma journal_mode=wal")
        self.db.execute("pragma synchronous=off")
        self.db.executescript(_SCHEMA)
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.close()

    # ------------------------------------------------------------ catching up

    def _meta(self) -> tuple[int, int, str]:
        rows = dict(self.db.execute("select key, value from meta"))
        return int(rows.get("offset", 0)), int(rows.get("seq", 0)), rows.get("hash", ZERO_HASH)

    def _matches_log(self, offset: int, hash_: str) -> bool:
        if offset == 0:
            return True
        if self.log.size() < offset:
            return False
        with open(self.log.path, "rb") as f:
            f.seek(offset - 67)
            return f.read(67) == f'"hash":"{hash_}"}}\n'.encode()[-67:]

    def catch_up(self) -> int:
        """Index every line after the remembered offset. Returns how many were added."""
        offset, seq, hash_ = self._meta()
        if not self._matches_log(offset, hash_):
            self.db.executescript(
                "delete from meta; delete from ids; delete from entities; delete from names;"
                "delete from conferences;")
            offset, seq, hash_ = 0, 0, ZERO_HASH
        placed = ((p.event, p.end) for p in self.log.read(offset, prev=hash_, seq=seq))
        return self._absorb(placed, offset)

    def _absorb(self, placed: Iterable[tuple[Event, int]], offset: int) -> int:
        batch: list[Row] = []
        added, start, last = 0, offset, None
        for event, end in placed:
            batch.append(entries(event, start))
            start, last = end, event
            data = event.data
            if len(batch) >= 10_000 or isinstance(data, (EntitiesMerged, EventCorrected)):
                self._store(batch, start, event.seq, event.hash)
                added += len(batch)
                batch = []
                if isinstance(data, EntitiesMerged):
                    self.learn_merge(data)
                elif isinstance(data, EventCorrected):
                    self.learn_correction(data)
        if batch and last is not None:
            self._store(batch, start, last.seq, last.hash)
            added += len(batch)
        return added

    def _store(self, rows: list[Row], offset: int, seq: int, hash_: str) -> None:
        db = self.db
        db.execute("begin")
        db.executemany("insert or replace into ids values (?,?,?,?,?)", [r.ids for r in rows])
        db.executemany("insert or ignore into entities values (?,?,?)",
                       [r.entity for r in rows if r.entity])
        db.executemany("insert or replace into names values (?,?,?)",
                       [n for r in rows for n in r.names])
        db.executemany("insert or replace into conferences values (?,?,?)",
                       [r.conference for r in rows if r.conference])
        db.executemany("insert or replace into meta values (?,?)",
                       [("offset", offset), ("seq", seq), ("hash", hash_)])
        db.execute("commit")

    def learn_merge(self, merge: EntitiesMerged) -> None:
        """Names of the merged entity now resolve to the kept one."""
        self.db.execute("update names set id = ? where id = ?", (merge.kept, merge.merged))

    def learn_correction(self, correction: EventCorrected) -> None:
        """A corrected name is found under its new spelling too."""
        new_name = correction.changes.get("name") or correction.changes.get("title")
        if not isinstance(new_name, str):
            return
        row = self.db.execute("select type from ids where id = ?",
                              (correction.target,)).fetchone()
        if row is None:
            return
        target = self.log_event_at(correction.target)
        scope: str
        if isinstance(target.data, ParticipantAttended):
            scope, ident = target.data.kind, target.data.entity
        elif isinstance(target.data, SessionHeld):
            scope, ident = f"session:{target.data.conference}", target.id
        elif isinstance(target.data, ConferenceHeld):
            scope, ident = "conference", target.id
        else:
            return
        self.db.execute("insert or replace into names values (?,?,?)",
                        (scope, name_key(new_name), ident))

    # ------------------------------------------------------------ questions

    def digest(self, event_id: str) -> str | None:
        row = self.db.execute("select digest from ids where id = ?", (event_id,)).fetchone()
        return row[0] if row else None

    def type_of(self, event_id: str) -> str | None:
        row = self.db.execute("select type from ids where id = ?", (event_id,)).fetchone()
        return row[0] if row else None

    def entity_kind(self, entity_id: str) -> str | None:
        row = self.db.execute("select kind from entities where id = ?", (entity_id,)).fetchone()
        return row[0] if row else None

    def entity_name(self, entity_id: str) -> str | None:
        row = self.db.execute("select name from entities where id = ?", (entity_id,)).fetchone()
        return row[0] if row else None

    def find_name(self, scopes: Iterable[str], name: str) -> str | None:
        key = name_key(name)
        for scope in scopes:
            row = self.db.execute("select id from names where scope = ? and key = ?",
                                  (scope, key)).fetchone()
            if row:
                return str(row[0])
        return None

    def conferences(self) -> list[tuple[str, str]]:
        """(id, name) of every conference, oldest first."""
        return [(r[0], r[1]) for r in self.db.execute(
            "select id, name from conferences order by seq")]

    def log_event_at(self, event_id: str) -> Event:
        row = self.db.execute("select offset, seq from ids where id = ?", (event_id,)).fetchone()
        if row is None:
            raise KeyError(event_id)
        offset, seq = row
        for placed in self.log.read(offset, prev=_prev_of(self.log, offset), seq=seq - 1):
            return placed.event
        raise KeyError(event_id)


def _prev_of(log: Log, offset: int) -> str:
    """The hash of the line ending at `offset` (ZERO_HASH at the start)."""
    if offset == 0:
        return ZERO_HASH
    with open(log.path, "rb") as f:
        f.seek(offset - 67)
        return f.read(67)[:64].decode()

