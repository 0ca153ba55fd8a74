"""Audio in any shape (44.1/48 kHz, stereo, float or int) to what recognizers want.

Streaming: blocks go in as they arrive and come out as 16 kHz mono int16, with FFmpeg's
resampler (through PyAV) keeping its filter state between blocks so block edges leave
no clicks or drift.
"""

from __future__ import annotations

import numpy as np

TARGET_RATE_HZ = 16_000


def to_mono_float(samples: np.ndarray) -> np.ndarray:
    """(n,) or (n, channels) of any int or float dtype -> (n,) float32 in -1..1."""
    data = np.asarray(samples)
    if data.dtype.kind == "i":
        data = data.astype(np.float32) / float(np.iinfo(data.dtype).max + 1)
    elif data.dtype.kind == "u":
        info = np.iinfo(data.dtype)
        data = (data.astype(np.float32) - (info.max + 1) / 2) / ((info.max + 1) / 2)
    else:
        data = data.astype(np.float32, copy=False)
    if data.ndim == 2:
        data = data.mean(axis=1, dtype=np.float32)
    return np.ascontiguousarray(data, dtype=np.float32)


class Resampler:
    """Streaming conversion to TARGET_RATE_HZ mono int16."""

    def __init__(self, rate_hz: int = TARGET_RATE_HZ) -> None:
        import av

        self.rate_hz = rate_hz
        self._av = av
        self._resampler = None
        self._in_rate = 0

    def push(self, samples: np.ndarray, sample_rate_hz: int) -> np.ndarray:
        mono = to_mono_float(samples)
        if sample_rate_hz == self.rate_hz:
            return np.clip(mono * 32768.0, -32768, 32767).astype(np.int16)
        if self._resampler is None or sample_rate_hz != self._in_rate:
            self._resampler = self._av.AudioResampler(
                format="s16", layout="mono", rate=self.rate_hz
            )
            self._in_rate = sample_rate_hz
        frame = self._av.AudioFrame.from_ndarray(mono[None, :], format="flt", layout="mono")
        frame.sample_rate = sample_rate_hz
        return self._collect(self._resampler.resample(frame))

    def flush(self) -> np.ndarray:
        if self._resampler is None:
            return np.zeros(0, dtype=np.int16)
        return self._collect(self._resampler.resample(None))

    @staticmethod
    def _collect(frames) -> np.ndarray:
        if not frames:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate([f.to_ndarray().reshape(-1) for f in frames]).astype(np.int16)
