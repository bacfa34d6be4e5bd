"""Commands that make the archive checkable beyond this machine: key, checkpoint, prove,
witness (and `verify --proof / --consistent`, in `cli.read`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..store import durable
from . import Context, cli, pass_context

KEY = click.option(
    "--key", type=click.Path(dir_okay=False, path_type=Path), envvar="ARCHIVE_KEY",
    help="The private key file (default: under your config directory, one per origin; "
         "never inside the archive folder). Env: ARCHIVE_KEY.")
OUTPUT = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                      help="Write it to this file (default: standard output).")


def _write(data: bytes, output: Path | None) -> None:
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        durable.write_atomic(output, data)


@cli.group(name="key")
def key_() -> None:
    """The archive's signing key (Ed25519), for signed checkpoints.

    \b
    Example:
        archive key init --origin archive.example.org/astana-2015
    """


@key_.command(name="init")
@click.option("--origin", metavar="NAME",
              help="The log's stable name, the first line of every checkpoint, e.g. "
                   "archive.example.org/astana-2015 (default: conference-archive/FOLDER).")
@KEY
@pass_context
def key_init(ctx: Context, origin: str | None, key: Path | None) -> None:
    """Make a key pair: the private key at --key (mode 0600), the public key beside it
    (FILE.pub, to hand to readers), and record the public key and the origin in the log.
    An existing key is never overwritten.

    \b
    Example:
        archive key init --origin archive.example.org/astana-2015
    """
    made = ctx.archive().key_init(origin, key)
    click.echo(f"made the key of {made.origin}\n  private: {made.private} (keep it; never "
               f"share it)\n  public:  {made.public} (give it to readers)\n  {made.vkey}")


@cli.command()
@KEY
@OUTPUT
@pass_context
def checkpoint(ctx: Context, key: Path | None, output: Path | None) -> None:
    """Sign the log as it stands: a checkpoint (C2SP tlog-checkpoint: the origin, the
    number of events, the Merkle tree's root, and the signature), kept as the archive's
    latest (exports/checkpoint) and written out.

    \b
    Example:
        archive checkpoint -o checkpoint-2015-07-01.txt
    """
    _write(ctx.archive().checkpoint(key).encode(), output)


@cli.command()
@click.argument("event_id", required=False)
@click.option("--between", "old", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              metavar="OLD_CHECKPOINT",
              help="Prove instead that the latest checkpoint extends this older one.")
@OUTPUT
@pass_context
def prove(ctx: Context, event_id: str | None, old: Path | None, output: Path | None) -> None:
    """Write the proof that an event is in the record (its exact line, its leaf, the
    hashes up to the root, and the signed checkpoint), or with --between that nothing was
    rewritten since an older checkpoint. Checked with `archive verify --proof`.

    \b
    Example:
        archive prove sp-nazarbayev -o quote-proof.json
        archive prove --between checkpoint-2015-07-01.txt -o consistency.json
    """
    from ..errors import InvalidEvent

    if (event_id is None) == (old is None):
        raise InvalidEvent("give an EVENT_ID, or --between OLD_CHECKPOINT (one of them)")
    archive = ctx.archive()
    if old is not None:
        data = archive.prove_between(old.read_text(encoding="utf-8"))
    else:
        assert event_id is not None
        data = archive.prove(event_id)
    if output is None and sys.stdout.isatty():
        click.echo(_summary(data))
        return
    _write(data, output)
    if output is not None:
        click.echo(f"wrote {output}", err=True)


def _summary(data: bytes) -> str:
    import json

    from ..proofs import note

    doc = json.loads(data)
    if "consistency" in doc:
        return (f"{doc['new_size']} events extend the {doc['old_size']} of the older "
                f"checkpoint: {len(doc['consistency'])} hashes\n(-o FILE writes the proof)")
    checkpoint = note.read_checkpoint(doc["checkpoint"])
    return (f"event {doc['event_id']} is leaf {doc['leaf_index']} of checkpoint "
            f"{checkpoint.size}, signed by {checkpoint.origin}: {len(doc['inclusion'])} "
            f"hashes\n(-o FILE writes the proof)")


@cli.command()
@click.argument("source", metavar="URL_OR_FILE")
@click.option("--pubkey", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The other archive's public key (needed the first time).")
@click.option("--proof", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Its consistency proof (`archive prove --between`), for a checkpoint file.")
@pass_context
def witness(ctx: Context, source: str, pubkey: Path | None, proof: Path | None) -> None:
    """Witness another archive's checkpoint (a URL, a file or an archive folder): refuse
    it unless it extends the last one seen here, and remember it (witness/ in this folder).

    \b
    Example:
        archive witness ../astana-archive --pubkey astana.pub
        archive witness checkpoint.txt --proof consistency.json
    """
    from ..proofs.witness import witness as run

    seen = run(ctx.root, source, pubkey=pubkey, proof=proof)
    new = seen.checkpoint
    if seen.previous is None:
        click.echo(f"first checkpoint of {new.origin} seen: {new.size} events, remembered")
    else:
        click.echo(f"ok: {new.origin} at {new.size} events extends the {seen.previous.size} "
                   "seen before; remembered")
