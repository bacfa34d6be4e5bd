"""The archive's absolute links (`archive.exchange.links`): a base URL is checked, and a
row's address is the one Datasette serves it at, for any id."""

from __future__ import annotations

import pytest
from datasette.utils import tilde_encode
from hypothesis import given
from hypothesis import strategies as st

from archive.errors import InvalidEvent
from archive.exchange import links


@given(st.text(max_size=40))
def test_a_row_id_is_encoded_as_datasette_decodes_it(row_id: str):
    assert links.tilde_encode(row_id) == tilde_encode(row_id)


@pytest.mark.parametrize("given_url, kept", [
    ("https://archive.example.org/astana/", "https://archive.example.org/astana"),
    ("http://127.0.0.1:8001", "http://127.0.0.1:8001"),
])
def test_a_base_url_is_kept_without_its_trailing_slash(given_url: str, kept: str):
    assert links.base_url(given_url) == kept
    assert links.reader_url(kept, "quotes", "sp/1") == f"{kept}/archive/quotes/sp~2F1"


@pytest.mark.parametrize("bad", ["archive.example.org", "/astana", "ftp://x.org",
                                 "https://", "https://x.org/?a=1", "https://x.org/#top"])
def test_a_base_url_that_is_not_absolute_http_is_refused(bad: str):
    with pytest.raises(InvalidEvent, match="base URL"):
        links.base_url(bad)


def test_an_event_that_records_no_row_has_no_reader_page():
    assert links.fact_url("https://x.org", "event.corrected", "c1") is None
    assert links.fact_url("https://x.org", "speech.delivered", "s.1") == \
        "https://x.org/archive/speeches/s~2E1"


@pytest.mark.parametrize("fmt", ["ics", "popolo", "atom"])
def test_export_with_a_relative_base_url_is_one_error_and_writes_nothing(run_cli, archive_dir,
                                                                          fmt: str):
    out = archive_dir / f"out.{fmt}"
    result = run_cli("export", "--format", fmt, "--base-url", "archive.example.org",
                     "-o", str(out))
    assert result.exit_code != 0
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "not an absolute http(s) URL" in errors[0]
    assert "Traceback" not in result.output and not out.exists()
