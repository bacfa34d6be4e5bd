"""Whole-file writes and the folder's layout: regular files only, and names that are
exactly what they claim to be."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from archive.errors import ArchiveError, InvalidEvent
from archive.store import durable
from archive.store.layout import Layout


def test_write_atomic_replaces_a_regular_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.pdf"
    target.write_bytes(b"old")
    durable.write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.pdf"]


def test_outputs_are_regular_files_only(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere")
    sock_path = tmp_path / "sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    try:
        for path, what in ((fifo, "a FIFO"), (link, "a symbolic link"), (tmp_path, "a folder"),
                           (sock_path, "a socket"), (Path("/dev/null"), "a device")):
            with pytest.raises(ArchiveError, match=f"is {what}; outputs are written only"):
                durable.write_atomic(path, b"x")
    finally:
        sock.close()
    assert fifo.exists() and link.is_symlink() and not (tmp_path / "elsewhere").exists()


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.db"
    target.write_bytes(b"old")
    with pytest.raises(ZeroDivisionError), durable.temp_beside(target) as tmp:
        tmp.write_bytes(b"half")
        raise ZeroDivisionError
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.db"]


@pytest.mark.parametrize("sha", ["//////////etc/passwd" + "/" * 44, "A" * 64, "a" * 63,
                                 "../" * 21 + "a", "g" * 64])
def test_an_attachment_name_is_exactly_64_lowercase_hex_digits(sha: str) -> None:
    with pytest.raises(InvalidEvent, match="is not 64 lowercase hex digits"):
        Layout(Path("/archive")).attachment(sha)
    assert Layout(Path("/a")).attachment("ab" * 32) == Path("/a/events/attachments/" + "ab" * 32)


def test_temporary_files_of_dead_processes_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "archive.db"
    gone = tmp_path / f".archive.db.{_exited_pid()}.tmp"
    gone.write_bytes(b"half a database")
    mine = tmp_path / f".archive.db.{os.getppid()}.tmp"  # a live process's: kept
    mine.write_bytes(b"in progress")
    durable.write_atomic(target, b"new")
    assert not gone.exists() and mine.exists() and target.read_bytes() == b"new"


def _exited_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid
