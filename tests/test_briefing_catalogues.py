"""The briefing's gettext catalogues are complete and agree with its templates and code:
every English word the briefing prints has a translation in each language, with the same
placeholders and markup, CLDR's plural rule, and the compiled `.mo` the package reads."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from archive.briefing.i18n import DOMAIN, LOCALE_DIR, languages

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = [lang for lang in languages() if lang != "en"]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "Nn_": (1, 2)}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
TAG = re.compile(r"</?\w+[^>]*>")


def extracted() -> set[str]:
    """The English messages of the templates and code, extracted as `make catalogues` does."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    return {msg[2] if isinstance(msg[2], str) else msg[2][0]
            for msg in extract_from_dir(str(ROOT), method_map, options_map, keywords=KEYWORDS)}


def catalogue(lang: str):  # type: ignore[no-untyped-def]
    with (LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as f:
        return read_po(f, locale=lang)


def test_there_are_catalogues_for_russian_and_kazakh() -> None:
    assert languages() == ("en", "kk", "ru")


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_word_of_the_briefing_is_in_the_catalogue(lang: str) -> None:
    wanted = extracted()
    have = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue(lang) if m.id}
    assert len(wanted) > 250
    assert sorted(wanted - have) == [], "run `make catalogues` and translate the new words"
    assert sorted(have - wanted) == [], "run `make catalogues`: these are no longer used"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated_with_its_placeholders_and_markup(lang: str) -> None:
    cat = catalogue(lang)
    nplurals = cat.num_plurals
    problems = []
    for m in cat:
        if not m.id:
            continue
        source = m.id[-1] if m.pluralizable else m.id
        forms = list(m.string) if m.pluralizable else [m.string]
        if m.fuzzy:
            problems.append(f"fuzzy: {source!r}")
        if m.pluralizable and len(forms) != nplurals:
            problems.append(f"{len(forms)} forms, not {nplurals}: {source!r}")
        for form in forms:
            if not form.strip():
                problems.append(f"untranslated: {source!r}")
            elif set(PLACEHOLDER.findall(form)) != set(PLACEHOLDER.findall(source)):
                problems.append(f"placeholders differ: {source!r} -> {form!r}")
            elif sorted(TAG.findall(form)) != sorted(TAG.findall(source)):
                problems.append(f"markup differs: {source!r} -> {form!r}")
            elif "%" in PLACEHOLDER.sub("", form).replace("%%", "") and \
                    PLACEHOLDER.search(source):
                problems.append(f"a stray % in: {form!r}")
    assert problems == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_plural_rule_is_cldrs_and_the_compiled_catalogue_is_current(lang: str) -> None:
    cat = catalogue(lang)
    rule = get_plural(lang)
    assert cat.num_plurals == rule.num_plurals
    assert cat.plural_expr == rule.plural_expr
    compiled = io.BytesIO()
    write_mo(compiled, cat)
    mo = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    assert mo.read_bytes() == compiled.getvalue(), "run `make catalogues` to compile it"
