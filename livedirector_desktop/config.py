"""Settings: one dataclass, stored as TOML in the user's config folder.

Environment variables override the folders so tests, CI and portable installs can point
the app elsewhere: LIVEDIRECTOR_HOME (all user data), LIVEDIRECTOR_MODELS, LIVEDIRECTOR_LIBRARY,
LIVEDIRECTOR_CONFIG (the settings file).
"""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from livedirector_desktop.core.errors import BadInputError

APP = "livedirector"


def _platform_data_home() -> Path:
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support"
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))


def _platform_config_home() -> Path:
    if sys.platform in ("win32", "darwin"):
        return _platform_data_home()
    return Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))


def assets_dir() -> Path:
    """The assets folder: beside the package in a checkout, inside the bundle when frozen."""
    base = getattr(sys, "_MEIPASS", None)
    if base:
        return Path(base) / "assets"
    return Path(__file__).resolve().parent.parent / "assets"


def data_dir() -> Path:
    """Where the app keeps libraries, models and sessions for this user."""
    home = os.environ.get("LIVEDIRECTOR_HOME")
    return Path(home) if home else _platform_data_home() / APP


def settings_path() -> Path:
    explicit = os.environ.get("LIVEDIRECTOR_CONFIG")
    if explicit:
        return Path(explicit)
    if os.environ.get("LIVEDIRECTOR_HOME"):
        return data_dir() / "settings.toml"
    return _platform_config_home() / APP / "settings.toml"


@dataclass
class DirectorSettings:
    # A clip whose score (cosine, 0..1) reaches `threshold` is shown.
    threshold: float = 0.25
    # A weaker clip (down to `threshold_low`) is shown only if it stands out from the rest
    # of the top candidates by `min_gap`: a sentence about nothing in the library scores
    # several clips alike, a real match stands apart.
    threshold_low: float = 0.15
    min_gap: float = 0.08
    # Weight of the LLM's visual query against the sentence itself in a clip's score.
    query_weight: float = 0.3
    # The relevance judgment (director/judge.py): how much the sentence raises the local
    # LLM's odds of describing its B-roll with the best clip's title (nats, vs a neutral
    # sentence) must reach `judge_threshold`. Only clips past the score gate are judged.
    judge: bool = True
    judge_threshold: float = 1.5
    judge_timeout_ms: int = 1000
    # Without a judgment (no LLM, or it failed), the score alone must reach these: stricter,
    # since the score cannot tell a word's other meanings apart.
    fallback_threshold: float = 0.35
    fallback_min_gap: float = 0.12
    min_on_screen_ms: int = 4000
    cooldown_ms: int = 1500
    no_repeat_within_ms: int = 20000
    top_k: int = 10


@dataclass
class StudioSettings:
    camera: str = "0"  # a device index, or a video file played as a camera
    mic: str = "default"  # a device name or index, or an audio/video file
    resolution: str = "720p"  # program size: 720p or 1080p
    fps: int = 30
    layout: str = "pip"
    transition_ms: int = 500
    output_dir: str = ""  # default: <data dir>/recordings
    language: str = "en"
    captions: bool = False  # a caption line in the program (and so in the recording)


@dataclass
class Settings:
    models_dir: str = ""
    library_dir: str = ""
    chroma_url: str = ""
    reasoner: str = "llama"  # llama | keyword | bedrock (falls back to llama)
    llm_model: str = "smollm2-135m"  # a model name from `livedirector models list`, or a .gguf path
    llm_threads: int = 2
    llm_timeout_ms: int = 1500
    embedding_threads: int = 1
    embedding_model: str = "minilm"  # minilm (local) | titan (Amazon Bedrock)
    aws_region: str = ""  # default: the AWS profile's region
    bedrock_model: str = "anthropic.claude-3-haiku-20240307-v1:0"
    bedrock_timeout_ms: int = 3000
    s3_bucket: str = ""  # a shared library in S3 (the studio's Sync button)
    s3_prefix: str = "livedirector"
    s3_endpoint_url: str = ""  # an S3-compatible store instead of AWS
    director: DirectorSettings = field(default_factory=DirectorSettings)
    studio: StudioSettings = field(default_factory=StudioSettings)

    @property
    def models_path(self) -> Path:
        env = os.environ.get("LIVEDIRECTOR_MODELS")
        if env:
            return Path(env).expanduser()
        return Path(self.models_dir).expanduser() if self.models_dir else data_dir() / "models"

    @property
    def library_path(self) -> Path:
        env = os.environ.get("LIVEDIRECTOR_LIBRARY")
        if env:
            return Path(env).expanduser()
        return Path(self.library_dir).expanduser() if self.library_dir else data_dir() / "library"


def _apply(obj: Any, values: dict[str, Any], where: str) -> None:
    known = {f.name: f for f in fields(obj)}
    for key, value in values.items():
        if key not in known:
            raise BadInputError(
                f"{where}: unknown setting {key!r}",
                f"remove it, or use one of: {', '.join(sorted(known))}",
            )
        current = getattr(obj, key)
        if hasattr(current, "__dataclass_fields__"):
            if not isinstance(value, dict):
                raise BadInputError(f"{where}: [{key}] must be a table")
            _apply(current, value, where)
        else:
            expected = type(current)
            if expected is float and isinstance(value, int):
                value = float(value)
            if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                raise BadInputError(
                    f"{where}: setting {key!r} must be {expected.__name__}, got {value!r}"
                )
            setattr(obj, key, value)


def load_settings(path: Path | None = None) -> Settings:
    path = path or settings_path()
    settings = Settings()
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise BadInputError(
                f"settings file {path} is not valid TOML: {exc}",
                "fix the file, or delete it to go back to the defaults",
            ) from exc
        _apply(settings, data, str(path))
    return settings


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def dump_settings(settings: Settings) -> str:
    top: list[str] = []
    tables: list[str] = []
    for key, value in asdict(settings).items():
        if isinstance(value, dict):
            tables.append(f"\n[{key}]")
            tables.extend(f"{k} = {_toml_value(v)}" for k, v in value.items())
        else:
            top.append(f"{key} = {_toml_value(value)}")
    return "\n".join(top + tables) + "\n"


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(dump_settings(settings), encoding="utf-8")
    os.replace(tmp, path)
    return path
