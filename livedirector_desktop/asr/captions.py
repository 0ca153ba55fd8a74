"""Captions that read well: at most two lines of 42 characters a cue (the broadcast norm),
a long sentence split into several cues at its word timings, written with pysubs2.

A sentence without word timings is split by characters, its time shared in proportion.
Text without spaces (Chinese, Japanese) is broken between characters.
"""

from __future__ import annotations

import html
import textwrap

from livedirector_desktop.asr.transcript import Cue, Word

MAX_CHARS = 42
MAX_LINES = 2


def wrap(text: str, max_chars: int = MAX_CHARS) -> list[str]:
    """The lines of one caption, none longer than max_chars."""
    return textwrap.wrap(
        " ".join(text.split()), max_chars, break_long_words=True, break_on_hyphens=False
    )


def _fits(text: str, max_chars: int, max_lines: int) -> bool:
    return len(wrap(text, max_chars)) <= max_lines


def _timed_words(cue: Cue) -> list[Word]:
    """The cue's words with times: its own, or shared out by character count."""
    if cue.words and " ".join(w[0] for w in cue.words).split() == cue.text.split():
        return list(cue.words)
    tokens: list[str] = []
    budget = MAX_CHARS  # a token longer than a line (no spaces) is cut into line-long pieces
    for token in cue.text.split():
        tokens += [token[i : i + budget] for i in range(0, len(token), budget)]
    total = sum(len(t) + 1 for t in tokens) or 1
    out, t = [], cue.start_ms
    for token in tokens:
        dt = (cue.end_ms - cue.start_ms) * (len(token) + 1) / total
        out.append((token, t, t + dt))
        t += dt
    return out


def caption_cues(
    cues: list[Cue], max_chars: int = MAX_CHARS, max_lines: int = MAX_LINES
) -> list[Cue]:
    """Each cue as one or more cues of at most `max_lines` wrapped lines (joined by "\\n")."""
    out: list[Cue] = []
    for cue in cues:
        if _fits(cue.text, max_chars, max_lines):
            out.append(Cue("\n".join(wrap(cue.text, max_chars)), cue.start_ms, cue.end_ms))
            continue
        words = _timed_words(cue)
        group: list[Word] = []
        for word in words:
            candidate = " ".join(w[0] for w in [*group, word])
            if group and not _fits(candidate, max_chars, max_lines):
                out.append(_cue_of(group, max_chars))
                group = []
            group.append(word)
        if group:
            out.append(_cue_of(group, max_chars))
        # The last piece ends when the sentence does (word timings may end early).
        out[-1] = Cue(out[-1].text, out[-1].start_ms, max(out[-1].end_ms, cue.end_ms))
    return out


def _cue_of(words: list[Word], max_chars: int) -> Cue:
    text = " ".join(w[0] for w in words)
    return Cue("\n".join(wrap(text, max_chars)), words[0][1], words[-1][2])


def _subtitles(cues: list[Cue], escape: bool):
    import pysubs2

    subs = pysubs2.SSAFile()
    for cue in caption_cues(cues):
        text = html.escape(cue.text, quote=False) if escape else cue.text
        start, end = round(cue.start_ms), round(cue.end_ms)
        subs.events.append(pysubs2.SSAEvent(start=start, end=end, text=text.replace("\n", r"\N")))
    return subs


def to_srt(cues: list[Cue]) -> str:
    """SubRip captions, wrapped and split."""
    # keep_ssa_tags: text is plain, a "{" in a sentence is not a style override to drop.
    return _subtitles(cues, escape=False).to_string("srt", keep_ssa_tags=True, apply_styles=False)


def to_vtt(cues: list[Cue]) -> str:
    """WebVTT captions, wrapped and split; & < > escaped as WebVTT requires."""
    return _subtitles(cues, escape=True).to_string("vtt", keep_ssa_tags=True, apply_styles=False)
