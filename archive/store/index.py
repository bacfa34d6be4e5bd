"""The log index: the catalogue (`archive.core.catalogue`) persisted in a derived sidecar,
`exports/.log-index.sqlite`, so that an append knows what exists, under which names and
whether it is live without reading the whole log.

It is a cache, never a source of truth: it remembers the log offset and hash it has
indexed up to, and every use first catches up from that offset (so a retry is checked
against the log itself, after any restart). If the log no longer matches (repaired,
replaced), the index is rebuilt from the log. Deleting it loses nothing.

Only the standard library's sqlite3 is used, to keep `archive add` fast to start.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec

from ..core import catalogue as cat
from ..core.events import ZERO_HASH, Event, Payload, payload_class
from ..errors import ArchiveError, NotFound
from .base import EventLog
from .log import event_at
from .sqlite import transaction
from .tree import SCHEMA as TREE_SCHEMA
from .tree import TABLES as TREE_TABLES
from .tree import Tree

_CHUNK = 900  # ids per `in (...)` query: under SQLite's smallest variable limit (999)
#: Bumped when the tables change; an index of another version is rebuilt from the log.
VERSION = "9"
_TABLES = ("meta", "ids", "entities", "names", "refs", "current", "conferences", *TREE_TABLES)
_SCHEMA = """
create table if not exists meta (key text primary key, value);
create table if not exists ids (
    id text primary key, seq integer not null, type text not null, offset integer not null,
    live integer not null) without rowid;
create table if not exists entities (
    id text primary key, kind text not null, name text not null,
    attends integer not null, into_id text) without rowid;
create index if not exists entities_into on entities (into_id) where into_id is not null;
create table if not exists names (
    scope text not null, key text not null, id text not null, primary key (scope, key)
) without rowid;
create table if not exists refs (id text primary key, n integer not null) without rowid;
create table if not exists current (id text primary key, type text, data blob) without rowid;
create table if not exists conferences (id text primary key, seq integer not null, name text);
""" + TREE_SCHEMA
_json = msgspec.json.Encoder()


class Index:
    """Open with `with Index(log) as index:`; call under the log's lock when appending.

    A `catalogue.View`: questions are answered from SQLite, after `prefetch` from a
    cache filled a batch at a time. `apply` writes a catalogue's changes."""

    def __init__(self, log: EventLog, path: Path | None = None):
        self.log = log
        self.path = path or log.layout.index
        self.db: sqlite3.Connection
        self.tree: Tree
        self._events: dict[str, cat.Known | None] = {}
        self._entities: dict[str, cat.EntityInfo | None] = {}
        #: An import's spool: (file, the log offset its first line will have). Events an
        #: import has indexed but not yet appended are read from there.
        self.spool: tuple[Path, int] | None = None

    def __enter__(self) -> Index:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("pragma journal_mode=wal")
        self.db.execute("pragma synchronous=off")
        self.db.executescript(_SCHEMA)
        version = self.db.execute("select value from meta where key = 'version'").fetchone()
        if version is None or version[0] != VERSION:
            self.db.executescript("".join(f"drop table if exists {t};" for t in _TABLES)
                                  + _SCHEMA)
            self.db.execute("insert into meta values ('version', ?)", (VERSION,))
        self.tree = Tree(self.db)
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.close()

    # ------------------------------------------------------------ catching up

    def _meta(self) -> tuple[int, int, str]:
        rows = dict(self.db.execute("select key, value from meta"))
        return int(rows.get("offset", 0)), int(rows.get("seq", 0)), rows.get("hash", ZERO_HASH)

    def catch_up(self) -> int:
        """Index every line after the remembered offset. Returns how many were added."""
        offset, seq, hash_ = self._meta()
        if offset and not self.log.ends_with(offset, hash_):
            self.db.executescript("delete from meta where key != 'version';" + "".join(
                f"delete from {t};" for t in _TABLES if t != "meta"))
            self.forget()
            offset, seq, hash_ = 0, 0, ZERO_HASH
        added = 0
        batch = cat.MemoryCatalogue(below=self)
        last = None
        start = offset
        self.tree.start(seq)
        for placed in self.log.read(offset, prev=hash_, seq=seq):
            event = placed.event
            batch.learn(event.id, event.seq, event.type, event.data, start)
            self.tree.grow(placed.line)
            start, last = placed.end, event
            added += 1
            if len(batch.positions) >= 10_000:
                self._store(batch, start, event.seq, event.hash)
                batch = cat.MemoryCatalogue(below=self)
        if last is not None:
            self._store(batch, start, last.seq, last.hash)
        return added

    def _store(self, batch: cat.MemoryCatalogue, offset: int, seq: int, hash_: str) -> None:
        with transaction(self.db):
            self.absorb(batch)
            self.set_head(offset, seq, hash_)

    def set_head(self, offset: int, seq: int, hash_: str) -> None:
        """Remember how far the index (and its tree) reaches (inside the caller's
        transaction)."""
        self.tree.flush()
        self.db.executemany("insert or replace into meta values (?,?)",
                            [("offset", offset), ("seq", seq), ("hash", hash_)])

    def absorb(self, batch: cat.MemoryCatalogue) -> None:
        """Take in what a memory catalogue over this index learned (inside the caller's
        transaction)."""
        db = self.db
        db.executemany("insert or replace into ids values (?,?,?,?,1)",
                       [(i, k.seq, k.type, batch.positions[i])
                        for i, k in batch.new_events.items()])
        db.executemany("insert or ignore into entities values (?,?,?,0,null)",
                       [(i, kind, name) for i, (kind, name) in batch.new_entities.items()])
        db.executemany("insert or replace into names values (?,?,?)",
                       [(s, k, i) for (s, k), i in batch.names.items()])
        db.executemany("insert into refs values (?,?) on conflict (id) do update "
                       "set n = n + excluded.n", [(k, n) for k, n in batch.refs_delta.items() if n])
        db.executemany("update entities set attends = attends + ? where id = ?",
                       [(n, k) for k, n in batch.attends_delta.items() if n])
        db.executemany("update ids set live = ? where id = ?",
                       [(int(v), k) for k, v in batch.live_flags.items()])
        db.executemany("insert or replace into current values (?,?,?)",
                       [(k, v.TYPE, _json.encode(v)) for k, v in batch.corrected.items()])
        db.executemany("update entities set into_id = ? where id = ?",
                       [(v, k) for k, v in batch.edges.items()])
        for ident, name in batch.conference_names.items():
            if name is None:
                db.execute("delete from conferences where id = ?", (ident,))
            elif ident in batch.new_events:
                db.execute("insert or replace into conferences values (?,?,?)",
                           (ident, batch.new_events[ident].seq, name))
            else:
                db.execute("update conferences set name = ? where id = ?", (name, ident))
        self.forget()

    def forget(self) -> None:
        """Drop what `prefetch` cached (after the tables changed)."""
        self._events.clear()
        self._entities.clear()

    def head_seq(self) -> int:
        """The sequence number the index (and its tree) reaches."""
        return self._meta()[1]

    # ------------------------------------------------------------ View

    def prefetch(self, event_ids: Iterable[str], entity_ids: Iterable[str]) -> None:
        """Answer these from memory until the next `apply`: one query per chunk."""
        wanted = [i for i in dict.fromkeys(event_ids) if i not in self._events]
        found = {r[0]: cat.Known(r[1], r[2], bool(r[3])) for r in self._many(
            "select id, type, seq, live from ids where id in ({})", wanted)}
        for i in wanted:
            self._events[i] = found.get(i)
        wanted = [i for i in dict.fromkeys(entity_ids) if i not in self._entities]
        ents = {r[0]: cat.EntityInfo(*r[1:]) for r in self._many(
            "select id, kind, name, attends, into_id from entities where id in ({})", wanted)}
        for i in wanted:
            self._entities[i] = ents.get(i)

    def _many(self, sql: str, keys: list[str]) -> list[tuple[Any, ...]]:
        out: list[tuple[Any, ...]] = []
        for i in range(0, len(keys), _CHUNK):
            part = keys[i:i + _CHUNK]
            out += self.db.execute(sql.format(",".join("?" * len(part))), part).fetchall()
        return out

    def event(self, id: str) -> cat.Known | None:
        if id in self._events:
            return self._events[id]
        row = self.db.execute("select type, seq, live from ids where id = ?", (id,)).fetchone()
        return cat.Known(row[0], row[1], bool(row[2])) if row else None

    def entity(self, id: str) -> cat.EntityInfo | None:
        if id in self._entities:
            return self._entities[id]
        row = self.db.execute("select kind, name, attends, into_id from entities where id = ?",
                              (id,)).fetchone()
        return cat.EntityInfo(*row) if row else None

    def refs(self, id: str) -> int:
        row = self.db.execute("select n from refs where id = ?", (id,)).fetchone()
        return int(row[0]) if row else 0

    def members(self, id: str) -> list[str]:
        return [r[0] for r in self.db.execute("select id from entities where into_id = ?",
                                              (id,))]

    def current(self, id: str) -> Payload:
        row = self.db.execute("select type, data from current where id = ?", (id,)).fetchone()
        if row is not None:
            return msgspec.json.decode(row[1], type=payload_class(row[0]))
        return self.log_event_at(id).data

    def named(self, scope: str, key: str) -> str | None:
        row = self.db.execute("select id from names where scope = ? and key = ?",
                              (scope, key)).fetchone()
        return str(row[0]) if row else None

    def names_in(self, scope: str) -> dict[str, str]:
        return dict(self.db.execute("select key, id from names where scope = ?", (scope,)))

    def conferences(self) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self.db.execute(
            "select id, name from conferences order by seq")]

    # ------------------------------------------------------------ the log behind it

    def log_event_at(self, event_id: str) -> Event:
        """An indexed event, read from its line in the log."""
        row = self.db.execute("select offset from ids where id = ?", (event_id,)).fetchone()
        if row is None:
            raise NotFound(f"no event with id {event_id!r}")
        offset = row[0]
        if self.spool is not None and offset >= self.spool[1]:
            event = event_at(self.spool[0], offset - self.spool[1])
        else:
            event = self.log.event_at(offset)
        if event.id != event_id:
            raise ArchiveError(f"the log index is out of step with {self.log.name} (at "
                               f"{event_id}); delete {self.path} and try again")
        return event

    def dependents(self, ids: set[str]) -> list[str]:
        """A few live facts that refer to `ids` (reads the log: for messages only)."""
        return cat.dependents(((e.id, e.type, e.data) for e in self.log), self, ids)
