"""What one request to the served archive may cost (issue 10, item 9): a real `archive
serve`, a list of hostile queries, and the server still answering under its ceiling."""

from __future__ import annotations

import json
import shutil
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from servers import http, rss_peak_kb, serve_archive

from archive.app import Archive
from archive.cli import cli
from archive.serve.limits import ServeLimits

REPO = Path(__file__).resolve().parent.parent
ROWS = "with recursive n(i) as (select 1 union all select i + 1 from n where i < 100000) "
#: Each asks the server for gigabytes; each must be refused at once or stopped in time.
HOSTILE = [
    "select randomblob(1000000000)",
    "select replace(hex(zeroblob(100000000)), '0', 'aa')",
    "select zeroblob(2000000000)",
    ROWS + "select randomblob(4000000) from n",
    ROWS + "select hex(randomblob(2000000)) from n",
    ROWS + "select printf('%.*c', 4000000, 'x') from n",
    ROWS + "select group_concat(hex(randomblob(1000)), '') from n",
    "select * from " + ", ".join(["events"] * 4),  # a cross join of 77^4 rows
]


@pytest.fixture(scope="module")
def astana(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("served") / "astana"
    (root / "events").mkdir(parents=True)
    shutil.copyfile(REPO / "events" / "events.jsonl", root / "events" / "events.jsonl")
    Archive(root).build()
    return root


def query(base: str, sql: str, timeout: float = 30) -> tuple[int, bytes]:
    url = f"{base}/archive.json?sql={urllib.parse.quote(sql)}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.mark.slow
def test_hostile_queries_leave_the_server_answering_under_its_ceiling(astana: Path) -> None:
    proc, base, datasette = serve_archive(astana)
    try:
        limit = int(next(line.split()[3] for line in Path(
            f"/proc/{datasette}/limits").read_text().splitlines()
            if line.startswith("Max address space")))
        assert limit == ServeLimits().memory
        for sql in HOSTILE[:3]:  # refused by SQLite before any memory is taken
            status, body = query(base, sql)
            assert status == 400 and b"string or blob too big" in body, (sql, body[:300])
        assert rss_peak_kb(datasette) < 200_000
        for sql in HOSTILE[3:]:
            status, body = query(base, sql)
            assert status in (400, 413, 500), (sql, status)
            assert len(body) < ServeLimits().response
        assert rss_peak_kb(datasette) * 1024 < ServeLimits().memory
        status, text = http(base + "/archive/speeches.json?_shape=array")
        assert status == 200 and len(json.loads(text)) == 12
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@pytest.mark.slow
def test_the_memory_ceiling_refuses_a_request_not_the_server(astana: Path) -> None:
    proc, base, datasette = serve_archive(
        astana, {"ARCHIVE_SERVE_MAX_MEMORY_BYTES": str(600 << 20)})
    try:
        for _ in range(3):
            status, _body = query(base, HOSTILE[5])
            assert status in (400, 500)
        assert rss_peak_kb(datasette) * 1024 < 600 << 20
        assert http(base + "/archive/speeches")[0] == 200
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_a_response_over_the_limit_is_refused_or_cut(astana: Path) -> None:
    proc, base, _ = serve_archive(astana, {"ARCHIVE_SERVE_MAX_RESPONSE_BYTES": "20000"})
    try:
        status, text = http(base + "/archive/events.json?_size=max")
        assert status == 413
        assert "more than the limit of 20000 (ARCHIVE_SERVE_MAX_RESPONSE_BYTES)" in text
        with urllib.request.urlopen(base + "/archive/events.csv?_stream=on&_size=max",
                                    timeout=30) as response:
            streamed = response.read()
        assert 10000 < len(streamed) <= 20000
        assert http(base + "/archive/conferences.json")[0] == 200
        with urllib.request.urlopen(base + "/archive.db", timeout=30) as response:
            assert response.read() == (astana / "exports" / "archive.db").read_bytes()
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@pytest.mark.parametrize("name", ["ARCHIVE_SERVE_MAX_MEMORY_BYTES",
                                  "ARCHIVE_SERVE_MAX_RESPONSE_BYTES"])
def test_a_bad_limit_is_an_error_line(astana: Path, name: str) -> None:
    result = CliRunner().invoke(cli, ["--archive", str(astana), "serve", "--no-build"],
                                env={name: "lots"}, catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {name} must be a whole number of bytes, not 'lots'\n"
