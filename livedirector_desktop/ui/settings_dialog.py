"""The Settings dialog, the first-run model installer and the About box.

The dialog is built from the settings model itself (config.setting_keys): each key's type,
choices and range pick its widget, its group picks the tab, its help becomes the tooltip.
A key added to the model appears here without a line of UI code. Saving goes through the
same validation as loading (config.save_settings), and keeps the user's comments.
"""

from __future__ import annotations

import platform
import threading
import typing
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from livedirector_desktop.config import (
    GROUPS,
    SECTIONS,
    Settings,
    group_of,
    logs_dir,
    save_settings,
    setting_keys,
    settings_path,
    validate,
)
from livedirector_desktop.core.errors import BadInputError, LiveDirectorError

INT_LIMIT = 2_000_000_000


def _limits(info: Any) -> tuple[float | None, float | None, bool]:
    """(lowest, highest, lowest excluded) from the field's ge/gt/le constraints."""
    low = high = None
    exclusive = False
    for m in info.metadata:
        if getattr(m, "ge", None) is not None:
            low = m.ge
        if getattr(m, "gt", None) is not None:
            low, exclusive = m.gt, True
        if getattr(m, "le", None) is not None:
            high = m.le
    return low, high, exclusive


def widget_for(info: Any, value: Any) -> QWidget:
    """The editor of one key, from its type, choices and range."""
    kind = info.annotation
    if typing.get_origin(kind) is typing.Literal:
        box = QComboBox()
        box.addItems([str(c) for c in typing.get_args(kind)])
        box.setCurrentText(str(value))
        return box
    if kind is bool:
        check = QCheckBox()
        check.setChecked(bool(value))
        return check
    low, high, exclusive = _limits(info)
    if kind is int:
        spin = QSpinBox()
        spin.setRange(
            int(low) + (1 if exclusive else 0) if low is not None else -INT_LIMIT,
            int(high) if high is not None else INT_LIMIT,
        )
        spin.setValue(int(value))
        return spin
    if kind is float:
        dspin = QDoubleSpinBox()
        dspin.setDecimals(3)
        dspin.setSingleStep(0.01)
        dspin.setRange(low if low is not None else -1e9, high if high is not None else 1e9)
        dspin.setValue(float(value))
        return dspin
    line = QLineEdit(str(value))
    return line


def widget_value(widget: QWidget) -> Any:
    if isinstance(widget, QComboBox):
        return widget.currentText()
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QSpinBox | QDoubleSpinBox):
        return widget.value()
    assert isinstance(widget, QLineEdit)
    return widget.text()


def _current(settings: Settings, key: str) -> Any:
    obj: Any = settings
    for part in key.split("."):
        obj = getattr(obj, part)
    return obj


class SettingsDialog(QDialog):
    """Every setting, grouped in tabs (devices, director, models, cloud, output)."""

    def __init__(self, settings: Settings, path: Path | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings
        self.path = path or settings_path()
        self.saved: Settings | None = None
        self.widgets: dict[str, QWidget] = {}
        tabs = QTabWidget()
        forms: dict[str, QFormLayout] = {}
        for group in GROUPS:
            page = QWidget()
            forms[group] = QFormLayout(page)
            tabs.addTab(page, group.capitalize())
        for key, info in setting_keys():
            widget = widget_for(info, _current(settings, key))
            widget.setObjectName(key)
            widget.setToolTip(info.description or "")
            label = QLabel(key.split(".")[-1].replace("_", " "))
            label.setToolTip(f"{key}: {info.description or ''}")
            forms[group_of(info)].addRow(label, widget)
            self.widgets[key] = widget
        self.error = QLabel("")
        self.error.setObjectName("settings-error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d33;")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(QLabel(f"Saved in {self.path}"))
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.tabs = tabs

    def values(self) -> dict[str, Any]:
        """The dialog's values as the settings file's shape (sections as tables)."""
        data: dict[str, Any] = {name: {} for name in SECTIONS}
        for key, widget in self.widgets.items():
            section, _, name = key.rpartition(".")
            (data[section] if section else data)[name] = widget_value(widget)
        return data

    def save(self) -> bool:
        """Validate and save; a bad value is refused with the message, nothing written."""
        try:
            checked = validate(self.values(), "settings")
            save_settings(checked, self.path)
        except BadInputError as exc:
            self.error.setText(exc.message)
            return False
        except OSError as exc:
            self.error.setText(f"could not save {self.path}: {exc}")
            return False
        # The caller's object is updated in place: the studio keeps its reference.
        for name in Settings.model_fields:
            setattr(self.settings, name, getattr(checked, name))
        self.saved = checked
        self.error.setText("")
        self.accept()
        return True


class _InstallSignals(QObject):
    progress = Signal(int, int)  # done, total (0 when unknown)
    finished = Signal(str)  # "" on success, else the error


class InstallModelDialog(QDialog):
    """First run: a model is missing. Offers to install it, with progress, instead of quitting."""

    def __init__(self, model: str, message: str, models_dir: Path, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("A model is missing")
        self.model, self.models_dir = model, models_dir
        self.result_error: str | None = None
        self.text = QLabel(f"{message}\n\nInstall {model!r} into {models_dir} now?")
        self.text.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.hide()
        self.buttons = QDialogButtonBox()
        self.install_button = self.buttons.addButton(
            "Install", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.buttons.addButton("Quit", QDialogButtonBox.ButtonRole.RejectRole)
        self.install_button.clicked.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(self.bar)
        layout.addWidget(self.buttons)
        self.signals = _InstallSignals()
        self.signals.progress.connect(self._on_progress)
        self.signals.finished.connect(self._on_finished)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        from livedirector_desktop import models

        self.install_button.setEnabled(False)
        self.bar.show()
        self.text.setText(f"Installing {self.model!r} into {self.models_dir}…")

        def work() -> None:
            try:
                models.install(
                    self.model,
                    self.models_dir,
                    progress=lambda done, total: self.signals.progress.emit(done, total or 0),
                )
            except (LiveDirectorError, OSError) as exc:
                self.signals.finished.emit(str(exc) or type(exc).__name__)
            else:
                self.signals.finished.emit("")

        self._thread = threading.Thread(target=work, name="model-install", daemon=True)
        self._thread.start()

    def _on_progress(self, done: int, total: int) -> None:
        if total:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(1000 * done / total))
        self.bar.setFormat(f"{done / 1e6:.1f} MB" + (f" of {total / 1e6:.1f} MB" if total else ""))

    def _on_finished(self, error: str) -> None:
        self.result_error = error
        if error:
            self.text.setText(f"Could not install {self.model!r}:\n{error}")
            self.install_button.setEnabled(True)
            self.bar.hide()
            return
        self.accept()


def versions() -> dict[str, str]:
    """Versions of the app and of the parts users report bugs against."""
    from importlib.metadata import PackageNotFoundError, version

    import PySide6

    out = {"LiveDirector": "", "Python": platform.python_version(), "Qt": PySide6.QtCore.qVersion()}
    for name, dist in (
        ("LiveDirector", "livedirector-desktop"),
        ("PySide6", "PySide6-Essentials"),
        ("PyAV", "av"),
        ("llama-cpp-python", "llama-cpp-python"),
        ("Chroma", "chromadb"),
        ("Vosk", "vosk"),
        ("OpenTimelineIO", "opentimelineio"),
    ):
        try:
            out[name] = version(dist)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def about_text() -> str:
    lines = [f"{name}: {v}" for name, v in versions().items()]
    lines += ["", f"Log folder: {logs_dir()}", f"Settings: {settings_path()}"]
    return "\n".join(lines)


def show_about(parent: QWidget | None = None) -> QMessageBox:
    box = QMessageBox(parent)
    box.setWindowTitle("About LiveDirector")
    box.setText(about_text())
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.open()
    return box
