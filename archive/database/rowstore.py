"""Rows into SQLite: the batching writer and the fold's view of a database being built
(`projection.State` answered from SQLite)."""

from __future__ import annotations

import sqlite3
from operator import itemgetter
from pathlib import Path
from typing import Any

from ..core.langs import DEFAULT
from ..core.projection import REPLACED, Delete, Entity, Insert, Op, Stored, Update, stored
from ..core.schema import BY_NAME, ENTITY_REFS, FACT_REFS, TABLES
from ..errors import ArchiveError
from ..store.layout import Layout, is_sha256

_BATCH = 20_000
_REFS = frozenset(ENTITY_REFS)


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Writer:
    """Applies row operations. Inserts are buffered per table, keyed by primary key (the
    `events` buffer by event id), and sent with executemany when `full()` says so, always
    between two events: the rows one event makes are all buffered or all sent. A delete
    drops buffered rows directly (and deletes from SQLite what was sent before); an update
    by a column other than the key first sends what is buffered for its table."""

    def __init__(self, conn: sqlite3.Connection, root: Path):
        self.conn = conn
        self.layout = Layout(root)
        self.buffers: dict[str, dict[Any, tuple[Any, ...]]] = {t.name: {} for t in TABLES}
        #: The buffered child rows of each parent id, per table.
        self.children: dict[str, dict[str, list[str]]] = {t.name: {} for t in TABLES}
        self.pending = 0
        self.insert_sql = {
            t.name: f"INSERT{' OR REPLACE' if t.name in REPLACED else ''} INTO {quote(t.name)} "
                    f"({', '.join(map(quote, t.names))}) VALUES ({', '.join('?' * len(t.names))})"
            for t in TABLES
        }
        self.names = {t.name: t.names for t in TABLES}
        self.getters = {t.name: itemgetter(*t.names) for t in TABLES}
        # What a buffered row is keyed by: the primary key, but the event id for `events`.
        self.keys = {t.name: t.names.index("id" if t.name == "events" else t.pk)
                     for t in TABLES}

    def insert(self, table: str, row: dict[str, Any]) -> None:
        if table == "attachments" and row.get("sha256"):
            sha = row["sha256"]
            present = is_sha256(sha) and self.layout.attachment(sha).is_file()
            row = {**row, "file_present": int(present)}
        try:
            values = self.getters[table](row)
        except KeyError:
            values = tuple([row.get(c) for c in self.names[table]])
        buffer = self.buffers[table]
        key = values[self.keys[table]]
        if key in buffer:
            if table not in REPLACED:
                raise ArchiveError(f"cannot add rows to {table}: {key!r} is there twice (is "
                                   "an id used twice in the log? run `archive verify`)")
            del buffer[key]  # INSERT OR REPLACE: the newer row, in the newer place
        buffer[key] = values
        self.pending += 1
        if type(key) is str and "/" in key:  # a child row (`parent/...`): found by parent
            self.children[table].setdefault(key[:key.index("/")], []).append(key)

    def full(self) -> bool:
        return self.pending >= _BATCH

    def send(self, table: str) -> None:
        buffer = self.buffers[table]
        if buffer:
            try:
                self.conn.executemany(self.insert_sql[table], buffer.values())
            except sqlite3.IntegrityError as exc:
                raise ArchiveError(f"cannot add rows to {table}: {exc} (is an id used "
                                   "twice in the log? run `archive verify`)") from None
            self.pending -= len(buffer)
            buffer.clear()
            self.children[table].clear()

    def flush(self) -> None:
        for table in self.buffers:
            self.send(table)
        self.pending = 0

    def buffered(self, table: str, key: Any) -> tuple[Any, ...] | None:
        return self.buffers[table].get(key)

    def delete(self, op: Delete) -> None:
        buffer = self.buffers[op.table]
        if buffer:
            removed = int(buffer.pop(op.id, None) is not None)
            if op.children:
                for key in self.children[op.table].pop(op.id, ()):
                    removed += buffer.pop(key, None) is not None
            self.pending -= removed
        pk = quote(BY_NAME[op.table].pk)
        if op.children:
            self.conn.execute(
                f"DELETE FROM {quote(op.table)} WHERE {pk} = ? OR ({pk} > ? AND {pk} < ?)",
                (op.id, op.id + "/", op.id + "0"))
        else:
            self.conn.execute(f"DELETE FROM {quote(op.table)} WHERE {pk} = ?", (op.id,))

    def update(self, op: Update) -> None:
        if (op.column == BY_NAME[op.table].pk and op.column not in op.values
                and op.value in self.buffers[op.table]):
            buffer = self.buffers[op.table]
            names = self.names[op.table]
            row = dict(zip(names, buffer[op.value], strict=True))
            row.update(op.values)
            buffer[op.value] = tuple(row[c] for c in names)
            return
        self.send(op.table)
        sets = ", ".join(f"{quote(c)} = ?" for c in op.values)
        self.conn.execute(f"UPDATE {quote(op.table)} SET {sets} WHERE {quote(op.column)} = ?",
                          (*op.values.values(), op.value))


class SqliteState:
    """The fold's view of the database being built (`projection.State`).

    Entities and aliases are cached; in a full build the cache knows every entity, so the
    fold never waits on SQLite for them. An earlier event is answered from the rows still
    buffered when it is there (nothing is sent early), else from SQLite by its id (a full
    build creates that unique index first: ids are time-ordered, so it stays cheap).
    References send the rows buffered for the tables they read and ask SQLite. A full build
    creates the other indexes after loading, except the few such a question needs earlier."""

    def __init__(self, conn: sqlite3.Connection, root: Path, *, complete: bool,
                 indexed: bool):
        self.conn = conn
        self.writer = Writer(conn, root)
        self.complete = complete
        self.indexed = indexed
        self.have: set[tuple[str, str]] = set()
        self.entities: dict[str, Entity | None] = {}
        self.aliases: dict[str, str | None] = {}
        #: Events retracted by this build (in a full build: every retracted event).
        self.retracted: set[str] = set()
        #: Facts translated in this build (in a full build: every one), and the
        #: working language of each conference met.
        self.translated_ids: set[str] = set()
        self.languages: dict[str, str] = {}
        #: A full build defers merges' rewrites of entity references (an index on every
        #: such column, kept up during the load, costs ~20% at 1M events) and applies them
        #: after the load, in one pass per column; a column is settled (indexed, its
        #: rewrites applied in order) as soon as anything else reads or updates it.
        self.deferred: dict[tuple[str, str], list[Update]] = {}
        self.settled: set[tuple[str, str]] = set(ENTITY_REFS) if indexed else set()
        self._index("events", "id")

    # -- writing
    def apply(self, ops: list[Op]) -> None:
        writer = self.writer
        for op in ops:
            if isinstance(op, Insert):
                writer.insert(op.table, op.row)
                if op.table == "entities":
                    r = op.row
                    self.entities[r["id"]] = Entity(  # a new record may come with aliases
                        r["id"], r["kind"], r["name"], tuple(_loads(r.get("aliases") or "[]")),
                        r["first_event_id"])
                elif op.table == "entity_aliases":
                    self.aliases[op.row["id"]] = op.row["entity_id"]
                elif op.table == "retractions":
                    self.retracted.add(op.row["target_event_id"])
                elif op.table == "conferences":
                    self.languages[op.row["id"]] = op.row.get("lang") or DEFAULT
                elif op.table == "translations":
                    self.translated_ids.add(op.row["original_id"])
            elif isinstance(op, Delete):
                writer.delete(op)
                if op.table == "entities":
                    self.entities[op.id] = None
                elif op.table == "entity_aliases":
                    self.aliases[op.id] = None
            else:
                key = (op.table, op.column)
                if key in _REFS:
                    if key not in self.settled and op.column in op.values:
                        self.deferred.setdefault(key, []).append(op)  # a merge's rewrite
                        self._cache_update(op)
                        continue
                    self._settle(key)
                self._index(op.table, op.column)
                writer.update(op)
                self._cache_update(op)
        if writer.pending >= _BATCH:
            writer.flush()

    def _settle(self, key: tuple[str, str]) -> None:
        """Apply the rewrites deferred for an entity reference column, in order, and
        rewrite it at once from now on."""
        if key in self.settled:
            return
        self.settled.add(key)
        pending = self.deferred.pop(key, [])
        if pending:
            self._index(*key)
            for op in pending:
                self.writer.update(op)

    def finish(self) -> None:
        """Send every buffered row and apply the deferred rewrites: for each column, the
        merges composed into one map (value before -> values after), one pass."""
        self.writer.flush()
        for (table, column), pending in sorted(self.deferred.items()):
            names = tuple(pending[0].values)
            if any(tuple(op.values) != names for op in pending):
                self._settle((table, column))
                continue
            after: dict[Any, tuple[Any, ...]] = {}
            for op in pending:  # rows holding op.value (originally or by an earlier merge)
                values = tuple(op.values.values())
                new = names.index(column)
                for before, now in list(after.items()):
                    if now[new] == op.value:
                        after[before] = values
                if op.value not in after:
                    after[op.value] = values
            self.conn.execute("DROP TABLE IF EXISTS temp._archive_remap")
            cols = [f"v{i}" for i in range(len(names))]
            self.conn.execute(f"CREATE TABLE temp._archive_remap (old PRIMARY KEY, "
                              f"{', '.join(cols)})")
            self.conn.executemany(
                f"INSERT INTO temp._archive_remap VALUES ({', '.join('?' * (len(cols) + 1))})",
                [(before, *now) for before, now in after.items()])
            sets = ", ".join(f"{quote(name)} = (SELECT {c} FROM temp._archive_remap "
                             f"WHERE old = {quote(table)}.{quote(column)})"
                             for name, c in zip(names, cols, strict=True))
            self.conn.execute(f"UPDATE {quote(table)} SET {sets} WHERE {quote(column)} IN "
                              "(SELECT old FROM temp._archive_remap)")
            self.conn.execute("DROP TABLE temp._archive_remap")
            self.settled.add((table, column))
        self.deferred.clear()

    def _cache_update(self, op: Update) -> None:
        if op.table == "entities" and op.column == "id":
            old = self.entities.get(op.value)
            if old is not None:
                v = op.values
                aliases = tuple(_loads(v["aliases"])) if "aliases" in v else old.aliases
                self.entities[op.value] = Entity(old.id, v.get("kind", old.kind),
                                                 v.get("name", old.name), aliases,
                                                 old.first_event_id)
        elif op.table == "entity_aliases" and op.column == "entity_id":
            for key, kept in self.aliases.items():
                if kept == op.value:
                    self.aliases[key] = op.values["entity_id"]

    def _index(self, table: str, column: str) -> None:
        """Make sure a lookup by `column` will not scan the table."""
        if self.indexed or (table, column) in self.have or column == BY_NAME[table].pk:
            return
        self.conn.execute(f"CREATE {'UNIQUE ' if (table, column) == ('events', 'id') else ''}"
                          f"INDEX IF NOT EXISTS {quote(f'idx_{table}_{column}')} "
                          f"ON {quote(table)} ({quote(column)})")
        self.have.add((table, column))

    def _read(self, *where: tuple[str, str]) -> None:
        for table, column in where:
            self._index(table, column)
            self.writer.send(table)

    # -- reading (projection.State)
    def entity(self, id: str) -> Entity | None:
        if id in self.entities or self.complete:
            return self.entities.get(id)
        self._read(("entities", "id"))
        row = self.conn.execute("SELECT id, kind, name, aliases, first_event_id FROM entities "
                                "WHERE id = ?", (id,)).fetchone()
        found = Entity(row[0], row[1], row[2], tuple(_loads(row[3])), row[4]) if row else None
        self.entities[id] = found
        return found

    def alias(self, id: str) -> str | None:
        if id in self.aliases or self.complete:
            return self.aliases.get(id)
        self._read(("entity_aliases", "id"))
        row = self.conn.execute("SELECT entity_id FROM entity_aliases WHERE id = ?",
                                (id,)).fetchone()
        self.aliases[id] = row[0] if row else None
        return self.aliases[id]

    def event(self, id: str) -> Stored | None:
        writer = self.writer
        values = writer.buffered("events", id)
        if values is not None:
            row = dict(zip(writer.names["events"], values, strict=True))
        else:
            cur = self.conn.execute("SELECT * FROM events WHERE id = ?", (id,))
            found = cur.fetchone()
            if found is None:
                return None
            row = dict(zip([d[0] for d in cur.description], found, strict=True))
        current = writer.buffered("_archive_current", id)
        if current is not None:
            data = current[1]
        else:
            got = self.conn.execute("SELECT data FROM _archive_current WHERE event_id = ?",
                                    (id,)).fetchone()
            data = got[0] if got else None
        retracted = id in self.retracted or (not self.complete and self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM retractions WHERE target_event_id = ?)",
            (id,)).fetchone()[0] == 1)
        return stored(row, data, retracted)

    def referenced(self, entity_id: str, except_row: str) -> bool:
        for key in FACT_REFS:
            self._settle(key)
        self._read(*FACT_REFS)
        children = except_row + "/"
        for table, column in FACT_REFS:
            pk = quote(BY_NAME[table].pk)
            if self.conn.execute(
                f"SELECT 1 FROM {quote(table)} WHERE {quote(column)} = ? AND {pk} != ? "
                f"AND substr({pk}, 1, ?) != ? LIMIT 1",
                (entity_id, except_row, len(children), children),
            ).fetchone():
                return True
        return False


    def translated(self, event_id: str) -> bool:
        if event_id in self.translated_ids or self.complete:
            return event_id in self.translated_ids
        self._read(("translations", "original_id"))
        return self.conn.execute("SELECT EXISTS (SELECT 1 FROM translations WHERE "
                                 "original_id = ?)", (event_id,)).fetchone()[0] == 1

    def language(self, conference_id: str) -> str:
        found = self.languages.get(conference_id)
        if found is None:
            row = self.writer.buffered("conferences", conference_id)
            if row is not None:
                found = row[self.writer.names["conferences"].index("lang")]
            else:
                got = self.conn.execute("SELECT lang FROM conferences WHERE id = ?",
                                        (conference_id,)).fetchone()
                found = got[0] if got else None
            found = self.languages[conference_id] = found or DEFAULT
        return found

    def aliases_of(self, entity_id: str) -> list[str]:
        key = ("entity_aliases", "entity_id")
        self._settle(key)
        self._read(key)
        return [r[0] for r in self.conn.execute(
            "SELECT id FROM entity_aliases WHERE entity_id = ? ORDER BY id", (entity_id,))]


def _loads(text: str | None) -> list[Any]:
    import msgspec

    return msgspec.json.decode(text) if text else []


__all__ = ["SqliteState", "Writer"]
