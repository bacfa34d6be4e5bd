"""Read the built SQLite database (read-only) into the briefing's dataclasses.

Only the standard library's sqlite3, on a `?mode=ro` URI: the briefing never writes to the
database. The tables and columns are those of the shared contract (`.notes/contract.md`).
Filtering for an update briefing (`since`) and a one-day briefing (`day`) happens here, so
the template only lays out what it is given.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

from .. import statements
from ..core.langs import DEFAULT
from ..errors import RenderError
from ..store import sqlite
from ..store.layout import Layout, is_sha256
from .i18n import N_, Words
from .model import (
    Agreement,
    AgreementItem,
    Attachment,
    Briefing,
    Commitment,
    Conference,
    Day,
    Delegate,
    Delegation,
    Figure,
    Followup,
    Meeting,
    Note,
    Participant,
    Proposal,
    Quote,
    Ref,
    Rendering,
    Retraction,
    Revision,
    Session,
    SourceInfo,
    Speech,
    Stamp,
    foreign,
)

#: Raster formats WeasyPrint draws without fetching anything else (SVG could reference files).
IMAGE_TYPES = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif",
               "image/webp": ".webp"}
_EXT_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
              ".gif": "image/gif", ".webp": "image/webp"}


def build_stamp(db: sqlite3.Connection) -> Stamp:
    """The log state the database was built from (`_archive_build`, checked in `events`)."""
    meta = {row[0]: row[1] for row in db.execute("select key, value from _archive_build")}
    seq_value = next((meta[k] for k in ("seq", "log_seq", "head_seq") if k in meta), None)
    if seq_value is None:
        seq_value = db.execute("select max(seq) from events").fetchone()[0] or 0
    seq = int(seq_value)
    return event_stamp(db, seq, claimed=next(
        (meta[k] for k in ("hash", "head_hash", "log_hash") if k in meta), None))


def event_stamp(db: sqlite3.Connection, seq: int, claimed: str | None = None) -> Stamp:
    if seq == 0:
        return Stamp(0, "0" * 64, None)
    row = db.execute("select hash, recorded_at from events where seq = ?", (seq,)).fetchone()
    if row is None:
        raise RenderError(f"the database has no event with sequence number {seq}")
    if claimed and claimed != row["hash"]:
        raise RenderError(f"the database is inconsistent: _archive_build says hash "
                          f"{claimed[:12]}... but event {seq} has {row['hash'][:12]}...")
    return Stamp(seq, row["hash"], (row["recorded_at"] or "")[:10] or None)


def _rows(db: sqlite3.Connection, sql: str, *args: Any) -> Iterator[sqlite3.Row]:
    yield from db.execute(sql, args)


def _lang(row: sqlite3.Row) -> str:
    """The language of a row's text, as the database resolved it."""
    return str(row["lang"] or DEFAULT)


def _json_list(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    try:
        data = json.loads(value)
    except ValueError:
        return (value,)
    return tuple(str(v) for v in data) if isinstance(data, list) else (str(data),)


def _shown(value: str | None) -> str:
    """A revision's old or new value as a reader should see it."""
    if value is None:
        return ""
    try:
        data = json.loads(value)
    except ValueError:
        return value
    if isinstance(data, str):
        return data
    if isinstance(data, list):
        return "; ".join(str(v) for v in data)
    return "" if data is None else str(data)


class _Loader:
    """One pass over the database for one conference."""

    def __init__(self, db: sqlite3.Connection, root: Path, conference_id: str,
                 since: int | None, day: str | None, lang: str = "en"):
        self.db, self.root, self.cid, self.since, self.day = db, root, conference_id, since, day
        self.lang, self.words = lang, Words(lang)
        self.names = {r["id"]: r["name"] for r in _rows(db, "select id, name from entities")}
        self.short_names = {r["id"]: r["short_name"] for r in _rows(
            db, "select id, short_name from entities where short_name is not null")}
        self.revisions = self._revisions()
        by_target: dict[str, list[Revision]] = defaultdict(list)
        for rev in self.revisions:
            by_target[rev.target_event_id].append(rev)
        self.by_target = {k: tuple(v) for k, v in by_target.items()}
        self.sessions = {r["id"]: r for r in _rows(
            db, "select * from sessions where conference_id = ? order by day, event_seq", self.cid)}
        self.rendered = self.renderings()

    # ---------------------------------------------------------- helpers

    def name(self, entity_id: str | None) -> str | None:
        if entity_id is None:
            return None
        return self.names.get(entity_id, entity_id)

    def ref(self, row: sqlite3.Row) -> Ref:
        return Ref(row["event_id"], int(row["event_seq"]), row["source_url"],
                   row["source_locator"], self.by_target.get(row["event_id"], ()))

    def is_new(self, ref: Ref) -> bool:
        return self.since is None or ref.seq > self.since or any(
            r.seq > self.since for r in ref.revisions)

    def day_of(self, row: sqlite3.Row) -> str | None:
        session = self.sessions.get(row["session_id"]) if "session_id" in row.keys() else None
        if session is not None and session["day"]:
            return str(session["day"])[:10]
        at = row["at"] if "at" in row.keys() else None
        return str(at)[:10] if at else None

    def keep(self, row: sqlite3.Row, ref: Ref) -> bool:
        if not self.is_new(ref):
            return False
        return self.day is None or self.day_of(row) == self.day

    def conference_of(self, target_id: str) -> str | None:
        row = self.db.execute("select type, data from events where id = ?",
                              (target_id,)).fetchone()
        if row is None:
            return None
        if row["type"] == "conference.held":
            return target_id
        try:
            data = json.loads(row["data"])
        except (TypeError, ValueError):
            return None
        return data.get("conference") if isinstance(data, dict) else None

    def fact_rows(self, table: str, order: str = "event_seq") -> list[sqlite3.Row]:
        return list(_rows(self.db, f"select * from {table} where conference_id = ? "
                                   f"order by {order}", self.cid))

    # ---------------------------------------------------------- corrections

    def _revisions(self) -> tuple[Revision, ...]:
        out = []
        for r in _rows(self.db, "select * from revisions order by event_seq, id"):
            if self.conference_of(r["target_event_id"]) != self.cid:
                continue
            if self.since is not None and r["event_seq"] <= self.since:
                continue
            out.append(Revision(r["id"], r["target_event_id"], r["table_name"], r["field"],
                                _shown(r["old_value"]), _shown(r["new_value"]), r["reason"],
                                int(r["event_seq"]), r["recorded_at"],
                                self.fact_label(r["table_name"], r["target_event_id"])))
        return tuple(out)

    def fact_label(self, table: str, event_id: str) -> str:
        """What a correction changed, as a reader names it: "Speech: Karim Massimov"."""
        kind = self.words.gettext(FACT_LABELS.get(table, table.rstrip("s").replace("_", " ")
                                             .capitalize()))
        column = {"speeches": "speaker_name", "participations": "name_given",
                  "agreements": "title", "followups": "name", "conferences": "name",
                  "sessions": "title", "sources": "title", "meetings": "title",
                  "proposals": "text", "notes": "text", "figures": "counts",
                  "attachments": "caption"}.get(table)
        label = None
        if column is not None:
            try:
                row = self.db.execute(f"select * from {table} where event_id = ? limit 1",
                                      (event_id,)).fetchone()
            except sqlite3.OperationalError:
                row = None
            if row is not None:
                label = row[column]
                if table == "participations":
                    label = self.name(row["entity_id"]) or label
                if table == "speeches" and not label:
                    label = self.name(row["speaker_id"])
        if not label and table == "entities":
            row = self.db.execute("select name from entities where first_event_id = ?",
                                  (event_id,)).fetchone()
            label = row["name"] if row else None
        if label and len(label) > 80:
            label = label[:79].rstrip() + "…"
        return f"{kind}: {label}" if label else kind

    def retractions(self) -> tuple[Retraction, ...]:
        out = []
        for r in _rows(self.db, "select * from retractions order by event_seq, id"):
            if self.since is not None and r["event_seq"] <= self.since:
                continue
            if self.conference_of(r["target_event_id"]) != self.cid:
                continue
            out.append(Retraction(r["id"], r["target_event_id"], r["target_type"], r["label"],
                                  r["reason"], int(r["event_seq"]), r["recorded_at"]))
        return tuple(out)

    # ---------------------------------------------------------- facts

    def renderings(self) -> dict[str, tuple[Rendering, ...]]:
        """The recorded translations of this conference's texts into the briefing's
        language (any region of it: not `foreign`), by the row of the text they
        translate."""
        out: dict[str, list[Rendering]] = defaultdict(list)
        for r in _rows(self.db, "select * from translations where conference_id = ? "
                                "order by event_seq", self.cid):
            if not foreign(r["lang"], self.lang):
                out[r["original_row_id"]].append(Rendering(r["lang"], r["text"], r["by"],
                                                           self.ref(r)))
        return {k: tuple(v) for k, v in out.items()}

    def days(self) -> tuple[Day, ...]:
        quotes: dict[str, list[Quote]] = defaultdict(list)
        rendered = self.rendered
        for q in _rows(self.db, "select * from quotes where conference_id = ? "
                                "order by speech_id, n", self.cid):
            quotes[q["speech_id"]].append(Quote(int(q["n"]), q["text"], self.ref(q),
                                                _lang(q), rendered.get(q["id"], ())))
        grouped: dict[tuple[str | None, str | None], list[Speech]] = defaultdict(list)
        conference = self.db.execute("select start, end from conferences where id = ?",
                                     (self.cid,)).fetchone()
        for row in self.fact_rows("speeches"):
            ref = self.ref(row)
            if not self.keep(row, ref):
                continue
            day = self.day_of(row)
            if day is None and conference is not None:  # an opening is on the first day
                day = {"opening": conference["start"],
                       "closing": conference["end"] or conference["start"]}.get(row["kind"])
            speaker = (row["speaker_name"] or self.name(row["speaker_id"])
                       or self.words.gettext("Unknown"))
            speech = Speech(
                row["id"], speaker,
                row["role"], self.name(row["affiliation_id"]), row["kind"], row["summary"],
                tuple(quotes.get(row["id"], ())), day, ref, self.name(row["country_id"]),
                _lang(row), rendered.get(row["id"], ()))
            # a speech outside any session is grouped by its kind ("Opening remarks")
            group = row["session_id"] or f"kind:{row['kind']}"
            grouped[(speech.day, group)].append(speech)
        proposals_per_session: dict[str, int] = defaultdict(int)
        for row in self.fact_rows("proposals"):
            if row["session_id"] and self.keep(row, self.ref(row)):
                proposals_per_session[row["session_id"]] += 1
        session_order = {sid: i for i, sid in enumerate(self.sessions)}

        def order(key: tuple[str | None, str | None]) -> tuple[str, int, int]:
            day, group = key  # days in order, undated last; openings first, closings last
            kind = group[5:] if group and group.startswith("kind:") else None
            place = {"opening": 0, "keynote": 1}.get(kind or "", 3 if kind else 2)
            if kind == "closing":
                place = 4
            return (day or "9999", place, session_order.get(group or "", 0))

        for sid, srow in self.sessions.items():  # the programme: panels without speeches too
            if not any(group == sid for _, group in grouped) and self.keep(srow, self.ref(srow)):
                grouped[(srow["day"], sid)] = []
        days: dict[str | None, list[Session]] = {}
        for key in sorted(grouped, key=order):
            day, group = key
            s = self.sessions.get(group) if group else None
            kind = group[5:] if group and group.startswith("kind:") else None
            title = s["title"] if s else self.words.gettext(
                KIND_GROUPS.get(kind or "", N_("Remarks")))
            session = Session(
                group if s else None, title,
                s["kind"] if s else None, day,
                self.name(s["chair_id"]) if s else None, tuple(grouped[key]),
                proposals_per_session.get(group or "", 0) if s else 0)
            days.setdefault(day, []).append(session)
        return tuple(Day(d, tuple(ss)) for d, ss in days.items())

    def session_title(self, session_id: str | None) -> str | None:
        s = self.sessions.get(session_id) if session_id else None
        return s["title"] if s else None

    def proposals(self) -> tuple[Proposal, ...]:
        roles = {r["entity_id"]: r["role"] for r in self.fact_rows("participations")}
        taken = statements.proposals_taken_up(self.db, self.cid)
        return tuple(
            Proposal(r["id"], r["text"], r["topic"], self.name(r["proposer_id"]),
                     roles.get(r["proposer_id"]), self.session_title(r["session_id"]), ref,
                     r["id"] in taken)
            for r in self.fact_rows("proposals") if self.keep(r, ref := self.ref(r)))

    def agreements(self) -> tuple[Agreement, ...]:
        items: dict[str, list[AgreementItem]] = defaultdict(list)
        for r in _rows(self.db, "select * from agreement_items where conference_id = ? "
                                "order by agreement_id, n", self.cid):
            items[r["agreement_id"]].append(AgreementItem(
                int(r["n"]), r["text"], self.ref(r), _lang(r), self.rendered.get(r["id"], ())))
        parties: dict[str, list[str]] = defaultdict(list)
        for r in _rows(self.db, "select agreement_id, entity_id from agreement_parties where "
                                "conference_id = ? order by id", self.cid):
            parties[r["agreement_id"]].append(self.name(r["entity_id"]) or r["entity_id"])
        return tuple(
            Agreement(r["id"], r["title"],
                      (*parties[r["id"]], *_json_list(r["party_names"])),
                      tuple(items[r["id"]]), self.session_title(r["session_id"]), ref,
                      r["kind"], r["status"], r["points"], r["due"])
            for r in self.fact_rows("agreements") if self.keep(r, ref := self.ref(r)))

    def figures(self) -> tuple[Figure, ...]:
        return tuple(
            Figure(r["id"], self.words.figure(r["value"]), r["unit"], r["counts"], r["qualifier"],
                   self.name(r["cited_by_id"]), ref)
            for r in self.fact_rows("figures") if self.keep(r, ref := self.ref(r)))

    def followups(self) -> tuple[Followup, ...]:
        """The conference's follow-ups at their dates in force (`statements.followups`)."""
        rows = {r["id"]: r for r in self.fact_rows("followups")}
        return tuple(
            Followup(f.id, f.name, f.start, f.place, f.description, ref, f.end, f.foreseen,
                     f.foreseen_place, f.state, f.held_as_name, f.postponements, f.moved)
            for f in statements.followups(self.db, self.cid)
            if self.is_new(ref := self.ref(rows[f.id])))

    def notes(self) -> tuple[Note, ...]:
        return tuple(Note(r["id"], r["text"], ", ".join(_json_list(r["tags"])) or None, ref)
                     for r in self.fact_rows("notes") if self.keep(r, ref := self.ref(r)))

    def participants(self) -> tuple[Participant, ...]:
        kinds = {"country": 0, "organisation": 1, "person": 2}
        rows = [r for r in self.fact_rows("participations") if self.is_new(self.ref(r))]
        out = [Participant(r["id"], r["kind"], self.name(r["entity_id"]) or r["name_given"],
                           r["role"], self.name(r["affiliation_id"]),
                           self.name(r["country_id"]), r["category"], self.ref(r),
                           r["status"] or "participant", self.short_names.get(r["entity_id"]),
                           tuple(_json_list(r["also"])))
               for r in rows]
        out.sort(key=lambda p: (kinds.get(p.kind, 3), p.sort_key))
        return tuple(out)

    def sources(self) -> dict[str, SourceInfo]:
        out: dict[str, SourceInfo] = {}
        for r in _rows(self.db, "select * from sources order by event_seq"):
            info = SourceInfo(r["id"], r["title"], r["publisher"], r["published"], r["kind"],
                              r["via"], r["url"])
            out[r["id"]] = info
            if r["url"]:
                out.setdefault(r["url"], info)
        return out

    def countries_reported(self) -> int:
        """The number of countries the source itself gives (a figure counting countries),
        or 0 when it gives none."""
        for r in self.fact_rows("figures"):
            if (r["counts"] or "").casefold().startswith("countries") and r["value"]:
                return int(r["value"])
        return 0

    def commitments(self) -> tuple[Commitment, ...]:
        """The conference's commitments with their status (the `commitment_status` view:
        the latest live update, `agreed` before any), overdue first as of `today`."""
        out = []
        due = statements.dues(self.db, self.cid)
        for r in _rows(self.db, "select s.*, c.source_url as c_url, c.source_locator as "
                                "c_loc, c.event_id as c_event, u.event_id as u_event from "
                                "commitment_status s join commitments c on c.id = s.id "
                                "left join progress u on u.event_seq = s.last_update_seq "
                                "where s.conference_id = ? "
                                "order by s.point is null, s.point, s.event_seq", self.cid):
            ref = Ref(r["c_event"], int(r["event_seq"]), r["c_url"], r["c_loc"],
                      self.by_target.get(r["c_event"], ()))
            if not self.is_new(ref) and not (
                    self.since is not None and (r["last_update_seq"] or 0) > self.since):
                continue
            evidence = (Ref(r["u_event"], int(r["last_update_seq"]), r["evidence_url"],
                            r["evidence_locator"]) if r["last_update_seq"] else None)
            out.append(Commitment(r["id"], r["point"], r["text"] or "", r["owners"] or "",
                                  due[r["id"]], r["status"],
                                  r["status_at"], r["last_note"],
                                  int(r["updates"] or 0), evidence, ref))
        return tuple(out)

    def meetings(self) -> tuple[Meeting, ...]:
        who: dict[str, list[str]] = defaultdict(list)
        for r in _rows(self.db, "select meeting_id, entity_id from meeting_participants where "
                                "conference_id = ? order by id", self.cid):
            who[r["meeting_id"]].append(self.name(r["entity_id"]) or r["entity_id"])
        return tuple(
            Meeting(r["id"], r["kind"], r["title"], tuple(who[r["id"]]), r["duration"],
                    r["outcome"], ref)
            for r in self.fact_rows("meetings") if self.keep(r, ref := self.ref(r)))

    def delegations(self) -> tuple[Delegation, ...]:
        members: dict[str, list[Delegate]] = defaultdict(list)
        for r in _rows(self.db, "select * from delegation_members where conference_id = ? "
                                "order by delegation_id, is_head desc, id", self.cid):
            members[r["delegation_id"]].append(Delegate(
                self.name(r["entity_id"]) or r["entity_id"], r["post"], bool(r["is_head"])))
        return tuple(
            Delegation(r["id"], self.name(r["country_id"]) or "", tuple(members[r["id"]]), ref,
                       r["description"])
            for r in self.fact_rows("delegations") if self.keep(r, ref := self.ref(r)))

    def attachments(self) -> tuple[Attachment, ...]:
        out = []
        for r in self.fact_rows("attachments"):
            ref = self.ref(r)
            if self.keep(r, ref):
                out.append(Attachment(r["id"], r["kind"] or "photo", r["caption"], r["credit"],
                                      r["filename"], self.image(r), ref))
        return tuple(out)

    def image(self, row: sqlite3.Row) -> str | None:
        """The attachment file's sha256 when it exists and is a raster image we can draw."""
        sha = row["sha256"]
        if not sha or not row["file_present"]:
            return None
        media_type = (row["media_type"] or "").lower()
        if media_type not in IMAGE_TYPES:
            media_type = _EXT_TYPES.get(Path(row["filename"] or "").suffix.lower(), "")
        if media_type not in IMAGE_TYPES:
            return None
        if not is_sha256(sha):
            return None
        path = Layout(self.root).attachment(sha)
        return sha if path.is_file() and _is_image(path) else None


def _is_image(path: Path) -> bool:
    """Whether the file really is a raster image (a damaged one is shown as a caption)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.verify()
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError):
        return False
    return True


#: How a correction names the kind of fact it changed, by table.
FACT_LABELS = {
    "speeches": N_("Speech"), "participations": N_("Participant"), "entities": N_("Name"),
    "agreements": N_("Agreement"), "agreement_items": N_("Agreed point"),
    "followups": N_("Follow-up"), "conferences": N_("Conference"),
    "sessions": N_("Session"), "sources": N_("Source"), "meetings": N_("Meeting"),
    "proposals": N_("Proposal"), "notes": N_("Note"), "figures": N_("Figure"),
    "attachments": N_("Photo or document"), "quotes": N_("Quotation"),
    "delegations": N_("Delegation")}

#: How speeches that belong to no session are grouped, by their kind.
KIND_GROUPS = {
    "opening": N_("Opening remarks"), "keynote": N_("Keynote addresses"),
    "closing": N_("Closing remarks"), "interview": N_("Interviews and remarks to the press"),
    "statement": N_("Statements"), "panel": N_("Panel remarks"), "remark": N_("Remarks")}


def _counts(b: dict[str, Any]) -> dict[str, int]:
    parts: Iterable[Participant] = b["participants"]
    unique: dict[str, set[str]] = defaultdict(set)
    for p in parts:
        key = "international" if p.international else p.kind
        unique[key].add(p.name)
    speeches = [sp for d in b["days"] for s in d.sessions for sp in s.speeches]
    return {
        "countries": len(unique["country"]),
        "international": len(unique["international"]),
        "organisations": len(unique["organisation"]),
        "people": len(unique["person"]),
        "speeches": len(speeches),
        "quotes": sum(len(sp.quotes) for sp in speeches),
        "proposals": len(b["proposals"]),
        "agreements": len(b["agreements"]),
        "agreement_items": sum(len(a.items) for a in b["agreements"]),
        "figures": len(b["figures"]),
        "sessions": sum(1 for d in b["days"] for s in d.sessions if s.id is not None),
    }


def load(db_path: Path, *, root: Path, conference: str | None = None,
         since: int | None = None, day: str | None = None, lang: str = "en") -> Briefing:
    """Read one conference's briefing from the database at `db_path`.

    `root` is the archive folder (for attachment files). `since` keeps only facts recorded
    or corrected after that sequence number; `day` only those of that day (YYYY-MM-DD);
    `lang` is the language it is written in (the translations it shows are into it)."""
    with closing(sqlite.read_only(db_path)) as db:
        try:
            stamp = build_stamp(db)
            if since is not None and not 0 <= since <= stamp.seq:
                raise RenderError(f"--since {since} is outside the log, which ends at "
                                  f"sequence {stamp.seq}")
            since_stamp = event_stamp(db, since) if since is not None else None
            first = db.execute("select min(recorded_at) from events").fetchone()[0]
            row = sqlite.conference(db, conference)
            loader = _Loader(db, Path(root), row["id"], since, day, lang)
            conf = Conference(row["id"], row["name"], row["place"], row["start"], row["end"],
                              _json_list(row["organisers"]), _json_list(row["supporters"]),
                              row["description"], loader.ref(row),
                              statements.postponements(db, row["id"]),
                              _json_list(row["topics"]), loader.name(row["chair_id"]))
            parts: dict[str, Any] = {
                "days": loader.days(), "agreements": loader.agreements(),
                "proposals": loader.proposals(), "figures": loader.figures(),
                "participants": loader.participants(), "followups": loader.followups(),
                "attachments": loader.attachments(), "notes": loader.notes(),
                "meetings": loader.meetings(), "delegations": loader.delegations(),
                "commitments": loader.commitments(),
                "sources": loader.sources(),
                "revisions": loader.revisions, "retractions": loader.retractions(),
            }
            counts = {**_counts(parts), "countries_reported": loader.countries_reported()}
        except sqlite3.DatabaseError as exc:
            raise RenderError(f"cannot read the database {db_path}: {exc}") from None
    return Briefing(conference=conf, stamp=stamp, first_date=(first or "")[:10] or None,
                    since=since_stamp, day=day, counts=counts, lang=lang, **parts)
