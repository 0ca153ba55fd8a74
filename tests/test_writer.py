"""Finished MP4s are plain: moov first, no fragments, nothing re-encoded, audio where it was."""

from __future__ import annotations

import shutil
import struct
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from livedirector_desktop.core.files import partial_name
from livedirector_desktop.recorder import writer as writer_module
from livedirector_desktop.recorder.writer import Mp4Writer, finishing_name
from tests.support import beep_times, flash_times

RATE = Fraction(30000, 1001)
AUDIO_HZ = 48000


def top_level_boxes(path: Path) -> list[str]:
    boxes, data = [], path.read_bytes()
    at = 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        if size == 1:
            size = struct.unpack(">Q", data[at + 8 : at + 16])[0]
        boxes.append(kind.decode("latin-1"))
        if size < 8:
            break
        at += size
    return boxes


def write_flash_beep_through_the_writer(path: Path, seconds: float = 4.0) -> list[float]:
    """A flash and a 1 kHz beep together at each second + 0.5, written as a recording is."""
    w = Mp4Writer(path, 320, 240, RATE, video_time_base=Fraction(1, 90_000), audio_rate_hz=AUDIO_HZ)
    n_frames = int(seconds * RATE)
    flashes = [k + 0.5 for k in range(int(seconds))]
    flash_frames = {round(t * RATE) + i for t in flashes for i in range(3)}
    audio = np.zeros(int(seconds * AUDIO_HZ), np.float32)
    tone = 0.5 * np.sin(2 * np.pi * 1000 * np.arange(2880) / AUDIO_HZ).astype(np.float32)
    for t in flashes:
        start = round(float(round(t * RATE) / RATE) * AUDIO_HZ)
        audio[start : start + len(tone)] = tone
    sent = 0
    for i in range(n_frames):
        y = 235 if i in flash_frames else 30
        image = np.full((360, 320), 128, np.uint8)
        image[:240] = y
        w.write_i420(image, round(i * 90_000 / RATE))
        upto = round((i + 1) / RATE * AUDIO_HZ)
        block = audio[sent:upto]
        sent = upto
        w.write_audio_frame(_stereo(block))
    w.close()
    return [float(round(t * RATE) / RATE) for t in flashes]


def _stereo(block: np.ndarray):
    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(np.stack([block, block])), format="fltp", layout="stereo"
    )
    frame.sample_rate = AUDIO_HZ
    return frame


def test_a_finished_file_is_a_plain_faststart_mp4_in_sync(tmp_path, monkeypatch):
    kept = tmp_path / "fragmented-copy.mp4"
    real = writer_module.remux_faststart

    def keep_then_remux(src, dst, *args):
        shutil.copyfile(src, kept)
        return real(src, dst, *args)

    monkeypatch.setattr(writer_module, "remux_faststart", keep_then_remux)
    out = tmp_path / "rec.mp4"
    flashes = write_flash_beep_through_the_writer(out)

    # Only the final file is left: no fragmented or half-remuxed file beside it.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fragmented-copy.mp4", "rec.mp4"]
    assert not partial_name(out).exists() and not finishing_name(out).exists()
    # While writing it was fragmented; finished, it is plain with moov before mdat.
    assert "moof" in top_level_boxes(kept)
    boxes = top_level_boxes(out)
    assert "moof" not in boxes and "mfra" not in boxes
    assert boxes.index("moov") < boxes.index("mdat")

    # Not re-encoded: the same packets, byte for byte.
    def packets(path):
        with av.open(str(path)) as c:
            return sorted((p.stream.type, bytes(p)) for p in c.demux() if p.size)

    assert packets(out) == packets(kept)

    # In sync once finished: the AAC priming the fragmented file plays (1024 samples late)
    # is skipped by the plain file's edit list.
    seen, heard = flash_times(out), beep_times(out)
    assert len(seen) == len(heard) == len(flashes)
    for f, b, want in zip(seen, heard, flashes, strict=True):
        assert abs(f - want) < 0.5 / float(RATE)
        assert abs(b - f) < 0.003, (f, b)  # audio within 3 ms of the picture
    late = [b - f for f, b in zip(flash_times(kept), beep_times(kept), strict=True)]
    assert all(abs(d - 1024 / AUDIO_HZ) < 0.003 for d in late)
    with av.open(str(out)) as c:
        audio = c.streams.audio[0]
        assert abs(float(audio.start_time * audio.time_base)) < 0.001
