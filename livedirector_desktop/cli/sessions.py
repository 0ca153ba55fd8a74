"""`livedirector sessions`: studio recordings, listed and recovered."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from livedirector_desktop.cli.common import JsonOpt, console, safe, sessions_app, user_settings


def sessions_store(create: bool):
    from livedirector_desktop.config import data_dir
    from livedirector_desktop.sessions.store import SessionStore

    return SessionStore(data_dir() / "sessions.sqlite", create=create)


def _recordings_dir() -> Path:
    return user_settings().recordings_path


FolderOpt = Annotated[
    list[Path] | None,
    typer.Option("--folder", help="Also look in this folder (default: the recordings folder)."),
]


@sessions_app.command("list")
def sessions_list(folder: FolderOpt = None, json_out: JsonOpt = False) -> None:
    """Every studio recording, and any a crash left unfinished (see `sessions recover`)."""
    from livedirector_desktop.recorder.recovery import default_folders, find_interrupted

    store = sessions_store(create=False)
    rows = store.list()
    interrupted = find_interrupted([*default_folders(_recordings_dir(), store), *(folder or [])])
    if json_out:
        print(
            json.dumps(
                {
                    "sessions": [r.to_json() for r in rows],
                    "interrupted": [i.to_json() for i in interrupted],
                },
                indent=2,
            )
        )
        return
    import time

    from rich.table import Table

    table = Table(title=f"{len(rows)} sessions ({safe(store.path)})")
    for col in ("id", "started", "file", "length", "sentences", "clips", "state"):
        table.add_column(col)
    for r in rows:
        state = "recovered" if r.recovered else "finished" if r.finished else "unfinished"
        table.add_row(
            str(r.id),
            time.strftime("%Y-%m-%d %H:%M", time.localtime(r.started_at)),
            safe(r.path),
            f"{(r.duration_ms or 0) / 1000:.0f} s" if r.finished else "-",
            str(r.sentences),
            str(r.clips_shown),
            state,
        )
    con = console()
    con.print(table)
    for item in interrupted:
        note = "being recorded now" if item.in_use else "run `livedirector sessions recover`"
        con.print(
            f"[yellow]interrupted[/] {safe(item.partial)} "
            f"({item.size_bytes / 1e6:.1f} MB, for {safe(item.intended.name)}): {note}"
        )


@sessions_app.command("recover")
def sessions_recover(folder: FolderOpt = None, json_out: JsonOpt = False) -> None:
    """Finish recordings a crash cut off: playable MP4 under the intended name, sidecars
    from the decisions logged so far, session row completed. Existing files are never
    replaced (a recovered file takes the name "NAME (recovered).mp4" then)."""
    from livedirector_desktop.recorder.recovery import default_folders, recover_all

    store = sessions_store(create=False)
    folders = [*default_folders(_recordings_dir(), store), *(folder or [])]
    # No sessions file yet: no studio has recorded here, so no rows to complete.
    results = recover_all(folders, store if store.exists else None)
    if json_out:
        print(json.dumps([r.to_json() for r in results], indent=2))
    else:
        con = console()
        if not results:
            con.print("nothing to recover")
        for r in results:
            status = "" if r.ok else "[yellow]left alone[/] " if r.in_use else "[red]failed[/] "
            con.print(status + safe(r.message))
    if any(not r.ok and not r.in_use for r in results):
        raise typer.Exit(1)
