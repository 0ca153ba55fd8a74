"""Builds the engine's parts from settings: the one place that knows which backend to use."""

from __future__ import annotations

import logging
from pathlib import Path

from livedirector_desktop import models
from livedirector_desktop.config import Settings
from livedirector_desktop.core.errors import BadInputError
from livedirector_desktop.director.director import Director
from livedirector_desktop.director.reasoner import REGISTRY as REASONERS
from livedirector_desktop.director.reasoner import Reasoner
from livedirector_desktop.library.embeddings import MiniLMEmbedder
from livedirector_desktop.library.library import Library

log = logging.getLogger(__name__)


def load_embedder(settings: Settings) -> MiniLMEmbedder:
    return MiniLMEmbedder(
        models.require("embeddings", settings.models_path), threads=settings.embedding_threads
    )


def open_library(
    settings: Settings, library_dir: Path | None = None, chroma_url: str | None = None
) -> Library:
    root = library_dir or settings.library_path
    return Library.open(root, load_embedder(settings), chroma_url or settings.chroma_url)


def make_reasoner(settings: Settings, name: str | None = None) -> Reasoner:
    name = name or settings.reasoner
    if name not in REASONERS:
        raise BadInputError(f"unknown reasoner {name!r}", f"use one of: {', '.join(REASONERS)}")
    if name == "llama":
        path = models.resolve_llm(settings.llm_model, settings.models_path)
        return REASONERS[name](model_path=path, threads=settings.llm_threads)
    return REASONERS[name]()


def make_director(
    settings: Settings, library: Library, reasoner: Reasoner | None = None
) -> Director:
    return Director(
        library,
        reasoner if reasoner is not None else make_reasoner(settings),
        settings.director,
        timeout_ms=settings.llm_timeout_ms,
    )
