"""`archive verify` also checks the archive's latest checkpoint: signed by a key the log
records, and its root that of the log's own lines, hashed again (not the stored tree's)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from logs import CONFERENCE_ID


@pytest.fixture
def signed(archive_dir: Path, run_cli: Callable[..., Result], tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert run_cli("key", "init", "--origin", "test.example/a").exit_code == 0
    assert run_cli("checkpoint", "-o", str(tmp_path / "cp.txt")).exit_code == 0
    return archive_dir / "exports" / "checkpoint"


def test_a_good_checkpoint_verifies(signed: Path, run_cli: Callable[..., Result]) -> None:
    result = run_cli("verify")
    assert result.exit_code == 0 and result.output.startswith("ok:"), result.output


def test_an_altered_checkpoint_fails_verify(signed: Path,
                                            run_cli: Callable[..., Result]) -> None:
    origin, size, root, *rest = signed.read_text().split("\n")
    signed.write_text("\n".join([origin, str(int(size) - 1), root, *rest]))
    result = run_cli("verify")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith("Error: exports/checkpoint: the signature of test.example/a")


def test_a_tampered_tree_cache_does_not_fool_verify_nor_prove(
        signed: Path, archive_dir: Path, run_cli: Callable[..., Result]) -> None:
    """The stored tree is a cache: verify re-hashes the lines; prove checks each proof it
    makes, so a damaged cache never hands one out."""
    index = archive_dir / "exports" / ".log-index.sqlite"
    with sqlite3.connect(index) as db:  # the key event's leaf: the conference's sibling
        (leaves,) = db.execute("select hashes from tree_leaves where chunk = 0").fetchone()
        db.execute("update tree_leaves set hashes = ? where chunk = 0",
                   (leaves[:32] + bytes(32) + leaves[64:],))
    assert run_cli("verify").exit_code == 0
    result = run_cli("prove", CONFERENCE_ID)
    assert result.exit_code == 1
    assert result.output.startswith("Error: the stored Merkle tree is damaged")
