"""Reading rendered PDFs in tests with the real poppler tools (pdftotext, pdfinfo, ...)."""

from __future__ import annotations

import re
import subprocess
import zlib
from pathlib import Path


def run(*args: str | Path) -> str:
    return subprocess.run([str(a) for a in args], check=True, capture_output=True,
                          text=True).stdout


def text(pdf: Path, page: int | None = None, *, layout: bool = False) -> str:
    args: list[str | Path] = ["pdftotext", "-enc", "UTF-8"]
    if layout:
        args.append("-layout")
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    return run(*args, pdf, "-")


def squash(s: str) -> str:
    """Text without any whitespace: line breaks in the PDF cannot fool a comparison."""
    return re.sub(r"\s+", "", s)


def contains(haystack: str, needle: str) -> bool:
    return squash(needle) in squash(haystack)


def info(pdf: Path) -> dict[str, str]:
    out = {}
    for line in run("pdfinfo", "-enc", "UTF-8", pdf).splitlines():
        key, _, value = line.partition(":")
        out[key.strip()] = value.strip()
    return out


def pages(pdf: Path) -> int:
    return int(info(pdf)["Pages"])


def embedded_files(pdf: Path) -> str:
    return run("pdfdetach", "-list", pdf)


def images(pdf: Path) -> int:
    lines = run("pdfimages", "-list", pdf).splitlines()[2:]
    return len([line for line in lines if line.strip()])


def inflated(pdf: Path) -> bytes:
    """The PDF's bytes with every Flate stream decompressed (object streams included), so
    that dictionary keys such as /Outlines or /EmbeddedFile can be searched for."""
    data = Path(pdf).read_bytes()
    out = [data]
    for m in re.finditer(rb"stream\r?\n", data):
        start = m.end()
        end = data.find(b"endstream", start)
        if end < 0:
            continue
        try:
            out.append(zlib.decompressobj().decompress(data[start:end]))
        except zlib.error:
            pass
    return b"\n".join(out)


def contents(pdf: Path, page: int = 2) -> list[tuple[str, int, int]]:
    """The contents page as (title, page number, indent) rows."""
    rows = []
    for line in text(pdf, page, layout=True).splitlines():
        m = re.match(r"^(\s*)(\S.*?)\s*(?:\.\s*){3,}(\d+)\s*$", line)
        if m:
            rows.append((m.group(2).rstrip(" ."), int(m.group(3)), len(m.group(1))))
    return rows
