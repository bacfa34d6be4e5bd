"""The Merkle tree of the log (`core.merkle`), kept beside the log index in its SQLite
sidecar: every complete node once, as (level, index, hash), written in the same
transaction that moves the index's head, so the tree always covers exactly the lines the
index has read. A leaf costs one hash and, on average, two rows; a root, a checkpoint or a
proof at any size reads at most 2 log2(n) rows, never the log.

Like the index it is a cache: it is rebuilt from the log whenever the index is (and
`verify_tree` rebuilds it in memory to check it against the log). It works unchanged
over every store, since it keeps only the lines' hashes."""

from __future__ import annotations

import sqlite3

from ..core import merkle
from ..errors import ArchiveError

SCHEMA = """
create table if not exists tree (
    level integer not null, idx integer not null, hash blob not null,
    primary key (level, idx)) without rowid;
"""


class Tree:
    """The stored tree in an index's connection. `grow` adds lines (kept until `flush`,
    called inside the caller's transaction)."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self._frontier: merkle.Frontier | None = None
        self._rows: list[tuple[int, int, bytes]] = []

    def node(self, level: int, index: int) -> bytes:
        found = self.db.execute("select hash from tree where level = ? and idx = ?",
                                (level, index)).fetchone()
        if found is None:
            raise ArchiveError(f"the log index holds no tree node ({level}, {index}): "
                               "delete exports/.log-index.sqlite and run the command again")
        return bytes(found[0])

    def start(self, size: int) -> None:
        """Begin growing the tree from its first `size` leaves."""
        self._frontier = merkle.Frontier.load(size, self.node)
        self._rows = []

    def grow(self, line: bytes) -> None:
        assert self._frontier is not None, "Tree.start first"
        self._rows += self._frontier.append(merkle.leaf_hash(line))

    def flush(self) -> None:
        self.db.executemany("insert or replace into tree values (?,?,?)", self._rows)
        self._rows = []

    def discard(self) -> None:
        self._frontier, self._rows = None, []

    # ------------------------------------------------------------ reading

    def root(self, size: int) -> bytes:
        return merkle.root_at(size, self.node)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return merkle.inclusion_proof(index, size, self.node)

    def consistency(self, old: int, new: int) -> list[bytes]:
        return merkle.consistency_proof(old, new, self.node)


__all__ = ["SCHEMA", "Tree"]
