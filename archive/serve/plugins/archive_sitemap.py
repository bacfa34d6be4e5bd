"""`/sitemap.xml` (sitemaps.org 0.9): every reader page of the archive, at absolute
addresses (`archive.exchange.links`), so a search engine finds each profile, conference and
fact page; at most 50,000 addresses, the protocol's limit for one file."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response

from archive.exchange import links
from archive.serve.pages import FACT_TABLES

NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
LIMIT = 50_000
READER_TABLES = ("conferences", "entities", *FACT_TABLES)


def sitemap(base: str, rows: list[tuple[str, str]]) -> bytes:
    """The sitemap of the home page and these (table, row id) reader pages."""
    root = ET.Element("urlset", xmlns=NS)
    for url in [base + "/", *(links.reader_url(base, t, i) for t, i in rows)][:LIMIT]:
        ET.SubElement(ET.SubElement(root, "url"), "loc").text = url
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


async def _sitemap_view(datasette: Any, request: Any) -> Any:
    base = links.served_base((datasette.plugin_config("archive") or {}).get("base_url"),
                             request.scheme, request.host)
    rows: list[tuple[str, str]] = []
    if links.DATABASE in datasette.databases:
        db = datasette.get_database(links.DATABASE)
        merged = "select merged_id from merges where undone_by is null"
        for table in READER_TABLES:
            where = f" where id not in ({merged})" if table == "entities" else ""
            result = await db.execute(f"select id from {table}{where} order by rowid "
                                      f"limit {LIMIT}")
            rows += [(table, r[0]) for r in result.rows]
    return Response(sitemap(base, rows), content_type="application/xml; charset=utf-8")


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/sitemap\.xml$", _sitemap_view)]
