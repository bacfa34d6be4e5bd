"""`verify`: tamper evidence (any edit, deletion, insertion, reordering or duplicate is
found, with its line) and the rules each event keeps with the lines before it."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import CONFERENCE_ID, FIXED_NOW
from logs import RunCli, assert_verify_fails_at, lines_of, note, write_lines

from archive.core.codec import encode_event, parse_line
from archive.core.events import make_payload
from archive.store.log import Log, Pending

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
    sample.layout.head.unlink()  # and what this archive remembers is gone too
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
    assert_verify_fails_at(run_cli, sample, 3, "a blank line (each line holds one event)")


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
    log.layout.head.unlink()  # cut on purpose
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
