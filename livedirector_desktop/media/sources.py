"""Capture sources, each on its own thread, stamping frames and blocks with the monotonic
clock when they are captured: webcams (OpenCV), microphones (sounddevice), and files played
as if they were devices (PyAV, paced to real time) for demos, tests and benchmarks."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from livedirector_desktop.core.clock import now_ns
from livedirector_desktop.core.errors import BadInputError
from livedirector_desktop.core.types import AudioBlock, Frame

log = logging.getLogger(__name__)

OnFrame = Callable[[Frame], None]
OnAudio = Callable[[AudioBlock], None]


class VideoSource(Protocol):
    name: str
    width: int
    height: int
    fps: float

    def start(self, on_frame: OnFrame) -> None: ...
    def stop(self) -> None: ...


class AudioSource(Protocol):
    name: str
    sample_rate_hz: int
    channels: int

    def start(self, on_block: OnAudio) -> None: ...
    def stop(self) -> None: ...


class _Threaded:
    """Start/stop plumbing for a source whose work is a loop on its own thread."""

    name = "source"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ended = threading.Event()  # a file source ran out; a device went away
        self.error: str = ""

    def _spawn(self, target) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._guard(target), name=self.name, daemon=True)
        self._thread.start()

    def _guard(self, target):
        def run() -> None:
            try:
                target()
            except Exception as exc:  # a broken device must not take the studio down
                self.error = str(exc)
                log.exception("source %s failed", self.name)
            finally:
                self.ended.set()

        return run

    def stop(self) -> None:
        self._stop.set()
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(5)

    def _pace(self, t_s: float) -> bool:
        """Wait until media time t_s is due in real time (from started_ns); False once stopped."""
        wait = (self.started_ns - now_ns()) / 1e9 + t_s
        if wait > 0:
            self._stop.wait(wait)
        return not self._stop.is_set()


class FileVideoSource(_Threaded):
    """A video file played in real time as a camera: I420 frames at the file's pace."""

    def __init__(
        self, path: Path, width: int | None = None, height: int | None = None, loop: bool = False
    ) -> None:
        super().__init__()
        from livedirector_desktop.media.files import open_media

        self.path = Path(path)
        self.name = f"file-camera:{self.path.name}"
        with open_media(self.path) as c:
            if not c.streams.video:
                raise BadInputError(f"{self.path} has no video track to use as a camera")
            s = c.streams.video[0]
            self.width = (width or s.codec_context.width) // 2 * 2
            self.height = (height or s.codec_context.height) // 2 * 2
            self.fps = float(s.average_rate or 30)
        self.loop = loop
        self.started_ns = 0

    def start(self, on_frame: OnFrame) -> None:
        self._on_frame = on_frame
        self._spawn(self._run)

    def _run(self) -> None:
        import av

        seq = 0
        self.started_ns = now_ns()
        offset_s = 0.0
        while not self._stop.is_set():
            with av.open(str(self.path)) as c:
                stream = c.streams.video[0]
                stream.thread_type = "AUTO"
                last_t = 0.0
                for frame in c.decode(stream):
                    t = offset_s + (frame.time or 0.0)
                    last_t = t
                    if not self._pace(t):
                        return
                    image = frame.reformat(width=self.width, height=self.height, format="yuv420p")
                    seq += 1
                    self._on_frame(
                        Frame(image.to_ndarray(), self.width, self.height, now_ns(), seq)
                    )
            if not self.loop:
                return
            offset_s = last_t + 1 / self.fps


class FileAudioSource(_Threaded):
    """An audio (or video) file's sound played in real time as a microphone, in 20 ms blocks."""

    block_ms = 20

    def __init__(self, path: Path) -> None:
        super().__init__()
        from livedirector_desktop.media.files import open_media

        self.path = Path(path)
        self.name = f"file-mic:{self.path.name}"
        with open_media(self.path) as c:
            if not c.streams.audio:
                raise BadInputError(f"{self.path} has no audio to use as a microphone")
            a = c.streams.audio[0]
            self.sample_rate_hz = a.codec_context.sample_rate
            self.channels = len(a.layout.channels)
        self.started_ns = 0

    def start(self, on_block: OnAudio) -> None:
        self._on_block = on_block
        self._spawn(self._run)

    def _run(self) -> None:
        from livedirector_desktop.media.files import iter_audio

        block = int(self.sample_rate_hz * self.block_ms / 1000)
        pending = np.zeros((0, self.channels), dtype=np.float32)
        sent = 0
        self.started_ns = now_ns()
        for samples, _rate, _t in iter_audio(self.path):
            pending = np.concatenate([pending, samples.astype(np.float32)])
            while len(pending) >= block:
                if not self._pace(sent / self.sample_rate_hz):
                    return
                pts = self.started_ns + int(sent * 1e9 / self.sample_rate_hz)
                self._on_block(AudioBlock(pending[:block], self.sample_rate_hz, pts))
                pending = pending[block:]
                sent += block


class CameraSource(_Threaded):
    """A webcam through OpenCV, converted to I420 on its own thread."""

    def __init__(self, index: int, width: int = 1280, height: int = 720, fps: float = 30) -> None:
        super().__init__()
        import cv2

        self.name = f"camera:{index}"
        self._cap = cv2.VideoCapture(index)
        if not self._cap.isOpened():
            raise BadInputError(f"camera {index} cannot be opened", "is it connected and free?")
        self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._cap.set(cv2.CAP_PROP_FPS, fps)
        self.width = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH)) // 2 * 2
        self.height = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) // 2 * 2
        self.fps = float(self._cap.get(cv2.CAP_PROP_FPS) or fps)

    def start(self, on_frame: OnFrame) -> None:
        self._on_frame = on_frame
        self._spawn(self._run)

    def _run(self) -> None:
        import cv2

        seq = 0
        while not self._stop.is_set():
            ok, bgr = self._cap.read()
            stamp = now_ns()
            if not ok:
                self.error = "the camera stopped delivering frames"
                return
            bgr = bgr[: self.height, : self.width]
            seq += 1
            self._on_frame(
                Frame(
                    cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420), self.width, self.height, stamp, seq
                )
            )
        self._cap.release()


class SampleClock:
    """Capture times for an audio device from its sample count, resynced when it drifts.

    Callback times jitter by milliseconds; stamping blocks by them would make the recording
    see gaps and overlaps that are not there. As OBS does, consecutive blocks are stamped
    back to back, and only a jump past `resync_ms` (a stall, a device hiccup) re-anchors to
    the measured time, so real gaps stay gaps.
    """

    def __init__(self, sample_rate_hz: int, resync_ms: float = 70.0) -> None:
        self.sample_rate_hz = sample_rate_hz
        self.resync_ns = int(resync_ms * 1e6)
        self._anchor_ns: int | None = None
        self._samples = 0
        self.resyncs = 0

    def stamp(self, measured_ns: int, frames: int) -> int:
        expected = (
            self._anchor_ns + self._samples * 1_000_000_000 // self.sample_rate_hz
            if self._anchor_ns is not None
            else None
        )
        if expected is None or abs(measured_ns - expected) > self.resync_ns:
            self.resyncs += expected is not None
            self._anchor_ns, self._samples, expected = measured_ns, 0, measured_ns
        self._samples += frames
        return expected


class MicSource:
    """A microphone through sounddevice (PortAudio); PortAudio calls back on its own thread."""

    def __init__(
        self,
        device: int | str | None = None,
        sample_rate_hz: int = 48000,
        channels: int = 1,
        block_ms: int = 20,
    ) -> None:
        self.name = f"mic:{device if device is not None else 'default'}"
        self.device, self.sample_rate_hz, self.channels = device, sample_rate_hz, channels
        self.block = int(sample_rate_hz * block_ms / 1000)
        self.ended = threading.Event()
        self.error = ""
        self._stream = None
        self._stamps = SampleClock(sample_rate_hz)

    def start(self, on_block: OnAudio) -> None:
        import sounddevice as sd

        def callback(indata, frames, time_info, status) -> None:
            # The block's first sample was captured one block before this call.
            measured = now_ns() - int(frames / self.sample_rate_hz * 1e9)
            stamp = self._stamps.stamp(measured, frames)
            on_block(AudioBlock(indata.copy(), self.sample_rate_hz, stamp))

        self._stream = sd.InputStream(
            device=self.device,
            samplerate=self.sample_rate_hz,
            channels=self.channels,
            dtype="float32",
            blocksize=self.block,
            callback=callback,
        )
        self._stream.start()

    def stop(self) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None


def list_cameras(max_index: int = 4) -> list[str]:
    """Indices of cameras OpenCV can open (probing is slow: call it off the GUI thread)."""
    import cv2

    found = []
    for index in range(max_index):
        cap = cv2.VideoCapture(index)
        if cap.isOpened():
            found.append(str(index))
        cap.release()
    return found


def list_microphones() -> tuple[list[str], str]:
    """Input device names, and why there are none (PortAudio missing, no devices)."""
    try:
        import sounddevice as sd
    except OSError as exc:  # sounddevice raises OSError when PortAudio is missing
        return [], f"audio input unavailable: {exc} (install libportaudio2)"
    try:
        devices = [d["name"] for d in sd.query_devices() if d["max_input_channels"] > 0]
    except Exception as exc:
        return [], f"audio input unavailable: {exc}"
    return devices, "" if devices else "no microphone found"
