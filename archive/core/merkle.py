"""The log as a Merkle tree, in the shapes of RFC 9162 (Certificate Transparency 2.0),
so that one event can be proved to be in the record, and one state of the record to
extend another, with a few hashes instead of the whole log.

    leaf   = SHA-256(0x00 || the line's canonical bytes)      (leaf index = seq - 1)
    node   = SHA-256(0x01 || left || right)

The tree over n leaves splits at the largest power of two below n (RFC 9162 2.1.1). Its
*complete* subtrees are addressed as (level, index): the node at level k, index i covers
leaves [i * 2^k, (i + 1) * 2^k). Those never change once made; every other hash (a root,
a proof's right edge) is computed from at most log2(n) of them. `Frontier` is what an
append needs: the roots of the complete subtrees the tree's size decomposes into (one
per set bit), O(log n) per leaf.

Pure: hashing and arithmetic only. Where the complete nodes are kept is the caller's
(`store.tree`); it passes a `Nodes` lookup."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from itertools import islice

from ..errors import ProofFailed

#: The root of the empty tree: SHA-256 of nothing (RFC 9162 2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()
HASH_SIZE = 32

#: The hash of the complete subtree at (level, index).
Nodes = Callable[[int, int], bytes]


#: A proof that does not prove what it claims (with what does not match).
ProofError = ProofFailed


def leaf_hash(line: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + line).digest()


def leaf_hashes(lines: Iterable[bytes]) -> list[bytes]:
    """`leaf_hash` of each line, in one loop."""
    sha = hashlib.sha256
    return [sha(b"\x00" + line).digest() for line in lines]


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _parents(nodes: list[bytes]) -> list[bytes]:
    """`node_hash` of each pair of neighbours (a last one without a pair is left out),
    in one loop: the level above."""
    sha, pairs = hashlib.sha256, iter(nodes)
    return [sha(b"\x01" + a + b).digest() for a, b in zip(pairs, pairs, strict=False)]


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


# ---------------------------------------------------------------- building


class Frontier:
    """The right edge of a growing tree: the roots of its complete subtrees, largest
    first. `append` returns the complete nodes a leaf makes, to be kept."""

    __slots__ = ("size", "hashes")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()):
        if len(hashes) != size.bit_count():
            raise ValueError(f"a tree of {size} leaves has {size.bit_count()} frontier "
                             f"hashes, not {len(hashes)}")
        self.size = size
        self.hashes = list(hashes)

    @classmethod
    def load(cls, size: int, nodes: Nodes) -> Frontier:
        """The frontier of the tree of `size` leaves from its kept complete nodes."""
        return cls(size, [nodes(level, index) for level, index in frontier_nodes(size)])

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; returns the complete nodes made: (level, index, hash)."""
        made = [(0, self.size, leaf)]
        h, level, index = leaf, 0, self.size
        while index & 1:
            h = node_hash(self.hashes.pop(), h)
            level, index = level + 1, index >> 1
            made.append((level, index, h))
        self.hashes.append(h)
        self.size += 1
        return made

    def extend(self, leaves: list[bytes]) -> list[tuple[int, list[bytes]]]:
        """Add many leaf hashes at once, a level at a time (the same tree as `append`
        per leaf, in one tight loop per level). Returns, per level from 0 up, the new
        complete nodes there: (index of the first, their hashes)."""
        old = dict(zip((lv for lv, _ in frontier_nodes(self.size)), self.hashes, strict=True))
        made: list[tuple[int, list[bytes]]] = []
        nodes, first, level = leaves, self.size, 0
        while nodes:
            made.append((first, nodes))
            if first & 1:  # the first new node's left sibling is the old frontier's
                nodes, first = [old[level], *nodes], first - 1
            nodes, first, level = _parents(nodes), first >> 1, level + 1
        self.size += len(leaves)
        self.hashes = [made[lv][1][i - made[lv][0]]
                       if lv < len(made) and i >= made[lv][0] else old[lv]
                       for lv, i in frontier_nodes(self.size)]
        return made

    def root(self) -> bytes:
        """The tree's root (RFC 9162's MTH), from the frontier alone."""
        if not self.hashes:
            return EMPTY_ROOT
        h = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            h = node_hash(left, h)
        return h


def frontier_nodes(size: int) -> list[tuple[int, int]]:
    """(level, index) of the complete subtrees a tree of `size` leaves decomposes into,
    largest (leftmost) first."""
    out, start = [], 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            out.append((level, start >> level))
            start += 1 << level
    return out


def root_of(leaves: Iterable[bytes]) -> bytes:
    """The root over these leaf hashes (a reference: the whole tree in memory)."""
    frontier = Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    return frontier.root()


def root_of_leaves(lines: Iterable[bytes], batch: int = 1 << 16) -> bytes:
    """The root over these lines (hashed as leaves), a batch at a time: a re-hash."""
    frontier, it = Frontier(), iter(lines)
    while chunk := list(islice(it, batch)):
        frontier.extend(leaf_hashes(chunk))
    return frontier.root()


def root_of_complete(leaves: list[bytes]) -> bytes:
    """The root over a power-of-two number of leaf hashes, a level at a time."""
    while len(leaves) > 1:
        leaves = _parents(leaves)
    return leaves[0]


# ---------------------------------------------------------------- proving


def subtree_hash(start: int, end: int, nodes: Nodes) -> bytes:
    """MTH of leaves [start, end), from complete nodes (start is a multiple of the
    largest power of two not above end - start, as every subtree of a proof is)."""
    n = end - start
    if n & (n - 1) == 0:
        level = n.bit_length() - 1
        return nodes(level, start >> level)
    k = _split(n)
    return node_hash(subtree_hash(start, start + k, nodes), subtree_hash(start + k, end, nodes))


def root_at(size: int, nodes: Nodes) -> bytes:
    """The root of the tree's first `size` leaves (an older tree), from complete nodes."""
    return subtree_hash(0, size, nodes) if size else EMPTY_ROOT


def inclusion_proof(index: int, size: int, nodes: Nodes) -> list[bytes]:
    """RFC 9162 2.1.3.1: the audit path of leaf `index` in the tree of `size` leaves,
    the leaf's sibling first."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size} leaves")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index - start < k:
            path.append(subtree_hash(start + k, end, nodes))
            end = start + k
        else:
            path.append(subtree_hash(start, start + k, nodes))
            start += k
    path.reverse()
    return path


def consistency_proof(old: int, new: int, nodes: Nodes) -> list[bytes]:
    """RFC 9162 2.1.4.1: the proof that the tree of `new` leaves extends the tree of
    `old` leaves (0 < old <= new)."""
    if not 0 < old <= new:
        raise ProofError(f"no consistency proof from a tree of {old} leaves to one of {new}")
    path: list[bytes] = []
    start, end, complete = 0, new, True
    m = old
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            path.append(subtree_hash(start + k, end, nodes))
            end = start + k
        else:
            path.append(subtree_hash(start, start + k, nodes))
            start, m, complete = start + k, m - k, False
    if not complete:
        path.append(subtree_hash(start, end, nodes))
    path.reverse()
    return path


# ---------------------------------------------------------------- checking


def _hashes(proof: Sequence[bytes]) -> None:
    for i, h in enumerate(proof):
        if len(h) != HASH_SIZE:
            raise ProofError(f"hash {i + 1} of the proof is {len(h)} bytes, not {HASH_SIZE}")


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 2.1.3.2: the root an inclusion proof leads to (ProofError if the proof
    has the wrong shape for that leaf and tree size)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size} leaves")
    _hashes([leaf, *proof])
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError(f"the proof has more hashes than a leaf of a tree of {size} needs")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError(f"the proof has fewer hashes than a leaf of a tree of {size} needs")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes],
                     root: bytes) -> None:
    """Raise ProofError unless `proof` shows leaf hash `leaf` at `index` in the tree of
    `size` leaves whose root is `root`."""
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise ProofError(f"the inclusion proof of leaf {index} does not lead to the root of "
                         f"the tree of {size} leaves")


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> None:
    """RFC 9162 2.1.4.2: raise ProofError unless `proof` shows that the tree of `new`
    leaves with root `new_root` extends the tree of `old` leaves with root `old_root`."""
    _hashes([old_root, new_root, *proof])
    if old < 0:
        raise ProofError(f"a tree cannot have {old} leaves")
    if new < old:
        raise ProofError(f"a tree of {new} leaves cannot extend one of {old}")
    if old == 0:
        raise ProofError("a consistency proof from the empty tree proves nothing")
    if old == new:
        if proof:
            raise ProofError("two trees of the same size need an empty consistency proof")
        if old_root != new_root:
            raise ProofError(f"two trees of {old} leaves have different roots")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    path = list(proof)
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof has more hashes than it needs")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency proof has fewer hashes than it needs")
    if fr != old_root:
        raise ProofError(f"the consistency proof does not lead to the old root (of {old} leaves)")
    if sr != new_root:
        raise ProofError(f"the consistency proof does not lead to the new root (of {new} leaves)")


__all__ = [
    "EMPTY_ROOT", "Frontier", "Nodes", "ProofError", "consistency_proof", "frontier_nodes",
    "inclusion_proof", "leaf_hash", "leaf_hashes", "node_hash", "root_at",
    "root_from_inclusion", "root_of", "root_of_complete", "root_of_leaves", "subtree_hash",
    "verify_consistency", "verify_inclusion",
]
