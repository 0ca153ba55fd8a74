"""Captions: wrapped and split to read well, escaped where the format needs it, and burned in
with a real font so any script shows (Korean here), not '?'."""

from __future__ import annotations

import itertools

import numpy as np

from livedirector_desktop.asr.captions import MAX_CHARS, caption_cues, to_srt, to_vtt
from livedirector_desktop.asr.transcript import Cue, group_words, parse_subtitles
from livedirector_desktop.compositor.caption_font import find_font
from livedirector_desktop.compositor.cpu import black, caption_band, draw_caption, planes
from livedirector_desktop.compositor.scene import CAPTION_BAND

LONG = (
    "So today I want to show you how a rocket launch looks from up close and why the "
    "engines are so loud when they start up in the morning"
)


def timed(sentence: str, start_ms: float = 1000, per_word_ms: float = 300) -> list:
    return [
        (w, start_ms + i * per_word_ms, start_ms + (i + 1) * per_word_ms - 50)
        for i, w in enumerate(sentence.split())
    ]


def test_long_sentences_become_several_two_line_cues_at_word_times():
    words = timed(LONG)
    (cue,) = group_words(words, max_words=100)
    out = caption_cues([cue])
    assert len(out) >= 2
    for c in out:
        lines = c.text.split("\n")
        assert len(lines) <= 2 and all(len(line) <= MAX_CHARS for line in lines)
    # Every word once, in order; each cue starts at its first word and ends at its last.
    assert " ".join(c.text.replace("\n", " ") for c in out).split() == LONG.split()
    starts = {w[0]: w[1] for w in words}
    for c in out:
        assert c.start_ms == starts[c.text.split()[0]]
    assert out[-1].end_ms == cue.end_ms
    assert all(a.end_ms <= b.start_ms for a, b in itertools.pairwise(out))


def test_without_word_times_the_time_is_shared_and_unspaced_text_is_broken():
    out = caption_cues([Cue(LONG, 0, 10_000), Cue("字" * 150, 10_000, 20_000)])
    assert out[0].start_ms == 0 and out[-1].end_ms == 20_000
    for c in out:
        lines = c.text.split("\n")
        assert len(lines) <= 2 and all(len(line) <= MAX_CHARS for line in lines)
    assert sum(c.text.count("字") for c in out) == 150


def test_vtt_escapes_and_both_formats_read_back():
    # (1.5 s apart: a cue that does not end a sentence is joined with one that follows soon)
    cues = [Cue("Fish & chips <b>bold</b> {not a tag}", 500, 2000), Cue(LONG, 3500, 12000)]
    vtt = to_vtt(cues)
    assert vtt.startswith("WEBVTT")
    assert "Fish &amp; chips &lt;b&gt;bold&lt;/b&gt; {not a tag}" in vtt
    assert "<b>" not in vtt
    srt = to_srt(cues)
    assert "Fish & chips <b>bold</b> {not a tag}" in srt
    for text in (vtt, srt):
        back = parse_subtitles(text)
        assert " ".join(c.text for c in back[1:]).split() == LONG.split()
    assert parse_subtitles(vtt)[0].text == "Fish & chips <b>bold</b> {not a tag}"


def band_of(image: np.ndarray, width: int, height: int) -> np.ndarray:
    x, y, w, h = CAPTION_BAND.pixels(width, height)
    return planes(image, width, height)[0][y : y + h, x : x + w]


def test_korean_captions_burn_in_as_glyphs():
    font = find_font()
    assert font is not None, "no caption font: run scripts/system-deps.sh (fonts-noto-cjk)"
    width, height = 1280, 720
    frame = black(width, height)
    korean = draw_caption(frame, width, height, "안녕하세요 여러분")
    assert frame[:height].max() == 16  # the input frame is left as it was
    band = band_of(korean, width, height)
    assert (band > 200).sum() > 500  # white strokes on the dark band
    _x, _y, w, h = CAPTION_BAND.pixels(width, height)
    # Not question marks, not the font's missing-glyph boxes: different pixels each.
    for stand_in in ("?????" + " " + "???", "\U000f0000" * 5 + " " + "\U000f0000" * 3):
        other = caption_band(stand_in, w, h, str(font))
        assert np.abs(band.astype(int) - other.astype(int)).sum() > 50_000
    # Each syllable is its own shape.
    syllables = [caption_band(ch, w, h, str(font)) for ch in "안녕하세요"]
    assert len({s.tobytes() for s in syllables}) == 5
    # The same caption again is drawn from the cache (the writer thread draws every frame).
    assert caption_band("안녕하세요 여러분", w, h, str(font)) is caption_band(
        "안녕하세요 여러분", w, h, str(font)
    )
