"""The program, encoded once: the writer thread that owns the encoders, and the outputs it feeds.

Program frames and microphone blocks arrive through bounded queues that drop the oldest
(counted apart: video and audio). The writer thread draws each frame with the CPU compositor
and encodes H.264 + AAC exactly once; every output (the recording file, a stream) gets its own
copy of each packet. One encode instead of one per output: x264 is the costliest stage of the
session (bench/results/live.json, "encode"), and two of them do not fit two shared cores.

Each frame and each block is placed by its capture time from the encoder's start, so whatever
is dropped becomes a gap (a repeated frame, silence) and never shifts what comes after it.
An output joins at a keyframe (the encoder is asked for one at once) and counts its time from
its own start, so a recording begun while streaming, or a stream that reconnects, starts clean.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from fractions import Fraction
from typing import Any, Protocol

import numpy as np

from livedirector_desktop.compositor.figure_card import FigureStyle
from livedirector_desktop.compositor.scene import ProgramInputs, Shot
from livedirector_desktop.core.queues import DropOldestQueue
from livedirector_desktop.core.stats import LiveStats
from livedirector_desktop.core.types import AudioBlock

log = logging.getLogger(__name__)

VIDEO_TIME_BASE = Fraction(1, 90_000)
AAC_FRAME = 1024  # samples per AAC packet; also the encoder's priming delay


def max_bitrate_kbps(height: int) -> int:
    """The bitrate cap: what streaming services ask for at this size (a file is rarely capped)."""
    return 2500 if height <= 480 else 4500 if height <= 720 else 6000 if height <= 1080 else 12000


class PacketSink(Protocol):
    """An output of the program: gets a copy of every encoded packet, on the writer thread.

    `kind` is "video" or "audio"; pts are in the encoder's time (video 1/90000, audio
    1/sample rate) counted from the encoder's start. A sink must return quickly.
    """

    def accept(self, kind: str, packet: Any) -> None: ...


def copy_packet(packet):
    """An independent packet: muxing rescales a packet in place, and each output muxes its own."""
    import av

    out = av.Packet(bytes(packet))
    out.pts, out.dts, out.time_base = packet.pts, packet.dts, packet.time_base
    out.is_keyframe = packet.is_keyframe
    return out


class Rebase:
    """An output's own time. A recording starts at the instant it was asked for (`from_pts`,
    90 kHz, encoder time); a stream at its first keyframe. Video waits for a keyframe."""

    def __init__(self, audio_rate_hz: int, from_pts: int | None = None) -> None:
        self.audio_rate_hz = audio_rate_hz
        self.video0: int | None = None
        self.audio0 = 0
        self.keyframe_seen = False
        if from_pts is not None:
            self._start(from_pts)

    def _start(self, pts: int) -> None:
        self.video0 = pts
        self.audio0 = round(pts * self.audio_rate_hz / 90_000)

    def apply(self, kind: str, packet) -> bool:
        """Shift the packet into this output's time; False: it comes before the start."""
        if kind == "video" and not self.keyframe_seen:
            if not packet.is_keyframe or (self.video0 is not None and packet.pts < self.video0):
                return False
            self.keyframe_seen = True
            if self.video0 is None:
                self._start(packet.pts)
        if self.video0 is None:
            return False
        if kind == "video":
            packet.pts -= self.video0
            packet.dts -= self.video0
        else:
            # The encoder's very first packet (pts -1024, its priming) belongs to an output
            # that starts with the encoder; later outputs start at a whole packet.
            if packet.pts < self.audio0 and not (self.audio0 == 0 and packet.pts >= -AAC_FRAME):
                return False
            packet.pts -= self.audio0
            packet.dts -= self.audio0
        return True


class ProgramEncoder:
    def __init__(
        self,
        width: int,
        height: int,
        fps: float,
        start_ns: int,
        audio_rate_hz: int,
        audio_channels: int,
        stats: LiveStats,
        max_kbps: int | None = None,
        clean: bool = False,
        caption_font: str = "",
        audio_delay_ns: int = 0,
        figure_style: FigureStyle | None = None,
    ) -> None:
        import av
        from av.codec.context import Flags

        from livedirector_desktop.compositor.caption_font import find_font
        from livedirector_desktop.compositor.cpu import CpuCompositor, black

        self.start_ns, self.stats, self.fps = start_ns, stats, fps
        # clean: the camera alone, for the copy conform re-renders from (no B-roll, no
        # captions), at x264's fastest preset: it is a second encode on the same cores.
        self.clean = clean
        self.audio_delay_ns = audio_delay_ns  # the picture's latency: sound waits as long
        font = find_font(caption_font)  # the setting's font, else the first found
        self.caption_font = str(font) if font else ""
        self.width, self.height = width, height
        self.audio_rate_hz, self.audio_channels = audio_rate_hz, audio_channels
        self.layout = "mono" if audio_channels == 1 else "stereo"
        self.max_kbps = max_kbps or max_bitrate_kbps(height)
        rate = Fraction(fps).limit_denominator(1001)
        gop = max(1, round(float(rate)))  # a keyframe a second: outputs join within one
        # The encoders live in a "null" container: its streams are the templates every
        # output copies (codec parameters, SPS/PPS), and nothing is written by it.
        self._null = av.open(os.devnull, "w", format="null")
        self.video = self._null.add_stream(
            "libx264",
            rate=rate,
            # Live, x264 shares two cores with capture, the LLM and the preview: superfast
            # keeps up at 720p where veryfast fell behind; 1080p needs ultrafast. No B-frames
            # (fragmented MP4 without edit lists would shift video by the reorder delay).
            # CRF 20 capped (VBV) at a streaming bitrate: the same packets suit a file and
            # an RTMP/SRT service, so both share one encode.
            options={
                "preset": "ultrafast" if height >= 1080 or clean else "superfast",
                "crf": "20",
                "maxrate": f"{self.max_kbps}k",
                "bufsize": f"{self.max_kbps * 2}k",
                "g": str(gop),
                "keyint_min": str(gop),
                "sc_threshold": "0",
                "bf": "0",
                "forced-idr": "1",
            },
        )
        self.video.width, self.video.height, self.video.pix_fmt = width, height, "yuv420p"
        self.video.time_base = VIDEO_TIME_BASE
        self.video.codec_context.time_base = VIDEO_TIME_BASE
        self.video.thread_type = "AUTO"
        self.audio = self._null.add_stream("aac", rate=audio_rate_hz, layout=self.layout)
        self.audio.bit_rate = 192_000
        for stream in (self.video, self.audio):
            # Out-of-band headers: MP4 and FLV carry SPS/PPS and the AAC config up front.
            stream.codec_context.flags |= Flags.global_header
            stream.codec_context.open()
        self._null.start_encoding()
        self.compositor = CpuCompositor(
            width, height, "pip", figure_style, self.caption_font or None
        )
        self.black = black(width, height)
        self.video_q: DropOldestQueue[tuple[ProgramInputs, int]] = DropOldestQueue(int(fps * 2))
        self.audio_q: DropOldestQueue[AudioBlock] = DropOldestQueue(500)
        self._sinks: list[PacketSink] = []
        self._frame_sinks: list[Callable[[np.ndarray], None]] = []
        self._sinks_lock = threading.Lock()
        self._keyframe_wanted = True
        self._next_sample = 0  # where the next audio sample belongs, counted from start_ns
        self._last_pts = -1
        self.frames_encoded = 0
        self.error: str = ""
        self._thread = threading.Thread(target=self._run, name="writer", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ outputs

    def add_sink(self, sink: PacketSink) -> None:
        with self._sinks_lock:
            self._sinks.append(sink)
        self.request_keyframe()

    def remove_sink(self, sink: PacketSink) -> None:
        """After this returns, the sink gets no more packets (it may be closed)."""
        with self._sinks_lock:
            if sink in self._sinks:
                self._sinks.remove(sink)

    def add_frame_sink(self, sink: Callable[[np.ndarray], None]) -> None:
        """Also hand each composed I420 picture to `sink` (quickly: e.g. a virtual camera)."""
        with self._sinks_lock:
            self._frame_sinks.append(sink)

    def remove_frame_sink(self, sink: Callable[[np.ndarray], None]) -> None:
        with self._sinks_lock:
            if sink in self._frame_sinks:
                self._frame_sinks.remove(sink)

    def request_keyframe(self) -> None:
        self._keyframe_wanted = True

    def pts_at(self, t_ns: int) -> int:
        return round((t_ns - self.start_ns) * 90_000 / 1e9)

    def _deliver(self, kind: str, packets) -> None:
        with self._sinks_lock:
            for packet in packets:
                if packet.dts is None:
                    continue
                for sink in self._sinks:
                    try:
                        sink.accept(kind, copy_packet(packet))
                    except Exception:  # one broken output must not stop the others
                        log.exception("output failed to take a packet")

    # ------------------------------------------------------------------ the writer thread

    def _write_audio(self, block: AudioBlock) -> None:
        import av

        samples = block.samples
        if samples.shape[1] != self.audio_channels:
            samples = np.repeat(samples.mean(axis=1, keepdims=True), self.audio_channels, axis=1)
        # The sample index this block belongs at, by its capture time.
        at = round((block.pts_ns + self.audio_delay_ns - self.start_ns) * self.audio_rate_hz / 1e9)
        slack = self.audio_rate_hz // 1000  # 1 ms: rounding, not a gap
        if at > self._next_sample + slack:
            gap = at - self._next_sample  # missing audio (a dropped block): silence
            samples = np.concatenate([np.zeros((gap, self.audio_channels), np.float32), samples])
            if self._next_sample > 0:
                self.stats.audio_silence_ms += gap * 1000 / self.audio_rate_hz
        elif at < self._next_sample - slack:
            samples = samples[self._next_sample - at :]  # before the start, or overlapping
        if not len(samples):
            return
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples.T, dtype=np.float32), format="fltp", layout=self.layout
        )
        frame.sample_rate = self.audio_rate_hz
        frame.pts, frame.time_base = self._next_sample, Fraction(1, self.audio_rate_hz)
        self._deliver("audio", self.audio.encode(frame))
        self._next_sample += len(samples)

    def _drain_audio(self) -> None:
        while (block := self.audio_q.get(timeout_s=0)) is not None:
            self._write_audio(block)

    def _run(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # the encoder broke: say so; the session goes on
            self.error = str(exc)
            log.exception("the program encoder stopped")

    def _loop(self) -> None:
        import av

        while True:
            item = self.video_q.get(timeout_s=0.05)
            self._drain_audio()
            if item is None:
                if self.video_q.closed and not len(self.video_q):
                    self._drain_audio()
                    return
                continue
            inputs, t_ns = item
            pts = self.pts_at(t_ns)
            if pts <= self._last_pts:
                continue
            self._last_pts = pts
            t0 = time.perf_counter()
            image = self.compose(inputs)
            self.stats.stage_ms["compose"].append((time.perf_counter() - t0) * 1e3)
            for frame_sink in list(self._frame_sinks):
                frame_sink(image)
            if not self._sinks:
                continue  # only a virtual camera: nothing to encode
            t0 = time.perf_counter()
            frame = av.VideoFrame.from_ndarray(image, format="yuv420p")
            frame.pts, frame.time_base = pts, VIDEO_TIME_BASE
            if self._keyframe_wanted:
                self._keyframe_wanted = False
                frame.pict_type = av.video.frame.PictureType.I
            self._deliver("video", self.video.encode(frame))
            self.stats.stage_ms["encode"].append((time.perf_counter() - t0) * 1e3)
            self.frames_encoded += 1
            self.stats.frames_recorded += 1

    def compose(self, inputs: ProgramInputs) -> np.ndarray:
        """The program picture, by the CPU compositor, from the inputs the preview also got."""
        from livedirector_desktop.compositor.cpu import draw_caption

        self.compositor.layout_name = inputs.layout
        cam = inputs.camera
        if cam is None:
            image, cw, ch = self.black, self.compositor.width, self.compositor.height
        else:
            image, cw, ch = cam.image, cam.width, cam.height
        if self.clean:  # the camera alone, as it came (scaled to the program size)
            return self.compositor.draw_shot(Shot(None, -1), image, cw, ch, None)
        program = self.compositor.draw(
            inputs.state, image, cw, ch, lambda shot: inputs.broll.get(shot.segment_index)
        )
        w, h = self.compositor.width, self.compositor.height
        return draw_caption(program, w, h, inputs.caption, self.caption_font)

    # ------------------------------------------------------------------ the end

    def close(self) -> None:
        """Encode what is queued, flush the encoders into the outputs still attached."""
        self.video_q.close()
        self.audio_q.close()
        self._thread.join(30)
        self.stats.video_dropped += self.video_q.dropped
        self.stats.audio_dropped += self.audio_q.dropped
        try:
            self._deliver("video", self.video.encode(None))
            self._deliver("audio", self.audio.encode(None))
        except Exception:  # flushing a broken encoder: what was delivered stays delivered
            log.debug("flushing the encoders failed", exc_info=True)
        try:
            self._null.close()
        except Exception:
            log.debug("closing the null container failed", exc_info=True)
