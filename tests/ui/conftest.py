"""GUI tests need a display: run.sh starts them under xvfb-run (Mesa llvmpipe for OpenGL)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def pytest_collection_modifyitems(config, items):
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        for item in items:
            if "tests/ui/" in str(item.fspath):
                item.add_marker(
                    pytest.mark.skip(reason="no display: run under xvfb-run (./run.sh test does)")
                )
