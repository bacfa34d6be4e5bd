"""5. Peak memory (RSS high-water of the process, os.wait4) of a full build and of an import,
as the log grows: flat means the largest size stays within 1.5x of the reference size
(100k when measured, else the smallest)."""

from __future__ import annotations

from .core import Context, Row

GOAL_X = 1.5


def run(ctx: Context) -> list[Row]:
    from .g_build import database_available, full_build
    from .g_import import import_once

    rows: list[Row] = []
    kinds = [("import", lambda n: import_once(ctx, n, "memory")[1])]
    if database_available() is None:
        kinds.append(("build", lambda n: full_build(ctx, n)["maxrss_kb"]))
    else:
        rows.append(Row("memory", "peak RSS: full build", None, None,
                        status=database_available() or ""))
    for kind, measure in kinds:
        mb = {}
        for n in ctx.sizes:
            kb = ctx.memo.get((f"{kind}_rss", n))
            if kb is None:
                kb = measure(n)
            mb[n] = kb / 1024
        ref = min((n for n in ctx.sizes if n >= 100_000), default=min(ctx.sizes))
        for n in ctx.sizes:
            x = mb[n] / mb[ref]
            rows.append(Row(
                "memory", f"peak RSS: {kind} (MB; floor = RSS at {ref:,})", n, None,
                mb[n], unit="MB", x=x, goal=f"flat: <= {GOAL_X:g}x RSS at {ref:,}",
                passed=(x <= GOAL_X) if n > ref else None,
                extra={"maxrss_mb": mb[n], "x_reference": x}))
    return rows
