"""What every store of the log is: the interface the rest of the archive uses, and what
is the same in every store (reading with checks, placing and encoding an append).

A store holds the exact canonical lines (`core.codec`) in order, so hashes, heads and
positions are the same whichever store holds a log. A position is the byte offset a line
has in the JSON Lines file of the log (`events/events.jsonl`): the file store reads it
directly, the PostgreSQL store (`store.pg`) keeps it beside each line. Indexes, builds
and the remembered head keep positions, so they work, unchanged, over either store.

Stores: `store.log.Log` (the file, the default) and `store.pg.PgLog` (PostgreSQL);
`store.open.open_log` picks the one an archive folder names.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Protocol

from ..core.codec import encode_event, parse_line, parse_lines
from ..core.events import ZERO_HASH, Event, Payload, Source
from ..errors import ArchiveError, Conflict, InvalidEvent, LogCorrupt, NotAnArchive
from . import anchor, durable
from .layout import Layout


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


#: Lines read and parsed at a time: enough to share a batch's work, few enough that what
#: they make stays in the processor's cache (1,700 lines a batch read 15% slower than 128).
LINES_A_BATCH = 128


class Placed(NamedTuple):
    """An event read from the log, with the byte offset just past its line (a tuple: a
    reader makes one per event)."""

    event: Event
    line: bytes
    end: int
    lineno: int


class Batch(NamedTuple):
    """Events in a row, read from the log and checked: each one's line and the position
    just past it, and the line number of the first."""

    events: list[Event]
    lines: list[bytes]
    ends: list[int]
    lineno: int


def _chain_problem(event: Event, seq: int, prev: str) -> str | None:
    """What is wrong with `event` following the event numbered `seq`, hashed `prev`."""
    if event.seq != seq + 1:
        return (f"sequence {event.seq} where {seq + 1} was expected "
                "(a line was deleted, inserted or moved)")
    if event.prev != prev:
        return (f"`prev` {event.prev[:12]}... does not match the hash of the line before "
                f"({prev[:12]}...): the chain is broken")
    return None


@dataclass(frozen=True)
class Pending:
    """A validated event waiting for its place in the log."""

    id: str
    type: str
    data: Payload
    at: str | None = None
    source: Source | None = None




class Sink(Protocol):
    """Takes an import's lines as they are checked (`EventLog.streaming`)."""

    def __call__(self, seq: int, pos: int, id: str, type: str, hash: str,
                 line: bytes) -> None: ...


class EventLog(ABC):
    """The log of one archive folder, in whichever store holds it."""

    root: Path
    layout: Layout
    #: How messages name the log (a file path, or a store's URL without secrets).
    name: str

    # ------------------------------------------------------------ set-up

    def exists(self) -> bool:
        return self.layout.events.is_dir()

    def require(self) -> None:
        if not self.exists():
            raise NotAnArchive(
                f"{self.root} is not an archive (no events/ folder); "
                "run `archive init` or pass --archive DIR"
            )

    @abstractmethod
    def init(self) -> bool:
        """Create the log (and the folders). Returns False if it already existed."""

    def check_head(self) -> None:
        """Raise HeadLost unless the log still holds the highest head this archive has
        seen (`store.anchor`)."""
        seen = anchor.remembered(self.layout.head)
        if seen is not None and not self.ends_with(seen.offset, seen.hash):
            raise anchor.lost(seen, "this archive has seen")

    # ------------------------------------------------------------ reading

    @abstractmethod
    def size(self) -> int:
        """The position just past the last line (the byte size of the log's file)."""

    @abstractmethod
    def ends_with(self, offset: int, hash_: str) -> bool:
        """Does the log still hold, ending at position `offset`, the line whose hash is
        `hash_`? (The head a reader remembered.) Offset 0 is the empty log."""

    @abstractmethod
    def lines(self, start: int = 0, first_lineno: int = 1) -> Iterator[tuple[int, int, bytes]]:
        """Yield (line number, end position, line without newline) from position `start`
        to the end of the last whole append."""

    def line_batches(self, start: int = 0, first_lineno: int = 1
                     ) -> Iterator[list[tuple[int, int, bytes]]]:
        """`lines`, a list at a time (the file store reads them a chunk at a time). A
        problem `lines` finds comes after the lines before it, so that theirs are found
        first."""
        batch: list[tuple[int, int, bytes]] = []
        try:
            for item in self.lines(start, first_lineno):
                batch.append(item)
                if len(batch) >= LINES_A_BATCH:
                    yield batch
                    batch = []
        except ArchiveError:
            if batch:
                yield batch
            raise
        if batch:
            yield batch

    @abstractmethod
    def of_type(self, type_: str, start: int = 0) -> Iterator[Event]:
        """The events of one type from position `start` (each line's own hash checked)."""

    @abstractmethod
    def event_at(self, offset: int) -> Event:
        """The event whose line starts at position `offset` (its own hash checked)."""

    @abstractmethod
    def line_at(self, offset: int) -> bytes:
        """The exact line (without its newline) that starts at position `offset`."""

    @abstractmethod
    def head(self) -> Head:
        """Where the log ends."""

    def batches(self, start: int = 0, *, prev: str = ZERO_HASH, seq: int = 0,
                first_lineno: int | None = None) -> Iterator[Batch]:
        """Parse, validate and chain-check events from position `start`, a batch at a
        time (`read`, for a pass over many events).

        `prev` and `seq` describe the event just before `start` (the head a reader
        remembered). Raises LogCorrupt naming the log and line of the first problem,
        once the events before it are yielded."""
        name = self.name
        lineno0 = first_lineno if first_lineno is not None else seq + 1
        for group in self.line_batches(start, lineno0):
            lines = [line for _, _, line in group]
            try:
                events = parse_lines(lines)
            except InvalidEvent:
                events = []  # read again line by line below, for the line and message
            if len(events) == len(lines):
                at, hashes = seq, prev
                for event in events:
                    at += 1
                    if event.seq != at or event.prev != hashes:
                        break
                    hashes = event.hash
                else:
                    yield Batch(events, lines, [end for _, end, _ in group],
                                group[0][0])
                    prev, seq = hashes, at
                    continue
            good: list[Event] = []
            for lineno, _, line in group:
                problem: str | None
                try:
                    event = parse_line(line)
                except InvalidEvent as exc:
                    problem = str(exc)
                else:
                    problem = _chain_problem(event, seq, prev)
                if problem is not None:
                    if good:
                        n = len(good)
                        yield Batch(good, lines[:n], [end for _, end, _ in group[:n]],
                                    group[0][0])
                    raise LogCorrupt(problem, path=name, line=lineno)
                good.append(event)
                prev, seq = event.hash, event.seq
            raise AssertionError("a batch that failed its checks passed them line by line")

    def read(self, start: int = 0, *, prev: str = ZERO_HASH, seq: int = 0,
             first_lineno: int | None = None) -> Iterator[Placed]:
        """Parse, validate and chain-check events from position `start`, one at a time.

        `prev` and `seq` describe the event just before `start` (the head a reader
        remembered). Raises LogCorrupt naming the log and line of the first problem."""
        for batch in self.batches(start, prev=prev, seq=seq, first_lineno=first_lineno):
            lineno = batch.lineno
            for event, line, end in zip(batch.events, batch.lines, batch.ends, strict=True):
                yield Placed(event, line, end, lineno)
                lineno += 1

    def __iter__(self) -> Iterator[Event]:
        for placed in self.read():
            yield placed.event

    # ------------------------------------------------------------ writing

    @abstractmethod
    def locked(self) -> AbstractContextManager[None]:
        """Hold the writers' lock: one writer at a time, across processes (and machines,
        for a shared store)."""

    @abstractmethod
    def write_bytes(self, chunks: Iterable[bytes], head: Head, intent: Intent, *,
                    seq: int) -> None:
        """Durably append complete lines, all or nothing (the caller holds the lock;
        `head` is where the log ends, `intent` where it will end, at sequence `seq`).
        Returns only once the append is acknowledged (on disk, or committed)."""

    def streaming(self) -> AbstractContextManager[Sink | None]:
        """While an import checks its lines, a store that can take them as they come (so
        that its server works while the import checks) gives a sink; the import's
        `write_bytes` then only makes them durable. None: the store takes them at the end."""
        return nullcontext(None)

    @abstractmethod
    def repair(self) -> int:
        """Remove a torn last line (a file's); returns the bytes removed."""

    def write_locked(
        self, pending: Iterable[Pending], head: Head, *, recorded_at: str, recorded_by: str,
    ) -> list[Event]:
        """Place, encode and durably append events. The caller holds the lock and
        passes the current head. All lines go out in one write."""
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

    # ------------------------------------------------------------ attachments

    def store_attachment(self, path: Path, sha256: str) -> None:
        """Keep the file `path` as the attachment `sha256` (the caller holds the lock and
        has hashed it): content-addressed under `events/attachments/`, checking it is still
        the file that was hashed. A shared store also keeps it in the store."""
        target = self.layout.attachment(sha256)
        if target.exists():
            return
        with durable.temp_beside(target) as tmp:
            digest = hashlib.sha256()
            with open(path, "rb") as src, open(tmp, "wb") as dst:
                while chunk := src.read(1 << 20):
                    digest.update(chunk)
                    dst.write(chunk)
            if digest.hexdigest() != sha256:
                raise InvalidEvent(f"--file {path} changed while it was stored; try again")
            durable.replace(tmp, target)

    def sync_attachments(self) -> int:
        """Bring the attachments a shared store holds into `events/attachments/` (what
        the briefing and the server read). Returns how many were copied."""
        return 0
