"""The reasoner backends by the settings' name: a plain registry, heavy imports inside."""

from __future__ import annotations

from collections.abc import Callable

from livedirector_desktop.director.reasoner import KeywordReasoner, Reasoner

ReasonerFactory = Callable[..., Reasoner]


def _llama(**kwargs) -> Reasoner:
    from livedirector_desktop.director.llama import LlamaReasoner

    return LlamaReasoner(**kwargs)


# The engine adds "bedrock" (cloud/, optional) on top of these.
REGISTRY: dict[str, ReasonerFactory] = {"keyword": KeywordReasoner, "llama": _llama}
