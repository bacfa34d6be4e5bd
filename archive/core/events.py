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

#: Fields that many facts share, described once.
ConferenceRef = Annotated[
    Id, Meta(description="The conference (name or id; default: the only or latest one).")]
SessionRef = Annotated[Id | None, Meta(description="The session (title or id).")]
Description = Annotated[Text | None, Meta(description="A longer description.")]

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
    #: The `archive add` subcommand that records a fact of this type (None: not a fact).
    COMMAND: ClassVar[str | None] = None
    #: The database tables a fact of this type writes rows to, its main table first.
    TABLES: ClassVar[tuple[str, ...]] = ()
    #: Entity references a new name creates, and of which kind (`--speaker NEW` makes a
    #: person); the others create a person too.
    CREATES: ClassVar[dict[str, str]] = {}

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
    COMMAND = "conference"
    TABLES = ("conferences",)
    DATES = ("start", "end")
    name: Annotated[Name, Meta(description="The name, verbatim in any script.")]
    place: Annotated[Name | None, Meta(description="City or venue.")] = None
    start: Annotated[
        PartialDate | None,
        Meta(description="First day (YYYY-MM-DD, or partial: YYYY-MM).")] = None
    end: Annotated[PartialDate | None, Meta(description="Last day.")] = None
    organisers: Annotated[list[Name], Meta(description="An organiser (repeat).")] = []
    supporters: Annotated[list[Name], Meta(description="A supporter (repeat).")] = []
    description: Description = None


class SessionHeld(Payload, frozen=True):
    """A session, panel or other part of the programme, on a day, with its chair and the
    session it belongs to. Its id is this event's id."""

    TYPE = "session.held"
    COMMAND = "session"
    TABLES = ("sessions",)
    DATES = ("day",)
    REFS = {"conference": "conference", "chair": "entity", "parent": "session"}
    conference: ConferenceRef
    title: Annotated[Name, Meta(description="Title of the session.")]
    kind: Annotated[
        Literal["plenary", "panel", "workshop", "theme", "other"],
        Meta(description="What kind.")] = "panel"
    day: Annotated[PartialDate | None, Meta(description="The day it was held.")] = None
    chair: Annotated[Id | None, Meta(description="Who chaired it (name or id).")] = None
    parent: Annotated[
        Id | None,
        Meta(description="The session it is part of (title or id).")] = None
    description: Description = None


class ParticipantAttended(Payload, frozen=True):
    """A country, organisation or person taking part in a conference, with the role,
    affiliation and country they had at that time. `entity` is the stable id of the country,
    organisation or person; the first mention creates it."""

    TYPE = "participant.attended"
    COMMAND = "participant"
    TABLES = ("participations",)
    CREATES = {"affiliation": "organisation", "country": "country"}
    IDS = ("entity",)
    REFS = {"conference": "conference", "affiliation": "entity", "country": "entity"}
    conference: ConferenceRef
    entity: Annotated[
        Id,
        Meta(description="Its id (the first mention of a name creates it)."),
    ]
    kind: Annotated[EntityKind, Meta(description="What kind.")]
    name: Annotated[Name, Meta(description="The name, verbatim in any script.")]
    role: Annotated[
        Name | None,
        Meta(description="Role at that time, e.g. 'Prime Minister'.")] = None
    affiliation: Annotated[
        Id | None,
        Meta(description="Organisation (name or id); created on first mention.")] = None
    country: Annotated[
        Id | None,
        Meta(description="Country (name or id); created on first mention.")] = None
    category: Annotated[
        Name | None,
        Meta(description="A grouping, e.g. 'international body'.")] = None
    description: Description = None


class SpeechDelivered(Payload, frozen=True):
    """A speech or remark: who gave it, in what role and for whom, in which session, what
    kind (opening, keynote, panel, closing, interview...), a summary and verbatim quotes.

    Version 2 turned the single `quote` of version 1 into the list `quotes`."""

    TYPE = "speech.delivered"
    COMMAND = "speech"
    TABLES = ("speeches", "quotes")
    CREATES = {"affiliation": "organisation"}
    VERSION = 2
    REFS = {"conference": "conference", "speaker": "entity", "affiliation": "entity",
            "session": "session"}
    conference: ConferenceRef
    speaker: Annotated[Id, Meta(description="Who spoke (name or id); a new name creates a person.")]
    kind: Annotated[
        Literal["opening", "keynote", "panel", "closing", "interview", "remark", "statement"],
        Meta(description="What kind.")] = "remark"
    role: Annotated[
        Name | None,
        Meta(description="Role at that time, e.g. 'Prime Minister'.")] = None
    affiliation: Annotated[
        Id | None,
        Meta(description="Organisation (name or id); created on first mention.")] = None
    session: SessionRef = None
    summary: Annotated[Text | None, Meta(description="What was said, in brief.")] = None
    quotes: Annotated[list[Text], Meta(description="A verbatim quote (repeat for several).")] = []


class ProposalMade(Payload, frozen=True):
    """A proposal put forward: its text, its topic, and who proposed it where known."""

    TYPE = "proposal.made"
    COMMAND = "proposal"
    TABLES = ("proposals",)
    REFS = {"conference": "conference", "proposer": "entity", "session": "session"}
    conference: ConferenceRef
    text: Annotated[Text, Meta(description="The text, verbatim.")]
    topic: Annotated[Name | None, Meta(description="What it is about.")] = None
    proposer: Annotated[Id | None, Meta(description="Who proposed it (name or id).")] = None
    session: SessionRef = None


class AgreementReached(Payload, frozen=True):
    """An agreement: its title, the parties to it and the numbered items agreed (in order)."""

    TYPE = "agreement.reached"
    COMMAND = "agreement"
    TABLES = ("agreements", "agreement_items")
    REFS = {"conference": "conference", "session": "session"}
    conference: ConferenceRef
    title: Annotated[Name, Meta(description="Title of the agreement.")]
    items: Annotated[
        Annotated[list[Text], Meta(min_length=1)],
        Meta(description="One agreed item (repeat, in order).")]
    parties: Annotated[list[Name], Meta(description="A party to it (repeat).")] = []
    session: SessionRef = None


class FigureCited(Payload, frozen=True):
    """A number someone cited: its value, unit, what it counts, a qualifier such as
    "more than", and who cited it (none when the source itself states it)."""

    TYPE = "figure.cited"
    COMMAND = "figure"
    TABLES = ("figures",)
    REFS = {"conference": "conference", "cited_by": "entity", "session": "session"}
    conference: ConferenceRef
    value: Annotated[float, Meta(description="The number.")]
    counts: Annotated[Name, Meta(description="What the number counts.")]
    unit: Annotated[Name | None, Meta(description="Unit, if any.")] = None
    qualifier: Annotated[
        Literal["exactly", "about", "more than", "at least", "fewer than", "up to"] | None,
        Meta(description="How exact the number is.")] = None
    cited_by: Annotated[Id | None, Meta(description="Who cited it (name or id).")] = None
    session: SessionRef = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not math.isfinite(self.value):
            raise FieldError("value", f"must be a finite number, not {self.value!r}")


class FollowupScheduled(Payload, frozen=True):
    """A meeting that follows from the conference: its name, when and where."""

    TYPE = "followup.scheduled"
    COMMAND = "followup"
    TABLES = ("followups",)
    DATES = ("when",)
    REFS = {"conference": "conference"}
    conference: ConferenceRef
    name: Annotated[Name, Meta(description="The name, verbatim in any script.")]
    when: Annotated[PartialDate | None, Meta(description="When (date or partial date).")] = None
    where: Annotated[Name | None, Meta(description="Where.")] = None
    description: Description = None


class AttachmentAdded(Payload, frozen=True):
    """A photo or document, stored content-addressed beside the log as
    `events/attachments/<sha256>`, with caption and credit. `sha256` is absent when only
    the caption is known (the file itself was not available)."""

    TYPE = "attachment.added"
    COMMAND = "attachment"
    TABLES = ("attachments",)
    REFS = {"conference": "conference", "session": "session"}
    conference: ConferenceRef
    kind: Annotated[Literal["photo", "document", "other"], Meta(description="What kind.")] = "photo"
    sha256: Annotated[
        Hash | None,
        Meta(description="SHA-256 of the file (set from --file).")] = None
    filename: Annotated[
        Name | None,
        Meta(description="File name (set from --file when a file is given).")] = None
    media_type: Annotated[
        Name | None,
        Meta(description="Media type, e.g. image/jpeg (guessed from --file).")] = None
    caption: Annotated[Text | None, Meta(description="Caption.")] = None
    credit: Annotated[Name | None, Meta(description="Credit or author.")] = None
    session: SessionRef = None


class NoteRecorded(Payload, frozen=True):
    """Any other happening, theme or context that fits no other type."""

    TYPE = "note.recorded"
    COMMAND = "note"
    TABLES = ("notes",)
    REFS = {"conference": "conference", "session": "session"}
    conference: ConferenceRef
    text: Annotated[Text, Meta(description="The text, verbatim.")]
    topic: Annotated[Name | None, Meta(description="What it is about.")] = None
    session: SessionRef = None


class EventCorrected(Payload, frozen=True):
    """A correction of an earlier event: the fields that change and their new values.
    The earlier line stays in the log; projections apply the new values."""

    TYPE = "event.corrected"
    REFS = {"target": "event"}
    target: Annotated[Id, Meta(description="The event corrected.")]
    changes: Annotated[
        dict[str, Any],
        Meta(description="The fields that change, with their new values.")]
    reason: Annotated[Text | None, Meta(description="Why it is corrected.")] = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.changes:
            raise FieldError("changes", "must name at least one field")


class EventRetracted(Payload, frozen=True):
    """A retraction of an earlier event that should not have been recorded, and why."""

    TYPE = "event.retracted"
    REFS = {"target": "event"}
    target: Annotated[Id, Meta(description="The event retracted.")]
    reason: Annotated[Text, Meta(description="Why it should not have been recorded.")]


class EntitiesMerged(Payload, frozen=True):
    """Two records of one person, organisation or country are the same: `merged` becomes
    an alias of `kept`."""

    TYPE = "entities.merged"
    REFS = {"kept": "entity", "merged": "entity"}
    kept: Annotated[Id, Meta(description="The record kept.")]
    merged: Annotated[Id, Meta(description="The record that becomes an alias of `kept`.")]
    reason: Annotated[Text | None, Meta(description="Why they are the same.")] = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.kept == self.merged:
            raise FieldError("merged", "is the same entity as `kept`")


class EntitiesUnmerged(Payload, frozen=True):
    """A merge that was wrong: the two records are separate again, as if `merge` had
    never been recorded (the merge's line stays in the log, and the history shows both)."""

    TYPE = "entities.unmerged"
    REFS = {"merge": "merge"}
    merge: Annotated[Id, Meta(description="The merge that was wrong (its event id).")]
    reason: Annotated[Text | None, Meta(description="Why the merge was wrong.")] = None


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
