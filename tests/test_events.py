"""Event definitions: payload validation, dates, characters and upcasting."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from payloads import MINIMAL

from archive.core.codec import (
    check_envelope,
    parse_draft,
    parse_line,
)
from archive.core.events import (
    REGISTRY,
    ZERO_HASH,
    Source,
    SpeechDelivered,
    make_payload,
    upcast,
)
from archive.errors import InvalidEvent
from archive.store.log import Log
from archive.store.verify import verify


def invalid(type_: str, data: dict[str, Any]) -> str:
    with pytest.raises(InvalidEvent) as info:
        make_payload(type_, data)
    return str(info.value)


# ---------------------------------------------------------------- valid payloads


def test_minimal_covers_every_type() -> None:
    assert set(MINIMAL) == set(REGISTRY)


@pytest.mark.parametrize("type_", sorted(MINIMAL))
def test_minimal_payload_is_valid(type_: str) -> None:
    payload = make_payload(type_, MINIMAL[type_])
    assert type(payload) is REGISTRY[type_]
    assert payload.TYPE == type_


@pytest.mark.parametrize("type_", sorted(MINIMAL))
def test_every_type_is_documented(type_: str) -> None:
    assert len((REGISTRY[type_].__doc__ or "").strip()) > 20


# ---------------------------------------------------------------- invalid payloads

#: (type, one required field) for every type that has one.
REQUIRED = [
    ("conference.held", "name"), ("session.held", "title"), ("session.held", "conference"),
    ("participant.attended", "entity"), ("participant.attended", "kind"),
    ("participant.attended", "name"), ("speech.delivered", "speaker"),
    ("proposal.made", "text"), ("agreement.reached", "title"),
    ("delegation.sent", "country"), ("meeting.held", "participants"),
    ("figure.cited", "value"), ("figure.cited", "counts"), ("followup.scheduled", "name"),
    ("attachment.added", "conference"), ("note.recorded", "text"),
    ("event.corrected", "changes"), ("event.corrected", "target"),
    ("event.retracted", "reason"), ("entities.merged", "kept"), ("entities.merged", "merged"),
]


@pytest.mark.parametrize(("type_", "field"), REQUIRED)
def test_missing_field_is_named(type_: str, field: str) -> None:
    data = {k: v for k, v in MINIMAL[type_].items() if k != field}
    assert invalid(type_, data) == f"field `data.{field}` is required but missing"


#: (type, field, bad value, where the message says the problem is) — one or more per type.
WRONG: list[tuple[str, str, Any, str]] = [
    ("conference.held", "name", 42, "name"),
    ("conference.held", "organisers", "UNDP", "organisers"),
    ("conference.held", "organisers", ["UNDP", "a\x01b"], "organisers[1]"),
    ("session.held", "kind", "banquet", "kind"),
    ("participant.attended", "kind", "alien", "kind"),
    ("participant.attended", "name", "", "name"),
    ("participant.attended", "entity", "has space", "entity"),
    ("speech.delivered", "quotes", ["fine", 7], "quotes[1]"),
    ("speech.delivered", "kind", "sermon", "kind"),
    ("proposal.made", "text", None, "text"),
    ("agreement.reached", "items", ["One."], "items[0]"),
    ("agreement.reached", "points", 0, "points"),
    ("agreement.reached", "kind", "treaty-ish", "kind"),
    ("participant.attended", "status", "spectator", "status"),
    ("source.cited", "kind", "rumour", "kind"),
    ("source.cited", "published", "last week", "published"),
    ("conference.postponed", "planned", "soon", "planned"),
    ("delegation.sent", "members", [{"entity": "e2", "post": ""}], "members[0].post"),
    ("meeting.held", "participants", [], "participants"),
    ("meeting.held", "kind", "dinner", "kind"),
    ("conference.held", "number", 0, "number"),
    ("figure.cited", "value", "12", "value"),
    ("figure.cited", "qualifier", "roughly", "qualifier"),
    ("followup.scheduled", "where", ["Astana"], "where"),
    ("attachment.added", "sha256", "xyz", "sha256"),
    ("note.recorded", "tags", [7], "tags[0]"),
    ("event.corrected", "changes", ["role"], "changes"),
    ("event.retracted", "reason", "", "reason"),
    ("entities.merged", "merged", 3, "merged"),
    ("entities.unmerged", "merge", 3, "merge"),
    ("commitment.made", "due", "by autumn", "due"),
    ("progress.recorded", "status", "finished", "status"),
    ("commitment.rescheduled", "due", "after the summit", "due"),
    ("followup.held", "held_as", 3, "held_as"),
    ("entity.recorded", "kind", "alien", "kind"),
    ("log.key", "public_key", "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
     "public_key"),
    ("log.key", "origin", "has space", "origin"),
    ("translation.recorded", "part", 0, "part"),
    ("speech.delivered", "lang", "kz", "lang"),
]


@pytest.mark.parametrize(("type_", "field", "value", "where"), WRONG,
                         ids=[f"{w[0]}-{w[1]}" for w in WRONG])
def test_wrong_value_names_field_and_value(type_: str, field: str, value: Any,
                                           where: str) -> None:
    got = invalid(type_, {**MINIMAL[type_], field: value})
    assert got.startswith(f"field `data.{where}`")
    shown = (repr(value[int(where[-2])]) if where.endswith("]") else
             repr(value[0]["post"]) if where.endswith(".post") else repr(value))
    assert shown in got


def test_every_type_has_a_wrong_value_case() -> None:
    assert {w[0] for w in WRONG} == set(REGISTRY)


@pytest.mark.parametrize(("type_", "data", "message"), [
    ("event.corrected", {"target": "ev1", "changes": {}},
     "field `data.changes` must name at least one field"),
    ("entities.merged", {"kept": "e1", "merged": "e1"},
     "`data.merged` is the same entity as `kept`"),
])
def test_cross_field_rules(type_: str, data: dict[str, Any], message: str) -> None:
    assert message in invalid(type_, data)


@pytest.mark.parametrize("type_", sorted(MINIMAL))
def test_unknown_field_is_named(type_: str) -> None:
    got = invalid(type_, {**MINIMAL[type_], "colour": "red"})
    assert got == "field `data.colour` is not a field of this event"


def test_unknown_type_lists_the_known_ones() -> None:
    got = invalid("speech.given", {"speaker": "x"})
    assert got.startswith("unknown event type 'speech.given' (known types: agreement.reached,")
    assert "speech.delivered" in got


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(("value", "message"), [
    ("2015-13", "field `data.day` has no month 13: '2015-13'"),
    ("2015-00", "field `data.day` has no month 00: '2015-00'"),
    ("2015-02-30", "field `data.day` has no day 30 in 2015-02: '2015-02-30'"),
    ("2015-02-29", "field `data.day` has no day 29 in 2015-02: '2015-02-29'"),
    ("2015-04-31", "field `data.day` has no day 31 in 2015-04: '2015-04-31'"),
    ("2015-06-29T24:00Z", "field `data.day` has no time 24:00: '2015-06-29T24:00Z'"),
    ("2015-06-29T10:60Z", "field `data.day` has no time 10:60: '2015-06-29T10:60Z'"),
])
def test_impossible_dates_are_rejected(value: str, message: str) -> None:
    assert invalid("session.held", {**MINIMAL["session.held"], "day": value}) == message


@pytest.mark.parametrize("value", ["June 2015", "2015-9", "15-09-01", "2015/09/01",
                                   "2015-09-01 10:00", "2015-06-29T10", ""])
def test_malformed_dates_name_field_and_value(value: str) -> None:
    got = invalid("followup.scheduled", {**MINIMAL["followup.scheduled"], "when": value})
    assert got.startswith("field `data.when`")
    assert repr(value) in got


@pytest.mark.parametrize("value", ["2015", "2015-09", "2015-06-29", "2015-06-29T10:00Z",
                                   "2015-06-29T10:00", "2015-06-29T10:00:30.25+06:00",
                                   "2016-02-29", "2000-02-29"])
def test_partial_dates_and_date_times_are_accepted(value: str) -> None:
    payload = make_payload("conference.held", {"name": "X", "start": value, "end": value})
    assert payload.start == value  # type: ignore[attr-defined]


@pytest.mark.parametrize(("value", "message"), [
    ("2015-13", "field `at` has no month 13: '2015-13'"),
    ("2015-02-30", "field `at` has no day 30 in 2015-02: '2015-02-30'"),
    ("yesterday", "field `at` is not a date: 'yesterday'"),
])
def test_envelope_date_is_checked(value: str, message: str) -> None:
    with pytest.raises(InvalidEvent, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        check_envelope(id=None, at=value, source=None)
    line = json.dumps({"type": "note.recorded", "data": MINIMAL["note.recorded"], "at": value})
    with pytest.raises(InvalidEvent, match=repr(value)):
        parse_draft(line.encode())


# ---------------------------------------------------------------- numbers and characters


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_figures_are_rejected(value: float) -> None:
    got = invalid("figure.cited", {**MINIMAL["figure.cited"], "value": value})
    assert got == f"field `data.value` must be a finite number, not {value!r}"


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f", "\r"])
def test_control_characters_in_text_are_rejected(char: str) -> None:
    text = f"before{char}after"
    got = invalid("note.recorded", {**MINIMAL["note.recorded"], "text": text})
    assert got == (f"field `data.text` holds the control character U+{ord(char):04X}, "
                   f"which is not allowed (got {text!r})")


@pytest.mark.parametrize("char", ["\n", "\t", "\x01"])
def test_names_are_one_line_without_control_characters(char: str) -> None:
    name = f"Karim{char}Massimov"
    got = invalid("participant.attended", {**MINIMAL["participant.attended"], "name": name})
    assert got == (f"field `data.name` holds the control character U+{ord(char):04X}, "
                   f"which is not allowed (got {name!r})")


def test_text_keeps_newlines_and_tabs() -> None:
    payload = make_payload("note.recorded", {**MINIMAL["note.recorded"],
                                             "text": "line one\n\tline two"})
    assert payload.text == "line one\n\tline two"  # type: ignore[attr-defined]


def test_control_characters_in_source_and_id_are_rejected() -> None:
    with pytest.raises(InvalidEvent, match=r"^field `source.url` .*U\+0007.*'a\\x07b'"):
        check_envelope(id=None, at=None, source=Source(url="a\x07b"))
    with pytest.raises(InvalidEvent, match=r"^field `id` is not a valid id .*'has space'$"):
        check_envelope(id="has space", at=None, source=None)
    with pytest.raises(InvalidEvent, match=r"^field `recorded_by` .*U\+001B"):
        check_envelope(id=None, at=None, source=None, recorded_by="me\x1b")


# ---------------------------------------------------------------- upcasting


def _raw_line(obj: dict[str, Any]) -> bytes:
    """A log line as an older archive version would have written it (hash computed here)."""
    body = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()
    digest = hashlib.sha256(body).hexdigest()
    return body[:-1] + b',"hash":"' + digest.encode() + b'"}'


def _v1_log(root: Path) -> tuple[Path, bytes]:
    """A log with a conference, a participant and a version-1 speech (single `quote`)."""
    log = Log(root)
    log.init()
    prev, lines = ZERO_HASH, []
    for seq, (ident, type_, v, data) in enumerate([
        ("c1", "conference.held", 1, {"name": "Astana"}),
        ("p1", "participant.attended", 1, {"conference": "c1", "entity": "e1",
                                           "kind": "person", "name": "Karim Massimov"}),
        ("s1", "speech.delivered", 1, {"conference": "c1", "speaker": "e1",
                                       "quote": "We have to join our forces."}),
        ("s2", "speech.delivered", 1, {"conference": "c1", "speaker": "e1"}),
    ], 1):
        line = _raw_line({"id": ident, "seq": seq, "type": type_, "v": v, "at": None,
                          "recorded_at": "2015-07-01", "recorded_by": "old", "source": None,
                          "data": data, "prev": prev})
        prev = hashlib.sha256(line[:-(len(',"hash":"') + 64 + 2)] + b"}").hexdigest()
        lines.append(line)
    blob = b"\n".join(lines) + b"\n"
    log.path.write_bytes(blob)
    return log.path, blob


def test_v1_speech_is_read_as_v2(tmp_path: Path) -> None:
    path, blob = _v1_log(tmp_path)
    events = list(Log(tmp_path))
    speech = events[2]
    assert isinstance(speech.data, SpeechDelivered)
    assert speech.v == 2
    assert speech.data.quotes == ["We have to join our forces."]
    assert events[3].data.quotes == []  # type: ignore[attr-defined]
    assert verify(Log(tmp_path)).events == 4
    assert path.read_bytes() == blob  # reading never rewrites the log


def test_v1_line_keeps_its_hash_and_later_appends_chain_on_it(tmp_path: Path) -> None:
    from archive.append.recorder import Recorder

    path, blob = _v1_log(tmp_path)
    Recorder(Log(tmp_path), "tests").add("note.recorded", {"text": "after"}, conference="c1")
    data = path.read_bytes()
    assert data.startswith(blob)  # old lines untouched
    assert verify(Log(tmp_path)).events == 5
    assert parse_line(data.splitlines()[2]).data.quotes == ["We have to join our forces."]


def test_upcast_refuses_a_newer_version() -> None:
    with pytest.raises(InvalidEvent, match="version 3 is newer than this archive knows"):
        upcast("speech.delivered", 3, {})


def test_v1_import_line_is_upcast() -> None:
    line = json.dumps({"type": "speech.delivered", "v": 1,
                       "data": {"conference": "c1", "speaker": "e1", "quote": "Q"}})
    _, payload = parse_draft(line.encode())
    assert payload == SpeechDelivered(conference="c1", speaker="e1", quotes=["Q"])
