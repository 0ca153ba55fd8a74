"""A live recording: the program's packets into a crash-safe MP4, and what the file gets at
the end (captions, timeline, EDL).

Two kinds: the program (what viewers see, with its sidecars, a decision log for conform and
a journal for crash recovery) and the clean camera and microphone beside it
(`OUT.camera.mp4`, from its own encoder), from which `livedirector conform` re-renders.

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
from livedirector_desktop.core.queues import DropOldestQueue
from livedirector_desktop.core.types import RecordingResult
from livedirector_desktop.library.library import Library
from livedirector_desktop.recorder.program_encoder import ProgramEncoder, Rebase

log = logging.getLogger(__name__)

FRAGMENT_MS = 500  # the most of a recording a crash can take, besides the encoder's queue


class LiveRecording:
    """A packet sink writing fragmented MP4 under a temporary name (renamed when complete)."""

    def __init__(
        self,
        path: Path,
        encoder: ProgramEncoder,
        start_ns: int,
        layout_name: str = "pip",
        session_id: int | None = None,
        clean: bool = False,
    ) -> None:
        import av

        from livedirector_desktop.recorder.journal import RecordingJournal

        self.path, self.start_ns, self.fps = Path(path), start_ns, encoder.fps
        self.final_path = self.path
        self.partial_path = partial_name(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Fragments with the moov box up front and packets flushed as they are written: a
        # killed process leaves a playable file. A fragment at every keyframe (1 s) and
        # every FRAGMENT_MS between them: a crash loses at most the fragment being filled
        # (kill -9 lost 0.35-0.95 s with 1 s fragments, 0.1-0.55 s with these).
        self.container = av.open(
            str(self.partial_path),
            "w",
            format="mp4",
            options={
                "movflags": "frag_keyframe+empty_moov+default_base_moof",
                "frag_duration": str(FRAGMENT_MS * 1000),
                "flush_packets": "1",
            },
        )
        self.video = self.container.add_stream_from_template(encoder.video)
        self.audio = self.container.add_stream_from_template(encoder.audio)
        self.encoder = encoder
        self.rebase = Rebase(encoder.audio_rate_hz, encoder.pts_at(start_ns))
        self.segments = SegmentLog()  # what the program showed, in recording time
        self.clean = clean
        # What a crash would otherwise lose: sentences and cuts, a line each, beside the file.
        self.journal = (
            None
            if clean
            else RecordingJournal(
                path, encoder.width, encoder.height, encoder.fps, layout_name, session_id
            )
        )
        self._journal_q: DropOldestQueue[tuple[str, tuple]] = DropOldestQueue(10_000)
        self.decisions: list[dict[str, Any]] = []  # each final sentence and what was decided
        self.controls: list[dict[str, Any]] = []  # the creator's takes, vetoes, holds, clears
        self.video_packets = 0
        self.error = ""
        self._lock = threading.Lock()
        self._closed = False

    def begin_at(self, start_ns: int) -> None:
        """Time zero of the file (before any packet reaches it): the moment it was asked for,
        once its encoder and file are open."""
        self.start_ns = start_ns
        self.rebase = Rebase(self.encoder.audio_rate_hz, self.encoder.pts_at(start_ns))

    def rel_ms(self, t_ns: int) -> float:
        """Recording time of a session clock instant."""
        return (t_ns - self.start_ns) / 1e6

    def cut(
        self,
        at_ms: float,
        asset_id: str | None,
        confidence: float = 0.0,
        text: str = "",
        path: str = "",
        reason: str = "",
        title: str | None = None,
        clip_path: str | None = None,
    ) -> None:
        """The program cut (recording time): noted now, journaled by the writer thread."""
        on_screen = self.segments.current
        self.segments.cut(at_ms, asset_id, confidence, text, path, reason)
        if self.segments.current is on_screen:
            return
        if asset_id:
            args = (at_ms, asset_id, confidence, text, path, reason, title, clip_path)
            self._journal_q.put(("open_segment", args))
        else:
            self._journal_q.put(("close_segment", (at_ms,)))

    def cue(self, text: str, start_ms: float, end_ms: float) -> None:
        """A final sentence (recording time), for the journal."""
        self._journal_q.put(("cue", (text, start_ms, end_ms)))

    def note_decision(self, at_ms: float, start_ms: float, end_ms: float, decision) -> None:
        """What the director made of a final sentence (times in recording ms)."""
        self.decisions.append(
            {
                "at_ms": round(at_ms, 1),
                "start_ms": round(start_ms, 1),
                "end_ms": round(end_ms, 1),
                **decision.to_json(),
                "wanted_asset_id": decision.wanted_asset_id,
            }
        )

    def note_control(self, at_ms: float, name: str, value: Any) -> None:
        """A control the creator used (recording ms): conform honours takes and vetoes."""
        self.controls.append({"at_ms": round(at_ms, 1), "name": name, "value": value})

    def _drain_journal(self) -> None:
        # File writes happen here, on the writer thread, never on the tick that cuts.
        while (item := self._journal_q.get(timeout_s=0)) is not None:
            if self.journal is not None:
                name, args = item
                getattr(self.journal, name)(*args)

    def accept(self, kind: str, packet) -> None:
        """On the writer thread: file I/O here is what the recording always did."""
        if len(self._journal_q):
            self._drain_journal()
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
        transition_ms: float = 500.0,
    ) -> RecordingResult:
        """Close the file (detached from the encoder, or after its flush), name it, write its
        sidecars; returns the result."""
        from livedirector_desktop.recorder.sidecars import write_sidecars

        self._drain_journal()
        try:
            output = self._close_file()
        except Exception:
            if self.journal is not None:
                self.journal.finish()  # nothing to recover: the file never started
            raise
        end_ms = self.rel_ms(end_ns)
        if self.clean:
            return RecordingResult(str(output), end_ms)
        cues = [c for c in cues if c.end_ms > 0]
        segments = self.segments.segments(end_ms)
        meta = {
            "output": str(output),
            "layout": layout_name,
            "transition_ms": transition_ms,
            "duration_ms": round(end_ms, 1),
            "sentences": len(cues),
            "live": True,
            # For conform: every sentence with its timing and decision, and the creator's
            # controls, so a final cut can start each clip with the sentence that asked.
            "cues": [
                {"text": c.text, "start_ms": round(c.start_ms, 1), "end_ms": round(c.end_ms, 1)}
                for c in cues
            ],
            "decisions": self.decisions,
            "controls": self.controls,
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
        if self.journal is not None:
            self.journal.finish()
        return RecordingResult(
            str(output),
            end_ms,
            [str(p) for p in sidecars],
            len(cues),
            len([s for s in segments if s.asset_id]),
            layout_name,
        )
