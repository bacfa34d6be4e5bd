"""Helpers for tests of the log, verification and the append path: a note to append,
reading and rewriting a log's lines, and the check that `verify` fails at a line."""

from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import Result
from helpers import CONFERENCE_ID

from archive.core.events import make_payload
from archive.store.log import Log, Pending

RunCli = Callable[..., Result]


def note(ident: str, text: str = "a note") -> Pending:
    return Pending(ident, "note.recorded",
                   make_payload("note.recorded", {"conference": CONFERENCE_ID, "text": text}))


def lines_of(log: Log) -> list[bytes]:
    return log.path.read_bytes().splitlines(keepends=True)


def write_lines(log: Log, lines: list[bytes]) -> None:
    log.path.write_bytes(b"".join(lines))


def assert_verify_fails_at(run_cli: RunCli, log: Log, lineno: int, what: str = "") -> str:
    result = run_cli("verify")
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    prefix = f"Error: {log.path} line {lineno}: "
    assert result.stderr.startswith(prefix), result.stderr
    assert what in result.stderr
    return result.stderr


#: One valid import line (a note), with its newline.
GOOD_IMPORT = json.dumps({"type": "note.recorded",
                          "data": {"conference": CONFERENCE_ID, "text": "fine"}}) + "\n"
