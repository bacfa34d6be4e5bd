"""Signed checkpoints and proofs through the real CLI (`archive key init`, `checkpoint`,
`prove`, `verify --proof / --consistent / --pdf`), on copies of the shipped Astana
archive; a store contract (file and PostgreSQL give the same checkpoint root); and a
stateful test over the library that the stored tree, checkpoints and proofs agree with a
reference tree computed from the log's lines."""

from __future__ import annotations

import base64
import contextlib
import json
import math
import os
import re
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from helpers import examples
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from archive.append.recorder import Recorder
from archive.cli import cli
from archive.core import merkle
from archive.exchange import log_lines
from archive.proofs import documents, note, service
from archive.store.open import open_log

REPO = Path(__file__).resolve().parent.parent
ORIGIN = "test.example/astana"
OTHER = "test.example/other"
NOW = "2024-01-02T03:04:05.000Z"
#: The CLI's environment: no archive, key or recorder from the caller's shell.
ENV = {"ARCHIVE_DIR": None, "ARCHIVE_KEY": None, "ARCHIVE_RECORDER": "tests"}


def run(*args: str, root: Path | None = None, cwd: Path | None = None) -> Result:
    """The CLI in process; `root` is --archive (none: the current folder, `cwd`)."""
    argv = (["--archive", str(root)] if root is not None else []) + list(args)
    with contextlib.chdir(cwd) if cwd is not None else contextlib.nullcontext():
        return CliRunner().invoke(cli, argv, env=ENV, catch_exceptions=False)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def refused(result: Result, *words: str, stdout: str = "") -> str:
    """One line `Error: ...` on stderr, exit 1, nothing on stdout, no traceback."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stdout.startswith(stdout) if stdout else result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def snapshot(*folders: Path) -> dict[Path, bytes]:
    """Every file under these folders, with its bytes (to show nothing was written)."""
    return {p: p.read_bytes() for f in folders for p in sorted(f.rglob("*")) if p.is_file()}


def log_path(root: Path) -> Path:
    return root / "events" / "events.jsonl"


def reference_root(root: Path, size: int | None = None) -> bytes:
    lines = log_path(root).read_bytes().splitlines()
    return merkle.root_of(merkle.leaf_hash(line) for line in lines[:size])


def add_note(root: Path, text: str) -> None:
    ok(run("add", "note", "--text", text, root=root))


@dataclass(frozen=True)
class Keys:
    """The shared Astana copy with its key, and a second archive with another key."""

    astana: Path
    key: Path
    other: Path
    other_key: Path

    @property
    def pub(self) -> Path:
        return service.public_of(self.key)

    @property
    def other_pub(self) -> Path:
        return service.public_of(self.other_key)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Keys]:
    base = tmp_path_factory.mktemp("proofs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CONFIG_HOME", str(base / "config"))
        astana = base / "astana"
        log_path(astana).parent.mkdir(parents=True)
        shutil.copyfile(REPO / "events" / "events.jsonl", log_path(astana))
        key = base / "keys" / "astana.key"
        ok(run("key", "init", "--origin", ORIGIN, "--key", str(key), root=astana))
        other = base / "other"
        ok(run("init", str(other)))
        other_key = base / "keys" / "other.key"
        ok(run("key", "init", "--origin", OTHER, "--key", str(other_key), root=other))
        yield Keys(astana, key, other, other_key)


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    return config


@pytest.fixture
def pub(keys: Keys, tmp_path: Path, xdg: Path) -> Path:
    """A fresh copy of the keyed Astana archive (the publisher's folder)."""
    root = tmp_path / "astana"
    shutil.copytree(keys.astana, root)
    return root


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    """An empty folder, no archive: where a reader checks what they were given."""
    folder = tmp_path / "reader"
    folder.mkdir()
    return folder


@pytest.fixture
def signed(pub: Path, keys: Keys, tmp_path: Path) -> Path:
    """The publisher's copy with a checkpoint; returns the checkpoint file written by -o."""
    out = tmp_path / "cp.txt"
    ok(run("checkpoint", "--key", str(keys.key), "-o", str(out), root=pub))
    return out


def prove_to(root: Path, event_id: str, out: Path) -> dict[str, Any]:
    ok(run("prove", event_id, "-o", str(out), root=root))
    doc: dict[str, Any] = json.loads(out.read_bytes())
    return doc


# ---------------------------------------------------------------- key init


def test_key_init_on_the_astana_archive(xdg: Path, tmp_path: Path) -> None:
    root = tmp_path / "astana"
    log_path(root).parent.mkdir(parents=True)
    shutil.copyfile(REPO / "events" / "events.jsonl", log_path(root))
    before = log_path(root).read_bytes()
    result = ok(run("key", "init", "--origin", ORIGIN, root=root))
    private = service.default_key(ORIGIN)
    assert xdg in private.parents
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    public = service.public_of(private)
    vkey = public.read_text().strip()
    assert vkey in result.stdout
    assert note.parse_vkey(vkey) == note.parse_skey(private.read_text().strip()).verifier()

    after = log_path(root).read_bytes()
    assert after.startswith(before)
    added = after[len(before):].splitlines()
    assert len(added) == 1
    event = json.loads(added[0])
    assert event["type"] == "log.key"
    assert event["data"] == {"origin": ORIGIN, "public_key": vkey}

    # the private key is nowhere in the archive folder, even after a build
    ok(run("build", root=root))
    assert (root / "exports" / "archive.db").exists()
    skey = private.read_text().strip()
    # PRIVATE+KEY+NAME+HASH+BASE64: the base64 itself may hold "+"
    secret = skey.split("+", 4)[4].encode()
    assert len(secret) >= 44
    seed = note.parse_skey(skey).seed
    files = [p for p in root.rglob("*") if p.is_file()]
    assert any(p.name == ".log-index.sqlite" for p in files)
    for path in files:
        data = path.read_bytes()
        assert secret not in data and skey.encode() not in data and seed not in data, path

    # never overwritten: the same origin (the default path) again
    log_before, key_before = log_path(root).read_bytes(), private.read_bytes()
    refused(run("key", "init", "--origin", ORIGIN, root=root), "already exists")
    assert log_path(root).read_bytes() == log_before
    assert private.read_bytes() == key_before
    # nor an explicit --key whose file (or .pub) exists
    (tmp_path / "taken.key.pub").write_text("x\n")
    refused(run("key", "init", "--origin", "x.example/y", "--key",
                str(tmp_path / "taken.key"), root=root), "already exists")
    assert not (tmp_path / "taken.key").exists()
    assert log_path(root).read_bytes() == log_before


@pytest.mark.parametrize("where", ["exports/my.key", "my.key", "events/new/sub.key"])
def test_key_init_refuses_a_key_inside_the_archive(pub: Path, where: str) -> None:
    before = snapshot(pub)
    target = pub / where
    refused(run("key", "init", "--origin", "x.example/z", "--key", str(target), root=pub),
            "inside the archive folder")
    assert snapshot(pub) == before
    # and relative to the current folder, too
    refused(run("key", "init", "--origin", "x.example/z", "--key", where, root=pub, cwd=pub),
            "inside the archive folder")
    assert snapshot(pub) == before


# ---------------------------------------------------------------- checkpoint


def test_checkpoint_is_the_signed_tree_of_the_log(pub: Path, keys: Keys, tmp_path: Path
                                                  ) -> None:
    out = tmp_path / "cp.txt"
    printed = ok(run("checkpoint", "--key", str(keys.key), root=pub)).stdout
    ok(run("checkpoint", "--key", str(keys.key), "-o", str(out), root=pub))
    text = out.read_text()
    assert printed == text == (pub / "exports" / "checkpoint").read_text()
    found = re.fullmatch(r"(.+)\n(\d+)\n([A-Za-z0-9+/]{43}=)\n\n\u2014 (\S+) ([A-Za-z0-9+/=]+)\n",
                         text)
    assert found, text
    origin, size, root64, signer, sig = found.groups()
    assert origin == signer == ORIGIN
    lines = log_path(pub).read_bytes().splitlines()
    assert int(size) == len(lines) == 94  # the shipped 93 and the log.key
    expected = merkle.root_of(merkle.leaf_hash(line) for line in lines)
    assert base64.b64decode(root64) == expected
    assert len(base64.b64decode(sig)) == 4 + 64
    # the same log and key: byte-identical
    again = tmp_path / "again.txt"
    ok(run("checkpoint", "--key", str(keys.key), "-o", str(again), root=pub))
    assert again.read_bytes() == out.read_bytes()
    # the default key path (XDG) works as well as --key
    default = service.default_key(ORIGIN)
    default.parent.mkdir(parents=True)
    shutil.copyfile(keys.key, default)
    default.chmod(0o600)
    assert ok(run("checkpoint", root=pub)).stdout == text


def test_checkpoint_refuses_a_bad_key(pub: Path, keys: Keys, tmp_path: Path) -> None:
    loose = tmp_path / "loose.key"
    shutil.copyfile(keys.key, loose)
    loose.chmod(0o644)
    before = snapshot(pub)
    refused(run("checkpoint", "--key", str(loose), root=pub), "chmod 600")
    refused(run("checkpoint", "--key", str(tmp_path / "missing.key"), root=pub),
            "no private key")
    refused(run("checkpoint", root=pub), "no private key")  # nothing at the default path
    refused(run("checkpoint", "--key", str(keys.other_key), root=pub),
            "not the key this archive records")
    garbage = tmp_path / "garbage.key"
    garbage.write_text("PRIVATE+KEY+nonsense\n")
    garbage.chmod(0o600)
    refused(run("checkpoint", "--key", str(garbage), root=pub))
    assert snapshot(pub) == before
    assert not (pub / "exports" / "checkpoint").exists()


def test_checkpoint_without_a_recorded_key(tmp_path: Path, xdg: Path, keys: Keys) -> None:
    root = tmp_path / "bare"
    ok(run("init", str(root)))
    refused(run("checkpoint", "--key", str(keys.key), root=root), "key init")


# ---------------------------------------------------------------- prove and verify


def test_prove_and_verify_from_an_empty_folder(signed: Path, pub: Path, keys: Keys,
                                               empty: Path, tmp_path: Path) -> None:
    lines = log_path(pub).read_bytes().splitlines()
    size = len(lines)
    first, last = json.loads(lines[0])["id"], json.loads(lines[-1])["id"]
    for event_id in ["astana15-sp-massimov", first, last, "astana15-commitment-7"]:
        proof = tmp_path / f"{event_id}.json"
        doc = prove_to(pub, event_id, proof)
        assert doc["tree_size"] == size
        assert doc["line"].encode() in lines
        assert len(doc["inclusion"]) <= math.ceil(math.log2(size))
        result = ok(run("verify", "--proof", str(proof), "--pubkey", str(keys.pub), cwd=empty))
        assert result.stdout.startswith(f"ok: event {event_id} ")
        assert f"checkpoint {size}, signed by {ORIGIN}" in result.stdout
    assert list(empty.iterdir()) == []


def test_prove_and_verify_as_real_processes(signed: Path, pub: Path, keys: Keys,
                                            empty: Path, tmp_path: Path) -> None:
    archive = REPO / ".venv" / "bin" / "archive"
    env = {k: v for k, v in os.environ.items() if k not in ENV}
    proof = tmp_path / "p.json"
    made = subprocess.run([str(archive), "--archive", str(pub), "prove",
                           "astana15-sp-massimov", "-o", str(proof)],
                          capture_output=True, text=True, env=env, cwd=empty, timeout=60)
    assert made.returncode == 0, made.stderr
    checked = subprocess.run([str(archive), "verify", "--proof", str(proof), "--pubkey",
                              str(keys.pub)], capture_output=True, text=True, env=env,
                             cwd=empty, timeout=60)
    assert checked.returncode == 0 and checked.stdout.startswith("ok: event"), checked.stderr


def _edit_proof(doc: dict[str, Any], how: str, keys: Keys) -> tuple[dict[str, Any], Path]:
    doc = json.loads(json.dumps(doc))
    pubkey = keys.pub
    if how == "tree_size":
        doc["tree_size"] -= 1
    elif how == "another key":
        pubkey = keys.other_pub
    elif how == "truncated":
        del doc["inclusion"][len(doc["inclusion"]) // 2]
    elif how == "reordered":
        doc["inclusion"][0], doc["inclusion"][1] = doc["inclusion"][1], doc["inclusion"][0]
    elif how == "line":
        line = json.loads(doc["line"])
        quote = line["data"]["quotes"][0]
        i = next(i for i, c in enumerate(quote) if c.isalpha())
        swapped = quote[:i] + ("x" if quote[i] != "x" else "y") + quote[i + 1:]
        doc["line"] = doc["line"].replace(json.dumps(quote, ensure_ascii=False)[1:-1],
                                          json.dumps(swapped, ensure_ascii=False)[1:-1], 1)
    elif how == "line, hash fixed":  # the line's own hash recomputed does not help
        line = json.loads(doc["line"])
        line["data"]["quotes"][0] = line["data"]["quotes"][0] + "!"
        doc["line"] = json.dumps(line, separators=(",", ":"), ensure_ascii=False)
    elif how == "origin":
        doc["checkpoint"] = doc["checkpoint"].replace(ORIGIN + "\n", OTHER + "\n", 1)
    elif how == "leaf_index":
        doc["leaf_index"] += 1
    elif how == "hash":
        h = doc["inclusion"][0]
        doc["inclusion"][0] = ("0" if h[0] != "0" else "1") + h[1:]
    elif how == "not json":
        return {"raw": True}, pubkey
    return doc, pubkey


@pytest.mark.parametrize("how", ["tree_size", "another key", "truncated", "reordered", "line",
                                 "line, hash fixed", "origin", "leaf_index", "hash",
                                 "not json"])
def test_a_bad_proof_is_refused(how: str, signed: Path, pub: Path, keys: Keys, empty: Path,
                                tmp_path: Path) -> None:
    good = prove_to(pub, "astana15-sp-massimov", tmp_path / "good.json")
    assert len(good["inclusion"]) >= 2
    doc, pubkey = _edit_proof(good, how, keys)
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"{not json" if "raw" in doc else json.dumps(doc, indent=2).encode())
    if how not in ("another key", "not json"):
        assert doc != good
    if how == "line":
        assert doc["line"] != good["line"] and len(doc["line"]) == len(good["line"])
    before = snapshot(pub, empty, tmp_path / "config") | {bad: bad.read_bytes()}
    refused(run("verify", "--proof", str(bad), "--pubkey", str(pubkey), cwd=empty))
    assert snapshot(pub, empty, tmp_path / "config") | {bad: bad.read_bytes()} == before
    assert list(empty.iterdir()) == []


def test_an_altered_latest_checkpoint_stops_prove(signed: Path, pub: Path, tmp_path: Path
                                                  ) -> None:
    latest = pub / "exports" / "checkpoint"
    text = latest.read_text()
    origin, size, root64, *rest = text.split("\n")
    log_before = log_path(pub).read_bytes()
    out = tmp_path / "p.json"
    flipped = base64.b64encode(bytes([base64.b64decode(root64)[0] ^ 1])
                               + base64.b64decode(root64)[1:]).decode()
    for changed in ("\n".join([OTHER, size, root64, *rest]),
                    "\n".join([origin, size, flipped, *rest]),
                    "\n".join([origin, str(int(size) - 1), root64, *rest]),
                    text.replace("\u2014 ", "- ")):
        latest.write_text(changed)
        refused(run("prove", "astana15-sp-massimov", "-o", str(out), root=pub))
        assert not out.exists()
        assert latest.read_text() == changed
        assert log_path(pub).read_bytes() == log_before
    latest.unlink()
    refused(run("prove", "astana15-sp-massimov", "-o", str(out), root=pub), "no checkpoint")
    assert not out.exists()


def test_an_altered_checkpoint_file_is_refused_by_verify(signed: Path, pub: Path, keys: Keys,
                                                         empty: Path, tmp_path: Path) -> None:
    add_note(pub, "later")
    new = tmp_path / "new.txt"
    ok(run("checkpoint", "--key", str(keys.key), "-o", str(new), root=pub))
    proof = tmp_path / "cons.json"
    ok(run("prove", "--between", str(signed), "-o", str(proof), root=pub))
    origin, *rest = signed.read_text().split("\n")
    renamed = tmp_path / "renamed.txt"
    renamed.write_text("\n".join([OTHER, *rest]))
    before = snapshot(pub, tmp_path)
    refused(run("verify", "--consistent", str(renamed), str(new), "--proof", str(proof),
                "--pubkey", str(keys.pub), cwd=empty))
    refused(run("verify", "--consistent", str(renamed), str(new), "--pubkey", str(keys.pub),
                root=pub))
    refused(run("prove", "--between", str(renamed), "-o", str(tmp_path / "x.json"), root=pub))
    assert snapshot(pub, tmp_path) == before


@pytest.fixture
def forked(pub: Path, keys: Keys, tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    """Two histories under the same key from one keyed log: copy 1 adds note X,
    copy 2 adds notes Y and Z (longer); both checkpointed. Returns (copy1, cp1, copy2,
    cp2)."""
    one, two = tmp_path / "one", tmp_path / "two"
    shutil.copytree(pub, one)
    shutil.copytree(pub, two)
    add_note(one, "X happened")
    add_note(two, "Y happened")
    add_note(two, "Z happened")
    cp1, cp2 = tmp_path / "cp1.txt", tmp_path / "cp2.txt"
    ok(run("checkpoint", "--key", str(keys.key), "-o", str(cp1), root=one))
    ok(run("checkpoint", "--key", str(keys.key), "-o", str(cp2), root=two))
    return one, cp1, two, cp2


def test_a_log_rewritten_between_two_checkpoints_is_caught(
        forked: tuple[Path, Path, Path, Path], keys: Keys, empty: Path, tmp_path: Path) -> None:
    one, cp1, two, cp2 = forked
    a, b = note.read_checkpoint(cp1.read_text()), note.read_checkpoint(cp2.read_text())
    assert (a.size, b.size) == (95, 96) and reference_root(two, 95) != a.root
    out = tmp_path / "cons.json"
    before = snapshot(one, two, empty) | {cp1: cp1.read_bytes(), cp2: cp2.read_bytes()}
    refused(run("prove", "--between", str(cp1), "-o", str(out), root=two), "rewritten")
    refused(run("verify", "--consistent", str(cp1), str(cp2), "--pubkey", str(keys.pub),
                root=two))
    # with a proof from copy 1's own history (its first checkpoint to cp1), or copy 2's
    ok(run("checkpoint", "--key", str(keys.key), "-o", str(tmp_path / "c1b.txt"), root=one))
    proof1 = tmp_path / "own1.json"
    base_cp = tmp_path / "base.txt"
    base_cp.write_bytes((two / "exports" / "checkpoint").read_bytes())
    ok(run("prove", "--between", str(base_cp), "-o", str(proof1), root=two))
    refused(run("verify", "--consistent", str(cp1), str(cp2), "--proof", str(proof1),
                "--pubkey", str(keys.pub), cwd=empty))
    # a checkpoint of the other history put in as the latest: prove refuses it
    latest = two / "exports" / "checkpoint"
    latest.write_bytes(cp1.read_bytes())
    refused(run("prove", "astana15-sp-massimov", "-o", str(out), root=two), "rewritten")
    assert not out.exists()
    latest.write_bytes(cp2.read_bytes())
    assert snapshot(one, two, empty) | {cp1: cp1.read_bytes(), cp2: cp2.read_bytes()} == \
        before | {one / "exports" / "checkpoint": (one / "exports" / "checkpoint").read_bytes()}


def test_prove_refuses_bad_arguments(signed: Path, pub: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    before = snapshot(pub)
    refused(run("prove", "no-such-event", "-o", str(out), root=pub), "no-such-event")
    refused(run("prove", "astana15-sp-massimov", "--between", str(signed), "-o", str(out),
                root=pub), "one of them")
    refused(run("prove", "-o", str(out), root=pub), "one of them")
    assert not out.exists()
    assert snapshot(pub) == before
    # an event recorded after the latest checkpoint
    add_note(pub, "after the checkpoint")
    last = json.loads(log_path(pub).read_bytes().splitlines()[-1])["id"]
    refused(run("prove", last, "-o", str(out), root=pub), "archive checkpoint")
    assert not out.exists()


def test_verify_refuses_a_missing_pubkey_or_proof(signed: Path, pub: Path, keys: Keys,
                                                  empty: Path, tmp_path: Path) -> None:
    proof = tmp_path / "p.json"
    prove_to(pub, "astana15-sp-massimov", proof)
    refused(run("verify", "--proof", str(proof), cwd=empty), "--pubkey")
    refused(run("verify", "--consistent", str(signed), str(signed), "--pubkey",
                str(keys.pub), cwd=empty), "--proof")
    bad_pub = tmp_path / "bad.pub"
    bad_pub.write_text("not a key\n")
    refused(run("verify", "--proof", str(proof), "--pubkey", str(bad_pub), cwd=empty))
    assert list(empty.iterdir()) == []


# ---------------------------------------------------------------- consistency


def test_verify_consistent_after_appending(signed: Path, pub: Path, keys: Keys, empty: Path,
                                           tmp_path: Path) -> None:
    for i in range(3):
        add_note(pub, f"appended {i}")
    new = tmp_path / "new.txt"
    ok(run("checkpoint", "--key", str(keys.key), "-o", str(new), root=pub))
    proof = tmp_path / "consistency.json"
    ok(run("prove", "--between", str(signed), "-o", str(proof), root=pub))
    doc = json.loads(proof.read_bytes())
    assert (doc["old_size"], doc["new_size"]) == (94, 97)
    result = ok(run("verify", "--consistent", str(signed), str(new), "--proof", str(proof),
                    "--pubkey", str(keys.pub), cwd=empty))
    assert result.stdout.startswith("ok: checkpoint 97 of test.example/astana extends "
                                    "checkpoint 94")
    assert list(empty.iterdir()) == []
    ok(run("verify", "--consistent", str(signed), str(new), "--pubkey", str(keys.pub),
           root=pub))
    # and the same with a proof between the two, checked by the library too
    a, b = documents.check_consistency_doc(proof.read_bytes(), note.parse_vkey(
        keys.pub.read_text()), signed.read_text(), new.read_text())
    assert (a.size, b.size) == (94, 97)
    # the proof does not fit checkpoints swapped
    refused(run("verify", "--consistent", str(new), str(signed), "--proof", str(proof),
                "--pubkey", str(keys.pub), cwd=empty))
    # an empty log: same size, same root, an empty proof
    same = tmp_path / "same.json"
    ok(run("prove", "--between", str(new), "-o", str(same), root=pub))
    assert json.loads(same.read_bytes())["consistency"] == []
    ok(run("verify", "--consistent", str(new), str(new), "--proof", str(same), "--pubkey",
           str(keys.pub), cwd=empty))


# ---------------------------------------------------------------- verify --head


def test_verify_head_still_works(signed: Path, pub: Path) -> None:
    last = json.loads(log_path(pub).read_bytes().splitlines()[-1])
    middle = json.loads(log_path(pub).read_bytes().splitlines()[47])
    result = ok(run("verify", "--head", f"{last['seq']}:{last['hash'][:12]}", "--head",
                    f"{middle['seq']}:{middle['hash']}", root=pub))
    assert result.stdout.startswith(f"ok: {last['seq']} events")
    assert f"holds #{last['seq']}" in result.stdout and f"holds #{middle['seq']}" in \
        result.stdout
    wrong = ("0" if last["hash"][0] != "0" else "1") + last["hash"][1:12]
    refused(run("verify", "--head", f"{last['seq']}:{wrong}", root=pub))


# ---------------------------------------------------------------- a briefing's proofs


@pytest.mark.slow
def test_a_briefing_carries_proofs_of_what_it_cites(signed: Path, pub: Path, keys: Keys,
                                                    empty: Path, tmp_path: Path) -> None:
    ok(run("briefing", root=pub))
    pdf = pub / "exports" / "briefing.pdf"
    first = pdf.read_bytes()
    result = ok(run("verify", "--pdf", str(pdf), "--pubkey", str(keys.pub), cwd=empty))
    found = re.search(r"ok: the (\d+) events the briefing cites are in the record of "
                      r"checkpoint 94, signed by test.example/astana", result.stdout)
    assert found, result.stdout
    assert int(found.group(1)) > 10
    assert list(empty.iterdir()) == []
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    last_page = " ".join(text.rstrip("\f").split("\f")[-1].split())
    assert "Checkpoint 94 of" in last_page and ORIGIN in last_page, last_page
    # one answer: no "ok:" for the log it carries when its proofs are refused
    refused(run("verify", "--pdf", str(pdf), "--pubkey", str(keys.other_pub), cwd=empty),
            "not signed by the key")
    ok(run("briefing", root=pub))
    assert pdf.read_bytes() == first


# ---------------------------------------------------------------- both stores


@pytest.fixture(params=["file", "postgresql"])
def store_root(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    from archive.app import Archive

    root = tmp_path / request.param
    if request.param == "file":
        Archive(root).init()
    else:
        Archive(root).init(request.getfixturevalue("pg_url"))
    return root


@pytest.fixture(scope="module")
def shared_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    signer = note.generate("test.example/contract")
    path = tmp_path_factory.mktemp("contract-key") / "contract.key"
    path.write_text(signer.skey + "\n")
    path.chmod(0o600)
    return path


#: The root both stores must give for the same appended events (set by the first run).
_ROOTS: dict[str, bytes] = {}


def _fill(root: Path, key: Path) -> str:
    log = open_log(root)
    rec = Recorder(log, "tests", clock=lambda: NOW)
    signer = note.parse_skey(key.read_text().strip())
    rec.add("conference.held", {"name": "Summit", "start": "2015-06-29"}, event_id="conf")
    rec.add("log.key", {"origin": signer.name, "public_key": signer.verifier().vkey},
            event_id="key-1")
    for i in range(5):
        rec.add("note.recorded", {"text": f"note {i}"}, conference="conf", event_id=f"n{i}")
    rec.import_lines([b'{"id":"i%d","type":"note.recorded","data":{"conference":"conf",'
                      b'"text":"imported %d"}}' % (i, i) for i in range(4)])
    return service.make_checkpoint(log, key)


def test_the_same_events_give_the_same_checkpoint_on_both_stores(
        store_root: Path, shared_key: Path, xdg: Path, tmp_path: Path, request: Any) -> None:
    signed = _fill(store_root, shared_key)
    checkpoint = note.read_checkpoint(signed)
    lines = [line.rstrip(b"\n") for line in b"".join(log_lines(open_log(store_root)))
             .splitlines()]
    assert checkpoint.size == len(lines) == 11
    assert checkpoint.root == merkle.root_of(merkle.leaf_hash(line) for line in lines)
    # the other store, in a folder of its own, gives the very same checkpoint
    from archive.app import Archive

    other = tmp_path / "reference-file"
    Archive(other).init()
    assert _fill(other, shared_key) == signed
    # and its proofs verify
    key = note.parse_vkey(service.public_of(shared_key).read_text()) if \
        service.public_of(shared_key).exists() else \
        note.parse_skey(shared_key.read_text().strip()).verifier()
    proved = documents.check_inclusion(service.prove(open_log(store_root), "n3"), key)
    assert proved.event.id == "n3"


# ---------------------------------------------------------------- stateful


class Checkpoints(RuleBasedStateMachine):
    """Appends, imports, checkpoints and proofs on a real archive: the stored tree is
    the reference tree of the log's lines, every checkpoint is consistent with the
    latest, every proof verifies."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="checkpoints-"))
        from archive.app import Archive

        Archive(self.tmp / "a").init()
        self.log = open_log(self.tmp / "a")
        self.rec = Recorder(self.log, "tests", clock=lambda: NOW)
        signer = note.generate("test.example/state")
        self.key = self.tmp / "state.key"
        self.key.write_text(signer.skey + "\n")
        self.key.chmod(0o600)
        self.verifier = signer.verifier()
        self.rec.add("conference.held", {"name": "Summit"}, event_id="conf")
        self.rec.add("log.key", {"origin": signer.name, "public_key": self.verifier.vkey})
        self.checkpoints: list[str] = []
        self.count = 0

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def lines(self) -> list[bytes]:
        return (self.tmp / "a" / "events" / "events.jsonl").read_bytes().splitlines()

    @rule(text=st.text(st.characters(categories=("L", "N", "P")), min_size=1, max_size=12))
    def append_note(self, text: str) -> None:
        if not text.strip():
            text = "x" + text
        self.count += 1
        self.rec.add("note.recorded", {"text": text}, conference="conf",
                     event_id=f"n-{self.count}")

    @rule(n=st.integers(1, 9))
    def import_notes(self, n: int) -> None:
        self.count += 1
        batch = [json.dumps({"id": f"b-{self.count}-{i}", "type": "note.recorded",
                             "data": {"conference": "conf", "text": f"batch {i}"}}).encode()
                 for i in range(n)]
        self.rec.import_lines(batch)

    @rule()
    def checkpoint(self) -> None:
        signed = service.make_checkpoint(self.log, self.key)
        assert note.open_checkpoint(signed, self.verifier).size == len(self.lines())
        self.checkpoints.append(signed)

    @precondition(lambda self: bool(self.checkpoints))
    @rule(data=st.data())
    def prove_an_event(self, data: st.DataObject) -> None:
        size = note.read_checkpoint(self.checkpoints[-1]).size
        seq = data.draw(st.integers(1, size))
        event_id = json.loads(self.lines()[seq - 1])["id"]
        proved = documents.check_inclusion(service.prove(self.log, event_id), self.verifier)
        assert (proved.event.id, proved.leaf_index) == (event_id, seq - 1)

    @invariant()
    def tree_is_the_reference(self) -> None:
        from archive.store.index import Index

        lines = self.lines()
        with Index(self.log) as index:
            index.catch_up()
            assert index.head_seq() == len(lines)
            for size in {len(lines), max(1, len(lines) // 2), 1}:
                assert index.tree.root(size) == merkle.root_of(
                    merkle.leaf_hash(line) for line in lines[:size])

    @invariant()
    def checkpoints_are_consistent(self) -> None:
        if not self.checkpoints:
            return
        latest = self.checkpoints[-1]
        for old in self.checkpoints:
            doc = documents.read_consistency(service.prove_between(self.log, old))
            proof = [bytes.fromhex(h) for h in doc.consistency]
            a, b = documents.check_consistency(old, latest, self.verifier, proof)
            assert a.size <= b.size
            documents.check_consistency_doc(service.prove_between(self.log, old),
                                            self.verifier, old, latest)


def test_checkpoints_and_proofs_agree_with_the_reference_tree(xdg: Path) -> None:
    run_state_machine_as_test(Checkpoints, settings=settings(
        max_examples=examples(10), stateful_step_count=8, deadline=None,
        suppress_health_check=[HealthCheck.too_slow]))
