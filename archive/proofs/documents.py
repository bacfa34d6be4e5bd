"""Proofs as files a reader keeps and checks with nothing else at hand: JSON documents
holding the signed checkpoint they are proved against, hashes in hex, and (for an
inclusion proof) the event's exact line.

    inclusion    {"format", "event_id", "seq", "line", "leaf_index", "tree_size",
                  "inclusion": [hex...], "checkpoint": "<signed note>"}
    consistency  {"format", "old_size", "new_size", "consistency": [hex...],
                  "old": "<signed note>", "new": "<signed note>"}
    a briefing's {"format", "checkpoint", "proofs": [{"event_id", "seq", "line",
                  "leaf_index", "inclusion"}...]}

Checking one needs the archive's public key (`--pubkey FILE.pub`) and nothing else: the
line's own hash, its leaf hash, the path up to the root, the root against the checkpoint,
the checkpoint's signature and origin against the key. Pure (no files)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import msgspec

from ..core import merkle
from ..core.codec import parse_line
from ..core.events import Event
from ..errors import InvalidEvent, ProofFailed
from . import note

INCLUSION = "conference-archive inclusion proof 1"
CONSISTENCY = "conference-archive consistency proof 1"
BRIEFING = "conference-archive briefing proofs 1"
#: The name of the proofs a briefing PDF carries beside its log.
PDF_NAME = "proofs.json"
#: A proof document longer than this is refused before it is parsed.
MAX_DOCUMENT = 64 << 20

T = TypeVar("T", bound=msgspec.Struct)


class _Inclusion(msgspec.Struct, forbid_unknown_fields=True):
    event_id: str
    seq: int
    line: str
    leaf_index: int
    inclusion: list[str]


class InclusionDoc(_Inclusion, forbid_unknown_fields=True):
    format: str
    tree_size: int
    checkpoint: str


class ConsistencyDoc(msgspec.Struct, forbid_unknown_fields=True):
    format: str
    old_size: int
    new_size: int
    consistency: list[str]
    old: str
    new: str


class BriefingDoc(msgspec.Struct, forbid_unknown_fields=True):
    format: str
    checkpoint: str
    proofs: list[_Inclusion]


_encoder = msgspec.json.Encoder(order="deterministic")


def _json(doc: msgspec.Struct) -> bytes:
    return msgspec.json.format(_encoder.encode(doc), indent=2) + b"\n"


def _hexes(hashes: list[bytes]) -> list[str]:
    return [h.hex() for h in hashes]


def _unhex(values: list[str], what: str) -> list[bytes]:
    out = []
    for i, value in enumerate(values, 1):
        if len(value) != 64 or value.strip("0123456789abcdef"):
            raise ProofFailed(f"hash {i} of the {what} is not 64 lowercase hex digits")
        out.append(bytes.fromhex(value))
    return out


def _decode(data: bytes, cls: type[T], fmt: str, what: str) -> T:
    if len(data) > MAX_DOCUMENT:
        raise ProofFailed(f"the {what} is longer than {MAX_DOCUMENT >> 20} MiB")
    try:
        doc = msgspec.json.decode(data, type=cls)
    except msgspec.ValidationError as exc:
        raise ProofFailed(f"the {what} is not one: {exc}") from None
    except msgspec.DecodeError:
        raise ProofFailed(f"the {what} is not JSON") from None
    said = getattr(doc, "format", "")
    if said != fmt:
        raise ProofFailed(f"the {what} says it is {said[:60]!r}, not {fmt!r}")
    return doc


# ---------------------------------------------------------------- making


def inclusion_doc(event_id: str, seq: int, line: bytes, proof: list[bytes],
                  checkpoint: str, tree_size: int) -> bytes:
    return _json(InclusionDoc(
        format=INCLUSION, event_id=event_id, seq=seq, line=line.decode(),
        leaf_index=seq - 1, tree_size=tree_size, inclusion=_hexes(proof),
        checkpoint=checkpoint))


def consistency_doc(old: str, new: str, old_size: int, new_size: int,
                    proof: list[bytes]) -> bytes:
    return _json(ConsistencyDoc(format=CONSISTENCY, old_size=old_size, new_size=new_size,
                                consistency=_hexes(proof), old=old, new=new))


def briefing_doc(checkpoint: str, proofs: list[tuple[str, int, bytes, list[bytes]]]) -> bytes:
    """Every cited event's inclusion proof against one checkpoint: (id, seq, line, path)."""
    return _json(BriefingDoc(format=BRIEFING, checkpoint=checkpoint, proofs=[
        _Inclusion(event_id=i, seq=s, line=line.decode(), leaf_index=s - 1,
                   inclusion=_hexes(path)) for i, s, line, path in proofs]))


# ---------------------------------------------------------------- checking


@dataclass(frozen=True)
class Proved:
    """What a checked inclusion proof shows: this event is leaf `leaf_index` of the tree
    the checkpoint signs."""

    event: Event
    leaf_index: int
    checkpoint: note.Checkpoint


def _event_of(line: str, event_id: str, seq: int, leaf_index: int) -> tuple[bytes, Event]:
    raw = line.encode()
    try:
        event = parse_line(raw)
    except InvalidEvent as exc:
        raise ProofFailed(f"the proved line is not an event of the log: {exc}") from None
    if (event.id, event.seq) != (event_id, seq):
        raise ProofFailed(f"the proved line is event {event.id} (#{event.seq}), not "
                          f"{event_id} (#{seq})")
    if leaf_index != seq - 1:
        raise ProofFailed(f"event #{seq} is leaf {seq - 1} of the log, not leaf {leaf_index}")
    return raw, event


def _include(item: _Inclusion, checkpoint: note.Checkpoint) -> Proved:
    raw, event = _event_of(item.line, item.event_id, item.seq, item.leaf_index)
    path = _unhex(item.inclusion, f"inclusion proof of {item.event_id}")
    try:
        merkle.verify_inclusion(item.leaf_index, checkpoint.size, merkle.leaf_hash(raw), path,
                                checkpoint.root)
    except ProofFailed as exc:
        raise ProofFailed(f"event {item.event_id}: {exc} ({checkpoint.label}): the event "
                          "is not in the record the checkpoint signs, or the proof was "
                          "altered") from None
    return Proved(event, item.leaf_index, checkpoint)


def check_inclusion(data: bytes, key: note.Verifier) -> Proved:
    """Check an inclusion proof document against the archive's public key."""
    doc = _decode(data, InclusionDoc, INCLUSION, "inclusion proof")
    checkpoint = note.open_checkpoint(doc.checkpoint, key)
    if doc.tree_size != checkpoint.size:
        raise ProofFailed(f"the proof is for a tree of {doc.tree_size} events, but its "
                          f"checkpoint signs one of {checkpoint.size}")
    return _include(doc, checkpoint)


def check_briefing(data: bytes,
                   key: note.Verifier) -> tuple[note.Checkpoint, list[Proved]]:
    """Check every proof a briefing carries against its one checkpoint."""
    doc = _decode(data, BriefingDoc, BRIEFING, "briefing's proofs")
    checkpoint = note.open_checkpoint(doc.checkpoint, key)
    return checkpoint, [_include(item, checkpoint) for item in doc.proofs]


def read_consistency(data: bytes) -> ConsistencyDoc:
    return _decode(data, ConsistencyDoc, CONSISTENCY, "consistency proof")


def check_consistency(old: str, new: str, key: note.Verifier,
                      proof: list[bytes]) -> tuple[note.Checkpoint, note.Checkpoint]:
    """Check that checkpoint `new` extends checkpoint `old`, both signed by `key`."""
    a = note.open_checkpoint(old, key)
    b = note.open_checkpoint(new, key)
    try:
        merkle.verify_consistency(a.size, b.size, a.root, b.root, proof)
    except ProofFailed as exc:
        raise ProofFailed(f"the checkpoint at {b.size} does not extend the one at {a.size}: "
                          f"{exc} (a history rewritten in between, or a wrong proof)") from None
    return a, b


def check_consistency_doc(data: bytes, key: note.Verifier, old: str | None = None,
                          new: str | None = None) -> tuple[note.Checkpoint, note.Checkpoint]:
    """Check a consistency proof document; `old` and `new`, when given, must be the
    checkpoints it holds (same sizes and roots)."""
    doc = read_consistency(data)
    for mine, theirs, which in ((old, doc.old, "old"), (new, doc.new, "new")):
        if mine is not None and note.read_checkpoint(mine) != note.read_checkpoint(theirs):
            raise ProofFailed(f"the proof is for another {which} checkpoint "
                              f"({note.read_checkpoint(theirs).label})")
    a, b = check_consistency(doc.old, doc.new, key,
                             _unhex(doc.consistency, "consistency proof"))
    if (doc.old_size, doc.new_size) != (a.size, b.size):
        raise ProofFailed(f"the proof says sizes {doc.old_size} and {doc.new_size}, its "
                          f"checkpoints {a.size} and {b.size}")
    return a, b


__all__ = [
    "BRIEFING", "CONSISTENCY", "INCLUSION", "Proved", "briefing_doc", "check_briefing",
    "check_consistency", "check_consistency_doc", "check_inclusion", "consistency_doc",
    "inclusion_doc", "read_consistency",
]
