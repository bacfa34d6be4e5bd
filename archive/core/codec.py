"""The line codec: one log line <-> one Event, the hash chain's arithmetic, and import
lines (drafts). Pure: no I/O.

A log line is one JSON object (UTF-8, compact, fields in the order below) ending with
its own hash:

    {"id":..,"seq":..,"type":..,"v":..,"at":..,"recorded_at":..,"recorded_by":..,
     "source":{"url":..,"locator":..},"data":{..payload..},"prev":..,"hash":..}

`hash` is the SHA-256 (hex) of the line's bytes as they would be without the final
`,"hash":"..."` member; `prev` is the hash of the line before (64 zeros for the first).
"""

from __future__ import annotations

import functools
import hashlib
import math
import typing
from collections.abc import Callable
from typing import Any, NamedTuple, Union

import msgspec

from ..errors import InvalidEvent
from .events import (
    PAYLOADS,
    REGISTRY,
    Draft,
    Event,
    Payload,
    Source,
    make_payload,
    payload_class,
)
from .validate import (
    FieldError,
    Id,
    Name,
    PartialDate,
    bad_char,
    check_date,
    check_id,
    check_input,
    check_text,
    explain,
    might_hold_controls,
)


class _RawEvent(Event, frozen=True):
    """A log line with its payload left undecoded until its type is known."""

    data: msgspec.Raw  # type: ignore[assignment]


class _Unhashed(msgspec.Struct, frozen=True, gc=False):
    id: str
    seq: int
    type: str
    v: int
    at: str | None
    recorded_at: str
    recorded_by: str
    source: Source | None
    data: Payload
    prev: str



_decode_raw = msgspec.json.Decoder(_RawEvent).decode
_decode_draft = msgspec.json.Decoder(Draft).decode
_encoder = msgspec.json.Encoder()


class _Decoders(dict[str, Callable[[bytes], Payload]]):
    """A decoder per event type, made when a line of that type is first read: making
    every one up front (msgspec reads each payload's annotations) was most of the
    package's import, which every `archive add` pays."""

    def __missing__(self, type_: str) -> Callable[[bytes], Payload]:
        decode: Callable[[bytes], Payload] = msgspec.json.Decoder(REGISTRY[type_]).decode
        self[type_] = decode
        return decode


_PAYLOAD_DECODERS = _Decoders()
_HASH_SUFFIX_LEN = len(b',"hash":"') + 64 + len(b'"}')

def _decode_payload(type_: str, version: int, raw: bytes) -> Payload:
    cls = payload_class(type_)
    if version == cls.VERSION:
        try:
            payload = _PAYLOAD_DECODERS[type_](raw)
        except msgspec.ValidationError:
            pass  # fall through to the slower path for a message naming the value
        else:
            if might_hold_controls(raw):
                try:
                    check_text(payload)
                except FieldError as exc:
                    raise InvalidEvent(str(exc.under("data."))) from None
            return payload
    data = msgspec.json.decode(raw)
    if not isinstance(data, dict):
        raise InvalidEvent("field `data`: expected an object")
    return make_payload(type_, data, version)


class _LineDecoders(dict[str, Callable[[bytes], Any]]):
    """A decoder per event type of a whole log line, its payload typed (made when a line
    of that type is first read, as `_Decoders`)."""

    def __missing__(self, type_: str) -> Callable[[bytes], Any]:
        fields = typing.get_type_hints(Event, include_extras=True)
        line = msgspec.defstruct(
            f"Line_{REGISTRY[type_].__name__}",
            [(f, REGISTRY[type_] if f == "data" else t) for f, t in fields.items()],
            frozen=True, forbid_unknown_fields=True, gc=False)
        decode: Callable[[bytes], Any] = msgspec.json.Decoder(line).decode
        self[type_] = decode
        return decode


_LINE_DECODERS = _LineDecoders()
_TYPE_AT = b',"type":"'


def parse_line(line: bytes) -> Event:
    """Parse and validate one log line (without its newline). Checks its own hash."""
    return parse_lines([line])[0]


def parse_lines(lines: list[bytes]) -> list[Event]:
    """Parse and validate each of a batch of log lines, as `parse_line`: the same events,
    the same errors (InvalidEvent for the first bad line).

    One decoding pass per line, with the decoder of the type the line's third member
    names; a line of an older version, or one that fails any check, is read again by
    `_parse_line`, so the result and every message are the same. The search for control
    characters is made once for the batch (most hold none)."""
    if might_hold_controls(b"\n".join(lines)):
        doubt: Callable[[bytes], bool] = might_hold_controls
    else:
        doubt = _never
    decoders, registry, out = _LINE_DECODERS, REGISTRY, []
    dates = _SOUND_DATES  # most lines of a batch share their recorded_at
    for line in lines:
        at = line.find(_TYPE_AT)
        end = line.find(b'"', at + 9)
        type_ = line[at + 9:end].decode("utf-8", "replace")
        try:
            e = decoders[type_](line) if at > 0 and type_ in registry else None
        except (msgspec.ValidationError, msgspec.DecodeError):
            e = None
        if e is None or e.type != type_ or e.v != e.data.VERSION or \
                line_hash(line) != e.hash or doubt(line):
            out.append(_parse_line(line))
            continue
        try:
            check_id("id", e.id)
            if e.at is not None and e.at not in dates:
                check_date("at", e.at)
            if e.recorded_at not in dates:
                check_date("recorded_at", e.recorded_at)
                if len(dates) > 1024:
                    dates.clear()
                dates.add(e.recorded_at)
        except FieldError:
            out.append(_parse_line(line))
            continue
        out.append(Event(id=e.id, seq=e.seq, type=type_, v=e.v, at=e.at,
                         recorded_at=e.recorded_at, recorded_by=e.recorded_by,
                         source=e.source, data=e.data, prev=e.prev, hash=e.hash))
    return out


#: Dates `check_date` has passed (a few recent ones: a log's lines share them).
_SOUND_DATES: set[str] = set()


def _never(line: bytes) -> bool:
    return False


def _parse_line(line: bytes) -> Event:
    """`parse_line` field by field: upcasts an older version, explains a bad line."""
    try:
        raw = _decode_raw(line)
    except msgspec.ValidationError as exc:
        raise InvalidEvent(_explain_line(exc, line, _RawEvent)) from None
    except msgspec.DecodeError:
        raise InvalidEvent(_not_json(line)) from None
    try:
        check_id("id", raw.id)
        check_date("at", raw.at)
        check_date("recorded_at", raw.recorded_at)
        if might_hold_controls(line):
            bad_char("recorded_by", raw.recorded_by, one_line=True)
            if raw.source is not None:
                check_text(raw.source, "source.")
    except FieldError as exc:
        raise InvalidEvent(str(exc)) from None
    data = _decode_payload(raw.type, raw.v, bytes(raw.data))
    if line_hash(line) != raw.hash:
        raise InvalidEvent(
            f"hash mismatch: the line was changed after it was written (id {raw.id})")
    return Event(
        id=raw.id, seq=raw.seq, type=raw.type, v=payload_class(raw.type).VERSION, at=raw.at,
        recorded_at=raw.recorded_at, recorded_by=raw.recorded_by, source=raw.source,
        data=data, prev=raw.prev, hash=raw.hash,
    )


def type_marker(type_: str) -> bytes:
    """Bytes that every line of this event type holds, and no other line can (a quote in
    a text is escaped, so `"type":"..."` appears only as the envelope's member)."""
    return b'"type":' + _encoder.encode(type_)


def line_tail(hash_: str) -> bytes:
    """How a line with this hash ends, newline included: what a reader that remembers a
    head (offset, hash) checks to know the log still holds it."""
    return f',"hash":"{hash_}"}}\n'.encode()


def line_hash(line: bytes) -> str:
    """The hash a line claims to have: SHA-256 of the line without its `hash` member."""
    return hashlib.sha256(line[:-_HASH_SUFFIX_LEN] + b"}").hexdigest()


def encode_event(
    *, id: str, seq: int, type: str, at: str | None, recorded_at: str, recorded_by: str,
    source: Source | None, data: Payload, prev: str,
) -> tuple[bytes, str]:
    """Encode an event as its canonical line (no newline) and return it with its hash."""
    body = _encoder.encode(_Unhashed(
        id=id, seq=seq, type=type, v=data.VERSION, at=at, recorded_at=recorded_at,
        recorded_by=recorded_by, source=source, data=data, prev=prev,
    ))
    digest = hashlib.sha256(body).hexdigest()
    return body[:-1] + b',"hash":"' + digest.encode() + b'"}', digest


def parse_draft(line: bytes) -> tuple[Draft, Payload]:
    """Parse and validate one line of an import file: the draft and its typed payload."""
    try:
        draft = _decode_draft(line)
        check_date("at", draft.at, True)
        if draft.id is not None:
            check_id("id", draft.id, True)
        if draft.source is not None:
            check_input(draft.source, (), "source.")
        cls = payload_class(draft.type)
        payload = _decode_payload(draft.type, draft.v or cls.VERSION, bytes(draft.data))
        check_input(payload, cls.DATES, "data.")
        return draft, payload
    except msgspec.ValidationError as exc:
        message = _non_finite(line) or _explain_line(exc, line, Draft)
        if message.endswith("is not a field of this event") and "." not in message:
            message += " (an import line has type, data and optionally id, v, at, source; " \
                       "the archive assigns seq, prev, hash, recorded_at and recorded_by)"
        raise InvalidEvent(message) from None
    except msgspec.DecodeError:
        raise InvalidEvent(_non_finite(line) or _not_json(line)) from None
    except FieldError as exc:
        raise InvalidEvent(str(exc)) from None


def _explain_line(exc: msgspec.ValidationError, line: bytes, cls: type[msgspec.Struct]
                  ) -> str:
    try:
        obj = msgspec.json.decode(line)
    except msgspec.DecodeError:
        return _not_json(line)
    if not isinstance(obj, dict):
        shown = repr(obj) if len(repr(obj)) <= 80 else repr(obj)[:77] + "..."
        return f"not a JSON object (got {shown})"
    return str(explain(exc, obj, cls))


def _not_json(line: bytes) -> str:
    """Why a line is not JSON, in our words (where, and what is there)."""
    import json

    if not line.strip():
        return "a blank line (each line holds one event)"
    if line.startswith(b"\xef\xbb\xbf"):
        return "a byte-order mark (U+FEFF) before the JSON: save the file as UTF-8 without one"
    if line.lstrip().startswith(b"["):
        return "not a JSON object: a file of JSON Lines holds one object per line, not an array"
    try:
        json.loads(line)
    except UnicodeDecodeError as exc:
        return f"not valid JSON: not valid UTF-8 (at byte {exc.start})"
    except json.JSONDecodeError as exc:
        return f"not valid JSON: {exc.msg.lower()} at column {exc.colno}"
    except ValueError:
        pass
    return "not valid JSON"


def _non_finite(line: bytes) -> str | None:
    """Name the field holding NaN, Infinity or an out-of-range number such as 1e999 (JSON
    has no such values; Python's json module reads them, so use it to say where)."""
    import json

    try:
        obj = json.loads(line)
    except ValueError:
        return None

    def walk(value: Any, path: str) -> str | None:
        if isinstance(value, float) and not math.isfinite(value):
            return f"field `{path.lstrip('.')}` must be a finite number, not {value!r}"
        items = value.items() if isinstance(value, dict) else \
            enumerate(value) if isinstance(value, list) else ()
        for key, item in items:
            found = walk(item, f"{path}.{key}" if isinstance(key, str) else f"{path}[{key}]")
            if found:
                return found
        return None

    return walk(obj, "")


class _Envelope(msgspec.Struct, frozen=True):
    id: Id | None = None
    at: PartialDate | None = None
    source: Source | None = None
    recorded_by: Name | None = None


def check_envelope(*, id: str | None, at: str | None, source: Source | None,
                   recorded_by: str | None = None) -> None:
    """Validate the envelope fields a caller supplies (id, at, source, recorder) before an
    append, as `parse_line` will: a Struct built in code is not validated by msgspec."""
    obj = {"id": id, "at": at, "source": msgspec.to_builtins(source),
           "recorded_by": recorded_by}
    try:
        msgspec.convert(obj, _Envelope)
        if id is not None:
            check_id("id", id, True)
        check_date("at", at, strict=True)
        if recorded_by is not None:
            bad_char("recorded_by", recorded_by, one_line=True, strict=True)
        if source is not None:
            check_input(source, (), "source.")
    except msgspec.ValidationError as exc:
        raise InvalidEvent(str(explain(exc, obj, _Envelope))) from None
    except FieldError as exc:
        raise InvalidEvent(str(exc)) from None


def content_digest(type_: str, data: Payload, at: str | None, source: Source | None) -> str:
    """What makes two appends of one id "the same content" (for idempotent retries)."""
    return hashlib.sha256(_encoder.encode([type_, data, at, source])).hexdigest()


def event_dict(event: Event) -> dict[str, Any]:
    """The event as plain JSON-ready data (as in the log)."""
    out: dict[str, Any] = msgspec.to_builtins(event)
    return out


# ---------------------------------------------------------------- import lines, fast


class Parsed(NamedTuple):
    """One validated import line."""

    type: str
    data: Payload
    id: str | None
    at: str | None
    source: Source | None


def _typed_draft(cls: type[Payload]) -> type[msgspec.Struct]:
    return msgspec.defstruct(
        f"Draft_{cls.__name__}",
        [("data", cls), ("id", Id | None, None), ("v", int | None, None),
         ("at", PartialDate | None, None), ("source", Source | None, None)],
        tag_field="type", tag=cls.TYPE, frozen=True, forbid_unknown_fields=True, gc=False)


@functools.cache
def _typed_decoder() -> tuple[Callable[[bytes], Any], dict[type, str]]:
    """The decoder of an import line whose `type` picks the payload, and the event type of
    each draft class (made on the first import, not at every start)."""
    drafts = {cls: _typed_draft(cls) for cls in PAYLOADS}
    union: Any = Union[tuple(drafts.values())]  # noqa: UP007 (a union built at run time)
    return msgspec.json.Decoder(union).decode, {d: cls.TYPE for cls, d in drafts.items()}


def parse_import_line(line: bytes) -> Parsed:
    """`parse_draft` in one decoding pass (the payload type is chosen by the line's
    `type`). Anything unusual (an old version, an error to explain) takes the slow path,
    so the result and the error messages are the same."""
    decode, type_of = _typed_decoder()
    try:
        draft: Any = decode(line)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return _slow(line)
    type_ = type_of[type(draft)]
    data = draft.data
    if draft.v is not None and draft.v != data.VERSION:
        return _slow(line)
    try:
        if draft.id is not None:
            check_id("id", draft.id, True)
        check_date("at", draft.at, True)
        for name in data.DATES:
            check_date(name, getattr(data, name), True)
        if might_hold_controls(line, strict=True):
            check_input(data, ())
            if draft.source is not None:
                check_input(draft.source, (), "source.")
    except ValueError:
        return _slow(line)
    return Parsed(type_, data, draft.id, draft.at, draft.source)


def _slow(line: bytes) -> Parsed:
    draft, data = parse_draft(line)
    return Parsed(draft.type, data, draft.id, draft.at, draft.source)
