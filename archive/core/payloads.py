"""The payload of every event type: one frozen struct each, what it means in its docstring
(the event reference in docs/events.md is generated from them), each field described. Pure.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from .base import ConferenceRef, Description, EntityKind, LangOf, Payload, SessionRef
from .validate import FieldError, Hash, Id, Lang, Name, PartialDate, Text

Status = Literal["host", "organiser", "supporter", "member", "observer", "guest", "participant"]
#: The statuses, in the order lists show them.
STATUSES: tuple[str, ...] = Status.__args__  # type: ignore[attr-defined]


class Point(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """An agreed point and its number in the agreement's text."""

    n: Annotated[int, Meta(ge=1)]
    text: Text


class Delegate(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """A member of a delegation: the person (an entity id) and their post."""

    entity: Id
    post: Name | None = None


class Ordinal(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """A conference's number in a series other than its main one."""

    series: Name
    number: Annotated[int, Meta(ge=1)]


def parse_ordinal(text: str) -> dict[str, Any]:
    """An ordinal as typed: `SERIES=N` ("Example Process=3"); N is checked as a number."""
    series, sep, number = text.rpartition("=")
    number = number.strip()
    value: Any = int(number) if number.isascii() and number.isdigit() else number
    return {"series": series.strip() if sep else text, "number": value if sep else None}


def number_points(texts: list[str]) -> list[dict[str, Any]]:
    """Points as typed: `12=TEXT` is point 12; a plain TEXT is the point after the last."""
    out: list[dict[str, Any]] = []
    for text in texts:
        number, sep, rest = text.partition("=")
        if sep and number.strip().isascii() and number.strip().isdigit():
            out.append({"n": int(number), "text": rest.strip()})
        else:
            out.append({"n": (out[-1]["n"] if out else 0) + 1, "text": text})
    return out


def parse_delegate(text: str) -> dict[str, Any]:
    """A delegate as typed: `NAME=POST` (or just NAME); the name is resolved later."""
    name, sep, post = text.partition("=")
    return {"entity": name.strip(), **({"post": post.strip()} if sep and post.strip() else {})}


class ConferenceHeld(Payload, frozen=True):
    """A conference: its name, where and when it was held, who organised and who supported
    it, the series it belongs to and its number there, its host country and topics.

    Every other fact belongs to a conference; its id is this event's id."""

    TYPE = "conference.held"
    TEXT = "name"
    HISTORY = ("Version 2 added the series, number, host country and topics; `chair` and "
               "`ordinals` are optional fields added later (lines without them read as "
               "before).")
    VERSION = 2
    COMMAND = "conference"
    TABLES = ("conferences", "conference_series")
    DATES = ("start", "end")
    REFS = {"chair": "entity"}
    NAMES_ONLY = ("chair",)
    name: Annotated[Name, Meta(description="The name, verbatim in any script.")]
    place: Annotated[Name | None, Meta(description="City or venue.")] = None
    start: Annotated[
        PartialDate | None,
        Meta(description="First day (YYYY-MM-DD, or partial: YYYY-MM).")] = None
    end: Annotated[PartialDate | None, Meta(description="Last day.")] = None
    organisers: Annotated[list[Name], Meta(description="An organiser (repeat).")] = []
    supporters: Annotated[list[Name], Meta(description="A supporter (repeat).")] = []
    description: Description = None
    series: Annotated[
        Name | None,
        Meta(description="The series it belongs to, e.g. 'ECO Summit'.")] = None
    number: Annotated[
        Annotated[int, Meta(ge=1)] | None,
        Meta(description="Its number in the series (14 for the 14th summit).")] = None
    host_country: Annotated[Name | None, Meta(description="The host country.")] = None
    topics: Annotated[list[Name], Meta(description="A topic on its agenda (repeat).")] = []
    chair: Annotated[
        Id | None,
        Meta(description="Who chaired the conference (name or id); a new name is recorded "
                         "on its own, not as a participant.")] = None
    ordinals: Annotated[
        list[Ordinal],
        Meta(description="Its number in another series too, as SERIES=N, e.g. 'Ministers "
                         "Meetings=2' (repeat).")] = []
    lang: Annotated[
        Lang | None,
        Meta(description="The working language of its record (BCP 47: en, ru, kk): the "
                         "language of its facts' texts where they give none; default: en."
              )] = None


class EntityRecorded(Payload, frozen=True):
    """A person, organisation or country known before it takes part in anything here
    (from a member list, a Popolo file), so that later mentions resolve to it. `entity`
    is its stable id; recording a name the archive knows adds a mention of that record."""

    TYPE = "entity.recorded"
    COMMAND = "entity"
    TABLES = ("entity_records",)
    IDS = ("entity",)
    CREATES = {"country": "country"}
    NAMES_ONLY = ("country",)
    REFS = {"country": "entity"}
    OPTIONS = {"aliases": "--alias"}
    entity: Annotated[Id, Meta(description="Its id (a new name creates one).")]
    kind: Annotated[EntityKind, Meta(description="What kind.")]
    name: Annotated[Name, Meta(description="The name, verbatim in any script.")]
    aliases: Annotated[list[Name], Meta(description="Another name it goes by (repeat).")] = []
    short_name: Annotated[Name | None, Meta(description="Acronym or short name.")] = None
    category: Annotated[Name | None, Meta(description="A grouping, e.g. 'parliament'.")] = None
    country: Annotated[Id | None, Meta(description="Its country (name or id).")] = None
    description: Description = None


class SessionHeld(Payload, frozen=True):
    """A session, panel or other part of the programme, on a day, with its chair and the
    session it belongs to. Its id is this event's id."""

    TYPE = "session.held"
    TEXT = "title"
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
    lang: LangOf = None


class ParticipantAttended(Payload, frozen=True):
    """A country, organisation or person taking part in a conference, with the role,
    affiliation and country they had at that time, and their standing there (host,
    organiser, supporter, member, observer, guest or participant). `entity` is the stable
    id of the country, organisation or person; the first mention creates it."""

    TYPE = "participant.attended"
    HISTORY = ("Version 2 added `status` and `short_name`; `also` (further standings) is an "
               "optional field added later.")
    VERSION = 2
    COMMAND = "participant"
    TABLES = ("participations",)
    CREATES = {"affiliation": "organisation", "country": "country"}
    NAMES_ONLY = ("affiliation", "country")
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
    status: Annotated[
        Status, Meta(description="Its standing at the conference.")] = "participant"
    also: Annotated[
        list[Status],
        Meta(description="Another standing it had there as well, e.g. member for a host "
                         "(repeat).")] = []
    short_name: Annotated[
        Name | None, Meta(description="Acronym or short name, e.g. OSCE.")] = None


class SpeechDelivered(Payload, frozen=True):
    """A speech or remark: who gave it, in what role and for whom, in which session, what
    kind (opening, keynote, panel, closing, interview...), a summary and verbatim quotes."""

    TYPE = "speech.delivered"
    TEXT = "summary"
    PARTS = "quotes"
    HISTORY = "Version 2 turned the single `quote` of version 1 into the list `quotes`."
    COMMAND = "speech"
    TABLES = ("speeches", "quotes")
    CREATES = {"affiliation": "organisation", "country": "country"}
    NAMES_ONLY = ("affiliation", "country")
    VERSION = 2
    REFS = {"conference": "conference", "speaker": "entity", "affiliation": "entity",
            "country": "entity", "session": "session"}
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
    country: Annotated[
        Id | None,
        Meta(description="The country the speaker spoke for (name or id); created on first "
                         "mention.")] = None
    session: SessionRef = None
    summary: Annotated[Text | None, Meta(description="What was said, in brief.")] = None
    quotes: Annotated[list[Text], Meta(description="A verbatim quote (repeat for several).")] = []
    lang: LangOf = None


class ProposalMade(Payload, frozen=True):
    """A proposal put forward: its text, its topic, and who proposed it where known."""

    TYPE = "proposal.made"
    TEXT = "text"
    COMMAND = "proposal"
    TABLES = ("proposals",)
    REFS = {"conference": "conference", "proposer": "entity", "session": "session"}
    conference: ConferenceRef
    text: Annotated[Text, Meta(description="The text, verbatim.")]
    topic: Annotated[Name | None, Meta(description="What it is about.")] = None
    proposer: Annotated[Id | None, Meta(description="Who proposed it (name or id).")] = None
    session: SessionRef = None
    lang: LangOf = None


class AgreementReached(Payload, frozen=True):
    """An agreement: its title and kind (a declaration, convention...), its status, the
    parties to it (the countries and organisations recorded), how many points the whole
    text has, and the points recorded, each with its number in the text."""

    TYPE = "agreement.reached"
    TEXT = "title"
    PARTS = "items"
    HISTORY = ("Version 2 numbered the items (`n`), linked `parties` to entities (version 1's"
               " names are kept as `party_names`), and added kind, points, status and"
               " description.")
    VERSION = 2
    DATES = ("due",)
    COMMAND = "agreement"
    TABLES = ("agreements", "agreement_items", "agreement_parties")
    REFS = {"conference": "conference", "session": "session", "parties": "entity"}
    CREATES = {"parties": "country"}
    conference: ConferenceRef
    title: Annotated[Name, Meta(description="Title of the agreement.")]
    kind: Annotated[
        Literal["declaration", "convention", "decision", "communique", "statement",
                "action-plan", "memorandum", "other"] | None,
        Meta(description="What kind of text it is.")] = None
    points: Annotated[
        Annotated[int, Meta(ge=1)] | None,
        Meta(description="How many points the whole text has (items may record fewer).")
    ] = None
    items: Annotated[
        list[Point],
        Meta(description="An agreed point, as N=TEXT (its number in the text) or TEXT (the "
                         "next number); repeat.")] = []
    parties: Annotated[
        list[Id],
        Meta(description="A party to it: a country or organisation (name or id); repeat.")
    ] = []
    party_names: Annotated[
        list[Name], Meta(description="A party named only in words (repeat).")] = []
    status: Annotated[
        Literal["adopted", "signed", "endorsed", "initialled", "proposed",
                "due-to-be-signed", "rejected", "other"] | None,
        Meta(description="Where it stands: proposed, due-to-be-signed (awaiting signature; "
                         "give --due), signed, adopted, endorsed, initialled, rejected.")
    ] = None
    description: Description = None
    session: SessionRef = None
    due: Annotated[
        PartialDate | None,
        Meta(description="When its signing is foreseen (status due-to-be-signed).")] = None
    lang: LangOf = None

    def __post_init__(self) -> None:
        super().__post_init__()
        numbers = [item.n for item in self.items]
        if len(set(numbers)) != len(numbers):
            twice = sorted(n for n in set(numbers) if numbers.count(n) > 1)[0]
            raise FieldError("items", f"point {twice} is given twice")
        if self.points is not None and numbers and max(numbers) > self.points:
            raise FieldError("items", f"point {max(numbers)} is beyond the {self.points} "
                                      "points the text has")


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
    TEXT = "caption"
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
    lang: LangOf = None


class NoteRecorded(Payload, frozen=True):
    """Any other happening, theme or context that fits no other type, with the people,
    organisations or countries it is about and its tags."""

    TYPE = "note.recorded"
    TEXT = "text"
    HISTORY = "Version 2 turned the single `topic` into the list `tags` and added `about`."
    VERSION = 2
    COMMAND = "note"
    TABLES = ("notes", "note_subjects")
    REFS = {"conference": "conference", "session": "session", "about": "entity"}
    NAMES_ONLY = ("about",)
    conference: ConferenceRef
    text: Annotated[Text, Meta(description="The text, verbatim.")]
    tags: Annotated[list[Name], Meta(description="A tag (repeat).")] = []
    about: Annotated[
        list[Id],
        Meta(description="Who or what it is about: a person, organisation or country (name "
                         "or id); repeat.")] = []
    session: SessionRef = None
    lang: LangOf = None


class DelegationSent(Payload, frozen=True):
    """A country's delegation: its head and members, each with their post, e.g.
    `--head "Ana Pera=Prime Minister" --member "Ion Vale=Foreign Minister"`."""

    TYPE = "delegation.sent"
    COMMAND = "delegation"
    TABLES = ("delegations", "delegation_members")
    REFS = {"conference": "conference", "country": "entity", "head": "entity",
            "members": "entity", "session": "session"}
    CREATES = {"country": "country"}
    conference: ConferenceRef
    country: Annotated[Id, Meta(description="The country it represents (name or id).")]
    head: Annotated[
        Delegate | None,
        Meta(description="Who led it, as NAME=POST or NAME.")] = None
    members: Annotated[
        list[Delegate], Meta(description="A member, as NAME=POST or NAME (repeat).")] = []
    description: Description = None
    session: SessionRef = None


class MeetingHeld(Payload, frozen=True):
    """A meeting on the sidelines: bilateral, trilateral, informal, a side event or a
    working meeting, naming who took part (so it appears under each of them)."""

    TYPE = "meeting.held"
    TEXT = "outcome"
    COMMAND = "meeting"
    OPTIONS = {"participants": "--with"}
    TABLES = ("meetings", "meeting_participants")
    REFS = {"conference": "conference", "participants": "entity", "session": "session"}
    conference: ConferenceRef
    participants: Annotated[
        Annotated[list[Id], Meta(min_length=1)],
        Meta(description="Who took part: a person, organisation or country (name or id); "
                         "repeat.")]
    kind: Annotated[
        Literal["bilateral", "trilateral", "informal", "side-event", "working", "other"],
        Meta(description="What kind.")] = "bilateral"
    title: Annotated[Name | None, Meta(description="Its title, if it had one.")] = None
    duration: Annotated[Name | None, Meta(description="How long, e.g. '45 minutes'.")] = None
    outcome: Annotated[Text | None, Meta(description="What came of it.")] = None
    session: SessionRef = None
    lang: LangOf = None


class SourceCited(Payload, frozen=True):
    """A source facts cite: its title, publisher, date, kind and where to find it, and the
    agency it came through when it is a repost. Facts then cite it by id
    (`--source ID --locator WHERE`); its id is this event's id."""

    TYPE = "source.cited"
    COMMAND = "source"
    TABLES = ("sources",)
    DATES = ("published",)
    title: Annotated[Name | None, Meta(description="Its title, verbatim (when known).")] = None
    url: Annotated[Name | None, Meta(description="Where it can be read (URL).")] = None
    publisher: Annotated[Name | None, Meta(description="Who published it.")] = None
    published: Annotated[PartialDate | None, Meta(description="When it was published.")] = None
    kind: Annotated[
        Literal["press", "official", "transcript", "video", "other"],
        Meta(description="What kind.")] = "press"
    via: Annotated[
        Name | None,
        Meta(description="The agency or outlet it came through, if reposted.")] = None
    description: Description = None
    lang: Annotated[
        Lang | None,
        Meta(description="The language it is written in (BCP 47: en, ru, kk).")] = None


class ConferencePostponed(Payload, frozen=True):
    """A conference was postponed or moved: the date and place it had been set for, the
    new ones where known, and why. The conference's own record keeps the dates it was
    finally held."""

    TYPE = "conference.postponed"
    COMMAND = "postponement"
    TABLES = ("postponements",)
    DATES = ("planned", "moved_to")
    REFS = {"conference": "conference"}
    conference: ConferenceRef
    reason: Annotated[
        Text | None, Meta(description="Why it was postponed or moved (when known).")] = None
    planned: Annotated[
        PartialDate | None, Meta(description="The date it had been set for.")] = None
    moved_to: Annotated[PartialDate | None, Meta(description="The new date, if known.")] = None
    planned_place: Annotated[Name | None, Meta(description="Where it was to be held.")] = None
    moved_place: Annotated[Name | None, Meta(description="Where it moved to.")] = None


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


