"""The archive's signing key, as the log records it: the public key its checkpoints are
signed with and the origin they name (`proofs.note`, `archive key init`). Payload only
(pure); its row is in `core.facts`. The private key is never in the log."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from ..errors import ProofFailed
from .base import Payload
from .validate import FieldError, Name


class LogKeyPublished(Payload, frozen=True):
    """The key this archive signs its checkpoints with: its origin (the log's stable name,
    such as `archive.example.org/astana-2015`, the first line of every checkpoint) and
    its Ed25519 public key in the signed-note format (`ORIGIN+HASH+KEY`). Recorded by
    `archive key init`; a later one takes over from then on (a new key)."""

    TYPE = "log.key"
    TABLES = ("signing_keys",)
    origin: Annotated[Name, Meta(description="The log's origin: the name its checkpoints "
                                             "and its key carry.")]
    public_key: Annotated[Name, Meta(description="The public key, ORIGIN+HASH+KEY (the "
                                                 "signed-note format).")]

    def __post_init__(self) -> None:
        from ..proofs.note import parse_vkey, valid_name

        if not valid_name(self.origin):
            raise FieldError("origin", f"is not a log's name (one word: no spaces, no '+'): "
                             f"{self.origin[:80]!r}")
        try:
            key = parse_vkey(self.public_key)
        except ProofFailed as exc:
            raise FieldError("public_key", f"is not a public key ({exc}): "
                                           f"{self.public_key[:100]!r}") from None
        if key.name != self.origin:
            raise FieldError("public_key", f"names {key.name!r}, not the origin {self.origin!r}")
