"""Recovery after kill -9: a real recording process (Mp4Writer + journal) killed mid-write,
then finished by recovery into a playable MP4 whose sidecars match the journal."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from livedirector_desktop.core.files import partial_name
from livedirector_desktop.recorder.journal import journal_path, read_journal
from livedirector_desktop.recorder.recovery import find_interrupted, recover, recover_all
from livedirector_desktop.sessions.store import SessionStore

ROOT = Path(__file__).resolve().parent.parent

# A stand-in for the studio's writer thread: 30 fps 320x240 video + AAC, a cue every
# second, B-roll segments opened and closed, all paced in real time until it is killed.
RECORDER = r"""
import sys, time
from fractions import Fraction
from pathlib import Path
import av, numpy as np
from livedirector_desktop.recorder.journal import RecordingJournal
from livedirector_desktop.recorder.writer import Mp4Writer

final = Path(sys.argv[1])
fps, w, h = 30, 320, 240
writer = Mp4Writer(final, w, h, Fraction(fps), video_time_base=Fraction(1, 90000),
                   audio_rate_hz=48000, audio_layout="mono", preset="ultrafast")
journal = RecordingJournal(final, w, h, fps, "pip", session_id=int(sys.argv[2]))
t = np.arange(1600) / 48000
for i in range(100000):
    ms = i * 1000 / fps
    img = np.zeros((h * 3 // 2, w), np.uint8)
    img[:h] = (i * 4) % 256
    img[h:] = 128
    writer.write_i420(img, i * 3000)
    pcm = (0.2 * np.sin(2 * np.pi * 440 * (t + i / fps)) * 32767).astype(np.int16)
    frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = 48000
    writer.write_audio_frame(frame)
    if i % fps == 0:
        n = i // fps
        journal.cue(f"sentence number {n}", ms, ms + 800)
        if n % 2 == 0:
            journal.open_segment(ms, f"clip-{n}", 0.5 + n / 100, f"sentence number {n}",
                                 "llm", "matched", title=f"Clip {n}", clip_path=f"/clips/{n}.mp4")
        else:
            journal.close_segment(ms + 500)
    if i == fps * 3:
        print("ready", flush=True)
    time.sleep(1 / fps)
"""


def record_and_kill(final: Path, session_id: int, seconds: float = 4.5) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", RECORDER, str(final), str(session_id)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        time.sleep(seconds - 3)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    assert partial_name(final).is_file() and journal_path(final).is_file()
    assert not final.exists()


def decoded(path: Path) -> tuple[int, float, bool]:
    """(video frames decoded, duration in s, has audio) read back with PyAV."""
    import av

    with av.open(str(path)) as c:
        has_audio = bool(c.streams.audio)
        frames = sum(1 for _ in c.decode(c.streams.video[0]))
        return frames, c.duration / 1e6 if c.duration else 0.0, has_audio


def test_kill_9_mid_recording_then_recover(tmp_path):
    folder = tmp_path / "recordings"
    final = folder / "session-1.mp4"
    store = SessionStore(tmp_path / "sessions.sqlite")
    session_id = store.begin(final, "pip")
    record_and_kill(final, session_id)

    found = find_interrupted([folder])
    assert [(i.partial, i.intended) for i in found] == [(partial_name(final), final)]
    assert not found[0].in_use  # its writer is dead
    journal = read_journal(journal_path(final))

    result = recover(partial_name(final), store)
    assert result.ok, result.message
    assert result.path == final and final.is_file()
    assert not partial_name(final).exists() and not journal_path(final).exists()
    frames, duration_s, has_audio = decoded(final)
    # Real time, killed after ~4.5 s: all whole fragments (1 s each) survive.
    assert frames >= 90 and 3.0 <= duration_s <= 6.0 and has_audio
    assert result.frames == frames
    if shutil.which("ffprobe"):
        probe = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", final],
            capture_output=True,
            text=True,
            check=True,
        )
        assert abs(float(json.loads(probe.stdout)["format"]["duration"]) - duration_s) < 0.5

    # The sidecars say what the journal logged, within what the video holds.
    end_ms = result.duration_ms
    timeline = json.loads(final.with_suffix(".json").read_text())
    assert timeline["recovered"] is True and timeline["layout"] == "pip"
    expected = [s for s in journal.segments if s.start_ms < end_ms]
    assert [s["asset_id"] for s in timeline["segments"]] == [s.asset_id for s in expected]
    for got, want in zip(timeline["segments"], expected, strict=True):
        assert got["start_ms"] == round(want.start_ms, 1)
        assert got["end_ms"] == round(min(want.end_ms, end_ms), 1)
        assert got["title"] == f"Clip {want.asset_id.split('-')[1]}"
    srt = final.with_suffix(".srt").read_text()
    cues = [c for c in journal.cues if c.start_ms < end_ms]
    assert len(cues) >= 3 and srt.count(" --> ") == len(cues)
    assert all(c.text in srt for c in cues)
    edl = final.with_suffix(".edl").read_text()
    assert re.search(r"FROM CLIP NAME:\s+0\.mp4", edl)

    row = store.find_by_path(final, unfinished_only=False)
    assert row.id == session_id and row.finished and row.recovered
    assert row.sentences == len(journal.cues) and abs(row.duration_ms - end_ms) < 1


def test_recovery_never_overwrites_and_keeps_what_it_cannot_read(tmp_path):
    folder = tmp_path / "recordings"
    final = folder / "talk.mp4"
    store = SessionStore(tmp_path / "sessions.sqlite")
    session_id = store.begin(final, "pip")
    record_and_kill(final, session_id, seconds=3.5)
    final.write_bytes(b"the user's own file")  # appeared at the intended name meanwhile
    final.with_suffix(".srt").write_text("the user's captions")

    broken = folder / ".broken.partial.mp4"
    broken.write_bytes(b"")  # killed before the first byte
    os.utime(broken, (time.time() - 120, time.time() - 120))  # no journal: old means dead
    results = {r.intended.name: r for r in recover_all([folder], store)}
    assert final.read_bytes() == b"the user's own file"
    assert final.with_suffix(".srt").read_text() == "the user's captions"
    good = results["talk.mp4"]
    assert good.ok and good.path == folder / "talk (recovered).mp4"
    assert decoded(good.path)[0] >= 60
    assert (folder / "talk (recovered).json").is_file()
    bad = results["broken.mp4"]
    assert not bad.ok and "kept as" in bad.message
    assert not broken.exists() and (folder / ".broken.partial.unrecoverable.mp4").exists()
    assert find_interrupted([folder]) == []  # nothing left to nag about


def cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "livedirector_desktop", "sessions", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )


def test_sessions_list_and_recover_cli(tmp_path):
    home = tmp_path / "home"
    env = {**os.environ, "LIVEDIRECTOR_HOME": str(home)}
    out = cli("list", "--json", env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"sessions": [], "interrupted": []}
    assert not home.exists()  # looking creates nothing

    final = home / "recordings" / "session-9.mp4"
    store = SessionStore(home / "sessions.sqlite")
    session_id = store.begin(final, "side-by-side")
    record_and_kill(final, session_id, seconds=3.5)
    listed = json.loads(cli("list", "--json", env=env).stdout)
    assert listed["sessions"][0]["finished"] is False
    assert listed["interrupted"][0]["intended"] == str(final)

    out = cli("recover", env=env)
    assert out.returncode == 0 and "recovered" in out.stdout, out.stderr
    assert final.is_file() and "Traceback" not in out.stderr
    listed = json.loads(cli("list", "--json", env=env).stdout)
    assert listed["interrupted"] == [] and listed["sessions"][0]["recovered"] is True
    out = cli("recover", "--json", env=env)
    assert out.returncode == 0 and json.loads(out.stdout) == []


@pytest.mark.parametrize("torn", ['{"type": "cue", "text": "cut', "\x00\x00"])
def test_a_torn_journal_line_is_skipped(tmp_path, torn):
    from livedirector_desktop.recorder.journal import RecordingJournal

    final = tmp_path / "x.mp4"
    journal = RecordingJournal(final, 640, 360, 30, "pip")
    journal.cue("hello there", 0, 900)
    journal.open_segment(0, "rocket", 0.7, "hello there", "llm", "matched")
    journal.close()
    with journal_path(final).open("a") as fh:
        fh.write(torn)
    state = read_journal(journal_path(final))
    assert state.bad_lines == 1 and [c.text for c in state.cues] == ["hello there"]
    assert state.segments[0].asset_id == "rocket" and state.segments[0].end_ms == float("inf")


def test_kill_9_of_live_loses_at_most_the_last_fragment_of_program_and_camera(
    sample_library, tmp_path
):
    """`live` recording (the program and the clean camera beside it) killed with kill -9;
    recovery right after finishes both files, each missing at most 1.5 s of what was
    recorded, picture and sound together exactly as they were written."""
    from livedirector_desktop.core.files import camera_copy_path
    from livedirector_desktop.media.synthetic import write_flash_beep
    from tests.support import av_offsets_s, session_cmd

    talk = tmp_path / "flash-beep.mp4"
    write_flash_beep(talk, seconds=20.0, width=640, height=360)
    transcript = tmp_path / "talk.json"  # one sentence, after the kill: nothing to decide
    transcript.write_text(json.dumps({"segments": [{"text": "Hi.", "start": 30, "end": 31}]}))
    out = tmp_path / "takes" / "take.mp4"
    cmd = session_cmd(
        "live", talk, transcript, sample_library.root, "--record", str(out),
        "--reasoner", "keyword", "--resolution", "480p", "--no-captions",
    )  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not partial_name(out).exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
        time.sleep(0.01)
    started = time.monotonic()  # the file opens as the recording starts
    time.sleep(6.3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    recorded_s = time.monotonic() - started
    as_written = {}
    for path in (out, camera_copy_path(out)):
        shutil.copyfile(partial_name(path), tmp_path / f"{path.stem}.as-written.mp4")
        as_written[path] = av_offsets_s(tmp_path / f"{path.stem}.as-written.mp4")

    results = {r.intended: r for r in recover_all([out.parent])}

    # The camera copy has no journal of its own: its program's names the dead writer.
    assert set(results) == {out, camera_copy_path(out)}
    for path, result in results.items():
        assert result.ok and result.path == path, result.message
        kept_s = result.duration_ms / 1000
        assert recorded_s - 1.5 <= kept_s <= recorded_s + 0.1, (path.name, kept_s, recorded_s)
        offsets = av_offsets_s(path)
        assert len(offsets) >= int(kept_s) - 1
        # The remux moves no packet: sound is where the recording put it, with the picture.
        assert offsets == pytest.approx(as_written[path][: len(offsets)], abs=0.002)
        assert max(abs(o) for o in offsets) <= 0.05, offsets
