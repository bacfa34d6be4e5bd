"""Reading the log for people: filter events and describe each in one line."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .errors import NotFound
from .events import (
    AgreementReached,
    AttachmentAdded,
    ConferenceHeld,
    EntitiesMerged,
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
    references,
)
from .index import name_key
from .log import Log


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
            return f"{data.name}, {data.place or '?'} {data.start or ''}–{data.end or ''}"
        case SessionHeld():
            return f"{data.kind}: {_short(data.title)}"
        case ParticipantAttended():
            role = f", {data.role}" if data.role else ""
            return f"{data.kind} {data.name}{role}"
        case SpeechDelivered():
            quotes = f" [{len(data.quotes)} quote(s)]" if data.quotes else ""
            return f"{who(data.speaker)} ({data.kind}): {_short(data.summary, 40)}{quotes}"
        case ProposalMade():
            by = f"{who(data.proposer)}: " if data.proposer else ""
            return by + _short(data.text)
        case AgreementReached():
            return f"{_short(data.title, 40)} ({len(data.items)} items)"
        case FigureCited():
            qualifier = f"{data.qualifier} " if data.qualifier else ""
            return f"{qualifier}{data.value:g} {data.counts}"
        case FollowupScheduled():
            return f"{data.name} {data.when or ''} {data.where or ''}".strip()
        case AttachmentAdded():
            present = "" if data.sha256 else " (no file)"
            return f"{data.kind}: {_short(data.caption, 50)}{present}"
        case NoteRecorded():
            return _short(data.text)
        case EventCorrected():
            return f"corrects {data.target}: {', '.join(sorted(data.changes))}"
        case EventRetracted():
            return f"retracts {data.target}: {_short(data.reason, 40)}"
        case EntitiesMerged():
            return f"{who(data.merged)} is {who(data.kept)}"
    return ""


def select(log: Log, filters: Filters) -> Iterator[tuple[Event, str]]:
    """Events matching the filters, each with its one-line description."""
    log.require()
    names: dict[str, str] = {}
    conferences: dict[str, str] = {}
    wanted_conference = filters.conference
    person_key = name_key(filters.person) if filters.person else None
    person_ids: set[str] = set()
    for event in log:
        data = event.data
        if isinstance(data, ParticipantAttended):
            names.setdefault(data.entity, data.name)
            if person_key is not None and name_key(data.name) == person_key:
                person_ids.add(data.entity)
        if isinstance(data, ConferenceHeld):
            conferences[event.id] = data.name
            if wanted_conference is not None and name_key(data.name) == name_key(
                    wanted_conference):
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
        if person_key is not None:
            refs = {ref for _, _, ref in references(data)}
            if isinstance(data, ParticipantAttended):
                refs.add(data.entity)
            if not refs & person_ids:
                continue
        yield event, describe(data, names)
    if filters.conference is not None and wanted_conference not in conferences:
        raise NotFound(f"no conference {filters.conference!r}")


def find(log: Log, event_id: str) -> tuple[Event, list[Event]]:
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
