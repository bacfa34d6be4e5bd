"""The remembered head (issue 10, items 4 and 5): a log that loses its last lines, or is
rewritten with recomputed hashes, is reported by every command instead of being silently
rebuilt or appended to; `verify --head` checks a head published elsewhere; the briefing
verifies the log by default and says so."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers import ARCHIVE_SCRIPT, archive_env

from archive.cli import cli
from archive.core.codec import encode_event, parse_line
from archive.core.events import make_payload

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "events" / "events.jsonl"
#: Line 77, the end of the log as first shipped: a head published then.
HEAD = "aafb9085436a449329999c04465521d25395e4395f760775bd2bcf4088bd7e66"
_LAST = json.loads(SHIPPED.read_bytes().splitlines()[-1])
LAST_SEQ, LAST_HASH = _LAST["seq"], _LAST["hash"]
LOST = f"the log no longer holds event #{LAST_SEQ} (hash {LAST_HASH[:16]}...)"


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--archive", str(root), "--recorder", "tests", *args],
                              catch_exceptions=False)


@pytest.fixture
def astana(tmp_path: Path) -> Path:
    """A copy of the shipped archive that has been built once (so it has seen #77)."""
    root = tmp_path / "astana"
    (root / "events").mkdir(parents=True)
    shutil.copyfile(SHIPPED, root / "events" / "events.jsonl")
    assert run(root, "build").exit_code == 0
    return root


def lines(root: Path) -> list[bytes]:
    return (root / "events" / "events.jsonl").read_bytes().splitlines(keepends=True)


def forge_from(root: Path, seq: int) -> None:
    """Rewrite the chain from `seq` on with recomputed hashes, a quote changed at `seq`:
    every line verifies on its own and the chain is whole."""
    old = lines(root)
    prev = parse_line(old[seq - 2].rstrip(b"\n")).hash
    out = old[:seq - 1]
    for raw in old[seq - 1:]:
        event = parse_line(raw.rstrip(b"\n"))
        data = json.loads(raw)["data"]
        if event.seq == seq:
            data["quotes"][0] = data["quotes"][0].replace("join", "JOIN") + " (forged)"
        line, prev = encode_event(
            id=event.id, seq=event.seq, type=event.type, at=event.at,
            recorded_at=event.recorded_at, recorded_by=event.recorded_by,
            source=event.source, data=make_payload(event.type, data, json.loads(raw)["v"]),
            prev=prev)
        out.append(line + b"\n")
    (root / "events" / "events.jsonl").write_bytes(b"".join(out))


def assert_reported(root: Path, *args: str) -> None:
    before = (root / "events" / "events.jsonl").read_bytes()
    db = root / "exports" / "archive.db"
    db_before = db.read_bytes() if db.exists() else None
    result = run(root, *args)
    assert result.exit_code == 1, (args, result.output)
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    assert LOST in result.stderr, result.stderr
    assert "archive verify --reset-head" in result.stderr
    assert (root / "events" / "events.jsonl").read_bytes() == before  # nothing written
    if db_before is not None:
        assert db.read_bytes() == db_before  # not silently rebuilt


@pytest.mark.parametrize("cut", [1, 3])
def test_deleting_the_last_lines_is_reported_by_every_command(astana: Path, cut: int) -> None:
    (astana / "events" / "events.jsonl").write_bytes(b"".join(lines(astana)[:-cut]))
    for args in (("verify",), ("build",), ("build", "--full"), ("add", "note", "--text", "x"),
                 ("briefing", "--no-verify", "--html"), ("briefing",), ("import", "-")):
        assert_reported(astana, *args)
    served = subprocess.run([str(ARCHIVE_SCRIPT), "serve", "--port", "0", "--no-build"],
                            env=archive_env(astana), capture_output=True, text=True,
                            timeout=60)
    assert served.returncode == 1 and LOST in served.stderr


def test_a_chain_rewritten_with_recomputed_hashes_is_reported(astana: Path) -> None:
    forge_from(astana, 48)
    assert parse_line(lines(astana)[-1].rstrip(b"\n")).seq == LAST_SEQ  # as long as before
    for args in (("verify",), ("build",), ("add", "note", "--text", "x"), ("briefing",)):
        assert_reported(astana, *args)


def test_the_database_remembers_the_head_when_the_head_file_is_gone(astana: Path) -> None:
    (astana / "events" / "events.jsonl").write_bytes(b"".join(lines(astana)[:-1]))
    (astana / "exports" / ".head").unlink()
    result = run(astana, "build")
    assert result.exit_code == 1
    assert "archive.db was built from" in result.stderr and f"#{LAST_SEQ}" in result.stderr


def test_a_published_head_is_checked(astana: Path) -> None:
    ok = run(astana, "verify", "--head", f"77:{HEAD[:12]}", "--head", f"48:{'0' * 8}")
    assert ok.exit_code == 1 and "--head 48:00000000" in ok.stderr
    ok = run(astana, "verify", "--head", f"77:{HEAD[:12]}")
    assert ok.exit_code == 0 and f"holds #77 {HEAD}" in ok.stdout
    forge_from(astana, 48)
    (astana / "exports" / ".head").unlink()  # the attacker rewrote what we remembered too
    result = run(astana, "verify", "--head", f"77:{HEAD[:12]}")
    assert result.exit_code == 1
    assert "the log does not hold that head (its event #77 has hash" in result.stderr
    bad = run(astana, "verify", "--head", "77:xyz")
    assert bad.exit_code == 2 and "is not SEQ:HASH" in bad.stderr


def test_a_log_replaced_on_purpose_is_accepted_with_reset_head(astana: Path) -> None:
    (astana / "events" / "events.jsonl").write_bytes(b"".join(lines(astana)[:-1]))
    reset = run(astana, "verify", "--reset-head")
    assert reset.exit_code == 0 and \
        f"the remembered head is now #{LAST_SEQ - 1}" in reset.stdout
    assert not (astana / "exports" / "archive.db").exists()
    built = run(astana, "build")
    assert built.exit_code == 0 and f"sequence {LAST_SEQ - 1}" in built.stdout
    added = run(astana, "add", "note", "--text", "after the reset", "--id", "after-reset")
    assert added.exit_code == 0, added.output
    assert parse_line(lines(astana)[-1].rstrip(b"\n")).seq == LAST_SEQ
    remembered = json.loads((astana / "exports" / ".head").read_text())
    assert remembered["seq"] == LAST_SEQ and remembered["hash"] != LAST_HASH


def test_repair_will_not_cut_an_acknowledged_line(astana: Path) -> None:
    log = astana / "events" / "events.jsonl"
    log.write_bytes(log.read_bytes()[:-30])  # the last line, damaged from outside
    assert_reported(astana, "repair")


def test_an_edit_in_the_middle_stops_the_default_briefing(astana: Path) -> None:
    """Item 5: a same-size edit passes the incremental paths; the briefing verifies."""
    assert run(astana, "add", "note", "--text", "earlier").exit_code == 0  # index caught up
    log = astana / "events" / "events.jsonl"
    data = log.read_bytes()
    assert data.count(b"We have to join") == 1
    log.write_bytes(data.replace(b"We have to join", b"We have to JOIN"))
    assert run(astana, "add", "note", "--text", "later").exit_code == 0
    assert run(astana, "build").exit_code == 0  # incremental: reads only the new line
    result = run(astana, "briefing", "--html")
    assert result.exit_code == 1 and "line 48" in result.stderr, result.output
    unchecked = run(astana, "briefing", "--html", "--no-verify")
    assert unchecked.exit_code == 0
    html = (astana / "exports" / "briefing.html").read_text()
    assert "The log was not checked end to end for this briefing" in html
    assert "Every line of the log up to this head was checked" not in html


def test_the_default_briefing_says_the_log_was_checked(astana: Path) -> None:
    result = run(astana, "briefing", "--html")
    assert result.exit_code == 0, result.output
    html = (astana / "exports" / "briefing.html").read_text()
    assert "Every line of the log up to this head was checked" in html
    assert f"archive verify --head {LAST_SEQ}:{LAST_HASH[:16]}" in html
