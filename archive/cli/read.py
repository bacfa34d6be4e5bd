"""Commands that read the log: log, show, verify, repair."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..core.codec import event_dict
from ..core.events import REGISTRY
from ..store.listing import Filters, find, select
from . import Context, cli, pass_context


@cli.command(name="log")
@click.option("--type", "types", multiple=True, type=click.Choice(sorted(REGISTRY)),
              help="Only events of this type (repeat for several).")
@click.option("--conference", help="Only this conference (name or id).")
@click.option("--person", help="Only events naming this person, organisation or country.")
@click.option("--from", "first", type=int, help="From this sequence number.")
@click.option("--to", "last", type=int, help="Up to this sequence number.")
@click.option("--json", "as_json", is_flag=True, help="One event per line, as in the log.")
@pass_context
def log_(ctx: Context, types: tuple[str, ...], conference: str | None, person: str | None,
         first: int | None, last: int | None, as_json: bool) -> None:
    """List events: sequence, id, type, when, and what each records.

    \b
    Example:
        archive log --type speech.delivered --person "Karim Massimov"
    """
    log = ctx.archive().log
    rows = select(log, Filters(types, conference, person, first, last))
    for event, label in rows:
        if as_json:
            click.echo(json.dumps(event_dict(event), ensure_ascii=False))
        else:
            click.echo(f"{event.seq:>5}  {event.id:<26}  {event.type:<20}  {event.at or '-':<10}"
                       f"  {label}")
    if not as_json:
        head = log.head()
        click.echo(f"head: seq {head.seq}, hash {head.hash}")


@cli.command()
@click.argument("event_id")
@pass_context
def show(ctx: Context, event_id: str) -> None:
    """Show one event in full, and any corrections or retractions of it.

    \b
    Example:
        archive show 01M8NBP0YYQASVDGMH2X078BGV
    """
    event, fixes = find(ctx.archive().log, event_id)
    click.echo(json.dumps(event_dict(event), ensure_ascii=False, indent=2))
    for fix in fixes:
        click.echo(f"{fix.type} at seq {fix.seq} ({fix.id}): "
                   f"{json.dumps(event_dict(fix)['data'], ensure_ascii=False)}")


def _head(ctx: click.Context, param: click.Parameter,
          values: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
    heads = []
    for value in values:
        seq, _, hash_ = value.partition(":")
        if not (seq.isascii() and seq.isdigit() and len(hash_) >= 8 and len(hash_) <= 64
                and all(c in "0123456789abcdef" for c in hash_)):
            raise click.BadParameter(f"{value!r} is not SEQ:HASH (a sequence number, a "
                                     "colon and at least 8 lowercase hex digits of its hash)")
        heads.append((int(seq), hash_))
    return tuple(heads)


@cli.command()
@click.option("--head", "heads", multiple=True, callback=_head, metavar="SEQ:HASH",
              help="Also check that the log holds this head, published elsewhere (a "
                   "briefing prints one); the hash may be shortened to 8 or more digits.")
@click.option("--reset-head", is_flag=True,
              help="Accept a log that was replaced on purpose by an earlier or other one: "
                   "its head becomes the one this archive remembers.")
@click.option("--strict", is_flag=True,
              help="Also fail on a fact that cites no source.")
@click.option("--pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Check the log a briefing PDF carries instead (no archive needed): its "
                   "lines, chain and rules, and that it ends at the head the briefing states; "
                   "with --pubkey, also the proofs of every event it cites.")
@click.option("--proof", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Check an inclusion proof (`archive prove`) with --pubkey alone: no "
                   "archive needed.")
@click.option("--consistent", nargs=2, metavar="OLD NEW",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Check that checkpoint NEW extends checkpoint OLD (the proof from --proof,"
                   " or from this archive).")
@click.option("--pubkey", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The archive's public key (FILE.pub), for --proof, --consistent, --pdf.")
@pass_context
def verify(ctx: Context, heads: tuple[tuple[int, str], ...], reset_head: bool,
           strict: bool, pdf: Path | None, proof: Path | None,
           consistent: tuple[Path, Path] | None, pubkey: Path | None) -> None:
    """Check every line's schema and hash, the sequence, the hash chain and references,
    and that the log still holds the highest head this archive has seen (appended or
    built), so that removed or rewritten events are noticed.

    With --proof, --consistent or --pdf, check what a reader was given instead, with
    nothing but the archive's public key.

    Exit code 1 and the file and line of the first problem if anything is wrong.

    \b
    Example:
        archive verify
        archive verify --head 77:aafb9085
        archive verify --pdf briefing.pdf --pubkey astana.pub
        archive verify --proof quote-proof.json --pubkey astana.pub
        archive verify --consistent old.txt new.txt --pubkey astana.pub
    """
    from ..errors import InvalidEvent

    if (proof is not None or consistent) and pubkey is None:
        raise InvalidEvent("--proof and --consistent need --pubkey FILE.pub (the archive's "
                           "public key)")
    if consistent:
        from ..proofs.verify import verify_consistent

        click.echo(verify_consistent(ctx.root, *consistent, pubkey=pubkey, proof=proof))
        return
    if proof is not None:
        from ..proofs.verify import verify_proof

        assert pubkey is not None
        click.echo(verify_proof(proof, pubkey))
        return
    if pdf is not None:
        from ..briefing.record import verify_attached

        record, events = verify_attached(pdf)
        proved = None
        if pubkey is not None:  # both checked before anything is said: one answer
            from ..proofs.verify import verify_pdf_proofs

            proved = verify_pdf_proofs(pdf, pubkey)
        click.echo(f"ok: the log {pdf} carries verifies: {events} events, head seq "
                   f"{record.seq}, hash {record.hash}")
        if proved is not None:
            click.echo(proved)
        return
    report = ctx.archive().verify(heads=heads, reset_head=reset_head, strict=strict)
    click.echo(f"ok: {report.events} events, head seq {report.seq}, hash {report.hash}")
    for seq, _ in heads:
        click.echo(f"holds #{seq} {report.found[seq]}")
    if reset_head:
        click.echo(f"the remembered head is now #{report.seq}; the next build is a full one")


@cli.command()
@pass_context
def repair(ctx: Context) -> None:
    """Truncate a torn last line (an interrupted write that was never acknowledged), or
    blank lines at the end of the log.

    Only that tail is removed; any other damage is reported, never repaired.

    \b
    Example:
        archive repair
    """
    removed = ctx.archive().log.repair()
    click.echo(f"removed {removed} bytes at the end of the log that held no event (a torn "
               "last line or blank lines)" if removed
               else "nothing to repair: the log ends with a complete line")
