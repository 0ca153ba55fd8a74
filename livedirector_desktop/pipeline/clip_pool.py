"""B-roll players for a live session, opened where waiting is allowed: never on the tick.

Opening a clip reads the file and decodes its first frame, which can take a while on a
busy disk or a large file. The director worker, a manual take's worker or the housekeeping
loop open and close players; the compositor tick only looks up the ones that are ready.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from livedirector_desktop.compositor.scene import layout
from livedirector_desktop.core.figure import figure_of
from livedirector_desktop.library.library import Library

log = logging.getLogger(__name__)


class Player(Protocol):
    start_ms: float
    latest: Any  # (I420 image, width, height) or None

    def close(self) -> None: ...


# (path, box width, box height, start_ms, session clock in ms, fps) -> a playing clip
Opener = Callable[[Path, int, int, float, Callable[[], float], float], Player]


def open_clip_player(
    path: Path, box_w: int, box_h: int, start_ms: float, clock_ms: Callable[[], float], fps: float
) -> Player:
    from livedirector_desktop.media.files import ClipPlayer

    return ClipPlayer(path, box_w, box_h, start_ms, clock_ms, fps)


class FigurePlayer:
    """A figure's stand-in for a clip player: ready at once, nothing to decode or close."""

    latest: Any = ("figure", 0, 0)  # not a picture: the compositors draw the figure's card

    def __init__(self, start_ms: float) -> None:
        self.start_ms = start_ms

    def close(self) -> None:
        pass


class ClipPool:
    def __init__(
        self,
        library: Library,
        size: tuple[int, int],
        clock_ms: Callable[[], float],
        fps: float,
        opener: Opener = open_clip_player,
    ) -> None:
        self.library, self.size, self.clock_ms, self.fps = library, size, clock_ms, fps
        self.opener = opener
        self._lock = threading.Lock()
        self._by_shot: dict[int, Player] = {}
        self._retired: list[Player] = []
        self._about: dict[str, tuple[str, str]] = {}  # asset id -> (title, file), once opened

    def open(self, asset_id: str, layout_name: str, start_ms: float) -> Player:
        """Open a clip and decode its first frame. Blocks: call it off the tick. A figure
        (core/figure.py) has no file: the compositors draw it from its id."""
        figure = figure_of(asset_id)
        if figure is not None:
            self._about[asset_id] = (f"{figure.headline()} {figure.label()}".strip(), "")
            return FigurePlayer(start_ms)
        asset = self.library.get(asset_id)
        if asset is not None:
            self._about[asset_id] = (asset.title, asset.path)
        broll = next(la for la in layout(layout_name) if la.role == "broll")
        _, _, bw, bh = broll.rect.pixels(*self.size)
        path = Path(asset.path) if asset else Path("")
        return self.opener(path, bw, bh, start_ms, self.clock_ms, self.fps)

    def about(self, asset_id: str) -> tuple[str | None, str | None]:
        """Title and file of a clip opened before (no library lookup: safe on the tick)."""
        return self._about.get(asset_id, (None, None))

    def attach(self, shot_id: int, player: Player) -> bool:
        """Play `player` for the shot; False (and the player is retired) when the shot has
        one already (a crossfade reversed back to a shot still playing)."""
        with self._lock:
            if shot_id in self._by_shot:
                self._retired.append(player)
                return False
            self._by_shot[shot_id] = player
            return True

    def frame(self, shot_id: int) -> Any:
        """The newest frame of the shot's clip, or None; never waits on I/O."""
        with self._lock:
            player = self._by_shot.get(shot_id)
        return player.latest if player is not None else None

    def retire_except(self, keep: set[int]) -> None:
        """Mark players of shots no longer drawn for closing (cheap: safe on any thread)."""
        with self._lock:
            for shot_id in [k for k in self._by_shot if k not in keep]:
                self._retired.append(self._by_shot.pop(shot_id))

    def discard(self, player: Player) -> None:
        """A player opened for a cut that did not happen."""
        with self._lock:
            self._retired.append(player)

    def close_retired(self) -> None:
        """Close what was retired (joins decoder threads: not on the tick)."""
        with self._lock:
            retired, self._retired = self._retired, []
        for player in retired:
            try:
                player.close()
            except Exception:
                log.exception("closing a clip player failed")

    def close(self) -> None:
        self.retire_except(set())
        self.close_retired()
