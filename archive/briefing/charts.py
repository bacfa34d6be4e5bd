"""Charts drawn as SVG text (inline in the briefing's HTML): horizontal bar charts.

Pure functions from numbers and labels to markup. Every label is escaped: labels come
from event text, which is untrusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from ..statements import shortened
from .i18n import Words
from .metrics import widths_em
from .model import Briefing

FONT = "DejaVu Sans, sans-serif"
PALETTE = ("#1f4e79", "#c55a11", "#548235", "#7f6000")


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[int, ...]
    colour: str


@dataclass(frozen=True)
class Chart:
    """A chart ready for the template: its title, an SVG string and a text alternative."""

    id: str
    title: str
    svg: str
    alt: str


def _clip(text: str, width: int) -> str:
    """A label in at most `width` characters, cut after a whole word."""
    return shortened(" ".join(text.split()), width - 1) if len(text) > width else text


def bar_chart(labels: list[str], series: list[Series], *, alt: str, label_chars: int = 36,
              width: int = 520) -> str:
    """Grouped horizontal bars, one group per label, with values written at bar ends.
    Drawn 100% of the text's width (140 mm), text at 10.5 units is 8pt on the page.
    `alt` is its text alternative: the SVG's `<title>`, which the tagged PDF gives its
    figure as /Alt and browsers as its accessible name."""
    bar_h, gap, top = 13, 10, 28
    shown = [_clip(label, label_chars) for label in labels]
    # the labels' room: the widest as DejaVu Sans sets it at 10.5 units (Cyrillic is wider
    # than Latin), at most half the chart
    label_w = min(260, max([6.5 * 4] + [10.5 * sum(widths_em(t)) + 8 for t in shown]))
    plot_w = width - label_w - 40
    peak = max([v for s in series for v in s.values] + [1])
    group_h = bar_h * len(series) + gap
    height = top + group_h * len(labels) + 6
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="10.5" role="img">'
           f'<title>{escape(alt)}</title>']
    x = label_w
    for i, s in enumerate(series):  # legend
        lx = x + i * 140
        out.append(f'<rect x="{lx}" y="4" width="10" height="10" fill="{s.colour}"/>'
                   f'<text x="{lx + 14}" y="13" fill="#333">{escape(s.name)}</text>')
    out.append(f'<line x1="{label_w}" y1="{top - 4}" x2="{label_w}" y2="{height - 4}" '
               f'stroke="#999" stroke-width="0.6"/>')
    for row, label in enumerate(shown):
        y = top + row * group_h
        mid = y + bar_h * len(series) / 2 + 4
        out.append(f'<text x="{label_w - 6}" y="{mid:.1f}" text-anchor="end" fill="#222">'
                   f'{escape(label)}</text>')
        for i, s in enumerate(series):
            value = s.values[row]
            w = plot_w * value / peak
            by = y + i * bar_h
            out.append(f'<rect x="{label_w}" y="{by}" width="{w:.1f}" height="{bar_h - 2}" '
                       f'fill="{s.colour}"/>'
                       f'<text x="{label_w + w + 4:.1f}" y="{by + bar_h - 3}" fill="#333">'
                       f'{value}</text>')
    out.append("</svg>")
    return "".join(out)


def session_chart(briefing: Briefing, words: Words, limit: int = 14) -> Chart | None:
    """Speeches and proposals per session (the busiest `limit` sessions). None when it
    would say nothing: fewer than two groups with anything in them, or all alike."""
    sessions = [s for d in briefing.days for s in d.sessions if s.speeches or s.proposal_count]
    if len(sessions) < 2 or len({(len(s.speeches), s.proposal_count) for s in sessions}) < 2:
        return None
    busiest = sorted(sessions, key=lambda s: -(len(s.speeches) + s.proposal_count))[:limit]
    shown = [s for s in sessions if s in busiest]
    days = {s.day for s in shown}
    labels = [(f"{words.dates.day_month(s.day)} · " if s.day and len(days) > 1 else "")
              + s.title for s in shown]
    speeches = tuple(len(s.speeches) for s in shown)
    proposals = tuple(s.proposal_count for s in shown)
    series = [Series(words.gettext("Speeches"), speeches, PALETTE[0])]
    if any(proposals):  # a series of zeros says nothing
        series.append(Series(words.gettext("Proposals"), proposals, PALETTE[1]))
    more = len(sessions) - len(shown)
    if more:
        title = words.ngettext("Speeches and proposals per session (the %(num)s busiest of "
                            "%(total)s)", "Speeches and proposals per session (the %(num)s "
                            "busiest of %(total)s)", len(shown), total=len(sessions)) \
            if any(proposals) else words.ngettext(
                "Speeches per session (the %(num)s busiest of %(total)s)",
                "Speeches per session (the %(num)s busiest of %(total)s)", len(shown),
                total=len(sessions))
    else:
        title = (words.gettext("Speeches and proposals per session") if any(proposals)
                 else words.gettext("Speeches per session"))
    alt = "; ".join(
        f"{label}: " + words.ngettext("%(num)s speech", "%(num)s speeches", a)
        + (", " + words.ngettext("%(num)s proposal", "%(num)s proposals", b) if any(proposals)
           else "")
        for label, a, b in zip(labels, speeches, proposals, strict=True))
    svg = bar_chart(labels, series, alt=f"{title}: {alt}")
    return Chart("chart-sessions", title, svg, alt)


def participant_chart(briefing: Briefing, words: Words) -> Chart | None:
    """Participants by kind."""
    c = briefing.counts
    rows = [(words.gettext("Countries"), c["countries"]),
            (words.gettext("International bodies"), c["international"]),
            (words.gettext("Other organisations"), c["organisations"]),
            (words.gettext("People"), c["people"])]
    rows = [(label, n) for label, n in rows if n]
    if not rows:
        return None
    title = words.gettext("Participants by kind")
    alt = "; ".join(f"{label}: {words.number(n)}" for label, n in rows)
    svg = bar_chart([r[0] for r in rows],
                    [Series(words.gettext("Participants recorded"), tuple(r[1] for r in rows),
                            PALETTE[2])],
                    alt=f"{title}: {alt}", label_chars=24)
    return Chart("chart-participants", title, svg, alt)


def status_chart(briefing: Briefing, words: Words) -> Chart | None:
    """Commitments by status: only when there is more than one status to show."""
    from ..core.commitments import PROGRESS_STATUSES

    counts = {s: sum(1 for c in briefing.commitments if c.status == s)
              for s in PROGRESS_STATUSES}
    rows = [(words.gettext(status), n) for status, n in counts.items() if n]
    if len(rows) < 2:
        return None
    title = words.gettext("Commitments by status")
    alt = "; ".join(f"{status}: {words.number(n)}" for status, n in rows)
    svg = bar_chart([r[0] for r in rows],
                    [Series(words.gettext("Commitments"), tuple(r[1] for r in rows), PALETTE[0])],
                    alt=f"{title}: {alt}", label_chars=16)
    return Chart("chart-statuses", title, svg, alt)


def charts(briefing: Briefing, words: Words) -> list[Chart]:
    return [c for c in (session_chart(briefing, words), participant_chart(briefing, words),
                        status_chart(briefing, words)) if c]
