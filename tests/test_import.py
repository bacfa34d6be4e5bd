"""Bulk import across batch boundaries: references, retries and corrections that reach
into earlier batches (still in the spool), the index kept in step, all or nothing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import CONFERENCE_ID, FIXED_NOW

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
     Conflict, "id n-7 is already recorded with different content"),
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
