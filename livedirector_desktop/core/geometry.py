"""Picture geometry shared by decoders and compositors."""

from __future__ import annotations

import math


def fit_size(src_w: int, src_h: int, box_w: int, box_h: int, fit: str) -> tuple[int, int]:
    """Size of the source scaled into the box without distortion, even-aligned."""
    if fit == "contain":
        scale = min(box_w / src_w, box_h / src_h)
        w, h = int(src_w * scale) // 2 * 2, int(src_h * scale) // 2 * 2
        return max(2, min(w, box_w)), max(2, min(h, box_h))
    # cover: never smaller than the box, or the crop would come up short
    scale = max(box_w / src_w, box_h / src_h)
    w, h = -(-math.ceil(src_w * scale) // 2) * 2, -(-math.ceil(src_h * scale) // 2) * 2
    return max(w, box_w), max(h, box_h)


# Program sizes by name, for live sessions (16:9) and `render` (which keeps the talk's aspect
# and takes only the height).
RESOLUTIONS: dict[str, tuple[int, int]] = {
    "480p": (854, 480),
    "720p": (1280, 720),
    "1080p": (1920, 1080),
    "2160p": (3840, 2160),
}
