"""The golden archive (issue 27): a generated 10,000-event import (`bench.generate`) and
`golden/every.jsonl` (one or more events of every type: a source, commitments with
progress and a new due date, a postponement, a follow-up held, a delegation, a meeting,
corrections, a retraction, a merge undone and made again), imported, verified and built
with a fixed clock and fixed ids, and what came out of it, as digests: the log's
bytes, the verify report, and each table's rows. `tests/golden/10k.json` holds the
digests the code gave before the batch pipeline; `test_golden.py` compares today's.

To remake the file after a change that is meant to change the output (a new column, a
new event version), run `python tests/golden_archive.py` and say why in the commit."""

from __future__ import annotations

import hashlib
import itertools
import json
import sqlite3
import sys
import tempfile
from contextlib import closing
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from archive.app import Archive  # noqa: E402
from archive.append.recorder import Recorder  # noqa: E402
from archive.store.log import Log  # noqa: E402
from archive.store.verify import verify  # noqa: E402
from bench.generate import GENERATOR_VERSION, write_import  # noqa: E402

GOLDEN = REPO / "tests" / "golden" / "10k.json"
EVENTS, SEED = 10_000, 11
EVERY = REPO / "tests" / "golden" / "every.jsonl"
#: What a build writes that is not the record: when and from what it was built; and the
#: full-text indexes' own storage, whose bytes depend on how the index was filled (the
#: indexed rows themselves are compared, as the `*_fts` tables).
VOLATILE = {"_archive_build"}
FTS_STORAGE = ("_fts_config", "_fts_data", "_fts_docsize", "_fts_idx")


def make(root: Path) -> tuple[Path, Any]:
    """The golden archive at `root`: imported, verified, built. Returns the database and
    the verify report."""
    Archive(root).init()
    lines = root.parent / f"{root.name}-import.jsonl"
    write_import(lines, EVENTS, seed=SEED)
    ids = (f"golden-{n:06d}" for n in itertools.count(1))
    recorder = Recorder(Log(root), "golden", clock=lambda: "2031-01-01T00:00:00.000Z",
                        new_id=lambda: next(ids))
    with lines.open("rb") as f:
        recorder.import_lines(f)
    with EVERY.open("rb") as f:
        recorder.import_lines(f)
    report = verify(Log(root))
    return Archive(root).build().path, report


def digests(root: Path) -> dict[str, Any]:
    """What the golden archive at `root` came out as: its log, its verify report and, for
    each table of its database, the number of rows and a digest of them all (in primary
    key order, else rowid order)."""
    db_path, report = make(root)
    out: dict[str, Any] = {
        "generator": GENERATOR_VERSION,
        "log": hashlib.sha256(Log(root).path.read_bytes()).hexdigest(),
        "verify": {"events": report.events, "seq": report.seq, "hash": report.hash,
                   "size": report.size},
        "tables": {}}
    with closing(sqlite3.connect(db_path)) as db:
        names = [r[0] for r in db.execute(
            "select name from sqlite_master where type = 'table' and name not like "
            "'sqlite_%' order by name")]
        for name in names:
            if name in VOLATILE or name.endswith(FTS_STORAGE):
                continue
            digest = hashlib.sha256()
            count = 0
            for row in db.execute(f"select * from [{name}] order by rowid" if _has_rowid(
                    db, name) else f"select * from [{name}] order by 1"):
                digest.update(json.dumps(row, default=_bytes).encode() + b"\n")
                count += 1
            out["tables"][name] = {"rows": count, "sha256": digest.hexdigest()}
    return out


def _has_rowid(db: sqlite3.Connection, name: str) -> bool:
    try:
        db.execute(f"select rowid from [{name}] limit 1").fetchall()
    except sqlite3.OperationalError:
        return False
    return True


def _bytes(value: object) -> str:
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(type(value))


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        made = digests(Path(tmp) / "golden")
    GOLDEN.write_text(json.dumps(made, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN}: {len(made['tables'])} tables")
