"""Errors in our own words: which field, and why, from the types' own information."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from archive.core.events import FigureCited, SpeechDelivered
from archive.core.validate import FieldError, check_date, describe, explain

FIGURE = {"conference": "c", "value": 3, "counts": "jobs"}


@pytest.mark.parametrize(("data", "message"), [
    ({**FIGURE, "value": "3"}, "field `data.value` must be a number (got '3')"),
    ({**FIGURE, "qualifier": "roughly"},
     "field `data.qualifier` must be one of 'about', 'at least', 'exactly', 'fewer than', "
     "'more than', 'up to' (or null) (got 'roughly')"),
    ({**FIGURE, "counts": ""}, "field `data.counts` must be text of 1 to 1000 characters "
                               "(got '')"),
    ({"conference": "c", "value": 3}, "field `data.counts` is required but missing"),
    ({**FIGURE, "colour": "red"}, "field `data.colour` is not a field of this event"),
    ({**FIGURE, "value": float("inf")}, "field `data.value` must be a finite number, not inf"),
])
def test_a_refusal_names_the_field_and_why(data: dict[str, Any], message: str) -> None:
    with pytest.raises(msgspec.ValidationError) as info:
        msgspec.convert(data, FigureCited)
    assert str(explain(info.value, data, FigureCited, "data.")) == message


def test_the_explanation_never_reads_msgspecs_message() -> None:
    """A release of msgspec that words its messages otherwise changes nothing here."""
    data = {"conference": "c", "speaker": "s", "quotes": ["fine", 7]}
    reworded = msgspec.ValidationError("something else entirely")
    assert str(explain(reworded, data, SpeechDelivered, "data.")) == (
        "field `data.quotes[1]` must be text of 1 to 200000 characters (got 7)")


def test_our_checks_say_what_is_wrong() -> None:
    with pytest.raises(FieldError) as info:
        check_date("day", "2015-02-30")
    assert (info.value.field, info.value.problem) == ("day", "has no day 30 in 2015-02: "
                                                              "'2015-02-30'")
    assert str(info.value.under("data.")) == "field `data.day` has no day 30 in 2015-02: " \
                                             "'2015-02-30'"


def test_dates_and_ids_are_described_as_what_they_are() -> None:
    fields = {f.name: f.type for f in msgspec.inspect.type_info(SpeechDelivered).fields}
    assert describe(fields["speaker"]) == "an id"
    assert describe(fields["quotes"]) == "a list of text of 1 to 200000 characters"
