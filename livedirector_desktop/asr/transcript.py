"""Timed transcripts: read SRT, WebVTT and JSON words (captions.py writes them)."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

from livedirector_desktop.core.errors import BadInputError

Word = tuple[str, float, float]  # (word, start_ms, end_ms)


@dataclass(frozen=True)
class Cue:
    text: str
    start_ms: float
    end_ms: float
    words: tuple[Word, ...] = ()


_TIME = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})[,.](\d{1,3})")
# SRT/VTT say "-->"; hand-made files often have "->", "—>" or "- ->": all are read.
_ARROW = re.compile(rf"^\s*({_TIME.pattern})\s*(?:-+\s*-*>|\u2014>|\u2192)\s*({_TIME.pattern})")
# A line that looks like a time line but is not one we can read: said, never dropped.
_TIMELINE_LIKE = re.compile(rf"^\s*{_TIME.pattern}.*{_TIME.pattern}")
_TAG = re.compile(r"<[^>]+>")


def _ms(match: re.Match) -> float:
    h, m, s, frac = match.groups()
    return ((int(h or 0) * 60 + int(m)) * 60 + int(s)) * 1000 + int(frac.ljust(3, "0"))


def parse_subtitles(text: str, source: str = "transcript") -> list[Cue]:
    """SRT or WebVTT: blocks of a time line and text lines."""
    cues: list[Cue] = []
    lines = text.replace("\r\n", "\n").replace("\ufeff", "").split("\n")
    i = 0
    while i < len(lines):
        m = _ARROW.match(lines[i])
        if not m:
            if "->" in lines[i] or _TIMELINE_LIKE.match(lines[i]):
                raise BadInputError(
                    f"{source}, line {i + 1}: cannot read the time line {lines[i]!r}",
                    "write it as 00:00:01,000 --> 00:00:02,500",
                )
            i += 1
            continue
        times = list(_TIME.finditer(lines[i]))
        start, end = _ms(times[0]), _ms(times[1])
        i += 1
        body = []
        while i < len(lines) and lines[i].strip():
            body.append(_TAG.sub("", lines[i]).strip())
            i += 1
        words = html.unescape(" ".join(body).strip())  # WebVTT escapes & < >
        if end < start:
            raise BadInputError(f"{source}: a cue ends before it starts ({words[:40]!r})")
        if words:
            cues.append(Cue(words, start, end))
    return cues


def parse_json(data: object, source: str = "transcript") -> list[Cue]:
    """Either {"segments": [{"text", "start", "end"}]} / a list of those (seconds), or
    {"words": [{"word", "start", "end"}]} (seconds), grouped into sentences."""
    if isinstance(data, dict) and "segments" in data:
        data = data["segments"]
    if isinstance(data, list):
        cues = []
        for n, seg in enumerate(data):
            try:
                words = tuple(
                    (str(w["word"]), float(w["start"]) * 1000, float(w["end"]) * 1000)
                    for w in seg.get("words", [])
                )
                cues.append(
                    Cue(
                        str(seg["text"]).strip(),
                        float(seg["start"]) * 1000,
                        float(seg["end"]) * 1000,
                        words,
                    )
                )
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise BadInputError(
                    f"{source}: segment {n} needs text, start and end (seconds): {exc}"
                ) from exc
        return [c for c in cues if c.text]
    if isinstance(data, dict) and "words" in data:
        try:
            words = [
                (str(w["word"]), float(w["start"]) * 1000, float(w["end"]) * 1000)
                for w in data["words"]
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise BadInputError(f"{source}: each word needs word, start and end: {exc}") from exc
        return group_words(words)
    raise BadInputError(
        f"{source}: JSON transcript must hold 'segments' or 'words'",
        'e.g. {"words": [{"word": "Hello", "start": 0.5, "end": 0.8}]}',
    )


# Words that end in a full stop without ending the sentence ("Mr. Dashwood").
_ABBREVIATIONS = {
    "mr.",
    "mrs.",
    "ms.",
    "dr.",
    "st.",
    "jr.",
    "sr.",
    "prof.",
    "vs.",
    "etc.",
    "e.g.",
    "i.e.",
    "mt.",
    "no.",
    "fig.",
    "approx.",
    "inc.",
    "ltd.",
    "co.",
    "u.s.",
    "u.k.",
}


def ends_sentence(word: str) -> bool:
    """After this word a new sentence begins: . ! ? (not "Mr." or an initial "J.")."""
    word = word.rstrip("\"'”)")
    if not word.endswith((".", "!", "?", "…", "。", "！", "？")):
        return False
    lowered = word.lower()
    return lowered not in _ABBREVIATIONS and not (len(word) == 2 and word[0].isupper())


def group_words(words: list[Word], pause_ms: float = 700, max_words: int = 16) -> list[Cue]:
    """Sentences from timed words: split after . ! ?, at a pause, or when a line gets long."""
    cues: list[Cue] = []
    current: list[Word] = []
    for i, word in enumerate(words):
        current.append(word)
        nxt = words[i + 1] if i + 1 < len(words) else None
        if (
            nxt is None
            or ends_sentence(word[0].rstrip())
            or nxt[1] - word[2] >= pause_ms
            or len(current) >= max_words
        ):
            cues.append(
                Cue(" ".join(w[0] for w in current), current[0][1], current[-1][2], tuple(current))
            )
            current = []
    return cues


def read_transcript(path: Path) -> list[Cue]:
    """Cues from an .srt, .vtt or .json file; BadInputError naming the file otherwise."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"cannot read transcript {path}: {exc}") from exc
    if path.suffix.lower() == ".json":
        try:
            cues = parse_json(json.loads(text), str(path))
        except json.JSONDecodeError as exc:
            raise BadInputError(f"transcript {path} is not valid JSON: {exc}") from exc
    elif path.suffix.lower() in (".srt", ".vtt"):
        cues = parse_subtitles(text, str(path))
    else:
        raise BadInputError(f"transcript {path}: unknown format", "use .srt, .vtt or .json")
    if not cues:
        raise BadInputError(f"transcript {path} holds no timed text", "is it empty?")
    return sorted(cues, key=lambda c: c.start_ms)
