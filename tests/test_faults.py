"""The fault-injection suite (`pytest -m faults`): every write path, killed at every point
where it makes something durable, and afterwards nothing acknowledged is lost, the
command's events are all in the log or none are, the log verifies and still holds its
remembered head, a build equals a build from scratch, and the database passes
`pragma integrity_check`.

Kill points, for each path, found by running it once under strace and counting:
- **before** each `fsync`, `fdatasync` and `rename` system call (strace delivers SIGKILL
  as the call is entered: SQLite's own syncs are covered too, not only ours);
- **after** each `os.fsync` and `os.replace` our code makes, and after the command
  returned (`faultrun.py` patches them and kills the process itself).
Then SIGKILL at random moments of long builds, one in each stretch of a build's run
(`STRETCHES`). Set FAULT_SEED to replay.
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fixtures_db import rows
from helpers import ARCHIVE_SCRIPT, archive_env

from archive.app import Archive
from archive.database.build import recover
from archive.store.log import Log
from archive.store.verify import verify

pytestmark = [pytest.mark.faults, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
RUNNER = Path(__file__).with_name("faultrun.py")
SYSCALLS = "fsync,fdatasync,rename,renameat,renameat2"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
TRIED: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def report_kill_points() -> Iterator[None]:
    """After the module: how many kill points each path was tried at (shown with -s)."""
    yield
    for name, n in sorted(TRIED.items()):
        print(f"  {name}: {n} kill points")


@dataclass(frozen=True)
class Path_:
    """A write path: how to prepare the archive, the command, and the events it adds."""

    name: str
    args: tuple[str, ...]
    adds: int  # events the command appends (0: it only writes derived files or repairs)
    prepare: Callable[[Path], None] = lambda root: None


def _cli(root: Path, *args: str) -> None:
    proc = subprocess.run([str(ARCHIVE_SCRIPT), *args], env=archive_env(root),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def _unbuilt_events(root: Path) -> None:
    _cli(root, "add", "note", "--text", "recorded, not yet built")
    _cli(root, "add", "figure", "--value", "3", "--counts", "new figures")


def _torn_tail(root: Path) -> None:
    with open(Log(root).path, "ab") as f:
        f.write(b'{"id":"torn","seq":78,"ty')


def _two_spellings(root: Path) -> None:
    _cli(root, "add", "participant", "--name", "Fault Person", "--kind", "person")
    _cli(root, "add", "participant", "--name", "Fault Persson", "--kind", "person")


def _import_file(root: Path) -> None:
    with open(root.parent / "import.jsonl", "w") as f:
        for i in range(3):
            f.write(json.dumps({"id": f"fault-imp-{i}", "type": "note.recorded",
                                "data": {"conference": "astana15", "text": f"n {i}"}}) + "\n")


def _photo(root: Path) -> None:
    (root.parent / "photo.png").write_bytes(PNG)


PATHS = [
    Path_("add", ("add", "note", "--text", "fault", "--id", "fault-add"), 1),
    Path_("attachment", ("add", "attachment", "--file", "../photo.png", "--caption", "A photo",
                         "--id", "fault-photo"), 1, _photo),
    Path_("import", ("import", "../import.jsonl"), 3, _import_file),
    Path_("correct", ("correct", "astana15-n-cooperation", "--set", "text=Corrected.",
                      "--reason", "typo"), 1),
    Path_("retract", ("retract", "astana15-n-human-rights", "--reason", "not said"), 1),
    Path_("merge", ("merge", "Fault Person", "Fault Persson", "--reason", "one person"), 1,
          _two_spellings),
    Path_("repair", ("repair",), 0, _torn_tail),
    Path_("build incremental", ("build",), 0, _unbuilt_events),
    Path_("build full", ("build", "--full"), 0),
    # an update of the one note the base adds: the briefing's durable steps (the document,
    # then its stamp) with a 5-page layout, not the whole 19-page one, before each kill
    Path_("briefing", ("briefing", "--no-verify", "--since", "93"), 0),
]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped Astana archive, built, with its log index caught up."""
    root = tmp_path_factory.mktemp("faults-base") / "archive"
    (root / "events").mkdir(parents=True)
    shutil.copyfile(REPO / "events" / "events.jsonl", root / "events" / "events.jsonl")
    _cli(root, "add", "note", "--text", "the index is caught up", "--id", "base-note")
    _cli(root, "build")
    return root


def fresh(base: Path, tmp: Path, path: Path_) -> Path:
    work = tmp / "run"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir()
    root = work / "archive"
    shutil.copytree(base, root)
    path.prepare(root)
    return root


def count_syscalls(root: Path, args: tuple[str, ...]) -> int:
    trace = root.parent / "trace.txt"
    proc = subprocess.run(["strace", "-f", "-qq", "-o", str(trace), "-e", f"trace={SYSCALLS}",
                           str(ARCHIVE_SCRIPT), *args], env=archive_env(root), cwd=root,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    calls = re.compile(rf"^\d+\s+({SYSCALLS.replace(',', '|')})\(")
    return sum(1 for line in trace.read_text().splitlines() if calls.match(line))


def count_calls(root: Path, args: tuple[str, ...]) -> dict[str, int]:
    proc = subprocess.run([sys.executable, str(RUNNER), "count", *args], env=archive_env(root),
                          cwd=root, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def kill_before(root: Path, args: tuple[str, ...], n: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["strace", "-f", "-qq", "-o", "/dev/null", "-e", f"trace={SYSCALLS}",
         "-e", f"inject={SYSCALLS}:signal=KILL:when={n}", str(ARCHIVE_SCRIPT), *args],
        env=archive_env(root), cwd=root, capture_output=True, text=True, timeout=300)


def kill_after(root: Path, args: tuple[str, ...], step: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(RUNNER), step, *args], env=archive_env(root),
                          cwd=root, capture_output=True, text=True, timeout=300)


def check(root: Path, before: bytes, path: Path_, acknowledged: bool) -> None:
    """What must hold after a crash at any point, before and after the next command."""
    log = Log(root)
    reader = verify(log).events  # a reader first: it sees whole appends only
    log.check_head()  # the remembered head is never ahead of what reached the disk
    with log.locked():  # the next writer settles what the dead one left
        pass
    after = log.path.read_bytes()
    old = before.count(b"\n")
    now = after.count(b"\n")
    if path.name == "repair":
        assert after in (before, before[:before.rindex(b"\n") + 1])
    else:
        assert after.startswith(before)
        assert now - old in (0, path.adds), f"{now - old} of {path.adds} events"
        assert verify(log).events == reader  # what the reader saw is what was kept
    if acknowledged:
        assert now - old == path.adds
    if path.name == "attachment" and now > old:
        (event,) = [e for e in log if e.id == "fault-photo"]
        stored = log.layout.attachment(event.data.sha256)  # type: ignore[attr-defined]
        assert stored.read_bytes() == PNG
    db = root / "exports" / "archive.db"
    if db.exists():  # (a first build killed before its rename leaves none: nothing to serve)
        recover(db)  # what serve, build and briefing do first
        conn = sqlite3.connect(db)
        try:
            assert conn.execute("pragma integrity_check").fetchall() == [("ok",)]
            built = int(dict(conn.execute("select key, value from _archive_build"))["seq"])
        finally:
            conn.close()
        assert built <= verify(log).seq
    result = Archive(root).build()
    scratch = Archive(root).build(root.parent / "scratch.db", full=True)
    assert list(rows(result.path)) == list(rows(scratch.path))
    dead = [p.name for folder in (root / "events", root / "exports")
            for p in folder.glob(".*.tmp")]
    assert dead == []  # the next command removed what the dead one left


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_a_kill_before_each_sync_and_rename(base: Path, tmp_path: Path, path: Path_) -> None:
    root = fresh(base, tmp_path, path)
    total = count_syscalls(root, path.args)
    assert total >= 1
    for n in range(1, total + 1):
        root = fresh(base, tmp_path, path)
        before = Log(root).path.read_bytes()
        proc = kill_before(root, path.args, n)
        assert proc.returncode in (0, -signal.SIGKILL, 128 + signal.SIGKILL), proc.stderr
        check(root, before, path, acknowledged=proc.returncode == 0)
    TRIED[f"{path.name}: before"] = total


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_a_kill_after_each_fsync_and_rename(base: Path, tmp_path: Path, path: Path_) -> None:
    root = fresh(base, tmp_path, path)
    calls = count_calls(root, path.args)
    steps = [f"after {what} {n}" for what, total in calls.items()
             for n in range(1, total + 1)] + ["after return"]
    for step in steps:
        root = fresh(base, tmp_path, path)
        before = Log(root).path.read_bytes()
        proc = kill_after(root, path.args, step)
        assert proc.returncode == -signal.SIGKILL, (step, proc.stderr)
        check(root, before, path, acknowledged=step == "after return")
    TRIED[f"{path.name}: after"] = len(steps)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """10,000 more notes on the Astana archive: builds that take long enough (about a
    second) to kill in each of the four stretches (20,000 doubled the module's time and
    hit no other step)."""
    root = tmp_path_factory.mktemp("faults-big") / "archive"
    (root / "events").mkdir(parents=True)
    shutil.copyfile(REPO / "events" / "events.jsonl", root / "events" / "events.jsonl")
    path = root.parent / "notes.jsonl"
    with open(path, "w") as f:
        for i in range(10_000):
            f.write(json.dumps({"id": f"big-{i}", "type": "note.recorded", "data": {
                "conference": "astana15", "text": f"note {i} " + "y" * 200}}) + "\n")
    _cli(root, "import", str(path))
    return root


#: Where in a build's run the random kills land: one moment drawn in each of these
#: stretches of its uninterrupted time (opening and reading, folding, writing rows and the
#: search index, the final sync and rename), so every stage is hit in every run.
STRETCHES = ((0.05, 0.3), (0.3, 0.55), (0.55, 0.8), (0.8, 0.98))


@pytest.mark.parametrize("args", [("build", "--full"), ("build",)], ids=["full", "incremental"])
def test_sigkill_at_random_moments_of_a_build(big: Path, tmp_path: Path,
                                              args: tuple[str, ...]) -> None:
    seed = int(os.environ.get("FAULT_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    path = Path_(f"build {' '.join(args)}", args, 0)
    kills = 0
    start = tmp_path / "start"  # what each killed build starts from
    shutil.copytree(big, start)
    if args == ("build",):  # built, then 2,500 more events for the incremental build
        _cli(start, "build")
        _import_more(start)
    timing = tmp_path / "timing"
    shutil.copytree(start, timing)
    started = time.monotonic()
    _cli(timing, *args)
    lasts = time.monotonic() - started
    for low, high in STRETCHES:
        root = tmp_path / "big"
        if root.exists():
            shutil.rmtree(root)
        shutil.copytree(start, root)
        before = Log(root).path.read_bytes()
        proc = subprocess.Popen([str(ARCHIVE_SCRIPT), *args], env=archive_env(root),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(low, high) * lasts)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=120)
        kills += proc.returncode == -signal.SIGKILL
        check(root, before, path, acknowledged=False)
    TRIED[f"{path.name}: random"] = kills
    print(f"seed {seed}: {kills} of {len(STRETCHES)} builds killed")


def _import_more(root: Path) -> None:
    path = root.parent / "more.jsonl"
    with open(path, "w") as f:
        for i in range(2_500):
            f.write(json.dumps({"id": f"more-{i}", "type": "note.recorded", "data": {
                "conference": "astana15", "text": f"later note {i}"}}) + "\n")
    _cli(root, "import", str(path))
