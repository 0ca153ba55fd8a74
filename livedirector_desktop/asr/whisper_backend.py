"""Whisper (faster-whisper, CTranslate2, int8 on CPU): a whole talk, or live utterances.

Two ways to listen, behind the same Recognizer protocol:
- whole talk (`render`): audio is gathered, and `finish` transcribes it at once with
  faster-whisper's own long-form loop, its VAD and word timestamps; one final per segment,
  a segment that loops or repeats the one before dropped.
- streaming (live): `whisper_stream.WhisperStream` cuts the stream into utterances with
  Silero VAD and asks this module to decode them (`_decode`).

Why the streaming decode does not call `transcribe`: Whisper pads every window to 30 s, and
the encoder's cost grows faster than the window (base, int8, two threads: 0.19 s for 8 s,
0.24 s for 10 s, 1.2 s for 30 s). CTranslate2 accepts shorter windows, so an utterance is
encoded with the window its caller asks for: short for partials, 15 s for finals, where
shorter windows lost words of real speech. Token counts are capped by the utterance's length
(a looping decoder stops), and a decode whose no-speech probability is high is dropped.

Why live decoding has a model of its own on one thread: the encoder is a few large matrix
products and gains from two threads (15 s window: 0.15 s on one, 0.09 s on two), but the
decoder runs one token at a time through small ones, where splitting each across two
threads costs more than it saves. Measured on LibriVox finals (15 s window, beam 3, prompt,
word alignment; two cores, idle): 0.39-0.69 s with both on two threads, 0.21-0.29 s with
the decoder on one (the same text). The copy costs the weights once more (~75 MB of RAM).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from livedirector_desktop.asr import guards
from livedirector_desktop.asr.audio import TARGET_RATE_HZ
from livedirector_desktop.asr.whisper_stream import StreamOptions, WhisperStream, Words
from livedirector_desktop.core.errors import BadInputError
from livedirector_desktop.core.types import TranscriptEvent

log = logging.getLogger(__name__)

MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")


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
# Languages written without spaces: the aligner's words are characters or phrases there.
_UNSPACED = {"zh", "ja", "th", "lo", "my", "km", "yue", "bo"}


def _words(raw: list, offset_ms: float = 0.0, spaced: bool = True) -> Words:
    """faster-whisper words (objects or dicts, seconds) -> (word, start_ms, end_ms).

    The aligner splits a word where its tokens do: punctuation, and in a spaced script any
    piece that does not begin with a space ("ill" + "-disposed", "don" + "'t"), is joined
    back to the word before it, so captions read "ill-disposed"."""
    out: list[tuple[str, float, float]] = []
    for w in raw:
        word, start, end = (
            (w["word"], w["start"], w["end"]) if isinstance(w, dict) else (w.word, w.start, w.end)
        )
        continues = bool(out) and spaced and not word[:1].isspace()
        word = word.strip()
        if not word:
            continue
        if out and (continues or set(word) <= _PUNCTUATION):
            last = out[-1]
            out[-1] = (last[0] + word, last[1], max(last[2], offset_ms + float(end) * 1000))
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
        # Token-by-token decoding of live utterances (see the module's docstring).
        self._decoder = (
            WhisperModel(str(model_path), device="cpu", compute_type="int8", cpu_threads=1)
            if streaming and threads > 1
            else self.model
        )
        if language not in self.model.supported_languages:
            raise BadInputError(
                f"Whisper does not know the language {language!r}",
                "use a two-letter code such as en, ko, de, fr, es, ja",
            )
        self.language = language
        self.spaced = language not in _UNSPACED
        self.streaming = streaming
        self.opts = options or StreamOptions()
        self.tokenizer = Tokenizer(
            self.model.hf_tokenizer,
            self.model.model.is_multilingual,
            task="transcribe",
            language=language,
        )
        self._whole: list[np.ndarray] = []  # whole-talk mode: everything heard
        self.stream = WhisperStream(self._decode, self.opts) if streaming else None
        self.decodes = {"partial": 0, "final": 0}  # counted, for benchmarks

    @property
    def partial_decode_ms(self) -> float:
        return self.stream.partial_decode_ms if self.stream else 0.0

    # ------------------------------------------------------------------ protocol

    def accept(self, pcm16: np.ndarray) -> list[TranscriptEvent]:
        pcm16 = np.ascontiguousarray(pcm16, dtype=np.int16)
        if self.stream is None:
            self._whole.append(pcm16)
            return []
        return self.stream.accept(pcm16)

    def set_backlog_ms(self, backlog_ms: float) -> None:
        """Audio queued behind what `accept` gets next: partials wait when it is long."""
        if self.stream is not None:
            self.stream.backlog_ms = backlog_ms

    def finish(self) -> list[TranscriptEvent]:
        if self.stream is None:
            return self._transcribe_whole()
        return self.stream.finish()

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
        events: list[TranscriptEvent] = []
        for seg in segments:
            text = seg.text.strip()
            if not text or guards.loops(text):
                continue
            if guards.echoes(text, [e.text for e in events[-2:]]):
                log.info("dropped a segment that repeats the one before: %r", text)
                continue
            words = _words(seg.words or [], spaced=self.spaced)
            start = words[0][1] if words else seg.start * 1000
            end = words[-1][2] if words else seg.end * 1000
            events.append(TranscriptEvent(text, True, start, end, words))
        return events

    # ------------------------------------------------------------------ one decode

    def _decode(self, audio: np.ndarray, final: bool, window_s: float, prompt: str) -> tuple:
        """One decode of an utterance in an encoder window of `window_s`; words if final.
        A partial's wall time feeds the stream's moving average: partials pace by their own
        cost (a final's, three times longer, held the first partial back 1.2 s)."""
        started = time.perf_counter()
        try:
            return self._decode_timed(audio, final, window_s, prompt)
        finally:
            took_ms = (time.perf_counter() - started) * 1000
            if self.stream is not None and not final:
                avg = self.stream.partial_decode_ms
                self.stream.partial_decode_ms = took_ms if not avg else 0.7 * avg + 0.3 * took_ms

    def _prompt_tokens(self, prompt: str) -> list[int]:
        sot = list(self.tokenizer.sot_sequence)
        if not prompt.strip():
            return sot
        previous = self.tokenizer.encode(" " + prompt.strip())[-100:]
        return [self.tokenizer.sot_prev, *previous, *sot]

    def _decode_timed(self, audio: np.ndarray, final: bool, window_s: float, prompt: str):
        model = self.model
        rate = TARGET_RATE_HZ
        extractor = model.feature_extractor
        frames = min(int(window_s * rate / extractor.hop_length), extractor.nb_max_frames)
        padded = np.zeros(max(len(audio), frames * extractor.hop_length) + rate // 10, np.float32)
        padded[: len(audio)] = audio
        features = extractor(padded)[:, : frames // 2 * 2]  # the encoder halves the frame count
        encoder_output = model.encode(features)
        # With timestamps on, Whisper closes what it heard with an end time and stops; with
        # them off it often starts the utterance over in the silence after it.
        tokens_in = self._prompt_tokens(prompt)
        seconds = len(audio) / rate
        result = self._decoder.model.generate(
            encoder_output,
            [tokens_in],
            beam_size=self.opts.final_beam_size if final else 1,
            # A talker says at most ~4 words a second; many more tokens is the decoder looping.
            max_length=len(tokens_in) + int(12 + 10 * seconds),
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
        content_frames = int(seconds * rate / extractor.hop_length)
        alignment = self._decoder.find_alignment(
            self.tokenizer, [tokens], encoder_output, content_frames
        )
        return text, _words(alignment[0] if alignment else [], spaced=self.spaced)

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
