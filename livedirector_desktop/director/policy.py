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
    wanted: str | None = None  # what the sentence asked for, when timing rules kept another
    deferred: bool = False  # timing rules keep what is on screen; `wanted` follows later


@dataclass
class PolicyState:
    on_screen: str | None = None
    on_screen_since_ms: float = float("-inf")
    last_change_ms: float = float("-inf")
    last_shown_ms: dict[str, float] = field(default_factory=dict)
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
        """`judge(candidate)` gives the evidence that it illustrates the sentence, or None
        when it cannot tell (see `judged`)."""
        st, s = self.state, self.settings
        if st.pinned:
            return self._show(st.pinned, 1.0, "pinned by you", now_ms, manual=True)
        if st.hold:
            return Choice(st.on_screen, 1.0 if st.on_screen else 0.0, "held by you", manual=True)
        want = self.wanted(candidates, filler, judge)
        if want.asset_id == st.on_screen:
            return Choice(st.on_screen, want.confidence, want.reason)
        if st.on_screen in st.vetoed:
            return self._show(
                want.asset_id, want.confidence, f"vetoed clip replaced; {want.reason}", now_ms
            )
        if st.on_screen and now_ms - st.on_screen_since_ms < s.min_on_screen_ms:
            return Choice(
                st.on_screen,
                0.0,
                "kept: minimum time on screen",
                wanted=want.asset_id,
                deferred=True,
            )
        if now_ms - st.last_change_ms < s.cooldown_ms:
            return Choice(
                st.on_screen,
                0.0,
                "kept: cooldown after the last change",
                wanted=want.asset_id,
                deferred=True,
            )
        if want.asset_id and now_ms - st.last_shown_ms.get(want.asset_id, float("-inf")) < (
            s.no_repeat_within_ms
        ):
            # Shown a moment ago: take the next good clip rather than repeat it.
            rest = [
                c
                for c in candidates
                if c.asset_id != want.asset_id
                and c.asset_id not in st.vetoed
                and now_ms - st.last_shown_ms.get(c.asset_id, float("-inf"))
                >= s.no_repeat_within_ms
            ]
            if rest:
                alt = self.judged(rest, judge)
                if alt.asset_id:
                    return self._show(
                        alt.asset_id, alt.confidence, "best match not shown recently", now_ms
                    )
            want = Choice(None, 0.0, "best match was just shown")
        return self._show(want.asset_id, want.confidence, want.reason, now_ms)

    def early(
        self, candidates: list[Candidate], now_ms: float, judge: Judgment | None = None
    ) -> Choice | None:
        """While a sentence is still being spoken: a clip only on strong evidence (a stricter
        bar than at its end), and only where the timing rules allow a change now."""
        st, s = self.state, self.settings
        if st.pinned or st.hold:
            return None
        allowed = [c for c in candidates if c.asset_id not in st.vetoed]
        if not allowed:
            return None
        best = allowed[0]
        if best.score < s.early_threshold or stands_out(allowed) < s.early_gap:
            return None
        evidence = judge(best) if judge is not None and best.asset_id != st.on_screen else None
        if evidence is not None and evidence < s.evidence_threshold:
            return None  # the words so far are not about what the clip shows
        if best.asset_id == st.on_screen:
            return Choice(best.asset_id, best.score, "the talk stays on it")
        if st.on_screen and now_ms - st.on_screen_since_ms < s.min_on_screen_ms:
            return None
        if now_ms - st.last_change_ms < s.cooldown_ms:
            return None
        if now_ms - st.last_shown_ms.get(best.asset_id, float("-inf")) < s.no_repeat_within_ms:
            return None
        return self._show(best.asset_id, best.score, "strong match while speaking", now_ms)

    def correct(self, asset_id: str | None, confidence: float, now_ms: float) -> Choice:
        """At the end of a sentence whose clip went up early: what the whole sentence asks for
        replaces it now (the timing rules held for the early clip do not hold it)."""
        reason = "corrected at the end of the sentence" if asset_id else "taken down: no match"
        return self._show(asset_id, confidence, reason, now_ms)

    def ended(self, now_ms: float) -> None:
        """The clip on screen had its sentence's time and left in a pause: back to the camera
        without a change of subject, so no cooldown starts."""
        st = self.state
        if st.on_screen:
            st.last_shown_ms[st.on_screen] = now_ms
            st.on_screen, st.on_screen_since_ms = None, now_ms

    def shown_later(self, asset_id: str | None, now_ms: float) -> None:
        """A clip the timing rules deferred goes on screen now (or the camera, for None)."""
        self._show(asset_id, 0.0, "deferred", now_ms)

    def _show(
        self,
        asset_id: str | None,
        confidence: float,
        reason: str,
        now_ms: float,
        manual: bool = False,
    ) -> Choice:
        st = self.state
        if asset_id != st.on_screen:
            if st.on_screen:
                st.last_shown_ms[st.on_screen] = now_ms
            st.on_screen = asset_id
            st.on_screen_since_ms = now_ms
            st.last_change_ms = now_ms
        if asset_id:
            st.last_shown_ms[asset_id] = now_ms
        return Choice(asset_id, confidence, reason, manual)

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
        self._show(None, 0.0, "cleared by you", now_ms)
