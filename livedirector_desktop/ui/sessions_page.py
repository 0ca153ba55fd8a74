"""The sessions page: every recording, opened with a double click, and its final cut."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from livedirector_desktop.compositor.figure_card import FigureStyle
from livedirector_desktop.core.files import partial_name
from livedirector_desktop.library.library import Library
from livedirector_desktop.sessions.store import SessionStore
from livedirector_desktop.ui.background import Background

log = logging.getLogger(__name__)


class SessionsPage(QWidget):
    """The recordings of the sessions store; `final_cut` runs conform in the background."""

    progress = Signal(str, float, float)  # a final cut's stage, done, total (any thread)
    message = Signal(str)  # for the window's status bar

    def __init__(
        self, sessions: SessionStore, library: Library, background: Background, parent=None
    ) -> None:
        super().__init__(parent)
        self.sessions, self.library, self.background = sessions, library, background
        self.figure_style = FigureStyle()  # the window sets the studio's
        self.last_final_cut: Path | None = None
        self.final_cut_error = ""
        layout = QVBoxLayout(self)
        self.sessions_list = QListWidget()
        self.sessions_list.itemDoubleClicked.connect(self.open_session)
        layout.addWidget(self.sessions_list, 1)
        buttons = QHBoxLayout()
        open_button = QPushButton("Open recording")
        open_button.clicked.connect(lambda: self.open_session(self.sessions_list.currentItem()))
        self.final_cut_button = QPushButton("Final cut…")
        self.final_cut_button.setToolTip(
            "Re-render from the clean camera recording with each clip starting with its sentence"
        )
        self.final_cut_button.clicked.connect(
            lambda: self.final_cut(self.sessions_list.currentItem())
        )
        self.final_cut_progress = QProgressBar()
        self.final_cut_progress.setVisible(False)
        buttons.addWidget(open_button)
        buttons.addWidget(self.final_cut_button)
        buttons.addWidget(self.final_cut_progress, 1)
        layout.addLayout(buttons)
        self.progress.connect(self._on_progress)
        self.refresh()

    def refresh(self) -> None:
        self.sessions_list.clear()
        for rec in self.sessions.list():
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(rec.started_at))
            length = f"{(rec.duration_ms or 0) / 1000:.0f} s" if rec.finished else "unfinished"
            item = QListWidgetItem(
                f"{when}  {Path(rec.path).name}  {length}, {rec.sentences} sentences, "
                f"{rec.clips_shown} clips, {rec.layout}"
            )
            item.setData(Qt.ItemDataRole.UserRole, rec.path)
            self.sessions_list.addItem(item)

    def open_session(self, item) -> None:
        if item is None:
            return
        path = Path(item.data(Qt.ItemDataRole.UserRole))
        if not path.exists():
            partial = partial_name(path)
            path = partial if partial.exists() else path
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    def final_cut(self, item, output: Path | None = None) -> None:
        """`livedirector conform` for the selected recording, in the background."""
        if item is None:
            return
        from livedirector_desktop.pipeline.conform import conform

        recording = Path(item.data(Qt.ItemDataRole.UserRole))
        output = output or self._ask_output(recording)
        if output is None:
            return
        bar = self.final_cut_progress
        bar.setVisible(True)
        bar.setRange(0, 0)
        self.final_cut_button.setEnabled(False)

        def done(result, error) -> None:
            bar.setVisible(False)
            self.final_cut_button.setEnabled(True)
            if error:
                log.error("final cut of %s failed: %s", recording, error)
                self.final_cut_error = str(error)
                self.message.emit(f"The final cut could not be made: {error}")
                box = QMessageBox(
                    QMessageBox.Icon.Warning,
                    "The final cut could not be made",
                    str(error),
                    parent=self,
                )
                box.open()  # not modal: the studio goes on
                return
            self.last_final_cut = result.output
            self.message.emit(f"Final cut saved: {result.output}")

        self.background.run(
            lambda: conform(
                recording,
                output,
                self.library,
                progress=self.progress.emit,
                figure_style=self.figure_style,
            ),
            done,
        )

    def _ask_output(self, recording: Path) -> Path | None:
        from PySide6.QtWidgets import QFileDialog

        default = recording.with_name(f"{recording.stem}.final.mp4")
        chosen, _ = QFileDialog.getSaveFileName(
            self, "Save the final cut as", str(default), "MP4 video (*.mp4)"
        )
        return Path(chosen) if chosen else None

    def _on_progress(self, stage: str, done: float, total: float) -> None:
        bar = self.final_cut_progress
        bar.setRange(0, max(int(total), 1))
        bar.setValue(int(done))
        bar.setFormat(f"{stage} %p%")
