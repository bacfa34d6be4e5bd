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
from collections.abc import Iterable
from pathlib import Path
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
        return _unbroken(format_date(a[0], _full_month(first), locale=locale)
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


#: A dash between two days ("29–30", "29—30"), and the thin space around one ("29 – 30").
_DAYS_DASH = re.compile(r"(?<=\d)([–—])(?=\d)")


def _unbroken(text: str) -> str:
    """A range of days of one month never broken at its dash: CLDR's thin spaces made
    no-break, and a word joiner either side of a dash between digits."""
    return _DAYS_DASH.sub("\u2060\\1\u2060", text.replace("\u2009", "\u202f"))


def _full_month(pattern: str) -> str:
    """A CLDR pattern with its abbreviated month written in full (quoted text kept)."""
    parts = pattern.split("'")
    return "'".join(_SHORT_MONTH.sub(lambda m: m.group(1) + m.group(1)[0], part)
                    if i % 2 == 0 else part for i, part in enumerate(parts))


# ---------------------------------------------------------------- words

#: The briefing's gettext catalogues: `locale/<lang>/LC_MESSAGES/briefing.po` (and the
#: compiled `.mo`), refreshed by `make catalogues`. English is the source language.
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "briefing"
SOURCE_LANG = "en"


def languages() -> tuple[str, ...]:
    """The languages a briefing can be written in: English and each compiled catalogue."""
    found = {p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo")}
    return tuple(sorted({SOURCE_LANG, *found}))


def unknown(lang: str) -> str | None:
    """What is wrong with `lang` as a briefing's language: None when it has a catalogue."""
    if lang in languages():
        return None
    return f"no briefing catalogue for {lang!r}; available: {', '.join(languages())}"


def N_(message: str) -> str:
    """Mark a word for the catalogues; it is translated where it is used (`Words.gettext`)."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a counted word for the catalogues (`Words.ngettext`)."""
    return singular, plural


@functools.cache
def _translations(lang: str) -> Any:
    import gettext

    if lang == SOURCE_LANG:
        return gettext.NullTranslations()
    try:
        with (LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as f:
            return gettext.GNUTranslations(f)
    except FileNotFoundError:
        raise ValueError(unknown(lang)) from None


class Words:
    """The fixed words of one briefing language: its gettext catalogue for sentences and
    plurals (CLDR's plural rule, in the catalogue's header), and CLDR's numbers, lists and
    dates. A value put into a sentence that is a count is written in the locale's digits.

        Words("ru").ngettext("%(num)s session", "%(num)s sessions", 3)  -> "3 заседания"
    """

    def __init__(self, lang: str = SOURCE_LANG) -> None:
        self.lang = lang
        self.dates = Dates(lang)
        self._t = _translations(lang)

    def number(self, n: int) -> str:
        """`n` in the locale's digits and grouping (12,345 / 12 345)."""
        from babel.numbers import format_decimal

        return format_decimal(n, locale=_locale(self.lang))

    def figure(self, value: float | int | str | None) -> str:
        """A recorded figure as `core.numbers.format_number` shapes it (1,500; 2.75;
        1.5 × 10³⁰⁰), with this locale's grouping and decimal signs (1 500; 2,75)."""
        from babel.numbers import get_decimal_symbol, get_group_symbol

        from ..core.numbers import format_number

        text = format_number(value)
        if self.lang == SOURCE_LANG:
            return text
        locale = _locale(self.lang)
        return text.translate({ord(","): get_group_symbol(locale=locale),
                               ord("."): get_decimal_symbol(locale=locale)})

    def country(self, name: str | None) -> str | None:
        """A country recorded by its English name as CLDR gives it ("Kazakhstan"), by
        CLDR's name in this language ("Казахстан"); any other name as recorded."""
        from ..core.langs import country_codes

        if not name or self.lang == SOURCE_LANG:
            return name
        code = country_codes().get(name.casefold())
        return str(_locale(self.lang).territories.get(code, name)) if code else name

    def fill(self, values: dict[str, Any]) -> dict[str, Any]:
        """The values to put into a message: each count in the locale's digits."""
        return {k: self.number(v) if isinstance(v, int) and not isinstance(v, bool) else v
                for k, v in values.items()}

    def gettext(self, message: str, **values: Any) -> str:
        """`message` in this language (as it is when the catalogue lacks it), with
        `values` put in."""
        text = self._t.gettext(message)
        return text % self.fill(values) if values else text

    def form(self, singular: str, plural: str, n: int) -> str:
        """The form of a counted message for `n`, before anything is put in."""
        return str(self._t.ngettext(singular, plural, n))

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        """The form of a counted message for `n` (its `%(num)s` is `n`)."""
        return self.form(singular, plural, n) % self.fill({"num": n, **values})

    def join(self, items: Iterable[str]) -> str:
        """A list as a sentence in this language says it ("a, b and c")."""
        from babel.lists import format_list

        words = list(items)
        return format_list(words, locale=_locale(self.lang)) if words else ""
