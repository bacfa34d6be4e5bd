"""Recorded translations, and which language a text is in. Pure.

A translation is a fact like any other: recorded from a source, by someone (an
interpreter, an official translation, the source's own), corrected or retracted as any
fact is. The archive never makes one up. It translates one text: a fact's own text (a
speech's summary, a proposal, a note, an agreement's title...: its class's `TEXT`) or,
with `part`, one of its parts (`PARTS`: a speech's Nth quote, an agreement's point N).
"""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from .base import Payload
from .langs import DEFAULT
from .validate import Id, Lang, Name, Text


class TranslationRecorded(Payload, frozen=True):
    """A translation of one recorded text into another language: the text of a fact (a
    speech's summary, a proposal, a note, an agreement's title...) or, with `part`, a
    speech's Nth quote or an agreement's point N; who made it (an interpreter, an official
    translation, the source's own) and, as for any fact, the source it comes from. A text
    may have several. A translation of a translation, or into the text's own language, is
    refused."""

    TYPE = "translation.recorded"
    COMMAND = "translation"
    TABLES = ("translations",)
    REFS = {"of": "text"}
    PART_OF = ("of", "part")
    EVIDENCE = True
    of: Annotated[Id, Meta(description="The fact whose text this translates (its id).")]
    lang: Annotated[Lang, Meta(description="The language it is in (BCP 47: en, ru, kk).")]
    text: Annotated[Text, Meta(description="The translation, verbatim.")]
    by: Annotated[
        Name,
        Meta(description="Who made it: an interpreter, an official translation, the "
                         "source's own...")]
    part: Annotated[
        Annotated[int, Meta(ge=1)] | None,
        Meta(description="Which part: a speech's Nth quote, an agreement's point N (none: "
                         "the fact's own text).")] = None


def text_of(data: Payload, part: int | None) -> str | None:
    """The text a translation with this `part` translates (None: there is none)."""
    if part is None:
        value = getattr(data, data.TEXT, None) if data.TEXT else None
        return value if isinstance(value, str) else None
    items = getattr(data, data.PARTS, None) if data.PARTS else None
    for n, item in enumerate(items or (), 1):
        if isinstance(item, str) and n == part:
            return item
        if not isinstance(item, str) and item.n == part:
            return str(item.text)
    return None


def parts_of(data: Payload) -> list[int]:
    """The part numbers a fact's texts have (quotes 1..N, agreed points by number)."""
    items = getattr(data, data.PARTS, None) if data.PARTS else None
    return [n if isinstance(item, str) else item.n for n, item in enumerate(items or (), 1)]


def lang_of(data: Payload, working: str | None) -> str:
    """The language a fact's texts are in: its own `lang`, else its conference's working
    language (`working`), else `langs.DEFAULT`."""
    own = getattr(data, "lang", None)
    return str(own or working or DEFAULT)
