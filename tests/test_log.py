"""The file log's guarantees: durable appends, expected sequence, torn tails and repair."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import ARCHIVE_SCRIPT, CONFERENCE_ID, FIXED_NOW, archive_env
from logs import RunCli, assert_verify_fails_at, lines_of, note, write_lines

from archive.core.codec import encode_event, parse_line
from archive.core.events import ZERO_HASH, make_payload
from archive.errors import Conflict, LogCorrupt, TornTail
from archive.store.log import Head, Log, Pending

# ---------------------------------------------------------------- append, read, head


def test_empty_log_head(empty_archive: Path) -> None:
    log = Log(empty_archive)
    assert log.head() == Head(0, ZERO_HASH, 0)
    assert list(log) == []
    assert log.path.read_bytes() == b""


def test_append_read_head(empty_archive: Path) -> None:
    log = Log(empty_archive)
    conference = make_payload("conference.held", {"name": "Astana"})
    first = log.append([Pending(CONFERENCE_ID, "conference.held", conference)],
                       recorded_at=FIXED_NOW, recorded_by="tests")
    batch = log.append([note("n1"), note("n2", "Ещё одна заметка")], recorded_at=FIXED_NOW,
                       recorded_by="tests")
    events = list(log)
    assert [e.seq for e in events] == [1, 2, 3]
    assert [e.id for e in events] == [CONFERENCE_ID, "n1", "n2"]
    assert events == first + batch
    assert events[0].prev == ZERO_HASH
    assert all(b.prev == a.hash for a, b in zip(events, events[1:], strict=False))
    assert log.head() == Head(3, events[-1].hash, log.path.stat().st_size)
    raw = log.path.read_bytes()
    assert raw.endswith(b"\n") and raw.count(b"\n") == 3
    assert "Ещё одна заметка".encode() in raw
    # every line is its own canonical encoding
    for line in raw.splitlines():
        assert parse_line(line).hash == json.loads(line)["hash"]


def test_read_from_a_remembered_head(sample: Log) -> None:
    placed = list(sample.read())
    middle = placed[2]
    rest = list(sample.read(middle.end, prev=middle.event.hash, seq=middle.event.seq))
    assert [p.event for p in rest] == [p.event for p in placed[3:]]
    assert [p.lineno for p in rest] == [4, 5, 6]


def test_head_reads_only_the_tail(sample: Log) -> None:
    # A damaged first line does not stop `head` (it reads the last line only) ...
    lines = lines_of(sample)
    head = sample.head()
    write_lines(sample, [lines[0].replace(b"Astana", b"Astanb"), *lines[1:]])
    assert sample.head() == head
    # ... but a damaged last line is reported with its line number.
    write_lines(sample, [*lines[:-1], lines[-1].replace(b"event.corrected", b"event.corrects")])
    with pytest.raises(LogCorrupt, match=r"line 6: the last line is not a valid event"):
        sample.head()


# ---------------------------------------------------------------- one write + fsync


def _strace(args: list[str], root: Path, tmp_path: Path) -> list[str]:
    if shutil.which("strace") is None:
        pytest.fail("strace is not installed (`make install` installs it)")
    out = tmp_path / "trace"
    proc = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=openat,write,fsync,fdatasync,flock,close",
         "-o", str(out), str(ARCHIVE_SCRIPT), *args],
        env=archive_env(root), capture_output=True, text=True, timeout=60)
    if "ptrace" in proc.stderr or "Operation not permitted" in proc.stderr:
        pytest.skip("ptrace is not permitted here")
    assert proc.returncode == 0, proc.stderr
    return [re.sub(r"^\d+\s+", "", line) for line in out.read_text().splitlines()]


def _fd_of(trace: list[str], path: Path, flags: str) -> list[tuple[int, str]]:
    return [(i, line.rsplit("= ", 1)[1]) for i, line in enumerate(trace)
            if line.startswith(f'openat(AT_FDCWD, "{path}", {flags}')]


def test_append_is_one_write_then_fsync_then_acknowledged(archive_dir: Path,
                                                          tmp_path: Path) -> None:
    log = Log(archive_dir)
    before = log.size()
    # a speech naming a new speaker and a new organisation: three events, one write
    trace = _strace(["add", "speech", "--speaker", "New Person", "--affiliation", "New Org",
                     "--summary", "Hello."], archive_dir, tmp_path)
    grown = log.size() - before
    assert [e.seq for e in log][-3:] == [2, 3, 4]
    opened = _fd_of(trace, log.path, "O_WRONLY|O_CREAT|O_APPEND")
    assert len(opened) == 1
    start, fd = opened[0]
    end = next(i for i in range(start, len(trace)) if trace[i].startswith(f"close({fd})"))
    calls = [line for line in trace[start + 1:end] if re.match(rf"\w+\({fd}[,)]", line)]
    assert len(calls) == 2, calls
    assert calls[0].startswith(f"write({fd}, ") and calls[0].endswith(f"= {grown}")
    assert re.fullmatch(rf"fsync\({fd}\)\s+= 0", calls[1]), calls[1]
    # the lock is held around it, and the acknowledgement (stdout) comes after the fsync
    lock_fd = _fd_of(trace, log.lock_path, "O_RDWR|O_CREAT")[0][1]
    locked = trace.index(next(t for t in trace if t.startswith(f"flock({lock_fd}, LOCK_EX")))
    unlocked = trace.index(next(t for t in trace if t.startswith(f"flock({lock_fd}, LOCK_UN")))
    assert locked < start < end < unlocked
    ack = next(i for i, t in enumerate(trace) if t.startswith("write(1, "))
    assert ack > end


def test_init_fsyncs_the_new_file_and_its_folder(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    trace = _strace(["init", str(root)], root, tmp_path)
    log = Log(root)
    file_fd = _fd_of(trace, log.path, "O_WRONLY|O_CREAT|O_APPEND")[0]
    dir_fd = _fd_of(trace, log.dir, "O_RDONLY")[0]
    assert file_fd[0] < dir_fd[0]
    after = trace[dir_fd[0]:]
    assert any(t.startswith(f"fsync({dir_fd[1]})") for t in after)
    assert any(t.startswith(f"fsync({file_fd[1]})") for t in trace[file_fd[0]:dir_fd[0]])


def test_a_writer_that_ignored_the_lock_is_never_cut(log: Log) -> None:
    head = log.head()
    with open(log.path, "ab") as f:  # someone appends without the lock
        f.write(b"{written by someone else}\n")
    before = log.path.read_bytes()
    with log.locked(), pytest.raises(Conflict, match="changed size while locked"):
        log.write_locked([note("n1")], head, recorded_at=FIXED_NOW, recorded_by="tests")
    assert log.path.read_bytes() == before


# ---------------------------------------------------------------- --expect-seq


def test_expect_seq(run_cli: RunCli, log_bytes: Callable[[], bytes]) -> None:
    before = log_bytes()
    result = run_cli("add", "note", "--text", "late", "--expect-seq", "0")
    assert result.exit_code == 1
    assert result.stderr == ("Error: expected the log to end at sequence 0 but it ends at 1: "
                             "someone appended first; nothing was written\n")
    assert log_bytes() == before
    result = run_cli("add", "note", "--text", "on time", "--expect-seq", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("2\t")


def test_expect_seq_on_import_and_fixes(run_cli: RunCli, log_bytes: Callable[[], bytes],
                                        tmp_path: Path) -> None:
    before = log_bytes()
    line = json.dumps({"type": "note.recorded", "data": {"conference": CONFERENCE_ID,
                                                         "text": "x"}})
    result = run_cli("import", "-", "--expect-seq", "5", input=line + "\n")
    assert result.exit_code == 1
    assert "expected the log to end at sequence 5 but it ends at 1" in result.stderr
    result = run_cli("retract", CONFERENCE_ID, "--reason", "test", "--expect-seq", "7")
    assert result.exit_code == 1
    assert "expected the log to end at sequence 7" in result.stderr
    assert log_bytes() == before


# ---------------------------------------------------------------- torn tail and repair


@pytest.fixture
def torn(sample: Log) -> tuple[Log, bytes, bytes]:
    """`sample` with the first 40 bytes of a seventh line (no newline) after it."""
    good = sample.path.read_bytes()
    line, _ = encode_event(
        id="never-acked", seq=7, type="note.recorded", at=None, recorded_at=FIXED_NOW,
        recorded_by="tests", source=None,
        data=make_payload("note.recorded", {"conference": CONFERENCE_ID, "text": "lost"}),
        prev=sample.head().hash)
    with open(sample.path, "ab") as f:
        f.write(line[:40])
    return sample, good, line


def test_readers_stop_before_a_torn_tail(torn: tuple[Log, bytes, bytes]) -> None:
    log, _, _ = torn
    seen = []
    with pytest.raises(TornTail) as info:
        for event in log:
            seen.append(event.seq)
    assert seen == [1, 2, 3, 4, 5, 6]
    assert str(info.value) == (
        f"{log.path} line 7: the last line is incomplete (40 bytes without a newline): an "
        "interrupted write that was never acknowledged; run `archive repair`")
    with pytest.raises(TornTail, match="line 7: the last line is incomplete"):
        log.head()


@pytest.mark.parametrize("command", [["verify"], ["log"], ["add", "note", "--text", "x"],
                                     ["show", "note-1"]])
def test_commands_report_a_torn_tail(torn: tuple[Log, bytes, bytes], run_cli: RunCli,
                                     command: list[str]) -> None:
    log, good, _ = torn
    before = log.path.read_bytes()
    result = run_cli(*command)
    assert result.exit_code == 1
    assert f"Error: {log.path} line 7: the last line is incomplete" in result.stderr
    assert "run `archive repair`" in result.stderr
    assert log.path.read_bytes() == before


def test_repair_truncates_only_the_torn_tail(torn: tuple[Log, bytes, bytes],
                                            run_cli: RunCli) -> None:
    log, good, _ = torn
    result = run_cli("repair")
    assert result.exit_code == 0
    assert result.stdout == ("removed 40 bytes at the end of the log that held no event (a "
                             "torn last line or blank lines)\n")
    assert log.path.read_bytes() == good
    assert run_cli("verify").stdout.startswith("ok: 6 events")
    again = run_cli("repair")
    assert again.stdout == "nothing to repair: the log ends with a complete line\n"
    assert log.path.read_bytes() == good
    assert run_cli("add", "note", "--text", "after repair").stdout.startswith("7\t")


def test_repair_removes_a_whole_line_missing_only_its_newline(
        torn: tuple[Log, bytes, bytes], run_cli: RunCli) -> None:
    log, good, line = torn
    log.path.write_bytes(good + line)  # complete JSON, but the newline never made it
    result = run_cli("repair")
    assert result.stdout == (f"removed {len(line)} bytes at the end of the log that held no "
                             "event (a torn last line or blank lines)\n")
    assert log.path.read_bytes() == good


def test_repair_refuses_when_an_earlier_line_is_corrupt(torn: tuple[Log, bytes, bytes],
                                                       run_cli: RunCli) -> None:
    log, good, _ = torn
    damaged = log.path.read_bytes().replace(b"It rained.", b"It snowed.")
    log.path.write_bytes(damaged)
    result = run_cli("repair")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {log.path} line 5: hash mismatch")
    assert log.path.read_bytes() == damaged  # not even the torn tail is touched


def test_repair_never_touches_corruption_without_a_torn_tail(sample: Log,
                                                            run_cli: RunCli) -> None:
    lines = lines_of(sample)
    lines[2] = lines[2].replace(b"Karim", b"Karin")
    write_lines(sample, lines)
    damaged = sample.path.read_bytes()
    result = run_cli("repair")
    assert result.exit_code == 0
    assert result.stdout == "nothing to repair: the log ends with a complete line\n"
    assert sample.path.read_bytes() == damaged
    assert_verify_fails_at(run_cli, sample, 3, "hash mismatch")


def test_repair_from_a_real_process(torn: tuple[Log, bytes, bytes], archive_dir: Path,
                                    run_archive: Callable[..., subprocess.CompletedProcess[str]]
                                    ) -> None:
    log, good, _ = torn
    assert run_archive("verify").returncode == 1
    proc = run_archive("repair")
    assert (proc.returncode, proc.stdout) == (0, "removed 40 bytes at the end of the log that "
                                                 "held no event (a torn last line or blank "
                                                 "lines)\n")
    assert log.path.read_bytes() == good
    assert run_archive("verify").returncode == 0


def test_blank_lines_and_a_byte_order_mark_are_named(sample: Log, run_cli: RunCli) -> None:
    good = sample.path.read_bytes()
    sample.path.write_bytes(good + b"\n\n")
    result = run_cli("verify")
    assert result.stderr == (f"Error: {sample.path} line 7: a blank line (each line holds "
                             "one event)\n")
    assert run_cli("repair").stdout.startswith("removed 2 bytes at the end of the log")
    assert sample.path.read_bytes() == good
    assert run_cli("verify").exit_code == 0
    result = run_cli("import", "-", input="\ufeff{}\n")
    assert result.stderr == ("Error: import line 1: a byte-order mark (U+FEFF) before the "
                             "JSON: save the file as UTF-8 without one; nothing was "
                             "imported\n")
