"""The scene model: layouts as rectangles, a timeline of segments, crossfades as alpha.

Defined once here and drawn by two compositors: the CPU one (render, recording, tests)
and the OpenGL preview in the studio. Everything is in output-relative units (0..1), so
one scene serves any resolution.
"""

from __future__ import annotations

import bisect
import dataclasses
import threading
from dataclasses import dataclass
from typing import Any

from livedirector_desktop.core.errors import BadInputError
from livedirector_desktop.core.figure import is_figure


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    def pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        """Even-aligned pixel rectangle (chroma planes are half size)."""

        def even(v: float) -> int:
            return round(v / 2) * 2

        x, y = even(self.x * width), even(self.y * height)
        w = min(even(self.w * width), width - x)
        h = min(even(self.h * height), height - y)
        return x, y, max(w, 2), max(h, 2)


@dataclass(frozen=True)
class Layer:
    role: str  # "camera" or "broll"
    rect: Rect
    fit: str  # "contain" (whole picture, bars around) or "cover" (fills, edges cropped)


FULL = Rect(0.0, 0.0, 1.0, 1.0)
# The caption line, when captions are on: a dark band near the bottom, over every layout.
CAPTION_BAND = Rect(0.04, 0.87, 0.92, 0.09)
CAMERA_ONLY = (Layer("camera", FULL, "cover"),)
# A figure the speaker said (core/figure.py) is a card over the speaker, beside their face
# (left by default: FigureStyle.side), in every layout.
FIGURE_RECT = Rect(0.04, 0.07, 0.42, 0.40)

# Layers are drawn in order, later ones on top.
LAYOUTS: dict[str, tuple[Layer, ...]] = {
    "fullscreen": (Layer("broll", FULL, "contain"),),
    "pip": (
        Layer("broll", FULL, "contain"),
        Layer("camera", Rect(0.70, 0.68, 0.27, 0.27), "cover"),
    ),
    "side-by-side": (
        Layer("camera", Rect(0.0, 0.0, 0.5, 1.0), "cover"),
        Layer("broll", Rect(0.5, 0.0, 0.5, 1.0), "contain"),
    ),
}


def layout(name: str) -> tuple[Layer, ...]:
    try:
        return LAYOUTS[name]
    except KeyError:
        raise BadInputError(
            f"unknown layout {name!r}", f"use one of: {', '.join(LAYOUTS)}"
        ) from None


@dataclass(frozen=True)
class Segment:
    """From start_ms (inclusive) to end_ms the program shows asset_id (None: the camera)."""

    start_ms: float
    end_ms: float
    asset_id: str | None
    confidence: float = 0.0
    text: str = ""
    path: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Shot:
    """One look of the program: which clip (or none) under which layout."""

    asset_id: str | None
    segment_index: int  # which segment it belongs to: B-roll time runs from its start

    def layers(self, layout_name: str) -> tuple[Layer, ...]:
        if self.asset_id is None or is_figure(self.asset_id):
            return CAMERA_ONLY  # a figure's card goes over the camera (figure_card.py)
        return layout(layout_name)


@dataclass(frozen=True)
class SceneState:
    """What to draw at one instant: `to` blended over `frm` with `alpha` (1 = only `to`)."""

    frm: Shot
    to: Shot
    alpha: float

    @property
    def in_transition(self) -> bool:
        return self.alpha < 1.0


class SegmentLog:
    """What was on screen when, as cuts happen: the one bookkeeping `render` and live share.

    At most one segment is open (its end unknown); the next cut closes it. Cutting to the
    clip already on screen changes nothing.
    """

    def __init__(self) -> None:
        self._closed: list[Segment] = []
        self._open: Segment | None = None

    @property
    def current(self) -> Segment | None:
        return self._open

    def cut(
        self,
        at_ms: float,
        asset_id: str | None,
        confidence: float = 0.0,
        text: str = "",
        path: str = "",
        reason: str = "",
    ) -> None:
        if self._open is not None and self._open.asset_id == asset_id:
            return
        if self._open is not None:
            self._closed.append(dataclasses.replace(self._open, end_ms=at_ms))
            self._open = None
        if asset_id:
            self._open = Segment(at_ms, float("inf"), asset_id, confidence, text, path, reason)

    def segments(self, end_ms: float, min_ms: float = 0.0) -> list[Segment]:
        """Every segment so far, the open one ending at end_ms; shorter than min_ms left out."""
        out = [*self._closed]
        if self._open is not None:
            out.append(dataclasses.replace(self._open, end_ms=end_ms))
        out = [dataclasses.replace(s, end_ms=min(s.end_ms, end_ms)) for s in out]
        return [s for s in out if s.end_ms - s.start_ms >= max(min_ms, 1e-9)]


class Timeline:
    """Segments in time order, gaps are camera; answers "what is on screen at t?"."""

    def __init__(self, segments: list[Segment], transition_ms: float = 500.0) -> None:
        self.segments = sorted(
            (s for s in segments if s.end_ms > s.start_ms), key=lambda s: s.start_ms
        )
        self.transition_ms = max(0.0, transition_ms)
        self._starts = [s.start_ms for s in self.segments]
        self._edges = sorted({e for s in self.segments for e in (s.start_ms, s.end_ms)})

    def shot_at(self, t_ms: float) -> Shot:
        i = bisect.bisect_right(self._starts, t_ms) - 1
        if i >= 0 and t_ms < self.segments[i].end_ms:
            return Shot(self.segments[i].asset_id, i)
        return Shot(None, -1)

    def state_at(self, t_ms: float) -> SceneState:
        now = self.shot_at(t_ms)
        if self.transition_ms <= 0:
            return SceneState(now, now, 1.0)
        # The last change at or before t: a segment start, or the end of one (back to camera).
        boundary = self._last_change_at_or_before(t_ms)
        if boundary is None or t_ms - boundary >= self.transition_ms:
            return SceneState(now, now, 1.0)
        before = self.shot_at(boundary - 1e-6)
        if before.asset_id == now.asset_id:
            return SceneState(now, now, 1.0)
        return SceneState(before, now, (t_ms - boundary) / self.transition_ms)

    def _last_change_at_or_before(self, t_ms: float) -> float | None:
        i = bisect.bisect_right(self._edges, t_ms) - 1
        return self._edges[i] if i >= 0 else None


class LiveScene:
    """The live counterpart of Timeline: shots cut in as decisions arrive, crossfading.

    Thread-safe: the director worker and the GUI cut, the compositor tick reads.
    """

    def __init__(self, transition_ms: float = 500.0, layout_name: str = "pip") -> None:
        layout(layout_name)
        self.layout_name = layout_name
        self.transition_ms = max(0.0, transition_ms)
        self._lock = threading.Lock()
        self._shot = Shot(None, 0)
        self._previous = Shot(None, 0)
        self._change_ms = float("-inf")
        self._next_id = 1
        self.shot_start_ms: dict[int, float] = {0: 0.0}

    def cut(self, asset_id: str | None, now_ms: float) -> Shot:
        """Cut to `asset_id` (None: the camera) with a crossfade. Back to the shot that is
        still fading out: the fade reverses from where it is (the same shot, its clip
        playing on) instead of jumping to the start of a new one."""
        with self._lock:
            if asset_id == self._shot.asset_id:
                return self._shot
            shown_ms = now_ms - self._change_ms
            if asset_id == self._previous.asset_id and 0 <= shown_ms < self.transition_ms:
                self._shot, self._previous = self._previous, self._shot
                self._change_ms = now_ms - (self.transition_ms - shown_ms)
                return self._shot
            self._previous = self._shot
            self._shot = Shot(asset_id, self._next_id)
            self.shot_start_ms[self._next_id] = now_ms
            self._next_id += 1
            self._change_ms = now_ms
            return self._shot

    def set_layout(self, name: str) -> None:
        layout(name)
        self.layout_name = name

    @property
    def next_shot_id(self) -> int:
        return self._next_id

    @property
    def current(self) -> Shot:
        return self._shot

    @property
    def since_ms(self) -> float:
        return self._change_ms

    def state_at(self, now_ms: float) -> SceneState:
        with self._lock:
            shot, prev, change = self._shot, self._previous, self._change_ms
        if self.transition_ms <= 0 or now_ms - change >= self.transition_ms:
            return SceneState(shot, shot, 1.0)
        return SceneState(prev, shot, max(0.0, (now_ms - change) / self.transition_ms))


@dataclass
class ProgramInputs:
    """What one tick of the program shows: drawn alike by the CPU compositor and the preview."""

    state: SceneState
    layout: str
    camera: Any  # core.types.Frame, or None before the first camera frame
    broll: dict[int, tuple[Any, int, int]]  # shot id -> I420 frame (numpy), width, height
    tick: int
    caption: str = ""  # the caption line, when captions are on
