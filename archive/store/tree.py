"""The Merkle tree of the log (`core.merkle`), kept beside the log index in its SQLite
sidecar and written in the same transaction that moves the index's head, so the tree
always covers exactly the lines the index has read.

Two tables: `tree_leaves` holds the leaf hashes packed 32 to a row (a chunk, the last one
partial), and `tree` the complete nodes from level 5 up (a subtree of 32 leaves and
larger), as (level, index, hash). A node below level 5 is hashed on demand from its
chunk's leaves (at most 31 hashes), so a root, a checkpoint or a proof at any size reads
at most 2 log2(n) rows and a few chunks, never the log; and a batch of lines costs one
hash per leaf and per node, computed a level at a time, and one row per 16 leaves.

Like the index it is a cache: it is rebuilt from the log whenever the index is (and
`archive verify` re-hashes the log to check a checkpoint). It works unchanged over every
store, since it keeps only the lines' hashes."""

from __future__ import annotations

import sqlite3

from ..core import merkle
from ..errors import ArchiveError

#: Nodes from this level up are stored; below it they are hashed from a chunk of leaves.
LOW = 5
CHUNK = 1 << LOW
_H = merkle.HASH_SIZE

SCHEMA = """
create table if not exists tree (
    level integer not null, idx integer not null, hash blob not null,
    primary key (level, idx)) without rowid;
create table if not exists tree_leaves (chunk integer primary key, hashes blob not null);
"""
TABLES = ("tree", "tree_leaves")


class Tree:
    """The stored tree in an index's connection. `start`, then `grow` by lines, then
    `flush` (inside the caller's transaction) writes what they added."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self._frontier: merkle.Frontier | None = None
        self._pending: list[bytes] = []
        self._chunk: tuple[int, list[bytes]] | None = None  # the last full chunk read

    def node(self, level: int, index: int) -> bytes:
        """The hash of the complete subtree at (level, index)."""
        if level >= LOW:
            found = self.db.execute("select hash from tree where level = ? and idx = ?",
                                    (level, index)).fetchone()
            if found is None:
                raise self._missing(level, index)
            return bytes(found[0])
        first = index << level
        leaves = self._leaves(first >> LOW)
        start = first & (CHUNK - 1)
        part = leaves[start:start + (1 << level)]
        if len(part) != 1 << level:
            raise self._missing(level, index)
        return part[0] if level == 0 else merkle.root_of_complete(part)

    def _leaves(self, chunk: int) -> list[bytes]:
        if self._chunk is None or self._chunk[0] != chunk:
            found = self.db.execute("select hashes from tree_leaves where chunk = ?",
                                    (chunk,)).fetchone()
            blob = bytes(found[0]) if found else b""
            leaves = [blob[i:i + _H] for i in range(0, len(blob), _H)]
            if len(leaves) < CHUNK:  # the last chunk still grows: never kept
                return leaves
            self._chunk = (chunk, leaves)
        return self._chunk[1]

    @staticmethod
    def _missing(level: int, index: int) -> ArchiveError:
        return ArchiveError(f"the log index holds no tree node ({level}, {index}): "
                            "delete exports/.log-index.sqlite and run the command again")

    # ------------------------------------------------------------ growing

    def start(self, size: int) -> None:
        """Begin growing the tree from its first `size` leaves."""
        self._chunk = None
        self._frontier = merkle.Frontier.load(size, self.node)
        self._pending = []

    def grow(self, line: bytes) -> None:
        self._pending.append(line)

    def flush(self) -> None:
        """Hash the lines grown since the last flush and write their leaves and nodes."""
        if not self._pending:
            return
        assert self._frontier is not None, "Tree.start first"
        first = self._frontier.size
        leaves = merkle.leaf_hashes(self._pending)
        made = self._frontier.extend(leaves)
        self._pending = []
        self.db.executemany("insert or replace into tree values (?,?,?)", [
            (level, start + i, h) for level, (start, hashes) in enumerate(made) if level >= LOW
            for i, h in enumerate(hashes)])
        chunk = first >> LOW
        packed = b"".join(self._leaves(chunk)[:first & (CHUNK - 1)] + leaves)
        step = CHUNK * _H
        self.db.executemany("insert or replace into tree_leaves values (?,?)", [
            (chunk + i // step, packed[i:i + step]) for i in range(0, len(packed), step)])
        self._chunk = None

    def discard(self) -> None:
        self._frontier, self._pending, self._chunk = None, [], None

    # ------------------------------------------------------------ reading

    def root(self, size: int) -> bytes:
        return merkle.root_at(size, self.node)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return merkle.inclusion_proof(index, size, self.node)

    def consistency(self, old: int, new: int) -> list[bytes]:
        return merkle.consistency_proof(old, new, self.node)


__all__ = ["CHUNK", "LOW", "SCHEMA", "TABLES", "Tree"]
