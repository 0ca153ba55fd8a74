"""Live listening with Whisper: utterances cut by Silero VAD, partials while they grow,
finals decoded with the context Whisper was trained on.

How it listens (measured on real read speech, LibriVox, clean and at 15 dB SNR pink noise;
docs/benchmarks.md):
- Silero VAD says which 32 ms frames are speech. An utterance opens on a frame above
  `speech_threshold` and stays open while frames stay above `silence_threshold` (the same
  hysteresis as faster-whisper's offline VAD); `end_silence_ms` below it closes it. A steady
  fan or hum never opens one, a room's noise floor never keeps one open.
- Partials: while an utterance grows it is re-decoded at a bounded rate with a short
  encoder window (cheap, revisable); they thin out when decodes get slow, and none is
  decoded while audio waits in the queue (finals first under load).
- Finals: decoded when the speaker pauses (`early_decode_ms`, so the decode and the wait
  for silence overlap) with an encoder window of `final_window_s`, beam search and what was
  said before as Whisper's prompt. Whisper was trained on 30 s windows: a 2-4 s window lost
  a fifth of the words of real speech (WER 0.20 against 0.06 offline); 15 s keeps them, in
  noise too, at under a third of the encoder's cost of 30 s. A decode that loops, echoes
  what was just said or is likely no speech is not sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from livedirector_desktop.asr import guards
from livedirector_desktop.asr.audio import TARGET_RATE_HZ
from livedirector_desktop.asr.vad import FRAME_SAMPLES, SileroVad
from livedirector_desktop.core.types import TranscriptEvent

Words = tuple[tuple[str, float, float], ...]
# (audio, final, window_s, prompt) -> (text, words relative to the audio's start)
Decode = Callable[[np.ndarray, bool, float, str], tuple[str, Words]]

FRAME_MS = FRAME_SAMPLES * 1000 / TARGET_RATE_HZ


@dataclass
class StreamOptions:
    """Tuning of live recognition. Times are of audio, not of the wall clock."""

    speech_threshold: float = 0.5  # Silero probability that opens an utterance...
    silence_threshold: float = 0.35  # ...and below which a frame is silence
    end_silence_ms: float = 300.0  # silence this long ends an utterance
    early_decode_ms: float = 100.0  # silence this long starts decoding the final
    # Encoder window of a final (Whisper's is 30 s). Real speech in pink noise at 15 dB SNR
    # (3 noises, 213 words): WER 0.113 at 10 s, 0.066 at 15 s, 0.047 at 30 s, 0.051 offline;
    # the encoder takes 0.24, 0.34 and 1.2 s on two cores.
    final_window_s: float = 15.0
    final_beam_size: int = 3  # beam search for finals (partials are greedy): at 15 s, WER
    # 0.066 in noise against 0.113 greedy, for ~0.1 s more a final
    partial_window_s: float = 0.0  # of a partial: the utterance and `partial_pad_s`...
    partial_pad_s: float = 2.0  # ...of silence after it, at least `partial_window_s`
    prompt_chars: int = 200  # this much of what was said before is the final's prompt
    partial_every_ms: float = 500.0  # at most one partial decode per this much new audio
    # ...and partials take at most this share of the audio's duration, measured on the last
    # decodes: on a busy machine partials thin out before they delay finals or the video.
    # (0.5 s, 0.5 and 0.4 s below against 0.7 s, 0.3 and 0.6 s: partials every 0.85 s
    # instead of 1.1-1.5 s, live B-roll with Whisper shown for 33/50 sentences, was 29.)
    partial_duty: float = 0.5
    partial_max_interval_ms: float = 2000.0  # but a sentence of 2 s or more gets a partial
    min_partial_audio_ms: float = 400.0  # no partial for the first words of an utterance
    max_utterance_ms: float = 20_000.0  # longer speech is cut (and finalised) here
    min_utterance_ms: float = 250.0  # shorter voiced blips (a cough, a click) are dropped
    pre_roll_ms: float = 200.0  # audio kept from before speech was detected
    no_speech_max: float = 0.6  # a decode more likely silence than this is dropped
    backlog_max_ms: float = 500.0  # audio waiting in the queue beyond this: no partials


class WhisperStream:
    """The streaming state machine; decoding is given (`decode`), so this only listens."""

    def __init__(self, decode: Decode, opts: StreamOptions, vad: SileroVad | None = None):
        self.decode = decode
        self.opts = opts
        self.vad = vad or SileroVad()
        self.backlog_ms = 0.0  # set by the worker thread: audio queued behind this call
        self.partial_decode_ms = 0.0  # moving average of a partial's wall time (set by decode)
        self._heard = 0  # samples fed
        self._pre_roll: list[np.ndarray] = []
        self._utterance: list[np.ndarray] = []
        self._utterance_start = 0  # sample index of the utterance's first sample
        self._voiced = self._silent = self._since_decode = 0  # samples
        self._partial = ""
        self._partials = 0  # partials decoded of the utterance being heard
        self._early: tuple[str, Words] | None = None  # a final decoded during the pause
        self._said: list[str] = []  # the last finals: the prompt, and what an echo repeats
        self._rest = np.zeros(0, np.float32)  # samples short of a whole VAD frame
        self._last_p = 0.0  # the speech probability of the last frame heard

    # ------------------------------------------------------------------ feeding

    def accept(self, pcm16: np.ndarray) -> list[TranscriptEvent]:
        data = np.asarray(pcm16, np.int16).astype(np.float32) / 32768.0
        if len(self._rest):
            data = np.concatenate([self._rest, data])
        whole = len(data) // FRAME_SAMPLES * FRAME_SAMPLES
        self._rest = data[whole:]
        events: list[TranscriptEvent] = []
        if whole:
            frames = data[:whole].reshape(-1, FRAME_SAMPLES)
            for frame, p in zip(frames, self.vad.push(data[:whole]), strict=True):
                events += self._frame(frame, float(p))
        # Partials once per call at most: the caller's block size sets how often we look.
        return events + self._maybe_partial()

    def finish(self) -> list[TranscriptEvent]:
        return self._finalise() if self._utterance else []

    # ------------------------------------------------------------------ listening

    def _frame(self, frame: np.ndarray, p: float) -> list[TranscriptEvent]:
        opts = self.opts
        n = len(frame)
        self._heard += n
        self._last_p = p
        if not self._utterance:
            if p >= opts.speech_threshold:
                self._begin(frame)
            else:
                self._pre_roll.append(frame)
                del self._pre_roll[: -max(1, round(opts.pre_roll_ms / FRAME_MS))]
            return []
        self._utterance.append(frame)
        self._since_decode += n
        if p >= opts.silence_threshold:
            self._voiced += n
            self._silent = 0
            if self._early is not None:
                # Only a pause: what was decoded early is the utterance so far.
                early, self._early = self._early, None
                return self._partial_event(early[0])
            return []
        self._silent += n
        if self._silent >= _samples(opts.end_silence_ms):
            return self._finalise()
        if (
            self._early is None
            and self._silent >= _samples(opts.early_decode_ms)
            and self._voiced >= _samples(opts.min_utterance_ms)
        ):
            # Decode while the silence is still being confirmed, so the final is ready
            # when it is: the wait for silence and the decode overlap.
            self._early = self._decode_final()
            self._since_decode = 0
        if len(self._utterance) * n >= _samples(opts.max_utterance_ms):
            return self._finalise()
        return []

    def _begin(self, frame: np.ndarray) -> None:
        self._utterance = [*self._pre_roll, frame]
        self._utterance_start = self._heard - sum(len(p) for p in self._utterance)
        self._voiced = len(frame)
        self._silent = self._since_decode = self._partials = 0
        self._pre_roll = []
        self._early = None

    def _maybe_partial(self) -> list[TranscriptEvent]:
        opts = self.opts
        if (
            not self._utterance
            # A voice trailing off may be the sentence's end: the final's decode must not
            # wait behind a partial's, so partials are decoded only in clear speech.
            or self._last_p < opts.speech_threshold
            or self._voiced < _samples(opts.min_partial_audio_ms)
            # The first partial comes as soon as there is voice enough: the clip of the
            # sentence before waits for these words (shot planner's continuity wait).
            or (self._partials and self._since_decode < _samples(self._partial_interval_ms()))
            or self.backlog_ms > opts.backlog_max_ms
        ):
            return []
        self._since_decode = 0
        self._partials += 1
        audio = self._audio()
        window_s = max(opts.partial_window_s, len(audio) / TARGET_RATE_HZ + opts.partial_pad_s)
        text, _ = self.decode(audio, False, window_s, self._prompt())
        text = guards.before_repeat(text)
        if guards.loops(text) or guards.echoes(text, self._said[-1:]):
            return []
        if guards.goes_on_from(text, self._said[-1:]):
            # Over the padding of a short window Whisper may go on with its prompt: "Um,"
            # after a sentence on a phone became "Samsung's new foldable is a Samsung
            # Galaxy S2", and the phone clip stayed 3 s into the aside.
            return []
        return self._partial_event(text)

    def _partial_interval_ms(self) -> float:
        opts = self.opts
        by_cost = min(self.partial_decode_ms / opts.partial_duty, opts.partial_max_interval_ms)
        return max(opts.partial_every_ms, by_cost)

    def _partial_event(self, text: str) -> list[TranscriptEvent]:
        if not text or text == self._partial:
            return []
        self._partial = text
        return [TranscriptEvent(text, False, _ms(self._utterance_start), _ms(self._heard))]

    # ------------------------------------------------------------------ finals

    def _audio(self) -> np.ndarray:
        return np.concatenate(self._utterance)

    def _trimmed_audio(self) -> np.ndarray:
        """The utterance without the silence after it, but a short margin."""
        audio = self._audio()
        return audio[: len(audio) - max(0, self._silent - _samples(150))]

    def _decode_final(self) -> tuple[str, Words]:
        audio = self._trimmed_audio()
        window_s = max(self.opts.final_window_s, len(audio) / TARGET_RATE_HZ + 1.0)
        text, words = self.decode(audio, True, window_s, self._prompt())
        if guards.loops(text) or guards.echoes(text, self._said[-2:]):
            return "", ()
        return text, words

    def _prompt(self) -> str:
        return " ".join(self._said)[-self.opts.prompt_chars :]

    def _finalise(self) -> list[TranscriptEvent]:
        if self._early is not None:
            text, words = self._early
        elif self._voiced >= _samples(self.opts.min_utterance_ms):
            text, words = self._decode_final()
        else:
            text, words = "", ()
        start = self._utterance_start
        end = start + len(self._trimmed_audio())
        start_ms, end_ms = _ms(start), _ms(end)
        self._utterance = []
        self._voiced = self._silent = self._since_decode = 0
        self._partial = ""
        self._early = None
        if not text:
            return []
        self._said = [*self._said[-3:], text]
        words = tuple((w, start_ms + s, start_ms + e) for w, s, e in words)
        if words:
            return [TranscriptEvent(text, True, words[0][1], words[-1][2], words)]
        return [TranscriptEvent(text, True, start_ms, end_ms)]


def _samples(ms: float) -> int:
    return int(ms * TARGET_RATE_HZ / 1000)


def _ms(samples: int) -> float:
    return samples * 1000 / TARGET_RATE_HZ
