"""Data passed between stages. Plain dataclasses: no behaviour, no imports of ours."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class Analysis:
    """What a reasoner made of a sentence."""

    query: str
    topic: str = ""
    visual_concepts: tuple[str, ...] = ()
    sentiment: str = ""
    is_filler: bool = False
    source: str = ""  # which backend answered ("llm", "bedrock", ...): the decision's path
    note: str = ""  # e.g. why a preferred backend was passed over


@dataclass(frozen=True)
class Candidate:
    asset_id: str
    title: str
    score: float

    def to_json(self) -> dict[str, Any]:
        return {"asset_id": self.asset_id, "title": self.title, "score": round(self.score, 4)}


class Outcome(StrEnum):
    """What a decision does to the program; code branches on this, never on reason text."""

    SHOW = "show"  # this clip goes (or stays) on screen
    CAMERA = "camera"  # back to (or stay on) the camera
    KEEP = "keep"  # held by you: whatever is on screen stays
    DEFERRED = (
        "deferred"  # read from logs of versions before the shot planner (director/planner.py)
    )


@dataclass
class Decision:
    """The director's answer for one sentence: a clip to show, or nothing (asset_id None)."""

    text: str
    query: str
    asset_id: str | None
    confidence: float
    candidates: list[Candidate]
    path: str  # which route decided: "llm", "fallback", "manual", "error"
    reason: str  # why this clip or why nothing, in a few words
    latency_ms: dict[str, float] = field(default_factory=dict)
    at_ms: float = 0.0  # timeline time the decision applies from
    wanted_asset_id: str | None = None  # with DEFERRED (older logs): what followed later
    outcome: Outcome = Outcome.CAMERA

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "query": self.query,
            "decision": (
                {"asset_id": self.asset_id, "confidence": round(self.confidence, 4)}
                if self.asset_id
                else None
            ),
            "candidates": [c.to_json() for c in self.candidates],
            "path": self.path,
            "outcome": str(self.outcome),
            "reason": self.reason,
            "latency_ms": {k: round(v, 2) for k, v in self.latency_ms.items()},
        }


@dataclass(frozen=True)
class TranscriptEvent:
    """A recognizer's output: partial text while speaking, final text with word timings."""

    text: str
    is_final: bool
    start_ms: float = 0.0
    end_ms: float = 0.0
    words: tuple[tuple[str, float, float], ...] = ()


@dataclass(frozen=True)
class Frame:
    """A video frame in I420 (yuv420p, shape (height * 3 / 2, width)), stamped at capture."""

    image: Any  # numpy uint8 array
    width: int
    height: int
    pts_ns: int  # monotonic capture time
    seq: int = 0  # increases by one per frame of a source: "is this frame new?"


@dataclass(frozen=True)
class AudioBlock:
    """Audio samples (n, channels) float32, stamped at capture (time of the first sample)."""

    samples: Any
    sample_rate_hz: int
    pts_ns: int


@dataclass
class RecordingResult:
    """What a finished recording saved: the file, how long, and its sidecars."""

    path: str
    duration_ms: float
    sidecars: list[str] = field(default_factory=list)
    sentences: int = 0
    clips_shown: int = 0
    layout: str = ""
    camera: str | None = None  # the clean camera copy beside it, when one was finished

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "duration_ms": round(self.duration_ms, 1),
            "sidecars": list(self.sidecars),
            "sentences": self.sentences,
            "clips_shown": self.clips_shown,
            "layout": self.layout,
            "camera": self.camera,
        }
