"""Typed engine events and the small thread-safe hub that carries them.

Engine stages publish event dataclasses from their worker threads; subscribers are called
on the publishing thread, so a GUI must hop to its own thread (the Qt bridge in ui/ does
that with signals) and a network server must hand events to its own loop. Handlers must be
quick: the compositor tick publishes too.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from livedirector_desktop.core.types import RecordingResult

log = logging.getLogger(__name__)

E = TypeVar("E")


@dataclass(frozen=True)
class ShotChanged:
    """The program cut to a clip (asset_id) or back to the camera (None)."""

    asset_id: str | None
    shot_id: int
    at_ms: float  # session time
    cause: str  # the planner's Cut.cause: sentence, early, deferred, ended, moved on, manual, ...
    text: str = ""  # the sentence that asked for it, when one did


@dataclass(frozen=True)
class RecordingChanged:
    """A recording started, stopped (with its result) or failed."""

    state: str  # "started", "stopped", "failed"
    path: str
    result: RecordingResult | None = None
    error: str = ""


@dataclass(frozen=True)
class StreamChanged:
    """The stream's connection: "connecting", "live", "reconnecting" (error says why),
    "stopped", or "failed" (retrying cannot help: error says why)."""

    state: str
    url: str  # without the stream key
    error: str = ""


@dataclass(frozen=True)
class VirtualCameraChanged:
    """The virtual camera started ("started", device) or stopped, or could not ("failed")."""

    state: str
    device: str = ""
    error: str = ""


@dataclass(frozen=True)
class StatsUpdated:
    """Once a second: the session's frame, drop and latency counters (and the stream's)."""

    summary: dict[str, Any]


@dataclass(frozen=True)
class ControlChanged:
    """A setting of the running session changed (layout, transition, captions, hold, ...)."""

    name: str
    value: Any


class EventHub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handlers: dict[type, list[Callable[[Any], None]]] = defaultdict(list)

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> Callable[[], None]:
        """Call handler(event) for each event of this type (`object`: all); returns unsubscribe."""
        with self._lock:
            self._handlers[event_type].append(handler)

        def unsubscribe() -> None:
            with self._lock:
                if handler in self._handlers[event_type]:
                    self._handlers[event_type].remove(handler)

        return unsubscribe

    def publish(self, event: Any) -> None:
        with self._lock:
            handlers = [*self._handlers.get(type(event), ()), *self._handlers.get(object, ())]
        for handler in handlers:
            # A broken subscriber must not take down the stage that published.
            try:
                handler(event)
            except Exception:
                log.exception("event handler failed event=%s", type(event).__name__)
