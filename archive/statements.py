"""Statements: the record, as every output says it.

Outputs (the briefings, the series and progress reports, the calendar, the feed) do not
turn database rows into sentences by themselves: they render statements, typed claims
made here from the built database (which already holds the record on the `--on` date).
So "agreed", "held", "postponed" and "foreseen" mean one thing everywhere, and an output
that needs a new kind of sentence adds it here. Wording lives in the templates; the
facts, and the words for a recorded status, live here.

- An agreement's status in force is the one recorded (corrections applied); the words
  for it come from `AGREEMENT_STATUS`, never from the event's type: a pact recorded as
  proposed is not "agreed".
- A follow-up's dates in force are the record's latest word: the dates of the conference
  that was that meeting (`followup.held`), else the date a postponement moved it to, else
  the date foreseen. The date first foreseen and every postponement stay as its history.
- A proposal is what the record says of it: who put it forward when that is recorded,
  and whether a commitment took it up; no output says who proposed what, or that the
  conference did not adopt it, beyond that.
- A text said in fewer characters (a chart's label, a feed's title, a pasted link's
  words) is `shortened` after a whole word, with an ellipsis.
- A commitment's due date in force is its latest live rescheduling's, else the one agreed;
  the date first agreed and every move stay as its history, and "overdue" counts from
  the date in force.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

# ---------------------------------------------------------------- words

#: Small words a shortened text does not end on ("Conference…", not "Conference on…").
_LINKING = frozenset("a an and at by for in of on or the to with".split())


def shortened(text: str, fits: int) -> str:
    """`text` with an ellipsis after the last whole word of its first `fits` characters
    (the ellipsis takes one more), never cut inside a word; a first word longer than that
    is cut at `fits`."""
    if len(text) <= fits:
        return text
    if " " not in text[:fits + 1]:
        return text[:fits] + "…"
    words = text[:fits + 1].rsplit(" ", 1)[0].split(" ")
    while len(words) > 1 and words[-1].lower() in _LINKING:
        words.pop()
    return " ".join(words).rstrip(",;:–-") + "…"



# ---------------------------------------------------------------- agreements


@dataclass(frozen=True)
class Status:
    """How a recorded status is said: the key message's word ("Adopted: X") and the
    phrase in running text ("X was adopted")."""

    word: str
    phrase: str


#: Every status an agreement may be recorded with, and how it is said. `None` (no status
#: recorded) is said as what the event records: that an agreement was reached.
AGREEMENT_STATUS: dict[str | None, Status] = {
    None: Status("Agreed", "agreed"),
    "adopted": Status("Adopted", "adopted"),
    "signed": Status("Signed", "signed"),
    "endorsed": Status("Endorsed", "endorsed"),
    "initialled": Status("Initialled", "initialled"),
    "due-to-be-signed": Status("Due to be signed", "due to be signed"),
    "proposed": Status("Proposed", "proposed, not adopted"),
    "rejected": Status("Rejected", "rejected"),
    "other": Status("Recorded", "status not stated"),
}

#: The statuses under which an agreement is in force as agreed (its points count as
#: agreed points); a proposed, rejected or not-yet-signed text is not.
AGREED = frozenset({None, "adopted", "signed", "endorsed", "initialled"})


def agreement_status(status: str | None) -> Status:
    """How an agreement's recorded status is said (an unknown word is said as it is)."""
    return AGREEMENT_STATUS.get(status) or Status(status.capitalize() if status else "",
                                                  status or "")


# ---------------------------------------------------------------- follow-ups


@dataclass(frozen=True)
class Postponement:
    """One rescheduling of a meeting, as recorded."""

    id: str
    planned: str | None
    moved_to: str | None
    planned_place: str | None
    moved_place: str | None
    reason: str | None


@dataclass(frozen=True)
class FollowupStatement:
    """A meeting a conference scheduled, with its dates in force and their history."""

    id: str
    name: str
    #: the date and place first foreseen (the `followup.scheduled` event, corrected)
    foreseen: str | None
    foreseen_place: str | None
    #: the dates and place in force: held, else moved to, else foreseen
    start: str | None
    end: str | None
    place: str | None
    #: "held" (a conference of the archive was that meeting), "postponed" (moved, not yet
    #: recorded as held) or "foreseen"
    state: str
    #: the conference that was that meeting, when the record says so
    held_as_id: str | None
    held_as_name: str | None
    postponements: tuple[Postponement, ...]
    description: str | None

    @property
    def moved(self) -> bool:
        """True when the dates in force are not the ones first foreseen."""
        if self.postponements:
            return True
        return (self.state == "held" and self.start is not None
                and self.foreseen is not None and not self.start.startswith(self.foreseen))


def postponements(db: sqlite3.Connection, conference_id: str) -> tuple[Postponement, ...]:
    """The recorded postponements of a conference, in the order recorded."""
    return tuple(
        Postponement(r[0], r[1], r[2], r[3], r[4], r[5]) for r in db.execute(
            "select id, planned, moved_to, planned_place, moved_place, reason from "
            "postponements where conference_id = ? order by event_seq", (conference_id,)))


def followups(db: sqlite3.Connection, conference_id: str | None = None
              ) -> list[FollowupStatement]:
    """The follow-ups the record holds (of one conference, by id, when given), each with
    its dates in force: in date order (in force), undated last."""
    out = []
    for r in db.execute(
            "select f.id, f.name, f.date, f.place, f.description, h.held_as_id, "
            "c.name, c.start, c.end, c.place from followups f "
            "left join followups_held h on h.id = (select h2.id from followups_held h2 "
            "  where h2.followup_id = f.id order by h2.event_seq desc limit 1) "
            "left join conferences c on c.id = h.held_as_id "
            "where ? is null or f.conference_id = ? order by f.event_seq",
            (conference_id, conference_id)):
        (id_, name, date, place, description, held_as, held_name, held_start, held_end,
         held_place) = r
        moves = postponements(db, held_as) if held_as else ()
        if held_as and held_start:
            state, start, end, where = "held", held_start, held_end or held_start, \
                held_place or place
        elif moves and moves[-1].moved_to:
            state, start, end = "postponed", moves[-1].moved_to, moves[-1].moved_to
            where = moves[-1].moved_place or place
        else:
            state, start, end, where = ("held" if held_as else "foreseen"), date, date, place
        out.append(FollowupStatement(id_, name, date, place, start, end, where, state,
                                     held_as, held_name, moves, description))
    out.sort(key=lambda f: (f.start is None, f.start or ""))
    return out


# ---------------------------------------------------------------- commitments


@dataclass(frozen=True)
class Rescheduling:
    """One move of a commitment's due date, as recorded with its evidence."""

    id: str
    due: str
    reason: str | None
    source_url: str | None
    source_locator: str | None


@dataclass(frozen=True)
class Due:
    """A commitment's due date: the one first agreed and every move since."""

    first: str | None
    moves: tuple[Rescheduling, ...] = ()

    @property
    def date(self) -> str | None:
        """The due date in force: the latest move's, else the one agreed."""
        return self.moves[-1].due if self.moves else self.first


def dues(db: sqlite3.Connection, conference_id: str | None = None) -> dict[str, Due]:
    """The due date of each commitment (of one conference, by id, when given), in force
    and as agreed, with its moves in order: two queries, whatever the number."""
    moves: dict[str, list[Rescheduling]] = {}
    for cid, *move in db.execute(
            "select commitment_id, id, due, reason, source_url, source_locator from "
            "reschedulings where ? is null or conference_id = ? order by event_seq",
            (conference_id, conference_id)):
        moves.setdefault(cid, []).append(Rescheduling(*move))
    return {cid: Due(first, tuple(moves.get(cid, ()))) for cid, first in db.execute(
        "select id, due from commitments where ? is null or conference_id = ?",
        (conference_id, conference_id))}


def proposals_taken_up(db: sqlite3.Connection, conference_id: str) -> frozenset[str]:
    """The proposals of a conference that a recorded commitment takes up."""
    return frozenset(r[0] for r in db.execute(
        "select proposal_id from commitments where conference_id = ? and proposal_id is not "
        "null", (conference_id,)))
