"""`livedirector models`: see and install the models the app uses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from livedirector_desktop.cli.common import JsonOpt, console, models_app, user_settings


@models_app.command("list")
def models_list(json_out: JsonOpt = False) -> None:
    """Each model the app uses, where it was found, its size, or how to get it."""
    from livedirector_desktop import models

    settings = user_settings()
    rows = models.status(settings.models_path)
    if json_out:
        print(
            json.dumps(
                {
                    "models_dir": str(settings.models_path),
                    "models": [
                        {
                            "name": r.spec.name,
                            "kind": r.spec.kind,
                            "description": r.spec.description,
                            "present": r.present,
                            "path": str(r.path) if r.path else None,
                            "size_bytes": r.size_bytes,
                            "install": r.spec.how_to_get,
                        }
                        for r in rows
                    ],
                },
                indent=2,
            )
        )
        return
    from rich.table import Table

    table = Table(title=f"Models (folder: {settings.models_path})")
    for col in ("name", "kind", "status", "size", "where / how to get it"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r.spec.name,
            r.spec.kind,
            "[green]found[/]" if r.present else "[red]missing[/]",
            f"{r.size_bytes / 1e6:.1f} MB" if r.present else "-",
            str(r.path) if r.path else r.spec.how_to_get,
        )
    console().print(table)
    console().print(f"LLM in use: {settings.llm_model} (reasoner: {settings.reasoner})")


@models_app.command("install")
def models_install(
    name: Annotated[str, typer.Argument(help="Model name from `livedirector models list`.")],
    source: Annotated[
        Path | None, typer.Option("--from", help="Copy from a local folder or file instead.")
    ] = None,
    url: Annotated[str | None, typer.Option(help="Download from this URL (a mirror).")] = None,
) -> None:
    """Install a model into the models folder (download with checksum, or copy)."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    from livedirector_desktop import models

    settings = user_settings()
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(f"installing {name}", total=None)

        def progress(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        path = models.install(name, settings.models_path, source=source, url=url, progress=progress)
    print(f"installed {name} at {path}")


# ---------------------------------------------------------------- library
