"""The PostgreSQL store: the log of an archive that a team appends to from many machines.

The folder of such an archive keeps only `events/store.toml`, naming the store by a
libpq URL without a password (credentials come from the environment, `PGPASSFILE` or a
service file, as libpq finds them), and what is derived from the log (`exports/`).

One table holds the log, one row per event: the exact canonical line (so hashes, heads
and the export are byte for byte those of the file store), its `seq` (the primary key),
its position (the byte offset the line has in the log's JSON Lines file, so indexes,
builds and remembered heads work unchanged), and its id, type and hash. Another holds
the attachments, content-addressed.

Writers take a transaction-level advisory lock (`pg_advisory_xact_lock`) first, so
appends are one at a time across machines; the lock is held until the commit, so commit
order is seq order and a reader that has seen seq N has seen every event before it.
The append's checks (the catalogue's rules, `--expect-seq`, idempotent ids) run inside
that transaction; the append is acknowledged only once `COMMIT` returns. The unique keys
on seq, position and id stop anything that skipped the lock.

Reads page through the table in position order up to the head seen when the read began:
rows never change, so no snapshot needs to stay open (and a reader that stops early
leaves nothing behind), and memory stays flat.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import msgspec

from ..core.codec import line_tail, parse_line
from ..core.events import ZERO_HASH, Event
from ..errors import (
    ArchiveError,
    Conflict,
    InvalidEvent,
    LogCorrupt,
    NotFound,
    StoreUnavailable,
)
from . import anchor, durable
from .base import EventLog, Head, Intent, Sink
from .layout import Layout, is_sha256

if TYPE_CHECKING:
    import psycopg

#: The advisory lock every writer of an archive's log takes (any 64-bit number that
#: nothing else in the database uses: the first 8 bytes of sha256("conference-archive")).
LOCK_KEY = int.from_bytes(hashlib.sha256(b"conference-archive").digest()[:8], "big",
                          signed=True)
PAGE = 5_000  # rows per read of the log
SCHEMA = """
create table if not exists archive_log (
    seq bigint primary key,
    pos bigint not null unique,
    id text not null unique,
    type text not null,
    hash text not null,
    line bytea not null
);
create index if not exists archive_log_type on archive_log (type, pos);
create table if not exists archive_attachments (
    sha256 text primary key,
    data bytea not null
);
"""
_COPY = "copy archive_log (seq, pos, id, type, hash, line) from stdin (format binary)"


class _Keys(msgspec.Struct):
    """What the table keeps beside a line (the rest of the line is not decoded)."""

    id: str
    seq: int
    type: str
    hash: str


_keys = msgspec.json.Decoder(_Keys)


def redact(url: str) -> str:
    """A URL as messages and the folder's config show it: never with a password."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    if parts.password is None and all(k != "password" for k, _ in query):
        return url
    host = parts.hostname or ""
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    kept = urlencode([(k, v) for k, v in query if k != "password"], safe="/")
    return urlunsplit(parts._replace(netloc=f"{user}{host}{port}", query=kept))


def is_store_url(value: str) -> bool:
    return value.startswith(("postgresql://", "postgres://"))


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise ArchiveError(
            "this archive's log is in PostgreSQL, which needs psycopg: "
            "pip install 'conference-archive[postgres]'") from None
    # psycopg logs what it ignores while cleaning up after a lost connection; the
    # command reports the loss itself, as one `Error:` line
    logging.getLogger("psycopg").addHandler(logging.NullHandler())
    logging.getLogger("psycopg").propagate = False
    return psycopg


@contextmanager
def translated(name: str, *, committing: bool = False) -> Iterator[None]:
    """Report what the server or the connection says as one of the archive's errors."""
    psycopg = _psycopg()
    try:
        yield
    except psycopg.errors.UniqueViolation as exc:
        raise Conflict(f"{name}: another writer appended at the same place or with the "
                       f"same id ({_first_line(exc)}); nothing was written") from None
    except psycopg.errors.UndefinedTable:
        raise NotFound(f"{name} holds no archive log; create one with "
                       "`archive init DIR --store URL`") from None
    except psycopg.OperationalError as exc:
        if committing:
            raise StoreUnavailable(
                f"{name}: the connection was lost while the append was committed "
                f"({_first_line(exc)}): it may or may not be recorded. Run the same "
                "command again with the same --id: an event is recorded once") from None
        raise StoreUnavailable(f"{name}: {_first_line(exc)}; nothing was written") from None
    except psycopg.Error as exc:
        raise StoreUnavailable(f"{name}: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def connect(url: str) -> psycopg.Connection[Any]:
    """A connection in autocommit mode (transactions are begun where they are meant)."""
    module = _psycopg()
    with translated(redact(url)):
        conn: psycopg.Connection[Any] = module.connect(url, autocommit=True,
                                                       connect_timeout=10)
    return conn


class PgLog(EventLog):
    """The log of an archive folder whose `events/store.toml` names a PostgreSQL store."""

    def __init__(self, root: str | os.PathLike[str], url: str):
        self.root = Path(root)
        self.layout = Layout(self.root)
        self.url = url
        self.name = redact(url)
        self._conn: psycopg.Connection[Any] | None = None
        self._writing = False  # inside `locked`, before the commit
        #: While an import streams its lines in (a COPY holds the writer's connection),
        #: reads of what is committed go through a second connection.
        self._reader: psycopg.Connection[Any] | None = None
        self._copying = False
        self._streamed: tuple[int, int, str] | None = None  # (seq, end, hash) sent

    @property
    def conn(self) -> psycopg.Connection[Any]:
        if self._copying:
            if self._reader is None or self._reader.closed:
                self._reader = connect(self.url)
            return self._reader
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = connect(self.url)
        return self._conn

    def close(self) -> None:
        for conn in (self._conn, self._reader):
            if conn is not None:
                conn.close()
        self._conn = self._reader = None

    def _one(self, query: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        with translated(self.name):
            row: tuple[Any, ...] | None = self.conn.execute(
                query, params, binary=True).fetchone()
        return row

    # ------------------------------------------------------------ set-up

    def init(self) -> bool:
        """Create the log's tables if the database has none, and the folders. Returns
        False when the store already held a log (this folder joins it)."""
        # the store first: the folder is made only once the store is reachable (an
        # `events/` folder alone would pass for an empty file archive)
        with translated(self.name), self.conn.transaction():
            self.conn.execute("select pg_advisory_xact_lock(%s)", (LOCK_KEY,))
            self.conn.execute(SCHEMA)
            held = self.conn.execute("select exists (select 1 from archive_log)").fetchone()
        for folder in (self.layout.events, self.layout.exports):
            folder.mkdir(parents=True, exist_ok=True)
        return not (held and held[0])

    # ------------------------------------------------------------ reading

    def head(self) -> Head:
        row = self._one("select pos, line from archive_log order by seq desc limit 1")
        if row is None:
            return Head(0, ZERO_HASH, 0)
        event = self._parse(row[1], None)
        return Head(event.seq, event.hash, row[0] + len(row[1]) + 1)

    def size(self) -> int:
        return self.head().offset

    def ends_with(self, offset: int, hash_: str) -> bool:
        if offset == 0:
            return hash_ == ZERO_HASH
        row = self._one("select pos, line from archive_log where pos < %s "
                        "order by pos desc limit 1", (offset,))
        return (row is not None and row[0] + len(row[1]) + 1 == offset
                and (bytes(row[1]) + b"\n").endswith(line_tail(hash_)))

    def lines(self, start: int = 0, first_lineno: int = 1) -> Iterator[tuple[int, int, bytes]]:
        """Line numbers are sequence numbers."""
        end = self.size()
        pos = start
        while pos < end:
            with translated(self.name):
                rows = self.conn.execute(
                    "select seq, pos, line from archive_log where pos >= %s and pos < %s "
                    "order by pos limit %s", (pos, end, PAGE), binary=True).fetchall()
            if not rows:
                break
            for seq, at, line in rows:
                if at != pos:
                    raise LogCorrupt(f"the line is at position {at} where {pos} was "
                                     "expected (a line was removed or changed)",
                                     path=self.name, line=seq)
                pos = at + len(line) + 1
                yield seq, pos, line

    def of_type(self, type_: str, start: int = 0) -> Iterator[Event]:
        end = self.size()
        while start < end:
            with translated(self.name):
                rows = self.conn.execute(
                    "select pos, line from archive_log where type = %s and pos >= %s "
                    "and pos < %s order by pos limit %s", (type_, start, end, PAGE),
                    binary=True).fetchall()
            if not rows:
                break
            for at, line in rows:
                try:
                    yield parse_line(line)
                except InvalidEvent:
                    pass  # `read` reports it, with its sequence number
                start = at + 1

    def event_at(self, offset: int) -> Event:
        return self._parse(self.line_at(offset), None)

    def line_at(self, offset: int) -> bytes:
        row = self._one("select line from archive_log where pos = %s", (offset,))
        if row is None:
            raise ArchiveError(f"{self.name} holds no line at position {offset}")
        return bytes(row[0])

    def _parse(self, line: bytes, seq: int | None) -> Event:
        try:
            return parse_line(line)
        except InvalidEvent as exc:
            raise LogCorrupt(str(exc), path=self.name, line=seq or 0) from None

    # ------------------------------------------------------------ writing

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Begin a transaction and take the writers' advisory lock in it: held until the
        append commits (or the command ends without one)."""
        self.require()
        conn = self.conn
        with translated(self.name):
            conn.execute("begin")
            conn.execute("select pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        self._writing, self._streamed = True, None
        try:
            self.check_head()
            yield
        finally:
            if self._writing:
                self._writing, self._streamed = False, None
                if not conn.closed and not conn.broken:
                    conn.execute("rollback")

    @contextmanager
    def streaming(self) -> Iterator[Sink | None]:
        """A COPY into the log table, open while an import checks its lines (inside the
        append's transaction: nothing is visible, or kept, before the commit)."""
        if not self._writing:
            raise ArchiveError("an append to the PostgreSQL store must hold its lock")
        conn = self.conn
        sent: list[tuple[int, int, str]] = []
        with translated(self.name), conn.cursor() as cur, cur.copy(_COPY) as copy:
            copy.set_types(["int8", "int8", "text", "text", "text", "bytea"])
            write = copy.write_row
            self._copying = True
            try:
                def sink(seq: int, pos: int, id: str, type: str, hash: str,
                         line: bytes) -> None:
                    write((seq, pos, id, type, hash, line))
                    sent[:] = [(seq, pos + len(line) + 1, hash)]

                yield sink
            finally:
                self._copying = False
        self._streamed = sent[0] if sent else None

    def write_bytes(self, chunks: Iterable[bytes], head: Head, intent: Intent, *,
                    seq: int) -> None:
        """Insert the lines (one COPY; already done if they were streamed), then commit:
        acknowledged once COMMIT returns."""
        if not self._writing:
            raise ArchiveError("an append to the PostgreSQL store must hold its lock")
        conn = self.conn
        pos, last_seq, last_hash = head.offset, head.seq, head.hash
        with translated(self.name):
            if self._streamed is not None:
                last_seq, pos, last_hash = self._streamed
                self._streamed = None
            else:
                with conn.cursor() as cur, cur.copy(_COPY) as copy:
                    copy.set_types(["int8", "int8", "text", "text", "text", "bytea"])
                    for line in _split_lines(chunks):
                        keys = _keys.decode(line)
                        if keys.seq != last_seq + 1:
                            raise ArchiveError(f"append out of order at sequence {keys.seq}")
                        copy.write_row((keys.seq, pos, keys.id, keys.type, keys.hash, line))
                        pos += len(line) + 1
                        last_seq, last_hash = keys.seq, keys.hash
            if (pos, last_seq, last_hash) != (intent.end, seq, intent.hash):
                raise ArchiveError("the append does not end where it was meant to; "
                                   "nothing was written")
        with translated(self.name, committing=True):
            conn.execute("commit")
        self._writing = False
        anchor.remember(self.layout.head, anchor.Seen(seq, intent.hash, intent.end))

    def repair(self) -> int:
        """Nothing to repair: the store keeps whole transactions only."""
        self.require()
        return 0

    # ------------------------------------------------------------ attachments

    def store_attachment(self, path: Path, sha256: str) -> None:
        """Keep it in the store (in the append's transaction) and in the local folder."""
        if not self._writing:
            raise ArchiveError("an attachment is stored with its append")
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise InvalidEvent(f"--file {path} changed while it was stored; try again")
        with translated(self.name):
            self.conn.execute("insert into archive_attachments values (%s, %s) "
                              "on conflict (sha256) do nothing", (sha256, data))
        super().store_attachment(path, sha256)

    def sync_attachments(self) -> int:
        with translated(self.name):
            held = [r[0] for r in self.conn.execute("select sha256 from archive_attachments")]
        copied = 0
        for sha in held:
            target = self.layout.attachment(sha)
            if target.exists():
                continue
            row = self._one("select data from archive_attachments where sha256 = %s", (sha,))
            assert row is not None
            if hashlib.sha256(row[0]).hexdigest() != sha:
                raise LogCorrupt(f"the attachment {sha} does not have that hash",
                                 path=self.name, line=0)
            target.parent.mkdir(parents=True, exist_ok=True)
            durable.write_atomic(target, bytes(row[0]))
            copied += 1
        return copied


def _split_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Complete lines (without their newlines) from chunks that end on a line's end."""
    rest = b""
    for chunk in chunks:
        parts = (rest + chunk).split(b"\n")
        rest = parts.pop()
        yield from parts
    if rest:
        raise ArchiveError("an append must end with a whole line")


def push(source: EventLog, url: str) -> Head:
    """Copy a log, line for line, into a new PostgreSQL store (one transaction: all or
    nothing), with its attachments. The store must hold no log yet."""
    from .verify import verify

    name = redact(url)
    report = verify(source)  # every hash, the chain and the rules, before a byte goes out
    conn = connect(url)
    try:
        with translated(name):
            conn.execute("begin")
            conn.execute("select pg_advisory_xact_lock(%s)", (LOCK_KEY,))
            conn.execute(SCHEMA)
            held = conn.execute("select count(*) from archive_log").fetchone()
            if held and held[0]:
                raise Conflict(f"{name} already holds a log of {held[0]} events; push "
                               "into an empty database")
            with conn.cursor() as cur, cur.copy(_COPY) as copy:
                copy.set_types(["int8", "int8", "text", "text", "text", "bytea"])
                pos = 0
                for seq, end, line in source.lines():
                    keys = _keys.decode(line)
                    copy.write_row((seq, pos, keys.id, keys.type, keys.hash, line))
                    pos = end
            folder = source.layout.attachments
            for path in sorted(folder.iterdir()) if folder.is_dir() else []:
                if path.is_file() and is_sha256(path.name):
                    if hashlib.sha256(path.read_bytes()).hexdigest() != path.name:
                        raise LogCorrupt("the attachment does not have the hash it is "
                                         "named by", path=str(path), line=0)
                    conn.execute("insert into archive_attachments values (%s, %s) "
                                 "on conflict do nothing", (path.name, path.read_bytes()))
        with translated(name, committing=True):
            conn.execute("commit")
    finally:
        conn.close()
    return Head(report.seq, report.hash, report.size)
