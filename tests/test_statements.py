"""Say only what the record holds (issue 26): every output tells an agreement by its
recorded status and a follow-up at its dates in force, with their history
(`archive.statements`). The archive is the issue's own reproduction: two reports, a first
meeting that proposes a pact and foresees a summit for September, and the summit,
postponed to November and recorded as held."""

from __future__ import annotations

import html
import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from icalendar import Calendar

from archive.cli import cli
from archive.statements import AGREEMENT_STATUS, agreement_status

STEPS = [
    ["add", "source", "--id", "s1", "--title", "First report", "--url",
     "https://example.org/r1", "--publisher", "Example Wire", "--kind", "press"],
    ["add", "source", "--id", "s2", "--title", "Second report", "--url",
     "https://example.org/r2", "--publisher", "Example Daily", "--kind", "press"],
    ["add", "conference", "--id", "m1", "--name", "First Ministers Meeting", "--place",
     "Utopia", "--start", "2031-03-01", "--end", "2031-03-02", "--series", "Example Process",
     "--source", "s1"],
    ["add", "conference", "--id", "m2", "--name", "Summit", "--place", "Utopia", "--start",
     "2031-11-10", "--end", "2031-11-11", "--series", "Example Process", "--source", "s2"],
    ["add", "agreement", "--conference", "m1", "--id", "ag1", "--title",
     "Pact on Example Cooperation", "--kind", "other", "--status", "proposed", "--source",
     "s1"],
    ["add", "followup", "--conference", "m1", "--id", "fu1", "--name", "Summit", "--when",
     "2031-09", "--where", "Utopia", "--source", "s1"],
    ["add", "postponement", "--conference", "m2", "--planned", "2031-09", "--moved-to",
     "2031-11-10", "--planned-place", "Utopia", "--moved-place", "Utopia", "--reason",
     "not stated", "--source", "s2"],
    ["add", "followup-held", "--conference", "m1", "--followup", "fu1", "--as", "m2",
     "--source", "s2"],
]


def cli_ok(root: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--archive", str(root), "--recorder", "tests", *args],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def visible(path: Path) -> str:
    """The text a reader sees in an HTML document, on one line."""
    text = re.sub(r"<style.*?</style>|<script.*?</script>", " ", path.read_text(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("statements") / "a"
    cli_ok(root, "init", str(root))
    for step in STEPS:
        cli_ok(root, *step)
    return root


def test_a_proposed_pact_is_never_said_to_be_agreed(series: Path) -> None:
    cli_ok(series, "briefing", "--conference", "m1", "--html")
    text = visible(series / "exports" / "briefing-m1.html")
    assert "Proposed: Pact on Example Cooperation" in text
    assert "Agreed:" not in text and "What was agreed" not in text
    assert "Pact on Example Cooperation (proposed, not adopted)" in text
    assert "(other" not in text  # "other" is no kind a reader is told


def test_the_feed_labels_an_agreement_by_its_recorded_status(series: Path) -> None:
    import xml.etree.ElementTree as ET

    from archive.exchange import atom

    cli_ok(series, "build")
    feed = ET.fromstring(atom.feed(series / "exports" / "archive.db", "https://example.org"))
    titles = [e.findtext("{http://www.w3.org/2005/Atom}title")
              for e in feed.iter("{http://www.w3.org/2005/Atom}entry")]
    assert "Proposed: Pact on Example Cooperation" in titles
    assert not [t for t in titles if t.startswith("Agreed") or " agreed: " in t]


def test_a_postponed_followup_held_later_is_told_at_the_dates_held(series: Path) -> None:
    cli_ok(series, "briefing", "--conference", "m1", "--html")
    text = visible(series / "exports" / "briefing-m1.html")
    # CLDR writes the range with thin spaces, which `visible` reads as spaces
    told = "foreseen for September 2031, held 10 – 11 November 2031 (postponed: not stated)"
    assert f"Followed by: Summit , {told}" in text  # key messages: no longer "Next"
    assert "Next:" not in text
    assert text.count(told) == 3  # key messages, what comes next, the annex
    cli_ok(series, "briefing", "--conference", "m2", "--html")
    summit = visible(series / "exports" / "briefing-m2.html")
    assert "Postponed from September 2031 to 10 November 2031: not stated." in summit


def test_the_calendar_puts_the_meeting_at_the_dates_held(series: Path) -> None:
    ics = Calendar.from_ical(cli_ok(series, "export", "--format", "ics"))
    (event,) = ics.walk("VEVENT")
    assert str(event["dtstart"].dt) == "2031-11-10"
    assert str(event["dtend"].dt) == "2031-11-12"  # the day after the last (RFC 5545)
    assert "First foreseen for 2031-09" in str(event["description"])
    assert "Postponed: not stated." in str(event["description"])


def test_the_series_briefing_tells_ends_moves_and_names(series: Path) -> None:
    cli_ok(series, "briefing", "--series", "--html")
    text = visible(series / "exports" / "briefing-series.html")
    assert "2 conferences, 1 March – 11 November 2031" in text  # the last one's end
    assert ("Summit , foreseen for September 2031, held 10 – 11 November 2031 (postponed: not "
            "stated), Utopia: held as the Summit.") in text
    assert "Postponed from September 2031 to 10 November 2031: not stated." in text
    assert "Pact on Example Cooperation (proposed, not adopted)" in text
    assert "the briefing of the conference gives the full record" not in text


@pytest.mark.parametrize("status", [s for s in AGREEMENT_STATUS if s is not None])
def test_every_status_is_told_as_recorded_and_as_corrected(tmp_path: Path,
                                                           status: str) -> None:
    """Recorded as adopted, then corrected to each status: the key message, the summary
    and the database say the same status."""
    root = tmp_path / "a"
    cli_ok(root, "init", str(root))
    for step in STEPS[:3]:
        cli_ok(root, *step)
    cli_ok(root, "add", "agreement", "--conference", "m1", "--id", "ag", "--title", "Pact",
           "--status", "adopted", "--due", "2031-12", "--source", "s1")
    cli_ok(root, "correct", "ag", "--set", f"status={status}", "--reason", "misread")
    cli_ok(root, "briefing", "--html")
    text = visible(root / "exports" / "briefing.html")
    with sqlite3.connect(root / "exports" / "archive.db") as db:
        (recorded,) = db.execute("select status from agreements where id = 'ag'").fetchone()
    assert recorded == status
    said = agreement_status(recorded)
    assert f"{said.word}: Pact" in text
    assert f"Pact ({said.phrase}" in text
    assert ("Agreed:" in text) is (said.word == "Agreed")
    foreseen = "its signing foreseen for December 2031"
    assert (foreseen in text) is (status == "due-to-be-signed")


def test_every_event_type_has_a_one_line_summary() -> None:
    """`archive log` says something for every type, from its schema where no wording is
    written for it; a large money figure keeps its digits and unit."""
    from payloads import MINIMAL

    from archive.core.events import REGISTRY, make_payload
    from archive.store.listing import describe

    for type_, cls in REGISTRY.items():
        data = make_payload(type_, MINIMAL[type_])
        line = describe(data, {})
        assert line.strip(), (type_, cls)
        assert "e+" not in line and "None" not in line, line
    money = make_payload("figure.cited", {"conference": "c", "value": 250_000_000,
                                          "unit": "USD", "counts": "pledged"})
    assert describe(money, {}) == "250,000,000 USD pledged"


def test_an_unknown_title_or_reason_is_said_to_be_unknown_never_made_up(tmp_path: Path
                                                                        ) -> None:
    root = tmp_path / "a"
    cli_ok(root, "init", str(root))
    cli_ok(root, "add", "source", "--id", "s1", "--publisher", "Example Wire")
    cli_ok(root, "add", "conference", "--id", "m1", "--name", "Meeting", "--start",
           "2031-03-01", "--source", "s1")
    cli_ok(root, "add", "postponement", "--planned", "2031-01", "--moved-to", "2031-03-01",
           "--source", "s1")
    cli_ok(root, "briefing", "--html")
    text = visible(root / "exports" / "briefing.html")
    assert "untitled (no title recorded), Example Wire" in text
    assert "Postponed from January 2031 to 1 March 2031: the reason is not recorded." in text


def test_themes_are_the_recorded_topics_and_a_tag_is_no_theme(tmp_path: Path) -> None:
    root = tmp_path / "a"
    cli_ok(root, "init", str(root))
    cli_ok(root, "add", "conference", "--id", "m1", "--name", "Water Forum", "--topic",
           "water security", "--topic", "trade")
    cli_ok(root, "add", "note", "--text", "The forum closed early.", "--tag", "outcome")
    cli_ok(root, "briefing", "--html", "--no-verify")
    text = visible(root / "exports" / "briefing.html")
    assert "Themes water security; trade" in text
    assert "Themes discussed" not in text and "Theme outcome" not in text
    assert "Notes Tagged “outcome” The forum closed early." in text


@pytest.mark.parametrize("name,said", [
    ("Government of Kazakhstan", "the Government of Kazakhstan"),
    ("Government of the United States", "the Government of the United States"),
    ("OSCE Programme Office in Astana", "the OSCE Programme Office in Astana"),
    ("Organization for Security and Co-operation in Europe",
     "the Organization for Security and Co-operation in Europe"),
    ("United Nations", "the United Nations"), ("Netherlands", "the Netherlands"),
    ("Kazakhstan", "Kazakhstan"), ("UNODC", "UNODC"), ("The Asia Foundation",
                                                     "The Asia Foundation"),
    ("Bosnia and Herzegovina", "Bosnia and Herzegovina"), ("Казахстан", "Казахстан"),
])
def test_a_name_in_running_text_takes_its_article(name: str, said: str) -> None:
    from archive.briefing.document import in_prose

    assert in_prose(name) == said


def test_the_astana_summary_says_who_organised_it_in_prose(astana_briefed: Path) -> None:
    text = visible(astana_briefed / "exports" / "briefing.html")
    assert ("organised by the Government of Kazakhstan and the Government of the United "
            "States, with support from the OSCE Programme Office in Astana.") in text
    assert "The archive records" not in text
    assert "Taking part, as the record names them: " in text


@pytest.mark.parametrize("name", [
    "Central and South Asian Regional Conference on Countering Violent Extremism",
    "Summit", "W" * 90, "Conference of the Parties to the United Nations Framework "
    "Convention on Climate Change, twenty-first session",
    "Совещание по взаимодействию и мерам доверия в Азии, шестой саммит глав государств",
])
def test_a_running_head_fits_its_box_and_ends_on_a_whole_word(name: str) -> None:
    """What the page shows, measured with the font the head is set in (DejaVu Sans 7.5pt in
    55% of the 140 mm measure): a longer name is cut after a whole word, never clipped."""
    from PIL import ImageFont

    from archive.briefing.document import running_head

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 750)
    head = running_head(name)
    assert font.getlength(head) / 100 * 25.4 / 72 <= 0.55 * 140
    if head != name:
        kept = head.removesuffix("…")
        assert name.startswith(kept) and (name[len(kept)] == " " or " " not in kept)


def test_the_record_says_chair_country_and_standings_and_adds_no_participation(
        tmp_path: Path) -> None:
    """A conference's chair, the country a speaker spoke for, a host that was also a
    member: said as recorded; and a name given only as someone's organisation or a
    chair is recorded on its own, never as a participant no command asked for."""
    root = tmp_path / "a"
    cli_ok(root, "init", str(root))
    cli_ok(root, "add", "conference", "--id", "m1", "--name", "Water Forum", "--chair",
           "Ana Pera", "--source", "urn:r")
    cli_ok(root, "add", "participant", "--kind", "country", "--name", "Utopia", "--status",
           "host", "--also", "member", "--source", "urn:r")
    cli_ok(root, "add", "speech", "--speaker", "Ion Vale", "--affiliation",
           "Example Institute", "--country", "Utopia", "--quote", "Hello", "--source", "urn:r")
    cli_ok(root, "briefing", "--html", "--no-verify")
    text = visible(root / "exports" / "briefing.html")
    assert "Ana Pera chaired it." in text
    assert "Ion Vale , Example Institute, for Utopia" in text  # (the name is bold)
    assert "Utopia (also member)" in text
    with sqlite3.connect(root / "exports" / "archive.db") as db:
        taking_part = {r[0] for r in db.execute(
            "select e.name from participations p join entities e on e.id = p.entity_id")}
        assert taking_part == {"Utopia", "Ion Vale"}
        assert db.execute("select e.name from conferences c join entities e on e.id = "
                          "c.chair_id").fetchall() == [("Ana Pera",)]


def test_a_meeting_is_counted_in_each_series_it_belongs_to(tmp_path: Path) -> None:
    root = tmp_path / "a"
    cli_ok(root, "init", str(root))
    for cid, name, number, ordinal, start in (
            ("m1", "First Ministers Meeting", "1", "Ministers Meetings=1", "2031-03-01"),
            ("m2", "Summit", "2", "Summits=1", "2031-11-10"),
            ("m3", "Second Ministers Meeting", "3", "Ministers Meetings=2", "2032-03-01")):
        cli_ok(root, "add", "conference", "--id", cid, "--name", name, "--series",
               "Example Process", "--number", number, "--ordinal", ordinal, "--start", start,
               "--source", "urn:r")
    bad = CliRunner().invoke(cli, ["--archive", str(root), "add", "conference", "--name",
                                   "X", "--ordinal", "Summits=second"])
    assert bad.exit_code == 1 and bad.output.startswith("Error: ") and "number" in bad.output
    from archive.app import Archive

    result = Archive(root).brief_series(series="ministers meetings", html=True, verify=False)
    text = visible(result.path)
    assert "First Ministers Meeting" in text and "Second Ministers Meeting" in text
    assert not re.search(r"\bSummit\b", text)  # counted in "Summits", not in this series
    assert re.findall(r"No\. (\d+)", text) == ["1", "2"]
    whole = visible(Archive(root).brief_series(series="Example Process", html=True,
                                               verify=False).path)
    assert "No. 3" in whole
    with sqlite3.connect(root / "exports" / "archive.db") as db:
        assert db.execute("select conference_id, series, number, main from "
                          "conference_series order by id").fetchall() == [
            ("m1", "Example Process", 1, 1), ("m1", "Ministers Meetings", 1, 0),
            ("m2", "Example Process", 2, 1), ("m2", "Summits", 1, 0),
            ("m3", "Example Process", 3, 1), ("m3", "Ministers Meetings", 2, 0)]


@pytest.mark.parametrize("text,fits", [
    ("Violent extremism in Central and South Asia: threat assessment and countermeasures",
     35), ("Interviews and remarks to the press", 35), ("W" * 90, 35), ("a b", 1),
])
def test_a_shortened_label_ends_on_a_whole_word(text: str, fits: int) -> None:
    """A chart's label (and the running head) is cut after a whole word, never inside
    one: it was "Violent extremism in Central and So…"."""
    from archive.statements import shortened

    short = shortened(text, fits)
    kept = short.removesuffix("…")
    assert len(kept) <= fits and text.startswith(kept)
    if short == text:
        assert len(text) <= fits
    elif " " in text[:fits + 1]:  # ends where a word ends (its punctuation dropped)
        assert text[len(kept)] in " ,:"
    else:  # one word longer than the room: as many letters as fit
        assert kept == text[:fits]
    assert kept.split(" ")[-1].lower() not in {"and", "of", "on", "in", "the"}
