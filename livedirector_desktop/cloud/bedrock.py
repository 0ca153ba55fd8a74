"""Amazon Bedrock: a reasoner (Converse API, Claude 3 Haiku by default) and Titan embeddings.

Same interfaces as the local backends. Each call has a timeout, a few retries with backoff
on throttling and transient errors, and goes through a circuit breaker; the reasoner falls
back to the local one when Bedrock fails, and the decision says which answered.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence

import numpy as np

from livedirector_desktop.cloud.resilience import CircuitBreaker, CircuitOpen, retry
from livedirector_desktop.core.types import Analysis
from livedirector_desktop.director.filler import is_filler
from livedirector_desktop.director.reasoner import Reasoner, ReasonerError

log = logging.getLogger(__name__)

DEFAULT_MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
TITAN_MODEL = "amazon.titan-embed-text-v2:0"
RETRYABLE = {
    "ThrottlingException",
    "ServiceUnavailableException",
    "InternalServerException",
    "ModelNotReadyException",
    "TooManyRequestsException",
}

SYSTEM = (
    "You help a video editor pick B-roll for a creator's talk. For the sentence you are given, "
    'answer with one JSON object and nothing else: {"topic": short topic, "sentiment": '
    '"positive" | "negative" | "neutral", "visual_concepts": [2-4 concrete things to '
    'show], "query": a short stock-footage search phrase, "filler": true if the sentence is '
    "a greeting, filler or a call to action}."
)


def _retryable(exc: Exception) -> bool:
    from botocore.exceptions import ClientError, ConnectionError, ReadTimeoutError

    if isinstance(exc, ReadTimeoutError | ConnectionError):
        return True
    return isinstance(exc, ClientError) and exc.response.get("Error", {}).get("Code") in RETRYABLE


def parse_analysis(text: str, sentence: str) -> Analysis:
    """The model's JSON as an Analysis; ReasonerError if it is not that."""
    start, end = text.find("{"), text.rfind("}")
    try:
        data = json.loads(text[start : end + 1]) if start >= 0 else None
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        raise ReasonerError(f"bedrock answered no JSON object: {text[:80]!r}")
    query = data.get("query")
    concepts = data.get("visual_concepts") or []
    filler = bool(data.get("filler"))
    if not filler and (not isinstance(query, str) or not query.strip()):
        raise ReasonerError("bedrock's JSON has no query")
    if not isinstance(concepts, list):
        concepts = []
    return Analysis(
        query=(query or "").strip()[:200] if not filler else "",
        topic=str(data.get("topic", ""))[:100],
        visual_concepts=tuple(str(c)[:60] for c in concepts[:6]),
        sentiment=str(data.get("sentiment", ""))[:20],
        is_filler=filler or is_filler(sentence),
        source="bedrock",
    )


class BedrockReasoner:
    name = "bedrock"

    def __init__(
        self,
        client=None,
        model_id: str = DEFAULT_MODEL,
        region: str = "",
        timeout_s: float = 3.0,
        attempts: int = 3,
        breaker: CircuitBreaker | None = None,
        fallback: Reasoner | None = None,
    ) -> None:
        from livedirector_desktop.cloud.aws import client as make_client

        self.model_id = model_id
        self.client = client or make_client("bedrock-runtime", region, timeout_s=timeout_s)
        self.attempts, self.timeout_s = attempts, timeout_s
        self.breaker = breaker or CircuitBreaker(failures=5, cooldown_s=60)
        self.fallback = fallback

    def request(self, text: str) -> dict:
        return {
            "modelId": self.model_id,
            "system": [{"text": SYSTEM}],
            "messages": [{"role": "user", "content": [{"text": text}]}],
            "inferenceConfig": {"maxTokens": 200, "temperature": 0.0},
        }

    def _ask(self, text: str, deadline: float) -> Analysis:
        response = retry(
            lambda: self.client.converse(**self.request(text)),
            self.attempts,
            0.2,
            _retryable,
            deadline,
        )
        try:
            parts = response["output"]["message"]["content"]
            answer = "".join(p.get("text", "") for p in parts)
        except (KeyError, TypeError) as exc:
            raise ReasonerError("bedrock's response has no message") from exc
        return parse_analysis(answer, text)

    def analyze(self, text: str, context: Sequence[str] = (), timeout_ms: float = 0) -> Analysis:
        deadline = time.monotonic() + (
            timeout_ms / 1000 if timeout_ms else self.timeout_s * self.attempts
        )
        try:
            return self.breaker.call(lambda: self._ask(text, deadline))
        except (CircuitOpen, ReasonerError, Exception) as exc:
            reason = (
                str(exc) if isinstance(exc, CircuitOpen | ReasonerError) else type(exc).__name__
            )
            log.warning("bedrock failed, using the local reasoner: %s", reason)
            if self.fallback is None:
                raise ReasonerError(f"bedrock: {reason}") from exc
            remaining = max(0.0, (deadline - time.monotonic()) * 1000)
            local = self.fallback.analyze(text, context, timeout_ms=remaining or timeout_ms)
            return Analysis(
                local.query,
                local.topic,
                local.visual_concepts,
                local.sentiment,
                local.is_filler,
                source=local.source or "llm",
                note=f"bedrock failed: {reason[:80]}",
            )


class TitanEmbedder:
    """Amazon Titan text embeddings v2 as the library's embedding function."""

    dimensions = 512

    def __init__(
        self,
        client=None,
        model_id: str = TITAN_MODEL,
        region: str = "",
        breaker: CircuitBreaker | None = None,
    ) -> None:
        from livedirector_desktop.cloud.aws import client as make_client

        self.model_id = model_id
        self.name = model_id
        self.client = client or make_client("bedrock-runtime", region)
        self.breaker = breaker or CircuitBreaker(failures=5, cooldown_s=60)

    def _one(self, text: str) -> np.ndarray:
        body = json.dumps({"inputText": text, "dimensions": self.dimensions, "normalize": True})

        def call():
            return self.client.invoke_model(
                modelId=self.model_id,
                body=body,
                contentType="application/json",
                accept="application/json",
            )

        response = self.breaker.call(lambda: retry(call, 3, 0.2, _retryable))
        vector = np.asarray(json.loads(response["body"].read())["embedding"], dtype=np.float32)
        if vector.shape != (self.dimensions,):
            raise ReasonerError(f"titan returned {vector.shape} instead of ({self.dimensions},)")
        return vector / max(float(np.linalg.norm(vector)), 1e-12)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        from livedirector_desktop.cloud.aws import explain

        try:
            return (
                np.stack([self._one(t) for t in texts])
                if texts
                else np.zeros((0, self.dimensions), np.float32)
            )
        except (CircuitOpen, ReasonerError):
            raise
        except Exception as exc:
            raise explain(exc, "Titan embeddings") from exc
