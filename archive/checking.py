"""`archive verify` beside another job: the briefing's end-to-end check of a large log runs
in a second process, on the other core, while the database is built and the document laid
out; the document is written only once the check has passed.

    with beside(archive) as passed:
        ...                 # build, lay out
        passed()            # raises the check's error, if it found one
        ...                 # write

If the job fails while the check runs, the check's error is the one raised (as when the
check ran first): a log that fails it is what the user has to hear about. A small log is
checked first, in this process, as before (a second Python costs more than its check).
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from .errors import ArchiveError, StorageError


class Checked(Protocol):
    """What `beside` needs of an archive (`app.Archive`)."""

    root: Path

    @property
    def log(self) -> Any: ...

    def verify(self) -> object: ...

#: A log at least this large (bytes, ~14,000 events) is checked beside the job.
BESIDE_FROM = 8 << 20


class Check:
    """A check running in a child process (`argv`), which writes its outcome pickled to
    stdout: ("ok", None) or ("err", the ArchiveError)."""

    def __init__(self, argv: list[str]):
        # the child imports this very package, wherever it was imported from
        where = str(Path(__file__).resolve().parent.parent)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (where, os.environ.get("PYTHONPATH")) if p)}
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        self.outcome: tuple[str, Any] | None = None

    def result(self) -> None:
        """Wait for the check; raise its error, or StorageError if it died without one."""
        if self.outcome is None:
            out, err = self.proc.communicate()
            try:
                outcome = pickle.loads(out)
            except Exception:  # noqa: BLE001 (killed, out of memory: no outcome at all)
                said = err.decode(errors="replace").strip().splitlines()
                outcome = ("err", StorageError(
                    f"the check of the log (process {self.proc.pid}) stopped with exit "
                    f"code {self.proc.returncode}" + (f": {said[-1]}" if said else "")))
            self.outcome = outcome
        if self.outcome[0] != "ok":
            raise self.outcome[1]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()


def _nothing() -> None:
    return None


@contextmanager
def beside(archive: Checked, *, verify: bool = True) -> Iterator[Callable[[], None]]:
    """Verify the archive's log (unless `verify` is false) while the caller works; yields
    the function that waits for the check and raises its error."""
    if not verify:
        yield _nothing
        return
    if archive.log.size() < BESIDE_FROM:
        archive.verify()
        yield _nothing
        return
    check = Check([sys.executable, "-m", "archive.checking", str(archive.root)])
    try:
        yield check.result
    except Exception:
        check.result()  # the check's error first, as when it ran before the job
        raise
    finally:
        check.close()


def main(root: str) -> None:
    from .store.layout import Layout
    from .store.open import open_log
    from .store.verify import verify_archive

    try:
        log = open_log(Path(root))
        log.require()
        verify_archive(Layout(Path(root)), log)
        outcome: tuple[str, Any] = ("ok", None)
    except ArchiveError as exc:
        outcome = ("err", exc)
    except OSError as exc:
        outcome = ("err", StorageError.of(exc))
    sys.stdout.buffer.write(pickle.dumps(outcome))


if __name__ == "__main__":
    main(sys.argv[1])
