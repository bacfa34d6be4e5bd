"""Near matches: the "did you mean" names. Pure: names in, names out."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from archive.core.nearmatch import is_near, near_matches

NEAR = [
    ("Mohammed Al-Sabah", "Muhammad Al-Sabah"),  # transliteration
    ("Aleksandr Ivanov", "Alexander Ivanov"),
    ("Yevgeny Primakov", "Evgeniy Primakov"),
    ("U.S. Customs and Border Protection", "US Customs and Border Protection"),  # punctuation
    ("U.N.", "UN"),
    ("Bosnia & Herzegovina", "Bosnia and Herzegovina"),
    ("Kassym-Jomart Tokayev", "Kassym Jomart Tokayev"),  # hyphen / space
    ("Karim Massimov", "Karim Masimov"),  # one-letter slips
    ("Gil Kerlikowske", "Gil Kerlikovske"),
    ("Kassym-Jomart Tokayev", "Kassym-Jomart Tokaev"),
    ("Nurtay Abykayev", "Nurtai Abykayev"),
    ("Shavkat Mirziyoyevich Sabirov", "Shavkat Mirziyoevich Sabirov"),  # middle name
    ("Nursultan A. Nazarbayev", "Nursultan Nazarbayev"),
    ("Mohammed bin Salman", "Muhammad bin Salman"),
    ("A. Lee", "Ann Lee"),  # an initial
]

APART = [
    ("Ann Lee", "Anna Smith"),
    ("John Smith", "Jane Smyth"),
    ("Ann Lee", "Bob Lee"),  # a shared surname alone
    ("Heydar Aliyev", "Ilham Aliyev"),
    ("Kazakhstan", "Uzbekistan"),
    ("Afghanistan", "Pakistan"),
    ("India", "Indonesia"),
    ("OSCE", "OECD"),
    ("UN", "EU"),  # under 4 letters: never a slip
    ("Iran", "Iraq"),  # a lone substitution needs 5+ letters
    ("Gambia", "Zambia"),  # known distinct
    ("Iceland", "Ireland"),
    ("Austria", "Australia"),
    ("Niger", "Nigeria"),
    ("Kim Jong-un", "Kim Jong-il"),
    ("Wang Yi", "Wang Li"),
]

#: Real, clearly different names; the only near pairs among them are in NAMED_NEAR.
NAMES = [
    "Kazakhstan", "Uzbekistan", "Kyrgyzstan", "Tajikistan", "Turkmenistan", "Afghanistan",
    "Pakistan", "India", "Indonesia", "Iran", "Iraq", "Austria", "Australia", "Niger",
    "Nigeria", "Gambia", "Zambia", "Iceland", "Ireland", "Slovakia", "Slovenia",
    "North Korea", "South Korea", "Sudan", "South Sudan", "Guinea", "Guyana", "Mali", "Malta",
    "OSCE", "OECD", "UN", "EU", "NATO", "Ministry of Foreign Affairs",
    "Ministry of Internal Affairs", "Ann Lee", "Bob Lee", "Anna Smith", "John Smith",
    "Jane Smyth", "Karim Massimov", "Kassym-Jomart Tokayev", "Nursultan Nazarbayev",
    "Kim Jong-un", "Kim Jong-il", "Wang Yi", "Wang Li", "Heydar Aliyev", "Ilham Aliyev",
    "Mohammed bin Salman", "Mohammed bin Zayed", "Sergey Lavrov", "Sergei Ivanov",
    "George Bush", "George W. Bush",
]
NAMED_NEAR = {frozenset(("George Bush", "George W. Bush"))}  # a middle initial


@pytest.mark.parametrize(("a", "b"), NEAR)
def test_near_names_are_near_both_ways(a: str, b: str) -> None:
    assert is_near(a, b) and is_near(b, a)
    assert near_matches(a, [("x", b)]) == [("x", b)]
    assert near_matches(b, [("x", a)]) == [("x", a)]


@pytest.mark.parametrize(("a", "b"), APART)
def test_unrelated_names_stay_silent_both_ways(a: str, b: str) -> None:
    assert not is_near(a, b) and not is_near(b, a)
    assert near_matches(a, [("x", b)]) == near_matches(b, [("x", a)]) == []


def test_the_same_key_is_an_exact_match_not_a_near_one() -> None:
    assert not is_near("karim massimov", "Karim Massimov")
    assert not is_near("Ann  Lee", "ANN LEE")
    assert near_matches("karim massimov", [("k", "Karim Massimov"), ("m", "Karim Masimov")]) \
        == [("m", "Karim Masimov")]


def test_an_initial_or_a_transliterated_first_name_joins_a_shared_surname() -> None:
    assert is_near("A. Lee", "Ann Lee") and is_near("Yevgeny Lee", "Evgeny Lee")
    assert not is_near("B. Lee", "Ann Lee")


def test_matches_come_best_first_within_the_limit() -> None:
    candidates = [
        ("far", "Karin Masimov"),  # two edits
        ("slip", "Karim Masimov"),  # one edit
        ("punct", "Karim-Massimov"),  # punctuation only
        ("other", "Bob Lee"),
        ("same", "KARIM MASSIMOV"),
    ]
    assert near_matches("Karim Massimov", candidates) == [
        ("punct", "Karim-Massimov"), ("slip", "Karim Masimov"), ("far", "Karin Masimov")]
    assert near_matches("Karim Massimov", candidates, limit=2) == [
        ("punct", "Karim-Massimov"), ("slip", "Karim Masimov")]
    assert near_matches("Karim Massimov", candidates, limit=0) == []


def test_ties_are_broken_by_name() -> None:
    candidates = [("b", "Karim Masimoc"), ("a", "Karim Masimob"), ("c", "Karim Massimov")]
    assert near_matches("Karim Masimov", candidates) == [
        ("a", "Karim Masimob"), ("b", "Karim Masimoc"), ("c", "Karim Massimov")]


@given(st.sampled_from(NAMES), st.sampled_from(NAMES))
def test_distinct_real_names_are_never_reported(a: str, b: str) -> None:
    assume(a != b)
    expected = [("b", b)] if frozenset((a, b)) in NAMED_NEAR else []
    assert near_matches(a, [("b", b)]) == expected
    assert is_near(a, b) == is_near(b, a) == bool(expected)


@given(st.text(max_size=30), st.text(max_size=30))
def test_is_near_is_symmetric_and_never_near_itself(a: str, b: str) -> None:
    assert is_near(a, b) == is_near(b, a)
    assert not is_near(a, a)


@given(st.lists(st.sampled_from(NAMES + [b for _, b in NEAR]), max_size=20),
       st.sampled_from(NAMES + [a for a, _ in NEAR]), st.integers(0, 5))
def test_results_are_near_candidates_in_order(pool: list[str], name: str, limit: int) -> None:
    candidates = [(str(i), n) for i, n in enumerate(pool)]
    found = near_matches(name, candidates, limit)
    assert len(found) <= limit
    assert all(is_near(name, n) for _, n in found)
    assert set(found) <= set(candidates)
