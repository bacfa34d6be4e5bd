"""Every failure a user can cause ends as one `Error:` line, exit 1 (2 for usage), never a
traceback, and writes nothing: each command against a folder that is no archive, a
read-only archive (a real read-only mount), outputs that cannot be written, and
arguments that are not UTF-8."""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import ARCHIVE_SCRIPT, archive_env

#: Every command, with arguments that would succeed on a writable archive holding the
#: sample below.
COMMANDS: dict[str, list[str]] = {
    "add": ["add", "note", "--text", "x"],
    "import": ["import", "{import_file}"],
    "correct": ["correct", "n1", "--set", "text=y"],
    "retract": ["retract", "n1", "--reason", "r"],
    "merge": ["merge", "Ann Lee", "Bo Chen"],
    "unmerge": ["unmerge", "m1"],
    "repair": ["repair"],
    "build": ["build", "--full"],
    "briefing": ["briefing", "--html"],
    "verify": ["verify"],
    "log": ["log"],
    "show": ["show", "n1"],
    "publish": ["publish", "--dry-run", "cloudrun"],
    "serve": ["serve", "--port", "0"],
}
#: Commands that only read: on a read-only archive they succeed.
READ_ONLY_OK = {"verify", "log", "show"}


def run(args: list[str], root: Path, prefix: list[str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*(prefix or []), str(ARCHIVE_SCRIPT), *args], capture_output=True,
                           text=True, env=archive_env(root), timeout=120)


def assert_one_error_line(proc: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    return lines[0]


def tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample archive, made once through the CLI: a conference, a note, two people,
    built."""
    root = tmp_path_factory.mktemp("errors") / "archive"
    for args in (["init", str(root)], ["add", "conference", "--name", "C"],
                 ["add", "note", "--text", "x", "--id", "n1"],
                 ["add", "participant", "--kind", "person", "--name", "Ann Lee"],
                 ["add", "participant", "--kind", "person", "--name", "Bo Chen"],
                 ["build"]):
        assert run(args, root).returncode == 0
    return root


@pytest.fixture
def sample(made: Path, tmp_path: Path) -> Path:
    """A copy of the sample archive of this test's own, and the file `import` reads."""
    root = tmp_path / "archive"
    shutil.copytree(made, root, symlinks=True)
    (tmp_path / "import.jsonl").write_text(
        '{"type": "note.recorded", "data": {"conference": "nope", "text": "x"}}\n')
    return root


def args_for(name: str, tmp_path: Path) -> list[str]:
    return [a.format(import_file=tmp_path / "import.jsonl") for a in COMMANDS[name]]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_on_a_folder_that_is_no_archive(tmp_path: Path, name: str) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "import.jsonl").write_text("")
    line = assert_one_error_line(run(args_for(name, tmp_path), empty))
    assert line == (f"Error: {empty} is not an archive (no events/ folder); run `archive "
                    "init` or pass --archive DIR")
    assert list(empty.iterdir()) == []


needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None,
    reason="a read-only mount needs root and unshare (CI runs as root)")


@needs_root
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_on_a_read_only_archive(sample: Path, tmp_path: Path,
                                              name: str) -> None:
    """The archive folder is bind-mounted read-only in a private mount namespace."""
    before = tree(sample)
    folder = shlex.quote(str(sample))
    command = shlex.join([str(ARCHIVE_SCRIPT), *args_for(name, tmp_path)])
    script = (f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder} && "
              f"exec {command}")
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True,
                          text=True, env=archive_env(sample), timeout=120)
    if name in READ_ONLY_OK:
        assert proc.returncode == 0, proc.stderr
    elif name == "import":  # the file is refused before anything is opened for writing
        assert_one_error_line(proc)
    else:
        line = assert_one_error_line(proc)
        assert "Read-only file system" in line
        assert str(sample) in line  # names the file
    assert tree(sample) == before


@pytest.mark.parametrize(("args", "message"), [
    (["build", "-o", "/proc/archive-test.db"], "Error: /proc/archive-test.db: unable to open "
                                               "database file"),
    (["build", "-o", "/dev/null"], "Error: /dev/null is a device; outputs are written only as "
                                   "regular files (name a new file, or a regular file to "
                                   "replace)"),
    (["briefing", "--html", "-o", "/dev/null"], "Error: /dev/null is a device; outputs are "
                                                "written only as regular files (name a new "
                                                "file, or a regular file to replace)"),
])
def test_outputs_that_cannot_be_written(sample: Path, tmp_path: Path, args: list[str],
                                        message: str) -> None:
    before = tree(sample)
    null = os.stat("/dev/null")
    proc = run([a.format(tmp=tmp_path) for a in args], sample)
    assert assert_one_error_line(proc) == message.format(tmp=tmp_path)
    assert os.stat("/dev/null").st_rdev == null.st_rdev  # still the device
    assert tree(sample) == before


def test_a_symlinked_output_is_refused_not_replaced(sample: Path, tmp_path: Path) -> None:
    target = tmp_path / "kept.txt"
    target.write_text("mine")
    link = tmp_path / "link.html"
    link.symlink_to(target)
    proc = run(["briefing", "--html", "-o", str(link)], sample)
    assert "is a symbolic link" in assert_one_error_line(proc)
    assert link.is_symlink() and target.read_text() == "mine"


@pytest.mark.parametrize("args", [
    ["add", "note", "--text", "a\udcffb"],
    ["add", "speech", "--speaker", "a\udcffb"],
    ["log", "--person", "a\udcffb"],
    ["correct", "n1", "--set", "te\udcffxt=1"],
])
def test_arguments_that_are_not_utf8(sample: Path, args: list[str]) -> None:
    before = tree(sample)
    raw = [os.fsencode(a) for a in args]  # the bytes a shell would pass: 0xFF
    proc = subprocess.run([os.fsencode(str(ARCHIVE_SCRIPT)), *raw], capture_output=True,
                          env=archive_env(sample), timeout=60)
    stderr = proc.stderr.decode()
    assert proc.returncode == 2 and "Traceback" not in stderr
    assert stderr.startswith("Error: the argument ") and stderr.endswith(" is not valid UTF-8\n")
    assert tree(sample) == before
