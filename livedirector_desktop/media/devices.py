"""Opening the camera and microphone a user named: a device, or a file played as one.

A missing device is not an error for a live session (it runs without it): each opener
returns the source, or None and a sentence saying why.
"""

from __future__ import annotations

from pathlib import Path

from livedirector_desktop.media.sources import AudioSource, VideoSource


def open_camera(spec: str, size: tuple[int, int], fps: float) -> tuple[VideoSource | None, str]:
    """A camera by number, or a video file played in real time as one."""
    from livedirector_desktop.media.sources import CameraSource, FileVideoSource

    if Path(spec).expanduser().is_file():
        try:
            return FileVideoSource(Path(spec).expanduser(), *size), ""
        except Exception as exc:
            return None, f"No camera: {spec} cannot be played ({exc})."
    if spec.isdigit():
        try:
            return CameraSource(int(spec), *size, fps), ""
        except Exception as exc:
            return None, f"No camera: {exc}. The session runs without one."
    return None, f"No camera: {spec!r} is neither a device number nor a file."


def open_mic(spec: str) -> tuple[AudioSource | None, str]:
    """A microphone by name or number ("default"), or an audio/video file played as one."""
    from livedirector_desktop.media.sources import FileAudioSource, MicSource, list_microphones

    if Path(spec).expanduser().is_file():
        try:
            return FileAudioSource(Path(spec).expanduser()), ""
        except Exception as exc:
            return None, f"No microphone: {spec} cannot be played ({exc})."
    names, why = list_microphones()
    if not names:
        return None, f"No microphone: {why}."
    device = None if spec == "default" else (int(spec) if spec.isdigit() else spec)
    try:
        return MicSource(device), ""
    except Exception as exc:
        return None, f"No microphone: {exc}."
