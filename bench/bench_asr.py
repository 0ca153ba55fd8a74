"""Speech recognition benchmark: word error rate, real-time factor and, live, end of speech
-> final latency and CPU share of each recognizer on the same generated talks.

    nice -n 5 .venv/bin/python bench/bench_asr.py [--quick]

Talks are espeak-ng speech of realistic length (tens of seconds): English for Whisper (no
English Vosk model can be downloaded here), Korean for both Vosk and Whisper. espeak-ng's
voice is robotic, so the error rates are those of that voice, not of a person. Text is
compared after lower-casing and dropping punctuation; numbers are not normalised (Whisper
writing "6" for "six" counts as an error). Korean is also scored per character (CER),
since a Korean "word" (eojeol) carries its particles and one wrong syllable fails it.

Modes:
- whole talk: the render path (Whisper: faster-whisper over the whole talk with word
  timestamps; Vosk: 200 ms chunks as fast as it goes). RTF = recognition time / audio;
  also CPU seconds per audio second, which other load on the machine disturbs less.
- live: 100 ms blocks paced in real time through the RecognizerWorker thread, as from a
  microphone. Latency = wall time from the end of a sentence's voice (last sample above
  -50 dBFS) to the final that closes it; first words = wall time from the onset of its
  voice to the first partial (or final) that reaches into it. CPU = process CPU time /
  wall time (1.0 = one core).
Writes bench/results/asr.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from livedirector_desktop import models  # noqa: E402
from livedirector_desktop.asr.audio import Resampler  # noqa: E402
from livedirector_desktop.asr.recognizer import RecognizerWorker  # noqa: E402
from livedirector_desktop.media.synthetic import speak  # noqa: E402
from tests.support import (  # noqa: E402
    edit_distance,
    librivox_talk,
    natural_talk,
    normalise_words,
    with_noise,
)

ENGLISH = [
    "Hi everyone, welcome back to the channel.",
    "Today I want to talk about my week.",
    "On Monday I watched a rocket launch into space.",
    "It lifted off just after sunrise and the sky was clear.",
    "Every morning I make a cup of coffee before I start working.",
    "This week I finally bought an electric car.",
    "Charging it at home takes about six hours.",
    "On Saturday we hiked up a mountain trail with some friends.",
    "The view from the top was amazing.",
    "My index fund went up again, so the stock market had a good week.",
    "Thanks for watching, and see you next time.",
]
KOREAN = [
    "안녕하세요. 오늘은 제 주말 이야기를 해 보겠습니다.",
    "토요일 아침에 커피를 마시고 공원에 갔습니다.",
    "공원에서 친구들과 함께 산책을 했습니다.",
    "오후에는 바닷가에 가서 파도를 보았습니다.",
    "저녁에는 가족과 함께 맛있는 음식을 만들었습니다.",
    "일요일에는 산에 올라가서 사진을 찍었습니다.",
    "요즘 주식 시장이 많이 올랐습니다.",
    "다음 주에는 새 노트북으로 코딩을 할 예정입니다.",
    "시청해 주셔서 감사합니다.",
]


def error_rates(reference: str, hypothesis: str) -> dict:
    ref, hyp = normalise_words(reference), normalise_words(hypothesis)
    out = {"wer": round(edit_distance(ref, hyp) / max(len(ref), 1), 3), "ref_words": len(ref)}
    ref_chars, hyp_chars = list("".join(ref)), list("".join(hyp))
    out["cer"] = round(edit_distance(ref_chars, hyp_chars) / max(len(ref_chars), 1), 3)
    return out


Span = tuple[float, float]  # where a sentence's voice begins and ends (s)


def make_talk(
    sentences: list[str], voice: str, gap_s: float | list[float] = 0.8
) -> tuple[np.ndarray, list[Span]]:
    """16 kHz int16 speech, and where each sentence's voice begins and ends (s)."""
    audio, segments = speak(sentences, voice=voice, gap_s=gap_s)
    rate = 22050
    spans = []
    for seg in segments:
        a, b = int(seg["start"] * rate), int(seg["end"] * rate)
        loud = np.flatnonzero(np.abs(audio[a:b]) > 10 ** (-50 / 20))
        first, last = (loud[0], loud[-1]) if len(loud) else (0, b - a)
        spans.append(((a + first) / rate, (a + last) / rate))
    r = Resampler()
    return np.concatenate([r.push(audio, rate), r.flush()]), spans


def voice_spans(pcm: np.ndarray, clip_ends_s: list[float], below_dbfs: float = -40) -> list[Span]:
    """Where the voice of each clip begins and ends (s): its first and last 20 ms frame
    above `below_dbfs`."""
    frame, spans, start = 320, [], 0
    for end_s in clip_ends_s:
        part = pcm[start : int(end_s * 16000)].astype(np.float32) / 32768
        n = len(part) // frame
        rms = np.sqrt(np.mean(part[: n * frame].reshape(n, frame) ** 2, axis=1))
        loud = np.flatnonzero(rms > 10 ** (below_dbfs / 20))
        first, last = (loud[0], loud[-1] + 1) if len(loud) else (0, 0)
        spans.append(((start + first * frame) / 16000, (start + last * frame) / 16000))
        start = int(end_s * 16000)
    return spans


def first_words_ms(events: list[tuple[float, object]], spans: list[Span]) -> list[float]:
    """For each sentence, wall ms from its voice's onset to the first event (a partial, or
    a final) that reaches into it: how long a viewer waits for its first words."""
    out = []
    for begin_s, end_s in spans:
        heard = [at for at, e in events if at >= begin_s and e.end_ms >= begin_s * 1000 + 100]
        if heard and min(heard) <= end_s + 5:
            out.append((min(heard) - begin_s) * 1000)
    return out


def real_speech_talks(gap_s: float = 1.0) -> dict[str, tuple[np.ndarray, str, list[Span]]]:
    """LibriVox read speech, clean and in pink noise at 15 dB SNR (three noises), and the
    long espeak monologue of the natural-pace talk: audio, reference, spans of voice."""
    pcm, reference = librivox_talk(gap_s)
    import wave

    from tests.support import LIBRIVOX

    clip_ends, at = [], 0.0
    for wav in sorted(LIBRIVOX.glob("*.wav")):
        with wave.open(str(wav)) as w:
            at += w.getnframes() / 16000
        clip_ends.append(at)
        at += gap_s
    spans = voice_spans(pcm, clip_ends)
    talks = {"librivox/clean": (pcm, reference, spans)}
    for seed in range(3):
        talks[f"librivox/pink15dB-{seed}"] = (with_noise(pcm, 15.0, seed), reference, spans)
    script, gaps = natural_talk()
    texts = [t for t, _ in script]
    natural, natural_spans = make_talk(texts, "en-us", gaps)
    talks["espeak/natural-monologue"] = (natural, " ".join(texts), natural_spans)
    return talks


def whole_talk(make, pcm: np.ndarray, reference: str, chunk: int = 3200, repeat: int = 3) -> dict:
    """The median of `repeat` runs (a fresh recognizer each, its loading not timed)."""
    walls, cpus = [], []
    for _ in range(repeat):
        rec = make()
        started, cpu0 = time.perf_counter(), time.process_time()
        events = []
        for i in range(0, len(pcm), chunk):
            events += rec.accept(pcm[i : i + chunk])
        events += rec.finish()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu0)
    text = " ".join(e.text for e in events if e.is_final)
    audio_s = len(pcm) / 16000
    return {
        "real_time_factor": round(float(np.median(walls)) / audio_s, 3),
        "real_time_factor_runs": [round(w / audio_s, 3) for w in walls],
        # CPU seconds per second of audio (all threads): less sensitive to other load.
        "cpu_s_per_audio_s": round(float(np.median(cpus)) / audio_s, 3),
        **error_rates(reference, text),
        "text": text,
    }


def live(make, pcm: np.ndarray, reference: str, spans: list[Span]) -> dict:
    rec = make()
    events: list[tuple[float, object]] = []
    lock = threading.Lock()
    started = time.perf_counter()

    def on_event(event) -> None:
        with lock:
            events.append((time.perf_counter() - started, event))

    cpu0 = time.process_time()
    worker = RecognizerWorker(rec, on_event)
    block = 1600
    for i in range(0, len(pcm), block):
        worker.feed(pcm[i : i + block], 16000)
        time.sleep(max(0.0, (i + block) / 16000 - (time.perf_counter() - started)))
    worker.close(60)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu0
    finals = [(at, e) for at, e in events if e.is_final]
    partials = [(at, e) for at, e in events if not e.is_final]
    # Each sentence is closed by the first final after its voice ends whose words reach
    # into the last half second of it.
    latencies = []
    for _, end_s in spans:
        closing = [at for at, e in finals if e.end_ms >= end_s * 1000 - 500 and at >= end_s]
        if closing:
            latencies.append((min(closing) - end_s) * 1000)
    text = " ".join(e.text for _, e in finals)
    # Partial cadence: seconds between one partial and the next of the same utterance.
    gaps = [
        (b_at - a_at) * 1000
        for (a_at, a), (b_at, b) in itertools.pairwise(partials)
        if a.start_ms == b.start_ms
    ]
    first = first_words_ms(events, spans)
    return {
        "voice_onset_to_first_words_ms": {
            "p50": round(float(np.percentile(first, 50)), 1) if first else None,
            "p90": round(float(np.percentile(first, 90)), 1) if first else None,
            "sentences": f"{len(first)}/{len(spans)}",
        },
        "partial_interval_ms": {
            "p50": round(float(np.percentile(gaps, 50)), 1) if gaps else None,
            "p95": round(float(np.percentile(gaps, 95)), 1) if gaps else None,
        },
        "end_of_speech_to_final_ms": {
            "p50": round(float(np.percentile(latencies, 50)), 1) if latencies else None,
            "p95": round(float(np.percentile(latencies, 95)), 1) if latencies else None,
            "sentences_closed": f"{len(latencies)}/{len(spans)}",
        },
        "cpu_cores_used": round(cpu / wall, 3),
        "partials": len(partials),
        "finals": len(finals),
        "dropped_blocks": worker.dropped_blocks,
        "decodes": getattr(rec, "decodes", None),
        **error_rates(reference, text),
        "text": text,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="skip the 1-thread live run")
    parser.add_argument("--real", action="store_true", help="also real speech (LibriVox)")
    parser.add_argument("--only", default="", help="run only the runs whose name has this")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "asr.json")
    args = parser.parse_args()

    from livedirector_desktop.asr.vosk_backend import VoskRecognizer
    from livedirector_desktop.asr.whisper_backend import WhisperRecognizer
    from livedirector_desktop.config import load_settings

    models_dir = load_settings().models_path
    whisper = models.locate(models.get_spec("whisper-base"), models_dir)
    if whisper is None:
        sys.exit("whisper-base missing: livedirector models install whisper-base")
    vosk_ko = models.locate(models.get_spec("vosk-ko"), models_dir)

    en_pcm, en_spans = make_talk(ENGLISH, "en-us")
    ko_pcm, ko_spans = make_talk(KOREAN, "ko")
    en_ref, ko_ref = " ".join(ENGLISH), " ".join(KOREAN)

    def whisper_make(language: str, streaming: bool, threads: int = 2):
        return lambda: WhisperRecognizer(
            whisper, language=language, streaming=streaming, threads=threads
        )

    results: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "talks": {
            "english": {"voice": "espeak-ng en-us", "audio_s": round(len(en_pcm) / 16000, 1)},
            "korean": {"voice": "espeak-ng ko", "audio_s": round(len(ko_pcm) / 16000, 1)},
        },
        "runs": {},
    }
    runs = results["runs"]

    def run(name: str, fn) -> None:
        if args.only not in name:
            return
        print(f"bench: {name} ...", flush=True)
        runs[name] = fn()
        summary = {k: v for k, v in runs[name].items() if k != "text"}
        print(f"  {json.dumps(summary)}\n  text: {runs[name]['text'][:160]}", flush=True)

    run("whisper-en/whole", lambda: whole_talk(whisper_make("en", False), en_pcm, en_ref))
    run("whisper-ko/whole", lambda: whole_talk(whisper_make("ko", False), ko_pcm, ko_ref))
    if vosk_ko is not None:
        run(
            "vosk-ko/whole",
            lambda: whole_talk(lambda: VoskRecognizer(vosk_ko), ko_pcm, ko_ref, 3200),
        )
    run(
        "whisper-en/live-2threads", lambda: live(whisper_make("en", True), en_pcm, en_ref, en_spans)
    )
    if not args.quick:
        run(
            "whisper-en/live-1thread",
            lambda: live(whisper_make("en", True, 1), en_pcm, en_ref, en_spans),
        )
    run(
        "whisper-ko/live-2threads", lambda: live(whisper_make("ko", True), ko_pcm, ko_ref, ko_spans)
    )
    if vosk_ko is not None:
        run(
            "vosk-ko/live",
            lambda: live(lambda: VoskRecognizer(vosk_ko), ko_pcm, ko_ref, ko_spans),
        )
    if args.real:
        for name, (pcm, reference, ends) in real_speech_talks().items():
            run(
                f"whisper-en/{name}/whole",
                lambda p=pcm, r=reference: whole_talk(whisper_make("en", False), p, r, repeat=1),
            )
            run(
                f"whisper-en/{name}/live",
                lambda p=pcm, r=reference, e=ends: live(whisper_make("en", True), p, r, e),
            )
            w = runs.get(f"whisper-en/{name}/whole", {}).get("wer")
            lv = runs.get(f"whisper-en/{name}/live", {}).get("wer")
            if w is not None and lv is not None:
                runs[f"whisper-en/{name}/live"]["wer_vs_whole"] = round(lv / max(w, 1e-9), 2)
        noisy = [k for k in runs if "pink15dB" in k]
        if noisy:
            pooled = {
                mode: round(float(np.mean([runs[k]["wer"] for k in noisy if k.endswith(mode)])), 3)
                for mode in ("/whole", "/live")
            }
            pooled["live_vs_whole"] = round(pooled["/live"] / max(pooled["/whole"], 1e-9), 2)
            results["librivox_pink15dB_pooled_wer"] = pooled
    results["machine"]["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
