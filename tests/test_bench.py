"""Smoke test of the benchmark harness (bench/): a tiny archive, one run, the slow groups
(serve, briefing) left out. It keeps the harness from rotting; it measures nothing."""

from __future__ import annotations

import json

import pytest

from bench.__main__ import main
from bench.generate import write_import


def test_generator_is_deterministic(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    meta = write_import(a, 500, seed=7)
    write_import(b, 500, seed=7)
    assert a.read_bytes() == b.read_bytes()
    assert meta["n"] == 500 and len(a.read_bytes().splitlines()) == 500
    types = {json.loads(line)["type"] for line in a.read_bytes().splitlines()}
    assert {"conference.held", "session.held", "participant.attended", "speech.delivered",
            "note.recorded"} <= types


@pytest.mark.slow
def test_harness_runs_at_a_tiny_size(tmp_path, capsys):
    assert main(["--sizes", "500", "--repeat", "1", "--quick", "--out", str(tmp_path),
                 "--only", "import,build,incremental,append,side,memory"]) == 0
    table = capsys.readouterr().out
    assert "| import | archive import" in table
    results = json.loads((tmp_path / "results.json").read_text())
    rows = results["rows"]
    assert {r["group"] for r in rows} >= {"import", "append", "memory"}
    errors = [r for r in rows if r["status"].startswith("error")]
    assert not errors, errors
    timed = [r for r in rows if not r["status"].startswith("pending")]
    assert timed and all(
        isinstance(r["seconds"], float) or isinstance(r["rate"], float) for r in timed)
    assert all(r["seconds"] > 0 for r in timed if r["seconds"] is not None)


@pytest.mark.slow
def test_postgresql_group_runs_at_a_tiny_size(tmp_path, capsys):
    """The `pg` group starts its own server and measures every row without an error."""
    assert main(["--sizes", "500", "--repeat", "1", "--quick", "--out", str(tmp_path),
                 "--only", "pg"]) == 0
    rows = json.loads((tmp_path / "results.json").read_text())["rows"]
    assert not [r for r in rows if r["status"].startswith("error")], rows
    names = {r["name"] for r in rows}
    assert {"archive import into PostgreSQL (whole process)",
            "full build from the PostgreSQL store",
            "appends, 8 concurrent writers (postgresql store)",
            "ordering alone: serializable, 8 writers"} <= names
    assert all(r["seconds"] > 0 for r in rows)


@pytest.mark.slow
def test_briefing_verification_rows_run_at_a_tiny_size(tmp_path):
    """What the default verification adds to a briefing: both rows measured, the second
    against the first."""
    from bench.core import Context
    from bench.g_briefing import verification

    rows = verification(Context(sizes=[500], repeat=1, out=tmp_path, quick=True))
    assert [r.name.split(",")[1].strip() for r in rows] == [
        "--no-verify (whole process)", "verified (default; the whole log"]
    assert all(r.seconds > 0 and not r.status for r in rows)
    assert rows[1].floor == rows[0].seconds and rows[1].passed is not None


@pytest.mark.slow
def test_proofs_group_runs_at_a_tiny_size(tmp_path):
    """Checkpoints, proofs and what the tree costs catch-up, import and one add."""
    assert main(["--sizes", "500", "--repeat", "1", "--quick", "--out", str(tmp_path),
                 "--only", "proofs"]) == 0
    rows = json.loads((tmp_path / "results.json").read_text())["rows"]
    errors = [r for r in rows if r["status"].startswith("error")]
    assert not errors, errors
    names = {r["name"] for r in rows}
    assert {"archive checkpoint (whole process)",
            "archive add note (whole process, durable), with the tree (vs disabled)",
            "floor: the tree's hashing alone (leaf_hashes + Frontier.extend, in memory)",
            } <= names
    shares = [r["extra"]["tree_share"] for r in rows if "tree_share" in r["extra"]]
    assert len(shares) == 3 and all(isinstance(x, float) for x in shares)
