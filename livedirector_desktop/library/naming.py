"""Words a search can use, from what a creator's folder already says: file and folder names
as cameras, phones and stock sites write them, and the fields editors embed in containers.

A name says nothing when all it has is a device's counter (IMG_4032, GX010042, C0001), a
date stamp, or a stock site's author and number; those pieces and the technical ones
(4K, 1080p, v2, BROLL, a trailing take number) are dropped so they never reach the
embedding, where "IMG 4032" would match any sentence with a number in it.
"""

from __future__ import annotations

import re

# Whole names that are a device's or a site's counter, nothing else (case-insensitive).
_COUNTER_NAMES = [
    r"(img|dsc|dscf|dscn|mvi|mov|vid|pxl|dji|gopr|gp|gx|gh|gs|mah|clip|video|movie)"
    r"[_\- ]?\d{2,}([_\- ]\d+)*",
    r"c\d{4}",  # Sony XDCAM / FX: C0001
    r"a\d{3}_?c\d{3}(_\w+)?",  # ARRI / RED reel+clip: A001_C002_0101AB
    r"\d{8}[_\- ]\d{6}(\d{3})?",  # 20240517_143211
    r"(vid|img|pxl)_?\d{8}_\d{6,9}(_\w+)?",  # VID_20240517_143211, PXL_20240517_143211123
    r"screen[_\- ]?recording.*",
]
_COUNTER = re.compile(r"^(" + "|".join(_COUNTER_NAMES) + r")$", re.IGNORECASE)

# Stock sites: their name, the author's name after it, and the number say nothing of the
# picture (pexels-cottonbro-5453622, shutterstock_1048830203, istockphoto-1161-640_adpp).
_STOCK = re.compile(
    r"^(pexels|pixabay|shutterstock|istock|istockphoto|adobestock|videoblocks|storyblocks"
    r"|envato|artgrid|mixkit|vecteezy|pond5|dreamstime|depositphotos|getty(images)?)"
    r"([_\- ].*)?$",
    re.IGNORECASE,
)
# Stock names that do carry words after the site name: "mixkit-rain-on-a-window-1234".
_STOCK_WITH_WORDS = re.compile(r"^(mixkit|videoblocks|storyblocks|vecteezy)$", re.IGNORECASE)

# Single words that are technical, not content.
_NOISE_WORDS = {
    "4k", "8k", "5k", "6k", "2k", "uhd", "hd", "fhd", "qhd", "hdr", "sdr", "dci", "broll",
    "prores", "h264", "h265", "hevc", "avc", "x264", "x265", "slog", "slog3", "clog", "vlog",
    "final", "export", "exported", "proxy", "graded", "ungraded", "untitled", "tmp", "temp",
    "compressed", "img", "dsc", "dscf", "mvi", "pxl", "dji", "gopr",
}  # fmt: skip
_NOISE_TOKEN = re.compile(
    r"^("
    r"\d{3,4}p(\d{2})?"  # 1080p, 720p60
    r"|\d{3,4}x\d{3,4}"  # 1920x1080
    r"|\d{2,3}fps"  # 60fps
    r"|v\d{1,3}"  # v2
    r"|r\d{1,2}"  # r1 (revision)
    r"|\d+"  # take numbers, ids
    r"|[a-f0-9]{10,}"  # hashes
    r")$",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"[\s_.\-+()\[\]{},;]+")
# Folder names that say where clips are kept, not what they show.
_NOISE_FOLDERS = _NOISE_WORDS | {
    "videos", "video", "clips", "clip", "media", "footage", "stock", "b roll", "raw", "dcim",
    "100gopro", "private", "avchd", "bdmv", "stream", "import", "imports", "downloads",
    "desktop", "misc", "other", "various", "unsorted", "new folder",
}  # fmt: skip


def _noise(word: str) -> bool:
    return word.lower() in _NOISE_WORDS or bool(_NOISE_TOKEN.match(word))


def _unglued(word: str) -> str:
    """A take number or format glued on drops off ("Pour02", "drone4k"); "mp3", "3D" stay."""
    glued = re.match(r"^([^\W\d_]{2,})(\d\w+)$", word)
    return glued.group(1) if glued and _noise(glued.group(2)) else word


def name_words(stem: str) -> str:
    """The content words of a file name, in their order; '' when it says nothing."""
    stem = stem.strip()
    if not stem or _COUNTER.match(stem):
        return ""
    stock = _STOCK.match(stem)
    if stock:
        site = stock.group(1)
        rest = stock.group(3) or ""
        if not _STOCK_WITH_WORDS.match(site):
            return ""  # the rest is the author's name and the clip's number
        stem = rest
    typed = " " in stem  # a person wrote it; a name without spaces was made by a tool
    # camelCase comes apart ("coffeePour" -> coffee Pour); technical tokens go (v2, 1080p).
    stem = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", stem)
    words = [w for w in _SPLIT.split(stem) if w and not _noise(w)]
    kept = [w for w in map(_unglued, words) if w and not _noise(w)]
    if not any(re.search(r"[^\W\d_]", w) for w in kept):
        return ""
    if not typed:  # acronyms (NYC) keep their capitals
        kept = [w if w.isupper() and len(w) > 1 else w.lower() for w in kept]
    return " ".join(kept)


def title_from_name(stem: str) -> str:
    """A title from a file name: its content words, capitalised; the name itself when it has
    none (so the clip still has something to be called by in the list)."""
    words = name_words(stem)
    if not words:
        return stem
    if " " in stem and words.split() == [w for w in _SPLIT.split(stem) if w]:
        typed = stem.replace("_", " ")  # typed by a person and all content: as written
        return typed[:1].upper() + typed[1:]
    return words[:1].upper() + words[1:]


def folder_tags(folders: list[str]) -> list[str]:
    """Topic tags from the folders between the imported root and the clip, outermost first:
    "01_Food/Street food" -> ["food", "street food"]. Storage folders (DCIM, Clips) say nothing."""
    tags: list[str] = []
    for folder in folders:
        words = name_words(folder).lower()
        if words and words not in _NOISE_FOLDERS and words not in tags:
            tags.append(words)
    return tags


_ENCODER = re.compile(
    r"^(lavf|lavc|handbrake|x264|x265|gopro|dji|apple|adobe|premiere|davinci|final cut|"
    r"imovie|capcut|obs|ffmpeg|mainconcept|sony|canon|nikon|panasonic)\b",
    re.IGNORECASE,
)


def meaningful(text: str, stem: str = "") -> str:
    """The text if it says something of the picture, else '': embedded fields are often an
    encoder's or a camera's name, or the file name again."""
    text = " ".join(text.split())
    if not text or _ENCODER.match(text) or _COUNTER.match(text):
        return ""
    if stem and text.lower() == stem.lower():
        return ""
    if not re.search(r"[^\W\d_]{2,}", text):
        return ""
    return text


def keyword_list(text: str) -> list[str]:
    """Keywords as editors write them: comma-, semicolon- or newline-separated."""
    return [k.strip() for k in re.split(r"[,;\n]", text) if k.strip()]
