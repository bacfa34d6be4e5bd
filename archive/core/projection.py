"""The fold: events -> row operations. Pure: no I/O, no clock, no random ids.

`project(event, state)` returns the operations (`Insert`, `Delete`, `Update`) that bring the
tables from the state before `event` to the state after it. `state` is a read-only view of
the tables so far (`State`); the database answers it from SQLite, `MemoryState` from dicts
(the reference implementation the tests use). One handler per event type:

- facts (conference, session, participant, speech, ...) insert rows whose `id` is the event
  id (child rows `f"{id}/{n}"`), with provenance columns, and their texts into `texts`
  (`archive.core.facts`; the operations and the `State` are `archive.core.rows`);
- `event.corrected` deletes the target's rows and projects its corrected payload again in
  their place, and records one `revisions` row per changed field;
- `event.retracted` deletes the target's rows and records a `retractions` row;
- `entities.merged` folds one entity into another: references are rewritten to the kept id,
  the merged name becomes an alias; a `merges` row records it;
- `entities.unmerged` marks its merge undone in `merges`. A merge that the log later undoes
  is folded as if it had never been applied: `project` is told which merges the events
  being built undo (`undone`; see `database.build`), so a build never has to take a merge
  apart.

Fixes that break the rules (`archive.core.rules`: a second retraction, a correction of a
retracted fact) are refused when appended and reported by `verify`; a log that holds one
anyway still builds: the fix changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from ..errors import InvalidEvent
from .events import (
    FIXES,
    MENTIONS,
    ConferenceHeld,
    EntitiesMerged,
    EntitiesUnmerged,
    Event,
    EventCorrected,
    EventRetracted,
    Payload,
    apply_changes,
    payload_class,
    references,
)
from .facts import part_row, rows_of
from .langs import DEFAULT
from .rows import (
    Delete,
    Entity,
    Envelope,
    Insert,
    Op,
    Row,
    State,
    Stored,
    Update,
    resolve,
    to_json,
)
from .schema import BY_NAME, ENTITY_REFS, FACT_REFS, LANG_TABLES, TABLES
from .translations import lang_of, parts_of, text_of

#: Tables where an insert replaces the row with the same key (the corrected payload).
REPLACED = frozenset({"_archive_current"})
_NOT_FACTS = FIXES


def _plain(value: Any) -> Any:
    """A payload value as a cell in `revisions`: text as is, anything else as JSON."""
    if value is None or isinstance(value, str):
        return value
    return to_json(value)


def _label(data: Payload) -> str:
    for name in ("name", "title", "summary", "text", "counts", "caption", "filename"):
        value = getattr(data, name, None)
        if value:
            text = str(value)
            return text if len(text) <= 200 else text[:199] + "…"
    return data.TYPE


# ---------------------------------------------------------------- corrections and the rest


def _remove(target: Stored) -> list[Op]:
    tables = payload_class(target.env.type).TABLES + ("texts",)
    return [Delete(t, target.env.id, children=True) for t in tables]


def _target(state: State, target_id: str) -> Stored | None:
    """The live fact a correction or retraction fixes (None: the fix breaks the rules)."""
    target = state.event(target_id)
    if target is None or target.env.type in _NOT_FACTS or target.retracted:
        return None
    return target


def correct(data: EventCorrected, env: Envelope, state: State) -> list[Op]:
    target = _target(state, data.target)
    if target is None:
        return []
    new = apply_changes(target.env.type, target.data, data.changes)
    table = payload_class(target.env.type).TABLES[0]
    ops: list[Op] = _remove(target)
    dropped = _entities_of(state, target.data) - _entities_of(state, new)
    ops += _orphaned(state, dropped, target.env.id)
    ops += rows_of(new, target.env, state)
    ops += _followers(target, new, state)
    ops.append(Insert("_archive_current", {"event_id": target.env.id, "data": to_json(new)}))
    for name in data.changes:
        ops.append(Insert("revisions", {
            "id": f"{env.id}/{name}", "correction_event_id": env.id,
            "target_event_id": target.env.id, "table_name": table, "row_id": target.env.id,
            "field": name, "old_value": _plain(msgspec.to_builtins(getattr(target.data, name))),
            "new_value": _plain(msgspec.to_builtins(getattr(new, name))), "reason": data.reason,
            "recorded_at": env.recorded_at, "recorded_by": env.recorded_by,
            "event_seq": env.seq}))
    return ops


def _followers(target: Stored, new: Payload, state: State) -> list[Op]:
    """What other rows a correction changes: those that take their language from a
    conference whose working language it corrects, and the copies of a translated text
    the translations keep beside theirs."""
    ops: list[Op] = []
    if isinstance(new, ConferenceHeld) and new.lang != getattr(target.data, "lang", None):
        ops += [Update(t, "lang_from", target.env.id, {"lang": lang_of(new, None)})
                for t in LANG_TABLES if t != "conferences"]
    if new.TEXT is not None and state.translated(target.env.id):
        for part in (None, *parts_of(new)):
            words = text_of(new, part)
            if words != text_of(target.data, part):
                row = part_row(target.env.id, target.env.type, part)[1]
                ops += [Update("translations", "original_row_id", row, {"original_text": words}),
                        Update("texts", "translates", row, {"original": words})]
    return ops


def retract(data: EventRetracted, env: Envelope, state: State) -> list[Op]:
    target = _target(state, data.target)
    if target is None:
        return []
    ops = _remove(target)
    payload = target.data
    ops += _orphaned(state, _entities_of(state, payload), target.env.id)
    ops.append(Insert("retractions", {
        "id": env.id, "target_event_id": target.env.id, "target_type": target.env.type,
        "table_name": payload_class(target.env.type).TABLES[0], "label": _label(payload),
        "reason": data.reason, "recorded_at": env.recorded_at,
        "recorded_by": env.recorded_by, "event_seq": env.seq}))
    return ops


def _entities_of(state: State, data: Payload) -> set[str]:
    """The entities a fact's rows refer to (as merges have them now)."""
    ids = {resolve(state, ref) for _, kind, ref in references(data) if kind == "entity"}
    if isinstance(data, MENTIONS):
        ids.add(resolve(state, data.entity))
    return {i for i in ids if i is not None}


def _orphaned(state: State, entity_ids: set[str], row_id: str) -> list[Op]:
    """An entity goes with the last row that refers to it (its last participation, or,
    after an undone merge, the last fact that named a record no participation names)."""
    ops: list[Op] = []
    for entity_id in sorted(entity_ids):
        if state.entity(entity_id) is not None and not state.referenced(entity_id, row_id):
            ops += [Delete("entity_aliases", alias) for alias in state.aliases_of(entity_id)]
            ops.append(Delete("entities", entity_id))
    return ops


def merge(data: EntitiesMerged, env: Envelope, state: State, undone: bool) -> list[Op]:
    kept_id, merged_id = resolve(state, data.kept), resolve(state, data.merged)
    assert kept_id is not None and merged_id is not None
    kept, merged = state.entity(kept_id), state.entity(merged_id)
    history: list[Op] = [Insert("merges", {
        "id": env.id, "kept_id": kept_id, "merged_id": merged_id,
        "kept_name": kept.name if kept else None, "merged_name": merged.name if merged else None,
        "reason": data.reason, "event_seq": env.seq})]
    if undone or kept_id == merged_id or kept is None or merged is None:
        return history  # undone later, already one entity, or breaking the rules
    aliases = list(kept.aliases)
    for name in (merged.name, *merged.aliases):
        if name != kept.name and name not in aliases:
            aliases.append(name)
    ops: list[Op] = [
        *history,
        Update("entities", "id", kept_id, {"aliases": to_json(aliases)}),
        Delete("entities", merged_id),
        Insert("entity_aliases", {"id": merged_id, "entity_id": kept_id, "name": merged.name,
                                  "merge_event_id": env.id, "reason": data.reason,
                                  "event_seq": env.seq}),
    ]
    for table, column in ENTITY_REFS:
        values: Row = {column: kept_id}
        if (table, column) == ("speeches", "speaker_id"):
            values["speaker_name"] = kept.name
        ops.append(Update(table, column, merged_id, values))
    return ops


def unmerge(data: EntitiesUnmerged, env: Envelope) -> list[Op]:
    return [Update("merges", "id", data.merge, {"undone_by": env.id,
                                                "undo_reason": data.reason})]


def event_row(event: Event) -> Row:
    src = event.source
    return {"seq": event.seq, "id": event.id, "type": event.type, "v": event.v,
            "at": event.at, "recorded_at": event.recorded_at,
            "recorded_by": event.recorded_by, "source_url": src.url if src else None,
            "source_locator": src.locator if src else None, "data": to_json(event.data),
            "prev": event.prev, "hash": event.hash}


def project(event: Event, state: State, undone: frozenset[str] = frozenset()) -> list[Op]:
    """The row operations one event makes, given the tables before it and the merges
    that the events being built undo later."""
    env = Envelope.of(event)
    ops: list[Op] = [Insert("events", event_row(event))]
    data = event.data
    if isinstance(data, EventCorrected):
        return ops + correct(data, env, state)
    if isinstance(data, EventRetracted):
        return ops + retract(data, env, state)
    if isinstance(data, EntitiesMerged):
        return ops + merge(data, env, state, event.id in undone)
    if isinstance(data, EntitiesUnmerged):
        return ops + unmerge(data, env)
    return ops + rows_of(data, env, state)


def undone_merges(events: Iterable[Event]) -> frozenset[str]:
    """The merges that these events undo."""
    return frozenset(e.data.merge for e in events if isinstance(e.data, EntitiesUnmerged))


# ---------------------------------------------------------------- in-memory tables


@dataclass
class MemoryState:
    """Tables as dicts ({table: {primary key: row}}): the fold without a database."""

    tables: dict[str, dict[Any, Row]] = field(
        default_factory=lambda: {t.name: {} for t in TABLES})

    def rows(self, table: str) -> dict[Any, Row]:
        return self.tables[table]

    def apply(self, ops: Iterable[Op]) -> None:
        for op in ops:
            rows = self.rows(op.table)
            if isinstance(op, Insert):
                full = {c: op.row.get(c) for c in BY_NAME[op.table].names}
                key = full[BY_NAME[op.table].pk]
                if key in rows and op.table not in REPLACED:
                    raise InvalidEvent(f"{op.table} already has a row {key!r}")
                rows[key] = full
            elif isinstance(op, Delete):
                prefix = f"{op.id}/"
                for key in [k for k in rows
                            if k == op.id or (op.children and str(k).startswith(prefix))]:
                    del rows[key]
            else:
                for row in rows.values():
                    if row.get(op.column) == op.value:
                        row.update(op.values)

    def entity(self, id: str) -> Entity | None:
        row = self.rows("entities").get(id)
        if row is None:
            return None
        return Entity(row["id"], row["kind"], row["name"],
                      tuple(msgspec.json.decode(row["aliases"])), row["first_event_id"])

    def alias(self, id: str) -> str | None:
        row = self.rows("entity_aliases").get(id)
        return row["entity_id"] if row else None

    def event(self, id: str) -> Stored | None:
        row = next((r for r in self.rows("events").values() if r["id"] == id), None)
        if row is None:
            return None
        current = self.rows("_archive_current").get(id)
        retracted = any(r["target_event_id"] == id for r in self.rows("retractions").values())
        return stored(row, current["data"] if current else None, retracted)

    def referenced(self, entity_id: str, except_row: str) -> bool:
        children = except_row + "/"
        return any(row.get(column) == entity_id and row.get("id") != except_row
                   and not str(row.get("id")).startswith(children)
                   for table, column in FACT_REFS for row in self.rows(table).values())

    def aliases_of(self, entity_id: str) -> list[str]:
        return sorted(k for k, row in self.rows("entity_aliases").items()
                      if row["entity_id"] == entity_id)

    def translated(self, event_id: str) -> bool:
        return any(r["original_id"] == event_id for r in self.rows("translations").values())

    def language(self, conference_id: str) -> str:
        row = self.rows("conferences").get(conference_id)
        return str(row["lang"]) if row and row.get("lang") else DEFAULT


def stored(row: Row, current: str | None, retracted: bool) -> Stored:
    """An `events` row (and its corrected payload, if any) as the fold sees it."""
    env = Envelope(row["id"], row["seq"], row["type"], row["at"], row["source_url"],
                   row["source_locator"], row["recorded_at"], row["recorded_by"])
    data = msgspec.json.decode(current or row["data"], type=payload_class(row["type"]))
    return Stored(env, data, retracted)


def fold(events: Iterable[Event], state: MemoryState | None = None) -> MemoryState:
    """Fold events into in-memory tables (continuing from `state` when given; a merge
    already applied there cannot be undone by `events`: build from the start instead)."""
    state = state if state is not None else MemoryState()
    events = list(events)
    undone = undone_merges(events)
    for event in events:
        state.apply(project(event, state, undone))
    return state


__all__ = ["Delete", "Entity", "Envelope", "Insert", "MemoryState", "Op", "State", "Stored",
           "Update", "fold", "project", "resolve", "stored", "undone_merges"]
