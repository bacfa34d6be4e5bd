"""`verify`: check the whole log: every line's schema and hash, the sequence, the hash
chain, and references (a speech's session exists, a correction's target exists and its
changes fit the target's schema). Reports the first problem with file and line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .codec import parse_line
from .errors import ArchiveError, LogCorrupt
from .events import (
    ZERO_HASH,
    EntitiesMerged,
    EventCorrected,
    EventRetracted,
    ParticipantAttended,
    Payload,
    apply_changes,
    references,
)
from .log import Log

_WANT = {"conference": "conference.held", "session": "session.held"}


@dataclass(frozen=True)
class Report:
    """A log that verified: how many events, and the head it ends at."""

    events: int
    seq: int
    hash: str
    size: int


def verify(log: Log, progress: Callable[[int], None] | None = None) -> Report:
    """Raise LogCorrupt (file, line, what) at the first problem; else a Report."""
    log.require()
    types: dict[str, tuple[str, int]] = {}  # id -> (type, start offset)
    entities: dict[str, str] = {}
    path = str(log.path)
    seq, prev, start, size = 0, ZERO_HASH, 0, 0
    for placed in log.read():
        event, lineno = placed.event, placed.lineno
        data = event.data
        if event.id in types:
            raise LogCorrupt(f"id {event.id} appears twice (first at seq "
                             f"{_seq_of(log, types[event.id][1])})", path=path, line=lineno)
        _check_refs(data, types, entities, path, lineno)
        if isinstance(data, EventCorrected | EventRetracted):
            target_type = types[data.target][0]
            if target_type in (EventCorrected.TYPE, EventRetracted.TYPE, EntitiesMerged.TYPE):
                raise LogCorrupt(f"`data.target` is a {target_type}, not a fact",
                                 path=path, line=lineno)
            if isinstance(data, EventCorrected):
                target = _event_at(log, types[data.target][1])
                try:
                    fixed = apply_changes(target.type, target.data, data.changes)
                except ArchiveError as exc:
                    raise LogCorrupt(f"correction does not fit its target: {exc}",
                                     path=path, line=lineno) from None
                _check_refs(fixed, types, entities, path, lineno, "the corrected ")
        if isinstance(data, EntitiesMerged) and entities[data.kept] != entities[data.merged]:
            raise LogCorrupt("`entities.merged` joins different kinds", path=path, line=lineno)
        if isinstance(data, ParticipantAttended):
            if entities.setdefault(data.entity, data.kind) != data.kind:
                raise LogCorrupt(f"entity {data.entity} was a {entities[data.entity]}, "
                                 f"now a {data.kind}", path=path, line=lineno)
        types[event.id] = (event.type, start)
        start = placed.end
        seq, prev, size = event.seq, event.hash, placed.end
        if progress is not None:
            progress(1)
    return Report(events=seq, seq=seq, hash=prev, size=size)


def _check_refs(data: Payload, types: dict[str, tuple[str, int]], entities: dict[str, str],
                path: str, lineno: int, what: str = "") -> None:
    for field, kind, ref in references(data):
        if kind == "entity":
            ok = ref in entities
        else:
            found = types.get(ref)
            ok = found is not None and (kind not in _WANT or found[0] == _WANT[kind])
        if not ok:
            raise LogCorrupt(f"{what}field `data.{field}` refers to {ref!r}, which is not an "
                             f"earlier {kind}", path=path, line=lineno)


def _event_at(log: Log, offset: int):  # -> Event
    with open(log.path, "rb") as f:
        f.seek(offset)
        return parse_line(f.readline().rstrip(b"\n"))


def _seq_of(log: Log, offset: int) -> int:
    return _event_at(log, offset).seq
