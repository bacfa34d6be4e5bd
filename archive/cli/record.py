"""Commands that append: init, add KIND, import, correct, retract, merge.

`add` has one subcommand per event type, generated from the payload definitions so the
options can never drift from the schema: each field is an option, list fields are
repeatable, reference fields take a name (or id) that the archive resolves.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import sys
from pathlib import Path
from typing import Any

import click
import msgspec

from ..app import Archive
from ..append.recorder import Recorder, Result, open_input
from ..core.events import PAYLOADS, Delegate, Payload, Point, Source
from ..core.payloads import Ordinal, number_points, parse_delegate, parse_ordinal
from ..core.validate import members, unwrap
from . import (
    AS_JSON,
    EXPECT_SEQ,
    ArchiveGroup,
    Command,
    Context,
    cited,
    cli,
    made,
    options,
    pass_context,
)

#: Fields the archive fills in itself (an entity's id, a file's hash).
HIDDEN = {"entity", "sha256"}


def singular(name: str) -> str:
    """The option for one item of a list field: --quote for `quotes`, --party for `parties`."""
    if name.endswith("ies"):
        return name[:-3] + "y"
    return name[:-1] if name.endswith("s") else name


def _emit(ctx: Context, result: Result, as_json: bool) -> None:
    for message in result.messages:
        click.echo(message, err=True)
    if as_json:
        click.echo(json.dumps([{"id": e.id, "seq": e.seq, "type": e.type, "hash": e.hash,
                                "written": not result.existing}
                               for e in result.events], ensure_ascii=False))
        return
    for event in result.events:
        already = "\t(already recorded)" if result.existing else ""
        click.echo(f"{event.seq}\t{event.id}\t{event.type}{already}")


def _source(source: str | None, locator: str | None) -> Source | None:
    if source is None:
        if locator is not None:
            raise click.UsageError("--locator needs --source")
        return None
    return Source(url=source, locator=locator)


def recorder(ctx: Context) -> Recorder:
    return ctx.archive().recorder()


# ---------------------------------------------------------------- init


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--store", metavar="URL",
              help="Keep the log in PostgreSQL (postgresql://HOST/DB, no password: libpq "
                   "reads it from PGPASSWORD, PGPASSFILE or a service file), so that a team "
                   "appends to one archive from several machines. A store that already "
                   "holds a log is joined.")
@pass_context
def init(ctx: Context, directory: Path | None, store: str | None) -> None:
    """Create an empty archive (events/ and exports/) in DIRECTORY or --archive.

    \b
    Example:
        archive init astana-2015
        archive init astana-team --store postgresql://db.example.org/astana
    """
    root = directory or ctx.root
    archive = Archive(root, ctx.recorder)
    created = archive.init(store)
    if store is not None and not created:
        head = archive.log.head()
        click.echo(f"joined {archive.log.name} ({head.seq} events): {root}")
        return
    click.echo(f"{'created' if created else 'already an archive:'} {root}")


# ---------------------------------------------------------------- add


class _Add(ArchiveGroup):
    """`archive add`: one subcommand per kind of fact, each built when it is asked for
    (building every one, reading each payload's fields, was ~20 ms of each start)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_ADDABLE)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        cls = _ADDABLE.get(cmd_name)
        return None if cls is None else _make_add_command(cls)


@cli.group(cls=_Add)
def add() -> None:
    """Record one fact: a conference, session, participant, speech, proposal, agreement,
    figure, follow-up, attachment or note.

    Names (speaker, affiliation, country...) resolve to existing ids by a normalised key
    (NFKC + casefold) or create the person, organisation or country on first mention.

    \b
    Example:
        archive add speech --speaker "Karim Massimov" --role "Prime Minister" \\
            --kind opening --summary "Called for cooperation." \\
            --quote "We have to join our forces..." --source urn:report --locator p3
    """


def _option_for(name: str, info: Any, flags: dict[str, str]) -> click.Option | None:
    """A click option for one payload field, from its type and description."""
    if name in HIDDEN or name in ("conference", "changes"):
        return None
    said = unwrap(info.type)[1]
    typ = members(info.type)[0]
    is_list = isinstance(typ, msgspec.inspect.ListType)
    flag = flags.get(name) or "--" + (singular(name) if is_list else name).replace("_", "-")
    help_ = said.get("description", "")
    if info.required:
        help_ += "  [required]"
    elif info.default not in (None, msgspec.NODEFAULT) and not isinstance(info.default, list):
        help_ += f"  [default: {info.default}]"
    if is_list:
        return click.Option([flag, name], multiple=True, help=help_)
    if isinstance(typ, msgspec.inspect.LiteralType):
        return click.Option([flag, name], type=click.Choice([str(v) for v in typ.values]),
                            help=help_)
    if isinstance(typ, msgspec.inspect.FloatType):
        return click.Option([flag, name], type=float, help=help_)
    if isinstance(typ, msgspec.inspect.IntType):
        return click.Option([flag, name], type=click.IntRange(min=typ.ge), help=help_)
    return click.Option([flag, name], help=help_)


COMMON = ("at", "source", "locator", "event_id", "expect_seq", "as_json", "conference", "file",
          "new")


def _ask(name_field: str, name: str, matches: list[tuple[str, str]]) -> str | None:
    """On a terminal: does a new name mean one already recorded?"""
    click.echo(f"{name_field}: {name!r} is not recorded yet, but looks like:", err=True)
    for n, (ident, known) in enumerate(matches, 1):
        click.echo(f"  {n}. {known} ({ident})", err=True)
    choice = click.prompt("Which is it? (0: a new record)", err=True, default=0,
                          type=click.IntRange(0, len(matches)))
    return matches[choice - 1][0] if choice else None


def _shape_of(info: Any) -> type | None:
    """The struct a field's items are (a numbered point, a delegate), or None."""
    typ = members(info.type)[0]
    if isinstance(typ, msgspec.inspect.ListType):
        typ = unwrap(typ.item_type)[0]
    return typ.cls if isinstance(typ, msgspec.inspect.StructType) else None


@functools.cache
def _make_add_command(cls: type[Payload]) -> click.Command:
    fields = msgspec.inspect.type_info(cls).fields  # type: ignore[attr-defined]
    refs = set(cls.REFS) - {"conference"}
    shapes = {f.name: shape for f in fields if (shape := _shape_of(f)) is not None}
    required = [f.name for f in fields if f.required and f.name not in HIDDEN | {"conference"}]

    @pass_context
    def command(ctx: Context, **opts: Any) -> None:
        common = {k: opts.pop(k, None) for k in COMMON}
        values = {k: (list(v) if isinstance(v, tuple) else v) for k, v in opts.items()}
        values = {k: v for k, v in values.items() if v is not None and v != []}
        for name in required:
            if name not in values:
                param = by_name[name]
                if not sys.stdin.isatty():
                    raise click.UsageError(f"Missing option '{param.opts[0]}'.")
                answer = click.prompt(name.replace("_", " ").capitalize(), type=param.type)
                values[name] = [answer] if param.multiple else answer
        rec = recorder(ctx)
        if sys.stdin.isatty() and sys.stderr.isatty():
            rec.ask = _ask
        if common["file"] is not None:
            values.update(rec.attachment_fields(common["file"]))
        for name, shape in shapes.items():
            if name in values and shape is Point:
                values[name] = number_points(values[name])
            elif name in values and shape is Ordinal:
                values[name] = [parse_ordinal(v) for v in values[name]]
            elif name in values and shape is Delegate:
                value = values[name]
                values[name] = ([parse_delegate(v) for v in value]
                                if isinstance(value, list) else parse_delegate(value))
        names = {k: values.pop(k) for k in list(values) if k in refs}
        result = rec.add(cls.TYPE, values, names, conference=common["conference"],
                         at=common["at"], source=_source(common["source"], common["locator"]),
                         event_id=common["event_id"], expect_seq=common["expect_seq"],
                         attach=common["file"], new=common["new"])
        _emit(ctx, result, common["as_json"])

    params: list[click.Option] = [p for f in fields
                                  if (p := _option_for(f.name, f, cls.OPTIONS))]
    by_name = {p.name: p for p in params}
    if any(f.name == "conference" for f in fields):
        params.append(click.Option(["--conference"], help="Conference name or id "
                                   "[default: the only or latest one]"))
    if cls.TYPE == "attachment.added":
        params.append(click.Option(["--file"], type=click.Path(path_type=Path),
                                   help="The photo or document to store (a regular file)."))
    else:
        params.append(click.Option(["--file"], hidden=True, default=None))
    params += [
        click.Option(["--at"], help="When it happened (YYYY, YYYY-MM, YYYY-MM-DD or date-time)."),
        *made(*cited("the fact")),
        click.Option(["--id", "event_id"], help="Event id (for safe retries)."),
        *made(EXPECT_SEQ, AS_JSON),
        click.Option(["--new"], is_flag=True, help="A name close to a known one is "
                     "deliberately a new person, organisation or country (no warning)."),
    ]
    doc = inspect.cleandoc(cls.__doc__ or "")
    assert cls.COMMAND is not None
    return Command(cls.COMMAND, callback=command, params=list(params),
                   help=f"{doc}\n\nEvent type: {cls.TYPE}.")


_ADDABLE = {cls.COMMAND: cls for cls in PAYLOADS if cls.COMMAND is not None}


# ---------------------------------------------------------------- import


@cli.command(name="import")
@click.argument("file", default="-")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "popolo"]), default="jsonl",
              show_default=True,
              help="jsonl: events (one per line, as `archive export` writes them); popolo: "
                   "a Popolo JSON file: its persons and organizations (so that later "
                   "mentions resolve to them), events, memberships and speeches, as "
                   "`archive export --format popolo` writes them.")
@options(EXPECT_SEQ)
@pass_context
def import_(ctx: Context, file: str, fmt: str, expect_seq: int | None) -> None:
    """Append events from a JSON Lines FILE (or - for standard input).

    Each line: {"type": ..., "data": {...}} with optional "id", "v", "at", "source".
    The whole file is validated before anything is written: all or nothing.

    \b
    Example:
        archive import events-from-notes.jsonl
        archive import --format popolo parliament-members.json
    """
    if fmt == "popolo":
        import json

        with open_input(file) as stream:
            try:
                document = json.loads(stream.read(64 << 20))
            except (ValueError, UnicodeDecodeError) as exc:
                raise click.ClickException(f"{file} is not a JSON file: {exc}") from None
        result = recorder(ctx).import_popolo(document, expect_seq=expect_seq)
        for message in result.messages:
            click.echo(message)
        return
    stream = open_input(file)
    with stream:
        size = os.fstat(stream.fileno()).st_size if stream is not sys.stdin.buffer else 0
        if sys.stderr.isatty() and size > 1 << 20:
            with click.progressbar(length=size, label="importing", file=sys.stderr) as bar:
                result = recorder(ctx).import_lines(stream, expect_seq=expect_seq,
                                                    progress=bar.update)
        else:
            result = recorder(ctx).import_lines(stream, expect_seq=expect_seq)
    for message in result.messages:
        click.echo(message)


# ---------------------------------------------------------------- fixes


def _parse_set(pairs: tuple[str, ...]) -> dict[str, str | list[str]]:
    """FIELD=VALUE pairs; a field given more than once takes the list of its values."""
    out: dict[str, str | list[str]] = {}
    for pair in pairs:
        field, sep, value = pair.partition("=")
        if not sep or not field:
            raise click.UsageError(f"--set takes FIELD=VALUE, not {pair!r}")
        field = field.strip()
        if field in out:
            earlier = out[field]
            out[field] = [*(earlier if isinstance(earlier, list) else [earlier]), value]
        else:
            out[field] = value
    return out


@cli.command()
@click.argument("target", metavar="EVENT_ID")
@click.option("--set", "pairs", multiple=True, required=True, metavar="FIELD=VALUE",
              help="New value for a field (repeat). Text fields take the text verbatim, "
                   "fields that name someone take a name or id, list fields take one "
                   "value per --set (--set tag=a --set tag=b) or JSON, numbers take JSON.")
@click.option("--id", "event_id", help="Event id (for safe retries).")
@click.option("--reason", help="Why it is corrected.")
@options(*cited("the correction"), EXPECT_SEQ, AS_JSON)
@pass_context
def correct(ctx: Context, target: str, pairs: tuple[str, ...], event_id: str | None,
            reason: str | None, source: str | None, locator: str | None,
            expect_seq: int | None, as_json: bool) -> None:
    """Correct fields of an earlier event. The old line stays; the fix is a new event.

    \b
    Example:
        archive correct 01JZ3Q... --set role="Prime Minister" --reason "title misread"
    """
    result = recorder(ctx).correct_text(target, _parse_set(pairs), reason=reason,
                                        source=_source(source, locator),
                                        expect_seq=expect_seq, event_id=event_id)
    _emit(ctx, result, as_json)


@cli.command()
@click.argument("event_id")
@click.option("--reason", required=True, help="Why it should not have been recorded.")
@options(*cited("the retraction"), EXPECT_SEQ, AS_JSON)
@pass_context
def retract(ctx: Context, event_id: str, reason: str, source: str | None,
            locator: str | None, expect_seq: int | None, as_json: bool) -> None:
    """Retract an earlier event. The old line stays; projections drop the fact.

    \b
    Example:
        archive retract 01JZ3Q... --reason "recorded twice"
    """
    result = recorder(ctx).retract(event_id, reason, source=_source(source, locator),
                                   expect_seq=expect_seq)
    _emit(ctx, result, as_json)


@cli.command()
@click.argument("kept")
@click.argument("merged")
@click.option("--reason", help="Why they are the same.")
@options(EXPECT_SEQ, AS_JSON)
@pass_context
def merge(ctx: Context, kept: str, merged: str, reason: str | None,
          expect_seq: int | None, as_json: bool) -> None:
    """Record that MERGED (name or id) is the same person, organisation or country as
    KEPT; MERGED's spelling becomes an alias.

    \b
    Example:
        archive merge "Karim Massimov" "Karim Masimov" --reason "one person"
    """
    result = recorder(ctx).merge(kept, merged, reason=reason, expect_seq=expect_seq)
    _emit(ctx, result, as_json)


@cli.command()
@click.argument("merge_id")
@click.option("--reason", help="Why the merge was wrong.")
@options(*cited("the finding"), EXPECT_SEQ, AS_JSON)
@pass_context
def unmerge(ctx: Context, merge_id: str, reason: str | None, source: str | None,
            locator: str | None, expect_seq: int | None, as_json: bool) -> None:
    """Undo a wrong merge: the two records are separate again, as before MERGE_ID (the id
    `archive merge` printed). Both lines stay in the log; the next build is a full one.

    \b
    Example:
        archive unmerge 01JZ3Q... --reason "two people of one name"
    """
    result = recorder(ctx).unmerge(merge_id, reason=reason, source=_source(source, locator),
                                   expect_seq=expect_seq)
    _emit(ctx, result, as_json)
