"""How names are compared: one key for every lookup by name (the catalogue, near matches,
`--conference NAME`, listings, pulls)."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable

#: Characters that show as nothing: a name holding them looks like one without them.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff"))


@functools.lru_cache(maxsize=1 << 14)
def name_key(name: str) -> str:
    """The key names are matched on: NFKC, casefold, single spaces, and no invisible
    characters (a zero-width space does not make a second person). Cached: a long log
    names the same people, organisations and countries again and again."""
    if name.isascii():  # the same result, without the Unicode tables
        return " ".join(name.lower().split())
    return " ".join(unicodedata.normalize("NFKC", name).translate(_INVISIBLE)
                    .casefold().split())


def named(wanted: str, known: Iterable[tuple[str, str | None]]) -> list[str]:
    """The ids `wanted` names among `(id, name)` pairs, in their order: the one with that
    id, else every one whose name has its name key (`Ｃｏｎｆ` is `conf`, `STRASSE` is
    `Straße`)."""
    pairs = list(known)
    key = name_key(wanted)
    return [i for i, _ in pairs if i == wanted] or \
        [i for i, n in pairs if name_key(n or "") == key]
