"""Signed notes, keys and checkpoints (`archive.proofs.note`): the known answers of Go's
golang.org/x/mod/sumdb/note and sumdb/tlog tests, round trips and refusals naming what is
wrong, and fuzzing: every single-character change to a signed checkpoint is refused or a
no-op, and arbitrary text is refused with ProofFailed and nothing else."""

from __future__ import annotations

import base64
import binascii
import collections
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from helpers import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.core import merkle
from archive.errors import ProofFailed
from archive.proofs import note
from archive.proofs.note import (
    Checkpoint,
    Signer,
    generate,
    key_hash,
    open_checkpoint,
    open_note,
    parse_checkpoint_text,
    parse_skey,
    parse_vkey,
    read_checkpoint,
    sign_checkpoint,
    sign_note,
    split_note,
)

# ---------------------------------------------------------------- Go's known answers

#: golang.org/x/mod sumdb/note note_test.go (TestNewVerifier, TestNewSigner, TestSign,
#: TestOpen).
VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = ("If you think cryptography is the answer to your problem,\n"
        "then you don't know what your problem is.\n")
PETER_SIG = ("\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNX"
             "gKvqfqdngotpRZb6KE6RyyBwJnAM=\n")
ENOCH_SIG = ("\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG0"
             "1oOTGwnWLox33WWd1RvMc+QQ=\n")

PETER = parse_vkey(VKEY)
ENOCH = parse_vkey(ENOCH_VKEY)


def test_the_keys_parse_as_go_reads_them() -> None:
    signer = parse_skey(SKEY)
    assert (PETER.name, PETER.key_hash) == ("PeterNeumann", 0xc74f20a3)
    assert (ENOCH.name, ENOCH.key_hash) == ("EnochRoot", 0xaf0cfe78)
    assert (signer.name, signer.key_hash) == ("PeterNeumann", 0xc74f20a3)
    assert signer.verifier() == PETER
    assert PETER.vkey == VKEY and signer.skey == SKEY and ENOCH.vkey == ENOCH_VKEY
    assert key_hash("PeterNeumann", b"\x01" + PETER.public) == 0xc74f20a3
    # Surrounding white space (a key file's final newline) is not part of the key.
    assert parse_vkey(f"  {VKEY}\n") == PETER and parse_skey(f"{SKEY}\n") == signer


def test_signing_gives_gos_note_byte_for_byte() -> None:
    signed = sign_note(TEXT, parse_skey(SKEY))
    assert signed == TEXT + "\n" + PETER_SIG
    assert signed.splitlines()[-1].startswith("\u2014 ")  # an em dash, U+2014
    assert open_note(signed, PETER) == TEXT


def test_a_note_signed_twice_opens_with_either_key() -> None:
    for message in (TEXT + "\n" + PETER_SIG + ENOCH_SIG, TEXT + "\n" + ENOCH_SIG + PETER_SIG):
        assert open_note(message, PETER) == TEXT
        assert open_note(message, ENOCH) == TEXT
        text, signatures = split_note(message)
        assert text == TEXT
        assert {(s.name, s.key_hash) for s in signatures} == {
            ("PeterNeumann", 0xc74f20a3), ("EnochRoot", 0xaf0cfe78)}
    assert open_note(TEXT + "\n" + ENOCH_SIG, ENOCH) == TEXT
    with pytest.raises(ProofFailed, match=r"not signed by the key PeterNeumann\+c74f20a3 "
                                          r"\(it is signed by EnochRoot\+af0cfe78\)"):
        open_note(TEXT + "\n" + ENOCH_SIG, PETER)


def test_gos_open_refusals() -> None:
    """TestOpen's malformed notes, altered signatures and mismatched keys."""
    # A note Go opens: the same good signature twice, the other key's mangled.
    enoch_abcd = ENOCH_SIG[:60] + "ABCD" + ENOCH_SIG[60:]
    assert open_note(TEXT + "\n" + PETER_SIG * 2 + ENOCH_SIG * 2 + enoch_abcd, PETER) == TEXT
    bad: list[tuple[str, str]] = [
        (TEXT + "\n" + PETER_SIG * 101, "more than 100 signatures"),
        (TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:], "does not match"),
        (TEXT, "no signatures"),
        (TEXT + "\n", "does not end with a newline"),
        (TEXT + "\n" + PETER_SIG[:-1], "does not end with a newline"),
        ("\x01" + TEXT + "\n" + PETER_SIG, "control character"),
        (TEXT + "\n" + "\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FF"
         "YC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=", "does not end with a newline"),
        (TEXT + "\n" + "\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FF"
         "YC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n", "not base64"),
        (TEXT + "\n" + PETER_SIG + "Unexpected line.\n", "not a signature line"),
        (TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "CarmenSandiego"), "not signed by"),
        (TEXT + "\n" + PETER_SIG.replace("x08g", "xxxx"), "not signed by"),
    ]
    for message, why in bad:
        with pytest.raises(ProofFailed, match=why):
            open_note(message, PETER)


def _mangled(key: str) -> list[str]:
    """Go's manglings: every proper substring, and every one-byte increment."""
    out = [key[i:j] for i in range(len(key) + 1) for j in range(i + 1, len(key) + 1)
           if (i, j) != (0, len(key))]
    out += [key[:i] + chr(ord(key[i]) + 1) + key[i + 1:] for i in range(len(key))]
    return out


def test_every_mangled_public_key_is_refused() -> None:
    """TestNewVerifier."""
    for bad in [*_mangled(VKEY),
                # wrong length key, with adjusted key hash; unknown algorithm, likewise
                "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
                "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"]:
        with pytest.raises(ProofFailed):
            parse_vkey(bad)


def test_every_mangled_private_key_is_refused_without_showing_it() -> None:
    """TestNewSigner; and no refusal repeats the key it was given."""
    secret = SKEY.rsplit("+", 2)[-2] + "+" + SKEY.rsplit("+", 1)[-1]  # the base64 (has a +)
    assert secret.startswith("AYEK") and len(secret) == 44
    for bad in _mangled(SKEY):
        with pytest.raises(ProofFailed) as caught:
            parse_skey(bad)
        assert secret[:12] not in str(caught.value) and secret[-12:] not in str(caught.value)


# ---------------------------------------------------------------- Go's tlog checkpoint

GO_TREE = "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n"


def test_gos_tlog_tree_text() -> None:
    """sumdb/tlog TestFormatTree / TestParseTree."""
    checkpoint = Checkpoint("go.sum database tree", 123456789012, merkle.leaf_hash(b"hello world"))
    assert checkpoint.text == GO_TREE
    assert parse_checkpoint_text(GO_TREE) == checkpoint
    # Go's bad trees: a "not-" prefix only renames the origin here (any origin is valid).
    assert parse_checkpoint_text("not-" + GO_TREE).origin == "not-go.sum database tree"
    with pytest.raises(ProofFailed, match="tree size '0xabcdef' is not a decimal number"):
        parse_checkpoint_text(GO_TREE.replace("123456789012", "0xabcdef"))
    with pytest.raises(ProofFailed, match="root hash is 35 bytes, not 32"):
        parse_checkpoint_text(GO_TREE.replace("Bb0=", "BTOOBIG="))


@pytest.mark.parametrize("text, why", [
    ("o\n0123\n" + GO_TREE.split("\n")[2] + "\n", "not a decimal"),
    ("o\n-1\n" + GO_TREE.split("\n")[2] + "\n", "not a decimal"),
    ("o\n+1\n" + GO_TREE.split("\n")[2] + "\n", "not a decimal"),
    ("o\n 1\n" + GO_TREE.split("\n")[2] + "\n", "not a decimal"),
    ("o\n\u0661\n" + GO_TREE.split("\n")[2] + "\n", "not a decimal"),  # an Arabic-Indic 1
    (f"o\n{2 ** 64}\n" + GO_TREE.split("\n")[2] + "\n", "not a decimal"),
    ("\n1\n" + GO_TREE.split("\n")[2] + "\n", r"origin\) is empty"),
    ("o\n1\n" + base64.b64encode(bytes(31)).decode() + "\n", "31 bytes, not 32"),
    ("o\n1\n" + "A" * 43 + "\n", "not base64"),
    ("o\n1\n" + GO_TREE.split("\n")[2], "at least three lines"),
    ("o\n1\n", "at least three lines"),
    ("o\n1\n" + GO_TREE.split("\n")[2] + "\n\nx\n", "empty extension line"),
])
def test_bad_checkpoint_texts(text: str, why: str) -> None:
    with pytest.raises(ProofFailed, match=why):
        parse_checkpoint_text(text)


def test_checkpoint_sizes_and_extensions_round_trip() -> None:
    root = merkle.leaf_hash(b"x")
    for checkpoint in [Checkpoint("o", 0, merkle.EMPTY_ROOT), Checkpoint("o", 2 ** 64 - 1, root),
                       Checkpoint("example.org/log", 7, root, ("— a note", "key=value"))]:
        assert parse_checkpoint_text(checkpoint.text) == checkpoint
    assert Checkpoint("o", 7, root).label == "o at 7"


# ---------------------------------------------------------------- keys and checkpoints


def _signer(name: str) -> Signer:
    """A fixed key (so that every run signs the same bytes), made as `generate` makes one."""
    seed = hashlib.sha256(b"test_note " + name.encode()).digest()
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    return Signer(name, key_hash(name, b"\x01" + public), seed)


ORIGIN = "example.org/conference-archive"
LOG = _signer(ORIGIN)
WITNESS_A = _signer("witness.example/a")
WITNESS_B = _signer("witness.example/b")
CHECKPOINT = Checkpoint(ORIGIN, 1234, merkle.leaf_hash(b"the 1234th line"),
                        ("extension: one line",))
MESSAGE = sign_note(CHECKPOINT.text, WITNESS_A, LOG, WITNESS_B)


def test_the_fixed_keys_are_keys() -> None:
    assert parse_skey(LOG.skey) == LOG and parse_vkey(LOG.verifier().vkey) == LOG.verifier()
    assert open_checkpoint(MESSAGE, LOG.verifier()) == CHECKPOINT
    assert open_checkpoint(MESSAGE, WITNESS_A.verifier(), origin=ORIGIN) == CHECKPOINT


def test_generate_sign_open_round_trip() -> None:
    signer = generate("example.com/log")
    assert parse_skey(signer.skey) == signer
    verifier = parse_vkey(signer.verifier().vkey)
    assert verifier == signer.verifier()
    checkpoint = Checkpoint("example.com/log", 42, merkle.leaf_hash(b"42"))
    signed = sign_checkpoint(checkpoint, signer)
    assert signed == checkpoint.text + "\n" + signed.split("\n\n")[1]
    assert open_checkpoint(signed, verifier) == checkpoint
    assert read_checkpoint(signed) == checkpoint
    assert generate("example.com/log").skey != signer.skey  # fresh randomness each time
    for name in ["", "two words", "a+b", "tab\there", "nbsp\u00a0"]:
        with pytest.raises(ProofFailed, match="cannot name a key"):
            generate(name)


def test_open_checkpoint_says_what_is_wrong() -> None:
    signed = sign_checkpoint(CHECKPOINT, LOG)
    other_key = _signer(ORIGIN + "-other")
    same_name = _signer("x")
    same_name = Signer(ORIGIN, key_hash(ORIGIN, b"\x01" + same_name.verifier().public),
                       same_name.seed)  # another key with the log's name
    with pytest.raises(ProofFailed, match=rf"not signed by the key {ORIGIN}\+"
                                          rf"{same_name.key_hash:08x} \(it is signed by "
                                          rf"{ORIGIN}\+{LOG.key_hash:08x}\)"):
        open_checkpoint(signed, same_name.verifier())
    with pytest.raises(ProofFailed, match=rf"not signed by the key {ORIGIN}-other"):
        open_checkpoint(signed, other_key.verifier(), origin=ORIGIN)
    root64 = base64.b64encode(CHECKPOINT.root).decode()
    for altered in [signed.replace("\n1234\n", "\n1235\n"),
                    signed.replace(root64, base64.b64encode(merkle.leaf_hash(b"y")).decode()),
                    signed.replace("extension: one line", "extension: another line")]:
        assert altered != signed
        with pytest.raises(ProofFailed, match="does not match the note's text"):
            open_checkpoint(altered, LOG.verifier())
    with pytest.raises(ProofFailed, match=f"origin '{ORIGIN}' is not 'example.org/elsewhere'"):
        open_checkpoint(signed, LOG.verifier(), origin="example.org/elsewhere")
    # A key signing a checkpoint of another log: refused unless that origin is asked for.
    elsewhere = sign_checkpoint(Checkpoint("example.org/elsewhere", 1, CHECKPOINT.root), LOG)
    with pytest.raises(ProofFailed, match=f"origin 'example.org/elsewhere' is not '{ORIGIN}'"):
        open_checkpoint(elsewhere, LOG.verifier())
    assert open_checkpoint(elsewhere, LOG.verifier(), origin="example.org/elsewhere").size == 1
    # Signed by a key of another name only.
    witnessed = sign_checkpoint(CHECKPOINT, WITNESS_A)
    with pytest.raises(ProofFailed, match=f"it is signed by witness.example/a\\+"
                                          f"{WITNESS_A.key_hash:08x}"):
        open_checkpoint(witnessed, LOG.verifier())


def test_sign_note_refuses_texts_that_cannot_be_notes() -> None:
    for text, why in [("no newline", "ends with one newline"), ("a\n\nb\n", "no blank line"),
                      ("a\n\n", "no blank line"), ("a\rb\n", "control character"),
                      ("", "ends with one newline")]:
        with pytest.raises(ProofFailed, match=why):
            sign_note(text, LOG)


def test_a_lone_surrogate_is_refused_not_an_encoding_error() -> None:
    """A Python string can hold what no UTF-8 text can (text read with surrogateescape, as
    from a pipe in the C locale): refused as malformed, not a UnicodeEncodeError."""
    peter_blob = PETER_SIG.split(" ")[2]
    with pytest.raises(ProofFailed, match="lone surrogate"):
        open_note("\ud800" + TEXT + "\n\u2014 PeterNeumann " + peter_blob, PETER)
    with pytest.raises(ProofFailed, match="lone surrogate"):
        sign_note("a\udcff\n", LOG)
    with pytest.raises(ProofFailed, match="cannot name a key"):
        generate("log\udcff")
    with pytest.raises(ProofFailed, match="not NAME\\+HASH\\+KEY"):
        parse_vkey("\ud800" + VKEY)
    with pytest.raises(ProofFailed, match="not a signature line"):
        split_note(TEXT + "\n\u2014 Peter\udcffNeumann " + peter_blob)


def test_a_note_too_long_is_refused_unread() -> None:
    with pytest.raises(ProofFailed, match="longer than"):
        split_note("a" * note.MAX_NOTE + "\n\n" + PETER_SIG)


def test_a_signer_never_shows_its_key() -> None:
    seed = LOG.seed
    shown = [repr(LOG), str(LOG), f"{LOG}", f"{LOG!r}", repr([LOG]), repr({"k": LOG}),
             repr(parse_skey(SKEY)), str(generate("fresh"))]
    secrets = [LOG.skey, seed.hex(), base64.b64encode(b"\x01" + seed).decode(), repr(seed),
               base64.b64encode(seed).decode(), SKEY, SKEY.split("+", 4)[-1]]
    for text in shown:
        for secret in secrets:
            assert secret not in text
        assert "seed" not in text and "PRIVATE" not in text
    assert repr(LOG) == f"Signer({ORIGIN!r}, {LOG.key_hash:08x})"


# ---------------------------------------------------------------- fuzzing


def _lines(message: str) -> list[tuple[str, int, int]]:
    """(name, start, end) of each signature line: `end` is the index of its newline."""
    out, start = [], message.index("\n\n") + 2
    while start < len(message):
        end = message.index("\n", start)
        out.append((message[start + 2:end].split(" ")[0], start, end))
        start = end + 1
    return out


SIG_LINES = _lines(MESSAGE)
assert [name for name, _, _ in SIG_LINES] == [WITNESS_A.name, ORIGIN, WITNESS_B.name]

#: Characters that mean something in a note, beside any character at all.
SPECIAL = list("\n \u2014+/=0123456789Aa\t\r\x00\x85\u2028\u00a0-—.") + ["\u2014 "]


@st.composite
def mutations(draw: st.DrawFn, message: str) -> tuple[str, int, str, str]:
    """One character inserted, deleted or replaced: (kind, position, character, result)."""
    kind = draw(st.sampled_from(["insert", "delete", "replace"]))
    pos = draw(st.integers(0, len(message) if kind == "insert" else len(message) - 1))
    char = draw(st.one_of(st.sampled_from(SPECIAL), st.sampled_from(sorted(set(message))),
                          st.characters()))
    if kind == "insert":
        result = message[:pos] + char + message[pos:]
    elif kind == "delete":
        result = message[:pos] + message[pos + 1:]
    else:
        result = message[:pos] + char + message[pos + 1:]
    return kind, pos, char, result


def _same_signature(mutated: str, kind: str, pos: int) -> bool | None:
    """For a change inside the base64 of the log's own signature: whether it still decodes
    (by the standard library, strictly) to the very same bytes, a semantic no-op (a base64
    text's last character carries two bits no byte uses). None if the change is not there."""
    _, start, end = SIG_LINES[1]
    payload_start = start + len(f"\u2014 {ORIGIN} ")
    if not (payload_start <= pos < end or (kind == "insert" and pos == end)):
        return None
    delta = {"insert": 1, "delete": -1, "replace": 0}[kind]
    try:
        new = binascii.a2b_base64(mutated[payload_start:end + delta], strict_mode=True)
    except (binascii.Error, ValueError):  # ValueError: not ASCII
        return False
    return new == binascii.a2b_base64(MESSAGE[payload_start:end], strict_mode=True)


def _in_other_line(kind: str, pos: int) -> bool:
    """Whether the change is inside a witness's signature line (its newline included)."""
    return any(start <= pos <= end for name, start, end in SIG_LINES if name != ORIGIN)


def _outcome(check: Callable[[], Any]) -> Any:
    try:
        return check()
    except ProofFailed:
        return ProofFailed


def _check_mutation(kind: str, pos: int, char: str, mutated: str) -> Any:
    """Open the changed message; assert what it may give; return what it gave."""
    got = _outcome(lambda: open_checkpoint(mutated, LOG.verifier()))
    assert got is ProofFailed or got == CHECKPOINT, f"opened as another checkpoint: {got}"
    if mutated == MESSAGE:
        assert got == CHECKPOINT
        return got
    same = _same_signature(mutated, kind, pos)
    if same is not None:
        assert got == (CHECKPOINT if same else ProofFailed)
    elif _in_other_line(kind, pos):
        pass  # a witness's line: refused if it no longer parses, else ignored
    else:
        assert got is ProofFailed, f"{kind} {char!r} at {pos} was accepted"
    # Unsigned reading never fails otherwise, and never reads another checkpoint unless
    # the change is in the checkpoint's own text.
    read = _outcome(lambda: read_checkpoint(mutated))
    if pos >= len(CHECKPOINT.text):
        assert read in (ProofFailed, CHECKPOINT)
    return got


@settings(max_examples=examples(400), deadline=None)
@given(mutations(MESSAGE))
def test_every_single_character_change_is_refused_or_a_no_op(
        mutation: tuple[str, int, str, str]) -> None:
    _check_mutation(*mutation)


def test_every_deletion_and_some_replacements_exhaustively() -> None:
    """The same judgement at every position, not sampled: each character deleted, or
    replaced by a newline, a space or an "A"."""
    accepted: collections.Counter[bool] = collections.Counter()
    for pos in range(len(MESSAGE)):
        changes = [("delete", "", MESSAGE[:pos] + MESSAGE[pos + 1:])]
        changes += [("replace", c, MESSAGE[:pos] + c + MESSAGE[pos + 1:]) for c in "\n A"
                    if MESSAGE[pos] != c]
        for kind, char, changed in changes:
            if _check_mutation(kind, pos, char, changed) == CHECKPOINT:
                accepted[_in_other_line(kind, pos)] += 1
    # Witnesses' lines absorb many changes (a renamed witness, a mangled signature of
    # theirs); outside them only a no-op could pass, and none of these is one.
    assert accepted[True] > 0 and accepted[False] == 0


def test_the_fuzzer_reaches_both_kinds_of_no_op() -> None:
    """A witness's mangled name, and a signature's last base64 character with different
    unused bits, both leave the checkpoint as it was."""
    _, start, end = SIG_LINES[0]
    renamed = MESSAGE[:start + 3] + "X" + MESSAGE[start + 4:]
    assert open_checkpoint(renamed, LOG.verifier()) == CHECKPOINT
    _, start, end = SIG_LINES[1]
    last = MESSAGE[end - 2]  # the character before "="
    assert MESSAGE[end - 1] == "="
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    twin = alphabet[alphabet.index(last) ^ 1]
    same = MESSAGE[:end - 2] + twin + MESSAGE[end - 1:]
    assert _same_signature(same, "replace", end - 2) is True
    assert open_checkpoint(same, LOG.verifier()) == CHECKPOINT
    flipped = MESSAGE[:end - 2] + alphabet[alphabet.index(last) ^ 4] + MESSAGE[end - 1:]
    assert _same_signature(flipped, "replace", end - 2) is False
    with pytest.raises(ProofFailed):
        open_checkpoint(flipped, LOG.verifier())


_B64 = st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode())
_FRAGMENTS = st.one_of(
    st.text(st.characters(), max_size=6), _B64, st.sampled_from(SPECIAL),  # surrogates too
    st.sampled_from(["\n\n", "\u2014 ", "PeterNeumann", "PRIVATE+KEY+", "c74f20a3", "+",
                     PETER_SIG, ENOCH_SIG, TEXT, GO_TREE, "0", "18446744073709551616"]),
    st.integers(0, 2 ** 65).map(str))
NOTE_LIKE = st.lists(_FRAGMENTS, max_size=12).map("".join)
KEY_LIKE = st.builds(
    lambda pre, name, h, key: f"{pre}{name}+{h}+{key}",
    st.sampled_from(["", "PRIVATE+KEY+", "PRIVATE+KEY"]),
    st.one_of(st.sampled_from(["PeterNeumann", "a", "a b", ""]), st.text(max_size=5)),
    st.one_of(st.sampled_from(["c74f20a3", "C74F20A3", "c74f20a", "00000000"]),
              st.text("0123456789abcdef", max_size=9)),
    st.one_of(_B64, st.binary(min_size=33, max_size=33).map(
        lambda b: base64.b64encode(b"\x01" + b[1:]).decode())))


@settings(max_examples=examples(300), deadline=None)
@given(st.one_of(st.text(), st.text(st.characters()), NOTE_LIKE, KEY_LIKE))
def test_arbitrary_text_is_refused_with_proof_failed_only(text: str) -> None:
    for parse in (split_note, parse_checkpoint_text, parse_vkey, parse_skey, read_checkpoint,
                  lambda t: open_note(t, PETER), lambda t: open_checkpoint(t, LOG.verifier())):
        _outcome(lambda parse=parse: parse(text))  # anything but ProofFailed propagates
