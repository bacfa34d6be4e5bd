"""Signed checkpoints and proofs (the Merkle tree of the log, `archive.store.tree`), on a
private copy of the cached archive with a signing key recorded (`archive key init`):

1. a checkpoint from the stored tree (`proofs.service.make_checkpoint`, in process, and
   `archive checkpoint` as a whole process), the index already caught up: < 1 s. Floor:
   one Ed25519 signature + the root from the stored frontier nodes
   (`merkle.Frontier.load(...).root()`); peer: a full re-hash of every line
   (`merkle.root_of` over the leaf hashes), measured in the same run;
2. what the tree adds to indexing: `Index.catch_up` over the whole log into a fresh
   sidecar with the tree, against the same with `Tree.grow` / `Tree.flush` made no-ops
   (in this process only), interleaved; and `archive import` of the 100k file into a fresh
   archive as a whole process, with and without (the same `python -c` wrapper, the patch
   applied in the child), against the floor of the hashing alone (`merkle.leaf_hashes`
   and `Frontier.extend` over the same lines in memory: two SHA-256 per event); and one
   `archive add note` (whole process, durable) with and without, interleaved: within 5%;
3. an inclusion proof (`service.prove`): its size against ceil(log2 n), and the CPU time
   (`time.process_time`, median of many) of `documents.check_inclusion`: < 5 ms;
4. `archive verify --pdf`'s proofs: `documents.check_briefing` of the proofs of 200 cited
   events (`service.prove_many`): < 1 s; and `verify.verify_pdf_proofs` of a one-page PDF
   (WeasyPrint, `briefing.pdf.html_to_pdf`) carrying them, pypdf read included."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .core import Context, Row, median, run_child, timed
from .g_append import workcopy
from .generate import archive_cmd, bench_env

G = "proofs"
CHECKPOINT_S = 1.0
TREE_SHARE = 0.05
CHECK_S = 0.005
BRIEFING_S = 1.0
CITED = 200
ORIGIN = "bench.example/proofs"

# The whole-process import, with the tree's growth optionally disabled in the child.
_WRAPPER = (
    "import sys\n"
    "if sys.argv[1] == 'off':\n"
    "    import archive.store.tree as t\n"
    "    t.Tree.start = lambda self, size: None\n"
    "    t.Tree.grow = lambda self, line: None\n"
    "    t.Tree.flush = lambda self: setattr(self, '_pending', [])\n"
    "sys.argv = ['archive', *sys.argv[2:]]\n"
    "from archive.cli import main\n"
    "main()\n")


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


@contextmanager
def no_tree() -> Iterator[None]:
    """`Tree.grow` and `Tree.flush` as no-ops (this process only)."""
    from archive.store import tree

    start, grow, flush = tree.Tree.start, tree.Tree.grow, tree.Tree.flush
    tree.Tree.start = lambda self, size: None  # type: ignore[method-assign]
    tree.Tree.grow = lambda self, line: None  # type: ignore[method-assign]
    tree.Tree.flush = lambda self: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        tree.Tree.start, tree.Tree.grow, tree.Tree.flush = start, grow, flush  # type: ignore[method-assign]


def _cpu(fn: Callable[[], Any], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.process_time()
        fn()
        out.append(time.process_time() - t0)
    return out


def _setup(ctx: Context, n: int) -> tuple[Path, Path]:
    """A copy of the cached archive with a key recorded and a first checkpoint made."""
    root = workcopy(ctx, n, G)
    key = root.parent / "keys" / "proofs.key"  # outside the archive folder
    env = bench_env()
    base = archive_cmd() + ["--archive", str(root)]
    subprocess.run(base + ["key", "init", "--origin", ORIGIN, "--key", str(key)], check=True,
                   env=env, stdout=subprocess.DEVNULL)
    subprocess.run(base + ["checkpoint", "--key", str(key)], check=True, env=env,
                   stdout=subprocess.DEVNULL)  # catches the index up over the key's event
    return root, key


def _checkpoint_rows(ctx: Context, n: int, root: Path, key: Path) -> list[Row]:
    from archive.core import merkle
    from archive.proofs import note, service
    from archive.store.index import Index
    from archive.store.open import open_log

    log = open_log(root)
    loops = 5 if ctx.quick else max(10, 3 * ctx.repeat)
    service.make_checkpoint(log, key)  # warm: imports, page cache
    load = _load()
    ours, signed = timed(lambda: service.make_checkpoint(log, key), loops)
    size = note.read_checkpoint(signed).size
    env = bench_env()
    cmd = archive_cmd() + ["--archive", str(root), "checkpoint", "--key", str(key)]
    whole = [run_child(cmd, env=env).seconds for _ in range(max(5, ctx.repeat))]

    signer = service.read_private(key)
    with Index(log) as index:
        def floor() -> str:
            frontier = merkle.Frontier.load(size, index.tree.node)
            return note.sign_checkpoint(note.Checkpoint(ORIGIN, size, frontier.root()), signer)

        floor()
        floors, floor_signed = timed(floor, max(20, loops))
    assert floor_signed == signed, "the floor's checkpoint differs from make_checkpoint's"

    def rehash() -> bytes:
        leaf = merkle.leaf_hash
        return merkle.root_of(leaf(line) for _, _, line in log.lines())

    peers, peer_root = timed(rehash, ctx.repeat)
    assert peer_root == note.read_checkpoint(signed).root, "re-hash root differs"

    med, whole_med, f_med, p_med = median(ours), median(whole), median(floors), median(peers)
    peer_name = "full re-hash: root_of over every line's leaf hash"
    goal = f"< {CHECKPOINT_S:g} s"
    return [
        Row(G, "checkpoint from the stored tree (make_checkpoint, in process)", n, med,
            size / med, floor=p_med, floor_name=peer_name, goal=goal,
            passed=med < CHECKPOINT_S, runs=ours,
            extra={"load": load, "x_floor": med / f_med, "x_peer": med / p_med}),
        Row(G, "archive checkpoint (whole process)", n, whole_med, size / whole_med,
            floor=p_med, floor_name=peer_name, goal=goal, passed=whole_med < CHECKPOINT_S,
            runs=whole),
        Row(G, "checkpoint (in process) vs floor: Ed25519 sign + root of the stored "
            "frontier", n, med, size / med, floor=f_med, floor_name="sign + frontier root",
            runs=ours),
        Row(G, "floor: Ed25519 sign + Frontier.load(size).root() (index open)", n, f_med,
            runs=floors),
        Row(G, "peer: full re-hash (read every line, leaf_hash, root_of)", n, p_med,
            size / p_med, runs=peers),
    ]


def _catch_up_rows(ctx: Context, n: int, root: Path) -> list[Row]:
    from archive.store.index import Index
    from archive.store.open import open_log

    log = open_log(root)
    path = root.parent / "fresh-index.sqlite"

    def build() -> int:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        with Index(log, path) as index:
            return index.catch_up()

    load = _load()
    on: list[float] = []
    off: list[float] = []
    runs = max(3, ctx.repeat)
    for i in range(runs):  # interleaved, the order alternating
        for mode in (("on", "off") if i % 2 == 0 else ("off", "on")):
            t0 = time.perf_counter()
            if mode == "on":
                added = build()
                on.append(time.perf_counter() - t0)
            else:
                with no_tree():
                    added = build()
                off.append(time.perf_counter() - t0)
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    from archive.core import merkle

    lines = [line for _, _, line in log.lines()]

    def hashing() -> None:
        merkle.Frontier().extend(merkle.leaf_hashes(lines))

    hashed, _ = timed(hashing, max(3, ctx.repeat))
    a, b = median(on), median(off)
    h = median(hashed)
    return [
        Row(G, "floor: the tree's hashing alone (leaf_hashes + Frontier.extend, in memory)",
            n, h, n / h, runs=hashed, extra={"share_of_catch_up_off": h / b}),
        Row(G, "Index.catch_up over the whole log, with the tree (vs tree disabled)", n, a,
            added / a, floor=b, floor_name="Tree.start/grow/flush no-ops",
            goal=f"<= +{TREE_SHARE:.0%}", passed=a <= (1 + TREE_SHARE) * b, runs=on,
            extra={"load": load, "tree_share": a / b - 1, "off_runs": off}),
        Row(G, "Index.catch_up over the whole log, tree disabled (in process)", n, b,
            added / b, runs=off),
    ]


def _import_rows(ctx: Context, n: int) -> list[Row]:
    data = ctx.data(n)
    env = bench_env()
    load = _load()
    times: dict[str, list[float]] = {"on": [], "off": []}
    runs = max(3, ctx.repeat)
    for i in range(runs):
        for mode in (("on", "off") if i % 2 == 0 else ("off", "on")):
            root = ctx.scratch(f"proofs-import-{mode}-{n}") / "archive"
            wrap = [sys.executable, "-c", _WRAPPER, mode, "--archive", str(root)]
            subprocess.run(wrap + ["init"], check=True, env=env, stdout=subprocess.DEVNULL)
            child = run_child(wrap + ["import", str(data / "import.jsonl")], env=env)
            times[mode].append(child.seconds)
    a, b = median(times["on"]), median(times["off"])
    return [
        Row(G, "archive import (whole process), with the tree (vs tree disabled in the child)",
            n, a, n / a, floor=b, floor_name="Tree.start/grow/flush no-ops",
            goal=f"<= +{TREE_SHARE:.0%}",
            passed=a <= (1 + TREE_SHARE) * b, runs=times["on"],
            extra={"load": load, "tree_share": a / b - 1, "off_runs": times["off"]}),
        Row(G, "archive import (whole process), tree disabled", n, b, n / b,
            runs=times["off"]),
    ]


def _add_rows(ctx: Context, n: int) -> list[Row]:
    """One interactive `archive add note` (whole process, durable) with the tree and with
    it disabled in the child, interleaved: what appending pays for the tree (one leaf and
    O(log n) nodes)."""
    import json

    meta = json.loads((ctx.data(n) / "meta.json").read_text())
    roots = {mode: workcopy(ctx, n, f"proofs-append-{mode}") for mode in ("on", "off")}
    env = bench_env()
    times: dict[str, list[float]] = {"on": [], "off": []}
    loops = 6 if ctx.quick else max(20, 7 * ctx.repeat)

    def add(mode: str, i: int) -> float:
        cmd = [sys.executable, "-c", _WRAPPER, mode, "--archive", str(roots[mode]), "add", "note",
               "--conference", meta["conferences"][-1], "--source", "urn:bench:proofs",
               "--text", f"Note {mode} {i}.", "--locator", f"{mode}{i}"]
        return run_child(cmd, env=env).seconds

    add("on", -1)  # each index (and the tree) catches up once, outside the timing
    add("off", -1)
    load = _load()
    for i in range(loops):
        for mode in (("on", "off") if i % 2 == 0 else ("off", "on")):
            times[mode].append(add(mode, i))
    a, b = median(times["on"]), median(times["off"])
    return [
        Row(G, "archive add note (whole process, durable), with the tree (vs disabled)", n,
            a, 1 / a, unit="adds/s", floor=b, floor_name="Tree.start/grow/flush no-ops",
            goal=f"<= +{TREE_SHARE:.0%}", passed=a <= (1 + TREE_SHARE) * b, runs=times["on"],
            extra={"load": load, "tree_share": a / b - 1, "off_runs": times["off"]}),
    ]


def _spread(index: Any, count: int) -> dict[str, int]:
    size = index.head_seq()
    step = max(1, size // count)
    seqs = sorted({min(size, 1 + i * step + step // 2) for i in range(count)})
    rows = index.db.execute(
        "select id, seq from ids where seq in ({})".format(",".join("?" * len(seqs))),
        seqs).fetchall()
    return {i: s for i, s in sorted(rows, key=lambda r: r[1])}


def _proof_rows(ctx: Context, n: int, root: Path, key: Path) -> list[Row]:
    from archive.proofs import documents, service, verify
    from archive.store.index import Index
    from archive.store.open import open_log

    log = open_log(root)
    signed = service.latest(log)
    pub = service.public_of(key)
    verifier = service.read_public(pub)
    with Index(log) as index:
        cited = _spread(index, CITED)
        size = index.head_seq()
    middle = list(cited)[len(cited) // 2]
    rows: list[Row] = []

    # 3. one inclusion proof
    proves, doc = timed(lambda: service.prove(log, middle), max(5, ctx.repeat))
    import msgspec

    hashes = len(msgspec.json.decode(doc)["inclusion"])
    ceil = math.ceil(math.log2(size))
    documents.check_inclusion(doc, verifier)  # warm: cryptography's import
    loops = 50 if ctx.quick else 500
    load = _load()
    cpu = _cpu(lambda: documents.check_inclusion(doc, verifier), loops)
    med = median(cpu)
    rows += [
        Row(G, f"inclusion proof size (hashes; x = / ceil(log2 n) = {ceil})", n, None,
            hashes, unit="hashes", x=hashes / ceil, goal=f"<= {ceil}", passed=hashes <= ceil,
            extra={"document_bytes": len(doc), "tree_size": size}),
        Row(G, f"check_inclusion of one proof (CPU, median of {loops})", n, med, 1 / med,
            unit="checks/s", goal=f"< {CHECK_S * 1000:g} ms", passed=med < CHECK_S,
            runs=sorted(cpu)[::max(1, loops // 50)], extra={"load": load}),
        Row(G, "service.prove of one event (in process, latest checkpoint checked)", n,
            median(proves), runs=proves),
    ]

    # 4. a briefing's proofs of 200 cited events
    makes, made = timed(lambda: service.prove_many(log, cited, signed), max(3, ctx.repeat))
    data, _, count = made
    documents.check_briefing(data, verifier)
    load = _load()
    loops = 5 if ctx.quick else max(20, 5 * ctx.repeat)
    checks, (_, proved) = timed(lambda: documents.check_briefing(data, verifier), loops)
    assert len(proved) == count == len(cited)
    med = median(checks)
    rows += [
        Row(G, f"check_briefing of {count} cited events' proofs", n, med, count / med,
            unit="proofs/s", goal=f"< {BRIEFING_S:g} s", passed=med < BRIEFING_S, runs=checks,
            extra={"load": load, "document_bytes": len(data),
                   "cpu": median(_cpu(lambda: documents.check_briefing(data, verifier), 5))}),
        Row(G, f"service.prove_many of {count} events (the briefing's proofs)", n,
            median(makes), count / median(makes), unit="proofs/s", runs=makes),
    ]
    try:
        from archive.briefing.pdf import html_to_pdf

        pdf = root.parent / "briefing-proofs.pdf"
        out = html_to_pdf("<html lang='en'><head><title>Bench</title></head><body>"
                          "<h1>Bench</h1><p>Proofs attached.</p></body></html>",
                          root=root, max_pages=5, proofs=data)
        pdf.write_bytes(out.data)
        verify.verify_pdf_proofs(pdf, pub)
        runs, said = timed(lambda: verify.verify_pdf_proofs(pdf, pub), loops)
        med = median(runs)
        rows.append(Row(G, f"verify_pdf_proofs: pypdf read + check of {count} proofs "
                        f"(1-page PDF, {len(out.data) // 1024} KiB)", n, med, count / med,
                        unit="proofs/s", goal=f"< {BRIEFING_S:g} s", passed=med < BRIEFING_S,
                        runs=runs, extra={"said": said}))
    except ImportError as exc:  # WeasyPrint missing: the check alone is reported above
        rows.append(Row(G, "verify_pdf_proofs (PDF)", n, None, status=f"skipped: {exc}"))
    return rows


def run(ctx: Context) -> list[Row]:
    rows: list[Row] = []
    sizes = ctx.sizes
    for n in sizes:
        root, key = _setup(ctx, n)
        rows += _checkpoint_rows(ctx, n, root, key)
        rows += _proof_rows(ctx, n, root, key)
        rows += _catch_up_rows(ctx, n, root)
        rows += _add_rows(ctx, n)
    small = [n for n in sizes if n <= 100_000]
    rows += _import_rows(ctx, max(small) if small else min(sizes))
    return rows
