"""Figures drawn on screen, read back from the pixels by OCR (tesseract), in `render` and
in a live recording; the editors' files and the control API carry them.

A talk of ten figure sentences (half in words, half in digits) among sentences with no
figure (a greeting, filler, a small count, a sign-off), at natural pauses (0.3-2 s).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from livedirector_desktop.compositor.figure_card import FigureStyle
from livedirector_desktop.core.figure import figure_of, is_figure
from livedirector_desktop.media.synthetic import speak, write_talk
from tests.support import file_session, frame_at, livedirector

pytestmark = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="tesseract-ocr (Debian) reads the figures"
)

# (sentence, the numbers its figure must show; None: no figure may be on screen)
TALK = [
    ("Hi everyone, welcome back to the channel.", None),
    ("Our revenue grew twenty percent last year.", ["20"]),
    ("Bitcoin hit $100,000 for the first time.", ["100,000"]),
    ("Um, okay, so, yeah.", None),
    ("We went from five hundred to two thousand subscribers.", ["500", "2,000"]),
    ("The stock fell 12% after the earnings call.", ["12"]),
    ("I have two kids and a dog.", None),
    ("The festival drew 80,000 visitors.", ["80,000"]),
    ("Support for the plan is down seven points.", ["7"]),
    ("The movie made one point two billion dollars worldwide.", ["1.2"]),
    ("Home prices rose 17 percent in 2024.", ["17"]),
    ("Our team grew from 12 to 150 people.", ["12", "150"]),
    ("The channel now has fifty thousand followers.", ["50,000"]),
    ("Thanks for watching, see you next time.", None),
]
PAUSES_S = [0.6, 1.4, 0.9, 1.8, 0.4, 1.1, 2.0, 0.7, 1.5, 0.3, 1.2, 0.8, 1.6, 1.0]
WIDTH, HEIGHT = 854, 480
STYLE = FigureStyle()


@pytest.fixture(scope="module")
def figure_talk(tmp_path_factory) -> tuple[Path, Path, list[dict]]:
    out = tmp_path_factory.mktemp("figure-talk")
    audio, segments = speak([text for text, _ in TALK], gap_s=PAUSES_S)
    audio = np.concatenate([audio, np.zeros(22050 * 2, np.float32)])
    video = write_talk(out / "talk.mp4", audio, 22050, width=WIDTH, height=HEIGHT, fps=30)
    transcript = out / "talk.json"
    transcript.write_text(json.dumps({"segments": segments}))
    return video, transcript, segments


def card_region(frame_bgr: np.ndarray) -> np.ndarray:
    x, y, w, h = STYLE.rect().pixels(frame_bgr.shape[1], frame_bgr.shape[0])
    return frame_bgr[y : y + h, x : x + w]


def card_up(frame_bgr: np.ndarray) -> bool:
    """The card's dark panel fills the figure's place (the talk's backdrop is lighter)."""
    region = card_region(frame_bgr).astype(int)
    dark = (region.max(axis=2) < 45).mean()
    return dark > 0.5


def ocr(frame_bgr: np.ndarray) -> str:
    """What tesseract reads in the figure's place, at three text sizes (it reads letters
    20-40 px high best; the card's number is 80 px at 480p), joined."""
    texts = []
    for scale in (1.0, 0.5, 0.35):
        card = cv2.resize(card_region(frame_bgr), None, fx=scale, fy=scale,
                          interpolation=cv2.INTER_AREA)  # fmt: skip
        grey = 255 - cv2.cvtColor(card, cv2.COLOR_BGR2GRAY)
        _, grey = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        grey = cv2.copyMakeBorder(grey, 20, 20, 20, 20, cv2.BORDER_CONSTANT, value=255)
        png = cv2.imencode(".png", grey)[1].tobytes()
        run = subprocess.run(
            ["tesseract", "stdin", "stdout", "--psm", "11"], input=png, capture_output=True
        )
        texts.append(run.stdout.decode(errors="replace"))
    return " | ".join(" ".join(t.split()) for t in texts)


def reads(text: str, numbers: list[str]) -> bool:
    """Every number of the figure read, in one of the sizes."""
    return any(
        all(re.sub(r"[^\d]", "", n) in re.sub(r"[^\d]", "", part) for n in numbers)
        for part in text.split(" | ")
    )


def check_pixels(video: Path, segments: list[dict], lag_s: float = 0.0) -> dict:
    """For each figure sentence: the first time, from its start to 1.5 s after its end,
    that OCR reads its numbers; for each other sentence: whether a card is up in its
    middle (a figure left over, or one invented)."""
    found: dict[str, float | None] = {}
    over_other: list[str] = []
    for (text, numbers), seg in zip(TALK, segments, strict=True):
        start, end = seg["start"] + lag_s, seg["end"] + lag_s
        if numbers is None:
            mid = max((start + end) / 2, start + 1.0)
            if card_up(frame_at(video, min(mid, end))):
                over_other.append(text)
            continue
        found[text] = None
        t = start
        while t <= end + 1.5:
            frame = frame_at(video, t)
            if card_up(frame) and reads(ocr(frame), numbers):
                found[text] = round(t - seg["end"], 2)  # negative: while it is said
                break
            t += 0.5
    return {"found": found, "over_other": over_other}


def test_render_draws_each_figure_while_it_is_said(figure_talk, sample_library, tmp_path):
    video, transcript, segments = figure_talk
    out = tmp_path / "figures.mp4"
    run = subprocess.run(
        livedirector(
            "render", str(video), "--transcript", str(transcript), "--library",
            str(sample_library.root), "--reasoner", "keyword", "-o", str(out),
        ),
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    result = check_pixels(out, segments)
    missing = [t for t, when in result["found"].items() if when is None]
    assert not missing, result
    # Read while the sentence is spoken, in the final cut: the card is up as it begins.
    assert all(when <= 0 for when in result["found"].values()), result
    assert not result["over_other"], result

    # The editors' files: a generator item on V2 that says the figure, read back by OTIO.
    import opentimelineio as otio

    timeline = otio.adapters.read_from_file(str(out.with_suffix(".otio")))
    items = [
        c for c in timeline.tracks[1].find_clips()
        if isinstance(c.media_reference, otio.schema.GeneratorReference)
    ]  # fmt: skip
    assert len(items) == 10
    assert items[0].media_reference.generator_kind == "LiveDirectorFigure"
    assert items[0].media_reference.parameters["headline"] == "+20%"
    assert items[0].metadata["livedirector"]["path"] == "figure"
    for suffix in (".xml", ".fcpxml", ".edl"):  # offline clips named by what they say
        extra = {"rate": 30} if suffix == ".edl" else {}
        edit = otio.adapters.read_from_file(str(out.with_suffix(suffix)), **extra)
        names = [c.name for c in edit.find_clips()]
        assert any(n.startswith("Figure +20%") for n in names), (suffix, names)
    decisions = json.loads(out.with_suffix(".json").read_text())
    shown = [s["asset_id"] for s in decisions["segments"] if is_figure(s["asset_id"])]
    assert figure_of(shown[0]).value == 20


def test_live_draws_each_figure_within_a_moment_and_the_api_announces_it(
    figure_talk, sample_library, tmp_path
):
    from livedirector_desktop.core.events import ShotChanged
    from livedirector_desktop.pipeline.headless import run_headless
    from livedirector_desktop.pipeline.live import LiveConfig

    video, transcript, segments = figure_talk
    session = file_session(
        sample_library, video, transcript, config=LiveConfig(width=WIDTH, height=HEIGHT)
    )
    shots: list[ShotChanged] = []
    session.hub.subscribe(ShotChanged, shots.append)
    out = tmp_path / "live.mp4"
    run_headless(session, record=out)
    result = check_pixels(out, segments)
    late = [t for t, when in result["found"].items() if when is None]
    assert not late, result
    assert not result["over_other"], result
    figures = [s for s in shots if is_figure(s.asset_id)]
    assert len({s.asset_id for s in figures}) == 10
    assert session.stats.late_ticks / max(1, session.stats.ticks) < 0.05

    # The final cut of that recording: each figure up while its sentence is said.
    from livedirector_desktop.pipeline.conform import conform

    final = tmp_path / "live.final.mp4"
    conform(out, final, sample_library)
    cut = check_pixels(final, segments)
    assert all(when is not None and when <= 0 for when in cut["found"].values()), cut
    assert not cut["over_other"], cut


@pytest.mark.server
def test_the_control_api_announces_a_figure_and_dismisses_it(sample_library, tmp_path):
    from livedirector_desktop.control.server import ControlServer
    from tests.test_control_api import connect, next_of

    audio, segments = speak(
        ["Hi everyone, welcome back.", "Our revenue grew twenty percent last year."], gap_s=0.8
    )
    audio = np.concatenate([audio, np.zeros(22050 * 8, np.float32)])  # the figure stays a while
    video = write_talk(tmp_path / "talk.mp4", audio, 22050, width=320, height=180, fps=30)
    transcript = tmp_path / "talk.json"
    transcript.write_text(json.dumps({"segments": segments}))
    session = file_session(sample_library, video, transcript)
    server = ControlServer(session, 0, token="t0ken")
    session.start()
    server.start()
    try:
        with connect(server) as ws:
            shown = next_of(ws, "overlay_command", 20, lambda m: m["figure"] is not None)
            assert shown["figure"]["headline"] == "+20%"
            assert shown["figure"]["label"] == "Revenue"
            assert shown["figure"]["value"] == 20 and shown["figure"]["unit"] == "%"
            ws.send(json.dumps({"action": "take", "assetId": "figure:{broken"}))
            assert next_of(ws, "error")["code"] == "UNKNOWN_ASSET"
            ws.send(json.dumps({"action": "take", "assetId": shown["assetId"]}))  # pinned
            pinned = next_of(ws, "control", 5, lambda m: m["name"] == "pinned")
            assert pinned["value"] == shown["assetId"]
            ws.send(json.dumps({"action": "dismissFigure"}))
            seen: dict[str, dict] = {}
            while len(seen) < 2:  # the veto is announced, and the cut the next tick makes
                message = json.loads(ws.recv(timeout=5))
                if message["type"] in ("overlay_command", "control"):
                    seen.setdefault(message["type"], message)
            assert seen["overlay_command"]["assetId"] is None
            assert seen["overlay_command"]["cause"] == "veto"
            assert seen["control"]["name"] == "vetoed"
            assert shown["assetId"] in seen["control"]["value"]
            ws.send(json.dumps({"action": "dismissFigure"}))
            assert next_of(ws, "error")["code"] == "NO_FIGURE"
    finally:
        server.stop()
        session.stop()
