"""Draw the app icon (a play triangle over a picture-in-picture frame) as PNG and ICO.

.venv/bin/python packaging/make_icons.py   # assets/icon.png, packaging/icons/*.ico
"""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def draw(size: int) -> np.ndarray:
    s = size / 256
    img = np.zeros((size, size, 4), np.uint8)
    cv2.rectangle(
        img,
        (int(16 * s), int(40 * s)),
        (int(240 * s), int(216 * s)),
        (60, 40, 200, 255),
        -1,
        cv2.LINE_AA,
    )  # the program frame, red
    cv2.rectangle(
        img,
        (int(150 * s), int(140 * s)),
        (int(226 * s), int(200 * s)),
        (235, 235, 235, 255),
        -1,
        cv2.LINE_AA,
    )  # the picture-in-picture speaker
    tri = np.array([[88, 84], [88, 172], [160, 128]], np.float32) * s
    cv2.fillPoly(img, [tri.astype(np.int32)], (255, 255, 255, 255), cv2.LINE_AA)
    return img


def ico(images: list[np.ndarray]) -> bytes:
    """An ICO file holding PNG images (Windows Vista and later read these)."""
    pngs = [cv2.imencode(".png", im)[1].tobytes() for im in images]
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = 6 + 16 * len(pngs)
    entries, data = b"", b""
    for im, png in zip(images, pngs, strict=True):
        size = im.shape[0]
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(png), offset)
        offset += len(png)
        data += png
    return header + entries + data


if __name__ == "__main__":
    cv2.imwrite(str(ROOT / "assets" / "icon.png"), draw(256))
    (ROOT / "packaging" / "icons" / "livedirector.ico").write_bytes(
        ico([draw(n) for n in (16, 32, 48, 256)])
    )
    print("icons written")
