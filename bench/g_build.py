"""1. Full build (log -> exports/archive.db, FTS included) against its floor measured in the
same run; 2. incremental build after +1 and +1,000 events."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from .core import Context, Row, median, py_child, run_child
from .generate import archive_cmd, bench_env, extra_lines

GOAL_X = 2.0
#: `archive verify` against the bare chain check of the same file (issue 27).
VERIFY_X = 2.5


def database_available() -> str | None:
    """None if archive.database.build.build exists, else why not (the group is then pending)."""
    try:
        from archive.database import build as database
    except ImportError as exc:
        return f"pending: archive.database.build not importable ({exc})"
    if not hasattr(database, "build"):
        return "pending: archive.database.build.build missing"
    return None


def db_of(root: Path) -> Path:
    return root / "exports" / "archive.db"


def _clear(db: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(db) + suffix).unlink(missing_ok=True)


def full_build(ctx: Context, n: int) -> dict:
    root = ctx.data(n) / "archive"
    _clear(db_of(root))
    os.sync()  # start from a quiet disk: earlier runs' write-back is not this build's cost
    child = py_child(["build", str(root), "--full"])
    out = child.json()
    out["process_seconds"] = child.seconds
    out["maxrss_kb"] = child.maxrss_kb
    ctx.memo.setdefault(("build_rss", n), child.maxrss_kb)
    return out


def ensure_db(ctx: Context, n: int) -> Path:
    root = ctx.data(n) / "archive"
    if not db_of(root).exists():
        full_build(ctx, n)
    return db_of(root)


def run_full(ctx: Context) -> list[Row]:
    why = database_available()
    if why:
        return [Row("build", "full build", n, None, status=why) for n in ctx.sizes]
    rows: list[Row] = []
    for n in ctx.sizes:
        root = ctx.data(n) / "archive"
        builds = [full_build(ctx, n) for _ in range(ctx.repeat)]
        floors = [py_child(["floor", str(root / "events" / "events.jsonl"),
                            str(db_of(root))]).json() for _ in range(ctx.repeat)]
        med = median([b["seconds"] for b in builds])
        floor = median([f["seconds"] for f in floors])
        ctx.memo[("build_seconds", n)] = med
        ctx.memo[("build_rss", n)] = max(b["maxrss_kb"] for b in builds)
        rows.append(Row(
            "build", "full build (in process, FTS included)", n, med, n / med, floor=floor,
            floor_name="parse+chain+executemany+FTS", goal=f"<= {GOAL_X:g}x floor",
            passed=med <= GOAL_X * floor, runs=[b["seconds"] for b in builds],
            extra={"process_seconds": median([b["process_seconds"] for b in builds]),
                   "import_seconds": builds[-1].get("import_seconds"),
                   "maxrss_kb": ctx.memo[("build_rss", n)],
                   "applied": builds[-1].get("applied")}))
        with_idx = median([f["with_indexes_seconds"] for f in floors])
        rows.append(Row(
            "build", f"full build vs floor incl. the same {floors[-1]['indexes']} indexes", n,
            med, n / med, floor=with_idx, floor_name="floor + CREATE INDEX after load",
            extra={"note": "informational: the issue's floor has no secondary indexes"}))
        for part in ("parse", "insert", "index", "fts"):
            secs = median([f[f"{part}_seconds"] for f in floors])
            label = {"parse": "floor: orjson parse + SHA-256 chain check",
                     "insert": f"floor: raw executemany of the same {floors[-1]['rows']:,} rows"
                               f" into {floors[-1]['tables']} tables, one transaction",
                     "index": f"(not in floor) CREATE the same {floors[-1]['indexes']} indexes "
                              "after the load",
                     "fts": "floor: the same FTS rebuild"}[part]
            rows.append(Row("build", label, n, secs, n / secs if secs else None,
                            runs=[f[f"{part}_seconds"] for f in floors]))
        rows.append(verify_row(ctx, n, median([f["parse_seconds"] for f in floors])))
    return rows


def verify_row(ctx: Context, n: int, parse_floor: float) -> Row:
    """What `archive briefing` now adds by default: `archive verify` of the whole log
    (schemas, hashes, chain, every rule), against the parse + chain floor."""
    root = ctx.data(n) / "archive"
    runs = [run_child(archive_cmd() + ["--archive", str(root), "verify"],
                      env=bench_env()).seconds for _ in range(ctx.repeat)]
    med = median(runs)
    return Row("build", "archive verify (whole process; the default briefing runs it)", n,
               med, n / med, floor=parse_floor, floor_name="orjson parse + SHA-256 chain",
               goal=f"<= {VERIFY_X:g}x floor (issue 27)", passed=med <= VERIFY_X * parse_floor,
               runs=runs)


def run_incremental(ctx: Context) -> list[Row]:
    why = database_available()
    if why:
        return [Row("incremental", f"incremental build +{k}", n, None, status=why)
                for n in ctx.sizes for k in (1, 1000)]
    from .g_append import workcopy

    rows: list[Row] = []
    env = bench_env()
    for n in ctx.sizes:
        ensure_db(ctx, n)
        full = ctx.memo.get(("build_seconds", n))
        if full is None:
            full = full_build(ctx, n)["seconds"]
            ctx.memo[("build_seconds", n)] = full
        meta = json.loads((ctx.data(n) / "meta.json").read_text())
        root = workcopy(ctx, n, "incremental", with_db=True)
        py_child(["build", str(root)])  # catch the copy up with the first-add note
        salt = 0
        for k in (1, 1000):
            runs, applied = [], []
            for _ in range(ctx.repeat):
                salt += 1
                extra = root.parent / f"extra-{salt}.jsonl"
                extra.write_bytes(b"\n".join(extra_lines(meta, k, salt)) + b"\n")
                subprocess.run(archive_cmd() + ["--archive", str(root), "import", str(extra)],
                               check=True, env=env, stdout=subprocess.DEVNULL)
                # The build's fsync must not pay for the write-back of earlier groups'
                # gigabytes (copies, imports) still in the page cache.
                os.sync()
                out = py_child(["build", str(root)]).json()
                runs.append(out["seconds"])
                applied.append(out.get("applied"))
            med = median(runs)
            share = max(0.01, 2 * k / n)
            rows.append(Row(
                "incremental", f"incremental build after +{k:,}", n, med, k / med,
                floor=full, floor_name="full build", goal=f"<= {share:.0%} of full build",
                passed=med <= share * full, runs=runs, extra={"applied": applied}))
    return rows


def run_build_cli(ctx: Context, n: int) -> float:
    """`archive build --full` as a whole process (used for memory when asked)."""
    root = ctx.data(n) / "archive"
    _clear(db_of(root))
    child = run_child(archive_cmd() + ["--archive", str(root), "build", "--full"],
                      env=bench_env())
    return child.seconds
