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
    clips_shown INTEGER,
    recovered INTEGER NOT NULL DEFAULT 0
)
"""
COLUMNS = "id, started_at, ended_at, path, duration_ms, layout, sentences, clips_shown, recovered"


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
    recovered: bool = False  # finished by recovery after a crash, not by a normal stop

    @property
    def finished(self) -> bool:
        return self.ended_at is not None

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "path": self.path,
            "duration_ms": self.duration_ms,
            "layout": self.layout,
            "sentences": self.sentences,
            "clips_shown": self.clips_shown,
            "finished": self.finished,
            "recovered": self.recovered,
        }


class SessionStore:
    def __init__(self, path: Path, create: bool = True) -> None:
        """The store at `path`; with create=False a missing one reads as empty, and no file
        or folder is made (for commands that only look)."""
        self.path = Path(path)
        self.exists = self.path.exists()
        if not create and not self.exists:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._connect() as db:
                db.execute(SCHEMA)
                names = {row[1] for row in db.execute("PRAGMA table_info(sessions)")}
                if "recovered" not in names:  # a store made before recovery existed
                    db.execute(
                        "ALTER TABLE sessions ADD COLUMN recovered INTEGER NOT NULL DEFAULT 0"
                    )
        except sqlite3.DatabaseError as exc:
            from livedirector_desktop.core.errors import LiveDirectorError

            raise LiveDirectorError(
                f"the sessions list {self.path} is damaged: {exc}",
                "move it aside; the recordings themselves are not touched",
            ) from exc
        self.exists = True

    def _connect(self) -> sqlite3.Connection:
        # A connection per call: the GUI and worker threads may both write.
        return sqlite3.connect(self.path, timeout=10)

    def begin(self, path: Path, layout: str, started_at: float | None = None) -> int:
        with self._connect() as db:
            cur = db.execute(
                "INSERT INTO sessions (started_at, path, layout, sentences, clips_shown) "
                "VALUES (?, ?, ?, 0, 0)",
                (started_at or time.time(), str(path), layout),
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
        if not self.exists:
            return []
        with self._connect() as db:
            rows = db.execute(f"SELECT {COLUMNS} FROM sessions ORDER BY started_at DESC").fetchall()
        return [_record(row) for row in rows]

    def unfinished(self) -> list[SessionRecord]:
        """Rows of recordings that never ended: the app stopped while they were running."""
        return [r for r in self.list() if not r.finished]

    def find_by_path(self, path: Path, unfinished_only: bool = True) -> SessionRecord | None:
        """The newest row for a recording at `path` (as given when it began)."""
        if not self.exists:
            return None
        query = f"SELECT {COLUMNS} FROM sessions WHERE path = ?"
        if unfinished_only:
            query += " AND ended_at IS NULL"
        with self._connect() as db:
            row = db.execute(query + " ORDER BY started_at DESC LIMIT 1", (str(path),)).fetchone()
        return _record(row) if row else None

    def mark_recovered(
        self,
        session_id: int,
        path: Path,
        duration_ms: float,
        sentences: int,
        clips_shown: int,
    ) -> None:
        """Completes a row after recovery; `path` is where the finished file really is."""
        with self._connect() as db:
            db.execute(
                "UPDATE sessions SET ended_at = ?, path = ?, duration_ms = ?, sentences = ?, "
                "clips_shown = ?, recovered = 1 WHERE id = ?",
                (time.time(), str(path), duration_ms, sentences, clips_shown, session_id),
            )


def _record(row: tuple) -> SessionRecord:
    *rest, recovered = row
    return SessionRecord(*rest, recovered=bool(recovered))
