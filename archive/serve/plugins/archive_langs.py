"""Every text on a table or row page in its own language: a cell of a text column of a
row that records its language (`lang`, `core.schema.LANG_TABLES`) is marked
`lang="..."`, so that screen readers, hyphenation and fonts follow it; a translation's
copy of the text it translates gets that text's language. The value is escaped, and
shortened as Datasette shortens cells (`truncate_cells_html`)."""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from markupsafe import Markup, escape

from archive.exchange.links import DATABASE

#: The columns of each table that hold a text in the row's language.
TEXTS = {
    "conferences": ("name", "description"), "sources": ("title", "description"),
    "sessions": ("title", "description"), "speeches": ("summary",), "quotes": ("text",),
    "proposals": ("text",), "agreements": ("title", "description"),
    "agreement_items": ("text",), "meetings": ("title", "outcome"),
    "attachments": ("caption",), "notes": ("text",), "translations": ("text",),
    "texts": ("text",)}
#: Copies of a translated text, and how to find the text's language: (table, column of
#: the row holding the translation's id or the translated row).
ORIGINALS = {("translations", "original_text"), ("texts", "original")}


def _mark(value: str, lang: str, limit: int) -> Markup:
    shown = value if not limit or len(value) <= limit else value[:limit] + "…"
    return Markup('<span lang="{}">{}</span>').format(escape(lang), escape(shown))


def _cell(row: Any, name: str) -> Any:
    try:
        return row[name]
    except (IndexError, KeyError):
        return None


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str,
                datasette: Any) -> Any:
    if database != DATABASE or not isinstance(value, str) or not value or table is None:
        return None
    limit = datasette.setting("truncate_cells_html") or 0
    if column in TEXTS.get(table, ()):
        lang = _cell(row, "lang")
        return _mark(value, lang, limit) if isinstance(lang, str) and lang else None
    if (table, column) not in ORIGINALS:
        return None
    translation = _cell(row, "id")

    async def original() -> Any:
        db = datasette.get_database(DATABASE)
        found = await db.execute("select original_table, original_row_id from translations "
                                 "where id = ?", [translation])
        if not found.rows:
            return None
        where, row_id = found.rows[0]
        if where not in TEXTS:
            return None
        lang = await db.execute(f"select lang from [{where}] where id = ?", [row_id])
        return _mark(value, lang.rows[0][0], limit) if lang.rows and lang.rows[0][0] \
            else None
    return original
