"""The file log's guarantees: durable appends, expected sequence, idempotent retries,
tamper evidence, torn tails and repair, and bad input that writes nothing."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from conftest import ARCHIVE_SCRIPT, CONFERENCE_ID, FIXED_NOW, archive_env

from archive.append.recorder import Recorder
from archive.core.codec import encode_event, parse_line
from archive.core.events import ZERO_HASH, make_payload
from archive.errors import Conflict, LogCorrupt, TornTail
from archive.store.log import Head, Log, Pending
from archive.store.verify import verify

RunCli = Callable[..., Result]


def note(ident: str, text: str = "a note") -> Pending:
    return Pending(ident, "note.recorded",
                   make_payload("note.recorded", {"conference": CONFERENCE_ID, "text": text}))


@pytest.fixture
def sample(recorder: Recorder) -> Log:
    """A six-line log: conference, session, participant, speech in the session, note,
    correction of the note (all references valid)."""
    recorder.add("session.held", {"title": "Opening plenary", "day": "2015-06-29"},
                 event_id="session-1")
    recorder.add("speech.delivered", {"kind": "opening", "quotes": ["We have to join forces."]},
                 {"speaker": "Karim Massimov", "session": "Opening plenary"},
                 event_id="speech-1")
    recorder.add("note.recorded", {"text": "It rained."}, event_id="note-1")
    recorder.correct("note-1", {"text": "It rained all day."})
    assert verify(recorder.log).events == 6
    return recorder.log


def lines_of(log: Log) -> list[bytes]:
    return log.path.read_bytes().splitlines(keepends=True)


def write_lines(log: Log, lines: list[bytes]) -> None:
    log.path.write_bytes(b"".join(lines))


def assert_verify_fails_at(run_cli: RunCli, log: Log, lineno: int, what: str = "") -> str:
    result = run_cli("verify")
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    prefix = f"Error: {log.path} line {lineno}: "
    assert result.stderr.startswith(prefix), result.stderr
    assert what in result.stderr
    return result.stderr


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


# ---------------------------------------------------------------- idempotent retries


def test_retry_with_same_id_and_content_writes_nothing(
        run_cli: RunCli, log_bytes: Callable[[], bytes]) -> None:
    args = ("add", "note", "--text", "Retry me.", "--id", "note-42", "--source", "urn:x",
            "--locator", "p3", "--at", "2015-06-29")
    first = run_cli(*args)
    assert first.exit_code == 0, first.output
    assert first.stdout == "2\tnote-42\tnote.recorded\n"
    after_first = log_bytes()
    again = run_cli(*args)
    assert again.exit_code == 0, again.output
    assert again.stdout == "2\tnote-42\tnote.recorded\t(already recorded)\n"
    assert "already recorded: note-42 (nothing written)" in again.stderr
    assert log_bytes() == after_first


def test_retry_is_checked_against_the_log_after_a_restart(
        archive_dir: Path, run_archive: Callable[..., subprocess.CompletedProcess[str]],
        log_bytes: Callable[[], bytes]) -> None:
    args = ("add", "speech", "--speaker", "Нурсултан Назарбаев", "--summary", "Welcome.",
            "--id", "speech-7")
    first = run_archive(*args)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-1] == "3\tspeech-7\tspeech.delivered"
    after = log_bytes()
    # a fresh process, with the sidecar index gone: the log itself is checked
    for sidecar in (archive_dir / "exports").glob(".log-index.sqlite*"):
        sidecar.unlink()
    again = run_archive(*args)
    assert again.returncode == 0, again.stderr
    assert "already recorded: speech-7" in again.stderr
    assert log_bytes() == after  # no second participant either
    different = run_archive("add", "speech", "--speaker", "Нурсултан Назарбаев",
                            "--summary", "Goodbye.", "--id", "speech-7")
    assert different.returncode == 1
    assert different.stderr == ("Error: id speech-7 is already in the log with different "
                                "content; use a new id, or `archive correct` it\n")
    assert log_bytes() == after


def test_retry_with_different_content_is_an_error(
        run_cli: RunCli, log_bytes: Callable[[], bytes]) -> None:
    assert run_cli("add", "note", "--text", "One.", "--id", "n1").exit_code == 0
    before = log_bytes()
    for args in (("--text", "Two."), ("--text", "One.", "--at", "2015"),
                 ("--text", "One.", "--source", "urn:other")):
        result = run_cli("add", "note", *args, "--id", "n1")
        assert result.exit_code == 1
        assert result.stderr == ("Error: id n1 is already in the log with different content; "
                                 "use a new id, or `archive correct` it\n")
    assert log_bytes() == before


def test_import_retry_skips_what_is_already_there(
        run_cli: RunCli, log_bytes: Callable[[], bytes]) -> None:
    lines = "".join(json.dumps({"id": f"imp-{i}", "type": "note.recorded",
                                "data": {"conference": CONFERENCE_ID, "text": f"note {i}"}})
                    + "\n" for i in range(5))
    first = run_cli("import", "-", input=lines)
    assert first.exit_code == 0, first.output
    assert first.stdout == "imported 5 events (sequence 2-6)\n"
    after = log_bytes()
    again = run_cli("import", "-", input=lines)
    assert again.stdout == "imported 0 events\n5 already recorded (same id and content)\n"
    assert log_bytes() == after
    changed = lines.replace("note 3", "note three")
    result = run_cli("import", "-", input=changed)
    assert result.exit_code == 1
    assert result.stderr == ("Error: import line 4: id imp-3 is already recorded with different "
                             "content; nothing was imported\n")
    assert log_bytes() == after


# ---------------------------------------------------------------- tamper evidence


@pytest.mark.parametrize("lineno", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("where", [0.05, 0.3, 0.5, 0.8, "hash", "seq"])
def test_editing_any_byte_is_detected(sample: Log, run_cli: RunCli, lineno: int,
                                      where: float | str) -> None:
    lines = lines_of(sample)
    line = bytearray(lines[lineno - 1])
    if where == "hash":
        pos = len(line) - 10
    elif where == "seq":
        pos = line.index(b'"seq":') + 6
    else:
        pos = int((len(line) - 1) * float(where))
    old = line[pos]
    line[pos] = ord("7") if old != ord("7") else ord("8")
    if chr(old).isalpha():
        line[pos] = ord("Z") if old != ord("Z") else ord("Y")
    lines[lineno - 1] = bytes(line)
    write_lines(sample, lines)
    assert_verify_fails_at(run_cli, sample, lineno)


def test_rehashing_an_edited_line_breaks_the_chain(sample: Log, run_cli: RunCli) -> None:
    lines = lines_of(sample)
    event = parse_line(lines[3].rstrip(b"\n"))
    forged, _ = encode_event(
        id=event.id, seq=event.seq, type=event.type, at=event.at,
        recorded_at=event.recorded_at, recorded_by=event.recorded_by, source=event.source,
        data=make_payload("speech.delivered", {**json.loads(lines[3])["data"],
                                               "quotes": ["Something never said."]}),
        prev=event.prev)
    lines[3] = forged + b"\n"
    write_lines(sample, lines)
    assert_verify_fails_at(run_cli, sample, 5, "does not match the hash of the line before")


@pytest.mark.parametrize("deleted", [1, 3, 5])
def test_deleting_a_line_is_detected(sample: Log, run_cli: RunCli, deleted: int) -> None:
    lines = lines_of(sample)
    del lines[deleted - 1]
    write_lines(sample, lines)
    assert_verify_fails_at(run_cli, sample, deleted,
                           f"sequence {deleted + 1} where {deleted} was expected")


def test_deleting_the_last_line_changes_the_head_verify_prints(sample: Log,
                                                              run_cli: RunCli) -> None:
    """A shorter log is still a valid log: the head hash `verify` prints (kept elsewhere,
    e.g. in a commit message or a briefing) is what shows the loss."""
    full = run_cli("verify").stdout
    write_lines(sample, lines_of(sample)[:-1])
    short = run_cli("verify").stdout
    assert full.startswith("ok: 6 events") and short.startswith("ok: 5 events")
    assert full.split("hash ")[1] != short.split("hash ")[1]


@pytest.mark.parametrize(("a", "b"), [(2, 3), (1, 6), (4, 5)])
def test_reordering_lines_is_detected(sample: Log, run_cli: RunCli, a: int, b: int) -> None:
    lines = lines_of(sample)
    lines[a - 1], lines[b - 1] = lines[b - 1], lines[a - 1]
    write_lines(sample, lines)
    assert_verify_fails_at(run_cli, sample, a, "sequence")


def test_inserting_a_validly_hashed_line_is_detected(sample: Log, run_cli: RunCli) -> None:
    lines = lines_of(sample)
    before = parse_line(lines[2].rstrip(b"\n"))
    spliced, _ = encode_event(
        id="forged", seq=before.seq + 1, type="note.recorded", at=None,
        recorded_at=FIXED_NOW, recorded_by="mallory", source=None,
        data=make_payload("note.recorded", {"conference": CONFERENCE_ID, "text": "forged"}),
        prev=before.hash)
    lines.insert(3, spliced + b"\n")
    write_lines(sample, lines)
    # the spliced line itself is perfect; the line after it no longer fits
    assert_verify_fails_at(run_cli, sample, 5, "sequence 4 where 5 was expected")


def test_inserting_a_junk_line_is_detected(sample: Log, run_cli: RunCli) -> None:
    lines = lines_of(sample)
    lines.insert(2, b'{"hello": "world"}\n')
    write_lines(sample, lines)
    assert_verify_fails_at(run_cli, sample, 3)


@pytest.mark.parametrize("duplicated", [1, 4, 6])
def test_duplicating_a_line_is_detected(sample: Log, run_cli: RunCli, duplicated: int) -> None:
    lines = lines_of(sample)
    lines.insert(duplicated, lines[duplicated - 1])
    write_lines(sample, lines)
    assert_verify_fails_at(run_cli, sample, duplicated + 1,
                           f"sequence {duplicated} where {duplicated + 1} was expected")


def test_an_empty_line_is_detected(sample: Log, run_cli: RunCli) -> None:
    lines = lines_of(sample)
    lines.insert(2, b"\n")
    write_lines(sample, lines)
    assert_verify_fails_at(run_cli, sample, 3, "not valid JSON")


def test_verify_checks_references(log: Log, run_cli: RunCli) -> None:
    """Lines written past the recorder (straight to the log) with dangling references."""
    speech = make_payload("speech.delivered", {"conference": CONFERENCE_ID,
                                               "speaker": "nobody", "session": "no-session"})
    log.append([Pending("s1", "speech.delivered", speech)], recorded_at=FIXED_NOW,
               recorded_by="tests")
    assert_verify_fails_at(run_cli, log, 2,
                           "field `data.speaker`: no person, organisation or country with "
                           "id 'nobody', before this line")


def test_verify_checks_session_and_correction_targets(log: Log, run_cli: RunCli) -> None:
    person = make_payload("participant.attended", {"conference": CONFERENCE_ID, "entity": "p1",
                                                   "kind": "person", "name": "A"})
    speech = make_payload("speech.delivered", {"conference": CONFERENCE_ID, "speaker": "p1",
                                               "session": "no-session"})
    log.append([Pending("pa", "participant.attended", person),
                Pending("s1", "speech.delivered", speech)],
               recorded_at=FIXED_NOW, recorded_by="tests")
    assert_verify_fails_at(run_cli, log, 3, "field `data.session`: no session with id "
                                            "'no-session', before this line")


def test_verify_checks_correction_target_exists_and_fits(log: Log, run_cli: RunCli,
                                                         tmp_path: Path) -> None:
    fix = make_payload("event.corrected", {"target": "missing", "changes": {"text": "x"}})
    log.append([Pending("c1", "event.corrected", fix)], recorded_at=FIXED_NOW,
               recorded_by="tests")
    assert_verify_fails_at(run_cli, log, 2, "field `data.target`: no event with id 'missing'")
    log.path.write_bytes(log.path.read_bytes().splitlines(keepends=True)[0])
    log.append([note("n1"), Pending("c2", "event.corrected", make_payload(
        "event.corrected", {"target": "n1", "changes": {"colour": "red"}}))],
        recorded_at=FIXED_NOW, recorded_by="tests")
    assert_verify_fails_at(run_cli, log, 3, "field `changes.colour`: note.recorded has no "
                                            "field 'colour'")


def test_verify_checks_what_a_correction_refers_to(log: Log, run_cli: RunCli) -> None:
    fix = make_payload("event.corrected", {"target": "n1", "changes": {"session": "nowhere"}})
    log.append([note("n1"), Pending("c1", "event.corrected", fix)], recorded_at=FIXED_NOW,
               recorded_by="tests")
    assert_verify_fails_at(run_cli, log, 3, "the corrected field `data.session`: no session "
                                            "with id 'nowhere', before this line")


def test_verify_rejects_a_retraction_of_a_fix(log: Log, run_cli: RunCli) -> None:
    log.append([note("n1"), Pending("r1", "event.retracted", make_payload(
        "event.retracted", {"target": "n1", "reason": "x"})), Pending(
        "r2", "event.retracted", make_payload("event.retracted", {"target": "r1",
                                                                  "reason": "y"}))],
        recorded_at=FIXED_NOW, recorded_by="tests")
    assert_verify_fails_at(run_cli, log, 4, "field `data.target`: r1 is itself a fix "
                                            "(event.retracted); retract the original event "
                                            "instead")


def test_verify_reports_a_hand_edited_line_from_a_real_process(
        sample: Log, run_archive: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    lines = lines_of(sample)
    lines[1] = lines[1].replace(b"Opening plenary", b"Closing plenary")
    write_lines(sample, lines)
    proc = run_archive("verify")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == (f"Error: {sample.path} line 2: hash mismatch: the line was changed "
                           "after it was written (id session-1)\n")


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
    assert result.stdout == "removed a torn last line (40 bytes)\n"
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
    assert result.stdout == f"removed a torn last line ({len(line)} bytes)\n"
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
    assert (proc.returncode, proc.stdout) == (0, "removed a torn last line (40 bytes)\n")
    assert log.path.read_bytes() == good
    assert run_archive("verify").returncode == 0


# ---------------------------------------------------------------- bad input writes nothing


def _import_line(type_: str = "note.recorded", **data: object) -> str:
    return json.dumps({"type": type_, "data": {"conference": CONFERENCE_ID, **data}},
                      ensure_ascii=False)


GOOD = _import_line(text="fine")

#: (import file content, the error after "Error: ")
BAD_IMPORTS = [
    ("unknown type", _import_line("note.written", text="x"),
     "import line 1: unknown event type 'note.written' (known types: "),
    ("missing field", _import_line("note.recorded"),
     "import line 1: field `data.text` is required but missing; nothing was imported"),
    ("wrong type", _import_line(text=12),
     "import line 1: field `data.text` must be text of 1 to 200000 characters (got 12); "
     "nothing was "
     "imported"),
    ("unknown field", _import_line(text="x", mood="happy"),
     "import line 1: field `data.mood` is not a field of this event"),
    ("envelope field", json.dumps({"type": "note.recorded", "seq": 9, "data": {
        "conference": CONFERENCE_ID, "text": "x"}}),
     "import line 1: field `seq` is not a field of this event"),
    ("bad date", _import_line("followup.scheduled", name="Summit", when="2015-02-30"),
     "import line 1: field `data.when` has no day 30 in 2015-02: '2015-02-30'; nothing was "
     "imported"),
    ("bad month", json.dumps({"type": "note.recorded", "at": "2015-13", "data": {
        "conference": CONFERENCE_ID, "text": "x"}}),
     "import line 1: field `at` has no month 13: '2015-13'; nothing was imported"),
    ("NaN", _import_line("figure.cited", counts="jobs", value=float("nan")),
     "import line 1: field `data.value` must be a finite number, not nan; nothing was imported"),
    ("Infinity", _import_line("figure.cited", counts="jobs", value=float("inf")),
     "import line 1: field `data.value` must be a finite number, not inf; nothing was imported"),
    ("1e999", _import_line("figure.cited", counts="jobs", value=1).replace('"value": 1',
                                                                          '"value": 1e999'),
     "import line 1: field `data.value` must be a finite number, not inf; nothing was imported"),
    ("control character", _import_line(text="bell\u0007"),
     "import line 1: field `data.text` holds the control character U+0007, which is not "
     "allowed (got 'bell\\x07'); nothing was imported"),
    ("not JSON", "this is not JSON",
     "import line 1: not valid JSON: expecting value at column 1; nothing was imported"),
    ("JSON but not an object", "[1, 2, 3]",
     "import line 1: not a JSON object (got [1, 2, 3])"),
    ("bad id", json.dumps({"id": "no spaces please", "type": "note.recorded", "data": {
        "conference": CONFERENCE_ID, "text": "x"}}),
     "import line 1: field `id` is not a valid id (letters, digits and ._:- only, up to 128): "
     "'no spaces please'; nothing was imported"),
    ("dangling session", _import_line(text="x", session="no-such-session"),
     "import line 1: field `data.session`: no session with id 'no-such-session'; nothing was "
     "imported"),
    ("wrong conference", json.dumps({"type": "note.recorded", "data": {
        "conference": "conf-elsewhere", "text": "x"}}),
     "import line 1: field `data.conference`: no conference with id 'conf-elsewhere'"),
]


@pytest.mark.parametrize(("content", "message"), [b[1:] for b in BAD_IMPORTS],
                         ids=[b[0] for b in BAD_IMPORTS])
def test_bad_import_names_the_problem_and_writes_nothing(
        run_cli: RunCli, log_bytes: Callable[[], bytes], tmp_path: Path, content: str,
        message: str) -> None:
    before = log_bytes()
    path = tmp_path / "in.jsonl"
    path.write_text(content + "\n", encoding="utf-8")
    result = run_cli("import", str(path))
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("Error: " + message), result.stderr
    assert result.stderr.count("\n") == 1
    assert log_bytes() == before


@pytest.mark.parametrize(("content", "message"), [b[1:] for b in BAD_IMPORTS[:4]],
                         ids=[b[0] for b in BAD_IMPORTS[:4]])
def test_import_is_all_or_nothing(run_cli: RunCli, log_bytes: Callable[[], bytes],
                                  archive_dir: Path, content: str, message: str) -> None:
    before = log_bytes()
    body = "\n".join([GOOD] * 50 + [content] + [GOOD] * 10) + "\n"
    result = run_cli("import", "-", input=body)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: " + message.replace("line 1", "line 51"))
    assert log_bytes() == before
    assert not list((archive_dir / "events").glob(".import-*"))


def test_import_leaves_no_spool_behind(archive_dir: Path, run_cli: RunCli) -> None:
    body = GOOD + "\nnot json\n"
    assert run_cli("import", "-", input=body).exit_code == 1
    assert run_cli("import", "-", input=GOOD + "\n").exit_code == 0
    assert sorted(p.name for p in (archive_dir / "events").iterdir()) == [".lock",
                                                                          "events.jsonl"]


def test_an_import_file_that_is_not_json_lines(run_cli: RunCli, log_bytes: Callable[[], bytes],
                                               tmp_path: Path) -> None:
    before = log_bytes()
    path = tmp_path / "events.json"
    path.write_text(json.dumps([json.loads(GOOD), json.loads(GOOD)], indent=2))
    result = run_cli("import", str(path))
    assert result.exit_code == 1
    assert result.stderr == ("Error: import line 1: not a JSON object: a file of JSON Lines "
                             "holds one object per line, not an array; nothing was imported\n")
    assert log_bytes() == before
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\n\xff\xd9")
    result = run_cli("import", str(binary))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: import line 1: not valid JSON")
    missing = run_cli("import", str(tmp_path / "nope.jsonl"))
    assert missing.exit_code == 1
    assert missing.stderr == f"Error: cannot read {tmp_path / 'nope.jsonl'}: No such file or " \
                             "directory\n"
    assert log_bytes() == before


def test_an_import_can_refer_to_its_own_earlier_lines(run_cli: RunCli) -> None:
    body = "\n".join([
        json.dumps({"id": "s1", "type": "session.held",
                    "data": {"conference": CONFERENCE_ID, "title": "Panel"}}),
        json.dumps({"id": "p1", "type": "participant.attended", "data": {
            "conference": CONFERENCE_ID, "entity": "e1", "kind": "person", "name": "A"}}),
        json.dumps({"id": "sp1", "type": "speech.delivered", "data": {
            "conference": CONFERENCE_ID, "speaker": "e1", "session": "s1"}}),
        json.dumps({"type": "event.corrected", "data": {"target": "sp1",
                                                        "changes": {"kind": "keynote"}}}),
    ]) + "\n"
    result = run_cli("import", "-", input=body)
    assert result.exit_code == 0, result.output
    assert run_cli("verify").exit_code == 0


def test_an_import_correction_must_fit_its_target_in_the_same_file(
        run_cli: RunCli, log_bytes: Callable[[], bytes]) -> None:
    before = log_bytes()
    body = "\n".join([
        json.dumps({"id": "n1", "type": "note.recorded",
                    "data": {"conference": CONFERENCE_ID, "text": "x"}}),
        json.dumps({"type": "event.corrected", "data": {"target": "n1",
                                                        "changes": {"text": 5}}}),
    ]) + "\n"
    result = run_cli("import", "-", input=body)
    assert result.exit_code == 1
    assert result.stderr == ("Error: import line 2: field `data.text` must be text of 1 to "
                             "200000 characters (got 5); nothing was imported\n")
    assert log_bytes() == before


#: (add arguments, exit code, error text after "Error: " or usage text)
BAD_ADDS = [
    ("bad date", ["session", "--title", "T", "--day", "2015-13"], 1,
     "Error: field `data.day` has no month 13: '2015-13'\n"),
    ("impossible day", ["followup", "--name", "N", "--when", "2015-02-30"], 1,
     "Error: field `data.when` has no day 30 in 2015-02: '2015-02-30'\n"),
    ("bad at", ["note", "--text", "x", "--at", "2015-02-29"], 1,
     "Error: field `at` has no day 29 in 2015-02: '2015-02-29'\n"),
    ("NaN", ["figure", "--value", "nan", "--counts", "jobs"], 1,
     "Error: field `data.value` must be a finite number, not nan\n"),
    ("inf", ["figure", "--value", "inf", "--counts", "jobs"], 1,
     "Error: field `data.value` must be a finite number, not inf\n"),
    ("control character", ["note", "--text", "a\x1bb"], 1,
     "Error: field `data.text` holds the control character U+001B, which is not allowed "
     "(got 'a\\x1bb')\n"),
    ("newline in a name", ["participant", "--kind", "person", "--name", "A\nB"], 1,
     "Error: field `data.name` holds the control character U+000A, which is not allowed "
     "(got 'A\\nB')\n"),
    ("control in source", ["note", "--text", "x", "--source", "urn:\x00"], 1,
     "Error: field `source.url` holds the control character U+0000, which is not allowed "
     "(got 'urn:\\x00')\n"),
    ("bad id", ["note", "--text", "x", "--id", "no spaces"], 1,
     "Error: field `id` is not a valid id (letters, digits and ._:- only, up to 128): "
     "'no spaces'\n"),
    ("empty text", ["note", "--text", ""], 1,
     "Error: field `data.text` must be text of 1 to 200000 characters (got '')\n"),
    ("unknown session", ["speech", "--speaker", "A", "--session", "No such panel"], 1,
     "Error: no session titled 'No such panel' in this conference; record it first with "
     "`archive add session`\n"),
    ("unknown conference", ["note", "--text", "x", "--conference", "Davos"], 1,
     "Error: no conference 'Davos' (known: 'Astana Regional Conference')\n"),
    ("sha256", ["attachment", "--caption", "c", "--file", "/nonexistent"], 2, ""),
    ("missing required", ["note"], 2, "Error: Missing option '--text'.\n"),
    ("bad choice", ["speech", "--speaker", "A", "--kind", "sermon"], 2, "'sermon' is not one of"),
    ("not a number", ["figure", "--value", "many", "--counts", "x"], 2,
     "'many' is not a valid float"),
    ("unknown kind", ["lecture", "--text", "x"], 2, "No such command 'lecture'"),
    ("unknown option", ["note", "--text", "x", "--mood", "happy"], 2,
     "No such option '--mood'"),
    ("locator alone", ["note", "--text", "x", "--locator", "p1"], 2,
     "Error: --locator needs --source\n"),
]


@pytest.mark.parametrize(("args", "code", "message"), [b[1:] for b in BAD_ADDS],
                         ids=[b[0] for b in BAD_ADDS])
def test_bad_add_names_the_problem_and_writes_nothing(
        run_cli: RunCli, log_bytes: Callable[[], bytes], args: list[str], code: int,
        message: str) -> None:
    before = log_bytes()
    result = run_cli("add", *args)
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    if code == 1:
        assert result.stderr == message
    else:
        assert message in result.stderr
    assert log_bytes() == before
    assert run_cli("verify").exit_code == 0


def test_bad_recorder_name_writes_nothing(run_cli: RunCli,
                                          log_bytes: Callable[[], bytes]) -> None:
    before = log_bytes()
    for command in (["add", "note", "--text", "x"], ["import", "-"]):
        result = run_cli(*command, recorder="me\x07", input=GOOD + "\n")
        assert result.exit_code == 1
        assert result.stderr == ("Error: field `recorded_by` holds the control character "
                                 "U+0007, which is not allowed (got 'me\\x07')\n")
    assert log_bytes() == before


# ---------------------------------------------------------------- references


def test_correction_of_a_missing_event_fails(run_cli: RunCli,
                                             log_bytes: Callable[[], bytes]) -> None:
    before = log_bytes()
    result = run_cli("correct", "no-such-event", "--set", "text=x")
    assert result.exit_code == 1
    assert result.stderr == "Error: no event with id 'no-such-event'\n"
    result = run_cli("retract", "no-such-event", "--reason", "x")
    assert result.exit_code == 1
    assert result.stderr == "Error: field `data.target`: no event with id 'no-such-event'\n"
    assert log_bytes() == before


def test_correction_of_an_unknown_field_fails(run_cli: RunCli,
                                              log_bytes: Callable[[], bytes]) -> None:
    assert run_cli("add", "note", "--text", "x", "--id", "n1").exit_code == 0
    before = log_bytes()
    result = run_cli("correct", "n1", "--set", "colour=red")
    assert result.exit_code == 1
    assert result.stderr == ("Error: field `changes.colour`: note.recorded has no field "
                             "'colour' (fields: conference, text, topic, session)\n")
    result = run_cli("correct", "n1", "--set", "text=")
    assert result.exit_code == 1
    assert result.stderr == ("Error: field `data.text` must be text of 1 to 200000 characters "
                             "(got '')\n")
    result = run_cli("correct", "n1", "--set", "session=nowhere")
    assert result.exit_code == 1
    assert result.stderr == ("Error: the corrected field `data.session`: no session with id "
                             "'nowhere'\n")
    assert log_bytes() == before


def test_a_correction_cannot_target_a_fix(run_cli: RunCli,
                                          log_bytes: Callable[[], bytes]) -> None:
    assert run_cli("add", "note", "--text", "x", "--id", "n1").exit_code == 0
    fix = run_cli("retract", "n1", "--reason", "wrong", "--json")
    fix_id = json.loads(fix.stdout)[0]["id"]
    before = log_bytes()
    result = run_cli("retract", fix_id, "--reason", "undo")
    assert result.exit_code == 1
    assert result.stderr == (f"Error: field `data.target`: {fix_id} is itself a fix "
                             "(event.retracted); retract the original event instead\n")
    result = run_cli("correct", fix_id, "--set", "reason=undo")
    assert result.exit_code == 1
    assert result.stderr == (f"Error: field `data.target`: {fix_id} is itself a fix "
                             "(event.retracted); correct the original event instead\n")
    assert log_bytes() == before
