"""Every option of every command keeps what it is given: a repeatable option keeps every
value, and a single-value option given twice is refused (click alone keeps the last and
drops the others without a word: `--source s1 --source s2` cited s2 only)."""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner
from test_docs import _commands

from archive.cli import cli
from archive.store.log import Log

SINGLE = [(name, option) for name, command in [("", cli), *_commands()]
          for option in command.params
          if isinstance(option, click.Option) and not option.hidden
          and not (option.multiple or option.count or option.is_flag)
          and option.nargs == 1  # `--consistent OLD NEW` is one value of two parts
          and option.name not in ("help",)]


def test_the_audit_covers_every_kind_of_fact() -> None:
    adds = {name for name, _ in SINGLE if name.startswith("add ")}
    assert len(adds) >= 15 and ("add agreement", "--source") in {
        (name, option.opts[0]) for name, option in SINGLE}
    assert len(SINGLE) > 100


def test_a_single_value_option_given_twice_is_refused(tmp_path: Path) -> None:
    """Every one of them, on every command (one test: the audit is the loop)."""
    runner = CliRunner()
    for name, option in SINGLE:
        flag = option.opts[0]
        where = [] if flag == "--archive" else ["--archive", str(tmp_path / "a")]
        result = runner.invoke(cli, [*where, *name.split(), flag, "one", flag, "two"])
        assert result.exit_code == 2, (name, flag, result.output)
        assert f"Error: {flag} was given 2 times; it takes one value" in result.output, (
            name, flag, result.output)
        assert "Traceback" not in result.output and not (tmp_path / "a").exists()


def test_a_repeated_list_option_keeps_every_value(tmp_path: Path) -> None:
    root = tmp_path / "a"
    runner = CliRunner()
    for args in (["init", str(root)],
                 ["add", "conference", "--id", "m1", "--name", "M", "--topic", "water",
                  "--topic", "trade"],
                 ["add", "speech", "--speaker", "A", "--quote", "one", "--quote", "two"]):
        result = runner.invoke(cli, ["--archive", str(root), *args])
        assert result.exit_code == 0, result.output
    data = [p.event.data for p in Log(root).read()]
    assert data[0].topics == ["water", "trade"]
    assert data[-1].quotes == ["one", "two"]
