"""The catalogue: what exists in an archive, under which names, and whether it is live.

One pure fold answers it for every path. `learn` turns one event into the changes it
makes to the catalogue (`Op`s); a store applies them: `MemoryCatalogue` (verify, listing,
the events an add or an import is about to write) or the log index (`archive.store.index`,
which persists the catalogue so that an add does not read the whole log). The rules
(`archive.core.rules`) ask a store's `View`, so add, import and verify agree by construction.

What it knows:
- every event id, its type and whether it is live (a fact not retracted, a merge not
  undone); the current payload of corrected events;
- entities (countries, organisations, people): kind, first name, how many live
  participations name them, and the merge edge that makes one an alias of another;
- how many live facts refer to each id (a conference, session or entity), so that
  nothing others depend on can be retracted;
- names: a normalised key per scope (a kind, `conference`, `session:<conference>`);
- the live conferences, oldest first.

An entity lives while any record in its merge group has a live participation: a
retracted participation that was an entity's last takes the entity (and its names) with
it, and is refused while live facts refer to that entity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple, Protocol

from .events import (
    FIXES,
    MENTIONS,
    ConferenceHeld,
    EntitiesMerged,
    EntitiesUnmerged,
    EntityRecorded,
    EventCorrected,
    EventRetracted,
    ParticipantAttended,
    Payload,
    SessionHeld,
    apply_changes,
    references,
)
from .names import name_key
from .nearmatch import near_matches

# ---------------------------------------------------------------- names


def name_scope(type_: str, data: Payload) -> str | None:
    """The scope a record's name is found in (None: the record has no name to find)."""
    if isinstance(data, MENTIONS):
        return data.kind
    if isinstance(data, SessionHeld):
        return f"session:{data.conference}"
    if isinstance(data, ConferenceHeld):
        return "conference"
    return None


def name_of(data: Payload) -> str | None:
    value = getattr(data, "title" if isinstance(data, SessionHeld) else "name", None)
    return value if isinstance(value, str) else None


# ---------------------------------------------------------------- what a store answers


class Known(NamedTuple):
    type: str
    seq: int
    live: bool


class EntityInfo(NamedTuple):
    kind: str
    name: str
    #: Live participations that name this record (not counting records merged into it).
    attends: int
    #: The record it was merged into (None: it is its own entity).
    into: str | None


class View(Protocol):
    """The questions the rules and the recorder ask a catalogue store."""

    def event(self, id: str) -> Known | None: ...

    def entity(self, id: str) -> EntityInfo | None: ...

    def refs(self, id: str) -> int:
        """How many live facts refer to this id (an event or an entity record)."""

    def members(self, id: str) -> list[str]:
        """Records merged directly into this one."""

    def current(self, id: str) -> Payload:
        """The payload of a known event, as corrected so far."""

    def named(self, scope: str, key: str) -> str | None: ...

    def names_in(self, scope: str) -> dict[str, str]:
        """Every name key in a scope (a kind of entity...) and the id it names."""

    def conferences(self) -> list[tuple[str, str]]:
        """(id, name) of every live conference, oldest first."""


# ---------------------------------------------------------------- the fold

#: One change: ("event", id, seq, type, position) | ("live", id, bool)
#: | ("current", id, payload) | ("entity", id, kind, name) | ("attends", id, delta)
#: | ("refs", id, delta) | ("name", scope, key, id) | ("edge", merged, kept or None)
#: | ("conference", id, name or None)
Op = tuple[Any, ...]


def _ref_ops(data: Payload, sign: int) -> list[Op]:
    return [("refs", ref, sign) for _, _, ref in references(data)]


def learn(id: str, seq: int, type_: str, data: Payload, view: View, position: int = 0,
          refs: list[tuple[str, str, str]] | None = None) -> list[Op]:
    """What the catalogue learns from one event (which has passed the rules). Pure.
    `refs` may be passed when the caller has already worked out `references(data)`."""
    ops: list[Op] = [("event", id, seq, type_, position)]
    if type_ in FIXES:
        return ops + _fix(data, view)
    ops += [("refs", ref, 1) for _, _, ref in (references(data) if refs is None else refs)]
    if type_ not in NAMED:  # most facts: nothing more to learn
        return ops
    if isinstance(data, MENTIONS):
        ops.append(("entity", data.entity, data.kind, data.name))
        ops.append(("attends", data.entity, +1))
    elif isinstance(data, ConferenceHeld):
        ops.append(("conference", id, data.name))
    scope = name_scope(type_, data)
    name = name_of(data)
    if scope is not None and name is not None:
        ops.append(("name", scope, name_key(name), _named_id(id, data)))
    if isinstance(data, EntityRecorded) and scope is not None:  # its other names find it
        ops += [("name", scope, name_key(a), data.entity) for a in data.aliases
                if name_key(a)]
    return ops


#: The types of fact that name a record (found by its name).
NAMED = frozenset({ParticipantAttended.TYPE, EntityRecorded.TYPE, SessionHeld.TYPE,
                   ConferenceHeld.TYPE})


def _fix(data: Payload, view: View) -> list[Op]:
    """What a correction, retraction, merge or unmerge changes."""
    ops: list[Op] = []
    if isinstance(data, EventCorrected):
        target = view.event(data.target)
        if target is None:
            return ops
        old = view.current(data.target)
        new = apply_changes(target.type, old, data.changes)
        ops.append(("current", data.target, new))
        if target.live:
            ops += _ref_ops(old, -1) + _ref_ops(new, +1)
        name, scope = name_of(new), name_scope(target.type, new)
        if name is not None and scope is not None and name != name_of(old):
            ops.append(("name", scope, name_key(name), _named_id(data.target, new)))
            if isinstance(new, ConferenceHeld) and target.live:
                ops.append(("conference", data.target, name))
    elif isinstance(data, EventRetracted):
        target = view.event(data.target)
        if target is None or not target.live:
            return ops
        old = view.current(data.target)
        ops.append(("live", data.target, False))
        ops += _ref_ops(old, -1)
        if isinstance(old, MENTIONS):
            ops.append(("attends", old.entity, -1))
        elif isinstance(old, ConferenceHeld):
            ops.append(("conference", data.target, None))
    elif isinstance(data, EntitiesMerged):
        ops.append(("edge", data.merged, data.kept))
    elif isinstance(data, EntitiesUnmerged):
        merge = view.current(data.merge)
        assert isinstance(merge, EntitiesMerged)
        ops += [("live", data.merge, False), ("edge", merge.merged, None)]
    return ops


def _named_id(event_id: str, data: Payload) -> str:
    return data.entity if isinstance(data, MENTIONS) else event_id


# ---------------------------------------------------------------- questions over a view


def root(view: View, entity_id: str) -> str:
    """The entity a record stands for now: itself, or where merges took it."""
    seen = {entity_id}
    while (info := view.entity(entity_id)) is not None and info.into is not None \
            and info.into not in seen:
        entity_id = info.into
        seen.add(entity_id)
    return entity_id


def group(view: View, entity_id: str) -> list[str]:
    """Every record merged (directly or not) into this one, and itself."""
    out, todo = [], [entity_id]
    while todo:
        current = todo.pop()
        out.append(current)
        todo += [m for m in view.members(current) if m not in out]
    return out


def attends(view: View, ids: Iterable[str]) -> int:
    return sum(info.attends for i in ids if (info := view.entity(i)) is not None)


def entity_live(view: View, entity_id: str) -> bool:
    """Does this record (or the entity it was merged into) still exist?"""
    top = root(view, entity_id)
    info = view.entity(top)
    if info is None:
        return False
    return info.attends > 0 or attends(view, group(view, top)) > 0


def find(view: View, scopes: Iterable[str], name: str) -> str | None:
    """The live record a name means in the first scope that has it (entities: the entity
    kept by merges)."""
    key = name_key(name)
    for scope in scopes:
        found = view.named(scope, key)
        if found is None:
            continue
        if scope.startswith("session:") or scope == "conference":
            known = view.event(found)
            if known is not None and known.live:
                return found
        elif entity_live(view, found):
            return root(view, found)
    return None


def near(view: View, kind: str, name: str) -> list[tuple[str, str]]:
    """Live records of a kind whose names are close to `name` but not the same (a
    transliteration, a slip, punctuation): (id, name), best first (`core.nearmatch`)."""
    candidates = {}
    for id in view.names_in(kind).values():
        if entity_live(view, id):
            kept = root(view, id)
            info = view.entity(kept)
            if info is not None:
                candidates[kept] = info.name
    return near_matches(name, candidates.items())


def dependents(events: Iterable[tuple[str, str, Payload]], view: View, ids: set[str],
               limit: int = 5) -> list[str]:
    """Up to `limit` ids of live facts (given as (id, type, payload) in log order, as
    recorded) whose current payload refers to one of `ids`. For messages only: it reads
    what it is given."""
    out: list[str] = []
    for event_id, type_, _data in events:
        if len(out) >= limit:
            break
        known = view.event(event_id)
        if known is None or not known.live or type_ in FIXES:
            continue
        if any(ref in ids for _, _, ref in references(view.current(event_id))):
            out.append(event_id)
    return out



# ---------------------------------------------------------------- the memory store


class MemoryCatalogue:
    """A catalogue in dicts, on its own or over another store (`below`) whose answers it
    extends with what it has learned since: the events an append is about to write.

    Originals of events it learned are kept (or, for long logs, read back with `read`
    from the position each was learned at).
    What it learned over a store is in its dicts, for that store to take in
    (`store.index.Index.absorb`): new events and entities, and the changes to the
    others (live flags, reference and participation counts, names, merge edges)."""

    def __init__(self, below: View | None = None,
                 read: Callable[[int], Payload] | None = None):
        self.below = below
        self.read = read
        self.positions: dict[str, int] = {}
        self.new_events: dict[str, Known] = {}
        self.payloads: dict[str, Payload] = {}
        self.live_flags: dict[str, bool] = {}
        self.corrected: dict[str, Payload] = {}
        self.new_entities: dict[str, tuple[str, str]] = {}
        self.attends_delta: dict[str, int] = {}
        self.refs_delta: dict[str, int] = {}
        self.edges: dict[str, str | None] = {}
        self.names: dict[tuple[str, str], str] = {}
        self.conference_names: dict[str, str | None] = {}

    def learn(self, id: str, seq: int, type_: str, data: Payload, position: int = 0,
              refs: list[tuple[str, str, str]] | None = None) -> None:
        """Fold one event in (it must have passed the rules)."""
        if self.read is None or self.below is not None:
            self.payloads[id] = data
        if type_ in FIXES or (type_ in NAMED and type_ != ParticipantAttended.TYPE):
            self.apply(learn(id, seq, type_, data, self, position, refs))
            return
        # Most of a long log: a fact that names no record, or a participation. What
        # `learn` gives for them ("event", "refs" and, for a participation, "entity",
        # "attends", "name"), folded here without making the ops.
        self.new_events[id] = Known(type_, seq, True)
        self.positions[id] = position
        deltas = self.refs_delta
        for _, _, ref in references(data) if refs is None else refs:
            deltas[ref] = deltas.get(ref, 0) + 1
        if isinstance(data, ParticipantAttended):
            entity = data.entity
            if entity not in self.new_entities and (
                    self.below is None or self.below.entity(entity) is None):
                self.new_entities[entity] = (data.kind, data.name)
            self.attends_delta[entity] = self.attends_delta.get(entity, 0) + 1
            self.names[(data.kind, name_key(data.name))] = entity

    def plainly_live(self, refs: list[tuple[str, str, str]], want: dict[str, str]) -> bool:
        """Does each reference (from `events.references`) point, on what this catalogue
        (or the store below, from memory) knows at a glance, at a live event of the type
        `want` gives its kind, or at an entity with a live participation of its own? A
        sufficient condition for `rules.check_references`, without making a record per
        reference; False is no verdict (ask the rules)."""
        events, flags, below = self.new_events, self.live_flags, self.below
        for _, kind, ref in refs:
            if kind == "part":
                continue  # counted, not checked here
            if kind == "entity":  # a record with a live participation of its own lives
                if ref in self.new_entities:  # (merged or not: its group holds it)
                    if self.attends_delta.get(ref, 0) <= 0:
                        return False
                    continue
                info = self.entity(ref)
                if info is None or info.attends <= 0:
                    return False
                continue
            known = events.get(ref)
            if known is None and below is not None:
                known = below.event(ref)
            if known is None or known.type != want.get(kind, known.type) \
                    or not flags.get(ref, known.live):
                return False
        return True

    def apply(self, ops: list[Op]) -> None:
        for op in ops:
            tag = op[0]
            if tag == "event":
                self.new_events[op[1]] = Known(op[3], op[2], True)
                self.positions[op[1]] = op[4]
            elif tag == "refs":
                self.refs_delta[op[1]] = self.refs_delta.get(op[1], 0) + op[2]
            elif tag == "live":
                self.live_flags[op[1]] = op[2]
            elif tag == "entity":
                if op[1] not in self.new_entities and (
                        self.below is None or self.below.entity(op[1]) is None):
                    self.new_entities[op[1]] = (op[2], op[3])
            elif tag == "attends":
                self.attends_delta[op[1]] = self.attends_delta.get(op[1], 0) + op[2]
            elif tag == "name":
                self.names[(op[1], op[2])] = op[3]
            elif tag == "current":
                self.corrected[op[1]] = op[2]
            elif tag == "edge":
                self.edges[op[1]] = op[2]
            elif tag == "conference":
                self.conference_names[op[1]] = op[2]

    # ------------------------------------------------------------ View

    def event(self, id: str) -> Known | None:
        known = self.new_events.get(id)
        if known is None and self.below is not None:
            known = self.below.event(id)
        if known is None:
            return None
        live = self.live_flags.get(id)
        return known if live is None else known._replace(live=live)

    def entity(self, id: str) -> EntityInfo | None:
        mine = self.new_entities.get(id)
        if mine is not None:
            kind, name, attends, into = mine[0], mine[1], 0, None
        elif self.below is not None and (found := self.below.entity(id)) is not None:
            if id not in self.attends_delta and id not in self.edges:
                return found  # most lookups: nothing learned here about it
            kind, name, attends, into = found
        else:
            return None
        return EntityInfo(kind, name, attends + self.attends_delta.get(id, 0),
                          self.edges[id] if id in self.edges else into)

    def refs(self, id: str) -> int:
        below = self.below.refs(id) if self.below is not None else 0
        return below + self.refs_delta.get(id, 0)

    def members(self, id: str) -> list[str]:
        below = self.below.members(id) if self.below is not None else []
        out = [m for m in below if self.edges.get(m, id) == id]
        return out + [m for m, kept in self.edges.items() if kept == id and m not in out]

    def current(self, id: str) -> Payload:
        if id in self.corrected:
            return self.corrected[id]
        if id in self.payloads:
            return self.payloads[id]
        if self.below is not None and id not in self.new_events:
            return self.below.current(id)
        assert self.read is not None, f"no payload kept for {id}"
        # kept: the few events fixes target
        data = self.payloads[id] = self.read(self.positions[id])
        return data

    def named(self, scope: str, key: str) -> str | None:
        found = self.names.get((scope, key))
        if found is None and self.below is not None:
            return self.below.named(scope, key)
        return found

    def names_in(self, scope: str) -> dict[str, str]:
        out = self.below.names_in(scope) if self.below is not None else {}
        out.update({key: id for (where, key), id in self.names.items() if where == scope})
        return out

    def conferences(self) -> list[tuple[str, str]]:
        out = dict(self.below.conferences()) if self.below is not None else {}
        for id, name in self.conference_names.items():
            if name is None:
                out.pop(id, None)
            else:
                out[id] = name
        return list(out.items())



__all__ = ["EntityInfo", "Known", "MemoryCatalogue", "Op", "View", "attends", "dependents",
           "entity_live", "find", "group", "learn", "name_key", "name_scope", "near", "root"]
