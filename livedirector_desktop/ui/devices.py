"""The device picker: camera, microphone, frame rate and the recordings folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from livedirector_desktop.config import StudioSettings
from livedirector_desktop.ui.background import Background


class DevicesDialog(QDialog):
    def __init__(self, studio: StudioSettings, background: Background, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Devices and recording")
        form = QFormLayout(self)
        self.camera = QComboBox(editable=True)
        self.camera.addItem(studio.camera)
        self.mic = QComboBox(editable=True)
        self.mic.addItem(studio.mic)
        self.note = QLabel("Looking for devices…")
        self.resolution = QComboBox()
        self.resolution.addItems(["720p", "1080p", "480p"])
        self.resolution.setCurrentText(studio.resolution)
        self.fps = QSpinBox(minimum=15, maximum=60, value=studio.fps)
        self.transition = QSpinBox(
            minimum=0, maximum=3000, singleStep=100, value=studio.transition_ms
        )
        self.output = QLineEdit(studio.output_dir)
        browse = QPushButton("…")
        browse.clicked.connect(self._browse)
        out_row = QWidget()
        row = QHBoxLayout(out_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.output, 1)
        row.addWidget(browse)
        form.addRow("Camera (number or video file)", self.camera)
        form.addRow("Microphone (name, number or file)", self.mic)
        form.addRow("", self.note)
        form.addRow("Program size (after restart)", self.resolution)
        form.addRow("Frame rate (after restart)", self.fps)
        form.addRow("Crossfade (ms)", self.transition)
        form.addRow("Recordings folder", out_row)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        background.run(self._probe, self._show_devices)

    @staticmethod
    def _probe():
        from livedirector_desktop.media.sources import list_cameras, list_microphones

        return list_cameras(), list_microphones()

    def _show_devices(self, found, error) -> None:
        if error:
            self.note.setText(f"Device search failed: {error}")
            return
        cameras, (mics, why) = found
        for cam in cameras:
            if self.camera.findText(cam) < 0:
                self.camera.addItem(cam)
        if self.mic.findText("default") < 0:
            self.mic.addItem("default")
        for mic in mics:
            if self.mic.findText(mic) < 0:
                self.mic.addItem(mic)
        self.note.setText(f"{len(cameras)} camera(s), {len(mics)} microphone(s). {why}".strip())

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Recordings folder", self.output.text())
        if folder:
            self.output.setText(folder)

    def apply_to(self, studio: StudioSettings) -> None:
        studio.camera = self.camera.currentText().strip() or "0"
        studio.mic = self.mic.currentText().strip() or "default"
        studio.resolution = self.resolution.currentText()
        studio.fps = self.fps.value()
        studio.transition_ms = self.transition.value()
        studio.output_dir = (
            str(Path(self.output.text().strip()).expanduser()) if self.output.text().strip() else ""
        )
