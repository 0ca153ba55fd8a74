"""What tests and benchmarks share: the canonical talk, command lines, reading media back,
a loopback file server. Plain functions; fixtures stay in conftest.py."""

from __future__ import annotations

import contextlib
import http.server
import itertools
import json
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

# The canonical scripted talk: a greeting, topical sentences the sample library holds, filler
# and a change of subject, and a sign-off, each with the clip a viewer should see (None: the
# speaker). Benchmarks use all of it; tests pick a few.
TALK_SCRIPT: list[tuple[str, str | None]] = [
    ("Hi everyone, welcome back to the channel.", None),
    ("Every morning starts with a double espresso.", "coffee-pour"),
    ("Then I work on my side project, a little Python app.", "laptop-code"),
    ("Um, okay, so, yeah.", None),
    ("The markets have been wild, my index fund is up this year.", "stock-chart"),
    ("Last weekend we climbed to a summit in the Alps.", "mountain-hike"),
    ("Anyway, moving on.", None),
    ("SpaceX is launching another Starship next week.", "rocket-launch"),
    ("I finally switched to an electric car.", "electric-car"),
    ("Rain has been pouring down all week here.", "rain-window"),
    ("We had a long team meeting about the launch.", "team-meeting"),
    ("Thanks for watching, see you next time.", None),
]
TALK = [text for text, _ in TALK_SCRIPT]


def livedirector(*args: str) -> list[str]:
    """The `livedirector` command line, run by this interpreter."""
    return [sys.executable, "-m", "livedirector_desktop", *args]


def session_cmd(command: str, talk: Path, transcript: Path | None, library: Path, *extra: str):
    """`livedirector live|studio` with a talk file as camera and microphone (and its timed
    transcript replayed, when given, instead of speech recognition)."""
    listen = ["--transcript", str(transcript)] if transcript is not None else []
    return livedirector(
        command,
        "--camera",
        str(talk),
        "--mic",
        str(talk),
        *listen,
        "--library",
        str(library),
        *extra,
    )


def file_session(
    library, talk: Path, transcript: Path | None, *, camera=True, config=None, settings=None, **kw
):
    """A live session playing a talk file as camera and microphone, its transcript replayed
    (None: no recognizer), with the keyword director (no LLM: fast and deterministic) and
    its `settings` (DirectorSettings; None: the defaults)."""
    from livedirector_desktop.asr.replay import ReplayRecognizer
    from livedirector_desktop.director.director import Director
    from livedirector_desktop.director.reasoner import KeywordReasoner
    from livedirector_desktop.media.sources import FileAudioSource, FileVideoSource
    from livedirector_desktop.pipeline.live import LiveConfig, LiveSession

    return LiveSession(
        library,
        Director(library, KeywordReasoner(), settings),
        ReplayRecognizer.from_file(transcript) if transcript else None,
        FileVideoSource(talk) if camera else None,
        FileAudioSource(talk),
        config or LiveConfig(width=640, height=360),
        **kw,
    )


def stream_info(path: Path) -> dict:
    """Lengths and first frame of a recording's video and audio, as a player sees them."""
    import av

    with av.open(str(path)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        frames = [f.time for f in c.decode(v)]
        return {
            "video_s": float(v.duration * v.time_base) if v.duration else frames[-1],
            "audio_s": float(a.duration * a.time_base) if a.duration else None,
            "frames": len(frames),
            "first_video_s": frames[0],
            "w": v.codec_context.width,
        }


def frame_at(path: Path, t_s: float) -> np.ndarray:
    """The first video frame at or after t_s, as BGR."""
    import av

    with av.open(str(path)) as c:
        for frame in c.decode(c.streams.video[0]):
            if frame.time >= t_s:
                return frame.to_ndarray(format="bgr24")
    raise AssertionError(f"no frame at {t_s} s in {path}")


def flash_times(path: Path, luma_above: float = 128.0) -> list[float]:
    """When a flash-and-beep video's flashes start (s): frames much brighter than the rest."""
    import av

    times, bright = [], False
    with av.open(str(path)) as c:
        for frame in c.decode(c.streams.video[0]):
            y = frame.to_ndarray(format="gray")
            now = float(y.mean()) > luma_above
            if now and not bright:
                times.append(float(frame.time))
            bright = now
    return times


def beep_times(path: Path, level: float = 0.1, min_gap_s: float = 0.3) -> list[float]:
    """When the beeps of a flash-and-beep recording start (s), read from its decoded audio."""
    import av

    chunks, rate, start = [], 48000, None
    with av.open(str(path)) as c:
        stream = c.streams.audio[0]
        for frame in c.decode(stream):
            if start is None:
                start = float(frame.time or 0.0)
            rate = frame.sample_rate
            chunks.append(frame.to_ndarray().mean(axis=0))
    audio = np.abs(np.concatenate(chunks)) if chunks else np.zeros(0)
    loud = np.flatnonzero(audio > level)
    times: list[float] = []
    for i in loud:
        t = (start or 0.0) + i / rate
        if not times or t - times[-1] >= min_gap_s:
            times.append(t)
    return times


def av_offsets_s(path: Path) -> list[float]:
    """For each flash of a recording, its nearest beep's time minus the flash's (s)."""
    flashes, beeps = flash_times(path), beep_times(path)
    if not beeps:
        return []
    return [min(beeps, key=lambda b: abs(b - f)) - f for f in flashes]


@contextlib.contextmanager
def serve_folder(www: Path) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 for a folder; yields its base URL.

    /cut/NAME sends half of NAME and hangs up, as a dropped download does.
    """

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, directory=str(www), **kwargs)

        def log_message(self, *_args) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            if not self.path.startswith("/cut/"):
                super().do_GET()
                return
            data = (www / self.path[5:]).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.connection.close()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def make_sample_library(tmp: Path) -> Path:
    """The bundled sample clips, generated and imported with the CLI; returns the library."""
    import subprocess

    clips, library = tmp / "clips", tmp / "lib"
    subprocess.run(livedirector("library", "samples", str(clips)), check=True, capture_output=True)
    subprocess.run(
        livedirector("library", "import", str(clips), "--library", str(library)),
        check=True,
        capture_output=True,
    )
    return library


# ------------------------------------------------------------------ what a viewer sees

SPEAKER = "speaker"


def _patch(image: np.ndarray) -> np.ndarray:
    """Median colour of a strip at the left edge, mid-height: B-roll there in fullscreen and
    picture-in-picture, the backdrop when the speaker is full screen, clear of the clips'
    moving circle and title."""
    h, w = image.shape[:2]
    strip = image[int(0.40 * h) : int(0.60 * h), int(0.01 * w) : int(0.05 * w)]
    return np.median(strip.reshape(-1, 3), axis=0)


def clip_signatures(library_dir: Path, width: int, height: int) -> dict[str, np.ndarray]:
    """What each clip of a library looks like in that strip, at the program's size."""
    import av
    import cv2

    from livedirector_desktop.library.asset import read_sidecar

    signatures: dict[str, np.ndarray] = {}
    for sidecar in sorted(Path(library_dir).glob("*.json")):
        clip = sidecar.with_suffix(".mp4")
        if not clip.exists():
            continue
        asset_id = read_sidecar(sidecar).get("id") or clip.stem
        with av.open(str(clip)) as c:
            frame = next(c.decode(c.streams.video[0])).to_ndarray(format="bgr24")
        signatures[asset_id] = _patch(cv2.resize(frame, (width, height)))
    return signatures


STEADY_S = 0.2


def classify_frames(
    video: Path, signatures: dict[str, np.ndarray], within: float | None = None
) -> list[tuple[float, str | None]]:
    """(time, what is fully on screen) for every frame: a clip id, SPEAKER, or None while a
    crossfade (or anything else) shows. A frame is a clip's when it is within `within` of
    it: by default half the distance between the two closest looks, so a blend or a
    neighbour is never taken for it."""
    import itertools as it

    import av

    from livedirector_desktop.media.synthetic import BACKDROP_BGR

    known = {**signatures, SPEAKER: np.array(BACKDROP_BGR, dtype=float)}
    if within is None:
        closest = min(float(np.abs(a - b).max()) for a, b in it.combinations(known.values(), 2))
        within = min(14.0, closest / 2)
    out = []
    with av.open(str(video)) as c:
        for frame in c.decode(c.streams.video[0]):
            colour = _patch(frame.to_ndarray(format="bgr24"))
            name, dist = min(
                ((k, float(np.abs(colour - v).max())) for k, v in known.items()),
                key=lambda kv: kv[1],
            )
            out.append((float(frame.time), name if dist <= within else None))
    # A crossfade between two clips passes through colours near a third for up to ~0.15 s
    # (seen: a glacier-to-ocean fade read as the forest for 4 frames at 30 fps): a look
    # counts only once it holds for STEADY_S (no shot is that short: min_on_screen_ms).
    # The speaker counts from 3 frames: a glimpse of them between two clips is a flash.
    labels = [k for _, k in out]
    n = 0
    while n < len(labels):
        end = n
        while end < len(labels) and labels[end] == labels[n]:
            end += 1
        held_s = (out[end][0] if end < len(out) else out[-1][0] + 1 / 30) - out[n][0]
        steady_s = 0.09 if labels[n] == SPEAKER else STEADY_S
        if held_s < steady_s:
            for m in range(n, end):
                out[m] = (out[m][0], None)
        n = end
    return out


def score_timeline(frames: list[tuple[float, str | None]], sentences: list[dict]) -> dict:
    """The viewer's view of a talk's B-roll, sentence by sentence.

    sentences: {text, start, end (s), expected (clip id or None)}. For a topical sentence:
    when its clip was first fully on screen, relative to the sentence's start and end (None:
    never, while the sentence or the pause after it lasted). For the speaker's sentences
    (filler, greetings): how far into the sentence B-roll stayed. For every sentence: how
    many times the clip on screen changed during it.
    """
    rows = []
    for n, s in enumerate(sentences):
        nxt = sentences[n + 1]["start"] if n + 1 < len(sentences) else s["end"] + 2.0
        during = [(t, k) for t, k in frames if s["start"] <= t < s["end"]]
        row = {"text": s["text"], "expected": s["expected"]}
        if s["expected"]:
            onset = next(
                (t for t, k in frames if s["start"] - 1.0 <= t < nxt and k == s["expected"]),
                None,
            )
            row["onset_from_start_s"] = None if onset is None else round(onset - s["start"], 3)
            row["onset_from_end_s"] = None if onset is None else round(onset - s["end"], 3)
        else:
            covered = [t for t, k in during if k != SPEAKER]
            row["broll_into_sentence_s"] = (
                round(max(covered) - s["start"] + 1 / 30, 3) if covered else 0.0
            )
        shown = [k for _, k in during if k is not None]
        # cuts: every change of what is fully on screen (speaker included); clip changes:
        # B-roll clips that came on during the sentence other than the one up before.
        row["cuts"] = sum(1 for a, b in itertools.pairwise(shown) if a != b)
        before = next((k for t, k in reversed(frames) if t < s["start"] and k), None)
        clips = [k for k in shown if k != SPEAKER]
        previous = before if before != SPEAKER else None
        row["changes"] = 0
        for k in clips:
            if k != previous:
                row["changes"] += 1
                previous = k
        rows.append(row)
    topical = [r for r in rows if r["expected"]]
    onsets_end = [r["onset_from_end_s"] for r in topical if r["onset_from_end_s"] is not None]
    onsets_start = [r["onset_from_start_s"] for r in topical if r["onset_from_start_s"] is not None]
    filler = [r["broll_into_sentence_s"] for r in rows if not r["expected"]]
    return {
        "sentences": rows,
        "topical_shown": f"{len(onsets_end)}/{len(topical)}",
        "onset_from_end_s_median": (round(float(np.median(onsets_end)), 3) if onsets_end else None),
        "onset_from_start_s_median": (
            round(float(np.median(onsets_start)), 3) if onsets_start else None
        ),
        "onset_from_start_s_max": round(max(onsets_start), 3) if onsets_start else None,
        "filler_broll_s_max": round(max(filler), 3) if filler else None,
        "changes_per_sentence_max": max(r["changes"] for r in rows) if rows else 0,
        "cuts_per_sentence_max": max(r["cuts"] for r in rows) if rows else 0,
    }


# ------------------------------------------------------------------ a talk at natural pace

SHARED = Path(os.environ.get("LIVEDIRECTOR_SHARED", ROOT.parent / "shared")).resolve()
DEV_SET = SHARED / "data" / "dev_set.jsonl"
DEV_CATALOG = SHARED / "data" / "dev_library" / "catalog.json"
# Sentences of the dev set that ask for no clip, in the talk between its topics.
_ASIDES = [
    "Um, so, where was I? Let me think for a second.",
    "Okay, so, yeah.",
    "Okay, give me one moment while I check my notes.",
    "If you have questions, drop them below.",
]


def natural_talk(
    topics: int = 25, per_topic: int = 2, seed: int = 7, dev_set: Path | None = None
) -> tuple[list[tuple[str, str | None]], list[float]]:
    """A monologue as people give one: the dev set's sentences in topic order, `per_topic`
    on each subject, an aside every five subjects, a greeting and a sign-off; and the pause
    after each sentence, drawn from 0.3-2 s. Returns (text, expected clip) and the pauses."""
    import json
    import random

    by_topic: dict[str, list[str]] = {}
    for line in Path(dev_set or DEV_SET).read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["expected"]:
            by_topic.setdefault(row["expected"], []).append(row["text"])
    chosen = [(k, v[:per_topic]) for k, v in by_topic.items() if len(v) >= per_topic][:topics]
    talk: list[tuple[str, str | None]] = [
        ("Hi everyone, welcome back to the channel.", None),
        ("Let's get started.", None),
    ]
    for n, (expected, texts) in enumerate(chosen):
        if n and n % 5 == 0:
            talk.append((_ASIDES[(n // 5 - 1) % len(_ASIDES)], None))
        talk += [(text, expected) for text in texts]
    talk += [
        ("That is basically it for today.", None),
        ("Thanks for watching, see you next time.", None),
    ]
    rng = random.Random(seed)
    return talk, [round(rng.uniform(0.3, 2.0), 2) for _ in talk]


def coloured_catalog(catalog: list[dict]) -> list[dict]:
    """The catalog with a colour for each clip far from every other (and from the speaker's
    backdrop), so dozens of clips are told apart by pixels."""
    import itertools as it

    from livedirector_desktop.media.synthetic import BACKDROP_BGR

    levels = (20, 110, 200, 255)
    lattice = [
        c
        for c in it.product(levels, repeat=3)
        if max(c) - min(c) >= 90
        and max(abs(a - b) for a, b in zip(c, BACKDROP_BGR, strict=True)) >= 90
    ]
    if len(lattice) < len(catalog):
        raise ValueError(f"{len(catalog)} clips, {len(lattice)} colours")
    return [{**entry, "colour_bgr": list(lattice[n])} for n, entry in enumerate(catalog)]


def coverage_score(frames: list[tuple[float, str | None]], sentences: list[dict]) -> dict:
    """What a viewer sees of a long talk's B-roll (`score_timeline`, and more):
    coverage (the share of each topical sentence, from its start to 0.5 s past its end, with
    its own clip fully on screen), the share with another clip up, and flashes of the
    speaker between two consecutive sentences that ask for the same clip."""
    score = score_timeline(frames, sentences)
    times = np.array([t for t, _ in frames])
    labels = [k for _, k in frames]
    rows = score["sentences"]
    for row, s in zip(rows, sentences, strict=True):
        if not s["expected"]:
            continue
        lo, hi = np.searchsorted(times, s["start"]), np.searchsorted(times, s["end"] + 0.5)
        window = labels[lo:hi] or [None]
        row["coverage"] = round(sum(k == s["expected"] for k in window) / len(window), 3)
        row["other_clip"] = round(
            sum(k not in (None, SPEAKER, s["expected"]) for k in window) / len(window), 3
        )
    flashes = 0  # the clip up as the first ends, the speaker, then the clip again
    for a, b in itertools.pairwise(sentences):
        if a["expected"] and a["expected"] == b["expected"]:
            lo, hi = np.searchsorted(times, a["end"]), np.searchsorted(times, b["end"] + 0.5)
            seen = [k for k in labels[lo:hi] if k is not None]
            if seen and seen[0] == a["expected"] and SPEAKER in seen:
                flashes += a["expected"] in seen[seen.index(SPEAKER) :]
    covered = [r["coverage"] for r in rows if "coverage" in r]
    score.update(
        {
            "covered_half": f"{sum(c >= 0.5 for c in covered)}/{len(covered)}",
            "coverage_mean": round(float(np.mean(covered)), 3) if covered else None,
            "other_clip_mean": round(
                float(np.mean([r["other_clip"] for r in rows if "other_clip" in r])), 3
            )
            if covered
            else None,
            "same_clip_flashes": flashes,
        }
    )
    return score


def dev_footage() -> dict:
    """The shared dev footage set: a creator's folder as it is (no sidecars) and sentences."""
    return json.loads((SHARED / "data" / "dev_footage.json").read_text(encoding="utf-8"))


def make_footage_folder(dest: Path, spec: dict | None = None, seconds: float = 1.0) -> Path:
    """Build the dev footage folder: small playable clips named and filed as the set says,
    with the embedded fields it gives written into their containers; no sidecars."""
    from livedirector_desktop.library.samples import write_clip

    spec = spec or dev_footage()
    for clip in spec["clips"]:
        path = dest / clip["path"]
        if not path.exists():
            entry = {"id": Path(clip["path"]).stem, "title": Path(clip["path"]).name}
            write_clip(
                entry, path, width=320, height=180, seconds=seconds, fps=10,
                embedded=clip.get("embedded"),
            )  # fmt: skip
    return dest


# ---------------------------------------------------------------- real speech

LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")


def librivox_talk(gap_s: float = 1.0) -> tuple[np.ndarray, str]:
    """Real read speech (five LibriVox clips of "Sense and Sensibility", Debian's
    pocketsphinx-testdata) as one 16 kHz int16 talk, `gap_s` of silence after each clip,
    and its transcript."""
    import re
    import wave

    listing = LIBRIVOX / "transcription"
    if not listing.is_file():
        raise FileNotFoundError(
            f"{listing} is missing: apt-get install pocketsphinx-testdata "
            "(scripts/system-deps.sh --test installs it)"
        )
    references = {}
    for line in listing.read_text().splitlines():
        m = re.match(r"<s> (.*) </s> \((.*)\)", line)
        if m:
            references[m.group(2)] = m.group(1)
    parts, texts = [], []
    for name in sorted(references):
        with wave.open(str(LIBRIVOX / f"{name}.wav")) as w:
            assert w.getframerate() == 16000 and w.getnchannels() == 1
            parts.append(np.frombuffer(w.readframes(w.getnframes()), np.int16))
        parts.append(np.zeros(int(gap_s * 16000), np.int16))
        texts.append(references[name])
    return np.concatenate(parts), " ".join(texts)


def pink_noise(n: int, seed: int = 0) -> np.ndarray:
    """Unit-RMS pink (1/f) noise: the spectrum of a room's fans and air handling."""
    spectrum = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))
    noise = np.fft.irfft(spectrum, n)
    return noise / np.std(noise)


def with_noise(pcm16: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    """`pcm16` with pink noise `snr_db` below its speech (the level of its voiced samples)."""
    speech = pcm16.astype(np.float64)
    level = np.sqrt(np.mean(speech[np.abs(speech) > 300] ** 2))
    noisy = speech + pink_noise(len(speech), seed) * level / 10 ** (snr_db / 20)
    return np.clip(noisy, -32768, 32767).astype(np.int16)


def normalise_words(text: str) -> list[str]:
    import re

    return re.sub(r"[^\w\s']", " ", text.lower()).replace("'", "").split()


def edit_distance(ref: list, hyp: list) -> int:
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word error rate after lower-casing and dropping punctuation ("ill-disposed" is
    "ill disposed"); numbers are not normalised."""
    ref, hyp = normalise_words(reference), normalise_words(hypothesis)
    return edit_distance(ref, hyp) / max(len(ref), 1)
