"""When the speaker starts talking again, from the microphone's level alone.

A recognizer says a sentence began only with its first partial, a few hundred ms into it
(later still for Whisper). The shot planner wants the moment itself: the clip of the last
sentence gives the new one's words a short while to keep it, counted from when they began.

Pure and cheap (one comparison per audio block): the noise floor follows the quietest
blocks (fast down, slow up, so steady room noise and hum raise it, speech does not), and an
onset is `min_speech_ms` of blocks `margin_db` above it after `min_silence_ms` below.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SpeechOnset:
    margin_db: float = 12.0
    min_speech_ms: float = 60.0
    min_silence_ms: float = 250.0
    floor_dbfs: float | None = None  # the first block sets it; quieter ones lower it at once
    rise_db_per_s: float = 3.0  # how fast the floor may climb under a louder room
    _speech_ms: float = 0.0
    _silence_ms: float = 0.0
    _talking: bool = False

    def feed(self, level_dbfs: float, duration_ms: float) -> bool:
        """One audio block's level; True on the block where speech starts again."""
        if self.floor_dbfs is None or level_dbfs < self.floor_dbfs:
            self.floor_dbfs = level_dbfs
        elif not self._talking:
            self.floor_dbfs += min(level_dbfs - self.floor_dbfs, self.rise_db_per_s) * (
                duration_ms / 1000
            )
        loud = level_dbfs >= self.floor_dbfs + self.margin_db
        if not loud:
            self._speech_ms = 0.0
            self._silence_ms += duration_ms
            if self._silence_ms >= self.min_silence_ms:
                self._talking = False
            return False
        self._silence_ms = 0.0
        self._speech_ms += duration_ms
        if not self._talking and self._speech_ms >= self.min_speech_ms:
            self._talking = True
            return True
        return False


@dataclass
class HearingDelay:
    """How long after a sentence's voice begins the recognizer delivers its first words:
    the median of the last `keep` sentences (measured on the natural talk, two cores: live
    Whisper ~0.7 s, a replayed transcript ~0.4 s). The shot planner gives the next
    sentence's words their say from then, so a slow recognizer does not lose a clip the
    talk is still on. At most `max_ms`: a clip must not stay long over words it cannot
    yet judge."""

    keep: int = 9
    max_ms: float = 1000.0
    ignore_over_ms: float = 2500.0  # a cough's onset, words seconds later: not a delay
    _samples: list[float] = field(default_factory=list)

    def note(self, delay_ms: float) -> None:
        if not 0 <= delay_ms <= self.ignore_over_ms:
            return
        self._samples = [*self._samples, delay_ms][-self.keep :]

    @property
    def delay_ms(self) -> float:
        """0 until a sentence has been heard."""
        if not self._samples:
            return 0.0
        ordered = sorted(self._samples)
        return min(ordered[len(ordered) // 2], self.max_ms)
