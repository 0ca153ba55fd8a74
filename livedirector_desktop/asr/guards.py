"""Checks against text Whisper invents rather than hears, live and offline.

Whisper's decoder is a language model: over silence or noise, or when it loses its place,
it loops ("and the and the and the"), or writes again what it was given as context (the
previous sentence, used as its prompt). Both are caught on the text alone:
- a loop compresses well: Whisper's own check is a gzip ratio above 2.4;
- an echo is a sentence of several words that was already said just before.
"""

from __future__ import annotations

import re
import zlib

MAX_COMPRESSION_RATIO = 2.4  # Whisper's threshold for a decode that loops
_ECHO_MIN_WORDS = 4  # "Yes." twice is speech; a whole sentence twice in a row is not


def compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / max(1, len(zlib.compress(data)))


def loops(text: str, max_ratio: float = MAX_COMPRESSION_RATIO) -> bool:
    """True when the text repeats itself as a looping decoder does: it compresses as well
    as Whisper's own check calls a loop, or a phrase of one to four words comes four times
    in a row (too short for gzip to tell: "and the and the and the and the")."""
    if len(text) >= 24 and compression_ratio(text) > max_ratio:
        return True
    words = words_of(text)
    for n in range(1, 5):
        times = 5 if n == 1 else 4  # "no, no, no, no" is said; five times is a loop
        for i in range(len(words) - n * times + 1):
            phrase = words[i : i + n]
            if all(words[i + k * n : i + (k + 1) * n] == phrase for k in range(1, times)):
                return True
    return False


def words_of(text: str) -> list[str]:
    return re.sub(r"[^\w\s']", " ", text.lower()).split()


def echoes(text: str, earlier: list[str]) -> bool:
    """True when `text` (of several words) is already inside one of the `earlier` sentences:
    the decoder writing its prompt again, or a segment decoded twice."""
    said = words_of(text)
    if len(said) < _ECHO_MIN_WORDS:
        return False
    needle = " " + " ".join(said) + " "
    return any(needle in " " + " ".join(words_of(e)) + " " for e in earlier)
