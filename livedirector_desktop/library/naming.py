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
    r"[a-z]\d{3}_?c\d{3}(_\d{6})?(_[0-9a-z]{4})?",  # ARRI / RED: A001_C002_220101_R1AB
    r"\d{8}[_\- ]\d{6}(\d{3})?",  # 20240517_143211
    r"(vid|img|pxl)_?\d{8}_\d{6,9}",  # VID_20240517_143211, PXL_20240517_143211123
    r"(img|vid|aud|ptt)-\d{8}-wa\d{4}",  # WhatsApp: VID-20240517-WA0003
    r"dji_\d{14}_\d{4}_[a-z]",  # DJI: DJI_20240517143211_0042_D
    r"rpreplay_final\d+",  # an iPhone screen recording
    r"trim\.[0-9a-f-]{8,}",  # a clip iOS trimmed
    r"screen[_\- ]?recording.*",
]
_COUNTER = re.compile(r"^(" + "|".join(_COUNTER_NAMES) + r")$", re.IGNORECASE)

# Stock sites: their name, the author's name after it, and the number say nothing of the
# picture (pexels-cottonbro-5453622, shutterstock_1048830203, istockphoto-1161-640_adpp).
_STOCK = re.compile(
    r"^(pexels|pixabay|shutterstock|istock|istockphoto|adobestock|videoblocks|storyblocks"
    r"|envato|artgrid|mixkit|vecteezy|pond5|dreamstime|depositphotos|getty(images)?)"
    r"([_\-].*)?$",  # a separator a site writes, not a space: "Pexels sunrise" is words
    re.IGNORECASE,
)
# Stock names that do carry words after the site name: "mixkit-rain-on-a-window-1234".
_STOCK_WITH_WORDS = re.compile(r"^(mixkit|videoblocks|storyblocks|vecteezy)$", re.IGNORECASE)

# Single words that are technical, not content; a device's prefix takes its number along
# ("IMG_4032 copy": both go, and "copy", as Finder and Photos add it).
_DEVICE_PREFIXES = {"img", "dsc", "dscf", "dscn", "mvi", "pxl", "dji", "gopr", "vid", "mah"}
_NOISE_WORDS = _DEVICE_PREFIXES | {
    "4k", "8k", "5k", "6k", "2k", "uhd", "hd", "fhd", "qhd", "hdr", "sdr", "dci", "broll",
    "prores", "h264", "h265", "hevc", "avc", "x264", "x265", "slog", "slog3", "clog", "vlog",
    "proxy", "graded", "ungraded", "untitled", "tmp", "temp", "compressed", "copy", "edited",
}  # fmt: skip
# Words an editor appends ("interview_final", "cut_export"); content when they come first.
_TRAILING_WORDS = {"final", "export", "exported"}
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
    "private", "avchd", "bdmv", "stream", "import", "imports", "downloads", "camera",
    "camera roll", "m4root", "desktop", "misc", "other", "various", "unsorted", "new folder",
}  # fmt: skip
_CAMERA_FOLDER = re.compile(r"^\d{3}[a-z_]+$", re.IGNORECASE)  # DCIM's 100GOPRO, 101APPLE


def _noise(word: str) -> bool:
    return word.lower() in _NOISE_WORDS or bool(_NOISE_TOKEN.match(word))


def _kept(words: list[str], typed: bool) -> list[str]:
    """The content words. A number a person typed stays ("Apollo 11 launch", "Route 66");
    a take number with a leading zero, a long id, or a device's counter does not."""
    kept: list[str] = []
    after_device = False
    for i, word in enumerate(words):
        low = word.lower()
        number = word.isdigit()
        if number and (after_device or not typed or word.startswith("0") or len(word) > 4):
            continue
        after_device = low in _DEVICE_PREFIXES
        if (not number and _noise(word)) or (low in _TRAILING_WORDS and i > 0):
            continue
        kept.append(word)
    return kept


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
    # camelCase comes apart ("coffeePour" -> coffee Pour; "iPhone" stays); technical
    # tokens go (v2, 1080p).
    stem = re.sub(r"(?<=[a-z]{2})(?=[A-Z])", " ", stem)
    kept = _kept([_unglued(w) for w in _SPLIT.split(stem) if w], typed)
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
        return _capitalised(stem.replace("_", " "))  # typed by a person, all content
    return _capitalised(words)


def _capitalised(text: str) -> str:
    """First letter up, unless the word is written like iPhone or eBay."""
    if len(text) > 1 and text[0].islower() and text[1].isupper():
        return text
    return text[:1].upper() + text[1:]


def folder_tags(folders: list[str]) -> list[str]:
    """Topic tags from the folders between the imported root and the clip, outermost first:
    "01_Food/Street food" -> ["food", "street food"]. Storage folders (DCIM, Clips) say nothing."""
    tags: list[str] = []
    for folder in folders:
        words = name_words(folder).lower()
        if _CAMERA_FOLDER.match(folder) or words in _NOISE_FOLDERS:
            continue
        if words and words not in tags:
            tags.append(words)
    return tags


# What encoders and cameras write where a title goes: a tool's name with a version, or a
# brand with a codec word ("GoPro AVC encoder"). "Apple orchard at dawn" is a title.
_ENCODER = re.compile(
    r"^((lavf|lavc)\d|(handbrake|x264|x265|ffmpeg|mainconcept|obs)\b|(adobe premiere|davinci"
    r" resolve|final cut|imovie|capcut)\b.*\d"
    r"|(gopro|dji|apple|sony|canon|nikon|panasonic|samsung|google)\b.*\b(avc|hevc|h\.?26[45]"
    r"|prores|mpeg|encoder|video|camera|codec)\b|core media)",
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
