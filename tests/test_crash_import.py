"""An import is all or nothing across crashes too, and readers never see half of one.

- SIGKILL at random moments of a real `archive import` process: afterwards a reader sees
  either none of the import or all of it, the next writer settles the log (and removes the
  dead importer's spool), and running the import again completes it exactly once.
- A fault injected at each step of an append (before and after each fsync and rename):
  the process dies there, and the log is then the old one or the whole new one.
- Readers (verify, log, build) running while imports run never report damage.

Set CRASH_SEED to replay a failing run.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from helpers import ARCHIVE_SCRIPT, CONFERENCE_ID, PYTHON, archive_env

from archive.store.log import Log
from archive.store.verify import verify

pytestmark = pytest.mark.slow

NOTES = 100_000  # about 22 MB: an import that takes a second or two here


def import_file(tmp_path: Path, n: int = NOTES, tag: str = "imp") -> Path:
    path = tmp_path / f"{tag}.jsonl"
    with open(path, "w") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"{tag}-{i:06d}", "type": "note.recorded", "data": {
                "conference": CONFERENCE_ID, "text": f"Imported note {i} " + "x" * 150}}))
            f.write("\n")
    return path


def count_imported(root: Path, tag: str) -> int:
    return sum(1 for e in Log(root) if e.id.startswith(f"{tag}-"))


def assert_tree_matches_log(root: Path, seed: int) -> None:
    """The Merkle tree the index holds (written in the index head's transaction) covers
    exactly the lines its head says, with the log's own root, as the kill left it and
    after catching up."""
    from itertools import islice

    from archive.core import merkle
    from archive.store.index import Index

    log = Log(root)
    with Index(log) as index:
        for _ in range(2):
            size = index.head_seq()
            lines = islice((line for _, _, line in log.lines()), size)
            assert index.tree.root(size) == merkle.root_of_leaves(lines), f"seed {seed}"
            index.catch_up()


def test_a_killed_import_leaves_all_or_nothing(archive_dir: Path, tmp_path: Path,
                                               children: list) -> None:
    seed = int(os.environ.get("CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    path = import_file(tmp_path)
    before = Log(archive_dir).committed()
    outcomes = {"none": 0, "all": 0}
    # one kill in each fifth of 0.15-1.8 s (start-up, the check, the spool, the append,
    # after it): stratified, so every stretch is hit each run (ten uniform draws often
    # left one out, and took twice as long); test_faults kills it at each fsync and rename
    stretches = 5
    for k in range(stretches):
        proc = subprocess.Popen([str(ARCHIVE_SCRIPT), "import", str(path)],
                                env=archive_env(archive_dir), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        children.append(proc)
        time.sleep(0.15 + (k + rng.random()) * (1.8 - 0.15) / stretches)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        # a reader first (it settles nothing), then verify as a reader too
        seen = count_imported(archive_dir, "imp")
        assert seen in (0, NOTES), f"seed {seed}: a reader saw {seen} of {NOTES} lines"
        assert verify(Log(archive_dir)).events in (1, 1 + NOTES)
        assert_tree_matches_log(archive_dir, seed)
        outcomes["all" if seen else "none"] += 1
        if seen:  # the import got in before the kill: start again from nothing
            Log(archive_dir).path.write_bytes(Log(archive_dir).path.read_bytes()[:before])
            (archive_dir / "exports" / ".log-index.sqlite").unlink(missing_ok=True)
            (archive_dir / "exports" / ".head").unlink(missing_ok=True)  # cut on purpose
    # the next writer settles what the last kill left, and its spool goes
    again = subprocess.run([str(ARCHIVE_SCRIPT), "import", str(path)],
                           env=archive_env(archive_dir), capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0, again.stderr
    assert count_imported(archive_dir, "imp") == NOTES
    assert not list((archive_dir / "events").glob(".import-*"))
    assert not (archive_dir / "events" / ".append-intent").exists()
    # and once more writes nothing (same ids, same content)
    third = subprocess.run([str(ARCHIVE_SCRIPT), "import", str(path)],
                           env=archive_env(archive_dir), capture_output=True, text=True,
                           timeout=120)
    assert third.returncode == 0 and count_imported(archive_dir, "imp") == NOTES
    print(f"import kills: seed {seed}, {outcomes}")


#: Runs one append with a fault (SIGKILL of itself) at the named step: argv root, step.
FAULT = r"""
import os, signal, sys
from archive.store import durable, log as logmod
from archive.core.events import make_payload
from archive.store.log import Log, Pending

root, step = sys.argv[1], sys.argv[2]
calls = {"fsync": 0, "replace": 0}
real_fsync, real_replace = os.fsync, os.replace

def die(where):
    if where == step:
        os.kill(os.getpid(), signal.SIGKILL)

def fsync(fd):
    calls["fsync"] += 1
    die(f"before fsync {calls['fsync']}")
    real_fsync(fd)
    die(f"after fsync {calls['fsync']}")

def replace(a, b):
    calls["replace"] += 1
    die(f"before rename {calls['replace']}")
    real_replace(a, b)
    die(f"after rename {calls['replace']}")

os.fsync, os.replace = fsync, replace
pending = [Pending(f"f-{i}", "note.recorded", make_payload(
    "note.recorded", {"conference": "conf-astana", "text": f"fault {i}"})) for i in range(3)]
Log(root).append(pending, recorded_at="2024-01-02T03:04:05.000Z", recorded_by="t")
die("after return")
print("done")
"""

STEPS = [f"{when} {what} {n}" for what in ("fsync", "rename") for n in (1, 2, 3)
         for when in ("before", "after")] + ["after return"]


@pytest.mark.parametrize("step", STEPS)
def test_a_fault_at_each_step_of_an_append(archive_dir: Path, step: str) -> None:
    log = Log(archive_dir)
    old = log.path.read_bytes()
    proc = subprocess.run([PYTHON, "-c", FAULT, str(archive_dir), step], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode in (0, -signal.SIGKILL), proc.stderr
    died = proc.returncode == -signal.SIGKILL
    seen = count_imported(archive_dir, "f")  # a reader, before anyone settles
    assert seen in (0, 3)
    with log.locked():  # the next writer settles
        pass
    now = log.path.read_bytes()
    assert now == old or (now.startswith(old) and count_imported(archive_dir, "f") == 3)
    assert count_imported(archive_dir, "f") == seen  # the reader saw what was settled
    if not died or step == "after return":
        assert seen == 3  # acknowledged: never lost
    assert verify(log).events in (1, 4)
    assert not (archive_dir / "events" / ".append-intent").exists()


def test_readers_never_see_half_an_import(archive_dir: Path, tmp_path: Path,
                                          children: list) -> None:
    files = [import_file(tmp_path, 30_000, f"conc{i}") for i in range(3)]
    importer = subprocess.Popen(
        [PYTHON, "-c", "import subprocess, sys\n"
         "for path in sys.argv[2:]:\n"
         "    subprocess.run([sys.argv[1], 'import', path], check=True)\n",
         str(ARCHIVE_SCRIPT), *map(str, files)], env=archive_env(archive_dir),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    children.append(importer)
    reads = 0
    while importer.poll() is None and reads < 200:
        proc = subprocess.run([str(ARCHIVE_SCRIPT), "verify"], env=archive_env(archive_dir),
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        for i in range(3):
            assert count_imported(archive_dir, f"conc{i}") in (0, 30_000)
        reads += 1
    assert importer.wait(timeout=300) == 0, importer.stderr.read()  # type: ignore[union-attr]
    assert reads >= 3
    assert all(count_imported(archive_dir, f"conc{i}") == 30_000 for i in range(3))
