"""The rows each kind of fact makes: one handler per payload type (`facts`), with the
search index's rows (`texts`) for what a reader would type. Pure; used by
`archive.core.projection`, which also handles corrections, retractions and merges."""

from __future__ import annotations

from functools import singledispatch

from ..errors import InvalidEvent
from .events import (
    AgreementReached,
    AttachmentAdded,
    CommitmentMade,
    CommitmentRescheduled,
    ConferenceHeld,
    ConferencePostponed,
    DelegationSent,
    EntityRecorded,
    FigureCited,
    FollowupHeld,
    FollowupScheduled,
    LogKeyPublished,
    MeetingHeld,
    NoteRecorded,
    ParticipantAttended,
    Payload,
    ProgressRecorded,
    ProposalMade,
    SessionHeld,
    SourceCited,
    SpeechDelivered,
    TranslationRecorded,
    payload_class,
)
from .rows import Envelope, Insert, Op, Row, State, Update, resolve, to_json
from .schema import LANG_TABLES
from .translations import lang_of, text_of


def _prov(env: Envelope) -> Row:
    return {"event_id": env.id, "event_seq": env.seq, "source_url": env.source_url,
            "source_locator": env.source_locator, "at": env.at}


def _text(kind: str, text: str | None, row_id: str, table: str, env: Envelope,
          conference: str | None, speaker: str | None = None,
          speech: str | None = None, who: str | None = None, part: str = "") -> list[Op]:
    """The search index's row for one text of a row (`part`: which, when a row has
    several: its id is then `row/part`)."""
    if not text:
        return []
    return [Insert("texts", {
        "id": f"{row_id}/{part}" if part else row_id, "kind": kind, "text": text, "who": who,
        "conference_id": conference,
        "speaker_id": speaker, "speech_id": speech, "table_name": table, "row_id": row_id,
        "event_seq": env.seq,
    })]


def _words(*parts: str | None) -> str:
    """Several short texts as one line of the search index."""
    return " · ".join(p for p in parts if p)


def _name(state: State, id: str | None) -> str | None:
    """The name of the entity an id means now."""
    entity = state.entity(id) if id is not None else None
    return entity.name if entity is not None else None


def _names(state: State, ids: list[str | None]) -> list[str]:
    """The names of the entities these ids mean now (those that have one)."""
    return [n for n in (_name(state, i) for i in ids) if n]


def _links(table: str, parent: str, env: Envelope, conference: str, entities: list[str | None],
           prefix: str = "") -> list[Op]:
    """One row per entity a fact names (a meeting's participants, an agreement's parties,
    a note's subjects): `{fact id}/{prefix}{n}`, pointing at the fact and the entity."""
    return [Insert(table, {"id": f"{env.id}/{prefix}{n}", parent: env.id, "entity_id": entity,
                           "conference_id": conference, **_prov(env)})
            for n, entity in enumerate(entities, 1)]


def _refuse(env: Envelope, message: str) -> InvalidEvent:
    return InvalidEvent(f"event {env.id} (seq {env.seq}, {env.type}): {message}")


def language(data: Payload, state: State) -> tuple[str, str | None]:
    """The language of a fact's texts (`translations.lang_of`, its conference's working
    language as the tables have it) and the conference it comes from (None: the fact
    gives its own, or has no conference to take one from)."""
    conference = getattr(data, "conference", None)
    if not isinstance(conference, str) or isinstance(data, ConferenceHeld):
        return lang_of(data, None), None
    lang = lang_of(data, state.language(conference))
    return lang, None if getattr(data, "lang", None) else conference


def rows_of(data: Payload, env: Envelope, state: State) -> list[Op]:
    """The rows a fact event makes (`facts`), each row that holds a text with its
    language (`language`), unless the handler gave one."""
    ops = facts(data, env, state)
    lang, inherited = language(data, state)
    for op in ops:
        if isinstance(op, Insert) and op.table in LANG_TABLES and "lang" not in op.row:
            op.row["lang"], op.row["lang_from"] = lang, inherited
    return ops


def part_row(original: str, type_: str, part: int | None) -> tuple[str, str]:
    """The table and row of the text a translation translates."""
    cls = payload_class(type_)
    if part is None:
        return cls.TABLES[0], original
    return ("quotes" if cls.PARTS == "quotes" else "agreement_items"), f"{original}/{part}"


# ---------------------------------------------------------------- fact handlers


@singledispatch
def facts(data: Payload, env: Envelope, state: State) -> list[Op]:
    """The rows a fact event makes (its payload as corrected so far)."""
    raise _refuse(env, f"no projection for event type {data.TYPE!r}")


@facts.register
def _(data: TranslationRecorded, env: Envelope, state: State) -> list[Op]:
    original = state.event(data.of)
    if original is None:  # the rules refuse it; a log built without them shows nothing
        return []
    table, row_id = part_row(data.of, original.env.type, data.part)
    source = original.data
    conference = data.of if isinstance(source, ConferenceHeld) else getattr(
        source, "conference", None)
    speaker = resolve(state, getattr(source, "speaker", None) or getattr(
        source, "proposer", None))
    words = text_of(source, data.part)
    return [Insert("translations", {
        "id": env.id, "original_id": data.of, "part": data.part, "original_table": table,
        "original_row_id": row_id, "original_text": words, "text": data.text,
        "by": data.by, "speaker_id": speaker, "conference_id": conference, "lang": data.lang,
        "lang_from": None, **_prov(env)}),
        Insert("texts", {
            "id": env.id, "kind": "translation", "text": data.text, "who": _words(
                _name(state, speaker), data.by), "conference_id": conference,
            "speaker_id": speaker, "speech_id": data.of if table == "quotes" or isinstance(
                source, SpeechDelivered) else None, "table_name": "translations",
            "row_id": env.id, "event_seq": env.seq, "original": words, "translates": row_id,
            "lang": data.lang, "lang_from": None})]


@facts.register
def _(data: ConferenceHeld, env: Envelope, state: State) -> list[Op]:
    return [Insert("conferences", {
        "id": env.id, "name": data.name, "place": data.place, "start": data.start,
        "end": data.end, "organisers": to_json(data.organisers),
        "supporters": to_json(data.supporters), "description": data.description,
        "series": data.series, "number": data.number, "host_country": data.host_country,
        "topics": to_json(data.topics), "chair_id": resolve(state, data.chair),
        **_prov(env)}),
        *_text("conference", _words(data.name, data.series, data.place, data.host_country,
                                    *data.topics), env.id, "conferences", env,
               env.id, who=_words(*data.organisers, *data.supporters), part="name"),
        *_text("description", data.description, env.id, "conferences", env, env.id),
        *(Insert("conference_series", {
            "id": f"{env.id}/{n}", "conference_id": env.id, "series": series,
            "number": number, "main": int(n == 0), **_prov(env)})
          for n, (series, number) in enumerate(
              ([(data.series, data.number)] if data.series else [])
              + [(o.series, o.number) for o in data.ordinals], 0 if data.series else 1))]


@facts.register
def _(data: ConferencePostponed, env: Envelope, state: State) -> list[Op]:
    return [Insert("postponements", {
        "id": env.id, "conference_id": data.conference, "planned": data.planned,
        "moved_to": data.moved_to, "planned_place": data.planned_place,
        "moved_place": data.moved_place, "reason": data.reason, **_prov(env)}),
        *_text("postponement", data.reason, env.id, "postponements", env, data.conference)]


@facts.register
def _(data: SourceCited, env: Envelope, state: State) -> list[Op]:
    return [Insert("sources", {
        "id": env.id, "title": data.title, "url": data.url, "publisher": data.publisher,
        "published": data.published, "kind": data.kind, "via": data.via,
        "description": data.description, **_prov(env)}),
        *_text("source", _words(data.title, data.description), env.id, "sources", env, None,
               who=_words(data.publisher, data.via))]


@facts.register
def _(data: SessionHeld, env: Envelope, state: State) -> list[Op]:
    return [Insert("sessions", {
        "id": env.id, "conference_id": data.conference, "title": data.title,
        "kind": data.kind, "day": data.day, "chair_id": resolve(state, data.chair),
        "parent_id": data.parent, "description": data.description, **_prov(env)}),
        *_text("description", data.description, env.id, "sessions", env, data.conference)]


@facts.register
def _(data: ParticipantAttended, env: Envelope, state: State) -> list[Op]:
    entity_id = resolve(state, data.entity)
    assert entity_id is not None
    country = resolve(state, data.country)
    known = state.entity(entity_id)
    ops: list[Op] = []
    facts_of_entity = {"kind": data.kind, "name": data.name, "category": data.category,
                       "country_id": country, "short_name": data.short_name}
    if known is None:
        ops.append(Insert("entities", {"id": entity_id, **facts_of_entity, "aliases": "[]",
                                       "first_event_id": env.id}))
    elif known.first_event_id == env.id:  # the first mention, corrected: the entity follows
        if known.name != data.name:  # and keeps the name it had as an alias (the source's)
            aliases = [a for a in (*known.aliases, known.name) if a != data.name]
            facts_of_entity["aliases"] = to_json(list(dict.fromkeys(aliases)))
            ops.append(Update("speeches", "speaker_id", entity_id, {"speaker_name": data.name}))
        ops.append(Update("entities", "id", entity_id, facts_of_entity))
    ops.append(Insert("participations", {
        "id": env.id, "conference_id": data.conference, "entity_id": entity_id,
        "kind": data.kind, "name_given": data.name, "role": data.role,
        "affiliation_id": resolve(state, data.affiliation), "country_id": country,
        "category": data.category, "description": data.description, "status": data.status,
        "short_name": data.short_name, "also": to_json(data.also) if data.also else None,
        **_prov(env)}))
    earlier = [] if known is None else [a for a in (*known.aliases, known.name)
                                        if a != data.name]
    ops += _text("participant", _words(data.role, data.category, data.status,
                                       _name(state, data.affiliation),
                                       _name(state, country)),
                 env.id, "participations", env, data.conference, entity_id,
                 who=_words(data.name, data.short_name, *dict.fromkeys(earlier)), part="who")
    ops += _text("description", data.description, env.id, "participations", env,
                 data.conference, entity_id, who=data.name)
    return ops


@facts.register
def _(data: EntityRecorded, env: Envelope, state: State) -> list[Op]:
    entity_id = resolve(state, data.entity)
    assert entity_id is not None
    country = resolve(state, data.country)
    ops: list[Op] = []
    if state.entity(entity_id) is None:
        ops.append(Insert("entities", {
            "id": entity_id, "kind": data.kind, "name": data.name,
            "aliases": to_json([a for a in data.aliases if a != data.name]),
            "category": data.category, "country_id": country, "short_name": data.short_name,
            "first_event_id": env.id}))
    ops.append(Insert("entity_records", {
        "id": env.id, "entity_id": entity_id, "kind": data.kind, "name": data.name,
        "aliases": to_json(data.aliases), "short_name": data.short_name,
        "category": data.category, "country_id": country, "description": data.description,
        **_prov(env)}))
    ops += _text("entity", _words(data.category, _name(state, country)), env.id,
                 "entity_records", env, None, entity_id,
                 who=_words(data.name, data.short_name, *data.aliases), part="who")
    return ops


@facts.register
def _(data: DelegationSent, env: Envelope, state: State) -> list[Op]:
    country = resolve(state, data.country)
    delegates = ([(data.head, 1)] if data.head else []) + [(m, 0) for m in data.members]
    ops: list[Op] = [Insert("delegations", {
        "id": env.id, "conference_id": data.conference, "session_id": data.session,
        "country_id": country, "head_id": resolve(state, data.head.entity) if data.head
        else None, "member_count": len(delegates), "description": data.description,
        **_prov(env)})]
    for n, (member, head) in enumerate(delegates, 1):
        person = resolve(state, member.entity)
        mid = f"{env.id}/{n}"
        ops.append(Insert("delegation_members", {
            "id": mid, "delegation_id": env.id, "entity_id": person, "post": member.post,
            "is_head": head, "conference_id": data.conference, **_prov(env)}))
        ops += _text("delegation", _words("head of the delegation" if head else
                                          "delegation member", member.post,
                                          _name(state, country)),
                     mid, "delegation_members", env, data.conference, person,
                     who=_name(state, person))
    ops += _text("description", data.description, env.id, "delegations", env, data.conference)
    return ops


@facts.register
def _(data: MeetingHeld, env: Envelope, state: State) -> list[Op]:
    who = [resolve(state, p) for p in data.participants]
    names = "; ".join(_names(state, who))
    ops: list[Op] = [Insert("meetings", {
        "id": env.id, "conference_id": data.conference, "session_id": data.session,
        "kind": data.kind, "title": data.title, "who": names, "duration": data.duration,
        "outcome": data.outcome, **_prov(env)})]
    ops += _links("meeting_participants", "meeting_id", env, data.conference, who)
    ops += _text("meeting", _words(f"{data.kind} meeting", data.title, data.outcome), env.id,
                 "meetings", env, data.conference, who=names)
    return ops


@facts.register
def _(data: SpeechDelivered, env: Envelope, state: State) -> list[Op]:
    speaker = resolve(state, data.speaker)
    assert speaker is not None
    known = state.entity(speaker)
    ops: list[Op] = [Insert("speeches", {
        "id": env.id, "conference_id": data.conference, "session_id": data.session,
        "speaker_id": speaker, "speaker_name": known.name if known else None,
        "role": data.role, "affiliation_id": resolve(state, data.affiliation),
        "country_id": resolve(state, data.country), "kind": data.kind,
        "summary": data.summary, "quote_count": len(data.quotes),
        **_prov(env)})]
    said_by = _words(known.name if known else None, data.role)
    ops += _text("summary", data.summary, env.id, "speeches", env, data.conference, speaker,
                 env.id, who=said_by)
    for n, quote in enumerate(data.quotes, 1):
        qid = f"{env.id}/{n}"
        ops.append(Insert("quotes", {
            "id": qid, "speech_id": env.id, "n": n, "speaker_id": speaker,
            "conference_id": data.conference, "text": quote, **_prov(env)}))
        ops += _text("quote", quote, qid, "quotes", env, data.conference, speaker, env.id,
                     who=said_by)
    return ops


@facts.register
def _(data: ProposalMade, env: Envelope, state: State) -> list[Op]:
    proposer = resolve(state, data.proposer)
    return [Insert("proposals", {
        "id": env.id, "conference_id": data.conference, "session_id": data.session,
        "proposer_id": proposer, "text": data.text, "topic": data.topic, **_prov(env)}),
        *_text("proposal", data.text, env.id, "proposals", env, data.conference, proposer,
               who=_words(_name(state, proposer), data.topic))]


@facts.register
def _(data: AgreementReached, env: Envelope, state: State) -> list[Op]:
    parties = [resolve(state, p) for p in data.parties]
    names = _words(*_names(state, parties), *data.party_names)
    ops: list[Op] = [Insert("agreements", {
        "id": env.id, "conference_id": data.conference, "session_id": data.session,
        "title": data.title, "kind": data.kind, "status": data.status, "points": data.points,
        "item_count": len(data.items), "party_names": to_json(data.party_names),
        "description": data.description, "due": data.due, **_prov(env)})]
    ops += _text("agreement", _words(data.title, data.kind, data.status), env.id,
                 "agreements", env, data.conference, who=names)
    ops += _text("description", data.description, env.id, "agreements", env,
                 data.conference, part="about")
    for item in data.items:
        iid = f"{env.id}/{item.n}"
        ops.append(Insert("agreement_items", {
            "id": iid, "agreement_id": env.id, "n": item.n, "text": item.text,
            "conference_id": data.conference, **_prov(env)}))
        ops += _text("agreement_item", item.text, iid, "agreement_items", env, data.conference)
    ops += _links("agreement_parties", "agreement_id", env, data.conference, parties, "p")
    return ops


@facts.register
def _(data: FigureCited, env: Envelope, state: State) -> list[Op]:
    cited_by = resolve(state, data.cited_by)
    return [Insert("figures", {
        "id": env.id, "conference_id": data.conference, "session_id": data.session,
        "value": data.value, "unit": data.unit, "counts": data.counts,
        "qualifier": data.qualifier, "cited_by_id": cited_by, **_prov(env)}),
        *_text("figure", _words(data.counts, data.unit), env.id, "figures", env,
               data.conference, cited_by, who=_name(state, cited_by))]


@facts.register
def _(data: FollowupScheduled, env: Envelope, state: State) -> list[Op]:
    return [Insert("followups", {
        "id": env.id, "conference_id": data.conference, "name": data.name,
        "date": data.when, "place": data.where, "description": data.description,
        **_prov(env)}),
        *_text("followup", _words(data.name, data.where), env.id, "followups", env,
               data.conference, part="name"),
        *_text("description", data.description, env.id, "followups", env, data.conference)]


@facts.register
def _(data: AttachmentAdded, env: Envelope, state: State) -> list[Op]:
    # Whether the file is present is a fact about the folder, not the log: the database
    # writer fills `file_present` in (the fold stays pure).
    return [Insert("attachments", {
        "id": env.id, "conference_id": data.conference, "session_id": data.session,
        "kind": data.kind, "sha256": data.sha256, "filename": data.filename,
        "media_type": data.media_type, "caption": data.caption, "credit": data.credit,
        "file_present": 0, **_prov(env)}),
        *_text("caption", data.caption, env.id, "attachments", env, data.conference)]


@facts.register
def _(data: NoteRecorded, env: Envelope, state: State) -> list[Op]:
    about = [resolve(state, a) for a in data.about]
    ops: list[Op] = [Insert("notes", {
        "id": env.id, "conference_id": data.conference, "session_id": data.session,
        "text": data.text, "tags": to_json(data.tags), **_prov(env)})]
    ops += _links("note_subjects", "note_id", env, data.conference, about)
    ops += _text("note", data.text, env.id, "notes", env, data.conference,
                 who=_words(*_names(state, about), *data.tags))
    return ops


@facts.register
def _(data: CommitmentMade, env: Envelope, state: State) -> list[Op]:
    owners = [resolve(state, o) for o in data.owners]
    names = _words(*_names(state, owners), *data.owner_names)
    ops: list[Op] = [Insert("commitments", {
        "id": env.id, "conference_id": data.conference, "agreement_id": data.agreement,
        "point": data.point, "proposal_id": data.proposal, "wording": data.text,
        "owner_names": to_json(data.owner_names), "owners": names, "due": data.due,
        **_prov(env)})]
    ops += _links("commitment_owners", "commitment_id", env, data.conference, owners)
    ops += _text("commitment", data.text, env.id, "commitments", env, data.conference,
                 who=names)
    return ops


@facts.register
def _(data: ProgressRecorded, env: Envelope, state: State) -> list[Op]:
    return [Insert("progress", {
        "id": env.id, "conference_id": data.conference, "commitment_id": data.commitment,
        "status": data.status, "note": data.note, **_prov(env)}),
        *_text("progress", _words(data.status, data.note), env.id, "progress", env,
               data.conference)]


@facts.register
def _(data: CommitmentRescheduled, env: Envelope, state: State) -> list[Op]:
    return [Insert("reschedulings", {
        "id": env.id, "conference_id": data.conference, "commitment_id": data.commitment,
        "due": data.due, "reason": data.reason, **_prov(env)}),
        *_text("rescheduling", _words(data.reason), env.id, "reschedulings", env,
               data.conference)]


@facts.register
def _(data: FollowupHeld, env: Envelope, state: State) -> list[Op]:
    return [Insert("followups_held", {
        "id": env.id, "conference_id": data.conference, "followup_id": data.followup,
        "held_as_id": data.held_as, **_prov(env)})]


@facts.register
def _(data: LogKeyPublished, env: Envelope, state: State) -> list[Op]:
    return [Insert("signing_keys", {
        "id": env.id, "origin": data.origin, "public_key": data.public_key,
        "key_hash": data.public_key.split("+")[1], **_prov(env)})]
