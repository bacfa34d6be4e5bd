"""3. Bulk import: `archive import` of N valid events as a whole process (validated, hashed,
durable), against the eventsourcing library's bulk save of the same events in the same run."""

from __future__ import annotations

import subprocess

from .core import Context, Row, median, py_child, run_child
from .generate import archive_cmd, bench_env

#: Issue 27: within 1.5x of the peer's time (the moonshot: 1.0x).
GOAL_X = 1.5


def import_once(ctx: Context, n: int, tag: str = "import") -> tuple[float, int]:
    data = ctx.data(n)
    root = ctx.scratch(f"{tag}-{n}") / "archive"
    env = bench_env()
    subprocess.run(archive_cmd() + ["--archive", str(root), "init"], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    child = run_child(archive_cmd() + ["--archive", str(root), "import",
                                       str(data / "import.jsonl")], env=env)
    return child.seconds, child.maxrss_kb


def run(ctx: Context) -> list[Row]:
    rows: list[Row] = []
    for n in ctx.sizes:
        data = ctx.data(n)
        ours, rss = [], []
        for _ in range(ctx.repeat):
            seconds, maxrss = import_once(ctx, n)
            ours.append(seconds)
            rss.append(maxrss)
        ctx.memo[("import_rss", n)] = max(rss)
        es: dict[str, list[float]] = {"application": [], "aggregate": []}
        es_db = ctx.out / "scratch" / f"es-{n}.db"
        for _ in range(ctx.repeat):
            for kind in ("aggregate", "application"):  # application last: read back below
                flag = ["--aggregate"] if kind == "aggregate" else []
                child = py_child(["es-save", str(data / "import.jsonl"), str(es_db), *flag])
                es[kind].append(child.seconds)
        ctx.memo[("es_db", n)] = es_db
        es_med = {k: median(v) for k, v in es.items()}
        best = min(es_med, key=es_med.get)  # the library's fastest bulk path, this run
        med = median(ours)
        rate = n / med
        x = es_med[best] / med
        rows.append(Row(
            "import", "archive import (whole process, durable)", n, med, rate,
            floor=es_med[best], floor_name=f"eventsourcing {best}",
            goal=f"<= {GOAL_X:g}x eventsourcing's time (issue 27)",
            passed=med <= GOAL_X * es_med[best], runs=ours,
            extra={"x_eventsourcing": x, "maxrss_kb": max(rss)}))
        for kind, runs in es.items():
            rows.append(Row("import", f"eventsourcing bulk save ({kind} recorder, whole "
                            "process)", n, es_med[kind], n / es_med[kind], runs=runs,
                            extra={"speedup_of_archive_import": es_med[kind] / med}))
        checked_db = ctx.out / "scratch" / f"es-checked-{n}.db"  # es_db is read back later
        checked = [py_child(["es-save", str(data / "import.jsonl"), str(checked_db), "--checked",
                             *(["--aggregate"] if best == "aggregate" else [])]).seconds
                   for _ in range(ctx.repeat)]
        fair = median(checked)
        rows.append(Row("import", f"(information) eventsourcing {best} + msgspec validation "
                        "+ SHA-256 chain of the same payloads", n, fair, n / fair,
                        runs=checked, extra={"x_of_archive_import": med / fair,
                                             "price_of_the_checks_s": fair - es_med[best]}))
    return rows
