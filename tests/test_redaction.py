"""No credential in any output at any log level: botocore's debug output against a real S3
API (moto's server on loopback) with credentials shaped like real ones."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from livedirector_desktop.logs import KeyValueFormatter, RedactingFilter, redact
from tests.test_s3sync import _start_moto

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parent.parent
# Shaped like real ones (AKIA/ASIA + 16, 40-character secret, a long session token).
KEY_ID = "ASIAZ7EXAMPLE4KQ2XVB"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexampleTokenValue0123456789abcd"


@pytest.fixture(scope="module")
def moto_url():
    proc, url = _start_moto()
    yield url
    proc.terminate()
    proc.wait(10)


def secret_parts() -> list[str]:
    # Pieces too: a secret split across a line or partly shown is still shown.
    return [KEY_ID, KEY_ID[4:], SECRET, SECRET[:20], TOKEN, TOKEN[-30:]]


def test_debug_logging_of_real_s3_calls_shows_no_credential(moto_url, tmp_path):
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_SESSION_TOKEN": TOKEN,
        "AWS_DEFAULT_REGION": "us-east-1",
        "LIVEDIRECTOR_HOME": str(tmp_path / "home"),
    }
    env.pop("AWS_PROFILE", None)
    boto3.client(
        "s3",
        endpoint_url=moto_url,
        region_name="us-east-1",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        aws_session_token=TOKEN,
    ).create_bucket(Bucket="creds")
    log_file = tmp_path / "run.log"
    for level in ("debug", "info", "warning"):
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "livedirector_desktop",
                "--log-level",
                level,
                "--log-file",
                str(log_file),
                "library",
                "push",
                "--bucket",
                "creds",
                "--endpoint-url",
                moto_url,
                "--library",
                str(tmp_path / "lib"),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
        )
        assert out.returncode == 0, out.stderr[-2000:]
        text = out.stdout + out.stderr + log_file.read_text()
        for part in secret_parts():
            assert part not in text, (level, part)
        if level == "debug":
            # The debug output did carry the signed headers: they were there, and redacted.
            assert "Authorization" in out.stderr and "<redacted>" in out.stderr
            assert "X-Amz-Security-Token" in out.stderr or "x-amz-security-token" in out.stderr


def test_presigned_urls_and_headers_are_redacted_whatever_logs_them(monkeypatch):
    s3 = boto3.client(
        "s3",
        region_name="us-east-1",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        aws_session_token=TOKEN,
    )
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "clip.mp4"})
    assert KEY_ID in url  # presigned URLs carry the key id and the token
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(KeyValueFormatter())
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        logger.debug("share link %s", url)
        logger.info("headers %r", {"Authorization": f"AWS4-HMAC-SHA256 Credential={KEY_ID}/x"})
        try:
            raise RuntimeError(f"failed with X-Amz-Security-Token={TOKEN}&x=1")
        except RuntimeError:
            logger.exception("upload failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "/clip.mp4?<redacted>" in text
    for part in secret_parts():
        assert part not in text, part

    # A handler with someone else's formatter still gets redacted messages via the filter;
    # a bare value with no name beside it is caught when it is the environment's credential.
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    record = logging.LogRecord("x", logging.INFO, "", 0, "token %s", (TOKEN,), None)
    RedactingFilter().filter(record)
    assert TOKEN not in record.getMessage()


@pytest.mark.parametrize(
    "line",
    [
        f"'Authorization': b'AWS4-HMAC-SHA256 Credential={KEY_ID}/20240101/us-east-1/s3/"
        "aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "a" * 64 + "'",
        f"x-amz-security-token:{TOKEN}",
        f"Authorization: AWS4-HMAC-SHA256 Credential={KEY_ID}/2024, Signature=abc",
        "Signature:\n" + "b" * 64,
        f"aws_secret_access_key = {SECRET}",
        f'{{"SecretAccessKey": "{SECRET}", "SessionToken": "{TOKEN}"}}',
        f"https://host/k?X-Amz-Credential={KEY_ID}%2F2024&X-Amz-Signature=" + "c" * 64,
    ],
)
def test_redact_shapes(line, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)  # shapes alone, not the known values
    clean = redact(line)
    assert "<redacted>" in clean
    for part in [*secret_parts(), "a" * 64, "b" * 64, "c" * 64]:
        assert part not in clean, (part, clean)
