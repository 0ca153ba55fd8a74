"""Director benchmark: accuracy and restraint, a threshold sweep, latency, search speed.

    .venv/bin/python bench/bench_director.py [--models M ...] [--sizes 1000 100000]
    .venv/bin/python bench/bench_director.py --sizes        # director only; keeps search figures

Sets: the shared dev set and off-library set (tuned on), each also in ASR style (lowercase,
no punctuation, made here from the shared files), and two held-out libraries + sentences,
tests/data/heldout and tests/data/heldout2 (written before tuning, never tuned on; heldout2
by someone who had not seen the director's output).

Writes bench/results/director.json. Uses the real parts: clips made with PyAV, Chroma
embedded, the MiniLM ONNX model from the models folder, llama.cpp with each GGUF.
The machine is noisy: medians and 95th percentiles, never single runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
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
from livedirector_desktop.director.judge import LlamaJudge, library_titles  # noqa: E402
from livedirector_desktop.director.llama import LlamaReasoner  # noqa: E402
from livedirector_desktop.director.policy import JUDGED  # noqa: E402
from livedirector_desktop.director.reasoner import KeywordReasoner  # noqa: E402
from livedirector_desktop.library.embeddings import REGISTRY, MiniLMEmbedder  # noqa: E402
from livedirector_desktop.library.importer import import_paths  # noqa: E402
from livedirector_desktop.library.library import Library  # noqa: E402
from livedirector_desktop.library.samples import make_library  # noqa: E402
from livedirector_desktop.library.store import ChromaStore  # noqa: E402
from tests.support import dev_footage, make_footage_folder  # noqa: E402

SHARED = Path(os.environ.get("LIVEDIRECTOR_SHARED", ROOT.parent / "shared"))


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def summary(values: list[float]) -> dict:
    return {"p50": round(pct(values, 50), 2), "p95": round(pct(values, 95), 2), "n": len(values)}


def asr_style(text: str) -> str:
    """What a recognizer gives: lowercase, no punctuation (apostrophes inside words kept)."""
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"(?<![a-z])'|'(?![a-z])", " ", text)
    return " ".join(re.sub(r"[^\w\s']", " ", text).split())


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


class RecordingDirector(Director):
    """The real director, remembering the evidence it weighed so the sweep can replay the
    decision at other thresholds."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.evidence: dict[str, float | None] = {}

    def _judged_ahead(self, candidates, judge, floor: float = 0.0):
        look = super()._judged_ahead(candidates, judge, floor)
        self.evidence = {c.asset_id: look(c) for c in candidates[:JUDGED]}
        return look


def run_set(director: RecordingDirector, items: list[dict]) -> list[dict]:
    """One decision per sentence (policy reset each time), with what the sweep needs."""
    rows = []
    for item in items:
        director.reset()
        director.evidence = {}
        d = director.decide(item["text"], now_ms=0)
        top = d.candidates[0] if d.candidates else None
        rows.append(
            {
                "text": item["text"],
                "expected": item["expected"],
                "got": d.asset_id,
                "path": d.path,
                "query": d.query,
                "top": top.asset_id if top else None,
                "score": round(top.score, 4) if top else None,
                "low": bool(top) and top.score >= director.settings.threshold_low,
                "strict": bool(d.candidates) and director.policy.strictly_confident(d.candidates),
                "evidence": {k: round(v, 4) for k, v in director.evidence.items() if v is not None},
                "scores": {c.asset_id: round(c.score, 4) for c in d.candidates[:JUDGED]},
                "latency_ms": {k: round(v, 2) for k, v in d.latency_ms.items()},
            }
        )
    return rows


def replay(
    row: dict, evidence_threshold: float | None, score_threshold: float | None, low: float
) -> str | None:
    """The decision under another operating point (evidence threshold, or a plain score cut)."""
    if row["top"] is None:
        return None
    if score_threshold is not None:
        return row["top"] if row["score"] >= score_threshold else None
    if not row["low"]:
        return None
    if not row["evidence"]:
        return row["top"] if row["strict"] else None
    pick, value = max(row["evidence"].items(), key=lambda kv: kv[1])
    ok = value >= evidence_threshold and row["scores"].get(pick, 0) >= low
    return pick if ok else None


def scores(rows_by_set: dict[str, list[dict]], low: float = 0.15, **point) -> dict:
    """Accuracy per set, abstention off-library, precision/recall of the clips shown."""
    out: dict = {}
    shown = right_shown = topical = topical_right = 0
    for name, rows in rows_by_set.items():
        got = [replay(r, **point, low=low) for r in rows]
        right = sum(g == r["expected"] for g, r in zip(got, rows, strict=True))
        out[name] = round(right / len(rows), 4)
        for g, r in zip(got, rows, strict=True):
            shown += g is not None
            right_shown += g is not None and g == r["expected"]
            if r["expected"]:
                topical += 1
                topical_right += g == r["expected"]
    out["precision"] = round(right_shown / max(shown, 1), 4)
    out["recall"] = round(topical_right / max(topical, 1), 4)
    return out


def run_director(
    lib: Library,
    reasoner,
    judge,
    sets: dict[str, list[dict]],
    libraries: dict[str, Library],
    overrides: dict | None = None,
) -> dict:
    # No timeouts: this measures what the director decides on a busy shared machine;
    # the latency figures say what it costs.
    settings = Settings().director.model_copy(update={"judge_timeout_ms": 0, **(overrides or {})})
    director = RecordingDirector(lib, reasoner, settings, judge=judge, timeout_ms=0)
    warm = {}
    if judge is not None:
        # As `make_judge` does for the library it is built with (baselines are then saved).
        for name, library in {"dev": lib, **libraries}.items():
            t0 = time.perf_counter()
            n = judge.warm(library_titles(library))
            warm[name] = {"clips": n, "ms": round((time.perf_counter() - t0) * 1e3)}
    rows = {}
    for name, items in sets.items():
        director.library = libraries.get(name.removesuffix("_asr"), lib)
        rows[name] = run_set(director, items)
    tuned = {k: v for k, v in rows.items() if not k.startswith(("heldout", "footage"))}
    lat: dict[str, list[float]] = {}
    for rs in rows.values():
        for r in rs:
            if r["top"] is not None:  # filler never reaches the model or the library
                for k in ("llm", "retrieval", "judge", "total"):
                    lat.setdefault(k, []).append(r["latency_ms"].get(k, 0.0))
    result: dict = {
        "operating_point": {"evidence_threshold": settings.evidence_threshold},
        "at_operating_point": {
            name: {
                "correct": sum(r["got"] == r["expected"] for r in rs),
                "total": len(rs),
                "accuracy": round(sum(r["got"] == r["expected"] for r in rs) / len(rs), 4),
            }
            for name, rs in rows.items()
        },
        "paths": {
            name: {p: sum(r["path"] == p for r in rs) for p in {r["path"] for r in rs}}
            for name, rs in rows.items()
        },
        "latency_ms": {k: summary(v) for k, v in lat.items()},
        "judge_warm": warm,
    }
    if judge is not None:
        result["sweep_evidence"] = [
            {"evidence_threshold": t, **scores(tuned, evidence_threshold=t, score_threshold=None,
                                               low=settings.threshold_low)}
            for t in [round(x, 3) for x in np.arange(0.3, 0.801, 0.025)]
        ]  # fmt: skip
    result["sweep_score_only"] = [
        {"score_threshold": t, **scores(tuned, evidence_threshold=None, score_threshold=t)}
        for t in [round(x, 2) for x in np.arange(0.15, 0.6001, 0.025)]
    ]
    result["rows"] = {
        name: [
            {k: r[k] for k in ("text", "expected", "got", "top", "score", "strict", "evidence")}
            for r in rs
        ]
        for name, rs in rows.items()
    }
    result["misses"] = {
        name: [
            {k: r[k] for k in ("text", "expected", "got", "top", "score", "evidence", "query")}
            for r in rs
            if r["got"] != r["expected"]
        ]
        for name, rs in rows.items()
    }
    return result


def build_library(catalog: list[dict], root: Path, embedder: MiniLMEmbedder) -> Library:
    make_library(catalog, root / "clips", width=640, height=360, seconds=3.0, fps=30)
    lib = Library.open(root / "lib", embedder)
    imp = import_paths(lib, [root / "clips"])
    assert imp.ok, imp.to_json()
    lib.import_report = imp  # type: ignore[attr-defined]
    return lib


def build_footage(root: Path, embedder) -> tuple[Library, list[dict]]:
    """The dev footage folder as a creator has it (no sidecars), imported as they would,
    and its sentences with each expected path turned into the clip's id."""
    folder = make_footage_folder(root / "broll")
    lib = Library.open(root / "lib", embedder)
    imp = import_paths(lib, [folder])
    assert imp.ok, imp.to_json()
    ids = {str(Path(a.path).relative_to(folder.resolve())): a.id for a in lib.assets()}
    items = [
        {"text": i["text"], "expected": ids[i["expected"]] if i["expected"] else None}
        for i in dev_footage()["sentences"]
    ]
    return lib, items


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


# Sentences in other scripts about topics the dev library holds, and one emoji-only line:
# what the English-centric embedding model and the small LLMs make of them.
NON_LATIN = [
    {
        "text": "스페이스X가 또 로켓을 궤도로 발사했습니다.",
        "expected": "space-rocket",
        "lang": "ko",
    },
    {
        "text": "비트코인과 주식 시장이 오늘 폭락했습니다.",
        "expected": "finance-stocks-down",
        "lang": "ko",
    },
    {"text": "아침마다 에스프레소 한 잔이 꼭 필요해요.", "expected": "food-coffee", "lang": "ko"},
    {"text": "פאנלים סולאריים על הגג חוסכים חשמל.", "expected": "energy-solar", "lang": "he"},
    {"text": "הרכבת המהירה מגיעה לתל אביב בחצי שעה.", "expected": "transport-train", "lang": "he"},
    {"text": "ارتفعت أسعار النفط بعد قرار أوبك.", "expected": "energy-oil", "lang": "ar"},
    {
        "text": "الأطباء في العيادة يفحصون المرضى كل صباح.",
        "expected": "health-doctor",
        "lang": "ar",
    },
    {"text": "Tesla 🚗⚡ 충전소가 두 배로 늘었어요.", "expected": "transport-ev", "lang": "ko+en"},
    {"text": "🚀🚀🔥", "expected": None, "lang": "emoji"},
    {"text": "👍😂", "expected": None, "lang": "emoji"},
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="*", default=["smollm2-135m", "gemma3-270m"])
    ap.add_argument("--sizes", nargs="*", type=int, default=[1000, 100_000])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "director.json")
    ap.add_argument("--embeddings", choices=["minilm", "e5"], default="minilm")
    ap.add_argument(
        "--set", nargs="*", default=[], metavar="KEY=VALUE", help="director settings to try"
    )
    args = ap.parse_args()
    overrides = {k: json.loads(v) for k, v in (x.split("=", 1) for x in args.set)}

    settings = Settings()
    if args.embeddings == "e5":
        embedder = REGISTRY["e5"]()
    else:
        embedder = MiniLMEmbedder(models.require("embeddings", settings.models_path))
    catalog = json.loads((SHARED / "data" / "dev_library" / "catalog.json").read_text())
    dev = read_jsonl(SHARED / "data" / "dev_set.jsonl")
    off = read_jsonl(SHARED / "data" / "dev_offlibrary.jsonl")
    heldout_dir = ROOT / "tests" / "data" / "heldout"
    heldout_catalog = json.loads((heldout_dir / "catalog.json").read_text())
    heldout = read_jsonl(heldout_dir / "sentences.jsonl")
    heldout2_dir = ROOT / "tests" / "data" / "heldout2"
    heldout2_catalog = json.loads((heldout2_dir / "catalog.json").read_text())
    heldout2 = read_jsonl(heldout2_dir / "sentences.jsonl")
    # Tuned on: dev + off (both styles). Never tuned on: heldout (its own library).
    sets = {
        "dev": dev,
        "dev_asr": [{**i, "text": asr_style(i["text"])} for i in dev],
        "off": off,
        "off_asr": [{**i, "text": asr_style(i["text"])} for i in off],
        "heldout": heldout,
        "heldout_asr": [{**i, "text": asr_style(i["text"])} for i in heldout],
        "heldout2": heldout2,
        "heldout2_asr": [{**i, "text": asr_style(i["text"])} for i in heldout2],
    }
    report: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "sets": {k: len(v) for k, v in sets.items()},
        "tuned_on": ["dev", "dev_asr", "off", "off_asr"],
        "held_out": ["heldout", "heldout_asr", "heldout2", "heldout2_asr"],
        "dev_footage": ["footage", "footage_asr"],
        "embeddings": embedder.name,
        "settings_tried": overrides,
    }
    if not args.sizes and args.out.is_file():
        # Search figures do not depend on the director: keep the last measured ones.
        old = json.loads(args.out.read_text())
        for key in ("import", "embed_sentence_ms", "search"):
            if key in old:
                report[key] = old[key]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        lib = build_library(catalog, tmp / "dev", embedder)
        libraries = {
            "heldout": build_library(heldout_catalog, tmp / "heldout", embedder),
            "heldout2": build_library(heldout2_catalog, tmp / "heldout2", embedder),
        }
        libraries["footage"], footage = build_footage(tmp / "footage", embedder)
        sets["footage"] = footage
        sets["footage_asr"] = [{**i, "text": asr_style(i["text"])} for i in footage]
        report["sets"] = {k: len(v) for k, v in sets.items()}
        if args.sizes:
            imp = lib.import_report  # type: ignore[attr-defined]
            report["import"] = {
                "clips": len(imp.added),
                "seconds": round(imp.seconds, 2),
                "clips_per_s": round(len(imp.added) / imp.seconds, 1),
                "clip": "640x360 H.264, 3 s",
            }
            emb_ms = []
            for item in dev:
                t = time.perf_counter()
                embedder.embed([item["text"]])
                emb_ms.append((time.perf_counter() - t) * 1e3)
            report["embed_sentence_ms"] = summary(emb_ms)

        keyword = run_director(lib, KeywordReasoner(), None, sets, libraries, overrides)
        report["director"] = {"keyword (no LLM)": keyword}
        non_latin: dict = {}
        for name in args.models:
            path = models.locate(models.get_spec(name), settings.models_path)
            if path is None:
                report["director"][name] = {"error": "model missing"}
                continue
            t = time.perf_counter()
            reasoner = LlamaReasoner(path, threads=settings.llm_threads)
            judge = LlamaJudge(reasoner)
            load_ms = (time.perf_counter() - t) * 1e3
            result = run_director(lib, reasoner, judge, sets, libraries, overrides)
            result["load_ms"] = round(load_ms)
            report["director"][name] = result
            director = Director(lib, reasoner, settings.director, judge=judge)
            non_latin[name] = []
            for item in NON_LATIN:
                director.reset()
                d = director.decide(item["text"], now_ms=0)
                non_latin[name].append(
                    {
                        **item,
                        "got": d.asset_id,
                        "query": d.query,
                        "top": d.candidates[0].asset_id if d.candidates else None,
                        "reason": d.reason,
                    }
                )
            del reasoner, judge, director
        report["non_latin"] = non_latin

        if args.sizes:
            vectors = lib.vectors([a.id for a in lib.assets()])
            queries = [i["text"] for i in dev[:40]]
            report["search"] = [
                search_latency(embedder, vectors, n, tmp, queries) for n in args.sizes
            ]
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    brief = {k: v for k, v in report.items() if k not in ("director", "non_latin")}
    brief["director"] = {
        k: {
            x: y
            for x, y in v.items()
            if x not in ("misses", "rows", "sweep_judge", "sweep_score_only")
        }
        for k, v in report["director"].items()
    }
    print(json.dumps(brief, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
