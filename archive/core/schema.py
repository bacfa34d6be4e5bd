"""The SQLite schema of `exports/archive.db`: tables, columns, keys, indexes and what each means.

Pure data. The projection uses the column lists, the database writer the keys and indexes,
and the Datasette metadata the descriptions, so a column is named and described once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Bumped whenever the tables change shape; a database built by another version is rebuilt.
SCHEMA_VERSION = "12"

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
    #: Columns its own full-text index holds (`<name>_fts`): Datasette's search box and
    #: `?_search=` on the table find its rows by them.
    search: tuple[str, ...] = ()

    @property
    def all_columns(self) -> tuple[tuple[str, str, str], ...]:
        return self.columns + (PROVENANCE if self.provenance else ())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c[0] for c in self.all_columns)


def _t(name: str, description: str, columns: list[tuple[str, str, str]], **kw: object) -> Table:
    return Table(name, description, tuple(columns), **kw)  # type: ignore[arg-type]


#: The language of a row's texts (`core.translations.lang_of`), and where it comes from.
_LANG = [("lang", "text", "The language its text is in (BCP 47: en, ru, kk): the fact's own, "
                          "else its conference's working language, else en"),
         ("lang_from", "text", "The conference whose working language it has (empty: the "
                               "fact gives its own)")]
#: The tables whose rows hold texts, with a language each.
LANG_TABLES = ("conferences", "sources", "sessions", "speeches", "quotes", "proposals",
               "agreements", "agreement_items", "meetings", "attachments", "notes",
               "translations", "texts")
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
        ("series", "text", "The series it belongs to"),
        ("number", "integer", "Its number in the series"),
        ("host_country", "text", "The host country"),
        ("topics", "text", "Topics on its agenda (JSON array)"),
        ("chair_id", "text", "Who chaired it"),
        *_LANG,
    ], fks=(_SEQ, ("chair_id", "entities", "id")), label="name", facets=("series",),
       sort="start",
       search=("name", "place", "series", "description", "topics")),
    _t("conference_series", "Every series a conference belongs to, with its number in each: "
       "its main series (`series`, `number` in `conferences`) and any other it is counted in "
       "(the Nth of a whole process, the Mth of one kind of meeting in it).", [
        ("id", "text", "The conference id, a slash and the series' place (0: its main one)"),
        ("conference_id", "text", "The conference"),
        ("series", "text", "The series"),
        ("number", "integer", "Its number in that series"),
        ("main", "integer", "1 for the conference's main series"),
    ], fks=(_CONF, _SEQ), label="series", facets=("series",), sort="id"),
    _t("postponements", "Conferences postponed or moved: the date and place they had been "
       "set for, the new ones, and why.", [
        ("id", "text", "The `conference.postponed` event id"),
        ("conference_id", "text", "The conference"),
        ("planned", "text", "The date it had been set for"),
        ("moved_to", "text", "The new date"),
        ("planned_place", "text", "Where it was to be held"),
        ("moved_place", "text", "Where it moved to"),
        ("reason", "text", "Why"),
    ], fks=(_CONF, _SEQ), label="reason", sort="event_seq"),
    _t("sources", "Sources that facts cite by id: title, publisher, date, kind, and the "
       "agency a repost came through. A fact's `source_url` holds a source's id or a URL.", [
        ("id", "text", "Source id (the `source.cited` event id)"),
        ("title", "text", "Its title"),
        ("url", "text", "Where it can be read"),
        ("publisher", "text", "Who published it"),
        ("published", "text", "When"),
        ("kind", "text", "press, official, transcript, video or other"),
        ("via", "text", "The agency or outlet it came through"),
        ("description", "text", "Notes on the source"),
        *_LANG,
    ], fks=(_SEQ,), label="title", facets=("kind", "publisher"), sort="published"),
    _t("sessions", "Sessions, panels and other parts of a conference's programme.", [
        ("id", "text", "Session id (the id of the `session.held` event)"),
        ("conference_id", "text", "The conference it belongs to"),
        ("title", "text", "Title of the session"),
        ("kind", "text", "plenary, panel, workshop, theme or other"),
        ("day", "text", "The day it was held"),
        ("chair_id", "text", "Who chaired it"),
        ("parent_id", "text", "The session it is part of"),
        ("description", "text", "What the session was about"),
        *_LANG,
    ], fks=(_CONF, ("chair_id", "entities", "id"), ("parent_id", "sessions", "id"), _SEQ),
       label="title", facets=("conference_id", "kind", "day"), sort="day"),
    _t("entities", "Countries, organisations and people, each once. Merged records keep the "
       "other spellings in `aliases`. Views `people`, `organisations`, `countries` show "
       "one kind.", [
        ("id", "text", "Entity id (given by the first `participant.attended` event naming it)"),
        ("kind", "text", "country, organisation or person"),
        ("name", "text", "Name (from the first mention, unless corrected)"),
        ("aliases", "text", "Other names it is known by (JSON array): the names of records "
                            "merged into it, and names it had before a correction"),
        ("category", "text", "Category given at first mention (e.g. member state, NGO)"),
        ("country_id", "text", "The country a person or organisation belongs to"),
        ("first_event_id", "text", "The event that first named this entity"),
        ("short_name", "text", "Acronym or short name (e.g. OSCE)"),
    ], fks=(("country_id", "entities", "id"),), indexes=(("kind",), ("name",)),
       label="name", facets=("kind", "category", "country_id"), sort="name", provenance=False,
       search=("name", "aliases", "short_name", "category")),
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
        ("status", "text", "host, organiser, supporter, member, observer, guest or "
                           "participant"),
        ("short_name", "text", "Acronym or short name"),
        ("also", "text", "Other standings it had there as well (JSON array), e.g. member "
                         "for a host"),
    ], fks=(_CONF, ("entity_id", "entities", "id"), ("affiliation_id", "entities", "id"),
            ("country_id", "entities", "id"), _SEQ),
       indexes=(("kind",), ("status",)), label="name_given",
       facets=("status", "kind", "country_id", "affiliation_id"), sort="name_given"),
    _t("delegations", "A country's delegation: its head and how many members; the members "
       "and their posts are in `delegation_members`.", [
        ("id", "text", "Delegation id (the `delegation.sent` event id)"),
        ("conference_id", "text", "The conference"),
        ("session_id", "text", "The session"),
        ("country_id", "text", "The country it represents"),
        ("head_id", "text", "Who led it"),
        ("member_count", "integer", "How many people, its head included"),
        ("description", "text", "Notes on the delegation"),
    ], fks=(_CONF, _SESSION, ("country_id", "entities", "id"), ("head_id", "entities", "id"),
            _SEQ), label="country_id", facets=("country_id",), sort="event_seq"),
    _t("delegation_members", "Who was in each delegation, and their post.", [
        ("id", "text", "The delegation id, a slash and the member's number (1: its head)"),
        ("delegation_id", "text", "The delegation"),
        ("entity_id", "text", "The person"),
        ("post", "text", "Their post"),
        ("is_head", "integer", "1 for the head of the delegation"),
        ("conference_id", "text", "The conference"),
    ], fks=(("delegation_id", "delegations", "id"), ("entity_id", "entities", "id"), _CONF,
            _SEQ), label="post", facets=("delegation_id",), sort="id"),
    _t("speeches", "Speeches and remarks: speaker, role, session, kind and a summary; "
       "verbatim quotes are in `quotes`.", [
        ("id", "text", "Speech id (the `speech.delivered` event id)"),
        ("conference_id", "text", "The conference"),
        ("session_id", "text", "The session it was given in"),
        ("speaker_id", "text", "Who spoke"),
        ("speaker_name", "text", "The speaker's name (copied from `entities` for reading)"),
        ("role", "text", "The speaker's role when speaking"),
        ("affiliation_id", "text", "Organisation the speaker spoke for"),
        ("country_id", "text", "Country the speaker spoke for"),
        ("kind", "text", "opening, keynote, panel, closing, interview, remark or statement"),
        ("summary", "text", "Summary of what was said"),
        ("quote_count", "integer", "How many verbatim quotes are recorded"),
        *_LANG,
    ], fks=(_CONF, _SESSION, ("speaker_id", "entities", "id"),
            ("affiliation_id", "entities", "id"), ("country_id", "entities", "id"), _SEQ),
       indexes=(("kind",),), label="speaker_name",
       # One facet: `session_id` (~12k values at 1M events) cost ~60 ms a page. Each
       # row of this wide table costs ~0.4 ms to render: 20 a page keep it under 50 ms.
       facets=("kind", "lang"), sort="event_seq", extra={"size": 20}),
    _t("quotes", "Verbatim quotes from speeches, in the order recorded.", [
        ("id", "text", "Quote id: the speech id, a slash and the quote's number"),
        ("speech_id", "text", "The speech it comes from"),
        ("n", "integer", "Number of the quote within its speech (from 1)"),
        ("speaker_id", "text", "Who said it"),
        ("conference_id", "text", "The conference"),
        ("text", "text", "The words, verbatim"),
        *_LANG,
    ], fks=(("speech_id", "speeches", "id"), ("speaker_id", "entities", "id"), _CONF, _SEQ),
       label="text", facets=("speaker_id", "lang"), sort="event_seq"),
    _t("proposals", "Proposals put forward, by whom, on what topic.", [
        ("id", "text", "Proposal id (the `proposal.made` event id)"),
        ("conference_id", "text", "The conference"),
        ("session_id", "text", "The session it was made in"),
        ("proposer_id", "text", "Who proposed it, where known"),
        ("text", "text", "What was proposed"),
        ("topic", "text", "Its topic"),
        *_LANG,
    ], fks=(_CONF, _SESSION, ("proposer_id", "entities", "id"), _SEQ),
       indexes=(("topic",),), label="topic", facets=("proposer_id", "topic", "session_id"),
       sort="event_seq"),
    _t("agreements", "Agreements reached: title, kind, status and how many points the "
       "text has; the points recorded are in `agreement_items`, the parties in "
       "`agreement_parties`.", [
        ("id", "text", "Agreement id (the `agreement.reached` event id)"),
        ("conference_id", "text", "The conference"),
        ("session_id", "text", "The session it was reached in"),
        ("title", "text", "Title of the agreement"),
        ("kind", "text", "declaration, convention, decision, communique, statement, "
                         "action-plan, memorandum or other"),
        ("status", "text", "proposed, due-to-be-signed, signed, adopted, endorsed, "
                           "initialled, rejected or other"),
        ("points", "integer", "How many points the whole text has (empty: not known)"),
        ("item_count", "integer", "How many of its points are recorded here"),
        ("party_names", "text", "Parties named only in words (JSON array)"),
        ("description", "text", "What it is about"),
        ("due", "text", "When its signing is foreseen (status due-to-be-signed)"),
        *_LANG,
    ], fks=(_CONF, _SESSION, _SEQ), label="title", facets=("kind", "status"),
       sort="event_seq"),
    _t("agreement_items", "The points of each agreement that are recorded, with their "
       "numbers in its text.", [
        ("id", "text", "Item id: the agreement id, a slash and the point's number"),
        ("agreement_id", "text", "The agreement"),
        ("n", "integer", "Number of the point in the agreement's text"),
        ("text", "text", "What was agreed"),
        ("conference_id", "text", "The conference"),
        *_LANG,
    ], fks=(("agreement_id", "agreements", "id"), _CONF, _SEQ), label="text",
       facets=("agreement_id",), sort="id"),
    _t("agreement_parties", "The countries and organisations party to each agreement.", [
        ("id", "text", "The agreement id, a slash, p and the party's number"),
        ("agreement_id", "text", "The agreement"),
        ("entity_id", "text", "The party"),
        ("conference_id", "text", "The conference"),
    ], fks=(("agreement_id", "agreements", "id"), ("entity_id", "entities", "id"), _CONF,
            _SEQ), label="entity_id", facets=("entity_id",), sort="id"),
    _t("meetings", "Meetings on the sidelines (bilateral, trilateral, informal, side "
       "events, working meetings); who took part is in `meeting_participants`.", [
        ("id", "text", "Meeting id (the `meeting.held` event id)"),
        ("conference_id", "text", "The conference"),
        ("session_id", "text", "The session"),
        ("kind", "text", "bilateral, trilateral, informal, side-event, working or other"),
        ("title", "text", "Its title"),
        ("who", "text", "Who took part (names, for reading)"),
        ("duration", "text", "How long"),
        ("outcome", "text", "What came of it"),
        *_LANG,
    ], fks=(_CONF, _SESSION, _SEQ), label="who", facets=("kind",), sort="event_seq"),
    _t("meeting_participants", "Who took part in each meeting.", [
        ("id", "text", "The meeting id, a slash and the participant's number"),
        ("meeting_id", "text", "The meeting"),
        ("entity_id", "text", "The person, organisation or country"),
        ("conference_id", "text", "The conference"),
    ], fks=(("meeting_id", "meetings", "id"), ("entity_id", "entities", "id"), _CONF, _SEQ),
       label="entity_id", facets=("entity_id",), sort="id"),
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
       label="counts", facets=("cited_by_id", "unit"), sort="event_seq",
       search=("value", "unit", "counts", "qualifier")),
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
        *_LANG,
    ], fks=(_CONF, _SESSION, _SEQ), label="caption", facets=("kind",), sort="event_seq"),
    _t("notes", "Any other happening, theme or context; who it is about is in "
       "`note_subjects`.", [
        ("id", "text", "Note id (the `note.recorded` event id)"),
        ("conference_id", "text", "The conference"),
        ("session_id", "text", "The session"),
        ("text", "text", "The note"),
        ("tags", "text", "Its tags (JSON array)"),
        *_LANG,
    ], fks=(_CONF, _SESSION, _SEQ), label="text", sort="event_seq",
       extra={"facets": [{"array": "tags"}]}),
    _t("note_subjects", "The people, organisations and countries each note is about.", [
        ("id", "text", "The note id, a slash and the subject's number"),
        ("note_id", "text", "The note"),
        ("entity_id", "text", "Who or what it is about"),
        ("conference_id", "text", "The conference"),
    ], fks=(("note_id", "notes", "id"), ("entity_id", "entities", "id"), _CONF, _SEQ),
       label="entity_id", facets=("entity_id",), sort="id"),
    _t("entity_records", "People, organisations and countries recorded on their own (from "
       "a member list or a Popolo file), before or apart from taking part in anything.", [
        ("id", "text", "The `entity.recorded` event id"),
        ("entity_id", "text", "The record"),
        ("kind", "text", "person, organisation or country"),
        ("name", "text", "The name, as recorded"),
        ("aliases", "text", "Other names it goes by (JSON array)"),
        ("short_name", "text", "Acronym or short name"),
        ("category", "text", "A grouping"),
        ("country_id", "text", "Its country"),
        ("description", "text", "A longer description"),
    ], fks=(("entity_id", "entities", "id"), ("country_id", "entities", "id"), _SEQ),
       label="name", facets=("kind", "category"), sort="name"),
    _t("commitments", "What was agreed, followed until it is done: the agreed point (or "
       "proposal taken up) each commitment follows, its owners and when it is due. Its "
       "status is in the `commitment_status` view.", [
        ("id", "text", "Commitment id (the id of the `commitment.made` event)"),
        ("conference_id", "text", "The conference that agreed it"),
        ("agreement_id", "text", "The agreement"),
        ("point", "integer", "The number of the agreed point"),
        ("proposal_id", "text", "Or the proposal taken up"),
        ("wording", "text", "Its wording, when not the point's or proposal's own"),
        ("owners", "text", "Who owns it, by name"),
        ("owner_names", "text", "Owners named as groups, in words (JSON array)"),
        ("due", "text", "When it was first due (a date or partial date); the date in force "
                        "is in `commitment_status`, after any rescheduling"),
    ], fks=(_CONF, ("agreement_id", "agreements", "id"), ("proposal_id", "proposals", "id"),
            _SEQ), label="owners", facets=("due",), sort="event_seq"),
    _t("commitment_owners", "The countries, organisations and people that own each "
       "commitment.", [
        ("id", "text", "The commitment id, a slash and the owner's number"),
        ("commitment_id", "text", "The commitment"),
        ("entity_id", "text", "The owner"),
        ("conference_id", "text", "The conference"),
    ], fks=(("commitment_id", "commitments", "id"), ("entity_id", "entities", "id"), _CONF,
            _SEQ), label="entity_id", facets=("entity_id",), sort="id"),
    _t("progress", "Every change of a commitment's status, with its evidence (the source "
       "and locator of the row).", [
        ("id", "text", "The `progress.recorded` event id"),
        ("conference_id", "text", "The conference of the commitment"),
        ("commitment_id", "text", "The commitment"),
        ("status", "text", "Its status from then: agreed, in-progress, done, stalled, "
                           "dropped"),
        ("note", "text", "What the evidence says"),
    ], fks=(_CONF, ("commitment_id", "commitments", "id"), _SEQ), label="status",
       facets=("status",), sort="event_seq"),
    _t("reschedulings", "Every move of a commitment's due date, with its evidence (the "
       "source and locator of the row) and why.", [
        ("id", "text", "The `commitment.rescheduled` event id"),
        ("conference_id", "text", "The conference of the commitment"),
        ("commitment_id", "text", "The commitment"),
        ("due", "text", "When it is due from then"),
        ("reason", "text", "Why it moved"),
    ], fks=(_CONF, ("commitment_id", "commitments", "id"), _SEQ), label="due",
       sort="event_seq"),
    _t("followups_held", "Follow-up meetings that took place, and the conference in the "
       "archive that was each.", [
        ("id", "text", "The `followup.held` event id"),
        ("conference_id", "text", "The conference that scheduled it"),
        ("followup_id", "text", "The follow-up scheduled"),
        ("held_as_id", "text", "The conference that was that meeting"),
    ], fks=(_CONF, ("followup_id", "followups", "id"), ("held_as_id", "conferences", "id"),
            _SEQ), label="held_as_id", sort="event_seq"),
    _t("signing_keys", "The keys the archive signs its checkpoints with (`archive key init`): "
       "the log's origin and the public key a reader checks a proof with (`archive verify "
       "--proof FILE --pubkey KEY.pub`). The latest one signs from then on.", [
        ("id", "text", "The `log.key` event id"),
        ("origin", "text", "The log's origin: the first line of its checkpoints"),
        ("public_key", "text", "The public key, ORIGIN+HASH+KEY (the signed-note format)"),
        ("key_hash", "text", "The key's 4-byte hash in hex, as its signatures name it"),
    ], fks=(_SEQ,), label="origin", sort="event_seq"),
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
    _t("translations", "Recorded translations of texts: each with its language, who made "
       "it and its source, beside the text it translates (never made by the archive).", [
        ("id", "text", "Translation id (the `translation.recorded` event id)"),
        ("original_id", "text", "The fact whose text it translates"),
        ("part", "integer", "Which part: a speech's quote number, an agreement's point "
                            "number (empty: the fact's own text)"),
        ("original_table", "text", "The table the translated text is in"),
        ("original_row_id", "text", "The row the translated text is in"),
        ("original_text", "text", "The text it translates, as corrected"),
        ("text", "text", "The translation, verbatim"),
        ("by", "text", "Who made it: an interpreter, an official translation, the source's "
                       "own..."),
        ("speaker_id", "text", "Who said or proposed the original, where known"),
        ("conference_id", "text", "The conference of the original"),
        *_LANG,
    ], fks=(_CONF, ("speaker_id", "entities", "id"), _SEQ), indexes=(("original_row_id",),),
       label="text", facets=("lang", "by", "original_table"),
       sort="event_seq"),
    _t("texts", "Everything a reader would type in one place: what was said and written "
       "(summaries, quotes, proposals, agreements and their points, notes, captions, "
       "descriptions, meetings' outcomes, recorded translations) and who and what it "
       "names (participants with "
       "their short names, roles, categories and status; delegations, meetings, figures, "
       "sources, conferences), with full-text search over `text` and `who`: search here to "
       "search everything.", [
        ("id", "text", "Id of the row the text is in"),
        ("kind", "text", "What the text is: summary, quote, proposal, agreement, "
                         "agreement_item, note, caption, description, participant, "
                         "delegation, meeting, figure, source, conference or translation"),
        ("text", "text", "The text"),
        ("who", "text", "The names it goes with (the speaker, proposer, people named)"),
        ("conference_id", "text", "The conference"),
        ("speaker_id", "text", "Who said or proposed it, where known"),
        ("speech_id", "text", "The speech, for summaries and quotes"),
        ("table_name", "text", "The table the text is in"),
        ("row_id", "text", "The row the text is in"),
        ("event_seq", "integer", "Sequence number of the event that recorded it"),
        ("original", "text", "For a translation: the text it translates, as corrected"),
        ("translates", "text", "For a translation: the row of the text it translates"),
        *_LANG,
    ], fks=(_CONF, ("speaker_id", "entities", "id"), ("speech_id", "speeches", "id"), _SEQ),
       indexes=(("kind",),), label="text", facets=("kind", "lang"),
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
    # each commitment's current status: its latest live update (`agreed` before any), and
    # its due date in force: its latest live rescheduling's (the one agreed before any)
    "commitment_status": """select c.id, c.conference_id, c.agreement_id, c.point,
  c.proposal_id, coalesce(c.wording, i.text, p.text) as text, c.owners,
  coalesce(r.due, c.due) as due, c.due as first_due, r.reason as rescheduled_because,
  (select count(*) from reschedulings x where x.commitment_id = c.id) as reschedulings,
  coalesce(u.status, 'agreed') as status, u.at as status_at, u.note as last_note,
  u.source_url as evidence_url, u.source_locator as evidence_locator,
  (select count(*) from progress x where x.commitment_id = c.id) as updates,
  u.event_seq as last_update_seq, c.event_seq
from commitments c
left join agreement_items i on i.agreement_id = c.agreement_id and i.n = c.point
left join proposals p on p.id = c.proposal_id
left join progress u on u.id = (select x.id from progress x where x.commitment_id = c.id
                                order by x.event_seq desc limit 1)
left join reschedulings r on r.id = (select x.id from reschedulings x
                                     where x.commitment_id = c.id
                                     order by x.event_seq desc limit 1)""",
}

#: Every column that holds an entity id: rewritten when entities merge.
ENTITY_REFS: tuple[tuple[str, str], ...] = tuple(
    (t.name, col) for t in TABLES for col, other, _ in t.fks if other == "entities"
)
#: The entity references of facts (an alias row does not keep an entity alive).
FACT_REFS = tuple(ref for ref in ENTITY_REFS if ref[0] != "entity_aliases")

#: The full-text index: one table searches every text.
FTS_TABLE = "texts"
FTS_COLUMNS = ("text", "who")


def indexes(table: Table) -> list[tuple[str, ...]]:
    """Secondary indexes: every foreign key, the declared ones and the provenance columns."""
    out: list[tuple[str, ...]] = []
    for col, _other, _ in table.fks:
        if col != table.pk:
            out.append((col,))
    out.extend(table.indexes)
    seen: set[tuple[str, ...]] = set()
    return [i for i in out if not (i in seen or seen.add(i))]  # type: ignore[func-returns-value]
