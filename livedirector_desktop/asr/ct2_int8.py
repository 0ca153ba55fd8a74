"""A CTranslate2 model stored with int8 weights: half the disk of float16, the same decode.

The app loads Whisper with `compute_type="int8"`, so CTranslate2 quantizes a float16
model.bin's weights every time it loads it. Quantizing them once, as CTranslate2's own
converter does (`optimize(quantization="int8")`: a float32 scale per output row, weights
rounded to int8), stores what the loader would have built: the desktop app ships Whisper
base in 75 MB instead of 145 MB, and decodes bit for bit as before (tests/test_ct2_int8.py).

The file format is CTranslate2's model.bin, version 6 (ctranslate2/specs/model_spec.py,
`_serialize`): a header, then each variable as name, shape, dtype, bytes; then aliases.
"""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from livedirector_desktop.core.errors import BadInputError

BINARY_VERSION = 6
# Order of CTranslate2's DataType enum (include/ctranslate2/types.h).
DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
# What CTranslate2's loader quantizes for compute_type int8: the 2-D weights (linear layers
# and embeddings); it keeps convolutions' 3-D kernels in float, and so does this (quantized,
# Whisper's encoder output moved by up to 18 on LibriVox speech; kept, it is bit-identical).
# The scale sits beside the weight as `<name>_scale`.
_QUANTIZABLE = ("weight",)


@dataclass
class Variable:
    name: str
    shape: tuple[int, ...]
    dtype: str
    data: bytes

    def array(self) -> np.ndarray:
        if self.dtype == "bfloat16":
            raise BadInputError(f"variable {self.name} is bfloat16", "convert from float16/32")
        return np.frombuffer(self.data, dtype=self.dtype).reshape(self.shape)


@dataclass
class Model:
    spec: str
    revision: int
    variables: list[Variable]
    aliases: list[tuple[str, str]]


def _string(f: BinaryIO) -> str:
    (length,) = struct.unpack("H", f.read(2))
    return f.read(length)[:-1].decode("utf-8")


def read(path: Path) -> Model:
    """A model.bin, whole (a few hundred MB at most)."""
    with open(path, "rb") as f:
        (version,) = struct.unpack("I", f.read(4))
        if version != BINARY_VERSION:
            raise BadInputError(
                f"{path} is a CTranslate2 model of format {version}, not {BINARY_VERSION}",
                "convert it with the CTranslate2 release the app ships",
            )
        spec = _string(f)
        (revision,) = struct.unpack("I", f.read(4))
        (count,) = struct.unpack("I", f.read(4))
        variables = []
        for _ in range(count):
            name = _string(f)
            (rank,) = struct.unpack("B", f.read(1))
            shape = struct.unpack(f"{rank}I", f.read(4 * rank)) if rank else ()
            (dtype_id,) = struct.unpack("B", f.read(1))
            (size,) = struct.unpack("I", f.read(4))
            variables.append(Variable(name, tuple(shape), DTYPES[dtype_id], f.read(size)))
        (n_aliases,) = struct.unpack("I", f.read(4))
        aliases = [(_string(f), _string(f)) for _ in range(n_aliases)]
    return Model(spec, revision, variables, aliases)


def _write_string(f: BinaryIO, text: str) -> None:
    raw = text.encode("utf-8")
    f.write(struct.pack("H", len(raw) + 1) + raw + b"\0")


def write(model: Model, path: Path) -> None:
    """Written to a temporary name, then renamed: a model.bin is whole or absent."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(struct.pack("I", BINARY_VERSION))
        _write_string(f, model.spec)
        f.write(struct.pack("I", model.revision))
        f.write(struct.pack("I", len(model.variables)))
        for var in model.variables:
            _write_string(f, var.name)
            f.write(struct.pack("B", len(var.shape)))
            f.write(struct.pack(f"{len(var.shape)}I", *var.shape))
            f.write(struct.pack("B", DTYPES.index(var.dtype)))
            f.write(struct.pack("I", len(var.data)))
            f.write(var.data)
        f.write(struct.pack("I", len(model.aliases)))
        for alias, target in model.aliases:
            _write_string(f, alias)
            _write_string(f, target)
    os.replace(tmp, path)


def _quantized(var: Variable) -> Iterator[Variable]:
    """The variable as int8 with its per-row scale, exactly as CTranslate2's converter."""
    rows = var.array().astype(np.float32)
    amax = np.amax(np.absolute(rows), axis=1)
    amax[amax == 0] = 127.0
    amax = np.maximum(amax, np.float32(127) / np.finfo(np.float32).max)
    scale = (127.0 / amax).astype(np.float32)
    q = np.rint(rows * np.expand_dims(scale, 1)).astype(np.int8)
    yield Variable(var.name, var.shape, "int8", q.tobytes())
    yield Variable(f"{var.name}_scale", scale.shape, "float32", scale.tobytes())


def _quantizable(var: Variable, names: set[str]) -> bool:
    return (
        var.name.rsplit("/", 1)[-1] in _QUANTIZABLE
        and len(var.shape) == 2
        and var.dtype in ("float16", "float32")
        and f"{var.name}_scale" not in names
    )


def quantize_int8(source: Path, dest: Path) -> Path:
    """The model folder `source` copied to `dest` with its model.bin's weights in int8."""
    source, dest = Path(source), Path(dest)
    if not (source / "model.bin").is_file():
        raise BadInputError(f"{source} has no model.bin", "give a CTranslate2 model folder")
    model = read(source / "model.bin")
    names = {v.name for v in model.variables}
    variables: list[Variable] = []
    for var in model.variables:
        variables.extend(_quantized(var) if _quantizable(var, names) else [var])
    dest.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.name != "model.bin" and item.is_file():
            shutil.copy2(item, dest / item.name)
    write(Model(model.spec, model.revision, variables, model.aliases), dest / "model.bin")
    return dest
