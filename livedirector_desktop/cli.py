"""The `livedirector` command. Heavy libraries load only inside the commands that use them."""

from __future__ import annotations

import json
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
app.add_typer(library_app, name="library")
app.add_typer(models_app, name="models")

LibraryOpt = Annotated[
    Path | None,
    typer.Option("--library", "-L", help="Library folder (default: the user data dir)."),
]
ChromaOpt = Annotated[
    str | None,
    typer.Option("--chroma-url", help="Use a Chroma server instead, e.g. http://127.0.0.1:8000."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _settings():
    from livedirector_desktop.config import load_settings

    return load_settings()


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


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


# ---------------------------------------------------------------- models


@models_app.command("list")
def models_list(json_out: JsonOpt = False) -> None:
    """Each model the app uses, where it was found, its size, or how to get it."""
    from livedirector_desktop import models

    settings = _settings()
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
    _console().print(table)
    _console().print(f"LLM in use: {settings.llm_model} (reasoner: {settings.reasoner})")


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

    settings = _settings()
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=_console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(f"installing {name}", total=None)

        def progress(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        path = models.install(name, settings.models_path, source=source, url=url, progress=progress)
    print(f"installed {name} at {path}")


# ---------------------------------------------------------------- library


def _open_library(library: Path | None, chroma_url: str | None):
    from livedirector_desktop.engine import open_library

    return open_library(_settings(), library, chroma_url)


@library_app.command("import")
def library_import(
    paths: Annotated[list[Path], typer.Argument(help="Video files and folders.")],
    library: LibraryOpt = None,
    chroma_url: ChromaOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Import clips (each with an optional <name>.json sidecar) into the library."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from livedirector_desktop.library.importer import import_paths

    lib = _open_library(library, chroma_url)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=_console(stderr=True),
        transient=True,
        disable=json_out and not sys.stderr.isatty(),
    ) as bar:
        task = bar.add_task("importing", total=None)

        def progress(done: int, total: int, path: Path | None) -> None:
            bar.update(
                task,
                completed=done,
                total=total,
                description=f"importing {path.name}" if path else "done",
            )

        report = import_paths(lib, paths, progress)
    if json_out:
        print(json.dumps(report.to_json(), indent=2))
    else:
        con = _console()
        con.print(
            f"added {len(report.added)}, updated {len(report.updated)}, "
            f"unchanged {len(report.unchanged)}, failed {len(report.failed)} "
            f"in {report.seconds:.1f} s; library now holds {lib.count()} clips ({lib.root})"
        )
        for path, error in report.failed:
            con.print(f"[red]skipped[/] {path}: {error}")
        if report.ignored:
            con.print(f"ignored {len(report.ignored)} files that are not videos")
    if report.interrupted:
        _console(stderr=True).print(
            "import interrupted: clips imported so far are kept; run it again to finish"
        )
        raise typer.Exit(130)
    if report.failed:
        raise typer.Exit(1)


@library_app.command("list")
def library_list(
    library: LibraryOpt = None, chroma_url: ChromaOpt = None, json_out: JsonOpt = False
) -> None:
    """Every clip in the library."""
    lib = _open_library(library, chroma_url)
    assets = lib.assets()
    if json_out:
        print(json.dumps([a.to_json() for a in assets], indent=2))
        return
    from rich.table import Table

    table = Table(title=f"{len(assets)} clips in {lib.root}")
    for col in ("id", "title", "tags", "length", "size"):
        table.add_column(col)
    for a in assets:
        table.add_row(
            a.id,
            a.title,
            ", ".join(a.tags),
            f"{a.duration_ms / 1000:.1f} s",
            f"{a.width}x{a.height}@{a.fps:g}",
        )
    _console().print(table)


@library_app.command("search")
def library_search(
    query: Annotated[str, typer.Argument(help="What you are looking for.")],
    k: Annotated[int, typer.Option("-k", help="How many results.")] = 5,
    library: LibraryOpt = None,
    chroma_url: ChromaOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Search the library by meaning."""
    lib = _open_library(library, chroma_url)
    hits = lib.search(query, k)
    if json_out:
        print(
            json.dumps(
                [
                    {
                        "asset_id": h.asset.id,
                        "title": h.asset.title,
                        "score": round(h.score, 4),
                        "path": h.asset.path,
                    }
                    for h in hits
                ],
                indent=2,
            )
        )
        return
    if not hits:
        _console().print("no clips (is the library empty? `livedirector library import FOLDER`)")
    for h in hits:
        _console().print(f"{h.score:.3f}  {h.asset.id:28s} {h.asset.title}")


@library_app.command("edit")
def library_edit(
    asset_id: str,
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    description: Annotated[str | None, typer.Option(help="New description.")] = None,
    tags: Annotated[str | None, typer.Option(help="New tags, comma separated.")] = None,
    category: Annotated[str | None, typer.Option(help="New category.")] = None,
    library: LibraryOpt = None,
    chroma_url: ChromaOpt = None,
) -> None:
    """Change a clip's title, description, tags or category; it is re-indexed."""
    lib = _open_library(library, chroma_url)
    tag_list = [t.strip() for t in tags.split(",") if t.strip()] if tags is not None else None
    asset = lib.update_metadata(
        asset_id, title=title, description=description, tags=tag_list, category=category
    )
    print(json.dumps(asset.to_json(), indent=2))


@library_app.command("remove")
def library_remove(
    asset_ids: list[str], library: LibraryOpt = None, chroma_url: ChromaOpt = None
) -> None:
    """Remove clips from the library (the video files are left alone)."""
    lib = _open_library(library, chroma_url)
    unknown = [i for i in asset_ids if lib.get(i) is None]
    if unknown:
        from livedirector_desktop.core.errors import BadInputError

        raise BadInputError(
            f"no such clips: {', '.join(unknown)}", "see `livedirector library list`"
        )
    lib.remove(asset_ids)
    print(f"removed {len(asset_ids)} clips")


def _sync(
    library: Path | None, chroma_url: str | None, bucket: str, prefix: str, endpoint_url: str | None
):
    from livedirector_desktop.cloud.s3sync import S3Sync

    return S3Sync(_open_library(library, chroma_url), bucket, prefix, endpoint_url or "")


def _print_sync(report, json_out: bool) -> None:
    if json_out:
        print(json.dumps(report.to_json(), indent=2))
        return
    con = _console()
    for name in ("uploaded", "downloaded", "updated_metadata", "deleted", "unchanged"):
        items = getattr(report, name)
        if items:
            con.print(
                f"{name.replace('_', ' ')}: {len(items)}  ({', '.join(items[:8])}"
                f"{', …' if len(items) > 8 else ''})"
            )
    for asset_id, why in report.conflicts:
        con.print(f"[yellow]conflict[/] {asset_id}: {why} (left alone)")
    for asset_id, why in report.failed:
        con.print(f"[red]failed[/] {asset_id}: {why}")


BucketOpt = Annotated[str, typer.Option(help="The S3 bucket.")]
PrefixOpt = Annotated[str, typer.Option(help="A folder inside the bucket.")]
EndpointOpt = Annotated[
    str | None, typer.Option(help="An S3-compatible endpoint, e.g. http://127.0.0.1:9000.")
]


@library_app.command("push")
def library_push(
    bucket: BucketOpt,
    prefix: PrefixOpt = "livedirector",
    endpoint_url: EndpointOpt = None,
    library: LibraryOpt = None,
    chroma_url: ChromaOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Upload clips, thumbnails and metadata to S3 (what changed since the last sync)."""
    report = _sync(library, chroma_url, bucket, prefix, endpoint_url).push()
    _print_sync(report, json_out)
    if report.failed or report.conflicts:
        raise typer.Exit(1)


@library_app.command("pull")
def library_pull(
    bucket: BucketOpt,
    prefix: PrefixOpt = "livedirector",
    endpoint_url: EndpointOpt = None,
    into: Annotated[Path | None, typer.Option(help="Folder for downloaded clips.")] = None,
    library: LibraryOpt = None,
    chroma_url: ChromaOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Download what is missing or changed from S3 and index it here."""
    sync = _sync(library, chroma_url, bucket, prefix, endpoint_url)
    report = sync.pull(into or sync.library.root / "pulled")
    _print_sync(report, json_out)
    if report.failed or report.conflicts:
        raise typer.Exit(1)


@library_app.command("samples")
def library_samples(
    out: Annotated[Path, typer.Argument(help="Folder to write the sample clips into.")],
    catalog: Annotated[
        Path | None, typer.Option(help="Catalog JSON (default: the bundled sample library).")
    ] = None,
    seconds: Annotated[float, typer.Option(help="Length of each clip.")] = 4.0,
) -> None:
    """Generate playable sample clips (with sidecars) from a catalog of descriptions."""
    from rich.progress import Progress

    from livedirector_desktop.config import assets_dir
    from livedirector_desktop.library.samples import make_library, read_catalog

    entries = read_catalog(catalog or assets_dir() / "sample_library" / "catalog.json")
    with Progress(console=_console(stderr=True), transient=True) as bar:
        task = bar.add_task("making sample clips", total=len(entries))
        paths = make_library(
            entries,
            out,
            seconds=seconds,
            progress=lambda done, total: bar.update(task, completed=done),
        )
    print(f"{len(paths)} sample clips in {out}")


# ---------------------------------------------------------------- director


def _sentences(text: list[str] | None, file: Path | None) -> list[str]:
    from livedirector_desktop.core.errors import BadInputError

    sentences = [t for t in (text or []) if t.strip()]
    if file is not None:
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInputError(f"cannot read sentences from {file}: {exc}") from exc
        sentences += [line.strip() for line in lines if line.strip()]
    if not sentences:
        raise BadInputError("no sentences given", "pass TEXT arguments or --file F (one a line)")
    return sentences


@app.command()
def suggest(
    text: Annotated[list[str] | None, typer.Argument(help="Spoken sentences.")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Sentences, one a line.")
    ] = None,
    context: Annotated[
        bool, typer.Option("--context", help="Treat the sentences as one talk, in order.")
    ] = False,
    reasoner: Annotated[
        str | None, typer.Option(help="llama (local LLM) or keyword (no LLM).")
    ] = None,
    llm_model: Annotated[
        str | None, typer.Option(help="Model name or path to a .gguf file.")
    ] = None,
    library: LibraryOpt = None,
    chroma_url: ChromaOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Suggest B-roll for each sentence: the clip to show (or none) and the candidates."""
    from livedirector_desktop.engine import make_director

    settings = _settings()
    if reasoner:
        settings.reasoner = reasoner
    if llm_model:
        settings.llm_model = llm_model
    sentences = _sentences(text, file)
    lib = _open_library(library, chroma_url)
    director = make_director(settings, lib)
    step_ms = settings.director.min_on_screen_ms + settings.director.cooldown_ms
    history: list[str] = []
    con = _console()
    for i, sentence in enumerate(sentences):
        if not context:
            director.reset()
        decision = director.decide(
            sentence, now_ms=i * step_ms, context=history[-2:] if context else ()
        )
        history.append(sentence)
        if json_out:
            print(json.dumps(decision.to_json()), flush=True)
            continue
        shown = (
            f"[bold green]{decision.asset_id}[/] ({decision.confidence:.2f})"
            if decision.asset_id
            else "[dim]nothing[/]"
        )
        con.print(
            f"[bold]{sentence}[/]\n  -> {shown}  via {decision.path}: {decision.reason}; "
            f"query {decision.query!r}; {decision.latency_ms['total']:.0f} ms"
        )
        for c in decision.candidates[:3]:
            con.print(f"     {c.score:.3f} {c.asset_id} - {c.title}")


@app.command()
def demo(
    workdir: Annotated[
        Path | None, typer.Option(help="Where to put the sample clips and library.")
    ] = None,
    open_studio: Annotated[
        bool,
        typer.Option("--studio", help="Then open the studio on the demo talk (needs a display)."),
    ] = False,
) -> None:
    """The main job: sample library, import, direct a talk, render it, then (--studio) go live."""
    from livedirector_desktop.config import assets_dir, data_dir

    workdir = workdir or data_dir() / "demo"
    clips = workdir / "clips"
    con = _console()
    con.rule("1. sample clips")
    library_samples(clips, None, 4.0)
    con.rule("2. import into the library")
    try:
        library_import([clips], workdir / "library", None, False)
    except typer.Exit as exc:
        if exc.exit_code:
            raise
    con.rule("3. the director listens to a talk")
    talk_text = assets_dir() / "sample_talk.txt"
    suggest(None, talk_text, True, None, None, workdir / "library", None, False)
    con.rule("4. render a recorded talk with B-roll")
    talk, transcript = _demo_talk(workdir, talk_text.read_text(encoding="utf-8").splitlines())
    render(
        talk,
        workdir / "talk-with-broll.mp4",
        "pip",
        transcript,
        None,
        "en",
        None,
        500.0,
        None,
        workdir / "library",
        None,
    )
    con.print(f"[bold]open {workdir / 'talk-with-broll.mp4'} to watch the result[/]")
    if open_studio:
        import os

        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            con.print("no display: skipping the studio (run `livedirector studio` on a desktop)")
            return
        con.rule("5. the live studio, with the demo talk as camera and microphone")
        studio(camera=str(talk), mic=str(talk), transcript=transcript, library=workdir / "library")


def _demo_talk(workdir: Path, sentences: list[str]) -> tuple[Path, Path]:
    """A synthetic talking head speaking the sample talk (espeak-ng), and its transcript."""
    import shutil

    from livedirector_desktop.core.errors import LiveDirectorError
    from livedirector_desktop.media.synthetic import speak, write_talk

    if shutil.which("espeak-ng") is None:
        raise LiveDirectorError(
            "the demo talk needs espeak-ng", "install it: apt-get install espeak-ng"
        )
    audio, segments = speak([s for s in sentences if s.strip()])
    talk = write_talk(workdir / "talk.mp4", audio, 22050, width=1280, height=720, fps=30)
    transcript = workdir / "talk.json"
    transcript.write_text(json.dumps({"segments": segments}), encoding="utf-8")
    return talk, transcript


@app.command()
def render(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="The recorded talk.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The finished .mp4.")],
    layout: Annotated[
        str, typer.Option(help="fullscreen, pip (picture-in-picture) or side-by-side.")
    ] = "pip",
    transcript: Annotated[
        Path | None,
        typer.Option(help="A timed transcript (.srt, .vtt, .json) instead of recognition."),
    ] = None,
    asr: Annotated[
        str | None, typer.Option(help="Speech recognizer: vosk or whisper (default: settings).")
    ] = None,
    asr_model: Annotated[
        Path | None, typer.Option(help="A Vosk or faster-whisper model folder.")
    ] = None,
    language: Annotated[
        str | None, typer.Option(help="Speech language, e.g. en, ko (default: settings).")
    ] = None,
    resolution: Annotated[
        str | None, typer.Option(help="720p, 1080p or 2160p (default: as the input).")
    ] = None,
    transition_ms: Annotated[float, typer.Option(help="Crossfade length.")] = 500.0,
    reasoner: Annotated[str | None, typer.Option(help="llama or keyword.")] = None,
    library: LibraryOpt = None,
    chroma_url: ChromaOpt = None,
) -> None:
    """Render a recorded talk with B-roll: MP4 plus captions, decision timeline and EDL."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn

    from livedirector_desktop.asr.transcript import read_transcript
    from livedirector_desktop.engine import make_director, make_recognizer
    from livedirector_desktop.pipeline.render import RenderOptions
    from livedirector_desktop.pipeline.render import render as run_render

    settings = _settings()
    if reasoner:
        settings.reasoner = reasoner
    opts = RenderOptions(layout=layout, transition_ms=transition_ms, resolution=resolution)
    cues = read_transcript(transcript) if transcript else None
    lib = _open_library(library, chroma_url)
    recognizer = (
        None
        if cues is not None
        else make_recognizer(
            settings, asr_model, language or settings.studio.language, asr, streaming=False
        )
    )
    director = make_director(settings, lib)
    labels = {"listen": "listening", "direct": "directing", "composite": "rendering"}
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=_console(stderr=True),
        transient=True,
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: float, total: float) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels.get(stage, stage), total=total or None)
            bar.update(tasks[stage], completed=done, total=total or None)

        result = run_render(
            input_path,
            output,
            lib,
            director,
            recognizer=recognizer,
            cues=cues,
            opts=opts,
            progress=progress,
        )
    con = _console()
    shown = [s for s in result.segments if s.asset_id]
    con.print(
        f"wrote {result.output} ({result.frames} frames, {len(result.cues)} sentences, "
        f"B-roll {len(shown)} times)"
    )
    for path in result.sidecars:
        con.print(f"  {path}")


@app.command()
def studio(
    camera: Annotated[
        str | None, typer.Option(help="Camera number, or a video file to play as one.")
    ] = None,
    mic: Annotated[
        str | None, typer.Option(help="Microphone name/number, or an audio/video file.")
    ] = None,
    transcript: Annotated[
        Path | None, typer.Option(help="A timed transcript to replay instead of recognition.")
    ] = None,
    layout: Annotated[str | None, typer.Option(help="fullscreen, pip or side-by-side.")] = None,
    resolution: Annotated[str | None, typer.Option(help="Program size: 720p or 1080p.")] = None,
    fps: Annotated[int | None, typer.Option(help="Program frame rate (30 or 60).")] = None,
    record: Annotated[
        Path | None, typer.Option(help="Start recording to this .mp4 at once.")
    ] = None,
    quit_after: Annotated[
        float | None, typer.Option(help="Run unattended for this many seconds, then save and quit.")
    ] = None,
    screenshot: Annotated[
        Path | None, typer.Option(help="Save a window screenshot on quit.")
    ] = None,
    stats_json: Annotated[
        Path | None, typer.Option(help="Write frame and latency stats on quit.")
    ] = None,
    reasoner: Annotated[str | None, typer.Option(help="llama or keyword.")] = None,
    captions: Annotated[
        bool | None, typer.Option("--captions/--no-captions", help="A caption line in the program.")
    ] = None,
    library: LibraryOpt = None,
    chroma_url: ChromaOpt = None,
) -> None:
    """Open the live studio: camera, microphone, live B-roll, recording."""
    from livedirector_desktop.ui.app import StudioArgs, run_studio

    code = run_studio(
        StudioArgs(
            camera=camera,
            mic=mic,
            transcript=transcript,
            library=library,
            chroma_url=chroma_url,
            layout=layout,
            resolution=resolution,
            fps=fps,
            record=record,
            quit_after_s=quit_after,
            screenshot=screenshot,
            stats_json=stats_json,
            reasoner=reasoner,
            captions=captions,
        )
    )
    # Everything is saved and closed by now. Skip the interpreter's final garbage collection:
    # with Qt, PyAV and llama.cpp objects alive across threads it has aborted on a C
    # extension's reference count ("deallocating None") after a clean session.
    import logging
    import os

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main() -> None:
    from livedirector_desktop.core.errors import LiveDirectorError

    try:
        app()
    except LiveDirectorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
