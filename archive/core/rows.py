"""What the fold makes and reads: row operations (`Insert`, `Delete`, `Update`), the
envelope a fact row needs, and the read-only `State` of the tables built so far. Pure."""

from __future__ import annotations

from typing import Any, Protocol

import msgspec

from .events import Event, Payload

Row = dict[str, Any]
_json = msgspec.json.Encoder()


def to_json(value: Any) -> str:
    return _json.encode(value).decode()


# ---------------------------------------------------------------- operations


class _Value(msgspec.Struct, frozen=True, gc=False):
    """An immutable value the fold makes per event (a msgspec struct: several per event,
    created about 8x faster than a frozen dataclass)."""


class Insert(_Value, frozen=True):
    table: str
    row: Row


class Delete(_Value, frozen=True):
    """Delete the row `id` and, with `children`, the rows `id/1`, `id/2`, ..."""

    table: str
    id: str
    children: bool = False


class Update(_Value, frozen=True):
    """`UPDATE table SET values WHERE column = value`."""

    table: str
    column: str
    value: Any
    values: Row


Op = Insert | Delete | Update

# ---------------------------------------------------------------- what the fold reads


class Envelope(_Value, frozen=True):
    """What a fact row needs from its event's envelope."""

    id: str
    seq: int
    type: str
    at: str | None
    source_url: str | None
    source_locator: str | None
    recorded_at: str
    recorded_by: str

    @classmethod
    def of(cls, event: Event) -> Envelope:
        src = event.source
        return cls(event.id, event.seq, event.type, event.at, src.url if src else None,
                   src.locator if src else None, event.recorded_at, event.recorded_by)


class Stored(_Value, frozen=True):
    """An earlier event as the tables know it: envelope, payload after corrections."""

    env: Envelope
    data: Payload
    retracted: bool


class Entity(_Value, frozen=True):
    id: str
    kind: str
    name: str
    aliases: tuple[str, ...]
    first_event_id: str | None


class State(Protocol):
    """Read-only questions the fold asks about the tables built so far."""

    def entity(self, id: str) -> Entity | None: ...

    def alias(self, id: str) -> str | None:
        """The entity a merged id now points to, or None."""

    def event(self, id: str) -> Stored | None: ...

    def referenced(self, entity_id: str, except_row: str) -> bool:
        """Does any fact's row, other than `except_row` and its children (`row/1`...),
        point at the entity?"""

    def aliases_of(self, entity_id: str) -> list[str]:
        """The ids merged into the entity."""

    def translated(self, event_id: str) -> bool:
        """Has a translation of one of this fact's texts been recorded?"""

    def language(self, conference_id: str) -> str:
        """The language a conference's facts are in where they give none: its working
        language (its row's `lang`), else `langs.DEFAULT`."""


def resolve(state: State, id: str | None) -> str | None:
    """The id an entity reference means now (merged ids point at the kept entity)."""
    if id is None:
        return None
    kept = state.alias(id)
    return kept if kept is not None else id
