"""The Content-Security-Policy every response of `archive serve` carries (defence in depth
beside the escaping): scripts only from this server, and the few inline scripts
Datasette's own templates write, each allowed by its hash, so an inline script that any
escaping failure let into a page would not run.

Datasette (0.65) writes three inline scripts: the menu closer of every page
(`_close_open_menus.html`), the SQL editor's set-up (`_codemirror_foot.html`) and the
facet switch of a table page (`table.html`: `DATASETTE_ALLOW_FACET = true;`). Their
hashes are read from the templates as installed, with the archive's own template folder
first, so an upgrade of Datasette that changes them changes the policy with them; a
script whose text depends on more than that switch is not allowed, and the crawl
(tests/test_crawl.py), which fails on any policy violation a page reports, would say so.

Styles are allowed inline: Datasette writes a `<style>` per table naming its columns (its
phone layout) and `style` attributes on its pages, which no fixed hash can cover, and a
style runs no script in the browsers Datasette supports. Images may be `data:` URLs (its
stylesheets draw icons with them)."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

import jinja2

#: An inline script element of a template: no `src`, its text up to the closing tag.
_INLINE = re.compile(r"<script(?![^>]*\bsrc=)(?:\s[^>{]*)?>(.*?)</script>", re.S)


def inline_script_hashes(folders: Iterable[Path]) -> list[str]:
    """The CSP source of each inline script the templates in `folders` write (a template
    of the same name in an earlier folder replaces a later one's), as rendered with the
    facet switch on and off; scripts with any other template logic are left out."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True,
                             keep_trailing_newline=True)
    templates: dict[str, Path] = {}
    for folder in folders:
        for path in sorted(Path(folder).glob("*.html")):
            templates.setdefault(path.name, path)
    found = set()
    for path in templates.values():
        for body in _INLINE.findall(path.read_text(encoding="utf-8")):
            for switch in ("true", "false"):
                try:
                    text = env.from_string(body).render(datasette_allow_facet=switch)
                except jinja2.TemplateError:
                    break  # it needs more than the switch: not allowed
                if text.strip():
                    digest = base64.b64encode(hashlib.sha256(text.encode()).digest())
                    found.add(f"'sha256-{digest.decode()}'")
    return sorted(found)


def policy(script_hashes: Iterable[str]) -> str:
    """The policy, with the inline scripts allowed by these hashes."""
    return "; ".join([
        "default-src 'self'",
        " ".join(["script-src 'self'", *script_hashes]),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def served_policy() -> str:
    """The policy of the installed Datasette's templates and the archive's own."""
    import datasette

    import archive.serve

    return policy(inline_script_hashes([
        Path(archive.serve.__file__).parent / "templates",
        Path(datasette.__file__).parent / "templates"]))
