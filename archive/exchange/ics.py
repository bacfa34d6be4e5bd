"""The follow-up meetings an archive records, as iCalendar files (RFC 5545, written with
the `icalendar` library): `archive export --format ics` for the whole archive, `--conference
C` for the meetings one conference scheduled; `archive serve` serves the same files at
`/-/calendar.ics` and `/-/calendar/<conference id>.ics` (`serve/plugins/archive_calendar.py`).

Each follow-up is one event (VEVENT), read from the built database:

- UID is its event id, so a calendar that subscribes to the file, or imports it again,
  updates the entry instead of adding a second one.
- DTSTART and DTEND are its dates in force (`archive.statements`: the dates held, else
  those it was moved to, else those foreseen). A date is an all-day event (VALUE=DATE,
  DTEND the day after the last, as RFC 5545 counts it); a partial date covers what it
  names: `2015-09` is the whole of September, `2016` the whole year. A date-time is put at
  its time in the time zone of the place (TZID, with its VTIMEZONE) when the record gives
  it (`zone_of`): the place is a city of the tz database (`Tashkent`: Asia/Tashkent), or
  in a country the tz database gives one zone (`Geneva, Switzerland`, or a conference
  whose host country is Switzerland: Europe/Zurich), or in a country of several zones of
  which the time picks one (`Astana, Kazakhstan` at `2015-06-29T10:00+06:00`: Asia/Almaty,
  the most populous zone of that offset). No zone is guessed for any other place: a time
  recorded with its offset (`...T10:00+05:00`) is put in UTC, and a local time at a place
  of no known zone on its day, all-day, with the time in the description. An end
  recorded as a day ends at the midnight after it; with no end recorded there is no
  DTEND (RFC 5545: the event ends when it starts).
- LOCATION is the place in force, with the host country of the conference that was the
  meeting where the record gives one (and the meeting is at that conference's dates).
- STATUS is CONFIRMED once the record says a conference of the archive was that meeting,
  TENTATIVE while it is only foreseen or postponed (RFC 5545 3.8.1.11: tentative, not yet
  definite: what a plan "for September" is), and CANCELLED for a retracted follow-up,
  which stays in the file at its last recorded dates so that a subscribed calendar
  removes it rather than keeping a stale entry; and CANCELLED, at the date it last had,
  for a follow-up whose date a correction took away (the description says so).
- SEQUENCE counts the recorded changes to its schedule since it was scheduled
  (`schedule_changes`): its corrections, each record that it was held as a conference,
  the postponements of that conference, corrections of that conference's dates or place,
  and any retraction of these or of the follow-up itself. It is counted from what the
  log holds, so it never goes down as the log grows and goes up whenever the dates,
  place or status change: a subscribed calendar takes the new version. DTSTAMP and
  LAST-MODIFIED are when the latest of those changes was recorded, CREATED when the
  follow-up was: nothing reads the clock, so the same log gives the same file, byte for
  byte (time zones as the installed tz database gives them).
- ORGANIZER names (CN) the organisers of the conference that was the meeting, else of the
  conference that scheduled it (the names recorded as its organisers, else its
  participants of organiser standing, else its chair). RFC 5545 makes ORGANIZER a
  cal-address, a URI: with a base URL it is the reader page of the one organiser
  recorded as an entity, else of that conference (which names its organisers). Without
  a base URL the archive has no address for them and invents none (no e-mail, no
  relative link, which is no URI): ORGANIZER is left out and the description says who
  organised the conference.
- DESCRIPTION says what it is for, which conference scheduled it, its history (held as,
  first foreseen for, each postponement), a retraction's reason, and its source (URL or
  recorded source, and locator).
- URL is the follow-up's reader page with a base URL (a retracted one's: the page of its
  retraction), else its source's URL when that is a web address.

A follow-up that never had a date cannot be put in a calendar and is left out (the database and
the briefing still list it). The calendar is named (X-WR-CALNAME, and RFC 7986 NAME) after
the conference, or the series all its conferences belong to, else "Follow-up meetings".
RFC 5545 3.6 requires at least one component and names a calendar of time zone
information only as a valid form; the icalendar library writes an empty calendar with
none, which strict validators reject (collective/icalendar#251), so a calendar with no
meeting holds the UTC time zone only.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from icalendar import Calendar, Event, Timezone, TimezoneStandard, vCalAddress

from .. import statements
from ..core.langs import country_codes
from ..store import sqlite
from . import links

PRODID = "-//Conference archive//archive export --format ics//EN"
UID_DOMAIN = "conference-archive"
#: The name of a calendar of several conferences that share no series.
ALL = "Follow-up meetings"
UTC = dt.UTC

# ---------------------------------------------------------------- dates and times


def span(date: str) -> tuple[dt.date, dt.date] | None:
    """The first day and the day after the last of a (partial) date, or None."""
    try:
        if len(date) >= 10:
            day = dt.date.fromisoformat(date[:10])
            return day, day + dt.timedelta(days=1)
        if len(date) == 7:
            first = dt.date(int(date[:4]), int(date[5:7]), 1)
            after = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return first, after
        if len(date) == 4:
            return dt.date(int(date), 1, 1), dt.date(int(date) + 1, 1, 1)
    except ValueError:
        return None
    return None


_MOMENT = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?"
                     r"(Z|[+-]\d{2}:\d{2})?$")


def moment(value: str | None) -> dt.datetime | None:
    """The date-time a value records, to the second: aware when it was recorded with its
    offset, else naive (the local time of its place); None for a date."""
    m = _MOMENT.match(value or "")
    if m is None:
        return None
    day, hour, minute, second, offset = m.groups()
    offset = "+00:00" if offset == "Z" else offset or ""
    try:
        return dt.datetime.fromisoformat(f"{day}T{hour}:{minute}:{second or '00'}{offset}")
    except ValueError:
        return None


#: The areas of the tz database whose zones are named after a city.
_AREAS = frozenset({"Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia",
                    "Europe", "Indian", "Pacific"})


@lru_cache(maxsize=1)
def _cities() -> dict[str, str]:
    """Each city of the tz database (its name folded) and its zone: of two names of one
    zone (a link), the first in order."""
    found: dict[str, str] = {}
    for key in sorted(available_timezones()):
        area, _, rest = key.partition("/")
        if area in _AREAS and rest:
            found.setdefault(rest.rsplit("/", 1)[-1].replace("_", " ").casefold(), key)
    return found


@lru_cache(maxsize=1)
def _country_zones() -> dict[str, tuple[str, ...]]:
    """Each country (ISO 3166 code) and its zones, as the tz database's `zone.tab` lists
    them: the most populous first. Read where `zoneinfo` reads its zones (the system's
    tz database, else the `tzdata` package)."""
    found: dict[str, list[str]] = defaultdict(list)
    for line in _zone_table().splitlines():
        fields = line.split("\t")
        if len(fields) >= 3 and not line.startswith("#"):
            found[fields[0]].append(fields[2])
    return {code: tuple(zones) for code, zones in found.items()}


def _zone_table() -> str:
    for folder in zoneinfo.TZPATH:
        path = Path(folder) / "zone.tab"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    try:
        return (resources.files("tzdata") / "zoneinfo" / "zone.tab").read_text("utf-8")
    except (ModuleNotFoundError, OSError):
        return ""


def zone_of(place: str | None, country: str | None = None,
            at: Iterable[dt.datetime] = ()) -> ZoneInfo | None:
    """The time zone of a place, else None (no zone is guessed):
    - the place, or a part of it between commas, is a city of the tz database, named as
      it is there (`New York`: America/New_York; `Tashkent, Uzbekistan`);
    - else a part of it names a country (else `country`, the host country recorded) that
      the tz database gives one zone (`Geneva, Switzerland`: Europe/Zurich);
    - else, of that country's several zones, the most populous of those that give the
      times `at` their offsets: a time recorded with its offset (`Astana, Kazakhstan` at
      `2015-06-29T10:00+06:00`: Asia/Almaty, not Asia/Aqtobe), or a local time at which
      every zone of the country agrees (all of Kazakhstan since March 2024)."""
    parts = [" ".join(p.split()) for p in (place or "").split(",")]
    for part in parts:  # no city of the tz database has a comma in its name
        if key := _cities().get(part.casefold()):
            return ZoneInfo(key)
    codes = [country_codes().get(x.casefold()) for x in [*reversed(parts), country or ""]]
    zones = _country_zones().get(next((c for c in codes if c), ""), ())
    if len(zones) == 1:
        return ZoneInfo(zones[0])
    moments = list(at)
    if not zones or not moments:
        return None
    fits = [z for z in map(ZoneInfo, zones) if all(
        _offset(t, z) == t.utcoffset() for t in moments if t.tzinfo is not None)]
    local = [t for t in moments if t.tzinfo is None]
    if fits and any(len({_offset(t, z) for z in fits}) > 1 for t in local):
        return None  # a local time its zones disagree on
    return fits[0] if fits else None


def _offset(when: dt.datetime, zone: ZoneInfo) -> dt.timedelta | None:
    return (when.astimezone(zone) if when.tzinfo else when.replace(tzinfo=zone)).utcoffset()


When = tuple[dt.date | dt.datetime, dt.date | dt.datetime | None]


def times(start: str, end: str | None, zone: ZoneInfo | None) -> When | None:
    """A meeting's start and end as date-times, in the place's zone (else UTC, for a time
    recorded with its offset), or None when it has no time or no zone to put it in."""
    first = moment(start)
    if first is None or first.tzinfo is None and zone is None:
        return None
    tz: dt.tzinfo = zone or UTC
    first = first.replace(tzinfo=tz) if first.tzinfo is None else first.astimezone(tz)
    if end is None or end == start:
        return first, None
    last = moment(end)
    if last is None:  # ends on a day: at the midnight after it
        after = span(end)
        last = dt.datetime.combine(after[1], dt.time(), tz) if after else None
    elif last.tzinfo is None:
        last = last.replace(tzinfo=zone) if zone else None
    else:
        last = last.astimezone(tz)
    return first, last if last is not None and last > first else None


def days(start: str, end: str | None) -> When | None:
    """A meeting's first day and the day after its last (all-day), or None."""
    first = span(start)
    if first is None:
        return None
    last = span(end or start)
    return first[0], (last if last and last[1] > first[0] else first)[1]


def _stamp(recorded_at: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(recorded_at.replace("Z", "+00:00"))
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


# ---------------------------------------------------------------- what the record says


@dataclass(frozen=True)
class Organiser:
    """Who organised a conference, as recorded: their names, the one entity they are
    (when the record names one), the conference, and how they are said."""

    names: tuple[str, ...]
    entity: str | None
    conference: str
    role: str  # "organised by" or "chaired by"


@dataclass(frozen=True)
class Meeting:
    """One follow-up as the calendar shows it."""

    id: str
    name: str
    start: str | None
    end: str | None
    place: str | None
    country: str | None
    status: str  # CONFIRMED, TENTATIVE or CANCELLED
    notes: tuple[str, ...]
    organiser: Organiser | None
    source: tuple[str | None, str | None]  # its URL (or recorded source's) and locator
    source_title: str | None
    created: str
    page: tuple[str, str]  # the table and row of its reader page


#: The fields of a conference whose correction moves a meeting that was that conference.
MOVING = frozenset({"start", "end", "place", "host_country"})


def schedule_changes(db: sqlite3.Connection) -> dict[str, dict[str, str]]:
    """For each follow-up (by id), the recorded changes to its schedule, each by its
    event id with when it was recorded: every record that it was held as a conference
    (live or retracted), the postponements of those conferences, the corrections of the
    follow-up, of those records and postponements and of those conferences' dates and
    place, and the retractions of any of them or of the follow-up. A record counts by
    its payload as recorded and as corrected, so no change drops out as the log grows."""
    at: dict[str, str] = {}
    held: dict[str, set[str]] = defaultdict(set)  # follow-up -> its held records
    held_as: dict[str, set[str]] = defaultdict(set)  # held record -> conferences
    moved: dict[str, set[str]] = defaultdict(set)  # conference -> its postponements
    payloads = ("select e.id, e.recorded_at, e.data, c.data from events e left join "
                "_archive_current c on c.event_id = e.id where e.type = ?")
    for id_, recorded, *data in db.execute(payloads, ("followup.held",)):
        at[id_] = recorded
        for d in (json.loads(x) for x in data if x):
            held[d.get("followup")].add(id_)
            held_as[id_].add(d.get("held_as"))
    for id_, followup, conference in db.execute(
            "select id, followup_id, held_as_id from followups_held"):
        held[followup].add(id_)
        held_as[id_].add(conference)
    for id_, recorded, *data in db.execute(payloads, ("conference.postponed",)):
        at[id_] = recorded
        for d in (json.loads(x) for x in data if x):
            moved[d.get("conference")].add(id_)
    for id_, conference in db.execute("select id, conference_id from postponements"):
        moved[conference].add(id_)
    fixes: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for fix, target, field, recorded in db.execute(
            "select correction_event_id, target_event_id, field, recorded_at from revisions "
            "where table_name in ('followups', 'followups_held', 'postponements', "
            "'conferences')"):
        fixes[target].append((fix, field, recorded))
    withdrawn: dict[str, tuple[str, str]] = {
        target: (id_, recorded) for id_, target, recorded in db.execute(
            "select id, target_event_id, recorded_at from retractions")}
    out: dict[str, dict[str, str]] = {}
    for followup in db.execute(
            "select id from followups union select target_event_id from retractions "
            "where target_type = 'followup.scheduled'"):
        own = held.get(followup[0], set())
        conferences = set().union(*(held_as[h] for h in own))
        moves = set().union(*(moved.get(c, set()) for c in conferences))
        facts = {followup[0]} | own | moves
        changes = {i: at[i] for i in own | moves if i in at}
        for target in facts:
            changes.update((fix, recorded) for fix, _, recorded in fixes.get(target, ()))
            if target in withdrawn:
                retraction, recorded = withdrawn[target]
                changes[retraction] = recorded
        for conference in conferences:
            changes.update((fix, recorded) for fix, field, recorded
                           in fixes.get(conference, ()) if field in MOVING)
        out[followup[0]] = changes
    return out


def _organiser(db: sqlite3.Connection, conference: str) -> Organiser | None:
    """Who organised the conference: the names recorded as its organisers, else its
    participants of organiser standing, else its chair."""
    row = db.execute("select organisers, chair_id from conferences where id = ?",
                     (conference,)).fetchone()
    if row is None:
        return None
    names = tuple(json.loads(row["organisers"] or "[]"))
    people = [(r[0], r[1]) for r in db.execute(
        "select e.id, e.name from participations p join entities e on e.id = p.entity_id "
        "where p.conference_id = ? and (p.status = 'organiser' or exists (select 1 from "
        "json_each(coalesce(p.also, '[]')) where value = 'organiser')) group by e.id "
        "order by min(p.event_seq)", (conference,))]
    if names:
        return Organiser(names, None, conference, "organised by")
    if people:
        return Organiser(tuple(n for _, n in people), people[0][0] if len(people) == 1
                         else None, conference, "organised by")
    chair = row["chair_id"] and db.execute("select name from entities where id = ?",
                                           (row["chair_id"],)).fetchone()
    if chair:
        return Organiser((chair[0],), row["chair_id"], conference, "chaired by")
    return None


def _by(organiser: Organiser | None) -> str:
    return f" ({organiser.role} {'; '.join(organiser.names)})" if organiser else ""


def _source(db: sqlite3.Connection, url: str | None) -> tuple[str | None, str | None]:
    """A fact's source as a web address and title: a recorded source's, else the URL."""
    if url:
        found = db.execute("select url, title from sources where id = ?", (url,)).fetchone()
        if found:
            return found[0], found[1]
    return url, None


def meetings(db: sqlite3.Connection, conference: str | None) -> list[Meeting]:
    """The follow-ups of the database (scheduled by one conference, by id, when given):
    the live ones at their dates in force, then the retracted ones at their last dates."""
    confs = {r["id"]: r for r in db.execute("select * from conferences")}
    organisers: dict[str, Organiser | None] = {}

    def organiser(cid: str) -> Organiser | None:
        if cid not in organisers:
            organisers[cid] = _organiser(db, cid)
        return organisers[cid]

    rows = {r["id"]: r for r in db.execute(
        "select f.id, f.conference_id, f.source_url, f.source_locator, e.recorded_at from "
        "followups f join events e on e.seq = f.event_seq where ? is null or "
        "f.conference_id = ?", (conference, conference))}
    out = []
    for f in statements.followups(db, conference):
        row = rows[f.id]
        if f.start is None:  # no date in force: a calendar shows nothing, so one that
            # had it is told it is off (unless it was held: then it is not cancelled)
            if not f.held_as_id and (withdrawn := _date_withdrawn(db, f.id)) is not None:
                last, reason = withdrawn
                url, title = _source(db, row["source_url"])
                by = organiser(row["conference_id"])
                out.append(Meeting(
                    f.id, f.name, last, last, f.place, None, "CANCELLED", (
                        f.description or "",
                        f"Scheduled by {confs[row['conference_id']]['name']}{_by(by)}.",
                        f"Its date ({last}) was withdrawn by a correction: {reason}; the "
                        "record gives none now."), by, (url, row["source_locator"]), title,
                    row["recorded_at"], ("followups", f.id)))
            continue
        scheduler = confs[row["conference_id"]]
        held = confs.get(f.held_as_id) if f.held_as_id else None
        by = organiser(held["id"] if held else scheduler["id"])
        notes = [f.description or "",
                 f"Scheduled by {scheduler['name']}{'' if held else _by(by)}."]
        if held:
            notes.append(f"{'Held' if f.state == 'held' else 'To be held'} as "
                         f"{held['name']}{_by(by)}.")
        if f.moved and f.foreseen:
            notes.append(f"First foreseen for {f.foreseen}"
                         f"{f' in {f.foreseen_place}' if f.foreseen_place else ''}.")
        for p in f.postponements:
            notes.append(f"Postponed: {p.reason or 'the reason is not recorded'}.")
        url, title = _source(db, row["source_url"])
        out.append(Meeting(
            f.id, f.name, f.start, f.end, f.place,
            held["host_country"] if held and held["start"] and f.state == "held" else None,
            "CONFIRMED" if f.state == "held" else "TENTATIVE", tuple(notes), by,
            (url, row["source_locator"]), title, row["recorded_at"], ("followups", f.id)))
    for r in db.execute(
            "select r.id as retraction, r.reason, e.id, e.recorded_at, e.source_url, "
            "e.source_locator, coalesce(c.data, e.data) as data from retractions r "
            "join events e on e.id = r.target_event_id left join _archive_current c on "
            "c.event_id = e.id where r.target_type = 'followup.scheduled' "
            "order by r.event_seq"):
        data: dict[str, Any] = json.loads(r["data"])
        cid = str(data.get("conference"))
        if conference is not None and cid != conference:
            continue
        scheduler = confs.get(cid)
        by = organiser(cid) if scheduler else None
        notes = [data.get("description") or "",
                 f"Scheduled by {scheduler['name'] if scheduler else cid}{_by(by)}.",
                 f"Withdrawn from the record: {r['reason']}."]
        url, title = _source(db, r["source_url"])
        out.append(Meeting(
            r["id"], data.get("name") or r["id"], data.get("when"), data.get("when"),
            data.get("where"), None, "CANCELLED", tuple(notes), by,
            (url, r["source_locator"]), title, r["recorded_at"],
            ("retractions", r["retraction"])))
    return out


def _date_withdrawn(db: sqlite3.Connection, followup: str) -> tuple[str, str] | None:
    """The date a follow-up last had and the reason, when its latest correction of `when`
    took the date away (a calendar that had it must be told it is off)."""
    row = db.execute("select old_value, new_value, reason from revisions where "
                     "target_event_id = ? and field = 'when' order by event_seq desc "
                     "limit 1", (followup,)).fetchone()
    if row is None or row["new_value"] or not row["old_value"]:
        return None
    return row["old_value"], row["reason"] or "the reason is not recorded"


def calendar_name(db: sqlite3.Connection, conference: str | None) -> str:
    """The conference's name, else the series every conference belongs to, else ALL."""
    if conference is not None:
        return str(db.execute("select name from conferences where id = ?", (conference,)
                              ).fetchone()[0])
    series = {r[0] for r in db.execute("select series from conferences")}
    return series.pop() if len(series) == 1 and None not in series else ALL


# ---------------------------------------------------------------- the file


def _event(m: Meeting, changes: dict[str, str], base: str | None,
           zones: dict[str, list[dt.date]]) -> Event | None:
    """The VEVENT of a meeting (None when it has no date); the zone it uses and the days
    it covers are added to `zones`."""
    zone = zone_of(m.place, m.country, [t for t in (moment(m.start), moment(m.end)) if t])
    when = times(m.start or "", m.end, zone)
    notes = list(m.notes)
    clock = moment(m.start)
    if when is None:
        when = days(m.start or "", m.end)
        if when is None:
            return None
        if clock is not None:
            notes.append(f"At {clock:%H:%M} local time (no time zone is known for "
                         f"{m.place or 'a place not recorded'}).")
    elif isinstance(tz := getattr(when[0], "tzinfo", None), ZoneInfo):
        zones[tz.key].extend(w.date() for w in when if isinstance(w, dt.datetime))
    if m.start and len(m.start) < 10:
        notes.append(f"The date recorded is {m.start} (no day given).")
    url, locator = m.source
    if url:
        notes.append(f"Source: {m.source_title + ', ' if m.source_title else ''}{url}"
                     f"{f' ({locator})' if locator else ''}")
    event = Event()
    event.add("uid", f"{m.id}@{UID_DOMAIN}")
    event.add("summary", m.name)
    event.add("dtstart", when[0])
    if when[1] is not None:
        event.add("dtend", when[1])
    stamp = max(_stamp(x) for x in [m.created, *changes.values()])
    event.add("dtstamp", stamp)
    event.add("created", _stamp(m.created))
    event.add("last-modified", stamp)
    event.add("sequence", len(changes))
    event.add("status", m.status)
    where = [x for x in (m.place, m.country) if x]
    if len(where) == 2 and where[1].casefold() in where[0].casefold():
        where = where[:1]
    if where:
        event.add("location", ", ".join(where))
    if base and m.organiser:
        address = vCalAddress(links.reader_url(base, "entities", m.organiser.entity)
                              if m.organiser.entity else
                              links.reader_url(base, "conferences", m.organiser.conference))
        address.params["cn"] = "; ".join(m.organiser.names)
        event.add("organizer", address)
    event.add("description", "\n".join(x for x in notes if x))
    if base:
        event.add("url", links.reader_url(base, *m.page))
    elif url and url.startswith(("http://", "https://")):
        event.add("url", url)
    return event


def _utc() -> Timezone:
    """UTC as a time zone component: what a calendar with no meeting holds."""
    zone = Timezone()
    zone.add("tzid", "UTC")
    standard = TimezoneStandard()
    standard.add("dtstart", dt.datetime(1970, 1, 1))
    standard.add("tzoffsetfrom", dt.timedelta(0))
    standard.add("tzoffsetto", dt.timedelta(0))
    standard.add("tzname", "UTC")
    zone.add_component(standard)
    return zone


def _timezones(zones: dict[str, list[dt.date]]) -> Iterable[Timezone]:
    """The VTIMEZONE of each zone used, in name order, over the years its events cover."""
    for key in sorted(zones):
        first, last = min(zones[key]), max(zones[key])
        yield Timezone.from_tzid(key, first_date=dt.date(first.year, 1, 1),
                                 last_date=dt.date(last.year + 1, 1, 1))


def calendar(db_path: Path, conference: str | None = None, *,
             base_url: str | None = None) -> bytes:
    """The iCalendar file of the follow-ups in the database (those one conference
    scheduled, by id or name, when given); `base_url` gives the links to reader pages."""
    base = links.base_url(base_url) if base_url else None
    with closing(sqlite.read_only(db_path)) as db:
        cid = sqlite.conference_id(db, conference)
        name = calendar_name(db, cid)
        found = meetings(db, cid)
        changes = schedule_changes(db)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.calendar_name = name
    zones: dict[str, list[dt.date]] = defaultdict(list)
    events = [e for e in (_event(m, changes.get(m.id, {}), base, zones) for m in found) if e]
    for zone in _timezones(zones):
        cal.add_component(zone)
    for event in events:
        cal.add_component(event)
    if not cal.subcomponents:
        cal.add_component(_utc())
    return cal.to_ical()
