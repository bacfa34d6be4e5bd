"""What a reader runs with nothing but what they were given and the archive's public key
(`archive verify --proof / --consistent / --pdf ... --pubkey`). Each returns the line to
print, or raises ProofFailed naming what does not match."""

from __future__ import annotations

from pathlib import Path

from ..errors import NotFound, ProofFailed
from . import documents
from .service import read_public

PDF_PROOFS = documents.PDF_NAME


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ProofFailed(f"{path}: cannot be read ({exc.strerror or exc})") from None


def verify_proof(proof: Path, pubkey: Path) -> str:
    key = read_public(pubkey)
    try:
        proved = documents.check_inclusion(_read(proof), key)
    except ProofFailed as exc:
        raise ProofFailed(f"{proof}: {exc}") from None
    c = proved.checkpoint
    return (f"ok: event {proved.event.id} ({proved.event.type}, #{proved.event.seq}) is in "
            f"the record as leaf {proved.leaf_index} of checkpoint {c.size}, signed by "
            f"{c.origin}")


def verify_consistent(root: Path, old: Path, new: Path, *, pubkey: Path | None,
                      proof: Path | None) -> str:
    assert pubkey is not None
    key = read_public(pubkey)
    old_text = _read(old).decode("utf-8", "replace")
    new_text = _read(new).decode("utf-8", "replace")
    if proof is not None:
        data = _read(proof)
    else:
        from ..app import Archive

        archive = Archive(root)
        if not archive.log.exists():
            raise NotFound("--consistent needs --proof FILE (from `archive prove --between`) "
                           "outside an archive folder")
        data = archive.prove_between(old_text)
    try:
        a, b = documents.check_consistency_doc(data, key, old_text, new_text)
    except ProofFailed as exc:
        raise ProofFailed(f"{new} does not extend {old}: {exc}") from None
    return (f"ok: checkpoint {b.size} of {b.origin} extends checkpoint {a.size}: nothing "
            "before it was changed or removed")


def pdf_proofs(pdf: Path) -> bytes:
    """The proofs a briefing carries, read back with pypdf."""
    from ..briefing.record import attachment

    found = attachment(pdf, PDF_PROOFS)
    if found is None:
        raise NotFound(f"{pdf} carries no proofs (no attached {PDF_PROOFS}): the archive had "
                       "no checkpoint when it was rendered (`archive checkpoint`)")
    return bytes(found.content)


def verify_pdf_proofs(pdf: Path, pubkey: Path) -> str:
    key = read_public(pubkey)
    try:
        checkpoint, proved = documents.check_briefing(pdf_proofs(pdf), key)
    except ProofFailed as exc:
        raise ProofFailed(f"{pdf}: {exc}") from None
    return (f"ok: the {len(proved)} events the briefing cites are in the record of "
            f"checkpoint {checkpoint.size}, signed by {checkpoint.origin}")


__all__ = ["PDF_PROOFS", "pdf_proofs", "verify_consistent", "verify_pdf_proofs", "verify_proof"]
