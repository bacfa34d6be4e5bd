"""Popolo in: a Popolo JSON document (`archive import --format popolo FILE`) as this
archive's own import events, which `Recorder.import_popolo` feeds to the one import path
(`append.importer`), so every rule and the all-or-nothing guarantee are the same as for
`archive import`.

    plan(document, find) -> Plan     (pure: `find(kind, name)` is the archive's lookup)

    persons, organizations  -> entity.recorded, one per source (countries: classification
                               "country"; an organisation's other name noted "short name"
                               is its short name, the others its aliases)
    events                  -> conference.held (an event with no parent), session.held,
                               meeting.held (classification "bilateral meeting"...; who
                               took part: `attendees`)
    memberships             -> participant.attended (in a conference's participants body,
                               `conference:ID` as `archive export` writes it)
    speeches                -> speech.delivered (the text back into summary and quotes;
                               a `video` becomes a source.cited of kind "video")

Ids are kept (a Popolo id that is no valid archive id becomes `popolo-...` with a hash of
it; an object without an id gets one from its content), so importing the file again
writes nothing. A person or organisation this archive already knows by that name is
mentioned again, not duplicated, and what the file says of it refers to the known record.

What comes back. `archive export --format popolo` of an archive, imported into an empty
archive and exported again, gives the same document: the same persons, organizations,
memberships, events and speeches, with their ids, names, other names, classifications,
roles, standings, bodies, dates, attendees, texts, titles, positions, videos, sources and
links (with the same base URL). What does not survive is what the export does not write
(see `exchange.popolo`), and of the archive's records:
- a fact's source becomes its URL: the recorded source it cited by id (title, publisher,
  kind) is not rebuilt, except a speech's video source;
- the facts that recorded a person or organisation (its first mention, corrections,
  merges) become one `entity.recorded` per source: the same sources, not the same events.
Imported into the archive it came from, an export is refused (a conflict, nothing
written): its conferences and facts are there under the same ids with what the export
leaves out. The error names the id, and the line of the import the file was made into.

Of a Popolo file from elsewhere, the archive keeps what it can hold. Left out, and
counted in what the import prints: memberships of an organization that is not a
conference's participants body (a party, a parliament: the archive records taking part
in a conference, not membership); `posts` no kept membership holds (a post is read as
the role of the memberships that name it by `post_id` and give no `role` of their own;
a `post_id` the file holds no post for is read as nothing); `areas`, `motions`,
`vote_events` and any other list; `audio`; a `video` that is not the speech's source; a
second and further source of a fact (the archive keeps one a fact). Read as the archive
can, without a
message: a membership's own dates (the conference's are its dates); a speech's
`position` (it orders the speeches); a membership `label` that is not a standing (host,
organiser, supporter, member, observer, guest, participant), kept as the participation's
note with the standing "participant"; a speech `title` that is not one the export
writes (the speech is a remark); a speech text whose last paragraph is wholly in “…”
(it reads as a quote); an event's date-time where the archive takes a day (its day).

Bad input is one error naming what is wrong, and nothing is written: not a Popolo
object, an object without its name, an id given twice, a membership or speech naming a
person, organisation or event the file does not hold, a speech with no `creator_id` or
no `event_id`, events whose parents go round in a circle, a field the archive refuses.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..core.codec import parse_import_line
from ..core.payloads import STATUSES
from ..core.validate import FieldError, check_id
from ..errors import InvalidEvent
from .popolo import (
    MEETING_CLASSES,
    SHORT_NAME,
    SPEECH_TITLES,
    UNTITLED_MEETING,
    split_text,
)

#: The lists of a Popolo document this import reads.
LISTS = ("persons", "organizations", "posts", "memberships", "events", "speeches")
_SESSION_KINDS = ("plenary", "panel", "workshop", "theme", "other")
_MEETING_KINDS = {v: k for k, v in MEETING_CLASSES.items()}
_SPEECH_KINDS = {v: k for k, v in SPEECH_TITLES.items()}
_UNSAFE = re.compile(r"[^A-Za-z0-9._:-]+")

#: What the import says it recorded, in this order.
_WHAT = (("entity", "people and organisations", "people and organisations"),
         ("conference", "conference", "conferences"), ("session", "session", "sessions"),
         ("meeting", "side meeting", "side meetings"),
         ("membership", "membership", "memberships"), ("speech", "speech", "speeches"))


def archive_id(value: str) -> str:
    """A Popolo id as an archive id: itself when it is one, else its safe characters
    and a hash of it (`ocd-person/1a2b` -> `popolo-ocd-person-1a2b-3f...`)."""
    try:
        check_id("id", value, True)
        return value
    except FieldError:
        pass
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    cleaned = _UNSAFE.sub("-", value).strip("-._:")[:100]
    return f"popolo-{cleaned}-{digest[:12]}" if cleaned else f"popolo-{digest[:20]}"


def _derived(prefix: str, ident: str) -> str:
    """An event id made from another id, within the 128 characters ids may have."""
    out = prefix + ident
    return out if len(out) <= 128 else prefix + hashlib.sha256(ident.encode()).hexdigest()


@dataclass
class Plan:
    """The import lines of a Popolo document, what each item's first line is (to say
    what was recorded) and what the archive has no place for."""

    lines: list[bytes] = field(default_factory=list)
    items: list[tuple[str, str]] = field(default_factory=list)  # (what, first event id)
    left_out: list[str] = field(default_factory=list)

    def summary(self, new: Callable[[str], bool]) -> str:
        """What importing records, counting the items whose first event is `new`."""
        counts = {what: 0 for what, _, _ in _WHAT}
        for what, ident in self.items:
            counts[what] += new(ident)
        said = [f"{counts[what]} {one if counts[what] == 1 else many}"
                for what, one, many in _WHAT if counts[what] or what == "entity"]
        return "recorded " + (", ".join(said[:-1]) + " and " + said[-1]
                              if len(said) > 1 else said[0])


@dataclass
class _Entity:
    id: str
    kind: str
    name: str


@dataclass
class _Event:
    where: str
    id: str
    item: dict[str, Any]
    type: str = "conference"  # conference, session or meeting
    conference: str = ""


def plan(document: Any, find: Callable[[str, str], str | None]) -> Plan:
    """The import lines of a Popolo document (`find(kind, name)`: the id of a record this
    archive already has under that name, or None). Raises InvalidEvent, naming the
    object, for anything the archive cannot record as it is."""
    return _Reading(document, find).plan()


class _Reading:
    def __init__(self, document: Any, find: Callable[[str, str], str | None]):
        if not isinstance(document, dict) or not any(k in document for k in LISTS):
            raise InvalidEvent("not a Popolo document: a Popolo file is one JSON object "
                               "with lists of `persons`, `organizations`, `memberships`, "
                               "`events` or `speeches`; nothing was imported")
        self.document, self.find = document, find
        self.out = Plan()
        self.entities: dict[str, _Entity] = {}
        self.bodies: dict[str, str] = {}  # a conference body's Popolo id -> where
        self.events: dict[str, _Event] = {}
        self.conference_of_body: dict[str, str] = {}
        self.ids: dict[tuple[bool, str], str] = {}  # (entity?, id) -> where
        self.sources: dict[str, bytes] = {}
        self.further_sources = 0

    # ------------------------------------------------------------ reading the file

    def items(self, key: str) -> list[tuple[str, dict[str, Any]]]:
        items = self.document.get(key) or []
        if not isinstance(items, list):
            raise InvalidEvent(f"Popolo `{key}` is not a list; nothing was imported")
        out = []
        for n, item in enumerate(items):
            if not isinstance(item, dict):
                raise InvalidEvent(f"Popolo {key}[{n}] is not an object; nothing was "
                                   "imported")
            ident = item.get("id")
            out.append((f"{key}[{n}]" + (f" ({ident!r})" if isinstance(ident, str) else ""),
                        item))
        return out

    @staticmethod
    def fail(where: str, message: str) -> InvalidEvent:
        return InvalidEvent(f"Popolo {where}: {message}; nothing was imported")

    def text(self, where: str, item: dict[str, Any], key: str,
             required: bool = False) -> str | None:
        """A text member (blank counts as absent)."""
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return value
        if value is not None and not isinstance(value, str):
            raise self.fail(where, f"`{key}` is not a text: {value!r}"[:300])
        if required:
            raise self.fail(where, f"has no `{key}`")
        return None

    def ref(self, where: str, item: dict[str, Any], key: str) -> str | None:
        """An id member: None when absent."""
        value = item.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise self.fail(where, f"`{key}` is not an id: {value!r}"[:300])
        return value

    def ident(self, where: str, item: dict[str, Any], key: str) -> str:
        """The archive id of an item: its Popolo id, or one made from its content. Ids
        are unique among the persons and organizations, and among the rest."""
        value = self.ref(where, item, "id")
        if value is None:
            content = json.dumps(item, sort_keys=True, ensure_ascii=False)
            value = f"popolo-{key}-{hashlib.sha256(content.encode()).hexdigest()[:20]}"
        ident = archive_id(value)
        space = (key in ("persons", "organizations"), ident)
        if space in self.ids:
            raise self.fail(where, f"the id {value!r} is given twice (also "
                                   f"{self.ids[space]})")
        self.ids[space] = where
        return ident

    def source(self, where: str, item: dict[str, Any]) -> dict[str, str] | None:
        found = self.all_sources(where, item)
        self.further_sources += max(0, len(found) - 1)
        return found[0] if found else None

    def all_sources(self, where: str, item: dict[str, Any]) -> list[dict[str, str]]:
        sources = item.get("sources") or []
        if not isinstance(sources, list):
            raise self.fail(where, "`sources` is not a list")
        out: list[dict[str, str]] = []
        for s in sources:
            if not isinstance(s, dict) or not isinstance(s.get("url"), str):
                raise self.fail(where, f"a source has no `url`: {s!r}"[:300])
            if ":" not in s["url"]:  # the archive would take it for a recorded source's id
                raise self.fail(where, f"a source's `url` is not a URL: {s['url']!r}"[:300])
            one = {"url": s["url"]}
            if isinstance(s.get("note"), str) and s["note"].strip():
                one["locator"] = s["note"]
            if one not in out:
                out.append(one)
        return out

    def line(self, where: str, ident: str, type_: str, data: dict[str, Any], *,
             at: str | None = None, source: dict[str, str] | None = None) -> bytes:
        """One import line, checked now so that an error names the Popolo object."""
        obj: dict[str, Any] = {"id": ident, "type": type_}
        if at is not None:
            obj["at"] = at
        if source is not None:
            obj["source"] = source
        obj["data"] = {k: v for k, v in data.items() if v not in (None, [])}
        raw = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        try:
            parse_import_line(raw)
        except InvalidEvent as exc:
            raise self.fail(where, str(exc)) from None
        return raw

    # ------------------------------------------------------------ the plan

    def plan(self) -> Plan:
        out = self.out
        records = self._entities()
        self._events()
        made: dict[str, list[bytes]] = {"conference": [], "session": [], "meeting": []}
        make = {"conference": self._conference, "session": self._session,
                "meeting": self._meeting}
        for e in self._in_order():
            made[e.type].append(make[e.type](e))
            out.items.append((e.type, e.id))
        participations = self._memberships()
        speeches = self._speeches()
        out.lines = [*records, *self.sources.values(), *made["conference"],
                     *made["session"], *made["meeting"], *participations, *speeches]
        others = [f"{len(v)} {k}" for k, v in self.document.items()
                  if k not in LISTS and isinstance(v, list) and v]
        if others:
            out.left_out.append(f"left out {', '.join(others)}: the archive has no place "
                                "for them")
        if self.further_sources:
            out.left_out.append(f"left out {self.further_sources} further sources: the "
                                "archive keeps one source a fact")
        return out

    def _entities(self) -> list[bytes]:
        lines: list[bytes] = []
        for key, default in (("persons", "person"), ("organizations", "organisation")):
            for where, item in self.items(key):
                name = self.text(where, item, "name", required=True)
                assert name is not None
                classification = item.get("classification")
                classification = classification if isinstance(classification, str) else ""
                popolo_id = self.ref(where, item, "id")
                if key == "organizations" and classification.casefold() == "conference":
                    if popolo_id is not None:  # a conference's participants, as exported
                        self.bodies[popolo_id] = where
                    continue
                kind = "country" if key == "organizations" and \
                    classification.casefold() == "country" else default
                ident = self.ident(where, item, key)
                entity = self.find(kind, name) or ident
                if popolo_id is not None:
                    self.entities[popolo_id] = _Entity(entity, kind, name)
                data: dict[str, Any] = {"entity": entity, "kind": kind, "name": name}
                aliases, short = self._other_names(where, item, kind)
                data["aliases"] = [a for a in dict.fromkeys(aliases) if a != name]
                data["short_name"] = short
                if kind == "organisation" and classification.strip() and \
                        classification.casefold() != "organisation":
                    data["category"] = classification
                data["description"] = self.text(where, item, "summary") or \
                    self.text(where, item, "description")
                first = _derived("popolo-record-", ident)
                for n, source in enumerate(self.all_sources(where, item) or [None], 1):
                    lines.append(self.line(where, first if n == 1 else f"{first[:120]}-{n}",
                                           "entity.recorded", data, source=source))
                self.out.items.append(("entity", first))
        return lines

    def _other_names(self, where: str, item: dict[str, Any],
                     kind: str) -> tuple[list[str], str | None]:
        others = item.get("other_names") or []
        if not isinstance(others, list):
            raise self.fail(where, "`other_names` is not a list")
        aliases: list[str] = []
        short: str | None = None
        for o in others:
            if not isinstance(o, dict) or not isinstance(o.get("name"), str):
                raise self.fail(where, f"an other name has no `name`: {o!r}"[:300])
            if not o["name"].strip():
                continue
            if kind != "person" and o.get("note") == SHORT_NAME and short is None:
                short = o["name"]
            else:
                aliases.append(o["name"])
        return aliases, short

    def _events(self) -> None:
        for where, item in self.items("events"):
            self.text(where, item, "name", required=True)
            popolo_id = self.ref(where, item, "id")
            if popolo_id is None:
                raise self.fail(where, "has no `id`")
            self.events[popolo_id] = _Event(where, self.ident(where, item, "event"), item)
        for popolo_id, event in self.events.items():
            seen = [popolo_id]
            up = event
            while (parent := self.ref(up.where, up.item, "parent_id")) is not None:
                if parent not in self.events:
                    raise self.fail(up.where, f"`parent_id` {parent!r} is not one of the "
                                              "file's events")
                if parent in seen:
                    raise self.fail(event.where, "its parents go round in a circle: "
                                                 + " -> ".join(map(repr, seen + [parent])))
                seen.append(parent)
                up = self.events[parent]
            event.conference = up.id
            if up is not event:
                classification = event.item.get("classification")
                event.type = "meeting" if isinstance(classification, str) and \
                    classification in _MEETING_KINDS else "session"
        for event in self.events.values():
            parent = event.item.get("parent_id")
            if parent is not None and self.events[parent].type == "meeting":
                raise self.fail(event.where, f"is part of the side meeting {parent!r}; the "
                                             "archive records sessions and meetings in a "
                                             "conference or a session")
            body = self.ref(event.where, event.item, "organization_id")
            if event.type == "conference" and body in self.bodies:
                assert body is not None
                if body in self.conference_of_body:
                    raise self.fail(event.where, f"{body!r} is the participants of another "
                                                 "conference too")
                self.conference_of_body[body] = event.id

    def _in_order(self) -> list[_Event]:
        """The events, each after the one it is part of (else in the file's order)."""
        done: dict[str, _Event] = {}

        def visit(popolo_id: str) -> None:
            if popolo_id in done:
                return
            parent = self.events[popolo_id].item.get("parent_id")
            if parent is not None:
                visit(parent)
            done[popolo_id] = self.events[popolo_id]

        for popolo_id in self.events:
            visit(popolo_id)
        return list(done.values())

    def _parent_session(self, e: _Event) -> str | None:
        parent = e.item.get("parent_id")
        return self.events[parent].id if parent is not None and \
            self.events[parent].type == "session" else None

    @staticmethod
    def _day(value: Any) -> Any:
        return value[:10] if isinstance(value, str) and "T" in value else value

    def _conference(self, e: _Event) -> bytes:
        item = e.item
        return self.line(e.where, e.id, "conference.held", {
            "name": item["name"], "place": self.text(e.where, item, "location"),
            "start": self._day(item.get("start_date")), "end": self._day(item.get("end_date")),
            "description": self.text(e.where, item, "description")},
            source=self.source(e.where, item))

    def _session(self, e: _Event) -> bytes:
        item = e.item
        kind = item.get("classification")
        return self.line(e.where, e.id, "session.held", {
            "conference": e.conference, "title": item["name"],
            "kind": kind if isinstance(kind, str) and kind in _SESSION_KINDS else "other",
            "day": self._day(item.get("start_date")), "parent": self._parent_session(e),
            "description": self.text(e.where, item, "description")},
            source=self.source(e.where, item))

    def _meeting(self, e: _Event) -> bytes:
        item = e.item
        attendees = item.get("attendees") or []
        if not isinstance(attendees, list) or not attendees:
            raise self.fail(e.where, "a side meeting needs who took part (`attendees`)")
        who = [self.entity(e.where, a.get("id") if isinstance(a, dict) else None,
                           "an attendee") for a in attendees]
        return self.line(e.where, e.id, "meeting.held", {
            "conference": e.conference, "participants": [w.id for w in who],
            "kind": _MEETING_KINDS[item["classification"]],
            "title": None if item["name"] == UNTITLED_MEETING else item["name"],
            "outcome": self.text(e.where, item, "description"),
            "session": self._parent_session(e)},
            at=item.get("start_date"), source=self.source(e.where, item))

    def entity(self, where: str, ref: Any, what: str) -> _Entity:
        """The person or organisation an id in the file names."""
        if not isinstance(ref, str) or not ref:
            raise self.fail(where, f"names no {what}")
        if ref not in self.entities:
            raise self.fail(where, f"{what} {ref!r} is not one of the file's persons or "
                                   "organizations")
        return self.entities[ref]

    def _posts(self) -> dict[str, str | None]:
        """Each post of the file by id: its role (else its label)."""
        posts: dict[str, str | None] = {}
        for where, item in self.items("posts"):
            ident = self.ref(where, item, "id")
            if ident is None:
                raise self.fail(where, "has no `id` (memberships name a post by its id)")
            if ident in posts:
                raise self.fail(where, f"the id {ident!r} is given twice")
            posts[ident] = self.text(where, item, "role") or self.text(where, item, "label")
        return posts

    def _memberships(self) -> list[bytes]:
        lines: list[bytes] = []
        elsewhere = 0
        posts, held = self._posts(), set()
        for where, item in self.items("memberships"):
            body = self.ref(where, item, "organization_id")
            if body is None:
                raise self.fail(where, "names no organization (`organization_id`)")
            if body not in self.conference_of_body:
                if body in self.bodies or body in self.entities:
                    elsewhere += 1
                    continue
                raise self.fail(where, f"`organization_id` {body!r} is not one of the "
                                       "file's organizations")
            member = item.get("member")
            if (person := self.ref(where, item, "person_id")) is not None:
                who = self.entity(where, person, "person")
                if who.kind != "person":
                    raise self.fail(where, f"`person_id` {person!r} is an organization")
            elif isinstance(member, dict):
                who = self.entity(where, member.get("id"), "member")
                wanted = {"Person": ("person",), "Organization": ("organisation", "country")}
                kind = member.get("@type")
                if isinstance(kind, str) and who.kind not in wanted.get(kind, (who.kind,)):
                    raise self.fail(where, f"the member {member.get('id')!r} is not a {kind}")
            else:
                raise self.fail(where, "names no member (`person_id` or `member`)")
            role = self.text(where, item, "role")
            if (post := self.ref(where, item, "post_id")) in posts:
                held.add(post)
                role = role or posts[post]
            data: dict[str, Any] = {
                "conference": self.conference_of_body[body], "entity": who.id,
                "kind": who.kind, "name": who.name, "role": role}
            if (behalf_id := self.ref(where, item, "on_behalf_of_id")) is not None:
                behalf = self.entity(where, behalf_id, "`on_behalf_of_id`")
                if behalf.kind == "person":
                    raise self.fail(where, f"`on_behalf_of_id` {behalf_id!r} is a person")
                data["country" if behalf.kind == "country" else "affiliation"] = behalf.id
            label = self.text(where, item, "label")
            if label in STATUSES:
                data["status"] = label
            else:
                data["description"] = label
            ident = self.ident(where, item, "membership")
            lines.append(self.line(where, ident, "participant.attended", data,
                                   source=self.source(where, item)))
            self.out.items.append(("membership", ident))
        if elsewhere:
            self.out.left_out.append(
                f"left out {elsewhere} memberships of organizations that are not a "
                "conference's participants: the archive records taking part in a conference")
        if unheld := len(posts.keys() - held):
            self.out.left_out.append(
                f"left out {unheld} posts that no membership of a conference holds: the "
                "archive records a post as the role of who held it")
        return lines

    def _speeches(self) -> list[bytes]:
        lines: list[bytes] = []
        audio = videos = 0
        found = self.items("speeches")
        found.sort(key=lambda wi: (not isinstance(wi[1].get("position"), int),
                                   wi[1].get("position") or 0))
        for where, item in found:
            creator = self.ref(where, item, "creator_id")
            if creator is None:
                raise self.fail(where, "has no `creator_id` (who spoke)")
            speaker = self.entity(where, creator, "`creator_id`")
            at = self.ref(where, item, "event_id")
            if at is None:
                raise self.fail(where, "has no `event_id` (the session or conference it "
                                       "was given at)")
            if at not in self.events:
                raise self.fail(where, f"`event_id` {at!r} is not one of the file's events")
            event = self.events[at]
            if event.type == "meeting":
                raise self.fail(where, f"is given at the side meeting {at!r}; the archive "
                                       "records speeches at a conference or a session")
            summary, quotes = split_text(self.text(where, item, "text"))
            source = self.source(where, item)
            video = self.text(where, item, "video")
            if video is not None and (source is None or source["url"] == video):
                sid = "popolo-source-" + hashlib.sha256(video.encode()).hexdigest()[:20]
                self.sources.setdefault(sid, self.line(
                    where, sid, "source.cited", {"kind": "video", "url": video}))
                source = {**(source or {}), "url": sid}
            else:
                videos += video is not None
            audio += item.get("audio") is not None
            title = self.text(where, item, "title")
            ident = self.ident(where, item, "speech")
            lines.append(self.line(where, ident, "speech.delivered", {
                "conference": event.conference, "speaker": speaker.id,
                "kind": _SPEECH_KINDS.get(title or "", "remark"),
                "role": self.text(where, item, "role"),
                "session": event.id if event.type == "session" else None,
                "summary": summary, "quotes": quotes},
                at=item.get("date"), source=source))
            self.out.items.append(("speech", ident))
        if audio:
            self.out.left_out.append(f"left out the audio of {audio} speeches: the archive "
                                     "records no audio")
        if videos:
            self.out.left_out.append(f"left out the video of {videos} speeches: the archive "
                                     "keeps a video as the speech's source, and they cite "
                                     "another")
        return lines
