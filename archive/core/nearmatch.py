"""Near matches: names close to a new one, for a "did you mean" warning. Pure, no I/O.

An exact match (the same `name_key`) is the catalogue's business and is never reported
here. A name is near another when, comparing words (punctuation dropped, `&` read as
"and", hyphens as spaces):

1. punctuation or spacing alone differs: "U.S. Customs" / "US Customs", "U.N." / "UN",
   "Kassym-Jomart" / "Kassym Jomart" (cost 0);
2. their transliteration skeletons are equal: "Mohammed" / "Muhammad", "Aleksandr" /
   "Alexander", "Yevgeny" / "Evgeniy", "Massimov" / "Masimov" (cost 1). The skeleton
   strips diacritics, rewrites common variant spellings (ks/x, kh/h, dzh and zh/j, ph/f,
   ou/u, ye-/ie-/e-, y/i) and collapses doubled letters;
3. word by word, each differing word is a near spelling, and the costs stay within a
   budget of 1, or 2 for keys of 10 characters or more. A word is near another if it is
   an initial of it ("A." / "Ann"), has the same skeleton, is one slip away (insert,
   delete, substitute, transpose; words of 4+ letters), two slips away (words of 10+
   letters), or its skeleton is one slip away (skeletons of 8+ letters);
4. one name has one extra middle word, the rest matching as in 3 (the missing word costs
   1): "Nursultan A. Nazarbayev" / "Nursultan Nazarbayev".

What stays apart, and why:
- words under 4 letters never match by a slip, so "UN" / "EU", "Lee" / "Li", and
  "Kim Jong-un" / "Kim Jong-il" stay silent;
- a lone substitution needs words of 5+ letters: in short words it is more often another
  word than a typo ("Iran" / "Iraq", "Omar" / "Omer");
- the real, distinct names that still come out one slip apart are listed in `DISTINCT`
  and checked word by word: "Gambia" / "Zambia", "Iceland" / "Ireland" (found by
  comparing every UN member state pairwise; the length rule keeps the others apart);
- every word must be near its counterpart, so a shared surname alone ("Ann Lee" /
  "Bob Lee") does not match, while an initial or a transliterated first name does.

Cost: O(len(candidates)). Each name's analysis is cached, and a candidate whose key length
differs by more than 3 *and* whose skeleton starts with another letter is skipped before
any distance is computed (a first-letter slip together with a missing middle word is the
only near pair this can miss). Distances are capped at 2 and stop early.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from .names import name_key

#: Real, distinct names that the slip rules would otherwise take for one another.
DISTINCT = frozenset(frozenset(pair) for pair in [("gambia", "zambia"), ("iceland", "ireland")])

_DROP = "'.\u2019`\u02bc"  # dropped inside words: "U.S." -> "us", "O'Brien" -> "obrien"
_FOLD = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ı": "i", "æ": "ae", "œ": "oe"})
_REWRITES = [(re.compile(p), r) for p, r in [
    (r"^m[ou]h+am+[ae]d$", "muhamad"),  # Mohammed, Muhammad, Mohamed, Mohammad, ...
    (r"^ale(ks|x)and(e)?r$", "alexandr"),  # Aleksandr, Alexander, Aleksander
    (r"dzh", "j"), (r"zh", "j"), (r"kh", "h"), (r"ks", "x"), (r"ph", "f"), (r"ou", "u"),
    (r"^(ye|ie)", "e"), (r"(iy|ij|yi|ii)$", "i"),  # Yevgeny, Evgeniy, Evgenij -> evgeni
    (r"(?<=[aeiou])y(?=[aeiou])", ""), (r"y", "i"),  # Tokayev/Tokaev, Nurtay/Nurtai
    (r"(.)\1+", r"\1"),  # Massimov/Masimov
]]


class _Name(NamedTuple):
    key: str
    words: tuple[str, ...]
    skels: tuple[str, ...]
    compact: str  # the words run together
    skel: str  # the skeletons run together


def _skeleton(word: str) -> str:
    s = "".join(c for c in unicodedata.normalize("NFKD", word.translate(_FOLD))
                if not unicodedata.combining(c))
    for pattern, repl in _REWRITES:
        s = pattern.sub(repl, s)
    return s


@lru_cache(maxsize=16384)
def _analyse(name: str) -> _Name:
    key = name_key(name)
    flat = "".join("" if c in _DROP else c if c.isalnum() else " "
                   for c in key.replace("&", " and "))
    words = tuple(flat.split())
    skels = tuple(_skeleton(w) for w in words)
    return _Name(key, words, skels, "".join(words), "".join(skels))


def _osa(a: str, b: str, cap: int = 2) -> int:
    """Optimal-string-alignment distance (a transposition is one edit), capped at cap + 1."""
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > cap:
            return cap + 1
        prev2, prev = prev, cur
    return min(prev[-1], cap + 1)


def _word_cost(u: str, su: str, v: str, sv: str) -> int | None:
    """How far word u (skeleton su) is from v (sv); None: not near."""
    if u == v:
        return 0
    short = min(len(u), len(v))
    if short == 1:  # an initial: "a" / "ann", "e" / "yevgeny"
        return 1 if max(len(u), len(v)) > 1 and (u[0] == v[0] or su[:1] == sv[:1]) else None
    if short >= 3 and su == sv:
        return 1
    if frozenset((u, v)) in DISTINCT or short < 4:
        return None
    d = _osa(u, v)
    if d == 1 and (short >= 5 or len(u) != len(v)
                   or sum(x != y for x, y in zip(u, v, strict=True)) == 2):
        return 1  # a lone substitution needs 5+ letters; a transposition does not
    if d == 2 and short >= 10:
        return 2
    if min(len(su), len(sv)) >= 8 and _osa(su, sv, 1) == 1:
        return 1
    return None


def _pairwise(a: tuple[str, ...], sa: tuple[str, ...],
              b: tuple[str, ...], sb: tuple[str, ...], budget: int) -> int | None:
    total = 0
    for u, su, v, sv in zip(a, sa, b, sb, strict=True):
        cost = _word_cost(u, su, v, sv)
        if cost is None or total + cost > budget:
            return None
        total += cost
    return total


def _distance(a: _Name, b: _Name) -> int | None:
    """How far two analysed names are apart; None: not near (or the same key)."""
    if a.key == b.key or not a.compact or not b.compact:
        return None
    if a.compact == b.compact:
        return 0
    if min(len(a.compact), len(b.compact)) >= 3 and a.skel == b.skel:
        return 1
    budget = 2 if min(len(a.key), len(b.key)) >= 10 else 1
    if len(a.words) == len(b.words):
        return _pairwise(a.words, a.skels, b.words, b.skels, budget)
    long, short = (a, b) if len(a.words) > len(b.words) else (b, a)
    if len(long.words) != len(short.words) + 1 or len(short.words) < 2:
        return None
    costs = [_pairwise(long.words[:i] + long.words[i + 1:], long.skels[:i] + long.skels[i + 1:],
                       short.words, short.skels, budget - 1)
             for i in range(1, len(long.words) - 1)]  # drop one middle word
    found = [c + 1 for c in costs if c is not None]
    return min(found) if found else None


def is_near(a: str, b: str) -> bool:
    """Whether a and b are close but not the same key (symmetric)."""
    return _distance(_analyse(a), _analyse(b)) is not None


def near_matches(name: str, candidates: Iterable[tuple[str, str]],
                 limit: int = 3) -> list[tuple[str, str]]:
    """The candidates (id, name) whose names are close to `name` but not the same key,
    best first."""
    me = _analyse(name)
    first = me.skel[:1]
    found: list[tuple[int, str, str, str]] = []
    for id_, other in candidates:
        them = _analyse(other)
        if abs(len(them.key) - len(me.key)) > 3 and them.skel[:1] != first:
            continue
        d = _distance(me, them)
        if d is not None:
            found.append((d, them.key, id_, other))
    found.sort()
    return [(id_, other) for _, _, id_, other in found[:max(limit, 0)]]
