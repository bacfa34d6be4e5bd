"""The file log: `events/events.jsonl`, append-only, hash-chained, one event per line.

Durability: an append first records its intent (where the log ends before it, and where
and with which hash it will end after it) durably in `events/.append-intent`, then writes
its lines, fsyncs the file (and the folder when the file is new), and only then returns.
A writer killed at any point leaves the intent behind; the next writer settles it before
anything else: the log is cut back to where the append began, or, when every byte of it
reached the disk, kept (an acknowledged append is never cut). So an append, however
large (an import of a million lines), is all or nothing across crashes too.

Concurrency: writers hold an exclusive `flock` on `events/.lock`, so they never
interleave or reuse a sequence number. Readers never wait for a writer's checks: they take
a shared lock on `events/.append` for a moment to see where the log ends, which a writer
holds exclusively only while its bytes go out, so a reader sees whole appends only (and,
after a crash, the log as the next writer will settle it). A torn last line with no
intent behind it (damage from outside) stops readers with a clear error; `repair`
truncates it and nothing else.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ..core.codec import encode_event, line_tail, parse_line, type_marker
from ..core.events import ZERO_HASH, Event, Payload, Source
from ..errors import Conflict, InvalidEvent, LogCorrupt, NotAnArchive, TornTail
from . import anchor, durable
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


class Intent(NamedTuple):
    """An append in progress: the log ends at `offset` before it, at `end` with the line
    hashed `hash` after it."""

    offset: int
    end: int
    hash: str


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
        self.intent_path = self.layout.append_intent

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

    def check_head(self) -> None:
        """Raise HeadLost unless the log still holds the highest head this archive has
        seen (`store.anchor`)."""
        seen = anchor.remembered(self.layout.head)
        if seen is not None and not self.ends_with(seen.offset, seen.hash):
            raise anchor.lost(seen, "this archive has seen")

    # ------------------------------------------------------------ whole appends

    def _intent(self) -> Intent | None:
        try:
            text = self.intent_path.read_text()
        except FileNotFoundError:
            return None
        try:
            return Intent(**json.loads(text))
        except (ValueError, TypeError):  # torn while it was written: nothing was appended
            return Intent(self.size(), -1, "")

    def _settled(self, intent: Intent) -> int:
        """Where the log ends once a dead writer's append is settled: at its end if all of
        it reached the disk, else where it began."""
        if intent.end >= 0 and self.ends_with(intent.end, intent.hash):
            return intent.end
        return intent.offset

    @contextmanager
    def _append_lock(self, how: int) -> Iterator[None]:
        try:
            fd = os.open(self.layout.append_lock, os.O_RDONLY | os.O_CREAT, 0o644)
        except OSError:
            if how == fcntl.LOCK_EX or self.layout.append_lock.exists():
                raise
            yield  # a read-only folder that no writer ever used: nobody appends here
            return
        try:
            fcntl.flock(fd, how)
            yield
        finally:
            os.close(fd)

    def committed(self) -> int:
        """How far the log holds whole appends (what readers read): the size, or where a
        dead writer's append will be settled. Waits for a write in progress to finish."""
        with self._append_lock(fcntl.LOCK_SH):
            intent = self._intent()
            return self.size() if intent is None else self._settled(intent)

    def settle(self) -> None:
        """Settle a dead writer's append (under the writers' lock), and remove what dead
        importers left: the log ends where its last whole append ended."""
        intent = self._intent()
        if intent is not None:
            keep = self._settled(intent)
            if self.size() != keep:
                self._truncate(keep)
            self.intent_path.unlink()
            fsync_path(self.dir)
        for spool in self.dir.glob(".import-*.tmp"):  # no importer runs: we hold the lock
            spool.unlink(missing_ok=True)
        durable.remove_dead_temps_in(self.dir)  # an intent's, an attachment's
        durable.remove_dead_temps_in(self.layout.attachments)

    # ------------------------------------------------------------ reading

    def lines(self, start: int = 0, first_lineno: int = 1) -> Iterator[tuple[int, int, bytes]]:
        """Yield (lineno, end offset, line without newline) from byte `start` to the end
        of the last whole append.

        Raises TornTail when that ends in an unterminated line."""
        if not self.path.exists():
            return
        end = self.committed()
        with open(self.path, "rb") as f:
            f.seek(start)
            offset, lineno, rest = start, first_lineno, b""
            remaining = end - start
            while remaining > 0:
                chunk = f.read(min(_READ_CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
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
        end = self.committed()
        with open(self.path, "rb") as f:
            f.seek(start)
            rest = b""
            while start < end and (chunk := f.read(min(_READ_CHUNK, end - start))):
                start += len(chunk)
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
        """Read the last line of the last whole append (only the tail of the file) to find
        seq, hash and size."""
        size = self.committed()
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
        """Hold the writers' lock (a separate lock file, so readers never wait for a
        writer's checks), after settling what a dead writer left."""
        self.require()
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self.settle()
            self.check_head()
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
            data = b"\n".join(out) + b"\n"
            self.write_bytes([data], head, Intent(head.offset, head.offset + len(data), prev),
                             seq=seq)
        return events

    def write_bytes(self, chunks: Iterable[bytes], head: Head, intent: Intent, *,
                    seq: int) -> None:
        """Durably append complete lines, all or nothing across crashes (the caller holds
        the writers' lock; `head` is where the log ends, `intent` where it will end, at
        sequence `seq`). One chunk is one `write`; then fsync, and the folder's fsync if
        the file is new. On a failure here the log is cut back to `head`; after a crash,
        the next writer does. Once acknowledged, the new head is remembered."""
        with self._append_lock(fcntl.LOCK_EX):
            new_file = not self.path.exists()
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            if os.fstat(fd).st_size != head.offset:
                # checked before the try: the cleanup must never cut someone else's lines
                os.close(fd)
                raise Conflict("the log changed size while locked; is someone writing "
                               "without the lock?")
            try:
                # the intent reaches the disk before any byte of the append does
                durable.write_atomic(self.intent_path, json.dumps(intent._asdict()).encode())
                for chunk in chunks:
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(fd, view):]
                os.fsync(fd)
                if new_file:
                    fsync_path(self.dir)
            except BaseException:
                os.ftruncate(fd, head.offset)
                os.fsync(fd)
                self.intent_path.unlink(missing_ok=True)
                raise
            finally:
                os.close(fd)
            # acknowledged from here: an intent left by a crash now is settled forward
            self.intent_path.unlink()
        anchor.remember(self.layout.head, anchor.Seen(seq, intent.hash, intent.end))

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
        """Truncate a torn (unterminated) last line, or blank lines at the end. Returns
        bytes removed (0 if none).

        Only that tail is touched: every complete line must still verify, or this
        refuses (corruption elsewhere is for a person to look at)."""
        with self.locked():
            size = self.size()
            if size == 0:
                return 0
            with open(self.path, "rb") as f:
                f.seek(max(size - 4096, 0))
                tail = f.read()
            if tail.endswith(b"\n"):
                # blank lines at the end hold no event (an editor may add one): cut them
                kept = tail.rstrip(b" \t\r\n")
                keep = size - len(tail) + len(kept) + (1 if kept or size > len(tail) else 0)
                if keep < size:
                    self._truncate(keep)
                return size - keep
            keep = 0
            try:
                for placed in self.read():
                    keep = placed.end
            except TornTail:
                pass
            self._truncate(keep)
            return size - keep

    def _truncate(self, size: int) -> None:
        """Cut the log back to `size` bytes, durably (the caller holds the lock)."""
        fd = os.open(self.path, os.O_WRONLY)
        try:
            os.ftruncate(fd, size)
            os.fsync(fd)
        finally:
            os.close(fd)


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

