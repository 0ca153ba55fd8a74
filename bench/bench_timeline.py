"""Timeline score: B-roll as a viewer sees it, read from the pixels of the output.

Two talks. `scripted`: the canonical talk of twelve sentences, 1 s apart, on the sample
library. `natural`: a monologue as people give one, 58 sentences of the dev set in topic
order (two on each of 25 subjects, asides between), pauses drawn from 0.3-2 s, on the 40
clips of the dev library. For each topical sentence: coverage (the share of it, start to
0.5 s past its end, with its own clip fully on screen), when its clip is first fully up
relative to the sentence's start and end, the share with another clip up; for the speaker's
sentences: how far into them B-roll stays; clip changes per sentence; flashes of the
speaker between two sentences asking for one clip. Modes: `render` (a recorded talk),
`live` (the headless live session, transcript replayed in real time), `conform` (the final
cut of that live recording). Writes bench/results/timeline.json (scripted) or
timeline-natural.json.

    .venv/bin/python bench/bench_timeline.py [--talk natural] [--modes render live conform]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from livedirector_desktop.library.samples import make_library, read_catalog  # noqa: E402
from livedirector_desktop.media.synthetic import speak, write_talk  # noqa: E402
from tests.support import (  # noqa: E402
    DEV_CATALOG,
    TALK_SCRIPT,
    classify_frames,
    clip_signatures,
    coloured_catalog,
    coverage_score,
    livedirector,
    make_sample_library,
    natural_talk,
    normalise_words,
    session_cmd,
)

WIDTH, HEIGHT = 854, 480


def run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"{' '.join(cmd[:5])} failed:\n{proc.stderr[-3000:]}")


def recording_lag_s(live: Path, sentences: list[dict]) -> float:
    """How far the live recording's clock is behind the talk's: the median over sentences of
    when the talk says it began minus when the recording's timeline does."""
    cues = json.loads(live.with_suffix(".json").read_text())["cues"]
    said = {c["text"]: c["start_ms"] / 1000 for c in cues}
    lags = sorted(s["start"] - said[s["text"]] for s in sentences if s["text"] in said)
    if not lags:  # recognised speech: each sentence's cue is the one with most of its words
        for s in sentences:
            words = set(normalise_words(s["text"]))
            best = max(cues, key=lambda c: len(words & set(normalise_words(c["text"]))))
            if len(words & set(normalise_words(best["text"]))) >= 0.6 * len(words):
                lags.append(s["start"] - best["start_ms"] / 1000)
        lags.sort()
    return lags[len(lags) // 2] if lags else 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--modes", nargs="*", default=["render", "live", "conform"])
    ap.add_argument("--reasoner", default="llama")
    ap.add_argument("--talk", choices=["scripted", "natural"], default="scripted")
    ap.add_argument("--asr", help="live listens with this recognizer instead of the replay")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--keep", type=Path, help="Work in this folder and keep its files.")
    args = ap.parse_args()
    name = "timeline.json" if args.talk == "scripted" else f"timeline-{args.talk}.json"
    name = name.replace(".json", f"-{args.asr}.json") if args.asr else name
    args.out = args.out or ROOT / "bench" / "results" / name
    script, gaps = (TALK_SCRIPT, 1.0) if args.talk == "scripted" else natural_talk()
    report: dict = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "reasoner": args.reasoner,
        "asr": args.asr or "replayed transcript",
        "talk": [{"text": t, "expected": e} for t, e in script],
        "modes": {},
    }
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(args.keep or tmp_name)
        tmp.mkdir(parents=True, exist_ok=True)
        if args.talk == "scripted":
            library = make_sample_library(tmp)
        else:
            library = tmp / "lib"
            make_library(coloured_catalog(read_catalog(DEV_CATALOG)), tmp / "clips", seconds=4.0)
            run(livedirector("library", "import", str(tmp / "clips"), "--library", str(library)))
        audio, segments = speak([t for t, _ in script], gap_s=gaps)
        sentences = [
            {**seg, "expected": expected}
            for seg, (_, expected) in zip(segments, script, strict=True)
        ]
        transcript = tmp / "talk.json"
        transcript.write_text(json.dumps({"segments": segments}))
        talk = write_talk(tmp / "talk.mp4", audio, 22050, width=WIDTH, height=HEIGHT, fps=30)
        signatures = clip_signatures(tmp / "clips", WIDTH, HEIGHT)
        outputs = {
            "render": tmp / "render.mp4",
            "live": tmp / "live.mp4",
            "conform": tmp / "final.mp4",
        }
        common = ["--library", str(library), "--reasoner", args.reasoner]
        for mode in args.modes:
            started = time.perf_counter()
            if mode == "render":
                run(livedirector("render", str(talk), "-o", str(outputs[mode]),
                                 "--transcript", str(transcript), *common))  # fmt: skip
            elif mode == "live":
                listen = ["--asr", args.asr] if args.asr else []
                run(session_cmd("live", talk, None if args.asr else transcript, library,
                                "--record", str(outputs[mode]), "--resolution", "480p",
                                "--reasoner", args.reasoner, *listen))  # fmt: skip
            elif mode == "conform":
                if not outputs["live"].exists():
                    sys.exit("conform scores the live recording: run the live mode first")
                run(livedirector("conform", str(outputs["live"]), "-o", str(outputs[mode]),
                                 "--library", str(library)))  # fmt: skip
            else:
                sys.exit(f"unknown mode {mode}")
            # A live recording (and its conform) starts a moment after the talk file began
            # playing: score it against the sentences' times in the recording.
            lag_s = recording_lag_s(outputs["live"], sentences) if mode != "render" else 0.0
            timed = [{**s, "start": s["start"] - lag_s, "end": s["end"] - lag_s} for s in sentences]
            score = coverage_score(classify_frames(outputs[mode], signatures), timed)
            score["recording_lag_s"] = round(lag_s, 3)
            score["wall_s"] = round(time.perf_counter() - started, 1)
            report["modes"][mode] = score
            summary = {k: v for k, v in score.items() if k != "sentences"}
            print(mode, json.dumps(summary), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
