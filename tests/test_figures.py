"""Figures read from sentences (director/figures.py) and carried as shot ids (core/figure.py).

Two sets: tests/data/figures.jsonl (written beside the rules) and figures_heldout.jsonl
(written by someone who had not seen them). Each has sentences with a figure, half with
the numbers in words, and sentences whose numbers are not figures (small counts, years,
times, phone numbers), which must get none.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from livedirector_desktop.core.figure import Figure, figure_of, is_figure
from livedirector_desktop.director.figures import complete_in, read_figure

DATA = Path(__file__).parent / "data"


def _cases(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip()]


def _right(case: dict, figure: Figure | None) -> bool:
    if case["value"] is None:
        return figure is None
    if figure is None or figure.unit != case["unit"]:
        return False
    if abs(figure.value - case["value"]) > 1e-6 * max(1.0, abs(case["value"])):
        return False
    return case.get("start") is None or figure.start_value == case["start"]


@pytest.mark.parametrize("name", ["figures.jsonl", "figures_heldout.jsonl"])
def test_value_and_unit_are_read_for_nine_in_ten_sentences(name: str) -> None:
    cases = [c for c in _cases(name) if c["value"] is not None]
    assert len(cases) >= 50
    assert sum(c.get("words", False) for c in cases) >= len(cases) // 2 - 1  # half in words
    wrong = [
        (c["text"], read_figure(c["text"])) for c in cases if not _right(c, read_figure(c["text"]))
    ]
    assert len(wrong) <= len(cases) // 10, wrong


@pytest.mark.parametrize("name", ["figures.jsonl", "figures_heldout.jsonl"])
def test_a_sentence_without_a_figure_gets_none(name: str) -> None:
    cases = [c for c in _cases(name) if c["value"] is None]
    assert len(cases) >= 10
    invented = [(c["text"], read_figure(c["text"])) for c in cases if read_figure(c["text"])]
    assert not invented


def test_the_figure_never_says_a_number_the_sentence_did_not() -> None:
    """Every value drawn is a number read in the sentence itself (or the multiple its verb
    says: "doubled" is 2, "halved" 50 %), right or wrong against the set."""
    from livedirector_desktop.director.figures import _MULTIPLES, _numbers, _tokens

    sentences = [c["text"] for c in _cases("figures.jsonl") + _cases("figures_heldout.jsonl")]
    sentences += ["growth was -3% last quarter", "we went from 2,000 to 3,000 subscribers"]
    for text in sentences:
        figure = read_figure(text)
        if figure is None:
            continue
        said = {n.value for n in _numbers(_tokens(text))} | set(_MULTIPLES.values()) | {50}
        assert figure.text == text
        assert figure.value in said, (text, figure)
        assert figure.start_value is None or figure.start_value in said, (text, figure)


def test_words_digits_and_scales() -> None:
    assert read_figure("a hundred and fifty thousand people signed up").value == 150_000
    assert read_figure("it sold one point five million copies").value == 1_500_000
    assert read_figure("we raised $2.5m last round").value == 2_500_000
    assert read_figure("twenty-five percent of the budget").value == 25
    assert read_figure("it costs 40 per cent more").unit == "%"
    change = read_figure("we went from 500 to 2,000 subscribers")
    assert (change.start_value, change.value, change.direction) == (500, 2000, "up")
    assert read_figure("our costs tripled").headline() == "3×"
    down = read_figure("support is down three points")
    assert (down.value, down.unit, down.direction, down.headline()) == (
        3,
        "points",
        "down",
        "−3 pts",
    )


def test_the_shot_id_carries_the_whole_figure() -> None:
    figure = read_figure("Revenue grew twenty percent last year.")
    assert is_figure(figure.shot_id) and not is_figure("a1b2c3") and not is_figure(None)
    back = figure_of(figure.shot_id)
    assert back == Figure(figure.value, figure.unit, None, figure.direction, figure.about)
    assert back.headline() == "+20%" and back.label() == "Revenue"
    assert figure_of("figure:{not json") is None and figure_of("clip-7") is None
    ranged = read_figure("from five hundred to two thousand subscribers")
    assert figure_of(ranged.shot_id).start_value == 500


def test_a_figure_still_being_said_waits_for_its_last_word() -> None:
    assert complete_in("revenue grew by twenty") is None  # "... five percent" may follow
    assert complete_in("revenue grew by twenty percent") is not None
    assert complete_in("we went from five hundred to") is None
    assert complete_in("bitcoin hit a hundred thousand") is None
    assert complete_in("bitcoin hit a hundred thousand dollars").value == 100_000


def test_the_director_draws_a_change_but_keeps_the_clip_for_an_incidental_amount(
    sample_library,
):
    """A change in percent is the sentence's point: drawn even when a clip would fit. An
    amount or a count the library can show stays B-roll; with no clip for it, it is drawn.
    The creator's dismissal and pin win."""
    from livedirector_desktop.core.types import Outcome
    from livedirector_desktop.director.director import Director
    from livedirector_desktop.director.reasoner import KeywordReasoner

    director = Director(sample_library, KeywordReasoner())
    change = director.decide("Falcon rocket launches got ninety percent cheaper.", now_ms=0)
    assert change.path == "figure" and figure_of(change.asset_id).value == 90
    assert change.outcome is Outcome.SHOW and change.latency_ms["total"] < 50

    amount = director.decide("SpaceX launched a rocket that cost 62 million dollars.", now_ms=1e5)
    assert amount.asset_id == "rocket-launch", amount
    count = director.decide("Last week my newsletter passed ten thousand readers.", now_ms=2e5)
    assert count.path == "figure" and figure_of(count.asset_id).unit == "readers", count

    assert director.decide("I have two kids and a dog.", now_ms=3e5).path != "figure"
    director.veto(change.asset_id)  # dismissed: the same figure is not drawn again
    again = director.decide("Falcon rocket launches got ninety percent cheaper.", now_ms=4e5)
    assert again.asset_id != change.asset_id
    director.pin("coffee-pour")
    pinned = director.decide("Revenue grew twenty percent.", now_ms=5e5)
    assert pinned.asset_id == "coffee-pour" and pinned.path == "manual"


def test_early_a_change_is_drawn_once_its_number_is_said(sample_library):
    from livedirector_desktop.director.director import Director
    from livedirector_desktop.director.reasoner import KeywordReasoner

    director = Director(sample_library, KeywordReasoner())
    waiting = director.decide_early("our revenue grew by twenty", 0)
    assert waiting is None or not is_figure(waiting.asset_id)
    early = director.decide_early("our revenue grew by twenty percent", 0)
    assert early is not None and figure_of(early.asset_id).value == 20
    # An amount waits for the whole sentence: the library may show what it is about.
    amount = director.decide_early("the rocket cost sixty two million dollars", 0)
    assert amount is None or not is_figure(amount.asset_id)


@pytest.mark.parametrize(
    ("text", "headline"),
    [
        ("growth was -3% last quarter", "−3%"),
        ("GDP growth was minus 0.5 percent", "−0.5%"),
        ("more than 50 percent of people use phones", "50%"),  # a level, not a rise
        ("we went from 2,000 to 3,000 subscribers", "2,000 → 3,000"),  # not years
        ("the deal was worth 999.9 million dollars", "$1B"),
        ("I'm a hundred percent sure about this", None),  # figures of speech
        ("you have to give 110 percent", None),
        ("we doubled down on quality", None),
    ],
)
def test_signs_levels_and_figures_of_speech(text: str, headline: str | None) -> None:
    figure = read_figure(text)
    assert (figure.headline() if figure else None) == headline


@pytest.mark.parametrize(
    ("text", "headline", "label"),
    [
        ("Photovoltaics got ninety percent cheaper in ten years.", "−90%", "Photovoltaics"),
        ("Batteries are now 20% smaller.", "−20%", "Batteries"),
        ("The new chip is 40 percent faster.", "+40%", "New chip"),
        ("I finally bench pressed a hundred kilos at the gym.", "100", "Bench · kilos"),
        ("Family income rose 5 percent.", "+5%", "Family income"),  # -ly, not an adverb
        ("Apple recently sold 50 million phones.", "50M", "Apple · phones"),
    ],
)
def test_comparatives_say_the_direction_and_adverbs_are_not_the_subject(
    text: str, headline: str, label: str
) -> None:
    figure = read_figure(text)
    assert figure is not None and (figure.headline(), figure.label()) == (headline, label)


def test_a_range_still_being_said_waits_for_its_end() -> None:
    assert complete_in("unemployment fell from 5 percent") is None
    assert complete_in("unemployment fell from 5 percent to 3 percent").start_value == 5


def test_damaged_figure_ids_are_not_figures() -> None:
    for bad in ('{"v":NaN}', '{"v":1e400}', '{"v":true}', '{"v":2,"u":null}', '{"v":-1}',
                '{"v":2,"d":"sideways"}', "[" * 5000):  # fmt: skip
        assert figure_of("figure:" + bad) is None, bad


def test_many_figures_drawn_in_any_order_each_get_their_own_card() -> None:
    """The card and its I420 planes are cached by the figure, never by a memory address
    that a later card may reuse (a recording once drew another figure's card)."""
    import random

    from livedirector_desktop.compositor.cpu import CpuCompositor
    from livedirector_desktop.compositor.figure_card import figure_card
    from livedirector_desktop.compositor.scene import Shot

    w, h = 640, 360
    camera = np.full((h * 3 // 2, w), 128, np.uint8)
    ids = [Figure(float(n), "%", None, "up", "revenue").shot_id for n in range(1, 31)]
    compositor = CpuCompositor(w, h, "pip")
    fresh = {i: compositor.draw_shot(Shot(i, 1), camera, w, h, None).copy() for i in ids}
    rng = random.Random(3)
    for _ in range(90):
        shot_id = rng.choice(ids)
        figure_card(figure_of(rng.choice(ids)), 300, 170, compositor.figure_style, "")
        drawn = compositor.draw_shot(Shot(shot_id, 1), camera, w, h, None)
        assert np.array_equal(drawn, fresh[shot_id]), shot_id
