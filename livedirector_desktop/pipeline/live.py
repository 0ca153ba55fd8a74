"""The live session, GUI-free: devices in, program out (to a preview and a recording).

Threads, as OBS lays them out:
  camera      its own thread (source) -> the latest frame, overwritten frames counted
  microphone  its own thread (source) -> recognizer queue and recording queue
  recognizer  RecognizerWorker: partials and finals -> the event hub, finals -> director
  director    one worker; a newer final sentence supersedes one still waiting
  b-roll      one player thread per clip on screen, decoding ahead of the tick
  compositor  ticks at a fixed rate and counts late ticks: takes the newest camera frame and
              clip frames and hands the same inputs to the preview and to the writer
  writer      draws the program with the CPU compositor and is the only thread that touches
              the encoder (bounded queue, drop oldest)
Subscribers (the Qt bridge in ui/) get events on these threads and must hop to their own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from livedirector_desktop.asr.recognizer import Recognizer, RecognizerWorker
from livedirector_desktop.asr.transcript import Cue
from livedirector_desktop.compositor.scene import LiveScene, SceneState, Segment, Shot, layout
from livedirector_desktop.core.clock import now_ns
from livedirector_desktop.core.events import EventHub
from livedirector_desktop.core.queues import DropOldestQueue
from livedirector_desktop.core.types import AudioBlock, Decision, Frame, TranscriptEvent
from livedirector_desktop.director.director import Director
from livedirector_desktop.library.library import Library
from livedirector_desktop.media.files import ClipPlayer
from livedirector_desktop.media.sources import AudioSource, VideoSource

log = logging.getLogger(__name__)


@dataclass
class LiveConfig:
    width: int = 1280
    height: int = 720
    fps: float = 30.0
    layout: str = "pip"
    transition_ms: float = 500.0
    max_on_screen_ms: float = 10_000.0
    captions: bool = False
    caption_hold_ms: float = 3_000.0  # a finished sentence stays up this long


@dataclass
class ProgramInputs:
    """What the preview needs to draw one tick: the same inputs the CPU compositor used."""

    state: SceneState
    layout: str
    camera: Frame | None
    broll: dict[int, tuple[np.ndarray, int, int]]  # shot id -> I420 frame
    tick: int
    caption: str = ""  # the caption line, when captions are on


@dataclass
class Stats:
    ticks: int = 0
    late_ticks: int = 0
    camera_frames: int = 0
    camera_overwritten: int = 0  # frames the compositor never took: the camera outran it
    audio_blocks: int = 0
    writer_dropped: int = 0
    recognizer_dropped: int = 0
    frames_recorded: int = 0
    stage_ms: dict[str, deque] = field(
        default_factory=lambda: {
            k: deque(maxlen=300) for k in ("compose", "encode", "director", "sentence_to_screen")
        }
    )

    def summary(self) -> dict:
        def pct(values, q):
            return round(float(np.percentile(list(values), q)), 2) if values else None

        return {
            "ticks": self.ticks,
            "late_ticks": self.late_ticks,
            "late_share": round(self.late_ticks / self.ticks, 4) if self.ticks else 0.0,
            "camera_frames": self.camera_frames,
            "camera_overwritten": self.camera_overwritten,
            "audio_blocks": self.audio_blocks,
            "writer_dropped": self.writer_dropped,
            "recognizer_dropped": self.recognizer_dropped,
            "frames_recorded": self.frames_recorded,
            "stage_ms": {
                k: {"p50": pct(v, 50), "p95": pct(v, 95)} for k, v in self.stage_ms.items()
            },
        }


class _Recording:
    """The writer thread: owns the encoder; video and audio arrive through bounded queues."""

    def __init__(
        self,
        path: Path,
        width: int,
        height: int,
        fps: float,
        start_ns: int,
        audio_rate_hz: int,
        audio_channels: int,
        stats: Stats,
    ) -> None:
        from livedirector_desktop.recorder.writer import Mp4Writer

        self.path, self.start_ns, self.stats = Path(path), start_ns, stats
        self.time_base = Fraction(1, 90_000)
        self.writer = Mp4Writer(
            path,
            width,
            height,
            Fraction(fps).limit_denominator(1001),
            video_time_base=self.time_base,
            audio_rate_hz=audio_rate_hz,
            audio_layout="mono" if audio_channels == 1 else "stereo",
            # Live, x264 shares two cores with capture, the LLM and the preview: superfast
            # keeps up at 720p where veryfast fell behind; 1080p needs ultrafast.
            preset="ultrafast" if height >= 1080 else "superfast",
        )
        self.audio_rate_hz, self.audio_channels = audio_rate_hz, audio_channels
        from livedirector_desktop.compositor.cpu import CpuCompositor, black

        self.compositor = CpuCompositor(width, height, "pip")
        self.black = black(width, height)
        self.video_q: DropOldestQueue[tuple[ProgramInputs, int]] = DropOldestQueue(int(fps * 2))
        self.audio_q: DropOldestQueue[AudioBlock] = DropOldestQueue(500)
        self._audio_samples = 0
        self._last_pts = -1
        self._thread = threading.Thread(target=self._run, name="writer", daemon=True)
        self._thread.start()

    def _write_audio(self, block: AudioBlock) -> None:
        import av

        samples = block.samples
        if samples.shape[1] != self.audio_channels:
            samples = np.repeat(samples.mean(axis=1, keepdims=True), self.audio_channels, axis=1)
        if self._audio_samples == 0:
            # Silence for the gap between the start and the first block keeps A/V in sync.
            gap = int((block.pts_ns - self.start_ns) * self.audio_rate_hz / 1e9)
            if gap < 0:
                samples = samples[-gap:]
            elif gap > 0:
                samples = np.concatenate(
                    [np.zeros((gap, self.audio_channels), np.float32), samples]
                )
        if not len(samples):
            return
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples.T, dtype=np.float32),
            format="fltp",
            layout="mono" if self.audio_channels == 1 else "stereo",
        )
        frame.sample_rate = self.audio_rate_hz
        self.writer.write_audio_frame(frame)
        self._audio_samples += len(samples)

    def _run(self) -> None:
        while True:
            item = self.video_q.get(timeout_s=0.05)
            while (block := self.audio_q.get(timeout_s=0)) is not None:
                self._write_audio(block)
            if item is None:
                if self.video_q.closed and not len(self.video_q):
                    while (block := self.audio_q.get(timeout_s=0)) is not None:
                        self._write_audio(block)
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
        self.compositor.layout_name = inputs.layout
        cam = inputs.camera
        if cam is None:
            image, cw, ch = self.black, self.compositor.width, self.compositor.height
        else:
            image, cw, ch = cam.image, cam.width, cam.height
        from livedirector_desktop.compositor.cpu import draw_caption

        program = self.compositor.draw(
            inputs.state, image, cw, ch, lambda shot: inputs.broll.get(shot.segment_index)
        )
        return draw_caption(program, self.compositor.width, self.compositor.height, inputs.caption)

    def finish(self) -> Path:
        self.video_q.close()
        self.audio_q.close()
        self._thread.join(30)
        self.stats.writer_dropped += self.video_q.dropped + self.audio_q.dropped
        return self.writer.close()


class LiveSession:
    def __init__(
        self,
        library: Library,
        director: Director,
        recognizer: Recognizer | None,
        camera: VideoSource | None,
        mic: AudioSource | None,
        config: LiveConfig | None = None,
        hub: EventHub | None = None,
    ) -> None:
        self.library, self.director = library, director
        self.camera, self.mic = camera, mic
        self.config = config or LiveConfig()
        layout(self.config.layout)
        self.hub = hub or EventHub()
        self.scene = LiveScene(self.config.transition_ms, self.config.layout)
        self.stats = Stats()
        self.recognizer = (
            RecognizerWorker(recognizer, self._on_transcript) if recognizer is not None else None
        )
        self._camera_frame: Frame | None = None
        self._camera_taken_seq = 0
        self._lock = threading.Lock()
        self._cut_lock = threading.RLock()
        self._stop = threading.Event()
        self._pending_sentence: TranscriptEvent | None = None
        self._sentence_ready = threading.Condition()
        self._clips: dict[int, ClipPlayer] = {}
        self._planned_end_ms = float("inf")
        self._deferred: tuple | None = None  # (asset id or None, decision, sentence)
        self._recording: _Recording | None = None
        self._rec_cues: list[Cue] = []
        self._rec_segments: list[Segment] = []
        self._mic_start_ns: int | None = None
        self.decisions: list[Decision] = []
        self.finals: list[TranscriptEvent] = []
        self.level_dbfs = -120.0
        self._caption: tuple[str, float, bool] = ("", 0.0, True)  # text, when, final
        self.t0_ns = now_ns()
        self._threads: list[threading.Thread] = []
        self.cpu_s_by_thread: dict[str, float] = {}
        self._cpu_at_start: dict[str, float] = {}

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        from livedirector_desktop.core.cpu import thread_cpu_seconds

        self._cpu_at_start = thread_cpu_seconds()
        self.t0_ns = now_ns()
        for name, target in (("director", self._director_loop), ("compositor", self._tick_loop)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        if self.camera is not None:
            self.camera.start(self._on_frame)
        if self.mic is not None:
            self.mic.start(self._on_audio)

    def _snapshot_cpu(self) -> None:
        from livedirector_desktop.core.cpu import since, thread_cpu_seconds

        if not self.cpu_s_by_thread:
            self.cpu_s_by_thread = since(self._cpu_at_start, thread_cpu_seconds())

    def stop(self) -> None:
        self._snapshot_cpu()
        for source in (self.camera, self.mic):
            if source is not None:
                source.stop()
        if self._recording is not None:
            self.stop_recording()
        self._stop.set()
        with self._sentence_ready:
            self._sentence_ready.notify_all()
        for thread in self._threads:
            thread.join(5)
        if self.recognizer is not None:
            self.recognizer.close(10)
            self.stats.recognizer_dropped = self.recognizer.dropped_blocks
        for clip in self._clips.values():
            clip.close()

    def replace_camera(self, source: VideoSource | None) -> None:
        """Switch cameras while running (the device picker)."""
        old, self.camera = self.camera, source
        if old is not None:
            old.stop()
        if source is not None:
            source.start(self._on_frame)

    def replace_mic(self, source: AudioSource | None) -> None:
        """Switch microphones while running; not while recording (the file's audio format)."""
        if self._recording is not None:
            raise RuntimeError("stop recording before switching microphones")
        old, self.mic = self.mic, source
        if old is not None:
            old.stop()
        self._mic_start_ns = None
        if source is not None:
            source.start(self._on_audio)

    def now_ms(self) -> float:
        return (now_ns() - self.t0_ns) / 1e6

    # ------------------------------------------------------------------ capture callbacks

    def _on_frame(self, frame: Frame) -> None:
        with self._lock:
            if self._camera_frame is not None and self._camera_frame.seq > self._camera_taken_seq:
                self.stats.camera_overwritten += 1
            self._camera_frame = frame
        self.stats.camera_frames += 1

    def _on_audio(self, block: AudioBlock) -> None:
        if self._mic_start_ns is None:
            self._mic_start_ns = block.pts_ns
        self.stats.audio_blocks += 1
        rms = float(np.sqrt(np.mean(np.square(block.samples)))) if block.samples.size else 0.0
        self.level_dbfs = 20 * np.log10(max(rms, 1e-6))
        if self.recognizer is not None:
            self.recognizer.feed(block.samples, block.sample_rate_hz)
        rec = self._recording
        if rec is not None:
            rec.audio_q.put(block)

    # ------------------------------------------------------------------ recognition -> director

    def _audio_ms_to_session_ms(self, audio_ms: float) -> float:
        start = self._mic_start_ns if self._mic_start_ns is not None else self.t0_ns
        return (start - self.t0_ns) / 1e6 + audio_ms

    def _on_transcript(self, event: TranscriptEvent) -> None:
        self._caption = (event.text, self.now_ms(), event.is_final)
        self.hub.publish("transcript", event)
        if not event.is_final:
            return
        self.finals.append(event)
        with self._sentence_ready:
            self._pending_sentence = event  # a newer sentence supersedes one still waiting
            self._sentence_ready.notify()

    def _director_loop(self) -> None:
        history: list[str] = []
        while not self._stop.is_set():
            with self._sentence_ready:
                while self._pending_sentence is None and not self._stop.is_set():
                    self._sentence_ready.wait(0.2)
                event, self._pending_sentence = self._pending_sentence, None
            if event is None:
                continue
            t0 = time.perf_counter()
            now = self.now_ms()
            decision = self.director.decide(event.text, now_ms=now, context=history[-2:])
            history.append(event.text)
            self.stats.stage_ms["director"].append((time.perf_counter() - t0) * 1e3)
            self._apply(decision, event)
            self.decisions.append(decision)
            self.hub.publish("decision", decision)

    def _apply(self, decision: Decision, event: TranscriptEvent) -> None:
        now = self.now_ms()
        before = self.scene.current.asset_id
        if decision.reason.startswith("kept"):
            # Held by the timing rules only: when its time is up, what the sentence asked for
            # (or the camera) takes over.
            settings = self.director.settings
            self._planned_end_ms = min(
                self._planned_end_ms,
                max(self.scene.since_ms + settings.min_on_screen_ms, now),
            )
            self._deferred = (decision.wanted_asset_id, decision, event)
            return
        self._deferred = None
        self._cut(decision.asset_id, now, decision, event.text)
        if decision.asset_id and decision.asset_id != before:
            said_end = self._audio_ms_to_session_ms(event.end_ms)
            self.stats.stage_ms["sentence_to_screen"].append(now - said_end)

    def _cut(
        self, asset_id: str | None, now: float, decision: Decision | None = None, text: str = ""
    ) -> None:
        with self._cut_lock:  # the director, the tick and manual takes all cut
            self._cut_locked(asset_id, now, decision, text)

    def _cut_locked(
        self, asset_id: str | None, now: float, decision: Decision | None, text: str
    ) -> None:
        previous = self.scene.current
        if asset_id and asset_id != previous.asset_id:
            self._prepare_clip(asset_id, self.scene.next_shot_id, now)
        shot = self.scene.cut(asset_id, now)
        if shot is previous:
            if asset_id:
                self._planned_end_ms = now + self.config.max_on_screen_ms
            return
        self._planned_end_ms = now + self.config.max_on_screen_ms if asset_id else float("inf")
        rec = self._recording
        if rec is not None:
            rel = (now_ns() - rec.start_ns) / 1e6
            if self._rec_segments and self._rec_segments[-1].end_ms == float("inf"):
                last = self._rec_segments.pop()
                self._rec_segments.append(
                    Segment(
                        last.start_ms,
                        rel,
                        last.asset_id,
                        last.confidence,
                        last.text,
                        last.path,
                        last.reason,
                    )
                )
            if asset_id:
                self._rec_segments.append(
                    Segment(
                        rel,
                        float("inf"),
                        asset_id,
                        decision.confidence if decision else 1.0,
                        text,
                        decision.path if decision else "manual",
                        decision.reason if decision else "chosen by you",
                    )
                )
        self.hub.publish("shot", shot)

    # ------------------------------------------------------------------ manual control

    def take(self, asset_id: str) -> None:
        """Show this clip now and keep it (pinned) until cleared: manual choices win."""
        self.director.pin(asset_id)
        # Opening the clip takes a moment: never on the caller's (GUI) thread.
        threading.Thread(target=self._cut, args=(asset_id, self.now_ms()), daemon=True).start()

    def clear(self) -> None:
        self.director.clear(self.now_ms())
        self._cut(None, self.now_ms())

    def hold(self, on: bool) -> None:
        self.director.hold(on)
        if on:
            self._planned_end_ms = float("inf")

    def veto(self, asset_id: str) -> None:
        self.director.veto(asset_id)
        if self.scene.current.asset_id == asset_id:
            self._cut(None, self.now_ms())

    def set_layout(self, name: str) -> None:
        self.scene.set_layout(name)
        self.config.layout = name

    # ------------------------------------------------------------------ compositor tick

    def _prepare_clip(self, asset_id: str, shot_id: int, start_ms: float) -> None:
        """Open the clip and decode its first frame before the cut (on the caller's thread)."""
        asset = self.library.get(asset_id)
        broll_layer = next(la for la in layout(self.scene.layout_name) if la.role == "broll")
        _, _, bw, bh = broll_layer.rect.pixels(self.config.width, self.config.height)
        player = ClipPlayer(
            Path(asset.path) if asset else Path(""), bw, bh, start_ms, self.now_ms, self.config.fps
        )
        with self._lock:
            self._clips[shot_id] = player

    def _broll(self, shot: Shot):
        if shot.asset_id is None:
            return None
        with self._lock:
            player = self._clips.get(shot.segment_index)
        return player.latest if player is not None else None

    def _tick_loop(self) -> None:
        period_ns = int(1e9 / self.config.fps)
        next_ns = now_ns()
        tick = 0
        while not self._stop.is_set():
            now = now_ns()
            if now < next_ns:
                self._stop.wait((next_ns - now) / 1e9)
                continue
            if now - next_ns > period_ns:
                # Missed a whole period: count it late and skip ahead instead of bursting.
                missed = (now - next_ns) // period_ns
                self.stats.late_ticks += int(missed)
                self.stats.ticks += int(missed)
                next_ns += missed * period_ns
            tick_ns = next_ns
            next_ns += period_ns
            tick += 1
            self.stats.ticks += 1
            now_ms = (tick_ns - self.t0_ns) / 1e6
            if (
                self.scene.current.asset_id
                and now_ms >= self._planned_end_ms
                and not (self.director.policy.state.hold or self.director.policy.state.pinned)
            ):
                deferred, self._deferred = self._deferred, None
                asset_id = deferred[0] if deferred else None
                self.director.deferred_shown(asset_id, now_ms)
                if deferred and asset_id:
                    self._cut(asset_id, now_ms, deferred[1], deferred[2].text)
                else:
                    self._cut(None, now_ms)
            state = self.scene.state_at(now_ms)
            with self._lock:
                camera = self._camera_frame
                if camera is not None:
                    self._camera_taken_seq = camera.seq
            broll = {}
            for shot in {state.frm, state.to}:
                frame = self._broll(shot)
                if frame is not None:
                    broll[shot.segment_index] = frame
            if tick % 30 == 0:
                self._release_clips(state)
            inputs = ProgramInputs(
                state, self.scene.layout_name, camera, broll, tick, self.caption_at(now_ms)
            )
            self.hub.publish("program", inputs)
            rec = self._recording
            if rec is not None:
                rec.video_q.put((inputs, tick_ns))
            if now_ns() - tick_ns > period_ns:
                self.stats.late_ticks += 1

    def caption_at(self, now_ms: float) -> str:
        if not self.config.captions:
            return ""
        text, when, final = self._caption
        return "" if final and now_ms - when > self.config.caption_hold_ms else text

    def _release_clips(self, state: SceneState) -> None:
        keep = {state.frm.segment_index, state.to.segment_index, self.scene.next_shot_id}
        with self._lock:
            gone = [self._clips.pop(k) for k in list(self._clips) if k not in keep]
        for player in gone:
            player.close()

    # ------------------------------------------------------------------ recording

    @property
    def writer_backlog(self) -> int:
        """Frames waiting for the encoder (0 when not recording)."""
        rec = self._recording
        return len(rec.video_q) if rec is not None else 0

    @property
    def recording(self) -> bool:
        return self._recording is not None

    def start_recording(self, path: Path) -> None:
        if self._recording is not None:
            return
        rate = self.mic.sample_rate_hz if self.mic else 48000
        channels = min(self.mic.channels, 2) if self.mic else 1
        start = now_ns()
        self._rec_cues, self._rec_segments = [], []
        self._rec_finals_from = len(self.finals)
        self._recording = _Recording(
            path,
            self.config.width,
            self.config.height,
            self.config.fps,
            start,
            rate,
            channels,
            self.stats,
        )
        if self.scene.current.asset_id:
            self._rec_segments.append(Segment(0.0, float("inf"), self.scene.current.asset_id, 1.0))
        self.hub.publish("recording", {"state": "started", "path": str(path)})

    def stop_recording(self) -> dict:
        self._snapshot_cpu()  # before the writer's threads end
        rec, self._recording = self._recording, None
        if rec is None:
            return {}
        from livedirector_desktop.recorder.sidecars import write_sidecars

        end_ms = (now_ns() - rec.start_ns) / 1e6
        output = rec.finish()
        offset = self._audio_ms_to_session_ms(0) - (rec.start_ns - self.t0_ns) / 1e6
        cues = [
            Cue(e.text, e.start_ms + offset, e.end_ms + offset, ())
            for e in self.finals[self._rec_finals_from :]
        ]
        cues = [c for c in cues if c.end_ms > 0]
        segments = [
            Segment(
                s.start_ms,
                min(s.end_ms, end_ms),
                s.asset_id,
                s.confidence,
                s.text,
                s.path,
                s.reason,
            )
            for s in self._rec_segments
        ]
        meta = {
            "output": str(output),
            "layout": self.scene.layout_name,
            "duration_ms": round(end_ms, 1),
            "sentences": len(cues),
            "live": True,
        }
        sidecars = write_sidecars(
            output,
            cues,
            segments,
            self.library,
            meta,
            output.name,
            end_ms,
            Fraction(self.config.fps).limit_denominator(1001),
        )
        result = {
            "path": str(output),
            "duration_ms": end_ms,
            "sidecars": [str(p) for p in sidecars],
            "sentences": len(cues),
            "clips_shown": len(segments),
            "layout": self.scene.layout_name,
        }
        self.hub.publish("recording", {"state": "stopped", **result})
        return result
