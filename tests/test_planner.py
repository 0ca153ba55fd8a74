"""The shot planner on a fake clock: the times are the test's, nothing sleeps.

Live feeds it as a talk is heard (a sentence begins, its words so far ask, its end decides)
and advances it every tick; `render` and `conform` feed each known sentence just before it
starts. Both are driven here with the times a natural talk gives."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from livedirector_desktop.config import DirectorSettings
from livedirector_desktop.core.types import Decision, Outcome
from livedirector_desktop.director.planner import ShotPlanner, plan_talk
from livedirector_desktop.director.policy import Policy
from livedirector_desktop.pipeline.render import segments_of

TIMING = DirectorSettings(
    min_on_screen_ms=2500, tail_ms=800, pause_hold_ms=2000, continuity_wait_ms=500
)


@dataclass
class Said:
    text: str
    start_ms: float
    end_ms: float
    asks: str | None  # the clip the whole sentence asks for


def decision(asset_id: str | None) -> Decision:
    outcome = Outcome.SHOW if asset_id else Outcome.CAMERA
    return Decision("", "", asset_id, 0.5, [], "llm", "test", outcome=outcome)


def offline(talk: list[Said], duration_ms: float = 60_000):
    cuts = plan_talk(talk, lambda s, _at: decision(s.asks), TIMING, duration_ms, lead_ms=500)
    return segments_of(cuts, duration_ms)


def on_screen(segments, t_ms: float) -> str | None:
    return next((s.asset_id for s in segments if s.start_ms <= t_ms < s.end_ms), None)


class Live:
    """A live session's view of the planner: ticks every 33 ms up to a time."""

    def __init__(self, timing=TIMING) -> None:
        self.planner, self.now, self.cuts = ShotPlanner(timing), 0.0, []

    def to(self, t_ms: float) -> Live:
        while self.now < t_ms:
            self.now = min(t_ms, self.now + 33)
            self.cuts += [(round(c.at_ms), c.asset_id) for c in self.planner.advance(self.now)]
        return self

    def said(self, begin_ms: float, clip: str, early_ms: float, end_ms: float) -> int:
        """A sentence about `clip`: begun, its words ask for it at early_ms, and the whole
        sentence, ending at end_ms, is decided 300 ms later. Returns its number."""
        sentence = self.planner.began(begin_ms)
        self.to(early_ms)
        self.planner.heard(sentence, clip, early_ms)
        self.to(end_ms + 300)
        assert self.planner.decided(sentence, clip, end_ms, end_ms + 300)
        return sentence

    def screen_at(self, t_ms: float) -> str | None:
        shown = None
        for at, asset in self.cuts:
            if at <= t_ms:
                shown = asset
        return shown


# ---------------------------------------------------------------------- render, conform


def test_offline_a_clip_is_fully_up_as_its_sentence_begins_and_leaves_when_the_talk_moves_on():
    segments = offline([Said("espresso", 1000, 4000, "coffee"), Said("um okay", 5500, 7000, None)])
    coffee = segments[0]
    assert coffee.asset_id == "coffee" and coffee.start_ms == 500  # a crossfade ahead of it
    assert coffee.end_ms == 4800  # its tail; gone before the filler begins
    assert on_screen(segments, 6000) is None


def test_offline_consecutive_sentences_on_one_subject_keep_the_clip_across_the_pause():
    talk = [
        Said("crypto one", 1000, 4000, "crypto"),
        Said("crypto two", 5500, 9000, "crypto"),  # a 1.5 s pause between
        Said("housing", 10_300, 13_000, "house"),
        Said("anyway", 14_000, 15_000, None),
    ]
    segments = offline(talk)
    assert [(s.asset_id, s.start_ms, s.end_ms) for s in segments] == [
        ("crypto", 500, 9800),  # no camera in the pause, and a new clip would have cut on
        ("house", 9800, 13_800),
    ]


def test_offline_a_short_sentence_keeps_its_clip_the_minimum_before_the_next_replaces_it():
    segments = offline([Said("rocket", 1000, 2000, "rocket"), Said("coffee", 2300, 5000, "coffee")])
    assert [(s.asset_id, s.start_ms) for s in segments] == [("rocket", 500), ("coffee", 3000)]


# ---------------------------------------------------------------------- live


def test_live_the_next_sentences_words_keep_the_clip_across_the_pause():
    live = Live()
    p = live.planner
    first = p.began(1000)
    live.to(2200)
    p.heard(first, "crypto", 2200)  # the naming word, mid-sentence
    live.to(4300)
    assert p.decided(first, "crypto", 4000, 4300)  # the end confirms it
    live.to(5500)
    second = p.began(5500)  # 1.5 s pause: still up
    live.to(5900)
    p.heard(second, "crypto", 5900)  # its first words stay on the subject
    live.to(9300)
    p.decided(second, "crypto", 9000, 9300)
    live.to(20_000)
    assert live.cuts == [(2200, "crypto"), (11_000, None)]  # gone 2 s after its last sentence


def test_live_a_sentence_that_says_nothing_yet_lets_the_clip_go_and_can_bring_it_back():
    live = Live()
    p = live.planner
    first = p.began(1000)
    p.heard(first, "crypto", 2000)
    live.to(4300)
    p.decided(first, "crypto", 4000, 4300)
    live.to(5500)
    second = p.began(5500)
    live.to(7000)
    assert live.screen_at(6000) is None  # left 0.5 s into the next sentence
    p.heard(second, "crypto", 7000)  # then its words turn out to be about it
    live.to(7100)
    assert live.cuts == [(2000, "crypto"), (6000, None), (7000, "crypto")]


def test_live_filler_takes_the_clip_down_at_once_and_a_long_pause_ends_it():
    live = Live()
    p = live.planner
    live.said(0, "rocket", 500, 3000)
    second = p.began(3600)
    p.heard(second, None, 3700)  # "Thanks for watching" so far
    live.to(4000)
    assert live.cuts == [(500, "rocket"), (3700, None)]
    live.said(6000, "coffee", 6500, 9000)
    live.to(30_000)  # nobody speaks again: it stays the pause, then goes
    assert live.cuts[-2:] == [(6500, "coffee"), (11_000, None)]


def test_live_the_end_of_a_sentence_corrects_its_early_clip_once():
    live = Live()
    p = live.planner
    first = p.began(0)
    p.heard(first, "rocket", 800)
    live.to(3200)
    p.decided(first, "coffee", 3000, 3200)  # corrected at once, minimum time or not
    second = p.began(4000)
    live.to(4200)
    p.decided(second, None, 4100, 4200)  # a short "um, okay": back to the speaker
    live.to(5000)
    # Its time (its sentence's end and tail) has passed: the next tick takes it down.
    assert live.cuts == [(800, "rocket"), (3200, "coffee"), (3800, None)]


def test_live_the_later_words_correct_a_guess_of_the_first_once():
    live = Live()
    p = live.planner
    first = p.began(0)
    p.heard(first, "astronaut", 300)  # "SpaceX"
    p.heard(first, "rocket", 900)  # "SpaceX just launched": at once, minimum time or not
    p.heard(first, "astronaut", 1500)  # its one correction was made: ignored
    p.heard(first, None, 1800)  # no view on the words so far: the clip stays
    live.to(3200)
    p.decided(first, "rocket", 3000, 3200)  # the whole sentence confirms
    live.to(8000)
    assert live.cuts == [(300, "astronaut"), (900, "rocket"), (5000, None)]
    # A guess held back behind the clip before it is swapped for free (never on screen).
    p.began(9000)
    p.decided(p.sentence, "coffee", 11_000, 11_100)
    third = p.began(11_500)
    p.heard(third, "tea", 11_600)  # coffee has its minimum time first: tea waits
    p.heard(third, "bread", 11_900)
    live.to(20_000)
    assert live.cuts[3:5] == [(11_100, "coffee"), (13_600, "bread")]


def test_live_a_clip_the_first_words_kept_gives_way_once_to_one_the_later_words_ask_for():
    live = Live()
    p = live.planner
    live.said(0, "stocks-up", 500, 3000)
    second = p.began(3600)
    live.to(3900)
    p.heard(second, "stocks-up", 3900)  # "Markets" still ranks the clip up first: kept
    live.to(4600)
    p.heard(second, "stocks-down", 4600)  # "Markets plunged": the clip it is about
    p.heard(second, "stocks-up", 5200)  # its one change was made: ignored
    live.to(5300)
    assert live.cuts == [(500, "stocks-up"), (4600, "stocks-down")]


def test_live_a_clip_decided_after_the_next_sentence_began_is_not_shown():
    live = Live()
    p = live.planner
    first = p.began(0)
    live.to(3000)
    second = p.began(3300)  # the speaker went on before the first sentence was decided
    assert not p.decided(first, "rocket", 3000, 3400)
    assert p.decided(second, "coffee", 6000, 6300)
    live.to(7000)
    assert live.cuts == [(6300, "coffee")]


def test_live_another_clip_waits_for_the_minimum_time_with_no_camera_between():
    live = Live()
    p = live.planner
    live.said(0, "rocket", 500, 900)
    second = p.began(1400)
    p.heard(second, "coffee", 1700)  # wants coffee 1.2 s after the rocket went up
    assert p.upcoming() == ["coffee"]  # opened ahead while the rocket stays
    live.to(6000)
    assert live.cuts == [(500, "rocket"), (3000, "coffee")]


def test_cuts_wait_for_their_clip_to_open():
    p = ShotPlanner(TIMING)
    first = p.began(0)
    p.heard(first, "rocket", 100)
    assert p.advance(200, ready=lambda asset: False) == []
    assert [c.asset_id for c in p.advance(233, ready=lambda asset: True)] == ["rocket"]


def test_the_creators_take_hold_and_veto_win():
    live = Live()
    p = live.planner
    p.take("coffee", 100)
    first = p.began(500)
    p.heard(first, "rocket", 800)
    p.decided(first, None, 2000, 2100)
    live.to(10_000)
    assert live.cuts == [(100, "coffee")]  # pinned through a sentence asking for the speaker
    p.clear(10_000)
    p.hold(True, 10_000)
    second = p.began(10_500)
    p.decided(second, "rocket", 12_000, 12_100)
    live.to(13_000)
    assert live.screen_at(12_500) is None  # held on the speaker
    p.hold(False, 13_000)
    p.veto("rocket", 13_000)
    third = p.began(13_500)
    p.decided(third, "rocket", 15_000, 15_100)
    live.to(16_000)
    assert live.cuts == [(100, "coffee"), (10_000, None)]


# ---------------------------------------------------------------------- the policy's side


def test_the_no_return_rule_spares_a_clip_the_talk_is_still_on():
    policy = Policy(DirectorSettings(no_repeat_within_ms=20_000))
    from livedirector_desktop.core.types import Candidate

    crypto = [Candidate("crypto", "Crypto", 0.6), Candidate("coins", "Coins", 0.4)]
    other = [Candidate("house", "House", 0.6)]
    assert policy.decide(crypto, False, 0).asset_id == "crypto"
    policy.shown("crypto", 500)
    policy.shown(None, 4800)  # it left in the pause after its sentence
    assert policy.decide(crypto, False, 5500).asset_id == "crypto"  # the talk is still on it
    policy.shown("crypto", 5500)
    assert policy.decide(other, False, 9000).asset_id == "house"
    policy.shown("house", 9000)
    # The talk left crypto for housing: within 20 s the next good clip instead.
    assert policy.decide(crypto, False, 14_000).asset_id == "coins"


def test_a_wrong_guess_on_the_first_words_does_not_block_its_clip_later():
    """ "Sea" puts up the ocean for a glacier sentence; the whole sentence corrects it. The
    talk was never on the ocean, so a sentence about the sea soon after still gets it."""
    from livedirector_desktop.core.types import Candidate

    policy = Policy(DirectorSettings(no_repeat_within_ms=20_000))
    ocean = [Candidate("ocean", "Ocean", 0.62), Candidate("glacier", "Glacier", 0.21)]
    glacier = [Candidate("glacier", "Glacier", 0.6), Candidate("ocean", "Ocean", 0.4)]
    guess = policy.early(ocean, 1000, current="glacier")
    assert guess is not None and guess.asset_id == "ocean"
    policy.shown("ocean", 1000)
    assert policy.decide(glacier, False, 3000).asset_id == "glacier"
    policy.shown("glacier", 3000)
    assert policy.decide([], True, 6000).asset_id is None
    policy.shown(None, 6000)
    assert policy.decide(ocean, False, 12_000).asset_id == "ocean"
    policy.shown("ocean", 12_000)
    # A guess the whole sentence confirmed is a topic like any other: once left, not soon.
    assert policy.early(glacier, 15_000) is None  # the glacier left at 6 s
    assert policy.decide([], True, 16_000).asset_id is None
    policy.shown(None, 16_000)
    assert policy.decide(ocean, False, 20_000).asset_id != "ocean"


def test_live_the_wait_counts_from_when_the_speaker_began_and_a_verdict_under_way_is_awaited():
    live = Live()
    p = live.planner
    live.said(0, "crypto", 500, 3000)
    # The microphone heard speech again at 4500; the recognizer's first partial came at
    # 4800: the new sentence's words have until 5000, not 5300.
    second = p.began(4800, start_ms=4500)
    live.to(4900)
    p.listening(second, 4900, for_ms=150)  # its first content word is being judged
    live.to(5040)  # past the wait: the clip waits for the verdict...
    p.heard(second, "crypto", 5040)  # ...which keeps it
    live.to(8000)
    assert live.cuts == [(500, "crypto")]
    # Without a verdict under way it would have gone at 5000.
    again = Live()
    again.planner.decided(again.planner.began(0), "crypto", 3000, 100)
    again.planner.began(4800, start_ms=4500)
    again.to(5100)
    assert again.cuts == [(100, "crypto"), (5000, None)]


def test_live_the_wait_counts_from_when_the_recognizer_can_deliver_the_first_words():
    # Live Whisper delivers a sentence's first words ~0.7 s after its voice begins: the
    # clip of the sentence before waits that long, and then its wait, for them.
    live = Live()
    p = live.planner
    live.said(0, "crypto", 500, 3000)
    second = p.began(4600, start_ms=4500, hearing_ms=700)
    live.to(5600)
    assert live.screen_at(5600) == "crypto"  # 4500 + 700 + 500: still waiting
    p.heard(second, "crypto", 5600)  # the first words are about it
    live.to(9000)
    assert live.cuts == [(500, "crypto")]
    # Words that never come: it leaves once they would have had their say.
    again = Live()
    again.planner.decided(again.planner.began(0), "crypto", 3000, 100)
    again.planner.began(4600, start_ms=4500, hearing_ms=700)
    again.to(6000)
    assert again.cuts == [(100, "crypto"), (5700, None)]


def test_the_hearing_delay_is_the_recent_median_within_bounds():
    from livedirector_desktop.asr.onset import HearingDelay

    delay = HearingDelay()
    assert delay.delay_ms == 0.0  # nothing heard yet: no wait beyond the setting
    for ms in [600, 700, 650, 5000, -20]:  # a cough's onset (5 s) and a clock slip: ignored
        delay.note(ms)
    assert delay.delay_ms == 650
    for ms in [1800] * 9:  # a recognizer falling far behind
        delay.note(ms)
    assert delay.delay_ms == delay.max_ms == 1000  # a clip never waits longer for words


def test_speech_onset_from_the_level_alone():
    from livedirector_desktop.asr.onset import SpeechOnset

    onset = SpeechOnset()
    room = [-45.0, -47.0, -44.0, -46.0] * 50  # a steady fan: 4 s of 20 ms blocks
    assert not any(onset.feed(level, 20) for level in room)
    talk = [-20.0] * 25  # half a second of speech
    fired = [onset.feed(level, 20) for level in talk]
    assert fired.index(True) == 2 and sum(fired) == 1  # 60 ms in, once
    pause = [-46.0] * 10  # 200 ms: a breath inside the sentence, not a new one
    assert not any(onset.feed(level, 20) for level in pause + talk)
    assert not any(onset.feed(level, 20) for level in [-46.0] * 20)  # a real pause...
    assert any(onset.feed(level, 20) for level in talk)  # ...then the next sentence


def test_a_cut_back_during_a_crossfade_reverses_it():
    """The tick applies the planner's cuts to the scene: a clip that leaves and is asked
    for again a moment later fades back from where it was, the same shot playing on."""
    from livedirector_desktop.compositor.scene import LiveScene

    scene = LiveScene(transition_ms=500)
    clip = scene.cut("crypto", 0)
    scene.cut(None, 2000)  # it starts to leave...
    assert scene.state_at(2100).alpha == 0.2  # (20 % of the way to the speaker)
    back = scene.cut("crypto", 2100)  # ...and is asked for again
    assert back == clip  # the same shot: its player and its time go on
    state = scene.state_at(2100)
    assert state.to == clip and abs(state.alpha - 0.8) < 1e-9  # no jump
    assert scene.state_at(2200).alpha == 1.0
    # Once the fade is over, a cut back is a new shot as usual.
    scene.cut(None, 3000)
    assert scene.cut("crypto", 3600) != clip


def test_a_held_back_clip_of_an_older_sentence_does_not_follow_a_newer_one_about_nothing():
    live = Live()
    p = live.planner
    live.said(0, "rocket", 100, 900)
    second = p.began(1000)
    p.heard(second, "coffee", 1200)  # held back by the rocket's minimum time (to 2600)
    live.to(1400)
    p.decided(second, "coffee", 1300, 1400)
    third = p.began(1500)
    p.decided(third, None, 2000, 2100)  # "um, okay": the talk left coffee before it came on
    live.to(6000)
    assert "coffee" not in [asset for _, asset in live.cuts]


def test_releasing_hold_in_a_pause_lets_the_clip_go_in_its_time():
    live = Live()
    p = live.planner
    live.said(0, "rocket", 500, 3000)
    p.hold(True, 3500)
    live.to(20_000)
    assert live.cuts == [(500, "rocket")]  # held in the pause, as long as the creator wants
    p.hold(False, 20_000)
    live.to(20_100)
    assert live.cuts[-1][1] is None  # its time was long over: it goes now


# ---------------------------------------------------------------------- figures

FIG = 'figure:{"v":20.0,"u":"%","d":"up","a":"revenue"}'
FIG2 = 'figure:{"v":12.0,"u":"%","d":"down","a":"stock"}'


def test_a_figure_stays_to_be_read_though_the_next_sentence_begins_at_once():
    live = Live(DirectorSettings(**{**TIMING.model_dump(), "figure_min_ms": 3000}))
    first = live.planner.began(0)
    live.to(3000)
    assert live.planner.decided(first, FIG, 3000, 3000)  # the number came with its last word
    second = live.planner.began(3300)  # 0.3 s later, about nothing the library shows
    live.to(3400)
    live.planner.heard(second, None, 3400)
    live.to(5900)
    assert live.screen_at(5900) == FIG  # a clip would have gone at 3.8 s
    live.to(6100)
    assert live.screen_at(6100) is None  # read for 3 s, then the speaker


def test_a_figure_replaces_the_clip_its_own_sentence_first_asked_for():
    live = Live(DirectorSettings(**{**TIMING.model_dump(), "figure_min_ms": 3000}))
    first = live.planner.began(0)
    live.to(500)
    live.planner.heard(first, "stock-chart", 500)  # "The stock" ...
    live.to(1500)
    live.planner.heard(first, FIG2, 1500)  # ... "fell 12%": the number is the point
    live.to(1600)
    assert live.cuts == [(500, "stock-chart"), (1500, FIG2)]
    # A figure up, and the next sentence's first words ask for a clip: it waits its turn.
    live.to(3000)
    live.planner.decided(first, FIG2, 3000, 3000)
    second = live.planner.began(3200)
    live.to(3300)
    live.planner.heard(second, "coffee", 3300)
    live.to(4400)
    assert live.screen_at(4400) == FIG2
    live.to(4600)
    assert live.screen_at(4600) == "coffee"  # at 1.5 s + 3 s, not before


def test_a_final_after_the_speaker_went_on_does_not_land_its_clip_on_the_next_sentence(
    sample_library,
):
    """Live: sentence one's final (and its verdict) comes after the microphone heard the
    speaker begin sentence two; the clip it asks for would show over words it does not
    illustrate, so the session begins sentence two at its voice and the clip is dropped."""
    from livedirector_desktop.asr.replay import ReplayRecognizer
    from livedirector_desktop.core.types import AudioBlock, TranscriptEvent
    from livedirector_desktop.director.director import Director
    from livedirector_desktop.director.reasoner import KeywordReasoner
    from livedirector_desktop.pipeline.live import LiveSession

    director = Director(sample_library, KeywordReasoner())
    session = LiveSession(sample_library, director, ReplayRecognizer([]), None, None)
    rate, block_ms = 16_000, 20
    at = {"ms": 0}

    def audio(level_dbfs: float, ms: int) -> None:
        for _ in range(ms // block_ms):
            n = rate * block_ms // 1000
            samples = np.full(n, 10 ** (level_dbfs / 20), np.float32)
            session._on_audio(AudioBlock(samples, rate, session.t0_ns + at["ms"] * 1_000_000))
            at["ms"] += block_ms

    try:
        audio(-70, 500)
        audio(-20, 1500)  # sentence one, begun by its voice
        first = session.planner.sentence
        session._on_transcript(TranscriptEvent("SpaceX just launched", False, 500, 1500))
        audio(-70, 400)
        audio(-20, 300)  # the speaker goes on: sentence two's voice, at 2400
        final = TranscriptEvent("SpaceX just launched a rocket.", True, 500, 2000)
        session._on_transcript(final)
        assert session.planner.sentence == first + 1  # begun at its voice, not its words
        decision = director.decide(final.text, now_ms=2600)
        assert decision.asset_id == "rocket-launch"
        session._decided(first, decision, final)
        assert session.stats.clips_too_late == 1
        assert session.planner.upcoming() == [] and session.planner.on_screen is None
    finally:
        session.recognizer.close(5)


def test_the_words_of_the_sentence_being_spoken_are_judged_before_the_final_before_it(
    sample_library,
):
    """Live: sentence one's final and sentence two's first words wait for the director
    together. The words go first (a clip may be waiting on them), then the final; a partial
    of the final's own sentence is superseded by it."""
    from livedirector_desktop.asr.replay import ReplayRecognizer
    from livedirector_desktop.core.types import TranscriptEvent
    from livedirector_desktop.director.director import Director
    from livedirector_desktop.director.reasoner import KeywordReasoner
    from livedirector_desktop.pipeline.live import LiveSession

    class Recorded(LiveSession):
        order: list[str]

        def _hear_partial(self, sentence, event):
            self.order.append(f"partial {sentence}: {event.text}")
            return super()._hear_partial(sentence, event)

        def _decide_final(self, sentence, event, history):
            self.order.append(f"final {sentence}: {event.text}")
            return super()._decide_final(sentence, event, history)

    director = Director(sample_library, KeywordReasoner())
    session = Recorded(sample_library, director, ReplayRecognizer([]), None, None)
    session.order = []
    try:
        final = TranscriptEvent("SpaceX just launched a rocket.", True, 500, 2000)
        words = TranscriptEvent("The rocket", False, 2400, 2900)
        session._direct((0, final), (1, words), [])
        session._direct((2, final), (2, words), [])  # the final's own words: superseded
        assert session.order == [
            "partial 1: The rocket",
            "final 0: SpaceX just launched a rocket.",
            "final 2: SpaceX just launched a rocket.",
        ]
        assert len(session.decisions) == 2
    finally:
        session.recognizer.close(5)
