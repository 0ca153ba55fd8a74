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
import itertools
from pathlib import Path

from livedirector_desktop.asr.transcript import Cue, read_transcript
from livedirector_desktop.compositor.figure_card import FigureStyle
from livedirector_desktop.compositor.scene import Segment
from livedirector_desktop.config import DirectorSettings
from livedirector_desktop.core.errors import BadInputError
from livedirector_desktop.core.files import camera_copy_path
from livedirector_desktop.core.types import Decision, Outcome
from livedirector_desktop.library.library import Library
from livedirector_desktop.pipeline.render import (
    Progress,
    RenderOptions,
    RenderResult,
    direct,
    render,
)
from livedirector_desktop.recorder.timeline_file import DecisionRow, read_timeline


@dataclasses.dataclass
class LiveLog:
    """What a live recording's timeline says happened."""

    layout: str
    transition_ms: float | None
    cues: list[Cue]
    segments: list[Segment]
    vetoed: set[str]
    decisions: list[DecisionRow] = dataclasses.field(default_factory=list)  # one a final


class LoggedDirector:
    """The live session's decisions, replayed sentence by sentence into `render`'s planner.

    What each sentence asked for stands (timing rules aside: the planner applies them
    again, with the sentence's real start); vetoed clips become the speaker.
    """

    def __init__(self, log: LiveLog, settings: DirectorSettings) -> None:
        self.settings = settings
        self._by_text: dict[str, list[DecisionRow]] = {}
        for d in log.decisions:
            self._by_text.setdefault(d.text, []).append(d)
        self.vetoed = log.vetoed

    def decide(self, text: str, now_ms: float = 0.0, context=()) -> Decision:
        logged = self._by_text.get(text) or [DecisionRow(text)]
        d = logged.pop(0) if len(logged) > 1 else logged[0]
        wanted = d.wanted_asset_id if d.outcome == Outcome.DEFERRED else d.asset_id
        if d.outcome == Outcome.KEEP or d.path == "manual":
            wanted = None  # held or pinned by the creator: their own segments stand
        if wanted in self.vetoed:
            wanted = None
        return Decision(
            text=text,
            query=d.query,
            asset_id=wanted,
            confidence=d.confidence,
            candidates=[],
            path=d.path or "live",
            reason=d.reason,
            at_ms=now_ms,
            outcome=Outcome.SHOW if wanted else Outcome.CAMERA,
        )

    def shown(self, asset_id: str | None, now_ms: float) -> None:
        pass

    def reset(self) -> None:
        pass


def read_live_log(program: Path) -> LiveLog:
    """The timeline beside a live recording (OUT.json, any version), for conform."""
    timeline = read_timeline(Path(program).with_suffix(".json"))
    if timeline.cues:
        cues = [Cue(c.text, c.start_ms, c.end_ms) for c in timeline.cues]
    else:  # a recovered recording: its captions carry the sentences
        srt = Path(program).with_suffix(".srt")
        cues = read_transcript(srt) if srt.exists() else []
    segments = [
        Segment(s.start_ms, s.end_ms, s.asset_id, s.confidence, s.text, s.path, s.reason)
        for s in timeline.segments
    ]
    vetoed = {
        asset
        for c in timeline.controls
        if c.name == "vetoed" and isinstance(c.value, list)
        for asset in c.value
    }
    return LiveLog(
        timeline.layout or "pip",
        timeline.transition_ms,
        cues,
        segments,
        vetoed,
        timeline.decisions,
    )


def conform_segments(
    log: LiveLog, opts: RenderOptions, settings: DirectorSettings
) -> list[Segment]:
    """The final cut's segments: the live decisions laid out by `render`'s planner, so each
    clip starts with its sentence and leaves when the talk moves on; then the creator's
    manual takes, at the moments they were made, over the top."""
    manual = [s for s in log.segments if s.path == "manual" and s.asset_id not in log.vetoed]
    decided = {d.text for d in log.decisions}
    planned = []
    if log.decisions:
        end_ms = max([c.end_ms for c in log.cues] + [s.end_ms for s in log.segments] + [0.0])
        planned = direct(log.cues, LoggedDirector(log, settings), end_ms + 5000, opts)
    # Clips whose sentence has no decision logged (a recovered recording keeps no decision
    # log; a recording stopped mid-sentence has an early clip only): as shown, moved to
    # their sentences where those are known.
    decided_planned = list(planned)
    for segment in log.segments:
        if segment.path == "manual" or segment.asset_id in log.vetoed:
            continue
        if any(text.startswith(segment.text) for text in decided if text):
            continue  # its sentence was decided (an early clip's text is a partial of it)
        if any(
            p.asset_id == segment.asset_id
            and p.start_ms < segment.end_ms
            and segment.start_ms < p.end_ms
            for p in decided_planned
        ):
            continue
        asked = [
            c.start_ms
            for c in log.cues
            if c.text == segment.text and c.start_ms <= segment.start_ms
        ]
        planned.append(dataclasses.replace(segment, start_ms=max(asked, default=segment.start_ms)))
    return overlay(planned, manual)


def overlay(planned: list[Segment], manual: list[Segment]) -> list[Segment]:
    """Planned segments with the manual ones on top: where a manual take is, it wins."""
    out: list[Segment] = []
    for segment in sorted(planned, key=lambda s: s.start_ms):
        pieces = [segment]
        for m in manual:
            rest = []
            for piece in pieces:
                if piece.end_ms <= m.start_ms or piece.start_ms >= m.end_ms:
                    rest.append(piece)
                    continue
                if piece.start_ms < m.start_ms:
                    rest.append(dataclasses.replace(piece, end_ms=m.start_ms))
                if piece.end_ms > m.end_ms:
                    rest.append(dataclasses.replace(piece, start_ms=m.end_ms))
            pieces = rest
        out.extend(pieces)
    if out:
        ordered = sorted(out, key=lambda s: s.start_ms)
        out = [
            dataclasses.replace(a, end_ms=min(a.end_ms, b.start_ms))
            for a, b in itertools.pairwise(ordered)
        ] + [ordered[-1]]
    merged = sorted([*out, *manual], key=lambda s: s.start_ms)
    return [s for s in merged if s.end_ms - s.start_ms >= 200]


def conform(
    program: Path,
    output: Path,
    library: Library,
    opts: RenderOptions | None = None,
    progress: Progress | None = None,
    settings: DirectorSettings | None = None,
    figure_style: FigureStyle | None = None,
) -> RenderResult:
    """The final cut of a live recording (see `livedirector conform`); `figure_style`: how
    drawn figures look, when `opts` is not given (the layout is the recording's)."""
    program = Path(program)
    camera = camera_copy_path(program)
    if not camera.is_file():
        raise BadInputError(
            f"{camera} is missing: conform re-renders from the clean camera recording",
            "the studio and `live` write it beside every recording (unless turned off)",
        )
    log = read_live_log(program)
    opts = opts or RenderOptions(layout=log.layout, figure_style=figure_style or FigureStyle())
    if log.transition_ms is not None:
        opts.transition_ms = float(log.transition_ms)
    segments = conform_segments(log, opts, settings or DirectorSettings())
    return render(
        camera,
        output,
        library,
        None,
        cues=log.cues,
        segments=segments,
        opts=opts,
        progress=progress,
        inputs=[program, program.with_suffix(".json"), program.with_suffix(".srt")],
        meta={"conformed_from": str(program)},
    )
