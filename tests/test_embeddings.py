"""Our unpadded MiniLM gives Chroma's own vectors."""

from __future__ import annotations

import numpy as np


def test_same_vectors_as_chromas_default_function(embedder, models_dir):
    from chromadb.utils.embedding_functions import ONNXMiniLM_L6_V2

    texts = [
        "Shares surged again today.",
        "A rocket lifting off from the launch pad in fire and smoke, watched by thousands.",
        "ok",
    ]
    chroma_ef = ONNXMiniLM_L6_V2(preferred_providers=["CPUExecutionProvider"])
    # Chroma expects <DOWNLOAD_PATH>/onnx/...; point it at our copy so it never downloads.
    chroma_ef.DOWNLOAD_PATH = models_dir / "all-MiniLM-L6-v2"
    theirs = np.asarray(chroma_ef(texts), dtype=np.float32)
    ours = embedder.embed(texts)
    assert ours.shape == (3, 384)
    np.testing.assert_allclose(ours, theirs, atol=2e-5)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_batches_and_single_texts_agree(embedder):
    texts = [f"sentence number {i} about {'rockets ' * (i % 5)}" for i in range(40)]
    batch = embedder.embed(texts)
    single = np.stack([embedder.embed([t])[0] for t in texts[:5]])
    np.testing.assert_allclose(batch[:5], single, atol=1e-5)
    assert embedder.embed([]).shape == (0, 384)
    np.testing.assert_array_equal(embedder.embed_query(texts[3]), embedder.embed_query(texts[3]))


def test_queries_embedded_together_match_one_by_one(embedder):
    texts = ["a rocket lifting off", "coffee", "a rocket lifting off", "stock market chart"]
    together = embedder.embed_queries(texts)
    fresh = embedder.embed(texts)
    np.testing.assert_allclose(together, fresh, atol=1e-5)
    assert together.shape == (4, 384)
    np.testing.assert_array_equal(together[0], together[2])
    # Served from the cache afterwards, whichever way it is asked.
    np.testing.assert_array_equal(embedder.embed_query(texts[3]), together[3])
    assert embedder.embed_queries([]).shape == (0, 384)
