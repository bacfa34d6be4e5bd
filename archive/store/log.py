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
from pathlib import Path

from ..core.codec import line_tail, parse_line, type_marker
from ..core.events import ZERO_HASH, Event
from ..errors import Conflict, InvalidEvent, LogCorrupt, TornTail
from . import anchor, base, durable
from .base import EventLog, Head, Intent, Pending, Placed
from .durable import fsync_path
from .layout import Layout

__all__ = ["Head", "Intent", "Log", "Pending", "Placed", "event_at"]

_READ_CHUNK = 1 << 20


class Log(EventLog):
    """The file store: the log of one archive folder in `<root>/events/events.jsonl`."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)
        self.layout = Layout(self.root)
        self.dir = self.layout.events
        self.path = self.layout.log
        self.lock_path = self.layout.lock
        self.intent_path = self.layout.append_intent
        self.name = str(self.path)

    # ------------------------------------------------------------ set-up

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
        for batch in self.line_batches(start, first_lineno):
            yield from batch

    def line_batches(self, start: int = 0, first_lineno: int = 1
                     ) -> Iterator[list[tuple[int, int, bytes]]]:
        """`lines`, the lines of each chunk read (about a megabyte) in one list."""
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
                for at in range(0, len(parts), base.LINES_A_BATCH):
                    batch = []
                    for part in parts[at:at + base.LINES_A_BATCH]:
                        offset += len(part) + 1
                        batch.append((lineno, offset, part))
                        lineno += 1
                    yield batch
            if rest:
                raise TornTail(
                    f"the last line is incomplete ({len(rest)} bytes without a newline): an "
                    "interrupted write that was never acknowledged; run `archive repair`",
                    path=str(self.path), line=lineno,
                )

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

    def event_at(self, offset: int) -> Event:
        return event_at(self.path, offset)

    def line_at(self, offset: int) -> bytes:
        with open(self.path, "rb") as f:
            f.seek(offset)
            return f.readline().rstrip(b"\n")

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

