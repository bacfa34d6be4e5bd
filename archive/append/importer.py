"""Bulk import: JSON Lines in, validated as a whole, appended in one durable step.

Lines are parsed in one pass (`codec.parse_import_line`), checked in batches, encoded
with their place in the chain and written to a spool file beside the log (and, for a
store that takes them as they come, to the store inside the append's transaction, so its
server works while the import checks). Only when every line has passed is the spool
appended to the log (large writes, one fsync), or the store's transaction committed. What
the checks need to remember — the catalogue of what exists (`archive.core.catalogue`) — goes
into the log index inside one SQLite transaction (committed after the fsync, rolled back on any
error), so memory stays flat however large the import, and the index is already up to
date for the next `archive add`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO

from ..bulk import collector_paused
from ..core import rules
from ..core.catalogue import MemoryCatalogue
from ..core.codec import Parsed, content_digest, encode_event, parse_import_line
from ..core.events import MENTIONS, Event, EventCorrected, payload_class, references
from ..core.validate import FieldError, check_changes
from ..errors import Conflict, InvalidEvent, NotFound
from ..store.base import EventLog, Head, Intent, Sink
from ..store.index import Index

BATCH = 10_000


@dataclass
class Outcome:
    """What an import wrote: how many events, which sequence numbers, how many skipped."""

    count: int = 0
    skipped: int = 0
    first: int = 0
    last: int = 0


class Importer:
    """One import, under the log's lock. Use `run(lines)` once."""

    def __init__(self, log: EventLog, index: Index, head: Head, *, recorded_at: str,
                 recorded_by: str, new_id: Callable[[], str],
                 progress: Callable[[int], None] | None = None):
        self.log, self.index, self.head = log, index, head
        self.recorded_at, self.recorded_by, self.new_id = recorded_at, recorded_by, new_id
        self.progress = progress
        self.seq, self.prev, self.position = head.seq, head.hash, 0
        self.spool_path = log.layout.import_spool(os.getpid())
        self.spool: IO[bytes]
        self.sink: Sink | None = None
        self.outcome = Outcome(first=head.seq + 1, last=head.seq)

    def run(self, lines: Iterable[bytes]) -> Outcome:
        db = self.index.db
        db.execute("begin")
        self.index.tree.start(self.head.seq)
        try:
            with open(self.spool_path, "w+b", buffering=1 << 20) as self.spool:
                self.index.spool = (self.spool_path, self.head.offset)
                with self.log.streaming() as self.sink, collector_paused():
                    self._check_all(lines)
                self.spool.flush()
                self._append_spool()
            self.index.set_head(self.head.offset + self.position, self.seq, self.prev)
            db.execute("commit")
        except BaseException:
            db.execute("rollback")
            self.index.forget()
            self.index.tree.discard()
            raise
        finally:
            self.index.spool = None
            self.spool_path.unlink(missing_ok=True)
        self.outcome.last = self.seq
        return self.outcome

    def _check_all(self, lines: Iterable[bytes]) -> None:
        batch: list[tuple[int, Parsed]] = []
        consumed = reported = 0
        for lineno, raw in enumerate(lines, 1):
            consumed += len(raw)
            if not raw.strip():
                continue
            try:
                batch.append((lineno, parse_import_line(raw.rstrip(b"\r\n"))))
            except InvalidEvent as exc:
                raise InvalidEvent(f"{exc}; nothing was imported", line=lineno,
                                   path="import") from None
            if len(batch) >= BATCH:
                self._batch(batch)
                batch = []
                if self.progress is not None:
                    self.progress(consumed - reported)
                    reported = consumed
        self._batch(batch)

    # ------------------------------------------------------------ one batch

    def _batch(self, batch: list[tuple[int, Parsed]]) -> None:
        if not batch:
            return
        refs = [references(p.data) for _, p in batch]
        self.index.prefetch(
            [p.id for _, p in batch if p.id is not None]
            + [r for found in refs for _, kind, r in found if kind != "entity"],
            [r for found in refs for _, kind, r in found if kind == "entity"]
            + [p.data.entity for _, p in batch if isinstance(p.data, MENTIONS)])
        known = MemoryCatalogue(below=self.index)
        local: dict[str, Parsed] = {}
        for (lineno, p), found in zip(batch, refs, strict=True):
            try:
                self._one(p, found, known, local)
            except (InvalidEvent, NotFound, Conflict) as exc:
                raise type(exc)(f"import line {lineno}: {exc}; nothing was imported") from None
        self.spool.flush()
        self.index.absorb(known)
        self.index.tree.flush()  # inside the import's transaction, a batch at a time

    def _one(self, p: Parsed, refs: list[tuple[str, str, str]], known: MemoryCatalogue,
             local: dict[str, Parsed]) -> None:
        ident = p.id
        if ident is not None and known.event(ident) is not None:
            earlier = local.get(ident) or self.index.log_event_at(ident)
            if content_digest(earlier.type, earlier.data, earlier.at, earlier.source) != \
                    content_digest(p.type, p.data, p.at, p.source):
                raise Conflict(f"id {ident} is already recorded as {_gist(earlier)}, and this "
                               f"line gives it other content: {_gist(p)}")
            self.outcome.skipped += 1
            return
        if isinstance(p.data, EventCorrected) and (target := known.event(p.data.target)):
            try:
                check_changes(payload_class(target.type), p.data.changes)
            except FieldError as exc:
                raise InvalidEvent(str(exc)) from None
        if p.data.EVIDENCE and p.source is None:
            raise InvalidEvent(f"{p.type} needs its evidence: a `source`")
        if rules.cites_unknown_source(type(p.data), p.source, known):
            assert p.source is not None
            raise NotFound(f"field `source.url`: no source has the id {p.source.url!r}; "
                           "import its `source.cited` line first, or give a URL")
        rules.check(p.data, known, refs, dependents=self.index.dependents)
        ident = ident or self.new_id()
        self.seq += 1
        line, self.prev = encode_event(
            id=ident, seq=self.seq, type=p.type, at=p.at, recorded_at=self.recorded_at,
            recorded_by=self.recorded_by, source=p.source, data=p.data, prev=self.prev)
        known.learn(ident, self.seq, p.type, p.data, self.head.offset + self.position, refs)
        local[ident] = p
        self.spool.write(line + b"\n")
        self.index.tree.grow(line)
        if self.sink is not None:
            self.sink(self.seq, self.head.offset + self.position, ident, p.type, self.prev,
                      line)
        self.position += len(line) + 1
        self.outcome.count += 1

    # ------------------------------------------------------------ the append

    def _append_spool(self) -> None:
        with open(self.spool_path, "rb") as spool:
            self.log.write_bytes(iter(lambda: spool.read(8 << 20), b""), self.head,
                                 Intent(self.head.offset, self.head.offset + self.position,
                                        self.prev), seq=self.seq)


def _gist(p: Parsed | Event) -> str:
    """An event as a message names it: its type and its first words."""
    words = next((v for k in ("name", "title", "text", "summary", "counts")
                  if isinstance(v := getattr(p.data, k, None), str)), None)
    if words is None:
        return p.type
    return f"{p.type} {words[:60] + ('…' if len(words) > 60 else '')!r}"
