"""CSV downloads that a spreadsheet cannot run: a cell that starts with `=`, `+`, `-`, `@`,
a tab or a carriage return gets a `'` in front (OWASP's advice against formula
injection), so a quote from a hostile source stays text when a reader opens the file. The
database, JSON and HTML keep the exact text.

`Neutraliser` rewrites a CSV as it streams, a record at a time (a quoted field may span
chunks); it only ever adds the `'`.
"""

from __future__ import annotations

import re

_DANGEROUS = frozenset(b"=+-@\t\r")
#: One field and what ends it: a quoted field (quotes doubled inside) or a bare one.
_FIELD = re.compile(rb'("(?:[^"]|"")*"|(?!")[^,\r\n]*)(,|\r\n|\n)')


class Neutraliser:
    def __init__(self) -> None:
        self.rest = b""

    def feed(self, chunk: bytes, final: bool = False) -> bytes:
        """The neutralised bytes of the complete records so far (all of them if final)."""
        buf = self.rest + chunk
        out: list[bytes] = []
        pos = 0
        done = 0  # where the last complete record ends
        record: list[bytes] = []
        while (m := _FIELD.match(buf, pos)) is not None and m.end() > pos:
            record.append(_safe(m.group(1)) + m.group(2))
            pos = m.end()
            if m.group(2) != b",":
                out += record
                record, done = [], pos
        if final:
            tail = buf[done:]
            self.rest = b""
            while (m := _FIELD.match(tail + b"\n", 0)) is not None and len(tail):
                out.append(_safe(m.group(1)) + (m.group(2) if m.end() <= len(tail) else b""))
                tail = tail[m.end():]
            return b"".join(out) + tail
        self.rest = buf[done:]
        return b"".join(out)


def _safe(field: bytes) -> bytes:
    if field[:1] == b'"':
        return b"\"'" + field[1:] if field[1:2] and field[1] in _DANGEROUS else field
    return b"'" + field if field and field[0] in _DANGEROUS else field
