"""Rows -> SQLite: build `exports/archive.db` from the log, fully or incrementally.

A full build streams the log through the fold into a fresh temporary file (bulk
`executemany` in one transaction, no journal), then adds indexes, full-text search and
views, fsyncs and atomically replaces the old database. An incremental build checks that
the log still holds the line the database was built up to (its hash at the remembered byte
offset, and the next line's `prev`) and applies only the new events, reading the log from
that offset, in one SQLite transaction (a reader or a crash sees all of it or none); while
`archive serve` has the file open as immutable it works on a copy and atomically replaces
the file instead. If the log no longer matches, it rebuilds from scratch.
"""

from __future__ import annotations

import fcntl
import functools
import os
import re
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..bulk import collector_paused
from ..core.asof import AsOf
from ..core.events import ZERO_HASH, EntitiesUnmerged
from ..core.projection import event_row, project
from ..core.rows import Insert
from ..core.schema import FTS_COLUMNS, FTS_TABLE, SCHEMA_VERSION, TABLES, VIEWS, indexes
from ..errors import LogCorrupt, NotFound, StorageError
from ..store import anchor, durable
from ..store.base import EventLog
from ..store.layout import serving_lock_of
from ..store.sqlite import read_only, transaction
from .rowstore import SqliteState, quote

_PROGRESS_EVERY = 2_000

Progress = Callable[[int, int], None]  # (bytes done, bytes to do)


@dataclass(frozen=True)
class BuildResult:
    """What a build did: the file, the log position it reflects, events applied."""

    path: Path
    seq: int
    hash: str
    applied: int
    full: bool
    offset: int = 0


# ---------------------------------------------------------------- schema


def create_schema(conn: sqlite3.Connection) -> None:
    """Tables with their keys and foreign keys (no secondary indexes yet)."""
    for sql in _ddl("tables"):
        conn.execute(sql)


def create_indexes(conn: sqlite3.Connection) -> None:
    """The secondary indexes (made after the rows are in: one sort per index)."""
    for sql in _ddl("indexes"):
        conn.execute(sql)


@functools.cache
def _ddl(stage: str) -> tuple[str, ...]:
    """The statements sqlite-utils writes for a stage of the schema, made once per process
    on an empty database in memory and replayed by every build: sqlite-utils reads the
    tables back after each one (~1,400 queries, 40 ms of a tiny build's 70)."""
    import sqlite_utils

    db = sqlite_utils.Database(sqlite3.connect(":memory:"))
    types = {"text": str, "integer": int, "real": float}
    done: set[str] = set()
    todo = list(TABLES)
    while todo:  # every table after the tables it points to
        table = next(t for t in todo if all(o in done or o == t.name for _, o, _ in t.fks))
        todo.remove(table)
        done.add(table.name)
        # with its foreign keys in one statement (`add_foreign_keys` rebuilds every table)
        db.table(table.name).create(
            {name: types[kind] for name, kind, _ in table.all_columns},
            pk=table.pk, foreign_keys=list(table.fks),
        )
    made = [sql for (sql,) in db.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL "
                                          "ORDER BY rowid").fetchall()]
    if stage == "tables":
        return tuple(made)
    db.table("events").create_index(["id"], unique=True, if_not_exists=True)
    for table in TABLES:
        for columns in indexes(table):
            db.table(table.name).create_index(list(columns), if_not_exists=True)
    # `IF NOT EXISTS` again (SQLite keeps the statement without it): the load may have
    # made an index it needed for its lookups
    return tuple(re.sub(r"^CREATE (UNIQUE )?INDEX ", r"CREATE \1INDEX IF NOT EXISTS ", sql)
                 for (sql,) in db.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT "
                                          "NULL ORDER BY rowid").fetchall()[len(made):])


def create_search_and_views(conn: sqlite3.Connection) -> None:
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    db.table(FTS_TABLE).enable_fts(list(FTS_COLUMNS), create_triggers=True, tokenize="porter")
    for table in TABLES:  # the tables searched on their own: figures, people, places
        if table.search:
            db.table(table.name).enable_fts(list(table.search), create_triggers=True,
                                            tokenize="porter")
    for name, sql in VIEWS.items():
        db.create_view(name, sql, replace=True)


# ---------------------------------------------------------------- build


def recover(path: Path) -> None:
    """Roll back what a killed build left half-applied in place. SQLite does it when a
    connection that may write opens a file with a hot journal beside it; a read-only or
    immutable open (`read_info`, Datasette) would read the half-applied pages instead."""
    if path.with_name(path.name + "-journal").exists() and path.is_file():
        conn = sqlite3.connect(path)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()


def read_info(path: Path) -> dict[str, str] | None:
    """What `_archive_build` says about a database, or None if it has none."""
    if not path.is_file():
        return None
    try:
        with closing(read_only(path)) as conn:
            return dict(conn.execute("SELECT key, value FROM _archive_build").fetchall())
    except sqlite3.Error:
        return None


def _log_matches(log: EventLog, info: dict[str, str]) -> bool:
    """Does the log still end its remembered line with the remembered hash?"""
    offset, seq, hash_ = int(info["offset"]), int(info["seq"]), info["hash"]
    return log.ends_with(offset, hash_) and (offset != 0 or seq == 0)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("page_size=16384", "journal_mode=OFF", "synchronous=OFF",
                   "temp_store=MEMORY", "cache_size=-65536", "locking_mode=EXCLUSIVE"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def _stream(log: EventLog, state: SqliteState, start: int, seq: int, prev: str,
            as_of: AsOf | None, progress: Progress | None,
            undone: frozenset[str] = frozenset()) -> tuple[int, str, int, int]:
    """Fold events from byte `start` into the database. Returns (seq, hash, offset, n)."""
    total = max(log.size() - start, 0)
    offset, n, done = start, 0, 0
    left_out: set[str] = set()
    with collector_paused():
        for placed in log.read(start, prev=prev, seq=seq):
            if as_of is not None and as_of.stop_before(placed.event):
                break
            if as_of is not None and as_of.leaves_out(placed.event, left_out):
                left_out.add(placed.event.id)  # after `--on` in the world's time: in the log,
                state.apply([Insert("events", event_row(placed.event))])  # not in the facts
            else:
                state.apply(project(placed.event, state, undone))
            seq, prev, offset, n = placed.event.seq, placed.event.hash, placed.end, n + 1
            if progress is not None and n % _PROGRESS_EVERY == 0:
                progress(offset - start - done, total)
                done = offset - start
            if as_of is not None and as_of.stop_after(placed.event):
                break
    state.finish()
    if progress is not None:
        progress(offset - start - done, total)
    return seq, prev, offset, n


def _write_info(conn: sqlite3.Connection, seq: int, hash_: str, offset: int,
                as_of: AsOf | None) -> None:
    conferences = conn.execute("SELECT count(*) FROM conferences").fetchone()[0]
    info = {"seq": seq, "hash": hash_, "offset": offset, "as_of": as_of.text if as_of else "",
            "conferences": conferences, "schema_version": SCHEMA_VERSION}
    conn.execute("DELETE FROM _archive_build")
    conn.executemany("INSERT INTO _archive_build (key, value) VALUES (?, ?)",
                     [(k, str(v)) for k, v in info.items()])


def _finish(conn: sqlite3.Connection, tmp: Path, out: Path) -> None:
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    durable.replace(tmp, out)


def _full(log: EventLog, out: Path, as_of: AsOf | None, progress: Progress | None,
          name: Callable[[int], Path] | None) -> BuildResult:
    """Build from the first event. A merge that the log undoes later is folded as never
    applied (`projection.project`); when `as_of` stops the build before the unmerge, it
    is built again with that merge in force (rare: an unmerge after an as-of cut)."""
    unmerges = {e.data.merge: e.seq for e in log.of_type(EntitiesUnmerged.TYPE)
                if isinstance(e.data, EntitiesUnmerged)}
    undone = frozenset(unmerges)
    while True:
        result = _full_once(log, out, as_of, progress, name, undone)
        cut = frozenset(m for m, seq in unmerges.items() if seq <= result.seq)
        if cut == undone:
            return result
        undone = cut


def _full_once(log: EventLog, out: Path, as_of: AsOf | None, progress: Progress | None,
               name: Callable[[int], Path] | None, undone: frozenset[str]) -> BuildResult:
    with durable.temp_beside(out) as tmp:
        conn = _connect(tmp)
        try:
            create_schema(conn)
            state = SqliteState(conn, log.root, complete=True, indexed=False)
            with transaction(conn):
                seq, hash_, offset, n = _stream(log, state, 0, 0, ZERO_HASH, as_of,
                                                progress, undone)
                if as_of is not None and as_of.event_id is not None and not conn.execute(
                        "SELECT 1 FROM events WHERE id = ?", (as_of.event_id,)).fetchone():
                    raise NotFound(f"--as-of {as_of.text}: no event has that id in the log")
                if as_of is not None and as_of.seq is not None and as_of.seq > seq:
                    raise NotFound(f"--as-of {as_of.text}: the log ends at sequence {seq}")
            # Sorting for the indexes: a smaller cache bounds the sorter's memory, which
            # spills to a temporary file (in memory, it grew with the tables).
            conn.execute("PRAGMA cache_size=-16000")
            conn.execute("PRAGMA temp_store=FILE")
            create_indexes(conn)
            create_search_and_views(conn)
            _write_info(conn, seq, hash_, offset, as_of)
        except BaseException:
            conn.close()
            raise
        if name is not None:
            out = name(seq)
        _finish(conn, tmp, out)
    return BuildResult(out, seq, hash_, n, True, offset)


@contextmanager
def _search_in_bulk(conn: sqlite3.Connection) -> Iterator[None]:
    """Keep full-text search in step with `texts` in bulk while an incremental build
    folds (inside its transaction). The per-row triggers that keep it in step cost three
    quarters of an incremental build; for the build's duration they are set aside, and
    TEMP triggers only note which rows are new or rewritten (a row already indexed is
    taken out of the index with its old words as it changes, as before); at the end the
    final words of those rows go into the index in one statement, and the triggers are put
    back. On any failure the transaction's rollback puts everything back."""
    fts, table = quote(FTS_TABLE + "_fts"), quote(FTS_TABLE)
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                            "AND tbl_name = ?", (FTS_TABLE,)).fetchall()
    if len(triggers) != 3:  # not the search this build made: leave it to its triggers
        yield
        return
    cols = ", ".join(map(quote, FTS_COLUMNS))
    old = ", ".join(f"old.{quote(c)}" for c in FTS_COLUMNS)
    forget = (f"INSERT INTO {fts} ({fts}, rowid, {cols}) VALUES ('delete', old.rowid, {old})")
    pending = "old.rowid IN (SELECT id FROM temp._texts_pending)"
    for name, _ in triggers:
        conn.execute(f"DROP TRIGGER {quote(name)}")
    for sql in (  # one by one: `executescript` would commit the build's transaction
        "CREATE TEMP TABLE IF NOT EXISTS _texts_pending (id INTEGER PRIMARY KEY)",
        "DELETE FROM temp._texts_pending",
        f"CREATE TEMP TRIGGER _texts_bulk_ai AFTER INSERT ON main.{table} BEGIN "
        "INSERT OR IGNORE INTO _texts_pending VALUES (new.rowid); END",
        f"CREATE TEMP TRIGGER _texts_bulk_au AFTER UPDATE ON main.{table} WHEN NOT "
        f"{pending} BEGIN {forget}; INSERT OR IGNORE INTO _texts_pending VALUES "
        "(new.rowid); END",
        f"CREATE TEMP TRIGGER _texts_bulk_ad AFTER DELETE ON main.{table} WHEN NOT "
        f"{pending} BEGIN {forget}; END",
        f"CREATE TEMP TRIGGER _texts_bulk_ad_new AFTER DELETE ON main.{table} WHEN "
        f"{pending} BEGIN DELETE FROM _texts_pending WHERE id = old.rowid; END",
    ):
        conn.execute(sql)
    try:
        yield
        conn.execute(f"INSERT INTO {fts} (rowid, {cols}) SELECT rowid, {cols} FROM {table} "
                     "WHERE rowid IN (SELECT id FROM temp._texts_pending)")
    finally:
        for name in ("ai", "au", "ad", "ad_new"):
            conn.execute(f"DROP TRIGGER IF EXISTS temp._texts_bulk_{name}")
    for _, sql in triggers:
        conn.execute(sql)


def _apply_new(conn: sqlite3.Connection, log: EventLog, info: dict[str, str],
               progress: Progress | None, undone: frozenset[str],
               ) -> tuple[int, str, int, int]:
    """Fold the events after the remembered offset into `conn`, in one transaction."""
    seq, hash_, offset = int(info["seq"]), info["hash"], int(info["offset"])
    state = SqliteState(conn, log.root, complete=False, indexed=True)
    with transaction(conn, "IMMEDIATE"):
        with _search_in_bulk(conn):
            seq, hash_, offset, n = _stream(log, state, offset, seq, hash_, None, progress,
                                            undone)
        _write_info(conn, seq, hash_, offset, None)
    return seq, hash_, offset, n


def _incremental(log: EventLog, out: Path, info: dict[str, str],
                 progress: Progress | None, undone: frozenset[str]) -> BuildResult:
    """Apply the new events. In place, as one SQLite transaction (atomic and crash-safe
    through SQLite's journal) unless `archive serve` has the file open as immutable: then
    on a copy that atomically replaces it, so the server's open file never changes."""
    lock = serving_lock_of(out)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            served = False
        except BlockingIOError:
            served = True
        if not served:
            conn = sqlite3.connect(out, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode=DELETE")
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute("PRAGMA cache_size=-65536")  # 62 indexes to update: keep pages
                seq, hash_, offset, n = _apply_new(conn, log, info, progress, undone)
            finally:
                conn.close()
            return BuildResult(out, seq, hash_, n, False, offset)
        with durable.temp_beside(out) as tmp:
            shutil.copyfile(out, tmp)
            conn = _connect(tmp)
            try:
                seq, hash_, offset, n = _apply_new(conn, log, info, progress, undone)
            except BaseException:
                conn.close()
                raise
            _finish(conn, tmp, out)
        return BuildResult(out, seq, hash_, n, False, offset)
    finally:
        os.close(fd)


@contextmanager
def serving(db: str | os.PathLike[str]) -> Iterator[int]:
    """Hold a shared lock saying "this database is being served (opened immutable)":
    incremental builds then replace the file instead of changing it in place. Yields the
    lock's file descriptor, to hand to the serving process so the lock lives as long as it.
    """
    fd = os.open(serving_lock_of(Path(db)), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield fd
    finally:
        os.close(fd)


def build(log: EventLog, out: Path, *, as_of: AsOf | None = None, full: bool = False,
          progress: Progress | None = None,
          name: Callable[[int], Path] | None = None) -> BuildResult:
    """Build (or bring up to date) the SQLite database `out` from `log`.

    `as_of` builds the archive as it stood then (always a full build; `name(seq)`, when
    given, names the file once the sequence reached is known). `full` ignores what an
    existing database remembers. `progress` is told `(bytes done, bytes to do)`."""
    log.require()
    try:
        return _build(log, out, as_of, full, progress, name)
    except sqlite3.Error as exc:  # SQLite's own words, with the file they are about
        raise StorageError(f"{out}: {exc}") from None


def _build(log: EventLog, out: Path, as_of: AsOf | None, full: bool, progress: Progress | None,
           name: Callable[[int], Path] | None) -> BuildResult:
    out.parent.mkdir(parents=True, exist_ok=True)
    recover(out)
    if as_of is not None:
        return _full(log, out, as_of, progress, name)
    info = None if full else read_info(out)
    if info is not None and info.get("schema_version") == SCHEMA_VERSION and not info.get(
            "as_of") and not _log_matches(log, info):
        seen = anchor.Seen(int(info["seq"]), info["hash"], int(info["offset"]))
        raise anchor.lost(seen, f"{out} was built from")
    if (info is not None and info.get("schema_version") == SCHEMA_VERSION
            and not info.get("as_of")):
        head = log.head()
        if head.seq == int(info["seq"]) and head.hash == info["hash"]:
            return BuildResult(out, head.seq, head.hash, 0, False, head.offset)
        undone = frozenset(e.data.merge for e in log.of_type(EntitiesUnmerged.TYPE,
                                                             int(info["offset"]))
                           if isinstance(e.data, EntitiesUnmerged))
        try:
            if not _holds_any(out, undone):  # else a merge built already is undone: full
                return _incremental(log, out, info, progress, undone)
        except LogCorrupt as exc:
            if exc.line != int(info["seq"]) + 1:
                raise
            # The line after the remembered one does not follow from it: start again.
    return _full(log, out, None, progress, None)


def _holds_any(path: Path, event_ids: frozenset[str]) -> bool:
    """Does the database hold any of these events?"""
    if not event_ids:
        return False
    with closing(read_only(path)) as conn:
        return any(conn.execute("SELECT 1 FROM events WHERE id = ?", (i,)).fetchone()
                   for i in event_ids)


def is_stale(log: EventLog, out: Path) -> bool:
    """Does the database lag behind the log (or not exist)?"""
    recover(out)
    info = read_info(out)
    if info is None or info.get("schema_version") != SCHEMA_VERSION or info.get("as_of"):
        return True
    head = log.head()
    return not (head.seq == int(info["seq"]) and head.hash == info["hash"])


__all__ = ["BuildResult", "build", "is_stale", "read_info", "recover", "serving"]
