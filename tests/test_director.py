"""The director: real library, real LLM, and its failure paths."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from livedirector_desktop.config import DirectorSettings
from livedirector_desktop.core.types import Candidate
from livedirector_desktop.director.director import Director
from livedirector_desktop.director.filler import content_words, is_filler
from livedirector_desktop.director.policy import Policy
from livedirector_desktop.director.reasoner import KeywordReasoner, ReasonerError

# ---------------------------------------------------------------- policy (pure logic)


def cands(*pairs: tuple[str, float]) -> list[Candidate]:
    return [Candidate(a, a.title(), s) for a, s in pairs]


STRONG = cands(("rocket", 0.6), ("plane", 0.3), ("car", 0.2))
WEAK = cands(("rocket", 0.3), ("plane", 0.22), ("car", 0.2))
OTHER = cands(("coffee", 0.55), ("bread", 0.3), ("farm", 0.2))


def approve(candidate: Candidate) -> float:
    """A judge that finds every clip relevant: the timing rules alone are under test."""
    return 10.0


def test_score_gate_without_a_judge():
    policy = Policy(
        DirectorSettings(threshold=0.25, threshold_low=0.15, fallback_threshold=0.35,
                         fallback_min_gap=0.12)
    )  # fmt: skip
    assert policy.wanted(STRONG, False).asset_id == "rocket"
    assert policy.wanted(cands(("a", 0.3), ("b", 0.29), ("c", 0.28)), False).asset_id is None
    assert policy.wanted(cands(("a", 0.3), ("b", 0.09), ("c", 0.08)), False).asset_id == "a"
    assert policy.wanted(cands(("a", 0.1)), False, approve).asset_id is None
    assert policy.wanted(STRONG, True, approve).reason.startswith("filler")


def test_judge_decides_past_the_score_gate_and_strict_gate_without_it():
    policy = Policy(DirectorSettings(evidence_threshold=0.5, fallback_threshold=0.35))
    asked = []

    def judge(values):
        def call(candidate):
            asked.append(candidate.asset_id)
            return values.get(candidate.asset_id)

        return call

    assert policy.wanted(STRONG, False, judge({"rocket": 0.9})).asset_id == "rocket"
    refused = policy.wanted(STRONG, False, judge({"rocket": 0.4, "plane": 0.9}))
    assert refused.asset_id is None and "off-topic (evidence 0.40)" in refused.reason
    assert asked[-1] == "rocket" and "plane" not in asked  # only the best is weighed
    # Below the lowest score the judge is not even asked (it costs an LLM evaluation).
    asked.clear()
    assert policy.wanted(cands(("a", 0.1), ("b", 0.09)), False, judge({"a": 9})).asset_id is None
    assert asked == []
    # No judgment (no LLM, or it failed): the score alone, with the stricter bar.
    assert policy.wanted(STRONG, False, judge({})).asset_id == "rocket"
    assert policy.wanted(WEAK, False, judge({})).asset_id is None
    assert policy.wanted(WEAK, False, judge({"rocket": 0.7})).asset_id == "rocket"


def test_a_clip_the_talk_left_is_not_brought_back_soon():
    """The policy says what a sentence asks for; when shots change is the planner's
    (tests/test_planner.py). Only the no-return rule looks at what was shown."""
    policy = Policy(DirectorSettings(no_repeat_within_ms=20000))
    assert policy.decide(STRONG, False, 0).asset_id == "rocket"
    policy.shown("rocket", 0)
    assert policy.decide(OTHER, False, 2000).asset_id == "coffee"  # no minimum here
    policy.shown("coffee", 2000)
    assert policy.decide([], True, 9000).asset_id is None
    policy.shown(None, 9000)
    # The rocket left the screen at 2 s and the talk moved on: within 20 s not again...
    assert policy.decide(STRONG, False, 12000).asset_id != "rocket"
    # ...but after that it may be.
    assert policy.decide(STRONG, False, 40000).asset_id == "rocket"


def test_pin_veto_hold_win_over_the_director():
    policy = Policy(DirectorSettings(no_repeat_within_ms=0))
    policy.pin("coffee")
    pinned = policy.decide(STRONG, False, 0)
    assert pinned.asset_id == "coffee" and pinned.manual
    assert policy.decide([], True, 10).asset_id == "coffee"  # even over filler
    policy.pin(None)
    policy.veto("rocket")
    assert policy.decide(STRONG, False, 20, approve).asset_id == "plane"  # best not vetoed
    assert policy.decide(cands(("rocket", 0.9), ("tank", 0.5)), False, 30).asset_id == "tank"
    policy.shown("tank", 30)
    policy.veto("rocket", False)
    policy.set_hold(True)
    held = policy.decide(STRONG, False, 40)
    assert held.asset_id == "tank" and held.manual
    policy.set_hold(False)
    assert policy.decide(STRONG, False, 50).asset_id == "rocket"
    policy.clear(60)
    assert policy.state.on_screen is None


def test_vetoing_the_clip_on_screen_takes_it_off():
    policy = Policy(DirectorSettings(min_on_screen_ms=10_000))
    policy.decide(STRONG, False, 0)
    policy.veto("rocket")
    assert policy.decide(OTHER, False, 100).asset_id == "coffee"


def test_filler_rules():
    for text in [
        "Hey guys, welcome back!",
        "Smash that like button.",
        "Um, okay.",
        "The link is in the description.",
        "Thank you so much for watching!",
    ]:
        assert is_filler(text), text
    for text in [
        "Netflix lost a million subscribers.",
        "The rocket exploded on the pad.",
        "We should talk about interest rates.",
    ]:
        assert not is_filler(text), text


def test_a_hesitation_is_only_the_words_of_one():
    from livedirector_desktop.director.filler import is_hesitation

    for text in ["Um.", "Um, so,", "Okay.", "OK.", "Hmm", "Okay, so, yeah."]:
        assert is_hesitation(text), text
    for text in ["So,", "Well", "Okay, give", "Um, so, where was I?", "The bank", ""]:
        assert not is_hesitation(text), text


def test_non_latin_text_is_not_filler_but_emoji_and_greetings_are():
    for text in [
        "스페이스X가 또 로켓을 궤도로 발사했습니다.",  # Korean: SpaceX launched a rocket
        "פאנלים סולאריים על הגג חוסכים חשמל.",  # Hebrew: rooftop solar panels
        "ارتفعت أسعار النفط بعد قرار أوبك.",  # Arabic: oil prices rose after OPEC
        "火箭发射了",  # Chinese, no spaces
        "Tesla 🚗⚡ 충전소가 두 배로 늘었어요.",
    ]:
        assert not is_filler(text), text
        assert content_words(text), text
    for text in ["🚀🚀🔥", "👍😂", "...", "123 456", "구독과 좋아요 부탁드려요!", "شكرا للمشاهدة"]:
        assert is_filler(text), text


# ---------------------------------------------------------------- the director, real parts


class Broken:
    name = "broken"

    def __init__(self, error=None, answer=None):
        self.error, self.answer = error, answer

    def analyze(self, text, context=(), timeout_ms=0):
        if self.error:
            raise self.error
        return self.answer


def test_llm_path_picks_the_topic(dev_library, llm_reasoner):
    # No deadline: a busy 2-core machine must not turn this into a fallback test.
    director = Director(dev_library, llm_reasoner, timeout_ms=0)
    d = director.decide("SpaceX just launched another Falcon rocket into orbit.", now_ms=0)
    assert d.path == "llm" and d.asset_id == "space-rocket" and d.query
    assert set(d.latency_ms) >= {"llm", "retrieval", "total"}
    assert d.candidates[0].asset_id == "space-rocket"
    assert director.decide("Thanks for watching, see you next time.", 60_000).asset_id is None


@pytest.mark.parametrize(
    ("reasoner", "why"),
    [
        (Broken(error=RuntimeError("model crashed")), "llm failed: model crashed"),
        (Broken(error=ReasonerError("unusable answer '}}}'")), "unusable answer"),
        (Broken(answer=None), "llm failed"),  # returns nonsense of the wrong type
    ],
)
def test_reasoner_failures_fall_back(dev_library, reasoner, why):
    director = Director(dev_library, reasoner)
    d = director.decide("SpaceX just launched another Falcon rocket into orbit.", now_ms=0)
    assert d.path == "fallback" and why in d.reason
    assert d.asset_id == "space-rocket"


def test_llm_timeout_falls_back(dev_library, llm_reasoner):
    director = Director(dev_library, llm_reasoner, timeout_ms=0.001)
    d = director.decide("Climate change is melting the Arctic ice faster than ever.", now_ms=0)
    assert d.path == "fallback" and "timed out" in d.reason
    assert d.asset_id == "nature-glacier"
    # The reasoner is still usable afterwards.
    assert llm_reasoner.analyze("Bitcoin crashed again.", timeout_ms=0).query


class Slow:
    """A reasoner that needs 300 ms and keeps to the deadline it is given, as llama.cpp's
    does (it gives up and the director falls back)."""

    name = "slow"

    def analyze(self, text, context=(), timeout_ms=0):
        from livedirector_desktop.core.types import Analysis

        if timeout_ms and timeout_ms < 300:
            time.sleep(timeout_ms / 1000)
            raise ReasonerError(f"timed out after {timeout_ms:.0f} ms")
        time.sleep(0.3)
        return Analysis(query="rocket launch", source="llm")


def test_render_waits_for_the_director_where_live_cannot(dev_library, settings_session):
    from livedirector_desktop.engine import make_director

    settings = settings_session.model_copy(deep=True)
    settings.llm_timeout_ms = 100  # a busy machine: the LLM is slower than live can wait
    settings.director.judge = False
    sentence = "SpaceX just launched another Falcon rocket into orbit."
    live = make_director(settings, dev_library, reasoner=Slow()).decide(sentence, 0)
    assert live.path == "fallback" and "timed out" in live.reason
    offline = make_director(settings, dev_library, reasoner=Slow(), offline=True)
    d = offline.decide(sentence, 0)
    assert d.path == "llm" and d.query == "rocket launch" and d.asset_id == "space-rocket"


SENTENCES = [
    "SpaceX just launched another Falcon rocket into orbit.",
    "the lakers won in overtime",
    "I lost my train of thought halfway through the interview.",
    "Gas prices are up because crude oil got more expensive.",
]


def test_greedy_answers_match_llama_cpp_and_survive_judging(llm_reasoner):
    """The reasoner decodes with its own argmax loop (it keeps the distribution after the
    prompt for the judge): its answers must be llama.cpp's greedy completions, and judging
    in between must not disturb the next answer."""
    from livedirector_desktop.director.llama import parse_answer, prompt_for

    llm = llm_reasoner._llm
    for text in SENTENCES:
        prompt = prompt_for(text)
        with llm_reasoner._lock:
            expected = llm.create_completion(
                prompt, max_tokens=llm_reasoner.max_tokens, temperature=0.0, top_k=1, stop=["\n"]
            )["choices"][0]["text"]
        first = llm_reasoner.analyze(text)
        assert first == parse_answer(expected, text)
        llm_reasoner.answer_log_probs(text, ["rocket launch", "basketball dunk"])
        assert llm_reasoner.analyze(text) == first
    # A completion asked again right after a judgment reads the prompt again.
    with llm_reasoner._lock:
        again = llm.create_completion(
            prompt_for(SENTENCES[-1]),
            max_tokens=llm_reasoner.max_tokens,
            temperature=0.0,
            top_k=1,
            stop=["\n"],
        )["choices"][0]["text"]
    assert again == expected


def test_repeated_tail():
    from livedirector_desktop.director.llama import repeated_tail

    assert repeated_tail(["movie", "theater", "movie", "theater"]) == 2
    assert repeated_tail(["a", "b", "c", "A", "B", "C"]) == 3
    assert repeated_tail(["Bora", "Bora"]) == 0  # a name, or "very very"
    assert repeated_tail(["cat", "cat", "cat"]) == 2
    assert repeated_tail(["stack", "of", "1000", "dollar", "bills"]) == 0  # digits are one word
    assert repeated_tail(["mahi", "mahi", "fish", "on", "a", "grill"]) == 0
    assert repeated_tail([]) == 0


def test_a_looping_answer_is_cut_at_its_first_repeat(llm_reasoner):
    """SmolLM2 loops on this Korean sentence ("movie theater movie theater ..."): the
    reasoner stops at the first repeat instead of spending all its tokens on it."""
    from livedirector_desktop.director.llama import prompt_for, repeated_tail

    text = "비트코인과 주식 시장이 오늘 폭락했습니다."
    with llm_reasoner._lock:
        full = llm_reasoner._llm.create_completion(
            prompt_for(text), max_tokens=16, temperature=0.0, top_k=1, stop=["\n"]
        )["choices"][0]["text"]
    words = full.split()
    # The model does loop here (where the loop starts moves with the CPU's float rounding:
    # "movie theater movie theater ..." on one machine, "movie theater theater movie ..."
    # on another).
    first_loop = next((n for n in range(len(words) + 1) if repeated_tail(words[:n])), None)
    assert len(words) >= 10 and first_loop is not None and first_loop <= 8, full
    answer = llm_reasoner.analyze(text).query.split()
    # Cut at the first repeat: no more than was said before the loop closed, none of it
    # past it, and never the loop itself.
    assert 2 <= len(answer) < first_loop and set(answer) <= set(words[:first_loop]), answer
    assert repeated_tail(answer) == 0


def test_judging_right_after_the_answer_equals_judging_from_scratch(llm_reasoner):
    """Right after `analyze`, the judge reuses the kept distribution and the cached prompt;
    from another sentence's state it reads the prompt again. Same log-probabilities (up to
    the few 0.01 nats llama.cpp's batch shapes move them), same order."""
    import numpy as np

    answers = ["rocket launch", "basketball dunk", "offshore oil rig", "high-speed train"]
    for text in SENTENCES:
        llm_reasoner.analyze(text)
        warm = llm_reasoner.answer_log_probs(text, answers)
        llm_reasoner.analyze("Hello everyone.")
        cold = llm_reasoner.answer_log_probs(text, answers)
        assert np.allclose(warm, cold, atol=0.3), (text, warm, cold)
        assert np.argmax(warm) == np.argmax(cold)
    rocket = llm_reasoner.answer_log_probs(SENTENCES[0], answers)
    assert np.argmax(rocket) == 0  # and it means something: the rocket sentence


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "}}}",
        "Sentence: B-roll: NONE",
        "see https://x.y",
        "1234",
        " ".join(f"w{i}" for i in range(20)),
    ],
)
def test_garbage_answers_are_rejected(raw):
    from livedirector_desktop.director.llama import parse_answer

    with pytest.raises(ReasonerError):
        parse_answer(raw, "The rocket launched.")


def test_recognizer_text_is_shaped_like_the_prompt_examples():
    from livedirector_desktop.director.llama import as_written, prompt_for

    assert as_written("the lakers won in overtime") == "The lakers won in overtime."
    assert as_written("Did they win?") == "Did they win?"
    assert as_written("스페이스X가 발사했습니다") == "스페이스X가 발사했습니다."
    assert prompt_for("they did it", ["spacex launched again"]).endswith(
        "Sentence: Spacex launched again. They did it.\nB-roll:"
    )


def test_a_looping_answer_is_kept_once():
    from livedirector_desktop.director.llama import parse_answer

    assert parse_answer(" cat cat cat cat cat", "x").query == "cat"
    assert parse_answer(" lighthouse Lighthouse on a cliff", "x").query == "lighthouse on a cliff"


def test_good_answers_are_parsed():
    from livedirector_desktop.director.llama import parse_answer

    assert parse_answer(" rocket launch pad.", "SpaceX launched.").query == "rocket launch pad"
    assert parse_answer(" NONE", "Hello there friends.").is_filler


def test_retrieval_failure_shows_nothing_and_never_raises(dev_library, tmp_path, embedder):
    from livedirector_desktop.library.library import Library

    lib = Library.open(tmp_path / "lib", embedder)
    lib.store.client.delete_collection("assets")  # the store breaks under the director
    director = Director(lib, KeywordReasoner())
    d = director.decide("SpaceX just launched another Falcon rocket.", now_ms=0)
    assert d.path == "error" and d.asset_id is None and "retrieval failed" in d.reason


def test_empty_library_shows_nothing(tmp_path, embedder):
    from livedirector_desktop.library.library import Library

    director = Director(Library.open(tmp_path / "lib", embedder), KeywordReasoner())
    d = director.decide("A rocket launch.", now_ms=0)
    assert d.asset_id is None and d.candidates == [] and d.reason.startswith("no candidates")


def test_dev_set_accuracy_floor_punctuated_and_asr_style(
    dev_library, llm_reasoner, llm_judge, dev_set
):
    """Regression guards well under the measured figures (93.3 % and 92.1 %, bench/)."""
    director = Director(dev_library, llm_reasoner, slow_ok(), judge=llm_judge, timeout_ms=0)
    for style in (str, asr_style):
        got = decide_all(director, [style(i["text"]) for i in dev_set])
        right = sum(d.asset_id == i["expected"] for d, i in zip(got, dev_set, strict=True))
        assert right / len(dev_set) >= 0.84, (style, right)


def test_suggest_cli_json(dev_library, tmp_path):
    sentences = tmp_path / "talk.txt"
    sentences.write_text(
        "Hi everyone, welcome back to the channel.\n\nThe Lakers won in overtime.\n"
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "livedirector_desktop",
            "suggest",
            "--library",
            str(dev_library.root),
            "--json",
            "--file",
            str(sentences),
            "Rooftop solar can cut your electricity bill in half.",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["text"] for r in rows] == [
        "Rooftop solar can cut your electricity bill in half.",
        "Hi everyone, welcome back to the channel.",
        "The Lakers won in overtime.",
    ]
    assert rows[0]["decision"]["asset_id"] == "energy-solar"
    assert rows[1]["decision"] is None
    assert rows[2]["decision"]["asset_id"] == "sports-basketball"
    for r in rows:
        assert r["path"] == "llm"
        assert set(r) >= {"text", "query", "decision", "candidates", "path", "latency_ms"}
        assert "total" in r["latency_ms"]
    assert {"asset_id", "title", "score"} <= set(rows[0]["candidates"][0])


def test_suggest_cli_keyword_reasoner_and_bad_input(dev_library):
    base = [
        sys.executable,
        "-m",
        "livedirector_desktop",
        "suggest",
        "--library",
        str(dev_library.root),
        "--json",
    ]
    out = subprocess.run(
        [*base, "--reasoner", "keyword", "Wind turbines on a hill."],
        capture_output=True,
        text=True,
        check=True,
    )
    row = json.loads(out.stdout)
    assert row["path"] == "fallback" and row["decision"]["asset_id"] == "energy-wind"
    out = subprocess.run(base, capture_output=True, text=True)
    assert out.returncode == 2 and "no sentences given" in out.stderr
    out = subprocess.run(
        [*base, "--llm-model", "/nope/model.gguf", "hello"], capture_output=True, text=True
    )
    assert out.returncode == 2 and "does not exist" in out.stderr and "Traceback" not in out.stderr


# ---------------------------------------------------------------- restraint (issue 11)

HELDOUT = Path(__file__).resolve().parent / "data" / "heldout"
SHARED = Path(os.environ.get("LIVEDIRECTOR_SHARED", HELDOUT.parents[3] / "shared"))
OFFLIBRARY = SHARED / "data" / "dev_offlibrary.jsonl"
# Held-out figures at the default operating point: see bench/results/director.json.
HELDOUT_FLOOR = 0.78  # measured 0.846 (55/65)
HELDOUT_OFF_FLOOR = 17  # of 25 (20 off-library + 5 filler); measured 21


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def asr_style(text: str) -> str:
    """What a recognizer gives: lowercase, no punctuation (apostrophes inside words kept)."""
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"(?<![a-z])'|'(?![a-z])", " ", text)
    return " ".join(re.sub(r"[^\w\s']", " ", text).split())


@pytest.fixture(scope="session")
def llm_judge(llm_reasoner):
    from livedirector_desktop.director.judge import LlamaJudge

    return LlamaJudge(llm_reasoner)


def build_heldout(folder: Path, tmp_path_factory, embedder):
    from livedirector_desktop.library.importer import import_paths
    from livedirector_desktop.library.library import Library
    from livedirector_desktop.library.samples import make_library

    clips = tmp_path_factory.mktemp(f"{folder.name}_clips")
    make_library(
        json.loads((folder / "catalog.json").read_text()),
        clips,
        width=160,
        height=96,
        seconds=1.0,
        fps=15,
    )
    lib = Library.open(tmp_path_factory.mktemp(f"{folder.name}_lib"), embedder)
    assert import_paths(lib, [clips]).ok
    return lib


@pytest.fixture(scope="session")
def heldout_library(tmp_path_factory, embedder):
    """A second library the director was never tuned on (tests/data/heldout)."""
    return build_heldout(HELDOUT, tmp_path_factory, embedder)


def slow_ok(**kw) -> DirectorSettings:
    """Timeouts for a busy 2-core test machine: these tests check what is decided."""
    return DirectorSettings(judge_timeout_ms=20_000, **kw)


def decide_all(director: Director, texts: list[str]) -> list:
    out = []
    for text in texts:
        director.reset()
        out.append(director.decide(text, now_ms=0))
    return out


def test_off_library_sentences_stay_on_camera(dev_library, llm_reasoner, llm_judge):
    """The shared off-library set: measured 25/30 left without B-roll (11 before the judge)."""
    off = read_jsonl(OFFLIBRARY)
    director = Director(dev_library, llm_reasoner, slow_ok(), judge=llm_judge, timeout_ms=0)
    got = decide_all(director, [i["text"] for i in off])
    assert sum(d.asset_id is None for d in got) >= 21, [(d.text, d.asset_id) for d in got]


# Topics the dev library lacks whose best clip clears the score gate: the judge refuses it.
NOT_ILLUSTRATED = [
    "We spent Sunday afternoon doing a thousand-piece jigsaw puzzle.",
    "The ballet company performed Swan Lake to a full house.",
]
ILLUSTRATED = [
    ("Sunday dinners with my kids are the best part of my week.", "home-family"),
    ("Sourdough is all about patience.", "food-bread"),
    ("the lakers won in overtime", "sports-basketball"),  # ASR style
]


def test_judge_refuses_a_clip_that_only_looks_close(dev_library, llm_reasoner, llm_judge):
    director = Director(dev_library, llm_reasoner, slow_ok(), judge=llm_judge, timeout_ms=0)
    for text in NOT_ILLUSTRATED:
        director.reset()
        d = director.decide(text, now_ms=0)
        # Close enough that a score cut would show it (the best score: a clip the sentence
        # alone ranks first is weighed first when the query's pick is judged off-topic).
        assert max(c.score for c in d.candidates) >= 0.2, text
        assert d.asset_id is None and "judged off-topic" in d.reason, (text, d.reason)
        assert d.latency_ms["judge"] > 0
    for text, expected in ILLUSTRATED:
        director.reset()
        d = director.decide(text, now_ms=0)
        assert d.asset_id == expected and "evidence" in d.reason, (text, d.asset_id, d.reason)


def test_words_so_far_the_local_llm_reads_on_a_library_never_tuned_on(
    heldout_library, llm_reasoner, llm_judge
):
    """Live, on growing words: the judge's strong evidence puts a clip up below the early
    score; its tie keeps the clip up across to the next sentence's first words."""
    director = Director(heldout_library, llm_reasoner, slow_ok(), judge=llm_judge, timeout_ms=0)
    early = director.decide_early("Dice the carrots", 1000)  # ranked first at ~0.40
    assert early is not None and early.asset_id == "food-salad", early
    # "Compost is the" ranks the garden clip first, below the score that keeps a clip up.
    kept = director.decide_early("Compost is the", 5000, current="hobby-gardening")
    assert kept is not None and kept.asset_id == "hobby-gardening" and "LLM" in kept.reason
    assert director.decide_early("We tore", 5000, current="hobby-gardening") is None


def test_judge_baselines_are_saved_with_the_library_and_survive_a_bad_cache(llm_reasoner, tmp_path):
    from livedirector_desktop.director.judge import LlamaJudge

    cache = tmp_path / "judge-cache.json"
    first = LlamaJudge(llm_reasoner, cache_path=cache, warm=False)
    assert first.warm(["rocket launch", "high-speed train"]) == 2
    saved = json.loads(cache.read_text())
    assert set(saved["baselines"]) == {"rocket launch", "high-speed train"}
    again = LlamaJudge(llm_reasoner, cache_path=cache, warm=False)
    assert again.warm(["rocket launch", "high-speed train"]) == 0  # nothing recomputed
    near = again.relevances("SpaceX launched a rocket.", ["rocket launch"])
    assert near == first.relevances("SpaceX launched a rocket.", ["rocket launch"])
    assert near[0] > 2  # the sentence makes the title much likelier
    cache.write_text("{not json")
    rebuilt = LlamaJudge(llm_reasoner, cache_path=cache, warm=False)
    assert rebuilt.warm(["rocket launch"]) == 1
    assert json.loads(cache.read_text())["baselines"]["rocket launch"] == pytest.approx(
        saved["baselines"]["rocket launch"], abs=1e-3
    )


class BrokenJudge:
    name = "broken"

    def relevances(self, sentence, clips, context=(), timeout_ms=0):
        raise RuntimeError("judge crashed")


def test_judge_failure_falls_back_to_the_strict_score_gate(dev_library, llm_reasoner):
    director = Director(dev_library, llm_reasoner, slow_ok(), judge=BrokenJudge(), timeout_ms=0)
    d = director.decide(NOT_ILLUSTRATED[0], now_ms=0)
    assert d.asset_id is None and "judge failed: judge crashed" in d.reason
    director.reset()
    d = director.decide("SpaceX just launched another Falcon rocket into orbit.", now_ms=0)
    assert d.asset_id == "space-rocket" and "score alone" in d.reason


def test_keyword_fallback_abstains_on_its_own(dev_library, dev_set):
    """No LLM at all: the stricter score gate still keeps most off-library sentences off
    screen (measured 26/30 and 81 % on the dev set)."""
    director = Director(dev_library, KeywordReasoner())
    off = decide_all(director, [i["text"] for i in read_jsonl(OFFLIBRARY)])
    assert sum(d.asset_id is None for d in off) >= 22
    assert all(d.path == "fallback" for d in off)
    dev = decide_all(director, [i["text"] for i in dev_set])
    right = sum(d.asset_id == i["expected"] for d, i in zip(dev, dev_set, strict=True))
    assert right / len(dev_set) >= 0.74, right


def test_heldout_library_never_tuned_on(heldout_library, llm_reasoner, llm_judge):
    """A second library and sentences written before tuning (tests/data/heldout)."""
    items = read_jsonl(HELDOUT / "sentences.jsonl")
    director = Director(heldout_library, llm_reasoner, slow_ok(), judge=llm_judge, timeout_ms=0)
    got = decide_all(director, [i["text"] for i in items])
    right = sum(d.asset_id == i["expected"] for d, i in zip(got, items, strict=True))
    off = [d for d, i in zip(got, items, strict=True) if i["expected"] is None]
    assert right / len(items) >= HELDOUT_FLOOR, right
    assert sum(d.asset_id is None for d in off) >= HELDOUT_OFF_FLOOR, len(off)


def test_blind_heldout_library(tmp_path_factory, embedder, llm_reasoner, llm_judge):
    """tests/data/heldout2: written by someone who had not seen the director's output and
    run only for final figures (measured 78.9 %, 50/60 topical, 21/30 left alone)."""
    folder = HELDOUT.parent / "heldout2"
    library = build_heldout(folder, tmp_path_factory, embedder)
    items = read_jsonl(folder / "sentences.jsonl")
    director = Director(library, llm_reasoner, slow_ok(), judge=llm_judge, timeout_ms=0)
    got = decide_all(director, [i["text"] for i in items])
    right = sum(d.asset_id == i["expected"] for d, i in zip(got, items, strict=True))
    off = [d for d, i in zip(got, items, strict=True) if i["expected"] is None]
    assert right / len(items) >= 0.70, right
    assert sum(d.asset_id is None for d in off) >= 17, len(off)


def test_non_latin_sentences_reach_the_director(dev_library, llm_reasoner, llm_judge):
    director = Director(dev_library, llm_reasoner, slow_ok(), judge=llm_judge, timeout_ms=0)
    d = director.decide("스페이스X가 또 로켓을 궤도로 발사했습니다.", now_ms=0)
    assert d.candidates and not d.reason.startswith("filler"), d.reason
    assert "non-Latin" in d.reason
    director.reset()
    assert director.decide("🚀🚀🔥", now_ms=0).reason.startswith("filler")


def test_a_clip_the_llm_query_led_away_from_is_weighed_when_its_pick_is_off_topic(
    tmp_path, embedder, llm_reasoner, llm_judge
):
    """SmolLM2 reads "We roasted marshmallows" as "roast marshmallow cake": a baking clip
    ranks first and is judged off-topic; the sentence alone ranks the campfire first, and
    that one is weighed before nothing is shown (the dev footage set, no sidecars)."""
    from livedirector_desktop.library.importer import import_paths
    from livedirector_desktop.library.library import Library
    from tests.support import make_footage_folder

    library = Library.open(tmp_path / "lib", embedder)
    assert import_paths(library, [make_footage_folder(tmp_path / "broll")]).ok
    director = Director(library, llm_reasoner, slow_ok(), judge=llm_judge, timeout_ms=0)
    decision = director.decide("We roasted marshmallows and slept under the stars.")
    assert decision.asset_id == "camping_tent_campfire_night", decision.reason
    assert "the sentence alone ranks camping_tent_campfire_night first" in decision.reason
    # A sentence the folder has nothing for stays on the camera all the same.
    assert director.decide("My toddler said her first word today.").asset_id is None
