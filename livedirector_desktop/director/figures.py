"""Figures read from sentences: "revenue grew twenty percent" -> +20 %, about revenue.

Rules only, over the sentence's own tokens, so a figure is never one the sentence did not
say: numbers in digits or English words ("a hundred and fifty thousand", "1.5 million",
"twenty-five", "$100k"), currencies, percentages and points, ranges ("from 500 to 2,000"),
multiples ("doubled", "three times") and the direction a verb gives ("fell", "up").

A sentence has a figure when its point is the number: a percentage, an amount of money,
points, a multiple, a change from one value to another, or a count of something of at least
a hundred ("two thousand subscribers"). Small counts ("two kids", "three days"), years
("in 2020") and times are not figures: those sentences keep their B-roll.

The figure itself (core/figure.py) is the shot planner's asset id: it goes on screen,
stays and leaves under the same rules as a clip.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from livedirector_desktop.core.figure import Figure


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_UNITS_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "k": 1e3,
           "m": 1e6, "mn": 1e6, "bn": 1e9, "b": 1e9, "grand": 1e3}  # fmt: skip
_MULTIPLES = {
    "doubled": 2, "tripled": 3, "trebled": 3, "quadrupled": 4, "quintupled": 5,
    "twofold": 2, "threefold": 3, "fourfold": 4, "fivefold": 5, "tenfold": 10,
}  # fmt: skip
_CURRENCY_SIGNS = {"$": "$", "€": "€", "£": "£", "¥": "¥"}
_CURRENCY_WORDS = {
    "dollar": "$", "dollars": "$", "bucks": "$", "usd": "$", "euro": "€", "euros": "€",
    "eur": "€", "pound": "£", "pounds": "£", "gbp": "£", "yen": "¥",
}  # fmt: skip
_UP = _words(
    """
    grew grow grows growing rose rise rises rising risen increased increase increases up
    jumped jump jumps climbed climb gained gain gains soared surged more boosted raised
    higher expanded added improved doubled tripled quadrupled spiked
    bigger larger faster heavier longer pricier costlier
    """
)
_DOWN = _words(
    """
    fell fall falls falling fallen dropped drop drops down decreased decrease declined
    decline declines lost lose loses shrank shrunk shrink cut cuts halved plunged
    plummeted slid slipped sank lower less fewer crashed tumbled dipped
    cheaper smaller slower shorter
    """
)
# Nouns after a number that make it a time or a small count, never a figure on its own.
_NOT_COUNTED = _words(
    """
    year years month months week weeks day days hour hours minute minutes second seconds
    times time o'clock am pm of or and to in a the kids children
    """
)
_STOP = (
    _words(
        """
    the a an our my your their his her its this that these those we i you they it he she
    so and but then now last year years just about around almost nearly over by to from
    of at is was were are has have had been be will would could only some total well
    also already roughly approximately than in on for with after before since per every
    each within another all got get reached hit hits reach made make makes sold earned
    paid spent went goes going came today percent points point there what which when who
    where how why not no yes very really much many more less up down if as or minus negative
    """
    )
    | _UP
    | _DOWN
)

_TOKEN = re.compile(
    r"[$€£¥%]|\d[\d,]*(?:\.\d+)?(?:k|m|mn|bn|b)?(?![\w])|\d+(?:st|nd|rd|th)\b|[a-z]+(?:'[a-z]+)?"
)


# ---------------------------------------------------------------------- reading


@dataclass
class _Number:
    value: float
    first: int  # token index of its first and last token
    last: int
    digits: bool  # written in digits (a bare "2020" is a year)
    unit: str = ""


def _tokens(text: str) -> list[str]:
    text = text.lower().replace("per cent", "percent")
    text = re.sub(r"(?<![\w.])[-−](?=\d)", " minus ", text)  # "-3%": a fall, not a hyphen
    text = text.replace("-", " ")
    text = re.sub(r"(\d)x\b", r"\1 x", text)  # "5x": five times
    return _TOKEN.findall(text)


def _digits_value(token: str) -> tuple[float, float] | None:
    """(value, scale) of a token in digits ("2,000" -> 2000, "100k" -> 100, 1e3)."""
    m = re.fullmatch(r"(\d[\d,]*(?:\.\d+)?)(k|m|mn|bn|b)?", token)
    if not m:
        return None
    raw = m.group(1).rstrip(",")
    if "," in raw and not re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", raw):
        return None  # "1,2" is a list, not a number
    return float(raw.replace(",", "")), _SCALES.get(m.group(2) or "", 1.0)


def _fits(current: float, n: int) -> bool:
    """Whether the number word n continues `current` ("twenty" + "five", "hundred" +
    "twelve") rather than starting another number ("five six", "twenty thirty")."""
    rest = current % 100
    return rest == 0 or (n < 10 and rest >= 20 and rest % 10 == 0)


def _read_number(tokens: list[str], i: int) -> _Number | None:
    """The number starting at token i, in digits or words, with its scale words."""
    total, current, j, seen, digits = 0.0, 0.0, i, False, False
    decimals: str | None = None  # the digits said after "point"
    nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
    if tokens[i] in ("a", "an") and nxt in ("hundred", "thousand", "million", "billion",
                                             "trillion", "dozen"):  # fmt: skip
        current, j, seen = 1.0, i + 1, True
    elif tokens[i] == "half" and nxt in ("a", "an") and i + 2 < len(tokens):
        if tokens[i + 2] in ("million", "billion", "trillion", "thousand"):
            current, j, seen = 0.5, i + 2, True
        elif tokens[i + 2] in ("percent", "point", "%"):  # "half a percent"
            return _Number(0.5, i, i + 1, False)
    while j < len(tokens):
        tok = tokens[j]
        parsed = _digits_value(tok)
        if parsed is not None:
            if seen:
                break
            value, scale = parsed
            current, digits, seen = value * scale, True, True
        elif tok in _UNITS_WORDS and not digits:
            n = _UNITS_WORDS[tok]
            if decimals is not None:
                decimals += str(n)
            elif seen and not _fits(current, n):
                break
            else:
                current, seen = current + n, True
        elif tok == "point" and seen and not digits and decimals is None:
            if j + 1 >= len(tokens) or tokens[j + 1] not in _UNITS_WORDS:
                break
            decimals = ""
        elif tok in ("hundred", "dozen") and seen and decimals is None:
            current = (current or 1) * (100 if tok == "hundred" else 12)
        elif tok in ("thousand", "million", "billion", "trillion", "grand") and seen:
            if decimals:
                current += float("0." + decimals)
            decimals = None
            total, current = total + (current or 1) * _SCALES[tok], 0.0
        elif tok == "and" and seen and tokens[j + 1 : j + 3] == ["a", "half"]:
            current += 0.5  # "two and a half thousand"
            j += 2
        elif (
            tok == "and"
            and seen
            and not digits
            and j + 1 < len(tokens)
            and tokens[j + 1] in _UNITS_WORDS
            and (total or current >= 100)
        ):
            pass  # "a hundred and fifty"
        else:
            break
        j += 1
    if not seen:
        return None
    if decimals:
        current += float("0." + decimals)
    return _Number(total + current, i, j - 1, digits)


def _numbers(tokens: list[str]) -> list[_Number]:
    """The numbers of a sentence, without digit groups that are codes: a phone number
    ("555 0134"), an id with a leading zero."""
    out: list[_Number] = []
    i = 0
    while i < len(tokens):
        number = _read_number(tokens, i)
        if number is None:
            i += 1
            continue
        out.append(number)
        i = number.last + 1
    codes = {
        k
        for k, (a, b) in enumerate(itertools.pairwise(out))
        if a.digits and b.digits and b.first == a.last + 1
    }
    codes |= {k + 1 for k in codes}
    codes |= {k for k, n in enumerate(out) if n.digits and re.fullmatch(r"0\d+", tokens[n.first])}
    return [n for k, n in enumerate(out) if k not in codes]


def _unit_of(tokens: list[str], number: _Number) -> tuple[str, int]:
    """The unit around a number and the index of its last token."""
    before = tokens[number.first - 1] if number.first > 0 else ""
    after = tokens[number.last + 1] if number.last + 1 < len(tokens) else ""
    after2 = tokens[number.last + 2] if number.last + 2 < len(tokens) else ""
    if before in _CURRENCY_SIGNS:
        return _CURRENCY_SIGNS[before], number.last
    if after in ("%", "percent", "percentage") and after2 in ("points", "point"):
        return "points", number.last + 2
    if after in ("%", "percent"):
        return "%", number.last + 1
    if after in ("points", "point", "pts", "basis"):
        return "points", number.last + 1
    if after in _CURRENCY_WORDS:
        return _CURRENCY_WORDS[after], number.last + 1
    if after in _CURRENCY_SIGNS:
        return _CURRENCY_SIGNS[after], number.last + 1
    if after == "x" or (after == "times" and after2 not in ("a", "an", "per", "every", "each")):
        return "x", number.last + 1
    if _counted(after):
        return after, number.last + 1
    return "", number.last


_PLURALS = _words("people children men women staff feet sheep fish deer cattle")


def _counted(word: str) -> bool:
    """A thing counted: a plural noun ("2,000 subscribers"), not an adjective made of the
    number ("a thousand-piece puzzle") nor a time ("three days")."""
    if len(word) <= 2 or not word.isalpha() or word in _NOT_COUNTED or word in _STOP:
        return False
    return word in _PLURALS or (word.endswith("s") and not word.endswith("ss"))


# Words that make the number a level, not a change: "more than 50 percent of people",
# "up to 30 percent off", "down to 5 percent".
_LEVELS = {("more", "than"), ("less", "than"), ("fewer", "than"), ("up", "to"), ("down", "to")}
# Numbers said as a figure of speech: "I'm a hundred percent sure", "give 110 percent".
_IDIOMS = re.compile(
    r"\b(?:100|a hundred|one hundred|110|a hundred and ten) (?:%|percent) "
    r"(?:sure|certain|confident|honest|right|correct|agree|committed|behind)"
    r"|\bgive (?:it )?\d+ ?(?:%|percent)|\bdoubled? down\b"
)


def _direction(tokens: list[str]) -> str:
    """Up or down, from the words of change; "minus" and "negative" before a number say
    down; a level ("more than", "up to") is not a change."""
    pairs = set(itertools.pairwise(tokens))
    levels = {w for pair in pairs & _LEVELS for w in pair}
    up = sum(t in _UP and t not in levels for t in tokens)
    down = sum(t in _DOWN and t not in levels for t in tokens)
    down += sum(t in ("minus", "negative") for t in tokens)
    if up > down:
        return "up"
    if down > up:
        return "down"
    return ""


_ARTICLES = {"the", "a", "an", "our", "my", "your", "their", "his", "her", "its", "this"}
_LINKS = {"in", "of", "for", "on", "at"}
_VERBS = _words(
    """
    drew draws employs employ check checks sells sell won took saw cost costs brought
    brings pulled generated delivered
    """
)


# Adverbs that come between a speaker and their verb (a list: "family", "Italy", "early"
# and "supply" end in -ly too).
_ADVERBS = _words(
    """
    finally really actually recently literally basically suddenly quickly easily officially
    reportedly apparently currently eventually successfully barely hardly
    """
)


def _verb_like(tok: str) -> bool:
    return tok in _VERBS or tok in _STOP or (len(tok) > 4 and tok.endswith("ed"))


def _about(tokens: list[str], first: int, unit: str, after_verb: bool = False) -> str:
    """What the figure is about: the noun phrase before it, past the verb that links them
    ("Support for the plan is down three points", "Tesla delivered 450,000 cars");
    `after_verb`: tokens[first] is that verb ("Our costs tripled")."""
    words: list[str] = []
    for tok in reversed(tokens[:first]):
        if tok in _ADVERBS:  # "I finally bench pressed ...": not what the number is about
            if words:
                break
            continue
        if not words:
            if tok in _STOP or (not after_verb and _verb_like(tok)) or not tok.isalpha():
                continue  # the verb and words between it and the number
            words.insert(0, tok)
        elif tok in _ARTICLES or tok in _LINKS:
            words.insert(0, tok)
        elif _verb_like(tok) or not tok.isalpha():
            break
        else:
            words.insert(0, tok)
        if sum(w not in _ARTICLES and w not in _LINKS for w in words) == 3:
            break
    while words and (words[0] in _ARTICLES or words[0] in _LINKS):
        words.pop(0)
    return " ".join(words)


def _about_after(tokens: list[str], last: int) -> str:
    """ "twenty percent of users": the one word the "of" names."""
    rest = tokens[last + 1 :]
    if rest[:1] != ["of"]:
        return ""
    words = [t for t in rest[1:4] if t not in _ARTICLES]
    return words[0] if words and words[0].isalpha() and words[0] not in _STOP else ""


def _is_year(tokens: list[str], number: _Number, unit: str) -> bool:
    before = tokens[number.first - 1] if number.first > 0 else ""
    whole = number.value == int(number.value)
    if not (number.digits and whole and 1900 <= number.value <= 2100):
        return False
    if "," in tokens[number.first]:
        return False  # "2,000 subscribers" is a count; a year has no comma
    return not unit or unit in ("and", "to") or before in ("in", "since", "by", "of", "from")


def read_figure(text: str) -> Figure | None:
    """The figure a sentence says, or None when its point is not a number."""
    if _IDIOMS.search(" ".join(_tokens(text))):
        return None
    tokens = _tokens(text)
    numbers = [n for n in _numbers(tokens) if n.value >= 0]
    if not numbers:
        return _multiple_only(tokens, text)
    direction = _direction(tokens)  # once: a long transcript must not cost its square
    candidates: list[tuple[int, Figure]] = []
    for k, number in enumerate(numbers):
        unit, end = _unit_of(tokens, number)
        nxt = numbers[k + 1] if k + 1 < len(numbers) else None
        ranged = _range(tokens, number, unit, end, nxt)
        if ranged is not None:
            candidates.append((4, ranged))
            continue
        if _is_year(tokens, number, unit):
            continue
        figure = _single(tokens, number, unit, end, direction)
        if figure is not None:
            rank = 3 if figure.unit in ("%", "points", "x", *_CURRENCY_SIGNS.values()) else 2
            candidates.append((rank, figure))
    if not candidates:
        return _multiple_only(tokens, text)
    rank, figure = max(candidates, key=lambda c: c[0])
    return Figure(
        figure.value, figure.unit, figure.start_value, figure.direction, figure.about, text
    )


def _single(
    tokens: list[str], number: _Number, unit: str, end: int, direction: str
) -> Figure | None:
    value = number.value
    if unit in ("%", "points", *_CURRENCY_SIGNS.values()):
        about = _about(tokens, number.first, unit) or _about_after(tokens, end)
        return Figure(value, unit, None, direction, about)
    if unit == "x":
        if not direction and "times" not in tokens[end + 1 : end + 3]:
            # "three times bigger/more": a multiple; "three times" alone is a count of events
            following = tokens[end + 1] if end + 1 < len(tokens) else ""
            if following not in ("bigger", "larger", "faster", "more", "higher", "cheaper"):
                return None
        return Figure(value, "x", None, "up", _about(tokens, number.first, unit))
    if unit and value >= 100:
        return Figure(value, unit, None, direction, _about(tokens, number.first, unit) or unit)
    return None


def _range(
    tokens: list[str], number: _Number, unit: str, end: int, nxt: _Number | None
) -> Figure | None:
    """ "from 500 to 2,000 subscribers", "from $5 to $8": the change between two values."""
    if nxt is None or number.first == 0:
        return None
    joined = tokens[end + 1 : nxt.first]
    if joined not in (["to"], ["$", "to"]) and not (joined and joined[0] == "to"):
        return None
    if len(joined) > 2:
        return None
    if "from" not in tokens[max(0, number.first - 3) : number.first]:
        return None
    unit2, _ = _unit_of(tokens, nxt)
    unit = unit or unit2
    if unit2 and unit and unit2 != unit and unit not in _CURRENCY_SIGNS.values():
        unit = unit2
    if not unit and max(number.value, nxt.value) < 100:
        return None  # "from two to three": small talk
    direction = "up" if nxt.value > number.value else "down" if nxt.value < number.value else ""
    about = _about(tokens, number.first, unit) or (
        unit if unit not in ("%", "points", "x", *_CURRENCY_SIGNS.values()) else ""
    )
    return Figure(nxt.value, unit, number.value, direction, about)


def _multiple_only(tokens: list[str], text: str) -> Figure | None:
    """ "Our audience doubled": a multiple said by its verb alone."""
    for i, tok in enumerate(tokens):
        if tok in _MULTIPLES:
            return Figure(
                float(_MULTIPLES[tok]), "x", None, "up", _about(tokens, i, "x", True), text
            )
        if tok == "halved":
            return Figure(50.0, "%", None, "down", _about(tokens, i, "%", after_verb=True), text)
    return None


def complete_in(partial: str) -> Figure | None:
    """The figure of a sentence still being spoken, once its words have said all of it
    (the number is not the last word heard: "grew by twenty" may go on "five percent")."""
    figure = read_figure(partial)
    if figure is None:
        return None
    tokens = _tokens(partial)
    last = tokens[-1] if tokens else ""
    if last in _UNITS_WORDS or last in ("hundred", "thousand", "million", "billion", "point"):
        return None
    if last in ("a", "an", "and", "to", "from", "by") or _digits_value(last) is not None:
        return None
    if figure.start_value is None and "from" in tokens[-6:] and "to" not in tokens[-5:]:
        return None  # "fell from 5 percent" goes on "to 3 percent"
    return figure
