"""Language tags: which language a text is in (BCP 47: `ru`, `kk`, `en-GB`, `sr-Latn`).

A tag is checked against CLDR's locales through Babel (imported only when a tag is
read, so that `archive add` without one pays nothing), and must be written the way
BCP 47 writes it (`en-GB`, not `EN_gb`): one spelling per language, so that facets and
searches by language find every text in it. Pure.

A text's language is its fact's `lang`, else its conference's (the working language
of the conference's record), else `DEFAULT`.
"""

from __future__ import annotations

import functools

from .validate import FieldError

#: The language of a text whose fact and conference say nothing.
DEFAULT = "en"


@functools.lru_cache(maxsize=512)
def canonical(tag: str) -> str | None:
    """The tag as BCP 47 writes it, if CLDR knows the language (None: it does not)."""
    from babel import Locale, UnknownLocaleError

    if not tag.isascii() or "_" in tag or not tag.replace("-", "").isalnum():
        return None
    try:
        locale = Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    if locale.language != tag.split("-")[0].lower():
        return None  # `und` (undetermined) is not a language, though Babel reads it as en
    return "-".join(p for p in (locale.language, locale.script, locale.territory,
                                locale.variant) if p)


def same_language(a: str, b: str) -> bool:
    """Are two tags the same language (by primary subtag: `ru` and `ru-KZ` are)?"""
    return a.split("-")[0].lower() == b.split("-")[0].lower()


@functools.cache
def known() -> tuple[str, ...]:
    """Every tag CLDR has data for, as BCP 47 writes it."""
    from babel.localedata import locale_identifiers

    return tuple(sorted(i.replace("_", "-") for i in locale_identifiers() if i != "root"))


def nearest(tag: str, n: int = 3) -> list[str]:
    """The known tags closest to a mistyped one (`kz` -> `kk`...), best first; for a
    language's English name (`Russian`), its tag."""
    import difflib

    from babel import Locale

    named = {name.lower(): code for code, name in Locale("en").languages.items()}
    by_name = named.get(tag.strip().lower())
    wanted = tag.replace("_", "-").lower()
    lowered = {t.lower(): t for t in known()}
    close = [lowered[t] for t in difflib.get_close_matches(wanted, lowered, n=n, cutoff=0.5)]
    return ([by_name] if by_name in known() else []) + [t for t in close if t != by_name]


@functools.lru_cache(maxsize=512)
def check_lang(field: str, value: str | None) -> None:
    """A known language, written as BCP 47 writes it; else FieldError naming the field
    and the nearest known tags."""
    if value is None:
        return
    written = canonical(value)
    if written == value:
        return
    if written is not None:
        raise FieldError(field, f"is written {written!r} (BCP 47), not {value!r}")
    close = nearest(value)
    hint = f"; the nearest known: {', '.join(close)}" if close else ""
    raise FieldError(field, f"is not a known language tag (BCP 47, such as en, ru, kk or "
                            f"en-GB): {value!r}{hint}")


@functools.cache
def country_codes() -> dict[str, str]:
    """Each country's English name (CLDR's, by Babel; folded) and its ISO 3166 code."""
    from babel import Locale

    return {name.casefold(): code for code, name in Locale("en").territories.items()
            if len(code) == 2 and code.isalpha()}

