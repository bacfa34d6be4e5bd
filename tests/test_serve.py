"""Serving with Datasette: in-process checks, then a real `datasette` process over HTTP."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from fixtures_db import SAMPLE, XSS_ATTR, XSS_SCRIPT, append, make_archive
from helpers import run_async
from servers import free_port, http, start

from archive.app import Archive
from archive.core.schema import TABLES
from archive.serve.server import (
    QUERIES,
    SETTINGS,
    make_datasette,
    metadata,
)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Path:
    root = make_archive(tmp_path_factory.mktemp("serve") / "a")
    Archive(root).build()
    return root


def get(ds, path: str):
    return run_async(ds.client.get(path))


@pytest.fixture(scope="module")
def ds(served):
    return make_datasette(served / "exports" / "archive.db", served)


def test_metadata_describes_every_table_and_column():
    meta = metadata()
    tables = meta["databases"]["archive"]["tables"]
    for table in TABLES:
        assert tables[table.name]["description"]
        assert set(tables[table.name]["columns"]) == set(table.names)
        assert all(tables[table.name]["columns"].values())
    assert meta["title"] and meta["description"] and meta["license"] and meta["source"]
    assert tables["speeches"]["facets"] and tables["speeches"]["label_column"] == "speaker_name"
    assert SETTINGS["suggest_facets"] is False and SETTINGS["sql_time_limit_ms"] <= 1000


def test_home_page_lists_tables_and_offers_search(ds):
    page = get(ds, "/")
    assert page.status_code == 200
    assert "Regional Conference on Countering Extremism: the archive" in page.text
    assert 'action="/archive/search"' in page.text and 'name="q"' in page.text
    assert "briefing.pdf" not in page.text  # not rendered yet


def test_table_pages_show_labels_facets_and_descriptions(ds):
    page = get(ds, "/archive/speeches")
    assert page.status_code == 200
    assert "Speeches and remarks" in page.text
    assert "Ivan Ivanov" in page.text  # label of speaker_id
    data = get(ds, "/archive/speeches.json?_shape=objects").json()
    # by conference (a series), by kind and language; not session_id: ~12k values at 1M
    assert set(data["facet_results"]) == {"conference_id", "kind", "lang"}
    assert {r["id"] for r in data["rows"]} == {"sp1", "sp2"}


def test_default_facets_are_remembered_and_follow_filters(ds, served):
    def counts(path: str, facet: str) -> dict[str, int]:
        data = get(ds, path).json()
        return {r["value"]: r["count"] for r in data["facet_results"][facet]["results"]}

    conn = sqlite3.connect(served / "exports" / "archive.db")
    truth = dict(conn.execute("select kind, count(*) from entities group by kind"))
    persons = dict(conn.execute("select category, count(*) from entities where kind = 'person' "
                                "and category is not null group by category"))
    conn.close()
    assert truth["person"] >= 2 and len(truth) >= 2
    for _ in range(2):  # computed, then remembered: the same answer
        assert counts("/archive/entities.json", "kind") == truth
    assert counts("/archive/entities.json?kind=person", "kind") == {"person": truth["person"]}
    assert counts("/archive/entities.json?kind=person", "category") == persons
    page = get(ds, "/archive/entities")
    assert page.status_code == 200 and "(cached)" not in page.text


def test_remembered_facets_follow_a_rebuilt_file(tmp_path):
    root = make_archive(tmp_path / "a")
    db = Archive(root).build().path

    def person_count() -> int:
        data = get(make_datasette(db, root), "/archive/entities.json").json()
        return {r["value"]: r["count"]
                for r in data["facet_results"]["kind"]["results"]}["person"]

    before = person_count()
    append(root, [("late", "participant.attended", {
        "conference": "conf", "entity": "late", "kind": "person", "name": "Late Comer"})])
    Archive(root).build()  # in place: the file's mtime changes, so does the key
    assert person_count() == before + 1


def test_row_page_shows_provenance_and_corrections(ds):
    page = get(ds, "/archive/speeches/sp1")
    assert page.status_code == 200
    text = page.text
    assert "Where this comes from" in text
    assert '<a href="/archive/events/8">#8 (speech.delivered)</a>' in text
    assert '<a href="https://example.org/report" rel="nofollow noopener noreferrer">' in text
    assert "Welcomed the delegations." in text and "Welcomed all delegations." in text
    assert "Typo in the report" in text
    quote = get(ds, "/archive/quotes/sp1~2F2")
    assert quote.status_code == 200 and "Where this comes from" in quote.text
    assert "No corrections recorded" not in quote.text  # the speech was corrected


def test_canned_queries_answer(ds):
    for name in QUERIES:
        params = {"speaker": "", "seq": "0", "q": "borders"}
        sql_params = {k: v for k, v in params.items() if f":{k}" in QUERIES[name]["sql"]}
        url = f"/archive/{name}.json?_shape=objects&" + urllib.parse.urlencode(sql_params)
        response = get(ds, url)
        assert response.status_code == 200, (name, response.text[:300])
    rows = get(ds, "/archive/search.json?_shape=objects&q=borders").json()["rows"]
    assert [(r["kind"], r["snippet"], r["who"]) for r in rows] == \
        [("quote", "Radicalisation knows no \x02borders\x03.", "Ivan Ivanov")]
    assert get(ds, "/archive/search.json?q=").json()["rows"] == []
    assert get(ds, '/archive/search.json?q=%22unbalanced').status_code == 200
    fixes = get(ds, "/archive/corrections_and_retractions.json?_shape=objects").json()["rows"]
    assert [(r["what"], r["reason"]) for r in fixes] == [
        ("correction", "Typo in the report"), ("retraction", "Not said at this conference")]
    new = get(ds, "/archive/new_since.json?_shape=objects&seq=17").json()["rows"]
    assert [r["seq"] for r in new] == [18, 19]
    by_country = get(ds, "/archive/participation_by_country_and_kind.json?_shape=objects")
    assert {"country": "Kazakhstan", "kind": "country", "participations": 1} in \
        by_country.json()["rows"]


def test_every_query_page_is_titled_by_what_it_answers_not_its_sql(ds):
    import html
    import re

    for name, query in QUERIES.items():
        page = get(ds, f"/archive/{name}?q=borders&seq=0")
        assert page.status_code == 200, name
        title = html.unescape(re.search(r"<title>(.*?)</title>", page.text, re.S).group(1))
        assert "select" not in title.lower() and len(title) < 120, (name, title)
        expected = "Search: borders" if name == "search" else query.get("title", name)
        assert title.strip().startswith(expected), (name, title)
    sql = get(ds, "/archive?sql=select+1")
    assert "<title>archive: SQL query</title>" in sql.text


def test_the_served_file_is_read_through_a_memory_map(ds):
    """Every connection maps the immutable file (its pages are read where they lie: at 1M
    events a search's count and first page take half as long); 2 GiB is SQLite's cap."""
    async def mapped() -> int:
        return (await ds.get_database("archive").execute("pragma mmap_size")).rows[0][0]

    assert run_async(mapped()) >= 1 << 30


def test_hostile_text_is_escaped(ds):
    page = get(ds, "/archive/quotes/sp2~2F1").text
    assert XSS_SCRIPT not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    people = get(ds, "/archive/entities/evil").text
    assert XSS_ATTR not in people and "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in people


def test_briefing_is_offered_once_rendered(tmp_path):
    root = make_archive(tmp_path / "a", SAMPLE[:3])
    built = Archive(root).build()
    pdf = root / "exports" / "briefing.pdf"
    pdf.write_bytes(b"%PDF-1.7 test")
    ds = make_datasette(root / "exports" / "archive.db", root)
    assert "briefing.pdf" not in get(ds, "/").text  # no stamp: which state is it?
    stamp = root / "exports" / "briefing.pdf.json"
    stamp.write_text(json.dumps({"seq": built.seq - 1, "hash": "0" * 64}))
    assert "briefing.pdf" not in get(ds, "/").text  # an older state than the one served
    stamp.write_text(json.dumps({"seq": built.seq, "hash": built.hash, "since": 1}))
    assert "briefing.pdf" not in get(ds, "/").text  # an update briefing, not the whole
    stamp.write_text(json.dumps({"seq": built.seq, "hash": built.hash}))
    assert 'href="/-/briefing.pdf"' in get(ds, "/").text
    response = get(ds, "/-/briefing.pdf")
    assert response.status_code == 200 and response.content == b"%PDF-1.7 test"
    assert response.headers["content-type"] == "application/pdf"
    pdf.unlink()
    assert get(ds, "/-/briefing.pdf").status_code == 404


def test_a_briefing_in_another_language_is_offered_in_it_once_rendered(tmp_path):
    """The Russian and Kazakh briefings, rendered for the state served, are offered on
    the home page by their languages' own names, marked with their language, and served
    (the web version under the briefing's policy); one not rendered is not offered."""
    root = make_archive(tmp_path / "a", SAMPLE[:3])
    archive = Archive(root)
    archive.build()
    archive.brief(html=True, lang="ru", verify=False)
    archive.brief(lang="ru", verify=False)
    ds = make_datasette(root / "exports" / "archive.db", root)
    home = get(ds, "/").text
    assert '<span lang="ru">Русский</span>' in home
    assert '<a href="/-/briefing.ru.pdf" hreflang="ru" type="application/pdf">PDF</a>' in home
    assert '<a href="/-/briefing.ru.html" hreflang="ru">web version</a>' in home
    assert "briefing.kk" not in home and "Қазақша" not in home
    page = get(ds, "/-/briefing.ru.html")
    assert page.status_code == 200 and '<html lang="ru">' in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    pdf = get(ds, "/-/briefing.ru.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert get(ds, "/-/briefing.kk.html").status_code == 404
    assert get(ds, "/-/briefing.fr.html").status_code == 404


# ---------------------------------------------------------------- a real datasette process


@pytest.fixture(scope="module")
def server(served):
    proc, base = start(served)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def test_real_datasette_serves_pages_and_json(server, served):
    status, home = http(server + "/")
    assert status == 200 and "Regional Conference on Countering Extremism: the archive" in home
    status, body = http(server + "/archive/speeches.json?_shape=objects")
    assert status == 200
    assert {r["id"]: r["speaker_name"] for r in json.loads(body)["rows"]} == \
        {"sp1": "Ivan Ivanov", "sp2": "Ivan Ivanov"}
    status, row = http(server + "/archive/speeches/sp1")
    assert status == 200 and "Where this comes from" in row
    status, found = http(server + "/archive/texts.json?_shape=objects&_search=borders")
    assert [r["row_id"] for r in json.loads(found)["rows"]] == ["sp1/1"]
    status, settings = http(server + "/-/settings.json")
    assert json.loads(settings)["suggest_facets"] is False
    assert json.loads(settings)["sql_time_limit_ms"] == SETTINGS["sql_time_limit_ms"]
    status, databases = http(server + "/-/databases.json")
    assert json.loads(databases)[0]["is_mutable"] is False


def test_real_datasette_escapes_hostile_text(server):
    _, quote = http(server + "/archive/quotes/sp2~2F1")
    assert XSS_SCRIPT not in quote and "&lt;script&gt;alert(1)&lt;/script&gt;" in quote
    _, person = http(server + "/archive/entities/evil")
    assert XSS_ATTR not in person
    _, table = http(server + "/archive/participations")
    assert XSS_ATTR not in table and "onerror=alert(1)&gt;" in table


def test_real_datasette_refuses_writes(server, served):
    db = served / "exports" / "archive.db"
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    status, body = http(server + "/archive.json?sql=" +
                        urllib.parse.quote("delete from speeches"))
    assert status == 400 and "Statement must be a SELECT" in body
    for path, data in [("/archive/-/create", b'{"table": "x", "rows": [{"a": 1}]}'),
                       ("/archive/speeches/-/insert", b'{"row": {"id": "x"}}'),
                       ("/archive/speeches/sp1/-/delete", b"{}"),
                       ("/archive/timeline", b"x=1"),
                       ("/archive", b"sql=delete+from+speeches")]:
        status, body = http(server + path, data=data)
        assert (status, body) == (405, "This archive is read-only.\n"), path
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    status, body = http(server + "/archive.json?sql=" + urllib.parse.quote(
        "with recursive r(i) as (select 1 union all select i + 1 from r) "
        "select count(*) from r"))
    assert status == 400 and "interrupted" in body.lower()


def test_archive_serve_builds_then_serves(tmp_path):
    """The `archive serve` command: builds the stale database, prints the URL, serves."""
    import os
    import signal
    import sys

    root = make_archive(tmp_path / "a", SAMPLE[:9])
    port = free_port()
    exe = Path(sys.executable).with_name("archive")
    proc = subprocess.Popen([str(exe), "--archive", str(root), "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert proc.poll() is None
            try:
                if http(base + "/-/versions.json")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        status, body = http(base + "/archive/speeches.json?_shape=objects")
        assert status == 200 and [r["id"] for r in json.loads(body)["rows"]] == ["sp1", "sp2"]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        output = proc.communicate(timeout=10)[0]
    assert f"Built {root / 'exports' / 'archive.db'} up to sequence 9" in output
    assert f"at http://127.0.0.1:{port}/" in output


def test_publish_dry_run_prints_the_datasette_command(served):
    from click.testing import CliRunner

    from archive.cli import cli

    result = CliRunner().invoke(cli, ["--archive", str(served), "publish", "--dry-run",
                                      "cloudrun", "--service", "conf"])
    assert result.exit_code == 0, result.output
    line = result.output.strip()
    assert " -m datasette publish cloudrun " in line
    assert str(served / "exports" / "archive.db") in line
    assert "--plugins-dir" in line and "--template-dir" in line
    assert "'--setting suggest_facets off" in line and line.endswith("--service conf")


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


def _gone(pid: int, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
            stat = Path(f"/proc/{pid}/stat").read_text()
            if stat.split(") ", 1)[1].startswith("Z"):  # a zombie: exited, not reaped
                return True
        except (ProcessLookupError, FileNotFoundError):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow  # a real datasette started and signalled per case
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_stopping_archive_serve_stops_datasette(tmp_path, how, children):
    """Port 0 takes a free port and says which; SIGTERM (handled) and SIGKILL (the child
    is told by the kernel) leave no Datasette behind."""
    root = make_archive(tmp_path / "a", SAMPLE[:9])
    Archive(root).build()
    exe = Path(sys.executable).with_name("archive")
    proc = subprocess.Popen([str(exe), "--archive", str(root), "serve", "--port", "0",
                             "--no-build"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    children.append(proc)
    line = proc.stdout.readline()  # type: ignore[union-attr]
    port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
    assert port > 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if http(f"http://127.0.0.1:{port}/-/versions.json")[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    (datasette,) = _children(proc.pid)
    proc.send_signal(how)
    proc.wait(timeout=15)
    assert _gone(datasette), f"datasette {datasette} still runs after {how.name}"


FORMULAS = ["=HYPERLINK(\"http://example.org\",\"x\")", "+cmd|' /C calc'!A0", "@SUM(1+1)",
            "-2+3", "\t=1"]


def test_csv_downloads_cannot_run_as_formulas(tmp_path, children):
    """A real datasette: the CSV of quotes puts a ' before every cell a spreadsheet would
    run; the JSON keeps the exact text (and so does the database)."""
    items = [*SAMPLE[:9], ("hostile", "speech.delivered", {
        "conference": "conf", "speaker": "kz", "quotes": FORMULAS})]
    root = make_archive(tmp_path / "a", items)
    Archive(root).build()
    proc, base = start(root)
    try:
        status, text = http(base + "/archive/quotes.csv?speech_id=hostile&_size=max")
        assert status == 200
        cells = [row["text"] for row in csv.DictReader(io.StringIO(text, newline=""))]
        assert cells == ["'" + f for f in FORMULAS]
        status, body = http(base + "/archive/quotes.json?speech_id=hostile&_shape=array")
        assert [r["text"] for r in json.loads(body)] == FORMULAS
        status, streamed = http(base + "/archive/quotes.csv?speech_id=hostile&_stream=on")
        assert [r["text"] for r in csv.DictReader(io.StringIO(streamed, newline=""))] == \
            ["'" + f for f in FORMULAS]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_figures_people_and_places_are_searched_on_their_own_tables(astana_briefed):
    """`?_search=` on a table other than `texts` is no longer ignored: a figure is found
    by its number and what it counts, a person or body by name or short name, a
    conference by its place; the table's description says so."""
    ds = make_datasette(astana_briefed / "exports" / "archive.db", astana_briefed)

    def found(table: str, words: str) -> list[dict]:
        url = f"/archive/{table}.json?_shape=objects&" + urllib.parse.urlencode(
            {"_search": words})
        return get(ds, url).json()["rows"]

    with sqlite3.connect(astana_briefed / "exports" / "archive.db") as db:
        (total,) = db.execute("select count(*) from figures").fetchone()
        (eighteen,) = db.execute("select count(*) from figures where value = 18").fetchone()
    assert total > 1 and eighteen >= 1
    assert {r["value"] for r in found("figures", "18")} == {18.0}
    assert all("countries" in r["counts"] for r in found("figures", "countries"))
    assert [r["short_name"] for r in found("entities", "OSCE") if r["short_name"]]
    assert [r["id"] for r in found("conferences", "Astana")] == ["astana15"]
    assert found("figures", "nothing-like-this") == []
    described = metadata()["databases"]["archive"]["tables"]
    for table in ("figures", "entities", "conferences"):
        assert "?_search=" in described[table]["description"], table
    page = get(ds, "/archive/figures")
    assert 'name="_search"' in page.text  # Datasette's own search box


def test_the_policy_allows_exactly_the_inline_scripts_the_templates_write(tmp_path: Path):
    """A script of plain text, and the facet switch either way, by their hashes; a script
    with template logic, an external one and an override's replaced original, not."""
    import base64

    from archive.serve.csp import inline_script_hashes, policy

    def source(text: str) -> str:
        return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"

    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    ours.mkdir()
    theirs.mkdir()
    (ours / "base.html").write_text("<script>\nmine();\n</script>")
    (theirs / "base.html").write_text("<script>replaced();</script>")
    (theirs / "table.html").write_text(
        '<script src="/t.js"></script><script>ALLOW = {{ datasette_allow_facet }};</script>'
        "<script>{% if x %}a(){% endif %}</script><script type=\"module\">m();</script>")
    assert inline_script_hashes([ours, theirs]) == sorted(
        source(t) for t in ("\nmine();\n", "ALLOW = true;", "ALLOW = false;", "m();"))
    made = policy(["'sha256-abc'"])
    assert "script-src 'self' 'sha256-abc';" in made and "unsafe" not in made.split(
        "style-src")[0]
