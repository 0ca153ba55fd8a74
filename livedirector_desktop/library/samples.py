"""Make playable sample clips from a catalog of descriptions.

No stock footage can ship with the source, so a newcomer's first library (and every test
library) is generated: each clip gets its own colour, motion and title card, so clips are
told apart by eye and by pixel checks.
"""

from __future__ import annotations

import colorsys
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from livedirector_desktop.core.errors import BadInputError
from livedirector_desktop.core.files import partial_name
from livedirector_desktop.library.asset import Asset, write_sidecar


def clip_colour_bgr(asset_id: str) -> tuple[int, int, int]:
    """A saturated colour from the id: stable, and far apart for different ids."""
    hue = int(hashlib.sha256(asset_id.encode()).hexdigest()[:4], 16) / 0xFFFF
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 0.9)
    return int(b * 255), int(g * 255), int(r * 255)


def read_catalog(path: Path) -> list[dict]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise BadInputError(f"catalog {path} cannot be read: {exc}") from exc
    if not isinstance(data, list) or not all(isinstance(e, dict) and "id" in e for e in data):
        raise BadInputError(f"catalog {path} must be a JSON list of objects with an 'id'")
    return data


def _frames(entry: dict, width: int, height: int, count: int) -> Iterable[np.ndarray]:
    import cv2

    # A catalog may set the colour (a benchmark telling 40 clips apart by pixels).
    b, g, r = entry.get("colour_bgr") or clip_colour_bgr(entry["id"])
    base = np.empty((height, width, 3), dtype=np.uint8)
    # A vertical gradient of the clip's colour: flat colour compresses to nothing.
    ramp = np.linspace(0.55, 1.0, height, dtype=np.float32)[:, None]
    base[..., 0] = (ramp * b).astype(np.uint8)
    base[..., 1] = (ramp * g).astype(np.uint8)
    base[..., 2] = (ramp * r).astype(np.uint8)
    title = entry.get("title", entry["id"])
    scale = max(0.4, width / 900)
    for i in range(count):
        frame = base.copy()
        t = i / max(count - 1, 1)
        cx = int(width * (0.15 + 0.7 * t))
        cy = int(height * (0.5 + 0.25 * np.sin(t * 2 * np.pi)))
        cv2.circle(frame, (cx, cy), max(4, height // 8), (255, 255, 255), -1, cv2.LINE_AA)
        cv2.putText(
            frame,
            title,
            (width // 20, height // 6),
            cv2.FONT_HERSHEY_SIMPLEX,
            scale,
            (255, 255, 255),
            max(1, int(scale * 2)),
            cv2.LINE_AA,
        )
        yield frame


def write_clip(
    entry: dict,
    dest: Path,
    *,
    width: int = 640,
    height: int = 360,
    seconds: float = 3.0,
    fps: int = 30,
    audio: bool = False,
    embedded: dict[str, str] | None = None,
) -> Path:
    """One H.264 clip for a catalog entry (MP4, or QuickTime/Matroska by the name's suffix),
    with `embedded` fields (title, comment, keywords) written into the container as editors
    and cameras write them; under a temporary name, then renamed."""
    import av

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_name(dest)
    count = max(1, round(seconds * fps))
    muxer = {".mov": "mov", ".mkv": "matroska"}.get(dest.suffix.lower(), "mp4")
    # QuickTime keeps keywords and descriptions only as Apple's metadata keys.
    options = {"movflags": "use_metadata_tags"} if embedded and muxer != "matroska" else {}
    with av.open(str(tmp), "w", format=muxer, options=options) as out:
        out.metadata.update(embedded or {})
        stream = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast", "crf": "28"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        astream = None
        if audio:
            astream = out.add_stream("aac", rate=48000, layout="mono")
        for frame in _frames(entry, width, height, count):
            vf = av.VideoFrame.from_ndarray(frame, format="bgr24")
            out.mux(stream.encode(vf))
        out.mux(stream.encode(None))
        if astream is not None:
            _write_tone(out, astream, seconds)
    os.replace(tmp, dest)
    return dest


def _write_tone(out, stream, seconds: float) -> None:
    import av

    rate = 48000
    t = np.arange(int(seconds * rate), dtype=np.float32) / rate
    pcm = (0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    for start in range(0, len(pcm), 1024):
        block = pcm[start : start + 1024][None, :]
        frame = av.AudioFrame.from_ndarray(block, format="fltp", layout="mono")
        frame.sample_rate = rate
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def make_library(
    catalog: list[dict],
    out_dir: Path,
    *,
    width: int = 640,
    height: int = 360,
    seconds: float = 3.0,
    fps: int = 30,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """A folder of clips with sidecars; clips already there are kept."""
    paths = []
    for i, entry in enumerate(catalog):
        dest = Path(out_dir) / f"{entry['id']}.mp4"
        if not dest.exists():
            write_clip(entry, dest, width=width, height=height, seconds=seconds, fps=fps)
        write_sidecar(
            Asset(
                id=entry["id"],
                title=entry.get("title", entry["id"]),
                path=str(dest),
                description=entry.get("description", ""),
                tags=list(entry.get("tags", [])),
                category=entry.get("category", ""),
            )
        )
        paths.append(dest)
        if progress:
            progress(i + 1, len(catalog))
    return paths
