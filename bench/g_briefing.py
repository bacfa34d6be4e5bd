"""6. Briefing: calls bench/briefing_bench.py's `run(sizes=(200, 2000))` (written by the
briefing's owner) when it exists, and turns its dicts into rows."""

from __future__ import annotations

import importlib
import importlib.util

from .core import Context, Row


def _get(d: dict, *keys: str, default=None):
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return default


def run(ctx: Context) -> list[Row]:
    if importlib.util.find_spec("bench.briefing_bench") is None:
        return [Row("briefing", "briefing PDF", None, None,
                    status="pending: bench/briefing_bench.py absent")]
    mod = importlib.import_module("bench.briefing_bench")
    sizes = (20, 200) if ctx.quick else (200, 2000)
    try:
        results = mod.run(sizes=sizes)
    except Exception as exc:  # another engineer's code: report, do not stop the harness
        return [Row("briefing", "briefing PDF", None, None,
                    status=f"error: {type(exc).__name__}: {exc}"[:200])]
    rows = []
    for d in results:
        seconds = _get(d, "seconds", "median", "median_s", "time")
        pages = _get(d, "pages")
        floor = _get(d, "floor", "floor_seconds", "floor_s")
        passed = _get(d, "pass", "passed", "ok")
        rows.append(Row(
            "briefing", str(_get(d, "name", "measurement", default="briefing PDF")),
            _get(d, "size", "speeches"), seconds,
            (pages / seconds) if pages and seconds else None, unit="pages/s", floor=floor,
            floor_name=str(_get(d, "floor_name", default="plain WeasyPrint" if floor else "")),
            goal=str(_get(d, "goal", default="<= 1.5x floor, s/page flat")),
            passed=bool(passed) if passed is not None else (
                seconds <= 1.5 * floor if seconds and floor else None),
            extra={k: v for k, v in d.items() if isinstance(v, (int, float, str, bool))}))
    return rows
