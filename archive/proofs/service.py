"""Signed checkpoints and proofs of one archive: the I/O around `proofs.note`,
`proofs.documents` and the stored tree (`store.tree`).

- the private key lives outside the archive folder (by default under the user's config
  directory, one file per origin), mode 0600, and is refused if others can read it; the
  public key beside it (`.pub`) and, with the origin, in the log (`log.key`);
- `exports/checkpoint` is the latest checkpoint (a signed note), derived from the log and
  the key (Ed25519 is deterministic: the same log and key give the same bytes);
- a proof is made from the stored tree against the latest checkpoint, after checking that
  checkpoint against the recorded key and against the log's own tree.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from urllib.parse import quote

from ..core import merkle
from ..core.events import EventRetracted
from ..core.keys import LogKeyPublished
from ..errors import InvalidEvent, NotFound, ProofFailed, StorageError
from ..store import durable
from ..store.base import EventLog
from ..store.index import Index
from . import documents, note


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(Path.home(), ".config")
    return Path(base) / "conference-archive"


def default_key(origin: str) -> Path:
    """Where the private key of `origin` is kept unless `--key` says otherwise."""
    return config_dir() / "keys" / (quote(origin, safe="") + ".key")


def public_of(key: Path) -> Path:
    return key.with_name(key.name + ".pub")


# ---------------------------------------------------------------- keys


def read_public(path: Path) -> note.Verifier:
    """A public key file (`FILE.pub`: one line, ORIGIN+HASH+KEY)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFound(f"no public key at {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProofFailed(f"{path}: cannot read a public key ({exc})") from None
    try:
        return note.parse_vkey(text)
    except ProofFailed as exc:
        raise ProofFailed(f"{path}: {exc}") from None


def read_private(path: Path) -> note.Signer:
    """The private key at `path`: refused if missing or readable by anyone else."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise NotFound(f"no private key at {path}: run `archive key init` (or pass "
                       "--key FILE)") from None
    if info.st_mode & 0o077:
        raise ProofFailed(f"the private key {path} can be read by others (mode "
                          f"{stat.S_IMODE(info.st_mode):04o}); run `chmod 600 {path}`")
    try:
        return note.parse_skey(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ProofFailed(f"{path}: cannot read a private key ({exc})") from None
    except ProofFailed as exc:
        raise ProofFailed(f"{path}: {exc}") from None


def recorded_keys(log: EventLog) -> list[LogKeyPublished]:
    """The keys the log records, oldest first, but those retracted (revoked): what they
    signed is no longer taken as the archive's."""
    revoked = {e.data.target for e in log.of_type(EventRetracted.TYPE)
               if isinstance(e.data, EventRetracted)}
    return [e.data for e in log.of_type(LogKeyPublished.TYPE)
            if isinstance(e.data, LogKeyPublished) and e.id not in revoked]


def current_key(log: EventLog) -> LogKeyPublished:
    keys = recorded_keys(log)
    if not keys:
        raise NotFound("this archive records no signing key: run `archive key init "
                       "--origin NAME` first")
    return keys[-1]


def verifier_for(log: EventLog, message: str) -> note.Verifier:
    """The recorded key that signed a checkpoint (any recorded one: keys change)."""
    text, signatures = note.split_note(message)
    for key in reversed(recorded_keys(log)):
        verifier = note.parse_vkey(key.public_key)
        if any((s.name, s.key_hash) == (verifier.name, verifier.key_hash) for s in signatures):
            return verifier
    raise ProofFailed("the checkpoint is not signed by a key this archive records (or by "
                      "one it revoked)")


@dataclass(frozen=True)
class NewKey:
    origin: str
    private: Path
    public: Path
    vkey: str


def key_init(log: EventLog, origin: str, key: Path | None,
             record: Callable[[dict[str, str]], object]) -> NewKey:
    """Make a key pair for `origin`, keep it at `key` (0600) and `key.pub`, and record the
    public key in the log. Nothing is overwritten; on any failure nothing is left."""
    signer = note.generate(origin)
    private = Path(key) if key is not None else default_key(origin)
    public = public_of(private)
    root = log.root.resolve()
    where = private.resolve() if private.is_absolute() else (Path.cwd() / private).resolve()
    if where == root or root in where.parents:
        raise InvalidEvent(f"--key {private} is inside the archive folder {log.root}, which "
                           "is shared and published; keep the private key outside it")
    for path in (private, public):
        if path.exists():
            raise InvalidEvent(f"{path} already exists: a key is never overwritten (pass "
                               "--key FILE for a new one)")
    written: list[Path] = []
    try:
        private.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        durable.write_atomic(private, (signer.skey + "\n").encode(), mode=0o600)
        written.append(private)
        durable.write_atomic(public, (signer.verifier().vkey + "\n").encode())
        written.append(public)
        record({"origin": origin, "public_key": signer.verifier().vkey})
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        raise StorageError.of(exc) from None
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return NewKey(origin, private, public, signer.verifier().vkey)


# ---------------------------------------------------------------- checkpoints


def latest_path(log: EventLog) -> Path:
    return log.layout.exports / "checkpoint"


def make_checkpoint(log: EventLog, key: Path | None) -> str:
    """Sign the log's current tree with the archive's recorded key; keep it as the
    latest checkpoint and return it."""
    recorded = current_key(log)
    signer = read_private(Path(key) if key is not None else default_key(recorded.origin))
    if signer.verifier().vkey != recorded.public_key:
        raise ProofFailed(f"the private key {key or default_key(recorded.origin)} is not the "
                          f"key this archive records ({recorded.public_key}); run "
                          "`archive key init` to record a new one")
    with Index(log) as index:
        index.catch_up()
        size = index.head_seq()
        checkpoint = note.Checkpoint(recorded.origin, size, index.tree.root(size))
    signed = note.sign_checkpoint(checkpoint, signer)
    path = latest_path(log)
    path.parent.mkdir(parents=True, exist_ok=True)
    durable.write_atomic(path, signed.encode())
    return signed


def latest(log: EventLog) -> str:
    """The latest checkpoint, checked: signed by a recorded key and matching the log."""
    try:
        signed = latest_path(log).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFound("this archive has no checkpoint yet: run `archive checkpoint`") from None
    with Index(log) as index:
        index.catch_up()
        check_against_tree(index, signed, verifier_for(log, signed))
    return signed


_DAMAGED = ("the stored Merkle tree is damaged ({what}): delete exports/.log-index.sqlite "
            "and run the command again")


def check_against_tree(index: Index, signed: str, key: note.Verifier) -> note.Checkpoint:
    """The checkpoint, if signed by `key` and its root is the log's at its size."""
    checkpoint = note.open_checkpoint(signed, key)
    size = index.head_seq()
    if checkpoint.size > size:
        raise ProofFailed(f"the checkpoint signs {checkpoint.size} events but the log holds "
                          f"{size}: it is not this log's (or the log lost events)")
    if index.tree.root(checkpoint.size) != checkpoint.root:
        lines = (line for _, _, line in index.log.lines())
        if merkle.root_of_leaves(islice(lines, checkpoint.size)) == checkpoint.root:
            raise ProofFailed(_DAMAGED.format(what="its root does not match the log's"))
        raise ProofFailed(f"the checkpoint's root does not match the log's first "
                          f"{checkpoint.size} events: the log was rewritten since it was "
                          "signed, or the checkpoint is another log's")
    return checkpoint


# ---------------------------------------------------------------- proofs


def _located(index: Index, event_id: str) -> tuple[int, int]:
    row = index.db.execute("select seq, offset from ids where id = ?", (event_id,)).fetchone()
    if row is None:
        raise NotFound(f"no event with id {event_id!r}")
    return int(row[0]), int(row[1])


def prove(log: EventLog, event_id: str) -> bytes:
    """The inclusion proof document of one event against the latest checkpoint."""
    signed = latest(log)
    checkpoint = note.read_checkpoint(signed)
    with Index(log) as index:
        seq, offset = _located(index, event_id)
        if seq > checkpoint.size:
            raise NotFound(f"event {event_id} (#{seq}) came after the latest checkpoint "
                           f"({checkpoint.size} events): run `archive checkpoint` first")
        line = log.line_at(offset)
        path = index.tree.inclusion(seq - 1, checkpoint.size)
    _self_check(seq, line, path, checkpoint)
    return documents.inclusion_doc(event_id, seq, line, path, signed, checkpoint.size)


def _self_check(seq: int, line: bytes, path: list[bytes], checkpoint: note.Checkpoint) -> None:
    """A proof is checked before it is handed out: a damaged cache never makes one."""
    try:
        merkle.verify_inclusion(seq - 1, checkpoint.size, merkle.leaf_hash(line), path,
                                checkpoint.root)
    except ProofFailed:
        raise ProofFailed(_DAMAGED.format(
            what=f"its proof of event #{seq} does not lead to the checkpoint's root")) from None


def prove_many(log: EventLog, events: dict[str, int],
               signed: str) -> tuple[bytes, note.Checkpoint, int]:
    """One document proving several events (id -> seq) against checkpoint `signed`, and
    how many it proves (those the checkpoint covers)."""
    checkpoint = note.read_checkpoint(signed)
    out = []
    with Index(log) as index:
        for event_id, seq in events.items():
            if seq <= checkpoint.size:
                _, offset = _located(index, event_id)
                line = log.line_at(offset)
                path = index.tree.inclusion(seq - 1, checkpoint.size)
                _self_check(seq, line, path, checkpoint)
                out.append((event_id, seq, line, path))
    return documents.briefing_doc(signed, out), checkpoint, len(out)


def briefing_proofs(root: Path,
                    events: dict[str, int]) -> tuple[bytes, note.Checkpoint, int] | None:
    """The proofs a briefing of the archive at `root` carries for the events it cites,
    against its latest checkpoint; None if it has none (or no signing key)."""
    from ..store.open import open_log

    log = open_log(root)
    if not latest_path(log).exists() or not recorded_keys(log):
        return None
    return prove_many(log, events, latest(log))


def prove_between(log: EventLog, old: str) -> bytes:
    """The consistency proof from checkpoint `old` to the latest checkpoint; refused if
    the log no longer holds what `old` signed."""
    new = latest(log)
    key = verifier_for(log, old)
    with Index(log) as index:
        a = check_against_tree(index, old, key)
        b = note.read_checkpoint(new)
        if a.size > b.size:
            raise ProofFailed(f"the old checkpoint ({a.size} events) is newer than the "
                              f"latest ({b.size}): run `archive checkpoint`")
        if a.size == 0:
            raise ProofFailed("a checkpoint of the empty log needs no consistency proof")
        path = index.tree.consistency(a.size, b.size) if a.size < b.size else []
    return documents.consistency_doc(old, new, a.size, b.size, path)


__all__ = [
    "check_against_tree", "config_dir", "current_key", "default_key", "key_init", "latest",
    "make_checkpoint", "prove", "prove_between", "prove_many", "public_of", "read_private",
    "read_public", "recorded_keys", "verifier_for",
]
