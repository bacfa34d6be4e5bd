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
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import statements
from ..core.names import name_key
from ..errors import Ambiguous, NotFound, RenderError
from ..statements import AGREED, FollowupStatement, Postponement, Status, agreement_status
from ..store import sqlite
from .data import build_stamp
from .model import Stamp


@dataclass(frozen=True)
class Agreed:
    title: str
    points: int
    of: int | None
    status: str | None = None

    @property
    def said(self) -> Status:
        return agreement_status(self.status)

    @property
    def agreed(self) -> bool:
        return self.status in AGREED


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
    #: what it scheduled, at the dates in force; `held_as` names the conference that
    #: was that meeting (recorded, or matched by `_held_as`)
    scheduled: tuple[FollowupStatement, ...]
    #: its column heading in the attendance table (`short_names`)
    short: str = ""
    #: its postponements, as recorded
    postponed: tuple[Postponement, ...] = ()


def short_names(names: list[str]) -> list[str]:
    """A short column heading for each meeting: its name when short, else the initials of
    its words ("First Ministers Meeting" -> "FMM"), numbered where two would be alike."""
    shorts = [n if len(n) <= 14 else "".join(w[0] for w in n.split() if w[:1].isalnum())
              for n in names]
    return [f"{x} {shorts[:i + 1].count(x)}" if shorts.count(x) > 1 else x
            for i, x in enumerate(shorts)]


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
    with closing(sqlite.read_only(db_path)) as db:
        try:
            return _load(db, name)
        except sqlite3.DatabaseError as exc:
            raise RenderError(f"cannot read the database {db_path}: {exc}") from None


def _load(db: sqlite3.Connection, name: str | None) -> Series:
    rows = list(db.execute("select * from conferences order by start, number, event_seq"))
    # every series each conference is counted in (its main one and its other ordinals)
    member: dict[str, dict[str, int | None]] = {}
    for cid, series, number in db.execute(
            "select conference_id, series, number from conference_series order by id"):
        member.setdefault(cid, {})[series] = number
    names = sorted({s for counted in member.values() for s in counted})
    if name is None:
        if len(names) > 1:
            raise Ambiguous(f"the archive holds {len(names)} series; choose one with "
                            f"--series NAME (series: {', '.join(names)})")
        name = names[0] if names else None
    if name is not None:
        key = name_key(name)
        wanted = [r for r in rows if any(name_key(s) == key for s in member.get(r["id"], {}))]
        if not wanted:
            raise NotFound(f"no series {name!r} in the archive (series: "
                           f"{', '.join(names) or 'none'})")
        rows = wanted
        name = next(s for s in member[wanted[0]["id"]] if name_key(s) == key)

    def number_in(r: sqlite3.Row) -> int | None:
        """The conference's number in the series briefed (its main number without one)."""
        if name is None:
            return r["number"]
        return next((n for s, n in member.get(r["id"], {}).items()
                     if name_key(s) == name_key(name)), None)

    if not rows:
        raise NotFound("the archive records no conference yet; nothing to brief")
    ids = [r["id"] for r in rows]
    meetings = []
    for r in rows:
        agreed = tuple(Agreed(a["title"], a["items"], a["points"], a["status"])
                       for a in db.execute(
            "select title, points, status, (select count(*) from agreement_items i where "
            "i.agreement_id = a.id) as items from agreements a where conference_id = ? "
            "order by event_seq", (r["id"],)))
        scheduled = tuple(
            f if f.held_as_name else replace(f, held_as_name=_held_as(f, r, rows))
            for f in statements.followups(db, r["id"]))
        meetings.append(Meeting(
            r["id"], r["name"], number_in(r), r["place"], r["start"], r["end"],
            db.execute("select count(distinct entity_id) from participations where "
                       "conference_id = ? and kind = 'country'", (r["id"],)).fetchone()[0],
            db.execute("select count(*) from speeches where conference_id = ?",
                       (r["id"],)).fetchone()[0], agreed, scheduled,
            postponed=statements.postponements(db, r["id"])))
    meetings = [replace(m, short=short) for m, short in
                zip(meetings, short_names([m.name for m in meetings]), strict=True)]
    attendance: dict[str, dict[str, str]] = {}
    marks = ",".join("?" * len(ids))
    for p in db.execute(
            f"select e.name, p.conference_id, coalesce(p.status, 'participant') as status "
            f"from participations p join entities e on e.id = p.entity_id where "
            f"p.kind = 'country' and p.conference_id in ({marks}) order by e.name", ids):
        attendance.setdefault(p["name"], {})[p["conference_id"]] = p["status"]
    return Series(name, tuple(meetings), attendance, build_stamp(db))


def _held_as(followup: FollowupStatement, by: sqlite3.Row, rows: list[sqlite3.Row]
             ) -> str | None:
    """The later conference of the archive that matches a follow-up no `followup.held`
    names: the same name, or the same series and begun in the month foreseen."""
    for r in rows:
        if r["id"] == by["id"]:
            continue
        if name_key(r["name"] or "") == name_key(followup.name or ""):
            return str(r["name"])
        date = followup.foreseen
        if by["series"] and r["series"] == by["series"] and date and \
                (r["start"] or "").startswith(date):
            return str(r["name"])
    return None
