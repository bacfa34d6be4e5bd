"""Briefings in English, Russian and Kazakh from one log (issue 29, item 4): every fixed
word through the catalogue, every count, plural and date as the record and CLDR say, each
text in its own language with the translation recorded into the briefing's beneath it,
the PDF's language the briefing's, its fonts embedded, and the same bytes every time.

The shipped Astana archive, copied, gets test-only texts through the CLI: a Kazakh quote
with every letter only Kazakh uses, an Arabic one (the other direction), and a clearly
fictitious Russian translation of one English quote. None of it is in the shipped log."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from briefing_pdf import inflated, pages, run, squash
from briefing_pdf import text as pdf_text
from helpers import archive_env

from archive.briefing.document import mark_languages
from archive.briefing.i18n import Dates, Words, languages

REPO = Path(__file__).resolve().parent.parent
KAZAKH_LETTERS = "әғқңөұүһі"
KAZAKH_QUOTE = "Әріптестер ғылым, қоғам, таң, өнер, ұлт, үміт, һәм ілім туралы сөйледі."
ARABIC_QUOTE = "نحن ندعم التعاون بين الدول"  # no lam-alef ligature: pdftotext splits it
RUSSIAN_RENDERING = "[Тестовый перевод, вымышленный] Мы должны объединить силы."


def _archive(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archive", *args], env=archive_env(root),
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def briefed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The copied archive with its test-only texts, and its briefings in each language
    (PDF and HTML), with the database they were made from."""
    from archive.app import Archive

    root = tmp_path_factory.mktemp("langs") / "a"
    shutil.copytree(REPO / "events", root / "events")
    first = Archive(root).build()
    with sqlite3.connect(first.path) as db:
        speech, part = db.execute("select speech_id, n from quotes q join speeches s on "
                                  "s.id = q.speech_id where q.lang = 'en' order by "
                                  "s.event_seq, q.n limit 1").fetchone()
    for args in (
            ("add", "speech", "--speaker", "Karim Massimov", "--lang", "kk", "--quote",
             KAZAKH_QUOTE, "--source", "urn:test-kk", "--id", "sp-kk"),
            ("add", "speech", "--speaker", "Karim Massimov", "--lang", "ar", "--quote",
             ARABIC_QUOTE, "--source", "urn:test-ar", "--id", "sp-ar"),
            ("add", "translation", "--of", speech, "--part", str(part), "--lang", "ru",
             "--text", RUSSIAN_RENDERING, "--by", "test-only fictitious translation",
             "--source", "urn:test-ru")):
        done = _archive(root, *args)
        assert done.returncode == 0, done.stderr
    archive = Archive(root)
    out: dict[str, Any] = {"root": root, "db": archive.build().path}
    for lang in languages():
        out[lang] = archive.brief(lang=lang, verify=False).path
        out[f"{lang}.html"] = archive.brief(lang=lang, html=True, verify=False).path
        out[f"{lang}.text"] = pdf_text(out[lang])
    return out


def _db(briefed: dict[str, Any]) -> sqlite3.Connection:
    db = sqlite3.connect(f"file:{briefed['db']}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    return db


@pytest.mark.slow
def test_each_language_has_its_own_file(briefed: dict[str, Any]) -> None:
    assert [briefed[lang].name for lang in ("en", "kk", "ru")] == [
        "briefing.pdf", "briefing.kk.pdf", "briefing.ru.pdf"]


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_every_count_and_date_is_the_records_in_the_briefings_language(
        briefed: dict[str, Any], lang: str) -> None:
    """The counts of the summary, said with the catalogue's plural form for each number,
    and the dates, in CLDR's formats for the language, are the database's."""
    words, dates = Words(lang), Dates(lang)
    text = squash(briefed[f"{lang}.text"])
    with _db(briefed) as db:
        conf = db.execute("select * from conferences").fetchone()
        speeches = db.execute("select count(*) from speeches").fetchone()[0]
        sessions = db.execute("select count(*) from sessions").fetchone()[0]
        proposals = db.execute("select count(*) from proposals").fetchone()[0]
        head = db.execute("select seq, recorded_at from events order by seq desc "
                          "limit 1").fetchone()
    claims = [
        dates.range(conf["start"], conf["end"]),
        dates.long(head["recorded_at"][:10]),  # the record as of
        words.ngettext("%(num)s speech", "%(num)s speeches and remarks", speeches),
        words.ngettext("a programme of %(num)s session", "a programme of %(num)s sessions",
                       sessions),
        words.ngettext("%(num)s proposal", "%(num)s proposals", proposals),
        words.gettext("the archive's log up to entry #%(seq)s, recorded %(date)s",
                      seq=str(head["seq"]), date=dates.long(head["recorded_at"][:10])),
    ]
    last = pages(briefed[lang])  # the footer, written by the stylesheet in the language
    claims.append(words.gettext("Page %(page)s of %(pages)s", page=str(last), pages=str(last)))
    for claim in claims:
        assert squash(claim) in text, claim
    # the English words are not what it says
    assert squash("speeches and remarks") not in text


def untranslated_sentences(english_text: str, translated_text: str, lang: str) -> int:
    """Check that each fixed sentence of the catalogue that an English document prints is
    printed in its translation, and not in English, by the same document in `lang`;
    returns how many were checked."""
    from babel.messages.pofile import read_po

    from archive.briefing.i18n import DOMAIN, LOCALE_DIR

    english, translated = squash(english_text), squash(translated_text)
    with (LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as f:
        catalogue = read_po(f)
    checked = 0
    ids = [squash(m.id if isinstance(m.id, str) else m.id[0]) for m in catalogue if m.id]
    for m in catalogue:
        if not m.id or m.pluralizable or "%" in m.id or "<" in m.id or len(m.id.split()) < 3:
            continue
        if sum(squash(m.id) in other for other in ids) > 1:
            continue  # part of a longer sentence: that one is checked
        if squash(m.id) in english:
            checked += 1
            assert squash(m.id) not in translated, m.id
            assert squash(m.string) in translated, (m.id, m.string)
    return checked


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_no_fixed_english_sentence_is_left_in_the_translated_briefing(
        briefed: dict[str, Any], lang: str) -> None:
    """Each fixed sentence of the catalogue that the English briefing prints is printed
    in its translation, and not in English, by the Russian and Kazakh ones."""
    assert untranslated_sentences(briefed["en.text"], briefed[f"{lang}.text"], lang) >= 15


@pytest.mark.slow
def test_the_series_briefing_and_the_accountability_report_are_translated_too(
        briefed: dict[str, Any], tmp_path: Path) -> None:
    """The series briefing and the accountability report in Russian and Kazakh: their
    fixed sentences translated, their counts in the catalogue's plural form, their dates
    CLDR's, the document's language the one asked for."""
    from archive.app import Archive

    archive = Archive(briefed["root"])
    with _db(briefed) as db:
        commitments = db.execute("select count(*) from commitments").fetchone()[0]
        conferences = db.execute("select count(*) from conferences").fetchone()[0]
        conf = db.execute("select start, end from conferences").fetchone()
    texts = {}
    for lang in ("en", "ru", "kk"):
        series = archive.brief_series(tmp_path / f"s-{lang}.pdf", lang=lang, verify=False)
        report = archive.brief_progress(tmp_path / f"p-{lang}.pdf", lang=lang, verify=False)
        texts[lang] = (pdf_text(series.path), pdf_text(report.path))
        for made in (series, report):
            assert f"/Lang ({lang})".encode() in inflated(made.path)
    for lang in ("ru", "kk"):
        words, dates = Words(lang), Dates(lang)
        series_text, report_text = texts[lang]
        checked = sum(untranslated_sentences(english, translated, lang)
                      for english, translated in zip(texts["en"], texts[lang], strict=True))
        assert checked >= 6
        for claim in (words.ngettext("%(num)s conference", "%(num)s conferences",
                                     conferences), dates.range(conf["start"], conf["end"])):
            assert squash(claim) in squash(series_text), claim
        claim = words.ngettext("%(num)s commitment", "%(num)s commitments", commitments)
        assert squash(claim) in squash(report_text), claim


@pytest.mark.slow
def test_texts_keep_their_language_and_the_pdf_says_the_briefings(
        briefed: dict[str, Any]) -> None:
    """The PDF's document language is the briefing's; a quote in another language is
    shown in it, with the translation recorded into the briefing's language beneath it
    or the words that none is recorded, in that language."""
    for lang in ("en", "ru", "kk"):
        assert f"/Lang ({lang})".encode() in inflated(briefed[lang])
        html = briefed[f"{lang}.html"].read_text("utf-8")
        assert f'<html lang="{lang}">' in html
        assert f'<span class="said" lang="kk" dir="auto">“{KAZAKH_QUOTE}”</span>' in html
        assert f'<span class="said" lang="ar" dir="auto">“{ARABIC_QUOTE}”</span>' in html
    untranslated = {lang: squash("(" + Words(lang).gettext("no translation recorded") + ")")
                    for lang in ("en", "ru", "kk")}
    ru, en, kk = (squash(briefed[f"{lang}.text"]) for lang in ("ru", "en", "kk"))
    # the fictitious Russian translation shows only in the Russian briefing
    assert squash(RUSSIAN_RENDERING) in ru
    assert squash(RUSSIAN_RENDERING) not in en and squash(RUSSIAN_RENDERING) not in kk
    # English texts have no translation into Kazakh: each says so, in Kazakh
    assert kk.count(untranslated["kk"]) > en.count(untranslated["en"]) >= 2
    assert untranslated["en"] not in ru and untranslated["en"] not in kk


@pytest.mark.slow
def test_kazakh_letters_and_arabic_render_with_embedded_fonts(
        briefed: dict[str, Any]) -> None:
    for lang in ("en", "ru", "kk"):
        fonts = run("pdffonts", briefed[lang]).splitlines()[2:]
        assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # emb
        text = briefed[f"{lang}.text"]
        assert set(KAZAKH_LETTERS) <= set(text.lower()), lang
        assert squash(KAZAKH_QUOTE) in squash(text)
        # pdftotext gives right-to-left text in logical or in visual order
        arabic = re.sub(r"[^\u0600-\u06FF]", "", text)
        wanted = re.sub(r"[^\u0600-\u06FF]", "", ARABIC_QUOTE)
        assert wanted in arabic or wanted[::-1] in arabic
    # the Kazakh briefing's own words use the Kazakh letters too
    assert set("әқңұүі") <= set(squash(briefed["kk.text"]).lower())


@pytest.mark.slow
def test_the_same_log_gives_the_same_three_briefings(briefed: dict[str, Any],
                                                     tmp_path: Path) -> None:
    from archive.app import Archive

    archive = Archive(briefed["root"])
    for lang in ("en", "ru", "kk"):
        again = archive.brief(tmp_path / f"{lang}.pdf", lang=lang, verify=False).path
        assert again.read_bytes() == briefed[lang].read_bytes(), lang


def test_a_language_without_a_catalogue_is_one_error_naming_those_there_are(
        tmp_path: Path) -> None:
    root = tmp_path / "a"
    shutil.copytree(REPO / "events", root / "events")
    for args in (("briefing", "--lang", "fr"), ("briefing", "--lang", "fr", "--series"),
                 ("briefing", "--lang", "RU", "--progress"), ("briefing", "--lang", "")):
        done = _archive(root, *args)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert [line for line in done.stderr.splitlines() if line.startswith("Error:")]
        assert not (root / "exports").exists() or not list((root / "exports").glob("*.pdf"))
    assert ("no briefing catalogue for 'fr'; available: en, kk, ru"
            in _archive(root, "briefing", "--lang", "fr").stderr)


#: Which gettext form each CLDR plural category takes, in the order of the catalogue's
#: plural expression (Babel's `get_plural`).
FORM = {"ru": {"one": 0, "few": 1, "many": 2, "other": 2}, "kk": {"one": 0, "other": 1},
        "en": {"one": 0, "other": 1}}


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
@pytest.mark.parametrize("n", [0, 1, 2, 4, 5, 11, 12, 14, 21, 22, 25, 101, 111, 1000, 12345])
def test_a_count_takes_the_form_of_its_cldr_plural_category_in_the_locales_digits(
        lang: str, n: int) -> None:
    """gettext's plural expression from the catalogue's header picks, for every number,
    the form of the number's CLDR category, and the number is in the locale's digits."""
    from babel import Locale
    from babel.messages.pofile import read_po
    from babel.numbers import format_decimal

    from archive.briefing.i18n import DOMAIN, LOCALE_DIR, REGION

    one, many = "a programme of %(num)s session", "a programme of %(num)s sessions"
    forms = [one, many]
    if lang != "en":
        with (LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as f:
            forms = list(read_po(f).get(one).string)
    locale = Locale.parse(REGION.get(lang, lang))
    expected = forms[FORM[lang][locale.plural_form(n)]] % {
        "num": format_decimal(n, locale=locale)}
    assert Words(lang).ngettext(one, many, n) == expected


def test_untagged_text_in_another_script_is_marked_with_its_language() -> None:
    """A run the record gives no language is marked unless it is in the briefing's own:
    Cyrillic as Kazakh when it has letters only Kazakh uses, else as the briefing's
    language when that is written in Cyrillic, else Russian; Latin, in a briefing written
    in Cyrillic, as English. A text whose element has its language is left alone."""
    russian, kazakh, latin = "Назарбаев", "Қазақстан", "Government of Kazakhstan"
    html = (f"<html><body><p>{russian}</p><p>{kazakh}: {latin}.</p>"
            f'<p lang="de">{latin}</p></body></html>')
    assert mark_languages(html, "en") == (
        f'<html><body><p><span lang="ru">{russian}</span></p>'
        f'<p><span lang="kk">{kazakh}</span>: {latin}.</p><p lang="de">{latin}</p></body></html>')
    assert mark_languages(html, "ru") == (
        f'<html><body><p>{russian}</p><p><span lang="kk">{kazakh}</span>: '
        f'<span lang="en">{latin}</span>.</p><p lang="de">{latin}</p></body></html>')
    # a Kazakh briefing's own words need no mark, nor a name written in them
    assert mark_languages(html, "kk") == (
        f'<html><body><p>{russian}</p><p>{kazakh}: <span lang="en">{latin}</span>.</p>'
        f'<p lang="de">{latin}</p></body></html>')


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_countries_are_named_as_cldr_names_them_in_the_briefings_language(
        briefed: dict[str, Any], lang: str) -> None:
    """Each country the record names by its English CLDR name is listed by CLDR's name in
    the briefing's language, and in that language's alphabetical order; a name CLDR does
    not know stays as recorded."""
    from babel import Locale

    from archive.core.langs import country_codes

    with _db(briefed) as db:
        names = [r[0] for r in db.execute("select distinct name from entities where kind = "
                                          "'country' and id in (select entity_id from "
                                          "participations)")]
    known = {n: Locale.parse(lang).territories[country_codes()[n.casefold()]]
             for n in names if n.casefold() in country_codes()}
    assert len(known) >= 8
    text = briefed[f"{lang}.text"]
    for english, said in known.items():
        assert squash(said) in squash(text), (english, said)
        assert Words(lang).country(english) == said
    assert Words(lang).country("Utopia") == "Utopia" and Words("en").country(
        "Kazakhstan") == "Kazakhstan"
    # the annex's group of countries, alphabetical by the names it shows
    html = briefed[f"{lang}.html"].read_text("utf-8")
    heading = f"<h3>{Words(lang).gettext('Countries')} ("
    group = html[html.index(heading):].split("</ul>")[0]
    listed = re.findall(r"<li>([^<(]+?)(?: \(|<)", group)
    assert len(listed) >= 6 and set(listed) <= set(known.values()), listed
    assert listed == sorted(listed, key=str.casefold)
