"""Voice activity for live listening: Silero VAD, streamed frame by frame.

An energy detector measures loudness against a noise floor; in a room with a fan, a hum or
traffic the floor is close to speech and it either never opens or never closes. Silero VAD
is a small neural model trained to tell speech from noise, music and silence; faster-whisper
ships it (an ONNX file run by onnxruntime, both already installed with it), so it costs no
download. faster-whisper runs it over a whole file; here its LSTM state and the 64 samples
of context it reads before each frame are carried from one call to the next, which gives the
same probabilities as the whole-file pass (tested) on audio that arrives in pieces.
"""

from __future__ import annotations

import numpy as np

FRAME_SAMPLES = 512  # 32 ms at 16 kHz: the frame Silero VAD is trained on
_CONTEXT_SAMPLES = 64


class SileroVad:
    """Speech probability (0..1) of each 32 ms frame of 16 kHz audio, in order."""

    frame_samples = FRAME_SAMPLES

    def __init__(self) -> None:
        from faster_whisper.vad import get_vad_model

        # One session for every recognizer of the process (onnxruntime's run is thread-safe).
        self._session = get_vad_model().session
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(_CONTEXT_SAMPLES, np.float32)
        self._rest = np.zeros(0, np.float32)

    def push(self, audio: np.ndarray) -> np.ndarray:
        """Float samples in -1..1; the probabilities of the frames they complete."""
        data = np.concatenate([self._rest, np.asarray(audio, np.float32)])
        whole = len(data) // FRAME_SAMPLES * FRAME_SAMPLES
        self._rest = data[whole:]
        if not whole:
            return np.zeros(0, np.float32)
        frames = data[:whole].reshape(-1, FRAME_SAMPLES)
        before = np.concatenate([self._context[None], frames[:-1, -_CONTEXT_SAMPLES:]], 0)
        self._context = frames[-1, -_CONTEXT_SAMPLES:].copy()
        batch = np.concatenate([before, frames], 1)
        out, self._h, self._c = self._session.run(
            None, {"input": batch, "h": self._h, "c": self._c}
        )
        return np.asarray(out, np.float32).reshape(-1)
