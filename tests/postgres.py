"""A real PostgreSQL server for the tests, on a Unix socket in a temporary folder.

`initdb` + `pg_ctl` from the machine's PostgreSQL (Debian's `postgresql` package, which
`make test-deps` installs). PostgreSQL refuses to run as root: when the tests run as root
(as CI does), the server runs as the unprivileged `postgres` user (created by the Debian
package) through `runuser`; the tests connect over the socket with trust authentication,
so no password exists anywhere.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg


def _bindir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not versions:
        raise RuntimeError("PostgreSQL is not installed (no pg_ctl): run `make test-deps`, "
                           "which installs Debian's postgresql package")
    return Path(versions[-1]).parent


@dataclass
class Server:
    """A running server: its data folder, socket folder, and who it runs as."""

    base: Path
    user: str | None  # the unprivileged user it runs as when we are root, else None
    bindir: Path
    counter: int = 0

    @property
    def data(self) -> Path:
        return self.base / "data"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.user is not None:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.base / "server.log"), "-w",
                  "-o", f"-k {self.base} -c listen_addresses='' -c max_connections=60",
                  "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql:///{database}?host={self.base}&user=postgres"

    def new_database(self) -> str:
        """A new empty database; returns its URL."""
        self.counter += 1
        name = f"t{os.getpid()}_{self.counter}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"create database {name}")
        return self.url(name)


def start_server() -> Server:
    user = None
    if os.geteuid() == 0:
        user = "postgres"
        pwd.getpwnam(user)  # the Debian package creates it
    base = Path(tempfile.mkdtemp(prefix="archive-pg-"))
    if user is not None:
        info = pwd.getpwnam(user)
        os.chown(base, info.pw_uid, info.pw_gid)
    os.chmod(base, 0o755)
    server = Server(base, user, _bindir())
    server._run("initdb", "-D", str(server.data), "-A", "trust", "-U", "postgres",
                "--no-instructions", "-E", "UTF8")
    server.start()
    return server


def stop_server(server: Server) -> None:
    server.stop("immediate")
    shutil.rmtree(server.base, ignore_errors=True)
