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
import os
import re
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..core.events import ZERO_HASH, EntitiesUnmerged, check_date
from ..core.projection import project
from ..core.schema import FTS_COLUMNS, FTS_TABLE, SCHEMA_VERSION, TABLES, VIEWS, indexes
from ..errors import ArchiveError, LogCorrupt, NotFound
from ..store.log import Log, Placed
from .rowstore import SqliteState, quote

DB_NAME = "archive.db"

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


# ---------------------------------------------------------------- schema


def create_schema(conn: sqlite3.Connection) -> None:
    """Tables with their keys and foreign keys (no secondary indexes yet).

    Each table is created with its foreign keys in one statement (`add_foreign_keys` would
    rebuild every table, ~0.4 s)."""
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    types = {"text": str, "integer": int, "real": float}
    done: set[str] = set()
    todo = list(TABLES)
    while todo:  # every table after the tables it points to
        table = next(t for t in todo if all(o in done or o == t.name for _, o, _ in t.fks))
        todo.remove(table)
        done.add(table.name)
        db.table(table.name).create(
            {name: types[kind] for name, kind, _ in table.all_columns},
            pk=table.pk, foreign_keys=list(table.fks),
        )


def create_indexes(conn: sqlite3.Connection) -> None:
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    db.table("events").create_index(["id"], unique=True, if_not_exists=True)
    for table in TABLES:
        for columns in indexes(table):
            db.table(table.name).create_index(list(columns), if_not_exists=True)


def create_search_and_views(conn: sqlite3.Connection) -> None:
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    db.table(FTS_TABLE).enable_fts(list(FTS_COLUMNS), create_triggers=True, tokenize="porter")
    for name, sql in VIEWS.items():
        db.create_view(name, sql, replace=True)


# ---------------------------------------------------------------- as-of


_DIGITS = re.compile(r"^\d+$")
_DATEISH = re.compile(r"^\d{4}(-\d{2}(-\d{2}(T.*)?)?)?$")


def as_of_stop(as_of: str) -> tuple[Callable[[Placed], bool], Callable[[Placed], bool]]:
    """(stop before this event, stop after this event) for `--as-of SEQ|EVENT_ID|DATETIME`.

    A number is a sequence number; a date or date-time (with a `-`) compares with
    `recorded_at` (a date alone means the end of that day, month or year); anything else
    is an event id."""
    never: Callable[[Placed], bool] = lambda p: False  # noqa: E731
    if _DIGITS.match(as_of):
        n = int(as_of)
        return (lambda p: p.event.seq > n), never
    if _DATEISH.match(as_of) and "-" in as_of:
        try:
            check_date("as_of", as_of)
        except ValueError as exc:
            raise ArchiveError(f"--as-of: {exc}") from None
        limit = _instant(as_of, end=True)
        return (lambda p: _instant(p.event.recorded_at) > limit), never
    return never, (lambda p: p.event.id == as_of)


def _instant(text: str, end: bool = False) -> datetime:
    """A (partial) ISO date-time as an aware UTC instant; `end` = end of a partial period."""
    if "T" in text:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    parts = [int(x) for x in text.split("-")]
    if len(parts) == 3:
        start = datetime(parts[0], parts[1], parts[2], tzinfo=UTC)
        return start + timedelta(days=1) - timedelta(microseconds=1) if end else start
    if len(parts) == 2:
        y, m = parts
        nxt = datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=UTC)
        return nxt - timedelta(microseconds=1) if end else datetime(y, m, 1, tzinfo=UTC)
    return (datetime(parts[0] + 1, 1, 1, tzinfo=UTC) - timedelta(microseconds=1)
            if end else datetime(parts[0], 1, 1, tzinfo=UTC))


# ---------------------------------------------------------------- build


def read_info(path: Path) -> dict[str, str] | None:
    """What `_archive_build` says about a database, or None if it has none."""
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return dict(conn.execute("SELECT key, value FROM _archive_build").fetchall())
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def _log_matches(log: Log, info: dict[str, str]) -> bool:
    """Does the log still end its remembered line with the remembered hash?"""
    offset, seq, hash_ = int(info["offset"]), int(info["seq"]), info["hash"]
    return log.ends_with(offset, hash_) and (offset != 0 or seq == 0)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("page_size=16384", "journal_mode=OFF", "synchronous=OFF",
                   "temp_store=MEMORY", "cache_size=-65536", "locking_mode=EXCLUSIVE"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def _stream(log: Log, state: SqliteState, start: int, seq: int, prev: str,
            stop_before: Callable[[Placed], bool], stop_after: Callable[[Placed], bool],
            progress: Progress | None, undone: frozenset[str] = frozenset(),
            ) -> tuple[int, str, int, int]:
    """Fold events from byte `start` into the database. Returns (seq, hash, offset, n)."""
    total = max(log.size() - start, 0)
    offset, n, done = start, 0, 0
    for placed in log.read(start, prev=prev, seq=seq):
        if stop_before(placed):
            break
        state.apply(project(placed.event, state, undone))
        seq, prev, offset, n = placed.event.seq, placed.event.hash, placed.end, n + 1
        if progress is not None and n % _PROGRESS_EVERY == 0:
            progress(offset - start - done, total)
            done = offset - start
        if stop_after(placed):
            break
    state.finish()
    if progress is not None:
        progress(offset - start - done, total)
    return seq, prev, offset, n


def _write_info(conn: sqlite3.Connection, seq: int, hash_: str, offset: int,
                as_of: str | None) -> None:
    conferences = conn.execute("SELECT count(*) FROM conferences").fetchone()[0]
    info = {"seq": seq, "hash": hash_, "offset": offset, "as_of": as_of or "",
            "conferences": conferences, "schema_version": SCHEMA_VERSION}
    conn.execute("DELETE FROM _archive_build")
    conn.executemany("INSERT INTO _archive_build (key, value) VALUES (?, ?)",
                     [(k, str(v)) for k, v in info.items()])


def _finish(conn: sqlite3.Connection, tmp: Path, out: Path) -> None:
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, out)
    dir_fd = os.open(out.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@dataclass
class _Temp:
    """A temporary file beside the target, removed unless it was moved into place."""

    path: Path

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc: object) -> None:
        self.path.unlink(missing_ok=True)


def _temp_beside(out: Path) -> _Temp:
    return _Temp(out.with_name(f".{out.name}.{os.getpid()}.tmp"))


def _full(log: Log, out: Path, as_of: str | None, progress: Progress | None,
          name_by_seq: bool) -> BuildResult:
    """Build from the first event. A merge that the log undoes later is folded as never
    applied (`projection.project`); when `as_of` stops the build before the unmerge, it
    is built again with that merge in force (rare: an unmerge after an as-of cut)."""
    unmerges = {e.data.merge: e.seq for e in log.of_type(EntitiesUnmerged.TYPE)
                if isinstance(e.data, EntitiesUnmerged)}
    undone = frozenset(unmerges)
    while True:
        result = _full_once(log, out, as_of, progress, name_by_seq, undone)
        cut = frozenset(m for m, seq in unmerges.items() if seq <= result.seq)
        if cut == undone:
            return result
        undone = cut


def _full_once(log: Log, out: Path, as_of: str | None, progress: Progress | None,
               name_by_seq: bool, undone: frozenset[str]) -> BuildResult:
    stop_before, stop_after = as_of_stop(as_of) if as_of else ((lambda p: False),) * 2
    with _temp_beside(out) as tmp:
        tmp.unlink(missing_ok=True)
        conn = _connect(tmp)
        try:
            create_schema(conn)
            state = SqliteState(conn, log.root, complete=True, indexed=False)
            conn.execute("BEGIN")
            seq, hash_, offset, n = _stream(log, state, 0, 0, ZERO_HASH, stop_before,
                                            stop_after, progress, undone)
            if as_of and not _DIGITS.match(as_of) and not _DATEISH.match(as_of) \
                    and not any(True for _ in conn.execute(
                        "SELECT 1 FROM events WHERE id = ?", (as_of,))):
                raise NotFound(f"--as-of {as_of}: no event has that id in the log")
            if as_of and _DIGITS.match(as_of) and int(as_of) > seq:
                raise NotFound(f"--as-of {as_of}: the log ends at sequence {seq}")
            conn.execute("COMMIT")
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
        if name_by_seq:
            out = out.with_name(f"archive-as-of-{seq}.db")
        _finish(conn, tmp, out)
    return BuildResult(out, seq, hash_, n, True)


def _apply_new(conn: sqlite3.Connection, log: Log, info: dict[str, str],
               progress: Progress | None, undone: frozenset[str],
               ) -> tuple[int, str, int, int]:
    """Fold the events after the remembered offset into `conn`, in one transaction."""
    seq, hash_, offset = int(info["seq"]), info["hash"], int(info["offset"])
    state = SqliteState(conn, log.root, complete=False, indexed=True)
    never: Callable[[Placed], bool] = lambda p: False  # noqa: E731
    conn.execute("BEGIN IMMEDIATE")
    try:
        seq, hash_, offset, n = _stream(log, state, offset, seq, hash_, never, never,
                                        progress, undone)
        _write_info(conn, seq, hash_, offset, None)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return seq, hash_, offset, n


def _incremental(log: Log, out: Path, info: dict[str, str],
                 progress: Progress | None, undone: frozenset[str]) -> BuildResult:
    """Apply the new events. In place, as one SQLite transaction (atomic and crash-safe
    through SQLite's journal) unless `archive serve` has the file open as immutable: then
    on a copy that atomically replaces it, so the server's open file never changes."""
    lock = _serving_lock_path(out)
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
            return BuildResult(out, seq, hash_, n, False)
        with _temp_beside(out) as tmp:
            shutil.copyfile(out, tmp)
            conn = _connect(tmp)
            try:
                seq, hash_, offset, n = _apply_new(conn, log, info, progress, undone)
            except BaseException:
                conn.close()
                raise
            _finish(conn, tmp, out)
        return BuildResult(out, seq, hash_, n, False)
    finally:
        os.close(fd)


def _serving_lock_path(db: Path) -> Path:
    return db.with_name(f".{db.name}.serving")


@contextmanager
def serving(db: str | os.PathLike[str]) -> Iterator[int]:
    """Hold a shared lock saying "this database is being served (opened immutable)":
    incremental builds then replace the file instead of changing it in place. Yields the
    lock's file descriptor, to hand to the serving process so the lock lives as long as it.
    """
    fd = os.open(_serving_lock_path(Path(db)), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        yield fd
    finally:
        os.close(fd)


def build(root: str | os.PathLike[str], db_path: str | os.PathLike[str] | None = None, *,
          as_of: str | None = None, full: bool = False,
          progress: bool | Progress = False) -> BuildResult:
    """Build (or bring up to date) the SQLite database of the archive at `root`.

    `as_of` (a sequence number, event id or date-time) builds the archive as it stood then,
    into `exports/archive-as-of-<seq>.db` unless `db_path` is given. `full` ignores what an
    existing database remembers. `progress` is a callable `(bytes done, bytes to do)`, or
    True for a simple percentage on stderr when it is a terminal."""
    log = Log(root)
    log.require()
    report = _progress(progress)
    exports = log.root / "exports"
    if as_of is not None:
        out = Path(db_path) if db_path is not None else exports / "archive-as-of.db"
        out.parent.mkdir(parents=True, exist_ok=True)
        return _full(log, out, as_of, report, name_by_seq=db_path is None)
    out = Path(db_path) if db_path is not None else exports / DB_NAME
    out.parent.mkdir(parents=True, exist_ok=True)
    info = None if full else read_info(out)
    if (info is not None and info.get("schema_version") == SCHEMA_VERSION
            and not info.get("as_of") and _log_matches(log, info)):
        head = log.head()
        if head.seq == int(info["seq"]) and head.hash == info["hash"]:
            return BuildResult(out, head.seq, head.hash, 0, False)
        undone = frozenset(e.data.merge for e in log.of_type(EntitiesUnmerged.TYPE,
                                                             int(info["offset"]))
                           if isinstance(e.data, EntitiesUnmerged))
        try:
            if not _holds_any(out, undone):  # else a merge built already is undone: full
                return _incremental(log, out, info, report, undone)
        except LogCorrupt as exc:
            if exc.line != int(info["seq"]) + 1:
                raise
            # The line after the remembered one does not follow from it: start again.
    return _full(log, out, None, report, name_by_seq=False)


def _holds_any(path: Path, event_ids: frozenset[str]) -> bool:
    """Does the database hold any of these events?"""
    if not event_ids:
        return False
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return any(conn.execute("SELECT 1 FROM events WHERE id = ?", (i,)).fetchone()
                   for i in event_ids)
    finally:
        conn.close()


def is_stale(root: str | os.PathLike[str], db_path: str | os.PathLike[str] | None = None) -> bool:
    """Does the database lag behind the log (or not exist)?"""
    log = Log(root)
    out = Path(db_path) if db_path is not None else log.root / "exports" / DB_NAME
    info = read_info(out)
    if info is None or info.get("schema_version") != SCHEMA_VERSION or info.get("as_of"):
        return True
    head = log.head()
    return not (head.seq == int(info["seq"]) and head.hash == info["hash"])


def _progress(progress: bool | Progress) -> Progress | None:
    if callable(progress):
        return progress
    if not progress:
        return None
    import sys

    if not sys.stderr.isatty():
        return None
    seen = [0]

    def report(step: int, total: int) -> None:
        seen[0] += step
        pct = 100 * seen[0] // total if total else 100
        sys.stderr.write(f"\rBuilding {pct:3d}%")
        if seen[0] >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return report


def rows(path: str | os.PathLike[str]) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """Every table's rows ordered by primary key (to compare two databases)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        for table in TABLES:
            yield table.name, conn.execute(
                f"SELECT * FROM {quote(table.name)} ORDER BY {quote(table.pk)}").fetchall()
    finally:
        conn.close()


__all__ = ["BuildResult", "build", "is_stale", "read_info", "rows", "serving"]
