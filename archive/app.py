"""`Archive`: one archive folder, and the one place that puts the parts together.

Every command goes through it: it opens the folder, brings the database up to date when
an output needs it, names the files an output goes to (`store.layout`), and hands each
part only what that part needs (the builder a log and a path, the briefing and the
server a database). The parts never start one another.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .core.asof import AsOf
from .errors import InvalidEvent
from .store import anchor
from .store.base import EventLog
from .store.layout import Layout
from .store.open import open_log

if TYPE_CHECKING:  # the heavy parts load only when a command needs them
    from .append.recorder import Recorder, Result
    from .briefing import Limits, RenderResult
    from .database.build import BuildResult, Progress
    from .proofs.service import NewKey
    from .store.verify import Report


class Archive:
    """An archive folder: `events/` (the log) and `exports/` (what is derived from it)."""

    def __init__(self, root: str | os.PathLike[str], recorded_by: str = "unknown"):
        self.root = Path(root)
        self.layout = Layout(self.root)
        self.log: EventLog = open_log(self.root)
        self.recorded_by = recorded_by

    def require(self) -> Archive:
        self.log.require()
        return self

    def init(self, store: str | None = None) -> bool:
        """Create the folders and an empty log (in the PostgreSQL store `store`, a URL).
        Returns False if it already existed (or the store already held a log, which
        this folder now joins)."""
        if store is not None:
            from .store.open import init_store

            existed = self.log.exists()
            self.log = init_store(self.root, store)
            return not existed and self.log.head().seq == 0
        return self.log.init()

    def push(self, url: str) -> tuple[int, str]:
        """Copy this (file) archive's log, line for line, into a new PostgreSQL store;
        returns the head it ends at (sequence, hash)."""
        from .store.pg import push

        self.require().log.check_head()
        head = push(self.log, url)
        return head.seq, head.hash

    # ------------------------------------------------------------ appending and checking

    def recorder(self) -> Recorder:
        from .append.recorder import Recorder

        return Recorder(self.require().log, recorded_by=self.recorded_by)

    def export(self, fmt: str = "jsonl", *, conference: str | None = None,
               base_url: str | None = None) -> Iterator[bytes]:
        """The archive in another format, as chunks of bytes: `jsonl` (events in the
        import format), `log` (the log's own lines), `ics` (follow-ups), `popolo`, `atom`
        (the newest facts as an Atom feed). `base_url` (checked by
        `exchange.links.base_url`) makes the links to reader pages that `ics` and `popolo`
        carry; `atom` needs it (a feed's links are absolute)."""
        from . import exchange

        self.require()
        self.log.check_head()
        if fmt == "log":
            if conference is not None:
                raise InvalidEvent("--format log is the whole log; --conference takes "
                                   "--format jsonl")
            return exchange.log_lines(self.log)
        if fmt == "jsonl":
            return exchange.export_lines(self.log, conference)
        if fmt == "atom":
            from .exchange.atom import feed

            if base_url is None:  # an entry's link must be absolute
                raise InvalidEvent("--format atom needs --base-url URL (or ARCHIVE_BASE_URL):"
                                   " the address the archive is served at, for its links")
            return iter([feed(self.build().path, base_url, conference=conference)])
        built = self.build()
        if fmt == "ics":
            from .exchange.ics import calendar

            return iter([calendar(built.path, conference, base_url=base_url)])
        if fmt == "popolo":
            from .exchange.popolo import popolo

            return iter([popolo(built.path, conference, base_url=base_url)])
        raise InvalidEvent(f"unknown format {fmt!r}")

    def pull(self, other: Path, *, match: str = "auto", expect_seq: int | None = None,
             ask: Callable[[str, str, list[tuple[str, str]]], str | None] | None = None
             ) -> Result:
        """Bring another archive's events in (`append.pull`)."""
        from .append.pull import read_other

        if Path(other).resolve() == self.root.resolve():
            raise InvalidEvent("an archive cannot pull itself")
        recorder = self.recorder()
        recorder.ask = ask
        return recorder.pull(read_other(Path(other)), origin=str(other), match=match,
                             expect_seq=expect_seq)

    def verify(self, progress: Callable[[int], None] | None = None, *,
               heads: tuple[tuple[int, str], ...] = (), reset_head: bool = False,
               strict: bool = False) -> Report:
        """Check the whole log, that it still holds the head this archive has seen
        (`store.anchor`) and each of `heads` (sequence, hash or a prefix of it published
        elsewhere); `strict` also fails on a fact that cites no source. `reset_head`
        accepts a log replaced on purpose: its head becomes the remembered one, and the
        database is removed so that the next build is full."""
        from .store.verify import verify_archive

        self.require()
        return verify_archive(self.layout, self.log, progress, heads=heads,
                              reset_head=reset_head, strict=strict)

    # ------------------------------------------------------------ signed checkpoints

    def key_init(self, origin: str | None = None, key: Path | None = None) -> NewKey:
        """Make the archive's signing key (`proofs.service.key_init`) and record its public
        half and the origin in the log. The origin defaults to the folder's name."""
        from .proofs.service import key_init

        self.require().log.check_head()
        recorder = self.recorder()
        return key_init(self.log, origin or f"conference-archive/{self.root.resolve().name}",
                        key, lambda fields: recorder.add("log.key", fields))

    def checkpoint(self, key: Path | None = None) -> str:
        """Sign the log's Merkle tree as it stands: a checkpoint (a signed note)."""
        from .proofs.service import make_checkpoint

        self.require().log.check_head()
        return make_checkpoint(self.log, key)

    def prove(self, event_id: str) -> bytes:
        """The inclusion proof of one event against the latest checkpoint (JSON)."""
        from .proofs.service import prove

        self.require().log.check_head()
        return prove(self.log, event_id)

    def prove_between(self, old: str) -> bytes:
        """The consistency proof from an older checkpoint to the latest (JSON)."""
        from .proofs.service import prove_between

        self.require().log.check_head()
        return prove_between(self.log, old)

    # ------------------------------------------------------------ the database

    def build(self, output: Path | None = None, *, as_of: str | None = None,
              on: str | None = None, full: bool = False,
              progress: Progress | None = None) -> BuildResult:
        """Bring the database up to date (`exports/archive.db`, or `output`); `as_of`
        builds the archive as it stood then, into `exports/archive-as-of-<seq>.db`; `on`
        the world as it stood that day (`core.asof`), into `exports/archive-on-<day>.db`."""
        from .database.build import build
        from .store.durable import remove_dead_temps_in

        self.require().log.check_head()
        self.log.sync_attachments()
        remove_dead_temps_in(self.layout.exports)  # what killed builds and renders left
        if as_of is not None or on is not None:
            point = (AsOf.parse(as_of) if as_of is not None else AsOf("")).with_on(on)
            if output is not None:
                return build(self.log, output, as_of=point, progress=progress)
            if as_of is None:
                return build(self.log, self.layout.exports / f"archive-on-{on}.db",
                             as_of=point, progress=progress)
            return build(self.log, self.layout.as_of_database(), as_of=point,
                         progress=progress, name=self.layout.as_of_database)
        result = build(self.log, output or self.layout.database, full=full, progress=progress)
        anchor.remember(self.layout.head, anchor.Seen(result.seq, result.hash, result.offset))
        return result

    def is_stale(self) -> bool:
        from .database.build import is_stale

        self.require().log.check_head()
        return is_stale(self.log, self.layout.database)

    # ------------------------------------------------------------ outputs

    def brief(self, output: Path | None = None, *, as_of: str | None = None,
              since: int | None = None, conference: str | None = None, day: str | None = None,
              html: bool = False, limits: Limits | None = None, verify: bool = True,
              publisher: str | None = None, on: str | None = None,
              progress: Progress | None = None, lang: str = "en") -> RenderResult:
        """Render the briefing (default `exports/briefing.pdf`) from an up-to-date database,
        or from one built as of a point of the log. `verify` checks the whole log
        (`verify`; a large one beside the build and the layout, `checking`) before the
        briefing is written, and the briefing's provenance says whether it was."""
        from .briefing import render
        from .checking import beside

        with beside(self.require(), verify=verify) as passed:
            if as_of is None and on is None:
                built = self.build(progress=progress)
                target = output or self.layout.briefing(
                    since=since, day=day, html=html, lang=lang, conference=_one_of_several(
                        built.path, conference))
                return render(built.path, self.layout, target, since=since,
                              conference=conference, day=day, html=html, limits=limits,
                              verified=verify, publisher=publisher, ready=passed, lang=lang)
            with tempfile.TemporaryDirectory(prefix="briefing-as-of-") as tmp:
                built = self.build(Path(tmp) / "archive.db", as_of=as_of, on=on,
                                   progress=progress)
                target = output or self.layout.briefing(
                    as_of_seq=built.seq if as_of is not None else None, since=since,
                    day=day if on is None else f"on-{on}", html=html, lang=lang,
                    conference=_one_of_several(built.path, conference))
                return render(built.path, self.layout, target, since=since,
                              conference=conference, day=day, html=html, limits=limits,
                              verified=verify, publisher=publisher, ready=passed, lang=lang)

    def brief_series(self, output: Path | None = None, *, series: str | None = None,
                     as_of: str | None = None, html: bool = False, verify: bool = True,
                     publisher: str | None = None, lang: str = "en") -> RenderResult:
        """Render the briefing of a series (default `exports/briefing-series.pdf`)."""
        from .briefing import render_series
        from .checking import beside

        with beside(self.require(), verify=verify) as passed, \
                tempfile.TemporaryDirectory(prefix="briefing-series-") as tmp:
            built = self.build(progress=None) if as_of is None else self.build(
                Path(tmp) / "archive.db", as_of=as_of)
            target = output or self.layout.briefing(conference="series", html=html, lang=lang)
            return render_series(built.path, self.layout, target, series=series, html=html,
                                 verified=verify, publisher=publisher, ready=passed,
                                 lang=lang)

    def brief_progress(self, output: Path | None = None, *, conference: str | None = None,
                       as_of: str | None = None, on: str | None = None, html: bool = False,
                       verify: bool = True, publisher: str | None = None,
                       lang: str = "en") -> RenderResult:
        """Render the accountability report (default `exports/briefing-progress.pdf`)."""
        from .briefing import render_progress
        from .checking import beside

        with beside(self.require(), verify=verify) as passed, \
                tempfile.TemporaryDirectory(prefix="briefing-progress-") as tmp:
            built = self.build(progress=None) if as_of is None and on is None else \
                self.build(Path(tmp) / "archive.db", as_of=as_of, on=on)
            target = output or self.layout.briefing(conference="progress", html=html,
                                                    lang=lang)
            return render_progress(built.path, self.layout, target, conference=conference,
                                   html=html, verified=verify, publisher=publisher,
                                   ready=passed, lang=lang)

    def serve(self, *, port: int = 8001, build_if_stale: bool = True,
              base_url: str | None = None, echo: Callable[[str], None] = print,
              progress: Progress | None = None) -> int:
        """Bring the database up to date (unless told not to), then serve it with
        Datasette until interrupted. Returns Datasette's exit code."""
        from .database.build import recover
        from .serve.server import serve

        self.require().log.check_head()
        recover(self.layout.database)  # served immutable: never with a build half-applied
        if build_if_stale and self.is_stale():
            result = self.build(progress=progress)
            echo(f"Built {result.path} up to sequence {result.seq} "
                 f"({result.applied} new events)")
        return serve(self.layout, port=port, base_url=base_url, echo=echo)

    def publish(self, publisher: str, extra: tuple[str, ...] = (), *, dry_run: bool = False,
                echo: Callable[[str], None] = print) -> int:
        """Bring the database up to date and publish it with `datasette publish`."""
        from .serve.server import publish

        self.require()
        if not dry_run:
            self.build()
        return publish(self.layout, publisher, extra, dry_run=dry_run, echo=echo)


__all__ = ["Archive"]


def _one_of_several(db_path: Path, conference: str | None) -> str | None:
    """The id of `conference` (an id or a name) when the archive holds several (its
    briefing is then named by it); None when it holds one, or none was asked for."""
    if conference is None:
        return None
    from contextlib import closing

    from .store import sqlite

    with closing(sqlite.read_only(db_path)) as db:
        if db.execute("select count(*) from conferences").fetchone()[0] < 2:
            return None
        return str(sqlite.conference(db, conference)["id"])
