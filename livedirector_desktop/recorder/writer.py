"""H.264 + AAC MP4 writing, crash-safe: fragmented MP4 under a temporary name.

Fragments with the moov box up front and packets flushed as they are written mean a
killed process leaves a playable file (all but the last second or so); the file gets its
final name only when it is complete, so a half-written file is never taken for a result.
On a clean finish the fragments are remuxed (packets copied, nothing re-encoded) into a
plain MP4 with the moov box first ("faststart"), which every editor and browser reads
well; only that file gets the final name.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from livedirector_desktop.core.errors import LiveDirectorError
from livedirector_desktop.core.files import partial_name

log = logging.getLogger(__name__)

# Codecs an MP4 carries as they are: the talk's own audio is copied, not re-encoded.
MP4_AUDIO_COPY = frozenset({"aac", "mp3", "opus", "alac", "ac3", "eac3"})
# FFmpeg's native AAC encoder delays its output by one frame (initial_padding = 1024).
AAC_PRIMING_SAMPLES = 1024


def finishing_name(final: Path) -> Path:
    """Where the plain MP4 is written from the fragmented one, before its final name."""
    final = Path(final)
    return final.with_name(f".{final.stem}.finishing{final.suffix}")


@dataclass
class Remuxed:
    """What a remux copied."""

    packets: int = 0
    video_frames: int = 0  # decoded and found whole (only with check_video)
    video_ms: float = 0.0  # from the first video packet to the end of the last


def remux_faststart(
    src: Path, dst: Path, audio_priming_samples: int = 0, check_video: bool = False
) -> Remuxed:
    """Copy every video and audio packet of `src` into a plain MP4 at `dst`, moov first
    (nothing re-encoded). The one remux: a finished recording and a recovered one.

    `audio_priming_samples`: the encoder delay of audio we encoded ourselves. FFmpeg's AAC
    encoder starts with 1024 samples of priming, but the fragmented file stamps its first
    packet at 0, so the audio plays 21 ms late there. Moving the audio back by the priming
    makes the muxer write an edit list that skips it: audio starts with the picture.
    (A live recording's packets are placed by program_encoder.Rebase instead: 0 here.)

    `check_video`: a file a crash cut off. Each video packet is decoded, and the copy stops
    at the first that no longer decodes or cannot be read: what came before it is kept."""
    import av

    done = Remuxed()
    first_ms: float | None = None
    with av.open(str(src)) as inp:
        if check_video and not inp.streams.video:
            raise LiveDirectorError(f"{Path(src).name} holds no video")
        streams = [*inp.streams.video[:1], *inp.streams.audio[:1]]
        video = streams[0].index if inp.streams.video else None
        out = av.open(str(dst), "w", format="mp4", options={"movflags": "+faststart"})
        try:
            mapping = {s.index: out.add_stream_from_template(s) for s in streams}
            shift = {
                s.index: round(Fraction(audio_priming_samples, s.sample_rate) / s.time_base)
                for s in streams
                if s.type == "audio" and audio_priming_samples and s.sample_rate
            }
            for packet in _packets(inp.demux(streams), stop_at_damage=check_video):
                if packet.dts is None or (check_video and packet.size == 0):
                    continue  # the demuxer's end-of-stream marker
                if check_video and packet.stream.index == video:
                    try:
                        frames = len(packet.decode())
                    except av.error.FFmpegError:
                        break  # a damaged packet: keep what came before it
                    done.video_frames += frames
                if packet.stream.index == video and packet.pts is not None:
                    t0 = float(packet.pts * packet.time_base * 1000)
                    first_ms = t0 if first_ms is None else min(first_ms, t0)
                    end = t0 + float((packet.duration or 0) * packet.time_base * 1000)
                    done.video_ms = max(done.video_ms, end - first_ms)
                back = shift.get(packet.stream.index, 0)
                if back:
                    packet.dts -= back
                    if packet.pts is not None:
                        packet.pts -= back
                packet.stream = mapping[packet.stream.index]
                out.mux(packet)
                done.packets += 1
        finally:
            out.close()
    return done


def _packets(demux, stop_at_damage: bool):
    """The demuxer's packets; with `stop_at_damage`, a read error ends them (the fragment a
    crash cut off) instead of raising."""
    import av

    while True:
        try:
            yield next(demux)
        except StopIteration:
            return
        except av.error.FFmpegError:
            if not stop_at_damage:
                raise
            return


class Mp4Writer:
    def __init__(
        self,
        path: Path,
        width: int,
        height: int,
        rate: Fraction,
        video_time_base: Fraction | None = None,
        audio_template=None,
        audio_rate_hz: int = 48000,
        audio_layout: str = "stereo",
        crf: int = 20,
        preset: str = "veryfast",
        keyframe_s: float = 1.0,
    ) -> None:
        import av

        self.final_path = Path(path)
        self.path = partial_name(self.final_path)
        self.final_path.parent.mkdir(parents=True, exist_ok=True)
        self._av = av
        self.container = av.open(
            str(self.path),
            "w",
            format="mp4",
            options={
                "movflags": "frag_keyframe+empty_moov+default_base_moof",
                "flush_packets": "1",
            },
        )
        gop = max(1, round(float(rate) * keyframe_s))
        self.video = self.container.add_stream(
            "libx264",
            rate=rate,
            # No B-frames: fragmented MP4 without edit lists would shift every frame's time by
            # the reorder delay (2 frames = 67 ms at 30 fps), and lip sync with it.
            options={
                "preset": preset,
                "crf": str(crf),
                "g": str(gop),
                "keyint_min": str(gop),
                "sc_threshold": "0",
                "bf": "0",
            },
        )
        self.video.width, self.video.height, self.video.pix_fmt = width, height, "yuv420p"
        if video_time_base is not None:
            # The encoder counts in the source's time base too: frames of a variable-rate
            # source (a live recording's ticks) keep their times instead of being rounded
            # onto a grid of 1/rate, where two could land on one slot.
            self.video.time_base = video_time_base
            self.video.codec_context.time_base = video_time_base
        self.video.thread_type = "AUTO"
        self.copy_audio = (
            audio_template is not None and audio_template.codec_context.name in MP4_AUDIO_COPY
        )
        if self.copy_audio:
            self.audio = self.container.add_stream_from_template(audio_template)
        else:
            self.audio = self.container.add_stream("aac", rate=audio_rate_hz, layout=audio_layout)
            self.audio.bit_rate = 192_000
        self.frames_written = 0
        self._closed = False

    def write_frame(self, frame) -> None:
        """A PyAV VideoFrame (its pts in the video stream's time base)."""
        for packet in self.video.encode(frame):
            self.container.mux(packet)
        self.frames_written += 1

    def write_i420(self, image: np.ndarray, pts: int | None) -> None:
        frame = self._av.VideoFrame.from_ndarray(image, format="yuv420p")
        frame.pts = pts
        frame.time_base = self.video.time_base
        self.write_frame(frame)

    def write_audio_packet(self, packet) -> None:
        """A demuxed packet of the talk's audio, copied as it is."""
        if packet.dts is None:
            return
        packet.stream = self.audio
        self.container.mux(packet)

    def write_audio_frame(self, frame) -> None:
        """A decoded audio frame, encoded to AAC (when the source codec cannot be copied)."""
        frame.pts = None  # the encoder numbers samples itself: contiguous, no drift
        for packet in self.audio.encode(frame):
            self.container.mux(packet)

    def close(self) -> Path:
        """Flush, close, and give the file its final name."""
        if self._closed:
            return self.final_path
        try:
            for packet in self.video.encode(None):
                self.container.mux(packet)
            if not self.copy_audio:
                for packet in self.audio.encode(None):
                    self.container.mux(packet)
            self.container.close()
        except self._av.error.FFmpegError as exc:
            self.abort()
            raise LiveDirectorError(f"could not finish writing {self.final_path}: {exc}") from exc
        self._closed = True
        if not self.path.exists():  # the muxer creates the file with its first packet
            raise LiveDirectorError(
                f"nothing was written to {self.final_path}: it stopped before its first frame"
            )
        finishing = finishing_name(self.final_path)
        try:
            priming = 0 if self.copy_audio else AAC_PRIMING_SAMPLES
            remux_faststart(self.path, finishing, priming)
        except (self._av.error.FFmpegError, OSError) as exc:
            # The fragmented file plays everywhere that matters: better it than nothing.
            log.warning("could not remux %s to a plain MP4 (%s); kept fragmented", self.path, exc)
            finishing.unlink(missing_ok=True)
            os.replace(self.path, self.final_path)
            return self.final_path
        os.replace(finishing, self.final_path)
        self.path.unlink(missing_ok=True)
        return self.final_path

    def abort(self) -> None:
        """Stop and remove the unfinished file."""
        self._closed = True
        try:
            self.container.close()
        except Exception:  # closing a broken muxer may fail again; the file goes anyway
            log.debug("closing an aborted writer failed", exc_info=True)
        self.path.unlink(missing_ok=True)
