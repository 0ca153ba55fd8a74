"""File helpers every writer shares: content hashes, atomic writes, the unfinished-file name.

One scheme for unfinished files everywhere: a hidden `.NAME.partial.EXT` beside the final
name, renamed over it only when complete, so a half-written file is never taken for a result.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def sha256_file(path: Path, chunk_bytes: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk_bytes):
            digest.update(block)
    return digest.hexdigest()


def partial_name(final: Path) -> Path:
    """Where a file is written until it is complete."""
    final = Path(final)
    return final.with_name(f".{final.stem}.partial{final.suffix}")


CAMERA_COPY_TAIL = ".camera.mp4"


def camera_copy_path(program: Path) -> Path:
    """Where the clean camera recording of a program recording goes: OUT.camera.mp4."""
    return Path(program).with_suffix(CAMERA_COPY_TAIL)


def program_of_camera_copy(path: Path) -> Path | None:
    """OUT.mp4 for OUT.camera.mp4 (None for any other name)."""
    path = Path(path)
    if not path.name.endswith(CAMERA_COPY_TAIL):
        return None
    return path.with_name(path.name[: -len(CAMERA_COPY_TAIL)] + ".mp4")


def final_name(partial: Path) -> Path | None:
    """The intended name of an unfinished file (None if the name is not a partial one)."""
    partial = Path(partial)
    name = partial.name
    if not name.startswith(".") or ".partial" not in name:
        return None
    stem, _, suffix = name[1:].rpartition(".partial")
    return partial.with_name(stem + suffix) if stem else None


def write_atomic(path: Path, data: str | bytes, encoding: str = "utf-8") -> Path:
    """Write the whole file under its partial name, then rename it into place."""
    path = Path(path)
    tmp = partial_name(path)
    if isinstance(data, str):
        tmp.write_text(data, encoding=encoding)
    else:
        tmp.write_bytes(data)
    os.replace(tmp, path)
    return path
