"""The live session, GUI-free: devices in, program out (to views and a recording).

Threads, as OBS lays them out:
  camera      its own thread (source) -> the latest frame, overwritten frames counted
  microphone  its own thread (source) -> recognizer queue and recording queue
  recognizer  RecognizerWorker: partials and finals -> events, finals -> director
  director    one worker; a newer final sentence supersedes one still waiting. It tells the
              shot planner (director/planner.py) what each sentence asks for, opens the
              clips the planner will cut to, and does the housekeeping
  b-roll      one player thread per clip on screen, decoding ahead of the tick
  compositor  ticks at a fixed rate and counts late ticks. It owns the scene: at the top of
              a tick it applies the cuts the planner has due (as OBS's obs_queue_task runs
              posted tasks on its graphics thread), then takes the newest camera frame and
              clip frames and hands the same inputs to the views and to the writer. It never
              waits on I/O: a cut waits for its clip to be opened elsewhere, and a busy
              planner lock defers the cuts to the next tick
  writer      draws the program with the CPU compositor and is the only thread that touches
              the encoder: one encode, whose packets go to every output (the recording
              file, a stream) (recorder/program_encoder.py); it exists while an output does
  stream      network I/O for a stream, behind a drop-oldest packet queue; reconnects
  v-camera    hands composed pictures to a virtual camera driver (newest wins)
Views (the studio, `live`, the control API) call the commands below and subscribe to the
typed events of core/events.py; nothing outside writes the session's attributes.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import numpy as np

from livedirector_desktop.asr.onset import HearingDelay, SpeechOnset
from livedirector_desktop.asr.recognizer import Recognizer, RecognizerWorker
from livedirector_desktop.compositor.scene import LiveScene, ProgramInputs, SceneState
from livedirector_desktop.core.clock import now_ns
from livedirector_desktop.core.events import (
    EventHub,
    ShotChanged,
    StatsUpdated,
)
from livedirector_desktop.core.stats import LiveStats
from livedirector_desktop.core.types import (
    AudioBlock,
    Decision,
    Frame,
    TranscriptEvent,
)
from livedirector_desktop.director.director import Director
from livedirector_desktop.director.filler import content_words, is_hesitation
from livedirector_desktop.director.planner import Cut, ShotPlanner, asks
from livedirector_desktop.library.library import Library
from livedirector_desktop.media.sources import AudioSource, VideoSource
from livedirector_desktop.pipeline.clip_pool import ClipPool, Opener, Player, open_clip_player
from livedirector_desktop.pipeline.live_commands import SessionCommands
from livedirector_desktop.pipeline.live_config import LiveConfig, SessionState
from livedirector_desktop.pipeline.live_outputs import SessionOutputs
from livedirector_desktop.recorder.live_recording import LiveRecording
from livedirector_desktop.recorder.program_encoder import ProgramEncoder
from livedirector_desktop.recorder.stream_output import StreamOutput, redact
from livedirector_desktop.recorder.virtual_camera import VirtualCamera

log = logging.getLogger(__name__)

__all__ = ["LiveConfig", "LiveSession", "ProgramInputs", "SessionState"]

# How long the words of a partial take to be judged (retrieval and the judge: ~50 ms p95 on
# two cores, bench_director), with a tick to spare.
EARLY_VERDICT_MS = 100.0
_Heard = tuple[int, TranscriptEvent]  # (the sentence's number, what was heard of it)


class LiveSession(SessionOutputs, SessionCommands):
    def __init__(
        self,
        library: Library,
        director: Director,
        recognizer: Recognizer | None,
        camera: VideoSource | None,
        mic: AudioSource | None,
        config: LiveConfig | None = None,
        hub: EventHub | None = None,
        clip_opener: Opener = open_clip_player,
    ) -> None:
        self.library, self.director = library, director
        self.camera, self.mic = camera, mic
        self.config = config or LiveConfig()
        self.hub = hub or EventHub()
        self.scene = LiveScene(self.config.transition_ms, self.config.layout)
        self.stats = LiveStats()
        self.clips = ClipPool(
            library, (self.config.width, self.config.height), self.now_ms, self.config.fps,
            clip_opener,
        )  # fmt: skip
        self.recognizer = (
            RecognizerWorker(recognizer, self._on_transcript) if recognizer is not None else None
        )
        self._camera_frame: Frame | None = None
        self._camera_taken_seq = 0
        self._lock = threading.Lock()  # the camera frame
        # When shots change: the planner, fed by the recognizer, director and command threads
        # and advanced by the tick. Its lock is held only for cheap state changes, never I/O.
        self.planner = ShotPlanner(director.settings)
        self._plan_lock = threading.Lock()
        self._cut_lock = threading.Lock()  # the scene and the recording's log of it
        # Clips opened ahead for the cuts the planner has planned (the tick takes them).
        self._ahead: dict[str, Player | None] = {}
        self._ahead_lock = threading.Lock()
        self._open_lock = threading.Lock()  # one _open_ahead at a time
        self._stop = threading.Event()
        self._pending_sentence: _Heard | None = None
        self._pending_partial: _Heard | None = None
        # The sentence being spoken (its planner number; None between sentences), and how
        # many content words its last judged partial had.
        self._sentence: int | None = None
        self._sentence_lock = threading.Lock()  # the microphone's and recognizer's threads
        self._onset = SpeechOnset()
        self._voice_ms: float | None = None  # when the speaker last began talking again
        self._hearing = HearingDelay()  # from that to the recognizer's first words
        self._awaiting_words: tuple[int, float] | None = None  # (sentence, its voice's start)
        self._partial_words = 0
        self._hesitation_judged = False  # a partial of only "um, so" was judged
        self._sentence_ready = threading.Condition()
        self._recording: LiveRecording | None = None
        self._encoder: ProgramEncoder | None = None  # while any output (file, stream, v-cam)
        # The clean camera + mic beside a recording, for conform: its own (fast) encode.
        self._camera_encoder: ProgramEncoder | None = None
        self._camera_copy: LiveRecording | None = None
        self._stream: StreamOutput | None = None
        self._vcam: VirtualCamera | None = None
        self._outputs_lock = threading.Lock()  # starting and stopping outputs; never the tick
        self._rec_finals_from = 0
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

    def stop(self) -> None:
        self._snapshot_cpu()
        for source in (self.camera, self.mic):
            if source is not None:
                source.stop()
        if self._recording is not None:
            self.stop_recording()
        self.stop_stream()
        self.stop_virtual_camera()
        self._stop.set()
        with self._sentence_ready:
            self._sentence_ready.notify_all()
        for thread in self._threads:
            thread.join(5)
        if self.recognizer is not None:
            self.recognizer.close(10)
            self.stats.recognizer_dropped = self.recognizer.dropped_blocks
        with self._ahead_lock:
            ahead, self._ahead = self._ahead, {}
        for player in ahead.values():
            if player is not None:
                self.clips.discard(player)
        self.clips.close()

    @property
    def sources_ended(self) -> bool:
        """Every source is a file that has played to its end (or there is none)."""
        sources = [s for s in (self.camera, self.mic) if s is not None]
        return bool(sources) and all(
            getattr(s, "ended", None) is not None and s.ended.is_set() for s in sources
        )

    def replace_camera(self, source: VideoSource | None) -> None:
        """Switch cameras while running (the device picker)."""
        old, self.camera = self.camera, source
        if old is not None:
            old.stop()
        if source is not None:
            source.start(self._on_frame)

    def replace_mic(self, source: AudioSource | None) -> None:
        """Switch microphones while running; not while recording or streaming (the encoder's
        audio format)."""
        if self._encoder is not None:
            raise RuntimeError("stop recording and streaming before switching microphones")
        old, self.mic = self.mic, source
        if old is not None:
            old.stop()
        self._mic_start_ns = None
        if source is not None:
            source.start(self._on_audio)

    def now_ms(self) -> float:
        return (now_ns() - self.t0_ns) / 1e6

    def state(self) -> SessionState:
        controls = self.director.controls()
        rec = self._recording
        with self._plan_lock:  # what is on screen once the cuts due are applied (next tick)
            on_screen = self.planner.on_screen
        return SessionState(
            layout=self.scene.layout_name,
            transition_ms=self.scene.transition_ms,
            captions=self.config.captions,
            on_screen=on_screen,
            pinned=controls.pinned,
            hold=controls.hold,
            vetoed=controls.vetoed,
            recording=str(rec.path) if rec is not None else None,
            streaming=redact(self._stream.url) if self._stream is not None else None,
            stream_state=self._stream.state if self._stream is not None else "off",
            virtual_camera=self._vcam.device if self._vcam is not None else None,
        )

    def summary(self) -> dict[str, Any]:
        """The stats counters, and the stream's (bitrate, dropped frames, state) when on."""
        summary = self.stats.summary()
        stream = self._stream
        if stream is not None:
            summary["stream"] = stream.stats()
        return summary

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
        block_ms = 1000 * len(block.samples) / max(block.sample_rate_hz, 1)
        if self._onset.feed(self.level_dbfs, block_ms) and self.recognizer is not None:
            # Speaking again: a new sentence begins now, before its first partial.
            start_ms = (block.pts_ns - self.t0_ns) / 1e6 - self._onset.min_speech_ms + block_ms
            log.debug("voice onset: start_ms=%.0f", start_ms)
            with self._sentence_lock:
                self._voice_ms = start_ms
            self._begin_sentence(start_ms, by_voice=True)
        if self.recognizer is not None:
            self.recognizer.feed(block.samples, block.sample_rate_hz)
        for encoder in (self._encoder, self._camera_encoder):
            if encoder is not None:
                encoder.audio_q.put(block)

    # ------------------------------------------------------------------ recognition -> director

    def _audio_ms_to_session_ms(self, audio_ms: float) -> float:
        start = self._mic_start_ns if self._mic_start_ns is not None else self.t0_ns
        return (start - self.t0_ns) / 1e6 + audio_ms

    def _on_transcript(self, event: TranscriptEvent) -> None:
        self._caption = (event.text, self.now_ms(), event.is_final)
        self.hub.publish(event)
        said_start = self._audio_ms_to_session_ms(event.start_ms) if event.start_ms else None
        sentence = self._begin_sentence(said_start)
        self._note_first_words(sentence, event)
        log.debug(
            "heard: sentence=%d final=%s now_ms=%.0f start_ms=%s text=%r",
            sentence, event.is_final, self.now_ms(), said_start and round(said_start), event.text,
        )  # fmt: skip
        if not event.is_final:
            # Judged again only when the sentence gained content words, not on every partial.
            words = len(content_words(event.text))
            # A hesitation ("Um, so") is judged too, once: the clip up need not wait for more.
            hesitating = not self._partial_words and is_hesitation(event.text)
            if words > self._partial_words or (hesitating and not self._hesitation_judged):
                self._partial_words = words
                self._hesitation_judged = self._hesitation_judged or hesitating
                with self._plan_lock:  # a clip the words may keep waits for their verdict
                    self.planner.listening(sentence, self.now_ms(), EARLY_VERDICT_MS)
                with self._sentence_ready:
                    self._pending_partial = (sentence, event)
                    self._sentence_ready.notify()
            return
        said_end = self._audio_ms_to_session_ms(event.end_ms)
        with self._sentence_lock:
            self._sentence = None
            voice_ms = self._voice_ms
        if voice_ms is not None and voice_ms > said_end:
            # The speaker went on before this final came: the next sentence is being
            # spoken, and this one's clip, if new, would land on words it does not
            # illustrate (the planner drops it; the next sentence's words may ask for it).
            self._begin_sentence(voice_ms, by_voice=True)
        self.finals.append(event)
        rec = self._recording
        if rec is not None:
            offset_ms = self._recording_offset_ms(rec)
            rec.cue(event.text, event.start_ms + offset_ms, event.end_ms + offset_ms)
        with self._sentence_ready:
            self._pending_sentence = (sentence, event)  # supersedes one still waiting
            self._sentence_ready.notify()

    def _begin_sentence(self, start_ms: float | None, by_voice: bool = False) -> int:
        """The sentence being spoken, begun now if none is (from the microphone's level,
        `by_voice`, or the first partial; `start_ms`: when the speaker began it, where known)."""
        with self._sentence_lock:
            if self._sentence is None:
                hearing_ms = self._hearing.delay_ms
                with self._plan_lock:
                    self._sentence = self.planner.began(self.now_ms(), start_ms, hearing_ms)
                self._partial_words = 0
                self._hesitation_judged = False
                if by_voice and start_ms is not None:
                    self._awaiting_words = (self._sentence, start_ms)
                log.debug("sentence %d began: now_ms=%.0f start_ms=%s", self._sentence,
                          self.now_ms(), start_ms and round(start_ms))  # fmt: skip
            return self._sentence

    def _note_first_words(self, sentence: int, event: TranscriptEvent) -> None:
        """The recognizer's delay to a sentence's first words (a partial: a final of a
        short sentence comes at its end, not when its words could be known)."""
        with self._sentence_lock:
            awaiting, self._awaiting_words = self._awaiting_words, None
            if awaiting is None or awaiting[0] != sentence:
                return
            if event.is_final:
                return
            self._hearing.note(self.now_ms() - awaiting[1])

    def _director_loop(self) -> None:
        history: list[str] = []
        next_stats_s = time.monotonic() + 1.0
        while not self._stop.is_set():
            with self._sentence_ready:
                if (
                    self._pending_sentence is None
                    and self._pending_partial is None
                    and not self._stop.is_set()
                ):
                    self._sentence_ready.wait(0.2)
                final, self._pending_sentence = self._pending_sentence, None
                partial, self._pending_partial = self._pending_partial, None
            # Housekeeping on this thread, where waiting is allowed.
            self.clips.close_retired()
            if time.monotonic() >= next_stats_s:
                next_stats_s = time.monotonic() + 1.0
                self.hub.publish(StatsUpdated(self.summary()))
            self._direct(final, partial, history)

    def _direct(self, final: _Heard | None, partial: _Heard | None, history: list[str]) -> None:
        """Judge what is pending: the words so far of the sentence being spoken first (a
        clip may be waiting on them; the final of the one before is too late to put a new
        clip up), then the sentence that ended, which supersedes a partial of its own."""
        if partial is not None and (final is None or partial[0] > final[0]):
            self._hear_partial(*partial)
        if final is not None:
            self._decide_final(*final, history)

    def _decide_final(self, sentence: int, event: TranscriptEvent, history: list[str]) -> None:
        t0 = time.perf_counter()
        decision = self.director.decide(event.text, now_ms=self.now_ms(), context=history[-2:])
        history.append(event.text)
        self.stats.stage_ms["director"].append((time.perf_counter() - t0) * 1e3)
        self.decisions.append(decision)
        rec = self._recording
        if rec is not None:
            offset = self._recording_offset_ms(rec)
            at = self.now_ms() - (rec.start_ns - self.t0_ns) / 1e6
            rec.note_decision(at, event.start_ms + offset, event.end_ms + offset, decision)
        self.hub.publish(decision)
        self._decided(sentence, decision, event)

    def _hear_partial(self, sentence: int, event: TranscriptEvent) -> None:
        """A sentence still being spoken: its words so far may put a clip up now (strong
        evidence), keep the one up (the talk stays on it), or take it down (filler)."""
        with self._plan_lock:
            if sentence != self.planner.sentence or not self.planner.speaking:
                return  # superseded: a newer sentence, or this one has ended
            current = self.planner.on_screen
        current = current or self.director.last_asked()
        decision = self.director.decide_early(event.text, self.now_ms(), current)
        log.debug(
            "early verdict: sentence=%d current=%s asset_id=%s now_ms=%.0f text=%r",
            sentence, current, decision and decision.asset_id, self.now_ms(), event.text,
        )  # fmt: skip
        if decision is None:
            return
        with self._plan_lock:
            before = self.planner.upcoming()
            self.planner.heard(sentence, decision.asset_id, self.now_ms(), decision, event.text)
            new_clip = (
                decision.asset_id in self.planner.upcoming() and decision.asset_id not in before
            )
        if not new_clip:
            return
        self.hub.publish(decision)
        self._open_ahead()
        if event.start_ms > 0:  # recognizers that time their partials
            said_start = self._audio_ms_to_session_ms(event.start_ms)
            self.stats.stage_ms["early_after_start"].append(self.now_ms() - said_start)

    def _decided(self, sentence: int, decision: Decision, event: TranscriptEvent) -> None:
        """The whole sentence has been decided: the planner times what it asks for."""
        asset_id, held = asks(decision)
        # Decided while pinned: the creator may have cleared since; their choice stands.
        held = held or decision.path == "manual"
        said_end = self._audio_ms_to_session_ms(event.end_ms)
        with self._plan_lock:
            before = self.planner.on_screen
            shown = self.planner.decided(
                sentence, asset_id, said_end, self.now_ms(), decision, event.text, held
            )
            cut_now = (
                asset_id is not None
                and asset_id != before
                and (asset_id in self.planner.upcoming())
            )
        if not shown:
            self.stats.clips_too_late += 1
            log.info("clip not shown, its sentence is over: asset_id=%s", asset_id)
            return
        self._open_ahead()
        if cut_now:
            self.stats.stage_ms["sentence_to_screen"].append(self.now_ms() - said_end)

    def _open_ahead(self) -> None:
        """Open the clips the planner will cut to (blocking: the director and take threads,
        never the tick), and let go of those it no longer plans. One at a time: a run with
        an older plan must not let go of a clip another has just opened."""
        with self._open_lock:
            self._open_planned()

    def _open_planned(self) -> None:
        with self._plan_lock:
            planned = self.planner.upcoming()
        for asset_id in dict.fromkeys(planned):
            with self._ahead_lock:
                if asset_id in self._ahead:
                    continue
            try:
                player = self.clips.open(asset_id, self.scene.layout_name, float("inf"))
            except Exception as exc:  # the camera shows instead; the show goes on
                log.warning("b-roll %s cannot be opened: %s", asset_id, exc)
                player = None
            with self._ahead_lock:
                if asset_id in self._ahead:
                    if player is not None:
                        self.clips.discard(player)
                else:
                    self._ahead[asset_id] = player
        with self._plan_lock:
            planned = set(self.planner.upcoming())
        with self._ahead_lock:
            stale = [a for a in self._ahead if a not in planned]
            players = [self._ahead.pop(a) for a in stale]
        for player in players:
            if player is not None:
                self.clips.discard(player)

    # ------------------------------------------------------------------ cuts

    def _is_open(self, asset_id: str) -> bool:
        with self._ahead_lock:
            return asset_id in self._ahead

    def _apply_cuts(self, now_ms: float) -> None:
        """At the top of a tick: the planner's cuts due by now, applied to the scene. A lock
        held elsewhere (a command, a recording starting) defers them to the next tick."""
        if not self._cut_lock.acquire(blocking=False):
            return
        try:
            if not self._plan_lock.acquire(blocking=False):
                return
            try:
                cuts = self.planner.advance(now_ms, self._is_open)
                # Their players, taken before _open_ahead can let go of them (the planner
                # no longer lists a cut it has handed out).
                with self._ahead_lock:
                    players = [self._ahead.pop(c.asset_id, None) if c.asset_id else None
                               for c in cuts]  # fmt: skip
            finally:
                self._plan_lock.release()
            # Several due in one tick (a clip leaving and the next arriving): only the last
            # is seen; the ones before it would be zero-length shots and a fade from nothing.
            for player in players[:-1]:
                if player is not None:
                    self.clips.discard(player)
            for cut in cuts:
                log.debug("cut: at_ms=%.0f now_ms=%.0f asset_id=%s cause=%s",
                          cut.at_ms, now_ms, cut.asset_id, cut.cause)  # fmt: skip
            if cuts:  # views hear of it: no planner lock held
                self._apply_cut(cuts[-1], now_ms, players[-1])
        finally:
            self._cut_lock.release()

    def _apply_cut(self, cut: Cut, now_ms: float, player: Player | None) -> None:
        previous = self.scene.current
        shot = self.scene.cut(cut.asset_id, now_ms)
        if shot is previous:
            if player is not None:
                self.clips.discard(player)
            return
        if cut.asset_id and player is not None:
            player.start_ms = now_ms  # the clip plays from its start as it comes on
            # (A shot that came back while fading out keeps its own player.)
            self.clips.attach(shot.segment_index, player)
        self.director.shown(cut.asset_id, now_ms)
        rec, decision = self._recording, cut.decision
        if rec is not None:
            manual = decision is None or cut.cause == "manual"
            title, clip_path = self.clips.about(cut.asset_id) if cut.asset_id else (None, None)
            rec.cut(
                now_ms - (rec.start_ns - self.t0_ns) / 1e6,
                cut.asset_id,
                1.0 if manual or decision is None else decision.confidence,
                cut.text,
                "manual" if manual or decision is None else decision.path,
                f"{cut.cause}: chosen by you" if manual else decision.reason,
                title,
                clip_path,
            )
        self.hub.publish(ShotChanged(cut.asset_id, shot.segment_index, now_ms, cut.cause, cut.text))

    # ------------------------------------------------------------------ compositor tick

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
            self._apply_cuts(now_ms)
            self._tick(tick, tick_ns, now_ms)
            if now_ns() - tick_ns > period_ns:
                self.stats.late_ticks += 1

    def _tick(self, tick: int, tick_ns: int, now_ms: float) -> None:
        state = self.scene.state_at(now_ms)
        with self._lock:
            camera = self._camera_frame
            if camera is not None and camera.seq != self._camera_taken_seq:
                self._camera_taken_seq = camera.seq
                self.stats.stage_ms["camera_age"].append((tick_ns - camera.pts_ns) / 1e6)
        broll = {}
        for shot in {state.frm, state.to}:
            if shot.asset_id is not None:
                frame = self.clips.frame(shot.segment_index)
                if frame is not None:
                    broll[shot.segment_index] = frame
        if tick % 30 == 0:
            self._retire_clips(state)
        inputs = ProgramInputs(
            state, self.scene.layout_name, camera, broll, tick, self.caption_at(now_ms)
        )
        self.hub.publish(inputs)
        for encoder in (self._encoder, self._camera_encoder):
            if encoder is not None:
                encoder.video_q.put((inputs, tick_ns))

    def caption_at(self, now_ms: float) -> str:
        if not self.config.captions:
            return ""
        text, when, final = self._caption
        return "" if final and now_ms - when > self.config.caption_hold_ms else text

    def _retire_clips(self, state: SceneState) -> None:
        current = self.scene.current.segment_index
        self.clips.retire_except({state.frm.segment_index, state.to.segment_index, current})
