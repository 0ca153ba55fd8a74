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


def first_early_clip(director, text: str) -> tuple[str | None, float, str | None]:
    """The first clip the growing words of `text` put up (None: none before its end), the
    share of the sentence's words heard by then, and the clip its later words correct it
    to (None: they do not; the planner takes one correction a sentence)."""
    words, judged = text.split(), 0
    first, share = None, 1.0
    for n in range(1, len(words) + 1):
        part = " ".join(words[:n])
        count = len(content_words(part))
        if count <= judged:
            continue  # live judges a partial again only when it gained a content word
        judged = count
        decision = director.decide_early(part, 1000.0, first)
        clip = decision.asset_id if decision is not None else None
        if clip is None or clip == first:
            continue
        if first is not None:
            return first, share, clip
        first, share = clip, n / len(words)
    return first, share, None


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
    heard: list[float] = []
    corrections = {"wrong_to_right": 0, "right_to_wrong": 0, "wrong_to_wrong": 0}
    for item in items:
        director.reset()
        clip, share, corrected = first_early_clip(director, item["text"])
        if clip is None:
            continue
        if corrected is not None:
            was = "right" if clip == item.get("expected") else "wrong"
            now = "right" if corrected == item.get("expected") else "wrong"
            if f"{was}_to_{now}" in corrections:
                corrections[f"{was}_to_{now}"] += 1
        if clip == item.get("expected"):
            right += 1
            heard.append(share)
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
        # How much of a sentence is spoken before its right clip goes up (mean share of
        # its words): an early clip is worth more the sooner it comes.
        "right_at_share_mean": round(sum(heard) / len(heard), 3) if heard else None,
        # The first clip corrected by the sentence's later words (the planner's one
        # correction; the end of the sentence may correct it again).
        "corrected_by_later_words": corrections,
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
        rows = [report["sets"][s][key] for s in report["sets"]]
        summed["corrected_by_later_words"] = {
            k: sum(r["corrected_by_later_words"][k] for r in rows)
            for k in rows[0]["corrected_by_later_words"]
        }
        at = sum((r["right_at_share_mean"] or 0) * r["right_early"] for r in rows)
        summed["right_at_share_mean"] = round(at / summed["right_early"], 3) if shown else None
        totals[key] = summed
    report["both_sets"] = totals
    print(json.dumps(totals, indent=1))
    write_report(report, args.out)


if __name__ == "__main__":
    main()
