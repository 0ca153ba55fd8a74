"""A live recording: the writer thread that owns the encoder, and what the file gets at the end.

Two kinds: the program (what viewers see, with its sidecars and a journal for crash
recovery) and the clean camera and microphone beside it (`OUT.camera.mp4`), from which
`livedirector conform` re-renders a polished cut.

Program frames and microphone blocks arrive through bounded queues that drop the oldest
(counted apart: video and audio). Each frame and each block is placed by its capture time,
so whatever is dropped becomes a gap (a repeated frame, silence) and never shifts what comes
after it: audio stays with its video for the whole recording.
"""

from __future__ import annotations

import logging
import threading
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from livedirector_desktop.asr.transcript import Cue
from livedirector_desktop.compositor.scene import ProgramInputs, SegmentLog, Shot
from livedirector_desktop.core.queues import DropOldestQueue
from livedirector_desktop.core.stats import LiveStats
from livedirector_desktop.core.types import AudioBlock
from livedirector_desktop.library.library import Library

log = logging.getLogger(__name__)

VIDEO_TIME_BASE = Fraction(1, 90_000)
CAMERA = Shot(None, -1)


class LiveRecording:
    def __init__(
        self,
        path: Path,
        width: int,
        height: int,
        fps: float,
        start_ns: int,
        audio_rate_hz: int,
        audio_channels: int,
        stats: LiveStats,
        layout_name: str = "pip",
        session_id: int | None = None,
        clean: bool = False,
        caption_font: str = "",
    ) -> None:
        from livedirector_desktop.compositor.cpu import CpuCompositor, black
        from livedirector_desktop.recorder.journal import RecordingJournal
        from livedirector_desktop.recorder.writer import Mp4Writer

        self.path, self.start_ns, self.stats = Path(path), start_ns, stats
        self.fps, self.clean = fps, clean
        from livedirector_desktop.compositor.caption_font import find_font

        font = find_font(caption_font)  # the setting's font, else the first found
        self.caption_font = str(font) if font else ""
        self.writer = Mp4Writer(
            path,
            width,
            height,
            Fraction(fps).limit_denominator(1001),
            video_time_base=VIDEO_TIME_BASE,
            audio_rate_hz=audio_rate_hz,
            audio_layout="mono" if audio_channels == 1 else "stereo",
            # Live, x264 shares two cores with capture, the LLM and the preview: superfast
            # keeps up at 720p where veryfast fell behind; 1080p needs ultrafast.
            preset="ultrafast" if height >= 1080 else "superfast",
        )
        # What a crash would otherwise lose: sentences and cuts, a line each, beside the file.
        self.journal = (
            None if clean else RecordingJournal(path, width, height, fps, layout_name, session_id)
        )
        self.decisions: list[dict[str, Any]] = []  # each final sentence and what was decided
        self.controls: list[dict[str, Any]] = []  # the creator's takes, vetoes, holds, clears
        self._journal_q: DropOldestQueue[tuple[str, tuple]] = DropOldestQueue(10_000)
        self.audio_rate_hz, self.audio_channels = audio_rate_hz, audio_channels
        self.compositor = CpuCompositor(width, height, "pip")
        self.black = black(width, height)
        self.video_q: DropOldestQueue[tuple[ProgramInputs, int]] = DropOldestQueue(int(fps * 2))
        self.audio_q: DropOldestQueue[AudioBlock] = DropOldestQueue(500)
        self.segments = SegmentLog()  # what the program showed, in recording time
        self._next_sample = 0  # where the next audio sample belongs, counted from start_ns
        self._last_pts = -1
        self._thread = threading.Thread(target=self._run, name="writer", daemon=True)
        self._thread.start()

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

    # ------------------------------------------------------------------ the writer thread

    def _write_audio(self, block: AudioBlock) -> None:
        import av

        samples = block.samples
        if samples.shape[1] != self.audio_channels:
            samples = np.repeat(samples.mean(axis=1, keepdims=True), self.audio_channels, axis=1)
        # The sample index this block belongs at, by its capture time.
        at = round((block.pts_ns - self.start_ns) * self.audio_rate_hz / 1e9)
        slack = self.audio_rate_hz // 1000  # 1 ms: rounding, not a gap
        if at > self._next_sample + slack:
            gap = at - self._next_sample  # missing audio (a dropped block): silence
            samples = np.concatenate([np.zeros((gap, self.audio_channels), np.float32), samples])
            if self._next_sample > 0:
                self.stats.audio_silence_ms += gap * 1000 / self.audio_rate_hz
        elif at < self._next_sample - slack:
            samples = samples[self._next_sample - at :]  # before the start, or overlapping
        if not len(samples):
            return
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples.T, dtype=np.float32),
            format="fltp",
            layout="mono" if self.audio_channels == 1 else "stereo",
        )
        frame.sample_rate = self.audio_rate_hz
        self.writer.write_audio_frame(frame)
        self._next_sample += len(samples)

    def _drain_audio(self) -> None:
        while (block := self.audio_q.get(timeout_s=0)) is not None:
            self._write_audio(block)

    def _run(self) -> None:
        while True:
            item = self.video_q.get(timeout_s=0.05)
            self._drain_audio()
            self._drain_journal()
            if item is None:
                if self.video_q.closed and not len(self.video_q):
                    self._drain_audio()
                    self._drain_journal()
                    return
                continue
            inputs, t_ns = item
            pts = round((t_ns - self.start_ns) * 90_000 / 1e9)
            if pts <= self._last_pts:
                continue
            self._last_pts = pts
            t0 = time.perf_counter()
            image = self.compose(inputs)
            self.stats.stage_ms["compose"].append((time.perf_counter() - t0) * 1e3)
            t0 = time.perf_counter()
            self.writer.write_i420(image, pts)
            self.stats.stage_ms["encode"].append((time.perf_counter() - t0) * 1e3)
            self.stats.frames_recorded += 1

    def compose(self, inputs: ProgramInputs) -> np.ndarray:
        """The program picture, by the CPU compositor, from the inputs the preview also got."""
        from livedirector_desktop.compositor.cpu import draw_caption

        self.compositor.layout_name = inputs.layout
        cam = inputs.camera
        if cam is None:
            image, cw, ch = self.black, self.compositor.width, self.compositor.height
        else:
            image, cw, ch = cam.image, cam.width, cam.height
        if self.clean:  # the camera alone, as it came (scaled to the program size)
            return self.compositor.draw_shot(CAMERA, image, cw, ch, None)
        program = self.compositor.draw(
            inputs.state, image, cw, ch, lambda shot: inputs.broll.get(shot.segment_index)
        )
        w, h = self.compositor.width, self.compositor.height
        return draw_caption(program, w, h, inputs.caption, self.caption_font)

    # ------------------------------------------------------------------ the end

    def finish(
        self,
        end_ns: int,
        cues: list[Cue],
        library: Library,
        layout_name: str,
        transition_ms: float = 500.0,
    ) -> dict[str, Any]:
        """Flush the encoder, give the file its name, write its sidecars; returns the result."""
        from livedirector_desktop.recorder.sidecars import write_sidecars

        self.video_q.close()
        self.audio_q.close()
        self._thread.join(30)
        self.stats.video_dropped += self.video_q.dropped
        self.stats.audio_dropped += self.audio_q.dropped
        try:
            output = self.writer.close()
        except Exception:
            if self.journal is not None:
                self.journal.finish()  # nothing to recover: the file never started
            raise
        end_ms = self.rel_ms(end_ns)
        if self.clean:
            return {"path": str(output), "duration_ms": end_ms}
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
        return {
            "path": str(output),
            "duration_ms": end_ms,
            "sidecars": [str(p) for p in sidecars],
            "sentences": len(cues),
            "clips_shown": len([s for s in segments if s.asset_id]),
            "layout": layout_name,
        }
