"""Dates as a briefing's language writes them, from Babel's CLDR data (no month names or
orders written here).

    Dates("en").long("2015-06-29")                 -> "29 June 2015"
    Dates("ru").long("2015-09")                    -> "сентябрь 2015 г."
    Dates("kk").range("2015-06-29", "2015-06-30")  -> "2015 ж. 29–30 маусым"
    Dates("en").day_month("2015-06-29")            -> "29 June"

A briefing's English is British English, the archive's own spelling: its dates follow
CLDR's `en_GB`. A date range follows CLDR's interval formats, with the month written out
in full as a long date writes it (CLDR's rule for a skeleton wider than the data's).
Babel loads only when a date is first written.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

#: The CLDR locale whose formats each briefing language follows.
REGION = {"en": "en_GB"}

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
#: An abbreviated month in a CLDR pattern (not inside a quoted literal), to write in full.
_SHORT_MONTH = re.compile(r"(?<![ML])(MMM|LLL)(?![ML])")


@functools.cache
def _locale(lang: str) -> Any:
    from babel import Locale

    return Locale.parse(REGION.get(lang, lang))


class Dates:
    """The date formats of one briefing language."""

    def __init__(self, lang: str = "en") -> None:
        self.lang = lang

    def long(self, value: str | None) -> str:
        """`2015-06-29` -> a long date, `2015-09` -> month and year, `2015` -> the year;
        a time after the date (`T14:30Z`) as `, 14:30 UTC`; anything else unchanged."""
        from babel.dates import format_date, format_skeleton

        if not value:
            return ""
        parsed = _parse(value)
        if parsed is None:
            return value
        when, precision, end = parsed
        locale = _locale(self.lang)
        if precision == "year":
            text = str(when.year)
        elif precision == "month":
            text = format_skeleton("yMMMM", when, locale=locale)
        else:
            text = format_date(when, "long", locale=locale)
        rest = value[end:]
        if rest.startswith("T") and len(rest) >= 6:
            text += f", {rest[1:6]}" + (" UTC" if rest.endswith("Z") else "")
        return text

    def range(self, start: str | None, end: str | None) -> str:
        """Two dates as CLDR's interval formats write them ("29–30 June 2015"): the
        long date when they are one; two long dates when they are not both days."""
        if not start or not end or start == end:
            return self.long(start or end)
        a, b = _parse(start[:10]), _parse(end[:10])
        if a is None or b is None or a[1] != "day" or b[1] != "day" or b[0] < a[0]:
            return f"{self.long(start)} – {self.long(end)}"
        from babel.dates import format_date

        locale = _locale(self.lang)
        greatest = "y" if a[0].year != b[0].year else "M" if a[0].month != b[0].month else "d"
        first, second = locale.interval_formats["yMMMd"][greatest]
        return (format_date(a[0], _full_month(first), locale=locale)
                + format_date(b[0], _full_month(second), locale=locale))

    def day_month(self, value: str) -> str:
        """`2015-06-29` -> the day and month (a chart's label); anything else unchanged."""
        from babel.dates import format_skeleton

        parsed = _parse(value)
        if parsed is None or parsed[1] != "day":
            return value
        return format_skeleton("MMMMd", parsed[0], locale=_locale(self.lang))


def _parse(value: str) -> tuple[dt.date, str, int] | None:
    """The date a value begins with, how precise it is, and where it ends."""
    m = _DATE.match(value)
    if not m:
        return None
    year, month, day = m.groups()
    try:
        when = dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        return None
    return when, "day" if day else "month" if month else "year", m.end()


def _full_month(pattern: str) -> str:
    """A CLDR pattern with its abbreviated month written in full (quoted text kept)."""
    parts = pattern.split("'")
    return "'".join(_SHORT_MONTH.sub(lambda m: m.group(1) + m.group(1)[0], part)
                    if i % 2 == 0 else part for i, part in enumerate(parts))
