"""The caption font: a TrueType/OpenType font drawn by FreeType (through Pillow), so any
script the font holds renders (OpenCV's Hershey font knows ASCII only).

Which font: `studio.caption_font` when set; else the first that exists of
- the bundled `assets/fonts/` (a PyInstaller build carries one, see packaging/livedirector.spec),
- Linux: Noto Sans CJK (Debian fonts-noto-cjk: Latin, Hangul, Kana, Han), then DejaVu Sans,
- Windows: %WINDIR%\\Fonts: Malgun Gothic (Korean + Latin), Microsoft YaHei, Yu Gothic,
  Segoe UI, Arial,
- macOS: Apple SD Gothic Neo, Hiragino Sans, Arial Unicode, Helvetica.
Pan-CJK fonts come first: they also hold Latin, so one font serves mixed captions.
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path

from livedirector_desktop.config import assets_dir

_LINUX = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Medium.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora, Arch
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
]
_WINDOWS = ["malgun.ttf", "msyh.ttc", "YuGothM.ttc", "segoeui.ttf", "arial.ttf"]
_MACOS = [
    "/System/Library/Fonts/AppleSDGothicNeo.ttc",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "/System/Library/Fonts/Helvetica.ttc",
]
FONT_SUFFIXES = (".ttf", ".ttc", ".otf")


def font_candidates(explicit: str = "") -> list[Path]:
    """Font files to try, best first (not all exist)."""
    out = [Path(explicit).expanduser()] if explicit else []
    bundled = assets_dir() / "fonts"
    if bundled.is_dir():
        out += sorted(p for p in bundled.iterdir() if p.suffix.lower() in FONT_SUFFIXES)
    if sys.platform == "win32":
        fonts = Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"
        out += [fonts / name for name in _WINDOWS]
    elif sys.platform == "darwin":
        out += [Path(p) for p in _MACOS]
    else:
        out += [Path(p) for p in _LINUX]
    return out


def find_font(explicit: str = "") -> Path | None:
    """The caption font file, or None (then the ASCII fallback draws)."""
    return next((p for p in font_candidates(explicit) if p.is_file()), None)


@lru_cache(maxsize=8)
def load_font(path: str, size_px: int):
    """A Pillow FreeType font at a pixel size (cached: loading a .ttc takes ~10 ms)."""
    from PIL import ImageFont

    return ImageFont.truetype(path, size_px)
