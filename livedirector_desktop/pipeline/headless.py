"""Running a live session with no window: `livedirector live`, tests and benchmarks.

The session runs until a stop is asked (Ctrl-C), the time is up, or every source is a
file that has played out; then the recording is finished and saved like the studio does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from livedirector_desktop.core.events import RecordingChanged, ShotChanged, StreamChanged
from livedirector_desktop.core.types import Decision, RecordingResult
from livedirector_desktop.pipeline.live import LiveSession

# After the files have played out, the last sentence may still be waiting for its decision.
SETTLE_S = 1.5


def describe(event: Any, t0_ms: Callable[[], float]) -> str | None:
    """One line for the terminal about an engine event (None: not worth a line)."""
    if isinstance(event, Decision):
        shown = event.asset_id or "camera"
        return f"{event.at_ms / 1000:7.1f} s  {event.text!r} -> {shown} ({event.outcome})"
    if isinstance(event, ShotChanged) and event.cause not in ("director",):
        return f"{event.at_ms / 1000:7.1f} s  cut to {event.asset_id or 'camera'} ({event.cause})"
    if isinstance(event, RecordingChanged):
        return f"{t0_ms() / 1000:7.1f} s  recording {event.state}: {event.path} {event.error}"
    if isinstance(event, StreamChanged):
        why = f": {event.error}" if event.state == "reconnecting" and event.error else ""
        return f"{t0_ms() / 1000:7.1f} s  stream {event.state} {event.url}{why}"
    return None


def narrate(session: LiveSession, say: Callable[[str], None]) -> Callable[[], None]:
    """Say a line for each decision, cut, recording and stream change; returns the undo."""
    undo = [
        session.hub.subscribe(kind, lambda e: (line := describe(e, session.now_ms)) and say(line))
        for kind in (Decision, ShotChanged, RecordingChanged, StreamChanged)
    ]

    def unsubscribe() -> None:
        for u in undo:
            u()

    return unsubscribe


def wait_for_end(
    session: LiveSession,
    quit_after_s: float | None,
    stop: threading.Event,
    finish_outputs: Callable[[], None],
) -> None:
    """Return when a stop is asked, the time is up, or every source is a file that has
    played out: then `finish_outputs()` (the recording and stream end with the files) and
    SETTLE_S later, for the last sentence's decision, return."""
    started = time.monotonic()
    ended_at = None
    while not stop.wait(0.1):
        if quit_after_s is not None and time.monotonic() - started >= quit_after_s:
            return
        if session.sources_ended:
            if ended_at is None:
                finish_outputs()
                ended_at = time.monotonic()
            if time.monotonic() - ended_at >= SETTLE_S:
                return


def run_headless(
    session: LiveSession,
    record: Path | None = None,
    quit_after_s: float | None = None,
    stop: threading.Event | None = None,
    say: Callable[[str], None] | None = None,
    session_id: int | None = None,
    stream: str | None = None,
) -> RecordingResult | None:
    """Start, run until told or done, stop cleanly; returns the recording's result.

    A bare session (tests, benchmarks); `livedirector live` runs one through
    `runner.SessionRunner`, which adds recovery, session rows and the control API. With
    `stream`, the program also goes to that RTMP/SRT URL (reconnecting if it drops).
    """
    stop = stop or threading.Event()
    unsubscribe = narrate(session, say) if say is not None else (lambda: None)
    session.start()
    result: RecordingResult | None = None

    def finish_outputs() -> None:
        nonlocal result
        if session.recording:
            result = session.stop_recording()
        if session.streaming:
            session.stop_stream()

    try:
        if record is not None:
            session.start_recording(record, session_id)
        if stream:
            session.start_stream(stream)
        wait_for_end(session, quit_after_s, stop, finish_outputs)
    finally:
        finish_outputs()
        session.stop()
        unsubscribe()
    return result
