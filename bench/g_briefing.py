"""6. Briefing: calls bench/briefing_bench.py's `run(sizes=(200, 2000))` (written by the
briefing's owner) when it exists, and turns its dicts into rows; then what the default
end-to-end verification adds to `archive briefing` of one conference of the generated
archives (at 100k only: the issue's size; at the smallest size in a smoke run)."""

from __future__ import annotations

import importlib
import importlib.util
import json

from .core import Context, Row, median, run_child
from .generate import archive_cmd, bench_env

#: Verification may add at most this share to a briefing (issue 14).
VERIFY_GOAL = 0.10
#: A briefing in Russian or Kazakh takes at most this share more than the English (issue 29).
TRANSLATED_GOAL = 0.10


def _get(d: dict, *keys: str, default=None):
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return default


def run(ctx: Context) -> list[Row]:
    if importlib.util.find_spec("bench.briefing_bench") is None:
        return [Row("briefing", "briefing PDF", None, None,
                    status="pending: bench/briefing_bench.py absent")]
    return speeches(ctx) + verification(ctx)


def speeches(ctx: Context) -> list[Row]:
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
        for lang in ("ru", "kk"):  # the same briefing in another language (issue 29)
            other, ratio = _get(d, f"seconds_{lang}"), _get(d, f"ratio_{lang}")
            if other is None or ratio is None or not seconds:
                continue
            rows.append(Row(
                "briefing", f"briefing PDF in {lang} (same log; peer: the English one)",
                _get(d, "size", "speeches"), other,
                (_get(d, f"pages_{lang}") or 0) / other, unit="pages/s", floor=seconds,
                floor_name="the English briefing",
                goal=f"ratio to its floor <= {1 + TRANSLATED_GOAL:.2f}x English's",
                passed=ratio <= 1 + TRANSLATED_GOAL, x=ratio,
                extra={"pages": _get(d, f"pages_{lang}"), "english_pages": pages,
                       "floor": _get(d, f"floor_{lang}"), "ratio_to_english": ratio}))
    return rows


def verification(ctx: Context) -> list[Row]:
    """`archive briefing --conference C` as a whole process, with its default check of
    the whole log (beside the build and layout, `archive.checking`) and with
    `--no-verify`, interleaved; the database is up to date before each (built once)."""
    from .g_build import ensure_db

    sizes = [n for n in ctx.sizes if n == 100_000] or ([min(ctx.sizes)] if ctx.quick else [])
    rows: list[Row] = []
    for n in sizes:
        ensure_db(ctx, n)
        root = ctx.data(n) / "archive"
        conference = json.loads((ctx.data(n) / "meta.json").read_text())["conferences"][0]
        cmd = archive_cmd() + ["--archive", str(root), "briefing", "--conference", conference]
        env = bench_env()
        if not ctx.quick:  # (a smoke test measures nothing: no warm-up)
            run_child(cmd + ["--no-verify"], env=env)  # warm: fonts, page cache
        plain, checked = [], []
        for _ in range(ctx.repeat):
            plain.append(run_child(cmd + ["--no-verify"], env=env).seconds)
            checked.append(run_child(cmd, env=env).seconds)
        base, med = median(plain), median(checked)
        rows.append(Row("briefing", "briefing of one conference, --no-verify (whole process)",
                        n, base, runs=plain, unit="s"))
        rows.append(Row(
            "briefing", "briefing of one conference, verified (default; the whole log, "
            "checked beside)", n, med, floor=base, floor_name="the same with --no-verify",
            goal=f"adds < {VERIFY_GOAL:.0%}", passed=med <= (1 + VERIFY_GOAL) * base,
            runs=checked, unit="s"))
    return rows
