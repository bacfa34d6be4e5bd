"""Briefing benchmark: render briefings of synthetic archives with N speeches.

    python -m bench.briefing_bench [N ...]      (default 200 2000)

`run(sizes)` returns one dict per size: `seconds` (database -> PDF: read, lay out, write),
`pages`, `seconds_per_page`, `build_seconds` (log -> database, not counted), and the
`floor`: WeasyPrint rendering, in the same run (best of 3 interleaved runs each for
small sizes), a plain unstyled HTML page holding the same
text (one paragraph per line of the briefing's text), with `ratio` = seconds / floor; and
`floor_tagged`: the same plain page written as the briefing is (tagged, PDF/A-3a), so
`ratio_tagged` shows what the layout costs apart from what accessibility costs.
Archives are written through the real log and built with `archive.database.build`.
"""

from __future__ import annotations

import random
import re
import sys
import tempfile
import time
from html import escape, unescape
from pathlib import Path
from typing import Any

from archive.app import Archive
from archive.briefing import render
from archive.core.events import Source, make_payload
from archive.store.layout import Layout
from archive.store.log import Log, Pending

WORDS = ("cooperation security region dialogue prevention communities youth research media "
         "strategy partnership rights education law enforcement civil society networks "
         "training programmes radicalisation recruitment online content messaging borders "
         "trust resilience institutions governance local national international").split()
URL = "https://example.org/report"


def _sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def synthetic(root: Path, speeches: int, seed: int = 7) -> None:
    """A log with one conference of `speeches` speeches (each a summary and 1-2 quotes),
    sessions over three days, speakers, proposals, an agreement, figures and notes."""
    rng = random.Random(seed)
    log = Log(root)
    log.init()
    out: list[Pending] = []

    def add(id_: str, type_: str, data: dict[str, Any], at: str | None = None) -> None:
        src = Source(url=URL, locator=f"para {rng.randint(1, 40)}")
        out.append(Pending(id=id_, type=type_, data=make_payload(type_, data), at=at,
                           source=src))

    add("conf", "conference.held", {"name": "Synthetic Regional Conference", "place": "Astana",
                                    "start": "2015-06-29", "end": "2015-07-01",
                                    "organisers": ["Organiser A", "Organiser B"]})
    days = ["2015-06-29", "2015-06-30", "2015-07-01"]
    n_sessions = max(3, speeches // 12)
    for s in range(n_sessions):
        add(f"s{s}", "session.held", {"conference": "conf", "day": days[s % 3],
                                      "title": f"Panel {s + 1}: " + _sentence(rng, 5)[:-1]})
    n_people = max(5, speeches // 3)
    for p in range(n_people):
        add(f"a{p}", "participant.attended", {
            "conference": "conf", "entity": f"p{p}", "kind": "person",
            "name": f"Speaker {p} {rng.choice(WORDS).capitalize()}",
            "role": rng.choice(["Minister", "Director", "Ambassador", "Researcher"])})
    for i in range(speeches):
        s = rng.randrange(n_sessions)
        add(f"sp{i}", "speech.delivered", {
            "conference": "conf", "speaker": f"p{rng.randrange(n_people)}", "kind": "panel",
            "session": f"s{s}", "summary": _sentence(rng, 40),
            "quotes": [_sentence(rng, 25) for _ in range(rng.randint(1, 2))]}, days[s % 3])
    for i in range(max(1, speeches // 10)):
        add(f"pr{i}", "proposal.made", {"conference": "conf", "text": _sentence(rng, 15),
                                        "proposer": f"p{rng.randrange(n_people)}"})
    add("ag", "agreement.reached", {"conference": "conf", "title": "Joint steps",
                                    "items": [{"n": n, "text": _sentence(rng, 12)}
                                              for n in range(1, 11)]})
    for i in range(max(1, speeches // 20)):
        add(f"fg{i}", "figure.cited", {"conference": "conf", "value": rng.randint(1, 9999),
                                       "counts": _sentence(rng, 4)[:-1].lower()})
        add(f"nt{i}", "note.recorded", {"conference": "conf", "text": _sentence(rng, 30)})
    for start in range(0, len(out), 1000):
        log.append(out[start:start + 1000], recorded_at="2015-07-02T10:00:00Z",
                   recorded_by="bench")


def plain_html(briefing_html: str, lang: str = "en") -> str:
    """The same text as an unstyled page: each line of text one paragraph."""
    body = re.sub(r"(?s)<style>.*?</style>|<svg.*?</svg>|<head>.*?</head>", "", briefing_html)
    text = unescape(re.sub(r"<[^>]+>", "\n", body))
    paras = [line.strip() for line in text.splitlines() if line.strip()]
    return (f'<html lang="{lang}"><head><title>Briefing</title></head><body>'
            + "".join(f"<p>{escape(p)}</p>" for p in paras) + "</body></html>")


#: The briefing's other languages, timed against the English one on the same log.
LANGS = ("ru", "kk")


def measure(speeches: int, repeat: int = 1) -> dict[str, Any]:
    """Best of `repeat` runs of each, interleaved (the machine is shared and noisy)."""
    from weasyprint import HTML

    from archive.briefing.pdf import PDF_VARIANT

    with tempfile.TemporaryDirectory(prefix="briefing-bench-") as tmp:
        root = Path(tmp) / "archive"
        synthetic(root, speeches)
        started = time.perf_counter()
        built = Archive(root).build()
        build_seconds = time.perf_counter() - started
        html = render(built.path, Layout(root), root / "exports" / "briefing.html",
                               html=True).path.read_text("utf-8")
        plain = plain_html(html)
        plains = {lang: plain_html(render(
            built.path, Layout(root), root / "exports" / f"briefing.{lang}.html", html=True,
            lang=lang).path.read_text("utf-8"), lang) for lang in LANGS}
        runs, floors, tagged = [], [], []
        translated: dict[str, list[Any]] = {lang: [] for lang in LANGS}
        translated_floors: dict[str, list[float]] = {lang: [] for lang in LANGS}
        for _ in range(repeat):
            runs.append(render(built.path, Layout(root), root / "exports" / "briefing.pdf"))
            for lang in LANGS:  # the same log, its words, dates and plurals in `lang`
                translated[lang].append(render(
                    built.path, Layout(root), root / "exports" / f"briefing.{lang}.pdf",
                    lang=lang))
                started = time.perf_counter()
                HTML(string=plains[lang]).render().write_pdf()
                translated_floors[lang].append(time.perf_counter() - started)
            started = time.perf_counter()
            floor_doc = HTML(string=plain).render()
            floor_doc.write_pdf()
            floors.append(time.perf_counter() - started)
            started = time.perf_counter()
            HTML(string=plain).render(pdf_tags=True).write_pdf(pdf_variant=PDF_VARIANT)
            tagged.append(time.perf_counter() - started)
    result = min(runs, key=lambda r: r.seconds)
    floor, floor_tagged = min(floors), min(tagged)
    pages = result.pages or 0
    return {
        "name": "briefing PDF", "size": speeches, "speeches": speeches,
        "seconds": round(result.seconds, 3), "pages": pages,
        "seconds_per_page": round(result.seconds / pages, 4) if pages else None,
        "build_seconds": round(build_seconds, 3), "floor": round(floor, 3),
        "floor_name": "plain WeasyPrint, same text", "floor_pages": len(floor_doc.pages),
        "floor_seconds_per_page": round(floor / len(floor_doc.pages), 4),
        "ratio": round(result.seconds / floor, 2) if floor else None,
        "floor_tagged": round(floor_tagged, 3),
        "ratio_tagged": round(result.seconds / floor_tagged, 2) if floor_tagged else None,
        "bytes": result.size,
        **_translated(result, min(floors), translated, translated_floors),
    }


def _translated(english: Any, floor: float, runs: dict[str, list[Any]],
                floors: dict[str, list[float]]) -> dict[str, Any]:
    """Each other language's best run against the English one: its time, its pages, its
    floor (plain WeasyPrint of its own text) and its ratio to that floor over the English
    one's (`ratio_<lang>`: 1.0 when writing it in that language costs what writing it in
    English does). Against its own floor, because the same log makes a longer briefing
    in another language: each English text of the log carries the words that no
    translation into that language is recorded, which the English briefing does not."""
    out: dict[str, Any] = {}
    for lang, results in runs.items():
        best = min(results, key=lambda r: r.seconds)
        own = min(floors[lang])
        out[f"seconds_{lang}"] = round(best.seconds, 3)
        out[f"pages_{lang}"] = best.pages
        out[f"floor_{lang}"] = round(own, 3)
        out[f"ratio_{lang}"] = round((best.seconds / own) / (english.seconds / floor), 3)
    return out


def run(sizes: tuple[int, ...] = (200, 2000)) -> list[dict[str, Any]]:
    results = []
    for n in sizes:
        r = measure(n, repeat=3 if n <= 500 else 1)
        print(f"briefing {n:>6} speeches: {r['seconds']:.2f} s, {r['pages']} pages, "
              f"{r['seconds_per_page']:.3f} s/page; floor (plain WeasyPrint, same text) "
              f"{r['floor']:.2f} s, {r['floor_pages']} pages; ratio {r['ratio']}x; tagged "
              f"PDF/A floor {r['floor_tagged']:.2f} s, ratio {r['ratio_tagged']}x "
              f"(build {r['build_seconds']:.2f} s); "
              + "; ".join(f"{lang} {r[f'seconds_{lang}']:.2f} s, {r[f'pages_{lang}']} pages, "
                          f"floor {r[f'floor_{lang}']:.2f} s ({r[f'ratio_{lang}']}x English's "
                          "ratio to its floor)" for lang in LANGS),
              flush=True)
        results.append(r)
    return results


if __name__ == "__main__":
    run(tuple(int(a) for a in sys.argv[1:]) or (200, 2000))
