"""The CPU compositor: draws a SceneState into an I420 (yuv420p) frame with uint8 + OpenCV.

Frames stay in the encoder's own format from decode to encode: no RGB round trip, no
float per pixel. A camera-only instant costs nothing here (the caller passes the decoded
frame through); B-roll costs a resize per plane, a paste, and a blend during crossfades.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache

import cv2
import numpy as np

from livedirector_desktop.compositor.figure_card import FigureStyle, draw_figure
from livedirector_desktop.compositor.scene import CAPTION_BAND, Layer, SceneState, Shot
from livedirector_desktop.core.figure import figure_of
from livedirector_desktop.core.geometry import fit_size

BLACK_Y, BLACK_UV = 16, 128


def planes(i420: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Views of Y, U, V in an array shaped (height * 3 / 2, width), as PyAV gives it."""
    y = i420[:height]
    chroma = i420[height:].reshape(2, height // 2, width // 2)
    return y, chroma[0], chroma[1]


def black(width: int, height: int) -> np.ndarray:
    frame = np.empty((height * 3 // 2, width), dtype=np.uint8)
    frame[:height] = BLACK_Y
    frame[height:] = BLACK_UV
    return frame


def _resize_plane(plane: np.ndarray, w: int, h: int) -> np.ndarray:
    if plane.shape[1] == w and plane.shape[0] == h:
        return plane
    shrinking = w < plane.shape[1]
    return cv2.resize(
        plane, (w, h), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    )


def draw_into(
    dst: np.ndarray,
    dst_w: int,
    dst_h: int,
    src: np.ndarray,
    src_w: int,
    src_h: int,
    rect: tuple[int, int, int, int],
    fit: str,
) -> None:
    """Scale src (I420) into rect of dst (I420), keeping its aspect: bars or crop."""
    x, y, w, h = rect
    fw, fh = fit_size(src_w, src_h, w, h, fit)
    d_planes = planes(dst, dst_w, dst_h)
    s_planes = planes(src, src_w, src_h)
    for n, (dp, sp) in enumerate(zip(d_planes, s_planes, strict=True)):
        k = 1 if n == 0 else 2  # chroma is half size
        bx, by, bw, bh = x // k, y // k, w // k, h // k
        pw, ph = fw // k, fh // k
        scaled = _resize_plane(sp, pw, ph)
        if fit == "contain":
            dp[by : by + bh, bx : bx + bw] = BLACK_Y if n == 0 else BLACK_UV
            ox, oy = bx + (bw - pw) // 2, by + (bh - ph) // 2
            dp[oy : oy + ph, ox : ox + pw] = scaled
        else:  # cover: crop the centre of the scaled picture
            cx, cy = (pw - bw) // 2, (ph - bh) // 2
            dp[by : by + bh, bx : bx + bw] = scaled[cy : cy + bh, cx : cx + bw]


# Returns the B-roll frame (I420 array, width, height) of a shot, or None if unavailable.
BrollFetcher = Callable[[Shot], "tuple[np.ndarray, int, int] | None"]


class CpuCompositor:
    def __init__(
        self,
        width: int,
        height: int,
        layout_name: str,
        figure_style: FigureStyle | None = None,
        font_path: str | None = None,
    ) -> None:
        if width % 2 or height % 2:
            raise ValueError("output width and height must be even")
        self.width, self.height = width, height
        self.layout_name = layout_name
        self.figure_style = figure_style or FigureStyle()
        self.font_path = default_font() if font_path is None else font_path
        # Reused output buffers: a fresh 3 MB array per 1080p frame costs page faults. The
        # caller must use (encode) a returned picture before asking for the next one.
        self._black = black(width, height)
        self._buffers = [np.empty_like(self._black) for _ in range(3)]

    def draw_shot(
        self,
        shot: Shot,
        camera: np.ndarray,
        cam_w: int,
        cam_h: int,
        broll: tuple[np.ndarray, int, int] | None,
        slot: int = 0,
    ) -> np.ndarray:
        layers: tuple[Layer, ...] = shot.layers(self.layout_name)
        figure = figure_of(shot.asset_id) if shot.asset_id else None
        if shot.asset_id is not None and broll is None:
            layers = Shot(None, -1).layers(self.layout_name)  # clip unreadable: camera
        if (
            figure is None
            and len(layers) == 1
            and layers[0].role == "camera"
            and (cam_w, cam_h) == (self.width, self.height)
        ):
            return camera
        out = self._buffers[slot]
        np.copyto(out, self._black)
        for layer in layers:
            rect = layer.rect.pixels(self.width, self.height)
            if layer.role == "camera":
                draw_into(out, self.width, self.height, camera, cam_w, cam_h, rect, layer.fit)
            elif broll is not None:
                frame, bw, bh = broll
                draw_into(out, self.width, self.height, frame, bw, bh, rect, layer.fit)
        if figure is not None:
            draw_figure(out, self.width, self.height, figure, self.figure_style, self.font_path)
        return out

    def draw(
        self, state: SceneState, camera: np.ndarray, cam_w: int, cam_h: int, fetch: BrollFetcher
    ) -> np.ndarray:
        to = self.draw_shot(state.to, camera, cam_w, cam_h, _clip(state.to, fetch))
        if not state.in_transition:
            return to
        frm = self.draw_shot(state.frm, camera, cam_w, cam_h, _clip(state.frm, fetch), 1)
        return cv2.addWeighted(to, state.alpha, frm, 1.0 - state.alpha, 0.0, dst=self._buffers[2])


def _clip(shot: Shot, fetch: BrollFetcher):
    """The shot's B-roll frame: none for the camera, nor for a figure (drawn, not played)."""
    if shot.asset_id is None or figure_of(shot.asset_id) is not None:
        return None
    return fetch(shot)


# Rendered caption bands by (text, size, font): the writer thread draws the same caption on
# every frame for seconds, so FreeType runs once per caption, not once per frame.
_BAND_CACHE: OrderedDict[tuple[str, int, int, str], np.ndarray] = OrderedDict()
_BAND_CACHE_SIZE = 32
BAND_Y, TEXT_Y = 32, 235


def caption_band(text: str, w: int, h: int, font_path: str) -> np.ndarray:
    """The caption band's luma (h x w): white text on dark, the newest words kept if long."""
    key = (text, w, h, font_path)
    band = _BAND_CACHE.get(key)
    if band is not None:
        _BAND_CACHE.move_to_end(key)
        return band
    from PIL import Image, ImageDraw

    from livedirector_desktop.compositor.caption_font import load_font

    font = load_font(font_path, max(8, round(h * 0.6)))
    # Keep the end of a long line: the newest words are what is being said.
    while text and font.getlength(text) > w - h:
        text = text[text.find(" ", 1) + 1 :] if " " in text[1:] else text[1:]
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).text((w / 2, h / 2), text, fill=255, font=font, anchor="mm")
    alpha = np.asarray(mask, dtype=np.uint16)
    band = (BAND_Y + alpha * (TEXT_Y - BAND_Y) // 255).astype(np.uint8)
    _BAND_CACHE[key] = band
    if len(_BAND_CACHE) > _BAND_CACHE_SIZE:
        _BAND_CACHE.popitem(last=False)
    return band


def draw_caption(
    frame: np.ndarray, width: int, height: int, text: str, font_path: str | None = None
) -> np.ndarray:
    """The caption line burnt into a copy of the frame: white text on a dark band.

    Drawn with a TrueType font through FreeType (any script the font holds); `font_path`
    None means the default font (caption_font.find_font)."""
    if not text:
        return frame
    out = frame.copy()  # the frame may be the camera's own, shared with the preview
    y_plane, u_plane, v_plane = planes(out, width, height)
    x, y, w, h = CAPTION_BAND.pixels(width, height)
    u_plane[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2] = 128
    v_plane[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2] = 128
    if font_path is None:
        font_path = default_font()
    if font_path:
        y_plane[y : y + h, x : x + w] = caption_band(text, w, h, font_path)
        return out
    y_plane[y : y + h, x : x + w] = BAND_Y
    _draw_ascii(y_plane, text, x, y, w, h)
    return out


@lru_cache(maxsize=1)
def default_font() -> str:
    from livedirector_desktop.compositor.caption_font import find_font

    found = find_font()
    return str(found) if found else ""


def _draw_ascii(y_plane: np.ndarray, text: str, x: int, y: int, w: int, h: int) -> None:
    """No font file anywhere: OpenCV's built-in font (ASCII only) rather than nothing."""
    scale = h / 48
    thickness = max(1, round(scale * 1.6))
    while text and cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)[0][0] > w - h:
        text = text[text.find(" ", 1) + 1 :] if " " in text[1:] else text[1:]
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    org = (x + (w - tw) // 2, y + (h + th) // 2)
    cv2.putText(y_plane, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, TEXT_Y, thickness, cv2.LINE_AA)
