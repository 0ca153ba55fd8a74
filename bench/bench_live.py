"""Live benchmark, driven by file sources: late ticks and recorded frames at 720p30 and
1080p30 while recording; end of sentence to B-roll on screen (p50/p95) with the local LLM;
CPU share of each thread. Headless `livedirector live` by default (bench/results/live.json);
`--studio` runs the studio window under Xvfb/Mesa instead and adds the preview's paint rate
(bench/results/studio.json). `--stream` also streams the program to an ffmpeg RTMP listener on
127.0.0.1 (one encode shared by the file and the stream) and checks what arrived
(bench/results/live-stream.json).

    .venv/bin/python bench/bench_live.py
    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python bench/bench_live.py --studio
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
from tests.support import TALK, make_sample_library, session_cmd  # noqa: E402
from tests.test_going_live import free_port, media, rtmp_listener  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="*", default=["720p", "1080p"])
    ap.add_argument("--studio", action="store_true", help="the studio window (needs a display)")
    ap.add_argument("--stream", action="store_true", help="also stream to a loopback RTMP server")
    ap.add_argument(
        "--asr",
        choices=["replay", "vosk", "whisper"],
        default="replay",
        help="replay the talk's timed transcript (free), or listen with a recognizer",
    )
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    view = "studio" if args.studio else "live"
    name_out = f"{view}-stream" if args.stream else view
    name_out += "" if args.asr == "replay" else f"-{args.asr}"
    out = args.out or ROOT / "bench" / "results" / f"{name_out}.json"
    if args.studio and not os.environ.get("DISPLAY"):
        sys.exit("run under xvfb-run (see the docstring)")
    report: dict = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "view": view,
        "stream": args.stream,
        "recognizer": args.asr,
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        "runs": [],
    }
    with tempfile.TemporaryDirectory() as tmp_name:
        os.environ.setdefault("PYTHONFAULTHANDLER", "1")
        tmp = Path(tmp_name)
        library = make_sample_library(tmp)
        audio, segments = speak(TALK, gap_s=1.5)
        transcript: Path | None = tmp / "talk.json"
        transcript.write_text(json.dumps({"segments": segments}))
        listen: list[str] = []
        if args.asr != "replay":
            transcript, listen = None, ["--asr", args.asr]
        duration_s = len(audio) / 22050
        sizes = {"720p": (1280, 720), "1080p": (1920, 1080)}
        for name in args.sizes:
            w, h = sizes[name]
            talk = write_talk(tmp / f"talk-{name}.mp4", audio, 22050, width=w, height=h, fps=30)
            stats_path = tmp / f"stats-{name}.json"
            stream_args: list[str] = []
            listener = None
            if args.stream:
                port = free_port()
                received = tmp / f"stream-{name}.flv"
                listener = rtmp_listener(port, received)
                time.sleep(0.5)
                stream_args = ["--stream", f"rtmp://127.0.0.1:{port}/live/key"]
            started = time.perf_counter()
            proc = subprocess.run(
                session_cmd(
                    view,
                    talk,
                    transcript,
                    library,
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
                    *stream_args,
                    *listen,
                ),
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
                "preview_fps": (
                    round(stats["preview_paints"] / (duration_s + 1), 1) if args.studio else None
                ),
                "program_ticks": stats["ticks"],
                "late_share": stats["late_share"],
                "frames_recorded": stats["frames_recorded"],
                "camera_overwritten": stats["camera_overwritten"],
                "video_dropped": stats["video_dropped"],
                "audio_dropped": stats["audio_dropped"],
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
                "wall_s": round(wall, 1),
            }
            if listener is not None:
                listener.wait(30)
                got = media(received)
                run["stream_received"] = {
                    "video_s": round(got["video_s"], 2),
                    "audio_s": round(got["audio_s"], 2),
                    "frames": got["frames"],
                    "codecs": list(got["codec"]),
                }
            report["runs"].append(run)
            print(json.dumps(run), flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
