"""Reference sections of the README, generated from the code (run by cog; checked in CI)."""

from __future__ import annotations

import msgspec
import msgspec.inspect

from .core.events import PAYLOADS, Payload
from .core.validate import unwrap


def _type_name(t: msgspec.inspect.Type) -> str:
    t, said = unwrap(t)
    if said.get("shows") in ("id", "date", "sha256"):
        return str(said["shows"])
    match t:
        case msgspec.inspect.UnionType():
            parts = [_type_name(x) for x in t.types
                     if not isinstance(unwrap(x)[0], msgspec.inspect.NoneType)]
            return " | ".join(parts)
        case msgspec.inspect.ListType():
            return f"list of {_type_name(t.item_type)}"
        case msgspec.inspect.LiteralType():
            return " \\| ".join(f"`{v}`" for v in t.values)
        case msgspec.inspect.DictType():
            return "object"
        case msgspec.inspect.FloatType():
            return "number"
        case msgspec.inspect.StrType():
            return "text"
    return type(t).__name__.removesuffix("Type").lower()


def _fields(cls: type[Payload]) -> list[str]:
    info = msgspec.inspect.type_info(cls)
    rows = []
    for f in info.fields:  # type: ignore[attr-defined]
        need = "required" if f.required else "optional"
        ref = f" → {cls.REFS[f.name]}" if f.name in cls.REFS else ""
        meaning = unwrap(f.type)[1].get("description", "")
        rows.append(f"| `{f.name}` | {_type_name(f.type)}{ref} | {need} | {meaning} |")
    return rows


def event_reference() -> str:
    """One section per event type: its meaning (docstring), version and fields."""
    out = []
    for cls in PAYLOADS:
        doc = " ".join(((cls.__doc__ or "") + " " + cls.HISTORY).split())
        out += [f"#### `{cls.TYPE}` (version {cls.VERSION})", "", doc, "",
                "| field | type | | meaning |", "|---|---|---|---|", *_fields(cls), ""]
    return "\n".join(out)


def cli_reference() -> str:
    """`archive COMMAND --help` for every command, as the terminal shows it."""
    import click
    from click.testing import CliRunner

    from .cli import cli

    runner = CliRunner()
    out = []
    paths: list[list[str]] = [[]]
    for name, command in sorted(cli.commands.items()):
        paths.append([name])
        if isinstance(command, click.Group):  # its subcommands, as `--help` lists them
            with click.Context(command) as ctx:
                paths += [[name, s] for s in sorted(command.list_commands(ctx))]
    for path in paths:
        result = runner.invoke(cli, [*path, "--help"], prog_name="archive",
                               terminal_width=100)
        title = " ".join(["archive", *path])
        out += [f"#### `{title}`", "", "```", result.output.rstrip(), "```", ""]
    return "\n".join(out)


def schema_reference() -> str:
    """Every table of `exports/archive.db` with its columns and what they mean."""
    from .core.schema import TABLES, VIEWS

    out = []
    for table in TABLES:
        fks = {col: f"{other}.{other_col}" for col, other, other_col in table.fks}
        out += [f"#### `{table.name}`", "", table.description, "",
                "| column | type | meaning |", "|---|---|---|"]
        for name, sql_type, meaning in table.all_columns:
            link = f" → `{fks[name]}`" if name in fks else ""
            key = " (primary key)" if name == table.pk else ""
            out.append(f"| `{name}` | {sql_type}{key} | {meaning}{link} |")
        out.append("")
    out += ["Views: " + ", ".join(f"`{name}`" for name in VIEWS) + ".", ""]
    return "\n".join(out)
