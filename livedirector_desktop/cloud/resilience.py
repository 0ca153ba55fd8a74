"""Timeouts, bounded retries with backoff, and a circuit breaker for cloud calls."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class CircuitOpen(Exception):
    """The breaker is open: the service failed repeatedly; calls are refused until the cool-down."""


class CircuitBreaker:
    """Opens after `failures` consecutive failures; after `cooldown_s` one trial call is let
    through (half-open): success closes it, failure opens it again."""

    def __init__(
        self,
        failures: int = 5,
        cooldown_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failures, self.cooldown_s, self.clock = failures, cooldown_s, clock
        self._lock = threading.Lock()
        self._count = 0
        self._opened_at: float | None = None

    @property
    def state(self) -> str:
        with self._lock:
            if self._opened_at is None:
                return "closed"
            return "half-open" if self.clock() - self._opened_at >= self.cooldown_s else "open"

    def call(self, fn: Callable[[], T]) -> T:
        if self.state == "open":
            raise CircuitOpen(
                f"circuit open after {self.failures} failures; retrying after "
                f"{self.cooldown_s:.0f} s"
            )
        try:
            result = fn()
        except Exception:
            with self._lock:
                self._count += 1
                if self._count >= self.failures or self._opened_at is not None:
                    self._opened_at = self.clock()
            raise
        with self._lock:
            self._count = 0
            self._opened_at = None
        return result


def retry(
    fn: Callable[[], T],
    attempts: int,
    base_delay_s: float,
    retryable: Callable[[Exception], bool],
    deadline_s: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call fn up to `attempts` times, backing off exponentially (with jitter) on retryable
    errors, never past the deadline (a monotonic time)."""
    for attempt in range(attempts):
        try:
            return fn()
        except Exception as exc:
            last = attempt == attempts - 1
            delay = base_delay_s * (2**attempt) * (0.5 + random.random() / 2)
            if (
                last
                or not retryable(exc)
                or (deadline_s is not None and time.monotonic() + delay > deadline_s)
            ):
                raise
            sleep(delay)
    raise AssertionError("unreachable")
