"""One live session from start to stop, for every view of it: `livedirector live` and the studio.

The views differ in what they show, not in what happens, so that lives here once:
recordings a crash cut off are finished before anything new is recorded; the session is
built from the settings, the run's flags overriding them for this run only (nothing is
written back); the control API is served when asked, and a port that cannot be opened is
a message, not a failed session; every recording has its session row, begun when it starts
and finished when it is saved; SIGINT and SIGTERM stop the session cleanly; the stats file
is written at the end. (PySceneDetect splits its CLI the same way: a context the commands
fill, a controller that runs them.)
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from livedirector_desktop.config import Settings, data_dir
from livedirector_desktop.core.errors import LiveDirectorError
from livedirector_desktop.core.files import write_atomic
from livedirector_desktop.core.types import RecordingResult
from livedirector_desktop.engine import (
    SessionOptions,
    build_live_session,
    recover_recordings,
    session_report,
)
from livedirector_desktop.sessions.store import SessionStore

if TYPE_CHECKING:
    from livedirector_desktop.control.server import ControlServer
    from livedirector_desktop.pipeline.live import LiveSession

log = logging.getLogger(__name__)


@dataclass
class RunOptions(SessionOptions):
    """A session's choices plus what is done with it; None means "as in the settings"."""

    record: Path | None = None  # start recording here at once
    stream: str | None = None  # start streaming here at once
    virtual_camera: bool = False
    control_port: int | None = None  # None: as in the settings (0 there: off)
    control_token: str | None = None
    stats_json: Path | None = None  # written when the session stops


class SessionRunner:
    """Recover, build, serve, record (with session rows), stop, report: in that order."""

    def __init__(
        self, options: RunOptions, settings: Settings, store: SessionStore | None = None
    ) -> None:
        self.options, self.settings = options, settings
        self._store = store
        self.session: LiveSession | None = None
        self.control: ControlServer | None = None
        self.notices: list[str] = []  # what recovery did, a line a recording
        self.messages: list[str] = []  # what the user should be told: no camera, no port, ...
        self.session_id: int | None = None
        self.last_result: RecordingResult | None = None
        self._stopped = False

    @classmethod
    def for_session(
        cls, session: LiveSession, settings: Settings, store: SessionStore | None = None
    ) -> SessionRunner:
        """A runner over a session built elsewhere (tests and benchmarks build their own)."""
        runner = cls(RunOptions(), settings, store)
        runner.session = session
        return runner

    @property
    def store(self) -> SessionStore:
        if self._store is None:
            self._store = SessionStore(data_dir() / "sessions.sqlite")
        return self._store

    # ---------------------------------------------------------------- before the session

    def recover(self) -> list[str]:
        """Finish recordings a crash cut off (also beside --record); a line about each."""
        record = self.options.record
        self.notices = recover_recordings(self.settings, [record.parent] if record else [])
        return self.notices

    def build(self) -> LiveSession:
        """The session of the settings and options (raises on a bad choice or a missing
        model the session cannot run without; a missing device is only a message)."""
        self.session, messages = build_live_session(self.options, self.settings)
        self.messages.extend(messages)
        return self.session

    def serve_control(self) -> ControlServer | None:
        """The control API when a port is given (option, else settings); None when off or
        when it cannot listen (then a message says why and the session goes on)."""
        studio, port = self.settings.studio, self.options.control_port
        port = studio.control_port if port is None else port
        if not port or self.session is None:
            return None
        from livedirector_desktop.control.server import ControlServer

        token = self.options.control_token or studio.control_token or None
        try:
            server = ControlServer(self.session, port, token)
            server.start()
        except LiveDirectorError as exc:
            self.messages.append(f"No control API: {exc}")
            return None
        self.control = server
        return server

    # ---------------------------------------------------------------- the session

    def start(self) -> None:
        """Start the session and what the options ask for at once (record, stream, vcam)."""
        session = self.require_session()
        session.start()
        if self.options.record:
            self.start_recording(self.options.record)
        if self.options.stream:
            session.start_stream(self.options.stream)
        if self.options.virtual_camera:
            device = session.start_virtual_camera(
                self.settings.studio.virtual_camera_device or None
            )
            self.messages.append(f"virtual camera: {device}")

    def start_recording(self, path: Path) -> int:
        """Record the program to `path`, with a session row begun for it (its id)."""
        session = self.require_session()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.session_id = self.store.begin(path, session.config.layout)
        session.start_recording(path, self.session_id)
        return self.session_id

    def stop_recording(self) -> RecordingResult | None:
        """Finish the recording and its sidecars, and its session row; what was saved."""
        result = self.require_session().stop_recording()
        self._finish_row(result)
        return result

    def stop(self, report_extra: dict[str, Any] | None = None) -> RecordingResult | None:
        """Stop everything: the recording (saved), stream, virtual camera, session, control
        API; then the stats file (with the view's `report_extra`). Safe to call twice.
        Returns the last recording's result."""
        if self._stopped or self.session is None:
            return self.last_result
        self._stopped = True
        session = self.session
        try:
            if session.recording:
                self.stop_recording()
        finally:
            session.stop_virtual_camera()
            session.stop()
            if self.control is not None:
                self.control.stop()
            if self.options.stats_json:
                self.write_report(self.options.stats_json, **(report_extra or {}))
        return self.last_result

    def run(
        self,
        stop: threading.Event,
        quit_after_s: float | None = None,
        say: Callable[[str], None] | None = None,
    ) -> RecordingResult | None:
        """Without a window: start, run until `stop`, the time is up or the files played
        out, then stop; what the recording saved (None without one)."""
        from livedirector_desktop.pipeline.headless import narrate, wait_for_end

        session = self.require_session()
        unsubscribe = narrate(session, say) if say is not None else (lambda: None)
        try:
            self.start()
            wait_for_end(session, quit_after_s, stop, self._finish_outputs)
        finally:
            try:
                self.stop()
            finally:
                unsubscribe()
        return self.last_result

    # ---------------------------------------------------------------- after

    def report(self, **extra: Any) -> dict[str, Any]:
        """What the session did: counters, latencies, decisions, the recording, CPU."""
        return {**session_report(self.require_session(), self.last_result), **extra}

    def write_report(self, path: Path, **extra: Any) -> None:
        write_atomic(path, json.dumps(self.report(**extra), indent=2))

    # ---------------------------------------------------------------- helpers

    def require_session(self) -> LiveSession:
        """The built session (build() or for_session() first)."""
        if self.session is None:
            raise RuntimeError("SessionRunner.build() first")
        return self.session

    def _finish_outputs(self) -> None:
        session = self.require_session()
        if session.recording:
            self.stop_recording()
        if session.streaming:
            session.stop_stream()

    def _finish_row(self, result: RecordingResult | None) -> None:
        if result is None:
            return
        self.last_result = result
        if self.session_id is not None:
            self.store.finish(
                self.session_id, result.duration_ms, result.sentences, result.clips_shown
            )
            self.session_id = None


def on_stop_signals(callback: Callable[[int], None]) -> Callable[[], None]:
    """Call `callback(count)` on SIGINT and SIGTERM (count: how many so far); returns a
    function that puts the previous handlers back. Main thread only (Python's rule)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    count = 0

    def handler(_signum, _frame) -> None:
        nonlocal count
        count += 1
        callback(count)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore
