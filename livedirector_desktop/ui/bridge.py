"""Engine events, published on worker threads, delivered as Qt signals on the GUI thread."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal

from livedirector_desktop.compositor.scene import ProgramInputs
from livedirector_desktop.core.events import (
    ControlChanged,
    EventHub,
    RecordingChanged,
    ShotChanged,
    StatsUpdated,
    StreamChanged,
    VirtualCameraChanged,
)
from livedirector_desktop.core.types import Decision, TranscriptEvent


class EngineBridge(QObject):
    transcript = Signal(object)  # TranscriptEvent
    decision = Signal(object)  # Decision
    shot = Signal(object)  # ShotChanged
    recording = Signal(object)  # RecordingChanged
    control = Signal(object)  # ControlChanged
    stats = Signal(object)  # StatsUpdated
    stream = Signal(object)  # StreamChanged
    virtual_camera = Signal(object)  # VirtualCameraChanged
    program_ready = Signal()

    def __init__(self, hub: EventHub, parent=None) -> None:
        super().__init__(parent)
        self._program = None
        self._program_lock = threading.Lock()
        self._program_pending = False
        self._unsubscribe = [
            hub.subscribe(TranscriptEvent, self.transcript.emit),
            hub.subscribe(Decision, self.decision.emit),
            hub.subscribe(ShotChanged, self.shot.emit),
            hub.subscribe(RecordingChanged, self.recording.emit),
            hub.subscribe(ControlChanged, self.control.emit),
            hub.subscribe(StatsUpdated, self.stats.emit),
            hub.subscribe(StreamChanged, self.stream.emit),
            hub.subscribe(VirtualCameraChanged, self.virtual_camera.emit),
            hub.subscribe(ProgramInputs, self._on_program),
        ]

    def _on_program(self, inputs: ProgramInputs) -> None:
        # Keep only the newest; signal once until the GUI has taken it, so a busy GUI
        # thread skips frames instead of queueing a backlog.
        with self._program_lock:
            self._program = inputs
            if self._program_pending:
                return
            self._program_pending = True
        self.program_ready.emit()

    def take_program(self) -> ProgramInputs | None:
        with self._program_lock:
            self._program_pending = False
            return self._program

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
