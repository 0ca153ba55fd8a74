"""Run slow calls off the GUI thread; results come back to the GUI thread by signal."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


class Background(QObject):
    _done = Signal(object, object, object)  # callback, result, error

    def __init__(self, parent=None, workers: int = 2) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ui-bg")
        self._done.connect(self._deliver)

    def run(
        self, fn: Callable[[], Any], on_done: Callable[[Any, BaseException | None], None]
    ) -> None:
        def job() -> None:
            try:
                self._done.emit(on_done, fn(), None)
            except BaseException as exc:  # delivered to the caller, who shows it
                log.exception("background job failed")
                self._done.emit(on_done, None, exc)

        self._pool.submit(job)

    def _deliver(self, on_done, result, error) -> None:
        on_done(result, error)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
