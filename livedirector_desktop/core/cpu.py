"""CPU time per thread (Linux /proc), for the studio's per-stage CPU share."""

from __future__ import annotations

import os
import threading


def thread_cpu_seconds() -> dict[str, float]:
    """User + system CPU seconds of each live Python thread, by thread name; {} off Linux."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    out: dict[str, float] = {}
    for thread in threading.enumerate():
        tid = thread.native_id
        try:
            with open(f"/proc/self/task/{tid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        seconds = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        name = thread.name.split(":")[0]
        out[name] = out.get(name, 0.0) + seconds
    return out
