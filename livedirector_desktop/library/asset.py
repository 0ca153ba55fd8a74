"""An asset (one B-roll clip) and its optional JSON sidecar."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from livedirector_desktop.core.errors import BadInputError
from livedirector_desktop.core.files import write_atomic

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
VIDEO_SUFFIXES = frozenset(
    {".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".mts", ".m2ts", ".mpg", ".mpeg", ".wmv"}
)


@dataclass
class Asset:
    id: str
    title: str
    path: str
    description: str = ""
    tags: list[str] = field(default_factory=list)
    category: str = ""
    sha256: str = ""
    size_bytes: int = 0
    mtime_ns: int = 0
    duration_ms: int = 0
    width: int = 0
    height: int = 0
    fps: float = 0.0
    has_audio: bool = False
    thumbnail: str = ""
    # No words from its name, metadata or sidecar: search cannot find it until it has some.
    needs_description: bool = False
    # The creator changed its text in the app: a re-import keeps their words.
    edited: bool = False
    # The title, comment, description and keywords its container holds (JSON), as read.
    embedded_fields: str = ""

    def embedded(self) -> dict[str, str]:
        try:
            data = json.loads(self.embedded_fields) if self.embedded_fields else {}
        except json.JSONDecodeError:
            return {}
        if not isinstance(data, dict):
            return {}
        return {k: v for k, v in data.items() if isinstance(v, str)}

    def embedding_text(self) -> str:
        """The text whose vector stands for the clip in search."""
        parts = [self.title.strip().rstrip(".")]
        if self.description:
            parts.append(self.description.strip().rstrip("."))
        if self.tags:
            parts.append("Tags: " + ", ".join(self.tags))
        return ". ".join(parts) + "."

    def embedding_views(self) -> list[str]:
        """Several views of the clip's text; its vector is their normalised mean.

        On the dev set the mean of three views (everything; title and description; tags)
        ranked the right clip first more often than the single full text (83 vs 78 of 89),
        as an ensemble does: a sentence that matches the tags but not the prose still scores.
        """
        views = [self.embedding_text()]
        prose = ". ".join(p.strip().rstrip(".") for p in (self.title, self.description) if p)
        if prose and self.description:
            views.append(prose + ".")
        if self.tags:
            views.append(", ".join(self.tags))
        return views

    def to_metadata(self) -> dict[str, str | int | float | bool]:
        """Flat key/values for the vector store (which holds scalars only)."""
        meta = asdict(self)
        meta.pop("id")
        meta["tags"] = ", ".join(self.tags)
        return meta

    @classmethod
    def from_metadata(cls, asset_id: str, meta: dict[str, Any]) -> Asset:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in meta.items() if k in known}
        tags = values.get("tags") or ""
        values["tags"] = [t.strip() for t in tags.split(",") if t.strip()] if tags else []
        return cls(id=asset_id, **values)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._")


def _hashed(slug: str, original: str) -> str:
    """`slug-1a2b3c4d`: the hash of the whole name keeps names that slug alike apart."""
    digest = hashlib.sha256(unicodedata.normalize("NFC", original).encode()).hexdigest()[:8]
    return f"{slug[:119].rstrip('-._')}-{digest}"


def id_from_stem(stem: str) -> str:
    """A safe asset id from a file name: spaces and odd characters become dashes.

    A name with letters outside ASCII (모닝 커피.mp4, café.mp4) keeps what ASCII it has and
    gets a short hash of the whole name, so two such names never share an id."""
    cleaned = _slug(stem)
    if cleaned and stem.isascii():
        return cleaned[:128]
    return _hashed(cleaned or "clip", stem)


def safe_id(key: str, force_hash: bool = False) -> str:
    """An id from an untrusted name (a manifest key): itself if usable, else slug + hash."""
    if ID_PATTERN.match(key) and not force_hash:
        return key
    return _hashed(_slug(key) or "clip", key)


def sidecar_path(video: Path) -> Path:
    return video.with_suffix(".json")


def read_sidecar(path: Path) -> dict[str, Any]:
    """Validated sidecar fields; raises BadInputError naming the file and the problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInputError(
            f"sidecar {path} cannot be read: {exc}",
            "fix the JSON or delete the sidecar to import with the file name as title",
        ) from exc
    if not isinstance(data, dict):
        raise BadInputError(f"sidecar {path} must hold a JSON object, not {type(data).__name__}")
    out: dict[str, Any] = {}
    for key in ("id", "title", "description", "category"):
        if key in data and data[key] is not None:
            if not isinstance(data[key], str):
                raise BadInputError(f"sidecar {path}: {key!r} must be a string")
            out[key] = data[key].strip()
    if "id" in out and not ID_PATTERN.match(out["id"]):
        raise BadInputError(
            f"sidecar {path}: id {out['id']!r} is not usable",
            "use letters, digits, '.', '_' or '-' (at most 128 characters)",
        )
    if "tags" in data and data["tags"] is not None:
        tags = data["tags"]
        if isinstance(tags, str):
            tags = [t for t in tags.split(",")]
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise BadInputError(f"sidecar {path}: 'tags' must be a list of strings")
        out["tags"] = [t.strip() for t in tags if t.strip()]
    return out


def write_sidecar(asset: Asset, path: Path | None = None) -> Path:
    path = path or sidecar_path(Path(asset.path))
    body = {
        "id": asset.id,
        "title": asset.title,
        "description": asset.description,
        "tags": asset.tags,
        "category": asset.category,
    }
    return write_atomic(path, json.dumps(body, indent=2, ensure_ascii=False) + "\n")
