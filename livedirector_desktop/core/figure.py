"""A figure the speaker said, as the scene and every file carry it.

A figure travels through the shot planner like a clip: `Figure.shot_id` is its asset id
("figure:" + the figure as compact JSON), so the creator's veto, hold and take, the
timeline, the decision log and the control API carry it without a registry, and every
compositor draws it from the id alone (`figure_of`). director/figures.py reads figures
from sentences; compositor/figure_card.py draws them.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from functools import lru_cache

FIGURE_PREFIX = "figure:"
CURRENCIES = ("$", "€", "£", "¥")


@dataclass(frozen=True)
class Figure:
    """A number the sentence says: `value` (for a change from one value to another, the
    value it went to, `start_value` where it came from), its `unit` ("%", "$", "€", "£",
    "¥", "points", "x" for a multiple, or the counted thing: "subscribers"), `direction`
    ("up", "down" or ""), what it is `about`, and the words it was read from."""

    value: float
    unit: str = ""
    start_value: float | None = None
    direction: str = ""
    about: str = ""
    text: str = ""

    @property
    def is_change(self) -> bool:
        """The number is the sentence's point whatever else it names: a share or change in
        percent, points that moved, a multiple, a change from one value to another. An
        amount or a count ("thirty-one million dollars", "a million homes") is drawn only
        when the library has no clip for the sentence."""
        if self.start_value is not None or self.unit in ("%", "x"):
            return True
        return self.unit == "points" and self.direction in ("up", "down")

    @property
    def shot_id(self) -> str:
        """The figure as the shot planner's asset id (all but `text`: the same figure said
        twice is one shot)."""
        data = {"v": self.value, "u": self.unit, "d": self.direction, "a": self.about}
        if self.start_value is not None:
            data["s"] = self.start_value
        return FIGURE_PREFIX + json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    def headline(self) -> str:
        """The big number drawn on screen: "+20%", "$100,000", "2x", "500 -> 2,000"."""
        if self.start_value is not None:
            return f"{amount(self.start_value, self.unit)} → {amount(self.value, self.unit)}"
        if self.unit == "x":
            return f"{_number(self.value)}×"
        sign = {"up": "+", "down": "−"}.get(self.direction, "") if _is_change(self) else ""
        return sign + amount(self.value, self.unit)

    def label(self) -> str:
        """The line under it: what the number is about, and the thing counted."""
        about, unit = self.about, self.unit
        if unit == "points":
            about = f"{about} (points)".strip()
        elif unit and unit not in ("%", "x", *CURRENCIES) and unit != about:
            about = f"{about} · {unit}" if about else unit
        return about[:1].upper() + about[1:]

    def to_json(self) -> dict:
        return asdict(self)


def _is_change(figure: Figure) -> bool:
    return figure.direction in ("up", "down") and figure.unit in ("%", "points")


def _number(value: float) -> str:
    if value >= 1e6:
        for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
            # 999.9M is "1B", not "1e+03M"; beyond trillions, written out in trillions
            if value >= scale * 0.9995 or scale == 1e6:
                scaled = value / scale
                return (f"{scaled:.3g}" if scaled < 1000 else f"{scaled:,.0f}") + suffix
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def amount(value: float, unit: str) -> str:
    """A value written with its unit: "$1.5M", "20%", "3 pts", "2,000"."""
    if unit in CURRENCIES:
        return unit + _number(value)
    if unit == "%":
        return _number(value) + "%"
    if unit == "points":
        return _number(value) + " pts"
    return _number(value)


def is_figure(asset_id: str | None) -> bool:
    return bool(asset_id) and asset_id.startswith(FIGURE_PREFIX)


@lru_cache(maxsize=256)
def figure_of(asset_id: str) -> Figure | None:
    """The figure a shot's asset id names, or None when it is not a figure (or damaged)."""
    if not is_figure(asset_id):
        return None
    try:
        data = json.loads(asset_id[len(FIGURE_PREFIX) :])
        value, start = data["v"], data.get("s")
        texts = [data.get(k, "") for k in ("u", "d", "a")]
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
    numbers = [value] if start is None else [value, start]
    if not all(
        isinstance(n, (int, float)) and not isinstance(n, bool) and math.isfinite(n) and n >= 0
        for n in numbers
    ):
        return None  # NaN, inf or a negative value: no card could say it
    if not all(isinstance(t, str) for t in texts) or texts[1] not in ("", "up", "down"):
        return None
    return Figure(float(value), texts[0], None if start is None else float(start), *texts[1:])
