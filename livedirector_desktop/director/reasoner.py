"""Reasoners read a sentence and say what it is about, as a search query for B-roll.

One protocol here; the registry of backends is in director/backends.py (the backends
import this module, so the registry cannot live in it without a cycle). The keyword
reasoner needs no model and is also the fallback whenever another reasoner fails, is too
slow or answers nonsense.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from livedirector_desktop.core.types import Analysis
from livedirector_desktop.director.filler import content_words, is_filler


class ReasonerError(Exception):
    """The reasoner could not give a usable answer (failure, timeout, garbage)."""


class Reasoner(Protocol):
    name: str

    def analyze(self, text: str, context: Sequence[str] = (), timeout_ms: float = 0) -> Analysis:
        """What to search for; raises ReasonerError when it has no usable answer."""
        ...


class KeywordReasoner:
    """No model: the sentence's content words are the query."""

    name = "keyword"

    def analyze(self, text: str, context: Sequence[str] = (), timeout_ms: float = 0) -> Analysis:
        words = content_words(text)
        return Analysis(query=" ".join(words) or text.strip(), is_filler=is_filler(text))
