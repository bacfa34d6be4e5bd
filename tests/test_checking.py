"""The briefing's check of the log running beside the build and the layout
(`archive.checking`): the same document as when the check ran first, no document when the
check fails, the check's error first, and a check that dies is an error, never a pass.
`BESIDE_FROM = 0` makes every log large enough to be checked by a real second process."""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from briefing_fixtures import write_demo_log
from click.testing import CliRunner
from logs import lines_of, note, write_lines

from archive import checking
from archive.app import Archive
from archive.cli import cli
from archive.core.events import make_payload
from archive.errors import ArchiveError, InvalidEvent, LogCorrupt, StorageError, TornTail
from archive.store.log import Log, Pending

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def beside(monkeypatch: pytest.MonkeyPatch) -> list[checking.Check]:
    """Check every log in a second process; the checks started, to assert they ran."""
    started: list[checking.Check] = []

    class Recorded(checking.Check):
        def __init__(self, argv: list[str]):
            super().__init__(argv)
            started.append(self)

    monkeypatch.setattr(checking, "BESIDE_FROM", 0)
    monkeypatch.setattr(checking, "Check", Recorded)
    return started


def _retract_a_fix(log: Log) -> None:
    """Lines written past the recorder that every line check passes and a rule fails: the
    build takes them, only `verify` refuses them."""
    log.append([note("n1"), Pending("r1", "event.retracted", make_payload(
        "event.retracted", {"target": "n1", "reason": "x"})), Pending(
        "r2", "event.retracted", make_payload("event.retracted", {"target": "r1",
                                                                  "reason": "y"}))],
        recorded_at="2015-07-02T09:00:00Z", recorded_by="tests")


@pytest.mark.slow  # two real briefings, checked in a child process
def test_a_briefing_checked_beside_is_the_briefing_checked_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        beside: list[checking.Check]) -> None:
    first, alongside = tmp_path / "first", tmp_path / "beside"
    for root in (first, alongside):
        write_demo_log(root)
    got = Archive(alongside).brief()
    assert len(beside) == 1 and beside[0].proc.returncode == 0
    monkeypatch.setattr(checking, "BESIDE_FROM", 1 << 60)
    want = Archive(first).brief()
    assert len(beside) == 1  # checked first, in this process
    assert got.path.read_bytes() == want.path.read_bytes()  # provenance: verified, both
    html = Archive(first).brief(html=True).path.read_bytes()
    monkeypatch.setattr(checking, "BESIDE_FROM", 0)
    assert Archive(alongside).brief(html=True).path.read_bytes() == html
    assert len(beside) == 2


@pytest.mark.slow  # a real render per kind, after a failed check
@pytest.mark.parametrize("kind", ["pdf", "html", "progress"])
def test_a_log_that_fails_the_check_gets_no_document(
        tmp_path: Path, beside: list[checking.Check], kind: str) -> None:
    """(The demo follows no commitment: the accountability report fails too, and the
    check's error is the one raised.)"""
    log = write_demo_log(tmp_path / "archive")
    _retract_a_fix(log)
    archive = Archive(log.root)
    with pytest.raises(LogCorrupt) as raised:
        if kind == "progress":
            archive.brief_progress()
        else:
            archive.brief(html=kind == "html")
    assert "r1 is itself a fix" in str(raised.value)
    assert raised.value.line == len(lines_of(log))
    assert beside and all(c.proc.returncode is not None for c in beside)  # none left
    assert not [p for p in log.layout.exports.iterdir()
                if p.name.startswith("briefing")]
    assert Archive(log.root).brief(verify=False).path.is_file()  # --no-verify: as before


def test_the_checks_error_comes_first_when_the_build_fails_too(
        tmp_path: Path, beside: list[checking.Check]) -> None:
    log = write_demo_log(tmp_path / "archive")
    lines = lines_of(log)
    edited = next(i for i, line in enumerate(lines) if i > 3 and b'"name":"' in line)
    lines[edited] = lines[edited].replace(b'"name":"', b'"name":"X', 1)  # its hash fails
    write_lines(log, lines)
    with pytest.raises(LogCorrupt) as inline:
        Archive(log.root).verify()
    with pytest.raises(LogCorrupt) as raised:
        Archive(log.root).brief()
    assert str(raised.value) == str(inline.value)
    assert raised.value.line == edited + 1
    assert len(beside) == 1


def test_the_cli_says_what_the_check_found_in_one_line(
        tmp_path: Path, beside: list[checking.Check]) -> None:
    log = write_demo_log(tmp_path / "archive")
    _retract_a_fix(log)
    result = CliRunner().invoke(cli, ["--archive", str(log.root), "briefing"])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(
        f"Error: {log.path} line {len(lines_of(log))}: field `data.target`: r1 is itself")
    assert len(beside) == 1


def test_a_check_that_dies_is_an_error_never_a_pass() -> None:
    died = checking.Check([sys.executable, "-c", "import os, sys; "
                           "sys.stderr.write('out of memory\\n'); os._exit(3)"])
    with pytest.raises(StorageError, match=r"stopped with exit code 3: out of memory"):
        died.result()
    with pytest.raises(StorageError):  # asked again: the same answer
        died.result()
    killed = checking.Check([sys.executable, "-c", "import time; time.sleep(60)"])
    time.sleep(0.2)
    os.kill(killed.proc.pid, signal.SIGKILL)
    with pytest.raises(StorageError, match="exit code -9"):
        killed.result()
    lying = checking.Check([sys.executable, "-c", "print('ok')"])
    with pytest.raises(StorageError, match="exit code 0"):
        lying.result()


def test_a_job_stopped_midway_leaves_no_check_running(
        tmp_path: Path, beside: list[checking.Check]) -> None:
    log = write_demo_log(tmp_path / "archive")
    with pytest.raises(KeyboardInterrupt), checking.beside(Archive(log.root)):
        raise KeyboardInterrupt  # not an error the check could explain: no waiting
    assert beside[0].proc.returncode is not None


def test_the_check_reports_the_error_itself(tmp_path: Path) -> None:
    """What the second process hands back: the error with its class, file and line."""
    log = write_demo_log(tmp_path / "archive")
    child = subprocess.run([sys.executable, "-m", "archive.checking", str(log.root)],
                           capture_output=True, check=True)
    assert pickle.loads(child.stdout) == ("ok", None)
    _retract_a_fix(log)
    child = subprocess.run([sys.executable, "-m", "archive.checking", str(log.root)],
                           capture_output=True, check=True)
    kind, error = pickle.loads(child.stdout)
    assert kind == "err" and type(error) is LogCorrupt
    assert (error.path, error.line) == (str(log.path), len(lines_of(log)))
    with pytest.raises(LogCorrupt) as inline:
        Archive(log.root).verify()
    assert str(error) == str(inline.value)


@pytest.mark.parametrize("error", [
    LogCorrupt("a blank line", path="events/events.jsonl", line=3),
    InvalidEvent("field `at`: not a date", line=7, path="drafts.jsonl"),
    TornTail("the last line is incomplete", path="events/events.jsonl", line=9),
    StorageError("disk full"),
])
def test_errors_pickle_as_they_are(error: ArchiveError) -> None:
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error) and str(back) == str(error)
    assert back.__dict__ == error.__dict__


@pytest.mark.slow
def test_a_postgresql_archive_is_checked_beside_too(
        tmp_path: Path, pg_url: str, beside: list[checking.Check]) -> None:
    """The second process reaches the store through its own connection."""
    import psycopg

    source = tmp_path / "astana"
    (source / "events").mkdir(parents=True)
    shutil.copyfile(REPO / "events" / "events.jsonl", source / "events" / "events.jsonl")
    Archive(source).push(pg_url)
    root = tmp_path / "joined"
    Archive(root).init(pg_url)
    first = Archive(root).brief()
    assert beside[-1].proc.returncode == 0 and first.pages > 10
    first.path.unlink()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("update archive_log set line = convert_to(replace(convert_from(line, "
                     "'UTF8'), 'Astana', 'Astana!'), 'UTF8') where seq = 1")
    with pytest.raises(LogCorrupt, match="hash mismatch") as raised:
        Archive(root).brief()
    assert raised.value.line == 1 and len(beside) == 2
    assert not first.path.exists()


def _checks_running() -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if b"archive.checking" in cmdline and proc.name.isdigit():
            found.append(int(proc.name))
    return found


@pytest.mark.slow
def test_a_briefing_killed_at_any_point_leaves_none_or_the_whole(tmp_path: Path) -> None:
    """A real `archive briefing` of a log large enough to be checked beside it, SIGKILLed
    at points from the moment its check starts to after it has written: each time there
    is no briefing or the whole one (the bytes of an uninterrupted run), any orphaned
    check ends by itself, and the next briefing is made and checked as usual."""
    from bench.generate import write_import

    root = tmp_path / "big"
    Archive(root).init()
    lines = tmp_path / "import.jsonl"
    conference = write_import(lines, 16_000, seed=5)["conferences"][0]
    Archive(root).recorder().import_lines(lines.open("rb"))
    assert Archive(root).log.size() >= checking.BESIDE_FROM
    Archive(root).build()
    exports = root / "exports"
    cmd = [str(Path(sys.executable).with_name("archive")), "--archive", str(root), "briefing",
           "--conference", conference, "--html"]

    def briefings() -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in exports.iterdir() if "briefing" in p.name}

    started = time.monotonic()
    subprocess.run(cmd, check=True, capture_output=True)
    whole, took = briefings(), time.monotonic() - started
    assert any(name.endswith(".html") for name in whole)
    outcomes = []
    for delay in (0, 0.1, 0.25, 0.5, 3 * took):
        for name in whole:
            (exports / name).unlink(missing_ok=True)
        before = set(_checks_running())
        brief = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not set(_checks_running()) - before and brief.poll() is None:
            assert time.monotonic() < deadline, "no check started"
            time.sleep(0.002)
        time.sleep(delay)
        os.kill(brief.pid, signal.SIGKILL)
        brief.wait()
        left = briefings()
        html = {k: v for k, v in left.items() if k.endswith(".html")}
        assert html in ({}, {k: v for k, v in whole.items() if k.endswith(".html")}), delay
        outcomes.append(bool(html))
        deadline = time.monotonic() + 60
        while set(_checks_running()) - before:  # an orphan reads on, then ends by itself
            assert time.monotonic() < deadline, "the check did not end"
            time.sleep(0.05)
    assert outcomes[0] is False and outcomes[-1] is True, outcomes  # both sides reached
    for name in briefings():
        (exports / name).unlink()
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert briefings() == whole
