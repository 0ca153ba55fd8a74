"""What the creator commands a live session: take, clear, hold, veto, dismiss a figure, the
layout, the transition and captions. Each is told to the director and posted to the shot
planner under its lock (the tick applies the cuts), then told to the views and the
recording's log (conform honours the creator's choices).

`SessionCommands` is the part of `LiveSession` that takes them; it lives here to keep
live.py about listening, deciding and the tick. It uses the session's own attributes,
declared below; nothing else constructs it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from livedirector_desktop.core.events import ControlChanged, EventHub
from livedirector_desktop.core.figure import is_figure

if TYPE_CHECKING:
    from livedirector_desktop.compositor.scene import LiveScene
    from livedirector_desktop.director.director import Director
    from livedirector_desktop.director.planner import ShotPlanner
    from livedirector_desktop.pipeline.live_config import LiveConfig
    from livedirector_desktop.recorder.live_recording import LiveRecording


class SessionCommands:
    """The creator's commands to a LiveSession."""

    # The session's attributes these methods use (set by LiveSession.__init__).
    config: LiveConfig
    hub: EventHub
    scene: LiveScene
    director: Director
    planner: ShotPlanner
    t0_ns: int
    _plan_lock: threading.Lock
    _recording: LiveRecording | None
    now_ms: Callable[[], float]
    _open_ahead: Callable[[], None]

    def _control(self, name: str, value: Any) -> None:
        """Tell the views, and the recording's log (conform honours the creator's choices)."""
        rec = self._recording
        if rec is not None:
            rec.note_control(self.now_ms() - (rec.start_ns - self.t0_ns) / 1e6, name, value)
        self.hub.publish(ControlChanged(name, value))

    def take(self, asset_id: str) -> None:
        """Show this clip now and keep it (pinned) until cleared: manual choices win."""
        self.director.pin(asset_id)
        with self._plan_lock:
            self.planner.take(asset_id, self.now_ms())
        self._control("pinned", asset_id)
        # Opening the clip reads the file: never on the caller's (GUI) thread.
        threading.Thread(target=self._open_ahead, name="take", daemon=True).start()

    def clear(self) -> None:
        """Back to the camera now; releases a pinned clip."""
        self.director.clear(self.now_ms())
        with self._plan_lock:
            self.planner.clear(self.now_ms())
        self._control("pinned", None)

    def hold(self, on: bool) -> None:
        """Keep what is on screen, whatever is said, until released."""
        self.director.hold(on)
        with self._plan_lock:
            self.planner.hold(on, self.now_ms())
        self._control("hold", on)

    def veto(self, asset_id: str, vetoed: bool = True) -> None:
        """Never show this clip in this session (or allow it again)."""
        self.director.veto(asset_id, vetoed)
        with self._plan_lock:
            self.planner.veto(asset_id, self.now_ms(), vetoed)
        self._control("vetoed", sorted(self.director.controls().vetoed))

    def dismiss_figure(self) -> bool:
        """The figure on screen goes now and is not drawn again this session (the F key);
        False when no figure is up."""
        asset_id = self.scene.current.asset_id
        if not is_figure(asset_id):
            return False
        self.veto(asset_id)
        return True

    def set_layout(self, name: str) -> None:
        self.scene.set_layout(name)  # checks the name
        self.config.layout = name
        self.hub.publish(ControlChanged("layout", name))

    def set_transition(self, transition_ms: float) -> None:
        if transition_ms < 0:
            raise ValueError(f"transition {transition_ms} ms is negative")
        self.scene.transition_ms = float(transition_ms)
        self.config.transition_ms = float(transition_ms)
        self.hub.publish(ControlChanged("transition_ms", float(transition_ms)))

    def set_captions(self, on: bool) -> None:
        self.config.captions = bool(on)
        self.hub.publish(ControlChanged("captions", bool(on)))
