"""The crash and concurrency guarantees, with real processes, real fsync and real SIGKILL.

- crash: a child appends in a loop and prints each id only after its append returned;
  it is SIGKILLed at random moments, many times. Every acknowledged id must be in the
  log exactly once, the sequence gap-free and the chain verified.
- concurrency: several processes append at once; nothing interleaves, nothing is lost,
  no sequence number is used twice.
- `--expect-seq` races: processes expecting the same sequence; exactly one wins.

Set CRASH_SEED to replay a failing crash run.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from helpers import ARCHIVE_SCRIPT, PYTHON, archive_env

from archive.errors import TornTail
from archive.store.log import Log
from archive.store.verify import verify

pytestmark = pytest.mark.slow

#: The writer. argv: root, id prefix, how many, id to retry first ("" for none), mode,
#: and "wait" to print `ready` and wait for a line on stdin before appending.
#: Every 7th event is a speech by a new speaker (a participant + a speech, one write).
#: Mode "log" appends batches of three notes straight through Log.append.
WRITER = r"""
import os, sys
from archive.core.events import make_payload
from archive.store.log import Log, Pending
from archive.append.recorder import Recorder

root, prefix, count, retry, mode, wait = sys.argv[1:3] + [int(sys.argv[3])] + sys.argv[4:7]
log = Log(root)
recorder = Recorder(log, "crash-test")

def ack(*ids):
    os.write(1, "".join(i + "\n" for i in ids).encode())

def record(ident):
    n = int(ident.rsplit("-", 1)[1])
    if n % 7 == 3:
        recorder.add("speech.delivered", {"summary": "Speech " + ident},
                     {"speaker": "Speaker " + ident}, event_id=ident)
    else:
        recorder.add("note.recorded", {"text": "Note " + ident}, event_id=ident)

if retry:
    record(retry)  # the append that was in flight when the last writer died
    ack(retry)
if wait == "wait":
    ack("ready")
    sys.stdin.readline()
conference = next(iter(log)).id
for n in range(count):
    if mode == "log":
        ids = [f"{prefix}-{n:05d}-{k}" for k in range(3)]
        data = [make_payload("note.recorded", {"conference": conference, "text": i}) for i in ids]
        log.append([Pending(i, "note.recorded", d) for i, d in zip(ids, data)],
                   recorded_at="2024-01-01T00:00:00.000Z", recorded_by="crash-test")
        ack(*ids)
    else:
        ident = f"{prefix}-{n:05d}"
        record(ident)
        ack(ident)
"""


def start_writer(root: Path, prefix: str, count: int, retry: str = "",
                 mode: str = "recorder", wait: bool = False) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [PYTHON, "-c", WRITER, str(root), prefix, str(count), retry, mode,
         "wait" if wait else "go"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=archive_env(root))


def acknowledged(output: bytes) -> list[str]:
    """Complete lines only: a line cut by the kill was never acknowledged."""
    return [line for line in output.decode().split("\n")[:-1] if line != "ready"]


def assert_log_holds(root: Path, acked: list[str]) -> list[str]:
    """Every acknowledged id exactly once, gap-free sequence, verified chain."""
    events = list(Log(root))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    counts = Counter(e.id for e in events)
    missing = [i for i in acked if counts[i] == 0]
    assert not missing, f"acknowledged but lost: {missing[:10]}"
    twice = [i for i, n in counts.items() if n > 1]
    assert not twice, f"present more than once: {twice[:10]}"
    report = verify(Log(root))
    assert report.events == len(events)
    return [e.id for e in events]


# ---------------------------------------------------------------- crash


def test_acknowledged_appends_survive_sigkill(archive_dir: Path, children: list) -> None:
    seed = int(os.environ.get("CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    rounds, per_round = 20, 100_000  # a writer never finishes: it is always killed
    acked: list[str] = []
    in_flight = ""
    repairs = torn_bytes = 0
    for r in range(rounds):
        proc = start_writer(archive_dir, f"r{r:02d}", per_round, retry=in_flight,
                            wait=True)
        children.append(proc)
        assert proc.stdout is not None and proc.stdin is not None
        started = b""  # its retry's acknowledgement, then `ready`: it has started up,
        while not started.endswith(b"ready\n"):  # so the kill lands among appends
            line = proc.stdout.readline()
            assert line, proc.stderr.read().decode() if proc.stderr else ""
            started += line
        proc.stdin.write(b"go\n")
        proc.stdin.flush()
        time.sleep(rng.uniform(0.1, 0.6))
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL, err.decode()
        got = acknowledged(started + out)
        if in_flight:
            assert got[0] == in_flight, f"seed {seed}: retry not acknowledged first"
            acked.append(got.pop(0))
        acked += got
        # the append that was under way when the kill came (retried by the next writer)
        in_flight = f"r{r:02d}-{len(got):05d}"
        # as an operator would: repair a torn tail if the kill left one, then go on
        try:
            Log(archive_dir).head()
        except TornTail:
            torn_bytes += Log(archive_dir).repair()
            repairs += 1
    # each kill came 0.1 s or more into appending (1,500 acknowledged on a quiet machine)
    assert len(acked) >= 10 * rounds, f"seed {seed}: only {len(acked)} appends acknowledged"
    ids = assert_log_holds(archive_dir, acked)
    print(f"crash test: seed {seed}, {rounds} kills, {len(acked)} acknowledged, "
          f"{len(ids)} events in the log, {repairs} repairs ({torn_bytes} bytes)")


def test_a_torn_tail_from_a_killed_writer_is_repaired_and_appends_go_on(
        archive_dir: Path, children: list) -> None:
    """The kill comes between the two halves of a line (the write a crash could tear):
    readers stop before it, repair cuts exactly it, and the next writer carries on."""
    log = Log(archive_dir)
    good = log.path.read_bytes()
    script = (
        "import os, signal, sys\n"
        "fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)\n"
        "os.write(fd, b'{\"id\":\"torn\",\"seq\":2,\"type\":\"note.rec')\n"
        "os.fsync(fd)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([PYTHON, "-c", script, str(log.path)], timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with pytest.raises(TornTail):
        log.head()
    fragment = len(log.path.read_bytes()) - len(good)
    assert fragment > 0
    assert log.repair() == fragment
    assert log.path.read_bytes() == good
    writer = start_writer(archive_dir, "after", 50)
    children.append(writer)
    out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err.decode()
    assert_log_holds(archive_dir, acknowledged(out))


# ---------------------------------------------------------------- concurrency


def _start_together(procs: list[subprocess.Popen[bytes]]) -> None:
    """Wait until every writer has imported and says ready, then release them at once."""
    for proc in procs:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert line == b"ready\n", (line, proc.stderr.read())  # type: ignore[union-attr]
    for proc in procs:
        proc.stdin.write(b"go\n")  # type: ignore[union-attr]
        proc.stdin.flush()  # type: ignore[union-attr]


def test_concurrent_writers_never_interleave_or_lose_lines(archive_dir: Path,
                                                           children: list) -> None:
    writers, per_writer = 4, 250
    procs = [start_writer(archive_dir, f"w{k}", per_writer, wait=True) for k in range(3)]
    # the fourth appends batches of three lines straight through Log.append
    procs.append(start_writer(archive_dir, "batch", per_writer // 3, mode="log", wait=True))
    children.extend(procs)
    _start_together(procs)
    results = [p.communicate(timeout=120) for p in procs]
    for proc, (_, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err.decode()
    acked = [acknowledged(out) for out, _ in results]
    assert [len(a) for a in acked] == [per_writer] * 3 + [3 * (per_writer // 3)]
    ids = assert_log_holds(archive_dir, [i for a in acked for i in a])
    seq_of = {ident: n for n, ident in enumerate(ids, 1)}
    for mine in acked:  # each writer's appends keep its order
        assert [seq_of[i] for i in mine] == sorted(seq_of[i] for i in mine)
    for n in range(per_writer // 3):  # a batch is one write: three consecutive lines
        seqs = [seq_of[f"batch-{n:05d}-{k}"] for k in range(3)]
        assert seqs == [seqs[0], seqs[0] + 1, seqs[0] + 2]
    events = list(Log(archive_dir))
    # every speech's new speaker landed right before it, from the same write
    for before, event in zip(events, events[1:], strict=False):
        if event.type == "speech.delivered":
            assert before.type == "participant.attended"
            assert before.data.entity == event.data.speaker  # type: ignore[attr-defined]
    assert len(events) == 1 + sum(len(a) for a in acked) + sum(
        1 for a in acked[:3] for i in a if int(i.rsplit("-", 1)[1]) % 7 == 3)
    assert writers == len(procs)


def test_expect_seq_race_has_exactly_one_winner(archive_dir: Path, children: list) -> None:
    """Real `archive add` processes expecting the same sequence number, several rounds."""
    rounds, racers = 6, 3
    env = archive_env(archive_dir)
    for r in range(rounds):
        expected = Log(archive_dir).head().seq
        procs = [subprocess.Popen(
            [str(ARCHIVE_SCRIPT), "add", "note", "--text", f"round {r} racer {k}",
             "--expect-seq", str(expected)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for k in range(racers)]
        children.extend(procs)
        outcomes = [(p.wait(timeout=60), p.stdout.read().decode(), p.stderr.read().decode())
                    for p in procs]  # type: ignore[union-attr]
        winners = [o for o in outcomes if o[0] == 0]
        losers = [o for o in outcomes if o[0] != 0]
        assert len(winners) == 1, outcomes
        assert winners[0][1].startswith(f"{expected + 1}\t")
        for code, out, err in losers:
            assert code == 1 and out == ""
            assert err == (f"Error: expected the log to end at sequence {expected} but it "
                           f"ends at {expected + 1}: someone appended first; nothing was "
                           "written\n")
    assert_log_holds(archive_dir, [])
    assert Log(archive_dir).head().seq == 1 + rounds


def test_expect_seq_race_between_library_writers(archive_dir: Path, children: list) -> None:
    """Writers released together, all expecting the same head: one wins each round."""
    script = (
        "import sys\n"
        "from archive.errors import Conflict\n"
        "from archive.store.log import Log\n"
        "from archive.append.recorder import Recorder\n"
        "rec = Recorder(Log(sys.argv[1]), 'race')\n"
        "print('ready', flush=True)\n"
        "expected = int(sys.stdin.readline())\n"
        "try:\n"
        "    rec.add('note.recorded', {'text': sys.argv[2]}, expect_seq=expected)\n"
        "    print('won', flush=True)\n"
        "except Conflict:\n"
        "    print('lost', flush=True)\n"
    )
    for r in range(4):
        expected = Log(archive_dir).head().seq
        procs = [subprocess.Popen([PYTHON, "-c", script, str(archive_dir), f"r{r}k{k}"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=archive_env(archive_dir))
                 for k in range(4)]
        children.extend(procs)
        for p in procs:
            assert p.stdout.readline() == b"ready\n"  # type: ignore[union-attr]
        for p in procs:
            p.stdin.write(f"{expected}\n".encode())  # type: ignore[union-attr]
            p.stdin.flush()  # type: ignore[union-attr]
        verdicts = sorted(p.communicate(timeout=60)[0].decode().strip() for p in procs)
        assert verdicts == ["lost", "lost", "lost", "won"]
    assert Log(archive_dir).head().seq == 1 + 4
    assert_log_holds(archive_dir, [])
