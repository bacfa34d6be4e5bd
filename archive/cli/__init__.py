"""The `archive` command: a thin click layer over the library.

Each command module registers its commands on `cli`. Heavy libraries (Datasette,
WeasyPrint, sqlite-utils) are imported inside the commands that need them, so that
`archive add` starts fast.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import ArchiveError


class Context:
    """What every command shares: the archive folder."""

    def __init__(self, root: Path, recorder: str):
        self.root = root
        self.recorder = recorder

    def log(self):  # -> archive.store.log.Log (imported lazily)
        from ..store.log import Log

        log = Log(self.root)
        log.require()
        return log


pass_context = click.make_pass_decorator(Context)


class ArchiveGroup(click.Group):
    """Turns every ArchiveError into `Error: ...` with exit code 1, in one place."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except ArchiveError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=ArchiveGroup)
@click.version_option(package_name="conference-archive")
@click.option(
    "--archive", "root", type=click.Path(file_okay=False, path_type=Path),
    envvar="ARCHIVE_DIR", default=".", show_default="current folder",
    help="The archive folder (holding events/ and exports/). Env: ARCHIVE_DIR.",
)
@click.option(
    "--recorder", envvar="ARCHIVE_RECORDER", default=lambda: _user(),
    show_default="your user name",
    help="Who is recording (stored in each event). Env: ARCHIVE_RECORDER.",
)
@click.pass_context
def cli(ctx: click.Context, root: Path, recorder: str) -> None:
    """Record what happened at a conference in an append-only, hash-chained event log;
    build a SQLite database from it, explore it in Datasette and render a PDF briefing.

    \b
    Example:
        archive init my-conference && cd my-conference
        archive add conference --name "Regional Conference" --place Astana \\
            --start 2015-06-29 --end 2015-06-30 --source urn:report:1 --locator p1
    """
    ctx.obj = Context(root, recorder)


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def main() -> None:
    cli(prog_name="archive", auto_envvar_prefix=None)


# Command modules register themselves on `cli` when imported.
from . import briefing, build, read, record  # noqa: E402, F401
