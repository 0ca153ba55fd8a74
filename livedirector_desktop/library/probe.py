"""Read a clip's facts with PyAV and grab a thumbnail from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from livedirector_desktop.core.errors import BadInputError
from livedirector_desktop.core.files import write_atomic

THUMB_WIDTH = 320


@dataclass(frozen=True)
class ProbeResult:
    duration_ms: int
    width: int
    height: int
    fps: float
    has_audio: bool
    thumbnail_bgr: object  # numpy uint8 array, H x W x 3


def probe(path: Path) -> ProbeResult:
    """Open the clip, read its streams, decode one frame; BadInputError if any step fails."""
    import av

    try:
        container = av.open(str(path), metadata_errors="replace")
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise BadInputError(
            f"{path} is not a readable video: {exc}", "check the file plays, or remove it"
        ) from exc
    with container:
        fmt = container.format.name or ""
        if fmt == "image2" or fmt.endswith("_pipe"):
            kind = fmt.removesuffix("_pipe").upper() if fmt != "image2" else "an image"
            raise BadInputError(
                f"{path} is a still image ({kind}), not a video",
                "B-roll clips must be videos; export it as one or remove it",
            )
        if not container.streams.video:
            raise BadInputError(f"{path} has no video stream", "B-roll clips must be videos")
        stream = container.streams.video[0]
        duration_s = 0.0
        if stream.duration and stream.time_base:
            duration_s = float(stream.duration * stream.time_base)
        elif container.duration:
            duration_s = container.duration / 1_000_000
        rate = stream.average_rate or stream.guessed_rate or 0
        fps = float(rate) if rate else 0.0
        width, height = stream.codec_context.width, stream.codec_context.height
        has_audio = bool(container.streams.audio)
        frame = _thumbnail_frame(container, stream, duration_s)
        if frame is None:
            raise BadInputError(
                f"{path}: no frame could be decoded (corrupt or truncated file?)",
                "re-export the clip, or remove it from the folder",
            )
        if not duration_s and fps:
            duration_s = (stream.frames or 0) / fps
    return ProbeResult(
        duration_ms=round(duration_s * 1000),
        width=width,
        height=height,
        fps=round(fps, 3),
        has_audio=has_audio,
        thumbnail_bgr=frame,
    )


# Container fields that describe the picture, as MP4/QuickTime, Matroska and AVI name
# them through FFmpeg (keys compared lower-case; Apple's mdta keys carry a prefix).
EMBEDDED_FIELDS = {
    "title": "title",
    "com.apple.quicktime.title": "title",
    "comment": "comment",
    "com.apple.quicktime.comment": "comment",
    "description": "description",
    "com.apple.quicktime.description": "description",
    "synopsis": "description",
    "subject": "description",
    "keywords": "keywords",
    "com.apple.quicktime.keywords": "keywords",
}


def read_embedded(path: Path) -> dict[str, str]:
    """Title, comment, description and keywords written into the container, if any.

    Cheap (the header only, no decoding), so import can compare a clip's text before
    probing it; a file FFmpeg cannot open has none (the probe names the problem)."""
    import av

    try:
        container = av.open(str(path), metadata_errors="replace")
    except (av.error.FFmpegError, OSError, UnicodeDecodeError):
        return {}
    with container:
        found: dict[str, str] = {}
        sources = [container.metadata] + [s.metadata for s in container.streams.video[:1]]
        for metadata in sources:
            for key, value in metadata.items():
                name = EMBEDDED_FIELDS.get(key.lower())
                if name and isinstance(value, str) and value.strip() and name not in found:
                    found[name] = value.strip()
    return found


def _thumbnail_frame(container, stream, duration_s: float):
    import av

    stream.thread_type = "AUTO"
    # A frame a little into the clip says more than a black first frame after a fade.
    if duration_s > 2 and stream.time_base:
        try:
            container.seek(int(min(duration_s * 0.2, 3.0) / stream.time_base), stream=stream)
        except av.error.FFmpegError:
            container.seek(0)
    try:
        for frame in container.decode(stream):
            return frame.to_ndarray(format="bgr24")
    except (av.error.FFmpegError, ValueError):
        return None
    return None


def write_thumbnail(image_bgr, dest: Path) -> Path:
    """Scaled to THUMB_WIDTH, JPEG, written under a temporary name then renamed."""
    import cv2

    height, width = image_bgr.shape[:2]
    new_h = max(2, round(height * THUMB_WIDTH / max(width, 1)))
    small = cv2.resize(image_bgr, (THUMB_WIDTH, new_h), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise BadInputError(f"could not encode a thumbnail for {dest.stem}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(dest, buf.tobytes())
