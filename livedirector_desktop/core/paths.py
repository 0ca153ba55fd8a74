"""Files a command reads and writes, checked together before any work starts.

The rule: no output ever replaces an input, and an output that cannot be written is said
before a long job runs, not after it. Each command lists every file it reads and every
file it will write (its temporary names and sidecars included); `check_plan` compares
them resolved (symlinks followed, the same inode under two names caught) and checks each
output's folder can take a new file, leaving nothing behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from livedirector_desktop.core.errors import BadInputError


def _identity(path: Path) -> tuple[str, tuple[int, int] | None]:
    resolved = Path(os.path.realpath(path))
    try:
        st = resolved.stat()
        return str(resolved), (st.st_dev, st.st_ino)
    except OSError:
        return str(resolved), None


def same_file(a: Path, b: Path) -> bool:
    """Whether two names lead to one file (resolved paths, or one inode via hard links)."""
    (pa, ia), (pb, ib) = _identity(a), _identity(b)
    return pa == pb or (ia is not None and ia == ib)


def nearest_existing(path: Path) -> Path:
    """The path itself or its closest ancestor that exists."""
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_writable(path: Path, what: str = "output") -> None:
    """BadInputError unless a file can be created at `path` (its folders made if missing).

    Tried for real (a probe file created and removed in the nearest existing folder):
    permission bits say nothing for root or a read-only file system.
    """
    path = Path(path)
    if path.is_dir():
        raise BadInputError(f"{what} {path} is a folder", "give a file name inside it")
    base = nearest_existing(path.parent)
    if not base.is_dir():
        raise BadInputError(
            f"{what} {path} cannot be created: {base} is a file, not a folder",
            "choose a path in a folder",
        )
    try:
        fd, probe = tempfile.mkstemp(prefix=".livedirector-write-check-", dir=base)
    except OSError as exc:
        raise BadInputError(
            f"{what} {path} cannot be written: {base}: {exc.strerror or exc}",
            "choose a folder you can write to",
        ) from exc
    os.close(fd)
    os.unlink(probe)


def check_plan(reads: Iterable[Path | None], writes: Iterable[Path], what: str = "output") -> None:
    """Refuse, before any work, a plan in which a written file is a read one or unwritable."""
    inputs = [Path(p) for p in reads if p is not None]
    for out in writes:
        out = Path(out)
        for src in inputs:
            if same_file(out, src):
                raise BadInputError(
                    f"{what} {out} would overwrite the input {src}",
                    "choose another output name or folder",
                )
    for out in writes:
        check_writable(Path(out), what)
