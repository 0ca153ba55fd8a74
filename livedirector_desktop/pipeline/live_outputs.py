"""A live session's outputs: one encoder shared by the recording, a stream and the virtual
camera (OBS's rule: one thread owns the encoder, its packets go to every output).

`SessionOutputs` is the part of `LiveSession` that starts and stops them; it lives here to
keep live.py about listening, deciding and the tick. It uses the session's own attributes,
declared below; nothing else constructs it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from livedirector_desktop.asr.transcript import Cue
from livedirector_desktop.core.clock import now_ns
from livedirector_desktop.core.events import (
    EventHub,
    RecordingChanged,
    StreamChanged,
    VirtualCameraChanged,
)
from livedirector_desktop.core.files import camera_copy_path
from livedirector_desktop.core.stats import LiveStats
from livedirector_desktop.core.types import RecordingResult, TranscriptEvent
from livedirector_desktop.recorder.live_recording import LiveRecording
from livedirector_desktop.recorder.program_encoder import ProgramEncoder
from livedirector_desktop.recorder.stream_output import StreamOutput, check_stream_url, redact
from livedirector_desktop.recorder.virtual_camera import VirtualCamera

if TYPE_CHECKING:
    from livedirector_desktop.compositor.scene import LiveScene
    from livedirector_desktop.library.library import Library
    from livedirector_desktop.media.sources import AudioSource
    from livedirector_desktop.pipeline.clip_pool import ClipPool
    from livedirector_desktop.pipeline.live_config import LiveConfig

log = logging.getLogger(__name__)


class SessionOutputs:
    """Recording, streaming and the virtual camera of a LiveSession."""

    # The session's attributes these methods use (set by LiveSession.__init__).
    config: LiveConfig
    hub: EventHub
    stats: LiveStats
    scene: LiveScene
    clips: ClipPool
    library: Library
    mic: AudioSource | None
    finals: list[TranscriptEvent]
    _outputs_lock: threading.Lock
    _cut_lock: threading.Lock
    _encoder: ProgramEncoder | None
    _recording: LiveRecording | None
    _camera_copy: LiveRecording | None
    _camera_encoder: ProgramEncoder | None
    _stream: StreamOutput | None
    _vcam: VirtualCamera | None
    _rec_finals_from: int
    t0_ns: int
    cpu_s_by_thread: dict[str, float]
    _cpu_at_start: dict[str, float]
    _audio_ms_to_session_ms: Callable[[float], float]

    def _snapshot_cpu(self) -> None:
        from livedirector_desktop.core.cpu import since, thread_cpu_seconds

        if not self.cpu_s_by_thread:
            self.cpu_s_by_thread = since(self._cpu_at_start, thread_cpu_seconds())

    def _recording_offset_ms(self, rec: LiveRecording) -> float:
        """Add to a recognizer's audio time to get the recording's time."""
        return self._audio_ms_to_session_ms(0) - (rec.start_ns - self.t0_ns) / 1e6

    @property
    def writer_backlog(self) -> int:
        """Frames waiting for the encoder (0 when no output runs)."""
        encoder = self._encoder
        return len(encoder.video_q) if encoder is not None else 0

    @property
    def recording(self) -> bool:
        return self._recording is not None

    @property
    def streaming(self) -> bool:
        return self._stream is not None

    def _new_encoder(self, clean: bool = False) -> ProgramEncoder:
        rate = self.mic.sample_rate_hz if self.mic else 48000
        channels = min(self.mic.channels, 2) if self.mic else 1
        encoder = ProgramEncoder(
            self.config.width,
            self.config.height,
            self.config.fps,
            now_ns(),
            rate,
            channels,
            LiveStats() if clean else self.stats,
            self.config.max_bitrate_kbps or None,
            clean=clean,
            caption_font=self.config.caption_font,
            figure_style=self.config.figure_style,
            audio_delay_ns=self._video_latency_ns(),
        )
        # Time zero is once the encoder is open (that takes a moment) and before any frame.
        encoder.start_ns = now_ns()
        return encoder

    def _video_latency_ns(self) -> int:
        """How late the picture is against the sound: a camera frame waits for the next tick
        (half a period on average, more on a busy machine). The encoder delays the audio by
        as much, so a clap and its sound stay together, as OBS's sync offset does by hand."""
        ages = list(self.stats.stage_ms["camera_age"])
        if len(ages) >= 10:
            return int(float(np.median(ages)) * 1e6)
        return int(0.5e9 / self.config.fps)

    def _encoder_for_output(self, start_ns: int = 0) -> ProgramEncoder:
        """The running encoder, or a new one (call with _outputs_lock held)."""
        if self._encoder is None:
            self._encoder = self._new_encoder()
        return self._encoder

    def _release_encoder(self) -> ProgramEncoder | None:
        """Stop the encoder when no output needs it (call with _outputs_lock held); returns it
        (closed: its last packets flushed into the outputs still attached) or None."""
        encoder = self._encoder
        if encoder is None or self._recording or self._stream or self._vcam:
            return None
        self._encoder = None
        encoder.close()
        return encoder

    def start_stream(self, url: str) -> None:
        """Send the program to an RTMP/RTMPS/SRT server, beside (or without) the recording.

        A bad URL raises BadInputError; a server that cannot be reached is not an error but
        a "reconnecting" state (StreamChanged), retried with backoff until stop_stream().
        """
        check_stream_url(url)
        shown = redact(url)
        with self._outputs_lock:
            if self._stream is not None:
                return
            encoder = self._encoder_for_output()
            self._stream = StreamOutput(
                url,
                encoder,
                lambda state, error: self.hub.publish(StreamChanged(state, shown, error)),
            )

    def stop_stream(self) -> None:
        with self._outputs_lock:
            stream, self._stream = self._stream, None
            if stream is None:
                return
            stream.close()
            self._release_encoder()

    @property
    def virtual_camera(self) -> bool:
        return self._vcam is not None

    def start_virtual_camera(self, device: str | None = None) -> str:
        """The program as a webcam for other apps; returns the device. Raises
        LiveDirectorError saying what to install when there is no driver."""
        with self._outputs_lock:
            if self._vcam is not None:
                return self._vcam.device
            try:
                cam = VirtualCamera(self.config.width, self.config.height, self.config.fps, device)
            except Exception as exc:
                self.hub.publish(VirtualCameraChanged("failed", device or "", str(exc)))
                raise
            self._vcam = cam
            self._encoder_for_output().add_frame_sink(cam)
        self.hub.publish(VirtualCameraChanged("started", cam.device))
        return cam.device

    def stop_virtual_camera(self) -> None:
        with self._outputs_lock:
            cam, self._vcam = self._vcam, None
            if cam is None:
                return
            if self._encoder is not None:
                self._encoder.remove_frame_sink(cam)
            self._release_encoder()
            cam.close()
        self.hub.publish(VirtualCameraChanged("stopped", cam.device))

    # ------------------------------------------------------------------ recording

    def start_recording(self, path: Path, session_id: int | None = None) -> None:
        """Record the program to `path` (an .mp4), and the clean camera beside it (unless
        config.record_camera is off); session_id: the row in the sessions store."""
        with self._outputs_lock:
            if self._recording is not None:
                return
            self._rec_finals_from = len(self.finals)
            encoder = self._encoder_for_output()
            rec = LiveRecording(path, encoder, now_ns(), self.scene.layout_name, session_id)
            copy = camera = None
            if self.config.record_camera:
                camera = self._new_encoder(clean=True)
                copy = LiveRecording(camera_copy_path(path), camera, now_ns(), clean=True)
            with self._cut_lock:
                # Time zero of the files is now, with their encoders and files open.
                rec.begin_at(now_ns())
                if copy is not None:
                    copy.begin_at(rec.start_ns)
                current = self.scene.current.asset_id
                if current:
                    title, clip_path = self.clips.about(current)
                    rec.cut(0.0, current, 1.0, title=title, clip_path=clip_path)
                self._recording = rec
                self._camera_copy, self._camera_encoder = copy, camera
            encoder.add_sink(rec)
            if camera is not None and copy is not None:
                camera.add_sink(copy)
        self.hub.publish(RecordingChanged("started", str(path)))

    def stop_recording(self) -> RecordingResult | None:
        self._snapshot_cpu()  # before the writer's threads end
        with self._outputs_lock:
            with self._cut_lock:
                rec, self._recording = self._recording, None
                copy, self._camera_copy = self._camera_copy, None
                camera, self._camera_encoder = self._camera_encoder, None
            if rec is None:
                return None
            end_ns = now_ns()
            # Alone, the encoder stops and flushes its last frames into the file; shared
            # with a stream, the file leaves it and the stream goes on.
            if self._release_encoder() is None and self._encoder is not None:
                self._encoder.remove_sink(rec)
            if camera is not None:
                camera.close()
        offset_ms = self._recording_offset_ms(rec)
        cues = [
            Cue(
                e.text,
                e.start_ms + offset_ms,
                e.end_ms + offset_ms,
                tuple((w, s + offset_ms, t + offset_ms) for w, s, t in e.words),
            )
            for e in self.finals[self._rec_finals_from :]
        ]
        # The program first: it is what the creator asked for; the camera copy is a bonus.
        try:
            result = rec.finish(
                end_ns, cues, self.library, self.scene.layout_name, self.scene.transition_ms
            )
        except Exception as exc:
            self.hub.publish(RecordingChanged("failed", str(rec.path), error=str(exc)))
            if copy is not None:
                self._finish_quietly(copy, end_ns)
            raise
        if copy is not None:
            result.camera = self._finish_quietly(copy, end_ns)
        self.hub.publish(RecordingChanged("stopped", result.path, result))
        return result

    def _finish_quietly(self, copy: LiveRecording, end_ns: int) -> str | None:
        try:
            return copy.finish(end_ns, [], self.library, "").path
        except Exception as exc:
            log.warning("the camera copy %s could not be finished: %s", copy.path, exc)
            return None
