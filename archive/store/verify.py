"""`verify`: check the whole log: every line's schema and hash, the sequence, the hash
chain, and the rules each event keeps with the lines before it (`archive.core.rules`: a
speech's session exists, a correction's target exists and its changes fit). Reports the
first problem with file and line."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..bulk import collector_paused
from ..core import catalogue, merkle, rules
from ..core.catalogue import MemoryCatalogue
from ..core.events import ZERO_HASH, references
from ..errors import HeadLost, InvalidEvent, LogCorrupt, NotFound, ProofFailed
from . import anchor
from .base import EventLog
from .layout import Layout

if TYPE_CHECKING:
    from ..proofs.note import Checkpoint


@dataclass(frozen=True)
class Report:
    """A log that verified: how many events, and the head it ends at."""

    events: int
    seq: int
    hash: str
    size: int
    #: the hashes of the lines asked for (`at=`), by sequence number
    found: dict[int, str] = field(default_factory=dict)
    #: the Merkle roots of the log's first N lines asked for (`roots_at=`), by N
    roots: dict[int, bytes] = field(default_factory=dict)


def verify(log: EventLog, progress: Callable[[int], None] | None = None,
           at: Collection[int] = (), roots_at: Collection[int] = ()) -> Report:
    """Raise LogCorrupt (file, line, what) at the first problem; else a Report (with
    the hashes of the lines numbered `at`, and the Merkle roots, computed from the lines
    themselves, of the first N lines for each N of `roots_at`)."""
    log.require()
    known = MemoryCatalogue(read=lambda pos: log.event_at(pos).data)  # no cycle: freed at once
    positions, check, learn = known.positions, rules.check, known.learn
    path = log.name
    seq, prev, start = 0, ZERO_HASH, 0
    found: dict[int, str] = {}
    roots: dict[int, bytes] = {}
    tree = merkle.Frontier() if roots_at else None

    def dependents(ids: set[str]) -> list[str]:
        before = (e for e in log if e.seq <= seq)
        return catalogue.dependents(((e.id, e.type, e.data) for e in before), known, ids)

    with collector_paused():
        for batch in log.batches():
            lineno = batch.lineno
            for event, end in zip(batch.events, batch.ends, strict=True):
                ident, data = event.id, event.data
                if ident in positions:
                    first = log.event_at(positions[ident]).seq
                    raise LogCorrupt(f"id {ident} appears twice (first at seq {first})",
                                     path=path, line=lineno)
                refs = references(data)  # once, for the rules and the catalogue
                try:
                    check(data, known, refs, dependents)
                except (InvalidEvent, NotFound) as exc:
                    raise LogCorrupt(f"{exc}, before this line", path=path,
                                     line=lineno) from None
                seq = event.seq
                learn(ident, seq, event.type, data, start, refs)
                if seq in at:
                    found[seq] = event.hash
                start = end
                lineno += 1
            prev = batch.events[-1].hash
            if tree is not None:
                first = batch.events[0].seq
                for n, line in enumerate(batch.lines, first):
                    tree.append(merkle.leaf_hash(line))
                    if n in roots_at:
                        roots[n] = tree.root()
            if progress is not None:
                progress(len(batch.events))
    return Report(events=seq, seq=seq, hash=prev, size=start, found=found, roots=roots)


def unsourced(log: EventLog) -> None:
    """`verify --strict`: raise LogCorrupt at the first live fact that cites no source."""
    from ..core.events import REGISTRY, SourceCited

    facts = {t for t, cls in REGISTRY.items() if cls.COMMAND and t != SourceCited.TYPE}
    retracted = {e.data.target for e in log.of_type("event.retracted")}  # type: ignore[attr-defined]
    for placed in log.read():
        event = placed.event
        if event.type in facts and event.source is None and event.id not in retracted:
            raise LogCorrupt(f"{event.type} {event.id} cites no source (--strict); "
                             f"`archive correct` cannot add one yet: retract and record it "
                             "again with --source", path=log.name, line=placed.lineno)


def _checkpoint(layout: Layout) -> tuple[str, Checkpoint] | None:
    """The archive's latest checkpoint (`exports/checkpoint`), if it has one."""
    from ..proofs.note import read_checkpoint

    try:
        text = (layout.exports / "checkpoint").read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProofFailed(f"{layout.exports / 'checkpoint'}: cannot be read ({exc})") from None
    try:
        return text, read_checkpoint(text)
    except ProofFailed as exc:
        raise ProofFailed(f"{layout.exports / 'checkpoint'}: {exc}") from None


def _check_checkpoint(log: EventLog, report: Report, text: str, said: Checkpoint) -> None:
    """The latest checkpoint is signed by a key the log records and its root is that of
    the log's own lines (re-hashed here, not read from the stored tree)."""
    from ..proofs.note import open_checkpoint
    from ..proofs.service import verifier_for

    where = "exports/checkpoint"
    try:
        open_checkpoint(text, verifier_for(log, text))
    except ProofFailed as exc:
        raise ProofFailed(f"{where}: {exc}") from None
    if said.size > report.seq:
        raise ProofFailed(f"{where} signs {said.size} events but the log holds {report.seq}: "
                          "events signed for were removed")
    empty = merkle.EMPTY_ROOT if said.size == 0 else None
    if report.roots.get(said.size, empty) != said.root:
        raise ProofFailed(f"{where}: the log's first {said.size} events do not have the root "
                          "the checkpoint signs: the log was rewritten after it was signed")


def verify_archive(layout: Layout, log: EventLog, progress: Callable[[int], None] | None = None,
                   *, heads: tuple[tuple[int, str], ...] = (), reset_head: bool = False,
                   strict: bool = False) -> Report:
    """Check the whole log, that it still holds the head this archive has seen
    (`store.anchor`) and each of `heads` (sequence, hash or a prefix of it published
    elsewhere); `strict` also fails on a fact that cites no source. `reset_head`
    accepts a log replaced on purpose: its head becomes the remembered one, and the
    database is removed so that the next build is full."""
    seen = None if reset_head else anchor.remembered(layout.head)
    wanted = {seq for seq, _ in heads} | ({seen.seq} if seen else set())
    signed = _checkpoint(layout)
    report = verify(log, progress, at=wanted,
                    roots_at={signed[1].size} if signed is not None else ())
    if signed is not None:
        _check_checkpoint(log, report, *signed)
    for seq, hash_ in heads:
        if not report.found.get(seq, "").startswith(hash_):
            held = (f"its event #{seq} has hash {report.found[seq]}"
                    if seq in report.found else f"it ends at event #{report.seq}")
            raise HeadLost(f"--head {seq}:{hash_}: the log does not hold that head "
                           f"({held}): it was changed since that head was published")
    if seen is not None and report.found.get(seen.seq) != seen.hash:
        raise anchor.lost(seen, "this archive has seen")
    if strict:
        unsourced(log)
    head = anchor.Seen(report.seq, report.hash, report.size)
    if reset_head:
        anchor.reset(layout.head, head)
        layout.database.unlink(missing_ok=True)
    else:
        anchor.remember(layout.head, head)
    return report
