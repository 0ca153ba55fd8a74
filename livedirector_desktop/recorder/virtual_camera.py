"""The program as a webcam other apps can pick (Zoom, Meet, Teams, OBS), through pyvirtualcam.

pyvirtualcam needs a driver: v4l2loopback on Linux, OBS Virtual Camera (or the Unity Capture
driver) on Windows, OBS on macOS. Without one, `open_virtual_camera` raises a
LiveDirectorError that says what to install. Frames are sent from this output's own thread
(newest picture wins), so a driver that blocks never holds up the writer.
"""

from __future__ import annotations

import logging
import sys
import threading

import numpy as np

from livedirector_desktop.core.errors import LiveDirectorError

log = logging.getLogger(__name__)


def install_hint() -> str:
    if sys.platform.startswith("linux"):
        return (
            "install v4l2loopback and load it: sudo apt install v4l2loopback-dkms && "
            'sudo modprobe v4l2loopback devices=1 exclusive_caps=1 card_label="LiveDirector"'
        )
    if sys.platform == "win32":
        return (
            "install OBS Studio (28 or newer, it has OBS Virtual Camera) "
            "or the Unity Capture driver"
        )
    if sys.platform == "darwin":
        return "install OBS Studio (28 or newer) and start its virtual camera once"
    return "no virtual camera driver is known for this system"


class VirtualCamera:
    def __init__(self, width: int, height: int, fps: float, device: str | None = None) -> None:
        try:
            import pyvirtualcam
        except ImportError as exc:
            raise LiveDirectorError(
                "the virtual camera needs the pyvirtualcam package: pip install pyvirtualcam"
            ) from exc
        try:
            self.cam = pyvirtualcam.Camera(
                width, height, fps, fmt=pyvirtualcam.PixelFormat.I420, device=device or None
            )
        except Exception as exc:  # pyvirtualcam raises RuntimeError with the backend's reason
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise LiveDirectorError(
                f"no virtual camera could be opened ({reason}); {install_hint()}"
            ) from exc
        self.device = str(self.cam.device)
        self.frames_sent = 0
        self._frame: np.ndarray | None = None
        self._ready = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="virtual-camera", daemon=True)
        self._thread.start()

    def __call__(self, image: np.ndarray) -> None:
        """On the writer thread: keep only the newest picture."""
        with self._ready:
            self._frame = image
            self._ready.notify()

    def _run(self) -> None:
        while True:
            with self._ready:
                while self._frame is None and not self._stop:
                    self._ready.wait(0.5)
                if self._stop:
                    return
                frame, self._frame = self._frame, None
            try:
                self.cam.send(frame.reshape(-1))
                self.frames_sent += 1
            except Exception:
                log.exception("virtual camera: sending a frame failed")

    def close(self) -> None:
        with self._ready:
            self._stop = True
            self._ready.notify()
        self._thread.join(2)
        try:
            self.cam.close()
        except Exception:
            log.debug("closing the virtual camera failed", exc_info=True)
