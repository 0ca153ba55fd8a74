"""A recognizer that replays a timed transcript against the audio clock.

Behind the same interface as Vosk, so `render`, the studio and tests can use a known
English transcript where no English model can be had: partials grow word by word as the
audio passes each word's time, finals arrive when the audio passes the cue's end.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from livedirector_desktop.asr.audio import TARGET_RATE_HZ
from livedirector_desktop.asr.transcript import Cue, read_transcript
from livedirector_desktop.core.types import TranscriptEvent


class ReplayRecognizer:
    name = "replay"

    def __init__(self, cues: list[Cue]) -> None:
        self.cues = sorted(cues, key=lambda c: c.start_ms)
        self._next = 0
        self._heard_ms = 0.0
        self._partial = ""

    @classmethod
    def from_file(cls, path: Path) -> ReplayRecognizer:
        return cls(read_transcript(path))

    @staticmethod
    def _final(cue: Cue) -> TranscriptEvent:
        return TranscriptEvent(cue.text, True, cue.start_ms, cue.end_ms, cue.words)

    def _visible_words(self, cue: Cue, t_ms: float) -> str:
        if cue.words:
            return " ".join(w for w, start, _ in cue.words if start <= t_ms)
        words = cue.text.split()
        span = max(cue.end_ms - cue.start_ms, 1.0)
        count = int(len(words) * min(max((t_ms - cue.start_ms) / span, 0.0), 1.0))
        return " ".join(words[:count])

    def accept(self, pcm16: np.ndarray) -> list[TranscriptEvent]:
        self._heard_ms += len(pcm16) * 1000 / TARGET_RATE_HZ
        return self.advance_to(self._heard_ms)

    def advance_to(self, t_ms: float) -> list[TranscriptEvent]:
        events = []
        while self._next < len(self.cues) and self.cues[self._next].end_ms <= t_ms:
            events.append(self._final(self.cues[self._next]))
            self._next += 1
            self._partial = ""
        if self._next < len(self.cues) and self.cues[self._next].start_ms <= t_ms:
            cue = self.cues[self._next]
            text = self._visible_words(cue, t_ms)
            if text and text != self._partial:
                self._partial = text
                events.append(TranscriptEvent(text, False, cue.start_ms, t_ms))
        return events

    def finish(self) -> list[TranscriptEvent]:
        events = [self._final(c) for c in self.cues[self._next :]]
        self._next = len(self.cues)
        return events
