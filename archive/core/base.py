"""The base of every payload, and the fields many facts share. Pure."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import msgspec
from msgspec import Meta

from .langs import check_lang
from .validate import Id, Lang, Text, check_date, check_id

#: Fields that many facts share, described once.
ConferenceRef = Annotated[
    Id, Meta(description="The conference (name or id; default: the only or latest one).")]
SessionRef = Annotated[Id | None, Meta(description="The session (title or id).")]
Description = Annotated[Text | None, Meta(description="A longer description.")]
LangOf = Annotated[
    Lang | None,
    Meta(description="The language its texts are in (BCP 47: en, ru, kk, en-GB); default: "
                     "the conference's working language, else en.")]

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
    #: Entity fields that name someone without saying they took part (a speaker's
    #: organisation, a commitment's owner): a new name there is recorded on its own
    #: (`entity.recorded`), never as a participant of the conference.
    NAMES_ONLY: ClassVar[tuple[str, ...]] = ()
    #: Options named otherwise than their field (`--with` for a meeting's participants).
    OPTIONS: ClassVar[dict[str, str]] = {}
    #: Must cite its evidence: recorded only with a source.
    EVIDENCE: ClassVar[bool] = False
    #: What each schema version changed, for the event reference (never in `--help`).
    HISTORY: ClassVar[str] = ""
    #: The field holding its own text, which `archive add translation --of` translates
    #: (None: nothing to translate), and the list holding its parts (`--part N`: the Nth
    #: quote, the point numbered N).
    TEXT: ClassVar[str | None] = None
    PARTS: ClassVar[str | None] = None
    #: (the field naming another fact, the field naming one of its texts by number): a
    #: reference to that text (`events.references`, kind "part"), counted like any, so
    #: that a correction cannot take away a quote or point a live fact refers to.
    PART_OF: ClassVar[tuple[str, str] | None] = None

    def __post_init__(self) -> None:
        for name in self.DATES:
            check_date(name, getattr(self, name))
        for name in self.IDS:
            check_id(name, getattr(self, name))
        lang = getattr(self, "lang", None)
        if lang is not None:
            check_lang("lang", lang)


EntityKind = Literal["country", "organisation", "person"]


