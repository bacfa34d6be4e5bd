"""Bring another archive's events in (`archive pull`), so that two archives of one series
become one: the events are imported as they are (an event already here is skipped), and
each person, organisation or country of the other archive that this one already records
under the same name is merged into it by an `entities.merged` event appended with them,
so that seven shared countries are seven entities, not fourteen.

    read_other(path)          -> the other archive's events, as import lines
    plan(index, lines, match) -> the merges to record, and the near matches left alone

`match` says how names are matched: "auto" merges records whose names are the same (by
the archive's matching key: case, spacing, Unicode forms) and reports near matches;
"ask" asks about each same or near match (`ask`); "never" merges nothing. A second pull
of the same archive writes nothing: its events are here, its entities known.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from ..core import catalogue as cat
from ..core.catalogue import View
from ..core.codec import parse_import_line, parse_line
from ..core.events import MENTIONS, ZERO_HASH
from ..errors import Conflict, InvalidEvent, NotFound
from ..exchange import import_line
from ..store.open import open_log
from .limits import Limits

#: (field, name, matches as (id, name)) -> the id chosen, or None
Ask = Callable[[str, str, list[tuple[str, str]]], "str | None"]
MATCH_MODES = ("auto", "ask", "never")


@dataclass(frozen=True)
class Merge:
    kept: str
    merged: str
    name: str

    def line(self, origin: str) -> bytes:
        return msgspec.json.encode({"type": "entities.merged", "data": {
            "kept": self.kept, "merged": self.merged,
            "reason": f"the same name in {origin}, pulled in"}})


@dataclass
class Plan:
    merges: list[Merge] = field(default_factory=list)
    #: pulled records left separate though their names are close to one here
    near: list[tuple[str, str, list[tuple[str, str]]]] = field(default_factory=list)


def read_other(path: Path) -> Iterator[bytes]:
    """The events of another archive (a folder) or of a file (a log, checked line by line
    and along its chain; or an export in the import format), as import lines."""
    path = Path(path)
    if path.is_dir():
        log = open_log(path)
        if not log.exists():
            raise NotFound(f"{path} is not an archive (it has no events/events.jsonl)")
        for placed in log.read():  # every line's hash and the chain
            yield import_line(placed.line)
        return
    try:
        f = open(path, "rb")
    except OSError as exc:
        raise NotFound(f"cannot read {path}: {exc.strerror}") from None
    with f:
        prev, seq = ZERO_HASH, 0
        for lineno, raw in enumerate(Limits.from_env().lines(f), 1):
            line = raw.rstrip(b"\r\n")
            if not line.strip():
                continue
            if b'"hash":' not in line:  # an export: import lines already
                yield line
                continue
            try:
                event = parse_line(line)
            except InvalidEvent as exc:
                raise InvalidEvent(f"{os.fspath(path)} line {lineno}: {exc}") from None
            if event.seq != seq + 1 or event.prev != prev:
                raise InvalidEvent(f"{os.fspath(path)} line {lineno}: the chain is broken "
                                   "(a line was removed, moved or changed)")
            prev, seq = event.hash, event.seq
            yield import_line(line)


def plan(index: View, lines: list[bytes], match: str, ask: Ask | None) -> Plan:
    """The merges that make the pulled records of known names one with this archive's."""
    out = Plan()
    seen: set[str] = set()
    for line in lines:
        parsed = parse_import_line(line)
        data = parsed.data
        if not isinstance(data, MENTIONS) or data.entity in seen:
            continue
        seen.add(data.entity)
        here = index.entity(data.entity)
        if here is not None:  # the same id: it must be the same record
            if here.kind != data.kind or cat.name_key(here.name) != cat.name_key(data.name):
                raise Conflict(
                    f"entity id {data.entity} is {here.kind} {here.name!r} here and "
                    f"{data.kind} {data.name!r} in the archive pulled in; nothing was "
                    "pulled")
            continue
        if match == "never":
            continue
        same = cat.find(index, [data.kind], data.name)
        close = cat.near(index, data.kind, data.name)
        if match == "ask" and ask is not None and (same or close):
            kept = index.entity(same) if same else None
            options = ([(same, kept.name)] if same and kept else []) + [
                c for c in close if c[0] != same]
            chosen = ask(data.kind, data.name, options)
            if chosen is not None:
                out.merges.append(Merge(chosen, data.entity, data.name))
        elif same is not None:
            out.merges.append(Merge(same, data.entity, data.name))
        elif close:
            out.near.append((data.entity, data.name, close))
    return out
