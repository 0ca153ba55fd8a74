"""How a live session is set up, and the state its views show."""

from __future__ import annotations

from dataclasses import dataclass, field

from livedirector_desktop.compositor.figure_card import FigureStyle
from livedirector_desktop.compositor.scene import layout
from livedirector_desktop.core.errors import BadInputError


@dataclass
class LiveConfig:
    width: int = 1280
    height: int = 720
    fps: float = 30.0
    layout: str = "pip"
    transition_ms: float = 500.0
    captions: bool = False
    caption_hold_ms: float = 3_000.0  # a finished sentence stays up this long
    caption_font: str = ""  # a font file for burned-in captions (empty: the first found)
    record_camera: bool = True  # also record the clean camera + mic (OUT.camera.mp4) for conform
    max_bitrate_kbps: int = 0  # the encoder's cap (streams need one); 0: by program size
    figure_style: FigureStyle = field(default_factory=FigureStyle)  # how drawn figures look

    def __post_init__(self) -> None:
        if not (1 <= self.fps <= 120):
            raise BadInputError(f"frame rate {self.fps!r} is out of range", "use 1 to 120 fps")
        if self.width < 16 or self.height < 16 or self.width % 2 or self.height % 2:
            raise BadInputError(
                f"program size {self.width}x{self.height} cannot be encoded",
                "use an even width and height of at least 16, e.g. --resolution 720p",
            )
        if self.transition_ms < 0:
            raise BadInputError(f"transition {self.transition_ms} ms is negative")
        layout(self.layout)


@dataclass(frozen=True)
class SessionState:
    """A consistent picture of the controls, for the studio, `live` and the control API."""

    layout: str
    transition_ms: float
    captions: bool
    on_screen: str | None
    pinned: str | None
    hold: bool
    vetoed: frozenset[str]
    recording: str | None  # the file being recorded, if any
    streaming: str | None = None  # the stream's URL without its key, if streaming
    stream_state: str = "off"  # connecting, live, reconnecting (or off)
    virtual_camera: str | None = None  # the virtual camera device, if on
