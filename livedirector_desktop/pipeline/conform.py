"""`livedirector conform`: the final cut of a live recording.

Live, a clip can only come on once its sentence has been (partly) heard. The studio and
`live` also record the clean camera and microphone (`OUT.camera.mp4`) and log every
sentence, decision and control with the program (`OUT.json`). Conform re-renders from the
clean recording with each clip starting with the sentence that asked for it, through the
same compositor, layouts and sidecars as `render`. The creator's choices stand: manual
takes keep their moment, vetoed clips never appear. The live recording is left as it was.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from livedirector_desktop.asr.transcript import Cue, read_transcript
from livedirector_desktop.compositor.scene import Segment
from livedirector_desktop.core.errors import BadInputError
from livedirector_desktop.library.library import Library
from livedirector_desktop.pipeline.live_config import camera_copy_path
from livedirector_desktop.pipeline.render import Progress, RenderOptions, RenderResult, render


@dataclasses.dataclass
class LiveLog:
    """What a live recording's timeline says happened."""

    layout: str
    transition_ms: float | None
    cues: list[Cue]
    segments: list[Segment]
    vetoed: set[str]


def read_live_log(program: Path) -> LiveLog:
    timeline_path = Path(program).with_suffix(".json")
    try:
        data = json.loads(timeline_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise BadInputError(
            f"{timeline_path}: the recording's timeline cannot be read ({exc})",
            "conform needs the .json written beside a studio or `live` recording",
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("segments"), list):
        raise BadInputError(f"{timeline_path} is not a LiveDirector timeline")
    if data.get("cues"):
        cues = [Cue(c["text"], float(c["start_ms"]), float(c["end_ms"])) for c in data["cues"]]
    else:  # a recovered recording: its captions carry the sentences
        srt = Path(program).with_suffix(".srt")
        cues = read_transcript(srt) if srt.exists() else []
    segments = [
        Segment(
            float(s["start_ms"]),
            float(s["end_ms"]),
            s["asset_id"],
            float(s.get("confidence") or 0.0),
            s.get("text") or "",
            s.get("path") or "",
            s.get("reason") or "",
        )
        for s in data["segments"]
        if s.get("asset_id")
    ]
    vetoed = {
        asset
        for c in data.get("controls") or []
        if c.get("name") == "vetoed"
        for asset in c.get("value") or []
    }
    return LiveLog(data.get("layout") or "pip", data.get("transition_ms"), cues, segments, vetoed)


def conform_segments(log: LiveLog) -> list[Segment]:
    """The live segments, each of the director's clips moved to start with its sentence.

    The creator's manual takes keep their moment, and a clip moved earlier never cuts into
    one; a clip moved earlier ends the one before it; vetoed clips are left out.
    """
    out: list[Segment] = []
    for segment in sorted(log.segments, key=lambda s: s.start_ms):
        if segment.asset_id in log.vetoed:
            continue
        start = segment.start_ms
        manual = segment.path == "manual"
        if not manual and segment.text:
            asked = [c for c in log.cues if c.text == segment.text and c.start_ms <= start + 1]
            if asked:
                start = asked[-1].start_ms
        if out and out[-1].path == "manual" and not manual:
            start = max(start, out[-1].end_ms)
        if out and start < out[-1].end_ms:
            out[-1] = dataclasses.replace(out[-1], end_ms=max(out[-1].start_ms, start))
        out.append(dataclasses.replace(segment, start_ms=start))
    return [s for s in out if s.end_ms - s.start_ms >= 200]


def conform(
    program: Path,
    output: Path,
    library: Library,
    opts: RenderOptions | None = None,
    progress: Progress | None = None,
) -> RenderResult:
    program = Path(program)
    camera = camera_copy_path(program)
    if not camera.is_file():
        raise BadInputError(
            f"{camera} is missing: conform re-renders from the clean camera recording",
            "the studio and `live` write it beside every recording (unless turned off)",
        )
    log = read_live_log(program)
    opts = opts or RenderOptions(layout=log.layout)
    if log.transition_ms is not None:
        opts.transition_ms = float(log.transition_ms)
    return render(
        camera,
        output,
        library,
        None,
        cues=log.cues,
        segments=conform_segments(log),
        opts=opts,
        progress=progress,
        inputs=[program, program.with_suffix(".json"), program.with_suffix(".srt")],
        meta={"conformed_from": str(program)},
    )
