"""Studio benchmark, driven by file sources under Xvfb/Mesa: preview fps and late frames at
720p30 and 1080p30 while recording; end of sentence to B-roll on screen (p50/p95) with the
local LLM; CPU share of each thread. Writes bench/results/studio.json.

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python bench/bench_studio.py
    ... bench_studio.py --asr whisper --sizes 720p    # listening with Whisper, not a transcript

By default the talk's timed transcript is replayed (recognition costs nothing); with
--asr vosk|whisper the studio listens to the talk with that recognizer (set through a
settings file), so its CPU cost and latency show up in the figures.
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

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from livedirector_desktop.media.synthetic import speak, write_talk  # noqa: E402

TALK = [
    "Hi everyone, welcome back to the channel.",
    "Every morning starts with a double espresso.",
    "Then I work on my side project, a little Python app.",
    "The markets have been wild, my index fund is up this year.",
    "Last weekend we climbed to a summit in the Alps.",
    "SpaceX is launching another Starship next week.",
    "I finally switched to an electric car.",
    "Rain has been pouring down all week here.",
    "We had a long team meeting about the launch.",
    "Thanks for watching, see you next time.",
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="*", default=["720p", "1080p"])
    ap.add_argument("--asr", choices=["replay", "vosk", "whisper"], default="replay")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    if args.out is None:
        name = "studio.json" if args.asr == "replay" else f"studio-{args.asr}.json"
        args.out = ROOT / "bench" / "results" / name
    if not os.environ.get("DISPLAY"):
        sys.exit("run under xvfb-run (see the docstring)")
    report: dict = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        "recognizer": args.asr,
        "runs": [],
    }
    cli = [sys.executable, "-m", "livedirector_desktop"]
    with tempfile.TemporaryDirectory() as tmp_name:
        os.environ.setdefault("PYTHONFAULTHANDLER", "1")
        tmp = Path(tmp_name)
        subprocess.run(
            [*cli, "library", "samples", str(tmp / "clips")], check=True, stdout=subprocess.DEVNULL
        )
        subprocess.run(
            [*cli, "library", "import", str(tmp / "clips"), "--library", str(tmp / "lib")],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        audio, segments = speak(TALK, gap_s=1.5)
        transcript = tmp / "talk.json"
        transcript.write_text(json.dumps({"segments": segments}))
        listen = ["--transcript", str(transcript)]
        if args.asr != "replay":
            settings = tmp / "settings.toml"
            settings.write_text(f'[studio]\nasr = "{args.asr}"\nlanguage = "en"\n')
            os.environ["LIVEDIRECTOR_CONFIG"] = str(settings)
            listen = []
        duration_s = len(audio) / 22050
        sizes = {"720p": (1280, 720), "1080p": (1920, 1080)}
        for name in args.sizes:
            w, h = sizes[name]
            talk = write_talk(tmp / f"talk-{name}.mp4", audio, 22050, width=w, height=h, fps=30)
            stats_path = tmp / f"stats-{name}.json"
            started = time.perf_counter()
            proc = subprocess.run(
                [
                    *cli,
                    "studio",
                    "--camera",
                    str(talk),
                    "--mic",
                    str(talk),
                    *listen,
                    "--library",
                    str(tmp / "lib"),
                    "--resolution",
                    name,
                    "--fps",
                    "30",
                    "--record",
                    str(tmp / f"rec-{name}.mp4"),
                    "--quit-after",
                    f"{duration_s + 1:.1f}",
                    "--stats-json",
                    str(stats_path),
                ],
                stdout=subprocess.DEVNULL,
                stderr=(tmp / "stderr.txt").open("w"),
            )
            wall = time.perf_counter() - started
            if proc.returncode:
                log = (tmp / "stderr.txt").read_text()[-4000:]
                sys.exit(f"studio failed ({proc.returncode}):\n{log}")
            stats = json.loads(stats_path.read_text())
            cpu = stats.get("cpu_s_by_thread", {})
            total_cpu = sum(cpu.values()) or 1.0
            lat = stats["sentence_to_screen_ms"]
            run = {
                "resolution": name,
                "talk_s": round(duration_s, 1),
                "preview_fps": round(stats["preview_paints"] / (duration_s + 1), 1),
                "program_ticks": stats["ticks"],
                "late_share": stats["late_share"],
                "frames_recorded": stats["frames_recorded"],
                "camera_overwritten": stats["camera_overwritten"],
                "writer_dropped": stats["writer_dropped"],
                "sentence_to_screen_ms": {
                    "p50": round(float(np.percentile(lat, 50)), 1) if lat else None,
                    "p95": round(float(np.percentile(lat, 95)), 1) if lat else None,
                    "n": len(lat),
                },
                "stage_ms": stats["stage_ms"],
                "cpu_share_by_thread": {
                    k: round(v / total_cpu, 3)
                    for k, v in sorted(cpu.items(), key=lambda kv: -kv[1])
                },
                "cpu_s_total": round(total_cpu, 1),
                "cpu_cores_used": round(total_cpu / (duration_s + 1), 2),
                "wall_s": round(wall, 1),
            }
            report["runs"].append(run)
            print(json.dumps(run), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
