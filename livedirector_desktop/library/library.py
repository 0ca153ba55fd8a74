"""A library folder: the Chroma index, the thumbnails, and the embedder that fills them."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from livedirector_desktop.core.errors import BadInputError
from livedirector_desktop.library.asset import Asset, write_sidecar
from livedirector_desktop.library.embeddings import EmbeddingFunction
from livedirector_desktop.library.store import ChromaStore, EmptyStore, Hit, Store

log = logging.getLogger(__name__)


class Library:
    def __init__(self, root: Path, embedder: EmbeddingFunction, store: Store) -> None:
        self.root = Path(root)
        self.embedder = embedder
        self.store = store
        self._vectors: dict[str, np.ndarray] = {}  # stored vectors, asked for on every sentence

    @classmethod
    def open(
        cls,
        root: Path,
        embedder: EmbeddingFunction,
        chroma_url: str = "",
        create: bool = True,
        any_model: bool = False,
    ) -> Library:
        """The library at `root`. With create=False (commands that only read) a library that
        does not exist yet opens empty and no folder is made; `any_model` opens one built
        with another embedding model (to `reindex` it)."""
        root = Path(root).expanduser()
        if root.exists() and not root.is_dir():
            raise BadInputError(f"library folder {root} is a file", "give a folder with --library")
        if not create and not chroma_url and not (root / "chroma").is_dir():
            return cls(root, embedder, EmptyStore(embedder.name, str(root)))
        store = ChromaStore(
            embedder.name,
            path=None if chroma_url else root / "chroma",
            url=chroma_url,
            any_model=any_model,
        )
        return cls(root, embedder, store)

    def reindex(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Every searched clip's vector made anew with this library's embedder (after a switch
        of embedding model); the old index serves until the new one is whole. Returns the
        number of clips embedded. Run it with the studio closed: what another process
        writes meanwhile goes to the old index."""
        if not isinstance(self.store, ChromaStore):
            return 0
        assets = [a for a in self.assets() if not a.needs_description]  # these have no vector
        self.store.rebuild(self.embedder.name, assets, self.asset_vectors, progress)
        self._vectors.clear()
        return len(assets)

    @property
    def thumbnails_dir(self) -> Path:
        return self.root / "thumbnails"

    def thumbnail_path(self, asset_id: str) -> Path:
        return self.thumbnails_dir / f"{asset_id}.jpg"

    def count(self) -> int:
        return self.store.count()

    def assets(self) -> list[Asset]:
        return sorted(self.store.all(), key=lambda a: a.id)

    def get(self, asset_id: str) -> Asset | None:
        return self.store.get(asset_id)

    def put(self, assets: list[Asset]) -> None:
        """Embed and write assets; each clip lands whole (clips with no words are stored
        beside the index, with no vector to compute)."""
        if not assets:
            return
        texts = [a.embedding_text() for a in assets]
        searched = [a for a in assets if not a.needs_description]
        vectors = np.zeros((len(assets), self.embedder.dimensions), dtype=np.float32)
        if searched:
            rows = [i for i, a in enumerate(assets) if not a.needs_description]
            vectors[rows] = self.asset_vectors(searched)
        self.store.upsert(assets, vectors, texts)
        for asset in assets:
            self._vectors.pop(asset.id, None)

    def update_metadata(
        self,
        asset_id: str,
        *,
        title: str | None = None,
        description: str | None = None,
        tags: list[str] | None = None,
        category: str | None = None,
        add_tags: list[str] | None = None,
    ) -> Asset:
        """Edit what describes a clip; its vector is rebuilt from the new text."""
        return self.edit_many(
            [asset_id],
            title=title,
            description=description,
            tags=tags,
            category=category,
            add_tags=add_tags,
        )[0]

    def edit_many(
        self,
        asset_ids: Sequence[str],
        *,
        title: str | None = None,
        description: str | None = None,
        tags: list[str] | None = None,
        category: str | None = None,
        add_tags: list[str] | None = None,
    ) -> list[Asset]:
        """The same edit to several clips (tags added to each one's own, say), written
        together after every id is checked; a clip whose text it leaves as it was is not
        marked edited. Returns the clips in the store's order."""
        assets = self.store.get_many(list(dict.fromkeys(asset_ids)))
        unknown = sorted(set(asset_ids) - {a.id for a in assets})
        if unknown:
            raise BadInputError(
                f"no asset {', '.join(map(repr, unknown))} in the library",
                "see `livedirector library list`",
            )
        given = dict(title=title, description=description, tags=tags, category=category)
        updated, changed = [], []
        for asset in assets:
            changes = {k: v for k, v in given.items() if v is not None}
            if add_tags:
                own = changes.get("tags", asset.tags)
                known = {t.lower() for t in own}
                changes["tags"] = own + [t for t in add_tags if t.lower() not in known]
            if all(getattr(asset, k) == v for k, v in changes.items()):
                updated.append(asset)  # saved as it was: not an edit
                continue
            still = _still_undescribed(asset, changes)
            edit = replace(asset, **changes, edited=True, needs_description=still)
            updated.append(edit)
            changed.append(edit)
        self.put(changed)
        # The sidecar beside the clip keeps the edit, so a later re-import agrees with it.
        for asset in changed:
            if asset.path and Path(asset.path).exists():
                try:
                    write_sidecar(asset)
                except OSError as exc:
                    log.warning("could not write the sidecar of %s: %s", asset.id, exc)
        return updated

    def needing_description(self) -> list[Asset]:
        return [a for a in self.assets() if a.needs_description]

    def asset_vectors(self, assets: list[Asset]) -> np.ndarray:
        """Each asset's vector: the normalised mean of its text views, embedded in one batch."""
        views = [a.embedding_views() for a in assets]
        flat = self.embedder.embed([v for vs in views for v in vs])
        out = np.empty((len(assets), flat.shape[1]), dtype=np.float32)
        row = 0
        for i, vs in enumerate(views):
            mean = flat[row : row + len(vs)].mean(axis=0)
            out[i] = mean / max(float(np.linalg.norm(mean)), 1e-12)
            row += len(vs)
        return out

    def remove(self, asset_ids: list[str]) -> None:
        self.store.delete(asset_ids)
        for asset_id in asset_ids:
            self._vectors.pop(asset_id, None)
        for asset_id in asset_ids:
            self.thumbnail_path(asset_id).unlink(missing_ok=True)

    def similarity(self, cosines: np.ndarray | float) -> np.ndarray | float:
        """Cosines on the scale the director's thresholds are set in (the embedder's map)."""
        scale, offset = getattr(self.embedder, "score_map", (1.0, 0.0))
        if (scale, offset) == (1.0, 0.0):
            return cosines
        return np.clip(np.asarray(cosines) * scale + offset, -1.0, 1.0)  # shown as 0..1

    def search(self, query: str, k: int = 5) -> list[Hit]:
        if not query.strip():
            return []
        started = time.perf_counter()
        vector = self.embed_query(query)
        hits = [Hit(h.asset, float(self.similarity(h.score))) for h in self.store.query(vector, k)]
        log.debug("search query=%r k=%d ms=%.1f", query, k, (time.perf_counter() - started) * 1e3)
        return hits

    def vectors(self, asset_ids: list[str]) -> np.ndarray:
        missing = [i for i in asset_ids if i not in self._vectors]
        if missing:
            if len(self._vectors) > 20_000:
                self._vectors.clear()
            self._vectors.update(zip(missing, self.store.vectors(missing), strict=True))
        return np.stack([self._vectors[i] for i in asset_ids])

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors, through the embedder's cache when it has one."""
        embed_queries = getattr(self.embedder, "embed_queries", None)
        return embed_queries(texts) if embed_queries else self.embedder.embed(list(texts))


def _still_undescribed(asset: Asset, changes: dict) -> bool:
    """A clip that had no words has some once the creator gives a description, tags it
    anew, or retitles it (the folder tags it came with do not count)."""
    if not asset.needs_description:
        return False
    given_title = changes.get("title", asset.title).strip()
    return not (
        changes.get("description", "").strip()
        or set(changes.get("tags", asset.tags)) - set(asset.tags)
        or (given_title and given_title != asset.title)
    )
