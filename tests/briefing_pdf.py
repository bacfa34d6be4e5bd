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
    """Text without any whitespace or hyphens: line breaks in the PDF cannot fool a
    comparison (pdftotext drops the hyphen of a word broken at a line's end, and the word
    joiner that keeps a range of days together)."""
    return re.sub(r"[\s\u2060-]+", "", s)


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


def words(pdf: Path) -> list[tuple[int, float, float, float, str]]:
    """Every word the PDF shows: (page, its right edge, the page's width, its height,
    the word), from `pdftotext -bbox`."""
    html = subprocess.run(["pdftotext", "-enc", "UTF-8", "-bbox", str(pdf), "-"], check=True,
                          capture_output=True).stdout.decode("utf-8", "replace")
    out = []
    for n, (width, height, body) in enumerate(re.findall(
            r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', html, re.S), 1):
        for m in re.finditer(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)" '
                             r'yMax="[\d.]+">(.*?)</word>', body):
            out.append((n, float(m.group(1)), float(width), float(height), m.group(2)))
    return out


def fonts(pdf: Path) -> str:
    return run("pdffonts", pdf)
