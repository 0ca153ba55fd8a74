"""Logging as key=value lines (or JSON lines), to stderr and optionally a file.

Every line goes through `redact` before it is written, at every level: botocore's debug
output carries the access key id (in `Authorization`), the session token
(`X-Amz-Security-Token`), signatures and presigned URLs, and none of it may reach a
terminal or a log file.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from pathlib import Path

from livedirector_desktop.core.errors import BadInputError
from livedirector_desktop.core.text import printable

REDACTED = "<redacted>"

# Names whose value is a secret wherever they appear: HTTP headers (as botocore prints them,
# `'X-Amz-Security-Token': b'...'`), canonical requests (`x-amz-security-token:...`), query
# strings (`X-Amz-Signature=...`), config/env/JSON (`aws_secret_access_key = ...`).
_SECRET_NAMES = (
    r"authorization|x-amz-security-token|x-amz-signature|x-amz-credential|"
    r"aws_access_key_id|aws_secret_access_key|aws_session_token|secret_?access_?key|"
    r"access_?key_?id|session_?token|security_?token|signature|credential|password"
)
# A quoted value: `'Authorization': b'AWS4-HMAC-SHA256 Credential=..., Signature=...'`.
_QUOTED = re.compile(rf"""(?i)\b({_SECRET_NAMES})(['"]?\s*[:=]\s*b?)(['"])(.*?)(\3)""")
# `Authorization: AWS4-HMAC-SHA256 ...` in a header dump: the value runs to the line's end.
_AUTH_LINE = re.compile(r"(?im)\b(authorization)(\s*:\s*)(?!<redacted>)([^\r\n]+)")
# An unquoted value: `X-Amz-Signature=abc&...`, `x-amz-security-token:TOKEN`.
_BARE = re.compile(rf"""(?i)\b({_SECRET_NAMES})(\s*[:=]\s*)(?!<redacted>)([^\s&'",;}}\]>)]+)""")
# botocore.auth logs "Signature:\n<hex>".
_SIGNATURE_BLOCK = re.compile(r"(?i)(signature:\s*\n)([0-9a-f]{16,})")
# Any URL with a signed query string (presigned S3/Bedrock URLs): the whole query goes.
_SIGNED_URL = re.compile(
    r"""(?i)(\bhttps?://[^\s'"?<>]+)\?([^\s'"<>]*(?:x-amz-|signature=|awsaccesskeyid=)[^\s'"<>]*)"""
)
# AWS access key ids have a fixed shape: AKIA (long-term) / ASIA (temporary) + 16.
_ACCESS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b")
_ENV_SECRETS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def _known_secrets() -> list[str]:
    """The credentials in this process's environment, redacted wherever they turn up."""
    return [v for v in (os.environ.get(n, "") for n in _ENV_SECRETS) if len(v) >= 8]


def redact(text: str) -> str:
    """The text with every credential-shaped value replaced by <redacted>."""
    if not text:
        return text
    for secret in _known_secrets():
        text = text.replace(secret, REDACTED)
    text = _SIGNED_URL.sub(rf"\1?{REDACTED}", text)
    text = _QUOTED.sub(lambda m: f"{m[1]}{m[2]}{m[3]}{REDACTED}{m[5]}", text)
    text = _AUTH_LINE.sub(rf"\1\2{REDACTED}", text)
    text = _BARE.sub(rf"\1\2{REDACTED}", text)
    text = _SIGNATURE_BLOCK.sub(rf"\1{REDACTED}", text)
    return _ACCESS_KEY_ID.sub(REDACTED, text)


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(record.created))
        level = record.levelname.lower()
        line = f"ts={ts}.{int(record.msecs):03d} level={level} logger={record.name} "
        line += record.getMessage()
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return printable(redact(line), keep_newlines=True)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        body = {
            "ts": record.created,
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        if record.exc_info:
            body["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(body)


class RedactingFilter(logging.Filter):
    """For handlers whose formatter is not ours: the message is redacted before formatting."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def setup(level: str = "warning", json_lines: bool = False, file: Path | None = None) -> None:
    if level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise BadInputError(f"unknown log level {level!r}", "use debug, info, warning or error")
    formatter: logging.Formatter = JsonFormatter() if json_lines else KeyValueFormatter()
    root = logging.getLogger()
    root.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    root.setLevel(level.upper())
    if file:
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            fh = logging.FileHandler(file, encoding="utf-8")
        except OSError as exc:
            raise BadInputError(
                f"cannot write the log file {file}: {exc.strerror or exc}",
                "give --log-file a path in a writable folder",
            ) from exc
        fh.setFormatter(formatter)
        fh.addFilter(RedactingFilter())
        fh.setLevel(logging.INFO)
        root.addHandler(fh)
        root.setLevel(min(root.level, logging.INFO))
        handler.setLevel(level.upper())
    # Third-party chatter stays out of the user's terminal unless asked for.
    for noisy in ("chromadb", "httpx", "onnxruntime", "urllib3", "posthog"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


GUI_LOG_NAME = "livedirector.log"


def add_rotating_file(folder: Path, max_bytes: int = 2_000_000, backups: int = 3) -> Path | None:
    """The GUI's own log: always written (a windowed Windows build has no stderr), rotated so
    it never grows past max_bytes * (backups + 1). Returns the file, or None if the folder
    cannot be written (said on stderr, the app still runs)."""
    from logging.handlers import RotatingFileHandler

    path = Path(folder) / GUI_LOG_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(
            path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
        )
    except OSError as exc:
        print(f"warning: cannot write the log file {path}: {exc}", file=sys.stderr)
        return None
    handler.setFormatter(KeyValueFormatter())
    handler.addFilter(RedactingFilter())
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        for other in root.handlers:
            if other is not handler and other.level == logging.NOTSET:
                other.setLevel(root.level or logging.WARNING)
        root.setLevel(logging.INFO)
    return path
