"""Signed notes and checkpoints in the formats transparency logs share, so that tools
made for them read ours:

- a signed note (C2SP signed-note, Go's `golang.org/x/mod/sumdb/note`): a UTF-8 text
  ending in a newline, a blank line, then lines `— NAME BASE64` where BASE64 holds the
  key's 4-byte hash and its Ed25519 signature of the text;
- keys as that format writes them: the public `NAME+HASH+BASE64` (a "vkey") and the
  private `PRIVATE+KEY+NAME+HASH+BASE64` (an "skey"), HASH the first 4 bytes of
  SHA-256(NAME || "\\n" || 0x01 || public key) in hex;
- a checkpoint (C2SP tlog-checkpoint): a note whose text is the log's origin, its tree
  size in decimal, the base64 root hash, and optional extension lines.

Pure: Ed25519 by the `cryptography` package, no files (`proofs.service` reads and writes
them). Every malformed input raises ProofFailed naming what is wrong."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from ..errors import ProofFailed

# `cryptography` (~20 ms to import) loads only to sign or check a signature: reading a
# log that records a key (`core.keys`) parses the key's text alone.

ED25519 = 0x01
#: A note longer than this is refused before it is read (Go's note reader: 1 MB).
MAX_NOTE = 1 << 20
#: Signatures read from one note at most (Go's: 100).
MAX_SIGNATURES = 100
_DASH = "\u2014 "  # an em dash and a space start every signature line


def _b64(text: str, what: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", text):
        raise ProofFailed(f"{what} is not base64")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ProofFailed(f"{what} is not base64") from None


def valid_name(name: str) -> bool:
    """A key's (and an origin's) name: not empty, no space of any kind, no `+`, UTF-8."""
    return bool(name) and "+" not in name and not any(
        c.isspace() or "\ud800" <= c <= "\udfff" for c in name)


def key_hash(name: str, key: bytes) -> int:
    """The 4-byte id of a key: the start of SHA-256(name, newline, algorithm, key)."""
    return int.from_bytes(hashlib.sha256(name.encode() + b"\n" + key).digest()[:4], "big")


@dataclass(frozen=True)
class Verifier:
    """A public key with its name: checks signatures."""

    name: str
    key_hash: int
    public: bytes

    @property
    def vkey(self) -> str:
        return (f"{self.name}+{self.key_hash:08x}+"
                + base64.b64encode(bytes([ED25519]) + self.public).decode())

    def verify(self, message: bytes, signature: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """A private key with its name: signs. Never printed, logged or stored by the
    archive except in its own key file."""

    name: str
    key_hash: int
    seed: bytes

    def __repr__(self) -> str:  # never the key itself, even in a traceback
        return f"Signer({self.name!r}, {self.key_hash:08x})"

    @property
    def skey(self) -> str:
        return (f"PRIVATE+KEY+{self.name}+{self.key_hash:08x}+"
                + base64.b64encode(bytes([ED25519]) + self.seed).decode())

    def verifier(self) -> Verifier:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        public = Ed25519PrivateKey.from_private_bytes(self.seed).public_key().public_bytes_raw()
        return Verifier(self.name, self.key_hash, public)

    def sign(self, message: bytes) -> bytes:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


def generate(name: str) -> Signer:
    """A new Ed25519 key named `name` (from the operating system's randomness)."""
    if not valid_name(name):
        raise ProofFailed(f"{name!r} cannot name a key: it must be non-empty, with no "
                          "spaces and no '+'")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    seed = Ed25519PrivateKey.generate().private_bytes_raw()
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    return Signer(name, key_hash(name, bytes([ED25519]) + public), seed)


def _parts(text: str, what: str) -> tuple[str, int, bytes]:
    """NAME, HASH and the key of `NAME+HASH+BASE64` (the caller checks the hash: of the
    public key, which a private key's text does not hold)."""
    name, sep1, rest = text.partition("+")
    hash_hex, sep2, key64 = rest.partition("+")
    if not (sep1 and sep2 and valid_name(name)
            and re.fullmatch(r"[0-9a-f]{8}", hash_hex)):
        raise ProofFailed(f"{what} is not NAME+HASH+KEY (a key in the signed-note format)")
    key = _b64(key64, f"the key of {what}")
    if len(key) != 33 or key[0] != ED25519:
        raise ProofFailed(f"{what} is not an Ed25519 key (algorithm 1, 32 bytes)")
    return name, int(hash_hex, 16), key[1:]


def parse_vkey(text: str) -> Verifier:
    """A public key `NAME+HASH+BASE64` (one line; surrounding white space ignored)."""
    verifier = Verifier(*_parts(text.strip(), "the public key"))
    if key_hash(verifier.name, bytes([ED25519]) + verifier.public) != verifier.key_hash:
        raise ProofFailed(f"the public key's hash {verifier.key_hash:08x} does not match "
                          "its name and key")
    return verifier


def parse_skey(text: str) -> Signer:
    """A private key `PRIVATE+KEY+NAME+HASH+BASE64`."""
    text = text.strip()
    if not text.startswith("PRIVATE+KEY+"):
        raise ProofFailed("the private key does not start with PRIVATE+KEY+")
    signer = Signer(*_parts(text[len("PRIVATE+KEY+"):], "the private key"))
    public = signer.verifier().public
    if key_hash(signer.name, bytes([ED25519]) + public) != signer.key_hash:
        raise ProofFailed(f"the private key's hash {signer.key_hash:08x} does not match its "
                          "name and key")
    return signer


# ---------------------------------------------------------------- notes


@dataclass(frozen=True)
class Signature:
    name: str
    key_hash: int
    signature: bytes


def sign_note(text: str, *signers: Signer) -> str:
    """The text followed by its signatures, one line per signer."""
    _check_text(text)
    lines = []
    for s in signers:
        blob = s.key_hash.to_bytes(4, "big") + s.sign(text.encode())
        lines.append(f"{_DASH}{s.name} {base64.b64encode(blob).decode()}\n")
    return text + "\n" + "".join(lines)


def _check_text(text: str) -> None:
    if not text.endswith("\n") or "\n\n" in text:
        raise ProofFailed("a note's text ends with one newline and holds no blank line")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise ProofFailed("a note's text holds a control character")
    if any("\ud800" <= c <= "\udfff" for c in text):
        raise ProofFailed("a note's text is not UTF-8 (it holds a lone surrogate)")


def split_note(message: str) -> tuple[str, list[Signature]]:
    """The text of a signed note and its signatures, unverified."""
    if len(message.encode("utf-8", "surrogatepass")) > MAX_NOTE:
        raise ProofFailed(f"the note is longer than {MAX_NOTE} bytes")
    cut = message.rfind("\n\n")
    if cut < 0:
        raise ProofFailed("the note has no signatures (no blank line after its text)")
    text, block = message[:cut + 1], message[cut + 2:]
    _check_text(text)
    if not block.endswith("\n"):
        raise ProofFailed("the note's last signature line does not end with a newline")
    signatures = []
    for line in block[:-1].split("\n"):
        if not line.startswith(_DASH):
            raise ProofFailed(f"{line[:60]!r} is not a signature line (— NAME SIGNATURE)")
        name, sep, sig64 = line[len(_DASH):].partition(" ")
        if not sep or not valid_name(name):
            raise ProofFailed(f"{line[:60]!r} is not a signature line (— NAME SIGNATURE)")
        blob = _b64(sig64, f"the signature of {name}")
        if len(blob) < 5:
            raise ProofFailed(f"the signature of {name} is too short")
        signatures.append(Signature(name, int.from_bytes(blob[:4], "big"), blob[4:]))
        if len(signatures) > MAX_SIGNATURES:
            raise ProofFailed(f"the note has more than {MAX_SIGNATURES} signatures")
    return text, signatures


def open_note(message: str, verifier: Verifier) -> str:
    """The text of a note that `verifier`'s key signed; ProofFailed if it did not."""
    text, signatures = split_note(message)
    mine = [s for s in signatures if (s.name, s.key_hash) == (verifier.name, verifier.key_hash)]
    if not mine:
        named = ", ".join(sorted({f"{s.name}+{s.key_hash:08x}" for s in signatures}))
        raise ProofFailed(f"the note is not signed by the key {verifier.name}+"
                          f"{verifier.key_hash:08x} (it is signed by {named})")
    if not all(verifier.verify(text.encode(), s.signature) for s in mine):
        raise ProofFailed(f"the signature of {verifier.name}+{verifier.key_hash:08x} does "
                          "not match the note's text (the note was altered, or signed by "
                          "another key)")
    return text


# ---------------------------------------------------------------- checkpoints


@dataclass(frozen=True)
class Checkpoint:
    """A log's state as a checkpoint says it: its origin, tree size and root hash."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return "".join(f"{line}\n" for line in (
            self.origin, str(self.size), base64.b64encode(self.root).decode(),
            *self.extensions))

    @property
    def label(self) -> str:
        return f"{self.origin} at {self.size}"


def parse_checkpoint_text(text: str) -> Checkpoint:
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise ProofFailed("a checkpoint is at least three lines: origin, tree size, root hash")
    origin, size, root64, *extensions = lines[:-1]
    if not origin:
        raise ProofFailed("the checkpoint's first line (its origin) is empty")
    if not re.fullmatch(r"0|[1-9][0-9]{0,19}", size) or int(size) >= 1 << 64:
        raise ProofFailed(f"the checkpoint's tree size {size[:40]!r} is not a decimal number")
    root = _b64(root64, "the checkpoint's root hash")
    if len(root) != 32:
        raise ProofFailed(f"the checkpoint's root hash is {len(root)} bytes, not 32")
    if any(not line for line in extensions):
        raise ProofFailed("the checkpoint has an empty extension line")
    return Checkpoint(origin, int(size), root, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> str:
    return sign_note(checkpoint.text, signer)


def open_checkpoint(message: str, verifier: Verifier, *, origin: str | None = None) -> Checkpoint:
    """The checkpoint `verifier` signed; also its origin must be `origin` (by default the
    key's own name: a log's key is named by its origin)."""
    checkpoint = parse_checkpoint_text(open_note(message, verifier))
    want = verifier.name if origin is None else origin
    if checkpoint.origin != want:
        raise ProofFailed(f"the checkpoint's origin {checkpoint.origin!r} is not {want!r}, "
                          "the log the key signs for")
    return checkpoint


def read_checkpoint(message: str) -> Checkpoint:
    """A checkpoint's contents without checking its signature (for messages only)."""
    return parse_checkpoint_text(split_note(message)[0])


__all__ = [
    "Checkpoint", "Signature", "Signer", "Verifier", "generate", "key_hash", "open_checkpoint",
    "open_note", "parse_checkpoint_text", "parse_skey", "parse_vkey", "read_checkpoint",
    "sign_checkpoint", "sign_note", "split_note", "valid_name",
]
