"""What the reader's pages show, read from the archive database for one row: a person's,
organisation's or country's profile (at the entities table's row URLs), a conference
page (at the conferences table's), and a fact as a reader would write it (speeches,
agreements, proposals, meetings, notes). The Datasette plugin calls `page(...)` for a
row page and hands the result to the row templates (`templates/row-archive-*.html`);
the row's own table, JSON and CSV stay underneath.

Every query is by primary or indexed foreign key, so a page costs the same at 1M events
as at a hundred. Values are returned as they are; the templates escape them.
"""

from __future__ import annotations

from typing import Any

#: The tables whose rows get a page of their own, and the builder of each.
FACT_TABLES = ("speeches", "agreements", "proposals", "meetings", "notes", "commitments")
#: At most this many items of one list on a page (the page links to the whole table).
SHOWN = 50


async def _all(db: Any, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    return [dict(r) for r in (await db.execute(sql, params)).rows]


async def _one(db: Any, sql: str, params: list[Any]) -> dict[str, Any] | None:
    rows = await _all(db, sql, params)
    return rows[0] if rows else None


async def _translations(db: Any, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The recorded translations of these facts' texts, by the row of the text they
    translate (a speech's id for its summary, `speech/2` for its second quote)."""
    out: dict[str, list[dict[str, Any]]] = {}
    if not ids:
        return out
    marks = ",".join("?" * len(ids))
    for t in await _all(db, f"select original_row_id, lang, text, by from translations "
                            f"where original_id in ({marks}) order by event_seq", ids):
        out.setdefault(t["original_row_id"], []).append(t)
    return out


async def _quotes(db: Any, speech_ids: list[str], translated: dict[str, list[dict[str, Any]]]
                  ) -> dict[str, list[dict[str, Any]]]:
    """Each speech's quotes (text, lang, and their translations from `translated`, as
    `_translations` gives them), in order."""
    out: dict[str, list[dict[str, Any]]] = {}
    if not speech_ids:
        return out
    marks = ",".join("?" * len(speech_ids))
    for q in await _all(db, f"select id, speech_id, text, lang from quotes where speech_id "
                            f"in ({marks}) order by speech_id, n", speech_ids):
        q["translations"] = translated.get(q["id"], [])
        out.setdefault(q["speech_id"], []).append(q)
    return out


async def _speech_texts(db: Any, speeches: list[dict[str, Any]]) -> None:
    """Give each speech its quotes and its summary's translations."""
    ids = [s["id"] for s in speeches]
    translated = await _translations(db, ids)
    quotes = await _quotes(db, ids, translated)
    for s in speeches:
        s["quotes"] = quotes.get(s["id"], [])
        s["translations"] = translated.get(s["id"], [])


async def _items(db: Any, agreement_id: str, translated: dict[str, list[dict[str, Any]]]
                 ) -> list[dict[str, Any]]:
    """An agreement's recorded points (n, text, lang), each with its translations (from
    `translated`, as `_translations` gives them)."""
    items = await _all(db, "select id, n, text, lang from agreement_items where "
                           "agreement_id = ? order by n", [agreement_id])
    for i in items:
        i["translations"] = translated.get(i["id"], [])
    return items


_SPEECH = """select s.*, c.name as conference, se.title as session, a.name as affiliation
from speeches s left join conferences c on c.id = s.conference_id
left join sessions se on se.id = s.session_id left join entities a on a.id = s.affiliation_id
"""


async def profile(db: Any, entity_id: str) -> dict[str, Any] | None:
    """Everything the archive records of one person, organisation or country, across
    every conference."""
    entity = await _one(db, "select e.*, c.name as country from entities e left join "
                            "entities c on c.id = e.country_id where e.id = ?", [entity_id])
    if entity is None:
        return None
    merged_into = await _one(db, "select kept_id, kept_name from merges where merged_id = ? "
                                 "and undone_by is null", [entity_id])
    aliases = [r["name"] for r in await _all(
        db, "select distinct name from entity_aliases where entity_id = ? and name <> ? "
            "order by name", [entity_id, entity["name"]])]
    taking_part = await _all(
        db, "select p.*, c.name as conference, c.start, a.name as affiliation, "
            "k.name as country from participations p join conferences c on "
            "c.id = p.conference_id left join entities a on a.id = p.affiliation_id "
            "left join entities k on k.id = p.country_id where p.entity_id = ? "
            f"order by c.start, p.event_seq limit {SHOWN * 4}", [entity_id])
    speeches = await _all(db, _SPEECH + "where s.speaker_id = ? order by c.start, s.at, "
                                        f"s.event_seq limit {SHOWN}", [entity_id])
    counts = {table: (await _one(db, f"select count(*) as n from {table} where {column} = ?",
                                 [entity_id]) or {"n": 0})["n"]
              for table, column in (("speeches", "speaker_id"), ("proposals", "proposer_id"))}
    await _speech_texts(db, speeches)
    return {
        "entity": entity, "aliases": aliases, "merged_into": merged_into,
        "taking_part": taking_part, "speeches": speeches, "counts": counts,
        "proposals": await _all(
            db, "select p.*, c.name as conference from proposals p join conferences c on "
                "c.id = p.conference_id where p.proposer_id = ? order by c.start, "
                f"p.event_seq limit {SHOWN}", [entity_id]),
        "meetings": await _all(
            db, "select m.*, c.name as conference from meeting_participants mp join "
                "meetings m on m.id = mp.meeting_id join conferences c on "
                "c.id = m.conference_id where mp.entity_id = ? order by c.start, "
                f"m.event_seq limit {SHOWN}", [entity_id]),
        "delegations": await _all(
            db, "select d.*, c.name as conference, k.name as country, dm.post, dm.is_head "
                "from delegation_members dm join delegations d on d.id = dm.delegation_id "
                "join conferences c on c.id = d.conference_id left join entities k on "
                "k.id = d.country_id where dm.entity_id = ? union all "
                "select d.*, c.name, k.name, null, null from delegations d join "
                "conferences c on c.id = d.conference_id left join entities k on "
                "k.id = d.country_id where d.country_id = ?", [entity_id, entity_id]),
        "agreements": await _all(
            db, "select a.*, c.name as conference from agreement_parties ap join "
                "agreements a on a.id = ap.agreement_id join conferences c on "
                "c.id = a.conference_id where ap.entity_id = ? order by c.start "
                f"limit {SHOWN}", [entity_id]),
        "figures": await _all(
            db, "select f.*, c.name as conference from figures f join conferences c on "
                "c.id = f.conference_id where f.cited_by_id = ? order by f.event_seq "
                f"limit {SHOWN}", [entity_id]),
        "notes": await _all(
            db, "select n.*, c.name as conference from note_subjects ns join notes n on "
                "n.id = ns.note_id join conferences c on c.id = n.conference_id where "
                f"ns.entity_id = ? order by n.event_seq limit {SHOWN}", [entity_id]),
        "people": [] if entity["kind"] == "person" else await _all(
            db, "select distinct e.id, e.name, p.role, c.name as conference from ("
                "select entity_id, role, conference_id from participations where "
                "affiliation_id = ? and kind = 'person' union all "
                "select entity_id, role, conference_id from participations where "
                "country_id = ? and kind = 'person') p join entities e on "
                "e.id = p.entity_id join conferences c on c.id = p.conference_id "
                f"order by e.name limit {SHOWN}", [entity_id, entity_id]),
    }


async def conference(db: Any, conference_id: str) -> dict[str, Any] | None:
    """A conference as a reader wants it: programme, agreed points, ideas raised,
    participants by standing, side meetings, figures, follow-ups."""
    conf = await _one(db, "select * from conferences where id = ?", [conference_id])
    if conf is None:
        return None
    speeches = await _all(db, "select id, speaker_id, speaker_name, kind, session_id from "
                              "speeches where conference_id = ? order by event_seq "
                              f"limit {SHOWN * 20}", [conference_id])
    by_session: dict[str | None, list[dict[str, Any]]] = {}
    for s in speeches:
        by_session.setdefault(s["session_id"], []).append(s)
    sessions = await _all(db, "select s.*, e.name as chair from sessions s left join "
                              "entities e on e.id = s.chair_id where s.conference_id = ? "
                              f"order by s.day is null, s.day, s.event_seq limit {SHOWN * 4}",
                          [conference_id])
    for s in sessions:
        s["speeches"] = by_session.get(s["id"], [])[:SHOWN]
    agreements = await _all(db, "select * from agreements where conference_id = ? order by "
                                "event_seq", [conference_id])
    translated = await _translations(db, [a["id"] for a in agreements])
    for a in agreements:
        a["items"] = await _items(db, a["id"], translated)
    participants = await _all(
        db, "select p.*, e.name from participations p join entities e on "
            f"e.id = p.entity_id where p.conference_id = ? order by e.name limit {SHOWN * 20}",
        [conference_id])
    groups: dict[str, list[dict[str, Any]]] = {}
    for p in participants:
        groups.setdefault(p["status"] or "participant", []).append(p)
    order = ["host", "organiser", "supporter", "member", "participant", "observer", "guest"]
    return {
        "conference": conf, "sessions": sessions,
        "unsessioned": by_session.get(None, []), "agreements": agreements,
        "proposals": await _all(
            db, "select p.*, e.name as proposer from proposals p left join entities e on "
                "e.id = p.proposer_id where p.conference_id = ? order by p.event_seq "
                f"limit {SHOWN}",
            [conference_id]),
        "participants": [(status, groups[status]) for status in order if status in groups],
        "meetings": await _all(db, "select * from meetings where conference_id = ? order "
                                   f"by event_seq limit {SHOWN}", [conference_id]),
        "figures": await _all(
            db, "select f.*, e.name as cited_by from figures f left join entities e on "
                "e.id = f.cited_by_id where f.conference_id = ? order by f.event_seq "
                f"limit {SHOWN}",
            [conference_id]),
        "followups": await _all(db, "select * from followups where conference_id = ? "
                                    f"order by date is null, date limit {SHOWN}",
                                    [conference_id]),
    }


async def fact(db: Any, table: str, row: dict[str, Any]) -> dict[str, Any]:
    """One fact with what it names, by name."""
    out: dict[str, Any] = {"row": row}
    conf = await _one(db, "select id, name from conferences where id = ?",
                      [row.get("conference_id")])
    out["conference"] = conf
    if row.get("session_id"):
        out["session"] = await _one(db, "select id, title, day from sessions where id = ?",
                                    [row["session_id"]])
    translated = await _translations(db, [row["id"]])
    out["translations"] = translated.get(row["id"], [])  # of the fact's own text
    if table == "speeches":
        out["speaker"] = await _one(db, "select id, name from entities where id = ?",
                                    [row.get("speaker_id")])
        out["affiliation"] = await _one(db, "select id, name from entities where id = ?",
                                        [row.get("affiliation_id")])
        out["quotes"] = (await _quotes(db, [row["id"]], translated)).get(row["id"], [])
    elif table == "agreements":
        out["items"] = await _items(db, row["id"], translated)
        out["parties"] = await _all(db, "select e.id, e.name from agreement_parties ap join "
                                        "entities e on e.id = ap.entity_id where "
                                        "ap.agreement_id = ? order by ap.id", [row["id"]])
    if table == "proposals":
        out["proposer"] = await _one(db, "select id, name from entities where id = ?",
                                     [row.get("proposer_id")])
    elif table == "meetings":
        out["who"] = await _all(db, "select e.id, e.name from meeting_participants mp join "
                                    "entities e on e.id = mp.entity_id where "
                                    "mp.meeting_id = ? order by mp.id", [row["id"]])
    elif table == "commitments":
        out["status"] = await _one(db, "select * from commitment_status where id = ?",
                                   [row["id"]])
        out["history"] = await _all(db, "select * from progress where commitment_id = ? "
                                        "order by event_seq", [row["id"]])
        out["owners"] = await _all(db, "select e.id, e.name from commitment_owners co join "
                                       "entities e on e.id = co.entity_id where "
                                       "co.commitment_id = ? order by co.id", [row["id"]])
    elif table == "notes":
        out["about"] = await _all(db, "select e.id, e.name from note_subjects ns join "
                                      "entities e on e.id = ns.entity_id where "
                                      "ns.note_id = ? order by ns.id", [row["id"]])
    return out
