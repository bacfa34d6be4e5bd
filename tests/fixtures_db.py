"""Small archives for the database, serving and browser tests (made through the real log)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from archive.core.events import Source, make_payload
from archive.core.schema import TABLES
from archive.store.log import Log, Pending

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_ATTR = '"><img src=x onerror=alert(1)>'
SOURCE = Source(url="https://example.org/report", locator="p. 2")

#: (id, type, data): a conference with sessions, people, speeches, a correction, a
#: retraction and a merge; hostile text in a quote and a name.
SAMPLE: list[tuple[str, str, dict[str, Any]]] = [
    ("conf", "conference.held", {"name": "Regional Conference on Countering Extremism",
                                 "place": "Astana", "start": "2015-06-29", "end": "2015-06-30",
                                 "organisers": ["OSCE"], "supporters": ["EU", "USA"]}),
    ("kz", "participant.attended", {"conference": "conf", "entity": "kz", "kind": "country",
                                    "name": "Kazakhstan"}),
    ("osce", "participant.attended", {"conference": "conf", "entity": "osce",
                                      "kind": "organisation", "name": "OSCE",
                                      "category": "international organisation"}),
    ("p-ivanov", "participant.attended", {"conference": "conf", "entity": "ivanov",
                                          "kind": "person", "name": "Ivan Ivanov",
                                          "role": "Minister", "country": "kz"}),
    ("p-ivanof", "participant.attended", {"conference": "conf", "entity": "ivanof",
                                          "kind": "person", "name": "I. Ivanof",
                                          "affiliation": "osce"}),
    ("p-evil", "participant.attended", {"conference": "conf", "entity": "evil",
                                        "kind": "person", "name": XSS_ATTR}),
    ("s1", "session.held", {"conference": "conf", "title": "Opening", "kind": "plenary",
                            "day": "2015-06-29", "chair": "ivanov"}),
    ("sp1", "speech.delivered", {"conference": "conf", "speaker": "ivanov", "session": "s1",
                                 "kind": "opening", "summary": "Welcomed the delegations.",
                                 "quotes": ["Radicalisation knows no borders.",
                                            "We must act together."]}),
    ("sp2", "speech.delivered", {"conference": "conf", "speaker": "ivanof", "session": "s1",
                                 "kind": "panel", "summary": "Spoke on prevention.",
                                 "quotes": [XSS_SCRIPT]}),
    ("sp3", "speech.delivered", {"conference": "conf", "speaker": "evil", "kind": "remark",
                                 "summary": XSS_ATTR, "quotes": ["Mistaken words."]}),
    ("pr1", "proposal.made", {"conference": "conf", "proposer": "ivanof",
                              "text": "Create a regional network of youth workers.",
                              "topic": "youth"}),
    ("ag1", "agreement.reached", {"conference": "conf", "title": "Astana Declaration",
                                  "items": [{"n": 1, "text": "Share good practice."},
                                            {"n": 2, "text": "Meet again in 2016."}],
                                  "parties": ["kz", "osce"]}),
    ("fg1", "figure.cited", {"conference": "conf", "value": 300, "counts": "participants",
                             "qualifier": "more than"}),
    ("fu1", "followup.scheduled", {"conference": "conf", "name": "Follow-up meeting",
                                   "when": "2016-05", "where": "Bishkek"}),
    ("nt1", "note.recorded", {"conference": "conf", "text": "Civil society took part.",
                              "tags": ["civil society"]}),
    ("at1", "attachment.added", {"conference": "conf", "caption": "Group photo",
                                 "sha256": "a" * 64}),
    ("c1", "event.corrected", {"target": "sp1", "changes": {"summary": "Welcomed all delegations."},
                               "reason": "Typo in the report"}),
    ("r1", "event.retracted", {"target": "sp3", "reason": "Not said at this conference"}),
    ("m1", "entities.merged", {"kept": "ivanov", "merged": "ivanof",
                               "reason": "Same person, two spellings"}),
]


def append(root: Path, items: list[tuple[str, str, dict[str, Any]]],
           recorded_at: str = "2026-01-01T00:00:00Z") -> None:
    log = Log(root)
    log.init()
    log.append([Pending(id=i, type=t, data=make_payload(t, d), at="2015-06-29",
                        source=SOURCE) for i, t, d in items],
               recorded_at=recorded_at, recorded_by="test")


def make_archive(root: Path, items: list[tuple[str, str, dict[str, Any]]] | None = None) -> Path:
    append(root, SAMPLE if items is None else items)
    return root


def rows(path: str | Path) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """Every table's rows ordered by primary key (to compare two databases)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        for table in TABLES:
            yield table.name, conn.execute(
                f'SELECT * FROM "{table.name}" ORDER BY "{table.pk}"').fetchall()
    finally:
        conn.close()


def search_index(path: str | Path) -> list[tuple[Any, ...]]:
    """What full-text search holds, by the row it points to (not by rowid, which differs
    between a full and an incremental build): every (term, texts.id, column, offset), after
    FTS5's own check that the index matches the `texts` rows."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("INSERT INTO texts_fts (texts_fts) VALUES ('integrity-check')")
        conn.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, texts_fts, "
                     "'instance')")
        return conn.execute(
            "SELECT v.term, t.id, v.col, v.offset FROM temp.vocab v JOIN texts t "
            "ON t.rowid = v.doc ORDER BY 1, 2, 3, 4").fetchall()
    finally:
        conn.close()
