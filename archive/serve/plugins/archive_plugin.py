"""Datasette plugin for the conference archive (loaded with `--plugins-dir`).

- Row pages of fact tables show where the row came from (its event and source) and every
  correction of that event (`extra_template_vars` + `templates/row.html`).
- `/-/briefing.pdf` and `/-/briefing.html` serve `exports/briefing.pdf` and the web
  version (`archive briefing --html`) when they show the state being served; the home
  page links to them. `/events/attachments/<sha256>` serves the photos the web version
  shows: only files named by a hash that are raster images (never HTML or SVG, which a
  browser would run).
- `archive_fts(q)`: a search string made safe for an FTS5 MATCH (each word quoted).
- A table's default facets (`{"cached": column}` in the metadata) are Datasette's column
  facets with their counts remembered per query: the database is served immutable, so a
  count never changes while the process runs (at 1M events a facet over the 244k speeches
  costs about 20 ms a page; remembered, nothing).
- Only GET and HEAD reach Datasette: the archive is read-only, so any other method is
  answered 405 before Datasette sees it (no write endpoint, no form post, whatever the
  version of Datasette).
- CSV downloads have every cell a spreadsheet would run as a formula prefixed with `'`
  (`archive.serve.csvsafe`); JSON, HTML and the database keep the exact text.
- What one request may cost is bounded (`archive.serve.limits`): SQLite's own limits on
  every connection, and a response size limit.
- Every response carries the security headers (`SECURITY_HEADERS`): a Content-Security-
  Policy that runs only this server's scripts and Datasette's own inline ones, by hash
  (`archive.serve.csp`), no sniffing, no framing, no referrer beyond the archive.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import OrderedDict
from contextlib import closing
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.facets import ColumnFacet
from datasette.utils import tilde_encode, urlsafe_components
from datasette.utils.asgi import AsgiFileDownload, Response
from markupsafe import Markup, escape

from archive.core.names import name_key
from archive.errors import NotFound
from archive.exchange.atom import feed_path
from archive.serve import csp, pages
from archive.serve.csvsafe import Neutraliser
from archive.serve.limits import SQL_LENGTH, ServeLimits
from archive.store.layout import Layout, stamp_of
from archive.store.sqlite import read_only

PLUGIN = "archive"
LIMITS = ServeLimits.from_env()


def archive_fts(query: str | None) -> str:
    words = (query or "").split()
    if not words:
        return '""'  # the empty phrase: matches nothing, never a syntax error
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


#: How much of the served file SQLite may map into memory (it caps this at 2 GiB). The
#: file never changes in place while it is served (a build replaces it), so its pages can
#: be read where they lie instead of being copied through each connection's small cache:
#: at 1M events a search's count and its first page take half as long (49 -> 24 ms and
#: 51 -> 29 ms; the served search page 124-136 -> 101-108 ms). Mapped pages are the
#: operating system's file cache, not SQLite's heap.
MMAP_BYTES = 1 << 31


def _name_key(name: str | None) -> str | None:
    """`name_key(name)` in SQL: names compared as every lookup compares them."""
    return None if name is None else name_key(str(name))


@hookimpl
def prepare_connection(conn: Any) -> None:
    conn.create_function("archive_fts", 1, archive_fts, deterministic=True)
    conn.create_function("name_key", 1, _name_key, deterministic=True)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, LIMITS.value)
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, SQL_LENGTH)
    conn.execute(f"pragma hard_heap_limit={int(LIMITS.sqlite_heap)}")
    conn.execute(f"pragma mmap_size={MMAP_BYTES}")


def _layout(datasette: Any) -> Layout | None:
    """The archive whose database is served (`ROOT/exports/archive.db`), found from the
    database's own path: the briefings and attachments lie beside it, and no path is put
    into the metadata, which Datasette shows every visitor at /-/metadata. None for a
    database served from elsewhere (a published copy)."""
    db = datasette.databases.get("archive")
    if db is None or not db.path:
        return None
    path = Path(db.path).resolve()
    layout = Layout(path.parent.parent)
    return layout if layout.database == path else None


def _briefing(datasette: Any, kind: str = "pdf", conference: str | None = None,
              lang: str = "en") -> str | None:
    """The briefing (`kind` "pdf" or "html"; of one `conference` of several, or of the
    "series"; in `lang`), if it shows the very state of the log being served (its stamp
    file says which sequence and hash it was rendered from; an update or one-day briefing
    is not offered as the briefing)."""
    layout = _layout(datasette)
    if layout is None:
        return None
    output = layout.briefing(conference=conference, html=kind == "html", lang=lang)
    if not output.is_file():
        return None
    try:
        with open(stamp_of(output), "rb") as f:
            stamp = json.load(f)
        with closing(read_only(layout.database)) as conn:
            info = dict(conn.execute("select key, value from _archive_build").fetchall())
    except (OSError, ValueError, sqlite3.Error, NotFound):
        return None
    current = str(stamp.get("seq")) == info.get("seq") and stamp.get("hash") == info.get("hash")
    whole = stamp.get("since") is None and stamp.get("day") is None
    return str(output) if current and whole else None


def _lang(request: Any) -> str:
    return str(request.url_vars.get("lang") or "en")


def translated_languages() -> tuple[str, ...]:
    """The languages other than English a briefing can be written in (its catalogues)."""
    from archive.briefing.i18n import SOURCE_LANG, languages

    return tuple(lang for lang in languages() if lang != SOURCE_LANG)


def _translated_briefings(datasette: Any) -> list[dict[str, str]]:
    """The briefing in each other language it has been rendered in for the state served:
    the language's own name for itself (CLDR's), and the PDF's and web version's paths."""
    from babel import Locale

    out = []
    for lang in translated_languages():
        kinds = {k: f"/-/briefing.{lang}.{k}" for k in ("pdf", "html")
                 if _briefing(datasette, k, None, lang)}
        if kinds:
            name = Locale.parse(lang).get_display_name(lang) or lang
            out.append({"lang": lang, "name": name[:1].upper() + name[1:], **kinds})
    return out


async def _briefing_view(datasette: Any, request: Any) -> Any:
    conference = request.url_vars.get("cid")
    path = _briefing(datasette, "pdf", conference, _lang(request))
    if path is None:
        return Response.text("No briefing has been rendered yet (run `archive briefing`).",
                             status=404)
    return AsgiFileDownload(path, filename=os.path.basename(path),
                            content_type="application/pdf")


async def _briefing_html_view(datasette: Any, request: Any) -> Any:
    path = _briefing(datasette, "html", request.url_vars.get("cid"), _lang(request))
    if path is None:
        return Response.text("No web version of the briefing has been rendered yet (run "
                             "`archive briefing --html`).", status=404)
    with open(path, "rb") as f:
        body = f.read()
    return Response(body, content_type="text/html; charset=utf-8",
                    headers={"Content-Security-Policy": _BRIEFING_CSP,
                             "X-Content-Type-Options": "nosniff"})


#: The web briefing is one self-contained page: no script, styles inline, images only
#: from this server.
_BRIEFING_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
                 "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")

#: What a photo's bytes start with, for the raster formats the briefing draws.
_IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
                (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))


#: The archive's own static files, served on every page (metadata `extra_css_urls` and
#: `extra_js_urls`): what makes Datasette's pages pass axe (archive/serve/static/).
_STATIC = {"archive.css": "text/css; charset=utf-8",
           "archive.js": "text/javascript; charset=utf-8"}


async def _static_view(request: Any) -> Any:
    import archive.serve

    name = request.url_vars["name"]
    body = (Path(archive.serve.__file__).parent / "static" / name).read_bytes()
    return Response(body, content_type=_STATIC[name],
                    headers={"Cache-Control": "public, max-age=3600"})


async def _attachment_view(datasette: Any, request: Any) -> Any:
    layout = _layout(datasette)
    sha = request.url_vars["sha"]
    path = str(layout.attachment(sha)) if layout is not None else None
    try:
        with open(path or "", "rb") as f:
            head = f.read(16)
            body = head + f.read() if os.fstat(f.fileno()).st_size <= LIMITS.response else b""
    except OSError:
        body = b""
    media_type = next((t for magic, t in _IMAGE_MAGIC if body.startswith(magic)), None)
    if media_type is None:
        return Response.text("No such photo.", status=404)
    return Response(body, content_type=media_type,
                    headers={"X-Content-Type-Options": "nosniff",
                             "Cache-Control": "public, max-age=31536000, immutable"})


_READ_METHODS = frozenset({"GET", "HEAD"})
_FILES = frozenset({"/archive.db", "/-/briefing.pdf", "/-/briefing.html"})
_FILE_PREFIXES = ("/-/briefing-", "/-/briefing.")


@hookimpl
def asgi_wrapper() -> Any:
    def wrap(app: Any) -> Any:
        async def read_only(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope.get("type") == "http" and scope.get("method") not in _READ_METHODS:
                await send({"type": "http.response.start", "status": 405,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                        (b"allow", b"GET, HEAD")]})
                await send({"type": "http.response.body",
                            "body": b"This archive is read-only.\n"})
                return
            if scope.get("type") != "http":
                await app(scope, receive, send)
                return
            path = scope.get("path") or ""
            whole = path in _FILES or path.startswith(_FILE_PREFIXES)  # files, not queries
            send = _secured(send)
            bounded = send if whole else _bounded(_in_english(send), LIMITS.response)
            await app(scope, receive, _neutralised(bounded) if _is_csv(scope) else bounded)

        return read_only

    return wrap


def _bounded(send: Any, limit: int) -> Any:
    """`send` for one response of at most `limit` bytes: a response sent whole that is
    longer is answered 413 instead; a streamed one (a CSV) is cut off at the limit."""
    held: dict[str, Any] | None = None
    sent = 0
    done = False

    async def bounded_send(message: dict[str, Any]) -> None:
        nonlocal held, sent, done
        if done:
            return
        if message["type"] == "http.response.start":
            held = message  # sent with the first body, once its size is known
            return
        if message["type"] != "http.response.body":
            await send(message)
            return
        body, more = message.get("body", b""), message.get("more_body", False)
        if held is not None:
            start, held = held, None
            if not more and len(body) > limit:
                done = True
                await send({"type": "http.response.start", "status": 413,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
                await send({"type": "http.response.body", "body": (
                    f"This response would be {len(body)} bytes, more than the limit of "
                    f"{limit} (ARCHIVE_SERVE_MAX_RESPONSE_BYTES). Ask for fewer rows or "
                    "columns, or download the whole database.\n").encode()})
                return
            await send(start)
        if sent + len(body) > limit:
            body, more, done = body[:limit - sent], False, True
        sent += len(body)
        await send({**message, "body": body, "more_body": more})

    return bounded_send


#: Every response: defence in depth beside the escaping (no sniffing a type, no page in
#: another site's frame, no script but this server's and Datasette's own inline ones, no
#: plugin objects, no referrer beyond this archive; `archive.serve.csp`).
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", csp.served_policy().encode()),
]
_SKIP = b'<a class="archive-skip" href="#main">Skip to the content</a>'
_CSS = b'<link rel="stylesheet" href="/-/archive.css">\n'


def _secured(send: Any) -> Any:
    """`send` that adds SECURITY_HEADERS to a response that does not set them itself (an
    attachment's stricter policy stays its own)."""
    async def secured_send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers") or [])
            have = {k.lower() for k, _ in headers}
            headers += [(k, v) for k, v in SECURITY_HEADERS if k not in have]
            message = {**message, "headers": headers}
        await send(message)

    return secured_send


def _in_english(send: Any) -> Any:
    """`send` that gives Datasette's HTML pages their language (`<html lang="en">`, which
    its base template leaves out), so screen readers speak them in the right voice; and,
    where its base template has no landmark, a `main` one (its content section) with a
    skip link to it as the first thing a keyboard reaches (its base template has no
    block for either); and the archive's stylesheet where Datasette leaves it out (its
    error pages ignore `extra_css_urls`), so the skip link is hidden and legible there
    too."""
    held: dict[str, Any] | None = None

    async def language_send(message: dict[str, Any]) -> None:
        nonlocal held
        if message["type"] == "http.response.start":
            headers = dict(message.get("headers") or [])
            if headers.get(b"content-type", b"").startswith(b"text/html"):
                held = message
                return
            await send(message)
            return
        if held is not None and message["type"] == "http.response.body":
            start, held = held, None
            body = message.get("body", b"")
            head = body[:300]
            if b"<html>" in head and b"<html lang=" not in head:
                body = body.replace(b"<html>", b'<html lang="en">', 1)
                if b'<section class="content">' in body and b"<main" not in body:
                    body = body.replace(b'<section class="content">',
                                        b'<section class="content" id="main" role="main">', 1)
                    at = body.find(b">", body.find(b"<body")) + 1
                    body = body[:at] + _SKIP + body[at:]
                if b"/-/archive.css" not in body:  # an error page: no extra_css_urls
                    body = body.replace(b"</head>", _CSS + b"</head>", 1)
                start = {**start, "headers": [
                    (k, str(len(body)).encode() if k == b"content-length" else v)
                    for k, v in start.get("headers") or []]}
                message = {**message, "body": body}
            await send(start)
        await send(message)

    return language_send


def _is_csv(scope: dict[str, Any]) -> bool:
    return str(scope.get("path", "")).endswith(".csv") or b"_format=csv" in scope.get(
        "query_string", b"")


def _neutralised(send: Any) -> Any:
    """`send` for a CSV download: every cell a spreadsheet would run gets a `'` in front
    (`archive.serve.csvsafe`); the length changes, so no Content-Length is sent."""
    cells = Neutraliser()

    async def neutral_send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [
                (k, v) for k, v in message.get("headers", []) if k.lower() != b"content-length"]}
        elif message["type"] == "http.response.body":
            final = not message.get("more_body", False)
            message = {**message, "body": cells.feed(message.get("body", b""), final)}
        await send(message)

    return neutral_send


class _RememberingDatasette:
    """A Datasette whose `execute` remembers results of immutable databases, per file
    version (inode and mtime), least recently used first out."""

    LIMIT = 512
    results: OrderedDict[tuple[Any, ...], Any] = OrderedDict()

    def __init__(self, datasette: Any):
        self._datasette = datasette

    def __getattr__(self, name: str) -> Any:
        return getattr(self._datasette, name)

    async def execute(self, database: str, sql: str, params: Any = None,
                      **kwargs: Any) -> Any:
        db = self._datasette.get_database(database)
        if db.is_mutable:
            return await self._datasette.execute(database, sql, params, **kwargs)
        try:  # a rebuilt file (replaced, or changed while nobody served it) is a new key
            stat = os.stat(db.path)
        except OSError:
            return await self._datasette.execute(database, sql, params, **kwargs)
        items = params.items() if isinstance(params, dict) else enumerate(params or ())
        key = (db.path, stat.st_ino, stat.st_mtime_ns, sql,
               tuple(sorted(items, key=lambda kv: str(kv[0]))))
        results = self.results
        if key in results:
            results.move_to_end(key)
            return results[key]
        found = await self._datasette.execute(database, sql, params, **kwargs)
        results[key] = found
        while len(results) > self.LIMIT:
            results.popitem(last=False)
        return found


class CachedColumnFacet(ColumnFacet):  # type: ignore[misc]
    """Column facets whose counts are remembered (immutable databases only)."""

    type = "cached"

    def __init__(self, datasette: Any, *args: Any, **kwargs: Any):
        super().__init__(_RememberingDatasette(datasette), *args, **kwargs)

    async def suggest(self) -> list[Any]:
        return []  # Datasette's own column facets make the suggestions

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results, timed_out = await super().facet_results()
        for facet in results:
            facet["type"] = "column"  # what it is, to pages and JSON
        return results, timed_out


@hookimpl
def register_facet_classes() -> list[type]:
    return [CachedColumnFacet]


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    cid = r"(?P<cid>[A-Za-z0-9][A-Za-z0-9._:-]{0,127})"
    lang = "(?P<lang>" + "|".join(translated_languages()) + ")"
    return [(r"^/-/briefing\.pdf$", _briefing_view),
            (r"^/-/briefing\.html$", _briefing_html_view),
            (rf"^/-/briefing\.{lang}\.pdf$", _briefing_view),
            (rf"^/-/briefing\.{lang}\.html$", _briefing_html_view),
            (rf"^/-/briefing-{cid}\.pdf$", _briefing_view),
            (rf"^/-/briefing-{cid}\.html$", _briefing_html_view),
            (r"^/events/attachments/(?P<sha>[0-9a-f]{64})$", _attachment_view),
            (r"^/-/(?P<name>archive\.(?:css|js))$", _static_view)]


async def _share(datasette: Any, db: Any, request: Any, table: str, pk: str
                 ) -> dict[str, str] | None:
    """A row page's canonical address, and its title and words for a pasted link: the
    headline of the fact (`exchange.headlines`, as its feed entry says it), or the name
    of a person, organisation or country and what they were."""
    from archive.exchange import headlines, links
    from archive.statements import shortened

    base = links.served_base((datasette.plugin_config(PLUGIN) or {}).get("base_url"),
                             request.scheme, request.host)

    def told(conn: sqlite3.Connection) -> tuple[str, str] | None:
        factory, conn.row_factory = conn.row_factory, sqlite3.Row
        try:
            if table == "entities":
                row = conn.execute("select name, kind, category from entities where id = ?",
                                   (pk,)).fetchone()
                return (row["name"], " · ".join(x for x in (row["kind"], row["category"])
                                                if x)) if row else None
            ev = conn.execute("select * from events where id = ?", (pk,)).fetchone()
            said = headlines.said(conn, ev) if ev is not None else None
            if said is None:
                return None
            words = (said.quotes or said.text or ("",))[0]
            return said.title, shortened(words, 200) if words else ""
        finally:
            conn.row_factory = factory

    found = await db.execute_fn(told)
    if found is None:
        return None
    return {"url": links.reader_url(base, table, pk), "title": found[0],
            "description": found[1]}


def _marked(snippet: str | None) -> Markup:
    """A search snippet with its matches (between the \\x02 and \\x03 that `snippet()`
    puts around them) in <mark>: the text is escaped first, and the archive's text can
    hold no control characters, so only the marks are markup."""
    text = escape(snippet or "")
    return Markup(str(text).replace("\x02", "<mark>").replace("\x03", "</mark>"))


async def _conferences(datasette: Any) -> list[dict[str, Any]]:
    """The conferences, for the home page of an archive that holds several: series,
    number, place, dates, what was recorded of each, and its briefing when rendered."""
    if "archive" not in datasette.databases:
        return []
    db = datasette.get_database("archive")
    try:
        found = await db.execute(
            "select c.id, c.name, c.series, c.number, c.place, c.start, c.end, "
            "(select count(distinct entity_id) from participations p where "
            "p.conference_id = c.id and p.kind = 'country') as countries, "
            "(select count(*) from speeches s where s.conference_id = c.id) as speeches, "
            "(select count(*) from agreements a where a.conference_id = c.id) as agreements "
            "from conferences c order by c.start, c.number, c.event_seq")
    except Exception:  # an old database: the home page stays as it was
        return []
    rows = [dict(r) for r in found.rows]
    if len(rows) < 2:
        return []
    for row in rows:
        row["url"] = datasette.urls.row("archive", "conferences", tilde_encode(row["id"]))
        row["pdf"] = _briefing(datasette, "pdf", row["id"]) and f"/-/briefing-{row['id']}.pdf"
        row["html"] = (_briefing(datasette, "html", row["id"])
                       and f"/-/briefing-{row['id']}.html")
        row["feed"] = datasette.urls.path(feed_path(conference=row["id"]))
    return rows


def _safe_url(url: str | None) -> str | None:
    """Only http(s) sources become links (never javascript: or data: URLs)."""
    if url and url.lower().startswith(("http://", "https://")):
        return url
    return None


async def _links(datasette: Any, db: Any, database: str, table: str,
                 row: dict[str, Any]) -> list[dict[str, str]]:
    """What this row refers to, by label (Datasette's row page shows bare ids)."""
    links = []
    for fk in await db.foreign_keys_for_table(table):
        value = row.get(fk["column"])
        if value is None or fk["other_table"] == "events":
            continue
        label_column = await db.label_column_for_table(fk["other_table"])
        label = value
        if label_column:
            found = await db.execute(
                f"select [{label_column}] from [{fk['other_table']}] "
                f"where [{fk['other_column']}] = ?", [value])
            if found.rows and found.rows[0][0] is not None:
                label = found.rows[0][0]
        links.append({"column": fk["column"], "label": str(label),
                      "url": datasette.urls.row(database, fk["other_table"],
                                                tilde_encode(str(value)))})
    return links


@hookimpl
def extra_template_vars(template: str, database: str, table: str, view_name: str,
                        request: Any, datasette: Any) -> Any:
    async def inner() -> dict[str, Any]:
        out: dict[str, Any] = {"archive_briefing": None, "archive_briefing_html": None,
                               "archive_briefings_translated": [],
                               "archive_marked": _marked,
                               "archive_row_url": lambda t, i: datasette.urls.row(
                                   "archive", t, tilde_encode(str(i)))}
        if view_name == "index":
            out["archive_briefing"] = _briefing(datasette) and "/-/briefing.pdf"
            out["archive_briefing_html"] = _briefing(datasette, "html") and "/-/briefing.html"
            out["archive_briefings_translated"] = _translated_briefings(datasette)
            out["archive_conferences"] = await _conferences(datasette)
            out["archive_series_briefing"] = {
                kind: f"/-/briefing-series.{kind}" for kind in ("pdf", "html")
                if _briefing(datasette, kind, "series")}
            out["archive_feed"] = (datasette.urls.path("/archive/feed.atom")
                                   if "archive" in datasette.databases else None)
            out["archive_calendar"] = (datasette.urls.path("/-/calendar.ics")
                                       if "archive" in datasette.databases else None)
            out["archive_search"] = datasette.urls.query("archive", "search") \
                if "archive" in datasette.databases else None
            out["archive_queries"] = [
                {"url": datasette.urls.query("archive", name), "title": q.get("title", name),
                 "description": q.get("description", "")}
                for name, q in (datasette.metadata("queries", database="archive") or {}).items()
            ] if "archive" in datasette.databases else []
        if view_name != "row" or request is None or not table:
            return out
        db = datasette.get_database(database)
        pk = urlsafe_components(request.url_vars["pks"])[0]
        out["archive_share"] = await _share(datasette, db, request, table, pk)
        if table == "entities":
            out["archive_page"] = await pages.profile(db, pk)
        elif table == "conferences":
            out["archive_page"] = await pages.conference(db, pk)
            if out["archive_page"] is not None:
                several = (await db.execute("select count(*) from conferences")
                           ).first()[0] > 1
                kinds = ("pdf", "html")
                out["archive_page"]["briefing"] = {
                    k: (f"/-/briefing-{pk}.{k}" if several else f"/-/briefing.{k}")
                    for k in kinds if _briefing(datasette, k, pk if several else None)}
        columns = await db.table_columns(table)
        pks = await db.primary_keys(table)
        if "event_seq" not in columns or len(pks) != 1:
            return out
        pk_values = urlsafe_components(request.url_vars["pks"])
        found = await db.execute(f"select * from [{table}] where [{pks[0]}] = ?",
                                 [pk_values[0]])
        if not found.rows:
            return out
        row = dict(found.rows[0])
        if table in pages.FACT_TABLES:
            out["archive_page"] = await pages.fact(db, table, row)
        seq = row["event_seq"]
        out["archive_links"] = await _links(datasette, db, database, table, row)
        event = await db.execute(
            "select seq, id, type, recorded_at, recorded_by, source_url, source_locator, hash "
            "from events where seq = ?", [seq])
        if not event.rows:
            return out
        ev = dict(event.rows[0])
        target = ev["id"] if table not in ("revisions", "retractions", "entity_aliases") \
            else None
        revisions = []
        if target:
            result = await db.execute(
                "select correction_event_id, field, old_value, new_value, reason, recorded_at, "
                "recorded_by, event_seq from revisions where target_event_id = ? "
                "order by event_seq, field", [target])
            revisions = [dict(r) for r in result.rows]
        out["archive_provenance"] = {
            "event": ev, "event_url": datasette.urls.table(database, "events") + f"/{seq}",
            "source_link": _safe_url(ev["source_url"]), "revisions": revisions,
            "corrections_url": datasette.urls.table(database, "revisions")
            + f"?target_event_id={ev['id']}" if target else None,
        }
        return out

    return inner
