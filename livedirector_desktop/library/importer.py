"""Import clips into a library: find, describe, probe, thumbnail, embed, store.

Each clip is reported on its own: a broken file or sidecar is named and skipped and the
rest go on. Clips are written in small batches, each one Chroma call, and a thumbnail is
in place before its clip is; an interrupted import leaves only whole clips behind.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from livedirector_desktop.core.errors import BadInputError
from livedirector_desktop.core.files import sha256_file
from livedirector_desktop.library.asset import VIDEO_SUFFIXES, Asset, sidecar_path
from livedirector_desktop.library.describe import describe, folders_between
from livedirector_desktop.library.library import Library
from livedirector_desktop.library.probe import probe, read_embedded, write_thumbnail

log = logging.getLogger(__name__)

BATCH = 16

# (clips done, clips total, path being worked on)
ImportProgress = Callable[[int, int, Path | None], None]


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, message)
    ignored: list[str] = field(default_factory=list)  # not videos, found inside folders
    seconds: float = 0.0
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed and not self.interrupted

    def to_json(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": [{"path": p, "error": e} for p, e in self.failed],
            "ignored": self.ignored,
            "seconds": round(self.seconds, 3),
            "interrupted": self.interrupted,
        }


def find_videos(paths: Iterable[Path], report: ImportReport) -> dict[Path, list[str]]:
    """Each video found (resolved), with the folders between the folder searched and it
    (they become topic tags; a file named directly has none)."""
    found: list[tuple[Path, Path | None]] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists() and not path.is_symlink():
            report.failed.append((str(path), "does not exist"))
        elif path.is_dir():

            def unreadable(err: OSError) -> None:
                report.failed.append((str(err.filename), f"folder cannot be read: {err.strerror}"))

            if not os.access(path, os.R_OK | os.X_OK):
                report.failed.append((str(path), "folder cannot be read: permission denied"))
                continue
            for folder, dirs, files in os.walk(path, onerror=unreadable):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name.startswith("."):
                        continue
                    file = Path(folder) / name
                    if file.suffix.lower() in VIDEO_SUFFIXES:
                        found.append((file, path))
                    elif file.suffix.lower() != ".json":
                        report.ignored.append(str(file))
        elif path.suffix.lower() in VIDEO_SUFFIXES:
            found.append((path, None))
        elif path.suffix.lower() == ".json" and path.with_suffix("").exists():
            continue  # a sidecar named next to its clip
        else:
            report.failed.append(
                (
                    str(path),
                    f"not a video file (expected one of {', '.join(sorted(VIDEO_SUFFIXES))})",
                )
            )
    # The same clip named twice (a folder and a file in it) is imported once.
    resolved: dict[Path, list[str]] = {}
    for p, root in found:
        try:
            real = p.resolve(strict=True)
        except RuntimeError:  # Python < 3.13 says "Symlink loop" this way
            report.failed.append((str(p), "a symbolic link that points back at itself: skipped"))
            continue
        except OSError as exc:
            why = (
                "a symbolic link that points back at itself"
                if exc.errno == errno.ELOOP
                else "a link to a file that does not exist"
                if p.is_symlink()
                else f"cannot be read: {exc.strerror or exc}"
            )
            report.failed.append((str(p), f"{why}: skipped"))
            continue
        if not real.is_file():
            report.failed.append((str(p), "not a regular file: skipped"))
            continue
        # Folders are read from the path as found: a linked folder keeps its names.
        resolved.setdefault(real, folders_between(root, p) if root else [])
    return resolved


def _text(asset: Asset) -> dict:
    return {
        "title": asset.title,
        "description": asset.description,
        "tags": asset.tags,
        "category": asset.category,
        "needs_description": asset.needs_description,
        "embedded_fields": asset.embedded_fields,
    }


def import_paths(
    library: Library, paths: Iterable[Path], progress: ImportProgress | None = None
) -> ImportReport:
    report = ImportReport()
    started = time.perf_counter()
    found = find_videos(paths, report)
    videos = list(found)
    pending: list[tuple[Asset, str]] = []  # (asset, "added" | "updated")
    claimed: dict[str, Path] = {}  # ids given out in this run

    def flush() -> None:
        if pending:
            library.put([a for a, _ in pending])
            for asset, kind in pending:
                getattr(report, kind).append(asset.id)
                log.info("imported asset_id=%s kind=%s path=%s", asset.id, kind, asset.path)
            pending.clear()

    try:
        for done, video in enumerate(videos):
            if progress:
                progress(done, len(videos), video)
            try:
                item = _import_one(library, video, found[video], claimed)
            except BadInputError as exc:
                report.failed.append((str(video), exc.message))
                log.warning("import failed path=%s error=%s", video, exc.message)
                continue
            except OSError as exc:
                report.failed.append((str(video), f"cannot be read: {exc.strerror or exc}"))
                continue
            if isinstance(item, str):
                report.unchanged.append(item)
                continue
            pending.append(item)
            if len(pending) >= BATCH:
                flush()
        flush()
    except KeyboardInterrupt:
        report.interrupted = True
    if progress:
        progress(len(videos), len(videos), None)
    report.seconds = time.perf_counter() - started
    return report


def _import_one(
    library: Library, video: Path, folders: list[str], claimed: dict[str, Path]
) -> tuple[Asset, str] | str:
    """The asset to write and whether it is new, or its id when the library already has it."""
    asset_id = describe(video, folders, lambda _path: {}).id  # the sidecar's or the name's
    stat = video.stat()
    existing = library.get(asset_id)
    same_file = bool(
        existing
        and existing.path == str(video)
        and (existing.size_bytes, existing.mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    )
    # A file unchanged since it was read keeps its embedded fields: re-importing a folder
    # opens no container (2 ms a clip).
    known = same_file and existing is not None and existing.embedded_fields != ""
    embedded = existing.embedded() if known and existing else read_embedded(video)
    described = describe(video, folders, lambda _path: embedded)
    desc = described.text_fields()
    if asset_id in claimed and claimed[asset_id] != video:
        raise BadInputError(
            f"id {asset_id!r} is already used by {claimed[asset_id]} in this import",
            "give one of the clips a different id in its sidecar",
        )
    claimed[asset_id] = video
    if existing and existing.edited and not sidecar_path(video).exists():
        # The creator's words stand until they change them (their sidecar, where the app
        # writes them, wins when it is there: it may come from another machine's edit).
        desc = {**_text(existing), "embedded_fields": described.embedded_fields}
    if (
        existing
        and existing.path != str(video)
        and Path(existing.path).exists()
        and (existing.size_bytes != stat.st_size or existing.sha256 != sha256_file(video))
    ):
        raise BadInputError(
            f"id {asset_id!r} already belongs to {existing.path}",
            "rename the clip or give it another id in its sidecar",
        )
    # The cheap check first: same file, same size and time, same text: nothing to do.
    if (
        existing
        and same_file
        and _text(existing) == desc
        and library.thumbnail_path(asset_id).exists()
    ):
        return asset_id
    sha = sha256_file(video)
    if existing and existing.sha256 == sha and library.thumbnail_path(asset_id).exists():
        if (
            _text(existing) == desc
            and existing.path == str(video)
            and existing.mtime_ns == stat.st_mtime_ns
        ):
            return asset_id
        # Same content: keep the probe, take the new text, path and times.
        updated = replace(existing, path=str(video), mtime_ns=stat.st_mtime_ns, **desc)
        return (updated, "updated")
    facts = probe(video)
    thumb = write_thumbnail(facts.thumbnail_bgr, library.thumbnail_path(asset_id))
    asset = Asset(
        id=asset_id,
        path=str(video),
        sha256=sha,
        size_bytes=stat.st_size,
        mtime_ns=stat.st_mtime_ns,
        duration_ms=facts.duration_ms,
        width=facts.width,
        height=facts.height,
        fps=facts.fps,
        has_audio=facts.has_audio,
        thumbnail=str(thumb),
        edited=bool(existing and existing.edited),
        **desc,
    )
    return (asset, "updated" if existing else "added")
