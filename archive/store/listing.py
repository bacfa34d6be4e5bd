"""Reading the log for people: filter events and describe each in one line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..core.catalogue import MemoryCatalogue, group, name_key, root
from ..core.events import (
    MENTIONS,
    AgreementReached,
    AttachmentAdded,
    CommitmentRescheduled,
    ConferenceHeld,
    EntitiesMerged,
    EntitiesUnmerged,
    EntityRecorded,
    Event,
    EventCorrected,
    EventRetracted,
    FigureCited,
    FollowupScheduled,
    NoteRecorded,
    ParticipantAttended,
    Payload,
    ProposalMade,
    SessionHeld,
    SpeechDelivered,
    TranslationRecorded,
    references,
)
from ..core.numbers import format_number
from ..errors import NotFound
from .base import EventLog


@dataclass(frozen=True)
class Filters:
    types: tuple[str, ...] = ()
    conference: str | None = None
    person: str | None = None
    first: int | None = None
    last: int | None = None


def _short(text: str | None, width: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def describe(data: Payload, names: dict[str, str]) -> str:
    """One line saying what an event records, with ids replaced by names. Pure."""
    def who(ident: str | None) -> str:
        return names.get(ident or "", ident or "?")

    match data:
        case ConferenceHeld():
            days = "–".join(d for d in dict.fromkeys((data.start, data.end)) if d)
            return ", ".join(x for x in (data.name, data.place, days) if x)
        case SessionHeld():
            return f"{data.kind}: {_short(data.title)}"
        case ParticipantAttended():
            role = f", {data.role}" if data.role else ""
            return f"{data.kind} {data.name}{role}"
        case EntityRecorded():
            return f"{data.kind} {data.name} (recorded on its own)"
        case SpeechDelivered():
            quotes = f" [{len(data.quotes)} quote(s)]" if data.quotes else ""
            return f"{who(data.speaker)} ({data.kind}): {_short(data.summary, 40)}{quotes}"
        case ProposalMade():
            by = f"{who(data.proposer)}: " if data.proposer else ""
            return by + _short(data.text)
        case AgreementReached():
            n = len(data.items)
            points = f", {n} point{'' if n == 1 else 's'}" if n else ""
            return f"{_short(data.title, 40)} ({data.status or 'no status recorded'}{points})"
        case FigureCited():
            qualifier = f"{data.qualifier} " if data.qualifier else ""
            unit = f" {data.unit}" if data.unit else ""
            return f"{qualifier}{format_number(data.value)}{unit} {data.counts}"
        case FollowupScheduled():
            return f"{data.name} {data.when or ''} {data.where or ''}".strip()
        case AttachmentAdded():
            present = "" if data.sha256 else " (no file)"
            return f"{data.kind}: {_short(data.caption, 50)}{present}"
        case NoteRecorded():
            return _short(data.text)
        case TranslationRecorded():
            part = f" #{data.part}" if data.part else ""
            return f"{data.lang} of {data.of}{part} ({data.by}): {_short(data.text, 40)}"
        case CommitmentRescheduled():
            why = f": {_short(data.reason, 40)}" if data.reason else ""
            return f"{data.commitment} now due {data.due}{why}"
        case EventCorrected():
            return f"corrects {data.target}: {', '.join(sorted(data.changes))}"
        case EventRetracted():
            return f"retracts {data.target}: {_short(data.reason, 40)}"
        case EntitiesMerged():
            return f"{who(data.merged)} is {who(data.kept)}"
        case EntitiesUnmerged():
            return f"undoes merge {data.merge}: {_short(data.reason, 40)}"
    return _fields(data, who)


def _fields(data: Payload, who: Callable[[str | None], str]) -> str:
    """The one line of any other type, from its schema: each field recorded, in the order
    the type declares them and named but for the first, references by name, lists by
    their count."""
    refs = getattr(data, "REFS", {})
    said = []
    for name in data.__struct_fields__:
        value = getattr(data, name)
        if name == "conference" or value in (None, "", [], ()):
            continue
        if isinstance(value, list | tuple):
            said.append(f"{len(value)} {name.replace('_', ' ')}")
        elif name in refs and isinstance(value, str):
            said.append(f"{name.replace('_', ' ')} {who(value)}")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            said.append(f"{name.replace('_', ' ')} {format_number(value)}")
        elif isinstance(value, str):
            said.append(_short(value, 40) if not said else
                        f"{name.replace('_', ' ')} {_short(value, 40)}")
    return _short("; ".join(said), 80)


def select(log: EventLog, filters: Filters) -> Iterator[tuple[Event, str]]:
    """Events matching the filters, each with its one-line description. A person's
    events are those naming any record of that entity (merges followed, as they stand
    at each event)."""
    log.require()
    known = MemoryCatalogue(read=lambda pos: log.event_at(pos).data)
    names: dict[str, str] = {}
    wanted_conference = filters.conference
    person_key = name_key(filters.person) if filters.person else None
    start = 0
    for placed in log.read():
        event, data = placed.event, placed.event.data
        known.learn(event.id, event.seq, event.type, data, start)
        start = placed.end
        if isinstance(data, MENTIONS):
            names.setdefault(data.entity, data.name)
        if isinstance(data, ConferenceHeld) and wanted_conference is not None and \
                name_key(data.name) == name_key(wanted_conference):
            wanted_conference = event.id
        if filters.first is not None and event.seq < filters.first:
            continue
        if filters.last is not None and event.seq > filters.last:
            break
        if filters.types and event.type not in filters.types:
            continue
        if wanted_conference is not None:
            own = event.id if isinstance(data, ConferenceHeld) else getattr(data, "conference",
                                                                              None)
            if own != wanted_conference:
                continue
        if person_key is not None and not _names_person(data, known, person_key):
            continue
        yield event, describe(data, names)
    if filters.conference is not None and known.event(wanted_conference or "") is None:
        raise NotFound(f"no conference {filters.conference!r}")


def _names_person(data: Payload, known: MemoryCatalogue, key: str) -> bool:
    refs = {ref for _, kind, ref in references(data) if kind == "entity"}
    if isinstance(data, MENTIONS):
        refs.add(data.entity)
    for ref in refs:
        for member in group(known, root(known, ref)):
            info = known.entity(member)
            if info is not None and name_key(info.name) == key:
                return True
    return False


def find(log: EventLog, event_id: str) -> tuple[Event, list[Event]]:
    """An event and every later event that corrects or retracts it."""
    log.require()
    found: Event | None = None
    fixes: list[Event] = []
    for event in log:
        if event.id == event_id:
            found = event
        elif isinstance(event.data, EventCorrected | EventRetracted) and \
                event.data.target == event_id:
            fixes.append(event)
    if found is None:
        raise NotFound(f"no event with id {event_id!r}")
    return found, fixes
