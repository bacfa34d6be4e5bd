"""CSV cells a spreadsheet would run get a `'` in front, however the CSV is chunked."""

from __future__ import annotations

import csv
import io

from helpers import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.serve.csvsafe import Neutraliser

cells = st.text(st.sampled_from(list('ab,"=+-@\t\r\n x')), max_size=8)


def neutral(cell: str) -> str:
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


@settings(max_examples=examples(300), deadline=None)
@given(rows=st.lists(st.lists(cells, min_size=1, max_size=4), min_size=1, max_size=6),
       cuts=st.lists(st.integers(1, 9), max_size=30))
def test_every_cell_is_neutralised_whatever_the_chunks(rows: list[list[str]],
                                                       cuts: list[int]) -> None:
    sio = io.StringIO(newline="")
    csv.writer(sio).writerows(rows)
    data = sio.getvalue().encode()
    out, pos, n = b"", 0, Neutraliser()
    for cut in cuts:
        out += n.feed(data[pos:pos + cut])
        pos += cut
    out += n.feed(data[pos:], final=True)
    got = list(csv.reader(io.StringIO(out.decode(), newline="")))
    assert got == [[neutral(c) for c in row] for row in rows]
