"""Rows to SQLite: full, incremental and as-of builds of `exports/archive.db`."""
