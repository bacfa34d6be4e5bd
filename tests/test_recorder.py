"""The append path (`append/recorder.py`): idempotent retries, bad input that writes
nothing, and references that must exist."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import CONFERENCE_ID, FIXED_NOW
from logs import GOOD_IMPORT, RunCli

from archive.core.events import make_payload
from archive.store.log import Log, Pending

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
    assert result.stderr == ("Error: import line 4: id imp-3 is already recorded as "
                             "note.recorded 'note 3', and this line gives it other content: "
                             "note.recorded 'note three'; nothing was imported\n")
    assert log_bytes() == after


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
    ("sha256", ["attachment", "--caption", "c", "--file", "/nonexistent"], 1,
     "Error: --file /nonexistent: No such file or directory\n"),
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
        result = run_cli(*command, recorder="me\x07", input=GOOD_IMPORT)
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
                             "'colour' (fields: conference, text, tags, about, session, lang)\n")
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


# ---------------------------------------------------------------- text that looks like another

#: (add arguments, the error after "Error: ") for input that reads as something it is not.
LOOKALIKES = [
    (["note", "--text", "x", "--at", "٢٠١٥-٠٦-٢٩"], "field `at` is not a date: '٢٠١٥-٠٦-٢٩'"),
    (["note", "--text", "x", "--at", "２０１５"], "field `at` is not a date: '２０１５'"),
    (["note", "--text", "x", "--at", "2015-06-29\n"],
     "field `at` is not a date: '2015-06-29\\n'"),
    (["note", "--text", "x", "--at", "2015-06-29T10:00+99:99"],
     "field `at` has no time zone +99:99: '2015-06-29T10:00+99:99'"),
    (["followup", "--name", "N", "--when", "0000"], "field `data.when` has no year 0: '0000'"),
    (["participant", "--kind", "person", "--name", "   "],
     "field `data.name` is blank (only spaces or invisible characters: '   ')"),
    (["participant", "--kind", "person", "--name", "Ann\u2028Lee"],
     "field `data.name` holds the line separator U+2028, which is not allowed (got "
     "'Ann\\u2028Lee')"),
    (["participant", "--kind", "person", "--name", "Ann\x85Lee"],
     "field `data.name` holds the line separator U+0085, which is not allowed (got "
     "'Ann\\x85Lee')"),
    (["participant", "--kind", "person", "--name", "\u202eeeL nnA"],
     "field `data.name` holds the bidirectional control U+202E, which can make it read as "
     "something else (got '\\u202eeeL nnA')"),
]


@pytest.mark.parametrize(("args", "message"), LOOKALIKES)
def test_input_that_looks_like_something_else_is_refused(
        run_cli: RunCli, log_bytes: Callable[[], bytes], args: list[str], message: str) -> None:
    before = log_bytes()
    result = run_cli("add", *args)
    assert (result.exit_code, result.stderr) == (1, f"Error: {message}\n")
    assert log_bytes() == before


def test_invisible_characters_do_not_make_a_second_person(run_cli: RunCli) -> None:
    first = run_cli("add", "participant", "--kind", "person", "--name", "Bo Chen",
                    "--source", "urn:r")
    second = run_cli("add", "participant", "--kind", "person", "--name", "Bo\u200b Chen\ufeff",
                     "--source", "urn:r")
    assert first.exit_code == second.exit_code == 0
    ident = first.stderr.split("(")[-1].rstrip(")\n")
    assert second.stderr == f"known person 'Bo\\u200b Chen\\ufeff' ({ident})\n"


def test_a_log_written_before_the_stricter_input_checks_still_reads(
        log: Log, run_cli: RunCli) -> None:
    """What the log accepted once stays readable: the checks on new input are stricter."""
    log.append([Pending("p1", "participant.attended", make_payload("participant.attended", {
        "conference": CONFERENCE_ID, "entity": "e1", "kind": "person",
        "name": "Ann\u2028\u202eLee"}), at="٢٠١٥-٠٦-٢٩")],
        recorded_at=FIXED_NOW, recorded_by="tests")
    assert run_cli("verify").exit_code == 0
    assert run_cli("log").exit_code == 0


# ---------------------------------------------------------------- bounded input


def test_unbounded_input_is_refused_while_it_streams(run_archive, log_bytes, tmp_path) -> None:
    before = log_bytes()
    result = run_archive("import", "/dev/zero", timeout=30)  # never read whole
    assert (result.returncode, result.stderr) == (1, (
        "Error: import line 1 is longer than 1048576 bytes (the limit; "
        "ARCHIVE_MAX_LINE_BYTES sets it); nothing was imported\n"))
    long_line = tmp_path / "long.jsonl"
    long_line.write_text('{"type": "note.recorded", "data": {"text": "' + "x" * 2_000_000
                         + '"}}\n')
    assert run_archive("import", str(long_line)).returncode == 1
    assert log_bytes() == before


@pytest.mark.parametrize("kind", ["fifo", "device", "symlink", "folder", "too large"])
def test_an_attachment_must_be_a_regular_file_within_the_limit(
        run_archive, log_bytes, archive_dir: Path, tmp_path: Path, kind: str) -> None:
    path = tmp_path / "photo.jpg"
    env: dict[str, str] = {}
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path = Path("/dev/zero")
    elif kind == "symlink":
        path.symlink_to("/etc/passwd")
    elif kind == "folder":
        path.mkdir()
    else:
        with open(path, "wb") as f:  # a sparse gigabyte
            f.truncate(1 << 30)
        env = {"ARCHIVE_MAX_ATTACHMENT_BYTES": str(1 << 20)}
    before = log_bytes()
    result = run_archive("add", "attachment", "--file", str(path), "--caption", "c",
                         timeout=30, env=env)
    assert result.returncode == 1 and result.stderr.startswith(f"Error: --file {path} ")
    assert log_bytes() == before
    assert not (archive_dir / "events" / "attachments").exists()


def test_an_attachment_is_stored_only_when_its_fact_is_accepted(
        run_archive, log_bytes, archive_dir: Path, tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG not really")
    bad = run_archive("add", "attachment", "--file", str(photo), "--caption", "bad\x07")
    assert bad.returncode == 1
    assert not (archive_dir / "events" / "attachments").exists()
    good = run_archive("add", "attachment", "--file", str(photo), "--caption", "good")
    assert good.returncode == 0, good.stderr
    assert len(list((archive_dir / "events" / "attachments").iterdir())) == 1
