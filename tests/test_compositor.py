"""Scene model and CPU compositor details: transitions, fitting, looping clips."""

from __future__ import annotations

import numpy as np
import pytest

from livedirector_desktop.compositor.scene import Rect, Segment, Timeline
from livedirector_desktop.core.geometry import fit_size
from livedirector_desktop.library.samples import write_clip
from livedirector_desktop.media.files import ClipSource


def test_timeline_crossfades_in_and_out():
    tl = Timeline([Segment(1000, 5000, "a"), Segment(5000, 8000, "b")], transition_ms=500)
    assert tl.state_at(500).to.asset_id is None and not tl.state_at(500).in_transition
    s = tl.state_at(1250)
    assert (s.frm.asset_id, s.to.asset_id, s.alpha) == (None, "a", 0.5)
    assert tl.state_at(2000).alpha == 1.0
    s = tl.state_at(5100)
    assert (s.frm.asset_id, s.to.asset_id) == ("a", "b") and abs(s.alpha - 0.2) < 1e-9
    s = tl.state_at(8250)  # back to the camera after the last clip
    assert (s.frm.asset_id, s.to.asset_id, s.alpha) == ("b", None, 0.5)
    assert Timeline([Segment(0, 1000, "a")], transition_ms=0).state_at(10).alpha == 1.0


@pytest.mark.parametrize(
    ("src", "box", "fit", "expected"),
    [
        ((1920, 1080), (640, 360), "contain", (640, 360)),
        ((1080, 1920), (640, 360), "contain", (202, 360)),
        ((640, 360), (172, 98), "cover", (176, 98)),
        ((640, 360), (320, 360), "cover", (640, 360)),
    ],
)
def test_fit_sizes_never_distort(src, box, fit, expected):
    w, h = fit_size(*src, *box, fit)
    assert (w, h) == expected and w % 2 == 0 and h % 2 == 0
    assert abs(w / h - src[0] / src[1]) < 0.03


def test_rects_are_even_and_inside():
    for r in (Rect(0.70, 0.68, 0.27, 0.27), Rect(0.5, 0.0, 0.5, 1.0)):
        x, y, w, h = r.pixels(854, 480)
        assert x % 2 == y % 2 == w % 2 == h % 2 == 0
        assert x + w <= 854 and y + h <= 480


def test_clip_source_loops_a_short_clip(tmp_path):
    clip = write_clip(
        {"id": "loop", "title": "Loop"},
        tmp_path / "loop.mp4",
        width=160,
        height=96,
        seconds=1.0,
        fps=10,
    )
    src = ClipSource(clip, 160, 96)
    first = [src.frame_at(t)[0].copy() for t in (0, 300, 600, 900)]
    again = [src.frame_at(t)[0] for t in (1000, 1300, 1600, 1900)]  # second time round
    for a, b in zip(first, again, strict=True):
        assert np.abs(a.astype(int) - b.astype(int)).mean() < 2
    assert np.abs(first[0].astype(int) - first[2].astype(int)).mean() > 2  # it does move
    src.close()


def test_unreadable_clip_gives_no_frames(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"nope")
    assert ClipSource(bad, 160, 96).frame_at(0) is None
