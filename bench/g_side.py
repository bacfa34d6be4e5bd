"""8. Side by side with what a user would do without us: `sqlite-utils insert --nl` of the raw
log into one table, and the eventsourcing library's read-back of the same events; the full
build (which does much more) should finish in less time than that read-back."""

from __future__ import annotations

import sys
from pathlib import Path

from .core import Context, Row, median, py_child, run_child


def run(ctx: Context) -> list[Row]:
    from .g_build import database_available

    rows: list[Row] = []
    exe = Path(sys.executable).with_name("sqlite-utils")
    for n in ctx.sizes:
        data = ctx.data(n)
        log = data / "archive" / "events" / "events.jsonl"
        target = ctx.scratch(f"side-{n}") / "raw.db"
        su = []
        for _ in range(ctx.repeat):
            target.unlink(missing_ok=True)
            su.append(run_child([str(exe), "insert", str(target), "events", str(log),
                                 "--nl"]).seconds)
        es_db = ctx.memo.get(("es_db", n))
        if es_db is None or not Path(es_db).exists():
            es_db = ctx.out / "scratch" / f"es-{n}.db"
            py_child(["es-save", str(data / "import.jsonl"), str(es_db)])
        reads = [py_child(["es-read", str(es_db)]).json()["seconds"] for _ in range(ctx.repeat)]
        build = ctx.memo.get(("build_seconds", n))
        rows.append(Row("side", "sqlite-utils insert --nl of the raw log (whole process)", n,
                        median(su), n / median(su), runs=su, floor=build,
                        floor_name="full build" if build else ""))
        es_med = median(reads)
        why = database_available()
        rows.append(Row(
            "side", "eventsourcing read-back of the same events (in process)", n, es_med,
            n / es_med, runs=reads, floor=build, floor_name="full build" if build else "",
            goal="full build < this", passed=(build < es_med) if build else None,
            status="" if build or why is None else why))
    return rows
