"""Bulk import: files refused whole with each bad line named, and imports across batch
boundaries: references, retries and corrections that reach into earlier batches (still
in the spool), the index kept in step, all or nothing."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import CONFERENCE_ID, FIXED_NOW
from logs import RunCli

from archive.append.importer import BATCH
from archive.append.recorder import Recorder
from archive.errors import Conflict, InvalidEvent, NotFound
from archive.store.layout import Layout
from archive.store.log import Log
from archive.store.verify import verify


def line(type_: str, data: dict, **envelope: object) -> bytes:
    return json.dumps({"type": type_, "data": data, **envelope}, ensure_ascii=False).encode()


def big_import(n: int) -> list[bytes]:
    """A person, then n notes, then facts that point back at the first batch."""
    lines = [line("participant.attended", {"conference": CONFERENCE_ID, "entity": "p-1",
                                           "kind": "person", "name": "Shavkat Sabirov"},
                  id="first")]
    lines += [line("note.recorded", {"conference": CONFERENCE_ID, "text": f"note {i}"},
                   id=f"n-{i}") for i in range(n)]
    lines += [
        line("speech.delivered", {"conference": CONFERENCE_ID, "speaker": "p-1",
                                  "quotes": ["Kazakh-language media"]}, id="late-speech"),
        line("note.recorded", {"conference": CONFERENCE_ID, "text": "note 3"}, id="n-3"),
        line("event.corrected", {"target": "n-5", "changes": {"text": "note five"}},
             id="fix-5"),
        line("event.corrected", {"target": "first", "changes": {"name": "Shavkat Sabyrov"}},
             id="fix-name"),
    ]
    return lines


def recorder(root: Path) -> Recorder:
    return Recorder(Log(root), "tests", clock=lambda: FIXED_NOW)


def test_an_import_larger_than_a_batch_checks_everything_against_earlier_batches(
        archive_dir: Path) -> None:
    n = BATCH * 2 + 500
    result = recorder(archive_dir).import_lines(big_import(n))
    # n notes + person + speech + 2 corrections; the retried n-3 is skipped
    assert result.messages == [f"imported {n + 4} events (sequence 2-{n + 5})",
                               "1 already recorded (same id and content)"]
    report = verify(Log(archive_dir))
    assert report.events == n + 5
    # the index already knows every imported event and name: no catching up needed
    db = sqlite3.connect(Layout(archive_dir).index)
    assert dict(db.execute("select key, value from meta"))["seq"] == n + 5
    assert db.execute("select count(*) from ids").fetchone()[0] == n + 5
    names = {key for (key,) in db.execute("select key from names where scope = 'person'")}
    assert names == {"shavkat sabirov", "shavkat sabyrov"}
    # and a later add resolves the corrected spelling to the same person
    added = recorder(archive_dir).add("speech.delivered", {"summary": "More."},
                                      {"speaker": "Shavkat Sabyrov"})
    assert added.events[-1].data.speaker == "p-1"


@pytest.mark.parametrize("bad, error, message", [
    (line("note.recorded", {"conference": CONFERENCE_ID, "text": "note 7 changed"}, id="n-7"),
     Conflict, "id n-7 is already recorded as note.recorded 'note 7', and this line gives "
               "it other content: note.recorded 'note 7 changed'"),
    (line("speech.delivered", {"conference": CONFERENCE_ID, "speaker": "nobody"}),
     NotFound, "field `data.speaker`: no person, organisation or country with id 'nobody'"),
    (line("event.corrected", {"target": "n-9", "changes": {"texts": "x"}}),
     InvalidEvent, "note.recorded has no field 'texts'"),
    (line("event.retracted", {"target": "fix-5", "reason": "no"}),
     InvalidEvent, "fix-5 is itself a fix (event.corrected)"),
    (b'{"type": "note.recorded", "data": {"conference": "conf-astana", "text": NaN}}',
     InvalidEvent, "field `data.text` must be a finite number, not nan"),
])
def test_a_bad_line_after_several_batches_writes_nothing(
        archive_dir: Path, bad: bytes, error: type[Exception], message: str) -> None:
    index_path = Layout(archive_dir).index
    recorder(archive_dir).add("note.recorded", {"text": "before"})  # index exists, in step
    before = Log(archive_dir).path.read_bytes()
    index_before = sqlite3.connect(index_path).execute("select count(*) from ids").fetchone()
    lines = big_import(BATCH + 10)
    with pytest.raises(error) as caught:
        recorder(archive_dir).import_lines([*lines, bad])
    assert message in str(caught.value)
    assert f"import line {len(lines) + 1}" in str(caught.value)
    assert "nothing was imported" in str(caught.value)
    assert Log(archive_dir).path.read_bytes() == before
    index_after = sqlite3.connect(index_path).execute("select count(*) from ids").fetchone()
    assert index_after == index_before
    assert not list((archive_dir / "events").glob(".import-*"))


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
    assert sorted(p.name for p in (archive_dir / "events").iterdir()) == [
        ".append", ".lock", "events.jsonl"]  # the two lock files, the log: no spool, no intent


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
