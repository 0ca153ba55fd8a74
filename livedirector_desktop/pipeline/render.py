"""`livedirector render`: a recorded talk in, the finished video with B-roll out.

Stages, each a plain function over plain data, shared with the live studio:
  listen     audio -> resampler -> recognizer (or a timed transcript) -> sentences (Cues)
  direct     each sentence -> Director -> Decision -> a Timeline of Segments
  composite  video frames + Timeline -> CPU compositor (scene model) -> H.264, audio copied
  sidecars   captions (SRT, WebVTT), decision timeline (JSON), edit list (CMX3600 EDL)
B-roll of a sentence is fully up as the sentence begins here: the whole talk is known
before the first frame is drawn. Live, it can only start once (part of) the sentence has
been heard. The same shot planner (director/planner.py) times both.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from livedirector_desktop.asr.audio import Resampler
from livedirector_desktop.asr.recognizer import Recognizer
from livedirector_desktop.asr.transcript import Cue, group_words
from livedirector_desktop.compositor.figure_card import FigureStyle
from livedirector_desktop.compositor.scene import Segment, SegmentLog, Timeline, layout
from livedirector_desktop.core.errors import BadInputError, LiveDirectorError
from livedirector_desktop.core.figure import is_figure
from livedirector_desktop.core.geometry import RESOLUTIONS
from livedirector_desktop.core.paths import check_plan
from livedirector_desktop.core.types import Decision
from livedirector_desktop.director.director import Director
from livedirector_desktop.director.planner import Cut, plan_talk
from livedirector_desktop.library.asset import sidecar_path
from livedirector_desktop.library.library import Library
from livedirector_desktop.media.files import (
    ClipSource,
    TalkInfo,
    iter_audio,
    open_media,
    probe_talk,
)
from livedirector_desktop.recorder.sidecars import files_written, write_sidecars
from livedirector_desktop.recorder.writer import Mp4Writer

log = logging.getLogger(__name__)

# (stage, done, total): stages are "listen", "direct", "composite"
Progress = Callable[[str, float, float], None]


@dataclass
class RenderOptions:
    layout: str = "pip"
    transition_ms: float = 500.0
    resolution: str | None = None
    crf: int = 20
    preset: str = "veryfast"
    chunk_ms: float = 200.0  # audio handed to the recognizer at a time
    figure_style: FigureStyle = field(default_factory=FigureStyle)


@dataclass
class RenderResult:
    output: Path
    sidecars: list[Path]
    cues: list[Cue]
    segments: list[Segment]
    frames: int
    seconds: dict[str, float] = field(default_factory=dict)
    # Clips the director chose that could not be shown (asset id -> why): the camera was
    # shown instead, and the sidecars say so.
    unavailable: dict[str, str] = field(default_factory=dict)


def output_size(info: TalkInfo, resolution: str | None) -> tuple[int, int]:
    if resolution is None:
        return info.width // 2 * 2, info.height // 2 * 2
    if resolution not in RESOLUTIONS:
        raise BadInputError(
            f"unknown resolution {resolution!r}", f"use one of: {', '.join(RESOLUTIONS)}"
        )
    height = RESOLUTIONS[resolution][1]
    width = round(info.width * height / info.height / 2) * 2
    return width, height


def listen(
    info: TalkInfo,
    recognizer: Recognizer,
    chunk_ms: float = 200.0,
    progress: Progress | None = None,
) -> list[Cue]:
    """The talk's sentences, recognized from its audio in real-time-sized chunks."""
    resampler = Resampler()
    chunk = int(16 * chunk_ms)
    finals = []
    buffered = []
    pending = 0

    def feed(pcm) -> None:
        for event in recognizer.accept(pcm):
            if event.is_final:
                finals.append(event)

    for samples, rate, t_ms in iter_audio(info.path):
        pcm = resampler.push(samples, rate)
        buffered.append(pcm)
        pending += len(pcm)
        if pending >= chunk:
            import numpy as np

            data = np.concatenate(buffered)
            for start in range(0, len(data) - chunk + 1, chunk):
                feed(data[start : start + chunk])
            rest = data[(len(data) // chunk) * chunk :]
            buffered, pending = [rest], len(rest)
            if progress:
                progress("listen", t_ms, info.duration_ms)
    import numpy as np

    tail = np.concatenate([*buffered, resampler.flush()])
    if len(tail):
        feed(tail)
    finals.extend(e for e in recognizer.finish() if e.is_final)
    cues: list[Cue] = []
    for event in finals:
        if event.words:
            # Sentences for the director; captions.py cuts long ones for the screen.
            cues.extend(group_words(list(event.words), pause_ms=500, max_words=40))
        elif event.text:
            cues.append(Cue(event.text, event.start_ms, event.end_ms))
    return cues


def direct(
    cues: list[Cue],
    director: Director,
    duration_ms: float,
    opts: RenderOptions,
    progress: Progress | None = None,
) -> list[Segment]:
    """Ask the director about each sentence, in order, and lay the answers on a timeline
    with the shot planner (director/planner.py): a clip is fully up as its sentence
    begins, stays while the talk stays on it, and leaves when the talk moves on."""
    history: list[str] = []

    def decide(cue, at_ms: float) -> Decision:
        decision = director.decide(cue.text, now_ms=at_ms, context=history[-2:])
        history.append(cue.text)
        if progress:
            progress("direct", len(history), len(cues))
        return decision

    cuts = plan_talk(
        cues, decide, director.settings, duration_ms, opts.transition_ms, director.shown
    )
    return segments_of(cuts, duration_ms)


def segments_of(cuts: list[Cut], duration_ms: float) -> list[Segment]:
    """The timeline the cuts make (shots under 200 ms, a blink, left out)."""
    log = SegmentLog()
    for cut in cuts:
        d = cut.decision
        if cut.asset_id is None:
            log.cut(cut.at_ms, None)
        elif d is None:
            log.cut(cut.at_ms, cut.asset_id, 1.0, cut.text, "manual", cut.cause)
        else:
            log.cut(cut.at_ms, cut.asset_id, d.confidence, cut.text, d.path, d.reason)
    return log.segments(duration_ms, min_ms=200)


class _BrollFeed:
    """Opens each segment's clip when it is first needed and closes it once it is past."""

    def __init__(self, timeline: Timeline, library: Library, max_w: int, max_h: int) -> None:
        self.timeline, self.library = timeline, library
        self.max_w, self.max_h = max_w, max_h
        self.sources: dict[int, ClipSource] = {}
        self.paths: dict[str, str] = {}
        self.t_ms = 0.0
        self.unavailable: set[int] = set()  # segments whose clip gave no frame: camera shown

    def __call__(self, shot):
        source = self.sources.get(shot.segment_index)
        if source is None:
            asset_id = shot.asset_id
            if asset_id not in self.paths:
                asset = self.library.get(asset_id)
                self.paths[asset_id] = asset.path if asset else ""
            source = ClipSource(Path(self.paths[asset_id]), self.max_w, self.max_h)
            self.sources[shot.segment_index] = source
        segment = self.timeline.segments[shot.segment_index]
        frame = source.frame_at(self.t_ms - segment.start_ms)
        if frame is None:
            self.unavailable.add(shot.segment_index)
        return frame

    def release_before(self, t_ms: float) -> None:
        for index in list(self.sources):
            if self.timeline.segments[index].end_ms + self.timeline.transition_ms < t_ms:
                self.sources.pop(index).close()

    def close(self) -> None:
        for source in self.sources.values():
            source.close()
        self.sources.clear()


def playable_segments(
    segments: list[Segment], library: Library
) -> tuple[list[Segment], dict[str, str]]:
    """The segments whose clip opens and decodes now, and why each other clip cannot be shown.

    Checked before compositing, so the timeline and the EDL written afterwards describe
    what is on screen: a clip deleted or broken since it was imported leaves the camera up.
    """
    why: dict[str, str] = {}
    for asset_id in dict.fromkeys(s.asset_id for s in segments if s.asset_id):
        if is_figure(asset_id):
            continue  # drawn, not read from a file
        asset = library.get(asset_id)
        if asset is None:
            why[asset_id] = "no longer in the library"
        elif not asset.path or not Path(asset.path).is_file():
            why[asset_id] = f"clip file {asset.path} is missing"
        else:
            source = ClipSource(Path(asset.path), 64, 64)
            try:
                if source.frame_at(0.0) is None:
                    why[asset_id] = f"clip file {asset.path} cannot be decoded"
            finally:
                source.close()
    for asset_id, reason in why.items():
        log.warning("b-roll not shown asset_id=%s reason=%s", asset_id, reason)
    return [s for s in segments if s.asset_id not in why], why


def composite(
    info: TalkInfo,
    segments: list[Segment],
    library: Library,
    output: Path,
    opts: RenderOptions,
    progress: Progress | None = None,
    unavailable: set[int] | None = None,
) -> Mp4Writer:
    """Draw every frame and encode it; returns the writer, still open (the caller closes).

    Indexes of segments whose clip gave no frame (the camera was drawn) are added to
    `unavailable`."""
    import av

    from livedirector_desktop.compositor.cpu import CpuCompositor

    width, height = output_size(info, opts.resolution)
    timeline = Timeline(segments, opts.transition_ms)
    broll_layer = next(la for la in layout(opts.layout) if la.role == "broll")
    _, _, bw, bh = broll_layer.rect.pixels(width, height)
    feed = _BrollFeed(timeline, library, bw, bh)
    compositor = CpuCompositor(width, height, opts.layout, opts.figure_style)
    expected_frames = max(1, int(info.duration_ms * float(info.fps) / 1000))
    with open_media(info.path) as container:
        vstream, astream = container.streams.video[0], container.streams.audio[0]
        vstream.thread_type = "AUTO"
        tb = vstream.time_base
        start = vstream.start_time or 0
        writer = Mp4Writer(
            output,
            width,
            height,
            info.fps,
            video_time_base=tb,
            audio_template=astream,
            audio_rate_hz=info.audio_rate_hz or 48000,
            crf=opts.crf,
            preset=opts.preset,
        )
        frames = 0
        try:
            for packet in container.demux(vstream, astream):
                if packet.stream.type == "audio":
                    if writer.copy_audio:
                        writer.write_audio_packet(packet)
                    else:
                        for aframe in packet.decode():
                            writer.write_audio_frame(aframe)
                    continue
                for frame in packet.decode():
                    t_ms = float((frame.pts - start) * tb * 1000) if frame.pts is not None else 0.0
                    state = timeline.state_at(t_ms)
                    if state.to.asset_id is None and not state.in_transition:
                        writer.write_frame(frame)  # the camera as it is: the encoder scales
                    else:
                        feed.t_ms = t_ms
                        camera = frame.reformat(width=width, height=height, format="yuv420p")
                        image = compositor.draw(state, camera.to_ndarray(), width, height, feed)
                        writer.write_i420(image, frame.pts)
                    frames += 1
                    if frames % 30 == 0:
                        feed.release_before(t_ms)
                        if progress:
                            progress("composite", frames, expected_frames)
        except av.error.FFmpegError as exc:
            writer.abort()
            raise BadInputError(
                f"{info.path}: decoding failed at frame {frames} ({exc})",
                "the file is corrupt or truncated",
            ) from exc
        except BaseException:
            writer.abort()
            raise
        finally:
            feed.close()
            if unavailable is not None:
                unavailable.update(feed.unavailable)
    if frames == 0:
        writer.abort()
        raise BadInputError(f"{info.path}: no video frame could be decoded")
    if progress:
        progress("composite", expected_frames, expected_frames)
    return writer


def render(
    input_path: Path,
    output: Path,
    library: Library,
    director: Director | None,
    *,
    recognizer: Recognizer | None = None,
    cues: list[Cue] | None = None,
    segments: list[Segment] | None = None,
    opts: RenderOptions | None = None,
    progress: Progress | None = None,
    inputs: list[Path] | None = None,
    meta: dict | None = None,
) -> RenderResult:
    """The whole job. Nothing appears at `output` unless it is complete.

    `inputs` names the other files the job read (e.g. the transcript): no output may
    replace one of them, nor the talk, nor a library clip or its sidecar. Given `segments`
    (conform: decisions already made), the director is not asked."""
    opts = opts or RenderOptions()
    layout(opts.layout)  # unknown layouts fail before any work
    output = Path(output)
    if output.suffix.lower() != ".mp4":
        raise BadInputError(f"output {output} must end in .mp4")
    check_render_plan(input_path, output, library, inputs or [])
    info = probe_talk(input_path)
    if library.count() == 0:
        raise BadInputError(
            f"the library at {library.root} is empty",
            "import clips first: livedirector library import FOLDER",
        )
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if cues is None:
        if recognizer is None:
            raise LiveDirectorError("render needs a recognizer or a transcript")
        cues = listen(info, recognizer, opts.chunk_ms, progress)
    timings["listen"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    if segments is None:
        if director is None:
            raise LiveDirectorError("render needs a director or the segments to show")
        director.reset()
        segments = direct(cues, director, info.duration_ms, opts, progress)
    segments, unavailable = playable_segments(segments, library)
    timings["direct"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    failed: set[int] = set()
    writer = composite(info, segments, library, output, opts, progress, failed)
    timings["composite"] = time.perf_counter() - t0
    for index in sorted(failed):
        unavailable.setdefault(segments[index].asset_id or "", "no frame could be decoded")
    segments = [s for n, s in enumerate(segments) if n not in failed]
    meta = {
        "input": str(info.path),
        "output": str(output),
        "layout": opts.layout,
        "transition_ms": opts.transition_ms,
        "duration_ms": round(info.duration_ms, 1),
        "sentences": len(cues),
        "clips_not_shown": [{"asset_id": a, "why": w} for a, w in unavailable.items()],
        **(meta or {}),
    }
    try:
        sidecars = write_sidecars(
            output,
            cues,
            segments,
            library,
            meta,
            info.path.name,
            info.duration_ms,
            Fraction(info.fps),
        )
    except OSError as exc:
        writer.abort()
        raise LiveDirectorError(f"could not write the sidecars of {output}: {exc}") from exc
    writer.close()
    return RenderResult(
        output, sidecars, cues, segments, writer.frames_written, timings, unavailable
    )


def check_render_plan(input_path: Path, output: Path, library: Library, inputs: list[Path]) -> None:
    """Before any work: no file the render writes is one it reads, and all can be written."""
    reads = [Path(input_path), *inputs]
    for asset in library.assets():
        if asset.path:
            reads += [Path(asset.path), sidecar_path(Path(asset.path))]
    check_plan(reads, files_written(output))
