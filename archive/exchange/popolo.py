"""The archive as Popolo JSON (https://www.popoloproject.com): `archive export --format
popolo`, for the civic-tech tools that exchange people, organisations, memberships,
events and speeches this way (SayIt, EveryPolitician, Open Civic Data).

    persons        the people, with the other spellings merges made aliases
    organizations  countries (classification "country"), organisations (their category),
                   and one body per conference: its participants ("conference")
    memberships    each participation: the person (`person_id`) or the country or
                   organisation (`member`) in the conference's body, with role, standing
                   (`label`), the body they came from (`on_behalf_of_id`) and the dates
    events         conferences, their sessions and side meetings (`parent_id`)
    speeches       each speech: who (`creator_id`), role, the summary and quotes as text,
                   the session or conference it was given at

Every object keeps this archive's id and cites its sources (`sources`: the URL and where
in it). Built from the database, so corrections, retractions and merges are applied.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from ..errors import InvalidEvent
from ..store import sqlite

#: The Popolo schema version this export follows.
POPOLO = "http://www.popoloproject.com/schemas/"


def _sources(row: sqlite3.Row) -> list[dict[str, str]]:
    url = row["source_url"]
    if not url:
        return []
    out = {"url": url}
    if row["source_locator"]:
        out["note"] = row["source_locator"]
    return [out]


def _clean(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if v not in (None, [], "")}


def popolo(db_path: Path, conference: str | None = None, *,
           base_url: str | None = None) -> bytes:
    """The Popolo JSON document of the database (of one conference, by id or name)."""
    with closing(sqlite.read_only(db_path)) as db:
        conferences = (list(db.execute("select * from conferences order by start, event_seq"))
                       if conference is None else [sqlite.conference(db, conference)])
        cids = [c["id"] for c in conferences]
        marks = ",".join("?" * len(cids)) or "''"
        parts = list(db.execute(f"select * from participations where conference_id in "
                                f"({marks}) order by event_seq", cids))
        used = {p["entity_id"] for p in parts}
        for column in ("affiliation_id", "country_id"):
            used |= {p[column] for p in parts if p[column]}
        aliases: dict[str, list[str]] = {}
        for r in db.execute("select entity_id, name from entity_aliases order by event_seq"):
            aliases.setdefault(r["entity_id"], []).append(r["name"])
        entities = {r["id"]: r for r in db.execute("select * from entities")
                    if r["id"] in used}
        persons, organizations = [], []
        for ident, e in sorted(entities.items(), key=lambda kv: kv[1]["name"].casefold()):
            base = {"id": ident, "name": e["name"],
                    "other_names": [{"name": a} for a in aliases.get(ident, [])
                                    if a != e["name"]]}
            if e["kind"] == "person":
                persons.append(_clean(base))
            else:
                classification = "country" if e["kind"] == "country" else (
                    e["category"] or "organisation")
                org = {**base, "classification": classification}
                if e["short_name"]:
                    org["other_names"] = [*org["other_names"],
                                          {"name": e["short_name"], "note": "short name"}]
                organizations.append(_clean(org))
        for c in conferences:
            organizations.append(_clean({
                "id": f"conference:{c['id']}", "name": f"Participants of {c['name']}",
                "classification": "conference", "founding_date": c["start"],
                "dissolution_date": c["end"] or c["start"], "sources": _sources(c)}))
        memberships = []
        for p in parts:
            c = next(x for x in conferences if x["id"] == p["conference_id"])
            member = ({"person_id": p["entity_id"]} if p["kind"] == "person" else
                      {"member": {"@type": "Organization", "id": p["entity_id"]}})
            memberships.append(_clean({
                "id": p["id"], **member, "organization_id": f"conference:{c['id']}",
                "role": p["role"], "label": p["status"] or "participant",
                "on_behalf_of_id": p["affiliation_id"] or (
                    p["country_id"] if p["kind"] == "person" else None),
                "start_date": c["start"], "end_date": c["end"] or c["start"],
                "sources": _sources(p)}))
        events = []
        for c in conferences:
            events.append(_clean({
                "id": c["id"], "name": c["name"], "classification": "conference",
                "description": c["description"], "start_date": c["start"],
                "end_date": c["end"], "location": c["place"],
                "organization_id": f"conference:{c['id']}", "sources": _sources(c)}))
        for s in db.execute(f"select * from sessions where conference_id in ({marks}) "
                            "order by day, event_seq", cids):
            events.append(_clean({
                "id": s["id"], "name": s["title"], "classification": s["kind"] or "session",
                "start_date": s["day"], "parent_id": s["conference_id"],
                "sources": _sources(s)}))
        for m in db.execute(f"select * from meetings where conference_id in ({marks}) "
                            "order by event_seq", cids):
            events.append(_clean({
                "id": m["id"], "name": m["title"] or "Meeting on the sidelines",
                "classification": m["kind"], "description": m["outcome"],
                "parent_id": m["conference_id"], "sources": _sources(m)}))
        quotes: dict[str, list[str]] = {}
        for q in db.execute("select speech_id, text from quotes order by speech_id, n"):
            quotes.setdefault(q["speech_id"], []).append(q["text"])
        speeches = []
        for position, s in enumerate(db.execute(
                f"select * from speeches where conference_id in ({marks}) "
                "order by event_seq", cids), 1):
            text = "\n\n".join([*([s["summary"]] if s["summary"] else []),
                                *(f"“{q}”" for q in quotes.get(s["id"], []))])
            speeches.append(_clean({
                "id": s["id"], "creator_id": s["speaker_id"],
                "attribution_text": s["speaker_name"], "role": s["role"], "text": text,
                "type": "speech", "position": position,
                "event_id": s["session_id"] or s["conference_id"],
                "date": s["at"] if s["at"] and len(s["at"]) > 10 else None,
                "sources": _sources(s)}))
    document = {"persons": persons, "organizations": organizations,
                "memberships": memberships, "events": events, "speeches": speeches}
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"


# ---------------------------------------------------------------- reading Popolo in

_ID = re.compile(r"[^A-Za-z0-9._:-]+")


def _safe_id(value: str) -> str:
    """A Popolo id (`ocd-person/1a2b...`, a URL) as an archive id: the characters ids may
    hold, starting with a letter or digit, at most 128 of them."""
    ident = _ID.sub("-", value).strip("-._:") or "x"
    return ("popolo-" + ident)[:128]


def records(document: Any, find: Callable[[str, str], str | None]) -> list[bytes]:
    """The `entity.recorded` import lines for the persons and organizations of a Popolo
    document: `find(kind, name)` gives the id of a record this archive already has under
    that name (it is mentioned again, not duplicated). Countries are organizations whose
    classification is "country". The event ids are fixed by the Popolo ids, so importing
    the same file again writes nothing."""
    if not isinstance(document, dict):
        raise InvalidEvent("a Popolo file is one JSON object with `persons` and "
                           "`organizations` lists")
    out: list[bytes] = []
    for key, default in (("organizations", "organisation"), ("persons", "person")):
        items = document.get(key) or []
        if not isinstance(items, list):
            raise InvalidEvent(f"Popolo `{key}` is not a list")
        for n, item in enumerate(items, 1):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str) \
                    or not item["name"].strip():
                raise InvalidEvent(f"Popolo {key}[{n - 1}] has no `name`")
            kind = default
            classification = str(item.get("classification", "")).casefold()
            if key == "organizations" and classification == "conference":
                continue  # a conference's participants, as this archive exports them
            if key == "organizations" and classification == "country":
                kind = "country"
            name = item["name"]
            source_id = str(item.get("id") or f"{key}-{n}")
            entity = find(kind, name) or _safe_id(source_id)
            others = [o["name"] for o in item.get("other_names") or []
                      if isinstance(o, dict) and isinstance(o.get("name"), str)
                      and o["name"].strip() and o["name"] != name]
            data: dict[str, Any] = {"entity": entity, "kind": kind, "name": name}
            if others:
                data["aliases"] = list(dict.fromkeys(others))
            if isinstance(item.get("classification"), str) and kind == "organisation":
                data["category"] = item["classification"]
            if isinstance(item.get("summary"), str) and item["summary"].strip():
                data["description"] = item["summary"]
            line: dict[str, Any] = {"id": _safe_id(source_id).replace("popolo-",
                                                                      "popolo-record-", 1),
                                    "type": "entity.recorded", "data": data}
            links = [s for s in item.get("sources") or [] if isinstance(s, dict)
                     and isinstance(s.get("url"), str)]
            if links:
                line["source"] = {"url": links[0]["url"],
                                  **({"locator": links[0]["note"]}
                                     if isinstance(links[0].get("note"), str) else {})}
            out.append(json.dumps(line, ensure_ascii=False).encode("utf-8"))
    return out
