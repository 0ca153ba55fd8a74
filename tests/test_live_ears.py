"""Live listening as good as offline, on real read speech (LibriVox), clean and in a noisy
room; a VAD that a fan or hum does not fool; no invented text; captions as people read them."""

from __future__ import annotations

import numpy as np
import pytest

from livedirector_desktop.asr.captions import MIN_CUE_MS, caption_cues, wrap
from livedirector_desktop.asr.transcript import Cue, group_words
from tests.support import librivox_talk, pink_noise, with_noise, word_error_rate


@pytest.fixture(scope="module")
def real_talk() -> tuple[np.ndarray, str]:
    try:
        return librivox_talk(gap_s=1.0)
    except FileNotFoundError as exc:
        pytest.fail(str(exc))


def _listen(whisper_path, pcm: np.ndarray, streaming: bool, block: int = 1600) -> list:
    from livedirector_desktop.asr.whisper_backend import WhisperRecognizer

    rec = WhisperRecognizer(whisper_path, language="en", streaming=streaming)
    events = []
    for i in range(0, len(pcm), block):
        events += rec.accept(pcm[i : i + block])
    return [e for e in events + rec.finish() if e.is_final]


def test_live_decoding_on_its_own_thread_hears_what_one_model_hears(whisper_path, real_talk):
    """Live finals are decoded by a one-thread copy of the model (faster: see
    whisper_backend); on real speech it hears the same words, timed alike, as the encoder's
    own model does."""
    from livedirector_desktop.asr.whisper_backend import WhisperRecognizer

    rec = WhisperRecognizer(whisper_path, language="en", streaming=True)
    assert rec._decoder is not rec.model
    audio = real_talk[0][: 7 * 16000].astype(np.float32) / 32768
    split = rec._decode(audio, True, 15.0, "")
    rec._decoder = rec.model
    single = rec._decode(audio, True, 15.0, "")
    assert "John Dashwood had then leisure" in split[0]
    assert split[0] == single[0]
    assert [w for w, _, _ in split[1]] == [w for w, _, _ in single[1]]
    for (_, s1, e1), (_, s2, e2) in zip(split[1], single[1], strict=True):
        assert abs(s1 - s2) <= 20 and abs(e1 - e2) <= 20


# ---------------------------------------------------------------- the VAD


def test_silero_streamed_in_pieces_scores_as_the_whole_file(real_talk):
    from faster_whisper.vad import get_vad_model

    from livedirector_desktop.asr.vad import FRAME_SAMPLES, SileroVad

    audio = real_talk[0][: 10 * 16000].astype(np.float32) / 32768
    audio = audio[: len(audio) // FRAME_SAMPLES * FRAME_SAMPLES]
    whole = get_vad_model()(audio).reshape(-1)
    vad = SileroVad()
    pieces, at = [], 0
    for size in [700, 1600, 333, 5000, 1024] * 100:  # blocks that do not fall on frames
        pieces.append(vad.push(audio[at : at + size]))
        at += size
        if at >= len(audio):
            break
    streamed = np.concatenate(pieces)
    assert streamed.shape == whole.shape
    np.testing.assert_allclose(streamed, whole, atol=1e-5)


def test_a_fan_or_a_hum_opens_no_utterance(whisper_path):
    """Ten seconds of a steady room: pink noise (a fan) at -30 dBFS, then a 50 Hz hum
    with harmonics at -25 dBFS. Nothing is decoded, nothing is sent."""
    from livedirector_desktop.asr.whisper_backend import WhisperRecognizer

    t = np.arange(10 * 16000) / 16000
    fan = pink_noise(len(t), seed=3) * 10 ** (-30 / 20)
    hum = sum(np.sin(2 * np.pi * 50 * k * t) / k for k in (1, 2, 3)) * 10 ** (-25 / 20)
    rec = WhisperRecognizer(whisper_path, language="en", streaming=True)
    for room in (fan, hum):
        pcm = (np.clip(room, -1, 1) * 32767).astype(np.int16)
        events = [e for i in range(0, len(pcm), 1600) for e in rec.accept(pcm[i : i + 1600])]
        assert events == []
    assert rec.finish() == []
    assert rec.decodes == {"partial": 0, "final": 0}


# ---------------------------------------------------------------- live vs offline


@pytest.mark.parametrize("snr_db", [None, 15.0], ids=["clean", "pink-noise-15dB"])
def test_live_hears_real_speech_as_well_as_offline(whisper_path, real_talk, snr_db):
    """Target: live WER <= 1.25 x offline WER of the same model on the same audio. On these
    71 words one word is 0.014: the test allows two words over that (the bench reports the
    ratio). Before Silero VAD and the 15 s window, live was 0.20 / 0.23 against 0.06."""
    pcm, reference = real_talk
    if snr_db is not None:
        pcm = with_noise(pcm, snr_db)
    offline = _listen(whisper_path, pcm, streaming=False)
    live = _listen(whisper_path, pcm, streaming=True)
    offline_wer = word_error_rate(reference, " ".join(e.text for e in offline))
    live_text = " ".join(e.text for e in live)
    live_wer = word_error_rate(reference, live_text)
    print(f"{snr_db=}: offline WER {offline_wer:.3f}, live {live_wer:.3f}: {live_text}")
    assert offline_wer <= 0.1
    assert live_wer <= 1.25 * offline_wer + 2 / 71, live_text
    # No sentence twice, nothing from the silence after the talk.
    texts = [e.text.lower() for e in live]
    assert len(set(texts)) == len(texts)
    assert live[-1].end_ms <= len(pcm) / 16 - 500
    assert all(not w.startswith("-") for e in live for w, _, _ in e.words)  # "ill-disposed"


def test_partials_wait_while_audio_is_queued_and_finals_still_come(real_talk):
    """Under load (audio queued behind the recognizer) no partial is decoded, so finals are
    not delayed by them; the finals themselves still come. Real Silero VAD on real speech;
    the decode is a counting stand-in (the stream's decoder is injected by design)."""
    from livedirector_desktop.asr.whisper_stream import StreamOptions, WhisperStream

    asked: list[bool] = []

    def decode(audio, final, window_s, prompt):
        asked.append(final)
        return ("words heard", ()) if final else ("partial", ())

    pcm = real_talk[0][: 12 * 16000]
    for backlog_ms, want_partials in ((0.0, True), (2000.0, False)):
        asked.clear()
        stream = WhisperStream(decode, StreamOptions())
        stream.backlog_ms = backlog_ms
        events = [e for i in range(0, len(pcm), 1600) for e in stream.accept(pcm[i : i + 1600])]
        assert any(e.is_final for e in events)
        assert (False in asked) is want_partials, asked


# ---------------------------------------------------------------- guards


def test_loops_and_echoes_are_caught_and_speech_is_not():
    from livedirector_desktop.asr.guards import echoes, loops

    assert loops("and the and the and the and the and the and the and the")
    assert not loops("He was not an ill-disposed young man, unless to be rather cold-hearted.")
    said = ["Unless to be rather cold-hearted and rather selfish is to be ill-disposed."]
    assert echoes("rather cold-hearted and rather selfish", said)
    assert not echoes("Yes.", ["Yes."])  # a short answer may be said twice
    assert not echoes("Had he married a more amiable woman", said)


def test_a_partial_that_starts_over_keeps_its_first_pass():
    """Whisper base decoding the first half second of a sentence in a padded window, on the
    natural-pace talk: it heard the words, then started over in the padding. The first pass
    is kept (it used to be dropped as a loop, and the sentence's first partial came 1.2 s
    in); speech that does not repeat itself is left whole."""
    from livedirector_desktop.asr.guards import before_repeat

    heard = {
        "Samsung Samsung Samsung Samsung Samsung Samsung": "Samsung",
        "In Master. In Master. In Master. In Master. In Ma": "In Master.",
        "The central bank would be the central bank would": "The central bank would be",
        "Market slunge this morning. Market slunge this mo": "Market slunge this morning.",
        "The economy crashed badly after. The economy crash": "The economy crashed badly after.",
        "I refuse. I refuse. I refuse. I refuse. I refuse.": "I refuse.",
    }
    for decoded, first_pass in heard.items():
        assert before_repeat(decoded) == first_pass
    for said in (
        "He was not an ill-disposed young man, unless to be rather cold-hearted.",
        "No no, that is not what I said.",
        "Samsung's new foldable is surprisingly durable.",
        "Investors are thrilled, portfolios are up twenty percent this year.",
    ):
        assert before_repeat(said) == said


def test_a_partial_that_takes_up_its_prompt_again_is_not_sent():
    """ "Um," heard after a sentence about a phone, with that sentence as Whisper's prompt,
    came out as the prompt going on (natural-pace talk, Whisper base); the phone clip then
    stayed 3 s into the aside. A partial opening with three words of the last final is
    not sent; one that only shares a word or two with it is."""
    from livedirector_desktop.asr.guards import goes_on_from

    said = ["Samsung's new foldable is surprisingly durable."]
    assert goes_on_from("Samsung's new foldable is a Samsung Galaxy S2", said)
    assert not goes_on_from("Um.", said)
    assert not goes_on_from("Samsung phones are everywhere", said)
    assert not goes_on_from("The foldable is new", said)


def test_each_sentence_s_first_words_come_as_soon_as_there_is_voice_enough(whisper_path):
    """The clip of the sentence before waits for the next sentence's first words (the shot
    planner's continuity wait), so they must come early: on twelve sentences of the
    natural-pace talk (pauses 0.3-2 s), real Whisper base, the first partial of a sentence
    comes within 0.8 s of its audio (200 ms of it from before the voice) for all but one.
    Before, partials paced by the finals' cost and dropped when they started over: 1.2 s
    (median, wall) into the sentence."""
    from livedirector_desktop.asr.audio import Resampler
    from livedirector_desktop.asr.whisper_backend import WhisperRecognizer
    from livedirector_desktop.media.synthetic import speak
    from tests.support import natural_talk

    script, pauses = natural_talk()
    audio, _ = speak([text for text, _ in script[:12]], gap_s=pauses[:12])
    resampler = Resampler()
    pcm = np.concatenate([resampler.push(audio, 22050), resampler.flush()])
    rec = WhisperRecognizer(whisper_path, language="en", streaming=True)
    events = [e for i in range(0, len(pcm), 1600) for e in rec.accept(pcm[i : i + 1600])]
    first: dict[float, object] = {}
    for event in events:
        if not event.is_final:
            first.setdefault(event.start_ms, event)
    heard_ms = sorted(e.end_ms - e.start_ms for e in first.values())
    assert len(first) >= 11, [e.text for e in events]
    assert heard_ms[-2] <= 800, heard_ms
    assert all(e.text.split() for e in first.values())


def test_a_segment_repeating_the_one_before_is_not_a_caption(whisper_path, monkeypatch):
    """Whole-talk mode drops a segment that is already inside the one before it (Whisper
    writing its context again over silence) and one that loops. Whisper does not invent
    text on demand, so the model's segment list is stubbed here: this checks the filter
    over what `transcribe` returns, with the real recognizer around it."""
    from types import SimpleNamespace

    from livedirector_desktop.asr.whisper_backend import WhisperRecognizer

    rec = WhisperRecognizer(whisper_path, language="en", streaming=False)
    said = "He was not an ill-disposed young man."
    segments = [
        SimpleNamespace(text=said, start=0.0, end=2.5, words=[]),
        SimpleNamespace(text=" not an ill-disposed young man.", start=2.6, end=3.0, words=[]),
        SimpleNamespace(text=" and the and the and the and the and the", start=3, end=4, words=[]),
        SimpleNamespace(text=" Unless to be rather selfish.", start=4.0, end=6.0, words=[]),
    ]
    monkeypatch.setattr(rec.model, "transcribe", lambda *a, **k: (iter(segments), None))
    rec.accept(np.zeros(16000, np.int16))
    assert [e.text for e in rec.finish()] == [said, "Unless to be rather selfish."]


# ---------------------------------------------------------------- captions


def _words(text: str, start_ms: float, per_word_ms: float = 250) -> tuple:
    return tuple(
        (w, start_ms + i * per_word_ms, start_ms + (i + 1) * per_word_ms - 20)
        for i, w in enumerate(text.split())
    )


def test_captions_follow_sentences_with_no_slivers():
    """The render of real speech gave "And Mr." (0.6 s), "power" (0.24 s), "he" (0.1 s):
    a sentence cut at "Mr.", and long ones cut greedily. Now: whole sentences, long ones
    cut into even cues, none under 5/6 s, two lines of 42 at most."""
    first = (
        "And Mr. John Dashwood had then leisure to consider how much there might be "
        "prudently in his power to do for them."
    )
    second = (
        "Had he married a more amiable woman he might have been made still more "
        "respectable than he was."
    )
    words = (*_words(first, 0, 320), *_words(second, 8000, 280))
    sentences = group_words(list(words), pause_ms=500, max_words=40)
    assert [c.text for c in sentences] == [first, second]
    cues = caption_cues(sentences)
    assert [c.text.replace("\n", " ") for c in cues[:2]] == [
        "And Mr. John Dashwood had then leisure to consider how",
        "much there might be prudently in his power to do for them.",
    ]
    assert len(cues) == 4
    for cue in cues:
        lines = cue.text.split("\n")
        assert len(lines) <= 2 and all(len(line) <= 42 for line in lines)
        assert cue.end_ms - cue.start_ms >= MIN_CUE_MS
    assert cues[-1].text.split("\n")[-1] != "was."


def test_live_finals_cut_mid_sentence_are_one_caption_and_short_cues_are_held():
    cues = caption_cues(
        [
            Cue("Unless to be rather", 0, 1100),
            Cue("cold-hearted.", 1400, 1800),  # a breath in the middle of the sentence
            Cue("Yes.", 5000, 5200),  # a short answer: held for 5/6 s
            Cue("Then the next one.", 9000, 10_000),
        ]
    )
    assert [c.text for c in cues] == [
        "Unless to be rather cold-hearted.",
        "Yes.",
        "Then the next one.",
    ]
    assert cues[1].end_ms - cues[1].start_ms == pytest.approx(MIN_CUE_MS)


def test_two_lines_are_balanced():
    assert wrap("been made still more respectable than he was.") == [
        "been made still more",
        "respectable than he was.",
    ]
    assert wrap("Short.") == ["Short."]


def test_unpunctuated_finals_stay_apart():
    """Vosk writes no punctuation: its finals are the only sentence boundaries there are."""
    cues = caption_cues([Cue(f"sentence number {i}", i * 1000, i * 1000 + 800) for i in range(4)])
    assert [c.text for c in cues] == [f"sentence number {i}" for i in range(4)]
    assert all(c.end_ms - c.start_ms >= MIN_CUE_MS for c in cues)
