"""The `briefing` command: render the PDF briefing (WeasyPrint loads only when it runs)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from . import Context, cli, pass_context, progress_bar


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None
    return value


def _lang(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from ..briefing.i18n import unknown

    if (problem := unknown(value)) is not None:
        raise click.BadParameter(problem)
    return value


@cli.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write it (default exports/briefing.pdf, or .html with --html).")
@click.option("--as-of", metavar="SEQ|EVENT_ID|DATETIME",
              help="The briefing as the archive stood at that point of the log.")
@click.option("--since", type=click.IntRange(min=0), metavar="SEQ",
              help="An update: only what was recorded or corrected after event SEQ.")
@click.option("--conference", help="Which conference (id or name) if there are several.")
@click.option("--series", is_flag=False, flag_value="", default=None, metavar="[NAME]",
              help="The briefing of a series: each conference, attendance across them, and "
                   "the follow-ups each scheduled and whether they were held (NAME when "
                   "the archive holds several series).")
@click.option("--day", callback=_day, metavar="YYYY-MM-DD", help="A one-day briefing.")
@click.option("--on", "on", callback=_day, metavar="YYYY-MM-DD",
              help="The world as it stood that day: facts that happened later are left "
                   "out (commitments show their status on that date).")
@click.option("--progress", "progress_report", is_flag=True,
              help="The accountability report: every commitment, its owners, due date and "
                   "whole history of updates with their evidence.")
@click.option("--html", is_flag=True,
              help="Write the web version instead of the PDF (one HTML file that reads on "
                   "a phone).")
@click.option("--lang", "lang", default="en", show_default=True, callback=_lang,
              metavar="LANG",
              help="The language it is written in (en, kk, ru): its words, dates, numbers "
                   "and plurals; each quote stays in its own language, with its recorded "
                   "translation into this one beneath it.")
@click.option("--publisher", metavar="NAME",
              help="Who compiles the briefing (shown on the cover as \"Compiled by\").")
@click.option("--verify/--no-verify", default=True, show_default=True,
              help="Check the whole log (as `archive verify` does; a large one while the "
                   "briefing is made) and write nothing if it fails; the provenance says "
                   "whether it was checked.")
@pass_context
def briefing(ctx: Context, output: Path | None, as_of: str | None, since: int | None,
             conference: str | None, series: str | None, day: str | None,
             on: str | None, progress_report: bool, html: bool, lang: str,
             publisher: str | None, verify: bool) -> None:
    """Render the briefing: cover, key messages and summary, programme, agreements,
    proceedings (speeches and quotes), proposals, themes, annexes (participants,
    acronyms, follow-ups, figures, corrections), sources, and a colophon with provenance.

    \b
    Example:
        archive briefing
        archive briefing --since 40 -o update.pdf
        archive briefing --as-of 30 --day 2015-06-29 --html
        archive briefing --publisher "OSCE Programme Office in Astana"
        archive briefing --lang ru
        archive briefing --series "ECO Summit"
        archive briefing --progress --on 2016-01-01
    """
    if progress_report:
        if since is not None or day is not None or series is not None:
            raise click.UsageError("--progress takes no --since, --day or --series")
        result = ctx.archive().brief_progress(output, conference=conference, as_of=as_of,
                                              on=on, html=html, verify=verify,
                                              publisher=publisher, lang=lang)
        pages = f", {result.pages} pages" if result.pages else ""
        click.echo(f"{result.path} (log #{result.seq}, {result.hash[:12]}{pages})")
        return
    if series is not None:
        if since is not None or day is not None or conference is not None:
            raise click.UsageError("--series covers whole conferences: it takes no "
                                   "--since, --day or --conference")
        result = ctx.archive().brief_series(output, series=series or None, as_of=as_of,
                                            html=html, verify=verify, publisher=publisher,
                                            lang=lang)
        pages = f", {result.pages} pages" if result.pages else ""
        click.echo(f"{result.path} (log #{result.seq}, {result.hash[:12]}{pages})")
        return
    with progress_bar("Building") as progress:
        result = ctx.archive().brief(output, as_of=as_of, since=since, conference=conference,
                                     day=day, html=html, verify=verify, publisher=publisher,
                                     on=on, lang=lang,
                                     progress=progress)
    for message in result.warnings:
        click.echo(f"warning: {message}", err=True)
    pages = f", {result.pages} pages" if result.pages else ""
    click.echo(f"{result.path} (log #{result.seq}, {result.hash[:12]}{pages})")
