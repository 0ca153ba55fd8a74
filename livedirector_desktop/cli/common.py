"""What every `livedirector` command shares: the Typer apps, the common options, the
console, and `main` (one line on stderr for any failure)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from livedirector_desktop import __version__

app = typer.Typer(
    help="LiveDirector: B-roll from your own library that follows what you say.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
library_app = typer.Typer(help="Import, list and search your B-roll library.", no_args_is_help=True)
models_app = typer.Typer(help="See and install the models the app uses.", no_args_is_help=True)
sessions_app = typer.Typer(
    help="Studio recordings: list them, recover the ones a crash cut off.", no_args_is_help=True
)
app.add_typer(library_app, name="library")
app.add_typer(models_app, name="models")
app.add_typer(sessions_app, name="sessions")

LibraryOpt = Annotated[
    Path | None,
    typer.Option("--library", "-L", help="Library folder (default: the user data dir)."),
]
ChromaOpt = Annotated[
    str | None,
    typer.Option("--chroma-url", help="Use a Chroma server instead, e.g. http://127.0.0.1:8000."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def user_settings():
    from livedirector_desktop.config import load_settings

    return load_settings()


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def safe(value: object) -> str:
    """Text from files and users, for the console: control characters escaped, no markup."""
    from rich.markup import escape

    from livedirector_desktop.core.text import printable

    return escape(printable(value))


def _version(value: bool) -> None:
    if value:
        print(f"livedirector {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "warning",
    log_json: Annotated[bool, typer.Option(help="Log JSON lines instead of key=value.")] = False,
    log_file: Annotated[
        Path | None, typer.Option(help="Also log (info and up) to this file.")
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    from livedirector_desktop import logs

    logs.setup(log_level, log_json, log_file)


def _one_line(text: str) -> str:
    """A message for stderr: one line, no control characters, no credentials."""
    from livedirector_desktop.core.text import printable
    from livedirector_desktop.logs import redact

    return printable(redact(text))


def main() -> None:
    import logging

    from livedirector_desktop.core.errors import LiveDirectorError

    try:
        app()
    except LiveDirectorError as exc:
        hint = f" -> {exc.hint}" if exc.hint else ""
        print(f"error: {_one_line(exc.message + hint)}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except OSError as exc:  # a file or folder the command needed: say which, and why
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {_one_line(where + (exc.strerror or str(exc)))}", file=sys.stderr)
        logging.getLogger(__name__).debug("failed", exc_info=True)
        sys.exit(2)
    except Exception as exc:  # a bug: one line here, the traceback at --log-level debug
        logging.getLogger(__name__).debug("unexpected failure", exc_info=True)
        print(
            f"error: {_one_line(f'{type(exc).__name__}: {exc}')} -> this is a bug; run again "
            "with --log-level debug for the details and report them",
            file=sys.stderr,
        )
        sys.exit(2)


def open_library(library: Path | None, chroma_url: str | None, create: bool = True):
    """The library; commands that only read pass create=False: a library that does not
    exist yet reads as empty and no folder is made."""
    from livedirector_desktop.engine import load_embedder
    from livedirector_desktop.library.library import Library

    settings = user_settings()
    return Library.open(
        library or settings.library_path,
        load_embedder(settings),
        chroma_url or settings.chroma_url,
        create=create,
    )


def count_bar(disable: bool = False):
    """A progress bar on stderr counting items done of a total, with the time left."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console(stderr=True),
        transient=True,
        disable=disable,
    )
