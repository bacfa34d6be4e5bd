"""4. One interactive append: `archive add note ...` as a whole process (durable), median
against `python -c "import click"` as a whole process, interleaved run by run."""

from __future__ import annotations

import json
import shutil
import sys

from .core import Context, Row, median, p95, run_child
from .generate import archive_cmd, bench_env

GOAL_X = 3.0


def workcopy(ctx: Context, n: int, name: str, with_db: bool = False):
    """A private copy of the cached archive (log + name index [+ database])."""
    src = ctx.data(n) / "archive"
    dst = ctx.scratch(f"{name}-{n}") / "archive"
    shutil.copytree(src / "events", dst / "events")
    (dst / "exports").mkdir()
    for f in (src / "exports").iterdir():
        if f.name.startswith(".log-index") or (with_db and f.name.startswith("archive.db")):
            shutil.copy2(f, dst / "exports" / f.name)
    return dst


def run(ctx: Context) -> list[Row]:
    rows: list[Row] = []
    loops = 6 if ctx.quick else max(20, 7 * ctx.repeat)
    env = bench_env()
    for n in ctx.sizes:
        data = ctx.data(n)
        meta = json.loads((data / "meta.json").read_text())
        root = workcopy(ctx, n, "append")
        conf = meta["conferences"][-1]
        add = archive_cmd() + ["--archive", str(root), "add", "note", "--conference", conf,
                               "--source", "urn:bench:append"]
        click = [sys.executable, "-c", "import click"]
        run_child(add + ["--text", "Warm-up note.", "--locator", "w"], env=env)
        ours, base = [], []
        for i in range(loops):
            base.append(run_child(click, env=env).seconds)
            ours.append(run_child(add + ["--text", f"Interactive note number {i}.",
                                         "--locator", f"p{i}"], env=env).seconds)
        med, floor = median(ours), median(base)
        rows.append(Row("append", "archive add note (whole process, durable)", n, med,
                        1 / med, unit="adds/s", floor=floor,
                        floor_name='python -c "import click"',
                        goal=f"<= {GOAL_X:g}x import click", passed=med <= GOAL_X * floor,
                        runs=ours, extra={"p95": p95(ours), "click_runs": base}))
        if "first_add_seconds" in meta:
            rows.append(Row("append", "first add after a bulk import (index catch-up)", n,
                            meta["first_add_seconds"], n / meta["first_add_seconds"],
                            floor=floor, floor_name="import click",
                            runs=[meta["first_add_seconds"]],
                            extra={"note": "once, when the archive was generated"}))
    return rows
