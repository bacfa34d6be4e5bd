"""Following what was agreed until it is done (issue 13): commitments, progress with its
evidence, corrections and retractions of updates, the two kinds of time (`--as-of` for
what was recorded, `--on` for what had happened), and follow-ups that were held."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.app import Archive
from archive.cli import cli
from archive.database.build import build
from archive.serve.server import QUERIES

SRC = "https://example.org/report"


def run(root: Path, *args: str, ok: bool = True) -> str:
    result = CliRunner().invoke(cli, ["--archive", str(root), *args])
    if ok:
        assert result.exit_code == 0, (args, result.output)
    return result.output


def summit(root: Path) -> None:
    """A fictional summit that agreed three points, owned by two countries and a group."""
    run(root, "init")
    run(root, "add", "conference", "--id", "s1", "--name", "Water Summit", "--start",
        "2015-06-01", "--source", SRC, "--locator", "p1")
    for country in ("Norway", "Kenya"):
        run(root, "add", "participant", "--kind", "country", "--name", country,
            "--source", SRC, "--locator", "p2")
    run(root, "add", "agreement", "--id", "ag", "--title", "Water declaration",
        "--item", "Build a fund", "--item", "Train engineers", "--item", "Share data",
        "--source", SRC, "--locator", "p3")
    run(root, "add", "commitment", "--id", "fund", "--agreement", "ag", "--point", "1",
        "--owner", "Norway", "--due", "2016-06", "--source", SRC, "--locator", "p3")
    run(root, "add", "commitment", "--id", "train", "--agreement", "ag", "--point", "2",
        "--owner", "Kenya", "--owner-name", "participating governments", "--due", "2016",
        "--source", SRC, "--locator", "p3")


def progress(root: Path, pid: str, commitment: str, status: str, at: str,
             note: str | None = None) -> None:
    args = ["add", "progress", "--id", pid, "--commitment", commitment, "--status", status,
            "--at", at, "--source", f"https://example.org/{pid}", "--locator", "p1"]
    run(root, *args, *(["--note", note] if note else []))


def status(db_path: Path) -> dict[str, tuple[str, str | None]]:
    db = sqlite3.connect(db_path)
    try:
        return {r[0]: (r[1], r[2]) for r in db.execute(
            "select id, status, status_at from commitment_status")}
    finally:
        db.close()


def history(db_path: Path, commitment: str) -> list[str]:
    db = sqlite3.connect(db_path)
    try:
        return [r[0] for r in db.execute(
            "select status from progress where commitment_id = ? order by event_seq",
            (commitment,))]
    finally:
        db.close()


def query(db_path: Path, name: str, **params: str) -> list[dict]:
    db = sqlite3.connect(db_path)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute(QUERIES[name]["sql"], params)]
    finally:
        db.close()


def test_two_points_followed_through_agreed_progress_done_and_stalled_dropped(tmp_path):
    root = tmp_path / "a"
    summit(root)
    db = Archive(root).build().path
    assert status(db) == {"fund": ("agreed", None), "train": ("agreed", None)}
    progress(root, "f1", "fund", "in-progress", "2016-01-10", "Fund registered")
    progress(root, "f2", "fund", "done", "2016-05-20", "First grants paid")
    progress(root, "t1", "train", "stalled", "2016-02-01")
    progress(root, "t2", "train", "in-progress", "2016-03-01", "Said to resume")
    run(root, "correct", "f1", "--set", "note=Fund set up by law", "--reason", "misread")
    run(root, "retract", "t2", "--reason", "The report was about another programme")
    progress(root, "t3", "train", "dropped", "2016-09-01", "Programme cancelled")
    db = Archive(root).build().path
    assert status(db) == {"fund": ("done", "2016-05-20"), "train": ("dropped", "2016-09-01")}
    assert history(db, "fund") == ["in-progress", "done"]
    assert history(db, "train") == ["stalled", "dropped"]  # the retracted update is gone
    sql = sqlite3.connect(db)
    assert sql.execute("select note from progress where id = 'f1'").fetchone() == (
        "Fund set up by law",)
    assert sql.execute("select text, owners from commitment_status where id = 'train'"
                       ).fetchone() == ("Train engineers", "Kenya · participating governments")
    sql.close()
    # overdue against a fixed today: nothing, both closed; before they closed, both were
    assert query(db, "overdue", today="2017-01-01") == []
    done = query(db, "done_with_evidence")
    assert [(r["text"], r["evidence_url"]) for r in done] == [
        ("Build a fund", "https://example.org/f2")]
    # --on between the updates: the world as it stood then
    on = Archive(root).build(on="2016-03-15").path
    assert status(on) == {"fund": ("in-progress", "2016-01-10"),
                          "train": ("stalled", "2016-02-01")}
    overdue = query(on, "overdue", today="2016-07-01")
    assert [(r["commitment_id"], r["days_overdue"]) for r in overdue] == [("fund", 1)]
    # --as-of before an update was recorded leaves it out
    seq_before_f2 = sqlite3.connect(db).execute(
        "select seq - 1 from events where id = 'f2'").fetchone()[0]
    before = Archive(root).build(as_of=str(seq_before_f2)).path
    assert status(before)["fund"] == ("in-progress", "2016-01-10")
    # both: what was known then about a day before that
    both = Archive(root).build(as_of=str(seq_before_f2), on="2015-12-31").path
    assert status(both)["fund"] == ("agreed", None)


def test_bad_input_is_one_error_line_and_writes_nothing(tmp_path):
    root = tmp_path / "a"
    summit(root)
    log = (root / "events" / "events.jsonl").read_bytes()
    cases = [
        (["add", "progress", "--commitment", "ag", "--status", "done", "--source", SRC],
         "no commitment with id 'ag'"),
        (["add", "progress", "--commitment", "fund", "--status", "finished", "--source",
          SRC], "'finished' is not one of"),
        (["add", "progress", "--commitment", "fund", "--status", "done"],
         "needs its evidence"),
        (["add", "commitment", "--agreement", "ag", "--point", "1", "--owner", "Norway",
          "--due", "2014-12"], "before the conference that agreed it"),
        (["add", "commitment", "--agreement", "ag", "--point", "9", "--owner", "Norway"],
         "has no point 9"),
        (["add", "commitment", "--agreement", "ag", "--point", "1"],
         "at least one owner"),
        (["add", "followup-held", "--followup", "ag", "--as", "Water Summit"],
         "no followup with id 'ag'"),
    ]
    for args, message in cases:
        result = CliRunner().invoke(cli, ["--archive", str(root), *args])
        assert result.exit_code != 0, args
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output
        errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 or result.output.startswith("Usage:"), result.output
    assert (root / "events" / "events.jsonl").read_bytes() == log


def test_a_followup_held_is_linked_to_the_conference_that_was_it(tmp_path):
    root = tmp_path / "a"
    summit(root)
    run(root, "add", "followup", "--id", "fu", "--name", "Water Summit 2017", "--when",
        "2017", "--conference", "s1")
    run(root, "add", "conference", "--id", "s2", "--name", "Second Water Summit",
        "--start", "2017-05-02")
    run(root, "add", "followup-held", "--followup", "fu", "--as", "Second Water Summit")
    db = sqlite3.connect(Archive(root).build().path)
    try:
        assert db.execute("select conference_id, followup_id, held_as_id from "
                          "followups_held").fetchall() == [("s1", "fu", "s2")]
    finally:
        db.close()


STATUSES = ["agreed", "in-progress", "done", "stalled", "dropped"]
steps = st.lists(st.one_of(
    st.tuples(st.just("progress"), st.sampled_from(STATUSES)),
    st.tuples(st.just("correct"), st.sampled_from(STATUSES)),
    st.tuples(st.just("retract"), st.just("")),
), min_size=1, max_size=8)


@settings(max_examples=examples(20), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps)
def test_current_status_is_the_latest_live_update_and_incremental_equals_full(
        tmp_path_factory: pytest.TempPathFactory, actions: list[tuple[str, str]]):
    root = tmp_path_factory.mktemp("h") / "a"
    summit(root)
    Archive(root).build()
    live: list[tuple[str, str]] = []  # (update id, status) of the live updates, in order
    for n, (action, value) in enumerate(actions):
        if action == "progress":
            progress(root, f"u{n}", "fund", value, f"2016-01-{n + 1:02d}")
            live.append((f"u{n}", value))
        elif action == "correct" and live:
            run(root, "correct", live[-1][0], "--set", f"status={value}")
            live[-1] = (live[-1][0], value)
        elif action == "retract" and live:
            run(root, "retract", live[-1][0], "--reason", "wrong")
            live.pop()
        Archive(root).build()  # incremental after each step
    incremental = Archive(root).build().path
    expected = live[-1][1] if live else "agreed"
    assert status(incremental)["fund"][0] == expected
    full = build(Archive(root).log, root / "full.db").path
    assert status(full) == status(incremental)
    assert history(full, "fund") == [s for _, s in live] == history(incremental, "fund")


def test_the_briefing_and_the_accountability_report_show_the_databases_statuses(tmp_path):
    import re
    import subprocess

    root = tmp_path / "a"
    summit(root)
    progress(root, "f1", "fund", "in-progress", "2016-01-10", "Fund registered")
    progress(root, "f2", "fund", "done", "2016-05-20", "First grants paid")
    progress(root, "t1", "train", "stalled", "2016-02-01")
    html = Archive(root).brief(html=True, verify=False).path.read_text()
    table = re.search(r'<table class="grid commitments">.*?</table>', html, re.S)
    assert table is not None
    shown = {m.group(1): m.group(2) for m in re.finditer(
        r'<tr id="fact-(\w+)">.*?<b>([a-z-]+)</b>', table.group(0), re.S)}
    assert shown == {k: v[0] for k, v in status(Archive(root).build().path).items()}
    assert "The archive follows 2 commitments: 1 done, 1 stalled." in " ".join(html.split())
    # two statuses: a chart of them, whose bars are the commitments
    chart = re.search(r'<figure class="chart" id="chart-statuses">.*?</figure>', html, re.S)
    assert chart is not None and "Commitments by status: done: 1; stalled: 1" in chart.group(0)
    out = run(root, "briefing", "--progress", "--no-verify")
    assert "briefing-progress.pdf" in out
    text = " ".join(subprocess.run(
        ["pdftotext", str(root / "exports" / "briefing-progress.pdf"), "-"],
        capture_output=True, text=True, check=True).stdout.split())
    assert "2 commitments: 1 done, 1 stalled" in text
    assert text.index("in-progress, 10 January 2016: Fund registered") < text.index(
        "done, 20 May 2016: First grants paid")
    # on a day between the updates, the report shows the status of that day
    run(root, "briefing", "--progress", "--no-verify", "--on", "2016-01-31", "-o",
        str(tmp_path / "jan.pdf"))
    january = " ".join(subprocess.run(["pdftotext", str(tmp_path / "jan.pdf"), "-"],
                                      capture_output=True, text=True, check=True
                                      ).stdout.split())
    assert "2 commitments: 1 agreed, 1 in-progress" in january


def test_a_rescheduled_commitment_is_due_at_its_date_in_force(tmp_path):
    """A commitment due at a meeting that was postponed moves with it (a recorded
    `commitment.rescheduled`, with its evidence): overdue counts from the date in force on
    the day asked, every output gives that date and keeps the first as history, and a
    retracted rescheduling puts the agreed date back."""
    import re
    import subprocess

    root = tmp_path / "a"
    summit(root)  # fund: due June 2016
    missing = run(root, "add", "rescheduling", "--commitment", "fund", "--due", "2017-03",
                  ok=False)
    assert "Error:" in missing and "source" in missing
    run(root, "add", "rescheduling", "--id", "r1", "--commitment", "fund", "--due", "2017-03",
        "--reason", "the summit was postponed", "--at", "2016-05-01", "--source",
        "https://example.org/r1", "--locator", "p2")
    db = Archive(root).build().path

    def overdue(today: str) -> dict[str, tuple[str, int]]:
        return {r["commitment_id"]: (r["due"], r["days_overdue"])
                for r in query(db, "overdue", today=today)}

    assert overdue("2016-12-01") == {}  # it was due June 2016 before it moved
    assert overdue("2017-04-10") == {"fund": ("2017-03", 10), "train": ("2016", 100)}
    with sqlite3.connect(db) as conn:
        assert conn.execute("select due, first_due, reschedulings from commitment_status "
                            "where id = 'fund'").fetchone() == ("2017-03", "2016-06", 1)
    # on a day before it moved, the date in force was the one agreed
    before = Archive(root).build(on="2016-04-01").path
    with sqlite3.connect(before) as conn:
        assert conn.execute("select due from commitment_status where id = 'fund'"
                            ).fetchone() == ("2016-06",)
    html = " ".join(Archive(root).brief(html=True, verify=False).path.read_text().split())
    said = "March 2017 (first due June 2016; moved: the summit was postponed)"
    row = re.search(r'<tr id="fact-fund">.*?</tr>', html)
    assert row is not None and said in row.group(0)
    run(root, "briefing", "--progress", "--no-verify")
    text = " ".join(subprocess.run(
        ["pdftotext", str(root / "exports" / "briefing-progress.pdf"), "-"],
        capture_output=True, text=True, check=True).stdout.split())
    assert f"Due {said}" in text
    run(root, "retract", "r1", "--reason", "misread")
    db = Archive(root).build().path
    assert overdue("2016-12-01") == {"fund": ("2016-06", 154)}


def test_status_changes_appear_in_the_feed(tmp_path):
    import xml.etree.ElementTree as ET

    from servers import http, start

    root = tmp_path / "a"
    summit(root)
    progress(root, "f1", "fund", "in-progress", "2016-01-10", "Fund registered")
    Archive(root).build()
    proc, url = start(root)
    try:
        status_code, body = http(url + "/archive/feed.atom?conference=s1")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert status_code == 200
    atom = "{http://www.w3.org/2005/Atom}"
    titles = [e.findtext(f"{atom}title") for e in ET.fromstring(body.encode()).iter(
        f"{atom}entry")]
    assert titles[0] == "Progress on “Build a fund”: in-progress (Fund registered)"


def test_a_commitments_page_shows_its_status_and_history(tmp_path):
    from servers import http, start

    root = tmp_path / "a"
    summit(root)
    progress(root, "f1", "fund", "in-progress", "2016-01-10", "Fund registered")
    progress(root, "f2", "fund", "done", "2016-05-20", "First grants paid")
    Archive(root).build()
    proc, url = start(root)
    try:
        code, page = http(url + "/archive/commitments/fund")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert code == 200
    text = " ".join(page.split())
    assert "1. Build a fund</h1>" in text and "Status: <b>done</b>, 2016-05-20" in text
    assert text.index("Fund registered") < text.index("First grants paid")
    assert "https://example.org/f2" in text
