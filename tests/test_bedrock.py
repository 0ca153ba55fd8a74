"""Bedrock reasoning and Titan embeddings with botocore's Stubber: exact requests,
real-shaped responses, throttling, garbage, a circuit breaker, and no leaked credentials."""

from __future__ import annotations

import io
import json
import logging

import boto3
import numpy as np
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from livedirector_desktop.cloud.bedrock import BedrockReasoner, TitanEmbedder, parse_analysis
from livedirector_desktop.cloud.resilience import CircuitBreaker
from livedirector_desktop.core.errors import LiveDirectorError
from livedirector_desktop.director.director import Director
from livedirector_desktop.director.reasoner import KeywordReasoner, ReasonerError

SECRET = "very-secret-key-material-123"


@pytest.fixture(autouse=True)
def creds(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATESTTESTTEST0000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)


def bedrock_client():
    return boto3.client("bedrock-runtime", region_name="us-east-1")


def converse_response(text: str) -> dict:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 120, "outputTokens": 40, "totalTokens": 160},
        "metrics": {"latencyMs": 420},
    }


GOOD = json.dumps(
    {
        "topic": "space launch",
        "sentiment": "positive",
        "visual_concepts": ["rocket", "launch pad"],
        "query": "rocket lifting off",
        "filler": False,
    }
)
SENTENCE = "SpaceX just launched another Falcon rocket into orbit."


def test_request_body_and_parsed_answer(dev_library):
    client = bedrock_client()
    reasoner = BedrockReasoner(client=client, fallback=KeywordReasoner())
    with Stubber(client) as stub:
        stub.add_response("converse", converse_response(GOOD), reasoner.request(SENTENCE))
        decision = Director(dev_library, reasoner).decide(SENTENCE, now_ms=0)
        stub.assert_no_pending_responses()
    request = reasoner.request(SENTENCE)
    assert request["modelId"] == "anthropic.claude-3-haiku-20240307-v1:0"
    assert request["messages"] == [{"role": "user", "content": [{"text": SENTENCE}]}]
    assert request["inferenceConfig"] == {"maxTokens": 200, "temperature": 0.0}
    assert decision.path == "bedrock" and decision.query == "rocket lifting off"
    assert decision.asset_id == "space-rocket"


def test_throttling_is_retried_with_backoff():
    client = bedrock_client()
    reasoner = BedrockReasoner(client=client, attempts=3, fallback=None)
    with Stubber(client) as stub:
        stub.add_client_error("converse", "ThrottlingException", http_status_code=429)
        stub.add_client_error("converse", "ThrottlingException", http_status_code=429)
        stub.add_response("converse", converse_response(GOOD))
        analysis = reasoner.analyze(SENTENCE, timeout_ms=5000)
        stub.assert_no_pending_responses()
    assert analysis.query == "rocket lifting off" and analysis.source == "bedrock"


@pytest.mark.parametrize("answer", ["I think it is about rockets.", '{"topic": 3}', "[1, 2]", ""])
def test_garbage_falls_back_to_the_local_reasoner(dev_library, answer):
    client = bedrock_client()
    reasoner = BedrockReasoner(client=client, fallback=KeywordReasoner())
    with Stubber(client) as stub:
        stub.add_response("converse", converse_response(answer))
        decision = Director(dev_library, reasoner).decide(SENTENCE, now_ms=0)
    assert decision.path == "llm" and "bedrock failed" in decision.reason
    assert decision.asset_id == "space-rocket"  # the local path still finds it


def test_circuit_breaker_opens_and_recovers(caplog):
    now = [0.0]
    breaker = CircuitBreaker(failures=3, cooldown_s=30, clock=lambda: now[0])
    client = bedrock_client()
    reasoner = BedrockReasoner(
        client=client, breaker=breaker, attempts=1, fallback=KeywordReasoner()
    )
    caplog.set_level(logging.DEBUG)
    with Stubber(client) as stub:
        for _ in range(3):
            stub.add_client_error("converse", "AccessDeniedException", http_status_code=403)
        for _ in range(3):
            assert reasoner.analyze(SENTENCE).note.startswith("bedrock failed")
        assert breaker.state == "open"
        # Open: the local reasoner answers without Bedrock being called (nothing is stubbed).
        assert "circuit open" in reasoner.analyze(SENTENCE).note
        stub.assert_no_pending_responses()
        now[0] = 31.0
        assert breaker.state == "half-open"
        stub.add_response("converse", converse_response(GOOD))
        assert reasoner.analyze(SENTENCE).source == "bedrock"
        assert breaker.state == "closed"
    assert SECRET not in caplog.text and "AKIATEST" not in caplog.text


def test_parse_analysis_marks_filler():
    a = parse_analysis('{"filler": true, "query": ""}', "Thanks for watching!")
    assert a.is_filler and a.query == ""
    with pytest.raises(ReasonerError):
        parse_analysis('{"topic": "x"}', "Rockets.")


def titan_response(vector) -> dict:
    data = json.dumps({"embedding": list(map(float, vector)), "inputTextTokenCount": 5}).encode()
    return {"body": StreamingBody(io.BytesIO(data), len(data)), "contentType": "application/json"}


def test_titan_embeddings_and_the_library_refuses_to_mix(tmp_path, embedder):
    from livedirector_desktop.library.library import Library

    client = bedrock_client()
    titan = TitanEmbedder(client=client)
    rng = np.random.default_rng(0)
    with Stubber(client) as stub:
        for text in ("Rocket launch", "Coffee"):
            stub.add_response(
                "invoke_model",
                titan_response(rng.normal(size=512) * 3),
                {
                    "modelId": "amazon.titan-embed-text-v2:0",
                    "contentType": "application/json",
                    "accept": "application/json",
                    "body": json.dumps({"inputText": text, "dimensions": 512, "normalize": True}),
                },
            )
        vectors = titan.embed(["Rocket launch", "Coffee"])
    assert vectors.shape == (2, 512)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)

    Library.open(tmp_path / "lib", embedder)  # built with MiniLM
    with pytest.raises(LiveDirectorError, match="built with embeddings 'all-MiniLM-L6-v2'"):
        Library.open(tmp_path / "lib", titan)


def test_titan_failure_is_explained_without_secrets():
    client = bedrock_client()
    titan = TitanEmbedder(client=client)
    with Stubber(client) as stub:
        stub.add_client_error("invoke_model", "UnrecognizedClientException", http_status_code=403)
        with pytest.raises(LiveDirectorError) as err:
            titan.embed(["x"])
    assert "refused the credentials" in str(err.value) and SECRET not in str(err.value)
