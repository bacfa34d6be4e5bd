"""Shared fixtures. One section per area; add new fixtures under a section header.

Everything here is real: archives are folders in `tmp_path`, appends go through the real
log (one write + fsync), and `run_archive` starts the installed console script.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers import (
    ARCHIVE_SCRIPT,
    CHROMIUM,
    CHROMIUM_ARGS,
    CONFERENCE_ID,
    CONFERENCE_NAME,
    FIXED_NOW,
    PROFILE,
    archive_env,
    counter_ids,
)
from hypothesis import HealthCheck, settings

from archive.append.recorder import Recorder
from archive.cli import cli
from archive.store.log import Log
from archive.store.verify import verify

# ---------------------------------------------------------------- Hypothesis

# `ci` (the default, `make test`): each property's own count (`helpers.examples`);
# `dev` (`make test-fast`, HYPOTHESIS_PROFILE=dev): a fifth of it. Neither has a deadline:
# the tests run real files and SQLite, whose timing is the machine's.
settings.register_profile("ci", deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, max_examples=20,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(PROFILE)

# ---------------------------------------------------------------- archives

@pytest.fixture
def empty_archive(tmp_path: Path) -> Path:
    """An initialised archive with an empty log."""
    root = tmp_path / "archive"
    Log(root).init()
    return root


@pytest.fixture
def archive_dir(empty_archive: Path) -> Path:
    """An initialised archive holding one conference (id `CONFERENCE_ID`)."""
    Recorder(Log(empty_archive), "tests", clock=lambda: FIXED_NOW).add(
        "conference.held",
        {"name": CONFERENCE_NAME, "place": "Astana", "start": "2015-06-29", "end": "2015-06-30"},
        event_id=CONFERENCE_ID,
    )
    return empty_archive


@pytest.fixture
def log(archive_dir: Path) -> Log:
    return Log(archive_dir)


@pytest.fixture
def recorder(archive_dir: Path) -> Recorder:
    """A Recorder on `archive_dir` with a fixed clock and deterministic generated ids."""
    return Recorder(Log(archive_dir), "tests", clock=lambda: FIXED_NOW, new_id=counter_ids())


@pytest.fixture
def log_bytes(archive_dir: Path) -> Callable[[], bytes]:
    """Read the raw bytes of `archive_dir`'s log (to check nothing was written)."""
    return lambda: Log(archive_dir).path.read_bytes()


# ---------------------------------------------------------------- CLI in process


@pytest.fixture
def run_cli(archive_dir: Path) -> Callable[..., Result]:
    """Invoke the click CLI in process on `archive_dir`.

    Unexpected exceptions propagate (`catch_exceptions=False`): a traceback fails the
    test, while `Error: ...` (exit 1) and usage errors (exit 2) come back as results.
    `result.stdout` and `result.stderr` are separate; stdin is not a terminal."""

    def run(*args: str, input: str | bytes | None = None, root: Path | None = None,
            env: dict[str, str] | None = None, recorder: str = "tests") -> Result:
        runner = CliRunner()
        return runner.invoke(
            cli, ["--archive", str(root or archive_dir), "--recorder", recorder, *args],
            input=input, env=env, catch_exceptions=False,
        )

    return run


# ---------------------------------------------------------------- real processes


@pytest.fixture
def run_archive(archive_dir: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the installed `archive` console script with ARCHIVE_DIR set (text output)."""

    def run(*args: str, input: str | None = None, root: Path | None = None,
            timeout: float = 60, env: dict[str, str] | None = None,
            ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(ARCHIVE_SCRIPT), *args], input=input, capture_output=True, text=True,
            env={**archive_env(root or archive_dir), **(env or {})}, timeout=timeout,
        )

    return run


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Child processes a test starts; any still running at the end are killed."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


# ---------------------------------------------------------------- the shipped archive

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def astana_briefed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped Astana archive, built, with its PDF and HTML briefings: made once per
    test process, read by many modules. Tests read it and never write to it (copy it to
    change it)."""
    from archive.app import Archive

    root = tmp_path_factory.mktemp("astana") / "astana"
    (root / "events").mkdir(parents=True)
    shutil.copyfile(REPO / "events" / "events.jsonl", root / "events" / "events.jsonl")
    Archive(root).build()
    Archive(root).brief(verify=False)
    Archive(root).brief(html=True, verify=False)
    for lang in ("ru", "kk"):  # the web versions in the other languages (the crawl's)
        Archive(root).brief(html=True, verify=False, lang=lang)
    return root


# ---------------------------------------------------------------- logs


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


# ---------------------------------------------------------------- a real browser

@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


# ---------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    """A real PostgreSQL server on a Unix socket in a temporary folder (`postgres.py`),
    for the whole session."""
    from postgres import start_server, stop_server

    server = start_server()
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture
def pg_url(pg_server: object) -> str:
    """The URL of a new, empty database on the session's server."""
    return pg_server.new_database()  # type: ignore[attr-defined]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that drives the real browser is `slow` (an end-to-end page test): `make
    test` runs it, `make test-fast` leaves it out."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
    # Longest first, so that no worker starts a minute-long test when the others are done:
    # the page crawls (a minute each), modules with kill tests, then modules with slow
    # tests, then the rest; a module's tests stay together (its fixtures are made once)
    # and in their order.
    rank: dict[str, int] = {}
    for item in items:
        module = item.nodeid.split("::")[0]
        weight = -1 if module.endswith("test_crawl.py") else \
            0 if item.get_closest_marker("faults") else \
            1 if item.get_closest_marker("slow") else 2
        rank[module] = min(rank.get(module, 2), weight)
    items.sort(key=lambda item: rank[item.nodeid.split("::")[0]])
