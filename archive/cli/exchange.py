"""Commands that exchange events with other archives and tools: export, pull."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import BASE_URL, EXPECT_SEQ, Context, cli, options, pass_context

FORMATS = ("jsonl", "log", "ics", "popolo", "atom")


@cli.command()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="jsonl",
              show_default=True,
              help="jsonl: events in the import format, for `archive import` or `archive "
                   "pull` elsewhere; log: the log's own lines; ics: the scheduled "
                   "follow-ups as an iCalendar file; popolo: people, organisations, "
                   "memberships, events and speeches as Popolo JSON; atom: the newest "
                   "facts as an Atom feed (needs --base-url).")
@click.option("--conference", help="Only this conference (id or name) and what it needs.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write it (default: standard output).")
@options(BASE_URL)
@pass_context
def export(ctx: Context, fmt: str, conference: str | None, output: Path | None,
           base_url: str | None) -> None:
    """Write the archive's events, or what they record, for another archive or tool.

    \b
    Example:
        archive export -o astana.jsonl
        archive export --conference astana15 -o astana15.jsonl
        archive export --format ics -o followups.ics
        archive export --format popolo -o astana.popolo.json
        archive export --format atom --base-url https://archive.example.org -o feed.atom
    """
    archive = ctx.archive()
    chunks = archive.export(fmt, conference=conference, base_url=base_url)
    if output is None:
        for chunk in chunks:
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
        return
    from ..store import durable

    written = durable.write_chunks(output, chunks)
    click.echo(f"{output} ({written} bytes)", err=True)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.argument("url", metavar="URL")
@pass_context
def push(ctx: Context, directory: Path, url: str) -> None:
    """Copy the file archive DIRECTORY into a new PostgreSQL store at URL, line for line
    (the same hashes and head), with its attachments, all or nothing. Then any machine
    joins it with `archive init FOLDER --store URL`.

    \b
    Example:
        archive push astana-2015 postgresql://db.example.org/astana
    """
    from ..app import Archive
    from ..store.pg import redact

    seq, hash_ = Archive(directory, ctx.recorder).push(url)
    click.echo(f"pushed {seq} events to {redact(url)} (head #{seq} {hash_[:12]}); "
               f"join it with `archive init FOLDER --store {redact(url)}`")


def _ask(kind: str, name: str, options: list[tuple[str, str]]) -> str | None:
    click.echo(f"The pulled {kind} {name!r} may be one already here:", err=True)
    for i, (ident, known) in enumerate(options, 1):
        click.echo(f"  {i}. {known} ({ident})", err=True)
    choice = click.prompt("Merge it into (number, or 0 to keep it separate)",
                          type=click.IntRange(0, len(options)), default=0, err=True)
    return options[choice - 1][0] if choice else None


@cli.command()
@click.argument("other", type=click.Path(exists=True, path_type=Path))
@click.option("--match", type=click.Choice(["auto", "ask", "never"]),
              help="How records of the same name are made one: auto merges same names "
                   "(and lists near ones), ask asks about each (the default on a "
                   "terminal), never merges none (default elsewhere: auto).")
@options(EXPECT_SEQ)
@pass_context
def pull(ctx: Context, other: Path, match: str | None, expect_seq: int | None) -> None:
    """Bring another archive's events in: OTHER is its folder, its log file, or a file
    from `archive export`. Events already here are skipped; each person, organisation
    or country it records under a name this archive knows is merged into this archive's
    record (an `entities.merged` event). All or nothing; a second pull writes nothing.

    \b
    Example:
        archive pull ../bishkek-2016
        archive pull c14.jsonl --match auto
    """
    terminal = sys.stdin.isatty() and sys.stderr.isatty()
    mode = match or ("ask" if terminal else "auto")
    if mode == "ask" and not terminal:
        raise click.UsageError("--match ask needs a terminal; use --match auto or never")
    result = ctx.archive().pull(other, match=mode, expect_seq=expect_seq,
                                ask=_ask if mode == "ask" else None)
    for message in result.messages:
        click.echo(message)
