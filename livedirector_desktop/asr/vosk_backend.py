"""Vosk (Kaldi) streaming recognition, offline."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from livedirector_desktop.asr.audio import TARGET_RATE_HZ
from livedirector_desktop.core.errors import BadInputError
from livedirector_desktop.core.types import TranscriptEvent


class VoskRecognizer:
    name = "vosk"

    def __init__(
        self, model_path: Path, sample_rate_hz: int = TARGET_RATE_HZ, partial_every_ms: float = 200
    ) -> None:
        import vosk

        vosk.SetLogLevel(-1)
        model_path = Path(model_path)
        if not (model_path / "conf").is_dir() and not (model_path / "am").is_dir():
            raise BadInputError(
                f"{model_path} is not a Vosk model folder (no am/ or conf/ inside)",
                "give the unpacked model folder, e.g. vosk-model-small-en-us-0.15",
            )
        self.model = vosk.Model(str(model_path))
        self._rec = vosk.KaldiRecognizer(self.model, sample_rate_hz)
        self._rec.SetWords(True)
        self._rate = sample_rate_hz
        self._heard = 0  # samples fed, for times of text without word timings
        self._partial = ""
        # Asking for a partial costs a decoder traceback; 5 a second is plenty for a UI.
        self._partial_every = int(sample_rate_hz * partial_every_ms / 1000)
        self._since_partial = 0

    def _final(self, raw: str) -> TranscriptEvent | None:
        result = json.loads(raw)
        text = result.get("text", "").strip()
        if not text:
            return None
        words = tuple(
            (w["word"], float(w["start"]) * 1000, float(w["end"]) * 1000)
            for w in result.get("result", [])
        )
        end_ms = words[-1][2] if words else self._heard * 1000 / self._rate
        start_ms = words[0][1] if words else end_ms
        return TranscriptEvent(text, True, start_ms, end_ms, words)

    def accept(self, pcm16: np.ndarray) -> list[TranscriptEvent]:
        pcm16 = np.ascontiguousarray(pcm16, dtype=np.int16)
        self._heard += len(pcm16)
        now_ms = self._heard * 1000 / self._rate
        if self._rec.AcceptWaveform(pcm16.tobytes()):
            self._partial = ""
            final = self._final(self._rec.Result())
            return [final] if final else []
        self._since_partial += len(pcm16)
        if self._since_partial < self._partial_every:
            return []
        self._since_partial = 0
        partial = json.loads(self._rec.PartialResult()).get("partial", "").strip()
        if partial and partial != self._partial:
            self._partial = partial
            return [TranscriptEvent(partial, False, 0.0, now_ms)]
        return []

    def finish(self) -> list[TranscriptEvent]:
        self._partial = ""
        final = self._final(self._rec.FinalResult())
        return [final] if final else []
