"""The log index: the catalogue persisted beside the log. It answers as the catalogue of
the same log does, catches up from where it stopped, and is rebuilt when the log no
longer holds what it indexed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers import examples
from histories import chain, histories, known
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.store.index import Index
from archive.store.layout import Layout
from archive.store.log import Log, Pending


def write(root: Path, items: list[tuple[str, str, dict[str, Any]]], start: int = 1) -> Log:
    log = Log(root)
    log.init()
    pending = [Pending(e.id, e.type, e.data, e.at, e.source) for e in chain(items, start)]
    log.append(pending, recorded_at="2026-01-01T00:00:00Z", recorded_by="t")
    return log


def answers(view: Any, ids: set[str]) -> dict[str, Any]:
    return {i: (view.event(i), view.entity(i), view.refs(i), sorted(view.members(i)))
            for i in sorted(ids)} | {"conferences": view.conferences()}


@settings(max_examples=examples(25), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(histories(), st.data())
def test_the_index_answers_as_the_catalogue_of_the_same_log(tmp_path_factory: Any,
                                                            items: Any, data: Any) -> None:
    root = tmp_path_factory.mktemp("index") / "archive"
    k = data.draw(st.integers(1, len(items)))
    log = write(root, items[:k])
    with Index(log) as index:  # in two steps: caught up, then caught up again
        index.catch_up()
    log = Log(root)
    if items[k:]:
        pending = [Pending(e.id, e.type, e.data, e.at, e.source) for e in chain(items)[k:]]
        log.append(pending, recorded_at="2026-01-01T00:00:00Z", recorded_by="t")
    ids = {i for i, _, _ in items} | {"ann", "bob", "cem"}
    with Index(log) as index:
        assert index.catch_up() == len(items) - k
        assert answers(index, ids) == answers(known(items), ids)


def test_a_replaced_log_rebuilds_the_index(tmp_path: Path) -> None:
    items = [("c", "conference.held", {"name": "First"})]
    log = write(tmp_path / "a", items)
    with Index(log) as index:
        index.catch_up()
    Layout(tmp_path / "a").log.unlink()
    Layout(tmp_path / "a").head.unlink()  # replaced on purpose
    log = write(tmp_path / "a", [("d", "conference.held", {"name": "Second"})])
    with Index(log) as index:
        assert index.catch_up() == 1
        assert index.conferences() == [("d", "Second")]
        assert index.event("c") is None
