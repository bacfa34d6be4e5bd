"""A real `datasette` process on 127.0.0.1, configured as `archive serve` runs it, and a
small HTTP client for tests."""

from __future__ import annotations

import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Any

from archive.serve.server import command, write_metadata
from archive.store.layout import Layout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url: str, data: bytes | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _drain(stream: IO[Any]) -> None:
    """Read a child's output to its end in a thread: a pipe nobody reads fills up (64 KiB
    of access log, a few hundred requests) and then blocks the server mid-request."""
    threading.Thread(target=lambda: [None for _ in stream], daemon=True).start()


def start(root: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    db = root / "exports" / "archive.db"
    log = tempfile.TemporaryFile()  # the server's output, read if it fails to start
    proc = subprocess.Popen(command(db, write_metadata(Layout(root)), port),
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise AssertionError(log.read().decode())
        try:
            if http(base + "/-/versions.json")[0] == 200:
                return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("datasette did not start within 30 seconds")


def serve_archive(root: Path, env: dict[str, str] | None = None,
                  ) -> tuple[subprocess.Popen, str, int]:
    """`archive serve --port 0 --no-build` as a user runs it (so with its limits); returns
    the process, the base URL and the Datasette child's pid."""
    import os
    import sys

    exe = Path(sys.executable).with_name("archive")
    proc = subprocess.Popen([str(exe), "--archive", str(root), "serve", "--port", "0",
                             "--no-build"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env={**os.environ, **(env or {})})
    line = proc.stdout.readline()  # type: ignore[union-attr]
    assert "http://127.0.0.1:" in line, line
    _drain(proc.stdout)  # type: ignore[arg-type]
    base = "http://127.0.0.1:" + line.split("http://127.0.0.1:")[1].split("/")[0]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if http(base + "/-/versions.json")[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    return proc, base, int(children[0])


def rss_peak_kb(pid: int) -> int:
    """The process's peak resident memory (VmHWM), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmHWM for {pid}")
