"""Logging as key=value lines (or JSON lines), to stderr and optionally a file."""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(record.created))
        level = record.levelname.lower()
        line = f"ts={ts}.{int(record.msecs):03d} level={level} logger={record.name} "
        line += record.getMessage()
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        body = {
            "ts": record.created,
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            body["exc"] = self.formatException(record.exc_info)
        return json.dumps(body)


def setup(level: str = "warning", json_lines: bool = False, file: Path | None = None) -> None:
    formatter: logging.Formatter = JsonFormatter() if json_lines else KeyValueFormatter()
    root = logging.getLogger()
    root.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root.addHandler(handler)
    root.setLevel(level.upper())
    if file:
        file.parent.mkdir(parents=True, exist_ok=True)
        fh = logging.FileHandler(file, encoding="utf-8")
        fh.setFormatter(formatter)
        fh.setLevel(logging.INFO)
        root.addHandler(fh)
        root.setLevel(min(root.level, logging.INFO))
        handler.setLevel(level.upper())
    # Third-party chatter stays out of the user's terminal unless asked for.
    for noisy in ("chromadb", "httpx", "onnxruntime", "urllib3", "posthog"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
