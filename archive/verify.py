"""`verify`: check the whole log: every line's schema and hash, the sequence, the hash
chain, and the rules each event keeps with the lines before it (`archive.rules`: a
speech's session exists, a correction's target exists and its changes fit). Reports the
first problem with file and line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import rules
from .errors import InvalidEvent, LogCorrupt, NotFound
from .events import ZERO_HASH, ParticipantAttended, Payload
from .log import Log, event_at


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
    earlier = _Earlier(log)
    path = str(log.path)
    seq, prev, start, size = 0, ZERO_HASH, 0, 0
    for placed in log.read():
        event, lineno = placed.event, placed.lineno
        data = event.data
        if event.id in earlier.types:
            first = event_at(log.path, earlier.types[event.id][1]).seq
            raise LogCorrupt(f"id {event.id} appears twice (first at seq {first})",
                             path=path, line=lineno)
        try:
            rules.check(data, earlier)
        except (InvalidEvent, NotFound) as exc:
            raise LogCorrupt(f"{exc}, before this line", path=path, line=lineno) from None
        if isinstance(data, ParticipantAttended):
            if earlier.entities.setdefault(data.entity, data.kind) != data.kind:
                raise LogCorrupt(f"entity {data.entity} was a {earlier.entities[data.entity]}, "
                                 f"now a {data.kind}", path=path, line=lineno)
        earlier.types[event.id] = (event.type, start)
        start = placed.end
        seq, prev, size = event.seq, event.hash, placed.end
        if progress is not None:
            progress(1)
    return Report(events=seq, seq=seq, hash=prev, size=size)


class _Earlier:
    """What the lines before the one being checked hold (`rules.Known`)."""

    def __init__(self, log: Log):
        self.log = log
        self.types: dict[str, tuple[str, int]] = {}  # id -> (type, offset of its line)
        self.entities: dict[str, str] = {}

    def type_of(self, event_id: str) -> str | None:
        found = self.types.get(event_id)
        return found[0] if found else None

    def kind_of(self, entity_id: str) -> str | None:
        return self.entities.get(entity_id)

    def payload(self, event_id: str) -> tuple[str, Payload]:
        event = event_at(self.log.path, self.types[event_id][1])
        return event.type, event.data
