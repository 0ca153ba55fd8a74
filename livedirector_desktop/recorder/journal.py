"""The recording journal: what a live recording decided, one JSON line at a time, beside it.

A recording is a fragmented MP4 under a hidden temporary name (core.files.partial_name). Its
captions, timeline and edit list are written only when it stops, from what the session
remembers; a crash (kill -9, power cut) loses that memory. The journal keeps it on disk
as it happens, next to the partial file, so recovery can finish the video and write its
sidecars from the decisions logged so far:

    .talk.partial.mp4                    the video (core.files.partial_name)
    .talk.partial.journal.jsonl          this journal

Lines (each flushed as it is written; a torn last line is ignored when read):
    {"type": "start", "version": 1, "final_path", "width", "height", "fps", "layout",
     "started_at", "pid", "host", "session_id"}
    {"type": "cue", "text", "start_ms", "end_ms"}
    {"type": "segment", "event": "open"|"close", "start_ms", "end_ms", "asset_id",
     "confidence", "text", "path", "reason", "title", "clip_path"}
    {"type": "end"}                      the recording was finished normally
Times are milliseconds from the start of the recording.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livedirector_desktop.asr.transcript import Cue
from livedirector_desktop.compositor.scene import Segment
from livedirector_desktop.core.files import partial_name

VERSION = 1


def journal_path(final: Path) -> Path:
    """`.NAME.partial.journal.jsonl` beside `NAME.mp4` (and its `.NAME.partial.mp4`)."""
    final = Path(final)
    return final.with_name(f".{final.stem}.partial.journal.jsonl")


class RecordingJournal:
    """Append-only, one JSON line per event, flushed per line; safe to call from any thread.

    The lead's live session calls: RecordingJournal(final_path, width, height, fps, layout)
    when the writer opens; cue(...) for each final sentence; open_segment(...) when B-roll
    goes on screen and close_segment(end_ms) when it leaves; finish() after the sidecars
    are written normally (the journal is then removed).
    """

    def __init__(
        self,
        final_path: Path,
        width: int,
        height: int,
        fps: float,
        layout: str,
        session_id: int | None = None,
        fsync: bool = False,
    ) -> None:
        self.final_path = Path(final_path)
        self.path = journal_path(self.final_path)
        self._fsync = fsync
        self._lock = threading.Lock()
        self._open: dict[str, Any] | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.path.open("w", encoding="utf-8")
        self._write(
            {
                "type": "start",
                "version": VERSION,
                "final_path": str(self.final_path),
                "partial_path": str(partial_name(self.final_path)),
                "width": int(width),
                "height": int(height),
                "fps": float(fps),
                "layout": layout,
                "started_at": time.time(),
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "session_id": session_id,
            }
        )

    def _write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            if self._fh.closed:
                return
            self._fh.write(line)
            self._fh.flush()  # in the OS's hands: survives the process being killed
            if self._fsync:
                os.fsync(self._fh.fileno())  # and a power cut

    def cue(self, text: str, start_ms: float, end_ms: float) -> None:
        self._write(
            {
                "type": "cue",
                "text": text,
                "start_ms": round(float(start_ms), 1),
                "end_ms": round(float(end_ms), 1),
            }
        )

    def open_segment(
        self,
        start_ms: float,
        asset_id: str,
        confidence: float = 0.0,
        text: str = "",
        path: str = "",
        reason: str = "",
        title: str | None = None,
        clip_path: str | None = None,
    ) -> None:
        """B-roll went on screen (a segment still open closes at this time)."""
        if self._open is not None:
            self.close_segment(start_ms)
        record = {
            "type": "segment",
            "event": "open",
            "start_ms": round(float(start_ms), 1),
            "end_ms": None,
            "asset_id": asset_id,
            "confidence": round(float(confidence), 4),
            "text": text,
            "path": path,
            "reason": reason,
            "title": title,
            "clip_path": clip_path,
        }
        self._open = record
        self._write(record)

    def close_segment(self, end_ms: float) -> None:
        """The B-roll on screen left it (back to the camera, or another clip follows)."""
        if self._open is None:
            return
        record = {**self._open, "event": "close", "end_ms": round(float(end_ms), 1)}
        self._open = None
        self._write(record)

    def finish(self, remove: bool = True) -> None:
        """The recording ended normally and its sidecars are written: the journal goes."""
        self._write({"type": "end"})
        self.close()
        if remove:
            self.path.unlink(missing_ok=True)

    def close(self) -> None:
        with self._lock:
            if not self._fh.closed:
                self._fh.close()


@dataclass
class JournalState:
    """A journal read back: the start record, the cues, the segments (open ones unended)."""

    start: dict[str, Any] = field(default_factory=dict)
    cues: list[Cue] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    clips: dict[str, dict[str, str]] = field(default_factory=dict)  # asset id -> title, path
    ended: bool = False
    bad_lines: int = 0


def read_journal(path: Path) -> JournalState:
    """Everything readable in a journal; a line cut off by the crash is skipped, not fatal.

    Segments still open at the end get end_ms = inf: the caller ends them where the
    recovered video ends."""
    state = JournalState()
    opened: dict[tuple[str, float], Segment] = {}
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return state
    for line in text.splitlines():
        try:
            rec = json.loads(line)
            kind = rec["type"]
            if kind == "start":
                state.start = rec
            elif kind == "cue":
                state.cues.append(
                    Cue(str(rec["text"]), float(rec["start_ms"]), float(rec["end_ms"]))
                )
            elif kind == "segment":
                asset_id = str(rec["asset_id"])
                start_ms = float(rec["start_ms"])
                end = rec.get("end_ms")
                opened[(asset_id, start_ms)] = Segment(
                    start_ms,
                    float(end) if end is not None else float("inf"),
                    asset_id,
                    float(rec.get("confidence") or 0.0),
                    str(rec.get("text") or ""),
                    str(rec.get("path") or ""),
                    str(rec.get("reason") or ""),
                )
                if rec.get("title") or rec.get("clip_path"):
                    state.clips[asset_id] = {
                        "title": str(rec.get("title") or asset_id),
                        "path": str(rec.get("clip_path") or ""),
                    }
            elif kind == "end":
                state.ended = True
        except (ValueError, KeyError, TypeError):
            state.bad_lines += 1
    state.segments = sorted(opened.values(), key=lambda s: s.start_ms)
    return state
