"""Starting the studio: devices, engine, window. Problems are shown, never a crash."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from livedirector_desktop.engine import SessionOptions

log = logging.getLogger(__name__)


@dataclass
class StudioArgs(SessionOptions):
    """The session's choices, plus what only the window does."""

    record: Path | None = None
    quit_after_s: float | None = None
    screenshot: Path | None = None
    stats_json: Path | None = None
    stream: str | None = None  # start streaming here at once
    virtual_camera: bool = False
    control_port: int | None = None  # None: as in the settings (0 there: off)
    control_token: str | None = None


def run_studio(args: StudioArgs) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QSurfaceFormat
    from PySide6.QtWidgets import QApplication, QMessageBox

    from livedirector_desktop.config import data_dir, load_settings
    from livedirector_desktop.core.errors import LiveDirectorError, ModelMissingError
    from livedirector_desktop.core.files import write_atomic
    from livedirector_desktop.engine import (
        build_live_session,
        recover_recordings,
        session_report,
    )
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
    from livedirector_desktop.config import logs_dir
    from livedirector_desktop.logs import add_rotating_file

    add_rotating_file(logs_dir())  # always: a windowed build has no stderr to read
    settings = load_settings()
    studio = settings.studio
    try:
        try:
            session, messages = build_live_session(args, settings)
        except ModelMissingError as exc:
            # First run: offer to install the missing model instead of quitting.
            if args.quit_after_s is not None or not exc.model or not _install(exc, settings):
                raise
            session, messages = build_live_session(args, settings)
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

    # Recordings a crash cut off are finished before anything new is recorded.
    recovered = recover_recordings(settings, [args.record.parent] if args.record else [])
    for line in recovered:
        print(line, file=sys.stderr)
    control = None
    port = studio.control_port if args.control_port is None else args.control_port
    if port:
        from livedirector_desktop.control.server import ControlServer

        control = ControlServer(session, port, args.control_token or studio.control_token or None)
        try:
            control.start()
        except LiveDirectorError as exc:
            messages.append(str(exc))
            control = None
    options = StudioOptions(
        record_path=args.record,
        quit_after_s=args.quit_after_s,
        screenshot=args.screenshot,
        messages=messages,
        notices=recovered,
        persist_settings=args.quit_after_s is None,
        control=control,
    )
    window = StudioWindow(session, settings, SessionStore(data_dir() / "sessions.sqlite"), options)
    window.show()
    if recovered and args.quit_after_s is None:
        QTimer.singleShot(
            0, lambda: QMessageBox.information(window, "Recordings recovered", "\n".join(recovered))
        )
    session.start()
    if args.record:
        window.start_record(args.record)
    if args.stream:
        window.start_stream(args.stream)
    if args.virtual_camera:
        window.vcam_button.setChecked(True)
    if args.quit_after_s is not None:
        QTimer.singleShot(int(args.quit_after_s * 1000), window.finish_and_quit)
    code = app.exec()
    if control is not None:
        control.stop()
    if args.stats_json:
        report = session_report(session, window.last_result)
        report.update(
            preview_paints=window.preview.paints,
            preview_camera_uploads=window.preview.camera_uploads,
            studio=studio.model_dump(),
        )
        write_atomic(args.stats_json, json.dumps(report, indent=2))
    return code


def _install(exc, settings) -> bool:
    """The first-run dialog: True once the missing model is installed."""
    from livedirector_desktop.ui.settings_dialog import InstallModelDialog

    dialog = InstallModelDialog(exc.model, exc.message, settings.models_path)
    return dialog.exec() == InstallModelDialog.DialogCode.Accepted
