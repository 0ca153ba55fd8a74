"""A live recording: the program's packets into a crash-safe MP4, and what the file gets at
the end (captions, timeline, EDL).

The packets come from the one program encoder (recorder/program_encoder.py), which a stream
may share; the file counts time from the instant recording was asked for, so the sidecars and
the picture agree however long the encoder has been running.
"""

from __future__ import annotations

import logging
import os
import threading
from fractions import Fraction
from pathlib import Path
from typing import Any

from livedirector_desktop.asr.transcript import Cue
from livedirector_desktop.compositor.scene import SegmentLog
from livedirector_desktop.core.errors import LiveDirectorError
from livedirector_desktop.core.files import partial_name
from livedirector_desktop.library.library import Library
from livedirector_desktop.recorder.program_encoder import ProgramEncoder, Rebase

log = logging.getLogger(__name__)


class LiveRecording:
    """A packet sink writing fragmented MP4 under a temporary name (renamed when complete)."""

    def __init__(self, path: Path, encoder: ProgramEncoder, start_ns: int) -> None:
        import av

        self.path, self.start_ns, self.fps = Path(path), start_ns, encoder.fps
        self.final_path = self.path
        self.partial_path = partial_name(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Fragments with the moov box up front and packets flushed as they are written: a
        # killed process leaves a playable file (all but the last second or so).
        self.container = av.open(
            str(self.partial_path),
            "w",
            format="mp4",
            options={
                "movflags": "frag_keyframe+empty_moov+default_base_moof",
                "flush_packets": "1",
            },
        )
        self.video = self.container.add_stream_from_template(encoder.video)
        self.audio = self.container.add_stream_from_template(encoder.audio)
        self.rebase = Rebase(encoder.audio_rate_hz, encoder.pts_at(start_ns))
        self.segments = SegmentLog()  # what the program showed, in recording time
        self.video_packets = 0
        self.error = ""
        self._lock = threading.Lock()
        self._closed = False

    def rel_ms(self, t_ns: int) -> float:
        """Recording time of a session clock instant."""
        return (t_ns - self.start_ns) / 1e6

    def accept(self, kind: str, packet) -> None:
        """On the writer thread: file I/O here is what the recording always did."""
        if self.error or not self.rebase.apply(kind, packet):
            return
        packet.stream = self.video if kind == "video" else self.audio
        with self._lock:
            if self._closed:
                return
            try:
                self.container.mux(packet)
                self.video_packets += kind == "video"
            except Exception as exc:  # a full disk: stop writing, say so at the end
                self.error = str(exc)
                log.error("recording %s stopped writing: %s", self.final_path, exc)

    def _close_file(self) -> Path:
        with self._lock:
            self._closed = True
            try:
                self.container.close()
            except Exception as exc:
                self.error = self.error or str(exc)
        if self.error or not self.video_packets or not self.partial_path.exists():
            self.partial_path.unlink(missing_ok=True)
            if self.error:
                raise LiveDirectorError(f"could not finish writing {self.final_path}: {self.error}")
            raise LiveDirectorError(
                f"nothing was written to {self.final_path}: it stopped before its first frame"
            )
        os.replace(self.partial_path, self.final_path)
        return self.final_path

    # ------------------------------------------------------------------ the end

    def finish(
        self,
        end_ns: int,
        cues: list[Cue],
        library: Library,
        layout_name: str,
    ) -> dict[str, Any]:
        """Close the file (detached from the encoder, or after its flush), name it, write its
        sidecars; returns the result."""
        from livedirector_desktop.recorder.sidecars import write_sidecars

        output = self._close_file()
        end_ms = self.rel_ms(end_ns)
        cues = [c for c in cues if c.end_ms > 0]
        segments = self.segments.segments(end_ms)
        meta = {
            "output": str(output),
            "layout": layout_name,
            "duration_ms": round(end_ms, 1),
            "sentences": len(cues),
            "live": True,
        }
        sidecars = write_sidecars(
            output,
            cues,
            segments,
            library,
            meta,
            output.name,
            end_ms,
            Fraction(self.fps).limit_denominator(1001),
        )
        return {
            "path": str(output),
            "duration_ms": end_ms,
            "sidecars": [str(p) for p in sidecars],
            "sentences": len(cues),
            "clips_shown": len([s for s in segments if s.asset_id]),
            "layout": layout_name,
        }
