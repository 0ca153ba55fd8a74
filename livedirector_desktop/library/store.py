"""Vectors and metadata of assets in Chroma: embedded in the library folder, or a server.

We hand Chroma our own vectors (never its embedding function), so it never tries to
download a model, and the library records which embedding model built it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

import numpy as np

from livedirector_desktop.core.errors import BadInputError, LiveDirectorError
from livedirector_desktop.library.asset import Asset

log = logging.getLogger(__name__)

COLLECTION = "assets"
PAGE = 1000
# Clips with no words (IMG_4032) are kept beside the searched index, never in it: a match
# would be by chance. (Chroma's metadata filter costs ~600 ms a query at 100k clips, 15 ms
# without; over-fetching and dropping them grows with their number.) They hold a 1-d
# placeholder vector, so they need no rebuild when the embedding model changes.
UNDESCRIBED_COLLECTION = "assets-undescribed"
PLACEHOLDER = [1.0]


@dataclass(frozen=True)
class Hit:
    asset: Asset
    score: float  # cosine similarity, 1 = same direction


class Store(Protocol):
    embedding_model: str

    def count(self) -> int: ...
    def get(self, asset_id: str) -> Asset | None: ...
    def get_many(self, ids: Sequence[str]) -> list[Asset]: ...
    def all(self) -> Iterator[Asset]: ...
    def upsert(
        self, assets: Sequence[Asset], vectors: np.ndarray, texts: Sequence[str]
    ) -> None: ...
    def delete(self, ids: Sequence[str]) -> None: ...
    def query(self, vector: np.ndarray, k: int) -> list[Hit]: ...
    def query_many(self, vectors: np.ndarray, k: int) -> list[list[Hit]]: ...
    def vectors(self, ids: Sequence[str]) -> np.ndarray: ...


# A rebuilt index is filled under this name and marked complete, then takes the place of
# the old one: an interruption before the mark leaves the old index as it was.
REINDEX_COLLECTION = "assets-reindex"


def _names(client) -> set[str]:
    return {getattr(c, "name", c) for c in client.list_collections()}


def finish_reindex(client) -> None:
    """Complete a rebuild that was interrupted between its two last steps. One that never
    finished is left alone here (it may be running); the next rebuild starts it afresh."""
    names = _names(client)
    if REINDEX_COLLECTION not in names:
        return
    pending = client.get_collection(REINDEX_COLLECTION, embedding_function=None)
    if not (pending.metadata or {}).get("complete"):
        return
    try:
        if COLLECTION in names:
            old = client.get_collection(COLLECTION, embedding_function=None)
            if old.id != pending.id:
                client.delete_collection(COLLECTION)
        pending.modify(name=COLLECTION)
    except Exception as exc:  # another process opening the library finished it first
        if COLLECTION not in _names(client):
            raise LiveDirectorError(
                f"the rebuilt library index could not take the old one's place: {exc}",
                "run `livedirector library reindex` again",
            ) from exc


SQLITE_NAME = "chroma.sqlite3"
SQLITE_MAGIC = b"SQLite format 3\x00"


def check_index_file(db: Path) -> None:
    """A library index that is empty or not a database is said to be so, before Chroma
    quietly starts a new empty one over it (0 bytes) or fails with something obscure."""
    if not db.exists():
        return
    try:
        with db.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise LiveDirectorError(
            f"the library index {db} cannot be read: {exc.strerror or exc}",
            "check the file's permissions",
        ) from exc
    if not head:
        raise LiveDirectorError(
            f"the library index {db} is empty (0 bytes): it was cut off, e.g. by a full disk "
            "or a crash while it was copied",
            f"move {db.parent} aside (or restore it from a backup) and import the clips again",
        )
    if head != SQLITE_MAGIC:
        raise LiveDirectorError(
            f"the library index {db} is not a database (damaged or overwritten)",
            f"move {db.parent} aside (or restore it from a backup) and import the clips again",
        )


class EmptyStore:
    """A library that does not exist yet, opened to read: empty, and nothing is created."""

    def __init__(self, embedding_model: str, location: str) -> None:
        self.embedding_model, self.location = embedding_model, location

    def count(self) -> int:
        return 0

    def get(self, asset_id: str) -> Asset | None:
        return None

    def get_many(self, ids: Sequence[str]) -> list[Asset]:
        return []

    def all(self) -> Iterator[Asset]:
        return iter(())

    def upsert(self, assets: Sequence[Asset], vectors: np.ndarray, texts: Sequence[str]) -> None:
        raise LiveDirectorError(f"the library at {self.location} was opened read-only")

    def delete(self, ids: Sequence[str]) -> None:
        return None

    def query(self, vector: np.ndarray, k: int) -> list[Hit]:
        return []

    def query_many(self, vectors: np.ndarray, k: int) -> list[list[Hit]]:
        return [[] for _ in vectors]

    def vectors(self, ids: Sequence[str]) -> np.ndarray:
        if ids:
            raise KeyError(f"no vectors for {list(ids)}")
        return np.zeros((0, 0), dtype=np.float32)


def _leave(collection, ids: list[str]) -> None:
    """Drop ids from a collection they may have moved out of; an empty one (a first
    import, a library with no undescribed clips) costs no call per batch."""
    if collection.count():
        collection.delete(ids=ids)


def _assets(res) -> list[Asset]:
    return [
        Asset.from_metadata(i, m or {}) for i, m in zip(res["ids"], res["metadatas"], strict=True)
    ]


class ChromaStore:
    def __init__(
        self, embedding_model: str, path: Path | None = None, url: str = "", any_model=False
    ) -> None:
        """The library's index; `any_model` opens one built with another model (to
        rebuild it: `reindex`)."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.embedding_model = embedding_model
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        try:
            if url:
                parsed = urlparse(url if "://" in url else f"http://{url}")
                if not parsed.hostname:
                    raise BadInputError(
                        f"--chroma-url {url!r} has no host", "e.g. http://127.0.0.1:8000"
                    )
                self.client = chromadb.HttpClient(
                    host=parsed.hostname,
                    port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                    ssl=parsed.scheme == "https",
                    settings=chroma_settings,
                )
                self.location = url
            else:
                assert path is not None
                path.mkdir(parents=True, exist_ok=True)
                check_index_file(path / SQLITE_NAME)
                self.client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
                self.location = str(path)
            finish_reindex(self.client)
            self.collection = self.client.get_or_create_collection(
                COLLECTION,
                metadata={"hnsw:space": "cosine", "embedding_model": embedding_model},
                embedding_function=None,
            )
            self.side = self.client.get_or_create_collection(
                UNDESCRIBED_COLLECTION,
                metadata={"about": "clips with no words: kept, never searched"},
                embedding_function=None,
            )
        except LiveDirectorError:
            raise
        except Exception as exc:  # chromadb raises many unrelated types for a bad server/folder
            where = url or path
            if url:
                hint = "is the server running (`chroma run`)?"
            elif path is not None and not os.access(path, os.W_OK):
                hint = f"the folder {path} is not writable: fix its permissions"
            else:
                hint = (
                    f"the index {path / SQLITE_NAME} looks damaged: move the folder {path} "
                    "aside and import the clips again (the clips themselves are not touched)"
                )
            raise LiveDirectorError(
                f"cannot open the Chroma library at {where}: {exc}", hint
            ) from exc
        stored = (self.collection.metadata or {}).get("embedding_model")
        self.stored_model = stored or embedding_model
        if stored and stored != embedding_model and not any_model:
            raise LiveDirectorError(
                f"library at {self.location} was built with embeddings {stored!r}, "
                f"not {embedding_model!r}",
                "run `livedirector library reindex` to rebuild it with the model now set "
                "(the clips are not touched), or switch the embedding model back",
            )

    def count(self) -> int:
        return self.collection.count() + self.side.count()

    def undescribed_count(self) -> int:
        return self.side.count()

    def get(self, asset_id: str) -> Asset | None:
        found = self.get_many([asset_id])
        return found[0] if found else None

    def get_many(self, ids: Sequence[str]) -> list[Asset]:
        if not ids:
            return []
        found = _assets(self.collection.get(ids=list(ids), include=["metadatas"]))
        missing = [i for i in ids if i not in {a.id for a in found}]
        if missing:
            found += _assets(self.side.get(ids=missing, include=["metadatas"]))
        return found

    def all(self) -> Iterator[Asset]:
        seen: set[str] = set()
        for collection in (self.collection, self.side):
            offset = 0
            while True:
                res = collection.get(include=["metadatas"], limit=PAGE, offset=offset)
                for asset in _assets(res):
                    if asset.id not in seen:  # in both only if a move was cut off
                        seen.add(asset.id)
                        yield asset
                if len(res["ids"]) < PAGE:
                    break
                offset += PAGE

    def upsert(self, assets: Sequence[Asset], vectors: np.ndarray, texts: Sequence[str]) -> None:
        """Clips with words into the searched index, the others beside it. A clip moving
        between the two is written to its new place before it leaves the old one."""
        rows = list(zip(assets, np.asarray(vectors, dtype=np.float32), texts, strict=True))
        words = [r for r in rows if not r[0].needs_description]
        none = [r for r in rows if r[0].needs_description]
        if words:
            self.collection.upsert(
                ids=[a.id for a, _, _ in words],
                embeddings=np.stack([v for _, v, _ in words]),
                metadatas=[a.to_metadata() for a, _, _ in words],
                documents=[t for _, _, t in words],
            )
            _leave(self.side, [a.id for a, _, _ in words])
        if none:
            self.side.upsert(
                ids=[a.id for a, _, _ in none],
                embeddings=[PLACEHOLDER] * len(none),
                metadatas=[a.to_metadata() for a, _, _ in none],
                documents=[t for _, _, t in none],
            )
            _leave(self.collection, [a.id for a, _, _ in none])

    def delete(self, ids: Sequence[str]) -> None:
        if ids:
            self.collection.delete(ids=list(ids))
            self.side.delete(ids=list(ids))

    def query(self, vector: np.ndarray, k: int) -> list[Hit]:
        return self.query_many(np.asarray(vector)[None, :], k)[0]

    def query_many(self, vectors: np.ndarray, k: int) -> list[list[Hit]]:
        """The k nearest clips for each vector, in one round trip (the director asks with
        the sentence and the LLM's query at once: one count and one index search, ~8 ms less
        than two queries)."""
        n = min(k, self.collection.count())
        if n <= 0 or len(vectors) == 0:
            return [[] for _ in vectors]
        res = self.collection.query(
            query_embeddings=list(np.asarray(vectors, dtype=np.float32)),
            n_results=n,
            include=["metadatas", "distances"],
        )
        return [
            [
                Hit(Asset.from_metadata(i, m or {}), 1.0 - float(d))
                for i, m, d in zip(ids, metas, dists, strict=True)
            ]
            for ids, metas, dists in zip(
                res["ids"], res["metadatas"], res["distances"], strict=True
            )
        ]

    def rebuild(
        self,
        embedding_model: str,
        assets: Sequence[Asset],
        vectors_for: Callable[[list[Asset]], np.ndarray],
        progress: Callable[[int, int], None] | None = None,
        batch: int = 32,
    ) -> None:
        """Every searched asset's vector made anew (another embedding model), in a new index
        that replaces this one only once it is whole (clips with no words have none)."""
        assets = [a for a in assets if not a.needs_description]
        if REINDEX_COLLECTION in _names(self.client):
            self.client.delete_collection(REINDEX_COLLECTION)  # a rebuild that was cut off
        meta = {"hnsw:space": "cosine", "embedding_model": embedding_model, "complete": False}
        fresh = self.client.create_collection(
            REINDEX_COLLECTION, metadata=meta, embedding_function=None
        )
        for start in range(0, len(assets), batch):
            chunk = list(assets[start : start + batch])
            fresh.upsert(
                ids=[a.id for a in chunk],
                embeddings=np.asarray(vectors_for(chunk), dtype=np.float32),
                metadatas=[a.to_metadata() for a in chunk],
                documents=[a.embedding_text() for a in chunk],
            )
            if progress:
                progress(start + len(chunk), len(assets))
        fresh.modify(metadata={"embedding_model": embedding_model, "complete": True})
        finish_reindex(self.client)
        self.collection = self.client.get_collection(COLLECTION, embedding_function=None)
        self.embedding_model = self.stored_model = embedding_model

    def vectors(self, ids: Sequence[str]) -> np.ndarray:
        """Stored vectors, one row per id in the order given."""
        res = self.collection.get(ids=list(ids), include=["embeddings"])
        by_id = dict(zip(res["ids"], res["embeddings"], strict=True))
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise KeyError(f"no vectors for {missing}")
        return np.asarray([by_id[i] for i in ids], dtype=np.float32)
