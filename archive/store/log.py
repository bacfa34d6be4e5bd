"""The file log: `events/events.jsonl`, append-only, hash-chained, one event per line.

Durability: every append writes all its lines in one `write`, fsyncs the file (and the
folder when the file is new), and only then returns. Concurrency: appends hold an
exclusive `flock` on `events/.lock`, so writers never interleave or reuse a sequence
number. A torn last line (a crash mid-write, never acknowledged) stops readers with a
clear error; `repair` truncates it and nothing else.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..core.codec import encode_event, line_tail, parse_line, type_marker
from ..core.events import ZERO_HASH, Event, Payload, Source
from ..errors import Conflict, InvalidEvent, LogCorrupt, NotAnArchive, TornTail
from .durable import fsync_path
from .layout import Layout

_READ_CHUNK = 1 << 20


@dataclass(frozen=True)
class Head:
    """Where the log ends: last sequence number, last hash, byte size."""

    seq: int
    hash: str
    offset: int

    def expect(self, seq: int | None) -> None:
        """`--expect-seq`: fail cleanly unless the log ends at `seq` (None: no check)."""
        if seq is not None and self.seq != seq:
            raise Conflict(f"expected the log to end at sequence {seq} but it ends at "
                           f"{self.seq}: someone appended first; nothing was written")


@dataclass(frozen=True)
class Placed:
    """An event read from the log, with the byte offset just past its line."""

    event: Event
    line: bytes
    end: int
    lineno: int


@dataclass(frozen=True)
class Pending:
    """A validated event waiting for its place in the log."""

    id: str
    type: str
    data: Payload
    at: str | None = None
    source: Source | None = None


class Log:
    """The log of one archive folder (`<root>/events/events.jsonl`)."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)
        self.layout = Layout(self.root)
        self.dir = self.layout.events
        self.path = self.layout.log
        self.lock_path = self.layout.lock

    # ------------------------------------------------------------ set-up

    def exists(self) -> bool:
        return self.dir.is_dir()

    def require(self) -> None:
        if not self.exists():
            raise NotAnArchive(
                f"{self.root} is not an archive (no events/ folder); "
                "run `archive init` or pass --archive DIR"
            )

    def init(self) -> bool:
        """Create the folders and an empty log. Returns False if it already existed."""
        created = not self.path.exists()
        for folder in (self.dir, self.layout.exports):
            folder.mkdir(parents=True, exist_ok=True)
        if created:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.fsync(fd)
            os.close(fd)
            fsync_path(self.dir)
        return created

    # ------------------------------------------------------------ reading

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def ends_with(self, offset: int, hash_: str) -> bool:
        """Does the log still hold, ending at byte `offset`, the line whose hash is `hash_`?
        (The head a reader remembered: an index, a database.) Offset 0 is the empty log."""
        if offset == 0:
            return hash_ == ZERO_HASH
        tail = line_tail(hash_)
        if offset < len(tail) or self.size() < offset:
            return False
        with open(self.path, "rb") as f:
            f.seek(offset - len(tail))
            return f.read(len(tail)) == tail

    def lines(self, start: int = 0, first_lineno: int = 1) -> Iterator[tuple[int, int, bytes]]:
        """Yield (lineno, end offset, line without newline) from byte `start`.

        Raises TornTail when the file ends in an unterminated line."""
        if not self.path.exists():
            return
        with open(self.path, "rb") as f:
            f.seek(start)
            offset, lineno, rest = start, first_lineno, b""
            while True:
                chunk = f.read(_READ_CHUNK)
                if not chunk:
                    break
                chunk = rest + chunk
                parts = chunk.split(b"\n")
                rest = parts.pop()
                for part in parts:
                    offset += len(part) + 1
                    yield lineno, offset, part
                    lineno += 1
            if rest:
                raise TornTail(
                    f"the last line is incomplete ({len(rest)} bytes without a newline): an "
                    "interrupted write that was never acknowledged; run `archive repair`",
                    path=str(self.path), line=lineno,
                )

    def read(self, start: int = 0, *, prev: str = ZERO_HASH, seq: int = 0,
             first_lineno: int | None = None) -> Iterator[Placed]:
        """Parse, validate and chain-check events from byte `start`.

        `prev` and `seq` describe the event just before `start` (the head a reader
        remembered). Raises LogCorrupt naming the file and line of the first problem."""
        path = str(self.path)
        lineno0 = first_lineno if first_lineno is not None else seq + 1
        for lineno, end, line in self.lines(start, lineno0):
            try:
                event = parse_line(line)
            except InvalidEvent as exc:
                raise LogCorrupt(str(exc), path=path, line=lineno) from None
            if event.seq != seq + 1:
                raise LogCorrupt(
                    f"sequence {event.seq} where {seq + 1} was expected "
                    "(a line was deleted, inserted or moved)", path=path, line=lineno)
            if event.prev != prev:
                raise LogCorrupt(
                    f"`prev` {event.prev[:12]}... does not match the hash of the line before "
                    f"({prev[:12]}...): the chain is broken", path=path, line=lineno)
            yield Placed(event, line, end, lineno)
            prev, seq = event.hash, event.seq

    def of_type(self, type_: str, start: int = 0) -> Iterator[Event]:
        """The events of one type from byte `start`, found by a byte search: for rare types
        (a million-line log without one is read in well under a second). Each line found
        is parsed and its own hash checked; the chain, and damaged lines, are for `read` to
        report."""
        if not self.path.exists():
            return
        marker = type_marker(type_)
        with open(self.path, "rb") as f:
            f.seek(start)
            rest = b""
            while chunk := f.read(_READ_CHUNK):
                chunk = rest + chunk
                cut = chunk.rfind(b"\n") + 1
                body, rest = chunk[:cut], chunk[cut:]
                at = body.find(marker)
                while at >= 0:
                    first = body.rfind(b"\n", 0, at) + 1
                    end = body.index(b"\n", at)
                    try:
                        yield parse_line(body[first:end])
                    except InvalidEvent:
                        pass  # a damaged line: `read` reports it, with its line number
                    at = body.find(marker, end)

    def __iter__(self) -> Iterator[Event]:
        for placed in self.read():
            yield placed.event

    def head(self) -> Head:
        """Read the last line (only the tail of the file) to find seq, hash and size."""
        size = self.size()
        if size == 0:
            return Head(0, ZERO_HASH, 0)
        with open(self.path, "rb") as f:
            f.seek(size - 1)
            if f.read(1) != b"\n":
                lineno = _count_newlines(self.path) + 1
                raise TornTail(
                    "the last line is incomplete: an interrupted write that was never "
                    "acknowledged; run `archive repair`", path=str(self.path), line=lineno)
            back = min(size, 4096)
            while True:
                f.seek(size - back)
                block = f.read(back)
                cut = block.rfind(b"\n", 0, len(block) - 1)
                if cut >= 0 or back == size:
                    last = block[cut + 1: -1]
                    break
                back = min(size, back * 2)
        try:
            event = parse_line(last)
        except InvalidEvent as exc:
            raise LogCorrupt(f"the last line is not a valid event: {exc}",
                             path=str(self.path), line=_count_newlines(self.path)) from None
        return Head(event.seq, event.hash, size)

    # ------------------------------------------------------------ writing

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the exclusive append lock (a separate lock file, so readers never block)."""
        self.require()
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def write_locked(
        self, pending: Iterable[Pending], head: Head, *, recorded_at: str, recorded_by: str,
    ) -> list[Event]:
        """Place, encode and durably append events. The caller holds the lock and
        passes the current head. All lines go out in one write, then fsync."""
        out: list[bytes] = []
        events: list[Event] = []
        seq, prev = head.seq, head.hash
        for p in pending:
            seq += 1
            line, digest = encode_event(
                id=p.id, seq=seq, type=p.type, at=p.at, recorded_at=recorded_at,
                recorded_by=recorded_by, source=p.source, data=p.data, prev=prev,
            )
            out.append(line)
            events.append(Event(
                id=p.id, seq=seq, type=p.type, v=p.data.VERSION, at=p.at,
                recorded_at=recorded_at, recorded_by=recorded_by, source=p.source,
                data=p.data, prev=prev, hash=digest,
            ))
            prev = digest
        if out:
            self.write_bytes([b"\n".join(out) + b"\n"], head)
        return events

    def write_bytes(self, chunks: Iterable[bytes], head: Head) -> None:
        """Durably append complete lines (the caller holds the lock; `head` is where the
        log ends). One chunk is one `write`; then fsync, and the folder's fsync if the
        file is new. On any failure the log is cut back to `head`: all or nothing."""
        new_file = not self.path.exists()
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        if os.fstat(fd).st_size != head.offset:
            # checked before the try: the cleanup below must never cut someone else's lines
            os.close(fd)
            raise Conflict("the log changed size while locked; is someone writing "
                           "without the lock?")
        try:
            for chunk in chunks:
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view):]
            os.fsync(fd)
        except BaseException:
            os.ftruncate(fd, head.offset)
            os.fsync(fd)
            raise
        finally:
            os.close(fd)
        if new_file:
            fsync_path(self.dir)

    def append(
        self, pending: list[Pending], *, recorded_at: str, recorded_by: str,
        expect_seq: int | None = None,
    ) -> list[Event]:
        """Append under the lock. `expect_seq` fails cleanly if the head moved."""
        with self.locked():
            head = self.head()
            head.expect(expect_seq)
            return self.write_locked(pending, head, recorded_at=recorded_at,
                                     recorded_by=recorded_by)

    def repair(self) -> int:
        """Truncate a torn (unterminated) last line. Returns bytes removed (0 if none).

        Only that tail is touched: every complete line must still verify, or this
        refuses (corruption elsewhere is for a person to look at)."""
        with self.locked():
            size = self.size()
            if size == 0:
                return 0
            with open(self.path, "rb") as f:
                f.seek(size - 1)
                if f.read(1) == b"\n":
                    return 0
            keep = 0
            try:
                for placed in self.read():
                    keep = placed.end
            except TornTail:
                pass
            fd = os.open(self.path, os.O_WRONLY)
            try:
                os.ftruncate(fd, keep)
                os.fsync(fd)
            finally:
                os.close(fd)
            return size - keep


def _count_newlines(path: Path) -> int:
    count = 0
    with open(path, "rb") as f:
        while chunk := f.read(_READ_CHUNK):
            count += chunk.count(b"\n")
    return count


def event_at(path: Path, offset: int) -> Event:
    """The event on the line starting at byte `offset` of a log (or an import's spool);
    its own hash is checked, as every read does."""
    with open(path, "rb") as f:
        f.seek(offset)
        return parse_line(f.readline().rstrip(b"\n"))

