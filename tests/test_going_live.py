"""Going live: the program to an RTMP server (a real ffmpeg listener on loopback) while
recording, reconnecting when the server goes away; the virtual camera's message."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.support import file_session, stream_info

pytestmark = pytest.mark.server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rtmp_listener(port: int, out: Path) -> subprocess.Popen:
    """ffmpeg waiting for one publisher, saving what it sends as it is."""
    return subprocess.Popen(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-listen", "1",
         "-i", f"rtmp://127.0.0.1:{port}/live/key", "-c", "copy", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip


def wait_for(predicate, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def media(path: Path) -> dict:
    """Video and audio of a received file, as PyAV reads it: lengths and decoded frames."""
    import av

    with av.open(str(path)) as c:
        assert c.streams.video and c.streams.audio, f"{path} lacks audio or video"
        v, a = c.streams.video[0], c.streams.audio[0]
        frames = [f.time for f in c.decode(v)]
    with av.open(str(path)) as c:
        audio_end = max(f.time + f.samples / f.sample_rate for f in c.decode(audio=0))
    return {
        "frames": len(frames),
        "video_s": frames[-1] - frames[0],
        "audio_s": audio_end,
        "codec": (v.codec_context.name, a.codec_context.name),
    }


def test_stream_arrives_whole_while_recording_and_survives_the_server_going_away(
    short_talk, sample_library, tmp_path
):
    from livedirector_desktop.core.events import StreamChanged

    talk, transcript, _segments = short_talk
    port = free_port()
    first, second = tmp_path / "first.flv", tmp_path / "second.flv"
    states: list[StreamChanged] = []
    listener = rtmp_listener(port, first)
    session = file_session(sample_library, talk, transcript)
    session.hub.subscribe(StreamChanged, states.append)
    session.start()
    try:
        session.start_recording(tmp_path / "rec.mp4")
        time.sleep(0.5)  # ffmpeg is listening by now
        session.start_stream(f"rtmp://127.0.0.1:{port}/live/key")
        wait_for(lambda: session.state().stream_state == "live", 10, "the stream to go live")
        time.sleep(4.0)
        listener.send_signal(signal.SIGINT)  # the server goes away
        listener.wait(10)
        wait_for(lambda: session.state().stream_state == "reconnecting", 15, "reconnecting state")
        assert session.recording  # the recording does not care
        listener = rtmp_listener(port, second)  # ... and comes back
        wait_for(lambda: session.state().stream_state == "live", 20, "the stream to come back")
        time.sleep(3.0)
        stats = session.summary()["stream"]
        assert stats["state"] == "live" and stats["bitrate_kbps"] > 0
        assert stats["reconnects"] >= 1 and "key" not in stats["url"]
        session.stop_stream()
        listener.wait(10)  # the listener ends when its publisher does
        result = session.stop_recording()
    finally:
        session.stop()
        if listener.poll() is None:
            listener.kill()
    seen = [s.state for s in states]
    assert seen[0] == "connecting" and "live" in seen and seen[-1] == "stopped"
    assert any(s.state == "reconnecting" and "lost" in s.error for s in states), states
    a, b = media(first), media(second)
    for got, at_least_s in ((a, 3.5), (b, 2.5)):
        assert got["codec"] == ("h264", "aac")
        assert got["video_s"] >= at_least_s, got
        assert abs(got["audio_s"] - got["video_s"]) < 0.5, got
    # The recording went on through all of it, whole.
    rec = stream_info(Path(result.path))
    assert abs(rec["video_s"] - result.duration_ms / 1000) < 0.5
    assert rec["video_s"] > a["video_s"] + b["video_s"]


def test_a_stream_to_nowhere_is_a_state_not_an_error(short_talk, sample_library):
    from livedirector_desktop.core.errors import BadInputError
    from livedirector_desktop.core.events import StreamChanged

    talk, _transcript, _ = short_talk
    session = file_session(sample_library, talk, None)
    states: list[StreamChanged] = []
    session.hub.subscribe(StreamChanged, states.append)
    for bad in ("http://example.com/live", "rtmp:///nohost", "srt://127.0.0.1", "not a url"):
        with pytest.raises(BadInputError, match="stream URL"):
            session.start_stream(bad)
    session.start()
    try:
        session.start_stream(f"rtmp://127.0.0.1:{free_port()}/live/secret")
        wait_for(lambda: any(s.state == "reconnecting" for s in states), 10, "reconnecting")
        ticks = session.stats.ticks
        time.sleep(1.0)
        assert session.stats.ticks >= ticks + 20  # the tick goes on
        assert session.state().stream_state in ("connecting", "reconnecting")
        error = next(s.error for s in states if s.state == "reconnecting")
        assert "cannot reach rtmp://127.0.0.1" in error and "secret" not in error
        # SRT: PyAV's wheels have no libsrt; then that is said once, without retrying.
        session.stop_stream()
        states.clear()
        session.start_stream(f"srt://127.0.0.1:{free_port()}")
        wait_for(lambda: any(s.state in ("failed", "reconnecting") for s in states), 10, "srt")
        failed = [s for s in states if s.state == "failed"]
        if failed:
            assert "libsrt" in failed[0].error and session.state().stream_state == "failed"
    finally:
        session.stop()


def test_virtual_camera_without_a_driver_says_what_to_install(short_talk, sample_library):
    from livedirector_desktop.core.errors import LiveDirectorError

    talk, _transcript, _ = short_talk
    session = file_session(sample_library, talk, None)
    session.start()
    try:
        if Path("/dev/video0").exists():
            pytest.skip("a video device exists here: this test is for a machine without one")
        with pytest.raises(LiveDirectorError, match="v4l2loopback"):
            session.start_virtual_camera()
        assert not session.virtual_camera and session.writer_backlog == 0
    finally:
        session.stop()


def test_live_cli_streams_records_and_serves_the_control_api(short_talk, sample_library, tmp_path):
    import subprocess as sp

    from tests.support import session_cmd

    talk, transcript, segments = short_talk
    port = free_port()
    received = tmp_path / "cli.flv"
    listener = rtmp_listener(port, received)
    time.sleep(0.5)
    run = sp.run(
        session_cmd(
            "live", talk, transcript, sample_library.root, "--reasoner", "keyword",
            "--resolution", "480p", "--record", str(tmp_path / "rec.mp4"),
            "--stream", f"rtmp://127.0.0.1:{port}/live/key",
            "--control-port", str(free_port()), "--control-token", "tok",
        ),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    listener.wait(20)
    assert run.returncode == 0, run.stderr
    assert (
        "stream live rtmp://127.0.0.1" in run.stderr
        and "remote page: http://127.0.0.1:" in run.stderr
    )
    got, rec = media(received), stream_info(tmp_path / "rec.mp4")
    # The whole talk arrived (the stream starts a moment after the recording, at a keyframe;
    # after the talk's file ends the session settles 1.5 s more: video only, no microphone).
    assert got["codec"] == ("h264", "aac")
    assert got["video_s"] >= segments[-1]["end"] - 1.0
    assert got["audio_s"] >= segments[-1]["end"] - 1.0
    assert rec["video_s"] - got["video_s"] < 1.5, (rec, got)
    print(f"received {got}, recorded {rec['video_s']:.2f} s")

    bad = sp.run(
        session_cmd("live", talk, transcript, sample_library.root, "--virtual-camera"),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if not Path("/dev/video0").exists():
        assert bad.returncode == 2 and "error: no virtual camera" in bad.stderr, bad.stderr
        assert "v4l2loopback" in bad.stderr and "Traceback" not in bad.stderr


def test_live_goes_on_when_the_control_port_is_taken(short_talk, sample_library, tmp_path):
    """The control API is an extra: a port another program holds is a message, and the
    session records as asked (`live` failed to start; the studio went on)."""
    import socket
    import subprocess as sp

    from tests.support import session_cmd, stream_info

    talk, transcript, segments = short_talk
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = sp.run(
            session_cmd(
                "live", talk, transcript, sample_library.root, "--reasoner", "keyword",
                "--resolution", "480p", "--record", str(tmp_path / "rec.mp4"),
                "--control-port", str(port),
            ),
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "No control API" in run.stderr and str(port) in run.stderr
    assert stream_info(tmp_path / "rec.mp4")["video_s"] >= segments[-1]["end"] - 1.0
