"""Lay a `Briefing` out as HTML with Jinja2 (autoescape on, StrictUndefined).

Pure apart from reading the package's own template and stylesheet: the same briefing
always gives the same HTML, so the same log prefix gives the same PDF.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from ..statements import shortened
from .charts import Chart, charts
from .i18n import Dates
from .model import LANG, Briefing, Note, Participant, Ref, SourceInfo, foreign

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STYLESHEET = HERE / "style.css"
#: What only the web version adds (its skip link; a phone's width: a media feature
#: WeasyPrint skips).
WEB_STYLESHEET = HERE / "web.css"


def stylesheet(web: bool) -> str:
    """The briefing's stylesheet: the PDF's, or the web version's (with `web.css`)."""
    css = STYLESHEET.read_text("utf-8")
    return css + WEB_STYLESHEET.read_text("utf-8") if web else css
SUMMARY_LIMIT = 8


# ---------------------------------------------------------------- dates


#: The briefing's dates (its language's CLDR formats: `i18n.Dates`).
DATES = Dates(LANG)


def longdate(value: str | None) -> str:
    """`2015-06-29` -> `29 June 2015`; `2015-09` -> `September 2015`; others unchanged."""
    return DATES.long(value)


def daterange(start: str | None, end: str | None) -> str:
    """`29–30 June 2015` for two days of one month, otherwise the two long dates."""
    return DATES.range(start, end)


# ---------------------------------------------------------------- citations


@dataclass
class SourceNote:
    n: int
    url: str | None
    locator: str | None
    events: list[int] = field(default_factory=list)
    #: the recorded source the URL or id names, if any
    source: SourceInfo | None = None

    @property
    def where(self) -> str | None:
        """The locator as a reader writes it: p14 is "para. 14", p4,p5 "paras. 4, 5"."""
        return paragraphs(self.locator)

    @property
    def linkable(self) -> bool:
        return bool(self.url) and re.match(r"^https?://[^\s]+$", self.url or "") is not None

    @property
    def events_label(self) -> str:
        seqs = sorted(set(self.events))
        if len(seqs) > 12:
            return ", ".join(f"#{s}" for s in seqs[:12]) + f" and {len(seqs) - 12} more"
        return ", ".join(f"#{s}" for s in seqs)


#: How the briefing names a recorded kind (of a session, speech or meeting).
LABELS = {
    "session": {"plenary": "Plenary", "panel": "Panel", "workshop": "Workshop",
                "theme": "Thematic session", "other": "Session"},
    "meeting": {"bilateral": "Bilateral meeting", "trilateral": "Trilateral meeting",
                "informal": "Informal meeting", "side-event": "Side event",
                "working": "Working meeting", "other": "Meeting"},
}

#: A speech's kind as a count names it (singular, plural).
KIND_NAMES = {"opening": ("opening address", "opening addresses"),
              "keynote": ("keynote address", "keynote addresses"),
              "panel": ("panel contribution", "panel contributions"),
              "closing": ("closing address", "closing addresses"),
              "interview": ("interview", "interviews"),
              "remark": ("other remark", "other remarks"),
              "statement": ("statement", "statements")}

#: How the cover names the kind of the principal source.
SOURCE_KINDS = {"press": "Press reporting", "official": "Official documents",
                "transcript": "A transcript", "video": "A video recording"}


def paragraphs(locator: str | None) -> str | None:
    """`p14` -> `para. 14`, `p18-p19` -> `paras. 18-19`, `p4,p5,p20` -> `paras. 4, 5, 20`;
    any other locator as recorded."""
    if not locator or not re.fullmatch(r"p\d+(-p\d+)?(,p\d+(-p\d+)?)*", locator):
        return locator
    parts = [part.replace("p", "") for part in locator.split(",")]
    many = len(parts) > 1 or "-" in parts[0]
    return ("paras. " if many else "para. ") + ", ".join(parts)


class Citations:
    """Numbered notes in order of first citation: one per (source URL, locator)."""

    def __init__(self, sources: dict[str, SourceInfo] | None = None) -> None:
        self._notes: dict[tuple[str, str], SourceNote] = {}
        self._sources = sources or {}

    def cite(self, ref: Ref) -> int:
        key = (ref.source_url or "", ref.source_locator or "") if ref.source_url else (
            "", f"event:{ref.event_id}")
        note = self._notes.get(key)
        if note is None:
            note = SourceNote(len(self._notes) + 1, ref.source_url,
                              ref.source_locator if ref.source_url else None,
                              source=self._sources.get(ref.source_url or ""))
            self._notes[key] = note
        note.events.append(ref.seq)
        return note.n

    def sources(self) -> list[SourceNote]:
        return list(self._notes.values())


# ---------------------------------------------------------------- sections


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    level: int = 1


@dataclass(frozen=True)
class Group:
    kind: str
    title: str
    items: tuple[Participant, ...]


#: Countries and organisations with a standing other than taking part are listed by it,
#: in this order (singular, plural); the rest by kind.
STANDINGS = {"host": ("Host", "Hosts"), "organiser": ("Organiser", "Organisers"),
             "supporter": ("Supporter", "Supporters"), "member": ("Member", "Members"),
             "observer": ("Observer", "Observers"), "guest": ("Guest", "Guests")}


def participant_groups(b: Briefing) -> list[Group]:
    """Participants in protocol order: standings first, then countries, international
    bodies, other organisations and people, each alphabetical (people by surname)."""
    parts = [p for p in b.participants if p.kind == "person" or p.status not in STANDINGS]
    groups = []
    for status, (one, many) in STANDINGS.items():
        items = tuple(p for p in b.participants if p.kind != "person" and p.status == status)
        groups.append(Group("standing", one if len(items) == 1 else many, items))
    groups += [
        Group("country", "Countries", tuple(p for p in parts if p.kind == "country")),
        Group("international", "International bodies",
              tuple(p for p in parts if p.international)),
        Group("organisation", "Organisations",
              tuple(p for p in parts if p.kind == "organisation" and not p.international)),
        Group("person", "People", tuple(p for p in parts if p.kind == "person")),
    ]
    return [dataclasses.replace(g, items=tuple(sorted(g.items, key=lambda p: p.sort_key)))
            for g in groups if g.items]


@dataclass(frozen=True)
class NoteGroup:
    """Notes that share a tag (`name` None for untagged ones). A tag is the recorder's
    word for a note, not a theme of the conference: those are its recorded topics."""

    name: str | None
    notes: tuple[Note, ...]


def note_groups(b: Briefing) -> list[NoteGroup]:
    """The notes grouped by their tags, in order of first mention; untagged notes last."""
    grouped: dict[str | None, list[Note]] = {}
    for note in b.notes:
        grouped.setdefault(note.topic, []).append(note)
    named = [NoteGroup(name, tuple(ns)) for name, ns in grouped.items() if name is not None]
    return named + ([NoteGroup(None, tuple(grouped[None]))] if None in grouped else [])


#: Names read with "the" in running text: an institution "of" or "for" something (the
#: Government of Kazakhstan, the Organization for Security and Co-operation in Europe),
#: and the few countries and bodies whose names are plural or a description.
_THE = re.compile(
    r"^(?:(?:[A-Z][\w'-]*\s+){1,4}(?:of|for|on|in)\s|United\s|European\s|Netherlands\b|"
    r"Philippines\b|Maldives\b|Bahamas\b|Gambia\b)")
#: Names that begin with a word that takes no article (a country of that shape).
_NO_THE = re.compile(r"^(?:Bosnia|Trinidad|Antigua|Saint|St\.|São|Sao|Papua|Turks)\b")


#: The running head's box: 55% of the 140 mm measure, set in DejaVu Sans 7.5pt.
HEAD_MM = 0.55 * 140
HEAD_PT = 7.5
DEJAVU_SANS = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@functools.cache
def _advances() -> tuple[dict[int, int], int] | None:
    """Each character's advance width in DejaVu Sans (font units), and units per em."""
    try:
        from fontTools.ttLib import TTFont

        font = TTFont(DEJAVU_SANS, lazy=True)
        metrics = font["hmtx"]
        return ({cp: metrics[glyph][0] for cp, glyph in font.getBestCmap().items()},
                int(font["head"].unitsPerEm))
    except Exception:  # no such font here: measured as an average width below
        return None


def widths_mm(text: str, size_pt: float = HEAD_PT) -> list[float]:
    """How wide each character of `text` is set in DejaVu Sans at `size_pt` (an average
    glyph for a character the font lacks, or without the font)."""
    known = _advances()
    advances, em = known if known is not None else ({}, 1)
    scale = size_pt * 25.4 / 72 / em
    return [advances.get(ord(c), em * 0.62) * scale for c in text]


def width_mm(text: str, size_pt: float = HEAD_PT) -> float:
    """How wide `text` is set in DejaVu Sans at `size_pt`."""
    return sum(widths_mm(text, size_pt))


def running_head(name: str, room: float = HEAD_MM) -> str:
    """A name that fits the running head, cut after a whole word with an ellipsis
    ("Central and South Asian Regional Conference…"), never clipped in a word. Each
    character is measured once (a hostile name is long)."""
    name = " ".join(name.split())
    if width_mm(name) <= room:
        return name
    room -= width_mm("…")
    fits, used = 0, 0.0  # how many characters fit in the room
    for width in widths_mm(name):
        if used + width > room:
            break
        fits, used = fits + 1, used + width
    return shortened(name, fits)


def and_join(items: Iterable[str]) -> str:
    """`a`, `a and b`, `a, b and c`: a list as a sentence says it."""
    words = list(items)
    return " and ".join(words) if len(words) < 3 else f"{', '.join(words[:-1])} and {words[-1]}"


def in_prose(name: str) -> str:
    """A name as running text says it: "organised by the Government of Kazakhstan" (a
    cover line or a heading says the bare name). A name that already begins with an
    article, or is not English-shaped, is left as it is."""
    if not name or name[:4].lower() == "the " or _NO_THE.match(name) or not _THE.match(name):
        return name
    return f"the {name}"


def acronyms(b: Briefing) -> list[tuple[str, str]]:
    """Short names the briefing uses, with the names they stand for, alphabetically."""
    pairs = {(p.short_name, p.name) for p in b.participants
             if p.short_name and p.short_name.casefold() != p.name.casefold()}
    return sorted(pairs, key=lambda pair: (pair[0].casefold(), pair[1]))


def sections(b: Briefing) -> list[Section]:
    """The chapters this briefing has, in order (the contents page lists them); annexes
    are numbered in order of appearance."""
    out = [Section("summary", "Executive summary")]
    body = [
        ("programme", "Programme", b.days), ("agreements", "Agreements", b.agreements),
        ("commitments", "Progress on commitments", b.commitments),
        ("proceedings", "Proceedings", b.days), ("proposals", "Proposals", b.proposals),
        ("meetings", "Meetings on the sidelines", b.meetings),
        ("delegations", "Delegations", b.delegations), ("notes", "Notes", b.notes),
    ]
    annexes = [
        ("participants", "Participants", b.participants),
        ("acronyms", "Acronyms", acronyms(b)),
        ("followups", "Follow-up meetings", b.followups),
        ("figures", "Figures cited", b.figures),
        ("photos", "Photos and documents", b.attachments),
        ("corrections", "Corrections and retractions", b.revisions or b.retractions),
    ]
    for id_, title, content in body:
        if content:
            out.append(Section(id_, title))
        if id_ == "proceedings" and content:
            out.extend(Section(f"day-{i}", day_title(b, d.day), 2)
                       for i, d in enumerate(b.days, 1) if day_title(b, d.day))
    present = [(id_, title) for id_, title, content in annexes if content]
    out += [Section(id_, f"Annex {n}. {title}") for n, (id_, title) in enumerate(present, 1)]
    out += [Section("sources", "Sources"), Section("colophon", "About this briefing")]
    return out


def day_title(b: Briefing, day: str | None) -> str:
    """A day's heading: its date; sessions whose day the record does not give are headed
    by the conference's dates (they took place during it)."""
    if day:
        return longdate(day)
    return daterange(b.conference.start, b.conference.end)


# ---------------------------------------------------------------- languages

_CYRILLIC = re.compile(r"[\u0400-\u04FF]+(?:[\s\-–.,«»()0-9]*[\u0400-\u04FF]+)*")
_KAZAKH = set("ӘәҒғҚқҢңӨөҰұҮүҺһІі")
_TEXT = re.compile(r"(<[^>]*)>([^<]+)(?=<)")


def mark_languages(html: str) -> str:
    """Mark every run of Cyrillic text in the body that the record gives no language
    (a name, a credit) with its likely one (`lang="kk"` when it has letters only Kazakh
    uses, else `lang="ru"`), so that screen readers and the tagged PDF read it in the
    right voice. A text whose element carries its recorded language (`lang=`) and text
    inside SVG are left alone."""

    def span(m: re.Match[str]) -> str:
        run = m.group(0)
        lang = "kk" if _KAZAKH & set(run) else "ru"
        return f'<span lang="{lang}">{run}</span>'

    def text(m: re.Match[str]) -> str:
        tag, words = m.group(1), m.group(2)
        if " lang=" in tag:
            return m.group(0)
        return tag + ">" + _CYRILLIC.sub(span, words)

    head, sep, body = html.partition("<body")
    parts = re.split(r"(<svg\b.*?</svg>)", body, flags=re.S)
    body = "".join(part if part.startswith("<svg") else _TEXT.sub(text, part)
                   for part in parts)
    return head + sep + body


def principal_source(b: Briefing) -> SourceInfo | None:
    """The recorded source most facts of the briefing cite (for the cover)."""
    counts: dict[str, int] = {}
    refs = [b.conference.ref, *(sp.ref for sp in b.speeches), *(p.ref for p in b.proposals),
            *(a.ref for a in b.agreements), *(f.ref for f in b.figures),
            *(p.ref for p in b.participants), *(n.ref for n in b.notes)]
    for ref in refs:
        info = b.sources.get(ref.source_url or "")
        if info is not None:
            counts[info.id] = counts.get(info.id, 0) + 1
    return b.sources[max(counts, key=lambda k: counts[k])] if counts else None


# ---------------------------------------------------------------- rendering


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
        trim_blocks=False, lstrip_blocks=False, keep_trailing_newline=True,
        extensions=["jinja2.ext.do"],
    )
    env.filters["longdate"] = longdate
    env.tests["foreign"] = foreign
    env.filters["daterange"] = daterange
    env.filters["source_kind"] = lambda kind: SOURCE_KINDS.get(kind, "A source")
    env.filters["where"] = paragraphs
    env.filters["in_prose"] = in_prose
    env.filters["and_join"] = and_join
    env.filters["running_head"] = running_head
    return env


def kind_label(b: Briefing) -> str:
    if b.since is not None:
        return f"Update briefing · new since log event #{b.since.seq}"
    if b.day is not None:
        return "One-day briefing"
    return "Conference briefing"


def metadata(b: Briefing) -> dict[str, Any]:
    """Title, subject and keywords (they become the PDF's document information)."""
    c = b.conference
    title = f"{c.name}: briefing"
    if b.day:
        title += f" for {longdate(b.day)}"
    if b.since:
        title += f" (update since event #{b.since.seq})"
    when = daterange(c.start, c.end)
    subject = ", ".join(x for x in (c.place, when) if x)
    subject = f"Briefing on {c.name}" + (f" ({subject})" if subject else "")
    keywords = ["conference briefing", c.name]
    keywords += [x for x in (c.place, (c.start or "")[:4]) if x]
    return {"title": title, "subject": subject, "keywords": keywords}


def render_html(b: Briefing, *, attachment_base: str, web: bool = False,
                css: str | None = None) -> tuple[str, list[Chart]]:
    """The briefing as one HTML document (stylesheet inlined). Photos are
    `<attachment_base><sha256>`: `attachment:` for the PDF (the fetcher's own scheme, so
    the PDF does not depend on where the archive folder is), a file URL for a preview.
    `web`: the web version (its stylesheet adds `web.css`)."""
    css = stylesheet(web) if css is None else css
    if "</" in css:
        raise ValueError("the stylesheet may not contain '</'")
    drawn = charts(b)
    template = environment().get_template("briefing.html.j2")
    chapters = sections(b)
    html = template.render(
        b=b, css=Markup(css), charts=[_markup(c) for c in drawn],
        sections=chapters, titles={s.id: s.title for s in chapters},
        participant_groups=participant_groups(b), note_groups=note_groups(b), acronyms=acronyms(b),
        day_title=lambda day: day_title(b, day), labels=LABELS, kind_names=KIND_NAMES,
        citations=Citations(b.sources), principal=principal_source(b),
        attachment_base=attachment_base, kind_label=kind_label(b),
        summary_limit=SUMMARY_LIMIT,
        **metadata(b),
    )
    return mark_languages(html), drawn


def _markup(chart: Chart) -> Chart:
    # The SVG is built by charts.py with every label escaped; mark it safe for Jinja.
    return Chart(chart.id, chart.title, Markup(chart.svg), chart.alt)
