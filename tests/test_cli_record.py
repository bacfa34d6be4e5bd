"""The recording and reading commands through click's CliRunner: init, add (every kind),
name resolution, import, correct, retract, merge, log, show, verify, repair."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import Result
from helpers import CONFERENCE_ID, CONFERENCE_NAME, PYTHON, archive_env

from archive.core.events import Event
from archive.store.log import Log

RunCli = Callable[..., Result]


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


def events(root: Path) -> list[Event]:
    return list(Log(root))


def by_id(root: Path, ident: str) -> Event:
    return next(e for e in events(root) if e.id == ident)


def data(event: Event) -> dict[str, Any]:
    return msgspec.to_builtins(event.data)  # type: ignore[no-any-return]


def new_ids(result: Result) -> list[str]:
    return [line.split("\t")[1] for line in result.stdout.splitlines()]


# ---------------------------------------------------------------- init


def test_init_creates_an_empty_archive(tmp_path: Path, run_cli: RunCli) -> None:
    target = tmp_path / "astana-2015"
    result = ok(run_cli("init", str(target)))
    assert result.stdout == f"created {target}\n"
    assert (target / "events" / "events.jsonl").read_bytes() == b""
    assert (target / "exports").is_dir()
    again = ok(run_cli("init", str(target)))
    assert again.stdout == f"already an archive: {target}\n"
    empty = ok(run_cli("verify", root=target)).stdout
    assert empty == f"ok: 0 events, head seq 0, hash {'0' * 64}\n"


def test_init_uses_the_archive_option(tmp_path: Path, run_cli: RunCli) -> None:
    ok(run_cli("init", root=tmp_path / "here"))
    assert (tmp_path / "here" / "events" / "events.jsonl").exists()


def test_commands_need_an_archive(tmp_path: Path, run_cli: RunCli) -> None:
    for command in (["log"], ["verify"], ["add", "note", "--text", "x"], ["repair"]):
        result = run_cli(*command, root=tmp_path / "nowhere")
        assert result.exit_code == 1
        assert result.stderr == (f"Error: {tmp_path / 'nowhere'} is not an archive (no events/ "
                                 "folder); run `archive init` or pass --archive DIR\n")
    assert not (tmp_path / "nowhere").exists()


# ---------------------------------------------------------------- add, every kind


def test_add_conference(tmp_path: Path, run_cli: RunCli) -> None:
    empty_archive = tmp_path / "fresh"
    ok(run_cli("init", str(empty_archive)))
    result = ok(run_cli("add", "conference", "--name", "Astana Regional Conference",
                        "--place", "Astana", "--start", "2015-06-29", "--end", "2015-06-30",
                        "--organiser", "Government of Kazakhstan", "--organiser", "UNDP",
                        "--supporter", "EU", "--description", "Two days.",
                        "--source", "https://example.org/report", "--locator", "p1",
                        "--id", "astana", root=empty_archive))
    assert result.stdout == "1\tastana\tconference.held\n"
    event = by_id(empty_archive, "astana")
    assert data(event) == {"name": "Astana Regional Conference", "place": "Astana",
                           "start": "2015-06-29", "end": "2015-06-30",
                           "organisers": ["Government of Kazakhstan", "UNDP"],
                           "supporters": ["EU"], "description": "Two days."}
    assert (event.source.url, event.source.locator) == ("https://example.org/report", "p1")
    assert event.recorded_by == "tests"


def test_add_session_with_chair_and_parent(archive_dir: Path, run_cli: RunCli) -> None:
    ok(run_cli("add", "session", "--title", "Day one", "--kind", "plenary", "--day",
               "2015-06-29", "--id", "day1"))
    result = ok(run_cli("add", "session", "--title", "Energy panel", "--kind", "panel",
                        "--day", "2015-06-29", "--chair", "Erlan Idrissov", "--parent",
                        "day one", "--id", "energy"))
    assert "chair: new person 'Erlan Idrissov'" in result.stderr
    event = by_id(archive_dir, "energy")
    chair = data(event)["chair"]
    assert data(event) == {"conference": CONFERENCE_ID, "title": "Energy panel",
                           "day": "2015-06-29", "chair": chair, "parent": "day1"}
    assert event.data.kind == "panel"  # type: ignore[attr-defined]  (the default: omitted)
    assert data(by_id(archive_dir, "day1"))["kind"] == "plenary"


def test_add_participant(archive_dir: Path, run_cli: RunCli) -> None:
    result = ok(run_cli("add", "participant", "--kind", "person", "--name", "Helen Clark",
                        "--role", "UNDP Administrator", "--affiliation", "UNDP",
                        "--country", "New Zealand", "--category", "international body",
                        "--json"))
    out = json.loads(result.stdout)
    # the organisation and the country are named, not said to take part: each is
    # recorded on its own, and only Helen Clark is a participant
    assert [e["type"] for e in out] == ["entity.recorded"] * 2 + ["participant.attended"]
    assert all(e["written"] for e in out)
    assert "affiliation: new organisation 'UNDP'" in result.stderr
    assert "country: new country 'New Zealand'" in result.stderr
    assert "new person 'Helen Clark'" in result.stderr
    person = data(by_id(archive_dir, out[-1]["id"]))
    org = data(by_id(archive_dir, out[0]["id"]))
    assert org["kind"] == "organisation" and org["name"] == "UNDP"
    assert person["affiliation"] == org["entity"]
    assert person["role"] == "UNDP Administrator"
    assert person["category"] == "international body"


def test_add_speech(archive_dir: Path, run_cli: RunCli) -> None:
    ok(run_cli("add", "session", "--title", "Opening", "--id", "opening"))
    result = ok(run_cli("add", "speech", "--speaker", "Karim Massimov", "--role",
                        "Prime Minister", "--affiliation", "Government of Kazakhstan",
                        "--session", "Opening", "--kind", "opening", "--summary",
                        "Called for cooperation.", "--quote", "We have to join our forces.",
                        "--quote", "Second quote.", "--at", "2015-06-29T10:00Z",
                        "--id", "sp1"))
    assert result.stdout.splitlines()[-1] == "5\tsp1\tspeech.delivered"
    speech = data(by_id(archive_dir, "sp1"))
    assert speech["quotes"] == ["We have to join our forces.", "Second quote."]
    assert speech["session"] == "opening" and speech["kind"] == "opening"
    speaker = next(e for e in events(archive_dir) if e.type == "participant.attended"
                   and e.data.name == "Karim Massimov")  # type: ignore[attr-defined]
    # a new speaker takes the role and affiliation the speech gives them
    assert speaker.data.role == "Prime Minister"  # type: ignore[attr-defined]
    assert speaker.data.affiliation == speech["affiliation"]  # type: ignore[attr-defined]
    assert by_id(archive_dir, "sp1").at == "2015-06-29T10:00Z"


def entity_named(root: Path, name: str) -> str:
    """The entity id the first participation of `name` created."""
    return next(e.data.entity for e in events(root)  # type: ignore[attr-defined]
                if e.type == "participant.attended" and e.data.name == name)


def test_add_proposal_agreement_figure_followup_note(archive_dir: Path,
                                                     run_cli: RunCli) -> None:
    ok(run_cli("add", "proposal", "--text", "A regional transport hub.", "--topic",
               "transport", "--proposer", "Karim Massimov", "--id", "prop"))
    ok(run_cli("add", "agreement", "--title", "Astana Declaration", "--item", "First.",
               "--item", "Second.", "--item", "Third.", "--party", "Kazakhstan",
               "--party", "UNDP", "--id", "agr"))
    ok(run_cli("add", "figure", "--value", "1.5", "--unit", "billion USD", "--counts",
               "investment", "--qualifier", "more than", "--cited-by", "karim massimov",
               "--id", "fig"))
    ok(run_cli("add", "followup", "--name", "Next conference", "--when", "2016-09",
               "--where", "Almaty", "--id", "fol"))
    ok(run_cli("add", "note", "--text", "Line one.\nLine two.", "--tag", "weather",
               "--id", "note"))
    assert data(by_id(archive_dir, "agr"))["items"] == [
        {"n": 1, "text": "First."}, {"n": 2, "text": "Second."}, {"n": 3, "text": "Third."}]
    kz, undp = (entity_named(archive_dir, n) for n in ("Kazakhstan", "UNDP"))
    assert data(by_id(archive_dir, "agr"))["parties"] == [kz, undp]
    figure = data(by_id(archive_dir, "fig"))
    assert (figure["value"], figure["qualifier"]) == (1.5, "more than")
    assert figure["cited_by"] == data(by_id(archive_dir, "prop"))["proposer"]
    assert data(by_id(archive_dir, "fol"))["when"] == "2016-09"
    assert data(by_id(archive_dir, "note"))["text"] == "Line one.\nLine two."
    ok(run_cli("verify"))


def test_add_attachment_stores_the_file_content_addressed(archive_dir: Path, tmp_path: Path,
                                                          run_cli: RunCli) -> None:
    photo = tmp_path / "podium.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg \xff\xd9")
    sha = hashlib.sha256(photo.read_bytes()).hexdigest()
    ok(run_cli("add", "attachment", "--file", str(photo), "--caption", "At the podium.",
               "--credit", "Astana Times", "--kind", "photo", "--id", "att"))
    stored = archive_dir / "events" / "attachments" / sha
    assert stored.read_bytes() == photo.read_bytes()
    assert data(by_id(archive_dir, "att")) == {
        "conference": CONFERENCE_ID, "sha256": sha, "filename": "podium.jpg",
        "media_type": "image/jpeg", "caption": "At the podium.", "credit": "Astana Times"}
    # a caption without the file
    ok(run_cli("add", "attachment", "--caption", "Group photo (file lost).", "--id", "att2"))
    assert "sha256" not in data(by_id(archive_dir, "att2"))


def test_add_json_output(run_cli: RunCli) -> None:
    result = ok(run_cli("add", "note", "--text", "x", "--id", "n1", "--json"))
    [row] = json.loads(result.stdout)
    assert row["id"] == "n1" and row["seq"] == 2 and row["type"] == "note.recorded"
    assert row["written"] is True and len(row["hash"]) == 64
    again = json.loads(ok(run_cli("add", "note", "--text", "x", "--id", "n1", "--json")).stdout)
    assert again == [{**row, "written": False}]


# ---------------------------------------------------------------- name resolution


@pytest.mark.parametrize("spelling", [
    "karim massimov", "KARIM MASSIMOV", "  Karim   Massimov ", "Karim\u00a0Massimov",
    "\uff2barim \uff2dassimov",  # fullwidth K and M: NFKC-equivalent
])
def test_equivalent_spellings_resolve_to_the_same_id(archive_dir: Path, run_cli: RunCli,
                                                     spelling: str) -> None:
    first = ok(run_cli("add", "participant", "--kind", "person", "--name", "Karim Massimov",
                       "--source", "urn:r"))
    assert first.stderr.startswith("new person 'Karim Massimov' (")
    entity = first.stderr.split("(")[1].split(")")[0]
    again = ok(run_cli("add", "participant", "--kind", "person", "--name", spelling,
                       "--source", "urn:r"))
    assert again.stderr == f"known person {spelling!r} ({entity})\n"
    speech = ok(run_cli("add", "speech", "--speaker", spelling, "--summary", "Hi.",
                        "--source", "urn:r"))
    assert speech.stderr == f"speaker: known person 'Karim Massimov' ({entity})\n"
    assert data(events(archive_dir)[-1])["speaker"] == entity
    # the spelling as given is kept verbatim on the participation line
    assert events(archive_dir)[-2].data.name == spelling  # type: ignore[attr-defined]


def test_casefold_matches_eszett(run_cli: RunCli) -> None:
    first = ok(run_cli("add", "participant", "--kind", "organisation", "--name", "Straße AG"))
    again = ok(run_cli("add", "participant", "--kind", "organisation", "--name", "STRASSE AG"))
    assert first.stderr.split("(")[1] == again.stderr.split("(")[1]
    assert again.stderr.startswith("known organisation")


def test_other_scripts_are_stored_verbatim_as_new_names(archive_dir: Path,
                                                        run_cli: RunCli) -> None:
    latin = ok(run_cli("add", "speech", "--speaker", "Karim Massimov", "--summary", "a"))
    cyrillic = ok(run_cli("add", "speech", "--speaker", "Карим Масимов", "--summary", "b"))
    assert latin.stderr.startswith("speaker: new person 'Karim Massimov'")
    assert cyrillic.stderr.startswith("speaker: new person 'Карим Масимов'")
    raw = Log(archive_dir).path.read_bytes()
    assert "Карим Масимов".encode() in raw  # UTF-8, not \u escapes
    again = ok(run_cli("add", "speech", "--speaker", "КАРИМ МАСИМОВ", "--summary", "c"))
    assert again.stderr.startswith("speaker: known person 'Карим Масимов'")
    kazakh = ok(run_cli("add", "participant", "--kind", "country", "--name", "Қазақстан"))
    assert kazakh.stderr.startswith("new country 'Қазақстан'")


def test_names_are_matched_within_their_kind(run_cli: RunCli) -> None:
    ok(run_cli("add", "participant", "--kind", "country", "--name", "Georgia"))
    person = ok(run_cli("add", "participant", "--kind", "person", "--name", "Georgia"))
    assert person.stderr.startswith("new person 'Georgia'")


# ---------------------------------------------------------------- conferences


def test_conference_defaults_to_the_latest(archive_dir: Path, run_cli: RunCli) -> None:
    ok(run_cli("add", "conference", "--name", "Almaty Follow-up", "--id", "almaty"))
    ok(run_cli("add", "note", "--text", "default", "--id", "n1"))
    ok(run_cli("add", "note", "--text", "by name", "--conference",
               "astana regional conference", "--id", "n2"))
    ok(run_cli("add", "note", "--text", "by id", "--conference", CONFERENCE_ID, "--id", "n3"))
    assert data(by_id(archive_dir, "n1"))["conference"] == "almaty"
    assert data(by_id(archive_dir, "n2"))["conference"] == CONFERENCE_ID
    assert data(by_id(archive_dir, "n3"))["conference"] == CONFERENCE_ID


def test_conference_defaults_to_the_only_one(archive_dir: Path, run_cli: RunCli) -> None:
    ok(run_cli("add", "note", "--text", "x", "--id", "n1"))
    assert data(by_id(archive_dir, "n1"))["conference"] == CONFERENCE_ID


def test_no_conference_yet(tmp_path: Path, run_cli: RunCli) -> None:
    empty_archive = tmp_path / "fresh"
    ok(run_cli("init", str(empty_archive)))
    result = run_cli("add", "note", "--text", "x", root=empty_archive)
    assert result.exit_code == 1
    assert result.stderr == ("Error: no conference recorded yet; start with "
                             "`archive add conference`\n")
    assert Log(empty_archive).path.read_bytes() == b""


def test_sessions_are_found_in_their_conference(archive_dir: Path, run_cli: RunCli) -> None:
    ok(run_cli("add", "session", "--title", "Opening", "--id", "s-astana"))
    ok(run_cli("add", "conference", "--name", "Other", "--id", "other"))
    result = run_cli("add", "note", "--text", "x", "--session", "Opening")
    assert result.exit_code == 1
    assert result.stderr == ("Error: no session titled 'Opening' in this conference; record "
                             "it first with `archive add session`\n")
    ok(run_cli("add", "note", "--text", "x", "--session", "opening", "--conference",
               CONFERENCE_NAME, "--id", "n1"))
    assert data(by_id(archive_dir, "n1"))["session"] == "s-astana"


# ---------------------------------------------------------------- import


def _jsonl(*rows: dict[str, Any]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def test_import_json_lines_with_ids(archive_dir: Path, tmp_path: Path,
                                    run_cli: RunCli) -> None:
    path = tmp_path / "notes.jsonl"
    path.write_text(_jsonl(
        {"id": "s1", "type": "session.held", "data": {"conference": CONFERENCE_ID,
                                                      "title": "Panel"}},
        {"id": "n1", "type": "note.recorded", "at": "2015-06", "data": {
            "conference": CONFERENCE_ID, "text": "Заметка", "session": "s1"},
         "source": {"url": "urn:notes", "locator": "p2"}},
        {"type": "note.recorded", "data": {"conference": CONFERENCE_ID, "text": "no id"}},
    ) + "\n", encoding="utf-8")  # a blank line is skipped
    result = ok(run_cli("import", str(path)))
    assert result.stdout == "imported 3 events (sequence 2-4)\n"
    assert result.stderr == ""  # not a terminal: no progress bar
    note = by_id(archive_dir, "n1")
    assert (note.at, note.source.url, note.source.locator) == ("2015-06", "urn:notes", "p2")
    assert data(note)["text"] == "Заметка"
    assert {e.recorded_by for e in events(archive_dir)[1:]} == {"tests"}


def test_import_from_stdin_with_old_versions(archive_dir: Path, run_cli: RunCli) -> None:
    body = _jsonl(
        {"id": "p1", "type": "participant.attended", "data": {
            "conference": CONFERENCE_ID, "entity": "e1", "kind": "person", "name": "A"}},
        {"id": "sp", "type": "speech.delivered", "v": 1, "data": {
            "conference": CONFERENCE_ID, "speaker": "e1", "quote": "Old style quote."}},
    )
    result = ok(run_cli("import", "-", input=body))
    assert result.stdout == "imported 2 events (sequence 2-3)\n"
    speech = by_id(archive_dir, "sp")
    assert speech.v == 2 and data(speech)["quotes"] == ["Old style quote."]


def test_large_import_is_quiet_without_a_terminal(archive_dir: Path, run_cli: RunCli) -> None:
    body = "".join(json.dumps({"type": "note.recorded", "data": {
        "conference": CONFERENCE_ID, "text": f"note {i}"}}) + "\n" for i in range(12_000))
    result = ok(run_cli("import", "-", input=body))
    assert result.stdout == "imported 12000 events (sequence 2-12001)\n"
    assert result.stderr == ""
    assert Log(archive_dir).head().seq == 12_001


# ---------------------------------------------------------------- correct, retract, merge


def test_correct_with_text_and_json_values(archive_dir: Path, run_cli: RunCli) -> None:
    ok(run_cli("add", "figure", "--value", "3", "--counts", "jobs", "--id", "fig"))
    result = ok(run_cli("correct", "fig", "--set", "value=12.5", "--set", "unit=million USD",
                        "--set", "counts=new jobs, 2016", "--reason", "misread",
                        "--source", "urn:report", "--locator", "p9"))
    fix = events(archive_dir)[-1]
    assert result.stdout == f"{fix.seq}\t{fix.id}\tevent.corrected\n"
    assert data(fix) == {"target": "fig", "changes": {
        "value": 12.5, "unit": "million USD", "counts": "new jobs, 2016"}, "reason": "misread"}
    ok(run_cli("add", "agreement", "--title", "Decl", "--item", "One", "--id", "agr"))
    ok(run_cli("add", "participant", "--kind", "country", "--name", "Kazakhstan"))
    ok(run_cli("correct", "agr", "--set", 'items=["One", "Two"]', "--set",
               'parties=["Kazakhstan"]', "--set", "title=[not JSON, text]"))
    kz = entity_named(archive_dir, "Kazakhstan")
    assert data(events(archive_dir)[-1])["changes"] == {
        "items": [{"n": 1, "text": "One"}, {"n": 2, "text": "Two"}], "parties": [kz],
        "title": "[not JSON, text]"}
    ok(run_cli("correct", "agr", "--set", "items=3=Three", "--set", "items=Four",
               "--set", "party_names=all", "--set", "party_names=of them"))
    assert data(events(archive_dir)[-1])["changes"] == {
        "items": [{"n": 3, "text": "Three"}, {"n": 4, "text": "Four"}],
        "party_names": ["all", "of them"]}
    # the original lines are untouched
    assert data(by_id(archive_dir, "fig"))["value"] == 3.0
    ok(run_cli("verify"))


def test_correct_rejects_bad_values(run_cli: RunCli, log_bytes: Callable[[], bytes]) -> None:
    ok(run_cli("add", "figure", "--value", "3", "--counts", "jobs", "--id", "fig"))
    before = log_bytes()
    cases = [
        (["--set", "value=lots"], "Error: field `changes.value`: 'lots' is not a value of "
                                  "this field; for example --set value=12\n"),
        (["--set", 'value="3"'],
         "Error: field `data.value` must be a number (got '3')\n"),
        (["--set", "value=NaN"], "Error: field `changes.value`: 'NaN' is not a value of "
                                 "this field; for example --set value=12\n"),
        (["--set", "qualifier=roughly"],
         "Error: field `data.qualifier` must be one of 'about', 'at least', 'exactly', "
         "'fewer than', 'more than', 'up to' (or null) (got 'roughly')\n"),
    ]
    for args, message in cases:
        result = run_cli("correct", "fig", *args)
        assert (result.exit_code, result.stderr) == (1, message)
    usage = run_cli("correct", "fig", "--set", "no-equals-sign")
    assert usage.exit_code == 2
    assert "--set takes FIELD=VALUE, not 'no-equals-sign'" in usage.stderr
    assert run_cli("correct", "fig").exit_code == 2  # --set is required
    assert log_bytes() == before


def test_retract(archive_dir: Path, run_cli: RunCli) -> None:
    ok(run_cli("add", "note", "--text", "recorded twice", "--id", "dup"))
    result = ok(run_cli("retract", "dup", "--reason", "Recorded twice.", "--json"))
    [row] = json.loads(result.stdout)
    fix = by_id(archive_dir, row["id"])
    assert fix.type == "event.retracted"
    assert data(fix) == {"target": "dup", "reason": "Recorded twice."}
    assert run_cli("retract", "dup").exit_code == 2  # --reason is required


def test_merge_by_names(archive_dir: Path, run_cli: RunCli) -> None:
    kept = ok(run_cli("add", "participant", "--kind", "person", "--name", "Karim Massimov",
                      "--source", "urn:r"))
    gone = ok(run_cli("add", "participant", "--kind", "person", "--name", "Karim Masimov",
                      "--new", "--source", "urn:r"))
    kept_id = kept.stderr.split("(")[1].rstrip(")\n")
    gone_id = gone.stderr.split("(")[1].rstrip(")\n")
    assert kept_id != gone_id
    ok(run_cli("merge", "karim massimov", "KARIM MASIMOV", "--reason", "One person."))
    merge = events(archive_dir)[-1]
    assert merge.type == "entities.merged"
    assert data(merge) == {"kept": kept_id, "merged": gone_id, "reason": "One person."}
    # the merged spelling now resolves to the kept id
    speech = ok(run_cli("add", "speech", "--speaker", "Karim Masimov", "--summary", "x",
                        "--source", "urn:r"))
    assert speech.stderr == f"speaker: known person 'Karim Massimov' ({kept_id})\n"
    assert data(events(archive_dir)[-1])["speaker"] == kept_id
    # merged again: both earlier spellings follow the chain to the entity kept last
    last = ok(run_cli("add", "participant", "--kind", "person", "--name", "K. Massimov",
                      "--new", "--source", "urn:r"))  # close to Karim Massimov, but meant
    last_id = last.stderr.split("(")[1].rstrip(")\n")
    ok(run_cli("merge", "K. Massimov", "Karim Massimov"))
    for spelling in ("Karim Masimov", "karim massimov"):
        ok(run_cli("add", "speech", "--speaker", spelling, "--summary", "y"))
        assert data(events(archive_dir)[-1])["speaker"] == last_id
    ok(run_cli("verify"))


def test_merge_errors(run_cli: RunCli, log_bytes: Callable[[], bytes]) -> None:
    ok(run_cli("add", "participant", "--kind", "person", "--name", "Georgia Smith"))
    ok(run_cli("add", "participant", "--kind", "country", "--name", "Georgia"))
    before = log_bytes()
    result = run_cli("merge", "Georgia Smith", "Nobody")
    assert (result.exit_code, result.stderr) == (
        1, "Error: no person, organisation or country named 'Nobody'\n")
    result = run_cli("merge", "Georgia Smith", "Georgia")
    assert (result.exit_code, result.stderr) == (1, "Error: cannot merge a country into a "
                                                    "person\n")
    result = run_cli("merge", "Georgia", "georgia")
    assert result.exit_code == 1
    assert "are one entity already" in result.stderr
    assert log_bytes() == before


# ---------------------------------------------------------------- log, show, verify, repair


@pytest.fixture
def recorded(archive_dir: Path, run_cli: RunCli) -> Path:
    ok(run_cli("add", "session", "--title", "Opening", "--id", "s1"))
    ok(run_cli("add", "speech", "--speaker", "Karim Massimov", "--session", "Opening",
               "--summary", "Welcome.", "--id", "sp1"))
    ok(run_cli("add", "speech", "--speaker", "Helen Clark", "--summary", "Thanks.",
               "--id", "sp2"))
    ok(run_cli("add", "conference", "--name", "Almaty", "--id", "almaty"))
    ok(run_cli("add", "note", "--text", "Elsewhere.", "--id", "n1"))
    ok(run_cli("retract", "sp2", "--reason", "wrong speaker"))
    return archive_dir  # seq: 1 conf, 2 s1, 3 person, 4 sp1, 5 person, 6 sp2, 7 almaty, 8 n1, 9 fix


def _seqs(result: Result) -> list[int]:
    return [int(line.split()[0]) for line in result.stdout.splitlines()
            if line.strip()[:1].isdigit()]


def test_log_lists_everything_with_the_head(recorded: Path, run_cli: RunCli) -> None:
    result = ok(run_cli("log"))
    lines = result.stdout.splitlines()
    assert _seqs(result) == list(range(1, 10))
    head = Log(recorded).head()
    assert lines[-1] == f"head: seq 9, hash {head.hash}"
    assert "sp1" in lines[3] and "speech.delivered" in lines[3]
    assert "Karim Massimov (remark): Welcome." in lines[3]


@pytest.mark.parametrize(("args", "seqs"), [
    (["--type", "speech.delivered"], [4, 6]),
    (["--type", "speech.delivered", "--type", "note.recorded"], [4, 6, 8]),
    (["--person", "karim massimov"], [3, 4]),
    (["--conference", "Almaty"], [7, 8]),
    (["--conference", CONFERENCE_ID], [1, 2, 3, 4, 5, 6]),
    (["--from", "3", "--to", "5"], [3, 4, 5]),
    (["--from", "8"], [8, 9]),
    (["--to", "2"], [1, 2]),
    (["--type", "participant.attended", "--conference", CONFERENCE_NAME], [3, 5]),
])
def test_log_filters(recorded: Path, run_cli: RunCli, args: list[str], seqs: list[int]) -> None:
    assert _seqs(ok(run_cli("log", *args))) == seqs


def test_log_json_is_the_log(recorded: Path, run_cli: RunCli) -> None:
    result = ok(run_cli("log", "--json", "--type", "speech.delivered"))
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["sp1", "sp2"]
    raw = {json.loads(line)["id"]: json.loads(line)
           for line in Log(recorded).path.read_text(encoding="utf-8").splitlines()}
    assert rows == [raw["sp1"], raw["sp2"]]


def test_log_errors(recorded: Path, run_cli: RunCli) -> None:
    result = run_cli("log", "--conference", "Davos")
    assert (result.exit_code, result.stderr) == (1, "Error: no conference 'Davos'\n")
    assert run_cli("log", "--type", "speech").exit_code == 2
    assert run_cli("log", "--from", "x").exit_code == 2


def test_show(recorded: Path, run_cli: RunCli) -> None:
    result = ok(run_cli("show", "sp2"))
    body, _, rest = result.stdout.partition("\n}\n")
    event = json.loads(body + "\n}")
    assert event["id"] == "sp2" and event["seq"] == 6
    fix = events(recorded)[-1]
    assert rest == (f"event.retracted at seq 9 ({fix.id}): "
                    '{"target": "sp2", "reason": "wrong speaker"}\n')
    missing = run_cli("show", "nope")
    assert (missing.exit_code, missing.stderr) == (1, "Error: no event with id 'nope'\n")


def test_verify_prints_the_head_hash(recorded: Path, run_cli: RunCli) -> None:
    head = Log(recorded).head()
    result = ok(run_cli("verify"))
    assert result.stdout == f"ok: 9 events, head seq 9, hash {head.hash}\n"


def test_repair_with_nothing_to_do(recorded: Path, run_cli: RunCli) -> None:
    before = Log(recorded).path.read_bytes()
    result = ok(run_cli("repair"))
    assert result.stdout == "nothing to repair: the log ends with a complete line\n"
    assert Log(recorded).path.read_bytes() == before


def test_usage_errors_exit_2(run_cli: RunCli) -> None:
    for args in (["frobnicate"], ["add"], ["add", "note", "--text"], ["show"],
                 ["merge", "only-one"], ["log", "--bogus"], ["import", "a", "b"]):
        result = run_cli(*args)
        assert result.exit_code == 2, args
        assert result.stdout == "" or result.stdout.startswith("Usage:")


def test_help_for_every_add_kind(run_cli: RunCli) -> None:
    kinds = ["agreement", "attachment", "conference", "figure", "followup", "note",
             "participant", "proposal", "session", "speech"]
    listing = ok(run_cli("add", "--help")).stdout
    for kind in kinds:
        assert kind in listing
        assert "--expect-seq" in ok(run_cli("add", kind, "--help")).stdout


# ---------------------------------------------------------------- the add path stays light

HEAVY = "{'datasette', 'weasyprint', 'sqlite_utils'}"


def test_add_does_not_import_heavy_libraries(archive_dir: Path) -> None:
    code = (
        "import sys\n"
        "from archive.cli import cli\n"
        f"cli.main(['--archive', {str(archive_dir)!r}, 'add', 'note', '--text', 'light',"
        " '--id', 'light'], standalone_mode=False)\n"
        f"print([m for m in sys.modules if m.split('.')[0] in {HEAVY}])\n"
        "print([m for m in sys.modules if m.startswith('archive.briefing')])\n"
    )
    proc = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, timeout=60,
                          env=archive_env(archive_dir))
    assert proc.returncode == 0, proc.stderr
    # nor the briefing's catalogues: they load only when a briefing is written
    assert proc.stdout.splitlines() == ["2\tlight\tnote.recorded", "[]", "[]"]


def test_verify_and_log_do_not_import_heavy_libraries(archive_dir: Path) -> None:
    code = (
        "import sys\n"
        "from archive.cli import cli\n"
        f"for args in (['verify'], ['log'], ['import', '-']):\n"
        f"    cli.main(['--archive', {str(archive_dir)!r}, *args], standalone_mode=False)\n"
        f"print([m for m in sys.modules if m.split('.')[0] in {HEAVY}])\n"
    )
    proc = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, timeout=60,
                          env=archive_env(archive_dir), input="")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "[]"
