"""The archive as Popolo JSON (https://www.popoloproject.com): `archive export --format
popolo`, for the civic-tech tools that exchange people, organisations, memberships,
events and speeches this way (SayIt, EveryPolitician, Open Civic Data). Reading it back
in is `exchange.popolo_import`.

    persons        every person (of one conference: those its facts name), with
                   `other_names` (the entity's aliases: names merged into it, names it had
                   before a correction; then the other names its records give), `sources`
                   and `links`
    organizations  countries (classification "country"), organisations (their category,
                   else "organisation"; the short name is an other name noted "short
                   name"), and one body per conference, `conference:ID`, whose members
                   are its participants (classification "conference")
    posts          each role a person held in a conference's body (`organization_id`),
                   by the role's words in lower case (`conference:ID/post/prime-minister`):
                   `label` and `role` as first recorded
    memberships    each participation: the person (`person_id`) or the country or
                   organisation (`member`) in the conference's body, with the role (a
                   person's also names its post, `post_id`), the standing as `label` (host,
                   organiser, ... participant), the body they came for as
                   `on_behalf_of_id` (the affiliation, else the country), the
                   conference's dates
    events         conferences, their sessions (`parent_id`: the session they are part
                   of, else the conference) and side meetings (classification "bilateral
                   meeting"..., `attendees`: who took part, by id and name)
    speeches       each speech: who (`creator_id`, also an organisation where one spoke),
                   the role, the kind as `title` ("Opening speech"), the summary and the
                   quotes as `text` (the summary, then each quote in “…”, blank lines
                   between), the session or conference it was given at (`event_id`)

`sources` are where the facts are read: the URL (a recorded source's own URL when the
fact cites it by id) and the locator as `note`. A person's or organisation's are those
of the facts that record it: its first mention, its own records (`entity.recorded`),
the corrections of that first mention's name, and the merges that joined others into it.
A source recorded with no URL cannot be a Popolo link and is left out.

`links` (with a base URL: `archive export --base-url`) are the reader pages: an entity's
`/archive/entities/ID`, a conference body's `/archive/conferences/ID`, a membership's
`/archive/participations/ID`. Without a base URL no link is written.

What Popolo has no place for, or the record does not say:
- A post has no dates of its own (the record gives none: a membership's are the
  conference's) and no `area`; a country's or organisation's role names no post (Popolo's
  posts are held by people).
- `audio` is never written (nothing records a speech's audio); `video` is the speech's
  source where that source is a recorded one of kind "video" (`archive add source --kind
  video`), the only recording of a speech the archive can hold.
- A speech's language: Popolo's speech has no language member, and the archive records
  no language of a speech or of a conference, so none is given.
- A speech `date` is a date-time (the Popolo schema's format): a speech recorded with a
  day only has none (its session or conference gives the day).
- Not written: a conference's organisers, supporters, series, topics and chair; a
  session's chair; a participation's category, note and further standings; a speech's
  affiliation and country; an entity's country; a meeting's duration.

Built from the database, so corrections, retractions and merges are applied. Every
object keeps this archive's id.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from ..store import sqlite
from . import links

#: The Popolo schema version this export follows.
POPOLO = "http://www.popoloproject.com/schemas/"

#: A speech's kind as its Popolo `title`, and back (`popolo_import`).
SPEECH_TITLES = {"opening": "Opening speech", "keynote": "Keynote speech",
                 "panel": "Panel contribution", "closing": "Closing speech",
                 "interview": "Interview", "remark": "Remarks", "statement": "Statement"}
#: A side meeting's kind as its Popolo `classification` (a session's is its kind:
#: plenary, panel, workshop, theme or other), and back.
MEETING_CLASSES = {"bilateral": "bilateral meeting", "trilateral": "trilateral meeting",
                   "informal": "informal meeting", "side-event": "side event",
                   "working": "working meeting", "other": "other meeting"}
#: The name of a side meeting recorded without a title (Popolo events need a name).
UNTITLED_MEETING = "Meeting on the sidelines"
#: The prefix of a conference's participants body.
BODY = "conference:"
#: The note of the other name that is an organisation's short name.
SHORT_NAME = "short name"

# Popolo's dates: an event's and a membership's (a day, or a date-time with its zone),
# an organisation's founding (a day at most), a speech's (an RFC 3339 date-time).
_WHEN = re.compile(r"[0-9]{4}((-[0-9]{2}){0,2}|(-[0-9]{2}){2}T[0-9]{2}(:[0-9]{2}){0,2}"
                   r"(Z|[+-][0-9]{2}(:[0-9]{2})?))")
_DAY = re.compile(r"[0-9]{4}(-[0-9]{2}){0,2}")
_DATE_TIME = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2})(:[0-9]{2}(\.[0-9]+)?)?"
                        r"(Z|[+-][0-9]{2}:[0-9]{2})")


def when(value: str | None) -> str | None:
    """A recorded date as a Popolo event's or membership's date: as it is, or its day
    when Popolo's pattern cannot hold it (a time without a zone, a fraction of a second)."""
    if not value:
        return None
    if _WHEN.fullmatch(value):
        return value
    return value[:10] if _DAY.fullmatch(value[:10]) else None


def _day(value: str | None) -> str | None:
    return value if value and _DAY.fullmatch(value) else None


def speech_date(value: str | None) -> str | None:
    """A speech's `at` as a Popolo speech `date` (RFC 3339: seconds added where only
    minutes are given), or None for a day alone or a time without a zone."""
    match = _DATE_TIME.fullmatch(value or "")
    if match is None:
        return None
    return match[0] if match[2] else f"{match[1]}:00{match[4]}"


def post_id(body: str, role: str) -> str:
    """The id of the post a role names in a conference's body."""
    slug = re.sub(r"\W+", "-", role.casefold()).strip("-_")
    return f"{body}/post/{slug or hashlib.sha256(role.encode()).hexdigest()[:12]}"


def split_text(text: str | None) -> tuple[str | None, list[str]]:
    """A speech's Popolo text as its summary and quotes (the inverse of the export's
    text): the trailing paragraphs each wholly in “…” are the quotes."""
    parts = text.split("\n\n") if text else []
    quotes: list[str] = []
    while parts and len(parts[-1]) > 2 and parts[-1][0] == "“" and parts[-1][-1] == "”":
        quotes.insert(0, parts.pop()[1:-1])
    return "\n\n".join(parts) or None, quotes


def _clean(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if v not in (None, [], "")}


def popolo(db_path: Path, conference: str | None = None, *,
           base_url: str | None = None) -> bytes:
    """The Popolo JSON document of the database (of one conference, by id or name)."""
    base = None if base_url is None else links.base_url(base_url)
    with closing(sqlite.read_only(db_path)) as db:
        document = _Export(db, base).document(conference)
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"


class _Export:
    """One export: the database, the base URL, and the sources facts cite by id."""

    def __init__(self, db: sqlite3.Connection, base: str | None):
        self.db, self.base = db, base
        self.cited = {r["id"]: r for r in db.execute("select id, url, kind from sources")}

    def link(self, url: str | None, note: str | None) -> dict[str, str] | None:
        """A fact's source as a Popolo link: a recorded source by its URL."""
        if url in self.cited:
            url = self.cited[url]["url"]
        if not url:
            return None
        return {"url": url, **({"note": note} if note else {})}

    def sources(self, row: sqlite3.Row) -> list[dict[str, str]]:
        found = self.link(row["source_url"], row["source_locator"])
        return [found] if found else []

    def page(self, table: str, ident: str) -> list[dict[str, str]]:
        """The reader page of a row, as Popolo `links` (none without a base URL)."""
        if self.base is None:
            return []
        return [{"url": links.reader_url(self.base, table, ident), "note": "archive page"}]

    def entity_sources(self) -> dict[str, list[dict[str, str]]]:
        """The sources of the facts that record each entity, in log order."""
        out: dict[str, list[dict[str, str]]] = {}
        for r in self.db.execute(
                "select e.id as entity, v.seq, v.source_url, v.source_locator from entities e"
                " join events v on v.id = e.first_event_id union all "
                "select entity_id, event_seq, source_url, source_locator from entity_records"
                " union all select a.entity_id, v.seq, v.source_url, v.source_locator "
                "from entity_aliases a join events v on v.id = a.merge_event_id union all "
                "select e.id, v.seq, v.source_url, v.source_locator from entities e "
                "join revisions r on r.target_event_id = e.first_event_id and r.field in "
                "('name', 'short_name', 'category', 'aliases') join events v "
                "on v.seq = r.event_seq order by 2"):
            found = self.link(r["source_url"], r["source_locator"])
            listed = out.setdefault(r["entity"], [])
            if found and found not in listed:
                listed.append(found)
        return out

    def document(self, conference: str | None) -> dict[str, list[dict[str, Any]]]:
        db = self.db
        conferences = (list(db.execute("select * from conferences order by start, event_seq"))
                       if conference is None else [sqlite.conference(db, conference)])
        cids = [c["id"] for c in conferences]
        marks = ",".join("?" * len(cids)) or "''"

        def rows(sql: str) -> list[sqlite3.Row]:
            return list(db.execute(sql.format(marks=marks), cids))

        parts = rows("select * from participations where conference_id in ({marks}) "
                     "order by event_seq")
        sessions = rows("select * from sessions where conference_id in ({marks}) "
                        "order by day, event_seq")
        meetings = rows("select * from meetings where conference_id in ({marks}) "
                        "order by event_seq")
        speeches = rows("select * from speeches where conference_id in ({marks}) "
                        "order by event_seq")
        attendees: dict[str, list[str]] = {}
        for r in rows("select meeting_id, entity_id from meeting_participants where "
                      "conference_id in ({marks}) order by event_seq, "
                      "cast(substr(id, length(meeting_id) + 2) as integer)"):
            attendees.setdefault(r["meeting_id"], []).append(r["entity_id"])
        entities = {r["id"]: r for r in db.execute("select * from entities")}
        if conference is not None:  # the entities its facts name
            used = {p[c] for p in parts for c in ("entity_id", "affiliation_id", "country_id")}
            used |= {s["speaker_id"] for s in speeches}
            used |= {e for who in attendees.values() for e in who}
            entities = {k: v for k, v in entities.items() if k in used}
        document: dict[str, list[dict[str, Any]]] = {
            "persons": [], "organizations": [], "posts": [], "memberships": [], "events": [],
            "speeches": []}
        self._entities(document, entities)
        bodies = {c["id"]: BODY + c["id"] for c in conferences}
        for c in conferences:
            document["organizations"].append(_clean({
                "id": bodies[c["id"]], "name": f"Participants of {c['name']}",
                "classification": "conference", "founding_date": _day(c["start"]),
                "dissolution_date": _day(c["end"] or c["start"]), "sources": self.sources(c),
                "links": self.page("conferences", c["id"])}))
        dates = {c["id"]: (when(c["start"]), when(c["end"] or c["start"])) for c in conferences}
        posts: dict[str, dict[str, Any]] = {}
        for p in parts:
            body = bodies[p["conference_id"]]
            member = ({"person_id": p["entity_id"]} if p["kind"] == "person" else
                      {"member": {"@type": "Organization", "id": p["entity_id"]}})
            post = post_id(body, p["role"]) if p["role"] and p["kind"] == "person" else None
            if post is not None and post not in posts:
                posts[post] = {"id": post, "label": p["role"], "role": p["role"],
                               "organization_id": body}
            document["memberships"].append(_clean({
                "id": p["id"], **member, "organization_id": body, "post_id": post,
                "role": p["role"], "label": p["status"] or "participant",
                "on_behalf_of_id": p["affiliation_id"] or p["country_id"],
                "start_date": dates[p["conference_id"]][0],
                "end_date": dates[p["conference_id"]][1], "sources": self.sources(p),
                "links": self.page("participations", p["id"])}))
        document["posts"] = list(posts.values())
        self._events(document, conferences, sessions, meetings, attendees, entities, bodies)
        self._speeches(document, speeches)
        return document

    def _entities(self, document: dict[str, list[dict[str, Any]]],
                  entities: dict[str, sqlite3.Row]) -> None:
        said = self.entity_sources()
        recorded: dict[str, list[str]] = {}  # the other names its own records give
        for r in self.db.execute("select entity_id, aliases from entity_records "
                                 "order by event_seq"):
            recorded.setdefault(r["entity_id"], []).extend(json.loads(r["aliases"] or "[]"))
        for ident, e in sorted(entities.items(), key=lambda kv: (kv[1]["name"].casefold(),
                                                                 kv[0])):
            names = [*json.loads(e["aliases"] or "[]"), *recorded.get(ident, [])]
            others = [{"name": a} for a in dict.fromkeys(names) if a != e["name"]]
            item = {"id": ident, "name": e["name"], "other_names": others}
            if e["kind"] != "person":
                item["classification"] = ("country" if e["kind"] == "country" else
                                          e["category"] or "organisation")
                if e["short_name"]:
                    others.append({"name": e["short_name"], "note": SHORT_NAME})
            item.update(sources=said.get(ident, []), links=self.page("entities", ident))
            document["persons" if e["kind"] == "person" else "organizations"].append(
                _clean(item))

    def _events(self, document: dict[str, list[dict[str, Any]]],
                conferences: list[sqlite3.Row], sessions: list[sqlite3.Row],
                meetings: list[sqlite3.Row], attendees: dict[str, list[str]],
                entities: dict[str, sqlite3.Row], bodies: dict[str, str]) -> None:
        events = document["events"]
        for c in conferences:
            events.append(_clean({
                "id": c["id"], "name": c["name"], "classification": "conference",
                "description": c["description"], "start_date": when(c["start"]),
                "end_date": when(c["end"]), "location": c["place"],
                "organization_id": bodies[c["id"]], "sources": self.sources(c)}))
        for s in sessions:
            events.append(_clean({
                "id": s["id"], "name": s["title"], "classification": s["kind"],
                "description": s["description"], "start_date": when(s["day"]),
                "parent_id": s["parent_id"] or s["conference_id"], "sources": self.sources(s)}))
        for m in meetings:
            events.append(_clean({
                "id": m["id"], "name": m["title"] or UNTITLED_MEETING,
                "classification": MEETING_CLASSES.get(m["kind"], m["kind"]),
                "description": m["outcome"], "start_date": when(m["at"]),
                "parent_id": m["session_id"] or m["conference_id"],
                "attendees": [{"id": e, "name": entities[e]["name"]}
                              for e in attendees.get(m["id"], []) if e in entities],
                "sources": self.sources(m)}))

    def _speeches(self, document: dict[str, list[dict[str, Any]]],
                  speeches: list[sqlite3.Row]) -> None:
        quotes: dict[str, list[str]] = {}
        for q in self.db.execute("select speech_id, text from quotes order by speech_id, n"):
            quotes.setdefault(q["speech_id"], []).append(q["text"])
        for position, s in enumerate(speeches, 1):
            text = "\n\n".join([*([s["summary"]] if s["summary"] else []),
                                *(f"“{q}”" for q in quotes.get(s["id"], []))])
            cited = self.cited.get(s["source_url"])
            video = cited["url"] if cited is not None and cited["kind"] == "video" else None
            document["speeches"].append(_clean({
                "id": s["id"], "creator_id": s["speaker_id"],
                "attribution_text": s["speaker_name"], "role": s["role"],
                "title": SPEECH_TITLES.get(s["kind"]), "text": text, "type": "speech",
                "position": position, "event_id": s["session_id"] or s["conference_id"],
                "date": speech_date(s["at"]), "video": video, "sources": self.sources(s)}))
