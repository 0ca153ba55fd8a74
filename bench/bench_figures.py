"""Figures benchmark: extraction accuracy, what reading a figure adds to the director, and
late ticks live with figures drawn against the same talk with figures off.

    .venv/bin/python bench/bench_figures.py [--no-live]

Writes bench/results/figures.json. The live part plays tests/test_figures_on_screen.py's
talk (ten figure sentences among others, natural pauses) at 854x480 with its transcript
replayed, recording, once with figures and once without; medians of the per-run shares.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from livedirector_desktop.director.figures import complete_in, read_figure  # noqa: E402

SETS = [
    ROOT / "tests" / "data" / "figures.jsonl",
    ROOT / "tests" / "data" / "figures_heldout.jsonl",
]


def accuracy(path: Path) -> dict:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    right = wrong_none = 0
    misses = []
    for row in rows:
        figure = read_figure(row["text"])
        if row["value"] is None:
            wrong_none += figure is not None
            continue
        ok = (
            figure is not None
            and figure.unit == row["unit"]
            and abs(figure.value - row["value"]) <= 1e-6 * max(1, abs(row["value"]))
            and (row.get("start") is None or figure.start_value == row["start"])
        )
        right += ok
        if not ok:
            misses.append(row["text"])
    with_figure = sum(r["value"] is not None for r in rows)
    words = [r for r in rows if r["value"] is not None and r.get("words")]
    return {
        "sentences_with_figure": with_figure,
        "in_words": len(words),
        "value_and_unit_right": right,
        "share_right": round(right / with_figure, 3),
        "sentences_without": len(rows) - with_figure,
        "figures_invented": wrong_none,
        "misses": misses,
    }


def cost_us() -> dict:
    """What the director adds per sentence: reading a figure (final) and checking a
    partial (early), over every test sentence and their growing partials."""
    texts = [json.loads(x)["text"] for p in SETS for x in p.read_text().splitlines() if x]
    finals, partials = [], []
    for _ in range(20):
        for text in texts:
            t0 = time.perf_counter()
            read_figure(text)
            finals.append((time.perf_counter() - t0) * 1e6)
            words = text.split()
            for n in range(1, len(words) + 1):
                t0 = time.perf_counter()
                complete_in(" ".join(words[:n]))
                partials.append((time.perf_counter() - t0) * 1e6)
    pct = lambda v, q: round(float(np.percentile(v, q)), 1)  # noqa: E731
    return {
        "final_us": {"p50": pct(finals, 50), "p95": pct(finals, 95), "n": len(finals)},
        "partial_us": {"p50": pct(partials, 50), "p95": pct(partials, 95), "n": len(partials)},
    }


def live_late_share(figures: bool, runs: int) -> dict:
    from livedirector_desktop.config import DirectorSettings, Settings
    from livedirector_desktop.core.events import ShotChanged
    from livedirector_desktop.engine import open_library
    from livedirector_desktop.media.synthetic import speak, write_talk
    from livedirector_desktop.pipeline.headless import run_headless
    from livedirector_desktop.pipeline.live import LiveConfig
    from tests.support import file_session, make_sample_library
    from tests.test_figures_on_screen import HEIGHT, PAUSES_S, TALK, WIDTH

    shares, drawn = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        audio, segments = speak([t for t, _ in TALK], gap_s=PAUSES_S)
        talk = write_talk(tmp / "talk.mp4", audio, 22050, width=WIDTH, height=HEIGHT, fps=30)
        transcript = tmp / "talk.json"
        transcript.write_text(json.dumps({"segments": segments}))
        lib = open_library(Settings(), make_sample_library(tmp))
        for n in range(runs):
            session = file_session(
                lib, talk, transcript, config=LiveConfig(width=WIDTH, height=HEIGHT),
                settings=DirectorSettings(figures=figures),
            )  # fmt: skip
            shots = []
            session.hub.subscribe(ShotChanged, shots.append)
            run_headless(session, record=tmp / f"run{n}.mp4")
            shares.append(session.stats.late_ticks / max(1, session.stats.ticks))
            drawn.append(sum(1 for s in shots if (s.asset_id or "").startswith("figure:")))
    return {"late_share_median": round(statistics.median(shares), 4), "late_shares": shares,
            "figures_drawn": drawn}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-live", action="store_true")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    out = {
        "accuracy": {p.name: accuracy(p) for p in SETS},
        "cost": cost_us(),
    }
    if not args.no_live:
        out["live"] = {
            "figures_on": live_late_share(True, args.runs),
            "figures_off": live_late_share(False, args.runs),
        }
    path = ROOT / "bench" / "results" / "figures.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
