"""The signed checkpoint and its proofs served by a real `datasette`
(`serve/plugins/archive_proofs.py`): `/-/checkpoint`, `/-/proof/ID.json`,
`/-/proof/consistency`, and the sentence row pages show of an event the latest checkpoint
covers, on copies of the shipped Astana archive, checked with the archive's own CLI
(`verify --proof`, `witness URL`) and `core.merkle`."""

from __future__ import annotations

import contextlib
import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner, Result
from datasette.utils import tilde_encode
from servers import http, start

from archive.cli import cli
from archive.core import merkle
from archive.proofs import note

REPO = Path(__file__).resolve().parent.parent
ORIGIN = "test.example/astana"
SPEECH = "astana15-sp-massimov"
NO_CHECKPOINT = "no checkpoint: the archive has not signed one (archive checkpoint)\n"


def sentence(leaf: int, size: int) -> str:
    return f"In the record as leaf {leaf} of checkpoint {size}, signed by {ORIGIN}."


class Cli:
    def __init__(self, config: Path):
        self.env = {"ARCHIVE_DIR": None, "ARCHIVE_KEY": None, "ARCHIVE_RECORDER": "tests",
                    "XDG_CONFIG_HOME": str(config)}

    def __call__(self, *args: str, root: Path | None = None, cwd: Path | None = None
                 ) -> Result:
        argv = (["--archive", str(root)] if root is not None else []) + list(args)
        with contextlib.chdir(cwd) if cwd is not None else contextlib.nullcontext():
            result = CliRunner().invoke(cli, argv, env=self.env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Cli]:
    """The shipped log with a recorded key (the private one under a tmp XDG_CONFIG_HOME),
    signed by `archive checkpoint` and built."""
    base = tmp_path_factory.mktemp("served-proofs")
    run = Cli(base / "config")
    root = base / "astana"
    (root / "events").mkdir(parents=True)
    shutil.copyfile(REPO / "events" / "events.jsonl", root / "events" / "events.jsonl")
    run("key", "init", "--origin", ORIGIN, root=root)
    run("checkpoint", root=root)
    run("build", root=root)
    return root, run


@pytest.fixture
def archive(keyed: tuple[Path, Cli], tmp_path: Path) -> Path:
    root = tmp_path / "astana"
    shutil.copytree(keyed[0], root)
    return root


@pytest.fixture
def run(keyed: tuple[Path, Cli]) -> Cli:
    return keyed[1]


@pytest.fixture
def pubkey(run: Cli) -> Path:
    """The public key `key init` wrote beside the private one (`service.default_key`)."""
    keys = Path(run.env["XDG_CONFIG_HOME"]) / "conference-archive" / "keys"
    return keys / (quote(ORIGIN, safe="") + ".key.pub")


@contextlib.contextmanager
def served(root: Path) -> Iterator[str]:
    proc, base = start(root)
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def get(url: str) -> tuple[int, Message, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def size_of(root: Path) -> int:
    return note.read_checkpoint((root / "exports" / "checkpoint").read_text()).size


def seq_of(root: Path, event_id: str) -> int:
    for line in (root / "events" / "events.jsonl").read_bytes().splitlines():
        event = json.loads(line)
        if event["id"] == event_id:
            return int(event["seq"])
    raise AssertionError(event_id)


def add_note(run: Cli, root: Path, text: str) -> str:
    run("add", "note", "--text", text, root=root)
    return json.loads((root / "events" / "events.jsonl").read_bytes().splitlines()[-1])["id"]


# ---------------------------------------------------------------- a signed archive


def test_checkpoint_proofs_and_pages(archive: Path, run: Cli, pubkey: Path,
                                     tmp_path: Path) -> None:
    size, seq = size_of(archive), seq_of(archive, SPEECH)
    with served(archive) as base:
        status, headers, body = get(base + "/-/checkpoint")
        assert status == 200
        assert headers["content-type"] == "text/plain; charset=utf-8"
        assert body == (archive / "exports" / "checkpoint").read_bytes()

        status, headers, body = get(f"{base}/-/proof/{SPEECH}.json")
        assert status == 200
        assert headers["content-type"] == "application/json"
        assert headers["content-disposition"] == f'attachment; filename="proof-{SPEECH}.json"'
        empty = tmp_path / "reader"
        empty.mkdir()
        proof = tmp_path / "proof.json"
        proof.write_bytes(body)
        checked = run("verify", "--proof", str(proof), "--pubkey", str(pubkey), cwd=empty)
        assert checked.stdout.startswith(f"ok: event {SPEECH} ")
        assert f"checkpoint {size}, signed by {ORIGIN}" in checked.stdout
        assert list(empty.iterdir()) == []

        link = f'<a href="/-/proof/{SPEECH}.json"'
        for page in (f"/archive/events/{seq}", f"/archive/speeches/{SPEECH}"):
            status, html = http(base + page)
            assert status == 200
            assert sentence(seq - 1, size) in html, page
            assert link in html and ">Download the proof</a>" in html
            assert str(archive) not in html
        qid = json.loads(http(f"{base}/archive/quotes.json?speech_id={SPEECH}"
                              "&_shape=array")[1])[0]["id"]
        status, html = http(f"{base}/archive/quotes/{tilde_encode(qid)}")
        assert status == 200 and sentence(seq - 1, size) in html and link in html
        status, html = http(base + "/archive/events/1")
        assert sentence(0, size) in html and '<a href="/-/proof/astana15.json"' in html

        for path, status_wanted in (("/-/proof/no-such-event.json", 404),
                                    ("/-/proof/consistency?first=0&second=3", 400),
                                    ("/-/proof/consistency?first=4&second=3", 400),
                                    ("/-/proof/consistency?first=x&second=3", 400),
                                    (f"/-/proof/consistency?first=1&second={size + 1}", 400)):
            status, _, body = get(base + path)
            assert status == status_wanted, path
            assert body.count(b"\n") == 1 and b"Traceback" not in body, body
        assert b"no-such-event" in get(base + "/-/proof/no-such-event.json")[2]
        assert json.loads(get(f"{base}/-/proof/consistency?first={size}&second={size}")[2]) \
            == {"consistency": []}
        for path in ("/-/checkpoint", f"/-/proof/{SPEECH}.json",
                     "/-/proof/consistency?first=3&second=7"):
            assert str(archive).encode() not in get(base + path)[2]


def test_an_event_after_the_checkpoint_is_not_claimed(archive: Path, run: Cli) -> None:
    size = size_of(archive)
    late = add_note(run, archive, "Recorded after the checkpoint.")
    run("build", root=archive)
    late_seq = seq_of(archive, late)
    assert late_seq == size + 1
    with served(archive) as base:
        status, html = http(f"{base}/archive/events/{late_seq}")
        assert status == 200 and late in html
        assert "In the record as leaf" not in html and "Download the proof" not in html
        status, _, body = get(f"{base}/-/proof/{late}.json")
        assert status == 404 and b"came after the latest checkpoint" in body
        assert body.count(b"\n") == 1
        assert sentence(seq_of(archive, SPEECH) - 1, size) in \
            http(f"{base}/archive/events/{seq_of(archive, SPEECH)}")[1]


def test_without_a_checkpoint_nothing_is_claimed(archive: Path) -> None:
    (archive / "exports" / "checkpoint").unlink()
    seq = seq_of(archive, SPEECH)
    with served(archive) as base:
        for page in (f"/archive/events/{seq}", f"/archive/speeches/{SPEECH}"):
            status, html = http(base + page)
            assert status == 200
            assert "In the record as leaf" not in html and "Download the proof" not in html
        status, headers, body = get(base + "/-/checkpoint")
        assert (status, body) == (404, NO_CHECKPOINT.encode())
        assert headers["content-type"] == "text/plain; charset=utf-8"
        assert get(f"{base}/-/proof/{SPEECH}.json")[0] == 404
        assert get(base + "/-/proof/consistency?first=1&second=2")[0] == 404


def test_consistency_and_a_witness_over_http(archive: Path, run: Cli, pubkey: Path,
                                             tmp_path: Path) -> None:
    witness = tmp_path / "witness"
    run("init", str(witness))
    first = (archive / "exports" / "checkpoint").read_text()
    with served(archive) as base:
        seen = run("witness", f"{base}/-/checkpoint", "--pubkey", str(pubkey), root=witness)
        old = note.read_checkpoint(first)
        assert seen.stdout.startswith(f"first checkpoint of {ORIGIN} seen: {old.size} events")

        # the served folder grows and signs again: the same server shows it
        add_note(run, archive, "One more.")
        add_note(run, archive, "And another.")
        run("checkpoint", root=archive)
        second = (archive / "exports" / "checkpoint").read_text()
        new = note.read_checkpoint(second)
        assert new.size == old.size + 2
        assert get(base + "/-/checkpoint")[2] == second.encode()

        status, _, body = get(f"{base}/-/proof/consistency?first={old.size}&second={new.size}")
        assert status == 200
        hashes = [bytes.fromhex(h) for h in json.loads(body)["consistency"]]
        assert hashes
        merkle.verify_consistency(old.size, new.size, old.root, new.root, hashes)
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(old.size, new.size, new.root, old.root, hashes)

        grown = run("witness", f"{base}/-/checkpoint", root=witness)
        assert grown.stdout.startswith(f"ok: {ORIGIN} at {new.size} events extends the "
                                       f"{old.size} seen before")
        # the page of an event now covered says so, at the new size (the file changed)
        seq = seq_of(archive, SPEECH)
        assert sentence(seq - 1, new.size) in http(f"{base}/archive/events/{seq}")[1]
