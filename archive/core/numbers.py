"""How a number the record holds is written for a reader (the briefing, `archive log`)."""

from __future__ import annotations

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def format_number(value: float | int | str | None) -> str:
    """A figure as a reader writes it: 1,500 and 2.75; beyond a thousand trillion, or
    below a hundredth, in powers of ten (1.5 × 10³⁰⁰), never a 300-digit number."""
    if value is None:
        return ""
    number = float(value)
    if number != 0 and not 1e-2 <= abs(number) < 1e15:
        mantissa, exponent = f"{number:.2e}".split("e")
        power = str(int(exponent)).translate(_SUPERSCRIPT)
        return f"{mantissa.rstrip('0').rstrip('.')} × 10{power}"
    if number.is_integer():
        return f"{int(number):,}"
    return f"{number:,.2f}".rstrip("0").rstrip(".")


__all__ = ["format_number"]
