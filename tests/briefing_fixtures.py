"""Small real logs for the briefing tests: written with `archive.store.log.Log`, like any archive.

`write_demo_log(root)` records a compact version of the Astana conference (two days,
sessions, speeches with verbatim quotes, proposals, an agreement, figures, a follow-up, a
photo whose file exists and one known only by its caption, a note, a correction and a
retraction), with Cyrillic and Kazakh text. `write_log(root, drafts)` appends any list of
`(id, type, data, at, locator)` tuples in batches, for tests that need their own content.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path
from typing import Any

from archive.core.events import Source, make_payload
from archive.store.log import Log, Pending

SOURCE_URL = "https://astanatimes.com/2015/07/calls-for-broader-cooperation/"
RECORDED_BY = "tests"
Draft = tuple[str, str, dict[str, Any], "str | None", "str | None"]


def tiny_png(width: int = 48, height: int = 32) -> bytes:
    """A small, deterministic PNG (a blue-grey gradient), made with the standard library."""
    rows = b""
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            row += bytes([40 + x * 3, 70 + y * 4, 120])
        rows += bytes(row)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def store_attachment(root: Path, content: bytes) -> str:
    digest = hashlib.sha256(content).hexdigest()
    folder = Path(root) / "events" / "attachments"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / digest).write_bytes(content)
    return digest


def write_log(root: Path, drafts: list[Draft], *, recorded_at: str = "2015-07-01T09:00:00Z",
              batch: int = 500) -> Log:
    """Append drafts (id, type, data, at, locator) to the log at `root` (created if new)."""
    log = Log(root)
    log.init()
    pending = [
        Pending(id=id_, type=type_, data=make_payload(type_, data), at=at,
                source=Source(url=SOURCE_URL, locator=locator) if locator else None)
        for id_, type_, data, at, locator in drafts
    ]
    for start in range(0, len(pending), batch):
        log.append(pending[start:start + batch], recorded_at=recorded_at,
                   recorded_by=RECORDED_BY)
    return log


C = "conf-astana"

PM_QUOTES = [
    "We have to join our forces with all constructive forces in this world who are ready "
    "to counter violent extremism,",
    "That is why we have to boost our contacts and cooperation with law enforcement "
    "agencies all over the world.",
]
KERLIKOWSKE_QUOTE = (
    "One way to meet the challenge is by empowering local communities to develop effective "
    "prevention and intervention programmes. Local communities maintain the most credible "
    "and persuasive voices to challenge that ideology.")
DRAGANOV_QUOTE = (
    "An integral part of this whole society approach … is the acknowledgement that "
    "preventing violent extremism and promoting human rights go hand in hand,")
AHAMED_QUOTE = (
    "What we need to focus on is the master narrative, rather than the counter narrative.")
AGREED_ITEMS = [
    "Identifying persons responsible for countering extremism in each country in the region",
    "Developing inclusive national CVE strategies",
    "Implementing Global Counterterrorism Forum good practices",
    "Providing support for national nongovernmental organisations fighting extremism",
    "Developing CVE training programmes for public servants that promote rights",
]
PROPOSALS = [
    "An international convention defining terrorism",
    "A global database of extremist content online, with a mechanism to remove it",
    "Integrated regional research and awareness networks",
]
PHOTO_CAPTION = "6215 (Груп. фото) Participants in the conference in Astana on June 29."
KAZAKH_NAME = "Қазақстан Интернет қауымдастығы"


def demo_drafts(photo_sha: str | None) -> list[Draft]:
    """The demo conference as drafts; the photo's file is `photo_sha` when given."""
    d: list[Draft] = [
        (C, "conference.held", {
            "name": "Central and South Asian Regional Conference on Countering Violent "
                    "Extremism",
            "place": "Astana, Kazakhstan", "start": "2015-06-29", "end": "2015-06-30",
            "organisers": ["Government of Kazakhstan", "Government of the United States"],
            "supporters": ["OSCE Programme Office in Astana"],
            "description": "Two days of presentations and dialogue on blocking terrorist "
                           "recruitment and responding to threats."}, "2015-06-29", "para 1"),
        ("s-open", "session.held", {"conference": C, "title": "Opening session",
                                    "kind": "plenary", "day": "2015-06-29"}, None, "para 2"),
        ("s-threat", "session.held", {
            "conference": C, "kind": "panel", "day": "2015-06-29",
            "title": "Violent extremism in Central and South Asia: threat assessment and "
                     "countermeasures"}, None, "para 7"),
        ("s-media", "session.held", {"conference": C, "title": "Countering violent "
                                     "extremism in media", "day": "2015-06-30"}, None, "para 9"),
    ]
    people = [
        ("p-massimov", "Karim Massimov", "Prime Minister", "c-kz"),
        ("p-kerlikowske", "Gil Kerlikowske", "Commissioner, U.S. Customs and Border "
         "Protection", "c-us"),
        ("p-burian", "Peter Burian", "EU Special Representative to Central Asia", None),
        ("p-draganov", "Petko Draganov", "Special Representative of the UN Secretary-General",
         None),
        ("p-sabirov", "Shavkat Sabirov", "President", "c-kz"),
        ("p-ahamed", "Faheem Ahamed", "CEO", None),
        ("p-abykayev", "Nurtay Abykayev", "Chairman, National Security Committee", "c-kz"),
    ]
    for eid, name in [("c-kz", "Kazakhstan"), ("c-us", "United States"),
                      ("c-af", "Afghanistan"), ("c-in", "India")]:
        d.append((f"att-{eid}", "participant.attended",
                  {"conference": C, "entity": eid, "kind": "country", "name": name},
                  None, "para 4"))
    for eid, name, category in [
        ("o-osce", "Organization for Security and Co-operation in Europe", "international"),
        ("o-un", "United Nations", "international"),
        ("o-iak", KAZAKH_NAME, "civil society"),
        ("o-lapis", "Lapis Communications", "private sector"),
    ]:
        d.append((f"att-{eid}", "participant.attended",
                  {"conference": C, "entity": eid, "kind": "organisation", "name": name,
                   "category": category}, None, "para 4"))
    for eid, name, role, country in people:
        data: dict[str, Any] = {"conference": C, "entity": eid, "kind": "person",
                                "name": name, "role": role}
        if country:
            data["country"] = country
        if eid == "p-sabirov":
            data["affiliation"] = "o-iak"
        if eid == "p-ahamed":
            data["affiliation"] = "o-lapis"
        d.append((f"att-{eid}", "participant.attended", data, None, "para 2"))
    d += [
        ("sp-massimov", "speech.delivered", {
            "conference": C, "speaker": "p-massimov", "kind": "opening", "session": "s-open",
            "role": "Kazakh Prime Minster",
            "summary": "Focused on cooperative efforts and the large role of civil society "
                       "in countering extremist violence.",
            "quotes": PM_QUOTES}, "2015-06-29", "para 2"),
        ("sp-kerlikowske", "speech.delivered", {
            "conference": C, "speaker": "p-kerlikowske", "kind": "opening",
            "session": "s-open", "role": "Commissioner, U.S. Customs and Border Protection",
            "summary": "Security will come from strengthening the social fabric.",
            "quotes": [KERLIKOWSKE_QUOTE]}, "2015-06-29", "para 5"),
        ("sp-draganov", "speech.delivered", {
            "conference": C, "speaker": "p-draganov", "kind": "panel", "session": "s-threat",
            "affiliation": "o-un", "summary": "Human rights and prevention go together.",
            "quotes": [DRAGANOV_QUOTE]}, "2015-06-29", "para 8"),
        ("sp-ahamed", "speech.delivered", {
            "conference": C, "speaker": "p-ahamed", "kind": "panel", "session": "s-media",
            "affiliation": "o-lapis", "role": "CEO",
            "summary": "Called for rethinking ways to counter extremist messages.",
            "quotes": [AHAMED_QUOTE]}, "2015-06-30", "para 11"),
        ("sp-sabirov", "speech.delivered", {
            "conference": C, "speaker": "p-sabirov", "kind": "panel", "session": "s-media",
            "affiliation": "o-iak", "role": "President",
            "summary": "Called for targeting dangerous content rather than blocking whole "
                       "websites; more attention to Kazakh-language media (Қазақстан)."},
         "2015-06-30", "para 10"),
        ("pr-1", "proposal.made", {"conference": C, "text": PROPOSALS[0],
                                   "proposer": "p-massimov", "session": "s-open",
                                   "topic": "legislation"}, "2015-06-29", "para 3"),
        ("pr-2", "proposal.made", {"conference": C, "text": PROPOSALS[1],
                                   "session": "s-media", "topic": "media"},
         "2015-06-30", "para 3"),
        ("pr-3", "proposal.made", {"conference": C, "text": PROPOSALS[2],
                                   "topic": "prevention"}, "2015-06-30", "para 3"),
        ("ag-1", "agreement.reached", {
            "conference": C, "title": "Steps to enhance counterterrorism efforts in Central "
                                      "and South Asia",
            "items": [{"n": n, "text": t} for n, t in enumerate(AGREED_ITEMS, 1)],
            "party_names": ["Conference participants"],
            "session": "s-threat"}, "2015-06-29", "para 14"),
        ("fg-1", "figure.cited", {"conference": C, "value": 150, "counts": "Kazakhs who "
                                  "travelled to conflict areas", "qualifier": "more than",
                                  "cited_by": "p-abykayev"}, "2015-06-30", "para 10"),
        ("fg-2", "figure.cited", {"conference": C, "value": 200, "counts": "women, widows "
                                  "and children who travelled to conflict areas",
                                  "qualifier": "more than", "cited_by": "p-abykayev"},
         "2015-06-30", "para 10"),
        ("fg-3", "figure.cited", {"conference": C, "value": 18, "counts": "countries "
                                  "represented"}, None, "para 4"),
        ("fu-1", "followup.scheduled", {"conference": C, "name": "CVE leaders' summit",
                                        "when": "2015-09", "where": "New York"},
         None, "para 14"),
        ("nt-1", "note.recorded", {"conference": C, "tags": ["religious education"],
                                   "text": "Much emphasis was placed on religious education "
                                           "and an understanding of “traditional” Islam."},
         None, "para 9"),
        ("ph-2", "attachment.added", {"conference": C, "kind": "photo",
                                      "caption": "Panel on media (photo not available)"},
         "2015-06-30", "photo 2"),
    ]
    if photo_sha:
        d.append(("ph-1", "attachment.added", {
            "conference": C, "kind": "photo", "sha256": photo_sha, "filename": "6215.png",
            "media_type": "image/png", "caption": PHOTO_CAPTION,
            "credit": "The Astana Times"}, "2015-06-29", "photo 1"))
    d += [
        ("corr-1", "event.corrected", {"target": "sp-massimov",
                                       "changes": {"role": "Prime Minister of Kazakhstan"},
                                       "reason": "Typo in the source (“Minster”)"},
         None, "para 2"),
        ("retr-1", "event.retracted", {"target": "fg-3",
                                       "reason": "The report counts 18 countries in total, "
                                                 "not only those represented by "
                                                 "governments"}, None, "para 4"),
    ]
    return d


def write_demo_log(root: Path, *, with_photo: bool = True) -> Log:
    """The demo conference log at `root` (its photo file stored when `with_photo`)."""
    root = Path(root)
    Log(root).init()
    sha = store_attachment(root, tiny_png()) if with_photo else None
    return write_log(root, demo_drafts(sha))
