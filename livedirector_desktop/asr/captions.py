"""Captions that read well, by the timed-text rules broadcasters use (Netflix's style guide
is the anchor): at most two lines of 42 characters a cue, at least 5/6 s on screen, cues
that follow sentences; written with pysubs2.

- A recognizer's finals that stop mid-sentence (the speaker paused for breath) are joined
  with the next one when it follows within `JOIN_GAP_MS`.
- A sentence too long for one cue is cut into the fewest cues that fit, balanced in length,
  preferring to cut after a comma or semicolon, at its word timings: no "power" alone on
  screen for a quarter of a second.
- A cue shorter than 5/6 s is held longer when the next leaves room, else joined with a
  neighbour when both fit in one.
A sentence without word timings is split by characters, its time shared in proportion.
Text without spaces (Chinese, Japanese) is broken between characters.
"""

from __future__ import annotations

import html
import textwrap

from livedirector_desktop.asr.transcript import Cue, Word

MAX_CHARS = 42
MAX_LINES = 2
MIN_CUE_MS = 5000 / 6  # shorter cues cannot be read
CUE_GAP_MS = 83.0  # two frames at 24 fps between one cue and the next
JOIN_GAP_MS = 1200.0  # a final that stops mid-sentence is continued within this
_SENTENCE_END = (".", "!", "?", "…", "。", "！", "？", '."', '?"', '!"')
_MAX_JOINED_CHARS = 4 * MAX_CHARS * MAX_LINES  # a run-on is cut anyway, sentence or not
_CLAUSE_END = (",", ";", ":", "—", "，", "、", "；")


def wrap(text: str, max_chars: int = MAX_CHARS) -> list[str]:
    """The lines of one caption, none longer than max_chars; two lines as even as they can
    be (not a full line over one word), a break after a comma preferred."""
    lines = textwrap.wrap(
        " ".join(text.split()), max_chars, break_long_words=True, break_on_hyphens=False
    )
    if len(lines) != 2:
        return lines
    words = " ".join(lines).split(" ")
    best: tuple[float, list[str]] | None = None
    for i in range(1, len(words)):
        top, bottom = " ".join(words[:i]), " ".join(words[i:])
        if len(top) > max_chars or len(bottom) > max_chars:
            continue
        cost = abs(len(top) - len(bottom)) - (8 if top.endswith(_CLAUSE_END) else 0)
        if best is None or cost < best[0]:
            best = (cost, [top, bottom])
    return best[1] if best else lines


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
    """The cues as captions of at most `max_lines` wrapped lines (joined by "\\n")."""
    out: list[Cue] = []
    for sentence in join_fragments(cues):
        out += _split_sentence(sentence, max_chars, max_lines)
    return [
        Cue("\n".join(wrap(c.text, max_chars)), c.start_ms, c.end_ms)
        for c in _hold_short(out, max_chars, max_lines)
    ]


def join_fragments(cues: list[Cue], gap_ms: float = JOIN_GAP_MS) -> list[Cue]:
    """A cue that does not end a sentence, joined with the next one that soon follows.

    Only where the recognizer punctuates (some cue ends a sentence): Vosk writes no
    punctuation, and there a pause is the only sentence boundary there is."""
    ordered = sorted(cues, key=lambda c: c.start_ms)
    if not any(_ends_sentence(c) for c in ordered):
        return ordered
    out: list[Cue] = []
    for cue in ordered:
        last = out[-1] if out else None
        if (
            last is not None
            and not _ends_sentence(last)
            and cue.start_ms - last.end_ms <= gap_ms
            and len(last.text) + len(cue.text) <= _MAX_JOINED_CHARS
        ):
            out[-1] = _joined(last, cue)
        else:
            out.append(cue)
    return out


def _ends_sentence(cue: Cue) -> bool:
    return cue.text.rstrip().endswith(_SENTENCE_END)


def _joined(a: Cue, b: Cue) -> Cue:
    words = (*_timed_words(a), *_timed_words(b))
    return Cue(f"{a.text} {b.text}", a.start_ms, max(a.end_ms, b.end_ms), tuple(words))


def _split_sentence(cue: Cue, max_chars: int, max_lines: int) -> list[Cue]:
    if _fits(cue.text, max_chars, max_lines):
        return [cue]
    words = _timed_words(cue)
    cuts = _balanced_cuts([w[0] for w in words], max_chars, max_lines)
    pieces = [words[a:b] for a, b in zip([0, *cuts], [*cuts, len(words)], strict=True)]
    out = [Cue(" ".join(w[0] for w in p), p[0][1], p[-1][2], tuple(p)) for p in pieces]
    # The last piece ends when the sentence does (word timings may end early).
    out[-1] = Cue(out[-1].text, out[-1].start_ms, max(out[-1].end_ms, cue.end_ms), out[-1].words)
    return out


def _balanced_cuts(tokens: list[str], max_chars: int, max_lines: int) -> list[int]:
    """Where to cut `tokens` into the fewest pieces that each fit, as even as can be, a cut
    after a clause's punctuation preferred: dynamic programming over the cut positions."""
    n = len(tokens)
    total = len(" ".join(tokens))
    for pieces in range(2, n + 1):
        target = total / pieces
        # best[k][i]: cost of the first i tokens in k pieces, and the cut before the last.
        best: list[dict[int, tuple[float, int]]] = [{0: (0.0, 0)}]
        for k in range(1, pieces + 1):
            row: dict[int, tuple[float, int]] = {}
            for i in range(k, n - (pieces - k) + 1):
                for j in range(i - 1, k - 2, -1):  # the piece tokens[j:i], growing leftwards
                    text = " ".join(tokens[j:i])
                    if len(text) > max_chars * max_lines:
                        break
                    if j not in best[k - 1] or not _fits(text, max_chars, max_lines):
                        continue
                    c = best[k - 1][j][0] + (len(text) - target) ** 2
                    if i < n and tokens[i - 1].endswith(_CLAUSE_END):
                        c -= target * target / 4  # a cut where the speaker's clause ends
                    if i not in row or c < row[i][0]:
                        row[i] = (c, j)
            best.append(row)
        if n in best[pieces]:
            cuts, i = [], n
            for k in range(pieces, 0, -1):
                i = best[k][i][1]
                cuts.append(i)
            return sorted(cuts)[1:]
    return list(range(1, n))


def _hold_short(cues: list[Cue], max_chars: int, max_lines: int) -> list[Cue]:
    """Cues shorter than MIN_CUE_MS held longer, or joined with a neighbour they fit with."""
    out: list[Cue] = []
    for i, cue in enumerate(cues):
        next_start = cues[i + 1].start_ms if i + 1 < len(cues) else float("inf")
        if cue.end_ms - cue.start_ms < MIN_CUE_MS:
            cue = Cue(
                cue.text,
                cue.start_ms,
                max(cue.end_ms, min(cue.start_ms + MIN_CUE_MS, next_start - CUE_GAP_MS)),
                cue.words,
            )
        if out and (_short(out[-1]) or _short(cue)):
            both = f"{out[-1].text} {cue.text}"
            if cue.start_ms - out[-1].end_ms <= JOIN_GAP_MS and _fits(both, max_chars, max_lines):
                out[-1] = Cue(both, out[-1].start_ms, cue.end_ms, (*out[-1].words, *cue.words))
                continue
        out.append(cue)
    return out


def _short(cue: Cue) -> bool:
    return cue.end_ms - cue.start_ms < MIN_CUE_MS - 1


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
