"""Continuity: does the next sentence's first words keep the clip of the sentence before?

    .venv/bin/python bench/bench_continuity.py [--stay-nats 4.0 99]

On the two held-out sets (tests/data/heldout, tests/data/heldout2: libraries the director
was never tuned on), each topical sentence's clip is the clip up; the sentence after it is
the other sentence on that clip (`same`), the first of three other clips' (`change`) or
one of three sentences that ask for none (`none`). Its first one, two and three words are
fed to `Director.decide_early` with that clip as `current`, as live feeds them within the
continuity wait; counted when any of them keeps the clip. Chooses `stay_nats` (99: the
LLM's tie off, the rank alone keeps a clip); also times each verdict (the director's hot
path live, a clip up: p50/p95 ms). Writes bench/results/continuity.json.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_early import report_head, sweep_held_out, write_report  # noqa: E402

from livedirector_desktop.config import load_settings  # noqa: E402

FIRST_WORDS = 3


def pairs(items: list[dict]) -> list[tuple[str, str, dict]]:
    """(kind, the clip up, the next sentence) for every topical sentence of a set."""
    by = collections.defaultdict(list)
    for item in items:
        if item.get("expected"):
            by[item["expected"]].append(item)
    nones = [item for item in items if not item.get("expected")]
    clips, out = list(by), []
    for n, clip in enumerate(clips):
        for sentence in by[clip]:
            out += [("same", clip, other) for other in by[clip] if other is not sentence]
            out += [("change", clip, by[clips[(n + k) % len(clips)]][0]) for k in (1, 3, 7)]
            out += [("none", clip, nones[(n * 3 + k) % len(nones)]) for k in range(3)]
    return out


def kept(director, clip: str, text: str, took_ms: list[float]) -> bool:
    """Whether the first words of `text` keep `clip`; each verdict's wall time to took_ms."""
    words = text.split()
    for n in range(1, min(FIRST_WORDS, len(words)) + 1):
        director.reset()
        started = time.perf_counter()
        decision = director.decide_early(" ".join(words[:n]), 5000.0, current=clip)
        took_ms.append((time.perf_counter() - started) * 1000)
        if decision is not None and decision.asset_id == clip:
            return True
    return False


def count_kept(director, items: list[dict]) -> dict:
    total, count = collections.Counter(), collections.Counter()
    took_ms: list[float] = []
    for kind, clip, sentence in pairs(items):
        total[kind] += 1
        count[kind] += kept(director, clip, sentence["text"], took_ms)
    row: dict = {k: f"{count[k]}/{total[k]}" for k in ("same", "change", "none")}
    # The director's hot path live: a partial judged with a clip up (rank, judge, tie).
    row["decide_early_ms"] = percentiles(took_ms)
    return row


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    if not ordered:
        return {}

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"p50": at(0.5), "p95": at(0.95), "max": round(ordered[-1], 1), "n": len(ordered)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stay-nats", nargs="*", type=float, default=[4.0, 99.0])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "continuity.json")
    args = ap.parse_args()
    report = report_head()
    report["default_stay_nats"] = load_settings().director.stay_nats
    report["first_words"] = FIRST_WORDS
    report["sets"] = sweep_held_out("stay_nats", args.stay_nats, count_kept, key=lambda v: f"{v:g}")
    write_report(report, args.out)


if __name__ == "__main__":
    main()
