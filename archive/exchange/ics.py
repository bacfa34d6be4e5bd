"""The follow-up meetings an archive records, as an iCalendar file (RFC 5545, written
with the `icalendar` library): `archive export --format ics`.

Each follow-up is one all-day event whose UID is its event id, so a calendar that
subscribes to the file, or imports it again, updates the entry instead of adding a
second one. A partial date covers what it names: `2015-09` is the whole of September,
`2016` the whole year. A follow-up with no date cannot be put in a calendar and is left
out (the database and the briefing still list it). A follow-up stands at its dates in
force (`archive.statements`): the dates held, else those it was moved to, with the date
first foreseen in its description. Nothing reads the clock: `DTSTAMP`
is when the follow-up was recorded, so the same log gives the same file.
"""

from __future__ import annotations

import datetime as dt
from contextlib import closing
from pathlib import Path

from icalendar import Calendar, Event

from .. import statements
from ..store import sqlite

PRODID = "-//Conference archive//archive export --format ics//EN"
UID_DOMAIN = "conference-archive"


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


def calendar(db_path: Path, conference: str | None = None, *,
             base_url: str | None = None) -> bytes:
    """The iCalendar file of the follow-ups in the database (of one conference, by id or
    name, when given)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Follow-up meetings")
    with closing(sqlite.read_only(db_path)) as db:
        cid = sqlite.conference_id(db, conference)
        rows = {r["id"]: r for r in db.execute(
            "select f.*, c.name as conference_name, e.recorded_at from followups f "
            "join conferences c on c.id = f.conference_id "
            "join events e on e.seq = f.event_seq "
            "where ? is null or c.id = ?", (cid, cid))}
        said = [f for f in statements.followups(db) if f.id in rows]
    for f in said:
        row = rows[f.id]
        first = span(f.start or "")
        last = span(f.end or f.start or "")
        if first is None or last is None:
            continue
        event = Event()
        event.add("uid", f"{row['event_id']}@{UID_DOMAIN}")
        event.add("summary", f.name)
        event.add("dtstart", first[0])
        event.add("dtend", last[1])
        event.add("dtstamp", dt.datetime.fromisoformat(
            row["recorded_at"].replace("Z", "+00:00")))
        if f.place:
            event.add("location", f.place)
        about = [f.description or "", f"Scheduled by {row['conference_name']}."]
        if f.state == "held":
            about.append(f"Held{f' as {f.held_as_name}' if f.held_as_name else ''}.")
        if f.moved and f.foreseen:
            about.append(f"First foreseen for {f.foreseen}"
                         f"{f' in {f.foreseen_place}' if f.foreseen_place else ''}.")
        for p in f.postponements:
            about.append(f"Postponed: {p.reason or 'the reason is not recorded'}.")
        if f.start and len(f.start) < 10:
            about.append(f"The date recorded is {f.start} (no day given).")
        event.add("description", "\n".join(x for x in about if x))
        if row["source_url"] and row["source_url"].startswith(("http://", "https://")):
            event.add("url", row["source_url"])
        cal.add_component(event)
    return cal.to_ical()
