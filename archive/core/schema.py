"""The SQLite schema of `exports/archive.db`: tables, columns, keys, indexes and what each means.

Pure data. The projection uses the column lists, the database writer the keys and indexes,
and the Datasette metadata the descriptions, so a column is named and described once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Bumped whenever the tables change shape; a database built by another version is rebuilt.
SCHEMA_VERSION = "2"

PROVENANCE = (
    ("event_id", "text", "Id of the event (log line) that recorded this fact"),
    ("event_seq", "integer", "Sequence number of that event in the log: follow it to the "
                             "`events` row"),
    ("source_url", "text", "Where the fact comes from: the source document's URL or identifier"),
    ("source_locator", "text", "Where in the source (page, paragraph, timestamp)"),
    ("at", "text", "When it happened, where the event says"),
)


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[tuple[str, str, str], ...]  # (name, SQL type, description)
    pk: str = "id"
    fks: tuple[tuple[str, str, str], ...] = ()  # (column, other table, other column)
    indexes: tuple[tuple[str, ...], ...] = ()
    label: str | None = None
    facets: tuple[str, ...] = ()
    sort: str | None = None
    sort_desc: str | None = None
    hidden: bool = False
    provenance: bool = True
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def all_columns(self) -> tuple[tuple[str, str, str], ...]:
        return self.columns + (PROVENANCE if self.provenance else ())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c[0] for c in self.all_columns)


def _t(name: str, description: str, columns: list[tuple[str, str, str]], **kw: object) -> Table:
    return Table(name, description, tuple(columns), **kw)  # type: ignore[arg-type]


_CONF = ("conference_id", "conferences", "id")
_SESSION = ("session_id", "sessions", "id")
_SEQ = ("event_seq", "events", "seq")

TABLES: tuple[Table, ...] = (
    _t("conferences", "Conferences: name, place, dates, organisers and supporters.", [
        ("id", "text", "Conference id (the id of the `conference.held` event)"),
        ("name", "text", "Name of the conference"),
        ("place", "text", "Where it was held"),
        ("start", "text", "First day"),
        ("end", "text", "Last day"),
        ("organisers", "text", "Organisers (JSON array of names)"),
        ("supporters", "text", "Supporters (JSON array of names)"),
        ("description", "text", "What the conference was about"),
    ], fks=(_SEQ,), label="name", sort="start"),
    _t("sessions", "Sessions, panels and other parts of a conference's programme.", [
        ("id", "text", "Session id (the id of the `session.held` event)"),
        ("conference_id", "text", "The conference it belongs to"),
        ("title", "text", "Title of the session"),
        ("kind", "text", "plenary, panel, workshop, theme or other"),
        ("day", "text", "The day it was held"),
        ("chair_id", "text", "Who chaired it"),
        ("parent_id", "text", "The session it is part of"),
        ("description", "text", "What the session was about"),
    ], fks=(_CONF, ("chair_id", "entities", "id"), ("parent_id", "sessions", "id"), _SEQ),
       label="title", facets=("conference_id", "kind", "day"), sort="day"),
    _t("entities", "Countries, organisations and people, each once. Merged records keep the "
       "other spellings in `aliases`. Views `people`, `organisations`, `countries` show "
       "one kind.", [
        ("id", "text", "Entity id (given by the first `participant.attended` event naming it)"),
        ("kind", "text", "country, organisation or person"),
        ("name", "text", "Name (from the first mention, unless corrected)"),
        ("aliases", "text", "Other spellings of merged records (JSON array)"),
        ("category", "text", "Category given at first mention (e.g. member state, NGO)"),
        ("country_id", "text", "The country a person or organisation belongs to"),
        ("first_event_id", "text", "The event that first named this entity"),
    ], fks=(("country_id", "entities", "id"),), indexes=(("kind",), ("name",)),
       label="name", facets=("kind", "category", "country_id"), sort="name", provenance=False),
    _t("entity_aliases", "Entities merged into another: the id and name that now point to the "
       "kept entity.", [
        ("id", "text", "The merged (no longer used) entity id"),
        ("entity_id", "text", "The entity it was merged into"),
        ("name", "text", "The merged record's name"),
        ("merge_event_id", "text", "The `entities.merged` event"),
        ("reason", "text", "Why they are the same"),
        ("event_seq", "integer", "Sequence number of the merge event"),
    ], fks=(("entity_id", "entities", "id"), _SEQ), label="name", provenance=False),
    _t("participations", "Who took part in which conference, in what role, with which "
       "affiliation and country at the time.", [
        ("id", "text", "Participation id (the `participant.attended` event id)"),
        ("conference_id", "text", "The conference"),
        ("entity_id", "text", "The country, organisation or person"),
        ("kind", "text", "country, organisation or person"),
        ("name_given", "text", "The name as given in this record"),
        ("role", "text", "Role at the conference"),
        ("affiliation_id", "text", "Organisation they represented"),
        ("country_id", "text", "Country they represented"),
        ("category", "text", "Category (e.g. member state, international organisation, NGO)"),
        ("description", "text", "Notes on the participation"),
    ], fks=(_CONF, ("entity_id", "entities", "id"), ("affiliation_id", "entities", "id"),
            ("country_id", "entities", "id"), _SEQ),
       indexes=(("kind",),), label="name_given",
       facets=("kind", "country_id", "affiliation_id"), sort="name_given"),
    _t("speeches", "Speeches and remarks: speaker, role, session, kind and a summary; "
       "verbatim quotes are in `quotes`.", [
        ("id", "text", "Speech id (the `speech.delivered` event id)"),
        ("conference_id", "text", "The conference"),
        ("session_id", "text", "The session it was given in"),
        ("speaker_id", "text", "Who spoke"),
        ("speaker_name", "text", "The speaker's name (copied from `entities` for reading)"),
        ("role", "text", "The speaker's role when speaking"),
        ("affiliation_id", "text", "Organisation the speaker spoke for"),
        ("kind", "text", "opening, keynote, panel, closing, interview, remark or statement"),
        ("summary", "text", "Summary of what was said"),
        ("quote_count", "integer", "How many verbatim quotes are recorded"),
    ], fks=(_CONF, _SESSION, ("speaker_id", "entities", "id"),
            ("affiliation_id", "entities", "id"), _SEQ),
       indexes=(("kind",),), label="speaker_name",
       # One facet: `session_id` (~12k values at 1M events) cost ~60 ms a page. Each
       # row of this wide table costs ~0.4 ms to render: 20 a page keep it under 50 ms.
       facets=("kind",), sort="event_seq", extra={"size": 20}),
    _t("quotes", "Verbatim quotes from speeches, in the order recorded.", [
        ("id", "text", "Quote id: the speech id, a slash and the quote's number"),
        ("speech_id", "text", "The speech it comes from"),
        ("n", "integer", "Number of the quote within its speech (from 1)"),
        ("speaker_id", "text", "Who said it"),
        ("conference_id", "text", "The conference"),
        ("text", "text", "The words, verbatim"),
    ], fks=(("speech_id", "speeches", "id"), ("speaker_id", "entities", "id"), _CONF, _SEQ),
       label="text", facets=("speaker_id",), sort="event_seq"),
    _t("proposals", "Proposals put forward, by whom, on what topic.", [
        ("id", "text", "Proposal id (the `proposal.made` event id)"),
        ("conference_id", "text", "The conference"),
        ("session_id", "text", "The session it was made in"),
        ("proposer_id", "text", "Who proposed it, where known"),
        ("text", "text", "What was proposed"),
        ("topic", "text", "Its topic"),
    ], fks=(_CONF, _SESSION, ("proposer_id", "entities", "id"), _SEQ),
       indexes=(("topic",),), label="topic", facets=("proposer_id", "topic", "session_id"),
       sort="event_seq"),
    _t("agreements", "Agreements reached: title and parties; the items are in "
       "`agreement_items`.", [
        ("id", "text", "Agreement id (the `agreement.reached` event id)"),
        ("conference_id", "text", "The conference"),
        ("session_id", "text", "The session it was reached in"),
        ("title", "text", "Title of the agreement"),
        ("parties", "text", "Parties to it (JSON array of names)"),
        ("item_count", "integer", "How many items were agreed"),
    ], fks=(_CONF, _SESSION, _SEQ), label="title", sort="event_seq"),
    _t("agreement_items", "The numbered items of each agreement.", [
        ("id", "text", "Item id: the agreement id, a slash and the item's number"),
        ("agreement_id", "text", "The agreement"),
        ("n", "integer", "Number of the item (from 1)"),
        ("text", "text", "What was agreed"),
        ("conference_id", "text", "The conference"),
    ], fks=(("agreement_id", "agreements", "id"), _CONF, _SEQ), label="text",
       facets=("agreement_id",), sort="id"),
    _t("figures", "Numbers cited: value, unit, what they count and who cited them.", [
        ("id", "text", "Figure id (the `figure.cited` event id)"),
        ("conference_id", "text", "The conference"),
        ("session_id", "text", "The session it was cited in"),
        ("value", "real", "The number"),
        ("unit", "text", "Its unit"),
        ("counts", "text", "What it counts"),
        ("qualifier", "text", "exactly, about, more than, at least, fewer than or up to"),
        ("cited_by_id", "text", "Who cited it (empty when the source states it)"),
    ], fks=(_CONF, _SESSION, ("cited_by_id", "entities", "id"), _SEQ),
       label="counts", facets=("cited_by_id", "unit"), sort="event_seq"),
    _t("followups", "Meetings that follow from a conference.", [
        ("id", "text", "Follow-up id (the `followup.scheduled` event id)"),
        ("conference_id", "text", "The conference"),
        ("name", "text", "Name of the meeting"),
        ("date", "text", "When"),
        ("place", "text", "Where"),
        ("description", "text", "What it is for"),
    ], fks=(_CONF, _SEQ), label="name", sort="date"),
    _t("attachments", "Photos and documents, stored content-addressed beside the log.", [
        ("id", "text", "Attachment id (the `attachment.added` event id)"),
        ("conference_id", "text", "The conference"),
        ("session_id", "text", "The session it shows"),
        ("kind", "text", "photo, document or other"),
        ("sha256", "text", "SHA-256 of the file (events/attachments/<sha256>)"),
        ("filename", "text", "Original file name"),
        ("media_type", "text", "Media type"),
        ("caption", "text", "Caption"),
        ("credit", "text", "Credit"),
        ("file_present", "integer", "1 when the file itself is in the archive, else 0"),
    ], fks=(_CONF, _SESSION, _SEQ), label="caption", facets=("kind",), sort="event_seq"),
    _t("notes", "Any other happening, theme or context.", [
        ("id", "text", "Note id (the `note.recorded` event id)"),
        ("conference_id", "text", "The conference"),
        ("session_id", "text", "The session"),
        ("text", "text", "The note"),
        ("topic", "text", "Its topic"),
    ], fks=(_CONF, _SESSION, _SEQ), label="topic", facets=("topic",), sort="event_seq"),
    _t("events", "The log itself: one row per line of events/events.jsonl, with its envelope "
       "and payload. Every fact links here through `event_seq`.", [
        ("seq", "integer", "Sequence number (position in the log, from 1)"),
        ("id", "text", "Event id"),
        ("type", "text", "Event type, e.g. speech.delivered"),
        ("v", "integer", "Schema version of the payload"),
        ("at", "text", "When it happened"),
        ("recorded_at", "text", "When it was recorded"),
        ("recorded_by", "text", "Who recorded it"),
        ("source_url", "text", "Source URL or identifier"),
        ("source_locator", "text", "Where in the source"),
        ("data", "text", "The payload as recorded (JSON)"),
        ("prev", "text", "Hash of the line before"),
        ("hash", "text", "SHA-256 of this line (without its hash member)"),
    ], pk="seq", indexes=(("type",), ("recorded_at",)), label="type",
       facets=("type",), sort_desc="seq", provenance=False),
    _t("revisions", "Corrections applied: one row per changed field, old and new value.", [
        ("id", "text", "Correction event id, a slash and the field"),
        ("correction_event_id", "text", "The `event.corrected` event"),
        ("target_event_id", "text", "The event it corrects"),
        ("table_name", "text", "The table whose row changed"),
        ("row_id", "text", "The row that changed"),
        ("field", "text", "The field that changed"),
        ("old_value", "text", "Value before (JSON for non-text values)"),
        ("new_value", "text", "Value after (JSON for non-text values)"),
        ("reason", "text", "Why"),
        ("recorded_at", "text", "When the correction was recorded"),
        ("recorded_by", "text", "Who recorded it"),
        ("event_seq", "integer", "Sequence number of the correction event"),
    ], fks=(_SEQ,), indexes=(("row_id",), ("target_event_id",)), label="field",
       facets=("table_name", "field", "recorded_by"), sort_desc="event_seq", provenance=False),
    _t("retractions", "Facts withdrawn: they are no longer in the other tables; here is what "
       "they were and why.", [
        ("id", "text", "The `event.retracted` event id"),
        ("target_event_id", "text", "The event retracted"),
        ("target_type", "text", "Its type"),
        ("table_name", "text", "The table it was removed from"),
        ("label", "text", "A short text of what was retracted"),
        ("reason", "text", "Why"),
        ("recorded_at", "text", "When the retraction was recorded"),
        ("recorded_by", "text", "Who recorded it"),
        ("event_seq", "integer", "Sequence number of the retraction event"),
    ], fks=(_SEQ,), indexes=(("target_event_id",),), label="label",
       facets=("target_type", "recorded_by"), sort_desc="event_seq", provenance=False),
    _t("merges", "Every merge of two records, in force or undone: who was found to be whom, "
       "and the unmerge that undid it where one did.", [
        ("id", "text", "The `entities.merged` event id"),
        ("kept_id", "text", "The record kept"),
        ("merged_id", "text", "The record merged into it"),
        ("kept_name", "text", "The kept record's name at the merge"),
        ("merged_name", "text", "The merged record's name at the merge"),
        ("reason", "text", "Why they were found to be one"),
        ("undone_by", "text", "The `entities.unmerged` event that undid it (empty: in force)"),
        ("undo_reason", "text", "Why it was undone"),
        ("event_seq", "integer", "Sequence number of the merge event"),
    ], fks=(_SEQ,), label="merged_name", sort_desc="event_seq", provenance=False),
    _t("texts", "Every spoken or written text in one place (summaries, quotes, proposals, "
       "agreement items, notes, captions, descriptions), with full-text search: search "
       "here to search everything.", [
        ("id", "text", "Id of the row the text is in"),
        ("kind", "text", "summary, quote, proposal, agreement, agreement_item, note, caption "
                         "or description"),
        ("text", "text", "The text"),
        ("conference_id", "text", "The conference"),
        ("speaker_id", "text", "Who said or proposed it, where known"),
        ("speech_id", "text", "The speech, for summaries and quotes"),
        ("table_name", "text", "The table the text is in"),
        ("row_id", "text", "The row the text is in"),
        ("event_seq", "integer", "Sequence number of the event that recorded it"),
    ], fks=(_CONF, ("speaker_id", "entities", "id"), ("speech_id", "speeches", "id"), _SEQ),
       indexes=(("kind",),), label="text", facets=("kind",),
       provenance=False),
    _t("_archive_build", "How this database was built: the log position it reflects.", [
        ("key", "text", "Setting"),
        ("value", "text", "Value"),
    ], pk="key", hidden=True, provenance=False),
    _t("_archive_current", "The corrected payload of every corrected event (internal).", [
        ("event_id", "text", "Event id"),
        ("data", "text", "Payload after all corrections (JSON)"),
    ], pk="event_id", hidden=True, provenance=False),
)

BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

#: Views over `entities`, one per kind.
VIEWS: dict[str, str] = {
    "people": "select * from entities where kind = 'person'",
    "organisations": "select * from entities where kind = 'organisation'",
    "countries": "select * from entities where kind = 'country'",
}

#: Every column that holds an entity id: rewritten when entities merge.
ENTITY_REFS: tuple[tuple[str, str], ...] = tuple(
    (t.name, col) for t in TABLES for col, other, _ in t.fks if other == "entities"
)
#: The entity references of facts (an alias row does not keep an entity alive).
FACT_REFS = tuple(ref for ref in ENTITY_REFS if ref[0] != "entity_aliases")

#: The full-text index: one table searches every text.
FTS_TABLE = "texts"
FTS_COLUMNS = ("text",)


def indexes(table: Table) -> list[tuple[str, ...]]:
    """Secondary indexes: every foreign key, the declared ones and the provenance columns."""
    out: list[tuple[str, ...]] = []
    for col, _other, _ in table.fks:
        if col != table.pk:
            out.append((col,))
    out.extend(table.indexes)
    seen: set[tuple[str, ...]] = set()
    return [i for i in out if not (i in seen or seen.add(i))]  # type: ignore[func-returns-value]
