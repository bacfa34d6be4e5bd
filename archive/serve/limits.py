"""What one request to the served archive may cost. Arbitrary read-only SQL is allowed
(the data is public), so a single anonymous GET must not be able to exhaust the machine:

- SQLite itself refuses to make a value longer than `value` bytes (`SQLITE_LIMIT_LENGTH`:
  `randomblob(1e9)`, `zeroblob(1e8)` fail at once with "string or blob too big"), or to
  take more than `sqlite_heap` bytes (`PRAGMA hard_heap_limit`); a statement is at most
  100,000 characters. With values bounded, each step of a query is short, so Datasette's
  one-second time limit holds.
- A response is at most `response` bytes: a larger one is refused with 413 before it is
  sent (or cut off, for a streamed CSV). The whole database is a download of its own.
- The Datasette process started by `archive serve` cannot grow past `memory` bytes of
  address space (`RLIMIT_AS`): a request that would is refused with an error, and the
  server goes on answering.

Each is set by an environment variable, in bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..append.limits import env_bytes

SQL_LENGTH = 100_000


@dataclass(frozen=True)
class ServeLimits:
    #: The longest string or blob a query may make or read (ARCHIVE_SERVE_MAX_VALUE_BYTES;
    #: default 4 MiB, above any value an archive stores: a log line is at most 1 MiB).
    value: int = 4 << 20
    #: SQLite's memory, all connections together (ARCHIVE_SERVE_MAX_SQLITE_BYTES).
    sqlite_heap: int = 256 << 20
    #: One response (ARCHIVE_SERVE_MAX_RESPONSE_BYTES; default 64 MiB).
    response: int = 64 << 20
    #: The Datasette process's address space (ARCHIVE_SERVE_MAX_MEMORY_BYTES; 2 GiB).
    memory: int = 2 << 30

    @classmethod
    def from_env(cls) -> ServeLimits:
        return cls(env_bytes("ARCHIVE_SERVE_MAX_VALUE_BYTES", cls.value),
                   env_bytes("ARCHIVE_SERVE_MAX_SQLITE_BYTES", cls.sqlite_heap),
                   env_bytes("ARCHIVE_SERVE_MAX_RESPONSE_BYTES", cls.response),
                   env_bytes("ARCHIVE_SERVE_MAX_MEMORY_BYTES", cls.memory))


__all__ = ["SQL_LENGTH", "ServeLimits"]
