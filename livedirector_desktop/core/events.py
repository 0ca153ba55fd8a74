"""A tiny thread-safe publish/subscribe hub.

Engine stages publish from their worker threads; subscribers are called on the publishing
thread, so a GUI must hop to its own thread (the Qt bridge in ui/ does that with signals).
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Handler = Callable[[str, Any], None]


class EventHub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._handlers: dict[str, list[Handler]] = defaultdict(list)

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]:
        """Call handler(topic, payload) on each publish to topic ("*": all); returns unsubscribe."""
        with self._lock:
            self._handlers[topic].append(handler)

        def unsubscribe() -> None:
            with self._lock:
                if handler in self._handlers[topic]:
                    self._handlers[topic].remove(handler)

        return unsubscribe

    def publish(self, topic: str, payload: Any = None) -> None:
        with self._lock:
            handlers = [*self._handlers.get(topic, ()), *self._handlers.get("*", ())]
        for handler in handlers:
            # A broken subscriber must not take down the stage that published.
            try:
                handler(topic, payload)
            except Exception:
                log.exception("event handler failed topic=%s", topic)
