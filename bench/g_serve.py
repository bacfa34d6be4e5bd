"""7. Serving: a real Datasette (`archive serve --no-build --port P`) on the N-event database,
hit on 127.0.0.1 by a bounded loop: a table page with its default facets, a full-text search
across all text, a row page. Median and p95 latency per kind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

from .core import Context, Row, median, p95
from .generate import archive_cmd, bench_env

GOALS = {"table": 0.050, "search": 0.100, "row": 0.050, "reader_search": 0.100,
         "profile": 0.100}
SEARCH_WORD = "cooperation"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 30) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def serve_available() -> str | None:
    try:
        from archive.serve import server  # noqa: F401
    except ImportError as exc:
        return f"pending: archive.serve.server not importable ({exc})"
    from .g_build import database_available

    return database_available()


def run(ctx: Context) -> list[Row]:
    why = serve_available()
    if why:
        return [Row("serve", "datasette pages", n, None, status=why) for n in ctx.sizes]
    from .g_build import ensure_db

    rows: list[Row] = []
    loops = 10 if ctx.quick else 50
    for n in ctx.sizes:
        ensure_db(ctx, n)
        root = ctx.data(n) / "archive"
        port = _free_port()
        log = open(ctx.out / f"serve-{n}.log", "wb")
        # its own session: `archive serve` starts datasette as a child; stop the group
        proc = subprocess.Popen(archive_cmd() + ["--archive", str(root), "serve", "--port",
                                                 str(port), "--no-build"], env=bench_env(),
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            t0 = time.perf_counter()
            while True:
                try:
                    if _get(base + "/-/versions.json", timeout=2)[0] == 200:
                        break
                except OSError:
                    pass
                if proc.poll() is not None or time.perf_counter() - t0 > 180:
                    raise RuntimeError(f"datasette did not start (see {log.name})")
                time.sleep(0.2)
            startup = time.perf_counter() - t0
            status, body = _get(base + "/archive/speeches.json?_shape=array&_size=1")
            first = json.loads(body)[0]["id"] if status == 200 else None
            sql = ("select speaker_id from speeches group by speaker_id "
                   "order by count(*) desc limit 1")
            status, body = _get(base + "/archive.json?_shape=array&sql="
                                + urllib.parse.quote(sql), timeout=120)
            busiest = json.loads(body)[0]["speaker_id"] if status == 200 else None
            urls = {
                "table": ("table page /archive/speeches (default facets)",
                          base + "/archive/speeches"),
                "search": (f"full-text search /archive/texts?_search={SEARCH_WORD}",
                           base + f"/archive/texts?_search={SEARCH_WORD}"),
                "row": ("row page /archive/speeches/<id>",
                        base + "/archive/speeches/" + urllib.parse.quote(str(first))),
                "reader_search": (f"reader's search /archive/search?q={SEARCH_WORD}",
                                  base + f"/archive/search?q={SEARCH_WORD}"),
                "profile": ("profile of the most-mentioned person /archive/entities/<id>",
                            base + "/archive/entities/" + urllib.parse.quote(str(busiest))),
            }
            for kind, (label, url) in urls.items():
                for _ in range(3):
                    _get(url)
                times, errors = [], 0
                for _ in range(loops):
                    t = time.perf_counter()
                    status, body = _get(url)
                    times.append(time.perf_counter() - t)
                    errors += status != 200
                med = median(times)
                rows.append(Row(
                    "serve", f"{label}; p95 {p95(times) * 1000:.1f} ms", n, med, 1 / med,
                    unit="req/s", goal=f"median < {GOALS[kind] * 1000:.0f} ms",
                    passed=med < GOALS[kind] and errors == 0,
                    status="" if errors == 0 else f"FAIL: {errors} non-200",
                    runs=times, extra={"p95": p95(times), "errors": errors,
                                       "startup_seconds": startup, "bytes": len(body)}))
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            log.close()
    return rows
