"""Early verdicts: what the director puts up while a sentence is still being spoken.

    .venv/bin/python bench/bench_early.py [--thresholds 0.45 0.40 0.35]

For each sentence of the two held-out sets (tests/data/heldout, tests/data/heldout2:
libraries the director was never tuned on), its words are fed as live feeds them, judged
again each time they gain a content word (`Director.decide_early`, the local LLM judging);
the first clip they put up is counted right (the sentence's clip), wrong (another clip) or
over a sentence that should have none. The end of the sentence confirms or takes it down
(not counted here). Chooses `early_threshold`; writes bench/results/early.json.

The judge gets a generous timeout: these are counts of what the rule decides, not timings,
so a busy machine must not change them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from livedirector_desktop.config import load_settings  # noqa: E402
from livedirector_desktop.director.filler import content_words  # noqa: E402
from livedirector_desktop.engine import load_embedder, make_director, make_reasoner  # noqa: E402
from livedirector_desktop.library.importer import import_paths  # noqa: E402
from livedirector_desktop.library.library import Library  # noqa: E402
from livedirector_desktop.library.samples import make_library  # noqa: E402

SETS = [ROOT / "tests" / "data" / "heldout", ROOT / "tests" / "data" / "heldout2"]


def first_early_clip(director, text: str) -> str | None:
    """The first clip the growing words of `text` put up (None: none before its end)."""
    words, judged = text.split(), 0
    for n in range(1, len(words) + 1):
        part = " ".join(words[:n])
        count = len(content_words(part))
        if count <= judged:
            continue  # live judges a partial again only when it gained a content word
        judged = count
        decision = director.decide_early(part, 1000.0)
        if decision is not None and decision.asset_id is not None:
            return decision.asset_id
    return None


def held_out_library(folder: Path, work: Path, embedder) -> Library:
    catalog = json.loads((folder / "catalog.json").read_text())
    clips = work / f"{folder.name}_clips"
    make_library(catalog, clips, width=160, height=96, seconds=1.0, fps=15)
    library = Library.open(work / f"{folder.name}_lib", embedder)
    if not import_paths(library, [clips]).ok:
        sys.exit(f"could not import the clips of {folder}")
    return library


def count(director, items: list[dict]) -> dict:
    right = wrong = over_none = 0
    for item in items:
        director.reset()
        clip = first_early_clip(director, item["text"])
        if clip is None:
            continue
        if clip == item.get("expected"):
            right += 1
        elif item.get("expected") is None:
            over_none += 1
        else:
            wrong += 1
    topical = sum(1 for item in items if item.get("expected"))
    shown = right + wrong + over_none
    return {
        "sentences": len(items),
        "topical": topical,
        "right_early": right,
        "wrong_clip_early": wrong,
        "clip_over_a_sentence_with_none": over_none,
        "precision": round(right / shown, 3) if shown else None,
    }


def sweep_held_out(field: str, values: list[float], measure, key=lambda v: f"{v:.2f}") -> dict:
    """{set: {key(value): measure(director, items)}}, the director setting `field` per value.

    Each held-out set's library is built once; the judge gets a long timeout so a slow
    machine measures the verdicts, not the clock.
    """
    settings = load_settings()
    embedder, reasoner = load_embedder(settings), make_reasoner(settings)
    sets: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for folder in SETS:
            library = held_out_library(folder, Path(tmp), embedder)
            lines = (folder / "sentences.jsonl").read_text().splitlines()
            items = [json.loads(line) for line in lines if line.strip()]
            rows = {}
            for value in values:
                update = {field: value, "judge_timeout_ms": 20_000}
                director_settings = settings.director.model_copy(update=update)
                director = make_director(
                    settings.model_copy(update={"director": director_settings}), library, reasoner
                )
                rows[key(value)] = measure(director, items)
                print(folder.name, value, rows[key(value)], flush=True)
            sets[folder.name] = rows
    return sets


def report_head() -> dict:
    return {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def write_report(report: dict, out: Path) -> None:
    """Write to a temporary name and rename, so an interrupted run leaves the old figures."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".json.part")
    partial.write_text(json.dumps(report, indent=1) + "\n")
    partial.replace(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--thresholds", nargs="*", type=float, default=[0.45, 0.40, 0.35])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "early.json")
    args = ap.parse_args()
    report = report_head()
    report["default_early_threshold"] = load_settings().director.early_threshold
    report["sets"] = sweep_held_out("early_threshold", args.thresholds, count)
    totals = {}
    for threshold in args.thresholds:
        key = f"{threshold:.2f}"
        keys = ("right_early", "wrong_clip_early", "clip_over_a_sentence_with_none")
        summed = {k: sum(report["sets"][s][key][k] for s in report["sets"]) for k in keys}
        shown = sum(summed.values())
        summed["precision"] = round(summed["right_early"] / shown, 3) if shown else None
        totals[key] = summed
    report["both_sets"] = totals
    print(json.dumps(totals, indent=1))
    write_report(report, args.out)


if __name__ == "__main__":
    main()
