"""Event definitions: the envelope, the registry of payload types, upcasters.

Pure: no clock, no randomness, no I/O. The payloads are `archive.core.payloads` (on the
base `archive.core.base.Payload`); each class's docstring says what the event means, and
the event reference is generated from them. How an event becomes a line of the log (and
back) is `archive.core.codec`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from ..errors import InvalidEvent
from .base import Payload
from .commitments import CommitmentMade, CommitmentRescheduled, FollowupHeld, ProgressRecorded
from .keys import LogKeyPublished
from .payloads import (
    AgreementReached,
    AttachmentAdded,
    ConferenceHeld,
    ConferencePostponed,
    Delegate,
    DelegationSent,
    EntitiesMerged,
    EntitiesUnmerged,
    EntityRecorded,
    EventCorrected,
    EventRetracted,
    FigureCited,
    FollowupScheduled,
    MeetingHeld,
    NoteRecorded,
    ParticipantAttended,
    Point,
    ProposalMade,
    SessionHeld,
    SourceCited,
    SpeechDelivered,
)
from .translations import TranslationRecorded
from .validate import FieldError, Hash, Id, Name, PartialDate, check_text, explain

#: The `prev` of the first line of every log.
ZERO_HASH = "0" * 64

PAYLOADS: tuple[type[Payload], ...] = (
    SourceCited, ConferenceHeld, ConferencePostponed, SessionHeld, ParticipantAttended,
    EntityRecorded,
    DelegationSent, SpeechDelivered, ProposalMade, AgreementReached, MeetingHeld,
    FigureCited, FollowupScheduled, AttachmentAdded, NoteRecorded,
    CommitmentMade, ProgressRecorded, CommitmentRescheduled, FollowupHeld,
    TranslationRecorded, EventCorrected, EventRetracted, EntitiesMerged, EntitiesUnmerged,
    LogKeyPublished,
)
#: Event types that fix other events; they are never themselves fixed.
FIXES = frozenset({EventCorrected.TYPE, EventRetracted.TYPE, EntitiesMerged.TYPE,
                   EntitiesUnmerged.TYPE})
#: Fields `archive correct` may not change: they say what a record *is*, not a detail of it
#: (a participation's entity and its kind). Record a new fact, or merge, instead.
IDENTITY = {ParticipantAttended.TYPE: ("entity", "kind"),
            EntityRecorded.TYPE: ("entity", "kind"),
            # a key is what it is: a wrong one is retracted (revoked), a new one recorded
            LogKeyPublished.TYPE: ("origin", "public_key"),
            # what a translation is of: a translation of another text is another fact
            TranslationRecorded.TYPE: ("of",)}
#: Facts that name a person, organisation or country by its own id, and so create it (or
#: mention it again): a participation, or a record of it on its own.
MENTIONS = (ParticipantAttended, EntityRecorded)
REGISTRY: dict[str, type[Payload]] = {cls.TYPE: cls for cls in PAYLOADS}

# ---------------------------------------------------------------- upcasters

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


def _speech_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    quote = data.pop("quote", None)
    data["quotes"] = [quote] if quote else []
    return data


def _same(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 only added optional fields: a version 1 payload is a valid one as is."""
    return data


def _agreement_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    data["items"] = [{"n": n, "text": text} for n, text in enumerate(data.get("items", []), 1)]
    names = data.pop("parties", [])
    if names:
        data["party_names"] = names  # words, not records: version 1 never linked them
    return data


def _note_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    topic = data.pop("topic", None)
    if topic:
        data["tags"] = [topic]
    return data


#: (type, version) -> function taking that version's payload to the next version's.
UPCASTERS: dict[tuple[str, int], Upcaster] = {
    ("speech.delivered", 1): _speech_v1_to_v2,
    ("conference.held", 1): _same,
    ("participant.attended", 1): _same,
    ("agreement.reached", 1): _agreement_v1_to_v2,
    ("note.recorded", 1): _note_v1_to_v2,
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
    "FIXES", "IDENTITY", "MENTIONS", "PAYLOADS", "REGISTRY", "UPCASTERS", "ZERO_HASH",
    "Delegate", "Draft", "Event", "Payload", "Point", "Source",
    "apply_changes", "make_payload", "payload_class",
    "references", "upcast",
] + [cls.__name__ for cls in PAYLOADS]


def references(data: Payload) -> list[tuple[str, str, str]]:
    """(field, what it must point at, id) for every id this payload refers to (each item
    of a list; a delegate's person). Pure."""
    fields, get = _REF_GETTERS[type(data)]
    values = get(data)
    out = []
    for (name, kind), value in zip(fields, values, strict=True):
        if value is None:
            continue
        if isinstance(value, str):
            out.append((name, kind, value))
        elif isinstance(value, Delegate):
            out.append((name, kind, value.entity))
        else:
            out += [(name, kind, v if isinstance(v, str) else v.entity) for v in value]
    if data.PART_OF is not None:
        fact, part = (getattr(data, f) for f in data.PART_OF)
        if fact is not None:
            out.append((data.PART_OF[1], "part", part_key(fact, part)))
    return out


def part_key(fact: str, part: int | None) -> str:
    """How a reference to one text of a fact is counted: `ID#N` for its part N (a quote,
    a point), `ID#` for its own text."""
    return f"{fact}#{'' if part is None else part}"


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
