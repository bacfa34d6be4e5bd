"""The follow-up meetings as calendars a calendar app shows well (`archive.exchange.ics`,
served by `serve/plugins/archive_calendar.py`).

Hypothesis generates histories of follow-ups (foreseen for a day, a month, a year or a
time; corrected; held as a conference of the archive, postponed first, its dates
corrected; the record that it was held retracted; the follow-up itself retracted), and
each event of the exported file is compared with what the database records, computed
here from its tables (neither through `archive.statements` nor through the module under
test), with the number of changes to its schedule counted from the generated history
itself; replayed one event at a time, each event's SEQUENCE never goes down and goes up
whenever its dates, place or status change."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import sqlite3
import subprocess
import urllib.request
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from briefing_fixtures import SOURCE_URL, Draft, write_log
from click.testing import CliRunner
from helpers import ARCHIVE_SCRIPT, archive_env, examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from servers import http, start

from archive.app import Archive
from archive.cli import cli

REPO = Path(__file__).resolve().parent.parent
BASE = "https://archive.example.org/series"
UTC = dt.UTC
#: The places the histories use whose zone the record gives, and their zones: cities of
#: the tz database, and a place in a country of one zone.
ZONES = {"Tashkent": "Asia/Tashkent", "New York": "America/New_York",
         "Geneva, Switzerland": "Europe/Zurich"}
PLACES = ["Utopia", "Tashkent", "New York", "Geneva, Switzerland", "Astana"]
COUNTRIES = {"Tashkent": "Uzbekistan", "New York": "United States", "Utopia": None,
             "Geneva, Switzerland": "Switzerland", "Astana": "Kazakhstan"}
WHENS = ["2031-09", "2032", "2031-09-14", "2031-12-31", "2031-09-14T10:00",
         "2031-09-14T10:00Z", "2031-10-02T18:30+05:00"]
STARTS = ["2031-11-10", "2031-11-10T09:30", "2032-03-29T08:00Z"]

# ---------------------------------------------------------------- histories


@st.composite
def schedules(draw: st.DrawFn) -> tuple[list[Draft], dict[str, int]]:
    """Two conferences and follow-ups of each, with what became of them; and for each
    follow-up, how many recorded changes to its schedule the history holds."""
    series = draw(st.sampled_from([None, "Example Process"]))
    also = {"series": series} if series else {}
    drafts: list[Draft] = [
        ("c1", "conference.held", {"name": "Home Meeting", "place": "Utopia",
                                   "start": "2031-03-01", "end": "2031-03-02",
                                   "organisers": draw(st.sampled_from(
                                       [[], ["Government of Utopia"], ["A Ministry",
                                                                       "B Agency"]])),
                                   **also}, None, "c1"),
        ("c2", "conference.held", {"name": "Other Meeting", "place": "Tashkent",
                                   "start": "2031-04-01", **also}, None, "c2")]
    if draw(st.booleans()):
        drafts.append(("c2-org", "participant.attended", {
            "conference": "c2", "entity": "utopia", "kind": "country", "name": "Utopia",
            "status": "organiser"}, None, "c2"))
    changes: dict[str, int] = {}
    for i in range(draw(st.integers(1, 4))):
        f, n = f"fu{i}", 0
        data: dict[str, Any] = {"conference": draw(st.sampled_from(["c1", "c2"])),
                                "name": f"Meeting {i}"}
        when = draw(st.sampled_from([None, *WHENS]))
        if when:
            data["when"] = when
        if draw(st.booleans()):
            data["where"] = draw(st.sampled_from(PLACES))
        drafts.append((f, "followup.scheduled", data, None, f"p{i}"))
        if draw(st.booleans()):
            field = draw(st.sampled_from(["when", "where"]))
            # a correction may also take the date away (then the calendar cancels it)
            value = draw(st.sampled_from(([None] if when else []) + WHENS
                                         if field == "when" else PLACES))
            drafts.append((f"{f}-fix", "event.corrected", {
                "target": f, "changes": {field: value}, "reason": "misread"}, None, "p9"))
            n += 1
        held = draw(st.booleans())
        if held:
            m = f"m{i}"
            place = draw(st.sampled_from(PLACES))
            meeting: dict[str, Any] = {"name": f"Meeting {i} itself", "place": place, **also}
            if COUNTRIES[place] and draw(st.booleans()):
                meeting["host_country"] = COUNTRIES[place]
            if draw(st.booleans()):
                meeting["organisers"] = [f"Host of meeting {i}"]
            start = draw(st.sampled_from([None, *STARTS]))
            if start:
                meeting["start"] = start
                end = draw(st.sampled_from([None, start[:10], "2032-04-02"]))
                if end and end >= start[:10]:
                    meeting["end"] = end
            drafts.append((m, "conference.held", meeting, None, "m"))
            planned = when
            for k in range(draw(st.integers(0, 2))):
                moved = draw(st.sampled_from(["2031-11", "2031-11-20", "2032-01-15T11:00"]))
                drafts.append((f"{m}-pp{k}", "conference.postponed", {
                    "conference": m, "moved_to": moved, "moved_place": draw(
                        st.sampled_from(PLACES)), "reason": "elections",
                    **({"planned": planned} if planned else {})}, None, "m"))
                planned, n = moved, n + 1
            drafts.append((f"{m}-held", "followup.held", {
                "conference": data["conference"], "followup": f, "held_as": m}, None, "m"))
            n += 1
            if start and draw(st.booleans()):
                fix = draw(st.sampled_from([{"start": "2031-11-12", "end": "2031-11-13"},
                                            {"place": "New York"}]))
                drafts.append((f"{m}-fix", "event.corrected", {
                    "target": m, "changes": fix, "reason": "the report had it wrong"},
                    None, "m"))
                n += 1
            if draw(st.integers(0, 2)) == 0:
                drafts.append((f"{m}-held-x", "event.retracted", {
                    "target": f"{m}-held", "reason": "it was another meeting"}, None, "m"))
                held, n = False, n + 1
        if not held and draw(st.integers(0, 2)) == 0:
            drafts.append((f"{f}-x", "event.retracted", {
                "target": f, "reason": "never planned"}, None, "p9"))
            n += 1
        changes[f] = n
    return drafts, changes


# ---------------------------------------------------------------- what the record says


def covers(value: str) -> tuple[dt.date, dt.date]:
    """The first day a (partial) date covers and the day after its last."""
    parts = [int(x) for x in value[:10].split("-")]
    if len(parts) == 3:
        day = dt.date(*parts)
        return day, day + dt.timedelta(days=1)
    if len(parts) == 2:
        return dt.date(*parts, 1), dt.date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
    return dt.date(parts[0], 1, 1), dt.date(parts[0] + 1, 1, 1)


def at(value: str, zone: ZoneInfo | None) -> dt.datetime | None:
    """The instant a date-time records at a place of that zone (None: not a date-time,
    or a local time with no zone to put it in)."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d)(Z|[+-]\d\d:\d\d)?", value)
    if m is None:
        return None
    if m[2]:
        return dt.datetime.fromisoformat(m[1] + m[2].replace("Z", "+00:00"))
    return dt.datetime.fromisoformat(m[1]).replace(tzinfo=zone) if zone else None


def recorded(db: sqlite3.Connection, f: str) -> dict[str, Any]:
    """What the tables say of a follow-up: its dates and place in force, the country,
    status, conference, and whose organisers count."""
    live = db.execute("select * from followups where id = ?", (f,)).fetchone()
    if live is None:
        (data,) = db.execute("select coalesce(c.data, e.data) from events e left join "
                             "_archive_current c on c.event_id = e.id where e.id = ?",
                             (f,)).fetchone()
        data = json.loads(data)
        return {"start": data.get("when"), "end": data.get("when"),
                "place": data.get("where"), "country": None, "status": "CANCELLED",
                "conference": data["conference"], "organised": data["conference"],
                "retracted": True}
    out = {"start": live["date"], "end": live["date"], "place": live["place"],
           "country": None, "status": "TENTATIVE", "conference": live["conference_id"],
           "organised": live["conference_id"], "retracted": False}
    link = db.execute("select held_as_id from followups_held where followup_id = ? order "
                      "by event_seq desc limit 1", (f,)).fetchone()
    if link is None:
        if out["start"] is None and (last := _last_date_taken_away(db, f)):
            out.update(start=last, end=last, status="CANCELLED")
        return out
    held = db.execute("select * from conferences where id = ?", (link[0],)).fetchone()
    moves = list(db.execute("select moved_to, moved_place from postponements where "
                            "conference_id = ? order by event_seq", (link[0],)))
    out["organised"] = held["id"]
    if held["start"]:
        out.update(start=held["start"], end=held["end"] or held["start"],
                   place=held["place"] or live["place"], country=held["host_country"],
                   status="CONFIRMED")
    elif moves and moves[-1]["moved_to"]:
        out.update(start=moves[-1]["moved_to"], end=moves[-1]["moved_to"],
                   place=moves[-1]["moved_place"] or live["place"])
    else:
        out["status"] = "CONFIRMED"
    return out


def _last_date_taken_away(db: sqlite3.Connection, f: str) -> str | None:
    """From the log's own lines: the follow-up's date before its latest correction of
    `when`, if that correction took the date away."""
    (first,) = db.execute("select data from events where id = ?", (f,)).fetchone()
    dates = [json.loads(first).get("when")]
    for (data,) in db.execute("select data from events where type = 'event.corrected' "
                              "order by seq"):
        fix = json.loads(data)
        if fix["target"] == f and "when" in fix["changes"]:
            dates.append(fix["changes"]["when"])
    return dates[-2] if len(dates) > 1 and dates[-1] is None else None


def organiser(db: sqlite3.Connection, conference: str) -> tuple[str, str] | None:
    """The CN and address ORGANIZER should carry (with BASE), from the tables."""
    row = db.execute("select organisers from conferences where id = ?", (conference,)
                     ).fetchone()
    names = json.loads(row["organisers"] or "[]")
    if names:
        return "; ".join(names), f"{BASE}/archive/conferences/{conference}"
    people = list(db.execute("select e.id, e.name from participations p join entities e "
                             "on e.id = p.entity_id where p.conference_id = ? and p.status "
                             "= 'organiser' order by p.event_seq", (conference,)))
    if not people:
        return None
    page = (f"entities/{people[0]['id']}" if len(people) == 1 else
            f"conferences/{conference}")
    return "; ".join(p["name"] for p in people), f"{BASE}/archive/{page}"


def zone_for(said: dict[str, Any]) -> ZoneInfo | None:
    """The zone a follow-up's times are in: its place's; and Astana's where the record
    names its country (a held conference's host country). Kazakhstan has seven zones,
    which all agree on every time of 2031-32 (+05:00 since March 2024): the most populous,
    unless a time was recorded at another offset."""
    if said["place"] in ZONES:
        return ZoneInfo(ZONES[said["place"]])
    offsets = [re.search(r"T.*(Z|[+-]\d\d:\d\d)$", v or "") for v in (said["start"],
                                                                   said["end"])]
    if said["country"] == "Kazakhstan" and not [m for m in offsets if m and m[1] != "+05:00"]:
        return ZoneInfo("Asia/Almaty")
    return None


def check_event(db: sqlite3.Connection, f: str, event: Any, base: bool) -> None:
    """One VEVENT against the database: dates, place, status and links."""
    said = recorded(db, f)
    zone = zone_for(said)
    start = at(said["start"], zone)
    got = event.decoded("dtstart")
    if start is None:  # all-day, over what the dates cover
        assert not isinstance(got, dt.datetime), (f, got)
        assert event["dtstart"].params.get("VALUE") == "DATE"
        first, last = covers(said["start"]), covers(said["end"] or said["start"])
        assert got == first[0]
        assert event.decoded("dtend") == (last[1] if last[1] > first[0] else first[1])
        if "T" in said["start"]:
            assert f"At {said['start'][11:16]} local time" in str(event["description"])
    else:
        assert got == start and got.utcoffset() == start.astimezone(zone or UTC).utcoffset()
        assert event["dtstart"].params.get("TZID") == (zone.key if zone else None)
        if zone is None:
            assert event["dtstart"].to_ical().endswith(b"Z")
        end = said["end"]
        if end == said["start"]:
            assert "dtend" not in event  # RFC 5545: it ends when it starts
        else:
            stop = at(end, zone) or dt.datetime.combine(covers(end)[1], dt.time(),
                                                        zone or UTC)
            assert event.decoded("dtend") == stop
    if "dtend" in event:
        assert event.decoded("dtend") > got
    where = [x for x in (said["place"], said["country"]) if x]
    if said["country"] and said["place"] and said["place"].endswith(", " + said["country"]):
        where = where[:1]  # the place names its country already
    assert event.get("location") == (", ".join(where) if where else None)
    assert event["status"] == said["status"]
    description = str(event["description"])
    locator = db.execute("select source_locator from events where id = ?", (f,)).fetchone()[0]
    assert f"Source: {SOURCE_URL} ({locator})" in description
    if said["retracted"]:
        assert "Withdrawn from the record: never planned." in description
    elif said["status"] == "CANCELLED":
        assert f"Its date ({said['start']}) was withdrawn by a correction: misread" in \
            description
    if not base:
        assert "organizer" not in event
        assert event["url"] == SOURCE_URL
        return
    if said["retracted"]:
        (retraction,) = db.execute("select id from retractions where target_event_id = ?",
                                   (f,)).fetchone()
        assert event["url"] == f"{BASE}/archive/retractions/{retraction}"
    else:
        assert event["url"] == f"{BASE}/archive/followups/{f}"
    expected = organiser(db, said["organised"])
    if expected is None:
        assert "organizer" not in event
    else:
        assert (event["organizer"].params["CN"], str(event["organizer"])) == expected


def check_calendar(body: bytes) -> Calendar:
    """A file RFC 5545 accepts: PRODID and VERSION, at least one component, every event
    with UID, DTSTAMP and DTSTART, each time zone it names defined."""
    cal = Calendar.from_ical(body)
    assert cal["prodid"] and cal["version"] == "2.0"
    assert cal.subcomponents
    for event in cal.walk("VEVENT"):
        assert {"uid", "dtstamp", "dtstart", "sequence", "status"} <= {k.lower() for k in event}
    assert not cal.get_missing_tzids()
    return cal


def uids(cal: Calendar) -> dict[str, Any]:
    events = {str(e["uid"]).split("@")[0]: e for e in cal.walk("VEVENT")}
    assert len(events) == len(cal.walk("VEVENT"))  # one event per follow-up
    return events


def generated(n: int) -> settings:
    return settings(max_examples=examples(n), deadline=None, suppress_health_check=[
        HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


# ---------------------------------------------------------------- properties


@generated(15)
@given(history=schedules())
def test_every_event_says_what_the_database_records(tmp_path_factory, history) -> None:
    from archive.exchange.ics import calendar

    drafts, changes = history
    root = tmp_path_factory.mktemp("ics")
    write_log(root, drafts)
    db_path = Archive(root).build().path
    whole = check_calendar(calendar(db_path))
    served = check_calendar(calendar(db_path, base_url=BASE))
    with sqlite3.connect(db_path) as db:
        db.row_factory = sqlite3.Row
        dated = {f for f in changes if recorded(db, f)["start"]}
        assert set(uids(whole)) == set(uids(served)) == dated
        for f, event in uids(whole).items():
            check_event(db, f, event, base=False)
            assert event["sequence"] == changes[f], (f, drafts)
        for f, event in uids(served).items():
            check_event(db, f, event, base=True)
        for c, name in (("c1", "Home Meeting"), ("c2", "Other Meeting")):
            one = check_calendar(calendar(db_path, c))
            assert set(uids(one)) == {f for f in dated if recorded(db, f)["conference"] == c}
            assert str(one["x-wr-calname"]) == name
            assert {bytes(e.to_ical()) for e in one.walk("VEVENT")} <= \
                {bytes(e.to_ical()) for e in whole.walk("VEVENT")}
        series = {r[0] for r in db.execute("select series from conferences")}
        assert str(whole["x-wr-calname"]) == (
            "Example Process" if series == {"Example Process"} else "Follow-up meetings")


@generated(5)
@given(history=schedules())
def test_sequence_goes_up_with_every_change_a_subscriber_sees(tmp_path_factory,
                                                              history) -> None:
    """The log replayed one event at a time, each recorded a minute after the last: a
    follow-up's SEQUENCE and DTSTAMP never go down, and SEQUENCE goes up whenever its
    dates, place or status change."""
    from archive.exchange.ics import calendar

    drafts, _ = history
    root = tmp_path_factory.mktemp("ics-replay")
    archive = Archive(root)
    seen: dict[str, tuple[int, dt.datetime, tuple[bytes, ...]]] = {}
    for n, draft in enumerate(drafts):
        write_log(root, [draft], recorded_at=f"2031-01-01T{n // 60:02d}:{n % 60:02d}:00Z")
        cal = Calendar.from_ical(calendar(archive.build().path))
        for f, event in uids(cal).items():
            shown = tuple(event[k].to_ical() if k in event else b""
                          for k in ("dtstart", "dtend", "location", "status"))
            now = (int(event["sequence"]), event.decoded("dtstamp"), shown)
            if f in seen:
                before = seen[f]
                assert now[0] >= before[0] and now[1] >= before[1], (f, draft)
                if now[2] != before[2]:
                    assert now[0] > before[0], (f, draft)
            seen[f] = now


# ---------------------------------------------------------------- cases


def run(root: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--archive", str(root), "--recorder", "tests", *args],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def summits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three conferences through the CLI: one with organisers by name, one organised by a
    participant, one chaired; follow-ups at times in two zones; and one conference that
    schedules nothing."""
    root = tmp_path_factory.mktemp("summits") / "a"
    run(root, "init", str(root))
    run(root, "add", "source", "--id", "s1", "--title", "First report", "--url",
        "https://example.org/r1", "--publisher", "Example Wire", "--kind", "press")
    run(root, "add", "conference", "--id", "k1", "--name", "Ministers Meeting", "--place",
        "Almaty", "--start", "2031-03-01", "--organiser", "Government of Kazakhstan",
        "--organiser", "OSCE", "--source", "s1", "--locator", "p2")
    run(root, "add", "followup", "--conference", "k1", "--id", "k1-tash", "--name",
        "Expert meeting", "--when", "2031-09-14T10:00", "--where", "Tashkent",
        "--source", "s1", "--locator", "p3")
    run(root, "add", "followup", "--conference", "k1", "--id", "k1-ny", "--name",
        "Side event", "--when", "2031-09-20T15:00Z", "--where", "New York", "--source",
        "https://example.org/r2", "--locator", "p4")
    run(root, "add", "conference", "--id", "k2", "--name", "Bishkek Forum", "--place",
        "Bishkek", "--start", "2031-05-01", "--source", "s1")
    run(root, "add", "participant", "--conference", "k2", "--kind", "organisation",
        "--name", "Forum Secretariat", "--status", "organiser", "--source", "s1")
    run(root, "add", "followup", "--conference", "k2", "--id", "k2-next", "--name",
        "Next forum", "--when", "2032", "--source", "s1")
    run(root, "add", "conference", "--id", "k3", "--name", "Chaired Round Table",
        "--start", "2031-06-01", "--chair", "Ann Lee", "--source", "s1")
    run(root, "add", "followup", "--conference", "k3", "--id", "k3-next", "--name",
        "Second round table", "--when", "2031-12-01", "--where", "Geneva", "--source", "s1")
    run(root, "add", "conference", "--id", "k4", "--name", "Quiet Meeting", "--start",
        "2031-07-01", "--source", "s1")
    run(root, "build")
    return root


def export(root: Path, *args: str) -> bytes:
    result = CliRunner().invoke(cli, ["--archive", str(root), "export", "--format", "ics",
                                      *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def test_a_time_is_put_in_the_zone_of_its_place(summits: Path) -> None:
    events = uids(check_calendar(export(summits)))
    tash = events["k1-tash"]
    assert tash["dtstart"].params["TZID"] == "Asia/Tashkent"
    assert tash.decoded("dtstart") == dt.datetime(2031, 9, 14, 5, tzinfo=UTC)  # UTC+5
    assert "dtend" not in tash  # no end recorded: it ends when it starts
    ny = events["k1-ny"]
    assert ny["dtstart"].params["TZID"] == "America/New_York"
    assert ny.decoded("dtstart") == dt.datetime(2031, 9, 20, 11, tzinfo=ZoneInfo(
        "America/New_York"))  # 15:00 UTC is 11:00 in New York's summer time
    zones = {str(z["tzid"]): z for z in Calendar.from_ical(export(summits)).walk("VTIMEZONE")}
    assert sorted(zones) == ["America/New_York", "Asia/Tashkent"]
    assert {str(s["tzname"]) for s in zones["America/New_York"].walk("DAYLIGHT")} == {"EDT"}
    geneva = events["k3-next"]  # not a city of the tz database, and a day: all-day
    assert geneva.decoded("dtstart") == dt.date(2031, 12, 1)


def test_the_organiser_is_named_and_addressed_only_by_what_the_record_holds(
        summits: Path) -> None:
    plain = uids(check_calendar(export(summits)))
    assert not [e for e in plain.values() if "organizer" in e]  # no address to give
    assert "(organised by Government of Kazakhstan; OSCE)" in str(
        plain["k1-tash"]["description"])
    served = uids(check_calendar(export(summits, "--base-url", BASE + "/")))
    k1 = served["k1-tash"]["organizer"]
    assert k1.params["CN"] == "Government of Kazakhstan; OSCE"
    assert str(k1) == f"{BASE}/archive/conferences/k1"  # names only: the conference page
    k2 = served["k2-next"]["organizer"]
    with sqlite3.connect(summits / "exports" / "archive.db") as db:
        (secretariat,) = db.execute("select id from entities where name = "
                                    "'Forum Secretariat'").fetchone()
        (ann,) = db.execute("select id from entities where name = 'Ann Lee'").fetchone()
    assert (k2.params["CN"], str(k2)) == ("Forum Secretariat",
                                          f"{BASE}/archive/entities/{secretariat}")
    k3 = served["k3-next"]["organizer"]
    assert (k3.params["CN"], str(k3)) == ("Ann Lee", f"{BASE}/archive/entities/{ann}")
    assert "(chaired by Ann Lee)" in str(served["k3-next"]["description"])


def test_the_source_is_told_and_linked_without_a_base_url(summits: Path) -> None:
    events = uids(check_calendar(export(summits)))
    assert "Source: First report, https://example.org/r1 (p3)" in str(
        events["k1-tash"]["description"])
    assert str(events["k1-tash"]["url"]) == "https://example.org/r1"  # the source's URL
    assert str(events["k1-ny"]["url"]) == "https://example.org/r2"
    assert str(events["k2-next"]["status"]) == "TENTATIVE"
    assert events["k2-next"]["sequence"] == 0


def test_one_file_per_conference_named_after_it(summits: Path) -> None:
    assert set(uids(check_calendar(export(summits, "--conference", "k1")))) == {
        "k1-tash", "k1-ny"}
    by_name = check_calendar(export(summits, "--conference", "bishkek forum"))
    assert set(uids(by_name)) == {"k2-next"}
    assert str(by_name["x-wr-calname"]) == str(by_name["name"]) == "Bishkek Forum"
    assert str(check_calendar(export(summits))["x-wr-calname"]) == "Follow-up meetings"


def test_a_conference_with_no_followups_is_a_valid_empty_calendar(summits: Path) -> None:
    cal = check_calendar(export(summits, "--conference", "k4"))
    assert cal.walk("VEVENT") == []
    (zone,) = cal.subcomponents  # RFC 5545 3.6: one component at least; a time zone will do
    assert zone.name == "VTIMEZONE" and str(zone["tzid"]) == "UTC"
    assert str(cal["x-wr-calname"]) == "Quiet Meeting"


def test_a_missing_conference_is_one_error_and_writes_nothing(summits: Path,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "nope.ics"
    for args in (["-o", str(out)], []):
        result = CliRunner().invoke(cli, ["--archive", str(summits), "export", "--format",
                                          "ics", "--conference", "nope", *args])
        assert result.exit_code == 1
        assert result.stdout == ""
        assert result.stderr.startswith("Error: no conference 'nope' in the archive")
        assert result.stderr.count("\n") == 1
    assert not out.exists()


def test_the_same_log_gives_the_same_bytes_whatever_the_hash_seed(summits: Path,
                                                                   tmp_path: Path) -> None:
    """Two zones' VTIMEZONEs and every event in the same order in separate processes
    (a set's order follows PYTHONHASHSEED)."""
    copy = tmp_path / "copy"
    (copy / "events").mkdir(parents=True)
    shutil.copyfile(summits / "events" / "events.jsonl", copy / "events" / "events.jsonl")
    outs = []
    for seed, root in (("1", summits), ("2", copy), ("3", copy)):
        env = {**archive_env(root), "PYTHONHASHSEED": seed}
        outs.append(subprocess.run([str(ARCHIVE_SCRIPT), "export", "--format", "ics",
                                    "--base-url", BASE], env=env, capture_output=True,
                                   check=True).stdout)
    assert outs[0] == outs[1] == outs[2]
    assert outs[0].count(b"BEGIN:VTIMEZONE") == 2


def test_the_shipped_archive_gives_its_summit_with_place_organisers_and_source(
        tmp_path: Path) -> None:
    root = tmp_path / "astana"
    (root / "events").mkdir(parents=True)
    shutil.copyfile(REPO / "events" / "events.jsonl", root / "events" / "events.jsonl")
    (summit,) = check_calendar(export(root, "--base-url", BASE)).walk("VEVENT")
    assert str(summit["location"]) == "New York"
    assert summit.decoded("dtstart") == dt.date(2015, 9, 1)
    assert summit.decoded("dtend") == dt.date(2015, 10, 1)
    assert (summit["status"], summit["sequence"]) == ("TENTATIVE", 0)
    assert summit["organizer"].params["CN"] == ("Government of Kazakhstan; Government of "
                                                "the United States")
    assert str(summit["url"]) == f"{BASE}/archive/followups/astana15-summit"
    assert ("Source: https://astanatimes.com/2015/07/calls-for-broader-cooperation-define-"
            "astana-anti-extremism-conference/ (p18)") in str(summit["description"])


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read()


@pytest.mark.slow
def test_datasette_serves_the_calendars_the_export_writes(summits: Path,
                                                          tmp_path: Path) -> None:
    from archive.exchange.ics import calendar

    root = tmp_path / "served"
    shutil.copytree(summits, root)
    proc, url = start(root)
    try:
        whole = fetch(f"{url}/-/calendar.ics")
        one = fetch(f"{url}/-/calendar/k1.ics")
        missing = fetch(f"{url}/-/calendar/nope.ics")
        assert http(f"{url}/-/versions.json")[0] == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    db = root / "exports" / "archive.db"
    assert whole == (200, "text/calendar; charset=utf-8", calendar(db, base_url=url))
    assert one == (200, "text/calendar; charset=utf-8", calendar(db, "k1", base_url=url))
    assert f"ORGANIZER;CN=\"Government of Kazakhstan; OSCE\":{url}".encode() in \
        whole[2].replace(b"\r\n ", b"")
    assert missing[0] == 404
    assert missing[2].decode().startswith("No conference 'nope' in the archive")
    assert b"\n" not in missing[2].strip()


def test_a_date_a_correction_took_away_cancels_the_event(tmp_path: Path) -> None:
    """A calendar that subscribed while the follow-up had a date must be told it is off:
    CANCELLED at the date it had, one more SEQUENCE, and the description says why."""
    from archive.exchange.ics import calendar

    write_log(tmp_path, [
        ("c1", "conference.held", {"name": "Home Meeting", "place": "Utopia",
                                   "start": "2031-03-01"}, None, "c1"),
        ("fu", "followup.scheduled", {"conference": "c1", "name": "Review meeting",
                                      "when": "2031-09-14", "where": "Tashkent"}, None, "p"),
        ("fu-fix", "event.corrected", {"target": "fu", "changes": {"when": None},
                                       "reason": "the report gave no date"}, None, "p")])
    event = uids(check_calendar(calendar(Archive(tmp_path).build().path)))["fu"]
    assert str(event["status"]) == "CANCELLED"
    assert event["dtstart"].dt == dt.date(2031, 9, 14)
    assert event["sequence"] == 1
    assert "withdrawn by a correction: the report gave no date" in str(event["description"])


def test_a_place_outside_the_tz_cities_has_its_country_zone_or_none(tmp_path: Path) -> None:
    """Geneva is no city of the tz database, but Switzerland has one zone. Astana is none
    either, and Kazakhstan had several zones that disagreed in 2015: a time recorded with
    its offset picks the most populous zone of that offset; a local time there is put on
    its day (no zone is guessed); in 2031 every zone of Kazakhstan agrees."""
    from archive.exchange.ics import calendar

    def followup(ident: str, when: str, where: str) -> Draft:
        return (ident, "followup.scheduled", {"conference": "c1", "name": ident,
                                              "when": when, "where": where}, None, "p")

    write_log(tmp_path, [
        ("c1", "conference.held", {"name": "Home Meeting", "place": "Utopia",
                                   "start": "2015-03-01"}, None, "c1"),
        followup("gva", "2031-09-15T09:00", "Geneva, Switzerland"),
        followup("ast-offset", "2015-06-29T10:00+06:00", "Astana, Kazakhstan"),
        followup("ast-local", "2015-06-29T10:00", "Astana, Kazakhstan"),
        followup("ast-2031", "2031-06-29T10:00", "Astana, Kazakhstan"),
        followup("ast-alone", "2031-06-29T10:00", "Astana")])
    events = uids(check_calendar(calendar(Archive(tmp_path).build().path)))
    gva = events["gva"]
    assert gva["dtstart"].params["TZID"] == "Europe/Zurich"
    assert gva.decoded("dtstart") == dt.datetime(2031, 9, 15, 7, tzinfo=UTC)  # summer, +02
    assert events["ast-offset"]["dtstart"].params["TZID"] == "Asia/Almaty"
    assert events["ast-offset"].decoded("dtstart") == dt.datetime(2015, 6, 29, 4, tzinfo=UTC)
    local = events["ast-local"]
    assert local.decoded("dtstart") == dt.date(2015, 6, 29)
    assert "At 10:00 local time (no time zone is known for Astana, Kazakhstan)" in str(
        local["description"])
    assert events["ast-2031"]["dtstart"].params["TZID"] == "Asia/Almaty"
    assert events["ast-2031"].decoded("dtstart") == dt.datetime(2031, 6, 29, 5, tzinfo=UTC)
    assert events["ast-alone"].decoded("dtstart") == dt.date(2031, 6, 29)  # no country
