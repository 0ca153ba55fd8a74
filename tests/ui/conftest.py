"""GUI tests need a display: run.sh starts them under xvfb-run (Mesa llvmpipe for OpenGL)."""

from __future__ import annotations

import json
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


@pytest.fixture(scope="session")
def studio_talk(tmp_path_factory):
    """A 16 s talk: greeting, a topical sentence, filler, another topical sentence."""
    from livedirector_desktop.media.synthetic import speak, write_talk

    out = tmp_path_factory.mktemp("studio-talk")
    audio, segments = speak(
        [
            "Hi everyone, welcome back to the channel.",
            "SpaceX just launched another Falcon rocket into orbit.",
            "Um, okay, so, yeah.",
            "Every morning I make myself a double espresso.",
        ],
        gap_s=1.2,
    )
    video = write_talk(out / "talk.mp4", audio, 22050, width=640, height=360, fps=30)
    transcript = out / "talk.json"
    transcript.write_text(json.dumps({"segments": segments}))
    return video, transcript, segments
