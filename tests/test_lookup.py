"""`--conference ID or NAME` finds a conference the same way in every output: by its id,
else by the name key the README promises (NFKC, casefold, single spaces), so a name typed
in full-width letters or with `ss` for `ß` finds it; a name two conferences share is
refused, with their ids."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from briefing_fixtures import write_log
from helpers import examples
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from archive.app import Archive
from archive.briefing.progress import load_progress
from archive.core.names import name_key, named
from archive.database.build import build
from archive.errors import Ambiguous, NotFound
from archive.exchange.ics import calendar
from archive.exchange.popolo import popolo
from archive.store import sqlite

STRASSE = "Forum an der Straße"
WIDE = "Ｃｏｎｆ Ａｓｉａ"  # full-width letters, as an East Asian keyboard types them


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lookup")
    log = write_log(root, [
        ("strasse", "conference.held", {"name": STRASSE, "start": "2031-03-01"}, None, "p1"),
        ("wide", "conference.held", {"name": WIDE, "start": "2031-05-01"}, None, "p1"),
        ("summit-a", "conference.held", {"name": "Summit", "start": "2031-06-01"}, None, "p1"),
        ("summit-b", "conference.held", {"name": "Summit", "start": "2032-06-01"}, None, "p1"),
        ("fu", "followup.scheduled", {"conference": "wide", "name": "Next", "when": "2032-01"},
         None, "p1"),
    ])
    return build(log, root / "exports" / "archive.db").path


@pytest.mark.parametrize("typed,found", [
    ("strasse", "strasse"), ("FORUM AN DER STRASSE", "strasse"),
    ("forum  an der straße", "strasse"), ("conf asia", "wide"), ("CONF ASIA", "wide"),
    (WIDE, "wide"), ("summit-b", "summit-b"),
])
def test_a_conference_is_found_by_id_or_name_key(db: Path, typed: str, found: str) -> None:
    with closing(sqlite.read_only(db)) as conn:
        assert sqlite.conference(conn, typed)["id"] == found


def test_no_match_and_a_shared_name_are_errors_that_list_the_choices(db: Path) -> None:
    with closing(sqlite.read_only(db)) as conn:
        with pytest.raises(NotFound, match=r"no conference 'Davos' .*strasse \(Forum"):
            sqlite.conference(conn, "Davos")
        with pytest.raises(Ambiguous, match=r"2 conferences are named 'summit'.*summit-a, "
                                            r"summit-b"):
            sqlite.conference(conn, "summit")
        with pytest.raises(Ambiguous, match="holds 4 conferences"):
            sqlite.conference(conn, None)


def test_every_output_finds_the_same_conference(db: Path) -> None:
    document = json.loads(popolo(db, "conf asia"))
    assert [e["name"] for e in document["events"]] == [WIDE]
    assert b"SUMMARY:Next" in calendar(db, "CONF ASIA")
    assert b"SUMMARY:Next" not in calendar(db, "FORUM AN DER STRASSE")
    with pytest.raises(NotFound, match="follows no commitment of 'conf asia'"):
        load_progress(db, "conf asia")
    for output in (lambda: popolo(db, "Davos"), lambda: calendar(db, "Davos"),
                   lambda: load_progress(db, "Davos")):
        with pytest.raises(NotFound, match="no conference 'Davos'"):
            output()


def test_the_briefing_is_named_by_the_conference_found(db: Path, tmp_path: Path) -> None:
    root = db.parent.parent
    result = Archive(root).brief(conference="forum an der strasse", html=True)
    assert result.path.name.startswith("briefing-strasse")
    assert STRASSE in result.path.read_text(encoding="utf-8")


def test_the_read_only_opener_never_makes_a_file(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no database at"):
        sqlite.read_only(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()
    odd = tmp_path / "a?b#c"  # a URI's query and fragment marks, in a folder's name
    odd.mkdir()
    with closing(sqlite3.connect(odd / "x.db")) as conn:
        conn.execute("create table t (x)")
    with closing(sqlite.read_only(odd / "x.db")) as conn:
        assert conn.execute("select count(*) from t").fetchone()[0] == 0


def test_a_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    with closing(sqlite3.connect(tmp_path / "t.db", isolation_level=None)) as conn:
        conn.execute("create table t (x)")
        with pytest.raises(ZeroDivisionError), sqlite.transaction(conn):
            conn.execute("insert into t values (1)")
            _ = 1 / 0
        with sqlite.transaction(conn, "IMMEDIATE"):
            conn.execute("insert into t values (2)")
        assert conn.execute("select x from t").fetchall() == [(2,)]


def _wide(text: str) -> str:
    """ASCII letters and digits as their full-width forms (U+FF01 onward)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1,
                        max_size=12), min_size=1, max_size=6, unique_by=name_key),
       st.data())
def test_any_conference_is_found_however_its_name_is_typed(names: list[str],
                                                           data: st.DataObject) -> None:
    """Whatever the recorded names (distinct by name key), each is found by its id and by
    its name typed in capitals, with doubled spaces or in full-width letters; a name no
    conference has finds none."""
    known = [(f"c{i}", name) for i, name in enumerate(names)]
    assume(not {name_key(n) for n in names} & {name_key(i) for i, _ in known})  # an id wins
    i = data.draw(st.integers(0, len(names) - 1))
    ident, name = known[i]
    for typed in (ident, name, name.upper(), name.lower(), f"  {name}  ", _wide(name)):
        assert named(typed, known) == [ident], typed
    assert named("no such conference " + "\u2603", known) == []
