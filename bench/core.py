"""Shared pieces: result rows, timing loops, child processes with their peak memory, the
markdown table, machine information."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


@dataclass
class Row:
    """One line of the table."""

    group: str
    name: str
    size: int | None
    seconds: float | None  # median
    rate: float | None = None  # events/s (or pages/s, requests/s: see unit)
    unit: str = "ev/s"
    floor: float | None = None  # seconds of the floor measured in the same run
    floor_name: str = ""
    goal: str = ""
    passed: bool | None = None  # None: informational or pending
    status: str = ""  # "pending", "skipped", "error: ..."
    runs: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    x: float | None = None  # a ratio given directly (memory rows)

    @property
    def ratio(self) -> float | None:
        if self.x is not None:
            return self.x
        if self.seconds is None or not self.floor:
            return None
        return self.seconds / self.floor

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ratio"] = self.ratio
        return out


@dataclass
class Context:
    sizes: list[int]
    repeat: int
    out: Path
    seed: int = 1
    quick: bool = False  # smoke-test mode: fewer runs in loops
    results: list[Row] = field(default_factory=list)
    memo: dict[Any, Any] = field(default_factory=dict)

    def data(self, n: int) -> Path:
        from .generate import prepare

        return prepare(n, self.seed, self.out)

    def scratch(self, name: str) -> Path:
        path = self.out / "scratch" / name
        if path.exists():
            import shutil

            shutil.rmtree(path)
        path.mkdir(parents=True)
        return path


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def p95(xs: Sequence[float]) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, int(round(0.95 * len(s) + 0.5)) - 1))]


def timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    runs, last = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        last = fn()
        runs.append(time.perf_counter() - t0)
    return runs, last


@dataclass
class Child:
    seconds: float  # wall clock of the whole process
    maxrss_kb: int  # peak resident set of that process (wait4)
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        for line in reversed(self.stdout.strip().splitlines()):
            if line.startswith("{"):
                return json.loads(line)
        raise RuntimeError(f"no JSON from child: {self.stdout[-500:]} {self.stderr[-2000:]}")


def run_child(argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
              check: bool = True, stdin: Any = subprocess.DEVNULL) -> Child:
    """Run a whole process; wall time and its own peak RSS (os.wait4, not the running
    maximum over all children that RUSAGE_CHILDREN gives)."""
    out_path = err_path = None
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=cwd, stdin=stdin)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        child = Child(seconds, int(usage.ru_maxrss), proc.returncode,
                      out.read().decode(errors="replace"), err.read().decode(errors="replace"))
    del out_path, err_path
    if check and child.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv[:6]))} exited {child.returncode}:\n"
                           f"{child.stderr[-3000:]}{child.stdout[-1000:]}")
    return child


def py_child(module_args: list[str], **kw: Any) -> Child:
    """`python -m bench.child ...` (the harness's own measurement processes)."""
    return run_child([sys.executable, "-m", "bench.child", *module_args], cwd=REPO, **kw)


def parse_size(text: str) -> int:
    t = text.strip().lower().replace("_", "")
    mult = 1
    if t.endswith("k"):
        mult, t = 1_000, t[:-1]
    elif t.endswith("m"):
        mult, t = 1_000_000, t[:-1]
    return int(float(t) * mult)


def size_label(n: int | None) -> str:
    if n is None:
        return "-"
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def _num(x: float | None, digits: int = 3) -> str:
    if x is None:
        return "-"
    if x >= 1000:
        return f"{x:,.0f}"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.{digits}f}"


def _rate(r: Row) -> str:
    if r.rate is None:
        return "-"
    return f"{r.rate:,.0f} {r.unit}" if r.rate >= 100 else f"{r.rate:.2f} {r.unit}"


def table(rows: Sequence[Row]) -> str:
    head = ("| group | measurement | size | median s | rate | floor s | x floor | goal | "
            "result |\n|---|---|---|---|---|---|---|---|---|\n")
    lines = []
    for r in rows:
        result = r.status or {True: "PASS", False: "FAIL", None: "info"}[r.passed]
        floor = _num(r.floor) + (f" ({r.floor_name})" if r.floor_name and r.floor else "")
        lines.append(
            f"| {r.group} | {r.name} | {size_label(r.size)} | {_num(r.seconds, 4)} | "
            f"{_rate(r)} | {floor} | {_num(r.ratio, 2)} | {r.goal} | {result} |")
    return head + "\n".join(lines) + "\n"


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    import sqlite3

    return {"nproc": os.cpu_count(), "cpu": model, "memory": mem,
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "platform": platform.platform(), "load_avg": os.getloadavg()}


def write_results(ctx: Context, rows: Sequence[Row], started: float, argv: list[str]) -> Path:
    ctx.out.mkdir(parents=True, exist_ok=True)
    path = ctx.out / "results.json"
    path.write_text(json.dumps({
        "machine": machine(), "argv": argv, "sizes": ctx.sizes, "repeat": ctx.repeat,
        "seed": ctx.seed, "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "seconds": time.time() - started, "rows": [r.to_dict() for r in rows],
    }, indent=1, default=str))
    return path
