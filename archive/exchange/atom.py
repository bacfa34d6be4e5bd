"""The archive as Atom feeds (RFC 4287): what was recorded, newest first, the way a feed
reader shows it. Served at `/archive/feed.atom`, `/-/feeds/conference/ID.atom` and
`/-/feeds/person/ID.atom` (`serve/plugins/archive_feeds.py`); written by `archive
export --format atom --base-url URL`.

    feed(db, "https://archive.example.org")                    -> the whole archive
    feed(db, base, conference="astana15")                      -> one conference's facts
    feed(db, base, person="01M8NC3EZ38X8XM4T6Z7EBDXVG")        -> the facts naming one entity

What holds, for every entry (one per event, the newest `LIMIT`):

- its `id` is `tag:conference-archive,2015:event:EVENT_ID`, so a reader never shows an
  event twice, and an entry keeps its id as the log grows;
- its `title` says what happened, from the record as it stands now ("Karim Massimov:
  “We have to join …”", "Conference participants agreed: Steps …", "Commitment: …"): an
  agreement in the words of its recorded status (`statements.AGREEMENT_STATUS`), so a
  text only proposed never reads "agreed"; titles that would be equal get the
  conference's name, then the event's number, so no two entries of a feed share one;
- its `link rel="alternate"` is the absolute address of the fact's reader page
  (`exchange.links`; a correction's is the corrected fact's page, which lists it);
- its `author` is the speaker, proposer, citing entity or the parties where the record
  names them, else who recorded the event (`recorded_by`);
- `published` is when it happened in the world: the event's `at`, else the fact's own
  date (a session's day, a source's date), else its conference's first day, else when it
  was recorded (a correction happens in the log); `updated` is the log's time: when the
  event was recorded, or its latest correction. Both RFC 3339 in UTC; a day alone is
  midnight UTC, a partial date its first day, a time without a zone is taken as UTC;
- its `content` (HTML) is the record's text with corrections applied, its source and
  locator (a link only for http(s) sources) and a link to the reader page. Every text is
  escaped into that HTML, which goes into the XML as text (escaped again); characters
  XML 1.0 cannot carry become U+FFFD.

Only what the database holds now is shown: a retracted fact has no entry (the
retraction's entry says what was withdrawn and why), nor has a correction of it.
Nothing reads the clock: the feed's `updated` is its newest entry's, else the log's
latest `recorded_at`, else 1970-01-01, so the same database gives the same bytes.
Links must be absolute, so there is no feed without a base URL.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import xml.etree.ElementTree as ET
from contextlib import closing
from dataclasses import dataclass, replace
from html import escape
from pathlib import Path
from urllib.parse import quote

from ..core.events import REGISTRY
from ..core.schema import FACT_REFS, LANG_TABLES, TABLES
from ..errors import NotFound
from ..statements import shortened
from ..store import sqlite
from . import links
from .headlines import LABELS, Said, own_page, said

NS = "http://www.w3.org/2005/Atom"
#: The prefix of every entry's id (the event id follows), kept from the first feeds.
TAG = "tag:conference-archive,2015:"
#: How many entries a feed holds: the newest.
LIMIT = 200
#: The whole archive's feed, under the base URL (the path the first feeds had).
ARCHIVE_FEED = "/archive/feed.atom"
#: Longest text of one paragraph or quote in an entry (the reader page has it whole).
TEXT_CHARS = 4000
#: The feeds' `updated` when nothing has been recorded.
EPOCH = "1970-01-01T00:00:00Z"


def feed_path(conference: str | None = None, person: str | None = None) -> str:
    """Where a feed is served, under the base URL."""
    if person is not None:
        return f"/-/feeds/person/{quote(person, safe='')}.atom"
    if conference is not None:
        return f"/-/feeds/conference/{quote(conference, safe='')}.atom"
    return ARCHIVE_FEED


def feed(db_path: Path, base_url: str, *, conference: str | None = None,
         person: str | None = None, self_url: str | None = None,
         limit: int = LIMIT) -> bytes:
    """The Atom document of the database's newest facts (of one conference, by id or
    name; or naming one person, organisation or country, by id). `self_url` is the
    address it is served at (default: its path under the base URL)."""
    base = links.base_url(base_url)
    with closing(sqlite.read_only(db_path)) as db:
        scope = _scope(db, base, conference, person)
        entries = _entries(db, base, scope, limit)
        latest = db.execute("select max(recorded_at) from events").fetchone()[0]
    updated = max((e.updated for e in entries), key=_instant, default=None) or \
        (rfc3339(latest) if latest else None) or EPOCH
    return _document(scope, entries, updated, self_url or base + scope.path, base)


# ---------------------------------------------------------------- dates


_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2})(?:T([0-9]{2}):([0-9]{2})"
                   r"(?::([0-9]{2})(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?")


def rfc3339(value: str | None) -> str | None:
    """A recorded date or date-time as an RFC 3339 date-time in UTC (None when it is
    none): `2015-06-29` is `2015-06-29T00:00:00Z`, `2015-09` its first day, a time
    without a zone is taken as UTC; a fraction of a second is kept as written."""
    match = _DATE.fullmatch(value or "")
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    tz = dt.UTC
    if zone and zone != "Z":
        offset = dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        tz = dt.timezone(-offset if zone[0] == "-" else offset)
    try:
        when = dt.datetime(int(year), int(month or 1), int(day or 1), int(hour or 0),
                           int(minute or 0), int(second or 0), tzinfo=tz)
        when = when.astimezone(dt.UTC)
    except (ValueError, OverflowError):  # no such day, or out of range once in UTC
        return None
    return (f"{when.year:04d}-{when.month:02d}-{when.day:02d}T{when.hour:02d}:"
            f"{when.minute:02d}:{when.second:02d}{fraction or ''}Z")


def _instant(value: str) -> tuple[str, str]:
    """An RFC 3339 UTC date-time as written here, in an order that compares instants
    (a fraction of a second, when given, after the whole seconds)."""
    return value[:19], value[19:-1]


# ---------------------------------------------------------------- which events


@dataclass(frozen=True)
class Scope:
    """What a feed covers: its id, title, path and the page it stands for."""

    id: str
    title: str
    path: str
    page: str
    #: SQL giving the sequence numbers of its events (None: every event), and its value
    events: str | None = None
    value: str | None = None


def _scope(db: sqlite3.Connection, base: str, conference: str | None,
           person: str | None) -> Scope:
    if person is not None:
        found = db.execute(
            "select id, name from entities where id = ? union all select e.id, e.name from "
            "entity_aliases a join entities e on e.id = a.entity_id where a.id = ? limit 1",
            (person, person)).fetchone()
        if found is None:
            raise NotFound(f"no person, organisation or country with the id {person!r} in "
                           "the archive")
        return Scope(f"{TAG}feed:person:{found['id']}",
                     f"{found['name']}: what the archive records", feed_path(person=found["id"]),
                     links.reader_url(base, "entities", found["id"]), _NAMING, found["id"])
    if conference is not None:
        row = sqlite.conference(db, conference)
        return Scope(f"{TAG}feed:conference:{row['id']}", f"{row['name']}: what was recorded",
                     feed_path(conference=row["id"]),
                     links.reader_url(base, "conferences", row["id"]), _OF_CONFERENCE,
                     row["id"])
    names = [r[0] for r in db.execute("select name from conferences limit 2")]
    title = f"{names[0]}: what was recorded" if len(names) == 1 else \
        "Conference archive: what was recorded"
    return Scope(f"{TAG}feed", title, ARCHIVE_FEED, base + "/")


def _union(pairs: list[tuple[str, str]]) -> str:
    return " union ".join(f"select event_seq from [{t}] where [{c}] = :v" for t, c in pairs)


_FACTS = [t for t in TABLES if t.provenance]
#: The events of one conference: the conference, its facts, and the fixes of them.
_OF_CONFERENCE = (
    "with mine(seq) as (select event_seq from conferences where id = :v union "
    + _union([(t.name, "conference_id") for t in _FACTS if "conference_id" in t.names])
    + ") select seq from mine union select event_seq from revisions where target_event_id "
    "in (select id from events where seq in mine) union select r.event_seq from "
    "retractions r join events t on t.id = r.target_event_id "
    "where json_extract(t.data, '$.conference') = :v")
#: The events naming one entity: the facts with it in a column that refers to entities,
#: the merges of it, and the fixes of them.
_NAMING = (
    "with mine(seq) as ("
    + _union([(t, c) for t, c in FACT_REFS if t in {f.name for f in _FACTS}])
    + " union select event_seq from merges where :v in (kept_id, merged_id) union select "
    "u.seq from merges m join events u on u.id = m.undone_by where :v in (m.kept_id, "
    "m.merged_id)) select seq from mine union select event_seq from revisions where "
    "target_event_id in (select id from events where seq in mine)")


def _live() -> str:
    """SQL: the event `e` has its record in the database now (a fact its row, a fix the
    row it made, on a fact not since retracted)."""
    cases = [f"when '{t}' then exists (select 1 from [{cls.TABLES[0]}] x where x.id = e.id)"
             for t, cls in REGISTRY.items() if cls.TABLES]
    cases += ["when 'event.corrected' then exists (select 1 from revisions r where "
              "r.event_seq = e.seq and r.target_event_id not in (select target_event_id "
              "from retractions))",
              "when 'event.retracted' then exists (select 1 from retractions x where "
              "x.id = e.id)",
              "when 'entities.merged' then exists (select 1 from merges x where x.id = e.id)",
              "when 'entities.unmerged' then exists (select 1 from merges x where "
              "x.undone_by = e.id)"]
    return "case e.type " + " ".join(cases) + " else 0 end"


_LIVE = _live()


# ---------------------------------------------------------------- entries


@dataclass(frozen=True)
class Entry:
    """One entry, ready to be written."""

    id: str
    seq: int
    type: str
    title: str
    link: str
    published: str
    updated: str
    authors: tuple[str, ...]
    html: str
    conference: str | None


def _entries(db: sqlite3.Connection, base: str, scope: Scope, limit: int) -> list[Entry]:
    where = "" if scope.events is None else f"e.seq in ({scope.events}) and "
    events = list(db.execute(f"select * from events e where {where}{_LIVE} order by e.seq "
                             "desc limit :limit", {"v": scope.value, "limit": limit}))
    starts = dict(db.execute("select id, start from conferences").fetchall())
    names = dict(db.execute("select id, name from conferences").fetchall())
    out = []
    for ev in events:
        told = said(db, ev)
        if told is None:
            continue
        page = told.page or own_page(ev)
        link = links.reader_url(base, *page) if page else base + "/"
        fixed = [r[0] for r in db.execute("select recorded_at from revisions where "
                                           "target_event_id = ?", (ev["id"],))]
        published = next(filter(None, map(rfc3339, (
            ev["at"], told.when, starts.get(told.conference), ev["recorded_at"]))), EPOCH)
        updated = max(filter(None, map(rfc3339, (ev["recorded_at"], *fixed))),
                      key=_instant, default=published)
        url, locator = told.source or (ev["source_url"], ev["source_locator"])
        cited = db.execute("select url, title from sources where id = ?", (url,)).fetchone()
        out.append(Entry(ev["id"], ev["seq"], ev["type"], shortened(told.title, 300), link,
                         published, updated,
                         told.authors or (ev["recorded_by"] or "the archive",),
                         _html(told, ev, base, link, url, locator, cited, _lang(db, ev)),
                         told.conference))
    return _distinct(out, names)


def _distinct(entries: list[Entry], names: dict[str, str]) -> list[Entry]:
    """The entries with no title twice: equal titles get their conferences' names when
    those tell them apart, else their events' numbers."""
    alike: dict[str, list[Entry]] = {}
    for e in entries:
        alike.setdefault(e.title, []).append(e)
    retitled: dict[str, str] = {}
    for title, group in alike.items():
        if len(group) < 2:
            continue
        where = [names.get(e.conference or "", "the archive") for e in group]
        for e, name in zip(group, where, strict=True):
            retitled[e.id] = f"{title} ({name})" if len(set(where)) == len(group) else \
                f"{title} (#{e.seq})"
    return [replace(e, title=retitled[e.id]) if e.id in retitled else e for e in entries]


def _safe(url: str | None) -> str | None:
    return url if url and url.lower().startswith(("http://", "https://")) else None


def _p(text: str) -> str:
    return "<p>" + escape(shortened(text, TEXT_CHARS)).replace("\n", "<br>") + "</p>"


def _lang(db: sqlite3.Connection, ev: sqlite3.Row) -> str | None:
    """The recorded language of a fact's texts (None: its table records none)."""
    cls = REGISTRY.get(ev["type"])
    table = cls.TABLES[0] if cls is not None and cls.TABLES else None
    if table not in LANG_TABLES:
        return None
    row = db.execute(f"select lang from [{table}] where id = ?", (ev["id"],)).fetchone()
    return row[0] if row else None


def _html(told: Said, ev: sqlite3.Row, base: str, link: str, url: str | None,
          locator: str | None, cited: sqlite3.Row | None, lang: str | None = None) -> str:
    """The entry's content: every text escaped, links only to http(s) addresses (`cited`:
    the recorded source `url` names, if it is one); the verbatim texts (quotes, agreed
    points) marked with their recorded language."""
    marked = f' lang="{escape(lang)}"' if lang else ""
    parts = [_p(t) for t in told.text if t]
    if told.points:
        parts.append(f"<ol{marked}>" + "".join(
            f'<li value="{n}">{escape(shortened(t, TEXT_CHARS))}</li>' for n, t in told.points)
            + "</ol>")
    parts += [f"<blockquote{marked}>{_p(f'“{q}”')}</blockquote>" for q in told.quotes]
    if told.image:
        parts.append(f'<p><img src="{escape(base)}/events/attachments/{escape(told.image)}" '
                     f'alt="{escape(told.title)}"></p>')
    shown, href = (cited["title"] or cited["url"], cited["url"]) if cited else (url, url)
    if shown:
        where = f", {escape(locator)}" if locator else ""
        safe = _safe(href)
        named = f'<a href="{escape(safe)}">{escape(shown)}</a>' if safe else escape(shown)
        parts.append(f"<p>Source: {named}{where}.</p>")
    else:
        parts.append("<p>No source is recorded for this.</p>")
    parts.append(f'<p><a href="{escape(link)}">Read it in the archive</a> (event '
                 f'#{ev["seq"]}, recorded by {escape(ev["recorded_by"] or "the archive")}).'
                 "</p>")
    return "\n".join(parts)


# ---------------------------------------------------------------- the XML


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """`text` with every character XML 1.0 cannot carry (most control characters,
    U+FFFE, U+FFFF, lone surrogates) replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _document(scope: Scope, entries: list[Entry], updated: str, self_url: str,
              base: str) -> bytes:
    # unqualified names under a default namespace declared as it is written (ElementTree
    # would give every element a prefix, or refuse unqualified attributes)
    root = ET.Element("feed", xmlns=NS)
    _add(root, "id", scope.id)
    _add(root, "title", scope.title)
    _add(root, "updated", updated)
    _add(root, "link", rel="self", type="application/atom+xml", href=self_url)
    _add(root, "link", rel="alternate", type="text/html", href=scope.page)
    author = _add(root, "author")
    _add(author, "name", "Conference archive")
    _add(author, "uri", base + "/")
    _add(root, "generator", "conference-archive (archive.exchange.atom)")
    for e in entries:
        entry = _add(root, "entry")
        _add(entry, "id", TAG + "event:" + e.id)
        _add(entry, "title", e.title)
        _add(entry, "link", rel="alternate", type="text/html", href=e.link)
        _add(entry, "published", e.published)
        _add(entry, "updated", e.updated)
        for name in e.authors:
            _add(_add(entry, "author"), "name", name)
        _add(entry, "category", term=e.type, label=LABELS.get(e.type, e.type))
        _add(entry, "content", e.html, type="html")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


__all__ = ["ARCHIVE_FEED", "LIMIT", "TAG", "feed", "feed_path", "rfc3339",
           "xml_text"]
