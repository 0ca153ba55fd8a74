"""Checks against text Whisper invents rather than hears, live and offline.

Whisper's decoder is a language model: over silence or noise, or when it loses its place,
it loops ("and the and the and the"), or writes again what it was given as context (the
previous sentence, used as its prompt). Both are caught on the text alone:
- a loop compresses well: Whisper's own check is a gzip ratio above 2.4;
- an echo is a sentence of several words that was already said just before.
A partial (a short utterance in a padded window) often starts over in the padding
("Samsung Samsung Samsung", "In Master. In Master."): its first pass is what was heard,
so `before_repeat` keeps it rather than dropping the words the director waits for.
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


def goes_on_from(text: str, earlier: list[str], run: int = 3) -> bool:
    """True when `text` opens with `run` words (two, if it has only two) said together in
    one of the `earlier` sentences: a partial that took its prompt up again."""
    opening = words_of(text)[:run]
    if len(opening) < 2:
        return False
    needle = " " + " ".join(opening) + " "
    return any(needle in " " + " ".join(words_of(e)) + " " for e in earlier)


def before_repeat(text: str) -> str:
    """The text up to where the decoder starts over: a phrase said again right after itself
    (one word: three times), or the opening words again ("The economy crashed badly after.
    The economy crash" -> "The economy crashed badly after.")."""
    tokens = text.split()
    norm = [" ".join(words_of(t)) for t in tokens]
    for j in range(1, len(tokens)):
        rest = len(tokens) - j
        opening = min(3, rest)
        if opening >= 2 and norm[j] and _starts_over(norm[j : j + opening], norm[:opening]):
            return _cut(tokens, j)
        for n in range(1, min(j, rest) + 1):
            again = norm[j - n : j] == norm[j : j + n]
            if again and all(norm[j - n : j]) and (n > 1 or norm[j + 1 : j + 2] == norm[j : j + 1]):
                return _cut(tokens, j)
    return text


def _starts_over(again: list[str], opening: list[str]) -> bool:
    """`again` repeats `opening`; its last word may be cut short (the token cap)."""
    *whole, last = again
    return whole == opening[: len(whole)] and opening[len(whole)].startswith(last)


def _cut(tokens: list[str], j: int) -> str:
    return " ".join(tokens[:j]).rstrip(",;:-")
