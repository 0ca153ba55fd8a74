"""The live session without any GUI: `livedirector live`, the engine's commands and events,
a tick that never waits, audio that keeps its place. Real files, encoders and clips."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from livedirector_desktop.media.synthetic import BACKDROP_BGR
from tests.support import (
    av_offsets_s,
    file_session,
    frame_at,
    livedirector,
    session_cmd,
    stream_info,
)

FRAME_S = 1 / 30


BLOCK_QT = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('PySide6', 'shiboken6'):
            raise ImportError('Qt is blocked: the live engine must not need it')
sys.meta_path.insert(0, Block())
from livedirector_desktop.cli import main
sys.argv = ['livedirector', *sys.argv[1:]]
main()
"""


def test_live_records_the_right_broll_with_qt_unimportable(short_talk, sample_library, tmp_path):
    talk, transcript, segments = short_talk
    out = tmp_path / "live.mp4"
    stats_path = tmp_path / "stats.json"
    cmd = session_cmd(
        "live", talk, transcript, sample_library.root, "--record", str(out),
        "--stats-json", str(stats_path), "--resolution", "480p", "--reasoner", "keyword",
    )  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-c", BLOCK_QT, *cmd[3:]],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "saved" in run.stdout and "Traceback" not in run.stderr
    stats = json.loads(stats_path.read_text())
    shown = {d["text"]: d["decision"] and d["decision"]["asset_id"] for d in stats["decisions"]}
    assert shown["SpaceX just launched another Falcon rocket into orbit."] == "rocket-launch"
    assert shown["Hi everyone, welcome back to the channel."] is None
    assert stats["video_dropped"] == 0 and stats["frames_recorded"] > 300

    # What a viewer sees: the speaker first, then each clip after its sentence, in pixels.
    info = stream_info(out)
    assert abs(info["video_s"] - info["audio_s"]) < 0.1
    assert info["w"] == 854 and info["video_s"] >= segments[-1]["end"]
    backdrop = np.array(BACKDROP_BGR)

    def is_speaker(t_s: float) -> bool:
        img = frame_at(out, t_s)
        return np.abs(np.median(img[:60, :60].reshape(-1, 3), axis=0) - backdrop).max() < 15

    assert is_speaker(1.0)
    timeline = json.loads(out.with_suffix(".json").read_text())
    by_clip = {s["asset_id"]: s for s in timeline["segments"]}
    said = {c["text"]: (c["start_ms"], c["end_ms"]) for c in timeline["cues"]}  # recording time
    for sentence, clip in ((1, "rocket-launch"), (3, "coffee-pour")):
        segment = by_clip[clip]
        start_ms, end_ms = said[segments[sentence]["text"]]
        # While the sentence is spoken (early, on strong words) or just after it ends.
        assert start_ms <= segment["start_ms"] <= end_ms + 2000, segment
        assert not is_speaker(segment["start_ms"] / 1000 + 0.8)  # full-screen B-roll (pip)


def _slow(opener, delay_s: float, opened: list):
    def open_slowly(*args):
        time.sleep(delay_s)  # a slow disk, a network drive, a huge file
        opened.append(time.monotonic())
        return opener(*args)

    return open_slowly


def test_a_slow_clip_never_makes_the_tick_wait(sample_library, tmp_path):
    """A topical sentence and a short one right after it: the second clip is deferred by the
    minimum time on screen and comes on from the tick; opening each clip takes 0.8 s, and no
    tick waits."""
    from livedirector_desktop.config import DirectorSettings
    from livedirector_desktop.core.events import ShotChanged
    from livedirector_desktop.media.synthetic import speak, write_talk
    from livedirector_desktop.pipeline.clip_pool import open_clip_player
    from livedirector_desktop.pipeline.headless import run_headless
    from livedirector_desktop.pipeline.live import LiveConfig, ProgramInputs

    audio, segments = speak(
        ["SpaceX just launched another Falcon rocket into orbit.", "A double espresso."],
        gap_s=0.4,
        lead_s=0.3,
    )
    audio = np.concatenate([audio, np.zeros(22050 * 5, np.float32)])
    talk = write_talk(tmp_path / "talk.mp4", audio, 22050, width=320, height=180, fps=30)
    transcript = tmp_path / "talk.json"
    transcript.write_text(json.dumps({"segments": segments}))
    opened: list[float] = []
    # No early clips, a long minimum on screen and a long wait for the next sentence's words:
    # the second sentence's clip is deferred, and the tick cuts to it when it is due.
    session = file_session(
        sample_library,
        talk,
        transcript,
        config=LiveConfig(width=320, height=180),
        clip_opener=_slow(open_clip_player, 0.8, opened),
        settings=DirectorSettings(
            early_threshold=1.0, min_on_screen_ms=6000, continuity_wait_ms=5000
        ),
    )
    ticks: list[float] = []
    shots: list[ShotChanged] = []
    session.hub.subscribe(ProgramInputs, lambda _e: ticks.append(time.monotonic()))
    session.hub.subscribe(ShotChanged, shots.append)
    run_headless(session)

    assert [(s.asset_id, s.cause) for s in shots][:2] == [
        ("rocket-launch", "sentence"),
        ("coffee-pour", "deferred"),
    ]
    assert len(opened) >= 2
    gaps = np.diff(ticks)
    # While each 0.8 s open was under way, the tick kept its pace.
    for done in opened:
        during = gaps[(np.array(ticks[1:]) > done - 0.8) & (np.array(ticks[1:]) <= done)]
        assert len(during) >= 15 and during.max() < 0.25, during.max()
    assert session.stats.late_ticks / session.stats.ticks < 0.05


class DroppingMic:
    """A file microphone that loses every `every`-th block before the session gets it, as
    an overloaded queue would."""

    def __init__(self, source, every: int) -> None:
        self.source, self.every = source, every
        self.name, self.sample_rate_hz = source.name, source.sample_rate_hz
        self.channels, self.ended, self.dropped = source.channels, source.ended, 0

    def start(self, on_block) -> None:
        count = 0

        def forward(block) -> None:
            nonlocal count
            count += 1
            if count % self.every == 0:
                self.dropped += 1
                return
            on_block(block)

        self.source.start(forward)

    def stop(self) -> None:
        self.source.stop()


def test_dropped_audio_blocks_become_silence_not_drift(sample_library, tmp_path):
    from livedirector_desktop.director.director import Director
    from livedirector_desktop.director.reasoner import KeywordReasoner
    from livedirector_desktop.media.sources import FileAudioSource, FileVideoSource
    from livedirector_desktop.media.synthetic import write_flash_beep
    from livedirector_desktop.pipeline.headless import run_headless
    from livedirector_desktop.pipeline.live import LiveConfig, LiveSession

    source = tmp_path / "flash-beep.mp4"
    flashes = write_flash_beep(source, seconds=8.0, every_s=1.0)
    mic = DroppingMic(FileAudioSource(source), every=7)  # 20 ms blocks: 1 in 7 lost
    session = LiveSession(
        sample_library,
        Director(sample_library, KeywordReasoner()),
        None,
        FileVideoSource(source),
        mic,
        LiveConfig(width=320, height=180),
    )
    out = tmp_path / "rec.mp4"
    run_headless(session, record=out)
    assert mic.dropped > 40
    assert session.stats.audio_silence_ms >= mic.dropped * 20 * 0.9
    offsets = av_offsets_s(out)
    assert len(offsets) >= len(flashes) - 1
    # Every beep stays with its flash, the last as well as the first: no drift.
    assert max(abs(o) for o in offsets) <= 1.5 * FRAME_S, offsets
    assert abs(np.median(offsets)) <= FRAME_S, offsets


def test_commands_change_the_session_and_every_view_hears(short_talk, sample_library):
    from livedirector_desktop.core.events import ControlChanged, ShotChanged

    talk, _transcript, _ = short_talk
    session = file_session(sample_library, talk, None)
    controls: list[ControlChanged] = []
    shots: list[ShotChanged] = []
    session.hub.subscribe(ControlChanged, controls.append)
    session.hub.subscribe(ShotChanged, shots.append)
    session.start()
    try:
        session.take("coffee-pour")
        deadline = time.monotonic() + 5
        while not shots and time.monotonic() < deadline:  # on screen once it has opened
            time.sleep(0.05)
        state = session.state()
        assert state.on_screen == "coffee-pour" and state.pinned == "coffee-pour"
        session.set_layout("side-by-side")
        session.set_transition(250)
        session.hold(True)
        session.veto("rocket-launch")
        state = session.state()
        assert (state.layout, state.transition_ms, state.hold) == ("side-by-side", 250.0, True)
        assert "rocket-launch" in state.vetoed
        session.clear()
        assert session.state().on_screen is None and session.state().pinned is None
        while len(shots) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        with pytest.raises(Exception, match="unknown layout"):
            session.set_layout("diagonal")
        session.hold(False)
    finally:
        session.stop()
    names = [c.name for c in controls]
    assert names == ["pinned", "layout", "transition_ms", "hold", "vetoed", "pinned", "hold"]
    assert [(s.asset_id, s.cause) for s in shots] == [("coffee-pour", "manual"), (None, "clear")]


def test_captions_are_drawn_into_the_recording(short_talk, sample_library, tmp_path):
    from livedirector_desktop.pipeline.headless import run_headless

    talk, transcript, segments = short_talk
    session = file_session(sample_library, talk, transcript)
    session.set_captions(True)
    out = tmp_path / "captions.mp4"
    run_headless(session, record=out, quit_after_s=segments[1]["end"] + 1.0)
    # The caption band (bottom of the frame) is dark with light text while words are spoken.
    img = frame_at(out, segments[1]["end"] - 0.3)
    band = img[int(0.88 * 360) : int(0.95 * 360), 40:600]
    assert band.mean() < 90 and (band > 200).mean() > 0.01
    srt = " ".join(out.with_suffix(".srt").read_text().split())  # captions wrap lines
    assert "SpaceX just launched another Falcon rocket into orbit." in srt


def test_camera_and_microphone_can_be_replaced_while_running(short_talk, sample_library, tmp_path):
    from livedirector_desktop.core.errors import LiveDirectorError
    from livedirector_desktop.media.sources import FileAudioSource, FileVideoSource
    from livedirector_desktop.media.synthetic import write_flash_beep

    talk, _transcript, _ = short_talk
    other = tmp_path / "other.mp4"
    write_flash_beep(other, seconds=3.0, width=640, height=360)
    session = file_session(sample_library, talk, None)
    session.start()
    try:
        time.sleep(1.0)
        before = session.stats.camera_frames
        session.replace_camera(FileVideoSource(other))
        time.sleep(1.0)
        assert session.stats.camera_frames > before + 15
        blocks = session.stats.audio_blocks
        session.replace_mic(FileAudioSource(other))
        time.sleep(0.5)
        assert session.stats.audio_blocks > blocks + 10
        session.start_recording(tmp_path / "rec.mp4")
        with pytest.raises(RuntimeError, match="stop recording"):
            session.replace_mic(FileAudioSource(talk))
        # Until the encoder's first keyframe is out (it may lag on a loaded machine), there
        # is nothing to keep: that case is the "blink" below.
        waited = time.monotonic()
        while not session._recording.video_packets and time.monotonic() - waited < 15:
            time.sleep(0.05)
        assert session.stop_recording().path == str(tmp_path / "rec.mp4")
        # Stopped before its first frame: a clear error, no file, and the session goes on.
        session.start_recording(tmp_path / "blink.mp4")
        with pytest.raises(LiveDirectorError, match="before its first frame"):
            session.stop_recording()
        assert not list(tmp_path.glob("*blink*")) and not session.recording
    finally:
        session.stop()


def test_live_cli_explains_bad_choices(tmp_path, sample_library):
    for extra, says in (
        (["--resolution", "4k"], "unknown resolution"),
        (["--layout", "diagonal"], "unknown layout"),
        (["--fps", "0"], "frame rate"),
        (["--record", str(tmp_path)], "must end in .mp4"),
    ):
        run = subprocess.run(
            session_cmd("live", Path("x.mp4"), tmp_path / "t.json", sample_library.root, *extra),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 2, (extra, run.stderr)
        assert says in run.stderr and "Traceback" not in run.stderr, run.stderr


# ------------------------------------------------------------------ small parts


def test_drop_oldest_queue_counts_what_it_lets_go():
    from livedirector_desktop.core.queues import DropOldestQueue

    q: DropOldestQueue[int] = DropOldestQueue(3)
    for i in range(5):
        q.put(i)
    assert (len(q), q.dropped) == (3, 2)
    assert [q.get(0), q.get(0), q.get(0), q.get(0)] == [2, 3, 4, None]
    got = []
    consumer = threading.Thread(target=lambda: got.append(q.get(5.0)))
    consumer.start()
    q.put(7)
    consumer.join(2)
    assert got == [7]
    q.close()
    assert q.get(5.0) is None  # closed and drained: no wait


def test_event_hub_dispatches_by_type_and_survives_a_broken_handler():
    from livedirector_desktop.core.events import ControlChanged, EventHub, ShotChanged

    hub, seen, everything = EventHub(), [], []
    hub.subscribe(ShotChanged, lambda e: 1 / 0)  # a broken view must not stop the engine
    undo = hub.subscribe(ShotChanged, seen.append)
    hub.subscribe(object, everything.append)
    shot, control = ShotChanged("a", 1, 0.0, "manual"), ControlChanged("hold", True)
    hub.publish(shot)
    hub.publish(control)
    undo()
    hub.publish(shot)
    assert seen == [shot] and everything == [shot, control, shot]


def test_sample_clock_stamps_back_to_back_and_resyncs_after_a_stall():
    from livedirector_desktop.media.sources import SampleClock

    clock = SampleClock(48000)
    jitter = [0, 3, -2, 4, 1]
    stamps = [clock.stamp(1_000_000_000 + i * 20_000_000 + j * 1_000_000, 960) for i, j in
              enumerate(jitter)]  # fmt: skip
    assert np.diff(stamps).tolist() == [20_000_000] * 4  # jitter ignored
    late = clock.stamp(1_000_000_000 + 5 * 20_000_000 + 200_000_000, 960)  # a 200 ms stall
    assert late == 1_300_000_000 and clock.resyncs == 1


def test_segment_log_is_the_one_bookkeeping_of_cuts():
    from livedirector_desktop.compositor.scene import SegmentLog

    log = SegmentLog()
    log.cut(0, None)
    log.cut(1000, "a", 0.5, "about a")
    log.cut(1500, "a")  # the same clip again: nothing changes
    log.cut(3000, "b")
    log.cut(3100, None)
    log.cut(5000, "c")
    segments = log.segments(6000, min_ms=200)
    assert [(s.start_ms, s.end_ms, s.asset_id) for s in segments] == [
        (1000, 3000, "a"),
        (5000, 6000, "c"),
    ]
    assert segments[0].text == "about a"


def test_settings_round_trip_and_bad_values_are_named(tmp_path):
    from livedirector_desktop.config import Settings, load_settings, save_settings
    from livedirector_desktop.core.errors import BadInputError

    settings = Settings()
    settings.studio.layout = "side-by-side"
    settings.director.threshold = 0.3
    path = save_settings(settings, tmp_path / "settings.toml")
    again = load_settings(path)
    assert again.studio.layout == "side-by-side" and again.director.threshold == 0.3
    path.write_text("[studio]\nfps = 'fast'\n")
    with pytest.raises(BadInputError, match="fps"):
        load_settings(path)
    path.write_text("colour = 1\n")
    with pytest.raises(BadInputError, match="unknown setting 'colour'"):
        load_settings(path)


def test_session_store_keeps_unfinished_and_finished_sessions(tmp_path):
    from livedirector_desktop.sessions.store import SessionStore

    store = SessionStore(tmp_path / "s.sqlite")
    first = store.begin(tmp_path / "a.mp4", "pip")
    second = store.begin(tmp_path / "b.mp4", "fullscreen")
    store.finish(first, 12_000.0, 4, 2)
    rows = {Path(r.path).name: r for r in SessionStore(tmp_path / "s.sqlite").list()}
    assert rows["a.mp4"].finished and rows["a.mp4"].duration_ms == 12_000.0
    assert not rows["b.mp4"].finished and rows["b.mp4"].layout == "fullscreen"
    assert second != first


def test_a_killed_live_recording_is_recovered_at_the_next_start(
    short_talk, sample_library, tmp_path
):
    import os
    import signal

    talk, transcript, segments = short_talk
    out = tmp_path / "killed.mp4"
    cmd = session_cmd(
        "live", talk, transcript, sample_library.root, "--record", str(out),
        "--reasoner", "keyword", "--resolution", "480p",
    )  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partial = tmp_path / ".killed.partial.mp4"
    deadline = time.monotonic() + 60
    while not partial.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(segments[1]["end"] + 1.5)  # past the rocket sentence and its clip
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert not out.exists() and partial.exists()

    again = subprocess.run(
        session_cmd("live", talk, transcript, sample_library.root, "--quit-after", "1"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    assert "killed" in again.stderr and "recovered" in again.stderr.lower(), again.stderr
    info = stream_info(out)
    assert info["frames"] >= 5 * 30 and info["audio_s"] > 5
    assert segments[1]["text"] in " ".join(out.with_suffix(".srt").read_text().split())
    timeline = json.loads(out.with_suffix(".json").read_text())
    assert [s["asset_id"] for s in timeline["segments"]][:1] == ["rocket-launch"]
    listing = subprocess.run(
        livedirector("sessions", "list", "--json"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    rows = json.loads(listing.stdout)["sessions"]
    assert [(Path(r["path"]).name, r["recovered"]) for r in rows] == [("killed.mp4", True)]


def test_conform_starts_each_clip_with_its_sentence(short_talk, sample_library, tmp_path):
    talk, transcript, segments = short_talk
    out = tmp_path / "live.mp4"
    cmd = session_cmd(
        "live", talk, transcript, sample_library.root, "--record", str(out),
        "--reasoner", "keyword", "--resolution", "480p",
    )  # fmt: skip
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    camera = tmp_path / "live.camera.mp4"
    backdrop = np.array(BACKDROP_BGR)

    def is_speaker(path: Path, t_s: float) -> bool:
        img = frame_at(path, t_s)
        return np.abs(np.median(img[:60, :60].reshape(-1, 3), axis=0) - backdrop).max() < 15

    # The clean camera recording: the speaker throughout, with the talk's sound.
    info = stream_info(camera)
    assert info["audio_s"] > segments[-1]["end"] and info["w"] == 854
    assert all(is_speaker(camera, t) for t in (1.0, segments[1]["end"] + 1.0, 15.0))

    final = tmp_path / "final.mp4"
    run = subprocess.run(
        livedirector("conform", str(out), "-o", str(final), "--library", str(sample_library.root)),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr
    timeline = json.loads(final.with_suffix(".json").read_text())
    by_clip = {s["asset_id"]: s for s in timeline["segments"]}
    live_timeline = json.loads(out.with_suffix(".json").read_text())
    assert {d["text"] for d in live_timeline["decisions"]} >= {s["text"] for s in segments}
    # Where each sentence is in the recording (it began a moment after the talk did).
    said = {c["text"]: c["start_ms"] / 1000 for c in live_timeline["cues"]}
    ended = {c["text"]: c["end_ms"] / 1000 for c in live_timeline["cues"]}
    lag_s = segments[1]["start"] - said[segments[1]["text"]]
    assert 0 <= lag_s < 1.0
    for sentence, clip in ((1, "rocket-launch"), (3, "coffee-pour")):
        start_s = said[segments[sentence]["text"]]
        assert abs(start_s + lag_s - segments[sentence]["start"]) < 0.05
        # Its crossfade runs in the pause before (not over the sentence before it): the clip
        # is fully up as its sentence begins.
        lead_s = min(0.5, start_s - ended[segments[sentence - 1]["text"]])
        assert abs(by_clip[clip]["start_ms"] / 1000 - (start_s - lead_s)) < 0.05
        assert is_speaker(final, start_s - lead_s - 0.1)
        assert not is_speaker(final, start_s + 0.05)
    assert out.exists()  # the live recording stays as it was


def test_conform_keeps_manual_takes_and_drops_vetoed_clips():
    from livedirector_desktop.asr.transcript import Cue
    from livedirector_desktop.compositor.scene import Segment
    from livedirector_desktop.config import DirectorSettings
    from livedirector_desktop.pipeline.conform import LiveLog, conform_segments
    from livedirector_desktop.pipeline.render import RenderOptions
    from livedirector_desktop.recorder.timeline_file import DecisionRow

    cues = [
        Cue("about rockets", 1000, 3000),
        Cue("about coffee", 5000, 7000),
        Cue("okay so", 8000, 9000),
    ]
    decisions = [  # as OUT.json has them (a deferred one from before the shot planner)
        DecisionRow("about rockets", "rocket", outcome="show"),
        DecisionRow("about coffee", "rocket", outcome="deferred", wanted_asset_id="coffee"),
        DecisionRow("okay so", None, outcome="camera"),
    ]
    live = [
        Segment(3400, 7600, "rocket", 0.6, "about rockets", "llm", "best match"),
        Segment(7600, 7900, "coffee", 0.5, "about coffee", "llm", "deferred"),
        Segment(9500, 11000, "mug", 1.0, "", "manual", "chosen by you"),
    ]
    settings, opts = DirectorSettings(min_on_screen_ms=2500, tail_ms=800), RenderOptions()
    out = conform_segments(LiveLog("pip", 500.0, cues, live, set(), decisions), opts, settings)
    # Each clip is fully up as its sentence begins (its crossfade in the pause before); the
    # next clip follows straight on where the pause leaves too short a look at the speaker;
    # before filler a clip leaves its tail after its sentence, or sooner: the continuity
    # wait after the filler is fed (7500, one crossfade before it) ends at 7550; the
    # creator's take keeps its moment.
    assert [(s.asset_id, s.start_ms, s.end_ms) for s in out] == [
        ("rocket", 500, 4500),
        ("coffee", 4500, 7550),
        ("mug", 9500, 11000),
    ]
    vetoed = LiveLog("pip", 500.0, cues, live, {"rocket", "mug"}, decisions)
    assert [s.asset_id for s in conform_segments(vetoed, opts, settings)] == ["coffee"]
