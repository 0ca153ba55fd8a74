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


def make_recognizer(settings: Settings, model_path: Path | None = None, language: str = "en"):
    """Vosk with the model for the language (or the given model folder)."""
    from livedirector_desktop.asr.recognizer import REGISTRY as RECOGNIZERS

    if model_path is None:
        name = models.ASR_BY_LANGUAGE.get(language)
        if name is None:
            raise BadInputError(
                f"no speech model known for language {language!r}",
                f"use --asr-model PATH, or one of: {', '.join(models.ASR_BY_LANGUAGE)}",
            )
        try:
            model_path = models.require(name, settings.models_path)
        except models.ModelMissingError as exc:
            exc.hint += "; or give a timed transcript with --transcript FILE (.srt, .vtt, .json)"
            raise
    return RECOGNIZERS["vosk"](model_path)
