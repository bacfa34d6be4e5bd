"""A log is read a batch of lines at a time (`EventLog.batches`): however the lines fall
into batches, a reader gets the same events and the same first problem, with its line
and message, as one reading a line at a time; and a pass over a whole log, which runs
with the cyclic garbage collector paused (`archive.bulk`), leaves no garbage for it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import CONFERENCE_ID, FIXED_NOW
from hypothesis import given
from hypothesis import strategies as st

from archive.bulk import collector_paused
from archive.core.codec import encode_event
from archive.core.events import ZERO_HASH, make_payload
from archive.errors import ArchiveError
from archive.store import base as base_module
from archive.store.log import Log
from archive.store.verify import verify

CONFERENCE = make_payload("conference.held", {"name": "A conference", "place": "Astana",
                                              "start": "2015-06-29"})


def _lines(n: int, missing_at: frozenset[int] = frozenset()) -> list[bytes]:
    """A conference and n - 1 notes, chained; the notes at `missing_at` (line numbers)
    name a conference that was never recorded (a rule broken, the line itself sound)."""
    out, prev = [], ZERO_HASH
    for seq in range(1, n + 1):
        if seq == 1:
            type_, data = "conference.held", CONFERENCE
        else:
            conference = "conf-nowhere" if seq in missing_at else CONFERENCE_ID
            type_ = "note.recorded"
            data = make_payload(type_, {"conference": conference, "text": f"note {seq}"})
        line, prev = encode_event(
            id=CONFERENCE_ID if seq == 1 else f"n-{seq}", seq=seq, type=type_, at=None,
            recorded_at=FIXED_NOW, recorded_by="tests", source=None, data=data, prev=prev)
        out.append(line + b"\n")
    return out


def _damage(lines: list[bytes], lineno: int, how: str) -> list[bytes]:
    lines = list(lines)
    i = lineno - 1
    if how == "flip":  # a changed text: the line's own hash fails
        lines[i] = lines[i].replace(b'"text":"note', b'"text":"nope')
    elif how == "junk":
        lines[i] = b"not a line of json\n"
    elif how == "delete":  # the next line's sequence number is out of place
        del lines[i]
    elif how == "duplicate":
        lines.insert(i, lines[i])
    elif how == "swap" and i + 1 < len(lines):
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
    return lines


def _outcome(root: Path, batch: int, monkeypatch: pytest.MonkeyPatch,
             whole: bool) -> tuple[object, ...]:
    """What reading (or verifying, when `whole`) the log says with `batch` lines a batch:
    the events read before the problem, and the problem's type, line and message."""
    monkeypatch.setattr(base_module, "LINES_A_BATCH", batch)
    log = Log(root)
    ids: list[str] = []
    try:
        if whole:
            report = verify(log, progress=lambda n: ids.append(str(n)))
            return ("ok", report.seq, report.hash, report.size)
        for placed in log.read():
            ids.append(f"{placed.lineno}:{placed.event.id}:{placed.end}")
    except ArchiveError as exc:
        return (ids if not whole else None, type(exc).__name__, exc.line, str(exc))
    return (ids, "ok")


@given(n=st.integers(2, 300), data=st.data())
def test_batches_report_what_lines_one_at_a_time_report(
        tmp_path_factory: pytest.TempPathFactory, n: int, data: st.DataObject) -> None:
    """The first problem (a damaged line, a broken chain, a broken rule, or two of them)
    at the first, a middle or the last line of a batch, or across batches, is the same."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        root = tmp_path_factory.mktemp("batches")
        Log(root).init()
        where = st.integers(2, n)
        missing = frozenset(data.draw(st.lists(where, max_size=2), label="rules broken at"))
        lines = _lines(n, missing)
        for _ in range(data.draw(st.integers(0, 2), label="damages")):
            at = data.draw(st.integers(1, len(lines)), label="damaged line")
            how = data.draw(st.sampled_from(["flip", "junk", "delete", "duplicate", "swap"]))
            lines = _damage(lines, at, how)
        (root / "events" / "events.jsonl").write_bytes(b"".join(lines))
        for whole in (False, True):
            one_at_a_time = _outcome(root, 1, monkeypatch, whole)
            for batch in (2, 7, 128):
                assert _outcome(root, batch, monkeypatch, whole)[1:] == one_at_a_time[1:]
                if not whole:
                    assert _outcome(root, batch, monkeypatch, whole) == one_at_a_time


@pytest.mark.parametrize("lineno", [1, 128, 129, 200, 256, 257, 300])
def test_a_bad_line_at_a_batch_boundary_is_reported_at_its_line(
        tmp_path: Path, lineno: int) -> None:
    Log(tmp_path).init()
    lines = _damage(_lines(300), lineno, "junk")
    (tmp_path / "events" / "events.jsonl").write_bytes(b"".join(lines))
    read: list[int] = []
    with pytest.raises(ArchiveError) as caught:
        for placed in Log(tmp_path).read():
            read.append(placed.lineno)
    assert caught.value.line == lineno
    assert read == list(range(1, lineno))


def test_a_broken_rule_before_a_damaged_line_of_its_batch_is_the_one_reported(
        tmp_path: Path) -> None:
    Log(tmp_path).init()
    lines = _damage(_lines(300, frozenset({140})), 150, "junk")
    (tmp_path / "events" / "events.jsonl").write_bytes(b"".join(lines))
    with pytest.raises(ArchiveError) as caught:
        verify(Log(tmp_path))
    assert caught.value.line == 140
    assert "no conference with id 'conf-nowhere'" in str(caught.value)


# ---------------------------------------------------------------- the collector paused


def test_the_collector_runs_again_after_a_pass_however_it_ends() -> None:
    assert gc.isenabled()
    with pytest.raises(ValueError), collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # a pass inside a pass
            assert not gc.isenabled()
        assert not gc.isenabled()
        raise ValueError
    assert gc.isenabled()


def _garbage_after(pass_: object, root: Path) -> int:
    """How many objects a collection finds after the pass (what only it could free)."""
    gc.collect()
    gc.disable()
    try:
        pass_(root)  # type: ignore[operator]
        return gc.collect()
    finally:
        gc.enable()


@pytest.mark.parametrize("pass_", ["verify", "build", "import"])
def test_a_pass_leaves_no_garbage_that_grows_with_the_log(tmp_path: Path, pass_: str) -> None:
    """With the collector paused, a pass that made a cycle per event would leave them
    until it ends: what a collection finds after it is the same for 600 events as for
    200."""
    from click.testing import CliRunner

    from archive.app import Archive
    from archive.cli import cli

    found = []
    for n in (200, 600):
        root = tmp_path / str(n)
        Log(root).init()
        lines = _lines(n)
        if pass_ == "import":
            source = tmp_path / f"import-{n}.jsonl"
            source.write_bytes(b"".join(
                b'{"type": "note.recorded", "data": {"conference": "' + CONFERENCE_ID.encode()
                + b'", "text": "note ' + str(i).encode() + b'"}}\n' for i in range(n)))
            (root / "events" / "events.jsonl").write_bytes(lines[0])

            def run(root: Path, source: Path = source) -> None:
                result = CliRunner().invoke(cli, ["--archive", str(root), "import",
                                                  str(source)])
                assert result.exit_code == 0, result.output
        else:
            (root / "events" / "events.jsonl").write_bytes(b"".join(lines))

            def run(root: Path, n: int = n) -> None:
                if pass_ == "verify":
                    assert verify(Log(root)).seq == n
                else:
                    Archive(root).build(full=True)
        found.append(_garbage_after(run, root))
    assert found[1] <= found[0] + 20, found


def test_a_problem_the_store_finds_comes_after_those_of_the_lines_before_it(
        tmp_path: Path) -> None:
    """A store that reads a line at a time (PostgreSQL) and finds a line out of place:
    a damaged line before it, in the same batch, is the problem reported."""
    from archive.errors import LogCorrupt
    from archive.store.base import EventLog

    class OneAtATime(Log):
        line_batches = EventLog.line_batches

        def lines(self, start: int = 0, first_lineno: int = 1
                  ) -> Iterator[tuple[int, int, bytes]]:
            for lineno, end, line in (item for batch in Log.line_batches(
                    self, start, first_lineno) for item in batch):
                if lineno == 5:
                    raise LogCorrupt("out of place", path=self.name, line=lineno)
                yield lineno, end, line

    Log(tmp_path).init()
    lines = _damage(_lines(10), 2, "flip")
    (tmp_path / "events" / "events.jsonl").write_bytes(b"".join(lines))
    with pytest.raises(LogCorrupt) as caught:
        list(OneAtATime(tmp_path).read())
    assert caught.value.line == 2 and "hash mismatch" in str(caught.value)
    (tmp_path / "events" / "events.jsonl").write_bytes(b"".join(_lines(10)))
    with pytest.raises(LogCorrupt) as caught:
        list(OneAtATime(tmp_path).read())
    assert caught.value.line == 5 and "out of place" in str(caught.value)
