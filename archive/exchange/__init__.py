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

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import msgspec

from ..core.codec import parse_line
from ..core.events import (
    MENTIONS,
    ConferenceHeld,
    EntitiesMerged,
    EntitiesUnmerged,
    EntityRecorded,
    EventCorrected,
    EventRetracted,
    SourceCited,
    references,
)
from ..core.names import named
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
    conference's (`select`), which import on their own into an empty archive."""
    if conference is None:
        for _, _, line in log.lines():
            yield import_line(line) + b"\n"
        return
    wanted = select(lambda: (line for _, _, line in log.lines()), conference)
    for _, _, line in log.lines():
        ident = _id_of(line)
        if ident in wanted.ids:
            yield import_line(line) + b"\n"
        if ident == wanted.conference:  # before any fact of it names them
            yield from (record + b"\n" for record in wanted.records)


@dataclass
class Selection:
    """The events of one conference, and what they need to stand on their own: `records`
    are `entity.recorded` import lines for the people, organisations and countries it
    names that were first recorded at another conference (so no line of this one
    creates them), with their name, kind, short name and category as then in force."""

    conference: str
    ids: set[str] = field(default_factory=set)
    records: list[bytes] = field(default_factory=list)


def _id_of(line: bytes) -> str:
    return _decode(line).id


def select(lines: Callable[[], Iterable[bytes]], conference: str) -> Selection:
    """Which events belong to `conference` (an id, or a name in any case): the conference,
    every fact recorded for it, the corrections and retractions of those (and of them),
    the sources they cite, the merges and unmerges between entities they name, and a
    record of each entity they name that another conference created. Streams the lines
    three times (`lines()` gives them again); it keeps ids, not events."""
    cid = _conference_id(lines(), conference)
    picked: set[str] = set()
    entities: set[str] = set()
    created: set[str] = set()
    cited: set[str] = set()
    for line in lines():
        event = parse_line(line)
        data = event.data
        mine = (isinstance(data, ConferenceHeld) and event.id == cid) or \
            getattr(data, "conference", None) == cid or \
            (isinstance(data, (EventCorrected, EventRetracted)) and data.target in picked)
        if not mine:
            continue
        picked.add(event.id)
        entities.update(ref for _, kind, ref in references(data) if kind == "entity")
        if isinstance(data, MENTIONS):
            entities.add(data.entity)
            created.add(data.entity)
        if event.source is not None:
            cited.add(event.source.url)
    needed = entities - created
    first: dict[str, str] = {}  # entity -> the event that first recorded it elsewhere
    said: dict[str, dict[str, object]] = {}
    for line in lines():  # in log order, so a fix follows what it fixes
        event = parse_line(line)
        data = event.data
        if (isinstance(data, SourceCited) and event.id in cited) or \
                (isinstance(data, EntitiesMerged) and {data.kept, data.merged} <= entities) \
                or (isinstance(data, EntitiesUnmerged) and data.merge in picked) or \
                (isinstance(data, (EventCorrected, EventRetracted)) and data.target in picked):
            picked.add(event.id)
        if isinstance(data, MENTIONS) and data.entity in needed and data.entity not in first:
            first[data.entity] = event.id
            said[data.entity] = {k: getattr(data, k) for k in (
                "kind", "name", "short_name", "category") if getattr(data, k, None)}
        elif isinstance(data, EventCorrected):
            for entity, event_id in first.items():
                if data.target == event_id:
                    said[entity].update({k: v for k, v in data.changes.items()
                                         if k in ("name", "short_name", "category")})
    records = [_encode({"id": f"{entity}-recorded", "type": EntityRecorded.TYPE,
                        "v": EntityRecorded.VERSION, "data": {"entity": entity, **said[entity]}})
               for entity in sorted(first)]
    return Selection(cid, picked, records)


def _conference_id(lines: Iterable[bytes], wanted: str) -> str:
    known = [(e.id, e.data.name) for e in map(parse_line, lines)
             if isinstance(e.data, ConferenceHeld)]
    found = named(wanted, known)
    if found:
        return found[0]
    listed = ", ".join(f"{i} ({n})" for i, n in known) or "none"
    raise NotFound(f"no conference {wanted!r} in the archive (conferences: {listed})")
