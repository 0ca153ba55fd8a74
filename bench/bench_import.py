"""Import speed on a big folder as creators have them: no sidecars, camera and stock names,
topic folders, some titles embedded in the containers.

    .venv/bin/python bench/bench_import.py [--clips 1000] [--keep DIR]

Makes the clips once (small H.264, 1 s; kept with --keep DIR and reused), imports them into
a fresh library three times (medians; the machine is noisy), then once more with nothing
changed. Writes bench/results/import.json. To measure another version of the code on the
same folder: BENCH_CODE=/path/to/checkout (its `livedirector_desktop` is imported instead).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
CODE = Path(os.environ.get("BENCH_CODE", HERE))
sys.path.insert(0, str(CODE))

TOPICS = ["food", "travel/beach", "city", "work", "home", "sport", "science", "money"]
NAMES = [
    "pasta_boiling_pot_closeup_{n:04d}.mp4",
    "BROLL_street_market_{n:04d}_4K.mp4",
    "IMG_{n:04d}.MOV",
    "drone-shot-coastline-{n:04d}_v2.mp4",
    "GX01{n:04d}.MP4",
    "pexels-someone-{n:07d}.mp4",
    "Sunset over the harbour {n:04d}.mov",
    "timelapse_traffic_night_{n:04d}_1080p.mp4",
]


def make_folder(dest: Path, count: int) -> Path:
    from livedirector_desktop.library.samples import write_clip

    for n in range(count):
        name = NAMES[n % len(NAMES)].format(n=n)
        path = dest / TOPICS[n % len(TOPICS)] / name
        if path.exists():
            continue
        reef = {"title": f"Coral reef number {n}", "comment": "snorkelling"}
        embedded = reef if "GX" in name else None
        write_clip(
            {"id": f"c{n}"}, path, width=160, height=90, seconds=1.0, fps=10, embedded=embedded
        )
    return dest


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="folder for the clips (made once, reused)")
    ap.add_argument("--out", type=Path, default=HERE / "bench" / "results" / "import.json")
    args = ap.parse_args()

    from livedirector_desktop import models
    from livedirector_desktop.config import Settings
    from livedirector_desktop.library.embeddings import MiniLMEmbedder
    from livedirector_desktop.library.importer import import_paths
    from livedirector_desktop.library.library import Library

    embedder = MiniLMEmbedder(models.require("embeddings", Settings().models_path))
    work = Path(tempfile.mkdtemp())
    folder = args.keep or work / "clips"
    started = time.perf_counter()
    make_folder(folder, args.clips)
    made_s = time.perf_counter() - started
    seconds, progress_calls, undescribed = [], [], 0
    for run in range(args.runs):
        lib_dir = work / f"lib{run}"
        calls: list[int] = []
        lib = Library.open(lib_dir, embedder)
        report = import_paths(lib, [folder], lambda d, t, p, calls=calls: calls.append(d))
        assert report.ok and len(report.added) == args.clips, report.to_json()["failed"][:3]
        seconds.append(report.seconds)
        progress_calls.append(len(calls))
        undescribed = sum(getattr(a, "needs_description", False) for a in lib.assets())
    again = import_paths(lib, [folder])
    result = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "code": str(CODE),
        "clips": args.clips,
        "clip": "160x90 H.264, 1 s, no sidecars, 8 topic folders",
        "make_s": round(made_s, 1),
        "import_s": {
            "median": round(statistics.median(seconds), 2),
            "runs": [round(s, 2) for s in seconds],
        },
        "clips_per_s": round(args.clips / statistics.median(seconds), 1),
        "progress_calls": progress_calls[-1],
        "reimport_unchanged_s": round(again.seconds, 2),
        "needs_description": undescribed,
    }
    shutil.rmtree(work, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
