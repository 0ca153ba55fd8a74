"""The local control API: a WebSocket server on 127.0.0.1 speaking the origin design's protocol
(section 2.13.2), plus the remote page and clip thumbnails over plain HTTP, all behind a token.

Built only on the session's public commands and typed events, like the studio window, so
the two never disagree. The server runs on its own thread with its own asyncio loop: engine
handlers (called on the engine's threads) only hand a message to that loop, and commands run
in the loop's executor, so neither side ever waits on the other.

    ws://127.0.0.1:PORT/?token=TOKEN          the WebSocket (401 without a token, 403 wrong)
    http://127.0.0.1:PORT/?token=TOKEN        the remote page (assets/remote.html)
    http://127.0.0.1:PORT/thumb/ID?token=...  a clip's thumbnail (JPEG)
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import secrets
import threading
import time
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from livedirector_desktop.compositor.scene import LAYOUTS
from livedirector_desktop.config import assets_dir
from livedirector_desktop.core.errors import LiveDirectorError
from livedirector_desktop.core.events import (
    ControlChanged,
    RecordingChanged,
    ShotChanged,
    StatsUpdated,
    StreamChanged,
    VirtualCameraChanged,
)
from livedirector_desktop.core.figure import Figure, figure_of
from livedirector_desktop.core.types import Decision, TranscriptEvent
from livedirector_desktop.pipeline.live import LiveSession

log = logging.getLogger(__name__)

HOST = "127.0.0.1"  # loopback only: a phone reaches it through a tunnel the user chooses
MAX_MESSAGE_BYTES = 64 * 1024
ACTIONS = (
    "manualOverride", "take", "veto", "unveto", "hold", "clear", "layout", "state",
    "dismissFigure",
)  # fmt: skip


def new_token() -> str:
    return secrets.token_urlsafe(18)


class ControlServer:
    def __init__(self, session: LiveSession, port: int, token: str | None = None) -> None:
        if not (0 <= port <= 65535):
            raise LiveDirectorError(f"control port {port} is out of range (use 1024-65535)")
        self.session = session
        self.token = token or new_token()
        self.requested_port = port
        self.port = 0
        self.clients: set[Any] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._unsubscribe: list = []
        self._last_suggestion: dict[str, Any] | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        return f"ws://{HOST}:{self.port}/?token={quote(self.token)}"

    @property
    def page_url(self) -> str:
        return f"http://{HOST}:{self.port}/?token={quote(self.token)}"

    def start(self) -> None:
        """Listen (raises a clear LiveDirectorError if the port is taken) and subscribe."""
        self._thread = threading.Thread(target=self._run, name="control-api", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise LiveDirectorError(
                f"the control API cannot listen on {HOST}:{self.requested_port}: {self._error}",
                "choose another --control-port",
            )
        hub = self.session.hub
        self._unsubscribe = [
            hub.subscribe(TranscriptEvent, self._on_transcript),
            hub.subscribe(Decision, self._on_decision),
            hub.subscribe(ShotChanged, self._on_shot),
            hub.subscribe(RecordingChanged, self._on_recording),
            hub.subscribe(StreamChanged, self._on_stream),
            hub.subscribe(VirtualCameraChanged, self._on_vcam),
            hub.subscribe(ControlChanged, self._on_control),
            hub.subscribe(StatsUpdated, self._on_stats),
        ]

    def stop(self) -> None:
        for undo in self._unsubscribe:
            undo()
        self._unsubscribe = []
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._shutdown)
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # the port is taken, ...: reported by start()
            self._error = exc
            self._ready.set()
        finally:
            loop.close()

    async def _serve(self) -> None:
        from websockets.asyncio.server import serve

        self._stopping = asyncio.Event()
        async with serve(
            self._client,
            HOST,
            self.requested_port,
            process_request=self._http,
            max_size=MAX_MESSAGE_BYTES,
        ) as server:
            self._server = server
            self.port = server.sockets[0].getsockname()[1] if server.sockets else 0
            self._ready.set()
            await self._stopping.wait()

    def _shutdown(self) -> None:
        self._stopping.set()

    # ------------------------------------------------------------------ HTTP: token, page, thumbs

    def _token_ok(self, query: str) -> bool | None:
        """None: no token given; else whether it is the right one."""
        given = parse_qs(query).get("token", [""])[0]
        if not given:
            return None
        return hmac.compare_digest(given.encode(), self.token.encode())

    def _http(self, connection, request):
        from websockets.datastructures import Headers
        from websockets.http11 import Response

        url = urlsplit(request.path)
        ok = self._token_ok(url.query)
        if ok is None:
            return connection.respond(HTTPStatus.UNAUTHORIZED, "a token is required: ?token=...\n")
        if not ok:
            return connection.respond(HTTPStatus.FORBIDDEN, "wrong token\n")
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return None  # on to the WebSocket handshake
        body, kind = b"", ""
        if url.path in ("/", "/index.html"):
            body, kind = (assets_dir() / "remote.html").read_bytes(), "text/html; charset=utf-8"
        elif url.path.startswith("/thumb/"):
            asset = self.session.library.get(url.path.removeprefix("/thumb/"))
            path = Path(asset.thumbnail) if asset and asset.thumbnail else None
            if path is not None and path.is_file():
                body, kind = path.read_bytes(), "image/jpeg"
        if not kind:
            return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")
        headers = Headers(
            [
                ("Content-Type", kind),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store" if kind.startswith("text/") else "max-age=3600"),
                ("X-Content-Type-Options", "nosniff"),
            ]
        )
        return Response(200, "OK", headers, body)

    # ------------------------------------------------------------------ WebSocket clients

    async def _client(self, ws) -> None:
        self.clients.add(ws)
        try:
            await ws.send(json.dumps(self.state_message()))
            if self._last_suggestion is not None:
                await ws.send(json.dumps(self._last_suggestion))
            async for raw in ws:
                reply = await self._handle(raw)
                if reply is not None:
                    await ws.send(json.dumps(reply))
        except Exception as exc:  # a client gone mid-message: only that client ends
            log.debug("control client ended: %s", exc)
        finally:
            self.clients.discard(ws)

    async def _handle(self, raw: str | bytes) -> dict[str, Any] | None:
        """One client message -> the command on the session; an `error` reply when bad."""
        try:
            message = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return error("BAD_JSON", 'messages are JSON objects, e.g. {"action": "clear"}')
        if not isinstance(message, dict):
            return error("BAD_JSON", 'a message is a JSON object with an "action"')
        action = message.get("action")
        if action == "sendAudio":
            return error(
                "NOT_SUPPORTED", "audio comes from the studio's microphone, not over the API"
            )
        if action not in ACTIONS:
            return error(
                "UNKNOWN_ACTION", f"unknown action {action!r}; use one of: {', '.join(ACTIONS)}"
            )
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, self._command, action, message)
        except Exception as exc:
            log.exception("control command failed action=%s", action)
            return error("COMMAND_FAILED", f"{action} failed: {exc}")

    def _command(self, action: str, message: dict[str, Any]) -> dict[str, Any] | None:
        """Runs in the executor: library lookups and commands may take a moment."""
        session = self.session
        if action == "state":
            return self.state_message()
        if action == "clear":
            session.clear()
            return None
        if action == "dismissFigure":  # the figure on screen goes and is not drawn again
            if not session.dismiss_figure():
                return error("NO_FIGURE", "no figure is on screen")
            return None
        if action == "hold":
            on = message.get("on", not session.state().hold)
            if not isinstance(on, bool):
                return error("BAD_VALUE", 'hold takes "on": true or false')
            session.hold(on)
            return None
        if action == "layout":
            name = message.get("layout", message.get("name"))
            if name not in LAYOUTS:
                return error(
                    "BAD_VALUE", f"unknown layout {name!r}; use one of: {', '.join(LAYOUTS)}"
                )
            session.set_layout(name)
            return None
        asset_id = message.get("assetId")
        if not isinstance(asset_id, str) or not asset_id:
            return error("BAD_VALUE", f'{action} needs an "assetId"')
        if figure_of(asset_id) is None and session.library.get(asset_id) is None:
            return error("UNKNOWN_ASSET", f"no clip {asset_id!r} in the library")
        if action in ("manualOverride", "take"):
            session.take(asset_id)
        else:
            session.veto(asset_id, action == "veto")
        return None

    # ------------------------------------------------------------------ engine events -> clients

    def broadcast(self, message: dict[str, Any]) -> None:
        """From any thread: queue the message for every client; returns at once."""
        loop = self._loop
        if loop is None or loop.is_closed() or not self.clients:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(self._send_all, json.dumps(message))

    def _send_all(self, text: str) -> None:
        from websockets.asyncio.server import broadcast

        broadcast(list(self.clients), text)

    def _on_transcript(self, event: TranscriptEvent) -> None:
        self.broadcast(
            {
                "type": "transcription",
                "text": event.text,
                "isFinal": event.is_final,
                "timestamp": int(time.time() * 1000),
            }
        )

    def thumbnail_url(self, asset_id: str) -> str:
        return f"/thumb/{quote(asset_id)}?token={quote(self.token)}"

    def _on_decision(self, decision: Decision) -> None:
        if not decision.candidates:
            return
        message = {
            "type": "broll_suggestion",
            "text": decision.text,
            "clips": [
                {
                    "assetId": c.asset_id,
                    "title": c.title,
                    "confidence": round(c.score, 4),
                    "thumbnailUrl": self.thumbnail_url(c.asset_id),
                }
                for c in decision.candidates[:9]
            ],
            "chosen": decision.asset_id,
            "outcome": str(decision.outcome),
        }
        self._last_suggestion = message
        self.broadcast(message)

    def _on_shot(self, shot: ShotChanged) -> None:
        transition_ms = self.session.scene.transition_ms
        figure = figure_of(shot.asset_id or "")
        self.broadcast(
            {
                "type": "overlay_command",
                "assetId": shot.asset_id,  # null: back to the camera
                "transition": "crossfade" if transition_ms > 0 else "cut",
                "transitionMs": transition_ms,
                "layout": self.session.scene.layout_name,
                "cause": shot.cause,
                "text": shot.text,
                # A drawn figure instead of a clip (null for clips and the camera).
                "figure": None if figure is None else _figure_json(figure),
            }
        )

    def _on_recording(self, change: RecordingChanged) -> None:
        self.broadcast(
            {"type": "recording", "state": change.state, "path": change.path, "error": change.error}
        )

    def _on_stream(self, change: StreamChanged) -> None:
        self.broadcast(
            {"type": "stream", "state": change.state, "url": change.url, "error": change.error}
        )

    def _on_vcam(self, change: VirtualCameraChanged) -> None:
        self.broadcast(
            {
                "type": "virtual_camera",
                "state": change.state,
                "device": change.device,
                "error": change.error,
            }
        )

    def _on_control(self, change: ControlChanged) -> None:
        value = sorted(change.value) if isinstance(change.value, set | frozenset) else change.value
        self.broadcast({"type": "control", "name": change.name, "value": value})

    def _on_stats(self, stats: StatsUpdated) -> None:
        s = stats.summary
        self.broadcast(
            {
                "type": "stats",
                "ticks": s.get("ticks"),
                "lateShare": s.get("late_share"),
                "framesRecorded": s.get("frames_recorded"),
                "videoDropped": s.get("video_dropped"),
                "audioDropped": s.get("audio_dropped"),
                "stream": s.get("stream"),
            }
        )

    def state_message(self) -> dict[str, Any]:
        state = self.session.state()
        return {
            "type": "state",
            "layout": state.layout,
            "layouts": list(LAYOUTS),
            "onScreen": state.on_screen,
            "pinned": state.pinned,
            "hold": state.hold,
            "vetoed": sorted(state.vetoed),
            "recording": state.recording,
            "stream": {"url": state.streaming, "state": state.stream_state},
            "virtualCamera": state.virtual_camera,
        }


def error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}


def _figure_json(figure: Figure) -> dict:
    return {
        "headline": figure.headline(),
        "label": figure.label(),
        "value": figure.value,
        "unit": figure.unit,
        "startValue": figure.start_value,
        "direction": figure.direction,
        "about": figure.about,
    }
