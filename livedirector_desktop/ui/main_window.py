"""The studio window: program preview, transcript, suggestions, recording, library, sessions."""

from __future__ import annotations

import html
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from livedirector_desktop.compositor.scene import LAYOUTS
from livedirector_desktop.config import Settings, save_settings
from livedirector_desktop.core.errors import LiveDirectorError
from livedirector_desktop.core.events import (
    ControlChanged,
    RecordingChanged,
    StatsUpdated,
    StreamChanged,
    VirtualCameraChanged,
)
from livedirector_desktop.core.figure import figure_of
from livedirector_desktop.core.types import Decision, TranscriptEvent
from livedirector_desktop.runner import SessionRunner
from livedirector_desktop.ui.background import Background
from livedirector_desktop.ui.bridge import EngineBridge
from livedirector_desktop.ui.gl_view import ProgramView
from livedirector_desktop.ui.library_page import LibraryPage, thumbnail_icon
from livedirector_desktop.ui.sessions_page import SessionsPage

log = logging.getLogger(__name__)


@dataclass
class StudioOptions:
    quit_after_s: float | None = None
    screenshot: Path | None = None
    output_dir: Path | None = None
    messages: list[str] = field(default_factory=list)  # e.g. "no camera found"
    notices: list[str] = field(default_factory=list)  # e.g. "recovered session-….mp4"
    persist_settings: bool = True


class StudioWindow(QMainWindow):
    def __init__(self, runner: SessionRunner, options: StudioOptions) -> None:
        """The window over a runner's session (built, not yet started by the runner)."""
        super().__init__()
        self.runner, self.options = runner, options
        self.session = runner.require_session()
        self.settings: Settings = runner.settings
        self.sessions = runner.store
        self.background = Background(self)
        self.bridge = EngineBridge(self.session.hub, self)
        self.finals: list[str] = []
        self.partial = ""
        self.candidates: list = []
        self.icons: dict = {}
        self.preview_skipped = 0
        self._last_ticks, self._last_stats_t = 0, time.monotonic()
        self.setWindowTitle("LiveDirector Studio")
        self.resize(1280, 800)
        self._build()
        self.bridge.transcript.connect(self.on_transcript)
        self.bridge.decision.connect(self.on_decision)
        self.bridge.recording.connect(self.on_recording)
        self.bridge.control.connect(self.on_control)
        self.bridge.stream.connect(self.on_stream)
        self.bridge.virtual_camera.connect(self.on_virtual_camera)
        self.bridge.stats.connect(self.on_engine_stats)
        self.stream_text = ""
        self.bridge.program_ready.connect(self.on_program)
        self.stats_timer = QTimer(self, interval=1000)
        self.stats_timer.timeout.connect(self.update_stats)
        self.stats_timer.start()
        self._shortcuts()
        if options.messages:
            self.preview.set_message("\n".join(options.messages))
        if options.messages or options.notices:
            self.statusBar().showMessage("  ".join([*options.messages, *options.notices]))

    # ---------------------------------------------------------------- layout

    def _build(self) -> None:
        tabs = QTabWidget()
        self.setCentralWidget(tabs)
        studio = QSplitter(Qt.Orientation.Horizontal)
        studio.addWidget(self._program_panel())
        studio.addWidget(self._talk_panel())
        studio.setSizes([880, 400])
        tabs.addTab(studio, "Studio")
        self.library_page = LibraryPage(
            self.session.library, self.background, settings=self.settings
        )
        tabs.addTab(self.library_page, "Library")
        self.sessions_page = SessionsPage(self.sessions, self.session.library, self.background)
        self.sessions_page.figure_style = self.session.config.figure_style
        self.sessions_page.message.connect(self.statusBar().showMessage)
        tabs.addTab(self.sessions_page, "Sessions")
        self.tabs = tabs
        self._status_widgets()

    def _program_panel(self) -> QWidget:
        """The preview and, under it, the controls a creator reaches for while talking."""
        left = QWidget()
        lv = QVBoxLayout(left)
        self.preview = ProgramView(self.session.config.width, self.session.config.height)
        self.preview.figure_style = self.session.config.figure_style
        lv.addWidget(self.preview, 1)
        controls = QHBoxLayout()
        self.record_button = QPushButton("● Record  (R)")
        self.record_button.clicked.connect(self.toggle_record)
        self.layout_box = QComboBox()
        self.layout_box.addItems(list(LAYOUTS))
        self.layout_box.setCurrentText(self.session.config.layout)
        self.layout_box.currentTextChanged.connect(self.set_layout)
        self.hold_button = QPushButton("Hold  (H)")
        self.hold_button.setCheckable(True)
        self.hold_button.toggled.connect(self.session.hold)
        self.clear_button = QPushButton("Camera  (Esc)")
        self.clear_button.clicked.connect(self.session.clear)
        self.level = QProgressBar()
        self.level.setRange(-60, 0)
        self.level.setFormat("mic %v dB")
        self.level.setMaximumWidth(160)
        self.captions_button = QPushButton("Captions  (C)")
        self.captions_button.setCheckable(True)
        self.captions_button.setChecked(self.session.config.captions)
        self.captions_button.toggled.connect(self.set_captions)
        self.stream_button = QPushButton("Stream")
        self.stream_button.setCheckable(True)
        self.stream_button.setToolTip("Send the program to the stream URL in the settings")
        self.stream_button.clicked.connect(self.toggle_stream)
        self.vcam_button = QPushButton("Virtual camera")
        self.vcam_button.setCheckable(True)
        self.vcam_button.toggled.connect(self.toggle_virtual_camera)
        self.devices_button = QPushButton("Devices…")
        self.devices_button.clicked.connect(self.open_devices)
        self.settings_button = QPushButton("Settings…")
        self.settings_button.clicked.connect(self.open_settings)
        self.about_button = QPushButton("About")
        self.about_button.clicked.connect(self.open_about)
        for w in (
            self.record_button,
            QLabel("Layout (L)"),
            self.layout_box,
            self.hold_button,
            self.clear_button,
            self.captions_button,
            self.stream_button,
            self.vcam_button,
            self.devices_button,
            self.settings_button,
            self.about_button,
        ):
            controls.addWidget(w)
        controls.addStretch(1)
        controls.addWidget(self.level)
        lv.addLayout(controls)
        return left

    def _talk_panel(self) -> QWidget:
        """The transcript, the director's suggestions (take, veto) and its last decision."""
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.addWidget(QLabel("<b>Transcript</b>"))
        self.transcript_view = QTextBrowser()
        rv.addWidget(self.transcript_view, 2)
        rv.addWidget(QLabel("<b>Suggestions</b> — 1-9 take, V veto"))
        self.suggestions = QListWidget()
        self.suggestions.setIconSize(QSize(96, 54))
        self.suggestions.itemDoubleClicked.connect(
            lambda item: self.take_row(self.suggestions.row(item))
        )
        rv.addWidget(self.suggestions, 2)
        buttons = QHBoxLayout()
        take = QPushButton("Take / pin")
        take.clicked.connect(lambda: self.take_row(self.suggestions.currentRow()))
        veto = QPushButton("Veto")
        veto.clicked.connect(self.veto_selected)
        buttons.addWidget(take)
        buttons.addWidget(veto)
        rv.addLayout(buttons)
        self.decision_label = QLabel("")
        self.decision_label.setWordWrap(True)
        rv.addWidget(self.decision_label)
        return right

    def _status_widgets(self) -> None:
        self.stats_label = QLabel()
        self.statusBar().addPermanentWidget(self.stats_label)
        control = self.runner.control
        self.control_label = QLabel()
        if control is not None:
            # The token is the key to the studio: shown here, selectable, never logged.
            self.control_label.setText(
                f'Remote: <a href="{html.escape(control.page_url)}">{control.page_url}</a>'
            )
            self.control_label.setOpenExternalLinks(True)
            self.control_label.setTextInteractionFlags(
                Qt.TextInteractionFlag.TextBrowserInteraction
            )
            self.control_label.setToolTip(f"Control API: {control.url}")
            self.statusBar().addPermanentWidget(self.control_label)

    def _shortcuts(self) -> None:
        for n in range(1, 10):
            QShortcut(QKeySequence(str(n)), self, activated=lambda n=n: self.take_row(n - 1))
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.session.clear)
        QShortcut(QKeySequence("H"), self, activated=self.hold_button.toggle)
        QShortcut(QKeySequence("L"), self, activated=self.cycle_layout)
        QShortcut(QKeySequence("R"), self, activated=self.toggle_record)
        QShortcut(QKeySequence("V"), self, activated=self.veto_selected)
        QShortcut(QKeySequence("C"), self, activated=self.captions_button.toggle)
        QShortcut(QKeySequence("F"), self, activated=self.session.dismiss_figure)

    # ---------------------------------------------------------------- engine events

    def on_program(self) -> None:
        inputs = self.bridge.take_program()
        # The recording comes first: with no GPU the preview's OpenGL runs on the same cores,
        # so it skips frames while the encoder has a backlog.
        if inputs is not None and self.session.writer_backlog > 1:
            self.preview_skipped += 1
            return
        if inputs is not None:
            if inputs.camera is not None and self.preview.message and not self.options.messages:
                self.preview.set_message("")
            self.preview.show_inputs(inputs)

    def on_transcript(self, event: TranscriptEvent) -> None:
        if event.is_final:
            self.finals.append(event.text)
            self.finals = self.finals[-200:]
            self.partial = ""
        else:
            self.partial = event.text
        body = "".join(
            f'<p style="color:#111;margin:2px 0">{html.escape(t)}</p>' for t in self.finals[-40:]
        )
        if self.partial:
            body += f'<p style="color:#888;margin:2px 0"><i>{html.escape(self.partial)}</i></p>'
        self.transcript_view.setHtml(body)
        bar = self.transcript_view.verticalScrollBar()
        bar.setValue(bar.maximum())

    def on_decision(self, decision: Decision) -> None:
        if decision.candidates:
            self.candidates = decision.candidates[:9]
            self.suggestions.clear()
            for n, c in enumerate(self.candidates, 1):
                asset = self.session.library.get(c.asset_id)
                marker = "  ▶ on screen" if c.asset_id == decision.asset_id else ""
                item = QListWidgetItem(f"{n}. {c.title}  ({c.score:.2f}){marker}")
                if asset is not None:
                    item.setIcon(thumbnail_icon(asset, self.icons))
                item.setData(Qt.ItemDataRole.UserRole, c.asset_id)
                self.suggestions.addItem(item)
        figure = figure_of(decision.asset_id or "")
        shown = decision.asset_id or "camera"
        if figure is not None:
            shown = f"figure {figure.headline()} {figure.label()} (F dismisses it)"
        self.decision_label.setText(
            f"“{decision.text}” → <b>{html.escape(shown)}</b> via {decision.path}: "
            f"{html.escape(decision.reason)} ({decision.latency_ms.get('total', 0):.0f} ms)"
        )

    def on_control(self, change: ControlChanged) -> None:
        """Another view (the control API, a hotkey) changed a control: show it."""
        widgets = {
            "hold": (self.hold_button, self.hold_button.setChecked),
            "captions": (self.captions_button, self.captions_button.setChecked),
            "layout": (self.layout_box, self.layout_box.setCurrentText),
        }
        if change.name in widgets:
            widget, setter = widgets[change.name]
            widget.blockSignals(True)
            setter(change.value)
            widget.blockSignals(False)

    def on_recording(self, change: RecordingChanged) -> None:
        if change.state == "started":
            self.record_button.setText("■ Stop  (R)")
            self.record_button.setStyleSheet("color: white; background: #c0392b;")
        else:
            self.record_button.setText("● Record  (R)")
            self.record_button.setStyleSheet("")

    # ---------------------------------------------------------------- actions

    def take_row(self, row: int) -> None:
        if 0 <= row < len(self.candidates):
            self.session.take(self.candidates[row].asset_id)

    def veto_selected(self) -> None:
        item = self.suggestions.currentItem()
        if item is not None:
            self.session.veto(item.data(Qt.ItemDataRole.UserRole))
            item.setText(item.text() + "  ✕ vetoed")

    def set_layout(self, name: str) -> None:
        self.session.set_layout(name)
        self.settings.studio.layout = name
        self._save_settings()

    def open_devices(self) -> None:
        from livedirector_desktop.core.geometry import RESOLUTIONS
        from livedirector_desktop.media.devices import open_camera, open_mic
        from livedirector_desktop.ui.devices import DevicesDialog

        dialog = DevicesDialog(self.settings.studio, self.background, self)
        if dialog.exec() != DevicesDialog.DialogCode.Accepted:
            return
        studio = self.settings.studio
        old_camera, old_mic = studio.camera, studio.mic
        dialog.apply_to(studio)
        self.session.set_transition(float(studio.transition_ms))
        self._save_settings()
        notes = []
        if studio.camera != old_camera:
            size = (self.session.config.width, self.session.config.height)
            camera, why = open_camera(studio.camera, size, studio.fps)
            self.session.replace_camera(camera)
            notes.append(why or f"camera: {studio.camera}")
        if studio.mic != old_mic:
            if self.session.recording:
                notes.append("stop recording to switch microphones")
            else:
                mic, why = open_mic(studio.mic)
                self.session.replace_mic(mic)
                notes.append(why or f"microphone: {studio.mic}")
        if RESOLUTIONS.get(studio.resolution) != (
            self.session.config.width,
            self.session.config.height,
        ):
            notes.append("program size changes at the next start")
        self.statusBar().showMessage("  ".join(notes) or "Settings saved")

    def open_settings(self):
        """Every setting, validated and saved as the file is; most apply at the next start."""
        from livedirector_desktop.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, parent=self)
        dialog.open()
        dialog.accepted.connect(
            lambda: self.statusBar().showMessage(
                "Settings saved: devices and program size apply at the next start"
            )
        )
        return dialog

    def open_about(self):
        from livedirector_desktop.ui.settings_dialog import show_about

        return show_about(self)

    def set_captions(self, on: bool) -> None:
        self.session.set_captions(on)
        self.settings.studio.captions = on
        self._save_settings()

    def cycle_layout(self) -> None:
        names = list(LAYOUTS)
        self.layout_box.setCurrentText(
            names[(names.index(self.session.state().layout) + 1) % len(names)]
        )

    def _save_settings(self) -> None:
        if self.options.persist_settings:
            try:
                save_settings(self.settings)
            except OSError as exc:
                self.statusBar().showMessage(f"Settings not saved: {exc}")

    def output_dir(self) -> Path:
        return self.options.output_dir or self.settings.recordings_path

    def toggle_record(self) -> None:
        if self.session.recording:
            self.stop_record()
        else:
            path = self.runner.options.record or self.output_dir() / time.strftime(
                "session-%Y%m%d-%H%M%S.mp4"
            )
            self.start_record(path)

    def start_session(self) -> None:
        """Start the engine, then what the run asks for at once, through the controls."""
        self.session.start()
        run = self.runner.options
        if run.record:
            self.start_record(run.record)
        if run.stream:
            self.start_stream(run.stream)
        if run.virtual_camera:
            self.vcam_button.setChecked(True)

    def start_record(self, path: Path) -> None:
        self.runner.start_recording(path)
        self.statusBar().showMessage(f"Recording to {path}")

    def stop_record(self, then=None) -> None:
        def done(result, error) -> None:
            if error:
                QMessageBox.warning(self, "Recording could not be finished", str(error))
            elif result:
                self.statusBar().showMessage(f"Saved {result.path} with captions and timeline")
            self.sessions_page.refresh()
            if then:
                then()

        # Flushing the encoder takes a moment: not on the GUI thread.
        self.background.run(self.runner.stop_recording, done)

    # ---------------------------------------------------------------- going live

    def toggle_stream(self) -> None:
        if self.session.streaming:
            self.session.stop_stream()
            return
        url = self.settings.studio.stream_url
        if not url:
            self.stream_button.setChecked(False)
            QMessageBox.information(
                self,
                "No stream URL",
                "Set stream_url in the settings file (rtmp://HOST/APP/KEY, rtmps://… or "
                "srt://HOST:PORT), or start the studio with --stream URL.",
            )
            return
        self.start_stream(url)

    def start_stream(self, url: str) -> None:
        try:
            self.session.start_stream(url)
        except LiveDirectorError as exc:
            self.stream_button.setChecked(False)
            self.statusBar().showMessage(str(exc))
            return
        self.settings.studio.stream_url = url
        self.stream_button.setChecked(True)

    def on_stream(self, change: StreamChanged) -> None:
        on = change.state != "stopped"
        self.stream_button.blockSignals(True)
        self.stream_button.setChecked(on)
        self.stream_button.blockSignals(False)
        colors = {"live": "#c0392b", "connecting": "#d68910", "reconnecting": "#d68910"}
        self.stream_button.setText("Stream: " + change.state if on else "Stream")
        style = f"color: white; background: {colors[change.state]};" if on else ""
        self.stream_button.setStyleSheet(style if change.state in colors else "")
        if change.state == "reconnecting" and change.error:
            self.statusBar().showMessage(f"Stream {change.error}; reconnecting…")
        if not on:
            self.stream_text = ""

    def on_engine_stats(self, stats: StatsUpdated) -> None:
        stream = stats.summary.get("stream")
        self.stream_text = (
            f" · stream {stream['state']} {stream['bitrate_kbps']:.0f} kb/s, "
            f"dropped {stream['dropped_frames']}"
            if stream
            else ""
        )

    def toggle_virtual_camera(self, on: bool) -> None:
        if not on:
            self.session.stop_virtual_camera()
            return
        device = self.settings.studio.virtual_camera_device or None

        def done(result, error) -> None:
            if error:
                self.vcam_button.blockSignals(True)
                self.vcam_button.setChecked(False)
                self.vcam_button.blockSignals(False)
                QMessageBox.warning(self, "No virtual camera", str(error))

        # Opening a driver can take a moment: not on the GUI thread.
        self.background.run(lambda: self.session.start_virtual_camera(device), done)

    def on_virtual_camera(self, change: VirtualCameraChanged) -> None:
        if change.state == "started":
            self.statusBar().showMessage(f"Virtual camera on: {change.device}")

    def update_stats(self) -> None:
        stats = self.session.stats
        now = time.monotonic()
        fps = (stats.ticks - self._last_ticks) / max(now - self._last_stats_t, 1e-3)
        self._last_ticks, self._last_stats_t = stats.ticks, now
        late = stats.late_ticks / stats.ticks * 100 if stats.ticks else 0.0
        director = list(stats.stage_ms["director"])
        self.level.setValue(int(max(-60, min(0, self.session.level_dbfs))))
        self.stats_label.setText(
            f"{fps:.0f} fps · late {late:.1f}% · camera drops {stats.camera_overwritten} · "
            f"dropped video {stats.video_dropped} audio {stats.audio_dropped} · "
            f"preview paints {self.preview.paints} · "
            f"director {director[-1]:.0f} ms{self.stream_text}"
            if director
            else f"{fps:.0f} fps · late {late:.1f}% · camera drops {stats.camera_overwritten}"
            f"{self.stream_text}"
        )

    # ---------------------------------------------------------------- unattended runs

    def finish_and_quit(self) -> None:
        def close() -> None:
            if self.options.screenshot:
                self.options.screenshot.parent.mkdir(parents=True, exist_ok=True)
                self.grab().save(str(self.options.screenshot))
            self.close()

        if self.session.recording:
            self.stop_record(then=close)
        else:
            close()

    def closeEvent(self, event) -> None:
        self.stats_timer.stop()
        # The recording saved and its row finished, the control API closed, the stats written.
        self.runner.stop(
            report_extra={
                "preview_paints": self.preview.paints,
                "preview_camera_uploads": self.preview.camera_uploads,
                "studio": self.settings.studio.model_dump(),
            }
        )
        self.bridge.close()
        self.preview.release_gl()
        self.background.shutdown()
        super().closeEvent(event)
