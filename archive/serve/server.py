"""Serve the archive database with Datasette: read-only, immutable, on 127.0.0.1.

Metadata (title, descriptions of every table and column, facets, sort orders, labels,
canned queries) is generated from `archive.core.schema`, so it never drifts from the tables.
Settings favour speed on large archives: no facet suggestions, short SQL and facet time
limits. Arbitrary (read-only) SQL stays allowed, bounded by the time limit: the data is
public, the database is opened immutable, and Datasette only runs SELECTs.
"""

from __future__ import annotations

import functools
import json
import resource
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from ..core.schema import TABLES, VIEWS
from ..store import durable
from ..store.layout import Layout
from ..store.sqlite import read_only
from . import PLUGINS, TEMPLATES
from .limits import ServeLimits

DATABASE = "archive"

#: Datasette settings (`--setting NAME VALUE`).
SETTINGS: dict[str, Any] = {
    "suggest_facets": False,       # ~110 ms a page on 100k rows, ~4 ms without
    "sql_time_limit_ms": 1000,     # any query (canned or typed) stops after a second
    "facet_time_limit_ms": 150,    # a slow facet is dropped, the page still renders
    "default_page_size": 50,
    "max_returned_rows": 1000,
    "truncate_cells_html": 400,
    "default_allow_sql": True,     # see the module docstring and .notes/db.md
    "allow_download": True,        # the immutable file is public data
    "num_sql_threads": 3,
}

QUERIES: dict[str, dict[str, str]] = {
    "timeline": {
        "title": "Timeline",
        "description": "Sessions, speeches, proposals, agreements, figures, meetings, notes "
                       "and follow-ups of every conference, in the order they happened.",
        "sql": """select coalesce(x.day, x.at, c.start) as "when", c.name as conference, x.what,
  x.text, x.who, x."where", x.row_id, x.event_seq from (
  select day, at, conference_id, 'session' || coalesce(' (' || kind || ')', '') as what,
         title as text, null as who, null as "where", id as row_id, event_seq from sessions
  union all select null, at, conference_id, 'speech' || coalesce(' (' || kind || ')', ''),
         summary, speaker_name, null, id, event_seq from speeches
  union all select null, p.at, p.conference_id, 'proposal', p.text, e.name, null, p.id,
         p.event_seq from proposals p left join entities e on e.id = p.proposer_id
  union all select null, at, conference_id, 'agreement', title, null, null, id, event_seq
    from agreements
  union all select null, f.at, f.conference_id, 'figure',
         coalesce(nullif(f.qualifier, 'exactly') || ' ', '')
         || case when f.value = cast(f.value as integer)
                 then cast(cast(f.value as integer) as text) else cast(f.value as text) end
         || coalesce(' ' || f.unit, '') || ' ' || f.counts,
         e.name, null, f.id, f.event_seq
    from figures f left join entities e on e.id = f.cited_by_id
  union all select null, at, conference_id, 'meeting (' || kind || ')',
         coalesce(title, outcome), null, null, id, event_seq from meetings
  union all select null, at, conference_id, 'note', text, null, null, id, event_seq from notes
  union all select date, at, conference_id, 'follow-up', name, null, place, id, event_seq
    from followups
) x left join conferences c on c.id = x.conference_id
order by "when", x.event_seq""",
    },
    "feed": {
        "title": "What was added",
        "description": "The latest events recorded, newest first; give a conference id for "
                       "one conference's. Subscribe to them as Atom feeds: feed.atom (the "
                       "whole archive), /-/feeds/conference/ID.atom and "
                       "/-/feeds/person/ID.atom (archive.exchange.atom).",
        "sql": """select e.seq, e.type, e.id, e.at, e.recorded_at, e.recorded_by, e.source_url
from events e
where :conference = '' or e.id = :conference
  or json_extract(e.data, '$.conference') = :conference
order by e.seq desc limit 200""",
    },
    "overdue": {
        "title": "Commitments overdue",
        "description": "Commitments past their due date in force (after any rescheduling) "
                       "and not done or dropped, the most overdue first (as of today, or "
                       "the date given as `today`).",
        "sql": """select c.text, c.owners, c.due, c.first_due, c.reschedulings, c.status,
  c.status_at, c.last_note,
  cast(julianday(coalesce(nullif(:today, ''), date('now')))
       - julianday(case length(c.due) when 4 then c.due || '-12-31'
                   when 7 then date(c.due || '-01', '+1 month', '-1 day')
                   else c.due end) as integer) as days_overdue,
  c.evidence_url, c.id as commitment_id
from commitment_status c
where c.due is not null and c.status not in ('done', 'dropped') and days_overdue > 0
order by days_overdue desc""",
    },
    "done_with_evidence": {
        "title": "Commitments done, with their evidence",
        "sql": """select c.text, c.owners, c.status_at as done_on, c.last_note, c.evidence_url,
  c.evidence_locator, c.id as commitment_id
from commitment_status c where c.status = 'done' order by c.status_at, c.event_seq""",
    },
    "no_update_in_a_year": {
        "title": "Commitments with no update in a year",
        "description": "Open commitments whose latest update (or the agreement) is more than "
                       "a year before today (or the date given as `today`).",
        "sql": """select c.text, c.owners, c.due, c.status,
  coalesce(c.status_at, conf.start) as last_heard, c.id as commitment_id
from commitment_status c join conferences conf on conf.id = c.conference_id
where c.status not in ('done', 'dropped')
  and julianday(coalesce(nullif(:today, ''), date('now')))
      - julianday(substr(coalesce(c.status_at, conf.start) || '-01-01', 1, 10)) > 365
order by last_heard""",
    },
    "attendance": {
        "title": "Who attended which conference",
        "description": "Every country, organisation and person with the conferences they "
                       "took part in, and their standing at each.",
        "sql": """select e.kind, e.name, c.name as conference, c.number, c.start,
  coalesce(p.status, 'participant') as status, p.role, e.id as entity_id
from participations p join entities e on e.id = p.entity_id
join conferences c on c.id = p.conference_id
order by e.kind, e.name, c.start, c.number""",
    },
    "followups_held": {
        "title": "What each conference scheduled, and whether it was held",
        "description": "Follow-up meetings and the conference that was each: the one the "
                       "record names (`followup.held`), else a later conference of the "
                       "archive that matches it by name or by series and month foreseen "
                       "(`how_known` says which).",
        "sql": """select c.name as scheduled_by, f.name as follow_up, f.date as foreseen,
  f.place, coalesce(rec.name, guess.name) as held_as,
  coalesce(rec.start, guess.start) as held_on,
  case when rec.id is not null then 'recorded'
       when guess.id is not null then 'matched by name or date, not recorded' end
    as how_known,
  f.id as followup_id
from followups f join conferences c on c.id = f.conference_id
left join conferences rec on rec.id = (select h.held_as_id from followups_held h
  where h.followup_id = f.id order by h.event_seq desc limit 1)
left join conferences guess on rec.id is null and guess.id <> c.id and (
  name_key(guess.name) = name_key(f.name)
  or (guess.series is not null and guess.series = c.series and f.date is not null
      and guess.start like f.date || '%'))
order by c.start, f.date""",
    },
    "who_proposed_what": {
        "title": "Who proposed what",
        "sql": """select e.name as proposer, e.kind, c.name as conference, p.topic,
  p.text as proposal, p.id as proposal_id, p.source_url, p.source_locator
from proposals p left join entities e on e.id = p.proposer_id
left join conferences c on c.id = p.conference_id
order by c.start, e.name, p.event_seq""",
    },
    "quotes_by_speaker": {
        "title": "Quotes by speaker",
        "description": "Verbatim quotes; give part of a speaker's name (or leave blank).",
        "sql": """select s.speaker_name as speaker, q.text as quote, s.kind as speech_kind,
  q.speech_id, q.source_url, q.source_locator
from quotes q join speeches s on s.id = q.speech_id
where :speaker = '' or s.speaker_name like '%' || :speaker || '%' or q.speaker_id = :speaker
order by s.speaker_name, q.event_seq, q.n""",
    },
    "participation_by_country_and_kind": {
        "title": "Participation by country and kind",
        "sql": """select coalesce(c.name, case when p.kind = 'country' then e.name end)
  as country, p.kind, count(*) as participations
from participations p
left join entities c on c.id = p.country_id
left join entities e on e.id = p.entity_id
group by 1, 2 order by 3 desc, 1, 2""",
    },
    "corrections_and_retractions": {
        "title": "What was corrected or retracted",
        "sql": """select 'correction' as what, event_seq, recorded_at, recorded_by, table_name,
  row_id, field, old_value as was, new_value as now, reason from revisions
union all
select 'retraction', event_seq, recorded_at, recorded_by, table_name, target_event_id, null,
  label, null, reason from retractions
order by event_seq""",
    },
    "new_since": {
        "title": "New since sequence number N",
        "description": "Every event recorded after the given sequence number (e.g. the one "
                       "printed on the last briefing).",
        "sql": """select seq, id, type, at, recorded_at, recorded_by, source_url, data
from events where seq > cast(:seq as integer) order by seq""",
    },
    "search": {
        "title": "Search all text",
        "description": "Every summary, quote, proposal, agreement item, note and caption "
                       "holding all the words given, the best matches first; people, "
                       "organisations and countries whose names match come before them.",
        "sql": """select * from (
  select 0 as grp, 0.0 as score, e.kind as kind, e.name as snippet, e.name as who,
    null as conference, null as conference_id, 'entities' as table_name, e.id as row_id,
    null as speech_id, null as speaker_id
  from entities e
  where trim(:q) <> '' and :kind = '' and :conference = '' and :speaker = ''
    and e.id not in (select merged_id from merges where undone_by is null)
    and (' ' || lower(e.name) || ' ') like '% ' || lower(trim(:q)) || '%'
  union all
  select 1, f.rank, t.kind, f.snippet, coalesce(e.name, t.who), c.name, t.conference_id,
    t.table_name, t.row_id, t.speech_id, t.speaker_id
  from (select rowid, rank, snippet(texts_fts, 0, char(2), char(3), '…', 28) as snippet
        from texts_fts where texts_fts match archive_fts(:q) order by rank limit 200) f
  join texts t on t.rowid = f.rowid
  left join entities e on e.id = t.speaker_id
  left join conferences c on c.id = t.conference_id
  where (:kind = '' or t.kind = :kind) and (:conference = '' or t.conference_id = :conference)
    and (:speaker = '' or t.speaker_id = :speaker)
) order by grp, score limit 100""",
    },
}


def _conferences(root: Path | None) -> list[tuple[str, str, str | None]]:
    """(id, name, series) of the conferences in the archive's database, oldest first."""
    path = Layout(root).database if root else None
    if path is None or not path.exists():
        return []
    try:
        with closing(read_only(path)) as db:
            return [tuple(r) for r in db.execute("select id, name, series from conferences "
                                                 "order by start, number, event_seq")]
    except sqlite3.Error:
        return []


def _title(conferences: list[tuple[str, str, str | None]]) -> str:
    """The conference's name when the archive holds one, the series' when all its
    conferences belong to one, else "Conference archive"."""
    if len(conferences) == 1:
        return f"{conferences[0][1]}: the archive"
    series = {s for _, _, s in conferences}
    if len(series) == 1 and None not in series:
        return f"{series.pop()}: the archive"
    return "Conference archive"


def metadata(root: Path | None = None, base_url: str | None = None) -> dict[str, Any]:
    """Datasette metadata for the archive database (`base_url`: where it is served, for
    the absolute links of feeds and pages; `archive.exchange.links`)."""
    tables: dict[str, Any] = {}
    for table in TABLES:
        searched = (f" Search it by {', '.join(table.search)}: the search box, or "
                    "`?_search=WORDS`." if table.search else "")
        entry: dict[str, Any] = {
            "description": table.description + searched,
            "columns": {name: desc for name, _, desc in table.all_columns},
        }
        if table.label:
            entry["label_column"] = table.label
        facets = list(table.facets)
        if "conference_id" in {name for name, _, _ in table.all_columns} and \
                "conference_id" not in facets:
            facets.insert(0, "conference_id")  # every table of a series, by conference
        if facets:  # remembered per query by the plugin (the file is immutable)
            entry["facets"] = [{"cached": column} for column in facets]
        if table.sort:
            entry["sort"] = table.sort
        if table.sort_desc:
            entry["sort_desc"] = table.sort_desc
        if table.hidden:
            entry["hidden"] = True
        entry.update(table.extra)
        tables[table.name] = entry
    for view in VIEWS:
        tables[view] = {"description": f"The {view} in `entities` (search them there, by "
                                       "name, alias, short name or category).",
                        "label_column": "name",
                        "facets": [{"cached": "category"}, {"cached": "country_id"}]}
    tables["commitment_status"] = {
        "description": "Each commitment with its current status (that of its latest live "
                       "update; `agreed` before any), the evidence for it, and how many "
                       "updates it has had.",
        "label_column": "text",
        "facets": [{"cached": "status"}, {"cached": "conference_id"}, {"cached": "owners"}]}
    tables["texts"]["searchmode"] = "escaped"
    conferences = _conferences(root)
    return {
        "title": _title(conferences),
        "description": "What happened at the conference: who took part and spoke, what they "
                       "said, proposed and agreed, and the figures cited. Every row links back "
                       "to the event in the append-only log that recorded it and to its source.",
        "source": "The archive's event log (events/events.jsonl)",
        "license": "CC BY 4.0 for the archive's records; quoted text stays its sources'",
        "license_url": "https://creativecommons.org/licenses/by/4.0/",
        "extra_css_urls": ["/-/archive.css"],
        "extra_js_urls": ["/-/archive.js"],
        "databases": {DATABASE: {"tables": tables, "queries": QUERIES}},
        # no path: Datasette shows the metadata to every visitor (/-/metadata); the
        # plugin finds the briefings and attachments beside the database it serves
        "plugins": {"archive": {"base_url": base_url}},
    }


def make_datasette(db_path: Path, root: Path | None = None) -> Any:
    """An in-process Datasette configured exactly as `archive serve` runs it."""
    from datasette.app import Datasette

    return Datasette(
        immutables=[str(db_path)], metadata=metadata(root), settings=SETTINGS,
        template_dir=str(TEMPLATES), plugins_dir=str(PLUGINS),
    )


def command(db_path: Path, metadata_path: Path, port: int) -> list[str]:
    """The `datasette serve` command line (the same for `archive serve` and publishing)."""
    args = [sys.executable, "-m", "datasette", "serve", "-i", str(db_path), "--host",
            "127.0.0.1", "--port", str(port), "--metadata", str(metadata_path),
            "--template-dir", str(TEMPLATES), "--plugins-dir", str(PLUGINS)]
    return args + settings_args()


def settings_args() -> list[str]:
    args: list[str] = []
    for name, value in SETTINGS.items():
        text = ("on" if value else "off") if isinstance(value, bool) else str(value)
        args += ["--setting", name, text]
    return args


def publish_command(layout: Layout, publisher: str, extra: tuple[str, ...] = ()
                    ) -> list[str]:
    """`datasette publish PUBLISHER` for the archive database, configured as `serve` runs it
    (metadata, templates, plugin, settings; `-i` is implied: published files are
    immutable)."""
    import shlex

    return [sys.executable, "-m", "datasette", "publish", publisher,
            str(layout.database), "--metadata", str(write_metadata(layout)),
            "--template-dir", str(TEMPLATES), "--plugins-dir", str(PLUGINS),
            "--extra-options", shlex.join(settings_args()), *extra]


def publish(layout: Layout, publisher: str, extra: tuple[str, ...] = (), *,
            dry_run: bool = False, echo: Callable[[str], None] = print) -> int:
    """Publish the database with `datasette publish` (or print the command)."""
    import shlex

    args = publish_command(layout, publisher, extra)
    echo(shlex.join(args))
    return 0 if dry_run else subprocess.call(args)


def write_metadata(layout: Layout, base_url: str | None = None) -> Path:
    path = layout.metadata
    durable.write_atomic(path, (json.dumps(metadata(layout.root, base_url), indent=2,
                                           ensure_ascii=False) + "\n").encode())
    return path


def serve(layout: Layout, *, port: int = 8001, base_url: str | None = None,
          echo: Callable[[str], None] = print) -> int:
    """Run Datasette on the archive database until interrupted (Ctrl-C, SIGTERM or SIGHUP;
    Datasette stops with it, even if this process is killed). Port 0 takes a free port and
    says which. Returns Datasette's exit code."""
    from ..database.build import serving

    db_path = layout.database
    limits = ServeLimits.from_env()  # a bad setting is an error here, not in the child
    port = port or _free_port()
    args = command(db_path, write_metadata(layout, base_url), port)
    echo(f"Serving {db_path} at http://127.0.0.1:{port}/ (Ctrl-C to stop)")
    with serving(db_path) as lock_fd, _stopped_by_signals():
        # builds meanwhile replace the file, never edit it (the lock lives in the child)
        proc = subprocess.Popen(args, pass_fds=(lock_fd,),
                                preexec_fn=functools.partial(_child_setup, limits.memory))
        try:
            return proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            try:
                return proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                return proc.wait()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP stop serving as Ctrl-C does (the child is stopped too)."""
    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    old = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def _child_setup(memory: int) -> None:
    """In the Datasette child: bound its memory (`serve.limits`), and be sent SIGTERM when
    `archive serve` dies, however it dies (Linux `prctl(PR_SET_PDEATHSIG)`; elsewhere the
    signal handlers above must do)."""
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


__all__ = ["QUERIES", "SETTINGS", "command", "make_datasette", "metadata", "publish",
           "publish_command", "serve", "write_metadata"]
