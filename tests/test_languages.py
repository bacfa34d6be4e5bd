"""Languages and recorded translations (issue 29): tags checked against CLDR, the rules a
translation keeps, and, over generated histories (working languages set and corrected,
facts with and without their own language, translations recorded, corrected and
retracted, originals corrected), every language and every copy of a translated text the
database holds compared with what the record says, in full and incremental builds."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from fixtures_db import append, rows
from helpers import examples
from histories import chain, known
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.app import Archive
from archive.core import catalogue as cat
from archive.core import langs, rules
from archive.core.events import apply_changes, make_payload
from archive.core.translations import text_of
from archive.core.validate import FieldError
from archive.errors import InvalidEvent, NotFound

# ---------------------------------------------------------------- tags


@pytest.mark.parametrize("tag", ["en", "ru", "kk", "en-GB", "kk-Cyrl-KZ", "zh-Hant-TW",
                                 "sr-Latn"])
def test_a_known_tag_written_as_bcp_47_writes_it_is_accepted(tag: str) -> None:
    langs.check_lang("lang", tag)
    assert langs.canonical(tag) == tag


@pytest.mark.parametrize(("tag", "message"), [
    ("RU", "field `lang` is written 'ru' (BCP 47), not 'RU'"),
    ("en-gb", "is written 'en-GB' (BCP 47), not 'en-gb'"),
    ("kz", "'kz'; the nearest known: ru-KZ, kk-KZ"),
    ("Russian", "'Russian'; the nearest known: ru"),
    ("en_GB", "'en_GB'; the nearest known: en-GB"),
    ("und", "is not a known language tag"),
    ("<b>ru</b>", "is not a known language tag (BCP 47, such as en, ru, kk or en-GB): "
                  "'<b>ru</b>'"),
    ("xx", "is not a known language tag"),
])
def test_a_tag_that_is_not_a_known_language_names_the_nearest(tag: str, message: str) -> None:
    with pytest.raises(FieldError) as got:
        langs.check_lang("lang", tag)
    assert message in str(got.value)


def test_a_bad_tag_in_a_payload_is_an_error_naming_the_field() -> None:
    with pytest.raises(InvalidEvent, match=r"field `data.lang` is not a known language tag"):
        make_payload("speech.delivered", {"conference": "c", "speaker": "s", "lang": "kz"})


# ---------------------------------------------------------------- the rules

BASE: list[tuple[str, str, dict[str, Any]]] = [
    ("c1", "conference.held", {"name": "Astana", "lang": "ru"}),
    ("c2", "conference.held", {"name": "Geneva"}),
    ("p1", "participant.attended", {"conference": "c1", "entity": "ann", "kind": "person",
                                    "name": "Ann Lee"}),
    ("sp", "speech.delivered", {"conference": "c1", "speaker": "ann", "summary": "Кратко",
                                "quotes": ["Первая", "Вторая"]}),
    ("sp2", "speech.delivered", {"conference": "c2", "speaker": "ann", "quotes": ["First"]}),
    ("ag", "agreement.reached", {"conference": "c2", "title": "Steps", "lang": "kk",
                                 "items": [{"n": 3, "text": "Үшінші"}]}),
    ("tr", "translation.recorded", {"of": "sp", "part": 1, "lang": "en", "text": "First",
                                    "by": "interpreter"}),
]


@pytest.mark.parametrize(("data", "error", "message"), [
    ({"of": "nope"}, NotFound, "field `data.of`: no text with id 'nope'"),
    ({"of": "tr"}, InvalidEvent, "tr is itself a translation; translate the text it "
                                 "translates (sp) instead"),
    ({"of": "p1"}, InvalidEvent, "p1 is a participant.attended, which has no text"),
    ({"of": "sp", "part": 3}, NotFound, "field `data.part`: sp has no quote 3 (its quotes: "
                                        "1, 2)"),
    ({"of": "ag", "part": 1}, NotFound, "ag has no point 1 (its points: 3)"),
    ({"of": "sp2"}, NotFound, "sp2 records no summary; give the part to translate"),
    ({"of": "sp", "part": 2, "lang": "ru"}, InvalidEvent,
     "field `data.lang`: the text is in ru already"),  # the conference's working language
    ({"of": "sp", "part": 2, "lang": "ru-KZ"}, InvalidEvent, "the text is in ru already"),
    ({"of": "sp2", "part": 1, "lang": "en"}, InvalidEvent, "the text is in en already"),
    ({"of": "ag", "part": 3, "lang": "kk"}, InvalidEvent, "the text is in kk already"),
])
def test_a_translation_breaking_a_rule(data: dict[str, Any], error: type[Exception],
                                       message: str) -> None:
    payload = make_payload("translation.recorded", {
        "lang": "en", "text": "t", "by": "interpreter", **data})
    with pytest.raises(error) as got:
        rules.check(payload, known(BASE))
    assert message in str(got.value)


def test_translations_that_keep_the_rules_pass() -> None:
    view = known(BASE)
    for data in ({"of": "sp", "part": 2, "lang": "kk"}, {"of": "sp", "lang": "en"},
                 {"of": "ag", "part": 3, "lang": "ru"}, {"of": "sp2", "part": 1, "lang": "fr"},
                 {"of": "c1", "lang": "en"}):
        rules.check(make_payload("translation.recorded", {
            "text": "t", "by": "the source's own", **data}), view)


def test_a_correction_that_would_break_a_translation_is_refused() -> None:
    view = known(BASE)
    for changes, message in (({"lang": "ru"}, "the text is in ru already"),
                             ({"part": 9}, "sp has no quote 9"),
                             ({"of": "sp2"}, "the of of a translation.recorded cannot be "
                                             "corrected")):
        with pytest.raises((InvalidEvent, NotFound), match=message):
            rules.check(make_payload("event.corrected", {"target": "tr", "changes": changes}),
                        view)


_COMMITTED = [*BASE, ("tr0", "translation.recorded", {"of": "sp", "lang": "en",
                                                      "text": "Briefly", "by": "interpreter"}),
              ("cm", "commitment.made", {"conference": "c2", "agreement": "ag", "point": 3,
                                         "owner_names": ["governments"]})]


@pytest.mark.parametrize(("target", "changes", "message"), [
    ("sp", {"quotes": []}, "field `changes.quotes`: cannot take away quote 1 of sp: "
                                   "1 live fact refers to it (tr); retract or correct those "
                                   "first"),
    ("sp", {"summary": None}, "field `changes.summary`: cannot take away the summary of sp: "
                              "1 live fact refers to it (tr0)"),
    ("ag", {"items": [{"n": 4, "text": "Төртінші"}]},
     "field `changes.items`: cannot take away point 3 of ag: 2 live facts refer to it"),
])
def test_a_correction_cannot_take_away_a_text_a_live_fact_refers_to(
        target: str, changes: dict[str, Any], message: str) -> None:
    """A translation of a quote, a point or a fact's own text, and a commitment to a point,
    keep that text: the correction that would take it away is refused, naming them."""
    items = [*_COMMITTED, ("tr3", "translation.recorded", {
        "of": "ag", "part": 3, "lang": "en", "text": "Third", "by": "interpreter"})]
    view = known(items)

    def dependents(ids: set[str]) -> list[str]:
        return cat.dependents(((e.id, e.type, e.data) for e in chain(items)), view, ids)

    with pytest.raises(InvalidEvent) as got:
        rules.check(make_payload("event.corrected", {"target": target, "changes": changes}),
                    view, dependents=dependents)
    assert str(got.value).startswith(message)


def test_a_text_no_live_fact_refers_to_any_longer_can_be_taken_away() -> None:
    items = [*_COMMITTED, ("r1", "event.retracted", {"target": "tr", "reason": "wrong"}),
             ("fix", "event.corrected", {"target": "tr0", "changes": {"part": 2}})]
    view = known(items)
    rules.check(make_payload("event.corrected", {"target": "sp", "changes": {
        "quotes": ["Вторая", "Третья"], "summary": None}}), view)  # quote 2 stays
    with pytest.raises(InvalidEvent, match="cannot take away quote 2 of sp"):
        rules.check(make_payload("event.corrected", {"target": "sp", "changes": {
            "quotes": ["Первая"]}}), view)


# ---------------------------------------------------------------- generated histories


@st.composite
def _histories(draw: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """Events that keep the rules: two conferences (working languages set or not, later
    corrected), speeches and agreements with or without their own language, their texts
    corrected, translations of them recorded, corrected and retracted."""
    lang = st.sampled_from(["en", "ru", "kk", "fr"])
    items = [("c1", "conference.held", {"name": "A", **({"lang": draw(lang)} if draw(
                 st.booleans()) else {})}),
             ("c2", "conference.held", {"name": "B"}),
             ("p1", "participant.attended", {"conference": "c1", "entity": "ann",
                                             "kind": "person", "name": "Ann"})]
    view = known(items)
    facts: list[str] = []
    translations: list[str] = []
    for i in range(draw(st.integers(1, 14))):
        action = draw(st.sampled_from(["speech", "agreement", "translate", "translate",
                                       "correct-conference", "correct-text",
                                       "correct-translation", "retract-translation"]))
        ident = f"e{i}"
        own = {"lang": draw(lang)} if draw(st.booleans()) else {}
        conference = draw(st.sampled_from(["c1", "c2"]))
        if action == "speech":
            item = (ident, "speech.delivered", {
                "conference": conference, "speaker": "ann", **own,
                **({"summary": f"said {i}"} if draw(st.booleans()) else {}),
                "quotes": [f"quote {i}.{n}" for n in range(draw(st.integers(0, 2)))]})
        elif action == "agreement":
            item = (ident, "agreement.reached", {
                "conference": conference, "title": f"agreed {i}", **own,
                "items": [{"n": n, "text": f"point {i}.{n}"}
                          for n in (2, 5)[:draw(st.integers(0, 2))]]})
        elif action == "translate" and facts:
            item = (ident, "translation.recorded", {
                "of": draw(st.sampled_from(facts)), "lang": draw(lang),
                "text": f"rendered {i}", "by": "interpreter",
                **({"part": draw(st.sampled_from([1, 2, 5]))} if draw(st.booleans()) else {})})
        elif action == "correct-conference":
            item = (ident, "event.corrected", {"target": draw(st.sampled_from(["c1", "c2"])),
                                               "changes": {"lang": draw(st.one_of(
                                                   st.none(), lang))}})
        elif action == "correct-text" and facts:
            target = draw(st.sampled_from(facts))
            field = "title" if view.event(target).type == "agreement.reached" else "quotes"
            value: Any = f"fixed {i}" if field == "title" else [f"fixed {i}", f"again {i}"]
            item = (ident, "event.corrected", {"target": target, "changes": {field: value}})
        elif action == "correct-translation" and translations:
            item = (ident, "event.corrected", {"target": draw(st.sampled_from(translations)),
                                               "changes": {"text": f"better {i}"}})
        elif action == "retract-translation" and translations:
            item = (ident, "event.retracted", {"target": draw(st.sampled_from(translations)),
                                               "reason": "wrong"})
        else:
            continue
        payload = make_payload(item[1], item[2])
        try:
            rules.check(payload, view)
        except (InvalidEvent, NotFound):
            continue
        view.learn(ident, len(items) + 1, item[1], payload)
        items.append(item)
        if item[1] == "translation.recorded":
            translations.append(ident)
        elif item[1] in ("speech.delivered", "agreement.reached"):
            facts.append(ident)
        elif item[1] == "event.retracted":
            translations.remove(item[2]["target"])
    return items


def _current(items: list[tuple[str, str, dict[str, Any]]]) -> tuple[dict[str, Any], set[str]]:
    """Each fact's payload as corrected, and the retracted ids: the record, read here
    without the projection."""
    now: dict[str, Any] = {}
    types: dict[str, str] = {}
    gone: set[str] = set()
    for ident, type_, data in items:
        if type_ == "event.corrected":
            target = data["target"]
            now[target] = apply_changes(types[target], now[target], data["changes"])
        elif type_ == "event.retracted":
            gone.add(data["target"])
        else:
            now[ident], types[ident] = make_payload(type_, data), type_
    return now, gone


def _lang(payload: Any, now: dict[str, Any]) -> str:
    own = getattr(payload, "lang", None)
    conference = now.get(getattr(payload, "conference", ""))
    return own or getattr(conference, "lang", None) or "en"


def _check(db: Path, items: list[tuple[str, str, dict[str, Any]]]) -> None:
    now, gone = _current(items)
    with closing(sqlite3.connect(db)) as conn:
        def one(sql: str, *args: Any) -> Any:
            found = conn.execute(sql, args).fetchall()
            assert len(found) == 1, (sql, args, found)
            return found[0]

        for ident, payload in now.items():
            if ident in gone or payload.TYPE not in ("speech.delivered", "agreement.reached",
                                                     "translation.recorded"):
                continue
            if payload.TYPE == "translation.recorded":
                original = now[payload.of]
                words = text_of(original, payload.part)
                row = one("select lang, text, by, original_text from translations where id = ?",
                          ident)
                assert row == (payload.lang, payload.text, payload.by, words)
                assert one("select lang, text, original from texts where id = ?", ident) == (
                    payload.lang, payload.text, words)
                continue
            lang = _lang(payload, now)
            table, parts = (("speeches", "quotes") if payload.TYPE == "speech.delivered"
                            else ("agreements", "agreement_items"))
            assert one(f"select lang from {table} where id = ?", ident) == (lang,)
            langs_of_parts = conn.execute(f"select distinct lang from {parts} where id like ?",
                                          (ident + "/%",)).fetchall()
            assert langs_of_parts in ([], [(lang,)])
            texts = conn.execute("select distinct lang from texts where row_id = ? or row_id "
                                 "like ?", (ident, ident + "/%")).fetchall()
            assert texts in ([], [(lang,)]), (ident, texts, lang)
        live = {i for i, p in now.items() if p.TYPE == "translation.recorded" and i not in gone}
        assert {r[0] for r in conn.execute("select id from translations")} == live
        assert {r[0] for r in conn.execute("select id from texts where kind = 'translation'")
                } == live


@settings(max_examples=examples(60), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(_histories(), st.data())
def test_every_language_and_translated_text_the_database_holds_is_the_records(
        tmp_path_factory: Any, items: list[tuple[str, str, dict[str, Any]]], data: Any) -> None:
    tmp = tmp_path_factory.mktemp("lang")
    k = data.draw(st.integers(1, len(items)))
    root = tmp / "a"
    append(root, items[:k])
    Archive(root).build()
    if items[k:]:
        append(root, items[k:])
    incremental = Archive(root).build()
    _check(incremental.path, items)
    full = Archive(root).build(tmp / "full.db", full=True)
    assert list(rows(incremental.path)) == list(rows(full.path))


# ---------------------------------------------------------------- a newcomer's path


def test_a_russian_quote_and_its_official_translation_are_found_by_either_language(
        tmp_path: Path) -> None:
    """Recorded through the CLI (a real process), built, served by a real Datasette:
    search finds the quote by a Russian word and by an English word of its translation,
    and the translation's result shows both texts, each with its language."""
    import json
    import subprocess
    import sys

    from helpers import archive_env
    from servers import http, start

    root = tmp_path / "a"
    env = archive_env(root)

    def archive(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "archive", *args], env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done

    archive("init", str(root))
    archive("add", "conference", "--name", "Astana", "--lang", "ru", "--source", "urn:r")
    archive("add", "speech", "--speaker", "Karim Massimov", "--quote",
            "Мы выступаем за сотрудничество.", "--id", "sp-ru", "--source", "urn:r")
    archive("add", "translation", "--of", "sp-ru", "--part", "1", "--lang", "en", "--text",
            "We stand for cooperation.", "--by", "official translation",
            "--source", "urn:report-en", "--locator", "p3")
    bad = subprocess.run([sys.executable, "-m", "archive", "add", "translation", "--of",
                          "sp-ru", "--part", "1", "--lang", "kz", "--text", "x", "--by", "i",
                          "--source", "urn:x"], env=env, capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stderr.startswith("Error: field `data.lang`")
    assert "kk-KZ" in bad.stderr and "Traceback" not in bad.stderr
    archive("build")
    proc, url = start(root)
    try:
        def search(word: str) -> list[dict[str, Any]]:
            code, body = http(f"{url}/archive/texts.json?_search={word}&_shape=objects")
            assert code == 200, body
            return list(json.loads(body)["rows"])

        russian = search("%D1%81%D0%BE%D1%82%D1%80%D1%83%D0%B4%D0%BD%D0%B8%D1%87%D0%B5"
                         "%D1%81%D1%82%D0%B2%D0%BE")  # сотрудничество
        english = search("cooperation")
        code, page = http(f"{url}/archive/translations")
        pages = {path: http(url + path) for path in (
            "/archive/quotes", "/archive/speeches/sp-ru", "/archive/texts?_search=cooperation",
            "/archive/feed.atom")}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert [(r["kind"], r["lang"], r["row_id"]) for r in russian] == [
        ("quote", "ru", "sp-ru/1")]
    assert [(r["kind"], r["lang"], r["text"], r["original"], r["translates"])
            for r in english] == [("translation", "en", "We stand for cooperation.",
                                   "Мы выступаем за сотрудничество.", "sp-ru/1")]
    assert code == 200 and "official translation" in page
    assert '<span lang="ru">Мы выступаем за сотрудничество.</span>' in page  # the original
    assert '<span lang="en">We stand for cooperation.</span>' in page
    assert all(code == 200 for code, _ in pages.values())
    assert '<span lang="ru">Мы выступаем за сотрудничество.</span>' in pages["/archive/quotes"][1]
    speech = " ".join(pages["/archive/speeches/sp-ru"][1].split())
    # the reader's page: the original first, in its language, its translation beneath
    assert ('<span lang="ru">“Мы выступаем за сотрудничество.”</span> <span '
            'class="archive-translation"><span lang="en">“We stand for cooperation.”</span> '
            '<span class="archive-meta">(en, official translation)</span>') in speech
    import xml.etree.ElementTree as ET

    atom = "{http://www.w3.org/2005/Atom}"
    contents = [e.findtext(f"{atom}content") or "" for e in ET.fromstring(
        pages["/archive/feed.atom"][1].encode()).iter(f"{atom}entry")]
    assert any('<blockquote lang="ru"><p>“Мы выступаем за сотрудничество.”</p></blockquote>'
               in c for c in contents)  # the feed's entry says which language it quotes
    found = pages["/archive/texts?_search=cooperation"][1]
    assert '<span lang="en">We stand for cooperation.</span>' in found
    assert '<span lang="ru">Мы выступаем за сотрудничество.</span>' in found


# ---------------------------------------------------------------- the briefing


@pytest.mark.slow  # renders a PDF (4 s)
def test_the_briefing_shows_each_text_in_its_language_with_its_recorded_translation(
        tmp_path: Path) -> None:
    """A Russian speech: the quote with a recorded English translation shows it beneath,
    cited to the translation's own source; the quote and summary with none say so; every
    text carries its language (PDF text by pdftotext, the web version by its markup)."""
    import shutil
    import subprocess
    import sys

    from helpers import archive_env

    root = tmp_path / "a"
    shutil.copytree(Path(__file__).resolve().parent.parent / "events", root / "events")
    env = archive_env(root)

    def archive(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "archive", *args], env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    archive("add", "speech", "--speaker", "Karim Massimov", "--lang", "ru", "--summary",
            "Говорил о сотрудничестве.", "--quote", "Мы выступаем за сотрудничество.",
            "--quote", "Второе высказывание.", "--source", "urn:ru", "--id", "sp-ru")
    archive("add", "translation", "--of", "sp-ru", "--part", "1", "--lang", "en", "--text",
            "We stand for cooperation.", "--by", "official translation", "--source",
            "urn:report-en", "--locator", "p3")
    archive("briefing")
    text = subprocess.run(["pdftotext", "-layout", str(root / "exports" / "briefing.pdf"),
                           "-"], capture_output=True, text=True, check=True).stdout
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    at = lines.index("Говорил о сотрудничестве.")
    assert lines[at:at + 5] == [
        "Говорил о сотрудничестве.", "(no translation recorded)",
        "“Мы выступаем за сотрудничество.”",
        lines[at + 3], "“Второе высказывание.”"]
    cited = lines[at + 3].removeprefix(
        "“We stand for cooperation.” (translation: official translation) ")
    assert cited.isdigit(), lines[at + 3]
    assert lines[at + 5] == "(no translation recorded)"
    # the shipped archive's texts are in English, the briefing's language: nothing added
    assert sum("(no translation recorded)" in line for line in lines) == 2
    sources = " ".join(text[text.index("\nSources\n"):].split())
    assert f" {cited}. urn:report-en, para. 3." in sources  # the translation's own source
    archive("briefing", "--html")
    html = next((root / "exports").glob("*.html")).read_text(encoding="utf-8")
    assert ('<span class="said" lang="ru" dir="auto">“Мы выступаем за сотрудничество.”</span>'
            in html)
    assert '<span class="rendering" lang="en" dir="auto">“We stand for cooperation.”' in html
    assert '<span class="said" lang="en" dir="auto">' in html  # the shipped archive's texts


def test_add_import_and_verify_keep_a_translated_quote_alike(tmp_path: Path) -> None:
    """The same rule for every path: an import whose correction would take away a quote
    it also translates imports nothing; a log that holds one anyway fails verify at that
    line."""
    from archive.errors import LogCorrupt

    items = [*BASE, ("fix", "event.corrected", {"target": "sp", "changes": {"quotes": []}})]
    root = tmp_path / "log"
    append(root, items)  # written without the rules, as a tampered log would be
    with pytest.raises(LogCorrupt) as got:
        Archive(root).verify()
    assert got.value.line == len(items)
    assert "cannot take away quote 1 of sp: 1 live fact refers to it (tr)" in str(got.value)

    import json

    other = tmp_path / "import"
    Archive(other).init()
    lines = [json.dumps({"type": t, "id": i, "data": d, "source": {"url": "urn:r",
                                                                   "locator": None}})
             for i, t, d in items]
    with pytest.raises(InvalidEvent, match=f"import line {len(items)}: field `changes.quotes`"
                                           ": cannot take away quote 1 of sp"):
        Archive(other).recorder().import_lines(iter(line.encode() + b"\n" for line in lines))
    assert Archive(other).log.head().seq == 0


def test_archive_log_says_what_a_translation_is_of() -> None:
    from archive.store.listing import describe

    data = make_payload("translation.recorded", {"of": "sp", "part": 1, "lang": "en",
                                                 "text": "First", "by": "interpreter"})
    assert describe(data, {}) == "en of sp #1 (interpreter): First"


def test_every_table_of_texts_has_its_text_columns_marked_on_its_pages() -> None:
    """The page plugin knows the text columns of every table whose rows carry a language
    (a new one would otherwise show its texts unmarked)."""
    from archive.core.schema import BY_NAME, LANG_TABLES
    from archive.serve.plugins.archive_langs import TEXTS

    assert set(TEXTS) == set(LANG_TABLES)
    assert all(set(cols) <= set(BY_NAME[t].names) for t, cols in TEXTS.items())
