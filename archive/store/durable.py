"""Durable writes, in one place: every file the archive writes whole (a database, a PDF,
an attachment, a stamp) is written to a temporary file beside its target, fsynced,
renamed over the target, and the folder fsynced, so a crash leaves the old file or the
new one, never a partial one. Appends to the log are `store.log`'s (write, then fsync).

Temporary files are named `.<target>.<pid>.tmp`, so the next command can tell a dead
process's leftovers from a live one's.

Outputs are regular files only: a path that names a device, FIFO, socket, directory or
symbolic link is refused (renaming over it would replace the special file itself).
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import ArchiveError


def fsync_path(path: Path) -> None:
    """fsync a file, or a folder (which makes a rename or a new file in it durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_output(path: Path) -> None:
    """Refuse to replace anything but a regular file (or nothing)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISREG(mode):
        return
    what = ("a symbolic link" if stat.S_ISLNK(mode) else "a folder" if stat.S_ISDIR(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "not a regular file")
    raise ArchiveError(f"{path} is {what}; outputs are written only as regular files "
                       "(name a new file, or a regular file to replace)")


def temp_name(path: Path) -> Path:
    """The temporary file beside `path` that this process writes before the rename."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def remove_dead_temps(path: Path) -> None:
    """Remove the temporary files that processes no longer running left beside `path`
    (a build killed half-way leaves one of up to the database's size)."""
    for tmp in path.parent.glob(f".{path.name}.*.tmp"):
        pid = tmp.name[len(path.name) + 2:-len(".tmp")]
        if pid.isdigit() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)


def remove_dead_temps_in(folder: Path) -> None:
    """Remove every temporary file (`.<name>.<pid>.tmp`) that a process no longer running
    left in `folder`: the next command that owns the folder cleans up after a crash."""
    try:
        leftovers = list(folder.glob(".*.*.tmp"))
    except OSError:
        return
    for tmp in leftovers:
        pid = tmp.name[:-len(".tmp")].rsplit(".", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def temp_beside(path: Path) -> Iterator[Path]:
    """A fresh temporary path beside `path`, removed on the way out unless `replace`d
    (and any that dead processes left, removed first)."""
    check_output(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_dead_temps(path)
    tmp = temp_name(path)
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def replace(tmp: Path, path: Path) -> None:
    """fsync `tmp`, rename it over `path`, fsync the folder."""
    check_output(path)
    fsync_path(tmp)
    os.replace(tmp, path)
    fsync_path(path.parent)


def write_atomic(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write `data` as the whole of `path`: readers see the old file or the new one
    (created with `mode`, less the umask: 0o600 for a private key)."""
    path = Path(path)
    with temp_beside(path) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        replace(tmp, path)


def write_chunks(path: Path, chunks: Iterable[bytes]) -> int:
    """Write the chunks, in order, as the whole of `path` (atomically, like
    `write_atomic`, without holding them all in memory). Returns the bytes written."""
    path = Path(path)
    written = 0
    with temp_beside(path) as tmp:
        with open(tmp, "xb", buffering=1 << 20) as f:
            for chunk in chunks:
                f.write(chunk)
                written += len(chunk)
        replace(tmp, path)
    return written


def copy_in(source: Path, path: Path) -> None:
    """Copy a file durably to `path` (which must not exist yet, or hold the same bytes)."""
    with temp_beside(path) as tmp:
        shutil.copyfile(source, tmp)
        replace(tmp, path)
