"""What the Popolo project's own JSON schemas (draft-03, `tests/popolo/draft-03`, resolved
offline) say of a Popolo document: `popolo_errors(document)`, one line per error."""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import referencing
from referencing.jsonschema import DRAFT3

SCHEMAS = Path(__file__).resolve().parent / "popolo" / "draft-03"  # unchanged (CC BY 4.0)
LISTS = {"persons": "person", "organizations": "organization", "posts": "post",
         "memberships": "membership", "events": "event", "speeches": "speech"}


_RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
                      r"(Z|[+-][0-9]{2}:[0-9]{2})")


def _formats() -> jsonschema.FormatChecker:
    """Draft-03's formats, with `uri` and `date-time` checked (jsonschema checks them
    only with optional packages this project does not install)."""
    checker = jsonschema.FormatChecker()

    @checker.checks("uri", raises=ValueError)
    def uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        if not parts.scheme or (parts.scheme in ("http", "https") and not parts.netloc) \
                or " " in value:
            raise ValueError(f"not a URI: {value!r}")
        return True

    @checker.checks("date-time", raises=ValueError)
    def date_time(value: object) -> bool:
        if isinstance(value, str):
            if not _RFC3339.fullmatch(value):
                raise ValueError(f"not an RFC 3339 date-time: {value!r}")
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True

    return checker


@cache
def _validators() -> dict[str, jsonschema.Draft3Validator]:
    schemas = {p.stem: json.loads(p.read_text(encoding="utf-8"))
               for p in SCHEMAS.glob("*.json")}
    registry: referencing.Registry[Any] = referencing.Registry().with_resources(
        (s["id"].rstrip("#"), DRAFT3.create_resource(s)) for s in schemas.values())
    formats = _formats()
    return {key: jsonschema.Draft3Validator(schemas[name], registry=registry,
                                            format_checker=formats)
            for key, name in LISTS.items()}


def popolo_errors(document: dict[str, Any]) -> list[str]:
    """Every way the document breaks the Popolo schemas, one line each (none: valid)."""
    validators = _validators()
    out = [f"unknown list {key!r}" for key in document if key not in LISTS]
    for key, items in document.items():
        for n, item in enumerate(items if key in LISTS else []):
            out += [f"{key}[{n}] {list(e.absolute_path)}: {e.message}"
                    for e in validators[key].iter_errors(item)]
    return out
