"""Reading media files with PyAV: the talk to render, and B-roll clips as frame sources."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from livedirector_desktop.core.errors import BadInputError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TalkInfo:
    path: Path
    width: int
    height: int
    fps: Fraction
    duration_ms: float
    video_codec: str
    audio_codec: str
    audio_rate_hz: int
    audio_channels: int


def open_media(path: Path):
    import av

    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"{path} does not exist", "check the path")
    try:
        return av.open(str(path))
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise BadInputError(
            f"{path} cannot be opened as a video: {exc}", "is it a complete, playable file?"
        ) from exc


def probe_talk(path: Path) -> TalkInfo:
    """Facts of the talk, or BadInputError: no audio, no video, unreadable, or undecodable."""
    import av

    with open_media(path) as container:
        if not container.streams.video:
            raise BadInputError(
                f"{path} has no video track", "render needs the recorded talk's video"
            )
        if not container.streams.audio:
            raise BadInputError(
                f"{path} has no audio track",
                "render keeps the talk's own sound: add the audio to the video first",
            )
        v, a = container.streams.video[0], container.streams.audio[0]
        for stream in (v, a):
            if stream.codec_context is None or not stream.codec_context.name:
                raise BadInputError(f"{path}: unsupported codec in stream {stream.index}")
        duration_s = 0.0
        if container.duration:
            duration_s = container.duration / 1_000_000
        elif v.duration and v.time_base:
            duration_s = float(v.duration * v.time_base)
        fps = v.average_rate or v.guessed_rate or Fraction(30)
        try:
            v.thread_type = "AUTO"
            first = next(container.decode(v), None)
        except av.error.FFmpegError as exc:
            raise BadInputError(
                f"{path}: the video cannot be decoded ({exc})",
                "unsupported codec or a corrupt file",
            ) from exc
        if first is None:
            raise BadInputError(f"{path}: no video frame could be decoded", "corrupt or truncated?")
        return TalkInfo(
            path=Path(path),
            width=v.codec_context.width,
            height=v.codec_context.height,
            fps=Fraction(fps),
            duration_ms=duration_s * 1000,
            video_codec=v.codec_context.name,
            audio_codec=a.codec_context.name,
            audio_rate_hz=a.codec_context.sample_rate or 0,
            audio_channels=a.codec_context.channels
            if hasattr(a.codec_context, "channels")
            else len(a.layout.channels),
        )


def iter_audio(path: Path) -> Iterator[tuple[np.ndarray, int, float]]:
    """(samples as (n, channels) float32, sample rate, time of the block in ms) from the file."""
    import av

    with open_media(path) as container:
        stream = container.streams.audio[0]
        try:
            for frame in container.decode(stream):
                data = frame.to_ndarray()
                if frame.format.is_planar:
                    data = data.T  # (channels, n) -> (n, channels)
                else:
                    data = data.reshape(-1, len(frame.layout.channels))
                t_ms = float(frame.pts * frame.time_base * 1000) if frame.pts is not None else 0.0
                yield data, frame.sample_rate, t_ms
        except av.error.FFmpegError as exc:
            raise BadInputError(f"{path}: the audio cannot be decoded ({exc})") from exc


class ClipSource:
    """A B-roll clip as I420 frames at clip-relative times, looping when the slot is longer.

    Decodes forward only; the clip is re-opened when it loops or is asked to go back.
    Frames are scaled once, at decode, to the size the layout needs.
    """

    def __init__(self, path: Path, max_w: int, max_h: int, fit: str = "contain") -> None:
        from livedirector_desktop.core.geometry import fit_size

        self.path = Path(path)
        self._container = None
        self._frames = None
        self._current: tuple[float, np.ndarray] | None = None
        self._next: tuple[float, np.ndarray] | None = None
        self._duration_ms = 0.0
        self._loop_base_ms = 0.0
        self.ok = True
        self._open()
        if self.ok:
            stream = self._container.streams.video[0]
            sw, sh = stream.codec_context.width, stream.codec_context.height
            self.width, self.height = fit_size(sw, sh, max_w, max_h, fit)
            rate = stream.average_rate or stream.guessed_rate or 30
            self._frame_ms = 1000.0 / float(rate)

    def _open(self) -> None:
        import av

        try:
            self._container = av.open(str(self.path))
            stream = self._container.streams.video[0]
            stream.thread_type = "AUTO"
            self._frames = self._container.decode(stream)
        except (av.error.FFmpegError, OSError, IndexError) as exc:
            log.warning("b-roll clip cannot be read path=%s error=%s", self.path, exc)
            self.ok = False

    def _read(self) -> tuple[float, np.ndarray] | None:
        import av

        try:
            frame = next(self._frames)
        except (StopIteration, av.error.FFmpegError):
            return None
        t = float(frame.pts * frame.time_base * 1000) if frame.pts is not None else 0.0
        img = frame.reformat(width=self.width, height=self.height, format="yuv420p").to_ndarray()
        return t, img

    def frame_at(self, clip_ms: float) -> tuple[np.ndarray, int, int] | None:
        if not self.ok:
            return None
        if self._current is None:
            self._current = self._read()
            if self._current is None:
                self.ok = False
                return None
            self._next = self._read()
        while True:
            local = clip_ms - self._loop_base_ms
            if self._next is not None and self._next[0] <= local:
                self._current, self._next = self._next, self._read()
                self._duration_ms = max(self._duration_ms, self._current[0])
                continue
            if (
                self._next is None
                and self._duration_ms > 0
                and local >= self._duration_ms + self._frame_ms
            ):
                # Past the end: loop from the start.
                self._loop_base_ms += self._duration_ms + self._frame_ms
                self.close()
                self._open()
                first = self._read() if self.ok else None
                if first is None:
                    return (self._current[1], self.width, self.height) if self._current else None
                self._current, self._next = first, self._read()
                continue
            return self._current[1], self.width, self.height

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None


class ClipPlayer:
    """A B-roll clip playing on its own thread, so decoding never delays the compositor tick.

    The first frame is decoded before the constructor returns: a cut to the clip never
    shows a gap. After that the thread keeps `latest` at the clip's current time.
    """

    def __init__(
        self, path: Path, max_w: int, max_h: int, start_ms: float, clock_ms, fps: float = 30.0
    ) -> None:
        import threading

        self._source = ClipSource(path, max_w, max_h)
        self._clock_ms = clock_ms
        self.start_ms = start_ms
        self._period_s = 1.0 / fps
        self.latest = self._source.frame_at(0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"clip:{Path(path).name}", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._period_s):
            frame = self._source.frame_at(max(0.0, self._clock_ms() - self.start_ms))
            if frame is not None:
                self.latest = frame

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._source.close()
