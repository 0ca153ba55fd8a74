"""Starting the studio: devices, engine, window. Problems are shown, never a crash."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

RESOLUTIONS = {"720p": (1280, 720), "1080p": (1920, 1080), "480p": (854, 480)}


@dataclass
class StudioArgs:
    camera: str | None = None
    mic: str | None = None
    transcript: Path | None = None
    library: Path | None = None
    chroma_url: str | None = None
    layout: str | None = None
    resolution: str | None = None
    fps: int | None = None
    record: Path | None = None
    quit_after_s: float | None = None
    screenshot: Path | None = None
    stats_json: Path | None = None
    reasoner: str | None = None
    captions: bool | None = None


def _open_camera(spec: str, size: tuple[int, int], fps: int):
    from livedirector_desktop.media.sources import CameraSource, FileVideoSource

    if Path(spec).expanduser().is_file():
        return FileVideoSource(Path(spec).expanduser(), *size), ""
    if spec.isdigit():
        try:
            return CameraSource(int(spec), *size, fps), ""
        except Exception as exc:
            return None, f"No camera: {exc}. The studio runs without one."
    return None, f"No camera: {spec!r} is neither a device number nor a file."


def _open_mic(spec: str):
    from livedirector_desktop.media.sources import FileAudioSource, MicSource, list_microphones

    if Path(spec).expanduser().is_file():
        return FileAudioSource(Path(spec).expanduser()), ""
    names, why = list_microphones()
    if not names:
        return None, f"No microphone: {why}."
    device = None if spec == "default" else (int(spec) if spec.isdigit() else spec)
    try:
        return MicSource(device), ""
    except Exception as exc:
        return None, f"No microphone: {exc}."


def run_studio(args: StudioArgs) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QSurfaceFormat
    from PySide6.QtWidgets import QApplication, QMessageBox

    from livedirector_desktop.config import data_dir, load_settings
    from livedirector_desktop.core.errors import LiveDirectorError, ModelMissingError
    from livedirector_desktop.sessions.store import SessionStore

    fmt = QSurfaceFormat()
    fmt.setSwapInterval(0)  # the engine paces frames; do not block the GUI on vsync
    QSurfaceFormat.setDefaultFormat(fmt)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("LiveDirector")
    from PySide6.QtGui import QIcon

    from livedirector_desktop.config import assets_dir

    icon = assets_dir() / "icon.png"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    settings = load_settings()
    studio = settings.studio
    try:
        session, messages = _build_session(args, settings)
    except LiveDirectorError as exc:
        title = (
            "A model is missing"
            if isinstance(exc, ModelMissingError)
            else "LiveDirector cannot start"
        )
        print(f"error: {exc}", file=sys.stderr)
        if args.quit_after_s is None:
            QMessageBox.critical(None, title, str(exc))
        return 2
    from livedirector_desktop.ui.main_window import StudioOptions, StudioWindow

    options = StudioOptions(
        record_path=args.record,
        quit_after_s=args.quit_after_s,
        screenshot=args.screenshot,
        messages=messages,
        persist_settings=args.quit_after_s is None,
    )
    window = StudioWindow(session, settings, SessionStore(data_dir() / "sessions.sqlite"), options)
    window.show()
    session.start()
    if args.record:
        window.start_record(args.record)
    if args.quit_after_s is not None:
        QTimer.singleShot(int(args.quit_after_s * 1000), window.finish_and_quit)
    code = app.exec()
    if args.stats_json:
        args.stats_json.write_text(
            json.dumps(
                {
                    **session.stats.summary(),
                    "preview_paints": window.preview.paints,
                    "preview_camera_uploads": window.preview._camera.uploads,
                    "sentence_to_screen_ms": list(session.stats.stage_ms["sentence_to_screen"]),
                    "decisions": [d.to_json() for d in session.decisions],
                    "recording": window.last_result,
                    "studio": studio.__dict__,
                    "cpu_s_by_thread": session.cpu_s_by_thread,
                },
                indent=2,
            )
        )
    return code


def _build_session(args: StudioArgs, settings):
    from livedirector_desktop.asr.replay import ReplayRecognizer
    from livedirector_desktop.core.errors import ModelMissingError
    from livedirector_desktop.engine import make_director, make_recognizer, open_library
    from livedirector_desktop.pipeline.live import LiveConfig, LiveSession

    studio = settings.studio
    if args.reasoner:
        settings.reasoner = args.reasoner
    resolution = args.resolution or studio.resolution
    if resolution not in RESOLUTIONS:
        from livedirector_desktop.core.errors import BadInputError

        raise BadInputError(
            f"unknown resolution {resolution!r}", f"use one of: {', '.join(RESOLUTIONS)}"
        )
    size = RESOLUTIONS[resolution]
    fps = args.fps or studio.fps
    messages: list[str] = []
    library = open_library(settings, args.library, args.chroma_url)
    if library.count() == 0:
        messages.append("Your library is empty: import clips on the Library page.")
    director = make_director(settings, library)
    if args.transcript:
        recognizer = ReplayRecognizer.from_file(args.transcript)
    else:
        try:
            recognizer = make_recognizer(settings, language=studio.language)
        except ModelMissingError as exc:
            recognizer = None
            messages.append(f"No speech recognition: {exc.message}. {exc.hint}")
    camera, why = _open_camera(args.camera or studio.camera, size, fps)
    if why:
        messages.append(why)
    mic, why = _open_mic(args.mic or studio.mic)
    if why:
        messages.append(why)
    config = LiveConfig(
        width=size[0],
        height=size[1],
        fps=fps,
        layout=args.layout or studio.layout,
        transition_ms=studio.transition_ms,
        captions=studio.captions if args.captions is None else args.captions,
    )
    return LiveSession(library, director, recognizer, camera, mic, config), messages
