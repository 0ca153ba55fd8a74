"""Counters of a live session: ticks, drops by kind, and per-stage latencies."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# camera_age: how old the camera picture is when a tick shows it (capture to tick);
# early_after_start: from a sentence's start to its clip going up early (while spoken)
STAGES = (
    "compose",
    "encode",
    "director",
    "sentence_to_screen",
    "camera_age",
    "early_after_start",
)


@dataclass
class LiveStats:
    ticks: int = 0
    late_ticks: int = 0
    camera_frames: int = 0
    camera_overwritten: int = 0  # frames the compositor never took: the camera outran it
    audio_blocks: int = 0
    video_dropped: int = 0  # program frames the encoder's queue let go (it fell behind)
    audio_dropped: int = 0  # audio blocks the recording's queue let go
    audio_silence_ms: float = 0.0  # silence written where audio was missing, to keep sync
    recognizer_dropped: int = 0
    frames_recorded: int = 0
    clips_too_late: int = 0  # decided after the speaker went on: not shown
    stage_ms: dict[str, deque] = field(
        default_factory=lambda: {k: deque(maxlen=300) for k in STAGES}
    )

    def summary(self) -> dict[str, Any]:
        def pct(values, q):
            return round(float(np.percentile(list(values), q)), 2) if values else None

        return {
            "ticks": self.ticks,
            "late_ticks": self.late_ticks,
            "late_share": round(self.late_ticks / self.ticks, 4) if self.ticks else 0.0,
            "camera_frames": self.camera_frames,
            "camera_overwritten": self.camera_overwritten,
            "audio_blocks": self.audio_blocks,
            "video_dropped": self.video_dropped,
            "audio_dropped": self.audio_dropped,
            "audio_silence_ms": round(self.audio_silence_ms, 1),
            "recognizer_dropped": self.recognizer_dropped,
            "frames_recorded": self.frames_recorded,
            "clips_too_late": self.clips_too_late,
            "stage_ms": {
                k: {"p50": pct(v, 50), "p95": pct(v, 95)} for k, v in self.stage_ms.items()
            },
        }
