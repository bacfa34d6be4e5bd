"""Every status, date and count an output prints is the database's (issue 26, done when):
Hypothesis generates archives with random agreement statuses (some corrected to another),
follow-ups foreseen, postponed (once or twice), held or not (a held meeting's dates
sometimes corrected), and commitments whose due dates move (a move sometimes retracted);
then each claim the HTML briefing, the PDF, the calendar and the feed make is compared
with what the database holds, computed here from its tables (not through
`archive.statements`, the layer under test)."""

from __future__ import annotations

import html
import re
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from briefing_fixtures import write_log
from helpers import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from archive.app import Archive
from archive.briefing.document import daterange, longdate
from archive.exchange import atom
from archive.exchange.ics import calendar
from archive.statements import AGREED, AGREEMENT_STATUS, agreement_status

STATUSES = [s for s in AGREEMENT_STATUS]
MONTHS = [f"{y}-{m:02d}" for y in (2031, 2032) for m in range(4, 13)]


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[str, str, dict[str, Any], str | None, str]]:
    drafts: list[tuple[str, str, dict[str, Any], str | None, str]] = [
        ("c1", "conference.held", {"name": "Home Meeting", "place": "Utopia",
                                   "start": "2031-03-01", "end": "2031-03-02"}, None, "p1")]
    for j in range(draw(st.integers(1, 3))):
        status = draw(st.sampled_from(STATUSES))
        data: dict[str, Any] = {"conference": "c1", "title": f"Pact {j}",
                                "items": [{"n": 1, "text": f"Point of pact {j}"}]}
        if status is not None:
            data["status"] = status
        drafts.append((f"ag{j}", "agreement.reached", data, None, "p2"))
        if draw(st.booleans()):
            drafts.append((f"ag{j}-fix", "event.corrected", {
                "target": f"ag{j}", "changes": {"status": draw(st.sampled_from(
                    [s for s in STATUSES if s is not None]))}, "reason": "misread"},
                None, "p2"))
    for i in range(draw(st.integers(0, 3))):
        foreseen = draw(st.sampled_from(MONTHS))
        drafts.append((f"fu{i}", "followup.scheduled", {
            "conference": "c1", "name": f"Meeting {i}", "when": foreseen,
            "where": "Utopia"}, None, "p3"))
        if not draw(st.booleans()):
            continue
        year, month = map(int, foreseen.split("-"))
        later = draw(st.integers(0, 4))
        month, year = (month + later - 1) % 12 + 1, year + (month + later - 1) // 12
        day = draw(st.integers(1, 27))
        start = f"{year}-{month:02d}-{day:02d}"
        end = f"{year}-{month:02d}-{day + draw(st.integers(0, 1)):02d}"
        drafts.append((f"m{i}", "conference.held", {
            "name": f"Meeting {i}", "place": "Utopia", "start": start, "end": end}, None,
            "p4"))
        planned = foreseen
        for k in range(draw(st.integers(0, 2))):
            moved = start if k == 0 else f"{year}-{month:02d}"
            drafts.append((f"m{i}-pp{k}", "conference.postponed", {
                "conference": f"m{i}", "planned": planned, "moved_to": moved,
                "reason": draw(st.sampled_from(["the host asked", "elections"]))}, None, "p4"))
            planned = moved
        drafts.append((f"m{i}-held", "followup.held", {
            "conference": "c1", "followup": f"fu{i}", "held_as": f"m{i}"}, None, "p4"))
        if draw(st.booleans()):
            day2 = f"{year}-{month:02d}-{min(day + 1, 28):02d}"
            drafts.append((f"m{i}-fix", "event.corrected", {
                "target": f"m{i}", "changes": {"start": day2, "end": day2},
                "reason": "the report had the wrong day"}, None, "p4"))
    for k in range(draw(st.integers(0, 3))):
        drafts.append((f"cm{k}", "commitment.made", {
            "conference": "c1", "agreement": "ag0", "point": 1, "owners": [],
            "owner_names": ["the parties"], "due": draw(st.sampled_from(MONTHS))},
            None, "p5"))
        for r in range(draw(st.integers(0, 2))):
            drafts.append((f"cm{k}-r{r}", "commitment.rescheduled", {
                "conference": "c1", "commitment": f"cm{k}",
                "due": draw(st.sampled_from(MONTHS)), "reason": "the summit moved"},
                None, "p5"))
            if draw(st.integers(0, 3)) == 0:
                drafts.append((f"cm{k}-r{r}-x", "event.retracted", {
                    "target": f"cm{k}-r{r}", "reason": "not so"}, None, "p5"))
    return drafts


def visible(text: str) -> str:
    text = re.sub(r"<style.*?</style>|<script.*?</script>", " ", text, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def told_when(db: sqlite3.Connection, followup: str) -> tuple[str, tuple[str, str] | None]:
    """What the record says of a follow-up's dates, from the tables: the words for its
    dates in force, and those dates (first and last day) when it was held."""
    (foreseen,) = db.execute("select date from followups where id = ?", (followup,)
                             ).fetchone()
    held = db.execute(
        "select c.id, c.start, c.end from followups_held h join conferences c on c.id = "
        "h.held_as_id where h.followup_id = ? order by h.event_seq desc limit 1",
        (followup,)).fetchone()
    if held is None:
        return f"foreseen for {longdate(foreseen)}", None
    moved = db.execute("select count(*) from postponements where conference_id = ?",
                       (held[0],)).fetchone()[0]
    words = f"held {daterange(held[1], held[2])}"
    if moved or not held[1].startswith(foreseen):
        words = f"foreseen for {longdate(foreseen)}, {words}"
    return words, (held[1], held[2])


def check(root: Path, pdf: bool) -> None:
    archive = Archive(root)
    db_path = archive.build().path
    source = archive.brief(html=True, verify=False, conference="c1").path.read_text()
    page = visible(source)
    printed = ""
    if pdf:
        import subprocess

        out = archive.brief(verify=False, conference="c1").path
        printed = " ".join(subprocess.run(["pdftotext", str(out), "-"], capture_output=True,
                                          text=True, check=True).stdout.split())
    texts = [page, printed] if pdf else [page]
    with sqlite3.connect(db_path) as db:
        db.row_factory = sqlite3.Row
        agreements = list(db.execute("select id, title, status from agreements"))
        for text in texts:
            for a in agreements:
                said = AGREEMENT_STATUS[a["status"]]
                assert f"{said.word}: {a['title']}" in text, (a["status"], a["title"])
                others = {s.word for k, s in AGREEMENT_STATUS.items() if k != a["status"]}
                for word in others - {said.word}:
                    assert f"{word}: {a['title']}" not in text, (word, a["title"])
        followups = [r["id"] for r in db.execute("select id from followups")]
        for f in followups:
            words, _ = told_when(db, f)
            for text in texts:  # CLDR ranges use thin spaces; pdftotext's, plain ones
                assert " ".join(words.split()) in " ".join(text.split()), (f, words)
        ics = Calendar.from_ical(calendar(db_path))
        by_uid = {str(e["uid"]).split("@")[0]: e for e in ics.walk("VEVENT")}
        for f in followups:
            event_id = db.execute("select event_id from followups where id = ?", (f,)
                                  ).fetchone()[0]
            _, held = told_when(db, f)
            if held is not None:
                assert str(by_uid[event_id]["dtstart"].dt) == held[0]
        commitments = list(db.execute("select id, due, first_due, reschedulings from "
                                      "commitment_status"))
        expected_due = {r["id"]: (db.execute(
            "select due from reschedulings where commitment_id = ? order by event_seq desc "
            "limit 1", (r["id"],)).fetchone() or (r["first_due"],))[0] for r in commitments}
        for c in commitments:
            assert c["due"] == expected_due[c["id"]]
            row = re.search(rf'<tr id="fact-{c["id"]}">.*?</tr>', source, re.S)
            assert row is not None
            cells = visible(row.group(0))
            assert longdate(c["due"]) in cells
            assert ("first due" in cells) is bool(c["reschedulings"])
        if commitments:
            n = len(commitments)
            assert f"The archive follows {n} commitment{'s' if n > 1 else ''}" in page
        atom_ns = "{http://www.w3.org/2005/Atom}"
        feed = ET.fromstring(atom.feed(db_path, "https://archive.example.org"))
        titles = {e.findtext(f"{atom_ns}id").rsplit(":", 1)[1]: e.findtext(f"{atom_ns}title")
                  for e in feed.iter(f"{atom_ns}entry")}
        for a in agreements:  # "A and B agreed: T" in force, else "Proposed: T (A and B)"
            said, title = agreement_status(a["status"]), titles[a["id"]]
            if a["status"] in AGREED:
                assert title.startswith(f"{said.word}: ") or f" {said.phrase}: " in title, title
            else:
                assert title.startswith(f"{said.word}: {a['title']}"), title


def generated(n: int) -> settings:
    return settings(max_examples=examples(n), deadline=None, suppress_health_check=[
        HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@generated(12)
@given(drafts=histories())
def test_every_status_date_and_count_told_is_the_databases(tmp_path_factory, drafts) -> None:
    root = tmp_path_factory.mktemp("history")
    write_log(root, drafts)
    check(root, pdf=False)


@pytest.mark.slow
@generated(4)
@given(drafts=histories())
def test_the_pdf_tells_the_same_as_the_database(tmp_path_factory, drafts) -> None:
    root = tmp_path_factory.mktemp("history-pdf")
    write_log(root, drafts)
    check(root, pdf=True)
