"""Datasette plugin: the archive's signed checkpoint and its Merkle proofs
(`archive.proofs.service`), loaded with `--plugins-dir` beside `archive_plugin.py`.

    /-/checkpoint                               the latest checkpoint (a signed note),
                                                checked against the recorded key and the log
    /-/proof/ID.json                            the inclusion proof of event ID against it
                                                (what `archive prove ID` writes)
    /-/proof/consistency?first=N&second=M       {"consistency": [hex, ...]}: the tree of N
                                                events is a prefix of the tree of M (RFC
                                                6962's get-sth-consistency); M at most the
                                                latest checkpoint's size

The consistency route is the checkpoint's neighbour, so `archive witness
https://HOST/-/checkpoint` finds it (`proofs.witness._url_proofs`).

Row pages of `events`, `speeches` and `quotes` say, when the latest checkpoint covers the
event, "In the record as leaf N of checkpoint SIZE, signed by ORIGIN" with a link to the
proof (`extra_template_vars` + `templates/row.html`); with no checkpoint, or an event
after it, they say nothing. The checkpoint is verified once per version of the file
(its inode, mtime and size), then remembered.

The archive folder is the one the served database belongs to (`<root>/exports/archive.db`,
`store.layout`): the plugin config does not name it, since Datasette shows its metadata,
plugin config included, at `/-/metadata`. A server of a database without its folder (a
published copy) has no checkpoint and no proofs. Everything that reads the log or the
tree runs in a worker thread; any ArchiveError is answered with one line.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import re
import threading
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.utils import urlsafe_components
from datasette.utils.asgi import Response

from archive.errors import ArchiveError, InvalidEvent, NotFound
from archive.proofs import note, service
from archive.store.index import Index
from archive.store.open import open_log

_ID = r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}"
_COUNT = re.compile(r"[1-9][0-9]{0,17}")
NO_CHECKPOINT = "no checkpoint: the archive has not signed one (archive checkpoint)"
#: The row pages that say whether their event is in the signed record.
TABLES = ("events", "speeches", "quotes")
_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}


def _root(datasette: Any) -> Path | None:
    """The archive folder of the served database, if it is served from one."""
    db = datasette.databases.get("archive")
    if db is None or not db.path:
        return None
    path = Path(db.path)
    root = path.parent.parent
    if path.name != "archive.db" or path.parent.name != "exports" or \
            not (root / "events").is_dir():
        return None
    return root


def _line(status: int, message: str) -> Any:
    text = " ".join(str(message).split())
    return Response.text(text + "\n", status=status, headers=_HEADERS)


def _error(exc: ArchiveError) -> Any:
    if isinstance(exc, NotFound):
        return _line(404, str(exc))
    if isinstance(exc, InvalidEvent):
        return _line(400, str(exc))
    return _line(500, str(exc))


async def _run(fn: Any, *args: Any) -> Any:
    return await asyncio.to_thread(functools.partial(fn, *args))


# ---------------------------------------------------------------- the checkpoint, remembered

_lock = threading.Lock()
#: checkpoint file -> ((inode, mtime, size), the verified checkpoint or None)
_verified: dict[str, tuple[tuple[int, int, int], note.Checkpoint | None]] = {}


def _version(path: Path) -> tuple[int, int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_ino, info.st_mtime_ns, info.st_size


def verified_checkpoint(root: Path) -> note.Checkpoint | None:
    """The archive's latest checkpoint if it verifies (`service.latest`), else None:
    checked once per version of `exports/checkpoint`."""
    log = open_log(root)
    path = service.latest_path(log)
    version = _version(path)
    if version is None:
        return None
    with _lock:
        known = _verified.get(str(path))
    if known is not None and known[0] == version:
        return known[1]
    try:
        checkpoint: note.Checkpoint | None = note.read_checkpoint(service.latest(log))
    except ArchiveError:
        checkpoint = None  # never claimed: unsigned, another key's, another log's
    if _version(path) == version:  # not replaced while it was checked
        with _lock:
            _verified[str(path)] = (version, checkpoint)
    return checkpoint


def _covered(root: Path, event_id: str, seq: int) -> dict[str, Any] | None:
    """What a row page says of event `event_id` (#`seq`): its leaf in the latest checkpoint,
    if that covers it and the log holds this event at that place."""
    checkpoint = verified_checkpoint(root)
    if checkpoint is None or not 1 <= seq <= checkpoint.size:
        return None
    with Index(open_log(root)) as index:
        found = index.db.execute("select seq from ids where id = ?", (event_id,)).fetchone()
    if found is None or int(found[0]) != seq:
        return None  # the database is not of this log
    return {"leaf": seq - 1, "size": checkpoint.size, "origin": checkpoint.origin}


# ---------------------------------------------------------------- routes


async def _checkpoint_view(datasette: Any, request: Any) -> Any:
    root = _root(datasette)
    if root is None or not (root / "exports" / "checkpoint").exists():
        return _line(404, NO_CHECKPOINT)
    try:
        signed = await _run(lambda: service.latest(open_log(root)))
    except NotFound:
        return _line(404, NO_CHECKPOINT)
    except ArchiveError as exc:
        return _error(exc)
    return Response(signed.encode("utf-8"), content_type="text/plain; charset=utf-8",
                    headers=_HEADERS)


def _filename(event_id: str) -> str:
    return "proof-" + re.sub(r"[^A-Za-z0-9._-]", "_", event_id) + ".json"


async def _proof_view(datasette: Any, request: Any) -> Any:
    event_id = request.url_vars["eid"]
    root = _root(datasette)
    if root is None:
        return _line(404, NO_CHECKPOINT)
    try:
        body = await _run(lambda: service.prove(open_log(root), event_id))
    except ArchiveError as exc:
        return _error(exc)
    return Response(body, content_type="application/json", headers={
        **_HEADERS, "Content-Disposition": f'attachment; filename="{_filename(event_id)}"'})


def _consistency(root: Path, first: int, second: int) -> list[str]:
    log = open_log(root)
    checkpoint = note.read_checkpoint(service.latest(log))
    if second > checkpoint.size:
        raise InvalidEvent(f"second={second} is beyond the latest checkpoint "
                           f"({checkpoint.size} events)")
    if first == second:
        return []
    with Index(log) as index:
        return [h.hex() for h in index.tree.consistency(first, second)]


async def _consistency_view(datasette: Any, request: Any) -> Any:
    first, second = request.args.get("first") or "", request.args.get("second") or ""
    if not _COUNT.fullmatch(first) or not _COUNT.fullmatch(second):
        return _line(400, "first and second must be positive whole numbers "
                          "(?first=N&second=M)")
    a, b = int(first), int(second)
    if a > b:
        return _line(400, f"first={a} is more than second={b}")
    root = _root(datasette)
    if root is None or not (root / "exports" / "checkpoint").exists():
        return _line(404, NO_CHECKPOINT)
    try:
        hashes = await _run(_consistency, root, a, b)
    except InvalidEvent as exc:
        return _line(400, str(exc))
    except ArchiveError as exc:
        return _error(exc)
    return Response((json.dumps({"consistency": hashes}) + "\n").encode(),
                    content_type="application/json", headers=_HEADERS)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/checkpoint$", _checkpoint_view),
            (r"^/-/proof/consistency$", _consistency_view),
            (rf"^/-/proof/(?P<eid>{_ID})\.json$", _proof_view)]


# ---------------------------------------------------------------- row pages


@hookimpl
def extra_template_vars(view_name: str, table: str, database: str, request: Any,
                        datasette: Any) -> Any:
    async def inner() -> dict[str, Any]:
        out: dict[str, Any] = {"archive_proof": None}
        if view_name != "row" or table not in TABLES or database != "archive" \
                or request is None or "pks" not in request.url_vars:
            return out
        root = _root(datasette)
        if root is None or not os.path.exists(root / "exports" / "checkpoint"):
            return out
        db = datasette.get_database(database)
        pk = urlsafe_components(request.url_vars["pks"])[0]
        if table == "events":
            found = await db.execute("select seq, id from events where seq = ?", [pk])
        else:
            found = await db.execute(
                f"select e.seq, e.id from [{table}] t join events e on e.seq = t.event_seq "
                "where t.id = ?", [pk])
        if not found.rows:
            return out
        seq, event_id = int(found.rows[0][0]), str(found.rows[0][1])
        try:
            said = await _run(_covered, root, event_id, seq)
        except ArchiveError:
            return out
        if said is not None:
            said["url"] = datasette.urls.path(f"/-/proof/{event_id}.json")
            said["filename"] = _filename(event_id)
        out["archive_proof"] = said
        return out

    return inner
