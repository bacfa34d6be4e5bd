"""The accountability report (`archive briefing --progress`): every commitment the archive
follows, who owns it, when it is due, and its whole history of updates, each with the
evidence it cites. Read from the database's `commitment_status` view and `progress`
table (so corrections and retractions are applied, and `--on`/`--as-of` cut as usual).
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from .. import statements
from ..errors import NotFound, RenderError
from ..statements import Due
from ..store import sqlite
from .data import build_stamp
from .model import Stamp


@dataclass(frozen=True)
class Update:
    status: str
    at: str | None
    note: str | None
    source_url: str | None
    source_locator: str | None


@dataclass(frozen=True)
class Followed:
    id: str
    conference: str
    point: int | None
    text: str
    owners: str
    due: Due
    status: str
    history: tuple[Update, ...]


@dataclass(frozen=True)
class Report:
    commitments: tuple[Followed, ...]
    stamp: Stamp


def load_progress(db_path: Path, conference: str | None = None) -> Report:
    with closing(sqlite.read_only(db_path)) as db:
        try:
            return _load(db, conference)
        except sqlite3.DatabaseError as exc:
            raise RenderError(f"cannot read the database {db_path}: {exc}") from None


def _load(db: sqlite3.Connection, conference: str | None) -> Report:
    cid = sqlite.conference_id(db, conference)
    rows = list(db.execute(
        "select s.*, c.name as conference from commitment_status s join conferences c on "
        "c.id = s.conference_id where ? is null or c.id = ? "
        "order by c.start, s.point is null, s.point, s.event_seq", (cid, cid)))
    if not rows:
        raise NotFound("the archive follows no commitment"
                       + (f" of {conference!r}" if conference else "")
                       + "; record one with `archive add commitment`")
    out = []
    due = statements.dues(db, cid)
    for r in rows:
        history = tuple(Update(u["status"], u["at"], u["note"], u["source_url"],
                               u["source_locator"])
                        for u in db.execute("select * from progress where commitment_id = ? "
                                            "order by event_seq", (r["id"],)))
        out.append(Followed(r["id"], r["conference"], r["point"], r["text"] or "",
                            r["owners"] or "", due[r["id"]], r["status"],
                            history))
    return Report(tuple(out), build_stamp(db))
