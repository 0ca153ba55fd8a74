"""Starting the studio: devices, engine, window. Problems are shown, never a crash."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from livedirector_desktop.runner import RunOptions, SessionRunner, on_stop_signals

log = logging.getLogger(__name__)


@dataclass
class StudioArgs(RunOptions):
    """The session's choices, plus what only the window does."""

    quit_after_s: float | None = None
    screenshot: Path | None = None


def run_studio(args: StudioArgs) -> int:
    """Open the studio over a live session; the exit code."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    from livedirector_desktop.config import load_settings
    from livedirector_desktop.core.errors import LiveDirectorError
    from livedirector_desktop.ui.main_window import StudioOptions, StudioWindow

    app = _application()
    unattended = args.quit_after_s is not None
    runner = SessionRunner(args, load_settings())
    try:
        _build(runner, unattended)
    except LiveDirectorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if not unattended:
            QMessageBox.critical(None, _title(exc), str(exc))
        return 2
    # Recordings a crash cut off are finished before anything new is recorded.
    for line in runner.recover():
        print(line, file=sys.stderr)
    runner.serve_control()
    options = StudioOptions(
        quit_after_s=args.quit_after_s,
        screenshot=args.screenshot,
        messages=runner.messages,
        notices=runner.notices,
        persist_settings=not unattended,
    )
    window = StudioWindow(runner, options)
    window.show()
    if runner.notices and not unattended:
        QTimer.singleShot(
            0,
            lambda: QMessageBox.information(
                window, "Recordings recovered", "\n".join(runner.notices)
            ),
        )
    window.start_session()
    # Ctrl-C in the terminal or a polite kill saves the take like closing the window.
    # (The handler runs when Python next runs: the stats timer wakes it every second.)
    restore = on_stop_signals(lambda _count: QTimer.singleShot(0, window.finish_and_quit))
    if unattended:
        QTimer.singleShot(int(args.quit_after_s * 1000), window.finish_and_quit)
    try:
        return app.exec()
    finally:
        restore()


def _application():
    from PySide6.QtGui import QIcon, QSurfaceFormat
    from PySide6.QtWidgets import QApplication

    from livedirector_desktop.config import assets_dir, logs_dir
    from livedirector_desktop.logs import add_rotating_file

    fmt = QSurfaceFormat()
    fmt.setSwapInterval(0)  # the engine paces frames; do not block the GUI on vsync
    QSurfaceFormat.setDefaultFormat(fmt)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("LiveDirector")
    icon = assets_dir() / "icon.png"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    add_rotating_file(logs_dir())  # always: a windowed build has no stderr to read
    return app


def _build(runner: SessionRunner, unattended: bool) -> None:
    """Build the session; on a first run, offer to install a missing model and try again."""
    from livedirector_desktop.core.errors import ModelMissingError

    try:
        runner.build()
    except ModelMissingError as exc:
        if unattended or not exc.model or not _install(exc, runner.settings):
            raise
        runner.build()


def _title(exc) -> str:
    from livedirector_desktop.core.errors import ModelMissingError

    if isinstance(exc, ModelMissingError):
        return "A model is missing"
    return "LiveDirector cannot start"


def _install(exc, settings) -> bool:
    """The first-run dialog: True once the missing model is installed."""
    from livedirector_desktop.ui.settings_dialog import InstallModelDialog

    dialog = InstallModelDialog(exc.model, exc.message, settings.models_path)
    return dialog.exec() == InstallModelDialog.DialogCode.Accepted
