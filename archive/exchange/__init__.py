"""Archives that combine and exchange: events out of one archive and into another.

    export_lines(log)                     -> the whole log in the import format
    export_lines(log, conference="c14")   -> one conference's events (and what they need)
    log_lines(log)                        -> the log's own lines, byte for byte

The import format is what `archive import` reads: one JSON object per line with the
event's `id`, `type`, `v`, `at`, `source` and `data`, as recorded (no `seq`, `prev`,
`hash`, `recorded_at` or `recorded_by`: those belong to the log that holds it). The
payload's bytes are copied as they are in the log, so an event exported and imported
again is the same content, and a second import of it writes nothing.

`ics` (follow-ups as an iCalendar file) and `popolo` (people, organisations, memberships,
events and speeches as Popolo JSON) are the other formats; `pull` brings another
archive's events in, matching its entities to this archive's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import msgspec

from ..core.catalogue import name_key
from ..core.codec import parse_line
from ..core.events import (
    ConferenceHeld,
    EntitiesMerged,
    EntitiesUnmerged,
    EventCorrected,
    EventRetracted,
    SourceCited,
    references,
)
from ..errors import NotFound
from ..store.base import EventLog

__all__ = ["ENVELOPE_ONLY", "export_lines", "import_line", "log_lines", "select"]

#: Members of a log line that belong to the log, not to the event.
ENVELOPE_ONLY = ("seq", "prev", "hash", "recorded_at", "recorded_by")


class _Line(msgspec.Struct, frozen=True):
    """A log line with its payload and source kept as bytes."""

    id: str
    type: str
    v: int
    data: msgspec.Raw
    at: str | None = None
    source: msgspec.Raw = msgspec.Raw(b"null")


_decode = msgspec.json.Decoder(_Line).decode
_encode = msgspec.json.Encoder().encode


def import_line(line: bytes) -> bytes:
    """One log line as an import line: `id`, `type`, `v`, `at` and `source` when set,
    and `data`, its bytes unchanged."""
    raw = _decode(line)
    out = [b'{"id":', _encode(raw.id), b',"type":', _encode(raw.type), b',"v":',
           _encode(raw.v)]
    if raw.at is not None:
        out += [b',"at":', _encode(raw.at)]
    if bytes(raw.source) != b"null":
        out += [b',"source":', bytes(raw.source)]
    out += [b',"data":', bytes(raw.data), b"}"]
    return b"".join(out)


def log_lines(log: EventLog) -> Iterator[bytes]:
    """The log's own lines up to its last whole append (each with its newline)."""
    for _, _, line in log.lines():
        yield line + b"\n"


def export_lines(log: EventLog, conference: str | None = None) -> Iterator[bytes]:
    """The log's events as import lines (each with its newline): all of them, or one
    conference's (`select`)."""
    wanted = None if conference is None else select(
        (line for _, _, line in log.lines()), conference)
    for _, _, line in log.lines():
        if wanted is None or _id_of(line) in wanted.ids:
            yield import_line(line) + b"\n"


@dataclass
class Selection:
    """The events of one conference, and what they need to stand on their own."""

    conference: str
    ids: set[str] = field(default_factory=set)


def _id_of(line: bytes) -> str:
    return _decode(line).id


def select(lines: Iterable[bytes], conference: str) -> Selection:
    """Which events belong to `conference` (an id, or a name in any case): the conference,
    every fact recorded for it, the corrections and retractions of those (and of them),
    the sources they cite, and the merges and unmerges between entities they name.
    Reads the lines twice (it is given an iterable it can ask for again)."""
    events = [parse_line(line) for line in lines]
    cid = _conference_id(events, conference)
    picked: set[str] = set()
    entities: set[str] = set()
    cited: set[str] = set()
    for event in events:
        data = event.data
        mine = (isinstance(data, ConferenceHeld) and event.id == cid) or \
            getattr(data, "conference", None) == cid or \
            (isinstance(data, (EventCorrected, EventRetracted)) and data.target in picked)
        if not mine:
            continue
        picked.add(event.id)
        entities.update(ref for _, kind, ref in references(data) if kind == "entity")
        entity = getattr(data, "entity", None)
        if isinstance(entity, str):
            entities.add(entity)
        if event.source is not None:
            cited.add(event.source.url)
    for event in events:  # in log order, so a fix follows what it fixes
        data = event.data
        if (isinstance(data, SourceCited) and event.id in cited) or \
                (isinstance(data, EntitiesMerged) and {data.kept, data.merged} <= entities) \
                or (isinstance(data, EntitiesUnmerged) and data.merge in picked) or \
                (isinstance(data, (EventCorrected, EventRetracted)) and data.target in picked):
            picked.add(event.id)
    return Selection(cid, picked)


def _conference_id(events: list, wanted: str) -> str:
    known = [(e.id, e.data.name) for e in events if isinstance(e.data, ConferenceHeld)]
    for id_, name in known:
        if wanted == id_ or name_key(wanted) == name_key(name):
            return id_
    listed = ", ".join(f"{i} ({n})" for i, n in known) or "none"
    raise NotFound(f"no conference {wanted!r} in the archive (conferences: {listed})")
