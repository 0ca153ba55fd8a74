"""The program out to a streaming server: RTMP/RTMPS (FLV) or SRT (MPEG-TS), through PyAV.

The writer thread hands each packet over through a bounded queue that drops the oldest and
returns at once; this output's own thread does all network I/O (connect, write, reconnect), so
a slow or vanished server never holds up the tick or the recording. When the server drops,
the thread reconnects with backoff (0.5 s doubling to 8 s) and starts again at a fresh
keyframe. State changes are reported through `on_state(state, error)`:
"connecting", "live", "reconnecting", "stopped", or "failed" when retrying cannot help
(SRT with an FFmpeg built without libsrt, as in PyAV's wheels).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from livedirector_desktop.core.errors import BadInputError
from livedirector_desktop.core.queues import DropOldestQueue
from livedirector_desktop.recorder.program_encoder import ProgramEncoder, Rebase

log = logging.getLogger(__name__)

FORMATS = {"rtmp": "flv", "rtmps": "flv", "srt": "mpegts"}
BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0)
IO_TIMEOUT_US = 5_000_000  # a server that stops reading is given up after 5 s


def check_stream_url(url: str) -> str:
    """The container format for this URL, or a clear BadInputError."""
    parts = urlsplit(url)
    fmt = FORMATS.get(parts.scheme.lower())
    if fmt is None or not parts.hostname:
        raise BadInputError(
            f"stream URL {url!r} is not one LiveDirector can send to",
            "use rtmp://HOST/APP/KEY, rtmps://HOST/APP/KEY or srt://HOST:PORT",
        )
    if parts.scheme.lower() == "srt" and not parts.port:
        raise BadInputError(f"stream URL {url!r} has no port", "use srt://HOST:PORT")
    return fmt


def redact(url: str) -> str:
    """The URL without its stream key (the last path part), for logs and the screen."""
    parts = urlsplit(url)
    path = parts.path.rsplit("/", 1)[0] + "/…" if parts.path.count("/") > 1 else parts.path
    return f"{parts.scheme}://{parts.netloc}{path}"


class StreamOutput:
    def __init__(
        self,
        url: str,
        encoder: ProgramEncoder,
        on_state: Callable[[str, str], None] | None = None,
        queue_s: float = 3.0,
    ) -> None:
        self.url = url
        self.format = check_stream_url(url)
        self.encoder = encoder
        self.on_state = on_state or (lambda _state, _error: None)
        # Packets in flight: about queue_s of video plus its audio.
        self.queue: DropOldestQueue[tuple[str, Any]] = DropOldestQueue(
            int(encoder.fps * queue_s + encoder.audio_rate_hz / 1024 * queue_s)
        )
        self.state = "connecting"
        self.error = ""
        self.reconnects = 0
        self.video_sent = 0
        self.video_dropped = 0  # frames that never reached the server (queue, offline)
        self._dropped_seen = 0
        self._sent_bytes: deque[tuple[float, int]] = deque()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stream", daemon=True)
        self._thread.start()
        encoder.add_sink(self)

    # ------------------------------------------------------------------ the writer's side

    def accept(self, kind: str, packet) -> None:
        """On the writer thread: never blocks (drop-oldest)."""
        self.queue.put((kind, packet))

    # ------------------------------------------------------------------ stats

    def stats(self) -> dict[str, Any]:
        now = time.monotonic()
        while self._sent_bytes and now - self._sent_bytes[0][0] > 2.0:
            self._sent_bytes.popleft()
        sent = sum(n for _t, n in self._sent_bytes)
        return {
            "state": self.state,
            "url": redact(self.url),
            "bitrate_kbps": round(sent * 8 / 2.0 / 1000, 1),
            "frames_sent": self.video_sent,
            "dropped_frames": self.video_dropped + self._queue_drops(),
            "reconnects": self.reconnects,
            "error": self.error,
        }

    def _queue_drops(self) -> int:
        # Queue drops are packets; most of them are video (audio packets are small but as
        # many): count half as frames, a fair reading without inspecting each dropped item.
        return self.queue.dropped // 2

    def _set_state(self, state: str, error: str = "") -> None:
        self.state, self.error = state, error
        try:
            self.on_state(state, error)
        except Exception:
            log.exception("stream state handler failed")

    # ------------------------------------------------------------------ the network thread

    def _connect(self):
        import av

        options = {"rw_timeout": str(IO_TIMEOUT_US)}
        if self.format == "flv":
            options["flvflags"] = "no_duration_filesize"
        container = av.open(self.url, "w", format=self.format, options=options)
        try:
            video = container.add_stream_from_template(self.encoder.video)
            audio = container.add_stream_from_template(self.encoder.audio)
            container.start_encoding()  # connects and sends the headers
        except Exception:
            self._close(container)
            raise
        return container, video, audio

    @staticmethod
    def _close(container) -> None:
        try:
            container.close()
        except Exception:  # the server is gone: closing may fail too
            log.debug("closing the stream failed", exc_info=True)

    def _send(self, container, video, audio) -> None:
        """Until stopped or the connection fails (raises)."""
        rebase = Rebase(self.encoder.audio_rate_hz)
        # Stale packets (from before the connection) are not worth sending late.
        while self.queue.get(timeout_s=0) is not None:
            self.video_dropped += 1
        self.encoder.request_keyframe()
        live = False
        while not self._stop.is_set():
            item = self.queue.get(timeout_s=0.2)
            if item is None:
                continue
            kind, packet = item
            if not rebase.apply(kind, packet):
                continue
            if not live:
                live = True
                self._set_state("live")
            size = packet.size
            packet.stream = video if kind == "video" else audio
            container.mux(packet)
            self._sent_bytes.append((time.monotonic(), size))
            if kind == "video":
                self.video_sent += 1

    def _run(self) -> None:
        attempt = 0
        self._set_state("connecting")
        while not self._stop.is_set():
            try:
                container, video, audio = self._connect()
            except Exception as exc:
                if "Protocol not found" in str(exc):
                    # Retrying cannot help: this FFmpeg build lacks the protocol.
                    scheme = urlsplit(self.url).scheme
                    self.error = (
                        f"{scheme}:// is not supported by this FFmpeg build (PyAV's wheels have "
                        "no libsrt): use rtmp:// or rtmps://, or install PyAV built against an "
                        "FFmpeg with libsrt (pip install av --no-binary av)"
                    )
                    log.error("stream: %s", self.error)
                    self._set_state("failed", self.error)
                    return
                self.error = f"cannot reach {redact(self.url)}: {_reason(exc)}"
                log.warning("stream: %s", self.error)
            else:
                try:
                    self._send(container, video, audio)
                except Exception as exc:
                    self.error = f"connection to {redact(self.url)} lost: {_reason(exc)}"
                    log.warning("stream: %s", self.error)
                    attempt = 0  # it worked before: start the backoff again
                finally:
                    self._close(container)
                if self._stop.is_set():
                    break
            self.reconnects += 1
            self._set_state("reconnecting", self.error)
            self._stop.wait(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])
            attempt += 1
        self._set_state("stopped")

    def close(self, timeout_s: float = 6.0) -> None:
        self.encoder.remove_sink(self)
        self._stop.set()
        self.queue.close()
        self._thread.join(timeout_s)


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
