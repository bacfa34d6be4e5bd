"""Datasette plugin: the follow-up meetings as calendars a calendar app subscribes to.

- `/-/calendar.ics`: every follow-up of the archive;
- `/-/calendar/<conference id>.ics`: those one conference scheduled;

the very bytes `archive export --format ics [--conference ID] --base-url URL` writes
(`archive.exchange.ics`), read from the database being served, with its links at the
configured base URL, else at the address the calendar was asked at
(`archive.exchange.links.served_base`). A conference the archive does not hold is a 404
with a one-line message.
"""

from __future__ import annotations

import asyncio
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response

from archive.errors import ArchiveError
from archive.exchange.ics import calendar
from archive.exchange.links import DATABASE, served_base

PLUGIN = "archive"
#: A conference id, as the log accepts one (`archive.core.validate`).
_CID = r"(?P<cid>[A-Za-z0-9][A-Za-z0-9._:-]{0,127})"


async def _calendar_view(datasette: Any, request: Any) -> Any:
    config = datasette.plugin_config(PLUGIN) or {}
    base = served_base(config.get("base_url"), request.scheme, request.host)
    db = datasette.databases.get(DATABASE)
    if db is None or not db.path:
        return Response.text("No archive database is served.", status=404)
    try:
        # the file is read with its own read-only connection, off the event loop
        body = await asyncio.to_thread(calendar, db.path, request.url_vars.get("cid"),
                                       base_url=base)
    except ArchiveError as exc:
        message = " ".join(str(exc).split())
        return Response.text(message[:1].upper() + message[1:] + ".", status=404)
    return Response(body, content_type="text/calendar; charset=utf-8")


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/calendar\.ics$", _calendar_view),
            (rf"^/-/calendar/{_CID}\.ics$", _calendar_view)]
