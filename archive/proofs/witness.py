"""Witnessing another archive: keep the last checkpoint it showed us, and accept a new one
only if it extends that one (a consistency proof). Two readers shown different histories
(a split view), or a history rewritten after it was signed, are caught this way: a
witness that saw the old tree refuses the new one.

The witness's memory is kept in its own archive folder, `witness/<origin>.checkpoint`
and `witness/<origin>.pub` (the key it first trusted for that origin): it is not derived
from anything and must not be deleted with `exports/`.

A checkpoint comes from another archive folder (whose tree gives the proof), a file (with
`--proof FILE` from `archive prove --between`), or a URL whose neighbour
`proof/consistency?first=N&second=M` gives the proof, as RFC 6962's `get-sth-consistency`
does: `archive serve` answers `/-/checkpoint` and `/-/proof/consistency` (with `--proof
FILE`, any URL of a checkpoint)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urljoin

from ..errors import InvalidEvent, NotFound, ProofFailed
from ..store import durable
from . import documents, note

#: A fetched checkpoint or proof longer than this is refused.
MAX_FETCH = 1 << 20

ProofSource = Callable[[str, str], list[bytes]]  # (old note, new note) -> consistency hashes


@dataclass(frozen=True)
class Witnessed:
    checkpoint: note.Checkpoint
    previous: note.Checkpoint | None
    first_sight: bool


def _state(root: Path, origin: str) -> tuple[Path, Path]:
    base = root / "witness" / quote(origin, safe="")
    return base.with_name(base.name + ".checkpoint"), base.with_name(base.name + ".pub")


def fetch(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (http(s) only)
            data: bytes = response.read(MAX_FETCH + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise NotFound(f"{url}: could not be fetched ({exc})") from None
    if len(data) > MAX_FETCH:
        raise ProofFailed(f"{url}: longer than {MAX_FETCH} bytes")
    return data


def _text(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ProofFailed(f"{where} is not UTF-8 text") from None


def _url_proofs(url: str) -> ProofSource:
    def get(old: str, new: str) -> list[bytes]:
        a, b = note.read_checkpoint(old), note.read_checkpoint(new)
        where = urljoin(url, f"proof/consistency?first={a.size}&second={b.size}")
        try:
            hashes = json.loads(fetch(where))["consistency"]
            return [bytes.fromhex(h) for h in hashes if isinstance(h, str)]
        except (ValueError, KeyError, TypeError):
            raise ProofFailed(f"{where} is not a consistency proof") from None
    return get


def _doc_proofs(path: Path) -> ProofSource:
    def get(old: str, new: str) -> list[bytes]:
        doc = documents.read_consistency(path.read_bytes())
        for mine, theirs, which in ((old, doc.old, "old"), (new, doc.new, "new")):
            if note.read_checkpoint(mine) != note.read_checkpoint(theirs):
                raise ProofFailed(f"--proof {path} proves another {which} checkpoint "
                                  f"({note.read_checkpoint(theirs).label})")
        return documents._unhex(doc.consistency, f"consistency proof {path}")
    return get


def _archive_proofs(folder: Path) -> ProofSource:
    from ..app import Archive

    def get(old: str, new: str) -> list[bytes]:
        doc = documents.read_consistency(Archive(folder).prove_between(old))
        if note.read_checkpoint(doc.new) != note.read_checkpoint(new):
            raise ProofFailed(f"{folder} signed a new checkpoint meanwhile; witness again")
        return [bytes.fromhex(h) for h in doc.consistency]
    return get


def read_source(source: str, proof: Path | None) -> tuple[str, ProofSource | None]:
    """The checkpoint at `source` and where its consistency proofs come from."""
    if source.startswith(("http://", "https://")):
        return _text(fetch(source), source), (_doc_proofs(proof) if proof else _url_proofs(source))
    path = Path(source)
    if path.is_dir():
        from ..app import Archive
        from .service import latest

        other = Archive(path).require()
        return latest(other.log), (_doc_proofs(proof) if proof else _archive_proofs(path))
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"no checkpoint at {source} (a file, an archive folder or a URL)") \
            from None
    return _text(data, source), (_doc_proofs(proof) if proof else None)


def witness(root: Path, source: str, *, pubkey: Path | None = None,
            proof: Path | None = None) -> Witnessed:
    """Check the checkpoint at `source` against the last one this witness saw of its
    origin, and remember it. Nothing is remembered unless everything checks."""
    from .service import read_public

    signed, proofs = read_source(source, proof)
    origin = note.read_checkpoint(signed).origin
    seen_path, key_path = _state(root, origin)
    remembered = read_public(key_path) if key_path.exists() else None
    given = read_public(pubkey) if pubkey is not None else None
    if remembered is not None and given is not None and remembered != given:
        raise ProofFailed(f"{origin} was witnessed with another key ({remembered.vkey}); "
                          f"{pubkey} is not it")
    key = remembered or given
    if key is None:
        raise InvalidEvent(f"first checkpoint of {origin} seen here: pass --pubkey FILE.pub "
                           "(the archive's public key, obtained from its publisher)")
    new = note.open_checkpoint(signed, key)
    old_signed = seen_path.read_text(encoding="utf-8") if seen_path.exists() else None
    old = note.open_checkpoint(old_signed, key) if old_signed is not None else None
    if old is not None:
        if new.size < old.size:
            raise ProofFailed(f"{origin} now shows {new.size} events, fewer than the {old.size}"
                              " this witness saw: a rolled-back or rewritten log")
        if new.size == old.size and new.root != old.root:
            raise ProofFailed(f"{origin} shows two different logs of {new.size} events (a "
                              "split view or a rewritten history)")
        if new.size > old.size:
            if proofs is None:
                raise InvalidEvent(f"{source} is a file: pass --proof FILE (from `archive "
                                   f"prove --between`) to show it extends the checkpoint "
                                   f"at {old.size} seen before")
            assert old_signed is not None
            documents.check_consistency(old_signed, signed, key, proofs(old_signed, signed))
    seen_path.parent.mkdir(parents=True, exist_ok=True)
    if remembered is None:
        durable.write_atomic(key_path, (key.vkey + "\n").encode())
    durable.write_atomic(seen_path, signed.encode())
    return Witnessed(new, old, old is None)


__all__ = ["Witnessed", "read_source", "witness"]
