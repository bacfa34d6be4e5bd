"""The briefing's dates in each language, from CLDR (`archive.briefing.i18n.Dates`)."""

from __future__ import annotations

import datetime as dt

import pytest
from babel.dates import format_date
from hypothesis import given
from hypothesis import strategies as st

from archive.briefing.document import daterange, longdate
from archive.briefing.i18n import REGION, Dates

LANGS = ("en", "ru", "kk")
days = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))


def test_english_dates_read_as_a_british_reader_writes_them():
    assert longdate("2015-06-29") == "29 June 2015"
    assert longdate("2015-09") == "September 2015"
    assert longdate("2015") == "2015"
    assert longdate("2015-06-29T14:30:00Z") == "29 June 2015, 14:30 UTC"
    assert daterange("2015-06-29", "2015-06-30") == "29\u202f–\u202f30 June 2015"
    assert daterange("2015-06-29", "2015-07-02") == "29 June\u202f–\u202f2 July 2015"
    assert daterange("2015-06-29", "2015-06-29") == "29 June 2015"
    assert daterange("2015-06", "2015-07-02") == "June 2015 – 2 July 2015"


def test_russian_and_kazakh_dates_follow_their_own_order_and_cases():
    ru, kk = Dates("ru"), Dates("kk")
    assert ru.long("2015-06-29") == "29 июня 2015\u202fг."
    assert ru.long("2015-09") == "сентябрь 2015\u202fг."  # the month alone: nominative
    assert ru.range("2015-06-29", "2015-06-30") == "29\u2060—\u206030 июня 2015\u202fг."
    assert kk.long("2015-06-29") == "2015\u202fж. 29 маусым"
    assert kk.range("2015-06-29", "2015-07-02") == "2015\u202fж. 29 маусым – 2 шілде"
    assert kk.day_month("2015-06-29") == "29 маусым"


@pytest.mark.parametrize("value", ["", "x", "2015-13-01", "2015-02-30", "soon", "15-06-29"])
@pytest.mark.parametrize("lang", LANGS)
def test_a_value_that_is_not_a_date_is_shown_as_recorded(lang, value):
    assert Dates(lang).long(value) == value


@given(day=days)
@pytest.mark.parametrize("lang", LANGS)
def test_a_day_is_the_locales_long_date(lang, day):
    assert Dates(lang).long(day.isoformat()) == format_date(
        day, "long", locale=REGION.get(lang, lang))


@given(a=days, b=days)
@pytest.mark.parametrize("lang", LANGS)
def test_a_range_names_both_days_with_their_months_in_full(lang, a, b):
    a, b = min(a, b), max(a, b)
    text = Dates(lang).range(a.isoformat(), b.isoformat())
    locale = REGION.get(lang, lang)
    if a == b:
        assert text == format_date(a, "long", locale=locale)
        return
    for day in (a, b):
        assert format_date(day, "MMMM", locale=locale) in text
        assert str(day.day) in text
        assert str(day.year) in text
    if a.year == b.year:
        assert text.count(str(a.year)) == 1  # one year, said once


@given(a=days, b=days)
def test_a_range_backwards_is_the_two_dates_as_recorded(a, b):
    if a >= b:
        a, b = b, a
    if a == b:
        return
    assert daterange(b.isoformat(), a.isoformat()) == f"{longdate(b.isoformat())} – " \
                                                      f"{longdate(a.isoformat())}"
