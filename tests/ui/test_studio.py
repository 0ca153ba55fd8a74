"""The studio as a creator runs it: a real window under Xvfb, file sources, real encoders."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from livedirector_desktop.media.synthetic import BACKDROP_BGR
from tests.support import file_session, frame_at, session_cmd, stream_info
from tests.ui.conftest import ARTIFACTS

BACKDROP = BACKDROP_BGR


def studio_cmd(talk, transcript, library, *extra: str) -> list[str]:
    return session_cmd("studio", talk, transcript, library.root, "--resolution", "480p", *extra)


def test_unattended_session_records_what_the_director_chose(short_talk, sample_library, tmp_path):
    talk, transcript, segments = short_talk
    out = tmp_path / "session.mp4"
    stats_path = tmp_path / "stats.json"
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "studio-window.png"
    run = subprocess.run(
        studio_cmd(
            talk,
            transcript,
            sample_library,
            "--record",
            str(out),
            "--quit-after",
            "17",
            "--screenshot",
            str(shot),
            "--stats-json",
            str(stats_path),
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert shot.exists() and shot.stat().st_size > 10_000  # the look, kept for people to check
    stats = json.loads(stats_path.read_text())
    shown = {d["text"]: (d["decision"] or {}).get("asset_id") for d in stats["decisions"]}
    reasons = {d["text"]: d["reason"] for d in stats["decisions"]}
    assert shown["SpaceX just launched another Falcon rocket into orbit."] == "rocket-launch"
    assert shown["Hi everyone, welcome back to the channel."] is None
    # Filler brings nothing new up (the rocket may still be finishing its minimum time).
    filler = "Um, okay, so, yeah."
    assert shown[filler] is None or reasons[filler].startswith("kept")
    assert shown["Every morning I make myself a double espresso."] == "coffee-pour"
    assert stats["preview_paints"] > 100 and stats["frames_recorded"] > 300

    info = stream_info(out)
    assert abs(info["video_s"] - info["audio_s"]) < 0.15  # audio and video end together
    assert info["first_video_s"] < 0.1 and info["w"] == 854
    timeline = json.loads(out.with_suffix(".json").read_text())
    rocket = next(s for s in timeline["segments"] if s["asset_id"] == "rocket-launch")
    # The B-roll went up while its sentence was spoken (early, on its strong words), or
    # within the latency budget after it ended (recording time, from the timeline's cues).
    said = {c["text"]: (c["start_ms"], c["end_ms"]) for c in timeline["cues"]}
    start_ms, end_ms = said[segments[1]["text"]]
    assert start_ms <= rocket["start_ms"] <= end_ms + 2000
    img = frame_at(out, rocket["start_ms"] / 1000 + 1.0)
    assert np.abs(np.median(img[20:120, 20:400].reshape(-1, 3), axis=0) - BACKDROP).max() > 30
    # Before any clip: the speaker, full screen.
    img = frame_at(out, 1.0)
    assert np.abs(np.median(img[:80, :80].reshape(-1, 3), axis=0) - BACKDROP).max() < 15
    srt = " ".join(out.with_suffix(".srt").read_text().split())  # captions wrap lines
    assert "SpaceX just launched another Falcon rocket into orbit." in srt
    for suffix in (".edl", ".otio", ".xml", ".fcpxml"):
        assert out.with_suffix(suffix).exists()


def test_killing_the_studio_mid_recording_leaves_a_playable_file(
    short_talk, sample_library, tmp_path
):
    talk, transcript, _ = short_talk
    out = tmp_path / "crash.mp4"
    proc = subprocess.Popen(
        studio_cmd(talk, transcript, sample_library, "--record", str(out), "--quit-after", "60"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    partial = out.with_name(".crash.partial.mp4")
    deadline = time.monotonic() + 60
    while not partial.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(6)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert not out.exists()  # never presented as finished
    info = stream_info(partial)
    assert info["frames"] >= 3 * 30 and info["video_s"] >= 3.0  # lost at most ~2 s of 6

    # The next start of the studio finishes it: a plain MP4 under its name, its sidecars,
    # its session row completed, and the user told.
    again = subprocess.run(
        studio_cmd(talk, transcript, sample_library, "--quit-after", "2"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    assert "crash" in again.stderr and "recovered" in again.stderr.lower(), again.stderr
    assert stream_info(out)["frames"] >= 3 * 30 and not partial.exists()
    assert out.with_suffix(".srt").exists() and out.with_suffix(".json").exists()


def test_a_polite_kill_saves_the_take_like_closing_the_window(short_talk, sample_library, tmp_path):
    """SIGTERM (a logout, `kill`) or Ctrl-C in the terminal: the studio finishes the
    recording, its sidecars and its session row, and exits 0 (it died mid-take before)."""
    talk, transcript, _ = short_talk
    out = tmp_path / "take.mp4"
    proc = subprocess.Popen(
        studio_cmd(talk, transcript, sample_library, "--record", str(out), "--quit-after", "60"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not out.with_name(".take.partial.mp4").exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
        time.sleep(0.1)
    time.sleep(4)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert stream_info(out)["video_s"] >= 3.5 and not out.with_name(".take.partial.mp4").exists()
    assert out.with_suffix(".srt").exists() and out.with_suffix(".otio").exists()
    listing = subprocess.run(
        [sys.executable, "-m", "livedirector_desktop", "sessions", "list", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    rows = json.loads(listing.stdout)["sessions"]
    assert [(r["path"], r["finished"], r["recovered"]) for r in rows] == [(str(out), True, False)]


def test_studio_opens_without_camera_or_microphone(tmp_path, sample_library):
    out = tmp_path / "shot.png"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "livedirector_desktop",
            "studio",
            "--camera",
            "9",
            "--mic",
            "no-such-mic",
            "--library",
            str(sample_library.root),
            "--quit-after",
            "3",
            "--screenshot",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert out.exists()


# ------------------------------------------------------------------ in-process, with pytest-qt


@pytest.fixture()
def studio(qtbot, short_talk, sample_library, tmp_path):
    from livedirector_desktop.config import Settings
    from livedirector_desktop.runner import SessionRunner
    from livedirector_desktop.sessions.store import SessionStore
    from livedirector_desktop.ui.main_window import StudioOptions, StudioWindow

    talk, transcript, _ = short_talk
    session = file_session(sample_library, talk, transcript)
    runner = SessionRunner.for_session(session, Settings(), SessionStore(tmp_path / "s.sqlite"))
    window = StudioWindow(runner, StudioOptions(persist_settings=False))
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)  # shortcuts work in the active window only
    session.start()
    yield window, session
    window.close()


def test_pin_veto_hold_and_layout_hotkeys(qtbot, studio):
    from PySide6.QtCore import Qt

    window, session = studio
    qtbot.waitUntil(lambda: session.scene.current.asset_id == "rocket-launch", timeout=15_000)
    qtbot.waitUntil(lambda: window.suggestions.count() >= 3, timeout=5_000)
    # Take suggestion 3 with the key "3": it goes on screen and stays (pinned).
    third = window.candidates[2].asset_id
    qtbot.keyClick(window, Qt.Key.Key_3)
    qtbot.waitUntil(lambda: session.scene.current.asset_id == third, timeout=5_000)
    assert session.state().pinned == third
    # Esc: back to the camera, pin released.
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: session.scene.current.asset_id is None, timeout=5_000)
    # Hold keeps what is on screen against the director.
    qtbot.keyClick(window, Qt.Key.Key_H)
    assert window.hold_button.isChecked() and session.state().hold
    qtbot.keyClick(window, Qt.Key.Key_H)
    assert not session.state().hold
    # Veto the selected suggestion.
    window.suggestions.setCurrentRow(0)
    vetoed = window.suggestions.currentItem().data(Qt.ItemDataRole.UserRole)
    qtbot.keyClick(window, Qt.Key.Key_V)
    assert vetoed in session.state().vetoed
    # L cycles the layout.
    before = session.config.layout
    qtbot.keyClick(window, Qt.Key.Key_L)
    assert session.config.layout != before
    qtbot.waitUntil(lambda: window.preview.paints > 30, timeout=5_000)
    assert "fps" in window.stats_label.text()


def test_transcript_panel_shows_partials_then_finals(qtbot, studio):
    window, _session = studio
    qtbot.waitUntil(lambda: window.partial != "", timeout=10_000)
    partial = window.partial
    html = window.transcript_view.toHtml()
    assert partial in html and "#888888" in html  # the words so far, in grey
    qtbot.waitUntil(lambda: len(window.finals) >= 1, timeout=10_000)
    assert window.finals[0] == "Hi everyone, welcome back to the channel."
    qtbot.waitUntil(lambda: window.partial == "" or window.partial != partial, timeout=10_000)
    final_html = window.transcript_view.toHtml()
    assert "Hi everyone, welcome back to the channel." in final_html and "#111111" in final_html


def preview_rgb(view, w: int, h: int) -> np.ndarray:
    """What the OpenGL preview shows, as an RGB array (h x w x 3)."""
    image = view.grabFramebuffer().convertToFormat(view.grabFramebuffer().format().Format_RGB888)
    return (
        np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
        .reshape(image.height(), image.bytesPerLine())[:, : w * 3]
        .reshape(h, w, 3)
        .copy()  # the QImage's memory goes with it
    )


@pytest.mark.parametrize("layout", ["fullscreen", "pip", "side-by-side"])
@pytest.mark.parametrize("alpha", [1.0, 0.35])
def test_gl_preview_matches_the_recording_compositor(qtbot, layout, alpha):
    """The OpenGL preview and the CPU compositor draw the same scene to within a few levels."""
    import av
    import cv2

    from livedirector_desktop.compositor.cpu import CpuCompositor
    from livedirector_desktop.compositor.scene import ProgramInputs, SceneState, Shot
    from livedirector_desktop.core.types import Frame
    from livedirector_desktop.media.synthetic import webcam_frame
    from livedirector_desktop.ui.gl_view import ProgramView

    w, h = 640, 360
    cam = (
        av.VideoFrame.from_ndarray(webcam_frame(w, h, 0.3), format="bgr24")
        .reformat(format="yuv420p")
        .to_ndarray()
    )
    square = np.zeros((240, 320, 3), np.uint8)
    square[:] = (40, 160, 40)
    cv2.circle(square, (160, 120), 60, (255, 255, 255), -1)
    broll = (
        av.VideoFrame.from_ndarray(square, format="bgr24").reformat(format="yuv420p").to_ndarray()
    )
    view = ProgramView(w, h)
    qtbot.addWidget(view)
    view.resize(w, h)
    view.show()
    qtbot.waitExposed(view)
    state = SceneState(Shot(None, 0), Shot("clip", 1), alpha)
    view.show_inputs(
        ProgramInputs(state, layout, Frame(cam, w, h, 0, 1), {1: (broll, 320, 240)}, 1)
    )
    qtbot.waitUntil(lambda: view.paints > 0, timeout=5_000)
    gl = preview_rgb(view, w, h)
    cpu = CpuCompositor(w, h, layout).draw(
        state, cam, w, h, lambda s: (broll, 320, 240) if s.asset_id else None
    )
    cpu_rgb = av.VideoFrame.from_ndarray(cpu, format="yuv420p").to_ndarray(format="rgb24")
    diff = np.abs(gl.astype(int) - cpu_rgb.astype(int))
    assert diff.mean() < 2.5 and np.percentile(diff, 99) <= 12, (
        diff.mean(),
        np.percentile(diff, 99),
    )


def test_sessions_page_makes_the_final_cut_with_progress(qtbot, studio, tmp_path):
    window, session = studio
    page = window.sessions_page
    recording = tmp_path / "take.mp4"
    window.start_record(recording)
    qtbot.waitUntil(lambda: session.scene.current.asset_id == "rocket-launch", timeout=15_000)
    qtbot.wait(1500)
    window.stop_record()
    qtbot.waitUntil(lambda: recording.exists() and page.sessions_list.count() > 0, timeout=20_000)
    assert recording.with_suffix(".camera.mp4").exists()
    page.sessions_list.setCurrentRow(0)
    final = tmp_path / "take.final.mp4"
    page.final_cut(page.sessions_list.currentItem(), output=final)
    assert not page.final_cut_progress.isHidden()
    qtbot.waitUntil(
        lambda: page.last_final_cut == final or bool(page.final_cut_error), timeout=60_000
    )
    assert page.final_cut_error == ""
    timeline = json.loads(final.with_suffix(".json").read_text())  # take.final.json
    assert "rocket-launch" in [s["asset_id"] for s in timeline["segments"]]
    assert json.loads(recording.with_suffix(".json").read_text())["live"]  # left as it was
    assert page.final_cut_progress.isHidden()


@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_gl_preview_draws_a_figure_as_the_recording_does(qtbot, alpha):
    """A figure's card in the preview is the recording's card: same place, same pixels."""
    import av

    from livedirector_desktop.compositor.cpu import CpuCompositor
    from livedirector_desktop.compositor.scene import ProgramInputs, SceneState, Shot
    from livedirector_desktop.core.types import Frame
    from livedirector_desktop.director.figures import read_figure
    from livedirector_desktop.media.synthetic import webcam_frame
    from livedirector_desktop.ui.gl_view import ProgramView

    w, h = 854, 480
    cam = (
        av.VideoFrame.from_ndarray(webcam_frame(w, h, 0.3), format="bgr24")
        .reformat(format="yuv420p")
        .to_ndarray()
    )
    figure = read_figure("We went from five hundred to two thousand subscribers.")
    view = ProgramView(w, h)
    qtbot.addWidget(view)
    view.resize(w, h)
    view.show()
    qtbot.waitExposed(view)
    state = SceneState(Shot(None, 0), Shot(figure.shot_id, 1), alpha)
    view.show_inputs(ProgramInputs(state, "pip", Frame(cam, w, h, 0, 1), {}, 1))
    qtbot.waitUntil(lambda: view.figures_painted > 0, timeout=5_000)
    gl = preview_rgb(view, w, h)
    cpu = CpuCompositor(w, h, "pip").draw(state, cam, w, h, lambda s: None)
    cpu_rgb = av.VideoFrame.from_ndarray(cpu, format="yuv420p").to_ndarray(format="rgb24")
    x, y, cw, ch = view.figure_style.rect().pixels(w, h)
    card_gl, card_cpu = gl[y : y + ch, x : x + cw], cpu_rgb[y : y + ch, x : x + cw]
    assert card_cpu.mean() < cpu_rgb.mean()  # the dark card is there
    diff = np.abs(card_gl.astype(int) - card_cpu.astype(int))
    # Chroma is half size in the recording: the text's coloured edges differ a little.
    assert diff.mean() < 4 and np.percentile(diff, 95) <= 16, (
        diff.mean(),
        np.percentile(diff, 95),
    )
