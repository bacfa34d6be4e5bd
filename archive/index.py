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
from pathlib import Path
from typing import Any, NamedTuple

from .events import (
    ZERO_HASH,
    ConferenceHeld,
    EntitiesMerged,
    Event,
    EventCorrected,
    ParticipantAttended,
    Payload,
    SessionHeld,
)
from .log import Log, event_at

INDEX_NAME = ".log-index.sqlite"
_CHUNK = 900  # ids per `in (...)` query: under SQLite's smallest variable limit (999)
#: Bumped when the tables change; an index of another version is rebuilt from the log.
VERSION = "5"
_SCHEMA = """
create table if not exists meta (key text primary key, value);
create table if not exists ids (
    id text primary key, seq integer not null, type text not null, offset integer not null
) without rowid;
create table if not exists entities (
    id text primary key, kind text not null, name text not null) without rowid;
create table if not exists names (
    scope text not null, key text not null, id text not null, primary key (scope, key)
) without rowid;
-- merged entity -> the entity it was merged into (names keep the id they were given)
create table if not exists merged (id text primary key, kept text not null) without rowid;
create table if not exists conferences (id text primary key, seq integer not null, name text);
"""


def name_key(name: str) -> str:
    """The normalised key names are matched on: NFKC, casefold, single spaces."""
    if name.isascii():  # the same result, without the Unicode tables
        return " ".join(name.lower().split())
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


class Row(NamedTuple):
    """Index entries one event contributes (pure; see `entries`)."""

    ids: tuple[str, int, str, int]
    entity: tuple[str, str, str] | None
    names: tuple[tuple[str, str, str], ...]
    conference: tuple[str, int, str] | None


def entries(event_id: str, seq: int, type_: str, data: Payload, start: int) -> Row:
    """What the index learns from one event (starting at byte `start`). Pure."""
    entity = None
    names: tuple[tuple[str, str, str], ...] = ()
    conference = None
    if isinstance(data, ConferenceHeld):
        conference = (event_id, seq, data.name)
        names = (("conference", name_key(data.name), event_id),)
    elif isinstance(data, SessionHeld):
        names = ((f"session:{data.conference}", name_key(data.title), event_id),)
    elif isinstance(data, ParticipantAttended):
        entity = (data.entity, data.kind, data.name)
        names = ((data.kind, name_key(data.name), data.entity),)
    return Row((event_id, seq, type_, start), entity, names, conference)


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
        version = self.db.execute("select value from meta where key = 'version'").fetchone()
        if version is None or version[0] != VERSION:
            self.db.executescript(
                "drop table meta; drop table ids; drop table entities; drop table names;"
                "drop table if exists merged; drop table conferences;" + _SCHEMA)
            self.db.execute("insert into meta values ('version', ?)", (VERSION,))
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
                "delete from meta where key != 'version'; delete from ids; delete from entities;"
                "delete from names; delete from merged; delete from conferences;")
            offset, seq, hash_ = 0, 0, ZERO_HASH
        placed = ((p.event, p.end) for p in self.log.read(offset, prev=hash_, seq=seq))
        return self._absorb(placed, offset)

    def _absorb(self, placed: Iterable[tuple[Event, int]], offset: int) -> int:
        batch: list[Row] = []
        added, start, last = 0, offset, None
        for event, end in placed:
            batch.append(entries(event.id, event.seq, event.type, event.data, start))
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
        self.db.execute("begin")
        self.add_rows(rows)
        self.set_head(offset, seq, hash_)
        self.db.execute("commit")

    def add_rows(self, rows: list[Row]) -> None:
        """Insert index rows (inside the caller's transaction)."""
        db = self.db
        db.executemany("insert or replace into ids values (?,?,?,?)", [r.ids for r in rows])
        db.executemany("insert or ignore into entities values (?,?,?)",
                       [r.entity for r in rows if r.entity])
        db.executemany("insert or replace into names values (?,?,?)",
                       [n for r in rows for n in r.names])
        db.executemany("insert or replace into conferences values (?,?,?)",
                       [r.conference for r in rows if r.conference])

    def set_head(self, offset: int, seq: int, hash_: str) -> None:
        """Remember how far the index reaches (inside the caller's transaction)."""
        self.db.executemany("insert or replace into meta values (?,?)",
                            [("offset", offset), ("seq", seq), ("hash", hash_)])

    def learn_merge(self, merge: EntitiesMerged) -> None:
        """Names of the merged entity now resolve to the kept one (see `find_name`)."""
        self.db.execute("insert or replace into merged values (?, ?)",
                        (merge.merged, merge.kept))

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

    def types_of(self, event_ids: list[str]) -> dict[str, str]:
        """The type of each of these ids that is indexed (one query per chunk)."""
        return dict(self._many("select id, type from ids where id in ({})", event_ids))

    def kinds_of(self, entity_ids: list[str]) -> dict[str, str]:
        """The kind of each of these entities that is indexed."""
        return dict(self._many("select id, kind from entities where id in ({})", entity_ids))

    def offsets_of(self, event_ids: list[str]) -> dict[str, tuple[int, int]]:
        """(byte offset, seq) of each of these ids that is indexed."""
        return {r[0]: (r[1], r[2]) for r in self._many(
            "select id, offset, seq from ids where id in ({})", event_ids)}

    def _many(self, sql: str, keys: list[str]) -> list[tuple[Any, ...]]:
        out: list[tuple[Any, ...]] = []
        unique = list(dict.fromkeys(keys))
        for i in range(0, len(unique), _CHUNK):
            part = unique[i:i + _CHUNK]
            out += self.db.execute(sql.format(",".join("?" * len(part))), part).fetchall()
        return out

    def type_of(self, event_id: str) -> str | None:
        row = self.db.execute("select type from ids where id = ?", (event_id,)).fetchone()
        return row[0] if row else None

    def payload(self, event_id: str) -> tuple[str, Payload]:
        """The type and payload of an indexed event (read from the log)."""
        event = self.log_event_at(event_id)
        return event.type, event.data

    def kind_of(self, entity_id: str) -> str | None:
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
                return self._kept(str(row[0]))
        return None

    def _kept(self, entity_id: str) -> str:
        """The entity an id stands for now: itself, or where merges took it."""
        seen = {entity_id}
        while (row := self.db.execute("select kept from merged where id = ?",
                                      (entity_id,)).fetchone()) and row[0] not in seen:
            entity_id = row[0]
            seen.add(entity_id)
        return entity_id

    def conferences(self) -> list[tuple[str, str]]:
        """(id, name) of every conference, oldest first."""
        return [(r[0], r[1]) for r in self.db.execute(
            "select id, name from conferences order by seq")]

    def log_event_at(self, event_id: str) -> Event:
        row = self.db.execute("select offset from ids where id = ?", (event_id,)).fetchone()
        event = event_at(self.log.path, row[0]) if row else None
        if event is None or event.id != event_id:
            raise KeyError(event_id)
        return event
