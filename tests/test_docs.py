"""The README shows every command, docs/ documents every event type, and the generated
parts of both are current."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from archive.cli import cli
from archive.core.events import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = sorted((ROOT / "docs").glob("*.md"))
# the hand-written text: generated blocks (between cog markers) removed
HAND = re.sub(r"<!-- \[\[\[cog.*?\[\[\[end\]\]\] -->", "", README, flags=re.S)


def _commands() -> list[tuple[str, click.Command]]:
    """Every command and subcommand, as `--help` lists them (`add` builds its subcommands
    when asked for: they are not in its `.commands`)."""
    out = []
    for name, command in cli.commands.items():
        out.append((name, command))
        if isinstance(command, click.Group):
            with click.Context(command) as ctx:
                for sub in command.list_commands(ctx):
                    subcommand = command.get_command(ctx, sub)
                    assert subcommand is not None
                    out.append((f"{name} {sub}", subcommand))
    return out


def test_every_kind_of_fact_has_its_add_command() -> None:
    """The commands the tests below walk include one `add` per kind of fact."""
    adds = {name for name, _ in _commands() if name.startswith("add ")}
    assert adds == {f"add {cls.COMMAND}" for cls in REGISTRY.values() if cls.COMMAND}
    assert len(adds) >= 15


@pytest.mark.parametrize("name", [name for name, _ in _commands()])
def test_every_command_has_a_hand_written_example_in_the_readme(name: str) -> None:
    assert re.search(rf"archive {re.escape(name)}\b", HAND), f"`archive {name}` not in README"


@pytest.mark.parametrize("name,command", _commands())
def test_every_command_has_an_example_in_its_help(name: str, command: click.Command) -> None:
    if isinstance(command, click.Group):
        assert "Example:" in (command.help or "")
    elif name.startswith("add "):
        assert "Example:" in (cli.commands["add"].help or "")
    else:
        assert "Example:" in (command.help or ""), name


@pytest.mark.parametrize("name,command", _commands())
def test_help_speaks_to_the_person_recording(name: str, command: click.Command) -> None:
    """Schema history (what version 2 changed, upcasting) is for docs/events.md, not for
    `--help`; and the text is dedented, so click wraps it as sentences."""
    from click.testing import CliRunner

    shown = CliRunner().invoke(cli, [*name.split(), "--help"], terminal_width=100).output
    assert not re.search(r"\b[Vv]ersion \d|upcast|\bv\d\b", shown), shown
    described = shown.split("Options:")[0].splitlines()[1:]
    assert "  " not in " ".join(line.strip() for line in described if line.strip()), shown


def test_schema_history_is_in_the_event_reference() -> None:
    events = (ROOT / "docs" / "events.md").read_text(encoding="utf-8")
    histories = [cls.HISTORY for cls in REGISTRY.values() if cls.HISTORY]
    assert len(histories) >= 5
    for history in histories:
        assert " ".join(history.split()) in events


@pytest.mark.parametrize("type_", sorted(REGISTRY))
def test_every_event_type_is_documented(type_: str) -> None:
    assert f"#### `{type_}`" in (ROOT / "docs" / "events.md").read_text(encoding="utf-8")


def test_the_readme_stays_short_and_links_every_doc() -> None:
    assert len(README.splitlines()) < 500
    for doc in DOCS:
        assert f"(docs/{doc.name})" in README


def test_generated_sections_are_current() -> None:
    files = ["README.md", *(str(doc.relative_to(ROOT)) for doc in DOCS)]
    result = subprocess.run([sys.executable, "-m", "cogapp", "--check", *files],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr + \
        "\nrun `make docs` to regenerate the docs"
