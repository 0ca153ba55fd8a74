"""Files written beside a video: captions (SRT, WebVTT), the decision timeline (JSON), and a
CMX3600 edit decision list a video editor can import to fix the choices afterwards."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Protocol

from livedirector_desktop.asr.transcript import Cue, to_srt, to_vtt
from livedirector_desktop.compositor.scene import Segment
from livedirector_desktop.core.files import partial_name, write_atomic
from livedirector_desktop.library.asset import Asset


class ClipLookup(Protocol):
    """What the sidecars need of a library: a clip's title and file by id."""

    def get(self, asset_id: str) -> Asset | None: ...


SIDECAR_SUFFIXES = (".srt", ".vtt", ".json", ".edl")


def sidecar_paths(video: Path) -> list[Path]:
    """The files written beside `video`: captions, decision timeline, edit list."""
    base = Path(video).with_suffix("")
    return [base.with_suffix(s) for s in SIDECAR_SUFFIXES]


def files_written(video: Path) -> list[Path]:
    """Every file a recording or render at `video` writes, temporary names included."""
    sidecars = sidecar_paths(video)
    return [Path(video), partial_name(Path(video)), *sidecars, *(partial_name(p) for p in sidecars)]


def timeline_json(segments: list[Segment], assets: dict[str, dict], meta: dict) -> dict:
    return {
        **meta,
        "segments": [
            {
                "start_ms": round(s.start_ms, 1),
                "end_ms": round(s.end_ms, 1),
                "asset_id": s.asset_id,
                "title": assets.get(s.asset_id or "", {}).get("title"),
                "clip_path": assets.get(s.asset_id or "", {}).get("path"),
                "confidence": round(s.confidence, 4),
                "text": s.text,
                "path": s.path,
                "reason": s.reason,
            }
            for s in segments
            if s.asset_id
        ],
    }


def _timecode(ms: float, fps: Fraction) -> str:
    """Non-drop-frame timecode at the nominal integer rate."""
    nominal = max(1, round(float(fps)))
    frames = round(ms * nominal / 1000)
    f = frames % nominal
    s = frames // nominal
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}:{f:02d}"


def edl(
    title: str,
    source_name: str,
    segments: list[Segment],
    assets: dict[str, dict],
    duration_ms: float,
    fps: Fraction,
) -> str:
    """The cut as one video track: the talk, cut away to B-roll for each decided segment.

    CMX3600 has one video track, so picture-in-picture and side-by-side are written as
    cutaways; the clip names and comments carry enough to rebuild them in an editor.
    """
    lines = [f"TITLE: {title[:70]}", "FCM: NON-DROP FRAME", ""]
    events: list[tuple[str, str, float, float, float]] = []  # reel, name, src_in, rec_in, rec_out
    cursor = 0.0
    for s in sorted((s for s in segments if s.asset_id), key=lambda s: s.start_ms):
        if s.start_ms > cursor:
            events.append(("AX", source_name, cursor, cursor, s.start_ms))
        clip = assets.get(s.asset_id, {})
        events.append(("AX", Path(clip.get("path") or s.asset_id).name, 0.0, s.start_ms, s.end_ms))
        cursor = s.end_ms
    if cursor < duration_ms:
        events.append(("AX", source_name, cursor, cursor, duration_ms))
    for n, (reel, name, src_in, rec_in, rec_out) in enumerate(events, 1):
        src_out = src_in + (rec_out - rec_in)
        lines.append(
            f"{n:03d}  {reel:<8} V     C        {_timecode(src_in, fps)} {_timecode(src_out, fps)} "
            f"{_timecode(rec_in, fps)} {_timecode(rec_out, fps)}"
        )
        lines.append(f"* FROM CLIP NAME: {name}")
        lines.append("")
    return "\n".join(lines)


def clip_info(library: ClipLookup, segments: list[Segment]) -> dict[str, dict]:
    """Title and file of each clip the segments show, for the timeline and the EDL."""
    info: dict[str, dict] = {}
    for s in segments:
        if s.asset_id and s.asset_id not in info:
            asset = library.get(s.asset_id)
            info[s.asset_id] = {"title": asset.title, "path": asset.path} if asset else {}
    return info


def write_sidecars(
    video: Path,
    cues: list[Cue],
    segments: list[Segment],
    library: ClipLookup,
    meta: dict,
    source_name: str,
    duration_ms: float,
    fps: Fraction,
) -> list[Path]:
    srt, vtt, timeline, edit_list = sidecar_paths(video)
    assets = clip_info(library, segments)
    return [
        write_atomic(srt, to_srt(cues)),
        write_atomic(vtt, to_vtt(cues)),
        write_atomic(
            timeline,
            json.dumps(timeline_json(segments, assets, meta), indent=2) + "\n",
        ),
        write_atomic(edit_list, edl(video.stem, source_name, segments, assets, duration_ms, fps)),
    ]
