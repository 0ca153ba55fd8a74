"""Does the best clip truly illustrate the sentence? How much the sentence raises the odds
that the local LLM would describe its B-roll with the clip's title.

Retrieval similarity cannot tell "a train of thought" from a train: both sentences contain
the word. The judge reuses the reasoner's few-shot prompt (sentence -> B-roll phrase) and
reads, from the logits, the log-probability of the clip's title as the answer, minus the
same for a neutral sentence (cached per clip): pointwise mutual information in nats.
"Shinkansen" makes "high-speed train" far likelier; "train of thought" much less so.

Measured first and dropped: a yes/no question ("does this clip show what the sentence is
about?") with P(yes) read from the logits. Neither SmolLM2-135M nor Gemma 3 270M gave it any
signal on the dev sets (P(yes) for right and wrong clips overlapped completely).

Cost: the title's tokens but its first (~2-4, ~25 ms with SmolLM2 on two cores), evaluated
in the reasoner's own llama.cpp context right after it read the sentence: the sentence is not
read twice, and the distribution after the prompt, which the reasoner's first answer token was
drawn from, is kept and gives the title's first token for free. No text is generated, no
grammar. The neutral baselines are cached per clip.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from livedirector_desktop.core.files import write_atomic
from livedirector_desktop.director.llama import PROMPT_PREFIX
from livedirector_desktop.director.reasoner import ReasonerError

if TYPE_CHECKING:
    from livedirector_desktop.director.llama import LlamaReasoner
    from livedirector_desktop.library.library import Library

log = logging.getLogger(__name__)

# The baseline the sentence is measured against: says nothing about any picture.
NEUTRAL = "And then it happened again, just like last time."
# Bumped when the way baselines are computed changes, so old caches are not mixed in.
CACHE_VERSION = 2


class Judge(Protocol):
    name: str

    def relevances(
        self,
        sentence: str,
        clips: Sequence[str],
        context: Sequence[str] = (),
        timeout_ms: float = 0,
    ) -> list[float]:
        """How strongly the sentence calls for each clip text (nats; > 0: more than a neutral
        sentence would); raises ReasonerError when it cannot tell."""
        ...


def clip_text(title: str, description: str = "") -> str:
    """A clip's title (its description when it has none) as the judge scores it: phrased
    like the LLM's own answers (lowercase, no final stop)."""
    return " ".join((title or description).lower().split()).rstrip(".")


# The evidence that a clip illustrates the sentence, in the retrieval score's units: the
# score, plus what the sentence adds to the LLM's odds of naming the clip by its title, plus
# how far the clip stands out from the rest of the library. Weights and the threshold
# (settings: director.evidence_threshold) were chosen on the dev set and the off-library
# set, both punctuated and in ASR style, maximising right decisions over a grid; neighbours
# of the chosen point score within one decision of it. Measured and dropped there: the
# clip's description as a second answer (no gain for ~10 more tokens, ~70 ms) and weighing
# the second-best clip too (+1 decision on punctuated text, -1 in ASR style, ~35 ms).
TITLE_WEIGHT = 0.06  # per nat of the title's relevance
STANDOUT_WEIGHT = 1.0  # per unit of score above the mean of the next nine


def evidence(score: float, standout: float, title_nats: float) -> float:
    return score + TITLE_WEIGHT * title_nats + STANDOUT_WEIGHT * standout


class LlamaJudge:
    """The judgment from the reasoner's own llama.cpp context: right after the reasoner has
    read a sentence, its prompt is still evaluated there, so a clip's title costs only its
    own few tokens (a second context had to read the sentence again: as long again as the
    reasoner's own reading)."""

    name = "llm-pmi"

    def __init__(
        self, reasoner: LlamaReasoner, cache_path: Path | None = None, warm: bool = True
    ) -> None:
        self.reasoner = reasoner
        self.model_path = reasoner.model_path
        self.cache_path = Path(cache_path) if cache_path else None
        self._lock = threading.Lock()
        self._baseline: OrderedDict[str, float] = OrderedDict(self._load_cache())
        if warm:
            self.relevances("Hello.", ["crowd celebration"])

    def _cache_key(self) -> str:
        """Baselines hold for one model file, one prompt, one neutral sentence and one way of
        evaluating them (batch shapes move llama.cpp's log-probabilities by a few 0.01 nats)."""
        stat = self.model_path.stat() if self.model_path.exists() else None
        what = f"{self.model_path.name}:{stat.st_size if stat else 0}:{PROMPT_PREFIX}:{NEUTRAL}"
        what += f":{CACHE_VERSION}"
        return hashlib.sha256(what.encode()).hexdigest()[:16]

    def _load_cache(self) -> dict[str, float]:
        if self.cache_path is None or not self.cache_path.is_file():
            return {}
        try:
            data = json.loads(self.cache_path.read_text(encoding="utf-8"))
            if data.get("key") == self._cache_key():
                return {str(k): float(v) for k, v in data["baselines"].items()}
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("judge cache %s unreadable, rebuilding it: %s", self.cache_path, exc)
        return {}

    def _save_cache(self) -> None:
        if self.cache_path is None:
            return
        with self._lock:
            data = {"key": self._cache_key(), "baselines": dict(self._baseline)}
        try:
            write_atomic(self.cache_path, json.dumps(data, ensure_ascii=False))
        except OSError as exc:  # a cache that cannot be written costs time, nothing else
            log.warning("judge cache %s not saved: %s", self.cache_path, exc)

    def warm(self, clips: Sequence[str]) -> int:
        """Compute the baselines not yet known (saved with the library, so once per clip
        and model): live, a first sentence then pays only for itself. How many were new."""
        with self._lock:
            missing = [c for c in dict.fromkeys(clips) if c not in self._baseline]
        if missing:
            self.baselines(missing)
        return len(missing)

    def baselines(self, clips: Sequence[str]) -> list[float]:
        """log P(clip | a neutral sentence), cached per clip and saved with the library."""
        with self._lock:
            missing = [c for c in dict.fromkeys(clips) if c not in self._baseline]
        if missing:
            values = self.reasoner.answer_log_probs(NEUTRAL, missing)
            with self._lock:
                self._baseline.update(zip(missing, values, strict=True))
                while len(self._baseline) > 20000:
                    self._baseline.popitem(last=False)
            self._save_cache()
        with self._lock:
            return [self._baseline[c] for c in clips]

    def relevances(
        self,
        sentence: str,
        clips: Sequence[str],
        context: Sequence[str] = (),
        timeout_ms: float = 0,
    ) -> list[float]:
        """How much the sentence raises the odds of each clip's title (nats)."""
        # The sentence first, while the reasoner's reading of it is still in the cache; a
        # baseline not yet known then moves the cache to the neutral sentence.
        values = self.reasoner.answer_log_probs(sentence, clips, context, timeout_ms)
        base = self.baselines(clips)
        out = [v - b for v, b in zip(values, base, strict=True)]
        if not all(np.isfinite(out)):
            raise ReasonerError("judge produced no usable logits")
        return out


def make_judge(reasoner: object, library: Library | None = None) -> Judge | None:
    """The judge inside the local reasoner (or the local reasoner a cloud one falls back
    on), its baselines kept with the library and warmed for its clips; None without a local
    LLM: then the stricter score gate decides."""
    local = reasoner if hasattr(reasoner, "answer_log_probs") else None
    fallback = getattr(reasoner, "fallback", None)
    if local is None and hasattr(fallback, "answer_log_probs"):
        local = fallback
    if local is None:
        return None
    try:
        cache = library.root / "judge-cache.json" if library is not None else None
        judge = LlamaJudge(local, cache_path=cache)  # type: ignore[arg-type]
        if library is not None:
            judge.warm(library_titles(library))
        return judge
    except Exception as exc:  # no judge is a degraded mode, not a reason to stop
        log.warning("no relevance judge (%s); the score alone decides", exc)
        return None


# Warming more than this at start-up would hold the start too long (~40 ms a clip on two
# cores, once per library and model); the rest are computed on first use and saved.
WARM_AT_MOST = 120


def library_titles(library: Library) -> list[str]:
    """The texts the judge scores for the library's clips (as the director asks for them);
    read lazily, so a library of 100k clips is not listed whole at start-up."""
    first = itertools.islice(library.store.all(), WARM_AT_MOST)
    return [clip_text(a.title, a.description) for a in first]
