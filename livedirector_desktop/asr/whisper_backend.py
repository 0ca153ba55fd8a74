"""Whisper (faster-whisper, CTranslate2, int8 on CPU): a whole talk, or live utterances.

Two ways to listen, behind the same Recognizer protocol:
- whole talk (`render`): audio is gathered, and `finish` transcribes it at once with
  faster-whisper's own long-form loop and word timestamps; one final per segment.
- streaming (live): an energy voice-activity detector cuts the stream into utterances.
  While one grows, it is re-decoded at a bounded rate for partials. The final (with word
  alignment) is decoded as soon as the speaker pauses (`early_decode_ms`) and sent once the
  pause has lasted `end_silence_ms`; if speech resumes first, it is shown as a partial.

Why the streaming decode does not call `transcribe`: Whisper pads every window to 30 s, and
the encoder's cost is that of 30 s whatever was said (about 0.6 s of two cores for base).
CTranslate2 accepts shorter inputs, so an utterance is encoded with only a little silence
after it: a 4 s utterance costs about a tenth. Whisper was trained on 30 s windows and can
loop or invent words on very short ones, so the tail of silence is kept (`pad_s`), token
counts are capped by the utterance's length, and a decode whose no-speech probability is
high is dropped.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from livedirector_desktop.asr.audio import TARGET_RATE_HZ
from livedirector_desktop.core.errors import BadInputError
from livedirector_desktop.core.types import TranscriptEvent

log = logging.getLogger(__name__)

MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")


@dataclass
class StreamOptions:
    """Tuning of live recognition. Times are of audio, not of the wall clock."""

    end_silence_ms: float = 300.0  # quiet this long ends an utterance
    early_decode_ms: float = 100.0  # quiet this long starts decoding the final
    partial_every_ms: float = 700.0  # at most one partial decode per this much new audio
    # ...and partials take at most this share of the audio's duration, measured on the last
    # decodes: on a busy machine partials thin out before they delay finals or the video.
    partial_duty: float = 0.3
    partial_max_interval_ms: float = 2000.0  # but a sentence of 2 s or more gets a partial
    min_partial_audio_ms: float = 600.0  # no partial for the first words of an utterance
    max_utterance_ms: float = 20_000.0  # longer speech is cut (and finalised) here
    min_utterance_ms: float = 250.0  # shorter voiced blips (a cough, a click) are dropped
    pre_roll_ms: float = 200.0  # audio kept from before speech was detected
    pad_s: float = 2.0  # silence after the utterance in the encoder's window
    frame_ms: float = 20.0  # VAD frame
    threshold_db: float = 12.0  # speech is this far above the noise floor...
    min_level_dbfs: float = -50.0  # ...and at least this loud
    no_speech_max: float = 0.6  # a decode more likely silence than this is dropped


class EnergyVad:
    """Speech/silence per frame from the level against a tracked noise floor.

    The floor starts at the first frame's level, follows quieter frames at once and rises
    slowly (3 dB a second) so that a room getting louder is followed but speech is not
    mistaken for the floor. A talker who starts speaking with the very first frame is heard
    from their first pause on.
    """

    def __init__(self, opts: StreamOptions, rate_hz: int = TARGET_RATE_HZ) -> None:
        self.frame = int(rate_hz * opts.frame_ms / 1000)
        self.opts = opts
        self.floor_db: float | None = None
        self._rise_db = 3.0 * opts.frame_ms / 1000  # per frame: 3 dB a second

    def level_dbfs(self, frame: np.ndarray) -> float:
        rms = math.sqrt(float(np.mean(np.square(frame.astype(np.float32) / 32768.0))))
        return 20 * math.log10(max(rms, 1e-5))

    def is_speech(self, frame: np.ndarray) -> bool:
        level = self.level_dbfs(frame)
        if self.floor_db is None:
            self.floor_db = level
        speech = level > max(self.floor_db + self.opts.threshold_db, self.opts.min_level_dbfs)
        self.floor_db = level if level < self.floor_db else self.floor_db + self._rise_db
        return speech


def _check_model(model_path: Path) -> Path:
    model_path = Path(model_path)
    missing = [f for f in MODEL_FILES if not (model_path / f).is_file()]
    if missing:
        raise BadInputError(
            f"{model_path} is not a faster-whisper model folder (missing {', '.join(missing)})",
            "install one with: livedirector models install whisper-base",
        )
    return model_path


_PUNCTUATION = set(".,!?;:。，！？、…\"'”)]}-")


def _words(raw: list, offset_ms: float = 0.0) -> tuple[tuple[str, float, float], ...]:
    """faster-whisper words (objects or dicts, seconds) -> (word, start_ms, end_ms), with
    punctuation the aligner splits off joined back to the word before it."""
    out: list[tuple[str, float, float]] = []
    for w in raw:
        word, start, end = (
            (w["word"], w["start"], w["end"]) if isinstance(w, dict) else (w.word, w.start, w.end)
        )
        word = word.strip()
        if not word:
            continue
        if out and set(word) <= _PUNCTUATION:
            last = out[-1]
            out[-1] = (last[0] + word, last[1], last[2])
            continue
        out.append((word, offset_ms + float(start) * 1000, offset_ms + float(end) * 1000))
    return tuple(out)


class WhisperRecognizer:
    """Whisper behind the Recognizer protocol; `streaming` picks live or whole-talk mode."""

    name = "whisper"

    def __init__(
        self,
        model_path: Path,
        *,
        language: str = "en",
        streaming: bool = True,
        threads: int = 2,
        options: StreamOptions | None = None,
    ) -> None:
        from faster_whisper import WhisperModel
        from faster_whisper.tokenizer import Tokenizer

        model_path = _check_model(model_path)
        self.model = WhisperModel(
            str(model_path), device="cpu", compute_type="int8", cpu_threads=threads
        )
        if language not in self.model.supported_languages:
            raise BadInputError(
                f"Whisper does not know the language {language!r}",
                "use a two-letter code such as en, ko, de, fr, es, ja",
            )
        self.language = language
        self.streaming = streaming
        self.opts = options or StreamOptions()
        self.tokenizer = Tokenizer(
            self.model.hf_tokenizer,
            self.model.model.is_multilingual,
            task="transcribe",
            language=language,
        )
        self._heard = 0  # samples fed
        self._whole: list[np.ndarray] = []  # whole-talk mode: everything heard
        # Streaming state.
        self.vad = EnergyVad(self.opts)
        self._frame_rest = np.zeros(0, dtype=np.int16)
        self._pre_roll: list[np.ndarray] = []
        self._utterance: list[np.ndarray] = []
        self._utterance_start = 0  # sample index of the utterance's first sample
        self._voiced_samples = 0
        self._silent_samples = 0
        self._since_decode = 0
        self._partial = ""
        self._early: tuple[str, tuple] | None = None  # a final decoded during the pause
        self.decodes = {"partial": 0, "final": 0}  # counted, for benchmarks
        self.decode_ms = 0.0  # a moving average of the wall time of one decode

    # ------------------------------------------------------------------ protocol

    def accept(self, pcm16: np.ndarray) -> list[TranscriptEvent]:
        pcm16 = np.ascontiguousarray(pcm16, dtype=np.int16)
        if not self.streaming:
            self._whole.append(pcm16)
            self._heard += len(pcm16)
            return []
        return self._stream(pcm16)

    def finish(self) -> list[TranscriptEvent]:
        if not self.streaming:
            return self._transcribe_whole()
        events = []
        if self._utterance:
            events += self._finalise()
        return events

    # ------------------------------------------------------------------ whole talk

    def _transcribe_whole(self) -> list[TranscriptEvent]:
        if not self._whole:
            return []
        audio = np.concatenate(self._whole).astype(np.float32) / 32768.0
        self._whole = []
        segments, _ = self.model.transcribe(
            audio,
            language=self.language,
            beam_size=1,
            word_timestamps=True,
            # Silence skipped by the VAD cannot be hallucinated over; long pauses split.
            vad_filter=True,
            vad_parameters={"min_silence_duration_ms": 500},
            # The VAD has already said this is speech: an unsure window (an accent, a poor
            # microphone) is kept rather than dropped as "no speech", 30 s at a time.
            no_speech_threshold=None,
            # One retry with sampling when greedy decoding loops, not five: bounded time.
            temperature=(0.0, 0.4),
        )
        events = []
        for seg in segments:
            text = seg.text.strip()
            if not text:
                continue
            words = _words(seg.words or [])
            start = words[0][1] if words else seg.start * 1000
            end = words[-1][2] if words else seg.end * 1000
            events.append(TranscriptEvent(text, True, start, end, words))
        return events

    # ------------------------------------------------------------------ streaming

    def _stream(self, pcm16: np.ndarray) -> list[TranscriptEvent]:
        events: list[TranscriptEvent] = []
        data = np.concatenate([self._frame_rest, pcm16]) if len(self._frame_rest) else pcm16
        n = self.vad.frame
        whole = len(data) // n * n
        self._frame_rest = data[whole:].copy()
        opts = self.opts
        samples = TARGET_RATE_HZ / 1000  # per ms
        for start in range(0, whole, n):
            frame = data[start : start + n]
            speech = self.vad.is_speech(frame)
            self._heard += n
            if not self._utterance:
                if speech:
                    self._begin(frame)
                else:
                    self._pre_roll.append(frame)
                    del self._pre_roll[: -max(1, int(opts.pre_roll_ms / opts.frame_ms))]
                continue
            self._utterance.append(frame)
            self._since_decode += n
            if speech:
                self._voiced_samples += n
                self._silent_samples = 0
                if self._early is not None:
                    # Only a pause: what was decoded early is the utterance so far.
                    events += self._partial_event(self._early[0])
                    self._early = None
                continue
            self._silent_samples += n
            if self._silent_samples >= opts.end_silence_ms * samples:
                events += self._finalise()
            elif (
                self._early is None
                and self._silent_samples >= opts.early_decode_ms * samples
                and self._voiced_samples >= opts.min_utterance_ms * samples
            ):
                # Decode while the silence is still being confirmed, so the final is ready
                # when it is: the wait for silence and the decode overlap.
                self._early = self._decode(self._trimmed_audio(), final=True)
                self._since_decode = 0
            if len(self._utterance) * n >= opts.max_utterance_ms * samples:
                events += self._finalise()
        # Partials once per call at most: the caller's block size sets how often we look.
        if (
            self._utterance
            and self._silent_samples == 0
            and self._since_decode >= self._partial_interval_ms() * samples
            and self._voiced_samples >= opts.min_partial_audio_ms * samples
        ):
            self._since_decode = 0
            events += self._partial_event(self._decode(self._utterance_audio(), final=False)[0])
        return events

    def _partial_interval_ms(self) -> float:
        opts = self.opts
        by_cost = min(self.decode_ms / opts.partial_duty, opts.partial_max_interval_ms)
        return max(opts.partial_every_ms, by_cost)

    def _begin(self, frame: np.ndarray) -> None:
        self._utterance = [*self._pre_roll, frame]
        self._utterance_start = self._heard - sum(len(p) for p in self._utterance)
        self._voiced_samples = len(frame)
        self._silent_samples = self._since_decode = 0
        self._pre_roll = []
        self._early = None

    def _partial_event(self, text: str) -> list[TranscriptEvent]:
        if not text or text == self._partial:
            return []
        self._partial = text
        start_ms = self._utterance_start * 1000 / TARGET_RATE_HZ
        return [TranscriptEvent(text, False, start_ms, self._heard * 1000 / TARGET_RATE_HZ)]

    def _utterance_audio(self) -> np.ndarray:
        return np.concatenate(self._utterance).astype(np.float32) / 32768.0

    def _trimmed_audio(self) -> np.ndarray:
        """The utterance without the silence after it, but a short margin."""
        audio = self._utterance_audio()
        return audio[: len(audio) - max(0, self._silent_samples - int(0.15 * TARGET_RATE_HZ))]

    def _finalise(self) -> list[TranscriptEvent]:
        rate = TARGET_RATE_HZ
        voiced_ms = self._voiced_samples * 1000 / rate
        if self._early is not None:
            (text, words), audio_s = self._early, 0.0
        elif voiced_ms >= self.opts.min_utterance_ms and self._utterance:
            audio = self._trimmed_audio()
            (text, words), audio_s = self._decode(audio, final=True), len(audio) / rate
        else:
            text, words, audio_s = "", (), 0.0
        start_ms = self._utterance_start * 1000 / rate
        self._utterance = []
        self._voiced_samples = self._silent_samples = self._since_decode = 0
        self._partial = ""
        self._early = None
        if not text:
            return []
        words = tuple((w, start_ms + s, start_ms + e) for w, s, e in words)
        if words:
            return [TranscriptEvent(text, True, words[0][1], words[-1][2], words)]
        return [TranscriptEvent(text, True, start_ms, start_ms + audio_s * 1000)]

    def _decode(
        self, audio: np.ndarray, final: bool
    ) -> tuple[str, tuple[tuple[str, float, float], ...]]:
        """One greedy decode of an utterance with a short encoder window; words if final."""
        started = time.perf_counter()
        try:
            return self._decode_timed(audio, final)
        finally:
            took_ms = (time.perf_counter() - started) * 1000
            self.decode_ms = took_ms if not self.decode_ms else 0.7 * self.decode_ms + 0.3 * took_ms

    def _decode_timed(
        self, audio: np.ndarray, final: bool
    ) -> tuple[str, tuple[tuple[str, float, float], ...]]:
        model = self.model
        rate = TARGET_RATE_HZ
        padded = np.concatenate([audio, np.zeros(int(self.opts.pad_s * rate), np.float32)])
        features = model.feature_extractor(padded)
        frames = min(features.shape[-1], model.feature_extractor.nb_max_frames)
        features = features[:, : frames // 2 * 2]  # the encoder halves the frame count
        encoder_output = model.encode(features)
        # With timestamps on, Whisper closes what it heard with an end time and stops; with
        # them off it often starts the utterance over in the silence after it.
        prompt = list(self.tokenizer.sot_sequence)
        seconds = len(audio) / rate
        result = model.model.generate(
            encoder_output,
            [prompt],
            beam_size=1,
            # A talker says at most ~4 words a second; many more tokens is the decoder looping.
            max_length=len(prompt) + int(12 + 10 * seconds),
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=[-1],
        )[0]
        self.decodes["final" if final else "partial"] += 1
        if result.no_speech_prob > self.opts.no_speech_max:
            return "", ()
        tokens = self._heard_tokens(result.sequences_ids[0], seconds)
        # A token cap can cut a multi-byte character (Korean) in half: drop the stub.
        text = self.tokenizer.decode(tokens).replace("\ufffd", "").strip()
        if not final or not text:
            return text, ()
        content_frames = int(seconds * rate / model.feature_extractor.hop_length)
        alignment = model.find_alignment(self.tokenizer, [tokens], encoder_output, content_frames)
        return text, _words(alignment[0] if alignment else [])

    def _heard_tokens(self, ids: list[int], seconds: float) -> list[int]:
        """Text tokens of the segments that start inside the audio (not in the padding)."""
        begin = self.tokenizer.timestamp_begin
        kept: list[int] = []
        segment_start_s = 0.0
        for token in ids:
            if token >= begin:
                segment_start_s = (token - begin) * 0.02
            elif token < self.tokenizer.eot and segment_start_s < seconds - 0.1:
                kept.append(token)
        return kept
