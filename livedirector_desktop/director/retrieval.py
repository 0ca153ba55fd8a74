"""Candidates for a sentence: the library searched with the sentence and with the query.

A clip's score is a weighted sum of its cosine similarity to the spoken sentence and to
the reasoner's visual query, so a weak or odd LLM answer shifts the ranking but cannot
throw away what the sentence itself says.
"""

from __future__ import annotations

import numpy as np

from livedirector_desktop.core.types import Candidate
from livedirector_desktop.library.library import Library


def retrieve(
    library: Library, sentence: str, query: str, k: int, query_weight: float
) -> list[Candidate]:
    """Top-k candidates, best first; empty for an empty library."""
    use_query = bool(query.strip()) and query.strip().lower() != sentence.strip().lower()
    texts = [sentence, query] if use_query else [sentence]
    vecs = library.embed_queries(texts)
    s_vec, q_vec = vecs[0], (vecs[1] if use_query else None)
    # Search with each vector, then score the union with both: a clip found by one
    # vector alone still gets its full combined score.
    hits = {}
    for found in library.store.query_many(vecs, k):
        for h in found:
            hits.setdefault(h.asset.id, h)
    if not hits:
        return []
    vectors = library.vectors([*hits])
    scores = vectors @ s_vec
    if q_vec is not None:
        scores = (1 - query_weight) * scores + query_weight * (vectors @ q_vec)
    scores = library.similarity(scores)
    ranked = sorted(zip(hits.values(), scores.tolist(), strict=True), key=lambda x: -x[1])[:k]
    return [Candidate(h.asset.id, h.asset.title, float(s)) for h, s in ranked]


def stands_out(candidates: list[Candidate]) -> float:
    """How far the best score is above the mean of the rest of the top candidates."""
    if len(candidates) < 2:
        return 1.0
    rest = np.array([c.score for c in candidates[1:10]])
    return float(candidates[0].score - rest.mean())
