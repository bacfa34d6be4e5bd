"""`--as-of`: a point of *recording* in the log, as a reader writes it. Pure.

A number is a sequence number; a date or date-time (with a `-`) compares with each
event's `recorded_at` (a date alone means the end of that day, month or year); anything
else is an event id. `seq:`, `time:` or `id:` in front says which outright (new ids
cannot read as a number or a date, but a log written before may hold such an id).

`--on DATE` cuts the *world's* time instead: a fact whose `at` is after the end of that
day is left out, and so is any correction or retraction of it; a fact with no `at` is
kept (the archive cannot say it came later); a partial `at` (2015-09) counts from its
first day. The records others name (conferences, sessions, participants) are always
kept. Both together answer "what did we know on 1 March about the status on 1 January".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..errors import ArchiveError
from .events import Event
from .validate import FieldError, check_date

_DIGITS = re.compile(r"[0-9]+")
#: Records others name: never left out by `--on` (their `at`, if any, is not a cut).
_KEPT = frozenset({"conference.held", "session.held", "participant.attended",
                   "source.cited"})
_DATEISH = re.compile(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T.*)?)?)?")

Stop = Callable[[Event], bool]


@dataclass(frozen=True)
class AsOf:
    """A parsed `--as-of`: exactly one of `seq`, `instant`, `event_id` is set."""

    text: str
    seq: int | None = None
    instant: datetime | None = None
    event_id: str | None = None
    #: `--on`: the end of this day in the world's time (None: no cut)
    on: datetime | None = None

    def with_on(self, day: str | None) -> AsOf:
        """This point with the world's time cut at the end of `day` (YYYY-MM-DD)."""
        if day is None:
            return self
        try:
            check_date("on", day, True)
        except FieldError as exc:
            raise ArchiveError(f"--on {exc.problem}") from None
        from dataclasses import replace

        return replace(self, text=self.text or f"on:{day}", on=instant(day, end=True))

    @classmethod
    def on_day(cls, day: str) -> AsOf:
        """Only the world's time cut (`--on` without `--as-of`)."""
        return cls("").with_on(day)

    def leaves_out(self, event: Event, left_out: set[str]) -> bool:
        """Is this event after `on` in the world's time (or a fix of one that is)?"""
        if self.on is None:
            return False
        target = getattr(event.data, "target", None)
        if isinstance(target, str) and target in left_out:
            return True
        if event.at is None or event.type in _KEPT:
            return False
        return instant(event.at) > self.on

    @classmethod
    def parse(cls, text: str) -> AsOf:
        kind, _, rest = text.partition(":")
        if kind == "id" and rest:
            return cls(text, event_id=rest)
        if kind == "seq":
            if not _DIGITS.fullmatch(rest):
                raise ArchiveError(f"--as-of {text}: a sequence number is digits 0-9")
            return cls(text, seq=int(rest))
        if kind == "time":
            return cls._time(text, rest)
        if _DIGITS.fullmatch(text):
            return cls(text, seq=int(text))
        if _DATEISH.fullmatch(text) and "-" in text:
            return cls._time(text, text)
        return cls(text, event_id=text)

    @classmethod
    def _time(cls, text: str, when: str) -> AsOf:
        try:
            check_date("as_of", when, True)
        except FieldError as exc:
            raise ArchiveError(f"--as-of {exc.problem}") from None
        return cls(text, instant=instant(when, end=True))

    def describe(self) -> str:
        """Which point of the log this is, in words."""
        if self.on is not None and self.seq is None and self.instant is None \
                and self.event_id is None:
            return f"the world as of {self.on.date().isoformat()}"
        if self.seq is not None:
            return f"sequence {self.seq}"
        if self.instant is not None:
            return f"what was recorded by {self.text.removeprefix('time:')}"
        return f"event {self.event_id}"

    def stop_before(self, event: Event) -> bool:
        """Is this event after the point (the build stops before it)?"""
        if self.seq is not None:
            return event.seq > self.seq
        if self.instant is not None:
            return instant(event.recorded_at) > self.instant
        return False

    def stop_after(self, event: Event) -> bool:
        """Is this event the point itself (the build stops after it)?"""
        return self.event_id is not None and event.id == self.event_id


def instant(text: str, end: bool = False) -> datetime:
    """A (partial) ISO date-time as an aware UTC instant; `end` = end of a partial period."""
    if "T" in text:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    parts = [int(x) for x in text.split("-")]
    if len(parts) == 3:
        start = datetime(parts[0], parts[1], parts[2], tzinfo=UTC)
        return start + timedelta(days=1) - timedelta(microseconds=1) if end else start
    if len(parts) == 2:
        y, m = parts
        nxt = datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=UTC)
        return nxt - timedelta(microseconds=1) if end else datetime(y, m, 1, tzinfo=UTC)
    return (datetime(parts[0] + 1, 1, 1, tzinfo=UTC) - timedelta(microseconds=1)
            if end else datetime(parts[0], 1, 1, tzinfo=UTC))
