"""Run an `archive` command in this process with a fault: `python faultrun.py STEP ARGS...`.

STEP is `count` (run it and print how many `os.fsync` and `os.replace` calls it made, as
JSON), `after fsync N`, `after rename N` (SIGKILL this process right after the Nth call
returned) or `after return` (SIGKILL it once the command has finished: what it
acknowledged must survive). The archive is the one `ARCHIVE_DIR` names.
"""

from __future__ import annotations

import json
import os
import signal
import sys

from archive.cli import cli

step, args = sys.argv[1], sys.argv[2:]
calls = {"fsync": 0, "rename": 0}
real_fsync, real_replace = os.fsync, os.replace


def die(where: str) -> None:
    if where == step:
        os.kill(os.getpid(), signal.SIGKILL)


def fsync(fd: int) -> None:
    real_fsync(fd)
    calls["fsync"] += 1
    die(f"after fsync {calls['fsync']}")


def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str], **kw: object) -> None:
    real_replace(src, dst, **kw)  # type: ignore[arg-type]
    calls["rename"] += 1
    die(f"after rename {calls['rename']}")


os.fsync, os.replace = fsync, replace  # type: ignore[assignment]
try:
    cli.main(args, prog_name="archive", standalone_mode=False)
finally:
    if step == "count":
        print(json.dumps(calls))
die("after return")
