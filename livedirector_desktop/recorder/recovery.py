"""Finish recordings a crash cut off: the partial MP4 becomes a playable file, with sidecars.

A recording killed mid-write (kill -9, a crash, a power cut) leaves `.NAME.partial.mp4`
(fragmented, playable up to its last whole fragment) and, from a live session, its
journal `.NAME.partial.journal.jsonl`. `recover` remuxes the partial into a normal MP4
(packets copied, nothing re-encoded; it stops at the first packet that no longer decodes),
names it NAME.mp4 unless that name (or one of its sidecars) is taken, in which case
"NAME (recovered).mp4", writes the captions, timeline and edit list from the journal, and
completes the session row. The partial and the journal are removed only once the finished
file is in place and reads back.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from livedirector_desktop.core.errors import LiveDirectorError
from livedirector_desktop.core.files import program_of_camera_copy
from livedirector_desktop.library.asset import Asset
from livedirector_desktop.recorder.journal import JournalState, journal_path, read_journal
from livedirector_desktop.recorder.sidecars import sidecar_paths, write_sidecars
from livedirector_desktop.sessions.store import SessionStore

log = logging.getLogger(__name__)

PARTIAL_TAIL = ".partial.mp4"  # core.files.partial_name: NAME.mp4 -> .NAME.partial.mp4
UNRECOVERABLE_TAIL = ".partial.unrecoverable.mp4"
IN_USE_S = 30.0  # a partial written to this recently by a live process is being recorded


@dataclass
class Interrupted:
    """A partial recording found on disk."""

    partial: Path
    intended: Path  # the name it was going to get
    journal: Path | None
    size_bytes: int
    modified_at: float
    in_use: bool  # another running process is still writing it

    def to_json(self) -> dict:
        return {
            "partial": str(self.partial),
            "intended": str(self.intended),
            "journal": str(self.journal) if self.journal else None,
            "size_bytes": self.size_bytes,
            "modified_at": self.modified_at,
            "in_use": self.in_use,
        }


@dataclass
class RecoveryResult:
    partial: Path
    intended: Path
    ok: bool
    message: str  # one line for the user
    path: Path | None = None  # the finished file
    duration_ms: float = 0.0
    frames: int = 0
    sidecars: list[Path] = field(default_factory=list)
    session_id: int | None = None
    in_use: bool = False  # left alone: a running recording is still writing it

    def to_json(self) -> dict:
        return {
            "partial": str(self.partial),
            "intended": str(self.intended),
            "ok": self.ok,
            "in_use": self.in_use,
            "message": self.message,
            "path": str(self.path) if self.path else None,
            "duration_ms": round(self.duration_ms, 1),
            "frames": self.frames,
            "sidecars": [str(p) for p in self.sidecars],
            "session_id": self.session_id,
        }


def intended_path(partial: Path) -> Path | None:
    """NAME.mp4 for .NAME.partial.mp4; None for any other file."""
    name = Path(partial).name
    if not (name.startswith(".") and name.endswith(PARTIAL_TAIL)) or name.endswith(
        UNRECOVERABLE_TAIL
    ):
        return None
    stem = name[1 : -len(PARTIAL_TAIL)]
    return Path(partial).with_name(f"{stem}.mp4") if stem else None


def _pid_alive(pid: int) -> bool:
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate it there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, not ours
    return True


def _in_use(partial: Path, journal: JournalState | None, modified_at: float) -> bool:
    if time.time() - modified_at > IN_USE_S:
        return False
    if journal and journal.start:
        same_host = journal.start.get("host") == socket.gethostname()
        pid = journal.start.get("pid")
        if same_host and isinstance(pid, int):
            return pid != os.getpid() and _pid_alive(pid)
    return True  # written seconds ago by someone we cannot identify: leave it be


def inspect(partial: Path) -> Interrupted | None:
    partial = Path(partial)
    intended = intended_path(partial)
    if intended is None or not partial.is_file():
        return None
    st = partial.stat()
    journal = journal_path(intended)
    state = read_journal(journal) if journal.is_file() else None
    return Interrupted(
        partial,
        intended,
        journal if state is not None else None,
        st.st_size,
        st.st_mtime,
        _in_use(partial, state or _program_journal(intended), st.st_mtime),
    )


def _program_journal(intended: Path) -> JournalState | None:
    """For a camera copy (OUT.camera.mp4, no journal of its own): the journal of its
    program, written by the same process, so a dead writer is known at once and the copy
    is recovered with its program instead of 30 s later."""
    program = program_of_camera_copy(intended)
    journal = journal_path(program) if program is not None else None
    return read_journal(journal) if journal is not None and journal.is_file() else None


def find_interrupted(folders: Iterable[Path]) -> list[Interrupted]:
    """Partial recordings (.NAME.partial.mp4) in these folders, oldest first."""
    found: dict[Path, Interrupted] = {}
    for folder in folders:
        folder = Path(folder).expanduser()
        if not folder.is_dir():
            continue
        try:
            candidates = sorted(folder.glob(f".*{PARTIAL_TAIL}"))
        except OSError as exc:
            log.warning("cannot look for interrupted recordings folder=%s error=%s", folder, exc)
            continue
        for partial in candidates:
            item = inspect(partial)
            if item is not None:
                found.setdefault(partial.resolve(), item)
    return sorted(found.values(), key=lambda i: i.modified_at)


def default_folders(recordings_dir: Path, sessions: SessionStore | None = None) -> list[Path]:
    """The recordings folder and the folder of every session row that never ended."""
    folders = [Path(recordings_dir)]
    if sessions is not None:
        folders += [Path(r.path).parent for r in sessions.unfinished()]
    return list(dict.fromkeys(folders))


class _JournalClips:
    """The clip titles and files the journal noted, in the shape the sidecars look up."""

    def __init__(self, clips: dict[str, dict[str, str]]) -> None:
        self.clips = clips

    def get(self, asset_id: str) -> Asset | None:
        clip = self.clips.get(asset_id)
        return Asset(id=asset_id, title=clip["title"], path=clip["path"]) if clip else None


def _free_name(intended: Path) -> list[Path]:
    stem, suffix = intended.stem, intended.suffix
    names = [intended, intended.with_name(f"{stem} (recovered){suffix}")]
    names += [intended.with_name(f"{stem} (recovered {n}){suffix}") for n in range(2, 100)]
    return names


def _taken(path: Path) -> bool:
    return any(p.exists() or p.is_symlink() for p in (path, *sidecar_paths(path)))


def _place(tmp: Path, intended: Path) -> Path:
    """Gives `tmp` the first free name; an existing file is never replaced."""
    for target in _free_name(intended):
        if _taken(target):
            continue
        try:
            os.link(tmp, target)  # fails if the name appeared meanwhile: no clobbering
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EOPNOTSUPP):
                raise
            if target.exists():
                continue
            os.replace(tmp, target)  # no hard links here (FAT, some network shares)
            return target
        tmp.unlink()
        return target
    raise LiveDirectorError(f"no free name for the recovered {intended.name}")


def _remux(partial: Path, tmp: Path) -> tuple[int, float]:
    """Copies every packet that still decodes into a normal MP4; (video frames, ms)."""
    import av

    from livedirector_desktop.recorder.writer import remux_faststart

    try:
        # Audio as the partial has it: a live recording's packets were placed when written.
        done = remux_faststart(partial, tmp, check_video=True)
    except (av.error.FFmpegError, OSError) as exc:
        raise LiveDirectorError(f"nothing readable in {partial.name} ({exc})") from exc
    if done.video_frames == 0:
        raise LiveDirectorError(f"no video frame in {partial.name} could be decoded")
    return done.video_frames, done.video_ms


def recover(partial_path: Path, sessions: SessionStore | None = None) -> RecoveryResult:
    """Finishes one interrupted recording; never raises for a bad file (the result says)."""
    partial = Path(partial_path)
    intended = intended_path(partial)
    if intended is None:
        return RecoveryResult(partial, partial, False, f"{partial.name} is not a partial recording")
    journal_file = journal_path(intended)
    journal = read_journal(journal_file) if journal_file.is_file() else None
    tmp = partial.with_name(f".{intended.stem}.recovering.mp4")
    try:
        frames, duration_ms = _remux(partial, tmp)
    except LiveDirectorError as exc:
        tmp.unlink(missing_ok=True)
        kept = partial.with_name(f".{intended.stem}{UNRECOVERABLE_TAIL}")
        try:
            os.replace(partial, kept)
        except OSError:
            kept = partial
        return RecoveryResult(
            partial, intended, False, f"{exc.message}: kept as {kept.name}, not recovered"
        )
    except Exception as exc:  # an unexpected FFmpeg failure: say it, keep the file
        tmp.unlink(missing_ok=True)
        return RecoveryResult(partial, intended, False, f"{partial.name}: {exc}")
    try:
        final = _place(tmp, intended)
    except (OSError, LiveDirectorError) as exc:
        tmp.unlink(missing_ok=True)
        return RecoveryResult(partial, intended, False, f"cannot name {intended.name}: {exc}")
    result = RecoveryResult(partial, intended, True, "", final, duration_ms, frames)
    try:
        if journal is not None:
            result.sidecars = _write_sidecars(final, journal, duration_ms, partial.name)
    except OSError as exc:
        log.warning("sidecars of a recovered recording failed path=%s error=%s", final, exc)
    if sessions is not None:
        result.session_id = _complete_row(sessions, intended, final, journal, duration_ms)
    partial.unlink(missing_ok=True)
    journal_file.unlink(missing_ok=True)
    what = "with captions, timeline and edit list" if result.sidecars else "(no journal)"
    renamed = f" (as {final.name}: {intended.name} was taken)" if final != intended else ""
    result.message = (
        f"recovered {final}{renamed}: {duration_ms / 1000:.1f} s, {frames} frames, {what}"
    )
    log.info("recovered partial=%s path=%s frames=%d", partial, final, frames)
    return result


def _segments(journal: JournalState, duration_ms: float):
    from livedirector_desktop.compositor.scene import Segment

    out = []
    for s in journal.segments:
        end = min(s.end_ms, duration_ms)
        if s.start_ms < duration_ms and end > s.start_ms:
            out.append(Segment(s.start_ms, end, s.asset_id, s.confidence, s.text, s.path, s.reason))
    return out


def _write_sidecars(
    final: Path, journal: JournalState, duration_ms: float, partial_name: str
) -> list[Path]:
    from livedirector_desktop.asr.transcript import Cue

    cues = [
        Cue(c.text, c.start_ms, min(c.end_ms, duration_ms))
        for c in journal.cues
        if c.start_ms < duration_ms and c.end_ms > 0
    ]
    segments = _segments(journal, duration_ms)
    fps = Fraction(journal.start.get("fps") or 30).limit_denominator(1001)
    meta = {
        "output": str(final),
        "layout": journal.start.get("layout", ""),
        "duration_ms": round(duration_ms, 1),
        "sentences": len(cues),
        "live": True,
        "recovered": True,
        "recovered_from": partial_name,
    }
    return write_sidecars(
        final, cues, segments, _JournalClips(journal.clips), meta, final.name, duration_ms, fps
    )


def _complete_row(
    sessions: SessionStore,
    intended: Path,
    final: Path,
    journal: JournalState | None,
    duration_ms: float,
) -> int | None:
    row = sessions.find_by_path(intended)
    if row is None and journal is None:
        return None  # not a studio recording (e.g. a render): no session to complete
    sentences = len(journal.cues) if journal else 0
    clips = len(_segments(journal, duration_ms)) if journal else 0
    if row is None:
        assert journal is not None
        session_id = sessions.begin(
            intended, str(journal.start.get("layout", "")), journal.start.get("started_at")
        )
    else:
        session_id = row.id
    sessions.mark_recovered(session_id, final, duration_ms, sentences, clips)
    return session_id


def recover_all(
    folders: Iterable[Path], sessions: SessionStore | None = None
) -> list[RecoveryResult]:
    """Every interrupted recording in these folders not being written right now."""
    results = []
    for item in find_interrupted(folders):
        if item.in_use:
            results.append(
                RecoveryResult(
                    item.partial,
                    item.intended,
                    False,
                    f"{item.partial.name} is still being written by a running recording",
                    in_use=True,
                )
            )
            continue
        results.append(recover(item.partial, sessions))
    return results
