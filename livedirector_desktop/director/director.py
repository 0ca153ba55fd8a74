"""The director: a final sentence in, a Decision out. It never raises and never hangs.

Path of each decision, reported with it:
  llm       the reasoner's query and the sentence ranked the clips; the judge (how much the
            sentence raises the local LLM's odds of naming the best clip, read from its
            logits, with the score and how far it stands out) confirmed or refused it
  fallback  the reasoner failed, timed out or answered nonsense; the sentence's own
            words ranked the clips (keyword reasoner + embedding) and a stricter score
            gate stands in for the judge
  manual    a pinned or held clip decided
  error     retrieval itself failed; nothing is shown
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from livedirector_desktop.config import DirectorSettings
from livedirector_desktop.core.figure import Figure
from livedirector_desktop.core.types import Analysis, Candidate, Decision, Outcome
from livedirector_desktop.director.figures import complete_in, read_figure
from livedirector_desktop.director.filler import (
    content_words,
    is_filler,
    is_filler_phrase,
    is_hesitation,
    is_latin,
)
from livedirector_desktop.director.judge import Judge, clip_text, evidence
from livedirector_desktop.director.policy import JUDGED, Policy
from livedirector_desktop.director.reasoner import KeywordReasoner, Reasoner
from livedirector_desktop.director.retrieval import retrieve, stands_out
from livedirector_desktop.library.library import Library

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Controls:
    pinned: str | None
    hold: bool
    vetoed: frozenset[str]
    on_screen: str | None


class Director:
    def __init__(
        self,
        library: Library,
        reasoner: Reasoner | None,
        settings: DirectorSettings | None = None,
        timeout_ms: float = 1500,
        judge: Judge | None = None,
        judge_timeout_ms: float | None = None,
    ) -> None:
        self.library = library
        self.reasoner = reasoner
        self.judge = judge
        self.fallback = KeywordReasoner()
        self.settings = settings or DirectorSettings()
        self.policy = Policy(self.settings)
        self.timeout_ms = timeout_ms
        self.judge_timeout_ms = judge_timeout_ms  # None: the settings' (live) bound
        self._lock = threading.RLock()  # policy state is shared by the GUI and the worker

    def _analyze(self, text: str, context: Sequence[str]) -> tuple[Analysis, str, str]:
        """(analysis, path, why) — the reasoner's, or the fallback's when it fails."""
        if self.reasoner is None or self.reasoner.name == "keyword":
            return self.fallback.analyze(text), "fallback", "no LLM configured"
        if is_filler(text):
            # Rules are certain here and free; the LLM is not asked.
            return Analysis(query="", is_filler=True), "llm", ""
        if not is_latin(text) and self._reads_all_languages():
            # The local LLMs read English: on Korean their query misleads and their judgment
            # vetoes what a multilingual embedding found; the strict score gate decides.
            return self.fallback.analyze(text), "fallback", "non-Latin text: score alone"
        try:
            analysis = self.reasoner.analyze(text, context, timeout_ms=self.timeout_ms)
            if analysis.is_filler and not is_filler(text):
                # Small models say NONE for too many real topics; the sentence decides.
                return Analysis(query="", topic="", is_filler=False), "llm", "llm saw no topic"
            return analysis, analysis.source or "llm", analysis.note
        except Exception as exc:  # any failure of the reasoner is a reason to fall back
            log.warning("reasoner failed, falling back: %s", exc)
            return self.fallback.analyze(text), "fallback", f"llm failed: {exc}"

    def _reads_all_languages(self) -> bool:
        return bool(getattr(self.library.embedder, "multilingual", False))

    def decide_early(self, text: str, now_ms: float, current: str | None = None) -> Decision | None:
        """A sentence still being spoken (a partial): what its words so far ask for, or None
        when they do not tell yet. `current`: the clip up now (or the one the sentence
        before asked for); the words keep it when they rank it first.

        Cheap by design (it runs on growing partials): the words so far rank the clips (no
        LLM query), and a new clip needs a stricter bar than at the end of the sentence.
        Filler phrases ("thanks for watching") ask for the speaker. It never raises.
        """
        started = time.perf_counter()
        text = " ".join(str(text).split())
        if not text:
            return None
        if is_filler_phrase(text) or is_hesitation(text):
            return self._early_decision(
                text, None, 0.0, [], "filler while speaking", now_ms, started
            )
        figure = complete_in(text) if self.settings.figures else None
        if figure is not None and figure.is_change:
            with self._lock:
                allowed = self.policy.allows_figure(figure.shot_id)
            if allowed:
                reason = f"the sentence's point is a figure: {figure.headline()}"
                return self._early_decision(text, figure.shot_id, 1.0, [], reason, now_ms, started)
        if not content_words(text):
            return None
        try:
            candidates = retrieve(self.library, text, "", self.settings.top_k, 0.0)
        except Exception as exc:  # a broken store must not stop the show
            log.error("retrieval failed: %s", exc)
            return None
        judge, tie = None, None
        english_judge = is_latin(text) or not self._reads_all_languages()
        if self.judge is not None and self.settings.judge and english_judge:
            notes: list[str] = []
            latency: dict[str, float] = {}
            ask = self._judgment(text, latency, notes)
            # Judged from the score that keeps a clip up: no clip ranked first below it
            # reached the early evidence on the held-out sets (an LLM call saved).
            floor = min(self.settings.stay_threshold, self.settings.early_threshold)
            judge = self._judged_ahead(candidates, ask, floor, current)
            tie = self._tie_to(text, candidates, current)
        with self._lock:
            choice = self.policy.early(candidates, now_ms, judge, current, tie)
        if choice is None:
            return None
        return self._early_decision(
            text, choice.asset_id, choice.confidence, candidates, choice.reason, now_ms, started
        )

    @staticmethod
    def _early_decision(text, asset_id, confidence, candidates, reason, now_ms, started):
        return Decision(
            text=text,
            query="",
            asset_id=asset_id,
            confidence=confidence,
            candidates=candidates,
            path="early",
            reason=reason,
            latency_ms={"total": (time.perf_counter() - started) * 1e3},
            at_ms=now_ms,
            outcome=Outcome.SHOW if asset_id else Outcome.CAMERA,
        )

    def decide(
        self,
        text: str,
        now_ms: float | None = None,
        context: Sequence[str] = (),
    ) -> Decision:
        """The clip a final sentence asks for (None: the speaker). When it goes up and how
        long it stays is the shot planner's (director/planner.py)."""
        started = time.perf_counter()
        now_ms = time.monotonic() * 1e3 if now_ms is None else now_ms
        latency: dict[str, float] = {}
        text = " ".join(str(text).split())
        figure = read_figure(text) if self.settings.figures else None
        if figure is not None and figure.is_change:
            decided = self._figure(figure, text, now_ms, started)
            if decided is not None:
                return decided
        analysis, path, why = self._analyze(text, context)
        latency["llm"] = (time.perf_counter() - started) * 1e3
        query = analysis.query
        candidates = []
        if text and not analysis.is_filler:
            t0 = time.perf_counter()
            try:
                candidates = retrieve(
                    self.library,
                    text,
                    query if path != "fallback" else "",
                    self.settings.top_k,
                    self.settings.query_weight,
                )
            except Exception as exc:  # a broken store must not stop the show
                log.error("retrieval failed: %s", exc)
                path, why = "error", f"retrieval failed: {exc}"
            latency["retrieval"] = (time.perf_counter() - t0) * 1e3
        notes = [why] if why else []
        judge = None
        if self.judge is not None and self.settings.judge and path == "llm":
            ask = self._judgment(text, latency, notes, context)
            judge = self._judged_ahead(candidates, ask)
            if query.strip():
                candidates, judge = self._sentence_first(text, candidates, judge, ask, notes)
        with self._lock:
            choice = self.policy.decide(candidates, analysis.is_filler, now_ms, judge)
            held = self.policy.state.hold and not self.policy.state.pinned
        latency["total"] = (time.perf_counter() - started) * 1e3
        if candidates and not is_latin(text) and not self._reads_all_languages():
            notes.append("non-Latin text: the embedding model reads English best")
        reason = "; ".join([choice.reason, *notes])
        outcome = Outcome.SHOW if choice.asset_id else Outcome.CAMERA
        if held:
            outcome = Outcome.KEEP
        if (
            figure is not None
            and outcome is Outcome.CAMERA
            and not analysis.is_filler
            and path != "error"
        ):
            # An amount or a count, and no clip in the library shows what it is about.
            decided = self._figure(figure, text, now_ms, started)
            if decided is not None:
                return decided
        decision = Decision(
            text=text,
            query=query,
            asset_id=choice.asset_id,
            confidence=choice.confidence,
            candidates=candidates,
            path="manual" if choice.manual else path,
            reason=reason,
            latency_ms=latency,
            at_ms=now_ms,
            outcome=outcome,
        )
        log.info(
            "decision path=%s asset_id=%s confidence=%.3f "
            "llm_ms=%.1f retrieval_ms=%.1f judge_ms=%.1f total_ms=%.1f",
            decision.path,
            decision.asset_id,
            decision.confidence,
            latency.get("llm", 0),
            latency.get("retrieval", 0),
            latency.get("judge", 0),
            latency["total"],
        )
        return decision

    def _figure(self, figure: Figure, text: str, now_ms: float, started: float) -> Decision | None:
        """The decision to draw the figure the sentence says (None: the creator's controls
        decide, or they dismissed it)."""
        with self._lock:
            choice = self.policy.figure(figure.shot_id)
        if choice is None:
            return None
        return Decision(
            text=text,
            query="",
            asset_id=choice.asset_id,
            confidence=1.0,
            candidates=[],
            path="figure",
            reason=f"{choice.reason}: {figure.headline()} {figure.label()}".strip(),
            latency_ms={"total": (time.perf_counter() - started) * 1e3},
            at_ms=now_ms,
            outcome=Outcome.SHOW,
        )

    def _sentence_first(self, text: str, candidates: list[Candidate], judge, ask, notes):
        """The LLM's query led to a clip judged off-topic, where the sentence alone ranks
        another first ("roasted marshmallows" -> "roast marshmallow cake" puts a baking clip
        over the campfire): that one is weighed too, before nothing is shown."""
        if not candidates or (judge(candidates[0]) or 0.0) >= self.settings.evidence_threshold:
            return candidates, judge
        if judge(candidates[0]) is None:
            return candidates, judge
        try:
            alone = retrieve(self.library, text, "", self.settings.top_k, 0.0)
        except Exception as exc:  # a broken store must not stop the show
            log.error("retrieval failed: %s", exc)
            return candidates, judge
        if not alone or alone[0].asset_id == candidates[0].asset_id:
            return candidates, judge
        ours = {c.asset_id: c for c in candidates}
        pick = ours.get(alone[0].asset_id, alone[0])
        ranked = [pick, *(c for c in candidates if c.asset_id != pick.asset_id)]
        notes.append(f"the sentence alone ranks {pick.asset_id} first: weighed too")
        return ranked, self._judged_ahead(ranked, ask)

    def _judged_ahead(
        self, candidates: list[Candidate], judge, floor: float = 0.0, current: str | None = None
    ):
        """The judgments the policy will ask for, made before it takes the lock: an LLM
        evaluation must never hold up the creator's controls or the compositor tick, which
        read the policy under that lock. Clips outside the first JUDGED get none, and so
        does `current` (early: it stays on its rank alone)."""
        with self._lock:
            vetoed = set(self.policy.state.vetoed)
        allowed = [c for c in candidates if c.asset_id not in vetoed]
        known: dict[str, float] = {}
        if allowed and allowed[0].asset_id == current:
            return lambda candidate: None
        if allowed and allowed[0].score >= max(floor, self.settings.threshold_low):
            known = judge(allowed[:JUDGED], allowed)
        return lambda candidate: known.get(candidate.asset_id)

    def _tie_to(self, text: str, candidates: list[Candidate], current: str | None) -> float | None:
        """How much the words so far raise the local LLM's odds of naming `current`, the
        clip up (nats), when its rank alone does not keep it; None when not asked or the
        judge failed. One judge call more on a partial (its latency not yet benchmarked)."""
        if current is None or self.judge is None:
            return None
        first = candidates[0] if candidates else None
        ranked_first = first is not None and first.asset_id == current
        if ranked_first and first.score >= self.settings.stay_threshold:
            return None  # its rank keeps it
        asset = self.library.get(current)
        if asset is None:
            return None  # a drawn figure, or a clip removed from the library
        try:
            timeout = self.judge_timeout_ms or self.settings.judge_timeout_ms
            title = clip_text(asset.title, asset.description)
            return self.judge.relevances(text, [title], (), timeout_ms=timeout)[0]
        except Exception as exc:  # no tie known: the clip's rank alone decides
            log.warning("judge failed on the clip up: %s", exc)
            return None

    def _judgment(self, text: str, latency: dict[str, float], notes: list[str], context=()):
        """The judge as `_judged_ahead` calls it: evidence for each clip of `pool` (ranked
        among `ranked`), or {} when it failed (then the strict score gate decides)."""

        def judge(pool: list[Candidate], ranked: list[Candidate]) -> dict[str, float]:
            t0 = time.perf_counter()
            try:
                titles = []
                for candidate in pool:
                    asset = self.library.get(candidate.asset_id)
                    titles.append(
                        clip_text(asset.title, asset.description) if asset else candidate.title
                    )
                nats = self.judge.relevances(
                    text,
                    titles,
                    context,
                    timeout_ms=self.judge_timeout_ms or self.settings.judge_timeout_ms,
                )
                return {
                    c.asset_id: evidence(
                        c.score, stands_out([c, *(r for r in ranked if r is not c)]), value
                    )
                    for c, value in zip(pool, nats, strict=True)
                }
            except Exception as exc:  # a failed judgment falls back to the strict score gate
                log.warning("judge failed, score alone decides: %s", exc)
                notes.append(f"judge failed: {exc}")
                return {}
            finally:
                latency["judge"] = latency.get("judge", 0.0) + (time.perf_counter() - t0) * 1e3

        return judge

    # Manual control, safe to call from any thread.
    def pin(self, asset_id: str | None) -> None:
        with self._lock:
            self.policy.pin(asset_id)

    def veto(self, asset_id: str, vetoed: bool = True) -> None:
        with self._lock:
            self.policy.veto(asset_id, vetoed)

    def hold(self, hold: bool) -> None:
        with self._lock:
            self.policy.set_hold(hold)

    def clear(self, now_ms: float | None = None) -> None:
        with self._lock:
            self.policy.clear(time.monotonic() * 1e3 if now_ms is None else now_ms)

    def shown(self, asset_id: str | None, now_ms: float) -> None:
        """Tell the policy the planner cut to `asset_id` (None: the speaker) at now_ms."""
        with self._lock:
            self.policy.shown(asset_id, now_ms)

    def last_asked(self) -> str | None:
        """The clip the last whole sentence asked for (None: the speaker, or none yet)."""
        with self._lock:
            return self.policy.state.last_asked

    def controls(self) -> Controls:
        """A consistent copy of the creator's controls (for views and the compositor tick)."""
        with self._lock:
            st = self.policy.state
            return Controls(st.pinned, st.hold, frozenset(st.vetoed), st.on_screen)

    def reset(self) -> None:
        with self._lock:
            self.policy = Policy(self.settings)
