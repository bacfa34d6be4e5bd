"""What the tests share that is not a fixture: the installed script, fixed values, the
environment a real `archive` process gets, and how many examples a property test draws.
Fixtures live in `conftest.py`; modules import these from here."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

#: The installed console script and interpreter of the virtualenv running the tests.
ARCHIVE_SCRIPT = Path(sys.executable).with_name("archive")
PYTHON = sys.executable
#: A fixed clock for recorders made in tests (recorded_at of every event).
FIXED_NOW = "2024-01-02T03:04:05.000Z"
CONFERENCE_ID = "conf-astana"
CONFERENCE_NAME = "Astana Regional Conference"

#: Debian's Chromium, driven by Playwright, headless.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

#: The Hypothesis profile in force (`HYPOTHESIS_PROFILE`): `ci`, what `make test` and CI
#: run, draws each property's full count; `dev` (`make test-fast`) a fifth of it.
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")


def examples(n: int) -> int:
    """How many examples a property test with a full count of `n` draws in this profile."""
    return n if PROFILE == "ci" else max(3, n // 5)


def archive_env(root: Path) -> dict[str, str]:
    """The environment of a real `archive` process on the archive at `root`."""
    env = dict(os.environ)
    env["ARCHIVE_DIR"] = str(root)
    env["ARCHIVE_RECORDER"] = "tests"
    env.pop("PYTHONSTARTUP", None)
    return env


def counter_ids(prefix: str = "gen") -> Callable[[], str]:
    """An id factory giving gen-0001, gen-0002... (deterministic, valid ids)."""
    count = 0

    def new_id() -> str:
        nonlocal count
        count += 1
        return f"{prefix}-{count:04d}"

    return new_id


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end in a thread of its own, so that it works beside the
    session's browser (Playwright's sync API keeps an event loop running in this one)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
