"""Timeline score: B-roll as a viewer sees it, read from the pixels of the output.

For each topical sentence of the canonical talk: when its clip is fully on screen, relative
to the sentence's start and end; for the speaker's sentences (greeting, filler, a change of
subject, sign-off): how far into them B-roll stays; clip changes per sentence. Modes:
`render` (a recorded talk), `live` (the headless live session, transcript replayed in real
time), `conform` (the final cut of that live recording). Writes bench/results/timeline.json.

    .venv/bin/python bench/bench_timeline.py [--modes render live conform] [--reasoner llama]
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

from livedirector_desktop.media.synthetic import speak, write_talk  # noqa: E402
from tests.support import (  # noqa: E402
    TALK_SCRIPT,
    classify_frames,
    clip_signatures,
    livedirector,
    make_sample_library,
    score_timeline,
    session_cmd,
)

WIDTH, HEIGHT = 854, 480


def run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"{' '.join(cmd[:5])} failed:\n{proc.stderr[-3000:]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--modes", nargs="*", default=["render", "live", "conform"])
    ap.add_argument("--reasoner", default="llama")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "timeline.json")
    args = ap.parse_args()
    report: dict = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "reasoner": args.reasoner,
        "talk": [{"text": t, "expected": e} for t, e in TALK_SCRIPT],
        "modes": {},
    }
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        library = make_sample_library(tmp)
        audio, segments = speak([t for t, _ in TALK_SCRIPT], gap_s=1.0)
        sentences = [
            {**seg, "expected": expected}
            for seg, (_, expected) in zip(segments, TALK_SCRIPT, strict=True)
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
                run(session_cmd("live", talk, transcript, library, "--record",
                                str(outputs[mode]), "--resolution", "480p",
                                "--reasoner", args.reasoner))  # fmt: skip
            elif mode == "conform":
                if not outputs["live"].exists():
                    sys.exit("conform scores the live recording: run the live mode first")
                run(livedirector("conform", str(outputs["live"]), "-o", str(outputs[mode]),
                                 "--library", str(library)))  # fmt: skip
            else:
                sys.exit(f"unknown mode {mode}")
            score = score_timeline(classify_frames(outputs[mode], signatures), sentences)
            score["wall_s"] = round(time.perf_counter() - started, 1)
            report["modes"][mode] = score
            summary = {k: v for k, v in score.items() if k != "sentences"}
            print(mode, json.dumps(summary), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
