"""A synthetic "webcam" talk: a speaker-like figure over a backdrop, with the given audio.

For demos with no camera, tests and benchmarks. The backdrop is a neutral grey-blue that
no generated B-roll clip uses, so pixel checks can tell speaker from B-roll.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from livedirector_desktop.core.files import partial_name

BACKDROP_BGR = (120, 110, 100)


def webcam_frame(width: int, height: int, t_s: float) -> np.ndarray:
    import cv2

    frame = np.empty((height, width, 3), dtype=np.uint8)
    frame[:] = BACKDROP_BGR
    cx = int(width / 2 + width * 0.02 * np.sin(t_s * 1.3))
    cy = int(height * 0.45 + height * 0.01 * np.sin(t_s * 2.1))
    cv2.ellipse(
        frame,
        (cx, int(height * 1.05)),
        (int(width * 0.22), int(height * 0.35)),
        0,
        0,
        360,
        (60, 60, 70),
        -1,
        cv2.LINE_AA,
    )  # shoulders
    cv2.ellipse(
        frame,
        (cx, cy),
        (int(height * 0.13), int(height * 0.17)),
        0,
        0,
        360,
        (150, 180, 215),
        -1,
        cv2.LINE_AA,
    )  # face
    mouth = int(height * 0.01 + height * 0.015 * abs(np.sin(t_s * 9)))
    cv2.ellipse(
        frame,
        (cx, cy + int(height * 0.08)),
        (int(height * 0.04), mouth),
        0,
        0,
        360,
        (60, 40, 120),
        -1,
        cv2.LINE_AA,
    )
    return frame


def write_media(
    path: Path,
    frames_bgr,
    fps: int,
    audio: np.ndarray,
    rate_hz: int,
    audio_codec: str = "aac",
) -> Path:
    """An H.264 video of the given frames with mono audio (float32), written atomically."""
    import av

    path = Path(path)
    tmp = partial_name(path)
    with av.open(str(tmp), "w") as out:
        v = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast", "crf": "26"})
        a = out.add_stream(audio_codec, rate=rate_hz, layout="mono")
        for i, image in enumerate(frames_bgr):
            if i == 0:
                v.height, v.width = image.shape[:2]
                v.pix_fmt = "yuv420p"
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = i
            out.mux(v.encode(frame))
        out.mux(v.encode(None))
        samples = np.asarray(audio, dtype=np.float32)
        for start in range(0, len(samples), 1024):
            frame = av.AudioFrame.from_ndarray(
                samples[None, start : start + 1024], format="fltp", layout="mono"
            )
            frame.sample_rate = rate_hz
            frame.pts = start
            out.mux(a.encode(frame))
        out.mux(a.encode(None))
    os.replace(tmp, path)
    return path


def write_talk(
    path: Path,
    audio: np.ndarray,
    rate_hz: int,
    *,
    width: int = 640,
    height: int = 360,
    fps: int = 30,
    audio_codec: str = "aac",
) -> Path:
    """MP4 (H.264 + AAC) of the synthetic speaker, as long as the audio (mono float32)."""
    count = round(len(audio) / rate_hz * fps)
    frames = (webcam_frame(width, height, i / fps) for i in range(count))
    return write_media(path, frames, fps, audio, rate_hz, audio_codec)


def speak(
    sentences: list[str],
    voice: str = "en-us",
    rate_hz: int = 22050,
    gap_s: float | Sequence[float] = 0.7,
    lead_s: float = 0.5,
) -> tuple[np.ndarray, list[dict]]:
    """espeak-ng speech of each sentence with pauses between (one length, or one after each
    sentence); returns audio and timed segments."""
    import subprocess
    import wave
    from tempfile import TemporaryDirectory

    pieces = [np.zeros(int(lead_s * rate_hz), dtype=np.float32)]
    segments = []
    t = lead_s
    gaps = [float(gap_s)] * len(sentences) if isinstance(gap_s, int | float) else list(gap_s)
    if len(gaps) < len(sentences):
        raise ValueError(f"{len(gaps)} pauses for {len(sentences)} sentences")
    with TemporaryDirectory() as tmp:
        for n, text in enumerate(sentences):
            wav = Path(tmp) / f"{n}.wav"
            subprocess.run(
                ["espeak-ng", "-v", voice, "-s", "160", "-w", str(wav), text], check=True
            )
            with wave.open(str(wav)) as w:
                if w.getframerate() != rate_hz:
                    raise RuntimeError(f"espeak-ng spoke at {w.getframerate()} Hz, not {rate_hz}")
                pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
            voiced = pcm.astype(np.float32) / 32768
            segments.append(
                {"text": text, "start": round(t, 3), "end": round(t + len(voiced) / rate_hz, 3)}
            )
            pieces += [voiced, np.zeros(int(gaps[n] * rate_hz), dtype=np.float32)]
            t += len(voiced) / rate_hz + gaps[n]
    return np.concatenate(pieces), segments


def write_flash_beep(
    path: Path,
    seconds: float,
    every_s: float = 1.0,
    width: int = 320,
    height: int = 180,
    fps: int = 30,
    rate_hz: int = 48000,
    beep_ms: float = 60.0,
    flash_frames_n: int = 3,
) -> list[float]:
    """A sync test source: a white flash (a few frames) and a 1 kHz beep start together every
    `every_s`. Returns the flash start times (s). Reading a recording's flashes and beep
    onsets back shows how far its audio sits from its video.
    """
    times = [round(t, 6) for t in np.arange(every_s / 2, seconds - 0.1, every_s)]
    flash_frames = {round(t * fps) + k for t in times for k in range(flash_frames_n)}
    audio = np.zeros(int(seconds * rate_hz), dtype=np.float32)
    n = int(beep_ms * rate_hz / 1000)
    tone = 0.5 * np.sin(2 * np.pi * 1000 * np.arange(n) / rate_hz).astype(np.float32)
    for t in times:
        start = round(t * rate_hz)
        audio[start : start + n] = tone[: len(audio) - start]
    dark = np.full((height, width, 3), 30, np.uint8)
    white = np.full((height, width, 3), 235, np.uint8)
    frames = (white if i in flash_frames else dark for i in range(round(seconds * fps)))
    write_media(path, frames, fps, audio, rate_hz)
    return [round(t * fps) / fps for t in times]
