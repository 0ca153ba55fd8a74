"""Sentences that should never bring up B-roll: greetings, filler, housekeeping, calls to action.

Phrase patterns of how creators open, pause, plug and close a video, plus a content-word
count: a sentence with almost nothing but function words has no topic to illustrate.
"""

from __future__ import annotations

import re

_PATTERNS = [
    # greetings and sign-offs
    r"\b(hi|hello|hey|howdy|greetings)\b.*\b(everyone|everybody|guys|folks|friends|all|there|y'?all)\b",
    r"\bwelcome (back )?(to|everyone|everybody|guys)\b",
    r"\b(thanks|thank you) (so much )?for (watching|listening|tuning in|joining|sticking around)\b",
    r"\bsee you (next time|in the next|soon|later|tomorrow|all)\b",
    r"\b(bye|goodbye|take care|peace out|catch you later|until next time)\b",
    r"\bthat'?s (basically |about |pretty much )?(it|all) for (today|now|this (video|episode|week))\b",
    r"\b(is|was) (basically |about |pretty much )?(it|all) for (today|now|this (video|episode|week))\b",
    # calls to action and channel housekeeping
    r"\b(like|subscribe|subscribed|subscribing)\b.*\b(subscribe|channel|video|bell|button)?\b(and|&) subscribe\b",
    r"\b(hit|smash|click|ring|tap) (the|that) (like|subscribe|bell|notification|button)",
    r"\bsubscribe\b",
    r"\b(link|links) (is |are )?(in|down in|below in) the description\b",
    r"\bin the description\b",
    r"\b(leave|drop|write|put) (a|your|them|it|me)? ?(comment|comments|questions?|thoughts)?\b.*\b(below|comments)\b",
    r"\bdrop (them|it|those|your \w+) (below|in the comments)\b",
    r"\blet me know (in the comments|below|what you think)\b",
    r"\b(check out|watch) my (last|previous|other|latest|earlier) (video|episode|stream)s?\b",
    r"\b(a )?(quick )?word from (our|today'?s|this video'?s) sponsor\b",
    r"\b(this video is|today'?s video is|this episode is) (sponsored|brought to you)\b",
    r"\b(patreon|merch|discount code|promo code|affiliate link)\b",
    # getting going, pausing, thinking aloud
    r"^(ok(ay)?|alright|all right|so|well|right)?[ ,]*(let'?s|let us) (get (started|into it|going)|begin|dive in|jump (in|right in))\b",
    r"\bbefore we (get|dive|jump) (into|in)\b",
    r"\b(give|bear with) me (a|one) (second|sec|moment|minute)\b",
    r"\b(let me|lemme) (think|check|see|find|grab|look)\b.*\b(second|sec|moment|minute|notes)\b",
    r"\bwhere was i\b",
    r"\bcheck(ing)? my notes\b",
    r"\bone (moment|second|sec)\b",
    # the same moves in a few other languages the recognizer handles (no \b: not all scripts
    # separate words the way English does)
    "안녕하세요 여러분|구독과 좋아요|구독 버튼|구독해 주세요|시청해 주셔서|알림 설정",  # ko
    "שלום לכולם|תודה שצפיתם|הירשמו לערוץ",  # he
    "مرحبا بكم|أهلا بكم|شكرا للمشاهدة|اشتركوا في القناة|اشترك في القناة",  # ar
    "チャンネル登録|ご視聴ありがとう",  # ja
    "订阅|感谢收看|感谢观看",  # zh
]
_FILLER_RE = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)

_FUNCTION_WORDS = frozenset(
    """
    a an the and or but so yeah yes no ok okay alright right well um uh uhm erm hmm like you
    know i me my we our us it its it's this that these those there here is are was were be
    been being am do does did doing have has had just really actually basically literally
    kind sort of to in on at for with about as by from up down out over then than too very
    what which who whom whose when where why how all any some more most much many again now
    today gonna wanna gotta let let's lets get got go going thing things stuff something
    anything everything guys everyone everybody folks can could would should will shall may
    might must not don't dont isn't wasn't i'm im i'll ill i've ive you're youre we're were
    they they're he she him her his hers them their one two think mean say said tell see
    look want need moment second minute time bit little lot pretty quite
    """.split()  # noqa: SIM905
)
# A word is a run of letters in any script (Hangul, Hebrew, Arabic, CJK... are letters;
# emoji, digits and punctuation are not), with apostrophes and combining marks inside it.
_WORD_RE = re.compile(r"[^\W\d_](?:[^\W\d_]|['\u0300-\u036f\u0591-\u05c7\u064b-\u065f])*")
# In Chinese and Japanese one character can be a whole word.
_IDEOGRAPH_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _is_content(word: str) -> bool:
    if word.isascii():
        return len(word) > 1 and word not in _FUNCTION_WORDS
    # No stop list outside English: any word of two letters or one ideograph counts.
    return len(word) > 1 or bool(_IDEOGRAPH_RE.match(word))


def content_words(text: str) -> list[str]:
    return [w for w in _WORD_RE.findall(text.lower().replace("\u2019", "'")) if _is_content(w)]


def is_latin(text: str) -> bool:
    """True when most letters of the text are ASCII (the embedding model is English-centric)."""
    letters = [c for c in text if c.isalpha()]
    return not letters or sum(c.isascii() for c in letters) >= 0.5 * len(letters)


def is_filler_phrase(text: str) -> bool:
    """True when the text says one of the greeting, sign-off or housekeeping phrases: what
    the words so far of a sentence can already tell."""
    return bool(_FILLER_RE.search(text))


# A sentence that opens with these and nothing else yet is the speaker pausing to think
# ("Um, so...", "Okay."): the clip of the sentence before need not wait for more words.
# "So" and "well" open topical sentences too, so they only follow a hesitation here.
_HESITATIONS = frozenset(
    ["um", "umm", "uh", "uhm", "uhh", "erm", "er", "hmm", "hm", "mm", "ah", "okay", "ok"]
)
_AFTER_HESITATION = _HESITATIONS | {"so", "well", "yeah", "right", "and", "alright"}


def is_hesitation(text: str) -> bool:
    """True when the words so far are only a hesitation ("Um.", "Okay, so,")."""
    words = _WORD_RE.findall(text.lower())
    return bool(words) and words[0] in _HESITATIONS and set(words) <= _AFTER_HESITATION


def is_filler(text: str) -> bool:
    """True for sentences that carry no topic worth illustrating."""
    if is_filler_phrase(text):
        return True
    return len(content_words(text)) < 1
