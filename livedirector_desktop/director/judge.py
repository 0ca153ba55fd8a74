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

Cost: one evaluation of the sentence and the title (~25 tokens) after a fixed prefix that
llama.cpp keeps in its KV cache; no text is generated, no grammar.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Protocol

import numpy as np

from livedirector_desktop.director.llama import PROMPT_PREFIX, load_llama
from livedirector_desktop.director.reasoner import ReasonerError

log = logging.getLogger(__name__)

# The baseline the sentence is measured against: says nothing about any picture.
NEUTRAL = "And then it happened again, just like last time."


class Judge(Protocol):
    name: str

    def relevance(self, sentence: str, clip: str, timeout_ms: float = 0) -> float:
        """How strongly the sentence calls for the clip (nats; > 0: more than a neutral
        sentence would); raises ReasonerError when it cannot tell."""
        ...


def clip_text(title: str, description: str = "") -> str:
    """What the judge scores: the clip's title, as the LLM's own answers are phrased."""
    return " ".join((title or description).lower().split()).rstrip(".")


class LlamaJudge:
    """llama.cpp in its own context (logits for every position), so the reasoner's KV cache
    stays warm too; both load the same GGUF file, which the OS maps once."""

    name = "llm-pmi"

    def __init__(self, model_path: Path, threads: int = 2, n_ctx: int = 768, warm: bool = True):
        started = time.perf_counter()
        self.model_path = Path(model_path)
        self._lock = threading.Lock()
        self._baseline: OrderedDict[str, float] = OrderedDict()
        self._llm = load_llama(self.model_path, n_ctx, threads, logits_all=True)
        self.load_ms = (time.perf_counter() - started) * 1e3
        if warm:
            self.relevance("Hello.", "crowd celebration")

    def _log_prob(self, sentence: str, answer: str, deadline: float | None) -> float:
        llm = self._llm
        head = llm.tokenize(f"{PROMPT_PREFIX}Sentence: {sentence}\nB-roll:".encode(), add_bos=True)
        ans = llm.tokenize(f" {answer}".encode(), add_bos=False)
        tokens = head + ans
        if len(tokens) >= llm.n_ctx() or not ans:
            raise ReasonerError("sentence too long for the judge")
        # Reuse the evaluated prefix (the fixed few-shot part); evaluate only the rest.
        keep = 0
        for a, b in zip(llm.input_ids[: llm.n_tokens].tolist(), head[:-1], strict=False):
            if a != b:
                break
            keep += 1
        llm.n_tokens = keep
        llm.eval(tokens[keep:])
        if deadline is not None and time.perf_counter() > deadline:
            raise ReasonerError("judge timed out")
        rows = np.asarray(llm.scores[len(head) - 1 : len(tokens) - 1], dtype=np.float64)
        norm = np.logaddexp.reduce(rows, axis=1)
        return float((rows[np.arange(len(ans)), ans] - norm).sum())

    def relevance(self, sentence: str, clip: str, timeout_ms: float = 0) -> float:
        sentence = " ".join(sentence.split())[-400:]
        deadline = time.perf_counter() + timeout_ms / 1e3 if timeout_ms else None
        try:
            with self._lock:
                base = self._baseline.get(clip)
                if base is None:
                    base = self._log_prob(NEUTRAL, clip, None)
                    self._baseline[clip] = base
                    if len(self._baseline) > 4096:
                        self._baseline.popitem(last=False)
                value = self._log_prob(sentence, clip, deadline) - base
        except ReasonerError:
            raise
        except Exception as exc:  # llama.cpp surfaces C errors as assorted Python types
            raise ReasonerError(f"llama.cpp failed: {exc}") from exc
        if not np.isfinite(value):
            raise ReasonerError("judge produced no usable logits")
        return value


def make_judge(reasoner: object, threads: int = 2) -> Judge | None:
    """The judge on the same GGUF as the local reasoner (or the one a cloud reasoner falls
    back on); None without a local LLM: then the stricter score gate decides."""
    path = getattr(reasoner, "model_path", None) or getattr(
        getattr(reasoner, "fallback", None), "model_path", None
    )
    if path is None:
        return None
    try:
        return LlamaJudge(path, threads=threads)
    except Exception as exc:  # no judge is a degraded mode, not a reason to stop
        log.warning("no relevance judge (%s); the score alone decides", exc)
        return None
