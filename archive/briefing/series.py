"""The briefing of a series (`archive briefing --series [NAME]`): one page per conference
(where, when, what was agreed, what it scheduled), attendance across the series (each
country by conference, with its standing), and the follow-ups each conference scheduled
with the later conference in the archive that was that meeting, if any.

A follow-up is matched to a later conference of the archive when their names are the
same, or when the conference belongs to the same series and began in the month (or on
the day, or in the year) the follow-up was scheduled for — the same rule as the
`followups_held` query in Datasette.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Ambiguous, NotFound, RenderError
from .data import build_stamp, connect
from .model import Stamp


@dataclass(frozen=True)
class Scheduled:
    name: str
    date: str | None
    place: str | None
    held_as: str | None


@dataclass(frozen=True)
class Agreed:
    title: str
    points: int
    of: int | None


@dataclass(frozen=True)
class Meeting:
    id: str
    name: str
    number: int | None
    place: str | None
    start: str | None
    end: str | None
    countries: int
    speeches: int
    agreements: tuple[Agreed, ...]
    scheduled: tuple[Scheduled, ...]


@dataclass(frozen=True)
class Series:
    name: str | None
    meetings: tuple[Meeting, ...]
    #: country -> {conference id: standing}
    attendance: dict[str, dict[str, str]] = field(default_factory=dict)
    stamp: Stamp | None = None


def load_series(db_path: Path, name: str | None) -> Series:
    """The conferences of series `name` (or of the archive's only series, or all of them
    when none has a series), oldest first."""
    with closing(connect(db_path)) as db:
        try:
            return _load(db, name)
        except sqlite3.DatabaseError as exc:
            raise RenderError(f"cannot read the database {db_path}: {exc}") from None


def _load(db: sqlite3.Connection, name: str | None) -> Series:
    rows = list(db.execute("select * from conferences order by start, number, event_seq"))
    names = sorted({r["series"] for r in rows if r["series"]})
    if name is None:
        if len(names) > 1:
            raise Ambiguous(f"the archive holds {len(names)} series; choose one with "
                            f"--series NAME (series: {', '.join(names)})")
        name = names[0] if names else None
    if name is not None:
        wanted = [r for r in rows if (r["series"] or "").casefold() == name.casefold()]
        if not wanted:
            raise NotFound(f"no series {name!r} in the archive (series: "
                           f"{', '.join(names) or 'none'})")
        rows, name = wanted, wanted[0]["series"]
    if not rows:
        raise NotFound("the archive records no conference yet; nothing to brief")
    ids = [r["id"] for r in rows]
    meetings = []
    for r in rows:
        agreed = tuple(Agreed(a["title"], a["items"], a["points"]) for a in db.execute(
            "select title, points, (select count(*) from agreement_items i where "
            "i.agreement_id = a.id) as items from agreements a where conference_id = ? "
            "order by event_seq", (r["id"],)))
        scheduled = tuple(
            Scheduled(f["name"], f["date"], f["place"], _held_as(f, r, rows))
            for f in db.execute("select * from followups where conference_id = ? "
                                "order by date is null, date, event_seq", (r["id"],)))
        meetings.append(Meeting(
            r["id"], r["name"], r["number"], r["place"], r["start"], r["end"],
            db.execute("select count(distinct entity_id) from participations where "
                       "conference_id = ? and kind = 'country'", (r["id"],)).fetchone()[0],
            db.execute("select count(*) from speeches where conference_id = ?",
                       (r["id"],)).fetchone()[0], agreed, scheduled))
    attendance: dict[str, dict[str, str]] = {}
    marks = ",".join("?" * len(ids))
    for p in db.execute(
            f"select e.name, p.conference_id, coalesce(p.status, 'participant') as status "
            f"from participations p join entities e on e.id = p.entity_id where "
            f"p.kind = 'country' and p.conference_id in ({marks}) order by e.name", ids):
        attendance.setdefault(p["name"], {})[p["conference_id"]] = p["status"]
    return Series(name, tuple(meetings), attendance, build_stamp(db))


def _held_as(followup: sqlite3.Row, by: sqlite3.Row, rows: list[sqlite3.Row]) -> str | None:
    for r in rows:
        if r["id"] == by["id"]:
            continue
        if (r["name"] or "").casefold() == (followup["name"] or "").casefold():
            return str(r["name"])
        date = followup["date"]
        if by["series"] and r["series"] == by["series"] and date and \
                (r["start"] or "").startswith(date):
            return str(r["name"])
    return None
