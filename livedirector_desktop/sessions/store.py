"""Sessions: one row per recording, so the studio can list and reopen them."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at REAL NOT NULL,
    ended_at REAL,
    path TEXT NOT NULL,
    duration_ms REAL,
    layout TEXT,
    sentences INTEGER,
    clips_shown INTEGER
)
"""


@dataclass(frozen=True)
class SessionRecord:
    id: int
    started_at: float
    ended_at: float | None
    path: str
    duration_ms: float | None
    layout: str
    sentences: int
    clips_shown: int

    @property
    def finished(self) -> bool:
        return self.ended_at is not None


class SessionStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        # A connection per call: the GUI and worker threads may both write.
        return sqlite3.connect(self.path, timeout=10)

    def begin(self, path: Path, layout: str) -> int:
        with self._connect() as db:
            cur = db.execute(
                "INSERT INTO sessions (started_at, path, layout, sentences, clips_shown) "
                "VALUES (?, ?, ?, 0, 0)",
                (time.time(), str(path), layout),
            )
            return int(cur.lastrowid)

    def finish(self, session_id: int, duration_ms: float, sentences: int, clips_shown: int) -> None:
        with self._connect() as db:
            db.execute(
                "UPDATE sessions SET ended_at = ?, duration_ms = ?, sentences = ?, clips_shown = ? "
                "WHERE id = ?",
                (time.time(), duration_ms, sentences, clips_shown, session_id),
            )

    def list(self) -> list[SessionRecord]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, started_at, ended_at, path, duration_ms, layout, sentences, "
                "clips_shown FROM sessions ORDER BY started_at DESC"
            ).fetchall()
        return [SessionRecord(*row) for row in rows]
