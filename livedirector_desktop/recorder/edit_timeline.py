"""The edit as an OpenTimelineIO timeline, and the editors' files written from it.

One model, four files: `.otio` (OpenTimelineIO itself), FCP7 `.xml` (Premiere, Resolve),
`.fcpxml` (Final Cut Pro) and a CMX3600 `.edl`. Tracks: V1 the talk, V2 the B-roll (gaps
where the camera is alone), A1 the talk's audio. Each B-roll clip carries a marker with the
decision's sentence, confidence and path, and the layout (rectangles) as metadata.

Every time is a whole number of frames at the output's own rate (30000/1001 stays
30000/1001): a cut at t ms lands on frame round(t * rate / 1000), so a 10-minute timeline
at 29.97 ends where the video ends, with no drift from a rounded nominal rate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from livedirector_desktop.compositor.scene import LAYOUTS, Segment
from livedirector_desktop.core.figure import Figure, figure_of

# File suffix -> OpenTimelineIO adapter name.
EDIT_FORMATS: dict[str, str] = {
    ".otio": "otio_json",
    ".xml": "fcp_xml",
    ".fcpxml": "fcpx_xml",
    ".edl": "cmx_3600",
}
MARKER_NAME_CHARS = 120  # editors show marker names in one line


@dataclass(frozen=True)
class TalkSource:
    """The camera/talk media the timeline cuts from."""

    name: str  # as shown in the editor (file name)
    path: str  # the file on disk ("" when unknown)
    duration_ms: float


# The rates SMPTE timecode (and so an EDL) can express.
TIMECODE_RATES = tuple(
    Fraction(n, d)
    for n, d in ((24000, 1001), (24, 1), (25, 1), (30000, 1001), (30, 1), (48000, 1001),
                 (48, 1), (50, 1), (60000, 1001), (60, 1))
)  # fmt: skip


def edit_rate(fps: Fraction) -> Fraction:
    """The timeline's rate for a video of `fps`: the rate itself when timecode can hold it,
    else the lowest timecode rate that is a whole multiple of it (a 15 fps webcam: 30, each
    frame two timecode frames), else the nearest (a live recording's uneven average)."""
    fps = Fraction(fps)
    if fps in TIMECODE_RATES:
        return fps
    for rate in TIMECODE_RATES:
        if fps > 0 and (rate / fps).denominator == 1:
            return rate
    return min(TIMECODE_RATES, key=lambda r: abs(float(r) - float(fps)))


def frames_at(ms: float, rate: Fraction) -> int:
    """The frame a time falls on at `rate`, counted exactly (no nominal-rate rounding)."""
    return round(Fraction(ms).limit_denominator(1_000_000) * rate / 1000)


def _layout_metadata(layout_name: str) -> dict:
    layers = LAYOUTS.get(layout_name, ())
    return {
        "layout": layout_name,
        "layers": [
            {"role": la.role, "x": la.rect.x, "y": la.rect.y, "w": la.rect.w, "h": la.rect.h}
            for la in layers
        ],
    }


def build_timeline(
    title: str,
    talk: TalkSource,
    segments: list[Segment],
    assets: dict[str, dict],
    rate: Fraction,
    layout_name: str,
):
    """The OpenTimelineIO Timeline of one render or recording."""
    import opentimelineio as otio

    rate_f = float(rate)

    def rt(frames: int) -> otio.opentime.RationalTime:
        return otio.opentime.RationalTime(frames, rate_f)

    def span(start: int, length: int) -> otio.opentime.TimeRange:
        return otio.opentime.TimeRange(rt(start), rt(length))

    total = max(1, frames_at(talk.duration_ms, rate))
    timeline = otio.schema.Timeline(name=title, global_start_time=rt(0))
    timeline.metadata["livedirector"] = {"rate": f"{rate.numerator}/{rate.denominator}"}

    def talk_clip(name: str) -> otio.schema.Clip:
        ref = otio.schema.ExternalReference(
            target_url=Path(talk.path).resolve().as_uri() if talk.path else talk.name,
            available_range=span(0, total),
        )
        return otio.schema.Clip(name=name, media_reference=ref, source_range=span(0, total))

    v1 = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    v1.append(talk_clip(talk.name))
    v2 = otio.schema.Track(name="V2", kind=otio.schema.TrackKind.Video)
    a1 = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    a1.append(talk_clip(talk.name))

    cursor = 0
    for s in sorted((s for s in segments if s.asset_id), key=lambda s: s.start_ms):
        start = min(max(frames_at(s.start_ms, rate), cursor), total)
        end = min(frames_at(s.end_ms, rate), total)
        if end <= start:
            continue  # shorter than a frame, or past the end
        if start > cursor:
            v2.append(otio.schema.Gap(source_range=span(0, start - cursor)))
        clip_info = assets.get(s.asset_id or "", {})
        clip_path = clip_info.get("path") or ""
        figure = figure_of(s.asset_id or "")
        if figure is not None:
            name, ref = _figure_item(figure, span(0, end - start))
        else:
            name = Path(clip_path).name if clip_path else str(s.asset_id)
            ref = otio.schema.ExternalReference(
                target_url=Path(clip_path).resolve().as_uri() if clip_path else name
            )
            # A clip shorter than its segment holds its last frame: the media is at least
            # this long.
            clip_frames = frames_at(clip_info.get("duration_ms") or 0, rate)
            ref.available_range = span(0, max(end - start, clip_frames))
        clip = otio.schema.Clip(name=name, media_reference=ref, source_range=span(0, end - start))
        decision = {
            "asset_id": s.asset_id,
            "title": clip_info.get("title") or (name if figure else None),
            "sentence": s.text,
            "confidence": round(s.confidence, 4),
            "path": s.path,
            "reason": s.reason,
        }
        clip.metadata["livedirector"] = {**decision, **_layout_metadata(layout_name)}
        marker = otio.schema.Marker(
            name=(s.text or clip_info.get("title") or name)[:MARKER_NAME_CHARS],
            marked_range=span(0, 1),
            color=otio.schema.MarkerColor.GREEN,
        )
        marker.metadata["livedirector"] = decision
        # The comment FCP/Resolve show, and what a CMX3600 LOC line carries.
        marker.comment = f"{s.confidence:.2f} {s.path} {s.text}"[:250]
        clip.markers.append(marker)
        v2.append(clip)
        cursor = end
    if cursor < total and len(v2):
        v2.append(otio.schema.Gap(source_range=span(0, total - cursor)))
    timeline.tracks.extend([v1, v2, a1])
    return timeline


FIGURE_GENERATOR = "LiveDirectorFigure"


def _figure_item(figure: Figure, available):
    """A drawn figure as a title/generator item: what it says, for an editor to restyle."""
    import opentimelineio as otio

    name = f"Figure {figure.headline()} {figure.label()}".strip()
    parameters = {
        "headline": figure.headline(),
        "label": figure.label(),
        "value": figure.value,
        "unit": figure.unit,
        "start_value": figure.start_value,
        "direction": figure.direction,
        "about": figure.about,
    }
    ref = otio.schema.GeneratorReference(
        name=name,
        generator_kind=FIGURE_GENERATOR,
        parameters=parameters,
        available_range=available,
    )
    return name, ref


def _without_generators(timeline):
    """The FCP XML and FCPXML adapters cannot write a generator: there a figure is an
    offline clip named by what it says (the .otio keeps the generator)."""
    import opentimelineio as otio

    if not any(
        isinstance(c.media_reference, otio.schema.GeneratorReference) for c in timeline.find_clips()
    ):
        return timeline
    timeline = timeline.deepcopy()
    for clip in timeline.find_clips():
        ref = clip.media_reference
        if isinstance(ref, otio.schema.GeneratorReference):
            clip.media_reference = otio.schema.MissingReference(
                name=ref.name, available_range=ref.available_range, metadata={
                    "livedirector": {"generator_kind": ref.generator_kind,
                                     "parameters": dict(ref.parameters)}},
            )  # fmt: skip
    return timeline


def edl_timeline(timeline):
    """The single video track a CMX3600 list holds: V2 over V1 (cutaways), with A1."""
    import copy

    import opentimelineio as otio

    video = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    flat = otio.algorithms.flatten_stack(video)
    flat.name = "V"
    out = otio.schema.Timeline(name=timeline.name, global_start_time=timeline.global_start_time)
    out.tracks.append(flat)
    audio = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Audio]
    out.tracks.extend(copy.deepcopy(t) for t in audio)
    return out


def write_string(timeline, suffix: str) -> str:
    """The timeline in the format of `suffix` (.otio, .xml, .fcpxml, .edl)."""
    import opentimelineio as otio

    adapter = EDIT_FORMATS[suffix]
    if adapter != "otio_json":
        timeline = _without_generators(timeline)
    if adapter == "cmx_3600":
        text = otio.adapters.write_to_string(edl_timeline(timeline), adapter, style="avid")
        # The adapter writes 29.97 and 59.94 as drop-frame timecode (HH:MM:SS;FF); say so.
        drop = any(";" in line for line in text.splitlines() if line[:3].isdigit())
        fcm = "FCM: DROP FRAME" if drop else "FCM: NON-DROP FRAME"
        head, _, body = text.partition("\n")
        return f"{head}\n{fcm}\n{body}" if head.startswith("TITLE:") else f"{fcm}\n{text}"
    if adapter == "fcpx_xml":
        return _fcpx_string(timeline)
    return otio.adapters.write_to_string(timeline, adapter)


# The FCPXML adapter knows NTSC rates only by their rounded names (29.97, not 30000/1001).
_FCPX_RATE_NAMES = {
    Fraction(24000, 1001): 23.98,
    Fraction(30000, 1001): 29.97,
    Fraction(60000, 1001): 59.94,
}
_FCPX_TIME = re.compile(r'(offset|duration|start)="(\d+)(?:/(\d+))?s"')


def _fcpx_string(timeline) -> str:
    """FCPXML: written under the rate's rounded name, then every time snapped back onto
    the real frame grid (k * 1001/30000 s), as Final Cut wants edit points on frames."""
    import opentimelineio as otio

    rate = Fraction(timeline.metadata["livedirector"]["rate"])
    named = _FCPX_RATE_NAMES.get(rate)
    if named is not None:
        timeline = timeline.deepcopy()
        for item in timeline.find_children():
            if isinstance(item, otio.schema.Clip) and item.media_reference.available_range:
                r = item.media_reference.available_range
                item.media_reference.available_range = _renamed(r, named)
            if getattr(item, "source_range", None) is not None:
                item.source_range = _renamed(item.source_range, named)
            for marker in getattr(item, "markers", []):
                marker.marked_range = _renamed(marker.marked_range, named)
    text = otio.adapters.write_to_string(timeline, "fcpx_xml")
    frame_s = 1 / rate

    def seconds(frames: int) -> str:
        exact = frames * frame_s
        return f"{exact.numerator}s" if exact.denominator == 1 else f"{exact}s"

    def snap(m: re.Match) -> str:
        frames = round(Fraction(int(m[2]), int(m[3] or 1)) / frame_s)
        return f'{m[1]}="{seconds(frames)}"'

    text = _FCPX_TIME.sub(snap, text)
    # The adapter places connected (lane 1) clips by times it rounds at int(rate) frames a
    # second (29 for 29.97): put each B-roll clip back at its own record frame.
    broll = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video][1:2]
    starts = iter(
        [round(c.range_in_parent().start_time.value) for t in broll for c in t.find_clips()]
    )

    def place(m: re.Match) -> str:
        start = next(starts, None)
        if start is None:
            return m[0]
        return re.sub(r'offset="[^"]*"', f'offset="{seconds(start)}"', m[0], count=1)

    return re.sub(r'<clip [^>]*lane="1"[^>]*>', place, text)


def _renamed(r, rate_name: float):
    import opentimelineio as otio

    return otio.opentime.TimeRange(
        otio.opentime.RationalTime(r.start_time.value, rate_name),
        otio.opentime.RationalTime(r.duration.value, rate_name),
    )
