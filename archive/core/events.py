"""Event definitions: the envelope, one frozen payload type per event, the registry, upcasters.

Pure: no clock, no randomness, no I/O. Each payload class's docstring says what the event
means; the README's event reference is generated from them. How an event becomes a line
of the log (and back) is `archive.core.codec`.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal

import msgspec
from msgspec import Meta

from ..errors import InvalidEvent
from .validate import (
    FieldError,
    Hash,
    Id,
    Name,
    PartialDate,
    Text,
    check_date,
    check_id,
    check_text,
    explain,
)

#: The `prev` of the first line of every log.
ZERO_HASH = "0" * 64

# ---------------------------------------------------------------- payloads


class Payload(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True,
              gc=False):
    """Base of every payload. `TYPE` is the stable type string, `VERSION` its schema version."""

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1
    DATES: ClassVar[tuple[str, ...]] = ()
    #: Fields that hold ids of other events or entities, and what they must point at.
    REFS: ClassVar[dict[str, str]] = {}
    #: Fields that create a new id (checked for safe characters).
    IDS: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        for name in self.DATES:
            check_date(name, getattr(self, name))
        for name in self.IDS:
            check_id(name, getattr(self, name))


EntityKind = Literal["country", "organisation", "person"]


class ConferenceHeld(Payload, frozen=True):
    """A conference: its name, where and when it was held, who organised and who supported it.

    Every other fact belongs to a conference; its id is this event's id."""

    TYPE = "conference.held"
    DATES = ("start", "end")
    name: Name
    place: Name | None = None
    start: PartialDate | None = None
    end: PartialDate | None = None
    organisers: list[Name] = []
    supporters: list[Name] = []
    description: Text | None = None


class SessionHeld(Payload, frozen=True):
    """A session, panel or other part of the programme, on a day, with its chair and the
    session it belongs to. Its id is this event's id."""

    TYPE = "session.held"
    DATES = ("day",)
    REFS = {"conference": "conference", "chair": "entity", "parent": "session"}
    conference: Id
    title: Name
    kind: Literal["plenary", "panel", "workshop", "theme", "other"] = "panel"
    day: PartialDate | None = None
    chair: Id | None = None
    parent: Id | None = None
    description: Text | None = None


class ParticipantAttended(Payload, frozen=True):
    """A country, organisation or person taking part in a conference, with the role,
    affiliation and country they had at that time. `entity` is the stable id of the country,
    organisation or person; the first mention creates it."""

    TYPE = "participant.attended"
    IDS = ("entity",)
    REFS = {"conference": "conference", "affiliation": "entity", "country": "entity"}
    conference: Id
    entity: Id
    kind: EntityKind
    name: Name
    role: Name | None = None
    affiliation: Id | None = None
    country: Id | None = None
    category: Name | None = None
    description: Text | None = None


class SpeechDelivered(Payload, frozen=True):
    """A speech or remark: who gave it, in what role and for whom, in which session, what
    kind (opening, keynote, panel, closing, interview...), a summary and verbatim quotes.

    Version 2 turned the single `quote` of version 1 into the list `quotes`."""

    TYPE = "speech.delivered"
    VERSION = 2
    REFS = {"conference": "conference", "speaker": "entity", "affiliation": "entity",
            "session": "session"}
    conference: Id
    speaker: Id
    kind: Literal["opening", "keynote", "panel", "closing", "interview", "remark",
                  "statement"] = "remark"
    role: Name | None = None
    affiliation: Id | None = None
    session: Id | None = None
    summary: Text | None = None
    quotes: list[Text] = []


class ProposalMade(Payload, frozen=True):
    """A proposal put forward: its text, its topic, and who proposed it where known."""

    TYPE = "proposal.made"
    REFS = {"conference": "conference", "proposer": "entity", "session": "session"}
    conference: Id
    text: Text
    topic: Name | None = None
    proposer: Id | None = None
    session: Id | None = None


class AgreementReached(Payload, frozen=True):
    """An agreement: its title, the parties to it and the numbered items agreed (in order)."""

    TYPE = "agreement.reached"
    REFS = {"conference": "conference", "session": "session"}
    conference: Id
    title: Name
    items: Annotated[list[Text], Meta(min_length=1)]
    parties: list[Name] = []
    session: Id | None = None


class FigureCited(Payload, frozen=True):
    """A number someone cited: its value, unit, what it counts, a qualifier such as
    "more than", and who cited it (none when the source itself states it)."""

    TYPE = "figure.cited"
    REFS = {"conference": "conference", "cited_by": "entity", "session": "session"}
    conference: Id
    value: float
    counts: Name
    unit: Name | None = None
    qualifier: Literal["exactly", "about", "more than", "at least", "fewer than",
                       "up to"] | None = None
    cited_by: Id | None = None
    session: Id | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not math.isfinite(self.value):
            raise FieldError("value", f"must be a finite number, not {self.value!r}")


class FollowupScheduled(Payload, frozen=True):
    """A meeting that follows from the conference: its name, when and where."""

    TYPE = "followup.scheduled"
    DATES = ("when",)
    REFS = {"conference": "conference"}
    conference: Id
    name: Name
    when: PartialDate | None = None
    where: Name | None = None
    description: Text | None = None


class AttachmentAdded(Payload, frozen=True):
    """A photo or document, stored content-addressed beside the log as
    `events/attachments/<sha256>`, with caption and credit. `sha256` is absent when only
    the caption is known (the file itself was not available)."""

    TYPE = "attachment.added"
    REFS = {"conference": "conference", "session": "session"}
    conference: Id
    kind: Literal["photo", "document", "other"] = "photo"
    sha256: Hash | None = None
    filename: Name | None = None
    media_type: Name | None = None
    caption: Text | None = None
    credit: Name | None = None
    session: Id | None = None


class NoteRecorded(Payload, frozen=True):
    """Any other happening, theme or context that fits no other type."""

    TYPE = "note.recorded"
    REFS = {"conference": "conference", "session": "session"}
    conference: Id
    text: Text
    topic: Name | None = None
    session: Id | None = None


class EventCorrected(Payload, frozen=True):
    """A correction of an earlier event: the fields that change and their new values.
    The earlier line stays in the log; projections apply the new values."""

    TYPE = "event.corrected"
    REFS = {"target": "event"}
    target: Id
    changes: dict[str, Any]
    reason: Text | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.changes:
            raise FieldError("changes", "must name at least one field")


class EventRetracted(Payload, frozen=True):
    """A retraction of an earlier event that should not have been recorded, and why."""

    TYPE = "event.retracted"
    REFS = {"target": "event"}
    target: Id
    reason: Text


class EntitiesMerged(Payload, frozen=True):
    """Two records of one person, organisation or country are the same: `merged` becomes
    an alias of `kept`."""

    TYPE = "entities.merged"
    REFS = {"kept": "entity", "merged": "entity"}
    kept: Id
    merged: Id
    reason: Text | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.kept == self.merged:
            raise FieldError("merged", "is the same entity as `kept`")


class EntitiesUnmerged(Payload, frozen=True):
    """A merge that was wrong: the two records are separate again, as if `merge` had
    never been recorded (the merge's line stays in the log, and the history shows both)."""

    TYPE = "entities.unmerged"
    REFS = {"merge": "merge"}
    merge: Id
    reason: Text | None = None


PAYLOADS: tuple[type[Payload], ...] = (
    ConferenceHeld, SessionHeld, ParticipantAttended, SpeechDelivered, ProposalMade,
    AgreementReached, FigureCited, FollowupScheduled, AttachmentAdded, NoteRecorded,
    EventCorrected, EventRetracted, EntitiesMerged, EntitiesUnmerged,
)
#: Event types that fix other events; they are never themselves fixed.
FIXES = frozenset({EventCorrected.TYPE, EventRetracted.TYPE, EntitiesMerged.TYPE,
                   EntitiesUnmerged.TYPE})
#: Fields `archive correct` may not change: they say what a record *is*, not a detail of it
#: (a participation's entity and its kind). Record a new fact, or merge, instead.
IDENTITY = {ParticipantAttended.TYPE: ("entity", "kind")}
REGISTRY: dict[str, type[Payload]] = {cls.TYPE: cls for cls in PAYLOADS}

# ---------------------------------------------------------------- upcasters

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


def _speech_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    quote = data.pop("quote", None)
    data["quotes"] = [quote] if quote else []
    return data


#: (type, version) -> function taking that version's payload to the next version's.
UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("speech.delivered", 1): _speech_v1_to_v2,
}

# ---------------------------------------------------------------- envelope


class Source(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """Where a fact comes from: a URL (or other stable identifier) and a place in it."""

    url: Name
    locator: Name | None = None


class Event(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """One line of the log: the envelope and its typed payload."""

    id: Id
    seq: Annotated[int, Meta(ge=1)]
    type: str
    v: Annotated[int, Meta(ge=1)]
    at: PartialDate | None
    recorded_at: PartialDate
    recorded_by: Name
    source: Source | None
    data: Payload
    prev: Hash
    hash: Hash


class Draft(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """An event before the log places it: what a user or an import supplies.

    The log assigns `seq`, `prev`, `hash`, `recorded_at` and `recorded_by`; `id` is
    generated when absent."""

    type: str
    data: msgspec.Raw
    id: Id | None = None
    v: Annotated[int, Meta(ge=1)] | None = None
    at: PartialDate | None = None
    source: Source | None = None


def payload_class(type_: str) -> type[Payload]:
    try:
        return REGISTRY[type_]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise InvalidEvent(f"unknown event type {type_!r} (known types: {known})") from None


def upcast(type_: str, version: int, data: dict[str, Any]) -> dict[str, Any]:
    """Bring a payload of an old schema version up to the current one."""
    cls = payload_class(type_)
    if version > cls.VERSION:
        raise InvalidEvent(
            f"event type {type_!r} version {version} is newer than this archive knows "
            f"({cls.VERSION}); upgrade the archive package"
        )
    while version < cls.VERSION:
        step = UPCASTERS.get((type_, version))
        if step is None:
            raise InvalidEvent(f"no upcaster for {type_!r} version {version}")
        data = step(data)
        version += 1
    return data


def make_payload(type_: str, data: dict[str, Any], version: int | None = None) -> Payload:
    """Validate a payload given as a dict (from the CLI, an import or a correction)."""
    cls = payload_class(type_)
    if version is not None and version != cls.VERSION:
        data = upcast(type_, version, data)
    try:
        payload = msgspec.convert(data, cls)
        check_text(payload)
    except msgspec.ValidationError as exc:
        raise InvalidEvent(str(explain(exc, data, cls, "data."))) from None
    except FieldError as exc:
        raise InvalidEvent(str(exc.under("data."))) from None
    return payload


def apply_changes(type_: str, data: Payload, changes: dict[str, Any]) -> Payload:
    """The payload a correction produces: validated like a new event. Pure."""
    cls = payload_class(type_)
    unknown = sorted(set(changes) - set(cls.__struct_fields__))
    if unknown:
        raise InvalidEvent(
            f"field `changes.{unknown[0]}`: {type_} has no field {unknown[0]!r} "
            f"(fields: {', '.join(cls.__struct_fields__)})"
        )
    merged = {**msgspec.to_builtins(data), **changes}
    merged = {k: v for k, v in merged.items() if v is not None}
    return make_payload(type_, merged)


__all__ = [
    "FIXES", "IDENTITY", "PAYLOADS", "REGISTRY", "UPCASTERS", "ZERO_HASH", "Draft", "Event",
    "Payload", "Source",
    "apply_changes", "make_payload", "payload_class",
    "references", "upcast",
] + [cls.__name__ for cls in PAYLOADS]


def references(data: Payload) -> list[tuple[str, str, str]]:
    """(field, what it must point at, id) for every id this payload refers to. Pure."""
    fields, get = _REF_GETTERS[type(data)]
    values = get(data)
    return [(name, kind, value) for (name, kind), value in zip(fields, values, strict=True)
            if value is not None]


def _ref_getter(cls: type[Payload]) -> tuple[tuple[tuple[str, str], ...],
                                             Callable[[Payload], tuple[Any, ...]]]:
    fields = tuple(cls.REFS.items())
    if not fields:
        return fields, lambda data: ()
    get = operator.attrgetter(*(name for name, _ in fields))
    if len(fields) == 1:
        return fields, lambda data: (get(data),)
    return fields, get


_REF_GETTERS = {cls: _ref_getter(cls) for cls in PAYLOADS}
