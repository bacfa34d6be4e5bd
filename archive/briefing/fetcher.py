"""The only way WeasyPrint may read anything while rendering a briefing.

Allowed: files inside the package's own `assets/` folder, and the archive's attachment
files (`<root>/events/attachments/<sha256>`, whose content must hash to its name), asked
for as `attachment:<sha256>` (so the PDF does not depend on where the archive is) or by
their file URL.
Everything else is refused and recorded: the network (any scheme, so no redirects
either), `file://` anywhere else (including through symlinks or `..`), device files and
every `data:` URL (the renderer draws its charts as inline SVG and embeds nothing else).
No request leaves the process.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

from ..store.layout import Layout

ASSETS = Path(__file__).parent / "assets"
ATTACHMENT_SCHEME = "attachment"
_SHA = re.compile(r"^[0-9a-f]{64}$")
_MAX_BYTES = 50 * 1024 * 1024


class Refused(ValueError):
    """A URL the briefing may not fetch (WeasyPrint logs it and leaves the resource out)."""


class SafeFetcher(URLFetcher):
    """A WeasyPrint URL fetcher with an allow-list. `refused` and `fetched` record each
    request (URLs as asked), so callers and tests can see what the renderer wanted."""

    def __init__(self, root: Path):
        super().__init__(timeout=1, allowed_protocols=(), allow_redirects=False,
                         fail_on_errors=False)
        self.attachments = Layout(Path(root)).attachments.resolve()
        self.assets = ASSETS.resolve()
        self.refused: list[str] = []
        self.fetched: list[str] = []

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        try:
            body, media_type = self._allowed(url)
        except Refused as exc:
            self.refused.append(url)
            raise Refused(f"refused to fetch {url[:200]!r}: {exc}") from None
        self.fetched.append(url)
        return URLFetcherResponse(url, body, {"Content-Type": media_type})

    def _allowed(self, url: str) -> tuple[bytes, str]:
        parts = urlsplit(url)
        if parts.scheme == ATTACHMENT_SCHEME and _SHA.match(parts.path) and not (
                parts.netloc or parts.query or parts.fragment):
            url = (self.attachments / parts.path).as_uri()
            parts = urlsplit(url)
        if parts.scheme.lower() != "file":
            raise Refused("only the briefing's own assets and attachment files are allowed")
        if parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
            raise Refused("not a plain local file URL")
        path = Path(unquote(parts.path))
        if not path.is_absolute() or ".." in path.parts:
            raise Refused("not an absolute path")
        real = path.resolve()
        if real.parent == self.attachments and _SHA.match(real.name):
            data = _read_regular(real)
            if hashlib.sha256(data).hexdigest() != real.name:
                raise Refused("attachment content does not match its sha256 name")
            return data, "application/octet-stream"
        if real.is_relative_to(self.assets) and real != self.assets:
            media_type = mimetypes.guess_type(real.name)[0] or "application/octet-stream"
            return _read_regular(real), media_type
        raise Refused("outside the briefing assets and the archive's attachments")


def _read_regular(path: Path) -> bytes:
    if not path.is_file():  # devices, FIFOs, folders, missing files
        raise Refused("not a regular file")
    with open(path, "rb") as f:
        data = f.read(_MAX_BYTES + 1)
    if len(data) > _MAX_BYTES:
        raise Refused("file too large")
    return data
