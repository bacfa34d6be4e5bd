"""How large input may be, enforced while it streams: a line of an import file, and an
attachment. Set with environment variables; the defaults hold any real conference's
record with room to spare."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..errors import InvalidEvent


def env_bytes(name: str, default: int) -> int:
    """A size limit from the environment variable `name` (a whole number of bytes)."""
    value = os.environ.get(name, "")
    if not value:
        return default
    if not value.isascii() or not value.isdigit() or int(value) == 0:
        raise InvalidEvent(f"{name} must be a whole number of bytes, not {value!r}")
    return int(value)


@dataclass(frozen=True)
class Limits:
    #: One line of an import file (ARCHIVE_MAX_LINE_BYTES; default 1 MiB).
    line: int = 1 << 20
    #: One attachment (ARCHIVE_MAX_ATTACHMENT_BYTES; default 200 MiB).
    attachment: int = 200 << 20

    @classmethod
    def from_env(cls) -> Limits:
        return cls(env_bytes("ARCHIVE_MAX_LINE_BYTES", cls.line),
                   env_bytes("ARCHIVE_MAX_ATTACHMENT_BYTES", cls.attachment))

    def lines(self, stream: IO[bytes]) -> Iterator[bytes]:
        """The lines of an import, refused as soon as one is longer than the limit (a
        single line is never read whole: /dev/zero stops at once)."""
        lineno = 0
        while line := stream.readline(self.line + 1):
            lineno += 1
            if len(line) > self.line and not (len(line) == self.line + 1
                                               and line.endswith(b"\n")):
                raise InvalidEvent(
                    f"import line {lineno} is longer than {self.line} bytes (the limit; "
                    "ARCHIVE_MAX_LINE_BYTES sets it); nothing was imported")
            yield line

    def attachment_file(self, path: Path) -> os.stat_result:
        """An attachment must be a regular file (not a FIFO, device or folder; a symbolic
        link is refused rather than followed, so what is stored is what was named) no
        larger than the limit."""
        try:
            info = os.lstat(path)
        except OSError as exc:
            raise InvalidEvent(f"--file {path}: {exc.strerror}") from None
        if stat.S_ISLNK(info.st_mode):
            raise InvalidEvent(f"--file {path} is a symbolic link (to {os.readlink(path)}); "
                               "name the file itself")
        if not stat.S_ISREG(info.st_mode):
            raise InvalidEvent(f"--file {path} is not a regular file")
        if info.st_size > self.attachment:
            raise InvalidEvent(f"--file {path} has {info.st_size} bytes, more than the limit "
                               f"of {self.attachment} (ARCHIVE_MAX_ATTACHMENT_BYTES sets it)")
        return info
