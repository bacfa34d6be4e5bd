"""python -m bench [--sizes 10k,100k,1m] [--repeat N] [--only NAME,...] [--out bench/out]

Groups (in the order they run): import, build, incremental, append, side, memory, serve,
briefing, pg (the PostgreSQL store), proofs (checkpoints and Merkle proofs). Prints a
markdown table; writes OUT/results.json; with --readme, puts the table and the machine
into bench/README.md.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from .core import HERE, Context, Row, machine, parse_size, table, write_results

GROUPS = ["import", "build", "incremental", "append", "side", "memory", "serve", "briefing",
          "pg", "proofs"]
SLOW = {"serve", "briefing"}


def _group(name: str):
    from . import g_append, g_briefing, g_build, g_import, g_memory, g_pg, g_proofs, g_serve, g_side

    return {
        "import": g_import.run, "build": g_build.run_full,
        "incremental": g_build.run_incremental, "append": g_append.run, "side": g_side.run,
        "memory": g_memory.run, "serve": g_serve.run, "briefing": g_briefing.run, "pg": g_pg.run,
        "proofs": g_proofs.run,
    }[name]


def machine_text(m: dict) -> str:
    return (f"{m['nproc']} cores ({m['cpu']}), {m['memory']} RAM, Python {m['python']}, "
            f"SQLite {m['sqlite']}, {m['platform']}; load average at start "
            f"{', '.join(f'{x:.2f}' for x in m['load_avg'])}")


def update_readme(text: str) -> None:
    path = HERE / "README.md"
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    readme = path.read_text() if path.exists() else f"# Benchmarks\n\n{start}\n{end}\n"
    if start not in readme:
        readme += f"\n{start}\n{end}\n"
    before, rest = readme.split(start, 1)
    after = rest.split(end, 1)[1]
    path.write_text(before + start + "\n" + text + end + after)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="10k,100k,1m",
                   help="archive sizes in events (default: 10k,100k,1m)")
    p.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    p.add_argument("--only", help=f"comma-separated groups: {','.join(GROUPS)}")
    p.add_argument("--skip", help="comma-separated groups to leave out")
    p.add_argument("--out", type=Path, default=HERE / "out", help="data and results folder")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--quick", action="store_true", help="fewer loop iterations (smoke test)")
    p.add_argument("--readme", action="store_true", help="write the table into bench/README.md")
    args = p.parse_args(argv)

    only = [g.strip() for g in args.only.split(",")] if args.only else list(GROUPS)
    skip = {g.strip() for g in args.skip.split(",")} if args.skip else set()
    unknown = [g for g in [*only, *skip] if g not in GROUPS]
    if unknown:
        p.error(f"unknown group(s) {unknown}; known: {GROUPS}")
    sizes = sorted(parse_size(s) for s in args.sizes.split(","))
    ctx = Context(sizes=sizes, repeat=max(1, args.repeat), out=args.out.resolve(),
                  seed=args.seed, quick=args.quick)
    started = time.time()
    rows: list[Row] = []
    for name in GROUPS:
        if name not in only or name in skip:
            continue
        print(f"[bench] {name} at {', '.join(map(str, sizes))} ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            got = _group(name)(ctx)
        except Exception as exc:  # one broken group must not hide the others
            traceback.print_exc()
            got = [Row(name, name, None, None, status=f"error: {type(exc).__name__}: "
                       f"{str(exc).splitlines()[0] if str(exc) else ''}"[:160])]
        rows.extend(got)
        ctx.results = rows
        print(f"[bench] {name} done in {time.perf_counter() - t0:.1f}s", file=sys.stderr,
              flush=True)
        print(table(got), file=sys.stderr, flush=True)
    text = table(rows)
    path = write_results(ctx, rows, started, argv)
    m = machine()
    print(text)
    print(f"Machine: {machine_text(m)}\nResults: {path}")
    if args.readme:
        update_readme(
            f"Run `python -m bench {' '.join(argv)}` on "
            f"{time.strftime('%Y-%m-%d', time.gmtime(started))}.\n\n"
            f"Machine: {machine_text(m)}.\n\n{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
