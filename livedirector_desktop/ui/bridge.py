"""Engine events, published on worker threads, delivered as Qt signals on the GUI thread."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal

from livedirector_desktop.core.events import EventHub


class EngineBridge(QObject):
    transcript = Signal(object)
    decision = Signal(object)
    shot = Signal(object)
    recording = Signal(object)
    program_ready = Signal()

    def __init__(self, hub: EventHub, parent=None) -> None:
        super().__init__(parent)
        self._program = None
        self._program_lock = threading.Lock()
        self._program_pending = False
        self._unsubscribe = [
            hub.subscribe("transcript", lambda _t, e: self.transcript.emit(e)),
            hub.subscribe("decision", lambda _t, d: self.decision.emit(d)),
            hub.subscribe("shot", lambda _t, s: self.shot.emit(s)),
            hub.subscribe("recording", lambda _t, r: self.recording.emit(r)),
            hub.subscribe("program", self._on_program),
        ]

    def _on_program(self, _topic, inputs) -> None:
        # Keep only the newest; signal once until the GUI has taken it, so a busy GUI
        # thread skips frames instead of queueing a backlog.
        with self._program_lock:
            self._program = inputs
            if self._program_pending:
                return
            self._program_pending = True
        self.program_ready.emit()

    def take_program(self):
        with self._program_lock:
            self._program_pending = False
            return self._program

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
