"""The editors' files (OpenTimelineIO, FCP7 XML, FCPXML, CMX3600) read back by OpenTimelineIO's
own adapters: every B-roll clip where the program showed it, to the frame, at rational rates."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction

import opentimelineio as otio
import pytest

from livedirector_desktop.compositor.scene import Segment
from livedirector_desktop.recorder.edit_timeline import (
    EDIT_FORMATS,
    TalkSource,
    build_timeline,
    frames_at,
    write_string,
)

RATES = [Fraction(30000, 1001), Fraction(25), Fraction(30), Fraction(60)]


def decisions(duration_ms: float, every_ms: float = 20_000) -> list[Segment]:
    # Odd start times (not on any frame grid) and odd lengths, three clips taking turns.
    out, t, n = [], 1234.5, 0
    while t + 9000 < duration_ms:
        out.append(
            Segment(t, t + 4321.7 + n * 37, f"c{n % 3}", 0.4 + n % 5 / 10, f"Sentence {n} & <b>")
        )
        t += every_ms
        n += 1
    return out


ASSETS = {f"c{i}": {"title": f"Clip {i}", "path": f"/clips/c{i}.mp4"} for i in range(3)}


def record_ranges(timeline) -> list[tuple[str, float, float]]:
    """(clip name, record in s, record out s) of every B-roll clip: the top video track."""
    video = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    track = next(t for t in reversed(video) if any("c" in c.name[:1] for c in t.find_clips()))
    out = []
    for clip in track.find_clips():
        if clip.name.startswith("c"):
            r = clip.range_in_parent()
            out.append((clip.name, r.start_time.to_seconds(), r.end_time_exclusive().to_seconds()))
    return out


def expected(segments: list[Segment], rate: Fraction) -> list[tuple[str, float, float]]:
    return [
        (
            f"{s.asset_id}.mp4",
            float(frames_at(s.start_ms, rate) / rate),
            float(frames_at(s.end_ms, rate) / rate),
        )
        for s in segments
    ]


def write_all(tmp_path, duration_ms: float, rate: Fraction, segments: list[Segment]):
    talk = TalkSource("talk.mp4", "/talks/talk.mp4", duration_ms)
    timeline = build_timeline("talk", talk, segments, ASSETS, rate, "pip")
    paths = {}
    for suffix in EDIT_FORMATS:
        paths[suffix] = tmp_path / f"talk{suffix}"
        paths[suffix].write_text(write_string(timeline, suffix), encoding="utf-8")
    return paths


@pytest.mark.parametrize("rate", RATES, ids=lambda r: f"{float(r):.2f}")
def test_every_format_reads_back_frame_exact(tmp_path, rate):
    duration_ms = 95_000
    segments = decisions(duration_ms)
    paths = write_all(tmp_path, duration_ms, rate, segments)
    frame_s = float(1 / rate)
    want = expected(segments, rate)
    for suffix, path in paths.items():
        if suffix == ".fcpxml" and rate.denominator != 1:
            # OTIO's FCPXML reader counts NTSC time at int(rate) frames a second (29 for
            # 29.97) and lands clips seconds off: the file itself is checked exactly below.
            check_fcpxml_times(path, rate, want)
            continue
        kwargs = {"rate": float(rate)} if suffix == ".edl" else {}
        timeline = otio.adapters.read_from_file(str(path), **kwargs)
        got = record_ranges(timeline)
        assert [g[0] for g in got] == [w[0] for w in want], suffix
        for (_, gin, gout), (_, win, wout) in zip(got, want, strict=True):
            assert abs(gin - win) < frame_s and abs(gout - wout) < frame_s, (suffix, gin, win)


def check_fcpxml_times(path, rate: Fraction, want) -> None:
    """Every time in the FCPXML is a whole number of real frames; B-roll clips sit where
    the program showed them."""
    root = ET.fromstring(path.read_text())
    for el in root.iter():
        for attr in ("offset", "duration", "start"):
            value = el.get(attr)
            if value and value != "0s":
                seconds = Fraction(value.removesuffix("s"))
                assert (seconds * rate).denominator == 1, (attr, value)
    got = [
        (
            c.get("name"),
            float(Fraction(c.get("offset").removesuffix("s"))),
            float(Fraction(c.get("offset").removesuffix("s")) + Fraction(c.get("duration")[:-1])),
        )
        for c in root.iter("clip")
        if c.get("lane") == "1"
    ]
    assert [g[0] for g in got] == [w[0] for w in want]
    for (_, gin, gout), (_, win, wout) in zip(got, want, strict=True):
        assert abs(gin - win) < 1e-9 and abs(gout - wout) < 1e-9


def test_no_drift_over_ten_minutes_at_2997(tmp_path):
    rate = Fraction(30000, 1001)
    duration_ms = 600_000
    segments = decisions(duration_ms)
    paths = write_all(tmp_path, duration_ms, rate, segments)
    want = expected(segments, rate)
    # The last cut lands on the frame where the video shows it (not 18 frames off).
    assert abs(want[-1][1] - segments[-1].start_ms / 1000) <= 1 / 29.97
    for suffix in (".otio", ".xml", ".edl"):
        kwargs = {"rate": float(rate)} if suffix == ".edl" else {}
        got = record_ranges(otio.adapters.read_from_file(str(paths[suffix]), **kwargs))
        assert len(got) == len(want) > 25
        for (_, gin, _), (_, win, _) in zip(got, want, strict=True):
            assert abs(gin - win) < 0.5 / float(rate), suffix
    # FCPXML times are exact fractions of the real frame duration (1001/30000 s).
    check_fcpxml_times(paths[".fcpxml"], rate, want)


def test_tracks_markers_and_layout(tmp_path):
    rate = Fraction(25)
    segments = decisions(60_000)
    paths = write_all(tmp_path, 60_000, rate, segments)
    timeline = otio.adapters.read_from_file(str(paths[".otio"]))
    v1, v2, a1 = timeline.tracks
    assert (v1.kind, v2.kind, a1.kind) == ("Video", "Video", "Audio")
    assert [c.name for c in v1.find_clips()] == ["talk.mp4"] == [c.name for c in a1.find_clips()]
    assert v1.duration().value == a1.duration().value == 1500
    clips = list(v2.find_clips())
    for clip, seg in zip(clips, segments, strict=True):
        (marker,) = clip.markers
        meta = marker.metadata["livedirector"]
        assert marker.name == seg.text and meta["confidence"] == round(seg.confidence, 4)
        assert clip.metadata["livedirector"]["layout"] == "pip"
        assert {la["role"] for la in clip.metadata["livedirector"]["layers"]} == {"broll", "camera"}
    # FCP7 XML keeps the markers (Premiere shows them on the clips).
    xml = otio.adapters.read_from_file(str(paths[".xml"]))
    names = [m.name for c in xml.find_clips() for m in c.markers]
    assert [s.text for s in segments] == [n for n in names if n.startswith("Sentence")]
    # The EDL: one video track (cutaways), a LOC line per decision.
    edl = paths[".edl"].read_text()
    assert "FCM: NON-DROP FRAME" in edl and edl.count("* LOC:") == len(segments)
