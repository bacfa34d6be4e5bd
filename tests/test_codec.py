"""The line codec: one log line to one event and back (hashes, verbatim text in any
script), and the one-pass import parser agreeing with the general one."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from helpers import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from payloads import MINIMAL

from archive.core.codec import (
    _parse_line,
    content_digest,
    encode_event,
    line_hash,
    parse_draft,
    parse_import_line,
    parse_line,
)
from archive.core.events import (
    PAYLOADS,
    REGISTRY,
    ZERO_HASH,
    Event,
    Source,
    make_payload,
)
from archive.errors import InvalidEvent

# ---------------------------------------------------------------- the fast import path


_IMPORT_LINES = [
    *(json.dumps({"type": t, "data": d, "id": "x-1", "at": "2015-06",
                  "source": {"url": "urn:r", "locator": "p1"}}) for t, d in MINIMAL.items()),
    json.dumps({"type": "speech.delivered", "v": 1, "data": {"conference": "c", "speaker": "s",
                                                             "quote": "Q"}}),
    json.dumps({"type": "note.recorded", "data": {"conference": "c", "text": "a\u0001b"}}),
    json.dumps({"type": "note.recorded", "data": {"conference": "c", "text": "tab\tok"}}),
    json.dumps({"type": "note.recorded", "data": {"conference": "c"}}),
    json.dumps({"type": "note.recorded", "data": {"conference": "c", "text": "x"},
                "id": "bad id"}),
    json.dumps({"type": "note.recorded", "data": {"conference": "c", "text": "x"},
                "at": "2015-02-30"}),
    json.dumps({"type": "nothing.happened", "data": {}}),
    json.dumps({"type": "note.recorded", "data": {"conference": "c", "text": "x"}, "seq": 4}),
    '{"type": "figure.cited", "data": {"conference": "c", "counts": "x", "value": NaN}}',
    "not json",
]


def _log_line(type_: str = "note.recorded", data: Any = None, **envelope: Any) -> bytes:
    """A log line with a true hash, whatever its fields hold (nothing is validated)."""
    fields: dict[str, Any] = {
        "id": "e-1", "seq": 1, "type": type_, "v": 2, "at": None,
        "recorded_at": "2026-01-01T00:00:00Z", "recorded_by": "t", "source": None,
        "data": {"conference": "c", "text": "x"} if data is None else data,
        "prev": ZERO_HASH, **envelope}
    body = json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()
    return body[:-1] + b',"hash":"' + hashlib.sha256(body).hexdigest().encode() + b'"}'


_LOG_LINES = [
    *(_log_line(t, d, v=REGISTRY[t].VERSION) for t, d in MINIMAL.items()),
    _log_line(id="bad id"),
    _log_line(id="x" * 200),
    _log_line(recorded_by="a\u0001b"),
    _log_line(recorded_by="a\u0001b".encode().decode("unicode_escape")),
    _log_line(source={"url": "urn:x", "locator": "p\u0007"}),
    _log_line(data={"conference": "c", "text": "bell\u0007"}),
    _log_line(data={"conference": "c", "text": "tab\tok"}),
    _log_line(at="2015-02-30"),
    _log_line(recorded_at="yesterday"),
    _log_line("speech.delivered", {"conference": "c", "speaker": "s", "quote": "Q"}, v=1),
    _log_line("conference.held", {"name": "C"}, v=1),  # reads as version 2 as it is
    _log_line("nothing.happened", {}),
    _log_line(data={"conference": "c", "text": "x", "type": "figure.cited"}),
    _log_line(seq=0),
    _log_line()[:-3] + b'00"}',  # the hash changed
    _log_line().replace(b'"type":"note.recorded",', b"") + b"",
    b'{"data":{"type":"x"},' + _log_line()[1:],
    b"not json",
]


@pytest.mark.parametrize("line", _LOG_LINES)
def test_the_one_pass_log_parser_agrees_with_the_field_by_field_one(line: bytes) -> None:
    """The same event for good lines, the same error message for bad ones (a control
    character, a bad id or date, an old version, an unknown type, a changed hash)."""
    try:
        expected: Any = _parse_line(line)
    except InvalidEvent as exc:
        with pytest.raises(InvalidEvent) as got:
            parse_line(line)
        assert str(got.value) == str(exc)
    else:
        assert parse_line(line) == expected


@pytest.mark.parametrize("line", _IMPORT_LINES)
def test_the_one_pass_import_parser_agrees_with_the_general_one(line: str) -> None:
    """Same payload for good lines, the same error message for bad ones."""
    try:
        draft, payload = parse_draft(line.encode())
    except InvalidEvent as exc:
        with pytest.raises(InvalidEvent) as fast:
            parse_import_line(line.encode())
        assert str(fast.value) == str(exc)
        return
    parsed = parse_import_line(line.encode())
    assert (parsed.type, parsed.data, parsed.id, parsed.at, parsed.source) == \
        (draft.type, payload, draft.id, draft.at, draft.source)


# ---------------------------------------------------------------- round-trip (Hypothesis)

_ONE_LINE = st.characters(blacklist_categories=("Cs", "Cc"))
_TEXT_CHARS = st.one_of(_ONE_LINE, st.sampled_from("\n\t"))
names = st.text(_ONE_LINE, min_size=1, max_size=40)
texts = st.text(_TEXT_CHARS, min_size=1, max_size=200)
ids = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._:-]{0,30}\Z")
dates = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.isoformat()[:7]),
    st.integers(1000, 9999).map(str),
    st.datetimes().map(lambda d: d.isoformat(timespec="minutes") + "Z"),
)
opt = st.none
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=3),
    max_leaves=8,
)


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


payload_dicts = st.one_of(
    st.fixed_dictionaries({"name": names}, optional={
        "place": names, "start": dates, "end": dates, "organisers": st.lists(names, max_size=3),
        "supporters": st.lists(names, max_size=3), "description": texts,
    }).map(lambda d: ("conference.held", d)),
    st.fixed_dictionaries({"conference": ids, "title": names}, optional={
        "kind": st.sampled_from(["plenary", "panel", "workshop", "theme", "other"]),
        "day": dates, "chair": ids, "parent": ids,
    }).map(lambda d: ("session.held", d)),
    st.fixed_dictionaries({"conference": ids, "entity": ids, "name": names,
                           "kind": st.sampled_from(["country", "organisation", "person"])},
                          optional={"role": names, "affiliation": ids, "category": names},
                          ).map(lambda d: ("participant.attended", d)),
    st.fixed_dictionaries({"conference": ids, "speaker": ids}, optional={
        "summary": texts, "quotes": st.lists(texts, max_size=4), "role": names,
        "kind": st.sampled_from(["opening", "keynote", "panel", "closing", "interview"]),
    }).map(lambda d: ("speech.delivered", d)),
    st.fixed_dictionaries({"conference": ids, "title": names}, optional={
        "items": st.lists(texts, max_size=5).map(
            lambda xs: [{"n": n, "text": x} for n, x in enumerate(xs, 1)]),
        "parties": st.lists(ids, max_size=3), "party_names": st.lists(names, max_size=3),
        "points": st.integers(min_value=5, max_value=40),
        "kind": st.sampled_from(["declaration", "convention", "communique"]),
    }).map(lambda d: ("agreement.reached", d)),
    st.fixed_dictionaries({"conference": ids, "country": ids}, optional={
        "head": st.fixed_dictionaries({"entity": ids}, optional={"post": names}),
        "members": st.lists(st.fixed_dictionaries({"entity": ids}, optional={"post": names}),
                            max_size=3),
    }).map(lambda d: ("delegation.sent", d)),
    st.fixed_dictionaries({"conference": ids, "participants": st.lists(ids, min_size=1,
                                                                       max_size=4)},
                          optional={"outcome": texts, "title": names}
                          ).map(lambda d: ("meeting.held", d)),
    st.fixed_dictionaries({"title": names}, optional={"publisher": names, "via": names,
                                                      "published": dates}
                          ).map(lambda d: ("source.cited", d)),
    st.fixed_dictionaries({"conference": ids, "counts": names,
                           "value": st.floats(allow_nan=False, allow_infinity=False)},
                          optional={"unit": names, "qualifier": st.sampled_from(
                              ["exactly", "about", "more than"])},
                          ).map(lambda d: ("figure.cited", d)),
    st.fixed_dictionaries({"conference": ids, "text": texts}, optional={
        "tags": st.lists(names, max_size=3), "about": st.lists(ids, max_size=3)}
                          ).map(lambda d: ("note.recorded", d)),
    st.fixed_dictionaries({"target": ids, "changes": st.dictionaries(
        names, json_values, min_size=1, max_size=3)}, optional={"reason": texts},
    ).map(lambda d: ("event.corrected", d)),
)
sources = st.none() | st.builds(Source, url=names, locator=st.none() | names)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=payload_dicts, ident=ids, seq=st.integers(1, 10**9), at=st.none() | dates,
       source=sources, prev=st.text("0123456789abcdef", min_size=64, max_size=64),
       recorded_by=names)
def test_encode_parse_round_trip(payload: tuple[str, dict[str, Any]], ident: str, seq: int,
                                 at: str | None, source: Source | None, prev: str,
                                 recorded_by: str) -> None:
    type_, data_dict = payload
    data = make_payload(type_, data_dict)
    fields = dict(id=ident, seq=seq, type=type_, at=at, recorded_at="2024-01-02T03:04:05.000Z",
                  recorded_by=recorded_by, source=source, data=data, prev=prev)
    line, digest = encode_event(**fields)  # type: ignore[arg-type]
    assert b"\n" not in line
    line.decode("utf-8")  # valid UTF-8, names verbatim in any script
    event = parse_line(line)
    assert event == Event(v=data.VERSION, hash=digest, **fields)  # type: ignore[arg-type]
    # the hash is stable: recomputable from the bytes, and re-encoding gives the same line
    assert line_hash(line) == digest == hashlib.sha256(
        line[: line.rindex(b',"hash":')] + b"}").hexdigest()
    again, digest_again = encode_event(**{**fields, "data": event.data})  # type: ignore[arg-type]
    assert (again, digest_again) == (line, digest)
    assert content_digest(type_, event.data, at, source) == content_digest(type_, data, at,
                                                                           source)


@settings(max_examples=examples(100), deadline=None)
@given(name=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30))
def test_names_are_stored_verbatim(name: str) -> None:
    data = make_payload("participant.attended", {"conference": "c1", "entity": "e1",
                                                 "kind": "person", "name": name})
    line, _ = encode_event(id="p1", seq=1, type="participant.attended", at=None,
                           recorded_at="2024", recorded_by="t", source=None, data=data,
                           prev=ZERO_HASH)
    assert parse_line(line).data.name == name  # type: ignore[attr-defined]
    assert name.encode() in line or "\\" in name or '"' in name


@pytest.mark.parametrize("name", ["Карим Масимов", "Қазақстан", "習近平", "محمد", "Zoë"])
def test_non_latin_names_round_trip_as_utf8(name: str) -> None:
    data = make_payload("conference.held", {"name": name})
    line, _ = encode_event(id="c1", seq=1, type="conference.held", at=None, recorded_at="2024",
                           recorded_by=name, source=None, data=data, prev=ZERO_HASH)
    assert name.encode("utf-8") in line  # not \u-escaped
    assert parse_line(line).data.name == name  # type: ignore[attr-defined]


def test_payload_classes_are_all_registered() -> None:
    assert {cls.TYPE for cls in PAYLOADS} == set(REGISTRY)
