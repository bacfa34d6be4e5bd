"""Datasette configuration for the archive: templates and a small plugin (provenance and
corrections on row pages, the briefing download, a safe full-text query function).

Settings, metadata and canned queries are generated in `archive.serve.server` from the schema."""

from pathlib import Path

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
PLUGINS = HERE / "plugins"
