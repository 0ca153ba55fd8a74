"""Embedding models compared on every sentence set: does the right clip rank first?

    .venv/bin/python bench/bench_embeddings.py [--models minilm e5]

Search alone (the sentence's vector against each clip's, no LLM, no thresholds), so the
figures say what the model brings before the director weighs it: top-1 and top-3 of the
sentences that have a clip, the best accuracy one score cut-off reaches on the set with
its off-library sentences, and the time to embed a sentence. The sets: the shared dev
and off-library sets (the director was tuned on them), the two held-out libraries, each
also in ASR style, the dev footage folder (built here, read as import reads it: names,
folders, embedded fields) and sentences in Korean, Hebrew and Arabic.

It also fits the map from a model's cosines onto MiniLM's scale that lets the director's
thresholds, set in that scale, hold: the three best scores of every sentence of the sets
the director was tuned on (dev and off-library, both styles), matched quantile by quantile
(a least-squares line through the two sorted lists). The constant in E5Embedder is this.

Writes bench/results/embeddings.json.
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

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_director import NON_LATIN, asr_style, read_jsonl  # noqa: E402
from livedirector_desktop import models  # noqa: E402
from livedirector_desktop.config import Settings  # noqa: E402
from livedirector_desktop.library.asset import Asset  # noqa: E402
from livedirector_desktop.library.describe import describe, folders_between  # noqa: E402
from livedirector_desktop.library.embeddings import REGISTRY  # noqa: E402
from livedirector_desktop.library.library import Library  # noqa: E402
from livedirector_desktop.library.probe import read_embedded  # noqa: E402
from livedirector_desktop.library.store import EmptyStore  # noqa: E402
from tests.support import SHARED, dev_footage, make_footage_folder  # noqa: E402


def catalog_assets(catalog: list[dict]) -> list[Asset]:
    return [
        Asset(
            id=e["id"],
            title=e.get("title", e["id"]),
            path="",
            description=e.get("description", ""),
            tags=list(e.get("tags", [])),
            category=e.get("category", ""),
        )
        for e in catalog
    ]


def footage_assets(folder: Path) -> list[Asset]:
    """The footage folder as import describes it; clips with no words are not searchable."""
    assets = []
    for clip in dev_footage()["clips"]:
        path = folder / clip["path"]
        d = describe(path, folders_between(folder, path), read_embedded)
        if not d.needs_description:
            assets.append(Asset(id=clip["path"], path=str(path), **d.text_fields()))
    return assets


def load_sets(footage_dir: Path) -> dict[str, tuple[list[Asset], list[dict]]]:
    dev_catalog = json.loads((SHARED / "data" / "dev_library" / "catalog.json").read_text())
    dev = read_jsonl(SHARED / "data" / "dev_set.jsonl")
    off = read_jsonl(SHARED / "data" / "dev_offlibrary.jsonl")
    sets: dict[str, tuple[list[Asset], list[dict]]] = {}
    dev_assets = catalog_assets(dev_catalog)
    for name, items in (("dev", dev), ("off", off)):
        sets[name] = (dev_assets, items)
        sets[f"{name}_asr"] = (dev_assets, [{**i, "text": asr_style(i["text"])} for i in items])
    for name in ("heldout", "heldout2"):
        folder = ROOT / "tests" / "data" / name
        assets = catalog_assets(json.loads((folder / "catalog.json").read_text()))
        items = read_jsonl(folder / "sentences.jsonl")
        sets[name] = (assets, items)
        sets[f"{name}_asr"] = (assets, [{**i, "text": asr_style(i["text"])} for i in items])
    sets["footage"] = (footage_assets(make_footage_folder(footage_dir)), dev_footage()["sentences"])
    sets["non_latin"] = (dev_assets, [i for i in NON_LATIN if i["lang"] != "emoji"])
    sets["korean"] = (dev_assets, [i for i in NON_LATIN if i["lang"].startswith("ko")])
    return sets


def score_set(embedder, assets: list[Asset], items: list[dict]) -> tuple[dict, np.ndarray]:
    lib = Library(Path("."), embedder, EmptyStore(embedder.name, "."))
    clip_vecs = lib.asset_vectors(assets)
    ids = [a.id for a in assets]
    started = time.perf_counter()
    sent_vecs = lib.embed_queries([i["text"] for i in items])
    per_sentence_ms = (time.perf_counter() - started) * 1e3 / max(len(items), 1)
    sims = sent_vecs @ clip_vecs.T
    top1 = top3 = topical = 0
    rows = []
    for item, row in zip(items, sims, strict=True):
        order = np.argsort(-row)
        ranked = [ids[j] for j in order]
        if item["expected"]:
            topical += 1
            top1 += ranked[0] == item["expected"]
            top3 += item["expected"] in ranked[:3]
        rows.append((item["expected"], ranked[0], float(row[order[0]])))
    # The best one score cut-off can do on the whole set (show the top clip above it).
    cuts = [*sorted({r[2] for r in rows}), 1.01]
    best_cut, best_right = 0.0, -1
    for cut in cuts:
        right = sum((top if score >= cut else None) == want for want, top, score in rows)
        if right > best_right:
            best_cut, best_right = cut, right
    result = {
        "sentences": len(items),
        "topical": topical,
        "top1": top1,
        "top3": top3,
        "best_cutoff": {"score": round(best_cut, 3), "right": best_right},
        "embed_ms_per_sentence": round(per_sentence_ms, 2),
    }
    return result, sims


TUNED_SETS = ("dev", "off", "dev_asr", "off_asr")


def top_scores(sims: np.ndarray, n: int = 3) -> np.ndarray:
    return np.sort(sims, axis=1)[:, ::-1][:, :n].ravel()


def fit_scale(ref: np.ndarray, other: np.ndarray) -> dict:
    """ref ~= a * other + b, quantile by quantile: the map onto the reference's scale."""
    ref, other = np.sort(ref), np.sort(other)
    a, b = np.polyfit(other, ref, 1)
    rmse = float(np.sqrt(np.mean((a * other + b - ref) ** 2)))
    pct = [5, 50, 95]
    return {"scale": round(float(a), 3), "offset": round(float(b), 3), "rmse": round(rmse, 4),
            "reference_p5_p50_p95": np.round(np.percentile(ref, pct), 3).tolist(),
            "model_p5_p50_p95": np.round(np.percentile(other, pct), 3).tolist()}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="*", default=["minilm", "e5"])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "embeddings.json")
    args = ap.parse_args()
    settings = Settings()
    report: dict = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "what": "search alone: sentence vector against clip vectors, no LLM, no thresholds",
        "models": {},
    }
    tops: dict[str, list[np.ndarray]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        sets = load_sets(Path(tmp) / "footage")
        for name in args.models:
            if name == "minilm":
                embedder = REGISTRY[name](models.require("embeddings", settings.models_path))
            else:
                embedder = REGISTRY[name]()
            per_set = {}
            for set_name, (assets, items) in sets.items():
                getattr(embedder, "_cache", {}).clear()  # each set's sentences timed afresh
                per_set[set_name], sims = score_set(embedder, assets, items)
                if set_name in TUNED_SETS:
                    tops.setdefault(name, []).append(top_scores(sims))
            report["models"][name] = {"name": embedder.name, "sets": per_set}
    if "minilm" in tops:
        ref = np.concatenate(tops["minilm"])
        report["scale_onto_minilm"] = {
            n: fit_scale(ref, np.concatenate(t)) for n, t in tops.items() if n != "minilm"
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    for name, m in report["models"].items():
        print(name)
        for set_name, r in m["sets"].items():
            print(f"  {set_name:14s} top1 {r['top1']:3d}/{r['topical']:<3d} top3 {r['top3']:3d}"
                  f"  cut {r['best_cutoff']['score']:.3f}: {r['best_cutoff']['right']}"
                  f"/{r['sentences']}  {r['embed_ms_per_sentence']} ms")  # fmt: skip
    print(json.dumps(report.get("scale_onto_minilm", {})))


if __name__ == "__main__":
    main()
