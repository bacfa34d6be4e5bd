"""The rules an event keeps with what came before it in the log.

References point at what exists (a speech's session is a session, its speaker a person,
organisation or country); corrections and retractions target facts, not other fixes; a
correction must still fit its target's schema and references; a merge joins two records
of one kind. One set of rules for every path that appends (`archive add`, `archive
import`) and for `archive verify`; pure: each caller says how to look things up.
"""

from __future__ import annotations

from typing import Protocol

from .errors import InvalidEvent, NotFound
from .events import (
    EntitiesMerged,
    EventCorrected,
    EventRetracted,
    Payload,
    apply_changes,
    references,
)

#: What a reference of each kind must point at (an event of this type).
WANT = {"conference": "conference.held", "session": "session.held"}
#: Event types that fix other events; they are never themselves fixed.
FIXES = (EventCorrected.TYPE, EventRetracted.TYPE, EntitiesMerged.TYPE)


class Known(Protocol):
    """What the log holds before the event being checked."""

    def type_of(self, event_id: str) -> str | None:
        """The type of an earlier event, or None."""

    def kind_of(self, entity_id: str) -> str | None:
        """The kind of an earlier entity (country, organisation, person), or None."""

    def payload(self, event_id: str) -> tuple[str, Payload]:
        """The type and payload of an earlier event (one `type_of` knows)."""


def check_references(refs: list[tuple[str, str, str]], known: Known, what: str = "") -> None:
    """Every (field, kind, id) from `events.references` points at what exists."""
    for name, kind, ref in refs:
        if kind == "entity":
            if known.kind_of(ref) is None:
                raise NotFound(f"{what}field `data.{name}`: no person, organisation or "
                               f"country with id {ref!r}")
            continue
        found = known.type_of(ref)
        want = WANT.get(kind)
        if found is None or (want is not None and found != want):
            raise NotFound(f"{what}field `data.{name}`: no {kind} with id {ref!r}")


def check(data: Payload, known: Known, refs: list[tuple[str, str, str]] | None = None) -> None:
    """Raise NotFound or InvalidEvent if `data` breaks a rule. `refs` may be passed when
    the caller has already worked out `references(data)`."""
    check_references(references(data) if refs is None else refs, known)
    if data.TYPE not in FIXES:
        return
    if isinstance(data, EventCorrected | EventRetracted):
        target_type = known.type_of(data.target)
        if target_type in FIXES:
            verb = "correct" if isinstance(data, EventCorrected) else "retract"
            raise InvalidEvent(f"field `data.target`: {data.target} is a {target_type}; "
                               f"{verb} the original event instead")
    if isinstance(data, EventCorrected):
        type_, payload = known.payload(data.target)
        corrected = apply_changes(type_, payload, data.changes)  # must fit the target's schema
        check_references(references(corrected), known, "the corrected ")
    elif isinstance(data, EntitiesMerged):
        kinds = [known.kind_of(data.kept), known.kind_of(data.merged)]
        if kinds[0] != kinds[1]:
            raise InvalidEvent(f"cannot merge a {kinds[1]} into a {kinds[0]}")
