"""The recognizer protocol, a registry of backends, and the worker thread that runs one.

A recognizer is a synchronous step function over 16 kHz mono int16 PCM; the worker gives
it its own thread so that audio intake never waits on recognition: blocks queue in a
bounded queue that drops the oldest (and counts it) if recognition falls behind.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from livedirector_desktop.asr.audio import TARGET_RATE_HZ, Resampler
from livedirector_desktop.core.types import TranscriptEvent

log = logging.getLogger(__name__)


class Recognizer(Protocol):
    name: str

    def accept(self, pcm16: np.ndarray) -> list[TranscriptEvent]:
        """Feed 16 kHz mono int16 samples; returns partials that changed and finals."""
        ...

    def finish(self) -> list[TranscriptEvent]:
        """End of audio: whatever is pending, as a final."""
        ...


def _vosk(model_path: Path, **kwargs) -> Recognizer:
    from livedirector_desktop.asr.vosk_backend import VoskRecognizer

    return VoskRecognizer(model_path, **kwargs)


def _whisper(model_path: Path, **kwargs) -> Recognizer:
    from livedirector_desktop.asr.whisper_backend import WhisperRecognizer

    return WhisperRecognizer(model_path, **kwargs)


def _replay(transcript_path: Path, **kwargs) -> Recognizer:
    from livedirector_desktop.asr.replay import ReplayRecognizer

    return ReplayRecognizer.from_file(transcript_path)


REGISTRY: dict[str, Callable[..., Recognizer]] = {
    "vosk": _vosk,
    "whisper": _whisper,
    "replay": _replay,
}

_STOP = object()


class RecognizerWorker:
    """Runs a recognizer on its own thread; events go to `on_event` on that thread."""

    def __init__(
        self,
        recognizer: Recognizer,
        on_event: Callable[[TranscriptEvent], None],
        max_queue_blocks: int = 200,
    ) -> None:
        self.recognizer = recognizer
        self.on_event = on_event
        self.resampler = Resampler(TARGET_RATE_HZ)
        self.dropped_blocks = 0
        self.processed_blocks = 0
        self._queue: queue.Queue = queue.Queue(maxsize=max_queue_blocks)
        self._thread = threading.Thread(target=self._run, name="recognizer", daemon=True)
        self._thread.start()

    def feed(self, samples: np.ndarray, sample_rate_hz: int) -> None:
        """Never blocks: when the queue is full the oldest block is dropped and counted."""
        item = (samples, sample_rate_hz)
        while True:
            try:
                self._queue.put_nowait(item)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                    self.dropped_blocks += 1
                except queue.Empty:
                    pass

    def close(self, timeout_s: float = 30.0) -> None:
        """Finish the audio and wait for the last events."""
        self._queue.put(_STOP)
        self._thread.join(timeout_s)

    def _emit(self, events: list[TranscriptEvent]) -> None:
        for event in events:
            try:
                self.on_event(event)
            except Exception:
                log.exception("transcript event handler failed")

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                tail = self.resampler.flush()
                if len(tail):
                    self._emit(self.recognizer.accept(tail))
                self._emit(self.recognizer.finish())
                return
            samples, rate = item
            self.processed_blocks += 1
            # Audio still queued behind this block: a recognizer that can, skips optional work
            # (Whisper's partials) while it catches up, so finals are not delayed by them.
            set_backlog = getattr(self.recognizer, "set_backlog_ms", None)
            if set_backlog is not None:
                set_backlog(self._queue.qsize() * len(samples) * 1000 / max(rate, 1))
            pcm = self.resampler.push(samples, rate)
            if len(pcm):
                self._emit(self.recognizer.accept(pcm))
