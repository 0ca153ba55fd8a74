"""CPU time per thread (Linux /proc), for the studio's per-stage CPU share.

Native threads count too: x264's encoder threads, FFmpeg's decoder threads, Mesa's
llvmpipe rasterizer threads (OpenGL on the CPU), onnxruntime's and llama.cpp's workers.
Python threads are named by their thread name, native ones by their kernel name.
"""

from __future__ import annotations

import os
import re
import threading


def _group(name: str) -> str:
    """Fold numbered worker threads (llvmpipe-3, ui-bg_1) into one group."""
    return re.sub(r"[-_:]?\d+$", "", name.split(":")[0]) or name


def thread_cpu_seconds() -> dict[str, float]:
    """CPU seconds (user + system) so far of every thread of this process, grouped by name."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    python_names = {t.native_id: t.name for t in threading.enumerate()}
    out: dict[str, float] = {}
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/self/task/{tid}/stat") as fh:
                raw = fh.read()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 1 :].split()
        seconds = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        name = _group(python_names.get(int(tid), comm))
        out[name] = out.get(name, 0.0) + seconds
    return out


def since(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds spent between two snapshots (threads that started in between count whole)."""
    return {
        k: round(v - before.get(k, 0.0), 3) for k, v in after.items() if v - before.get(k, 0.0) > 0
    }
