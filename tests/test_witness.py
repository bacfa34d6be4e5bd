"""`archive witness`: two archive folders on one machine, a publisher (a copy of the
shipped Astana archive with a signing key) and a witness (an empty archive). The witness
remembers the last checkpoint it saw of the publisher's origin and accepts a new one only
if it is proved to extend it: growth is accepted, a rewritten history, a split view, a
rollback and another key are refused, and a refusal leaves the memory as it was."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from archive.cli import cli
from archive.proofs import note, service

REPO = Path(__file__).resolve().parent.parent
ORIGIN = "test.example/astana"
STATE = "test.example%2Fastana"
ENV = {"ARCHIVE_DIR": None, "ARCHIVE_KEY": None, "ARCHIVE_RECORDER": "tests"}


def run(*args: str, root: Path) -> Result:
    return CliRunner().invoke(cli, ["--archive", str(root), *args], env=ENV,
                              catch_exceptions=False)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def refused(result: Result, *words: str) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@dataclass(frozen=True)
class Base:
    astana: Path  # the keyed Astana copy, no checkpoint yet (94 events)
    key: Path
    rogue: Path  # another Astana copy whose key has the same origin but is another key
    rogue_key: Path


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Base]:
    d = tmp_path_factory.mktemp("witness")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CONFIG_HOME", str(d / "config"))
        made = []
        for name in ("astana", "rogue"):
            root = d / name
            (root / "events").mkdir(parents=True)
            shutil.copyfile(REPO / "events" / "events.jsonl", root / "events" / "events.jsonl")
            key = d / "keys" / f"{name}.key"
            ok(run("key", "init", "--origin", ORIGIN, "--key", str(key), root=root))
            made += [root, key]
        yield Base(*made)


@dataclass
class Two:
    publisher: Path
    witness: Path
    key: Path
    tmp: Path

    @property
    def pub(self) -> Path:
        return service.public_of(self.key)

    @property
    def seen(self) -> Path:
        return self.witness / "witness" / f"{STATE}.checkpoint"

    def note(self, text: str, root: Path | None = None) -> None:
        ok(run("add", "note", "--text", text, root=root or self.publisher))

    def checkpoint(self, root: Path | None = None, name: str | None = None) -> Path:
        out = self.tmp / (name or f"cp-{len(list(self.tmp.glob('cp-*')))}.txt")
        ok(run("checkpoint", "--key", str(self.key), "-o", str(out),
               root=root or self.publisher))
        return out

    def witness_(self, *args: str) -> Result:
        return run("witness", *args, root=self.witness)

    def memory(self) -> dict[Path, bytes]:
        return {p: p.read_bytes() for p in sorted((self.witness / "witness").glob("*"))}


@pytest.fixture
def two(base: Base, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Two:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    publisher = tmp_path / "publisher"
    shutil.copytree(base.astana, publisher)
    witness = tmp_path / "witness"
    ok(CliRunner().invoke(cli, ["init", str(witness)], env=ENV, catch_exceptions=False))
    files = tmp_path / "files"
    files.mkdir()
    t = Two(publisher, witness, base.key, files)
    t.checkpoint()
    return t


@pytest.fixture
def seen(two: Two) -> Two:
    """The witness has seen the publisher's checkpoint at 95 events."""
    two.note("before the witness looked")
    two.checkpoint()
    ok(two.witness_(str(two.publisher), "--pubkey", str(two.pub)))
    assert note.read_checkpoint(two.seen.read_text()).size == 95
    return two


def test_first_sight_needs_the_public_key_then_it_is_remembered(two: Two) -> None:
    refused(two.witness_(str(two.publisher)), "--pubkey")
    assert not (two.witness / "witness").exists()
    result = ok(two.witness_(str(two.publisher), "--pubkey", str(two.pub)))
    assert result.stdout == f"first checkpoint of {ORIGIN} seen: 94 events, remembered\n"
    assert two.seen.read_bytes() == (two.publisher / "exports" / "checkpoint").read_bytes()
    remembered = two.witness / "witness" / f"{STATE}.pub"
    assert remembered.read_text() == two.pub.read_text()
    # the same checkpoint again, with no key given: the remembered one is used
    result = ok(two.witness_(str(two.publisher)))
    assert result.stdout.startswith(f"ok: {ORIGIN} at 94 events extends the 94")
    # the witness's own log is untouched by witnessing
    assert (two.witness / "events" / "events.jsonl").read_bytes() == b""


def test_growth_is_accepted_from_the_publisher_folder(seen: Two) -> None:
    for i in range(3):
        seen.note(f"appended {i}")
    seen.checkpoint()
    result = ok(seen.witness_(str(seen.publisher)))
    assert result.stdout.startswith(f"ok: {ORIGIN} at 98 events extends the 95 seen before")
    assert seen.seen.read_bytes() == (seen.publisher / "exports" / "checkpoint").read_bytes()


def test_a_checkpoint_file_that_grew_needs_a_proof(seen: Two) -> None:
    old = seen.tmp / "old.txt"
    old.write_bytes(seen.seen.read_bytes())
    seen.note("grown")
    seen.note("grown again")
    new = seen.checkpoint(name="new.txt")
    before = seen.memory()
    refused(seen.witness_(str(new)), "--proof")
    assert seen.memory() == before
    proof = seen.tmp / "consistency.json"
    ok(run("prove", "--between", str(old), "-o", str(proof), root=seen.publisher))
    result = ok(seen.witness_(str(new), "--proof", str(proof)))
    assert result.stdout.startswith(f"ok: {ORIGIN} at 97 events extends the 95")
    assert seen.seen.read_bytes() == new.read_bytes()
    # the same file again: same size, same root, no proof needed
    ok(seen.witness_(str(new)))


def test_a_proof_of_other_checkpoints_is_refused(seen: Two) -> None:
    first = seen.tmp / "first.txt"
    first.write_bytes(seen.seen.read_bytes())
    seen.note("one")
    mid = seen.checkpoint(name="mid.txt")
    seen.note("two")
    new = seen.checkpoint(name="new.txt")
    proof = seen.tmp / "mid-new.json"  # proves mid -> new, but the witness saw first
    ok(run("prove", "--between", str(mid), "-o", str(proof), root=seen.publisher))
    before = seen.memory()
    refused(seen.witness_(str(new), "--proof", str(proof)), "another old checkpoint")
    assert seen.memory() == before


def _fork(two: Two, base: Base, *texts: str) -> Path:
    """Another history under the same key: the keyed Astana log (94 events, so not what
    the witness saw at 95) with other notes, checkpointed."""
    fork = two.tmp / f"fork-{len(texts)}"
    shutil.copytree(base.astana, fork)
    for text in texts:
        two.note(text, root=fork)
    return fork


def test_a_rewritten_history_is_refused(seen: Two, base: Base) -> None:
    fork = _fork(seen, base, "Y instead", "and Z")
    forked = seen.checkpoint(root=fork, name="forked.txt")
    assert note.read_checkpoint(forked.read_text()).size == 96
    # the publisher's log is replaced by the other, longer one
    shutil.rmtree(seen.publisher)
    shutil.copytree(fork, seen.publisher)
    before = seen.memory()
    refused(seen.witness_(str(seen.publisher)), "rewritten")
    assert seen.memory() == before
    # as a file, with the fork's own consistency proof (from its 94 to its 96)
    proof = seen.tmp / "fork-proof.json"
    start = seen.tmp / "start.txt"
    shutil.copytree(base.astana, seen.tmp / "start")
    seen.checkpoint(root=seen.tmp / "start", name="start.txt")
    ok(run("prove", "--between", str(start), "-o", str(proof), root=seen.publisher))
    refused(seen.witness_(str(forked), "--proof", str(proof)))
    assert seen.memory() == before


def test_a_split_view_is_refused(seen: Two, base: Base) -> None:
    fork = _fork(seen, base, "something else")
    other = seen.checkpoint(root=fork, name="other.txt")
    a = note.read_checkpoint(seen.seen.read_text())
    b = note.read_checkpoint(other.read_text())
    assert a.size == b.size == 95 and a.root != b.root
    before = seen.memory()
    refused(seen.witness_(str(other)), "split view")
    refused(seen.witness_(str(fork)), "split view")
    assert seen.memory() == before


def test_a_rollback_is_refused(seen: Two) -> None:
    older = seen.tmp / "cp-0.txt"  # the publisher's checkpoint at 94, before the witness
    assert note.read_checkpoint(older.read_text()).size == 94
    before = seen.memory()
    refused(seen.witness_(str(older)), "fewer")
    assert seen.memory() == before


def test_another_key_for_the_same_origin_is_refused(seen: Two, base: Base) -> None:
    rogue = seen.tmp / "rogue"
    shutil.copytree(base.rogue, rogue)
    for i in range(3):
        seen.note(f"rogue {i}", root=rogue)
    out = seen.tmp / "rogue.txt"
    ok(run("checkpoint", "--key", str(base.rogue_key), "-o", str(out), root=rogue))
    assert note.read_checkpoint(out.read_text()).origin == ORIGIN
    before = seen.memory()
    refused(seen.witness_(str(rogue), "--pubkey", str(service.public_of(base.rogue_key))),
            "another key")
    refused(seen.witness_(str(rogue)), "not signed by the key")
    refused(seen.witness_(str(out)), "not signed by the key")
    assert seen.memory() == before
    # the right key given again is accepted (the same as the remembered one)
    ok(seen.witness_(str(seen.publisher), "--pubkey", str(seen.pub)))


def test_a_missing_or_broken_source_is_refused(seen: Two) -> None:
    before = seen.memory()
    refused(seen.witness_(str(seen.tmp / "nothing.txt")), "no checkpoint")
    junk = seen.tmp / "junk.txt"
    junk.write_text("not a checkpoint\n")
    refused(seen.witness_(str(junk)))
    assert seen.memory() == before


@pytest.mark.parametrize("how", ["not hex", "short", "wrong hash", "one removed", "JSON"])
def test_a_damaged_proof_file_is_refused(seen: Two, how: str) -> None:
    """(`not hex` and `short` once raised ValueError from bytes.fromhex: a traceback.)"""
    import json

    old = seen.tmp / "old.txt"
    old.write_bytes(seen.seen.read_bytes())
    seen.note("grown")
    seen.note("grown again")
    new = seen.checkpoint(name="new.txt")
    proof = seen.tmp / "consistency.json"
    ok(run("prove", "--between", str(old), "-o", str(proof), root=seen.publisher))
    doc = json.loads(proof.read_bytes())
    if how == "not hex":
        doc["consistency"][0] = "zz" * 32
    elif how == "short":
        doc["consistency"][0] = "abc"
    elif how == "wrong hash":
        h = doc["consistency"][-1]
        doc["consistency"][-1] = ("0" if h[0] != "0" else "1") + h[1:]
    elif how == "one removed":
        del doc["consistency"][0]
    proof.write_text("{" if how == "JSON" else json.dumps(doc))
    before = seen.memory()
    refused(seen.witness_(str(new), "--proof", str(proof)))
    assert seen.memory() == before
