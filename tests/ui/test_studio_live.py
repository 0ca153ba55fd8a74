"""The studio going live: the Stream button against a real RTMP listener, its stats in the
status bar, the virtual camera's message, and the control API's changes shown in the window."""

from __future__ import annotations

import json
import time

import pytest

from tests.support import file_session
from tests.test_going_live import free_port, media, rtmp_listener


@pytest.fixture()
def live_studio(qtbot, short_talk, sample_library, tmp_path):
    from livedirector_desktop.config import Settings
    from livedirector_desktop.control.server import ControlServer
    from livedirector_desktop.runner import SessionRunner
    from livedirector_desktop.sessions.store import SessionStore
    from livedirector_desktop.ui.main_window import StudioOptions, StudioWindow

    talk, transcript, _ = short_talk
    session = file_session(sample_library, talk, transcript)
    control = ControlServer(session, 0)
    control.start()
    settings = Settings()
    port = free_port()
    settings.studio.stream_url = f"rtmp://127.0.0.1:{port}/live/key"
    runner = SessionRunner.for_session(session, settings, SessionStore(tmp_path / "s.sqlite"))
    runner.control = control
    window = StudioWindow(runner, StudioOptions(persist_settings=False))
    qtbot.addWidget(window)
    window.show()
    session.start()
    yield window, session, control, port
    window.close()
    control.stop()


def test_stream_button_stats_and_remote_control_in_the_studio(qtbot, live_studio, tmp_path):
    from websockets.sync.client import connect

    window, session, control, port = live_studio
    assert control.page_url in window.control_label.text()  # the token is shown
    out = tmp_path / "studio.flv"
    listener = rtmp_listener(port, out)
    try:
        time.sleep(0.5)
        window.stream_button.click()
        qtbot.waitUntil(lambda: session.state().stream_state == "live", timeout=10_000)
        qtbot.waitUntil(lambda: "stream live" in window.stats_label.text(), timeout=5_000)
        assert window.stream_button.isChecked() and "live" in window.stream_button.text()
        # A change made over the API shows on the studio's own controls.
        with connect(control.url) as ws:
            ws.send(json.dumps({"action": "hold", "on": True}))
            qtbot.waitUntil(lambda: window.hold_button.isChecked(), timeout=3_000)
        qtbot.wait(2500)
        window.stream_button.click()
        qtbot.waitUntil(lambda: not session.streaming, timeout=10_000)
        listener.wait(10)
    finally:
        if listener.poll() is None:
            listener.kill()
    got = media(out)
    assert got["codec"] == ("h264", "aac") and got["video_s"] > 2.0
    qtbot.waitUntil(lambda: window.stream_button.text() == "Stream", timeout=3_000)


def test_virtual_camera_toggle_explains_a_missing_driver(qtbot, live_studio, monkeypatch):
    from pathlib import Path

    from PySide6.QtWidgets import QMessageBox

    if Path("/dev/video0").exists():
        pytest.skip("a video device exists here")
    window = live_studio[0]
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, title, text: shown.append(text))
    window.vcam_button.click()
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert "v4l2loopback" in shown[0] and not window.vcam_button.isChecked()
