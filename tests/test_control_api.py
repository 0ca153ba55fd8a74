"""The control API against a real live session (file sources, real clips): the token at the
handshake, the design's messages, two real WebSocket clients, bad input answered with errors,
the remote page and thumbnails over HTTP, and the page driven in a real headless Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests.support import file_session
from tests.test_going_live import free_port, wait_for

pytestmark = pytest.mark.server


@pytest.fixture()
def live(short_talk, sample_library):
    from livedirector_desktop.control.server import ControlServer

    talk, transcript, _ = short_talk
    session = file_session(sample_library, talk, transcript)
    server = ControlServer(session, 0, token="s3cret-token")
    session.start()
    server.start()
    yield session, server
    server.stop()
    session.stop()


def connect(server, token: str | None = None):
    from websockets.sync.client import connect as ws_connect

    token = server.token if token is None else token
    return ws_connect(f"ws://127.0.0.1:{server.port}/?token={token}", open_timeout=5)


def next_of(ws, kind: str, timeout_s: float = 5.0, where=None) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {kind} message within {timeout_s} s")
        message = json.loads(ws.recv(timeout=left))
        if message["type"] == kind and (where is None or where(message)):
            return message


def test_wrong_or_missing_token_is_refused_at_the_handshake(live):
    from websockets.exceptions import InvalidStatus

    server = live[1]
    for token, status in (("", 401), ("wrong", 403)):
        with pytest.raises(InvalidStatus) as refused:
            connect(server, token)
        assert refused.value.response.status_code == status
    for path, status in (("/", 401), ("/?token=nope", 403), ("/thumb/rocket-launch", 401)):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}", timeout=5)
        assert refused.value.code == status
    assert server.page_url.startswith("http://127.0.0.1:") and "s3cret-token" in server.page_url


def test_manual_override_reaches_the_program_and_every_client_in_time(live):
    session, server = live
    with connect(server) as a, connect(server) as b:
        state = next_of(a, "state")
        assert state["onScreen"] is None and "pip" in state["layouts"]
        next_of(b, "state")
        # The talk goes on meanwhile: its transcript arrives as the design's messages.
        said = next_of(a, "transcription", 15, lambda m: m["isFinal"])
        assert said["text"] and isinstance(said["timestamp"], int)
        suggestion = next_of(a, "broll_suggestion", 20)
        clip = suggestion["clips"][0]
        assert {"assetId", "title", "confidence", "thumbnailUrl"} <= set(clip)
        # Take a clip the director did not put on screen.
        wanted = "ocean-waves" if session.state().on_screen != "ocean-waves" else "city-night"
        sent = time.monotonic()
        a.send(json.dumps({"action": "manualOverride", "assetId": wanted}))
        took = []
        for ws in (a, b):
            cmd = next_of(ws, "overlay_command", 1.5, lambda m: m["assetId"] == wanted)
            took.append(time.monotonic() - sent)
            assert cmd["transition"] == "crossfade" and cmd["cause"] == "manual"
        assert max(took) < 1.5, took
        assert session.state().on_screen == wanted and session.state().pinned == wanted
        # Clear, hold and layout from the API show in the session (and to the clients).
        b.send(json.dumps({"action": "clear"}))
        next_of(a, "overlay_command", 2, lambda m: m["assetId"] is None and m["cause"] == "clear")
        b.send(json.dumps({"action": "hold", "on": True}))
        next_of(a, "control", 2, lambda m: m["name"] == "hold" and m["value"] is True)
        assert session.state().hold
        a.send(json.dumps({"action": "layout", "layout": "side-by-side"}))
        next_of(b, "control", 2, lambda m: m["name"] == "layout")
        assert session.state().layout == "side-by-side"
        a.send(json.dumps({"action": "veto", "assetId": "rocket-launch"}))
        vetoed = next_of(b, "control", 2, lambda m: m["name"] == "vetoed")
        assert vetoed["value"] == ["rocket-launch"] and "rocket-launch" in session.state().vetoed
        print(f"manualOverride -> overlay_command: {[round(t * 1000) for t in took]} ms")


def test_bad_messages_are_answered_with_errors_and_the_server_goes_on(live):
    session, server = live
    with connect(server) as ws:
        next_of(ws, "state")
        for raw, code in (
            ("not json", "BAD_JSON"),
            ("[1, 2]", "BAD_JSON"),
            (json.dumps({"action": "launchRockets"}), "UNKNOWN_ACTION"),
            (json.dumps({"action": "manualOverride", "assetId": "no-such-clip"}), "UNKNOWN_ASSET"),
            (json.dumps({"action": "manualOverride"}), "BAD_VALUE"),
            (json.dumps({"action": "layout", "layout": "diagonal"}), "BAD_VALUE"),
            (json.dumps({"action": "hold", "on": "yes"}), "BAD_VALUE"),
            (json.dumps({"action": "sendAudio", "audioData": ""}), "NOT_SUPPORTED"),
        ):
            ws.send(raw)
            reply = next_of(ws, "error", 5)
            assert reply["code"] == code and reply["message"], (raw, reply)
        assert session.state().on_screen is None  # nothing happened
        ws.send(json.dumps({"action": "state"}))
        assert next_of(ws, "state")["layout"] == "pip"


def test_the_remote_page_and_thumbnails_are_served_with_the_token(live):
    server = live[1]
    page = urllib.request.urlopen(server.page_url, timeout=5)
    assert page.headers["Content-Type"].startswith("text/html")
    assert b"WebSocket" in page.read()
    thumb = urllib.request.urlopen(
        f"http://127.0.0.1:{server.port}{server.thumbnail_url('rocket-launch')}", timeout=5
    )
    body = thumb.read()
    assert thumb.headers["Content-Type"] == "image/jpeg" and body[:2] == b"\xff\xd8"
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(
            f"http://127.0.0.1:{server.port}/thumb/nothing?token={server.token}", timeout=5
        )
    assert missing.value.code == 404


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Cdp:
    """Just enough of the Chrome DevTools Protocol to read and click a page."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.next_id = 0

    def evaluate(self, expression: str):
        self.next_id += 1
        self.ws.send(
            json.dumps(
                {
                    "id": self.next_id,
                    "method": "Runtime.evaluate",
                    "params": {"expression": expression, "returnByValue": True},
                }
            )
        )
        while True:
            reply = json.loads(self.ws.recv(timeout=10))
            if reply.get("id") == self.next_id:
                return reply["result"]["result"].get("value")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
def test_the_remote_page_in_a_real_browser_controls_thefile_session(live, tmp_path):
    session, server = live
    port = free_port()
    browser = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
         f"--remote-debugging-port={port}", server.page_url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        targets: list = []

        def page_target() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=2) as r:
                    targets[:] = [t for t in json.load(r) if t["type"] == "page"]
            except OSError:
                return False
            return bool(targets) and "127.0.0.1" in targets[0]["url"]

        wait_for(page_target, 30, "Chromium's page")
        from websockets.sync.client import connect as ws_connect

        with ws_connect(targets[0]["webSocketDebuggerUrl"], max_size=None) as devtools:
            cdp = Cdp(devtools)

            def value(expression: str):
                return cdp.evaluate(expression)

            wait_for(lambda: value("document.querySelectorAll('#transcript p').length") > 0, 20,
                     "the transcript on the page")  # fmt: skip
            wait_for(lambda: value("document.querySelectorAll('.clip').length") > 0, 20,
                     "suggestions on the page")  # fmt: skip
            # The thumbnail: the card appears at once, its image once the browser has fetched it.
            wait_for(lambda: value("document.querySelector('.clip img').naturalWidth") > 0, 10,
                     "the clip's thumbnail decoded")  # fmt: skip
            asset = value("document.querySelector('.clip').dataset.assetId")
            value("document.querySelector('.clip .take').click()")
            wait_for(lambda: session.state().on_screen == asset, 3, "the clip on the program")
            wait_for(
                lambda: value("document.querySelector('.clip.live') !== null"), 3, "on air mark"
            )
            value("document.getElementById('hold').click()")
            wait_for(lambda: session.state().hold, 3, "hold")
            value("document.getElementById('clear').click()")
            wait_for(lambda: session.state().on_screen is None, 3, "back to the camera")
            value("document.querySelector('.clip .veto').click()")
            wait_for(lambda: asset in session.state().vetoed, 3, "the veto")
    finally:
        browser.terminate()
        browser.wait(10)
