"""`livedirector render` end to end: a generated talk, a generated library, real encoders."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from livedirector_desktop.media.synthetic import BACKDROP_BGR, speak, write_talk

ROOT = Path(__file__).resolve().parent.parent

SENTENCES = [
    "Hi everyone, welcome back to the channel.",
    "SpaceX just launched another Falcon rocket into orbit.",
    "Thanks for watching, see you next time.",
    "Every morning I make myself a double espresso.",
    "Anyway.",
]


@pytest.fixture(scope="module")
def talk(tmp_path_factory) -> tuple[Path, Path, list[dict]]:
    """An English talk (espeak-ng) over a synthetic webcam, and its timed transcript."""
    out = tmp_path_factory.mktemp("talk")
    audio, segments = speak(SENTENCES)
    video = write_talk(out / "talk.mp4", audio, 22050, width=640, height=360, fps=30)
    transcript = out / "talk.json"
    transcript.write_text(json.dumps({"segments": segments}))
    return video, transcript, segments


def run_render(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    out = subprocess.run(
        [sys.executable, "-m", "livedirector_desktop", "render", *args],
        capture_output=True,
        text=True,
    )
    if check:
        assert out.returncode == 0, out.stderr
    return out


def frame_at(path: Path, t_s: float) -> np.ndarray:
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        for frame in c.decode(s):
            if frame.time >= t_s:
                return frame.to_ndarray(format="bgr24")
    raise AssertionError(f"no frame at {t_s} s in {path}")


def streams(path: Path) -> dict:
    import av

    with av.open(str(path)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        return {
            "w": v.codec_context.width,
            "h": v.codec_context.height,
            "vcodec": v.codec_context.name,
            "acodec": a.codec_context.name,
            "duration_s": c.duration / 1e6,
            "fps": float(v.average_rate),
        }


def audio_digest(path: Path) -> str:
    import av

    digest = hashlib.sha256()
    with av.open(str(path)) as c:
        for packet in c.demux(c.streams.audio[0]):
            if packet.size:
                digest.update(bytes(packet))
    return digest.hexdigest()


def median_bgr(img: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    h, w = img.shape[:2]
    return np.median(
        img[int(y0 * h) : int(y1 * h), int(x0 * w) : int(x1 * w)].reshape(-1, 3), axis=0
    )


def clip_median(library, asset_id: str, t_s: float) -> np.ndarray:
    clip = frame_at(Path(library.get(asset_id).path), t_s)
    return median_bgr(clip, 0.05, 0.3, 0.6, 0.95)


def near(a: np.ndarray, b, tol: float = 18) -> bool:
    return bool(np.all(np.abs(np.asarray(a, float) - np.asarray(b, float)) <= tol))


def test_render_pip_end_to_end(talk, sample_library, tmp_path):
    video, transcript, segments = talk
    out = tmp_path / "final.mp4"
    result = run_render(
        str(video),
        "-o",
        str(out),
        "--transcript",
        str(transcript),
        "--library",
        str(sample_library.root),
        "--layout",
        "pip",
    )
    assert "wrote" in result.stdout
    info, src = streams(out), streams(video)
    assert (info["w"], info["h"], info["vcodec"], info["acodec"]) == (640, 360, "h264", "aac")
    assert abs(info["duration_s"] - src["duration_s"]) < 0.1 and abs(info["fps"] - 30) < 0.2
    assert audio_digest(out) == audio_digest(video)  # the talk's sound, copied untouched

    timeline = json.loads(out.with_suffix(".json").read_text())
    shown = {s["asset_id"]: s for s in timeline["segments"]}
    assert set(shown) == {"rocket-launch", "coffee-pour"}
    rocket = shown["rocket-launch"]
    assert rocket["text"] == SENTENCES[1] and rocket["path"] == "llm"
    # Its crossfade (500 ms) starts in the pause: fully up as its sentence begins.
    assert abs(rocket["start_ms"] - (segments[1]["start"] * 1000 - 500)) < 1

    # B-roll on screen in its segment (outside the picture-in-picture corner)...
    t = (rocket["start_ms"] + 1500) / 1000
    img = frame_at(out, t)
    assert near(
        median_bgr(img, 0.05, 0.3, 0.6, 0.95),
        clip_median(sample_library, "rocket-launch", 1.5 - 1 / 30),
    )
    # ...with the speaker in the corner...
    assert near(median_bgr(img, 0.72, 0.70, 0.95, 0.74), BACKDROP_BGR)
    # ...and the speaker full screen during the greeting and the sign-off.
    for t_s in (segments[0]["start"] + 1, segments[2]["end"] - 0.2):
        if not any(s["start_ms"] <= t_s * 1000 <= s["end_ms"] for s in timeline["segments"]):
            assert near(median_bgr(frame_at(out, t_s), 0.0, 0.0, 0.2, 0.2), BACKDROP_BGR)

    srt = " ".join(out.with_suffix(".srt").read_text().split())  # captions wrap lines
    vtt = " ".join(out.with_suffix(".vtt").read_text().split())
    for sentence in SENTENCES:
        assert sentence in srt and sentence in vtt
    assert vtt.startswith("WEBVTT")
    edl = out.with_suffix(".edl").read_text()
    assert "FCM: NON-DROP FRAME" in edl and "rocket-launch.mp4" in edl and "talk.mp4" in edl
    # The editors' files: each read back by OpenTimelineIO, B-roll where the video shows it.
    import opentimelineio as otio

    shown = [s for s in timeline["segments"] if s["asset_id"]]
    for suffix in (".otio", ".xml", ".fcpxml", ".edl"):
        kwargs = {"rate": 30} if suffix == ".edl" else {}
        read = otio.adapters.read_from_file(str(out.with_suffix(suffix)), **kwargs)
        broll = [c for c in read.find_clips() if c.name != video.name]
        starts = sorted(c.range_in_parent().start_time.to_seconds() for c in broll)
        assert len(starts) == len(shown), suffix
        for t, seg in zip(starts, shown, strict=True):
            assert abs(t - seg["start_ms"] / 1000) <= 1 / 30, (suffix, t, seg["start_ms"])
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


@pytest.mark.parametrize("layout", ["fullscreen", "side-by-side"])
def test_other_layouts_place_the_broll(talk, sample_library, tmp_path, layout):
    video, transcript, _segments = talk
    out = tmp_path / f"{layout}.mp4"
    run_render(
        str(video),
        "-o",
        str(out),
        "--transcript",
        str(transcript),
        "--library",
        str(sample_library.root),
        "--layout",
        layout,
        "--reasoner",
        "keyword",
    )
    timeline = json.loads(out.with_suffix(".json").read_text())
    rocket = next(s for s in timeline["segments"] if s["asset_id"] == "rocket-launch")
    img = frame_at(out, (rocket["start_ms"] + 1500) / 1000)
    expected = clip_median(sample_library, "rocket-launch", 1.5 - 1 / 30)
    if layout == "fullscreen":
        assert near(median_bgr(img, 0.05, 0.3, 0.95, 0.95), expected)
    else:
        assert near(median_bgr(img, 0.0, 0.0, 0.1, 0.2), BACKDROP_BGR)  # speaker on the left
        # the 16:9 clip letterboxed into the right half: its middle rows
        assert near(median_bgr(img, 0.52, 0.45, 0.98, 0.6), expected, tol=25)
        assert near(median_bgr(img, 0.52, 0.0, 0.98, 0.1), (0, 0, 0), tol=6)  # black bar


def test_resolution_and_crossfade(talk, sample_library, tmp_path):
    video, transcript, _ = talk
    out = tmp_path / "hd.mp4"
    run_render(
        str(video),
        "-o",
        str(out),
        "--transcript",
        str(transcript),
        "--library",
        str(sample_library.root),
        "--resolution",
        "720p",
        "--layout",
        "fullscreen",
        "--transition-ms",
        "1000",
        "--reasoner",
        "keyword",
    )
    info = streams(out)
    assert (info["w"], info["h"]) == (1280, 720)
    rocket = next(
        s
        for s in json.loads(out.with_suffix(".json").read_text())["segments"]
        if s["asset_id"] == "rocket-launch"
    )
    mid = median_bgr(frame_at(out, (rocket["start_ms"] + 500) / 1000), 0.0, 0.0, 0.2, 0.2)
    after = median_bgr(frame_at(out, (rocket["start_ms"] + 1500) / 1000), 0.0, 0.0, 0.2, 0.2)
    # Half-way through the crossfade the corner is between the speaker and the clip.
    for c in range(3):
        lo, hi = sorted((BACKDROP_BGR[c], after[c]))
        assert lo - 6 <= mid[c] <= hi + 6
    assert not near(mid, after, tol=10) and not near(mid, BACKDROP_BGR, tol=10)


def test_vosk_drives_render_without_a_transcript(tmp_path, sample_library):
    """Korean speech through the real Vosk model decides what to show (accuracy not asserted)."""
    audio, _ = speak(["우주 로켓이 발사되었습니다."], voice="ko")
    talk = write_talk(tmp_path / "ko.mp4", audio, 22050, width=320, height=180, fps=15)
    out = tmp_path / "ko-out.mp4"
    run_render(
        str(talk),
        "-o",
        str(out),
        "--language",
        "ko",
        "--library",
        str(sample_library.root),
        "--reasoner",
        "keyword",
    )
    assert out.exists() and streams(out)["acodec"] == "aac"
    assert out.with_suffix(".srt").read_text().strip()  # something was recognised


def make_audio_only(path: Path) -> Path:
    import av

    with av.open(str(path), "w") as c:
        s = c.add_stream("aac", rate=22050, layout="mono")
        for i in range(20):
            f = av.AudioFrame.from_ndarray(
                np.zeros((1, 1024), np.float32), format="fltp", layout="mono"
            )
            f.sample_rate, f.pts = 22050, i * 1024
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    return path


def make_silent_video(path: Path) -> Path:
    import av

    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=15)
        s.width, s.height, s.pix_fmt = 160, 96, "yuv420p"
        for i in range(15):
            f = av.VideoFrame.from_ndarray(np.zeros((96, 160, 3), np.uint8), format="bgr24")
            f.pts = i
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    return path


def test_bad_inputs_fail_clearly_and_leave_no_output(talk, sample_library, tmp_path, embedder):
    video, transcript, _ = talk
    lib = str(sample_library.root)
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(video.read_bytes()[:4000])
    bad_transcript = tmp_path / "bad.srt"
    bad_transcript.write_text("1\n00:00:01,000 --> later\nhello\n")
    empty_transcript = tmp_path / "empty.vtt"
    empty_transcript.write_text("WEBVTT\n\n")
    from livedirector_desktop.library.library import Library

    Library.open(tmp_path / "empty-lib", embedder)
    cases = [
        (
            [str(make_audio_only(tmp_path / "voice.m4a")), "--transcript", str(transcript)],
            "no video track",
        ),
        (
            [str(make_silent_video(tmp_path / "mute.mp4")), "--transcript", str(transcript)],
            "no audio track",
        ),
        ([str(corrupt), "--transcript", str(transcript)], "corrupt.mp4"),
        ([str(tmp_path / "missing.mp4"), "--transcript", str(transcript)], "does not exist"),
        ([str(video), "--transcript", str(bad_transcript)], "cannot read the time"),
        ([str(video), "--transcript", str(empty_transcript)], "holds no timed text"),
        ([str(video), "--transcript", str(transcript), "--layout", "mosaic"], "unknown layout"),
    ]
    for args, message in cases:
        out = tmp_path / "out.mp4"
        result = run_render(*args, "-o", str(out), "--library", lib, check=False)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr, result.stderr
        assert not out.exists() and not list(tmp_path.glob(".out*"))
    result = run_render(
        str(video),
        "-o",
        str(tmp_path / "o.mp4"),
        "--transcript",
        str(transcript),
        "--library",
        str(tmp_path / "empty-lib"),
        check=False,
    )
    assert result.returncode == 2 and "is empty" in result.stderr


def test_a_clip_missing_at_render_time_leaves_the_camera_and_the_sidecars_say_so(
    talk, small_clips, tmp_path, embedder
):
    from livedirector_desktop.library.importer import import_paths
    from livedirector_desktop.library.library import Library

    video, transcript, segments = talk
    lib = Library.open(tmp_path / "lib", embedder)
    assert import_paths(lib, [small_clips]).ok
    (small_clips / "rocket.mp4").unlink()  # deleted since it was imported
    (small_clips / "coffee.mp4").write_bytes(b"\x00" * 5000)  # broken since
    out = tmp_path / "final.mp4"
    result = run_render(
        str(video), "-o", str(out), "--transcript", str(transcript), "--library", str(lib.root)
    )
    assert "not shown" in result.stdout and "rocket" in result.stdout

    timeline = json.loads(out.with_suffix(".json").read_text())
    assert {c["asset_id"] for c in timeline["clips_not_shown"]} == {"rocket", "coffee"}
    assert all(s["asset_id"] not in ("rocket", "coffee") for s in timeline["segments"])
    edl = out.with_suffix(".edl").read_text()
    assert "rocket.mp4" not in edl and "coffee.mp4" not in edl
    # What the sidecars say is what is on screen: the camera, as in the talk itself.
    t = segments[1]["start"] + 1.0
    assert near(median_bgr(frame_at(out, t), 0.0, 0.0, 0.2, 0.2), BACKDROP_BGR)


def test_render_refuses_before_work_when_an_output_would_replace_an_input(talk, tmp_path):
    """The guard compares resolved files: a symlink or hard link to the transcript counts."""
    import os

    from livedirector_desktop.core.errors import BadInputError
    from livedirector_desktop.core.paths import check_plan

    video, transcript, _ = talk
    d = tmp_path / "d"
    d.mkdir()
    os.link(transcript, d / "hard.json")
    (d / "soft.json").symlink_to(transcript)
    for name in ("hard", "soft"):
        with pytest.raises(BadInputError, match="would overwrite the input"):
            check_plan([video, transcript], [d / f"{name}.mp4", d / f"{name}.json"])
    assert not list(d.glob(".*"))


def test_the_demo_the_readme_runs_goes_through_end_to_end(tmp_path):
    """`./run.sh` runs `livedirector demo --studio`; without a display it stops after the
    render. Every step, called as the demo calls it, must still fit its command."""
    from tests.support import livedirector

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    out = subprocess.run(
        livedirector("demo", "--workdir", str(tmp_path), "--studio"),
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "no display: skipping the studio" in out.stdout
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,duration", "-of", "json",
         str(tmp_path / "talk-with-broll.mp4")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    streams = json.loads(probe.stdout)["streams"]
    assert sorted(s["codec_type"] for s in streams) == ["audio", "video"], streams
    assert all(float(s["duration"]) > 10 for s in streams), streams
    assert (tmp_path / "library" / "judge-cache.json").is_file()  # the judge ran, and kept
