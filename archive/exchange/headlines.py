"""What each event says, in the words of an Atom entry (`exchange.atom`): a title that
tells what happened, the record's text, who said or did it, and the page to read it on.

One builder per event type reads the fact's rows from the database (corrections,
merges and retractions applied: a fact retracted has no rows, and no builder says
anything of it) and returns a `Said`; None when the database holds nothing for it.
Titles come from the record: a speech is its speaker and first quote (or summary),
shortened after a whole word; an agreement is said in the words of its recorded status
(`statements.AGREEMENT_STATUS`); a commitment, note, proposal or figure by its own text,
so that facts that differ read differently.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from .. import statements
from ..core.events import REGISTRY
from ..core.numbers import format_number
from ..statements import shortened
from .popolo import SPEECH_TITLES

#: What a feed reader files each kind of entry under (its `category` label).
LABELS = {
    "conference.held": "Conference", "conference.postponed": "Postponement",
    "session.held": "Session", "participant.attended": "Participation",
    "speech.delivered": "Speech", "proposal.made": "Proposal",
    "agreement.reached": "Agreement", "figure.cited": "Figure",
    "followup.scheduled": "Follow-up", "attachment.added": "Photo or document",
    "note.recorded": "Note", "delegation.sent": "Delegation", "meeting.held": "Meeting",
    "source.cited": "Source", "entity.recorded": "Record", "event.corrected": "Correction",
    "event.retracted": "Retraction", "entities.merged": "Merge",
    "entities.unmerged": "Unmerge", "commitment.made": "Commitment",
    "progress.recorded": "Progress", "commitment.rescheduled": "Due date moved",
    "followup.held": "Follow-up held"}


@dataclass(frozen=True)
class Said:
    """What one event says, as its entry shows it."""

    title: str
    text: tuple[str, ...] = ()
    quotes: tuple[str, ...] = ()
    points: tuple[tuple[int, str], ...] = ()
    authors: tuple[str, ...] = ()
    #: the fact's own date, when the event has no `at`
    when: str | None = None
    conference: str | None = None
    #: (table, row id) of the reader page, when it is not the fact's own
    page: tuple[str, str] | None = None
    #: (url, locator) when the fact's row has its own (a correction may change it)
    source: tuple[str | None, str | None] | None = None
    image: str | None = None


Builder = Callable[[sqlite3.Connection, sqlite3.Row], Said | None]


def _short(text: str | None, chars: int = 90) -> str:
    return shortened(" ".join((text or "").split()), chars)


def _quoted(text: str | None, chars: int = 70) -> str:
    return f"“{_short(text, chars)}”"


def _and(names: list[str]) -> str:
    """Names as a list in words: "A", "A and B", "A, B and C" ("" for none)."""
    if len(names) < 2:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _row(db: sqlite3.Connection, table: str, ident: str) -> sqlite3.Row | None:
    return db.execute(f"select * from [{table}] where id = ?", (ident,)).fetchone()


def _names(db: sqlite3.Connection, sql: str, *args: object) -> list[str]:
    return [r[0] for r in db.execute(sql, args) if r[0]]


def _name(db: sqlite3.Connection, entity: str | None) -> str | None:
    found = db.execute("select name from entities where id = ?", (entity,)).fetchone()
    return found[0] if found else None


def _cited(r: sqlite3.Row) -> tuple[str | None, str | None]:
    return r["source_url"], r["source_locator"]


def _words(value: str | None) -> list[str]:
    return [str(v) for v in json.loads(value)] if value else []


def _conference(db: sqlite3.Connection, ev: sqlite3.Row) -> Said | None:
    c = _row(db, "conferences", ev["id"])
    if c is None:
        return None
    dates = c["start"] if not c["end"] or c["end"] == c["start"] else \
        f"{c['start']} to {c['end']}"
    title = ", ".join(x for x in (f"Conference: {c['name']}", c["place"], dates) if x)
    organisers, supporters = _words(c["organisers"]), _words(c["supporters"])
    by = [f"Organised by {_and(organisers)}." if organisers else "",
          f"Supported by {_and(supporters)}." if supporters else ""]
    return Said(title, (c["description"] or "", " ".join(x for x in by if x)),
                when=c["start"], conference=c["id"], source=_cited(c))


def _session(db: sqlite3.Connection, ev: sqlite3.Row) -> Said | None:
    s = _row(db, "sessions", ev["id"])
    if s is None:
        return None
    chair = _name(db, s["chair_id"])
    return Said(f"Session: {_short(s['title'], 150)}" + (f", {s['day']}" if s["day"] else ""),
                (f"A {s['kind']} session." + (f" Chaired by {chair}." if chair else ""),
                 s["description"] or ""), when=s["day"], conference=s["conference_id"],
                source=_cited(s))


def _participation(db: sqlite3.Connection, ev: sqlite3.Row) -> Said | None:
    p = _row(db, "participations", ev["id"])
    if p is None:
        return None
    name = _name(db, p["entity_id"]) or p["name_given"]
    standing = p["status"] if p["status"] not in (None, "participant") else None
    title = f"{name} took part" + (f" as {_short(p['role'], 60)}" if p["role"] else
                                   f" as {standing}" if standing else "")
    if p["role"] and standing and p["role"].casefold() != standing:
        title += f", {standing}"
    behalf = [x for x in (_name(db, p["affiliation_id"]), _name(db, p["country_id"])) if x]
    return Said(title, (f"For {_and(behalf)}." if behalf else "", p["description"] or ""),
                conference=p["conference_id"], source=_cited(p))


def _speech(db: sqlite3.Connection, ev: sqlite3.Row) -> Said | None:
    s = _row(db, "speeches", ev["id"])
    if s is None:
        return None
    quotes = tuple(_names(db, "select text from quotes where speech_id = ? order by n",
                          s["id"]))
    speaker = s["speaker_name"] or _name(db, s["speaker_id"]) or "Someone"
    kind = SPEECH_TITLES.get(s["kind"], "Speech")
    words = _quoted(quotes[0]) if quotes else _short(s["summary"]) if s["summary"] else kind
    session = db.execute("select title from sessions where id = ?", (s["session_id"],)
                         ).fetchone()
    about = ", ".join(x for x in (kind,
                                  s["role"], _name(db, s["affiliation_id"]),
                                  f"in the session “{session[0]}”" if session else None) if x)
    return Said(f"{speaker}: {words}", (about + ".", s["summary"] or ""), quotes,
                authors=(speaker,), conference=s["conference_id"], source=_cited(s))


def _proposal(db: sqlite3.Connection, ev: sqlite3.Row) -> Said | None:
    p = _row(db, "proposals", ev["id"])
    if p is None:
        return None
    who = _name(db, p["proposer_id"])
    title = f"{who} proposed: {_short(p['text'])}" if who else f"Proposal: {_short(p['text'])}"
    return Said(title, (p["text"], f"Topic: {p['topic']}." if p["topic"] else ""),
                authors=(who,) if who else (), conference=p["conference_id"],
                source=_cited(p))


def agreement_title(title: str, status: str | None, parties: list[str]) -> str:
    """An agreement's entry title in the words of its recorded status: "A and B agreed:
    T" (or adopted, signed...) for a text in force, else "Proposed: T (A and B)"."""
    words = statements.agreement_status(status)
    named = _and(parties) if parties else ""
    if status in statements.AGREED and named:
        return f"{named[0].upper()}{named[1:]} {words.phrase}: {title}"
    return f"{words.word}: {title}" + (f" ({named})" if named else "")


def _agreement(db: sqlite3.Connection, ev: sqlite3.Row) -> Said | None:
    a = _row(db, "agreements", ev["id"])
    if a is None:
        return None
    parties = _names(db, "select e.name from agreement_parties p join entities e on "
                         "e.id = p.entity_id where p.agreement_id = ? order by p.id", a["id"])
    parties += _words(a["party_names"])
    points = tuple((r[0], r[1]) for r in db.execute(
        "select n, text from agreement_items where agreement_id = ? order by n", (a["id"],)))
    words = statements.agreement_status(a["status"])
    about = [f"{(a['kind'] or 'text').capitalize()}, {words.phrase}"
             + (f" (signing due {a['due']})" if a["due"] else "")
             + (f"; {a['points']} points in all" if a["points"] else "") + "."]
    return Said(agreement_title(_short(a["title"], 150), a["status"], parties),
                (*about, a["description"] or ""), points=points, authors=tuple(parties),
                conference=a["conference_id"], source=_cited(a))


def _figure(db: sqlite3.Connection, ev: sqlite3.Row) -> Said | None:
    f = _row(db, "figures", ev["id"])
    if f is None:
        return None
    first = f["counts"].split(" ", 1)[0]
    number = " ".join(x for x in (
        f["qualifier"] if f["qualifier"] != "exactly" else None, format_number(f["value"]),
        f["unit"] if f["unit"] and f["unit"] != first else None, f["counts"]) if x)
    who = _name(db, f["cited_by_id"])
    return Said(f"{who} cited {_short(number)}" if who else f"Figure: {_short(number)}",
                (number + ".",), authors=(who,) if who else (), conference=f["conference_id"],
                source=_cited(f))


def _followup(db: sqlite3.Connection, ev: sqlite3.Row) -> Said | None:
    row = _row(db, "followups", ev["id"])
    if row is None:
        return None
    f = next(x for x in statements.followups(db, row["conference_id"]) if x.id == row["id"])
    when = f.start if f.end in (None, f.start) else f"{f.start} to {f.end}"
    state = {"held": "held", "postponed": "postponed to", "foreseen": "foreseen for"}[f.state]
    title = ", ".join(x for x in (f"Follow-up: {_short(f.name, 150)}",
                                  f"{state} {when}" if when else None, f.place) if x)
    told = [f"Held as {f.held_as_name}." if f.held_as_name else "",
            f"First foreseen for {f.foreseen}." if f.moved and f.foreseen else ""]
    return Said(title, (f.description or "", *told), conference=row["conference_id"],
                source=_cited(row))


def _attachment(db: sqlite3.Connection, ev: sqlite3.Row) -> Said | None:
    a = _row(db, "attachments", ev["id"])
    if a is None:
        return None
    what = {"photo": "Photo", "document": "Document"}.get(a["kind"], "Attachment")
    image = a["sha256"] if a["kind"] == "photo" and a["file_present"] and a["sha256"] else None
    return Said(f"{what}: {_short(a['caption'] or a['filename'] or 'no caption')}",
                (a["caption"] or "", f"Credit: {a['credit']}." if a["credit"] else ""),
                conference=a["conference_id"], source=_cited(a), image=image)


def _note(db: sqlite3.Connection, ev: sqlite3.Row) -> Said | None:
    n = _row(db, "notes", ev["id"])
    if n is None:
        return None
    about = _names(db, "select e.name from note_subjects s join entities e on e.id = "
                       "s.entity_id where s.note_id = ? order by s.id", n["id"])
    tags = _words(n["tags"])
    return Said(f"Note: {_short(n['text'])}", (
        n["text"], f"About {_and(about)}." if about else "",
        f"Tags: {', '.join(tags)}." if tags else ""), conference=n["conference_id"],
        source=_cited(n))


def _delegation(db: sqlite3.Connection, ev: sqlite3.Row) -> Said | None:
    d = _row(db, "delegations", ev["id"])
    if d is None:
        return None
    head = _name(db, d["head_id"])
    members = _names(db, "select e.name || coalesce(' (' || m.post || ')', '') from "
                         "delegation_members m join entities e on e.id = m.entity_id where "
                         "m.delegation_id = ? order by m.id", d["id"])
    return Said(f"Delegation of {_name(db, d['country_id']) or 'a country'}"
                + (f", led by {head}" if head else ""),
                (f"Members: {', '.join(members)}." if members else "", d["description"] or ""),
                conference=d["conference_id"], source=_cited(d))


_MEETINGS = {"bilateral": "Bilateral meeting", "trilateral": "Trilateral meeting",
             "informal": "Informal meeting", "side-event": "Side event",
             "working": "Working meeting"}


def _meeting(db: sqlite3.Connection, ev: sqlite3.Row) -> Said | None:
    m = _row(db, "meetings", ev["id"])
    if m is None:
        return None
    who = _names(db, "select e.name from meeting_participants p join entities e on "
                     "e.id = p.entity_id where p.meeting_id = ? order by p.event_seq, "
                     "cast(substr(p.id, length(p.meeting_id) + 2) as integer)", m["id"])
    kind = _MEETINGS.get(m["kind"], "Meeting")
    title = f"{kind}: {_short(m['title'])}" if m["title"] else \
        f"{kind} of {_short(_and(who))}" if who else kind
    return Said(title, (f"With {_and(who)}." if who else "",
                        f"It lasted {m['duration']}." if m["duration"] else "",
                        m["outcome"] or ""), conference=m["conference_id"], source=_cited(m))


def _source(db: sqlite3.Connection, ev: sqlite3.Row) -> Said | None:
    s = _row(db, "sources", ev["id"])
    if s is None:
        return None
    by = ", ".join(x for x in (s["publisher"], s["published"]) if x)
    return Said(f"Source: {_short(s['title'] or s['url'] or s['id'])}" + (f" ({by})" if by
                                                                           else ""),
                (s["description"] or "", f"Via {s['via']}." if s["via"] else ""),
                when=s["published"], source=(s["url"], None))


def _postponement(db: sqlite3.Connection, ev: sqlite3.Row) -> Said | None:
    p = _row(db, "postponements", ev["id"])
    if p is None:
        return None
    conference = db.execute("select name from conferences where id = ?",
                            (p["conference_id"],)).fetchone()[0]
    was = " ".join(x for x in (p["planned"], p["planned_place"] and f"in {p['planned_place']}")
                   if x)
    now = " ".join(x for x in (p["moved_to"], p["moved_place"] and f"in {p['moved_place']}")
                   if x)
    return Said(f"Postponed: {_short(conference, 120)}" + (f", from {was}" if was else "")
                + (f" to {now}" if now else ""),
                (f"Why: {p['reason']}" if p["reason"] else "The reason is not recorded.",),
                conference=p["conference_id"], source=_cited(p))


def _entity(db: sqlite3.Connection, ev: sqlite3.Row) -> Said | None:
    r = _row(db, "entity_records", ev["id"])
    if r is None:
        return None
    other = [x for x in (r["short_name"], *_words(r["aliases"])) if x]
    return Said(f"{r['kind'].capitalize()} on record: {_short(r['name'], 150)}", (
        f"Also known as {', '.join(other)}." if other else "", r["description"] or ""),
        page=("entities", r["entity_id"]), source=_cited(r))


def _commitment_text(db: sqlite3.Connection, commitment: str) -> str:
    found = db.execute("select text from commitment_status where id = ?",
                       (commitment,)).fetchone()
    return (found[0] if found else None) or commitment


def _commitment(db: sqlite3.Connection, ev: sqlite3.Row) -> Said | None:
    c = db.execute("select s.*, c.source_url, c.source_locator from commitment_status s "
                   "join commitments c on c.id = s.id where s.id = ?", (ev["id"],)).fetchone()
    if c is None:
        return None
    owners = [x.strip() for x in (c["owners"] or "").split(" · ") if x.strip()]
    moved = f" (first due {c['first_due']})" if c["reschedulings"] else ""
    return Said(f"Commitment: {_short(c['text'])}", (
        c["text"] or "", f"Owned by {_and(owners)}." if owners else "",
        f"Due {c['due']}{moved}." if c["due"] else "", f"Status: {c['status']}."),
        conference=c["conference_id"], source=_cited(c))


def _progress(db: sqlite3.Connection, ev: sqlite3.Row) -> Said | None:
    p = _row(db, "progress", ev["id"])
    if p is None:
        return None
    what = _quoted(_commitment_text(db, p["commitment_id"]), 60)
    return Said(f"Progress on {what}: {p['status']}"
                + (f" ({_short(p['note'], 60)})" if p["note"] else ""),
                (f"Status now: {p['status']}.", p["note"] or ""),
                conference=p["conference_id"], source=_cited(p))


def _rescheduling(db: sqlite3.Connection, ev: sqlite3.Row) -> Said | None:
    r = _row(db, "reschedulings", ev["id"])
    if r is None:
        return None
    what = _quoted(_commitment_text(db, r["commitment_id"]), 60)
    return Said(f"Due date moved: {what} now due {r['due']}",
                (f"Why: {r['reason']}" if r["reason"] else "",),
                conference=r["conference_id"], source=_cited(r))


def _held(db: sqlite3.Connection, ev: sqlite3.Row) -> Said | None:
    h = db.execute("select h.*, f.name, c.name as held_as from followups_held h join "
                   "followups f on f.id = h.followup_id join conferences c on "
                   "c.id = h.held_as_id where h.id = ?", (ev["id"],)).fetchone()
    if h is None:
        return None
    return Said(f"Follow-up held: {_short(h['name'], 80)} was {_short(h['held_as'], 80)}",
                conference=h["conference_id"], source=_cited(h))


def _value(value: str | None) -> str:
    if value is None:
        return "(none)"
    if value[:1] in "[{":
        try:
            found = json.loads(value)
        except ValueError:
            return value
        if isinstance(found, list):
            return ", ".join(str(x) for x in found) or "(none)"
    return value


def _correction(db: sqlite3.Connection, ev: sqlite3.Row) -> Said | None:
    changed = list(db.execute("select * from revisions where event_seq = ? order by field",
                              (ev["seq"],)))
    target = db.execute("select * from events where id = ?",
                        (changed[0]["target_event_id"],)).fetchone() if changed else None
    fact = said(db, target) if target is not None else None
    if target is None or fact is None:
        return None
    fields = "; ".join(f"{r['field'].replace('_', ' ')} now {_short(_value(r['new_value']), 50)}"
                       for r in changed)
    return Said(f"Corrected {_quoted(fact.title)}: {fields}", (
        *(f"{r['field'].replace('_', ' ')}: {_value(r['old_value'])} → "
          f"{_value(r['new_value'])}" for r in changed),
        f"Why: {changed[0]['reason']}" if changed[0]["reason"] else ""),
        conference=fact.conference, page=fact.page or own_page(target),
        when=ev["recorded_at"])


def _retraction(db: sqlite3.Connection, ev: sqlite3.Row) -> Said | None:
    r = _row(db, "retractions", ev["id"])
    if r is None:
        return None
    target = db.execute("select json_extract(data, '$.conference') from events where id = ?",
                        (r["target_event_id"],)).fetchone()
    return Said(f"Retracted: {_short(r['label'])}", (
        f"The {LABELS.get(r['target_type'], 'record').lower()} “{r['label']}” was "
        "withdrawn: it should not have been recorded.", f"Why: {r['reason']}"),
        when=ev["recorded_at"], conference=target[0] if target else None,
        page=("retractions", r["id"]))


def _merge(db: sqlite3.Connection, ev: sqlite3.Row) -> Said | None:
    m = _row(db, "merges", ev["id"])
    if m is None:
        return None
    undone = " (since undone)" if m["undone_by"] else ""
    return Said(f"Merged: {m['merged_name']} is {m['kept_name']}{undone}", (
        f"The records of {m['merged_name']} and {m['kept_name']} are one{undone}.",
        f"Why: {m['reason']}" if m["reason"] else ""), page=("merges", m["id"]))


def _unmerge(db: sqlite3.Connection, ev: sqlite3.Row) -> Said | None:
    m = db.execute("select * from merges where undone_by = ?", (ev["id"],)).fetchone()
    if m is None:
        return None
    return Said(f"Unmerged: {m['merged_name']} and {m['kept_name']} are separate again", (
        f"Why: {m['undo_reason']}" if m["undo_reason"] else "",), page=("merges", m["id"]))


def _key(db: sqlite3.Connection, ev: sqlite3.Row) -> Said | None:
    k = _row(db, "signing_keys", ev["id"])
    if k is None:
        return None
    return Said(f"Signing key recorded for {k['origin']}", (
        f"The archive's checkpoints are signed from now on with the key {k['public_key']}: "
        "check a proof with it (archive verify --proof FILE --pubkey KEY.pub).",))


BUILDERS: dict[str, Builder] = {
    "conference.held": _conference, "session.held": _session,
    "participant.attended": _participation, "speech.delivered": _speech,
    "proposal.made": _proposal, "agreement.reached": _agreement, "figure.cited": _figure,
    "followup.scheduled": _followup, "attachment.added": _attachment, "note.recorded": _note,
    "delegation.sent": _delegation, "meeting.held": _meeting, "source.cited": _source,
    "conference.postponed": _postponement, "entity.recorded": _entity,
    "commitment.made": _commitment, "progress.recorded": _progress,
    "commitment.rescheduled": _rescheduling, "followup.held": _held,
    "event.corrected": _correction, "event.retracted": _retraction,
    "entities.merged": _merge, "entities.unmerged": _unmerge, "log.key": _key}


def said(db: sqlite3.Connection, ev: sqlite3.Row) -> Said | None:
    """What the event (its `events` row) says now, or None."""
    build = BUILDERS.get(ev["type"])
    return build(db, ev) if build else None


def own_page(ev: sqlite3.Row) -> tuple[str, str] | None:
    """The (table, row id) of the reader page of the fact an event recorded."""
    cls = REGISTRY.get(ev["type"])
    return (cls.TABLES[0], ev["id"]) if cls is not None and cls.TABLES else None


__all__ = ["BUILDERS", "LABELS", "Said", "agreement_title", "own_page", "said"]
