"""Measurement processes, run as `python -m bench.child COMMAND ...`; each prints one JSON
line. Run in their own process so that peak memory and imports are theirs alone.

- `build ROOT [--db PATH] [--full]`: archive.database.build, timed inside the process.
- `floor LOG DB`: the floor of a full build as issue 6 defines it: parse + chain check of
  the log's lines (orjson + SHA-256), raw sqlite3 executemany of the same rows the build
  wrote (read from its DB beforehand, untimed) into the same tables in one transaction, and
  the same FTS rebuild. Creating the same secondary indexes afterwards is timed apart
  (`index_seconds`, and `with_indexes_seconds` for the floor including them).
- `es-save JSONL DB [--aggregate] [--checked]`: the eventsourcing library's bulk save of
  the same events (its SQLite application recorder; --aggregate: its aggregate recorder,
  which uses executemany but keeps no global order; --checked: each payload first
  validated by msgspec against the archive's own payload class, and the lines hashed in
  a SHA-256 chain: the price of the archive's checks, paid by the peer).
- `es-read DB`: the eventsourcing library's read-back of all events (notifications, in pages),
  decoding each event's state.
"""

from __future__ import annotations

import hashlib
import json
import re
import resource
import sqlite3
import sys
import time
from pathlib import Path


def _rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def cmd_build(args: list[str]) -> dict:
    root = Path(args[0])
    db = Path(args[args.index("--db") + 1]) if "--db" in args else None
    full = "--full" in args
    t_import = time.perf_counter()
    import archive.database.build  # noqa: F401 (imported before the clock starts, as before)
    from archive.app import Archive

    t0 = time.perf_counter()
    result = Archive(root).build(db, full=full)
    t1 = time.perf_counter()
    return {"seconds": t1 - t0, "import_seconds": t0 - t_import,
            "applied": getattr(result, "applied", None), "seq": getattr(result, "seq", None),
            "path": str(getattr(result, "path", "")), "maxrss_kb": _rss_kb()}


def _lines(path: Path):
    with open(path, "rb") as f:
        rest = b""
        while chunk := f.read(1 << 20):
            parts = (rest + chunk).split(b"\n")
            rest = parts.pop()
            yield from parts


def parse_chain(path: Path) -> int:
    """orjson parse of every line, SHA-256 of each line's hashed part, chain + seq check."""
    import orjson

    prev, seq = "0" * 64, 0
    for line in _lines(path):
        obj = orjson.loads(line)
        digest = hashlib.sha256(line[:-75] + b"}").hexdigest()
        if digest != obj["hash"] or obj["prev"] != prev or obj["seq"] != seq + 1:
            raise SystemExit(f"chain broken at line {seq + 1}")
        prev, seq = digest, seq + 1
    return seq


def cmd_floor(args: list[str]) -> dict:
    log, built = Path(args[0]), Path(args[1])
    t0 = time.perf_counter()
    n = parse_chain(log)
    parse_seconds = time.perf_counter() - t0

    src = sqlite3.connect(built)
    master = src.execute("select type, name, tbl_name, sql from sqlite_master "
                         "where sql is not null and name not like 'sqlite_%'").fetchall()
    virtual = [(name, sql) for type_, name, _, sql in master
               if type_ == "table" and sql.upper().startswith("CREATE VIRTUAL TABLE")]
    shadow = {f"{v}_{s}" for v, _ in virtual
              for s in ("data", "idx", "content", "docsize", "config")}
    tables = [(name, sql) for type_, name, _, sql in master
              if type_ == "table" and name not in shadow and (name, sql) not in virtual]
    indexes = [sql for type_, _, _, sql in master if type_ == "index"]
    views = [sql for type_, _, _, sql in master if type_ == "view"]

    target = built.with_name(built.stem + "-floor.db")
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    db = sqlite3.connect(target, isolation_level=None)
    insert_seconds = 0.0
    rows_total = 0
    t_setup = time.perf_counter()
    db.execute("begin")
    for _, sql in tables:
        db.execute(sql)
    insert_seconds += time.perf_counter() - t_setup
    for name, _ in tables:
        rows = src.execute(f'select * from "{name}"').fetchall()  # untimed: the same rows
        if not rows:
            continue
        marks = ",".join("?" * len(rows[0]))
        t = time.perf_counter()
        db.executemany(f'insert into "{name}" values ({marks})', rows)
        insert_seconds += time.perf_counter() - t
        rows_total += len(rows)
        del rows
    t = time.perf_counter()
    db.execute("commit")
    insert_seconds += time.perf_counter() - t
    t = time.perf_counter()
    db.execute("begin")
    for sql in indexes + views:
        db.execute(sql)
    db.execute("commit")
    index_seconds = time.perf_counter() - t

    fts_seconds = 0.0
    for name, sql in virtual:
        content = re.search(r"content\s*=\s*[\[\"'`]?(\w+)", sql, re.I)
        copy = None
        if not content:
            copy = src.execute(f'select rowid, * from "{name}"').fetchall()
        t = time.perf_counter()
        db.execute("begin")
        db.execute(sql)
        if content:
            db.execute(f"insert into \"{name}\"(\"{name}\") values('rebuild')")
        elif copy:
            marks = ",".join("?" * len(copy[0]))
            db.executemany(f'insert into "{name}" values ({marks})', [r[1:] for r in copy])
        db.execute("commit")
        fts_seconds += time.perf_counter() - t
    db.close()
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    return {"seconds": parse_seconds + insert_seconds + fts_seconds, "lines": n,
            "with_indexes_seconds": parse_seconds + insert_seconds + index_seconds
            + fts_seconds, "index_seconds": index_seconds, "indexes": len(indexes),
            "parse_seconds": parse_seconds, "insert_seconds": insert_seconds,
            "fts_seconds": fts_seconds, "rows": rows_total, "tables": len(tables),
            "fts_tables": len(virtual), "maxrss_kb": _rss_kb()}


def cmd_parse_floor(args: list[str]) -> dict:
    t0 = time.perf_counter()
    n = parse_chain(Path(args[0]))
    return {"seconds": time.perf_counter() - t0, "lines": n, "maxrss_kb": _rss_kb()}


def cmd_es_save(args: list[str]) -> dict:
    """Read the import file, one aggregate per conference (corrections and retractions go
    to their target's aggregate, merges to one 'entities' aggregate), versions counted per
    aggregate, the event's JSON as its state; insert in batches of 10,000 (one transaction
    each, WAL, the library's default synchronous=FULL)."""
    t_start = time.perf_counter()
    from eventsourcing.sqlite import (
        SQLiteAggregateRecorder,
        SQLiteApplicationRecorder,
        SQLiteDatastore,
    )

    src, db_path = Path(args[0]), Path(args[1])
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    datastore = SQLiteDatastore(str(db_path))
    cls = SQLiteAggregateRecorder if "--aggregate" in args else SQLiteApplicationRecorder
    recorder = cls(datastore)
    recorder.create_table()
    t0 = time.perf_counter()
    with open(src, "rb") as f:
        lines = _checked(f) if "--checked" in args else f
        n, aggregates = _save(recorder, _aggregates(lines), 10_000)
    datastore.close()
    t1 = time.perf_counter()
    return {"seconds": t1 - t0, "process_seconds": t1 - t_start, "events": n,
            "aggregates": aggregates, "maxrss_kb": _rss_kb()}


def _save(recorder, events, size: int) -> tuple[int, int]:  # noqa: ANN001
    """`insert_events` in batches of `size`; (events, aggregates) saved."""
    batch, n, aggregates = [], 0, set()
    for event in events:
        batch.append(event)
        aggregates.add(event.originator_id)
        if len(batch) >= size:
            recorder.insert_events(batch)
            n += len(batch)
            batch = []
    if batch:
        recorder.insert_events(batch)
        n += len(batch)
    return n, len(aggregates)


def _checked(lines):
    """The lines, each one's payload decoded by msgspec into the archive's payload class of
    its type (a typed, validating decode), and chained: SHA-256 of the previous hash and
    the line."""
    import msgspec

    from archive.core.events import REGISTRY

    line_type = msgspec.defstruct("Line", [("type", str), ("data", msgspec.Raw)])
    envelope = msgspec.json.Decoder(line_type).decode
    decoders = {t: msgspec.json.Decoder(cls).decode for t, cls in REGISTRY.items()}
    prev = b"0" * 64
    for line in lines:
        parsed = envelope(line)
        decoders[parsed.type](parsed.data)
        prev = hashlib.sha256(prev + line).hexdigest().encode()
        yield line


def cmd_es_read(args: list[str]) -> dict:
    import orjson
    from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

    datastore = SQLiteDatastore(args[0])
    recorder = SQLiteApplicationRecorder(datastore)
    t0 = time.perf_counter()
    start, n = 1, 0
    while True:
        page = recorder.select_notifications(start, 10_000)
        if not page:
            break
        for notification in page:
            orjson.loads(notification.state)
        n += len(page)
        start = page[-1].id + 1
    t1 = time.perf_counter()
    datastore.close()
    return {"seconds": t1 - t0, "events": n, "maxrss_kb": _rss_kb()}


def _aggregates(lines):
    """The import lines as eventsourcing stored events: one aggregate per conference
    (corrections and retractions to their target's, the rest to one 'entities'
    aggregate), versions counted per aggregate, the line as the state."""
    from uuid import NAMESPACE_URL, uuid5

    import orjson
    from eventsourcing.persistence import StoredEvent

    agg_of: dict[str, object] = {}
    versions: dict[object, int] = {}
    entities = uuid5(NAMESPACE_URL, "urn:entities")
    for line in lines:
        obj = orjson.loads(line)
        data = obj["data"]
        conf = data.get("conference")
        if conf is not None:
            agg = agg_of.get(conf) or uuid5(NAMESPACE_URL, conf)
        elif "target" in data:
            agg = agg_of.get(data["target"]) or uuid5(NAMESPACE_URL, data["target"])
        elif obj["type"] == "conference.held":
            agg = uuid5(NAMESPACE_URL, obj["id"])
        else:
            agg = entities
        agg_of[obj["id"]] = agg
        version = versions.get(agg, 0) + 1
        versions[agg] = version
        yield StoredEvent(originator_id=agg, originator_version=version, topic=obj["type"],
                          state=line.rstrip(b"\n"))


def cmd_es_save_pg(args: list[str]) -> dict:
    """`es-save-pg JSONL DBNAME HOST`: the eventsourcing library's PostgreSQL application
    recorder (table lock per insert, global notification order), in batches of 1,000 (with
    psycopg 3.3, its pipelined insert of 2,000 or more events in one call never returns:
    client and server each wait for the other; 1,000 is the fastest batch that works)."""
    t_start = time.perf_counter()
    from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

    src, dbname, host = Path(args[0]), args[1], args[2]
    datastore = PostgresDatastore(dbname, host, 5432, "postgres", "")
    recorder = PostgresApplicationRecorder(datastore)
    recorder.create_table()
    t0 = time.perf_counter()
    with open(src, "rb") as f:
        n, _ = _save(recorder, _aggregates(f), 1_000)
    datastore.close()
    t1 = time.perf_counter()
    return {"seconds": t1 - t0, "process_seconds": t1 - t_start, "events": n,
            "maxrss_kb": _rss_kb()}


def cmd_writer(args: list[str]) -> dict:
    """`writer ROOT TAG COUNT`: COUNT notes appended one at a time through the library
    (each its own locked, checked, durable append), timed on the wall clock so that
    concurrent writers can be put on one time line."""
    from archive.append.recorder import Recorder
    from archive.store.open import open_log

    root, tag, count = args[0], args[1], int(args[2])
    recorder = Recorder(open_log(root), f"bench-{tag}")
    recorder.add("note.recorded", {"text": "warm-up"}, conference="c1", event_id=f"{tag}-w")
    start = time.time()
    for i in range(count):
        recorder.add("note.recorded", {"text": f"note {i} from {tag}"}, conference="c1",
                     event_id=f"{tag}-{i}")
    return {"start": start, "end": time.time(), "count": count}


def cmd_pg_lock(args: list[str]) -> dict:
    """`pg-lock URL MODE COUNT`: the ordering mechanism alone, on a bare table: COUNT
    single-row appends (read the head, insert the next seq, commit) under an advisory
    transaction lock, a table lock (as eventsourcing takes), or SERIALIZABLE with retries."""
    import psycopg

    url, mode, count = args[0], args[1], int(args[2])
    conn = psycopg.connect(url, autocommit=True)
    retries = 0
    start = time.time()
    for _ in range(count):
        while True:
            try:
                with conn.transaction():
                    if mode == "serializable":
                        conn.execute("set transaction isolation level serializable")
                    elif mode == "advisory":
                        conn.execute("select pg_advisory_xact_lock(42)")
                    else:
                        conn.execute("lock table lockbench in exclusive mode")
                    head = conn.execute("select coalesce(max(seq), 0) from lockbench"
                                        ).fetchone()[0]
                    conn.execute("insert into lockbench values (%s, %s)",
                                 (head + 1, b"x" * 400))
                break
            except (psycopg.errors.SerializationFailure, psycopg.errors.UniqueViolation):
                retries += 1
    return {"start": start, "end": time.time(), "count": count, "retries": retries}


COMMANDS = {"build": cmd_build, "floor": cmd_floor, "parse-floor": cmd_parse_floor,
            "es-save": cmd_es_save, "es-read": cmd_es_read, "es-save-pg": cmd_es_save_pg,
            "writer": cmd_writer, "pg-lock": cmd_pg_lock}

if __name__ == "__main__":
    out = COMMANDS[sys.argv[1]](sys.argv[2:])
    print(json.dumps(out))
