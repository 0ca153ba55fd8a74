"""Files written beside a video: captions (SRT, WebVTT), the decision timeline (JSON), and
the edit in the editors' formats (OpenTimelineIO, FCP7 XML, FCPXML, CMX3600 EDL), so the
choices can be fixed afterwards in Premiere, Resolve, Final Cut or any OTIO tool."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Protocol

from livedirector_desktop.asr.captions import to_srt, to_vtt
from livedirector_desktop.asr.transcript import Cue
from livedirector_desktop.compositor.scene import Segment
from livedirector_desktop.core.files import partial_name, write_atomic
from livedirector_desktop.library.asset import Asset
from livedirector_desktop.recorder.edit_timeline import (
    EDIT_FORMATS,
    TalkSource,
    build_timeline,
    edit_rate,
    write_string,
)
from livedirector_desktop.recorder.timeline_file import timeline_file


class ClipLookup(Protocol):
    """What the sidecars need of a library: a clip's title and file by id."""

    def get(self, asset_id: str) -> Asset | None: ...


SIDECAR_SUFFIXES = (".srt", ".vtt", ".json", *EDIT_FORMATS)


def sidecar_paths(video: Path) -> list[Path]:
    """The files written beside `video`: captions, decision timeline, edit list."""
    video = Path(video)  # "talk.final.mp4" -> "talk.final.srt" (not "talk.srt")
    return [video.with_name(video.stem + suffix) for suffix in SIDECAR_SUFFIXES]


def files_written(video: Path) -> list[Path]:
    """Every file a recording or render at `video` writes, temporary names included."""
    from livedirector_desktop.recorder.writer import finishing_name

    sidecars = sidecar_paths(video)
    video = Path(video)
    return [
        video,
        partial_name(video),
        finishing_name(video),
        *sidecars,
        *(partial_name(p) for p in sidecars),
    ]


def clip_info(library: ClipLookup, segments: list[Segment]) -> dict[str, dict]:
    """Title and file of each clip the segments show, for the timeline and the EDL."""
    info: dict[str, dict] = {}
    for s in segments:
        if s.asset_id and s.asset_id not in info:
            asset = library.get(s.asset_id)
            info[s.asset_id] = (
                {"title": asset.title, "path": asset.path, "duration_ms": asset.duration_ms}
                if asset
                else {}
            )
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
    """Every sidecar of `video`, each under a temporary name first.

    The talk on V1/A1 is `meta["input"]` when there is one (render), else the video itself
    (a live recording: the program is the only picture kept)."""
    paths = sidecar_paths(video)
    srt, vtt, timeline_path, *edit_paths = paths
    assets = clip_info(library, segments)
    talk = TalkSource(source_name, str(meta.get("input") or video), duration_ms)
    timeline = build_timeline(
        video.stem, talk, segments, assets, edit_rate(fps), str(meta.get("layout") or "pip")
    )
    written = [
        write_atomic(srt, to_srt(cues)),
        write_atomic(vtt, to_vtt(cues)),
        write_atomic(
            timeline_path,
            json.dumps(timeline_file(meta, segments, assets).to_json(), indent=2) + "\n",
        ),
    ]
    written += [write_atomic(p, write_string(timeline, p.suffix)) for p in edit_paths]
    return written
