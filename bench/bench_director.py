"""Director benchmark: latency per stage, accuracy on the dev set, import and search speed.

    .venv/bin/python bench/bench_director.py [--models M ...] [--sizes 1000 100000]

Writes bench/results/director.json. Uses the real parts: clips made with PyAV, Chroma
embedded, the MiniLM ONNX model from the models folder, llama.cpp with each GGUF.
The machine is noisy: medians and 95th percentiles, never single runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from livedirector_desktop import models  # noqa: E402
from livedirector_desktop.config import Settings  # noqa: E402
from livedirector_desktop.director.director import Director  # noqa: E402
from livedirector_desktop.director.llama import LlamaReasoner  # noqa: E402
from livedirector_desktop.director.reasoner import KeywordReasoner  # noqa: E402
from livedirector_desktop.library.embeddings import MiniLMEmbedder  # noqa: E402
from livedirector_desktop.library.importer import import_paths  # noqa: E402
from livedirector_desktop.library.library import Library  # noqa: E402
from livedirector_desktop.library.samples import make_library  # noqa: E402
from livedirector_desktop.library.store import ChromaStore  # noqa: E402

SHARED = Path(os.environ.get("LIVEDIRECTOR_SHARED", ROOT.parent / "shared"))


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def summary(values: list[float]) -> dict:
    return {"p50": round(pct(values, 50), 2), "p95": round(pct(values, 95), 2), "n": len(values)}


def run_director(lib: Library, reasoner, dev: list[dict], negatives: list[str]) -> dict:
    director = Director(lib, reasoner, Settings().director)
    stages: dict[str, list[float]] = {"llm": [], "retrieval": [], "total": []}
    right, paths, misses = 0, {}, []
    for item in dev:
        director.reset()
        d = director.decide(item["text"], now_ms=0)
        right += d.asset_id == item["expected"]
        if d.asset_id != item["expected"]:
            misses.append(
                {
                    "text": item["text"],
                    "expected": item["expected"],
                    "got": d.asset_id,
                    "query": d.query,
                }
            )
        paths[d.path] = paths.get(d.path, 0) + 1
        # Filler never reaches the model: only sentences that did count for latency.
        if d.candidates:
            for k in stages:
                stages[k].append(d.latency_ms.get(k, 0.0))
    rejected = 0
    for text in negatives:
        director.reset()
        rejected += director.decide(text, now_ms=0).asset_id is None
    topical = [i for i in dev if i["expected"]]
    return {
        "accuracy": round(right / len(dev), 4),
        "correct": right,
        "total": len(dev),
        "topical": len(topical),
        "off_library_rejected": f"{rejected}/{len(negatives)}",
        "paths": paths,
        "latency_ms": {k: summary(v) for k, v in stages.items()},
        "misses": misses,
    }


def search_latency(
    embedder: MiniLMEmbedder, base_vectors: np.ndarray, size: int, tmp: Path, queries: list[str]
) -> dict:
    """Chroma query time at `size` assets: clustered vectors around the real clip vectors."""
    store = ChromaStore(embedder.name, path=tmp / f"store-{size}")
    rng = np.random.default_rng(7)
    started = time.perf_counter()
    batch = 5000
    from livedirector_desktop.library.asset import Asset

    for start in range(0, size, batch):
        n = min(batch, size - start)
        base = base_vectors[rng.integers(0, len(base_vectors), n)]
        vecs = base + rng.normal(0, 0.06, base.shape).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        assets = [Asset(id=f"a{start + i}", title=f"clip {start + i}", path="") for i in range(n)]
        store.upsert(assets, vecs, [a.title for a in assets])
    insert_s = time.perf_counter() - started
    qvecs = embedder.embed(queries)
    for v in qvecs[:5]:
        store.query(v, 10)  # warm the index into memory
    times = []
    for _ in range(3):
        for v in qvecs:
            t = time.perf_counter()
            store.query(v, 10)
            times.append((time.perf_counter() - t) * 1e3)
    return {"assets": size, "insert_s": round(insert_s, 1), "query_ms": summary(times)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="*", default=["smollm2-135m", "gemma3-270m"])
    ap.add_argument("--sizes", nargs="*", type=int, default=[1000, 100_000])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "director.json")
    args = ap.parse_args()

    settings = Settings()
    embedder = MiniLMEmbedder(models.require("embeddings", settings.models_path))
    catalog = json.loads((SHARED / "data" / "dev_library" / "catalog.json").read_text())
    dev = [json.loads(x) for x in (SHARED / "data" / "dev_set.jsonl").read_text().splitlines() if x]
    negatives = (ROOT / "bench" / "offlibrary_sentences.txt").read_text().splitlines()
    report: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        clips = tmp / "clips"
        make_library(catalog, clips, width=640, height=360, seconds=3.0, fps=30)
        lib = Library.open(tmp / "lib", embedder)
        imp = import_paths(lib, [clips])
        assert imp.ok, imp.to_json()
        report["import"] = {
            "clips": len(imp.added),
            "seconds": round(imp.seconds, 2),
            "clips_per_s": round(len(imp.added) / imp.seconds, 1),
            "clip": "640x360 H.264, 3 s",
        }
        # Embedding one sentence, as the director does (cache off: distinct texts).
        emb_ms = []
        for item in dev:
            t = time.perf_counter()
            embedder.embed([item["text"]])
            emb_ms.append((time.perf_counter() - t) * 1e3)
        report["embed_sentence_ms"] = summary(emb_ms)

        report["director"] = {
            "keyword (no LLM)": run_director(lib, KeywordReasoner(), dev, negatives)
        }
        for name in args.models:
            path = models.locate(models.get_spec(name), settings.models_path)
            if path is None:
                report["director"][name] = {"error": "model missing"}
                continue
            t = time.perf_counter()
            reasoner = LlamaReasoner(path, threads=settings.llm_threads)
            load_ms = (time.perf_counter() - t) * 1e3
            result = run_director(lib, reasoner, dev, negatives)
            result["load_ms"] = round(load_ms)
            report["director"][name] = result
            del reasoner

        vectors = lib.vectors([a.id for a in lib.assets()])
        queries = [i["text"] for i in dev[:40]]
        report["search"] = [search_latency(embedder, vectors, n, tmp, queries) for n in args.sizes]
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    brief = {k: v for k, v in report.items() if k != "director"}
    brief["director"] = {
        k: {x: y for x, y in v.items() if x != "misses"} for k, v in report["director"].items()
    }
    print(json.dumps(brief, indent=2))


if __name__ == "__main__":
    main()
