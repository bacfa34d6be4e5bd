"""Lay a `Briefing` out as HTML with Jinja2 (autoescape on, StrictUndefined).

Pure apart from reading the package's own template and stylesheet: the same briefing
always gives the same HTML, so the same log prefix gives the same PDF.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from ..core.langs import DEFAULT
from ..statements import shortened
from .charts import Chart, charts
from .i18n import N_, Dates, Nn_, Words
from .metrics import width_mm, widths_mm
from .model import Briefing, Note, Participant, Ref, SourceInfo, foreign

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STYLESHEET = HERE / "style.css"
#: What only the web version adds (its skip link; a phone's width: a media feature
#: WeasyPrint skips).
WEB_STYLESHEET = HERE / "web.css"


def stylesheet(web: bool, words: Words | None = None) -> str:
    """The briefing's stylesheet: the PDF's, or the web version's (with `web.css`), with
    the words it prints (a page's footer, a photo's credit) in the briefing's language."""
    css = STYLESHEET.read_text("utf-8") + stylesheet_words(words or Words())
    return css + WEB_STYLESHEET.read_text("utf-8") if web else css


def stylesheet_words(words: Words) -> str:
    """The stylesheet's words, from the catalogue: "Page 3 of 20" with CSS counters where
    the page numbers go, and a photo credit's label."""
    def string(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    footer = words.gettext("Page %(page)s of %(pages)s", page="\0page\0", pages="\0pages\0")
    parts = [f"counter({part})" if i % 2 else string(part)
             for i, part in enumerate(footer.split("\0")) if part]
    credit = string(words.gettext("Photo: "))
    return ("\n/* the briefing's language (`document.stylesheet_words`) */\n"
            f"@page {{ @bottom-right {{ content: {' '.join(parts)}; }} }}\n"
            f".credit::before {{ content: {credit}; }}\n")
SUMMARY_LIMIT = 8

#: An English briefing's dates (the series and progress briefings, and tests).
_ENGLISH = Dates("en")
longdate = _ENGLISH.long
daterange = _ENGLISH.range


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
    def linkable(self) -> bool:
        return bool(self.url) and re.match(r"^https?://[^\s]+$", self.url or "") is not None



#: How the briefing names a recorded kind (of a session, speech or meeting). Every word
#: here is in English, the catalogues' source language, and is translated where it is used.
LABELS = {
    "session": {"plenary": N_("Plenary"), "panel": N_("Panel"), "workshop": N_("Workshop"),
                "theme": N_("Thematic session"), "other": N_("Session")},
    "meeting": {"bilateral": N_("Bilateral meeting"), "trilateral": N_("Trilateral meeting"),
                "informal": N_("Informal meeting"), "side-event": N_("Side event"),
                "working": N_("Working meeting"), "other": N_("Meeting")},
}

#: A speech's kind as a count names it (singular, plural; '' for a speech of no kind).
KIND_NAMES = {"opening": Nn_("%(num)s opening address", "%(num)s opening addresses"),
              "keynote": Nn_("%(num)s keynote address", "%(num)s keynote addresses"),
              "panel": Nn_("%(num)s panel contribution", "%(num)s panel contributions"),
              "closing": Nn_("%(num)s closing address", "%(num)s closing addresses"),
              "interview": Nn_("%(num)s interview", "%(num)s interviews"),
              "remark": Nn_("%(num)s other remark", "%(num)s other remarks"),
              "statement": Nn_("%(num)s statement", "%(num)s statements"),
              "": Nn_("%(num)s other speech", "%(num)s other speeches")}

#: How the cover names the kind of the principal source.
SOURCE_KINDS = {"press": N_("Press reporting"), "official": N_("Official documents"),
                "transcript": N_("A transcript"), "video": N_("A video recording")}

#: Recorded words the briefing prints as they are in English and translated in the others:
#: an agreement's kind and status, a commitment's status, a figure's qualifier, a standing.
RECORDED_WORDS = (
    N_("declaration"), N_("convention"), N_("decision"), N_("communique"), N_("statement"),
    N_("action plan"), N_("memorandum"),
    N_("agreed"), N_("in-progress"), N_("done"), N_("stalled"), N_("dropped"),
    N_("about"), N_("more than"), N_("at least"), N_("fewer than"), N_("up to"),
    N_("host"), N_("organiser"), N_("supporter"), N_("member"), N_("observer"),
    N_("guest"), N_("participant"),
    # `statements.AGREEMENT_STATUS`: the key message's word and the running text's phrase
    N_("Agreed"), N_("Adopted"), N_("adopted"), N_("Signed"), N_("signed"), N_("Endorsed"),
    N_("endorsed"), N_("Initialled"), N_("initialled"), N_("Due to be signed"),
    N_("due to be signed"), N_("Proposed"), N_("proposed, not adopted"), N_("Rejected"),
    N_("rejected"), N_("Recorded"), N_("status not stated"),
)


def paragraphs(locator: str | None, words: Words | None = None) -> str | None:
    """`p14` -> `para. 14`, `p18-p19` -> `paras. 18-19`, `p4,p5,p20` -> `paras. 4, 5, 20`;
    any other locator as recorded."""
    if not locator or not re.fullmatch(r"p\d+(-p\d+)?(,p\d+(-p\d+)?)*", locator):
        return locator
    words = words or Words()
    parts = [part.replace("p", "") for part in locator.split(",")]
    many = len(parts) > 1 or "-" in parts[0]
    return (words.gettext("paras. %(list)s", list=", ".join(parts)) if many
            else words.gettext("para. %(list)s", list=parts[0]))


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
#: in this order (the heading of one, and of several: a heading says "one or several",
#: not a count's plural form); the rest by kind.
STANDINGS = {"host": (N_("Host"), N_("Hosts")), "organiser": (N_("Organiser"), N_("Organisers")),
             "supporter": (N_("Supporter"), N_("Supporters")),
             "member": (N_("Member"), N_("Members")),
             "observer": (N_("Observer"), N_("Observers")), "guest": (N_("Guest"), N_("Guests"))}


def participant_groups(b: Briefing, words: Words | None = None) -> list[Group]:
    """Participants in protocol order: standings first, then countries, international
    bodies, other organisations and people, each alphabetical (people by surname)."""
    words = words or Words()
    parts = [p for p in b.participants if p.kind == "person" or p.status not in STANDINGS]
    groups = []
    for status, (one, many) in STANDINGS.items():
        items = tuple(p for p in b.participants if p.kind != "person" and p.status == status)
        groups.append(Group("standing", words.gettext(one if len(items) == 1 else many), items))
    groups += [
        Group("country", words.gettext("Countries"),
              tuple(p for p in parts if p.kind == "country")),
        Group("international", words.gettext("International bodies"),
              tuple(p for p in parts if p.international)),
        Group("organisation", words.gettext("Organisations"),
              tuple(p for p in parts if p.kind == "organisation" and not p.international)),
        Group("person", words.gettext("People"), tuple(p for p in parts if p.kind == "person")),
    ]
    def key(p: Participant) -> tuple[str, str]:  # a country by the name the briefing shows
        shown = words.country(p.name) if p.kind == "country" else None
        return (shown.casefold(), shown.casefold()) if shown else p.sort_key

    return [dataclasses.replace(g, items=tuple(sorted(g.items, key=key)))
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


def running_head(name: str, room: float = HEAD_MM) -> str:
    """A name that fits the running head, cut after a whole word with an ellipsis
    ("Central and South Asian Regional Conference…"), never clipped in a word. Each
    character is measured once (a hostile name is long)."""
    name = " ".join(name.split())
    if width_mm(name, HEAD_PT) <= room:
        return name
    room -= width_mm("…", HEAD_PT)
    fits, used = 0, 0.0  # how many characters fit in the room
    for width in widths_mm(name, HEAD_PT):
        if used + width > room:
            break
        fits, used = fits + 1, used + width
    return shortened(name, fits)


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


def sections(b: Briefing, words: Words | None = None) -> list[Section]:
    """The chapters this briefing has, in order (the contents page lists them); annexes
    are numbered in order of appearance."""
    w = words or Words()
    out = [Section("summary", w.gettext("Executive summary"))]
    body = [
        ("programme", N_("Programme"), b.days), ("agreements", N_("Agreements"), b.agreements),
        ("commitments", N_("Progress on commitments"), b.commitments),
        ("proceedings", N_("Proceedings"), b.days), ("proposals", N_("Proposals"), b.proposals),
        ("meetings", N_("Meetings on the sidelines"), b.meetings),
        ("delegations", N_("Delegations"), b.delegations), ("notes", N_("Notes"), b.notes),
    ]
    annexes = [
        ("participants", N_("Participants"), b.participants),
        ("acronyms", N_("Acronyms"), acronyms(b)),
        ("followups", N_("Follow-up meetings"), b.followups),
        ("figures", N_("Figures cited"), b.figures),
        ("photos", N_("Photos and documents"), b.attachments),
        ("corrections", N_("Corrections and retractions"), b.revisions or b.retractions),
    ]
    for id_, title, content in body:
        if content:
            out.append(Section(id_, w.gettext(title)))
        if id_ == "proceedings" and content:
            out.extend(Section(f"day-{i}", day_title(b, d.day, w), 2)
                       for i, d in enumerate(b.days, 1) if day_title(b, d.day, w))
    present = [(id_, title) for id_, title, content in annexes if content]
    out += [Section(id_, w.gettext("Annex %(num)s. %(title)s", num=n, title=w.gettext(title)))
            for n, (id_, title) in enumerate(present, 1)]
    out += [Section("sources", w.gettext("Sources")),
            Section("colophon", w.gettext("About this briefing"))]
    return out


def day_title(b: Briefing, day: str | None, words: Words | None = None) -> str:
    """A day's heading: its date; sessions whose day the record does not give are headed
    by the conference's dates (they took place during it)."""
    dates = (words or Words()).dates
    if day:
        return dates.long(day)
    return dates.range(b.conference.start, b.conference.end)


# ---------------------------------------------------------------- languages

_CYRILLIC = re.compile(r"[\u0400-\u04FF]+(?:[\s\-–.,«»()0-9]*[\u0400-\u04FF]+)*")
_KAZAKH = set("ӘәҒғҚқҢңӨөҰұҮүҺһІі")
#: A run of Latin letters (a name, a title as recorded): in a briefing written in Cyrillic,
#: text in the archive's default language unless the record says otherwise.
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]+(?:[\s\-–.,'’&()0-9/]*[A-Za-z\u00C0-\u024F]+)*")
_TEXT = re.compile(r"(<[^>]*)>([^<]+)(?=<)")


#: Briefing languages written in Cyrillic: an untagged Cyrillic run in one of them is
#: taken to be in the briefing's own language (its fixed words are).
_CYRILLIC_LANGS = frozenset({"ru", "kk"})


def mark_languages(html: str, lang: str = "en") -> str:
    """Mark every run of text in the body of a briefing in `lang` that the record gives
    no language (a name, a credit) and that is in another script than the briefing's
    with its likely language, so that screen readers and the web version read it in the
    right voice. A Cyrillic run is `kk` when it has letters only Kazakh uses, else the
    briefing's language when that is written in Cyrillic, else `ru`; in a briefing
    written in Cyrillic, a Latin run is in the archive's default language (`en`). A run
    in the briefing's own language needs no mark. A text whose element carries its
    recorded language (`lang=`) and text inside SVG are left alone."""
    cyrillic = lang in _CYRILLIC_LANGS
    fallback = lang if cyrillic else "ru"

    def span(m: re.Match[str]) -> str:
        run = m.group(0)
        said = "kk" if _KAZAKH & set(run) else fallback
        return run if said == lang else f'<span lang="{said}">{run}</span>'

    def latin(m: re.Match[str]) -> str:
        return f'<span lang="{DEFAULT}">{m.group(0)}</span>'

    def text(m: re.Match[str]) -> str:
        tag, words = m.group(1), m.group(2)
        if " lang=" in tag:
            return m.group(0)
        words = _CYRILLIC.sub(span, words)
        if cyrillic:  # the Latin runs between the marks just made
            words = re.sub(r"(<span[^>]*>.*?</span>)|" + _LATIN.pattern,
                           lambda m: m.group(1) or latin(m), words)
        return tag + ">" + words

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


@functools.cache
def environment(lang: str = "en") -> Environment:
    """The templates' environment for a briefing in `lang`: its catalogue's words
    (`_`, `ngettext` and `tr` for a word marked elsewhere), CLDR's dates, numbers and
    lists, and which texts are foreign to it. A translated sentence is trusted markup
    (the package ships it); every value put into it is escaped."""
    words = Words(lang)
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
        trim_blocks=False, lstrip_blocks=False, keep_trailing_newline=True,
        extensions=["jinja2.ext.do"],
    )

    def gettext(message: str, **values: Any) -> Markup:
        text = Markup(words.gettext(message))
        return text % words.fill(values) if values else text

    def ngettext(singular: str, plural: str, n: int, **values: Any) -> Markup:
        return Markup(words.form(singular, plural, n)) % words.fill({"num": n, **values})

    env.globals.update(
        _=gettext, ngettext=ngettext, tr=words.gettext, number=words.number, lang=lang,
        counted=lambda pair, n: ngettext(pair[0], pair[1], n),
        span=lambda cls, text: Markup('<span class="{}">{}</span>').format(cls, text))
    env.filters["longdate"] = words.dates.long
    env.filters["daterange"] = words.dates.range
    env.tests["foreign"] = lambda text_lang: foreign(text_lang, lang)
    env.filters["source_kind"] = lambda kind: words.gettext(SOURCE_KINDS.get(kind, N_("A source")))
    env.filters["in_prose"] = in_prose if lang == "en" else (lambda name: name)
    env.filters["and_join"] = lambda items: Markup(words.join(escape(x) for x in items))
    env.filters["tr"] = words.gettext
    env.filters["country"] = words.country
    env.filters["where"] = lambda locator: paragraphs(locator, words)
    env.filters["running_head"] = running_head
    return env


def kind_label(b: Briefing, words: Words) -> str:
    if b.since is not None:
        return words.gettext("Update briefing · new since log event #%(seq)s", seq=str(b.since.seq))
    if b.day is not None:
        return words.gettext("One-day briefing")
    return words.gettext("Conference briefing")


def metadata(b: Briefing, words: Words | None = None) -> dict[str, Any]:
    """Title, subject and keywords (they become the PDF's document information)."""
    w = words or Words()
    c = b.conference
    if b.day and b.since:
        title = w.gettext("%(name)s: briefing for %(date)s (update since event #%(seq)s)",
                     name=c.name, date=w.dates.long(b.day), seq=str(b.since.seq))
    elif b.day:
        title = w.gettext("%(name)s: briefing for %(date)s", name=c.name, date=w.dates.long(b.day))
    elif b.since:
        title = w.gettext("%(name)s: briefing (update since event #%(seq)s)", name=c.name,
                     seq=str(b.since.seq))
    else:
        title = w.gettext("%(name)s: briefing", name=c.name)
    when = w.dates.range(c.start, c.end)
    subject = ", ".join(x for x in (c.place, when) if x)
    subject = (w.gettext("Briefing on %(name)s (%(where)s)", name=c.name, where=subject) if subject
               else w.gettext("Briefing on %(name)s", name=c.name))
    keywords = [w.gettext("conference briefing"), c.name]
    keywords += [x for x in (c.place, (c.start or "")[:4]) if x]
    return {"title": title, "subject": subject, "keywords": keywords}


def render_html(b: Briefing, *, attachment_base: str, web: bool = False,
                css: str | None = None) -> tuple[str, list[Chart]]:
    """The briefing as one HTML document (stylesheet inlined). Photos are
    `<attachment_base><sha256>`: `attachment:` for the PDF (the fetcher's own scheme, so
    the PDF does not depend on where the archive folder is), a file URL for a preview.
    `web`: the web version (its stylesheet adds `web.css`)."""
    words = Words(b.lang)
    css = stylesheet(web, words) if css is None else css
    if "</" in css:
        raise ValueError("the stylesheet may not contain '</'")
    drawn = charts(b, words)
    template = environment(b.lang).get_template("briefing.html.j2")
    chapters = sections(b, words)
    html = template.render(
        b=b, css=Markup(css), charts=[_markup(c) for c in drawn],
        sections=chapters, titles={s.id: s.title for s in chapters},
        participant_groups=participant_groups(b, words), note_groups=note_groups(b),
        acronyms=acronyms(b), day_title=lambda day: day_title(b, day, words), labels=LABELS,
        kind_names=KIND_NAMES, citations=Citations(b.sources), principal=principal_source(b),
        attachment_base=attachment_base, kind_label=kind_label(b, words),
        summary_limit=SUMMARY_LIMIT,
        **metadata(b, words),
    )
    return mark_languages(html, b.lang), drawn


def _markup(chart: Chart) -> Chart:
    # The SVG is built by charts.py with every label escaped; mark it safe for Jinja.
    return Chart(chart.id, chart.title, Markup(chart.svg), chart.alt)
