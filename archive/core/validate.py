"""Field types and the checks msgspec cannot express, and errors in our own words. Pure.

Field types carry only cheap constraints (lengths), so msgspec validates at full speed;
the checks that need a regular expression (control characters, id characters, dates)
run once per event (`check_text`, `check_id`, `check_date`) and raise `FieldError`,
which names the field and the problem.

When msgspec refuses a value, `explain` says which field and why by checking the input
against the struct's own type information (`msgspec.inspect`), never by reading
msgspec's message: a release that rewords its messages changes nothing here.
"""

from __future__ import annotations

import calendar
import functools
import re
from typing import Annotated, Any

import msgspec
import msgspec.inspect as mi
from msgspec import Meta

#: One line of text: a name, a title, a role. No control characters.
Name = Annotated[str, Meta(min_length=1, max_length=1000, extra={"shows": "line"})]
#: Free text: summaries, quotes, proposals; may hold newlines and tabs.
Text = Annotated[str, Meta(min_length=1, max_length=200_000, extra={"shows": "text"})]
#: An event or entity id: generated ULIDs, or any id a user gives with --id.
Id = Annotated[str, Meta(min_length=1, max_length=128, extra={"shows": "id"})]
#: A SHA-256 in hex (checked by recomputing it).
Hash = Annotated[str, Meta(min_length=64, max_length=64, extra={"shows": "sha256"})]
#: A date, a partial date (`2015`, `2015-09`) or a date-time (`2015-06-29T10:00Z`).
PartialDate = Annotated[str, Meta(min_length=4, max_length=40, extra={"shows": "date"})]

#: A language tag, BCP 47 (`ru`, `kk`, `en-GB`), checked against CLDR (`core.langs`).
Lang = Annotated[str, Meta(min_length=2, max_length=35, extra={"shows": "lang"})]

#: What a value of a marked type is, for a person (`shows` in the type's Meta).
SHOWN = {"id": "an id", "sha256": "a SHA-256 (64 hex digits)",
         "lang": "a language tag (BCP 47: en, ru, kk, en-GB)",
         "date": "a date (YYYY, YYYY-MM, YYYY-MM-DD or a date-time)"}


def unwrap(t: mi.Type) -> tuple[mi.Type, dict[str, Any]]:
    """A field's type without its Meta, and what the Meta says (description, shows)."""
    said: dict[str, Any] = {}
    while isinstance(t, mi.Metadata):
        said.update(t.extra_json_schema or {})
        said.update(t.extra or {})
        t = t.type
    return t, said


def members(t: mi.Type) -> list[mi.Type]:
    """The types a field may hold, each without its Meta and `None` left out: `X | None`
    is `[X]`, `A | B` is `[A, B]`, a plain `X` is `[X]`."""
    t = unwrap(t)[0]
    parts = t.types if isinstance(t, mi.UnionType) else (t,)
    return [m for m in (unwrap(p)[0] for p in parts) if not isinstance(m, mi.NoneType)]

#: What the log has always accepted as a date (lines already written stay readable).
_DATE_RE = re.compile(
    r"^(\d{4})(?:-(\d{2})(?:-(\d{2})"
    r"(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2}))?)?)?)?$"
)
#: What new input must be: ASCII digits, matched whole (`\d` takes other scripts' digits,
#: and `$` matches before a trailing newline).
_INPUT_DATE_RE = re.compile(
    r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2})"
    r"(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]{1,9})?)?"
    r"(Z|[+-]([0-9]{2}):([0-9]{2}))?)?)?)?"
)
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_NUMBER_OR_DATE = re.compile(r"[0-9]+|[0-9]{4}-[0-9:T.+-]*Z?")
_BAD_IN_LINE = re.compile(r"[\x00-\x1f\x7f]")
#: New input on one line: none of the other line and paragraph separators either (NEL,
#: U+2028, U+2029), which split a line for some readers.
_BAD_IN_INPUT_LINE = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")
_BAD_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
#: Bidirectional controls: they can show a name or a quote reversed, or as another.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")

_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_CONTROL = re.compile(rb"\\(?:[bfnrt]|u00[01]|u007[fF])|\x7f")


class FieldError(ValueError):
    """A field's value breaks a rule: `field` is its path (`organisers[1]`), `problem` what
    is wrong, in words that follow the field's name."""

    def __init__(self, field: str, problem: str):
        self.field = field
        self.problem = problem
        super().__init__(f"field `{field}` {problem}")

    def under(self, prefix: str) -> FieldError:
        """The same error for a field inside `prefix` (`data.`)."""
        return FieldError(prefix + self.field, self.problem)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# ---------------------------------------------------------------- our own checks


def check_id(field: str, value: str, strict: bool = False) -> None:
    """Ids are safe in URLs and file names: letters, digits and `._:-`; `strict` (a new
    event's id) also refuses ids that read as a number or a date, which `--as-of` takes
    for a sequence number or a time."""
    if _ID_RE.fullmatch(value) is None:
        raise FieldError(field, "is not a valid id (letters, digits and ._:- only, up to "
                                f"128): {value!r}")
    if strict and _NUMBER_OR_DATE.fullmatch(value):
        raise FieldError(field, "reads as a sequence number or a date; give an id with a "
                                f"letter in it: {value!r}")


def bad_char(field: str, value: str, one_line: bool, strict: bool = False) -> None:
    """No control characters; `strict` (new input) also refuses, in one-line fields, line
    separators and bidirectional controls, which a log already written may hold."""
    if _SURROGATE.search(value) is not None:  # undecodable bytes of a command line, say
        raise FieldError(field, "holds bytes that are not valid UTF-8 (got "
                                f"{value.encode('utf-8', 'backslashreplace')!r})")
    m = (_BAD_IN_INPUT_LINE if one_line and strict else _BAD_IN_LINE if one_line
         else _BAD_IN_TEXT).search(value)
    shown = value if len(value) <= 60 else value[:57] + "..."
    if m is not None:
        what = "control character" if m.group() < "\x80" else "line separator"
        raise FieldError(field, f"holds the {what} U+{ord(m.group()):04X}, which is not "
                                f"allowed (got {shown!r})")
    if one_line and strict and (m := _BIDI.search(value)) is not None:
        raise FieldError(field, f"holds the bidirectional control U+{ord(m.group()):04X}, "
                                f"which can make it read as something else (got {shown!r})")


def check_text(obj: msgspec.Struct, prefix: str = "", strict: bool = False) -> None:
    """No control characters in names (one line) or texts (tabs and newlines allowed);
    `strict` for new input (see `bad_char`)."""
    lines, texts = _text_fields(type(obj))
    for names, one_line in ((lines, True), (texts, False)):
        for name in names:
            value = getattr(obj, name)
            if isinstance(value, str):
                bad_char(prefix + name, value, one_line, strict)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    bad_char(f"{prefix}{name}[{i}]", item, one_line, strict)


def might_hold_controls(raw: bytes, strict: bool = False) -> bool:
    """JSON can only carry a control character as an escape (or a raw DEL); the
    separators and bidirectional controls that `strict` refuses come raw, after a few lead
    bytes. Most lines hold none of these, so this is usually a few memchr calls."""
    # Where the stricter checks' characters can be in a JSON line: as the UTF-8 lead bytes
    # of U+0085 and of the U+061C and U+200x-U+206x ranges, or as a \u escape (ensure_ascii
    # JSON escapes every one). `isascii` first: most lines are, and it is the cheapest test.
    if strict and not raw.isascii() and (b"\xe2\x80" in raw or b"\xe2\x81" in raw
                                         or b"\xc2\x85" in raw or b"\xd8\x9c" in raw):
        return True
    if b"\\" not in raw:
        return b"\x7f" in raw
    if strict and b"\\u" in raw:
        return True
    return _ESCAPED_CONTROL.search(raw) is not None


@functools.lru_cache(maxsize=4096)
def check_date(field: str, value: str | None, strict: bool = False) -> None:
    """Reject dates that match the pattern but do not exist (2015-02-30, month 13);
    `strict` for new input: ASCII digits only, matched whole, no year 0 or time zone past
    ±14:59."""
    if value is None:
        return
    m = (_INPUT_DATE_RE.fullmatch if strict else _DATE_RE.match)(value)
    if m is None:
        raise FieldError(field, f"is not a date: {value!r}")
    _, month, day, hour, minute, second, _tz, tz_hour, tz_minute = m.groups()
    year = int(m.group(1))
    if strict and year == 0:
        raise FieldError(field, f"has no year 0: {value!r}")
    if month is not None and not 1 <= int(month) <= 12:
        raise FieldError(field, f"has no month {month}: {value!r}")
    if day is not None and not 1 <= int(day) <= calendar.monthrange(year, int(month))[1]:
        raise FieldError(field, f"has no day {day} in {year}-{month}: {value!r}")
    if hour is not None and (int(hour) > 23 or int(minute) > 59 or int(second or 0) > 59):
        raise FieldError(field, f"has no time {hour}:{minute}: {value!r}")
    if strict and tz_hour is not None and (int(tz_hour) > 14 or int(tz_minute) > 59):
        raise FieldError(field, f"has no time zone {_tz}: {value!r}")


def check_input(payload: msgspec.Struct, dates: tuple[str, ...], prefix: str = "",
                fields: set[str] | None = None) -> None:
    """The stricter checks for new input (an add, an import, the new values of a
    correction: `fields`): dates in ASCII matched whole, one-line fields without
    separators or bidirectional controls."""
    for name in dates:
        if fields is None or name in fields:
            check_date(prefix + name, getattr(payload, name), strict=True)
    lines, texts = _text_fields(type(payload))
    for name in lines + texts:
        if fields is not None and name not in fields:
            continue
        value = getattr(payload, name)
        for i, item in enumerate(value if isinstance(value, list) else [value]):
            if isinstance(item, str):
                where = f"{prefix}{name}[{i}]" if isinstance(value, list) else prefix + name
                bad_char(where, item, name in lines, strict=True)


def check_changes(cls: type[msgspec.Struct], changes: dict[str, Any]) -> None:
    """`check_input` for the new values of a correction of a `cls` (the values it keeps
    were checked when they were recorded)."""
    lines, _texts = _text_fields(cls)
    for name, value in changes.items():
        if name in getattr(cls, "DATES", ()):
            check_date(f"changes.{name}", value if isinstance(value, str) else None,
                       strict=True)
        for i, item in enumerate(value if isinstance(value, list) else [value]):
            if isinstance(item, str):
                where = f"changes.{name}[{i}]" if isinstance(value, list) else f"changes.{name}"
                bad_char(where, item, name in lines, strict=True)


@functools.cache
def _text_fields(cls: type[msgspec.Struct]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Which fields hold a Name (one line) and which a Text, from the type information."""
    def shows(t: mi.Type) -> set[str]:
        t, said = unwrap(t)
        inner: set[str] = set()
        if isinstance(t, mi.UnionType):
            inner = set().union(*(shows(m) for m in t.types))
        elif isinstance(t, mi.ListType):
            inner = shows(t.item_type)
        return inner | ({said["shows"]} if "shows" in said else set())

    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    lines = tuple(f.name for f in info.fields if "line" in shows(f.type))
    texts = tuple(f.name for f in info.fields if "text" in shows(f.type))
    return lines, texts


# ---------------------------------------------------------------- explaining a refusal


def explain(exc: msgspec.ValidationError, data: Any, cls: type[msgspec.Struct],
            prefix: str = "") -> FieldError:
    """Why msgspec refused `data` as a `cls`, as a FieldError naming the field."""
    cause = exc.__cause__
    if isinstance(cause, FieldError):  # one of our checks, run by __post_init__
        return cause.under(prefix)
    found = _struct_problem(data, mi.type_info(cls), prefix)
    return found or FieldError(prefix.rstrip(".") or "event",
                               f"is not valid (got {_shown(data)})")


def _struct_problem(data: Any, info: mi.Type, path: str) -> FieldError | None:
    assert isinstance(info, mi.StructType | mi.DataclassType)
    if not isinstance(data, dict):
        return FieldError(path.rstrip(".") or "event", f"must be an object (got {_shown(data)})")
    fields = {f.encode_name: f for f in info.fields}
    for key in data:
        if key not in fields:
            return FieldError(f"{path}{key}", "is not a field of this event")
    for f in info.fields:
        if f.required and f.encode_name not in data:
            return FieldError(f"{path}{f.encode_name}", "is required but missing")
    for key, value in data.items():
        found = _problem(value, fields[key].type, f"{path}{key}")
        if found is not None:
            return found
    return None


def _problem(value: Any, t: mi.Type, path: str) -> FieldError | None:
    """What is wrong with `value` as a `t` (None: nothing)."""
    t, _said = unwrap(t)
    if isinstance(t, mi.UnionType):
        for member in t.types:
            if _problem(value, member, path) is None:
                return None
        if isinstance(value, list | dict):  # name the item that fits no member
            for member in (unwrap(m)[0] for m in t.types):
                if isinstance(member, mi.ListType | mi.StructType | mi.DictType) and \
                        isinstance(value, list) == isinstance(member, mi.ListType):
                    return _problem(value, member, path)
        return FieldError(path, f"must be {describe(t)} (got {_shown(value)})")
    if isinstance(t, mi.ListType):
        if not isinstance(value, list):
            return FieldError(path, f"must be {describe(t)} (got {_shown(value)})")
        if t.min_length is not None and len(value) < t.min_length:
            return FieldError(path, f"must hold at least {t.min_length} "
                                    f"item{'s' if t.min_length != 1 else ''} (got {_shown(value)})")
        for i, item in enumerate(value):
            found = _problem(item, t.item_type, f"{path}[{i}]")
            if found is not None:
                return found
        return None
    if isinstance(t, mi.StructType):
        found = _struct_problem(value, t, path + ".")
        if found is None:
            try:
                msgspec.convert(value, t.cls)
            except msgspec.ValidationError as exc:
                return explain(exc, value, t.cls, path + ".")
        return found
    return None if _fits(value, t) else FieldError(
        path, f"must be {describe(t)} (got {_shown(value)})")


def _fits(value: Any, t: mi.Type) -> bool:
    t, _said = unwrap(t)
    if isinstance(t, mi.NoneType):
        return value is None
    if isinstance(t, mi.StrType):
        return isinstance(value, str) and (t.min_length is None or len(value) >= t.min_length) \
            and (t.max_length is None or len(value) <= t.max_length)
    if isinstance(t, mi.BoolType):
        return isinstance(value, bool)
    if isinstance(t, mi.IntType):
        return isinstance(value, int) and not isinstance(value, bool) and \
            (t.ge is None or value >= t.ge)
    if isinstance(t, mi.FloatType):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(t, mi.LiteralType):
        return value in t.values
    if isinstance(t, mi.DictType):
        return isinstance(value, dict)
    return True  # Any, Raw


def describe(t: mi.Type) -> str:
    """What a value of this type is, for a person."""
    t, said = unwrap(t)
    if said.get("shows") in SHOWN:
        return SHOWN[said["shows"]]
    if isinstance(t, mi.UnionType):
        parts = [describe(m) for m in t.types if not isinstance(unwrap(m)[0], mi.NoneType)]
        text = " or ".join(parts)
        return text + (" (or null)" if len(parts) < len(t.types) else "")
    if isinstance(t, mi.StrType):
        if t.min_length is not None and t.max_length is not None:
            return f"text of {t.min_length} to {t.max_length} characters"
        return "text"
    if isinstance(t, mi.IntType):
        return "a whole number" + (f" of at least {t.ge}" if t.ge is not None else "")
    if isinstance(t, mi.FloatType):
        return "a number"
    if isinstance(t, mi.BoolType):
        return "true or false"
    if isinstance(t, mi.LiteralType):
        return "one of " + ", ".join(repr(v) for v in t.values)
    if isinstance(t, mi.ListType):
        return f"a list of {describe(t.item_type)}"
    if isinstance(t, mi.DictType | mi.StructType | mi.DataclassType):
        return "an object"
    if isinstance(t, mi.NoneType):
        return "null"
    return "a value"


__all__ = ["SHOWN", "FieldError", "Hash", "Id", "Name", "PartialDate", "Text", "bad_char",
           "check_changes", "check_date", "check_id", "check_input", "check_text", "describe",
           "explain", "might_hold_controls", "unwrap"]
