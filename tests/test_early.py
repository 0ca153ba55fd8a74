"""The right moment: a clip goes up while its sentence is spoken (on strong evidence), the
end of the sentence confirms, keeps or corrects it, and it leaves when the talk moves on."""

from __future__ import annotations

import json

import numpy as np

from livedirector_desktop.config import DirectorSettings
from livedirector_desktop.core.types import Candidate, Outcome
from livedirector_desktop.director.policy import Policy
from livedirector_desktop.media.synthetic import BACKDROP_BGR
from tests.support import file_session, frame_at

STRONG = [Candidate("rocket", "Rocket", 0.62), Candidate("coffee", "Coffee", 0.21)]
WEAK = [Candidate("rocket", "Rocket", 0.33), Candidate("coffee", "Coffee", 0.21)]


def test_early_needs_strong_evidence_for_a_new_clip_and_less_to_stay():
    policy = Policy(DirectorSettings())
    assert policy.early(WEAK, 0) is None  # would pass at the end of a sentence, not early
    shown = policy.early(STRONG, 0)
    assert shown is not None and shown.asset_id == "rocket"
    # The clip up now (or the one the sentence before asked for) stays when ranked first,
    # at a lower bar than a new clip needs, but not on a word of small talk.
    assert policy.early(STRONG, 500, current="rocket").reason == "the talk stays on it"
    assert policy.early(WEAK, 500, current="rocket").asset_id == "rocket"
    assert policy.early(WEAK, 500, current="coffee") is None
    small_talk = [Candidate("rocket", "Rocket", 0.18), Candidate("coffee", "Coffee", 0.17)]
    assert policy.early(small_talk, 500, current="rocket") is None
    coffee = [Candidate("coffee", "Coffee", 0.7), Candidate("rocket", "Rocket", 0.2)]
    policy.veto("coffee")
    assert policy.early(coffee, 5000) is None
    policy.pin("rocket")
    assert policy.early(STRONG, 6000) is None  # the creator's choice stands


def test_early_on_the_judges_strong_evidence_and_staying_on_the_llms_tie():
    policy = Policy(DirectorSettings())
    # Below the early score, a clip goes up on the judge's evidence at the higher bar...
    assert policy.early(WEAK, 0, judge=lambda c: 1.05).asset_id == "rocket"
    assert policy.early(WEAK, 0, judge=lambda c: 0.9) is None
    # ...and a strong score still needs the judge's nod (a judged-off-topic clip stays off).
    assert policy.early(STRONG, 0, judge=lambda c: 0.4) is None
    # The clip up, not ranked first by the words so far: the LLM's tie keeps it...
    nothing = [Candidate("coffee", "Coffee", 0.2), Candidate("rocket", "Rocket", 0.18)]
    kept = policy.early(nothing, 500, current="rocket", current_nats=6.0)
    assert kept is not None and kept.asset_id == "rocket" and "LLM" in kept.reason
    assert policy.early(nothing, 500, current="rocket", current_nats=2.0) is None
    # ...unless another clip has the evidence to go up (the talk moved to it).
    coffee = [Candidate("coffee", "Coffee", 0.62), Candidate("rocket", "Rocket", 0.2)]
    assert policy.early(coffee, 500, current="rocket", current_nats=6.0).asset_id == "coffee"


def test_the_words_so_far_and_the_whole_sentence(sample_library):
    from livedirector_desktop.director.director import Director
    from livedirector_desktop.director.reasoner import KeywordReasoner

    director = Director(sample_library, KeywordReasoner())
    early = director.decide_early("SpaceX just launched another Falcon rocket", 1000)
    assert early is not None and early.asset_id == "rocket-launch" and early.path == "early"
    assert director.decide_early("So the other day I was", 1000) is None  # no view yet
    # A hesitation says the speaker is thinking, not going on about the clip up: the
    # speaker, at once (the clip need not wait for words that would only come later).
    um = director.decide_early("Um, okay, so", 1000, current="rocket-launch")
    assert um is not None and (um.asset_id, um.outcome) == (None, Outcome.CAMERA)
    assert director.decide_early("So,", 1000) is None  # "So" opens topical sentences too
    # A sign-off tells itself from its first words: the speaker.
    bye = director.decide_early("Thanks for watching, see", 1000)
    assert bye is not None and (bye.asset_id, bye.outcome) == (None, Outcome.CAMERA)
    # The next sentence's first words keep the clip up when they rank it first.
    kept = director.decide_early("The rocket", 5000, current="rocket-launch")
    assert kept is not None and kept.asset_id == "rocket-launch"

    confirmed = director.decide("SpaceX just launched another Falcon rocket into orbit.", 3000)
    assert confirmed.asset_id == "rocket-launch" and confirmed.outcome is Outcome.SHOW
    other = director.decide("Every morning I make myself a double espresso.", 4500)
    assert (other.asset_id, other.outcome) == ("coffee-pour", Outcome.SHOW)
    down = director.decide("Um, okay, so, yeah.", 6000)
    assert (down.asset_id, down.outcome) == (None, Outcome.CAMERA)


def test_live_puts_the_clip_up_while_its_sentence_is_spoken(short_talk, sample_library, tmp_path):
    from livedirector_desktop.core.events import ShotChanged
    from livedirector_desktop.pipeline.headless import run_headless

    talk, transcript, segments = short_talk
    session = file_session(sample_library, talk, transcript)
    shots: list[ShotChanged] = []
    session.hub.subscribe(ShotChanged, shots.append)
    out = tmp_path / "early.mp4"
    run_headless(session, record=out)

    rocket = next(s for s in shots if s.asset_id == "rocket-launch")
    assert rocket.cause == "early"
    timeline = json.loads(out.with_suffix(".json").read_text())
    said = {c["text"]: (c["start_ms"], c["end_ms"]) for c in timeline["cues"]}
    start_ms, end_ms = said[segments[1]["text"]]
    segment = next(s for s in timeline["segments"] if s["asset_id"] == "rocket-launch")
    # Up while the sentence is spoken, and fully on screen (fade included) before it ends.
    assert start_ms < segment["start_ms"] < end_ms - 600
    img = frame_at(out, (end_ms - 50) / 1000)
    corner = np.median(img[:60, :60].reshape(-1, 3), axis=0)
    assert np.abs(corner - np.array(BACKDROP_BGR)).max() > 30
    # And gone again during the filler that follows ("Um, okay, so, yeah.").
    filler_start, filler_end = said[segments[2]["text"]]
    assert segment["end_ms"] <= filler_start + 1000
    img = frame_at(out, (filler_end - 100) / 1000)
    corner = np.median(img[:60, :60].reshape(-1, 3), axis=0)
    assert np.abs(corner - np.array(BACKDROP_BGR)).max() < 15
    decisions = {d["text"]: d for d in timeline["decisions"]}
    assert decisions[segments[1]["text"]]["decision"]["asset_id"] == "rocket-launch"
