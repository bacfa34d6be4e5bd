"""SQLite access, written once: the read-only opener every reader uses, the transaction
every writer uses, and how a conference is found by id or name.

A reader opens the database with `read_only`: a `?mode=ro` URI built by `Path.as_uri()`
(a folder name holding `?` or `#` stays a path), rows by column name, and never a file
made where none was. A writer wraps its statements in `transaction`, which commits what
ran or rolls all of it back, as sqlite-utils' `atomic()` does.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..core.names import named
from ..errors import Ambiguous, NotFound


def read_only(path: Path | str) -> sqlite3.Connection:
    """The database at `path`, opened read-only, rows addressable by column name."""
    resolved = Path(path).resolve()
    if not resolved.is_file():
        raise NotFound(f"no database at {resolved}; run `archive build`")
    conn = sqlite3.connect(f"{resolved.as_uri()}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection, mode: str = "") -> Iterator[sqlite3.Connection]:
    """`BEGIN [mode]` ... `COMMIT`, or `ROLLBACK` if anything in the block fails (a
    connection in autocommit mode, `isolation_level=None`, as every writer here opens)."""
    conn.execute(f"BEGIN {mode}".strip())
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def conference(db: sqlite3.Connection, wanted: str | None) -> sqlite3.Row:
    """The conference `wanted` names (by id, else by name key: `names.named`); with None,
    the only one recorded.
    No match, or several, is an error that lists the conferences to choose from."""
    rows = list(db.execute("select * from conferences order by start, event_seq"))
    known = ", ".join(f"{r['id']} ({r['name']})" for r in rows) or "none"
    if wanted is None:
        if not rows:
            raise NotFound("the archive records no conference yet")
        if len(rows) > 1:
            raise Ambiguous(f"the archive holds {len(rows)} conferences; choose one with "
                            f"--conference ID (conferences: {known})")
        return rows[0]
    by_id = {r["id"]: r for r in rows}
    found = [by_id[i] for i in named(wanted, ((r["id"], r["name"]) for r in rows))]
    if not found:
        raise NotFound(f"no conference {wanted!r} in the archive (conferences: {known})")
    if len(found) > 1:
        ids = ", ".join(r["id"] for r in found)
        raise Ambiguous(f"{len(found)} conferences are named {wanted!r}; choose one with "
                        f"--conference ID ({ids})")
    return found[0]


def conference_id(db: sqlite3.Connection, wanted: str | None) -> str | None:
    """The id of the conference `wanted` names, or None for all of them (None asked)."""
    return None if wanted is None else conference(db, wanted)["id"]


__all__ = ["conference", "conference_id", "read_only", "transaction"]
