"""The second version of the event model (issue 17), tried as a rapporteur would: a
fictional summit recorded with every new command, then read back through the database,
the full-text search, `archive log --person`, Datasette and the briefing; old (version 1)
lines read through upcasters into the same facts as before."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from briefing_pdf import contains, text
from click.testing import CliRunner, Result
from helpers import examples, run_async
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.app import Archive
from archive.cli import cli
from archive.core.events import make_payload, upcast
from archive.core.projection import fold
from archive.serve.server import make_datasette
from archive.store.log import Log

REPO = Path(__file__).resolve().parent.parent


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--archive", str(root), "--recorder", "tests", *args],
                              catch_exceptions=False)


def ok(root: Path, *args: str) -> Result:
    result = run(root, *args)
    assert result.exit_code == 0, result.output
    return result


SUMMIT = [
    ("source", "--id", "eco-src", "--title", "ECO leaders meet in Khankendi",
     "--publisher", "Trend", "--published", "2025-07-04", "--kind", "press", "--via", "AFP",
     "--url", "https://example.org/eco"),
    ("conference", "--name", "17th ECO Summit", "--series", "ECO Summit", "--number", "17",
     "--host-country", "Azerbaijan", "--topic", "Climate", "--topic", "Transport",
     "--place", "Khankendi", "--start", "2025-07-03", "--end", "2025-07-04", "--id", "eco17"),
    ("postponement", "--planned", "2025-05", "--moved-to", "2025-07-03",
     "--reason", "Moved for the host's calendar."),
    ("participant", "--kind", "country", "--name", "Azerbaijan", "--status", "host"),
    ("participant", "--kind", "country", "--name", "Turkey", "--status", "member"),
    ("participant", "--kind", "country", "--name", "Kazakhstan", "--status", "member"),
    ("participant", "--kind", "country", "--name", "Hungary", "--status", "observer"),
    ("participant", "--kind", "organisation", "--name", "Organisation of Turkic States",
     "--short-name", "OTS", "--status", "observer"),
    ("delegation", "--country", "Pakistan", "--head", "Shehbaz Sharif=Prime Minister",
     "--member", "Ishaq Dar=Foreign Minister", "--member", "Muhammad Aurangzeb",
     "--id", "pak-del"),
    ("meeting", "--kind", "bilateral", "--with", "Shehbaz Sharif", "--with", "Ilham Aliyev",
     "--outcome", "Agreed to expand trade.", "--id", "m1"),
    ("meeting", "--kind", "bilateral", "--with", "Shehbaz Sharif", "--with", "Kazakhstan",
     "--title", "Talks on transit", "--id", "m2"),
    ("agreement", "--title", "Khankendi Declaration", "--kind", "declaration", "--points", "30",
     "--item", "1=Promote connectivity", "--item", "12=Establish a regional food bank",
     "--item", "Cooperate on climate", "--party", "Azerbaijan", "--party", "Turkey",
     "--status", "adopted", "--id", "decl"),
    ("note", "--text", "The summit opened late.", "--about", "Ilham Aliyev",
     "--tag", "logistics", "--tag", "opening", "--id", "late"),
]


@pytest.fixture(scope="module")
def summit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("summit")
    ok(root, "init", str(root))
    for kind, *args in SUMMIT:
        source = () if kind == "source" else ("--source", "eco-src", "--locator", "p1")
        ok(root, "add", kind, *args, *source)
    Archive(root).build()
    return root


def query(root: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(root / "exports" / "archive.db")
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def search(root: Path, words: str) -> set[tuple[str, str]]:
    """What the search finds: (table, row) of each text that matches."""
    return set(query(root, "select table_name, row_id from texts where rowid in "
                           "(select rowid from texts_fts where texts_fts match ?)", words))


def test_statuses_short_names_and_the_conference(summit: Path) -> None:
    assert sorted(query(summit, "select name_given, status from participations where "
                                "status != 'participant'")) == [
        ("Azerbaijan", "host"), ("Hungary", "observer"), ("Kazakhstan", "member"),
        ("Organisation of Turkic States", "observer"), ("Turkey", "member")]
    assert query(summit, "select short_name from entities where name = ?",
                 "Organisation of Turkic States") == [("OTS",)]
    assert query(summit, "select series, number, host_country, topics from conferences") == [
        ("ECO Summit", 17, "Azerbaijan", '["Climate","Transport"]')]
    assert query(summit, "select planned, moved_to, reason from postponements") == [
        ("2025-05", "2025-07-03", "Moved for the host's calendar.")]
    assert query(summit, "select title, publisher, via, published from sources") == [
        ("ECO leaders meet in Khankendi", "Trend", "AFP", "2025-07-04")]


def test_a_delegation_names_its_people_and_their_posts(summit: Path) -> None:
    rows = query(summit, "select e.name, m.post, m.is_head from delegation_members m join "
                         "entities e on e.id = m.entity_id order by m.id")
    assert rows == [("Shehbaz Sharif", "Prime Minister", 1),
                    ("Ishaq Dar", "Foreign Minister", 0), ("Muhammad Aurangzeb", None, 0)]
    assert query(summit, "select e.name, d.member_count from delegations d join entities e "
                         "on e.id = d.country_id") == [("Pakistan", 3)]
    # a new member takes the delegation's country and their post as role
    assert query(summit, "select p.role, c.name from participations p join entities c on "
                         "c.id = p.country_id where p.name_given = 'Ishaq Dar'") == [
        ("Foreign Minister", "Pakistan")]


def test_meetings_appear_under_each_participant(summit: Path) -> None:
    for person, meetings in (("Shehbaz Sharif", {"m1", "m2"}), ("Ilham Aliyev", {"m1"})):
        listed = ok(summit, "log", "--person", person, "--type", "meeting.held").stdout
        assert {line.split()[1] for line in listed.splitlines()
                if line.split()[0].isdigit()} == meetings
    assert query(summit, "select count(*) from meeting_participants where meeting_id = 'm2'"
                 ) == [(2,)]
    assert "late" in ok(summit, "log", "--person", "Ilham Aliyev").stdout  # the note about him


def test_a_declaration_keeps_its_point_numbers_and_parties(summit: Path) -> None:
    assert query(summit, "select n, text from agreement_items order by n") == [
        (1, "Promote connectivity"), (12, "Establish a regional food bank"),
        (13, "Cooperate on climate")]
    assert query(summit, "select kind, status, points, item_count from agreements") == [
        ("declaration", "adopted", 30, 3)]
    assert sorted(query(summit, "select e.name from agreement_parties p join entities e on "
                                "e.id = p.entity_id")) == [("Azerbaijan",), ("Turkey",)]


@pytest.mark.parametrize(("words", "found"), [
    ("Aurangzeb", ("delegation_members", "pak-del/3")),     # a delegation member
    ("Hungary observer", ("participations", None)),          # an observer country
    ("OTS", ("participations", None)),                        # a short name
    ("Khankendi", ("sources", "eco-src")),                    # a source's title
    ("Sharif trade", ("meetings", "m1")),                     # a meeting: who and outcome
    ("logistics", ("notes", "late")),                         # a tag
    ("food bank", ("agreement_items", "decl/12")),
])
def test_search_finds_names_and_what_they_go_with(summit: Path, words: str,
                                                   found: tuple[str, str | None]) -> None:
    hits = search(summit, words)
    table, row = found
    assert any(t == table and (row is None or r == row) for t, r in hits), hits


def test_search_shows_the_conference_and_links_the_row(summit: Path) -> None:
    rows = query(summit, "select conference_id, table_name, row_id from texts where rowid in "
                         "(select rowid from texts_fts where texts_fts match 'Aurangzeb')")
    assert rows and all(c == "eco17" for c, _, _ in rows)
    for _, table, row in rows:
        assert query(summit, f"select count(*) from [{table}] where id = ?", row) == [(1,)]


def test_datasette_facets_participations_by_status(summit: Path) -> None:
    ds = make_datasette(summit / "exports" / "archive.db", summit)

    async def facets() -> dict[str, Any]:
        response = await ds.client.get("/archive/participations.json?_facet=status")
        return response.json()

    body = run_async(facets())
    counts = {r["value"]: r["count"] for r in body["facet_results"]["status"]["results"]}
    assert counts == dict(query(summit, "select status, count(*) from participations "
                                        "group by status"))
    assert counts["observer"] == 2


def test_the_briefing_lists_observers_apart_from_members(summit: Path) -> None:
    result = ok(summit, "briefing")
    pdf = Path(result.stdout.split(" (log")[0])
    body = text(pdf)
    assert contains(body, "Observers (2)") and contains(body, "Members (2)")
    assert contains(body, "Host (1)")


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(("args", "message"), [
    (("add", "participant", "--kind", "country", "--name", "X", "--status", "spectator"),
     "Invalid value for '--status'"),
    (("add", "agreement", "--title", "T", "--points", "5", "--item", "9=Beyond"),
     "field `data.items` point 9 is beyond the 5 points the text has"),
    (("add", "agreement", "--title", "T", "--item", "2=A", "--item", "2=B"),
     "field `data.items` point 2 is given twice"),
    (("add", "agreement", "--title", "T", "--points", "0"), "Invalid value for '--points'"),
    (("add", "meeting", "--kind", "bilateral"), "Missing option '--with'"),
    (("add", "delegation", "--head", "A=B"), "Missing option '--country'"),
    (("add", "source", "--title", "T", "--published", "last week"),
     "field `data.published`"),
    (("add", "note", "--text", "x", "--source", "no-such-source"),
     "--source 'no-such-source': no source has that id"),
    (("add", "conference", "--name", "C", "--number", "-3"), "Invalid value for '--number'"),
    (("add", "postponement", "--planned", "2025-13"), "has no month 13: '2025-13'"),
    (("correct", "decl", "--set", "points=many"),
     "for example --set points=12"),
])
def test_bad_input_for_every_new_option_writes_nothing(summit: Path, tmp_path: Path,
                                                       args: tuple[str, ...],
                                                       message: str) -> None:
    root = tmp_path / "copy"
    shutil.copytree(summit, root)
    before = Log(root).path.read_bytes()
    result = run(root, *args)
    assert result.exit_code in (1, 2), result.output
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert Log(root).path.read_bytes() == before


def test_a_fact_without_a_source_is_warned_about_and_fails_verify_strict(
        summit: Path, tmp_path: Path) -> None:
    root = tmp_path / "copy"
    shutil.copytree(summit, root)
    ok(root, "verify", "--strict")  # a sourced archive passes the strict check
    added = ok(root, "add", "note", "--text", "Unsourced.", "--id", "bare")
    assert "warning: recorded without a source" in added.stderr
    strict = run(root, "verify", "--strict")
    assert strict.exit_code == 1 and "note.recorded bare cites no source" in strict.stderr
    assert run(root, "verify").exit_code == 0


# ---------------------------------------------------------------- did you mean


@pytest.mark.parametrize(("known", "new"), [
    ("Mohammed Al-Sabah", "Muhammad Al-Sabah"), ("Aleksandr Ivanov", "Alexander Ivanov"),
    ("U.S. Customs and Border Protection", "US Customs and Border Protection"),
    ("Shavkat Mirziyoyev", "Shavkat Mirziyoev"),
])
@pytest.mark.parametrize("order", ["forward", "backward"])
def test_did_you_mean_warns_for_variants(tmp_path: Path, known: str, new: str,
                                         order: str) -> None:
    if order == "backward":
        known, new = new, known
    kind = "organisation" if "Customs" in known else "person"
    ok(tmp_path, "init", str(tmp_path))
    ok(tmp_path, "add", "conference", "--name", "C", "--source", "urn:r")
    first = ok(tmp_path, "add", "participant", "--kind", kind, "--name", known,
               "--source", "urn:r")
    ident = first.stderr.split("(")[-1].rstrip(")\n")
    second = ok(tmp_path, "add", "participant", "--kind", kind, "--name", new,
                "--source", "urn:r")
    assert f"warning: name: {new!r} is recorded as a new {kind}, but looks like " \
           f"{known!r} ({ident})" in second.stderr
    deliberate = ok(tmp_path, "add", "participant", "--kind", kind, "--name", new + " Jr",
                    "--new", "--source", "urn:r")
    assert "warning" not in deliberate.stderr


@pytest.mark.parametrize(("known", "new"), [
    ("Ann Lee", "Bob Lee"), ("Iran", "Iraq"), ("Austria", "Australia"), ("Niger", "Nigeria"),
    ("Kazakhstan", "Uzbekistan"), ("OSCE", "OECD")])
def test_did_you_mean_is_silent_for_different_names(tmp_path: Path, known: str,
                                                    new: str) -> None:
    ok(tmp_path, "init", str(tmp_path))
    ok(tmp_path, "add", "conference", "--name", "C", "--source", "urn:r")
    for name in (known, new):
        result = ok(tmp_path, "add", "participant", "--kind", "person", "--name", name,
                    "--source", "urn:r")
        assert "warning" not in result.stderr, result.stderr


# ---------------------------------------------------------------- version 1 lines


def test_the_shipped_version_1_lines_build_the_same_facts_as_before(tmp_path: Path) -> None:
    """tests/astana_v1_rows.json: the fact tables the version 1 code built from the first
    77 lines of the shipped log; the version 2 code builds the same rows from the same
    lines (new columns aside; `parties` became `party_names`, `topic` became `tags`)."""
    (tmp_path / "events").mkdir()
    lines = (REPO / "events" / "events.jsonl").read_bytes().splitlines(keepends=True)[:77]
    (tmp_path / "events" / "events.jsonl").write_bytes(b"".join(lines))
    db = Archive(tmp_path).build().path
    before = json.loads((Path(__file__).with_name("astana_v1_rows.json")).read_text())
    renamed = {("agreements", "parties"): ("party_names", lambda v: v),
               ("notes", "topic"): ("tags", lambda v: json.dumps(
                   [v] if v else [], separators=(",", ":"), ensure_ascii=False))}
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    for table, rows in before.items():
        now = {r["id"]: dict(r) for r in conn.execute(f"select * from [{table}]")}
        assert set(now) == {r["id"] for r in rows}, table
        for row in rows:
            for column, value in row.items():
                new_column, convert = renamed.get((table, column), (column, lambda v: v))
                assert now[row["id"]][new_column] == convert(value), (table, row["id"], column)


V1 = st.one_of(
    st.fixed_dictionaries({"conference": st.just("c"), "title": st.just("T"),
                           "items": st.lists(st.text("abc ", min_size=1).filter(str.strip),
                                             max_size=4)},
                          optional={"parties": st.lists(st.sampled_from(["Kazakhstan", "EU"]),
                                                        max_size=2)}
                          ).map(lambda d: ("agreement.reached", d)),
    st.fixed_dictionaries({"conference": st.just("c"), "text": st.just("A note.")},
                          optional={"topic": st.sampled_from(["youth", "prisons"])}
                          ).map(lambda d: ("note.recorded", d)),
    st.fixed_dictionaries({"conference": st.just("c"), "entity": st.just("kz"),
                           "kind": st.just("country"), "name": st.just("Kazakhstan")},
                          optional={"category": st.just("member state"),
                                    "role": st.just("host")}
                          ).map(lambda d: ("participant.attended", d)),
)


@settings(max_examples=examples(60), deadline=None)
@given(V1)
def test_any_version_1_event_upcast_projects_like_its_version_2_twin(
        item: tuple[str, dict[str, Any]]) -> None:
    """A version 1 payload read through its upcaster makes the rows that the same fact
    recorded in version 2 makes, and keeps every version 1 value."""
    from histories import chain

    type_, data = item
    conference = ("c", "conference.held", {"name": "C"})
    old = upcast(type_, 1, data)
    rows = fold(chain([conference, ("e", type_, old)])).tables
    if type_ == "agreement.reached":
        assert [r["text"] for r in rows["agreement_items"].values()] == data["items"]
        assert [r["n"] for r in rows["agreement_items"].values()] == list(
            range(1, len(data["items"]) + 1))
        assert json.loads(rows["agreements"]["e"]["party_names"]) == data.get("parties", [])
    elif type_ == "note.recorded":
        assert json.loads(rows["notes"]["e"]["tags"]) == (
            [data["topic"]] if "topic" in data else [])
    else:
        assert rows["participations"]["e"]["status"] == "participant"
        assert rows["participations"]["e"]["category"] == data.get("category")
    assert make_payload(type_, old) == make_payload(type_, data, 1)
