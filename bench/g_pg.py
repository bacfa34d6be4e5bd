"""9. The PostgreSQL store (issue 12), against the file store and the eventsourcing
library's PostgreSQL recorder, in the same run, on a real server started here (fsync on,
Unix socket, `tests/postgres.py`):

- appends per second with 1, 4 and 8 concurrent writer processes, each append its own
  locked, checked, acknowledged write (PostgreSQL: one folder per writer, as machines;
  the file store: one folder, as it must be);
- the ordering mechanism alone (advisory lock, table lock, SERIALIZABLE with retries);
- bulk import (`archive import`, whole process) against eventsourcing's bulk save of the
  same events into PostgreSQL;
- a full build from the PostgreSQL store against the same build from the file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg

from .core import REPO, Context, Row, median, py_child, run_child
from .g_build import _clear, db_of
from .generate import archive_cmd, bench_env

WRITERS = (1, 4, 8)
BUILD_X = 1.5


def _archive(root: Path, store: str | None) -> None:
    env = bench_env()
    cmd = archive_cmd() + ["--archive", str(root)]
    subprocess.run(cmd + ["init"] + (["--store", store] if store else []), check=True,
                   env=env, stdout=subprocess.DEVNULL)
    subprocess.run(cmd + ["add", "conference", "--id", "c1", "--name", "Bench"], check=True,
                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _together(argvs: list[list[str]]) -> list[dict]:
    """Start processes at once; their JSON lines."""
    procs = [subprocess.Popen([sys.executable, "-m", "bench.child", *a], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=bench_env()) for a in argvs]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=900)
        if p.returncode != 0:
            raise RuntimeError(f"{argvs[0][:2]} exited {p.returncode}: {stderr[-2000:]}")
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


def _span(results: list[dict]) -> tuple[float, int]:
    return (max(r["end"] for r in results) - min(r["start"] for r in results),
            sum(r["count"] for r in results))


def _writers(ctx: Context) -> tuple[int, ...]:
    """How many concurrent writers each row is measured with: every count, or (--quick, a
    smoke test) one and the most, which run the same code as the counts between."""
    return (WRITERS[0], WRITERS[-1]) if ctx.quick else WRITERS


def appends(ctx: Context, server) -> list[Row]:  # noqa: ANN001
    rows: list[Row] = []
    total = 24 if ctx.quick else 240
    file_span: dict[int, float] = {}
    for store in ("file", "postgresql"):
        for k in _writers(ctx):
            base = ctx.scratch(f"pg-append-{store}-{k}")
            url = server.new_database() if store == "postgresql" else None
            folders = [base / f"m{i}" for i in range(k if url else 1)]
            _archive(folders[0], url)
            for folder in folders[1:]:
                subprocess.run(archive_cmd() + ["--archive", str(folder), "init", "--store",
                                                str(url)], check=True, env=bench_env(),
                               stdout=subprocess.DEVNULL)
            results = _together([["writer", str(folders[i % len(folders)]), f"w{i}",
                                  str(total // k)] for i in range(k)])
            span, count = _span(results)
            if store == "file":
                file_span[k] = span
            rows.append(Row(
                "pg", f"appends, {k} concurrent writer{'s' if k > 1 else ''} ({store} store)",
                None, span, count / span, unit="appends/s",
                floor=file_span[k] if store == "postgresql" else None,
                floor_name=f"file store, {k} writer{'s' if k > 1 else ''}"
                if store == "postgresql" else "",
                runs=[span], extra={"appends": count}))
    return rows


def locks(ctx: Context, server) -> list[Row]:  # noqa: ANN001
    rows: list[Row] = []
    total = 96 if ctx.quick else 2400
    advisory: dict[int, float] = {}
    for mode in ("advisory", "table", "serializable"):
        for k in _writers(ctx):
            url = server.new_database()
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("create table lockbench (seq bigint primary key, data bytea)")
            results = _together([["pg-lock", url, mode, str(total // k)] for _ in range(k)])
            span, count = _span(results)
            if mode == "advisory":
                advisory[k] = span
            rows.append(Row(
                "pg", f"ordering alone: {mode} {'lock' if mode != 'serializable' else ''}"
                f", {k} writer{'s' if k > 1 else ''}".replace(" ,", ","), None, span,
                count / span, unit="appends/s",
                floor=advisory[k] if mode != "advisory" else None,
                floor_name="advisory lock" if mode != "advisory" else "", runs=[span],
                extra={"retries": sum(r["retries"] for r in results)}))
    return rows


def imports(ctx: Context, server) -> list[Row]:  # noqa: ANN001
    rows: list[Row] = []
    host = str(server.base)
    for n in ctx.sizes:
        data = ctx.data(n)
        ours, theirs = [], []
        for _ in range(ctx.repeat):
            url = server.new_database()
            root = ctx.scratch(f"pg-import-{n}") / "archive"
            subprocess.run(archive_cmd() + ["--archive", str(root), "init", "--store", url],
                           check=True, env=bench_env(), stdout=subprocess.DEVNULL)
            os.sync()
            ours.append(run_child(archive_cmd() + ["--archive", str(root), "import",
                                                   str(data / "import.jsonl")],
                                  env=bench_env()).seconds)
            dbname = server.new_database().split("///")[1].split("?")[0]
            os.sync()
            theirs.append(py_child(["es-save-pg", str(data / "import.jsonl"), dbname,
                                    host]).seconds)
        med, es = median(ours), median(theirs)
        rows.append(Row("pg", "archive import into PostgreSQL (whole process)", n, med,
                        n / med, floor=es,
                        floor_name="eventsourcing PostgreSQL application recorder",
                        goal="<= 1x eventsourcing", passed=med <= es, runs=ours,
                        extra={"eventsourcing_runs": theirs}))
    return rows


def builds(ctx: Context, server) -> list[Row]:  # noqa: ANN001
    rows: list[Row] = []
    for n in ctx.sizes:
        source = ctx.data(n) / "archive"
        url = server.new_database()
        pushed = run_child(archive_cmd() + ["--archive", str(source), "push", str(source),
                                            url], env=bench_env())
        joined = ctx.scratch(f"pg-build-{n}") / "archive"
        subprocess.run(archive_cmd() + ["--archive", str(joined), "init", "--store", url],
                       check=True, env=bench_env(), stdout=subprocess.DEVNULL)
        ours, floor = [], []
        for _ in range(ctx.repeat):
            for root, out in ((source, floor), (joined, ours)):
                _clear(db_of(root))
                os.sync()
                out.append(py_child(["build", str(root), "--full"]).json()["seconds"])
        med, file_med = median(ours), median(floor)
        rows.append(Row("pg", "full build from the PostgreSQL store", n, med, n / med,
                        floor=file_med, floor_name="the same build from the file",
                        goal=f"<= {BUILD_X:g}x", passed=med <= BUILD_X * file_med, runs=ours,
                        extra={"file_runs": floor, "push_seconds": pushed.seconds}))
        shutil.rmtree(joined.parent, ignore_errors=True)
    return rows


def run(ctx: Context) -> list[Row]:
    sys.path.insert(0, str(REPO / "tests"))
    from postgres import start_server, stop_server

    server = start_server()
    try:
        return appends(ctx, server) + locks(ctx, server) + imports(ctx, server) + \
            builds(ctx, server)
    finally:
        stop_server(server)
