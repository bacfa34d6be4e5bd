"""How wide text is set in DejaVu Sans, the briefing's sans-serif: from the font's own
advance widths (fontTools), so a running head or a chart's labels are fitted to the room
they have, in any script the font covers."""

from __future__ import annotations

import functools
from pathlib import Path

DEJAVU_SANS = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
#: The advance of a character the font lacks (or of any, without the font), in ems.
AVERAGE_EM = 0.62


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


def widths_em(text: str) -> list[float]:
    """How wide each character of `text` is, in ems."""
    known = _advances()
    advances, em = known if known is not None else ({}, 1)
    return [advances.get(ord(c), em * AVERAGE_EM) / em for c in text]


def widths_mm(text: str, size_pt: float) -> list[float]:
    """How wide each character of `text` is set at `size_pt`, in millimetres."""
    scale = size_pt * 25.4 / 72
    return [w * scale for w in widths_em(text)]


def width_mm(text: str, size_pt: float) -> float:
    """How wide `text` is set at `size_pt`, in millimetres."""
    return sum(widths_mm(text, size_pt))
