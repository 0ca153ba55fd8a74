"""The shot planner: which shot is up when, for live, `render` and `conform` alike.

Pure logic over timeline milliseconds, with no clock and no thread of its own: callers say
what happened and when (`now_ms`), and `advance(now_ms)` hands out the cuts due by then.
Live feeds it as the talk is heard (a sentence begins, its words so far ask for a clip, its
end decides) and advances it at the top of every compositor tick; `render` and `conform`
know every sentence ahead and feed each one just before it starts (`plan_talk`), so the
same rules start a clip with its sentence there. Tests drive it with any times they like.

The timing rules, once:
- A clip goes up when a sentence asks for it: while it is spoken (its words so far, on
  strong evidence) or once the whole sentence has been heard.
- It stays while its sentence lasts and across the pause after it, at most `pause_hold_ms`
  past the sentence's end (people pause 0.3-2 s between sentences on one subject). When the
  next sentence begins, its words get `continuity_wait_ms` to say whether the talk is still
  on the clip (it stays), moved to another (that one follows) or to nothing the library
  shows (the speaker), counted from when the recognizer can first deliver them (live
  Whisper hears a sentence's first words ~0.7 s into it). Unknown by then: the speaker,
  and the clip comes back if the sentence asks for it.
- Before another clip replaces it, a clip stays `min_on_screen_ms`; once no sentence asks
  for it any more, it leaves `tail_ms` after the last one that did, and no sentence's pause
  keeps it past `max_on_screen_ms`. Between two clips the speaker shows only for at least
  `camera_min_ms` (a shorter look reads as a flash: the next clip cuts straight on).
- Few changes a sentence: a clip put up by a sentence's first words may be corrected
  once by its later words (a name alone misleads: "SpaceX" puts up an astronaut, "SpaceX
  just launched" the rocket), and is confirmed or corrected by the whole sentence. A clip
  its first words only kept up (the talk seemed to stay on it) likewise gives way once to
  another its later words ask for.
- A drawn figure (core/figure.py) is a shot like a clip, read rather than glanced at: it
  stays at least `figure_min_ms` once up, even as the next sentence begins; and it may
  replace the clip its own sentence's first words put up (the rules read the number with
  certainty; the clip was a guess).
- The creator's take, hold and veto win over all of it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from livedirector_desktop.core.figure import is_figure
from livedirector_desktop.core.types import Decision, Outcome

INF = float("inf")
# How much longer than the continuity wait a clip waits for a verdict on the next
# sentence's words that is under way (a judgment takes 0.1-0.3 s on two cores).
VERDICT_ALLOWANCE_MS = 400.0


class Timing(Protocol):
    """The timing settings the planner reads (DirectorSettings has them, validated)."""

    min_on_screen_ms: int
    tail_ms: int
    pause_hold_ms: int
    continuity_wait_ms: int
    max_on_screen_ms: int
    camera_min_ms: int
    figure_min_ms: int


@dataclass(frozen=True)
class Cut:
    """Cut to `asset_id` (None: the speaker) at `at_ms`."""

    at_ms: float
    asset_id: str | None
    cause: str  # sentence, early, deferred, ended, moved on, taken down, manual, clear, veto
    decision: Decision | None = None
    text: str = ""


@dataclass
class _Shot:
    """What is on screen and which sentence keeps it there."""

    asset_id: str | None = None
    since_ms: float = -INF
    sentence: int = -1  # the last sentence that asked for it
    sentence_end_ms: float = INF  # when that sentence ended (INF: still spoken, or unknown)
    leave_ms: float = INF  # when it goes unless a sentence keeps it
    early: bool = False  # that sentence's words put it up (or kept it) before its end
    kept: bool = False  # that sentence's words kept it up (a change still to come)
    corrected: bool = False  # that sentence's later words replaced its first words' guess


@dataclass
class _Pending:
    """A cut held back by the minimum time on screen of the clip before it."""

    at_ms: float
    asset_id: str
    sentence: int
    decision: Decision | None
    text: str
    early: bool
    sentence_end_ms: float = INF


@dataclass
class ShotPlanner:
    timing: Timing
    pinned: str | None = None
    held: bool = False
    vetoed: set[str] = field(default_factory=set)
    sentence: int = -1  # the sentence being spoken, or the last one
    speaking: bool = False
    shot: _Shot = field(default_factory=_Shot)
    _began_ms: float = -INF  # when the sentence being spoken began
    _words_ms: float = -INF  # when its first words could be heard (began + the ears' delay)
    _pending: _Pending | None = None
    _due: list[Cut] = field(default_factory=list)  # made, not yet handed out

    # ------------------------------------------------------------------ what was said

    def began(self, now_ms: float, start_ms: float | None = None, hearing_ms: float = 0.0) -> int:
        """A new sentence is being spoken (live: its voice or first partial; offline: its
        start); `start_ms`: when the speaker began it, where known (its first partial comes
        a moment later). `hearing_ms`: how long after that the recognizer usually delivers a
        sentence's first words (live Whisper: ~0.7 s); the continuity wait counts from then.
        Returns its number, for `heard` and `decided`."""
        self._pass(now_ms)
        self.sentence += 1
        self.speaking = True
        self._began_ms = min(now_ms, start_ms) if start_ms is not None else now_ms
        self._words_ms = self._began_ms + max(0.0, hearing_ms)
        shot = self.shot
        if shot.asset_id and shot.sentence < self.sentence and not self._manual:
            self._await_words(now_ms)
        return self.sentence

    def listening(self, sentence: int, now_ms: float, for_ms: float) -> None:
        """The words so far of `sentence` are being judged, the verdict due in about
        `for_ms`: a clip waiting for them waits for it (at most VERDICT_ALLOWANCE_MS past
        the continuity wait)."""
        self._pass(now_ms)
        shot = self.shot
        if sentence != self.sentence or not shot.asset_id or shot.sentence >= sentence:
            return
        if shot.leave_ms == INF or self._manual:
            return
        latest = self._words_ms + self.timing.continuity_wait_ms + VERDICT_ALLOWANCE_MS
        shot.leave_ms = max(shot.leave_ms, min(now_ms + for_ms, latest))

    def heard(
        self,
        sentence: int,
        asset_id: str | None,
        now_ms: float,
        decision: Decision | None = None,
        text: str = "",
    ) -> None:
        """The words so far of `sentence`, still being spoken, ask for `asset_id` (None:
        they are filler, or about nothing the library shows). Call only with a view."""
        self._pass(now_ms)
        shot = self.shot
        if self._manual or sentence != self.sentence or not self.speaking:
            return
        replaces_guess = shot.sentence == sentence and self._corrects_guess(asset_id)
        if shot.sentence == sentence and not replaces_guess and not shot.kept:
            return  # this sentence already had its early change: its end decides
        pending = self._pending
        if pending is not None and pending.sentence == sentence:
            if asset_id is None or asset_id == pending.asset_id:
                return
            if is_figure(pending.asset_id) and not is_figure(asset_id):
                return
            self._pending = None  # its later words ask for another (not yet up: no cost)
        if asset_id is not None and asset_id in self.vetoed:
            return
        if asset_id is None:
            self._pending = None  # an older sentence's clip, held back: the talk moved on
            if shot.asset_id is not None:
                self._leave(now_ms, now_ms)
        elif asset_id == shot.asset_id:
            self._keep(sentence, early=True)
        else:
            self._show(
                asset_id, sentence, now_ms, "early", decision, text, early=True,
                correct=replaces_guess,
            )  # fmt: skip
            if (replaces_guess or shot.kept) and self.shot.asset_id == asset_id:
                self.shot.corrected = True  # the one change its later words make

    def _corrects_guess(self, asset_id: str | None) -> bool:
        """The clip up is this sentence's first words' guess, and its later words ask for
        another: a figure (read with certainty) always replaces a clip; a clip replaces a
        guess once ("SpaceX" put up an astronaut; "SpaceX just launched" asks for the
        rocket), so the talk does not flip between two clips."""
        shot = self.shot
        if not shot.early or shot.kept or asset_id is None or asset_id == shot.asset_id:
            return False
        if is_figure(asset_id):
            return not is_figure(shot.asset_id)
        return not shot.corrected and not is_figure(shot.asset_id)

    def decided(
        self,
        sentence: int,
        asset_id: str | None,
        end_ms: float,
        now_ms: float,
        decision: Decision | None = None,
        text: str = "",
        held: bool = False,
    ) -> bool:
        """The whole of `sentence`, which ends at `end_ms`, asks for `asset_id` (None: the
        speaker). Live this comes after it ended; offline before it begins (`end_ms` ahead).
        `held`: the creator holds the screen, so whatever is up stays.

        False when it asked for a new clip too late: a newer sentence is being spoken, and
        the clip would land on words it does not illustrate (that sentence decides itself).
        """
        self._pass(now_ms)
        late = sentence < self.sentence
        if not late:
            self.speaking = False
        if self._manual or held:
            return True
        if asset_id is not None and asset_id in self.vetoed:
            asset_id = None
        shot, pending = self.shot, self._pending
        if pending is not None and pending.sentence == sentence:
            if pending.asset_id == asset_id:
                pending.sentence_end_ms, pending.early = end_ms, False
                return True
            self._pending = None  # the whole sentence asks for something else
        ours = shot.asset_id is not None and shot.sentence == sentence
        if asset_id is not None and asset_id == shot.asset_id:
            if shot.sentence <= sentence:
                self._keep(sentence, early=False)
                self._ended(end_ms)
                if late:  # the sentence after it has begun: its words have their moment
                    self._await_words(now_ms)
            return True
        if asset_id is None:
            if self._pending is not None and self._pending.sentence < sentence:
                self._pending = None  # an older sentence's clip, held back: the talk moved on
            if ours:
                self._cut(now_ms, None, "taken down", decision, text)
            elif shot.asset_id is not None and shot.sentence < sentence:
                # The talk moved on: the clip leaves, after its own sentence's tail.
                leave = min(shot.leave_ms, shot.sentence_end_ms + self.timing.tail_ms)
                self._leave(max(leave, shot.since_ms), now_ms)
            return True
        if late:
            return False
        if shot.asset_id is not None and shot.sentence < sentence:
            # Another subject's clip, up across the pause: back to the speaker after its
            # tail when that leaves a real look at them before this clip.
            leave = max(shot.sentence_end_ms + self.timing.tail_ms, self._floor_ms())
            if now_ms - leave >= self.timing.camera_min_ms:
                self._cut(leave, None, "moved on")
        self._show(asset_id, sentence, now_ms, "sentence", decision, text, correct=ours)
        if self.shot.asset_id == asset_id and self.shot.sentence == sentence:
            self._ended(end_ms)
        elif self._pending is not None:
            self._pending.sentence_end_ms = end_ms
        return True

    # ------------------------------------------------------------------ the creator

    def take(self, asset_id: str, now_ms: float) -> None:
        """Show this clip now and keep it until cleared."""
        self._pass(now_ms)
        self.pinned = asset_id
        self.vetoed.discard(asset_id)
        self._pending = None
        self._cut(now_ms, asset_id, "manual")
        self.shot.leave_ms = INF

    def clear(self, now_ms: float) -> None:
        """Back to the speaker now; releases a taken clip."""
        self._pass(now_ms)
        self.pinned = None
        self._pending = None
        self._cut(now_ms, None, "clear")

    def hold(self, on: bool, now_ms: float) -> None:
        """Keep what is on screen, whatever is said, until released."""
        self._pass(now_ms)
        self.held = on
        if on:
            self._pending = None
            self.shot.leave_ms = INF
        elif self.shot.asset_id and not self.pinned:
            shot = self.shot
            if shot.sentence == self.sentence and self.speaking:
                return  # its sentence is still spoken: its end times it
            if shot.sentence_end_ms != INF:
                self._ended(shot.sentence_end_ms)  # released: as if never held
                shot.leave_ms = max(shot.leave_ms, now_ms)
            else:
                shot.leave_ms = max(now_ms, shot.since_ms + self.timing.min_on_screen_ms)

    def veto(self, asset_id: str, now_ms: float, vetoed: bool = True) -> None:
        """Never show this clip (or allow it again); a vetoed clip on screen goes now."""
        self._pass(now_ms)
        if not vetoed:
            self.vetoed.discard(asset_id)
            return
        self.vetoed.add(asset_id)
        if self.pinned == asset_id:
            self.pinned = None
        if self._pending is not None and self._pending.asset_id == asset_id:
            self._pending = None
        if self.shot.asset_id == asset_id:
            self._cut(now_ms, None, "veto")

    # ------------------------------------------------------------------ time passing

    def advance(self, now_ms: float, ready: Callable[[str], bool] | None = None) -> list[Cut]:
        """The cuts due by `now_ms`, in order. A cut to a clip that is not `ready(asset_id)`
        yet (still opening) waits, and what is up stays meanwhile; a later cut supersedes it."""
        self._pass(now_ms)
        out: list[Cut] = []
        while self._due:
            cut = self._due.pop(0)
            if cut.asset_id and ready is not None and not ready(cut.asset_id):
                if not self._due:
                    self._due.append(cut)
                    break
                continue  # never shown: what came after it is due too
            out.append(cut)
        return out

    def upcoming(self) -> list[str]:
        """Clips planned to go up (to open ahead: the tick never waits on a file)."""
        clips = [c.asset_id for c in self._due if c.asset_id]
        if self._pending is not None:
            clips.append(self._pending.asset_id)
        return clips

    @property
    def on_screen(self) -> str | None:
        """What is on screen once the cuts handed out so far are applied."""
        return self.shot.asset_id

    # ------------------------------------------------------------------ inside

    @property
    def _manual(self) -> bool:
        return self.pinned is not None or self.held

    def _pass(self, now_ms: float) -> None:
        """Let time pass to now_ms: a held-back cut comes due, a clip has had its time."""
        while True:
            shot, pending = self.shot, self._pending
            leave = max(shot.leave_ms, self._floor_ms()) if shot.asset_id else INF
            at = pending.at_ms if pending is not None else INF
            if min(leave, at) > now_ms:
                return
            if pending is not None and at <= leave:
                self._pending = None
                self._cut(at, pending.asset_id, "deferred", pending.decision, pending.text)
                self.shot.sentence, self.shot.early = pending.sentence, pending.early
                self._ended(pending.sentence_end_ms)
            else:
                self._cut(leave, None, "ended")

    def _await_words(self, now_ms: float) -> None:
        """The sentence being spoken may keep the clip up: it stays until its words have
        had their say (even past the pause hold: it was up when the speaker went on),
        unless an older sentence's clip was already leaving sooner."""
        shot = self.shot
        ends = max(now_ms, self._words_ms + self.timing.continuity_wait_ms)
        just_before = shot.sentence == self.sentence - 1
        shot.leave_ms = ends if just_before else min(shot.leave_ms, ends)

    def _keep(self, sentence: int, early: bool) -> None:
        """`sentence` is about the clip on screen: it stays for it."""
        shot = self.shot
        shot.sentence, shot.sentence_end_ms, shot.leave_ms = sentence, INF, INF
        shot.early = shot.kept = early
        self._pending = None

    def _ended(self, end_ms: float) -> None:
        """The clip's sentence ends at end_ms: it stays its tail and across the pause after."""
        shot, t = self.shot, self.timing
        if shot.asset_id is None or end_ms == INF:
            return
        shot.sentence_end_ms = end_ms
        stay = max(end_ms + max(t.tail_ms, t.pause_hold_ms), shot.since_ms + t.min_on_screen_ms)
        shot.leave_ms = min(stay, max(shot.since_ms + t.max_on_screen_ms, end_ms + t.tail_ms))

    def _show(
        self,
        asset_id: str,
        sentence: int,
        now_ms: float,
        cause: str,
        decision: Decision | None,
        text: str,
        early: bool = False,
        correct: bool = False,
    ) -> None:
        shot = self.shot
        at = now_ms
        if shot.asset_id is not None and not correct:
            at = max(at, shot.since_ms + self.timing.min_on_screen_ms, self._floor_ms())
        if at > now_ms:
            # The clip up now has its minimum time first; it stays until this one follows.
            self._pending = _Pending(at, asset_id, sentence, decision, text, early)
            shot.leave_ms = max(shot.leave_ms, at)
            return
        self._pending = None
        self._cut(now_ms, asset_id, cause, decision, text)
        self.shot.sentence, self.shot.early = sentence, early

    def _leave(self, at_ms: float, now_ms: float) -> None:
        """The talk moved on: back to the speaker at at_ms (a figure once it has been read)."""
        at_ms = max(at_ms, self._floor_ms())
        if at_ms <= now_ms:
            self._cut(at_ms, None, "moved on")
        else:
            self.shot.leave_ms = min(self.shot.leave_ms, at_ms)

    def _floor_ms(self) -> float:
        """Until when the shot up stays whatever is said (a figure: while it is read)."""
        shot = self.shot
        if not is_figure(shot.asset_id) or self._manual:
            return -INF
        return shot.since_ms + self.timing.figure_min_ms

    def _cut(
        self,
        at_ms: float,
        asset_id: str | None,
        cause: str,
        decision: Decision | None = None,
        text: str = "",
    ) -> None:
        if asset_id == self.shot.asset_id:
            return
        at_ms = max(at_ms, self.shot.since_ms)
        self.shot = _Shot(asset_id, at_ms)
        self._due.append(Cut(at_ms, asset_id, cause, decision, text))


# ---------------------------------------------------------------------- a whole talk


class Sentence(Protocol):
    text: str
    start_ms: float
    end_ms: float


def asks(decision: Decision) -> tuple[str | None, bool]:
    """What a decision asks of the screen: (the clip or None for the speaker, held)."""
    if decision.outcome is Outcome.KEEP:
        return None, True
    if decision.outcome is Outcome.DEFERRED:  # logs of older versions
        return decision.wanted_asset_id, False
    return (decision.asset_id if decision.outcome is Outcome.SHOW else None), False


def plan_talk(
    sentences: Sequence[Sentence],
    decide: Callable[[Sentence, float], Decision],
    timing: Timing,
    duration_ms: float,
    lead_ms: float = 0.0,
    shown: Callable[[str | None, float], None] | None = None,
) -> list[Cut]:
    """The cuts of a talk whose sentences are all known (render, conform).

    Each sentence is decided (`decide(sentence, at_ms)`) and fed to the planner `lead_ms`
    before it starts (a crossfade's length, so its clip is fully up as it begins) but not
    before the sentence ahead of it ends; `shown` hears every cut as it is made."""
    planner = ShotPlanner(timing)
    cuts: list[Cut] = []

    def take(now_ms: float) -> None:
        for cut in planner.advance(now_ms):
            cuts.append(cut)
            if shown is not None:
                shown(cut.asset_id, cut.at_ms)

    last_ms, before_end_ms = -INF, -INF
    for sentence in sentences:
        if sentence.start_ms >= duration_ms:
            break
        at = max(last_ms, min(sentence.start_ms, max(sentence.start_ms - lead_ms, before_end_ms)))
        take(at)
        decision = decide(sentence, at)
        number = planner.began(at)
        asset_id, held = asks(decision)
        planner.decided(number, asset_id, sentence.end_ms, at, decision, sentence.text, held)
        take(at)
        last_ms, before_end_ms = at, sentence.end_ms
    take(duration_ms)
    return [c for c in cuts if c.at_ms < duration_ms]
