"""The remembered head: the highest point of the log this archive has seen, kept outside
the log (`exports/.head`), so that a log that loses or rewrites what it once held is
reported instead of silently rebuilt or appended to.

Every acknowledged append and every build moves it forward (never back). Every command
first checks that the log still holds that line, with that hash, where it was: deleting
the last lines, or rewriting the chain with recomputed hashes from any point before the
head, is then reported loudly. It cannot protect against someone who can also rewrite
this file (or delete `exports/`); for that, publish heads elsewhere (the briefing prints
one) and check them with `archive verify --head SEQ:HASH`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import HeadLost
from . import durable


@dataclass(frozen=True)
class Seen:
    """A line of the log as it was seen: its sequence, its hash, the byte it ends at."""

    seq: int
    hash: str
    offset: int


def remembered(path: Path) -> Seen | None:
    """The remembered head, or None (nothing seen yet, or the file unreadable)."""
    try:
        data = json.loads(path.read_bytes())
        return Seen(int(data["seq"]), str(data["hash"]), int(data["offset"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remember(path: Path, seen: Seen) -> None:
    """Move the remembered head forward to `seen` (never back). Best effort: a folder
    that cannot be written (a read-only copy) keeps what it had."""
    known = remembered(path)
    if known is not None and known.seq >= seen.seq:
        return
    try:
        reset(path, seen)
    except OSError:
        pass


def reset(path: Path, seen: Seen) -> None:
    """Make `seen` the remembered head, even if it is lower (a log replaced on purpose)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    durable.write_atomic(path, json.dumps(
        {"seq": seen.seq, "hash": seen.hash, "offset": seen.offset}).encode())


def lost(seen: Seen, what: str) -> HeadLost:
    return HeadLost(
        f"the log no longer holds event #{seen.seq} (hash {seen.hash[:16]}...) that "
        f"{what}: events were removed or rewritten since. Restore events/events.jsonl "
        "from a copy; if it was replaced on purpose, run `archive verify --reset-head`")


__all__ = ["Seen", "lost", "remember", "remembered", "reset"]
