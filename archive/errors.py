"""The one exception tree. The core raises these; the CLI turns them into `Error: ...`."""

from __future__ import annotations


class ArchiveError(Exception):
    """Base of every error the archive reports to a user."""

    def __reduce__(self) -> tuple[object, ...]:
        # An error crosses processes as it is (`archive.checking`): its class, its words
        # and its attributes, without calling an __init__ that takes other arguments.
        return _restore, (type(self), str(self), self.__dict__)


def _restore(cls: type[ArchiveError], message: str, state: dict[str, object]) -> ArchiveError:
    error = Exception.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class InvalidEvent(ArchiveError):
    """An event (or its input) breaks the schema: names the field and the value."""

    def __init__(self, message: str, *, line: int | None = None, path: str | None = None):
        self.line = line
        self.path = path
        where = ""
        if path is not None and line is not None:
            where = f"{path} line {line}: "
        elif line is not None:
            where = f"line {line}: "
        super().__init__(where + message)


class LogCorrupt(ArchiveError):
    """The log on disk fails a check: bad line, broken chain, wrong sequence."""

    def __init__(self, message: str, *, path: str, line: int):
        self.path = path
        self.line = line
        super().__init__(f"{path} line {line}: {message}")


class TornTail(LogCorrupt):
    """The last line of the log is incomplete: an interrupted write, never acknowledged."""


class HeadLost(ArchiveError):
    """The log no longer holds a line this archive once saw (removed or rewritten)."""


class Conflict(ArchiveError):
    """An append lost a race (`--expect-seq`) or reuses an id with different content."""


class NotFound(ArchiveError):
    """A referenced event, conference, session or entity does not exist."""


class Ambiguous(ArchiveError):
    """A default (such as the conference) could not be chosen; the user must say which."""


class NotAnArchive(ArchiveError):
    """The folder holds no archive (no events/ folder)."""


class ProofFailed(ArchiveError):
    """A proof, checkpoint, signature or key that does not check out: names what does not
    match."""


class RenderError(ArchiveError):
    """The briefing could not be rendered."""


class StoreUnavailable(ArchiveError):
    """A shared store (PostgreSQL) could not be reached, or went away during a command."""


class StorageError(ArchiveError):
    """The operating system (or SQLite) refused a read or a write: names the file and why."""

    @classmethod
    def of(cls, exc: OSError) -> StorageError:
        where = exc.filename if exc.filename is not None else "a file"
        if exc.filename2 is not None:
            where = f"{where} -> {exc.filename2}"
        return cls(f"{where}: {exc.strerror or exc}")
