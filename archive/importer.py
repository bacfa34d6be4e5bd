"""Bulk import: JSON Lines in, validated as a whole, appended in one durable step.

Lines are parsed in one pass (`codec.parse_import_line`), checked in batches, encoded
with their place in the chain and written to a spool file beside the log. Only when
every line has passed is the spool appended to the log (large writes, one fsync). What
the checks need to remember — which ids exist, what kind each entity is — goes into the
log index inside one SQLite transaction (committed after the fsync, rolled back on any
error), so memory stays flat however large the import, and the index is already up to
date for the next `archive add`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO

from . import rules
from .codec import Parsed, content_digest, encode_event, parse_import_line
from .errors import Conflict, InvalidEvent, NotFound
from .events import (
    EntitiesMerged,
    Event,
    EventCorrected,
    ParticipantAttended,
    Payload,
    references,
)
from .index import Index, Row, entries
from .log import Head, Log, event_at

BATCH = 10_000
#: Fixes the index learns from once the import is in the log (new names, merged names).
_LEARNED = (EventCorrected, EntitiesMerged)


@dataclass
class Outcome:
    """What an import wrote: how many events, which sequence numbers, how many skipped."""

    count: int = 0
    skipped: int = 0
    first: int = 0
    last: int = 0


@dataclass
class _Batch:
    """What one batch knows beyond the index: ids and entities it has created itself."""

    types: dict[str, str] = field(default_factory=dict)
    offsets: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)


class _Known:
    """What the log holds before a line (`rules.Known`): the index (earlier batches of
    this import are in its open transaction), looked up a batch at a time, and what this
    batch has created so far."""

    def __init__(self, importer: Importer, local: _Batch):
        self.importer, self.index, self.local = importer, importer.index, local
        self.types: dict[str, str | None] = {}
        self.kinds: dict[str, str | None] = {}

    def prefetch(self, event_ids: list[str], entity_ids: list[str]) -> None:
        found = self.index.types_of(event_ids)
        self.types = {i: found.get(i) for i in event_ids}
        kinds = self.index.kinds_of(entity_ids)
        self.kinds = {i: kinds.get(i) for i in entity_ids}

    def type_of(self, event_id: str) -> str | None:
        if event_id in self.local.types:
            return self.local.types[event_id]
        if event_id in self.types:
            return self.types[event_id]
        return self.index.type_of(event_id)

    def kind_of(self, entity_id: str) -> str | None:
        if entity_id in self.local.kinds:
            return self.local.kinds[entity_id]
        if entity_id in self.kinds:
            return self.kinds[entity_id]
        return self.index.kind_of(entity_id)

    def payload(self, event_id: str) -> tuple[str, Payload]:
        event = self.importer._event(event_id, self.local)
        return event.type, event.data


class Importer:
    """One import, under the log's lock. Use `run(lines)` once."""

    def __init__(self, log: Log, index: Index, head: Head, *, recorded_at: str,
                 recorded_by: str, new_id: Callable[[], str],
                 progress: Callable[[int], None] | None = None):
        self.log, self.index, self.head = log, index, head
        self.recorded_at, self.recorded_by, self.new_id = recorded_at, recorded_by, new_id
        self.progress = progress
        self.seq, self.prev, self.position = head.seq, head.hash, 0
        self.fixes: list[Payload] = []  # merges and corrections the index learns at the end
        self.spool_path = log.dir / f".import-{os.getpid()}.tmp"
        self.spool: IO[bytes]
        self.outcome = Outcome(first=head.seq + 1, last=head.seq)

    def run(self, lines: Iterable[bytes]) -> Outcome:
        db = self.index.db
        db.execute("begin")
        try:
            with open(self.spool_path, "w+b", buffering=1 << 20) as self.spool:
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
                self.spool.flush()
                self._append_spool()
            for fix in self.fixes:
                if isinstance(fix, EntitiesMerged):
                    self.index.learn_merge(fix)
                elif isinstance(fix, EventCorrected):
                    self.index.learn_correction(fix)
            self.index.set_head(self.head.offset + self.position, self.seq, self.prev)
            db.execute("commit")
        except BaseException:
            db.execute("rollback")
            raise
        finally:
            self.spool_path.unlink(missing_ok=True)
        self.outcome.last = self.seq
        return self.outcome

    # ------------------------------------------------------------ one batch

    def _batch(self, batch: list[tuple[int, Parsed]]) -> None:
        if not batch:
            return
        refs = [references(p.data) for _, p in batch]
        known = _Known(self, _Batch())
        known.prefetch([p.id for _, p in batch if p.id is not None] +
                       [r for found in refs for _, kind, r in found if kind != "entity"],
                       [r for found in refs for _, kind, r in found if kind == "entity"])
        for (lineno, p), found in zip(batch, refs, strict=True):
            try:
                self._one(p, found, known)
            except (InvalidEvent, NotFound, Conflict) as exc:
                raise type(exc)(f"import line {lineno}: {exc}; nothing was imported") from None
        self.index.add_rows(known.local.rows)

    def _one(self, p: Parsed, refs: list[tuple[str, str, str]], known: _Known) -> None:
        ident, local = p.id, known.local
        if ident is not None and known.type_of(ident) is not None:
            earlier = self._event(ident, local)
            if content_digest(earlier.type, earlier.data, earlier.at, earlier.source) != \
                    content_digest(p.type, p.data, p.at, p.source):
                raise Conflict(f"id {ident} is already recorded with different content")
            self.outcome.skipped += 1
            return
        rules.check(p.data, known, refs)
        if isinstance(p.data, _LEARNED):
            self.fixes.append(p.data)
        ident = ident or self.new_id()
        self.seq += 1
        line, self.prev = encode_event(
            id=ident, seq=self.seq, type=p.type, at=p.at, recorded_at=self.recorded_at,
            recorded_by=self.recorded_by, source=p.source, data=p.data, prev=self.prev)
        start = self.head.offset + self.position
        local.types[ident] = p.type
        local.offsets[ident] = self.position
        if isinstance(p.data, ParticipantAttended):
            local.kinds.setdefault(p.data.entity, p.data.kind)
        local.rows.append(entries(ident, self.seq, p.type, p.data, start))
        self.spool.write(line + b"\n")
        self.position += len(line) + 1
        self.outcome.count += 1

    def _event(self, ident: str, local: _Batch) -> Event:
        """An earlier event: in this batch, earlier in this import (the spool) or the log."""
        if ident in local.offsets:
            return self._spooled(local.offsets[ident])
        offset, _seq = self.index.offsets_of([ident])[ident]
        if offset >= self.head.offset:
            return self._spooled(offset - self.head.offset)
        return event_at(self.log.path, offset)

    def _spooled(self, position: int) -> Event:
        self.spool.flush()
        return event_at(self.spool_path, position)

    # ------------------------------------------------------------ the append

    def _append_spool(self) -> None:
        with open(self.spool_path, "rb") as spool:
            self.log.write_bytes(iter(lambda: spool.read(8 << 20), b""), self.head)
