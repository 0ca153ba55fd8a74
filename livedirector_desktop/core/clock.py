"""One monotonic clock for the whole app: every timestamp is nanoseconds from it."""

from __future__ import annotations

import time


def now_ns() -> int:
    return time.monotonic_ns()
