"""One monotonic clock for the whole app: every timestamp is nanoseconds from it."""

from __future__ import annotations

import time


def now_ns() -> int:
    return time.monotonic_ns()


def elapsed_ms(start_ns: int, end_ns: int | None = None) -> float:
    return ((end_ns if end_ns is not None else time.monotonic_ns()) - start_ns) / 1e6
