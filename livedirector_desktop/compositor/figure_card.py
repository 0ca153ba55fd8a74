"""A figure drawn as a card: a callout (big number + label), an arrow for a change, or two
bars for a change from one value to another.

The card is an RGBA picture rendered once per figure and size (Pillow + FreeType), and
every compositor puts the same pixels on screen: the CPU one (render, conform, the live
recording) blends it into I420 here, the studio's OpenGL preview paints it as an image.
Sizes follow the card, so it reads at 480p as at 1080p.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from livedirector_desktop.compositor.scene import FIGURE_RECT, Rect
from livedirector_desktop.core.figure import Figure

PANEL_RGBA = (16, 18, 24, 235)
TEXT_RGB = (245, 245, 245)
MUTED_RGB = (200, 204, 212)
UP_RGB, DOWN_RGB = (64, 200, 120), (235, 84, 84)


@dataclass(frozen=True)
class FigureStyle:
    """How figures look (studio settings): the accent colour and which side they sit on."""

    accent: str = "#ffc83d"
    side: str = "left"  # "left" or "right": keep the speaker's face clear

    def rect(self) -> Rect:
        if self.side == "right":
            return Rect(1.0 - FIGURE_RECT.x - FIGURE_RECT.w, FIGURE_RECT.y, FIGURE_RECT.w,
                        FIGURE_RECT.h)  # fmt: skip
        return FIGURE_RECT

    def accent_rgb(self) -> tuple[int, int, int]:
        h = self.accent.lstrip("#")
        try:
            return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
        except (ValueError, IndexError):
            return 255, 200, 61


_CARD_CACHE_SIZE = 16
# Cards and their I420 planes by (figure, size, style, font), least recently used dropped;
# the recording's writer thread and the preview's GUI thread both draw figures.
_CARDS: OrderedDict[tuple, np.ndarray] = OrderedDict()
_PLANES: OrderedDict[tuple, tuple] = OrderedDict()
_LOCK = threading.Lock()


def _cached(cache: OrderedDict, key: tuple, make):
    with _LOCK:
        value = cache.get(key)
        if value is not None:
            cache.move_to_end(key)
            return value
    value = make()
    with _LOCK:
        cache[key] = value
        while len(cache) > _CARD_CACHE_SIZE:
            cache.popitem(last=False)
    return value


def figure_card(figure: Figure, w: int, h: int, style: FigureStyle, font_path: str) -> np.ndarray:
    """The card (h x w x 4, RGBA uint8) of a figure at a pixel size; cached."""
    key = (figure.shot_id, w, h, style, font_path)
    return _cached(_CARDS, key, lambda: _draw(figure, max(w, 16), max(h, 16), style, font_path))


def _fitting_font(draw, text: str, font_path: str, size_px: int, max_w: float):
    from livedirector_desktop.compositor.caption_font import load_font

    size = max(8, size_px)
    while True:
        font = load_font(font_path, size) if font_path else _default_pil_font(size)
        if size <= 8 or draw.textlength(text, font=font) <= max_w:
            return font
        size = max(8, int(size * 0.9))


def bold_sibling(font_path: str) -> str:
    """The bold face of a font file when it lies beside it (NotoSansCJK-Regular.ttc ->
    -Bold.ttc, DejaVuSans.ttf -> DejaVuSans-Bold.ttf): big numbers read better bold."""
    from pathlib import Path

    if not font_path:
        return font_path
    path = Path(font_path)
    names = [path.name.replace("Regular", "Bold"), f"{path.stem}-Bold{path.suffix}"]
    for name in names:
        candidate = path.with_name(name)
        if name != path.name and candidate.is_file():
            return str(candidate)
    return font_path


def _default_pil_font(size: int):
    from PIL import ImageFont

    return ImageFont.load_default(size)


def _draw(figure: Figure, w: int, h: int, style: FigureStyle, font_path: str) -> np.ndarray:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    radius = max(2, h // 14)
    draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=radius, fill=PANEL_RGBA)
    accent = style.accent_rgb()
    bar_w = max(3, w // 45)
    draw.rectangle((0, radius, bar_w, h - radius), fill=accent)
    pad = max(4, h // 12)
    left, right = bar_w + pad, max(bar_w + pad + 1, w - pad)
    label = figure.label()
    label_font = _fitting_font(draw, label, font_path, round(h * 0.13), right - left)
    label_h = round(h * 0.13) if label else 0
    if label:
        draw.text((left, h - pad), label, fill=MUTED_RGB, font=label_font, anchor="ls")
    body_bottom = h - pad - label_h - (pad // 2 if label else 0)
    if figure.start_value is not None:
        _draw_bars(draw, figure, (left, pad, right, body_bottom), accent, font_path)
    else:
        _draw_callout(draw, figure, (left, pad, right, body_bottom), accent, font_path)
    return np.asarray(image, dtype=np.uint8).copy()


def _draw_callout(draw, figure: Figure, box, accent, font_path: str) -> None:
    """The big number, with an arrow before it for a change."""
    left, top, right, bottom = box
    height = bottom - top
    arrow = figure.direction in ("up", "down")
    arrow_w = round(height * 0.45) if arrow else 0
    gap = round(height * 0.12) if arrow else 0
    text = figure.headline()
    font = _fitting_font(
        draw, text, bold_sibling(font_path), round(height * 0.8), right - left - arrow_w - gap
    )
    if arrow:
        cx, cy = left + arrow_w / 2, top + height / 2
        half = arrow_w / 2
        if figure.direction == "up":
            points = [(cx, cy - half), (cx + half, cy + half * 0.6), (cx - half, cy + half * 0.6)]
            colour = UP_RGB
        else:
            points = [(cx, cy + half), (cx + half, cy - half * 0.6), (cx - half, cy - half * 0.6)]
            colour = DOWN_RGB
        draw.polygon(points, fill=colour)
    draw.text((left + arrow_w + gap, top + height / 2), text, fill=TEXT_RGB, font=font, anchor="lm")
    del accent  # the callout's colour is the accent bar beside it


def _draw_bars(draw, figure: Figure, box, accent, font_path: str) -> None:
    """Two bars, from and to, their heights in proportion, each with its value above."""
    from livedirector_desktop.core.figure import amount

    left, top, right, bottom = box
    width, height = right - left, bottom - top
    values = [figure.start_value or 0.0, figure.value]
    texts = [amount(v, figure.unit) for v in values]
    value_px = round(height * 0.3)
    gap = max(3, round(height * 0.07))  # the value clear of its bar
    column = width / 2
    bold = bold_sibling(font_path)
    fonts = [_fitting_font(draw, t, bold, value_px, column * 0.92) for t in texts]
    bars_top = top + value_px + gap
    full = max(4, bottom - bars_top)
    biggest = max(max(values), 1e-9)
    bar_w = column * 0.55
    for n, (value, text, font) in enumerate(zip(values, texts, fonts, strict=True)):
        bar_h = max(round(full * 0.06), round(full * value / biggest))
        cx = left + column * (n + 0.5)
        colour = accent if n == 1 else MUTED_RGB
        draw.rectangle((cx - bar_w / 2, bottom - bar_h, cx + bar_w / 2, bottom), fill=colour)
        draw.text((cx, bottom - bar_h - gap), text, fill=TEXT_RGB, font=font, anchor="mb")


# ---------------------------------------------------------------------- into I420


def _card_planes(card: np.ndarray) -> tuple:
    """The card as BT.601 limited-range Y, U, V with its alpha at full and half size."""
    rgb = card[..., :3].astype(np.float32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 16 + 0.257 * r + 0.504 * g + 0.098 * b
    u = 128 - 0.148 * r - 0.291 * g + 0.439 * b
    v = 128 + 0.439 * r - 0.368 * g - 0.071 * b
    a = card[..., 3].astype(np.float32) / 255.0
    hh, hw = card.shape[0] // 2, card.shape[1] // 2

    def half(p: np.ndarray) -> np.ndarray:
        return p[: hh * 2, : hw * 2].reshape(hh, 2, hw, 2).mean(axis=(1, 3))

    a2 = half(a)
    # Chroma averaged weighted by alpha: a transparent corner must not tint its neighbours.
    u2 = half(u * a) / np.maximum(a2, 1e-6)
    v2 = half(v * a) / np.maximum(a2, 1e-6)
    return y, a, u2, v2, a2


def blend_card(
    frame: np.ndarray, width: int, height: int, card: np.ndarray, x: int, y: int, planes=None
) -> None:
    """Blend an RGBA card into an I420 frame in place, its top left at (x, y) (even);
    `planes`: the card's `_card_planes`, when cached."""
    yp = frame[:height]
    up, vp = frame[height:].reshape(2, height // 2, width // 2)  # I420: U then V
    cy, ca, cu, cv, ca2 = planes if planes is not None else _card_planes(card)
    ch, cw = card.shape[:2]
    ch, cw = min(ch, height - y) // 2 * 2, min(cw, width - x) // 2 * 2
    if ch <= 0 or cw <= 0:
        return
    region = yp[y : y + ch, x : x + cw]
    alpha = ca[:ch, :cw]
    region[:] = (region * (1 - alpha) + cy[:ch, :cw] * alpha + 0.5).astype(np.uint8)
    x2, y2, h2, w2 = x // 2, y // 2, ch // 2, cw // 2
    alpha2 = ca2[:h2, :w2]
    for dst, src in ((up, cu), (vp, cv)):
        region = dst[y2 : y2 + h2, x2 : x2 + w2]
        region[:] = (region * (1 - alpha2) + src[:h2, :w2] * alpha2 + 0.5).astype(np.uint8)


def draw_figure(
    frame: np.ndarray, width: int, height: int, figure: Figure, style: FigureStyle, font_path: str
) -> None:
    """The figure's card drawn into the frame (I420, in place) where the style puts it."""
    x, y, w, h = style.rect().pixels(width, height)
    card = figure_card(figure, w, h, style, font_path)
    key = (figure.shot_id, w, h, style, font_path)  # the card's own key: never another's
    planes = _cached(_PLANES, key, lambda: _card_planes(card))
    blend_card(frame, width, height, card, x, y, planes)
