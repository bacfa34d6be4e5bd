"""The `archive` command: a thin click layer over the library.

Each command module registers its commands on `cli`. Heavy libraries (Datasette,
WeasyPrint, sqlite-utils) are imported inside the commands that need them, so that
`archive add` starts fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..app import Archive
from ..errors import ArchiveError, StorageError

if TYPE_CHECKING:
    from ..database.build import Progress


class Context:
    """What every command shares: the archive folder and who records."""

    def __init__(self, root: Path, recorder: str):
        self.root = root
        self.recorder = recorder

    def archive(self) -> Archive:
        """The archive at --archive (it must exist)."""
        return Archive(self.root, self.recorder).require()


class Command(click.Command):
    """Every `archive` command: its single-value options refuse to be given twice: click keeps the
    last of `--source a --source b` and drops the first without a word, and a fact would
    be recorded with one of two sources the user gave. Repeatable options (`--quote`,
    `--party`...) are `multiple` and keep every value."""

    def make_parser(self, ctx: click.Context) -> Any:
        parser = super().make_parser(ctx)
        parse = parser.parse_args

        def parse_once(args: list[str]) -> Any:
            opts, rest, order = parse(args)
            for param in dict.fromkeys(order):
                given = sum(1 for p in order if p is param)
                if given > 1 and isinstance(param, click.Option) and not (
                        param.multiple or param.count or param.is_flag):
                    raise click.UsageError(
                        f"{param.opts[0]} was given {given} times; it takes one value, and "
                        "the others would be lost (give it once)", ctx)
            return opts, rest, order

        parser.parse_args = parse_once  # type: ignore[method-assign]
        return parser


#: An option as its declarations and attributes, made once and used by every command
#: that has it (a decorator with `options`, a generated command with `made`).
Spec = tuple[list[str], dict[str, Any]]
F = TypeVar("F", bound=Callable[..., Any])

EXPECT_SEQ: Spec = (["--expect-seq"],
                    {"type": int, "help": "Fail unless the log ends at this seq."})
AS_JSON: Spec = (["--json", "as_json"], {"is_flag": True, "help": "Print the result as JSON."})


def _base_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from ..errors import InvalidEvent
    from ..exchange.links import base_url

    try:
        return None if value is None else base_url(value)
    except InvalidEvent as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


BASE_URL: Spec = (["--base-url"], {
    "envvar": "ARCHIVE_BASE_URL", "callback": _base_url,
    "help": "Where the archive is served (an absolute http(s) URL), for the links to its "
            "reader pages. Env: ARCHIVE_BASE_URL."})


def cited(what: str) -> tuple[Spec, Spec]:
    """`--source` and `--locator`: where WHAT (the fact, the correction...) comes from."""
    return ((["--source"], {"help": f"Source of {what}: a recorded source's id "
                                    "(`archive add source`) or a URL."}),
            (["--locator"], {"help": "Where in the source, e.g. 'p4'."}))


def options(*specs: Spec) -> Callable[[F], F]:
    """A decorator adding these options to a command, in this order."""
    def decorate(f: F) -> F:
        for decls, attrs in reversed(specs):
            f = click.option(*decls, **attrs)(f)
        return f
    return decorate


def made(*specs: Spec) -> list[click.Option]:
    """These options, for a command built rather than decorated."""
    return [click.Option(decls, **attrs) for decls, attrs in specs]


@contextmanager
def progress_bar(label: str) -> Iterator[Progress | None]:
    """A progress bar on stderr when it is a terminal (told `(done, total)`), else None."""
    if not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=1, label=label, file=sys.stderr) as bar:
        def step(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done)
        yield step


pass_context = click.make_pass_decorator(Context)


class ArchiveGroup(Command, click.Group):
    """Turns every ArchiveError into `Error: ...` with exit code 1, in one place (and an
    error of the operating system into the `StorageError` that names its file). Its
    commands are `Command`s and its groups `ArchiveGroup`s."""

    command_class = Command
    group_class = type

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except ArchiveError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:  # a full disk, a read-only folder, a file that vanished
            raise click.ClickException(str(StorageError.of(exc))) from None


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
    """The login name, as `getpass.getuser` finds it (which imports termios, ~9 ms of every
    command's start, for a function that reads four variables and the password file)."""
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        if user := os.environ.get(name):
            return user
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError, OSError):
        return "unknown"


def main() -> None:
    for arg in sys.argv[1:]:  # undecodable bytes arrive as lone surrogates
        if not arg.isascii() and any("\ud800" <= c <= "\udfff" for c in arg):
            shown = arg.encode("utf-8", "backslashreplace").decode("ascii", "replace")
            click.echo(f"Error: the argument {shown!r} is not valid UTF-8", err=True)
            sys.exit(2)
    cli(prog_name="archive", auto_envvar_prefix=None)


# Command modules register themselves on `cli` when imported.
from . import briefing, build, exchange, proofs, read, record  # noqa: E402, F401
