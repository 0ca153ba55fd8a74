"""What tests and benchmarks share: the canonical talk, command lines, reading media back,
a loopback file server. Plain functions; fixtures stay in conftest.py."""

from __future__ import annotations

import contextlib
import http.server
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

# The canonical scripted talk: a greeting, topical sentences the sample library holds, filler,
# and a sign-off. Benchmarks use all of it; tests pick a few.
TALK = [
    "Hi everyone, welcome back to the channel.",
    "Every morning starts with a double espresso.",
    "Then I work on my side project, a little Python app.",
    "The markets have been wild, my index fund is up this year.",
    "Last weekend we climbed to a summit in the Alps.",
    "SpaceX is launching another Starship next week.",
    "I finally switched to an electric car.",
    "Rain has been pouring down all week here.",
    "We had a long team meeting about the launch.",
    "Thanks for watching, see you next time.",
]


def livedirector(*args: str) -> list[str]:
    """The `livedirector` command line, run by this interpreter."""
    return [sys.executable, "-m", "livedirector_desktop", *args]


def session_cmd(command: str, talk: Path, transcript: Path, library: Path, *extra: str):
    """`livedirector live|studio` with a talk file as camera and microphone."""
    return livedirector(
        command,
        "--camera",
        str(talk),
        "--mic",
        str(talk),
        "--transcript",
        str(transcript),
        "--library",
        str(library),
        *extra,
    )


def stream_info(path: Path) -> dict:
    """Lengths and first frame of a recording's video and audio, as a player sees them."""
    import av

    with av.open(str(path)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        frames = [f.time for f in c.decode(v)]
        return {
            "video_s": float(v.duration * v.time_base) if v.duration else frames[-1],
            "audio_s": float(a.duration * a.time_base) if a.duration else None,
            "frames": len(frames),
            "first_video_s": frames[0],
            "w": v.codec_context.width,
        }


def frame_at(path: Path, t_s: float) -> np.ndarray:
    """The first video frame at or after t_s, as BGR."""
    import av

    with av.open(str(path)) as c:
        for frame in c.decode(c.streams.video[0]):
            if frame.time >= t_s:
                return frame.to_ndarray(format="bgr24")
    raise AssertionError(f"no frame at {t_s} s in {path}")


def flash_times(path: Path, luma_above: float = 128.0) -> list[float]:
    """When a flash-and-beep video's flashes start (s): frames much brighter than the rest."""
    import av

    times, bright = [], False
    with av.open(str(path)) as c:
        for frame in c.decode(c.streams.video[0]):
            y = frame.to_ndarray(format="gray")
            now = float(y.mean()) > luma_above
            if now and not bright:
                times.append(float(frame.time))
            bright = now
    return times


def beep_times(path: Path, level: float = 0.1, min_gap_s: float = 0.3) -> list[float]:
    """When the beeps of a flash-and-beep recording start (s), read from its decoded audio."""
    import av

    chunks, rate, start = [], 48000, None
    with av.open(str(path)) as c:
        stream = c.streams.audio[0]
        for frame in c.decode(stream):
            if start is None:
                start = float(frame.time or 0.0)
            rate = frame.sample_rate
            chunks.append(frame.to_ndarray().mean(axis=0))
    audio = np.abs(np.concatenate(chunks)) if chunks else np.zeros(0)
    loud = np.flatnonzero(audio > level)
    times: list[float] = []
    for i in loud:
        t = (start or 0.0) + i / rate
        if not times or t - times[-1] >= min_gap_s:
            times.append(t)
    return times


def av_offsets_s(path: Path) -> list[float]:
    """For each flash of a recording, its nearest beep's time minus the flash's (s)."""
    flashes, beeps = flash_times(path), beep_times(path)
    if not beeps:
        return []
    return [min(beeps, key=lambda b: abs(b - f)) - f for f in flashes]


@contextlib.contextmanager
def serve_folder(www: Path) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 for a folder; yields its base URL.

    /cut/NAME sends half of NAME and hangs up, as a dropped download does.
    """

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, directory=str(www), **kwargs)

        def log_message(self, *_args) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            if not self.path.startswith("/cut/"):
                super().do_GET()
                return
            data = (www / self.path[5:]).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.connection.close()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def make_sample_library(tmp: Path) -> Path:
    """The bundled sample clips, generated and imported with the CLI; returns the library."""
    import subprocess

    clips, library = tmp / "clips", tmp / "lib"
    subprocess.run(livedirector("library", "samples", str(clips)), check=True, capture_output=True)
    subprocess.run(
        livedirector("library", "import", str(clips), "--library", str(library)),
        check=True,
        capture_output=True,
    )
    return library
