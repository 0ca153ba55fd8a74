"""What goes on screen, given the ranked candidates and what is on screen now.

Pure logic over timeline milliseconds: the live studio passes the clock, `render` passes
the media time, tests pass whatever they like.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from livedirector_desktop.config import DirectorSettings
from livedirector_desktop.core.types import Candidate
from livedirector_desktop.director.retrieval import stands_out

# How strongly the evidence says the candidate illustrates the sentence (score units, see
# director/judge.py), or None when no judgment is available for it.
Judgment = Callable[[Candidate], "float | None"]
# The clips the judge weighs per sentence: the best by score. Weighing the second too (it
# may then be shown instead) gained nothing overall on the dev sets and costs an LLM
# evaluation (see director/judge.py); the policy takes any number.
JUDGED = 1


@dataclass
class Choice:
    asset_id: str | None
    confidence: float
    reason: str
    manual: bool = False


@dataclass
class PolicyState:
    on_screen: str | None = None
    last_asked: str | None = None  # what the last whole sentence asked for
    last_shown_ms: dict[str, float] = field(default_factory=dict)
    # Clips put up on a sentence's words so far since the last whole sentence, and those a
    # whole sentence then asked something else for: a wrong guess is not a topic the talk
    # left, so the no-return rule does not count its showing.
    guessed: set[str] = field(default_factory=set)
    refuted: set[str] = field(default_factory=set)
    pinned: str | None = None
    vetoed: set[str] = field(default_factory=set)
    hold: bool = False


class Policy:
    def __init__(self, settings: DirectorSettings) -> None:
        self.settings = settings
        self.state = PolicyState()

    def strictly_confident(self, candidates: list[Candidate]) -> bool:
        """The gate when no relevance judgment is available: the score alone, set higher."""
        if not candidates:
            return False
        best = candidates[0].score
        s = self.settings
        return best >= s.fallback_threshold or (
            best >= s.threshold and stands_out(candidates) >= s.fallback_min_gap
        )

    def judged(self, candidates: list[Candidate], judge: Judgment | None) -> Choice:
        """Which of the best clips, if any, to show: the judge's evidence decides among the
        first JUDGED clips; without a judgment the score alone must pass a stricter gate."""
        best, s = candidates[0], self.settings
        if best.score < s.threshold_low:
            return Choice(None, best.score, "no clip matches well enough")
        weighed = []
        if judge is not None:
            for candidate in candidates[:JUDGED]:
                evidence = judge(candidate)
                if evidence is not None:
                    weighed.append((evidence, candidate))
        if not weighed:
            if not self.strictly_confident(candidates):
                return Choice(None, best.score, "no clip matches well enough (score alone)")
            return Choice(best.asset_id, best.score, "best match (score alone)")
        evidence, pick = max(weighed, key=lambda w: w[0])
        # The confidence stays the retrieval score (a cosine, 0..1, as the UI shows it).
        if evidence < s.evidence_threshold or pick.score < s.threshold_low:
            return Choice(None, pick.score, f"clip judged off-topic (evidence {evidence:.2f})")
        return Choice(pick.asset_id, pick.score, f"best match (evidence {evidence:.2f})")

    def wanted(
        self, candidates: list[Candidate], filler: bool, judge: Judgment | None = None
    ) -> Choice:
        """What this sentence alone asks for, before timing rules."""
        allowed = [c for c in candidates if c.asset_id not in self.state.vetoed]
        if filler:
            return Choice(None, 0.0, "filler, greeting or call to action")
        if not allowed:
            return Choice(None, 0.0, "no candidates" if not candidates else "all candidates vetoed")
        return self.judged(allowed, judge)

    def decide(
        self,
        candidates: list[Candidate],
        filler: bool,
        now_ms: float,
        judge: Judgment | None = None,
    ) -> Choice:
        """What the whole sentence asks for. Timing (when it goes up, how long it stays) is
        the shot planner's (director/planner.py); `judge(candidate)` gives the evidence that
        it illustrates the sentence, or None when it cannot tell (see `judged`)."""
        st = self.state
        if st.pinned:
            return Choice(st.pinned, 1.0, "pinned by you", manual=True)
        if st.hold:
            return Choice(st.on_screen, 1.0 if st.on_screen else 0.0, "held by you", manual=True)
        want = self.wanted(candidates, filler, judge)
        asked, st.last_asked = st.last_asked, want.asset_id
        choice = self._not_left(want, candidates, now_ms, asked, judge)
        self._settle_guesses(choice.asset_id)
        return choice

    def _not_left(
        self,
        want: Choice,
        candidates: list[Candidate],
        now_ms: float,
        asked: str | None,
        judge: Judgment | None,
    ) -> Choice:
        """`want`, unless the talk left it a moment ago: then the next good clip, if any."""
        if want.asset_id is None or not self._left_recently(want.asset_id, now_ms, asked):
            return want
        rest = [
            c
            for c in candidates
            if c.asset_id != want.asset_id
            and c.asset_id not in self.state.vetoed
            and not self._left_recently(c.asset_id, now_ms, asked)
        ]
        if rest:
            alt = self.judged(rest, judge)
            if alt.asset_id:
                return Choice(alt.asset_id, alt.confidence, "best match not shown recently")
        return Choice(None, 0.0, "best match was just shown")

    def figure(self, figure_id: str) -> Choice | None:
        """A sentence that says a figure asks for it, unless the creator decides (pinned,
        held: `decide` answers) or dismissed this figure; the no-return rule does not apply
        (a number said again is news again)."""
        if not self.allows_figure(figure_id):
            return None
        self.state.last_asked = figure_id
        self._settle_guesses(figure_id)
        return Choice(figure_id, 1.0, "the sentence's point is a figure")

    def allows_figure(self, figure_id: str) -> bool:
        st = self.state
        return not (st.pinned or st.hold or figure_id in st.vetoed)

    def _settle_guesses(self, asked: str | None) -> None:
        """A whole sentence asked for `asked`: the clips its words so far put up instead
        were wrong guesses ("Sea" put up the ocean for "Sea levels keep rising as the poles
        warm up", a glacier sentence), and the clip it asks for is a topic again."""
        st = self.state
        st.refuted |= st.guessed - {asked}
        st.refuted.discard(asked)
        st.guessed.clear()

    def _left_recently(self, asset_id: str, now_ms: float, asked: str | None) -> bool:
        """The no-return rule: a clip the talk already left is not brought back within
        `no_repeat_within_ms`. A clip on screen, the one the sentence before asked for (it
        left in the pause: the talk is still on it), or one that was up only as a wrong
        guess (the talk was never on it) is not left."""
        st = self.state
        if asset_id in (st.on_screen, asked) or asset_id in st.refuted:
            return False
        return (
            now_ms - st.last_shown_ms.get(asset_id, float("-inf"))
            < self.settings.no_repeat_within_ms
        )

    def early(
        self,
        candidates: list[Candidate],
        now_ms: float,
        judge: Judgment | None = None,
        current: str | None = None,
        current_nats: float | None = None,
    ) -> Choice | None:
        """While a sentence is still being spoken: a new clip only on strong evidence (a
        stricter bar than at its end); `current`, the clip up now (or the one the sentence
        before asked for), stays when the words so far rank it first, or when no other
        clip has the evidence and the local LLM ties the words to it (`current_nats`:
        how much they raise its odds of naming the clip). None: no view yet."""
        st, s = self.state, self.settings
        if st.pinned or st.hold:
            return None
        allowed = [c for c in candidates if c.asset_id not in st.vetoed]
        if not allowed:
            return None
        best = allowed[0]
        if current is not None and best.asset_id == current and best.score >= s.stay_threshold:
            return Choice(best.asset_id, best.score, "the talk stays on it")
        if self._strong_early(allowed, judge) and not self._left_recently(
            best.asset_id, now_ms, st.last_asked
        ):
            if best.asset_id != current:
                st.guessed.add(best.asset_id)
            return Choice(best.asset_id, best.score, "strong match while speaking")
        tied = current_nats is not None and current_nats >= s.stay_nats
        if current is not None and current not in st.vetoed and tied:
            return Choice(current, 0.0, "the words so far are about it (LLM)")
        return None

    def _strong_early(self, allowed: list[Candidate], judge: Judgment | None) -> bool:
        """A clip up on the words so far: a high score that stands out, with the judge's
        nod; or, whatever its score, the judge's evidence at the higher early bar."""
        s, best = self.settings, allowed[0]
        evidence = judge(best) if judge is not None else None
        if evidence is not None and evidence >= s.early_evidence:
            return best.score >= s.threshold_low
        if best.score < s.early_threshold or stands_out(allowed) < s.early_gap:
            return False
        return evidence is None or evidence >= s.evidence_threshold

    def shown(self, asset_id: str | None, now_ms: float) -> None:
        """The planner cut to `asset_id` (None: the speaker) at now_ms."""
        st = self.state
        if st.on_screen and st.on_screen != asset_id:
            st.last_shown_ms[st.on_screen] = now_ms
        st.on_screen = asset_id
        if asset_id:
            st.last_shown_ms[asset_id] = now_ms

    # Manual control: always wins over the director.
    def pin(self, asset_id: str | None) -> None:
        self.state.pinned = asset_id
        if asset_id:
            self.state.vetoed.discard(asset_id)

    def veto(self, asset_id: str, vetoed: bool = True) -> None:
        (self.state.vetoed.add if vetoed else self.state.vetoed.discard)(asset_id)
        if vetoed and self.state.pinned == asset_id:
            self.state.pinned = None

    def set_hold(self, hold: bool) -> None:
        self.state.hold = hold

    def clear(self, now_ms: float) -> None:
        """Back to the camera now (Esc in the studio)."""
        self.state.pinned = None
        self.shown(None, now_ms)
