"""Builds the engine's parts from settings: the one place that knows which backend to use."""

from __future__ import annotations

import logging
from pathlib import Path

from livedirector_desktop import models
from livedirector_desktop.config import Settings
from livedirector_desktop.core.errors import BadInputError, LiveDirectorError
from livedirector_desktop.director.director import Director
from livedirector_desktop.director.reasoner import REGISTRY as REASONERS
from livedirector_desktop.director.reasoner import Reasoner
from livedirector_desktop.library.embeddings import MiniLMEmbedder
from livedirector_desktop.library.library import Library

log = logging.getLogger(__name__)


def load_embedder(settings: Settings):
    if settings.embedding_model == "titan":
        from livedirector_desktop.cloud.bedrock import TitanEmbedder

        return TitanEmbedder(region=settings.aws_region)
    if settings.embedding_model != "minilm":
        raise BadInputError(
            f"unknown embedding model {settings.embedding_model!r}",
            "use minilm (local) or titan (Amazon Bedrock)",
        )
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
    if name not in REASONERS and name != "bedrock":
        raise BadInputError(
            f"unknown reasoner {name!r}", f"use one of: {', '.join([*REASONERS, 'bedrock'])}"
        )
    if name == "llama":
        path = models.resolve_llm(settings.llm_model, settings.models_path)
        return REASONERS[name](model_path=path, threads=settings.llm_threads)
    if name == "bedrock":
        from livedirector_desktop.cloud.bedrock import BedrockReasoner

        try:
            local = make_reasoner(settings, "llama")
        except LiveDirectorError as exc:
            log.warning("no local LLM to fall back on: %s", exc.message)
            local = REASONERS["keyword"]()
        return BedrockReasoner(
            model_id=settings.bedrock_model,
            region=settings.aws_region,
            timeout_s=settings.bedrock_timeout_ms / 1000,
            fallback=local,
        )
    return REASONERS[name]()


def make_director(
    settings: Settings, library: Library, reasoner: Reasoner | None = None
) -> Director:
    from livedirector_desktop.director.judge import make_judge

    reasoner = reasoner if reasoner is not None else make_reasoner(settings)
    judge = make_judge(reasoner, settings.llm_threads) if settings.director.judge else None
    return Director(
        library, reasoner, settings.director, timeout_ms=settings.llm_timeout_ms, judge=judge
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
