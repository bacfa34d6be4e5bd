"""Recording: turn what a user says (fields, names) into validated events and append them.

This is the append path behind `archive add`, `import`, `correct`, `retract`, `merge` and
`unmerge`. Under the log's lock it catches the index up, resolves names to ids (creating a
person, organisation or country on first mention), checks the rules and idempotent
retries, then appends every resulting event in one durable write. Clock and id factory are
injected; nothing here imports Datasette, WeasyPrint or sqlite-utils.
"""

from __future__ import annotations

import hashlib
import mimetypes
import secrets
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import msgspec
import msgspec.inspect

from ..core import catalogue as cat
from ..core import rules
from ..core.catalogue import MemoryCatalogue
from ..core.codec import check_envelope, content_digest
from ..core.events import (
    AttachmentAdded,
    EntitiesMerged,
    EntitiesUnmerged,
    EntityRecorded,
    Event,
    EventCorrected,
    EventRetracted,
    ParticipantAttended,
    Payload,
    SessionHeld,
    Source,
    SourceCited,
    make_payload,
    payload_class,
)
from ..core.payloads import number_points, parse_delegate
from ..core.validate import FieldError, check_changes, check_input, members
from ..errors import Conflict, InvalidEvent, NotFound
from ..store.base import EventLog, Head, Pending
from ..store.index import Index
from .importer import Importer
from .limits import Limits

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

def new_ulid() -> str:
    """A time-ordered unique id (ULID: 48-bit milliseconds + 80 random bits)."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(secrets.token_bytes(10), "big")
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Result:
    """What an append did: the events written (or found already written) and what the
    archive resolved or created along the way, in words."""

    events: list[Event] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    existing: bool = False


@dataclass
class _Adding:
    """What one `add` works with while it resolves names: the catalogue it reads (the
    index, and what this fact creates on the way), what it says, the envelope of the
    participants it creates, whether a new name is meant as new, and what it will write."""

    known: MemoryCatalogue
    result: Result
    at: str | None
    source: Source | None
    new: bool
    pending: list[Pending] = field(default_factory=list)


@dataclass
class Recorder:
    """Appends to one archive. `clock` and `new_id` are injected (tests pass fixed ones)."""

    log: EventLog
    recorded_by: str
    clock: Callable[[], str] = utc_now
    new_id: Callable[[], str] = new_ulid
    limits: Limits = field(default_factory=Limits.from_env)
    #: Asked, on a terminal, whether a new name means a near match: (field, name, the
    #: matches as (id, name)) -> the id chosen, or None for a new record.
    ask: Callable[[str, str, list[tuple[str, str]]], str | None] | None = None

    # ------------------------------------------------------------ add

    def add(
        self, type_: str, fields: dict[str, Any], names: dict[str, Any] | None = None, *,
        conference: str | None = None, at: str | None = None, source: Source | None = None,
        event_id: str | None = None, expect_seq: int | None = None,
        attach: Path | None = None, new: bool = False,
    ) -> Result:
        """Record one fact. `names` maps reference fields (speaker, session...) to a name
        or id; `conference` is a name or id (default: the only or the latest one).
        `attach` is the file of an attachment (its fields from `attachment_fields`),
        stored only once the fact is accepted. A new name close to a known one (a
        transliteration, a slip) is warned about, unless `new` says it is meant."""
        cls = payload_class(type_)
        check_envelope(id=event_id, at=at, source=source, recorded_by=self.recorded_by)
        with self.log.locked(), Index(self.log) as index:
            head = self.log.head()
            head.expect(expect_seq)
            index.catch_up()
            adding = _Adding(MemoryCatalogue(below=index), Result(), at, source, new)
            fields = dict(fields)
            if "conference" in cls.__struct_fields__:
                fields["conference"] = _conference(
                    adding.known, conference or _conference_of(adding.known, cls, names or {}))
            self._resolve_names(adding, cls, dict(names or {}), fields)
            if type_ in (ParticipantAttended.TYPE, EntityRecorded.TYPE) and \
                    "entity" not in fields:
                self._entity_of(adding, fields)
            data = make_payload(type_, fields)
            known, result = adding.known, adding.result
            _check_input(data, known)
            _check_source(cls, source, known, result)
            rules.check(data, known, dependents=index.dependents)
            ident = event_id or self.new_id()
            if event_id is not None and known.event(event_id) is not None:
                earlier = index.log_event_at(event_id)
                if content_digest(earlier.type, earlier.data, earlier.at, earlier.source) != \
                        content_digest(type_, data, at, source):
                    raise Conflict(f"id {event_id} is already in the log with different "
                                   "content; use a new id, or `archive correct` it")
                result.existing = True
                result.events.append(earlier)
                result.messages.append(f"already recorded: {event_id} (nothing written)")
                return result
            adding.pending.append(Pending(ident, type_, data, at, source))
            if attach is not None and isinstance(data, AttachmentAdded) and data.sha256:
                self._store_file(attach, data.sha256)
            result.events = self._write(index, adding.pending, head)
        return result

    def _resolve_names(self, adding: _Adding, cls: type[Payload], names: dict[str, Any],
                       fields: dict[str, Any]) -> None:
        """Put in `fields` the id each name in `names` means (found, or created)."""
        # organisations and countries first: a new speaker may be affiliated to them
        for name_field in sorted(names, key=lambda f: f not in ("affiliation", "country")):
            kind = cls.CREATES.get(name_field, "person")
            value = names[name_field]
            if cls.REFS.get(name_field) not in ("entity", "session", "conference"):
                fields[name_field] = value  # another fact, by its id: the rules check it
                continue
            if cls.REFS.get(name_field) == "conference":
                fields[name_field] = _conference(adding.known, value)
                continue
            items = value if isinstance(value, list) else [value]
            resolved: list[Any] = []
            for item in items:  # names, or delegates {"entity": name, "post": post}
                name = item if isinstance(item, str) else item["entity"]
                extra = {} if isinstance(item, str) else {"role": item.get("post")}
                ident = self._resolve(adding, kind, name_field, name, {**fields, **extra},
                                      takes_part=name_field not in cls.NAMES_ONLY)
                resolved.append(ident if isinstance(item, str) else {**item, "entity": ident})
            fields[name_field] = resolved if isinstance(value, list) else resolved[0]

    def _entity_of(self, adding: _Adding, fields: dict[str, Any]) -> None:
        """The entity a participant (or entity record) without one is: known by its name,
        or new (a near match asked about or warned of first)."""
        fields["entity"], found = _entity_for(adding.known, fields, self.new_id)
        if not found and not adding.new and isinstance(fields.get("name"), str):
            chosen = self._near(adding, str(fields.get("kind")), "name", fields["name"])
            if chosen is not None:
                fields["entity"], found = chosen, True
        adding.result.messages.append(
            f"{'known' if found else 'new'} {fields.get('kind')} "
            f"{fields.get('name')!r} ({fields['entity']})")

    def _resolve(self, adding: _Adding, default: str, name_field: str, value: str,
                 fields: dict[str, Any], takes_part: bool = True) -> str:
        """The id a name given for `name_field` means: found, or created as a `default`
        (a person, organisation or country): a participant of the conference when the
        fact says they took part (a speaker, a party), else a record of its own (a
        speaker's organisation, a commitment's owner), so that no participation is
        recorded that no command asked for."""
        known, result = adding.known, adding.result
        conference = fields.get("conference")
        if name_field in ("session", "parent"):
            session = known.event(value)
            if session is not None and session.type == SessionHeld.TYPE:
                return value  # the rules say whether it is live
            found = cat.find(known, [f"session:{conference}"], value)
            if found is None:
                raise NotFound(f"no session titled {value!r} in this conference; "
                               "record it first with `archive add session`")
            return found
        if known.entity(value) is not None:
            return cat.root(known, value)
        kinds = [default] + [k for k in ("person", "organisation", "country") if k != default]
        found = cat.find(known, kinds, value)
        if found is not None:
            info = known.entity(found)
            assert info is not None
            if found not in {p.data.entity for p in adding.pending
                             if isinstance(p.data, ParticipantAttended)}:
                result.messages.append(f"{name_field}: known {info.kind} {info.name!r} "
                                       f"({found})")
            return found
        if conference is None and takes_part:
            raise NotFound(f"no {default} named {value!r}")
        if not adding.new and (chosen := self._near(adding, default, name_field, value)):
            return chosen
        ident = self.new_id()
        extra: dict[str, Any] = {}
        if name_field in ("speaker", "proposer", "chair", "cited_by", "head", "members"):
            # a new person takes the role and affiliation (or country) the fact gives them
            for key in ("role", "affiliation", "country"):
                if fields.get(key) is not None and key != name_field:
                    extra[key] = fields[key]
        if takes_part:
            type_, data = ParticipantAttended.TYPE, {"conference": conference, **extra}
        else:
            type_, data = EntityRecorded.TYPE, {}
        created = make_payload(type_, {**data, "entity": ident, "kind": default, "name": value})
        rules.check(created, known)
        event_id = self.new_id()
        known.learn(event_id, 0, type_, created)
        adding.pending.append(Pending(event_id, type_, created, adding.at, adding.source))
        result.messages.append(f"{name_field}: new {default} {value!r} ({ident})"
                               + ("" if takes_part else ", recorded on its own (not as a "
                                  "participant)"))
        return ident

    def _near(self, adding: _Adding, kind: str, name_field: str, value: str) -> str | None:
        """Before a new record is made: a known one whose name is close (did you mean?).
        On a terminal the user is asked; otherwise a warning names the near matches."""
        result = adding.result
        matches = cat.near(adding.known, kind, value)
        if not matches:
            return None
        if self.ask is not None:
            chosen = self.ask(name_field, value, matches)
            if chosen is not None:
                result.messages.append(f"{name_field}: known {kind} "
                                       f"{dict(matches)[chosen]!r} ({chosen})")
                return chosen
            return None
        listed = ", ".join(f"{name!r} ({id})" for id, name in matches)
        result.messages.append(
            f"warning: {name_field}: {value!r} is recorded as a new {kind}, but looks like "
            f"{listed}; if it is the same, `archive merge` them (or give the id next time); "
            "--new says it is deliberately new")
        return None

    # ------------------------------------------------------------ fixes

    def correct(self, target: str, changes: dict[str, Any], *, reason: str | None = None,
                source: Source | None = None, expect_seq: int | None = None,
                event_id: str | None = None) -> Result:
        """Record new values for fields of an earlier event."""
        fields: dict[str, Any] = {"target": target, "changes": changes}
        if reason:
            fields["reason"] = reason
        return self.add(EventCorrected.TYPE, fields, source=source, expect_seq=expect_seq,
                        event_id=event_id)

    def correct_text(self, target: str, changes: dict[str, str | list[str]],
                     **kwargs: Any) -> Result:
        """`correct` with values given as text (from a command line): text fields take the
        text verbatim, names where ids go, lists as repeated values, others JSON."""
        with self.log.locked(), Index(self.log) as index:
            index.catch_up()
            known = index.event(target)
            if known is None:
                raise NotFound(f"no event with id {target!r}")
            coerced = coerce_changes(known.type, changes, index)
        return self.correct(target, coerced, **kwargs)

    def retract(self, target: str, reason: str, *, source: Source | None = None,
                expect_seq: int | None = None) -> Result:
        """Record that an earlier event should not have been recorded."""
        return self.add(EventRetracted.TYPE, {"target": target, "reason": reason},
                        source=source, expect_seq=expect_seq)

    def merge(self, kept: str, merged: str, *, reason: str | None = None,
              source: Source | None = None, expect_seq: int | None = None) -> Result:
        """Record that two entities (by name or id) are one; `merged` becomes an alias."""
        with self.log.locked(), Index(self.log) as index:
            index.catch_up()
            ids = [_entity_ref(index, kept), _entity_ref(index, merged)]
        if ids[0] == ids[1]:
            raise InvalidEvent(f"{kept!r} and {merged!r} are one entity already ({ids[0]})")
        fields: dict[str, Any] = {"kept": ids[0], "merged": ids[1]}
        if reason:
            fields["reason"] = reason
        return self.add(EntitiesMerged.TYPE, fields, source=source, expect_seq=expect_seq)

    def unmerge(self, merge_id: str, *, reason: str | None = None,
                source: Source | None = None, expect_seq: int | None = None) -> Result:
        """Record that a merge was wrong: the two records are separate again."""
        fields: dict[str, Any] = {"merge": merge_id}
        if reason:
            fields["reason"] = reason
        return self.add(EntitiesUnmerged.TYPE, fields, source=source, expect_seq=expect_seq)

    # ------------------------------------------------------------ import

    def import_lines(self, lines: Iterable[bytes] | IO[bytes], *,
                     expect_seq: int | None = None,
                     progress: Callable[[int], None] | None = None) -> Result:
        """Append events from JSON Lines, all or nothing: every line is validated (schema,
        references, ids) before any is written; memory stays flat however large the
        import (see `archive.append.importer`). `progress` is told now and then how many more
        bytes of input were read."""
        check_envelope(id=None, at=None, source=None, recorded_by=self.recorded_by)
        if hasattr(lines, "readline"):  # a stream: lines within the limit, as they come
            lines = self.limits.lines(lines)  # type: ignore[arg-type]
        with self.log.locked(), Index(self.log) as index:
            head = self.log.head()
            head.expect(expect_seq)
            index.catch_up()
            outcome = Importer(self.log, index, head, recorded_at=self.clock(),
                               recorded_by=self.recorded_by, new_id=self.new_id,
                               progress=progress).run(lines)
        result = Result(existing=outcome.count == 0)
        result.messages.append(
            f"imported {outcome.count} events (sequence {outcome.first}-{outcome.last})"
            if outcome.count else "imported 0 events")
        if outcome.skipped:
            result.messages.append(f"{outcome.skipped} already recorded (same id and content)")
        return result

    def import_popolo(self, document: Any, *, expect_seq: int | None = None) -> Result:
        """Record a Popolo document (`exchange.popolo_import`): its persons and
        organizations, conferences, sessions, side meetings, memberships and speeches,
        as import lines, all or nothing; one already recorded under the same name is
        mentioned again, not duplicated."""
        from ..exchange.popolo_import import plan

        with self.log.locked(), Index(self.log) as index:
            head = self.log.head()
            head.expect(expect_seq)
            index.catch_up()
            known = MemoryCatalogue(below=index)
            todo = plan(document, lambda kind, name: cat.find(known, [kind], name))
            said = todo.summary(lambda ident: known.event(ident) is None)
            outcome = Importer(self.log, index, head, recorded_at=self.clock(),
                               recorded_by=self.recorded_by, new_id=self.new_id
                               ).run(todo.lines)
        result = Result(existing=outcome.count == 0)
        result.messages.append(said if outcome.count else "recorded nothing new")
        if outcome.skipped:
            result.messages.append(f"{outcome.skipped} already recorded (same id and content)")
        result.messages.extend(todo.left_out)
        return result

    def pull(self, lines: Iterable[bytes], *, origin: str, match: str = "auto",
             expect_seq: int | None = None) -> Result:
        """Import another archive's events (import lines, `append.pull.read_other`) and
        merge its records into this archive's where the names match (`append.pull.plan`,
        by `match`: auto, ask or never), in one all-or-nothing append."""
        from .pull import plan

        pulled = list(lines)
        with self.log.locked(), Index(self.log) as index:
            head = self.log.head()
            head.expect(expect_seq)
            index.catch_up()
            todo = plan(MemoryCatalogue(below=index), pulled, match, self.ask)
            outcome = Importer(self.log, index, head, recorded_at=self.clock(),
                               recorded_by=self.recorded_by, new_id=self.new_id
                               ).run(pulled + [m.line(origin) for m in todo.merges])
        result = Result(existing=outcome.count == 0)
        facts = outcome.count - len(todo.merges)
        result.messages.append(
            f"pulled {facts} events from {origin}" if outcome.count else
            f"nothing new in {origin}")
        if outcome.skipped:
            result.messages.append(f"{outcome.skipped} already here (same id and content)")
        for m in todo.merges:
            result.messages.append(f"merged {m.name!r} ({m.merged}) into {m.kept}")
        for entity, name, close in todo.near:
            listed = ", ".join(f"{n!r} ({i})" for i, n in close)
            result.messages.append(
                f"warning: {name!r} ({entity}) looks like {listed}; if it is the same, "
                "`archive merge` them")
        return result

    # ------------------------------------------------------------ attachments

    def attachment_fields(self, path: Path) -> dict[str, str]:
        """The attachment fields of a file (its hash, name and media type), read once and
        within the limits; nothing is stored until the add that names it is accepted."""
        info = self.limits.attachment_file(path)
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
                if f.tell() > info.st_size:
                    raise InvalidEvent(f"--file {path} grew while it was read")
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return {"sha256": digest.hexdigest(), "filename": path.name, "media_type": media_type}

    def _store_file(self, path: Path, sha256: str) -> None:
        """Copy the file content-addressed beside the log, checking it is still the file
        that was hashed."""
        self.limits.attachment_file(path)
        self.log.store_attachment(path, sha256)

    # ------------------------------------------------------------ writing

    def _write(self, index: Index, pending: list[Pending], head: Head) -> list[Event]:
        events = self.log.write_locked(pending, head, recorded_at=self.clock(),
                                       recorded_by=self.recorded_by)
        index.catch_up()
        return events


# ---------------------------------------------------------------- checks (no writes)


def coerce_changes(type_: str, changes: dict[str, str | list[str]],
                   known: cat.View | None = None) -> dict[str, Any]:
    """Turn `field=text` pairs into values of the field's type: text as is, a name where
    an id goes (resolved in `known`), a list from repeated values (or JSON), numbered
    points as N=TEXT, anything else as JSON."""
    cls = payload_class(type_)
    struct = msgspec.inspect.type_info(cls)
    assert isinstance(struct, msgspec.inspect.StructType)
    info = {f.name: f.type for f in struct.fields}
    out: dict[str, Any] = {}
    for name, given in changes.items():
        typ = info.get(name)
        if typ is None:
            raise InvalidEvent(f"field `changes.{name}`: {type_} has no field {name!r} "
                               f"(fields: {', '.join(info)})")
        kinds = members(typ)
        is_list = any(isinstance(k, msgspec.inspect.ListType) for k in kinds)
        values: list[Any] = given if isinstance(given, list) else [given]
        if is_list:
            if len(values) == 1 and values[0].lstrip().startswith("["):
                try:
                    values = msgspec.json.decode(values[0])
                except msgspec.DecodeError:
                    raise InvalidEvent(f"field `changes.{name}`: {values[0]!r} is not a JSON "
                                       f"list; for example --set '{name}=[\"one\", "
                                       f"\"two\"]' or --set {name}=one --set {name}=two"
                                       ) from None
            if name == "items" and all(isinstance(v, str) for v in values):
                out[name] = number_points(values)
            else:
                out[name] = [_item(cls, name, v, known) if isinstance(v, str) else v
                             for v in values]
            continue
        if len(values) > 1:
            raise InvalidEvent(f"field `changes.{name}` takes one value, not {len(values)}")
        text = values[0]
        if any(isinstance(k, (msgspec.inspect.StrType, msgspec.inspect.LiteralType))
               for k in kinds):
            out[name] = _item(cls, name, text, known)
            continue
        try:
            out[name] = msgspec.json.decode(text)
        except msgspec.DecodeError:
            example = (f"--set '{name}=[\"one\", \"two\"]' or --set {name}=one "
                       f"--set {name}=two" if is_list else f"--set {name}=12")
            raise InvalidEvent(f"field `changes.{name}`: {text!r} is not a value of this "
                               f"field; for example {example}") from None
    return out


def _item(cls: type[Payload], name: str, text: str, known: cat.View | None) -> Any:
    """One value given as text: a name where an entity's id goes is resolved."""
    if known is not None and cls.REFS.get(name) == "entity":
        if name in ("members", "head"):
            delegate = parse_delegate(text)
            return {**delegate, "entity": _entity_ref(known, delegate["entity"])}
        return _entity_ref(known, text)
    return text


def _check_input(data: Payload, known: cat.View) -> None:
    """The stricter checks for new input (`validate.check_input`), naming the field."""
    try:
        check_input(data, data.DATES, "data.")
        if isinstance(data, EventCorrected) and (target := known.event(data.target)):
            check_changes(payload_class(target.type), data.changes)
    except FieldError as exc:
        raise InvalidEvent(str(exc)) from None


def _check_source(cls: type[Payload], source: Source | None, known: cat.View,
                  result: Result) -> None:
    """A fact cites a source: a URL (or other identifier with a scheme, `urn:...`) or the
    id of a recorded source. Without one it is recorded with a warning."""
    if cls.COMMAND is None or cls is SourceCited:
        return
    if source is None and cls.EVIDENCE:
        raise InvalidEvent(f"{cls.TYPE} needs its evidence: give --source (a URL or the id "
                           "of an `archive add source`) and --locator")
    if source is None:
        result.messages.append("warning: recorded without a source; give --source (a URL or "
                               "the id of an `archive add source`) and --locator")
        return
    if rules.cites_unknown_source(cls, source, known):
        raise InvalidEvent(f"--source {source.url!r}: no source has that id; record it "
                           f"first (`archive add source --id {source.url} --title ...`) or "
                           "give a URL")


def _conference_of(known: cat.View, cls: type[Payload], names: dict[str, Any]) -> str | None:
    """The conference of the fact this one follows (a commitment's agreement, an
    update's commitment, a follow-up held), when the command names one."""
    for ref, kind in cls.REFS.items():
        if kind in ("entity", "session", "conference") or not isinstance(names.get(ref), str):
            continue
        event = known.event(names[ref])
        if event is not None:
            conference = getattr(known.current(names[ref]), "conference", None)
            if isinstance(conference, str):
                return conference
    return None


def _conference(known: cat.View, value: str | None) -> str:
    conferences = known.conferences()
    if value is None:
        if not conferences:
            raise NotFound("no conference recorded yet; start with `archive add conference`")
        return conferences[-1][0]
    for ident, _name in conferences:
        if ident == value:
            return ident
    found = cat.find(known, ["conference"], value)
    if found is None:
        listed = ", ".join(repr(n) for _, n in conferences) or "none"
        raise NotFound(f"no conference {value!r} (known: {listed})")
    return found


def _entity_ref(known: cat.View, value: str) -> str:
    if known.entity(value) is not None:
        return cat.root(known, value)
    found = cat.find(known, ["person", "organisation", "country"], value)
    if found is None:
        raise NotFound(f"no person, organisation or country named {value!r}")
    return found


def _entity_for(known: cat.View, fields: dict[str, Any], new_id: Callable[[], str]
                ) -> tuple[str, bool]:
    kind, name = fields.get("kind"), fields.get("name")
    if not isinstance(kind, str) or not isinstance(name, str):
        return new_id(), False  # make_payload reports the missing field
    found = cat.find(known, [kind], name)
    return (found, True) if found else (new_id(), False)


def open_input(path: str) -> IO[bytes]:
    """A file, or standard input for `-`."""
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except OSError as exc:
        raise NotFound(f"cannot read {path}: {exc.strerror}") from None


__all__ = ["Recorder", "Result", "new_ulid", "open_input", "utc_now"]
