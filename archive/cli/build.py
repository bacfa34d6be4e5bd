"""Commands that derive and serve the database: build, serve."""

from __future__ import annotations

from pathlib import Path

import click

from ..core.asof import AsOf
from . import BASE_URL, Context, cli, options, pass_context, progress_bar


@cli.command()
@click.option("--as-of", metavar="SEQ|EVENT_ID|DATETIME",
              help="Build the archive as it stood then, into exports/archive-as-of-<seq>.db "
                   "(seq:N, id:ID or time:DATE say which outright).")
@click.option("--on", "on", metavar="YYYY-MM-DD",
              help="The world as it stood that day: facts that happened later (their `at`) "
                   "are left out, into exports/archive-on-<date>.db; with --as-of, what "
                   "was known then about that day.")
@click.option("--full", is_flag=True, help="Rebuild from the start of the log.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Database file (default: exports/archive.db).")
@pass_context
def build(ctx: Context, as_of: str | None, on: str | None, full: bool,
          output: Path | None) -> None:
    """Build the SQLite database from the log (only new events, when it can).

    \b
    Example:
        archive build
        archive build --as-of 2015-06-29T18:00Z
        archive build --on 2016-01-01
        archive build --full -o /tmp/archive.db
    """
    with progress_bar("Building") as progress:
        result = ctx.archive().build(output, as_of=as_of, on=on, full=full,
                                     progress=progress)
    how = "rebuilt" if result.full else ("updated" if result.applied else "up to date")
    point = f" as of {AsOf.parse(as_of).describe()}" if as_of else ""
    point += f", the world on {on}" if on else ""
    click.echo(f"{result.path}: {how}{point} to sequence {result.seq} "
               f"({result.applied} events applied), hash {result.hash}")


@cli.command()
@click.option("-p", "--port", type=click.IntRange(0, 65535), default=8001, show_default=True,
              help="Port on 127.0.0.1.")
@click.option("--no-build", is_flag=True, help="Serve the database as it is, even if stale.")
@options(BASE_URL)
@pass_context
def serve(ctx: Context, port: int, no_build: bool, base_url: str | None) -> None:
    """Build the database if the log moved on, then explore it in Datasette (read-only).

    \b
    Example:
        archive serve --port 8001
        # then open http://127.0.0.1:8001/
    """
    with progress_bar("Building") as progress:
        code = ctx.archive().serve(port=port, echo=click.echo, build_if_stale=not no_build,
                                   base_url=base_url, progress=progress)
    if code not in (0, -15):
        raise click.ClickException(f"datasette stopped with exit code {code}")


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("publisher")
@click.argument("extra", nargs=-1, type=click.UNPROCESSED)
@click.option("--dry-run", is_flag=True, help="Print the datasette command, run nothing.")
@pass_context
def publish(ctx: Context, publisher: str, extra: tuple[str, ...], dry_run: bool) -> None:
    """Put the database on the web with `datasette publish PUBLISHER` (cloudrun, heroku,
    or any publisher plugin), configured as `archive serve` runs it. Options after
    PUBLISHER go to datasette publish.

    \b
    Example:
        archive publish cloudrun --service conference-archive
        archive publish --dry-run cloudrun
    """
    code = ctx.archive().publish(publisher, extra, dry_run=dry_run, echo=click.echo)
    if code:
        raise click.ClickException(f"datasette publish stopped with exit code {code}")
