"""The same output, whatever the speed (issue 27): a generated 10,000-event archive and
an event of every type, imported, verified and built, give the log bytes, verify report
and table rows the code gave before the batch pipeline (`tests/golden/10k.json`, made by
`tests/golden_archive.py`). A rewrite of import, verify or build changes speed only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from golden_archive import GOLDEN, digests

pytestmark = pytest.mark.slow


def test_import_verify_and_build_give_the_golden_output(tmp_path: Path):
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    got = digests(tmp_path / "golden")
    assert got["generator"] == want["generator"], "bench.generate changed: remake the golden"
    assert got["log"] == want["log"], "the log's bytes differ"
    assert got["verify"] == want["verify"]
    differ = {name: (want["tables"].get(name), made) for name, made in got["tables"].items()
              if want["tables"].get(name) != made}
    assert differ == {}
    assert set(got["tables"]) == set(want["tables"])
