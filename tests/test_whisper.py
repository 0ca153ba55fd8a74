"""Whisper (faster-whisper): the model joined from its PyPI packages, English speech from
espeak-ng through Whisper and the director to B-roll, in `render` and live (streaming)."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from livedirector_desktop import models
from livedirector_desktop.core.errors import BadInputError, LiveDirectorError
from livedirector_desktop.media.synthetic import speak, write_talk

# A talk the director has not been tuned on: three topical sentences between small talk.
TALK = [
    "Hello and welcome to my weekly update.",
    "Yesterday I watched a rocket launch into space from the coast.",
    "It was a busy week.",
    "Every morning I brew a fresh cup of coffee before work.",
    "Then I charged my electric car at the station downtown.",
    "That is all for today, thanks for watching.",
]
TOPICAL = {1: "rocket-launch", 3: "coffee-pour", 4: "electric-car"}
TOPICAL_WORDS = {1: "rocket", 3: "coffee", 4: "car"}


@pytest.fixture(scope="module")
def english_talk(tmp_path_factory) -> tuple[Path, np.ndarray, list[dict]]:
    """The talk spoken by espeak-ng over the synthetic webcam; also its 16 kHz int16 audio."""
    out = tmp_path_factory.mktemp("en_talk")
    audio, segments = speak(TALK)
    video = write_talk(out / "talk.mp4", audio, 22050, width=320, height=180, fps=15)
    n = int(len(audio) * 16000 / 22050)
    pcm = np.interp(np.arange(n) * 22050 / 16000, np.arange(len(audio)), audio)
    return video, (np.clip(pcm, -1, 1) * 32767).astype(np.int16), segments


# ---------------------------------------------------------------- the model


def test_whisper_base_is_joined_from_its_packages_and_checked(whisper_path, tmp_path):
    dest_dir = tmp_path / "models"
    # A half-written earlier copy is replaced whole.
    (dest_dir / "faster-whisper-base").mkdir(parents=True)
    (dest_dir / "faster-whisper-base" / "model.bin").write_bytes(b"half")
    seen = []
    dest = models.install("whisper-base", dest_dir, progress=lambda d, t: seen.append((d, t)))
    assert dest == dest_dir / "faster-whisper-base"
    assert (dest / "model.bin").stat().st_size == 145_217_532
    assert models.sha256_file(dest / "model.bin") == models.WHISPER_BASE_SHA256
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        assert (dest / name).read_bytes() == (whisper_path / name).read_bytes()
    assert models.require("whisper-base", dest_dir) == dest
    assert seen and seen[-1][0] == seen[-1][1] > 145_000_000  # progress reached the total
    assert [p.name for p in dest_dir.iterdir()] == ["faster-whisper-base"]  # nothing left over


def test_a_part_that_fails_its_checksum_is_refused(whisper_path, tmp_path, monkeypatch):
    spec = models.get_spec("whisper-base")
    bad = models.PackagedFile(
        "config.json", spec.package_files[1].parts, spec.package_files[1].size_bytes, "0" * 64
    )
    monkeypatch.setitem(
        models.REGISTRY,
        "whisper-base",
        models.ModelSpec(**{**spec.__dict__, "package_files": (bad,)}),
    )
    dest_dir = tmp_path / "models"
    existing = dest_dir / "faster-whisper-base"
    existing.mkdir(parents=True)
    (existing / "model.bin").write_bytes(b"the copy the user had")
    with pytest.raises(LiveDirectorError, match="does not match its checksum"):
        models.install("whisper-base", dest_dir)
    # What was there before is untouched, and no temporary folder is left behind.
    assert (existing / "model.bin").read_bytes() == b"the copy the user had"
    assert [p.name for p in dest_dir.iterdir()] == ["faster-whisper-base"]


def test_whisper_base_downloads_file_by_file_from_a_mirror(whisper_path, tmp_path):
    """Users without the packages download Systran's files; here a loopback mirror of them."""
    handler = lambda *a, **kw: http.server.SimpleHTTPRequestHandler(  # noqa: E731
        *a, directory=str(whisper_path), **kw
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        dest = models.install("whisper-base", tmp_path / "models", url=url)
    finally:
        server.shutdown()
    assert models.sha256_file(dest / "model.bin") == models.WHISPER_BASE_SHA256
    assert models.require("whisper-base", tmp_path / "models") == dest
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["faster-whisper-base"]


def test_models_list_shows_whisper(whisper_path):
    out = subprocess.run(
        [sys.executable, "-m", "livedirector_desktop", "models", "list", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    row = next(m for m in json.loads(out.stdout)["models"] if m["name"] == "whisper-base")
    assert row["present"] and row["kind"] == "asr" and Path(row["path"]) == whisper_path
    assert row["size_bytes"] > 145_000_000


def test_missing_whisper_model_says_how_to_get_it(tmp_path, monkeypatch):
    from livedirector_desktop.config import Settings
    from livedirector_desktop.engine import make_recognizer

    monkeypatch.setenv("LIVEDIRECTOR_MODELS", str(tmp_path / "empty"))
    with pytest.raises(models.ModelMissingError) as err:
        make_recognizer(Settings(), asr="whisper")
    assert "livedirector models install whisper-base" in err.value.hint


def test_asr_choice_is_checked(tmp_path, settings_session):
    from livedirector_desktop.config import load_settings
    from livedirector_desktop.engine import make_recognizer

    path = tmp_path / "settings.toml"
    path.write_text('[studio]\nasr = "whisperx"\n')
    expected = r"studio\.asr = 'whisperx'.*'vosk' or 'whisper'"
    with pytest.raises(BadInputError, match=expected) as err:
        load_settings(path)
    assert str(path) in str(err.value)
    with pytest.raises(BadInputError, match="use one of: vosk, whisper"):
        make_recognizer(settings_session, asr="kaldi")
    path.write_text('[studio]\nasr = "whisper"\nwhisper_model = "whisper-base"\n')
    assert load_settings(path).studio.asr == "whisper"


def test_unknown_language_is_refused(whisper_path):
    from livedirector_desktop.asr.whisper_backend import WhisperRecognizer

    with pytest.raises(BadInputError, match="does not know the language 'xx'"):
        WhisperRecognizer(whisper_path, language="xx")


# ---------------------------------------------------------------- English end to end


def test_render_with_whisper_picks_the_broll_of_each_topic(
    english_talk, whisper_path, sample_library, tmp_path
):
    """No transcript given: Whisper hears the talk, the director (llama.cpp) picks the clips."""
    video, _, segments = english_talk
    out = tmp_path / "out.mp4"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "livedirector_desktop",
            "render",
            str(video),
            "-o",
            str(out),
            "--asr",
            "whisper",
            "--library",
            str(sample_library.root),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    timeline = json.loads(out.with_suffix(".json").read_text())
    print([(s["start_ms"], s["asset_id"], s["text"], s["path"]) for s in timeline["segments"]])
    for n, asset_id in TOPICAL.items():
        seg = segments[n]
        # The topic's clip comes on with its sentence, or right after the clip before it
        # has had its minimum time on screen; the sentence it names is the one heard.
        shown = [
            s
            for s in timeline["segments"]
            if s["asset_id"] == asset_id
            and seg["start"] * 1000 - 1000 <= s["start_ms"] <= seg["end"] * 1000 + 4000
        ]
        assert shown, f"{asset_id} not shown for {TALK[n]!r}"
        assert TOPICAL_WORDS[n] in shown[0]["text"].lower()
    srt = out.with_suffix(".srt").read_text().lower()
    assert all(word in srt for word in TOPICAL_WORDS.values())


def test_streaming_whisper_live_partials_then_finals_to_broll(
    english_talk, whisper_path, sample_library, settings_session
):
    """The talk as a microphone: 100 ms blocks in real time through the recognizer worker;
    partials come while a sentence is spoken, its final soon after, and the director picks
    the topic's clip from the finals."""
    from livedirector_desktop.asr.recognizer import RecognizerWorker
    from livedirector_desktop.engine import make_director, make_recognizer

    _, pcm, segments = english_talk
    settings = settings_session
    recognizer = make_recognizer(
        settings, whisper_path, language="en", asr="whisper", streaming=True
    )
    events: list[tuple[float, object]] = []
    lock = threading.Lock()
    started = time.perf_counter()

    def on_event(event) -> None:
        with lock:
            events.append((time.perf_counter() - started, event))

    worker = RecognizerWorker(recognizer, on_event)
    block = 1600
    for i in range(0, len(pcm), block):
        worker.feed(pcm[i : i + block], 16000)
        time.sleep(max(0.0, (i + block) / 16000 - (time.perf_counter() - started)))
    worker.close()
    assert worker.dropped_blocks == 0

    finals = [(at, e) for at, e in events if e.is_final]
    partials = [(at, e) for at, e in events if not e.is_final]
    assert partials and finals
    director = make_director(settings, sample_library)
    shown = {}
    latencies_ms = []
    for n in TOPICAL:
        seg = segments[n]
        # The final of this sentence: the one whose words overlap its time span.
        final_at, final = next(
            (at, e)
            for at, e in finals
            if e.start_ms < seg["end"] * 1000 and e.end_ms > seg["start"] * 1000
        )
        assert TOPICAL_WORDS[n] in final.text.lower(), final.text
        assert final.words and all(
            seg["start"] * 1000 - 500 <= s <= e <= seg["end"] * 1000 + 500
            for _, s, e in final.words
        )
        # A partial of the same sentence arrived before its final, while it was spoken.
        early = [
            at
            for at, e in partials
            if e.start_ms < seg["end"] * 1000 and e.end_ms > seg["start"] * 1000
        ]
        assert early and min(early) < final_at and min(early) < seg["end"]
        latencies_ms.append((final_at - seg["end"]) * 1000)
        decision = director.decide(final.text, now_ms=final.end_ms)
        # A clip asked for but held back by the minimum time on screen still counts.
        shown[n] = decision.asset_id or decision.wanted_asset_id
    assert shown == TOPICAL, shown
    # From the end of each sentence's espeak-ng audio, which trails ~0.35 s of silence.
    print(f"sentence audio end -> final (wall, ms): {[round(x) for x in latencies_ms]}")


def test_whisper_hears_korean(whisper_path):
    """Whisper is multilingual: Korean speech comes out as Hangul (accuracy not asserted)."""
    from livedirector_desktop.asr.whisper_backend import WhisperRecognizer

    audio, _ = speak(["오늘은 날씨가 정말 좋습니다."], voice="ko")
    n = int(len(audio) * 16000 / 22050)
    pcm = np.interp(np.arange(n) * 22050 / 16000, np.arange(len(audio)), audio)
    pcm16 = (np.clip(pcm, -1, 1) * 32767).astype(np.int16)
    for streaming in (False, True):
        rec = WhisperRecognizer(whisper_path, language="ko", streaming=streaming)
        events = []
        for i in range(0, len(pcm16), 3200):
            events += rec.accept(pcm16[i : i + 3200])
        events += rec.finish()
        text = " ".join(e.text for e in events if e.is_final)
        assert any("\uac00" <= ch <= "\ud7a3" for ch in text), text
        print(f"whisper ko (streaming={streaming}): {text}")


def _voiced(sentence: str) -> np.ndarray:
    """espeak-ng speech of one sentence at 16 kHz int16, cut where its voice ends."""
    audio, _ = speak([sentence], lead_s=0.0, gap_s=0.0)
    loud = np.flatnonzero(np.abs(audio) > 10 ** (-50 / 20))
    audio = audio[: loud[-1] + 1]
    n = int(len(audio) * 16000 / 22050)
    pcm = np.interp(np.arange(n) * 22050 / 16000, np.arange(len(audio)), audio)
    return (np.clip(pcm, -1, 1) * 32767).astype(np.int16)


def test_a_short_pause_does_not_end_the_utterance(whisper_path):
    """A 200 ms pause starts the final's decode early, but speech resumes before 300 ms:
    the early text is shown as a partial, and one final carries both halves."""
    from livedirector_desktop.asr.whisper_backend import WhisperRecognizer

    silence = np.zeros(int(0.2 * 16000), np.int16)
    pcm = np.concatenate(
        [
            np.zeros(8000, np.int16),
            _voiced("The rocket lifted off at dawn."),
            silence,
            _voiced("Then I made a cup of coffee."),
            np.zeros(16000, np.int16),
        ]
    )
    rec = WhisperRecognizer(whisper_path, language="en", streaming=True)
    events = []
    for i in range(0, len(pcm), 1600):
        events += rec.accept(pcm[i : i + 1600])
    tail = rec.finish()
    finals = [e for e in events if e.is_final]
    assert tail == [] and len(finals) == 1, [e.text for e in events]
    assert "rocket" in finals[0].text.lower() and "coffee" in finals[0].text.lower()
    first_half = [e for e in events if not e.is_final and "rocket" in e.text.lower()]
    assert first_half and "coffee" not in first_half[0].text.lower()
    assert rec.decodes["final"] == 2  # the early one (shown as a partial) and the last
