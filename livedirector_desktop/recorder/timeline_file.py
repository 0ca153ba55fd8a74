"""OUT.json, the decision timeline beside every recording and render: typed and versioned.

One writer (`TimelineFile.to_json`) and one reader (`read_timeline`), so `conform`, tests and
tools agree on what a field means. Versioned as OpenTimelineIO versions its schemas: the
file says `"schema": "LiveDirectorTimeline.1"`; a file of an older version is upgraded on
reading by the function registered for that version (files written before the field
existed are version 0), and a file from a newer LiveDirector is refused with a message that
says so instead of being half read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from livedirector_desktop.core.errors import BadInputError

SCHEMA_NAME = "LiveDirectorTimeline"
VERSION = 1
SCHEMA = f"{SCHEMA_NAME}.{VERSION}"


@dataclass
class CueRow:
    """A sentence as it was heard (recording ms)."""

    text: str
    start_ms: float
    end_ms: float


@dataclass
class SegmentRow:
    """A clip on screen: when, which, and why."""

    start_ms: float
    end_ms: float
    asset_id: str
    title: str | None = None
    clip_path: str | None = None
    confidence: float = 0.0
    text: str = ""  # the sentence that asked for it
    path: str = ""  # which route decided: llm, fallback, manual, early, ...
    reason: str = ""


@dataclass
class DecisionRow:
    """What the director made of one final sentence, live (times in recording ms)."""

    text: str
    asset_id: str | None = None  # what it showed (None: the camera)
    confidence: float = 0.0
    query: str = ""
    path: str = ""
    outcome: str = "camera"  # core.types.Outcome
    reason: str = ""
    at_ms: float = 0.0
    start_ms: float = 0.0
    end_ms: float = 0.0
    wanted_asset_id: str | None = None  # logs before the shot planner: a deferred clip
    candidates: list[dict[str, Any]] = field(default_factory=list)
    latency_ms: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        # On disk as Decision.to_json writes a decision (the control API's shape too).
        row = asdict(self)
        asset, confidence = row.pop("asset_id"), row.pop("confidence")
        row["decision"] = {"asset_id": asset, "confidence": confidence} if asset else None
        return row

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DecisionRow:
        shown = data.get("decision") or {}
        row = _row(cls, {k: v for k, v in data.items() if k not in ("asset_id", "confidence")})
        row.asset_id = shown.get("asset_id")
        row.confidence = float(shown.get("confidence") or 0.0)
        return row


@dataclass
class ControlRow:
    """A control the creator used live: take, veto, hold, clear (recording ms)."""

    at_ms: float
    name: str
    value: Any = None


@dataclass
class TimelineFile:
    """Everything OUT.json says; `extra` keeps what a writer adds beyond these fields
    (render's clips_not_shown, conform's conformed_from, a recovery's recovered_from)."""

    output: str
    layout: str = "pip"
    duration_ms: float = 0.0
    segments: list[SegmentRow] = field(default_factory=list)
    transition_ms: float | None = None
    input: str | None = None  # the talk a render was made from
    sentences: int = 0
    live: bool = False  # recorded by the studio or `live`
    recovered: bool = False  # finished by recovery after a crash
    cues: list[CueRow] = field(default_factory=list)
    decisions: list[DecisionRow] = field(default_factory=list)
    controls: list[ControlRow] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schema": SCHEMA}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "extra":
                continue
            if f.name == "decisions":
                value = [d.to_json() for d in value]
            elif f.name in ("segments", "cues", "controls"):
                value = [asdict(row) for row in value]
            out[f.name] = value
        return {**self.extra, **out}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TimelineFile:
        """From a file's JSON at the current version (read_timeline upgrades older ones)."""
        known = {f.name for f in fields(cls)} - {"extra"}
        rows = {k: v for k, v in data.items() if k in known}
        rows["segments"] = [_row(SegmentRow, s) for s in data.get("segments") or []]
        rows["cues"] = [_row(CueRow, c) for c in data.get("cues") or []]
        rows["decisions"] = [DecisionRow.from_json(d) for d in data.get("decisions") or []]
        rows["controls"] = [_row(ControlRow, c) for c in data.get("controls") or []]
        extra = {k: v for k, v in data.items() if k not in known and k != "schema"}
        return cls(**rows, extra=extra)


def _row(cls, data: dict[str, Any]):
    """A row from its JSON: unknown keys dropped, times and scores as floats (a string
    there raises ValueError, which read_timeline names)."""
    numbers = {f.name for f in fields(cls) if f.type.startswith("float")}
    return cls(
        **{
            k: (float(v) if k in numbers and v is not None else v)
            for k, v in data.items()
            if k in {f.name for f in fields(cls)}
        }
    )


def timeline_file(
    meta: dict[str, Any], segments: list, assets: dict[str, dict[str, Any]]
) -> TimelineFile:
    """The file a writer's `meta` and the segments it showed make (clips titled from
    `assets`); meta keys that are not fields are kept in `extra`."""
    rows = [
        SegmentRow(
            round(s.start_ms, 1),
            round(s.end_ms, 1),
            s.asset_id,
            assets.get(s.asset_id, {}).get("title"),
            assets.get(s.asset_id, {}).get("path"),
            round(s.confidence, 4),
            s.text,
            s.path,
            s.reason,
        )
        for s in segments
        if s.asset_id
    ]
    timeline = TimelineFile.from_json({**meta, "segments": []})
    timeline.segments = rows
    return timeline


# ---------------------------------------------------------------- versions


def _from_0(data: dict[str, Any]) -> dict[str, Any]:
    """Files before the schema field: the same fields; `decisions` had no outcome before
    the shot planner (a shown clip was the outcome)."""
    for d in data.get("decisions") or []:
        if isinstance(d, dict) and "outcome" not in d:
            d["outcome"] = "show" if (d.get("decision") or {}).get("asset_id") else "camera"
    return data


UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _from_0}


def upgrade(data: dict[str, Any], source: str = "timeline") -> dict[str, Any]:
    """The JSON of any version this release reads, brought to the current one."""
    version = _version(data, source)
    if version > VERSION:
        raise BadInputError(
            f"{source} is a {data['schema']} timeline, newer than this LiveDirector reads "
            f"({SCHEMA})",
            "update LiveDirector to read it",
        )
    while version < VERSION:
        data = UPGRADES[version](data)
        version += 1
    return data


def _version(data: dict[str, Any], source: str) -> int:
    schema = data.get("schema")
    if schema is None:
        return 0
    name, _, number = str(schema).partition(".")
    if name != SCHEMA_NAME or not number.isdigit():
        raise BadInputError(f"{source}: {schema!r} is not a LiveDirector timeline schema")
    return int(number)


def read_timeline(path: Path) -> TimelineFile:
    """OUT.json, upgraded and typed; a clear error naming the file when it cannot be."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInputError(
            f"{path}: the recording's timeline cannot be read ({exc})",
            "it is the .json written beside a studio, `live` or `render` recording",
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("segments"), list):
        raise BadInputError(f"{path} is not a LiveDirector timeline")
    try:
        return TimelineFile.from_json(upgrade(data, str(path)))
    except (TypeError, ValueError, AttributeError) as exc:
        raise BadInputError(f"{path}: a timeline entry is malformed ({exc})") from exc
