"""The `livedirector` command. Heavy libraries load only inside the commands that use them."""

from __future__ import annotations

import contextlib
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


def _settings():
    from livedirector_desktop.config import load_settings

    return load_settings()


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _safe(value: object) -> str:
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


def _open_library(library: Path | None, chroma_url: str | None, create: bool = True):
    """The library; commands that only read pass create=False: a library that does not
    exist yet reads as empty and no folder is made."""
    from livedirector_desktop.engine import load_embedder
    from livedirector_desktop.library.library import Library

    settings = _settings()
    return Library.open(
        library or settings.library_path,
        load_embedder(settings),
        chroma_url or settings.chroma_url,
        create=create,
    )


def _count_bar(disable: bool = False):
    """A progress bar on stderr counting items done of a total, with the time left."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=_console(stderr=True),
        transient=True,
        disable=disable,
    )


@library_app.command("import")
def library_import(
    paths: Annotated[list[Path], typer.Argument(help="Video files and folders.")],
    library: LibraryOpt = None,
    chroma_url: ChromaOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Import clips (each with an optional <name>.json sidecar) into the library."""
    from livedirector_desktop.library.importer import import_paths

    lib = _open_library(library, chroma_url)
    with _count_bar(disable=json_out and not sys.stderr.isatty()) as bar:
        task = bar.add_task("importing", total=None)

        def progress(done: int, total: int, path: Path | None) -> None:
            bar.update(
                task,
                completed=done,
                total=total,
                description=f"importing {_safe(path.name)}" if path else "done",
            )

        report = import_paths(lib, paths, progress)
    if json_out:
        print(json.dumps(report.to_json(), indent=2))
    else:
        con = _console()
        con.print(
            f"added {len(report.added)}, updated {len(report.updated)}, "
            f"unchanged {len(report.unchanged)}, failed {len(report.failed)} "
            f"in {report.seconds:.1f} s; library now holds {lib.count()} clips "
            f"({_safe(lib.root)})"
        )
        for path, error in report.failed:
            con.print(f"[red]skipped[/] {_safe(path)}: {_safe(error)}")
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
    library: LibraryOpt = None,
    chroma_url: ChromaOpt = None,
    json_out: JsonOpt = False,
    undescribed: Annotated[
        bool,
        typer.Option("--undescribed", help="Only the clips that need a description to be found."),
    ] = False,
) -> None:
    """Every clip in the library (or those no search can find yet)."""
    lib = _open_library(library, chroma_url, create=False)
    assets = lib.needing_description() if undescribed else lib.assets()
    if json_out:
        print(json.dumps([a.to_json() for a in assets], indent=2))
        return
    from rich.table import Table

    what = "clips that need a description" if undescribed else "clips"
    table = Table(title=f"{len(assets)} {what} in {_safe(lib.root)}")
    for col in ("id", "title", "tags", "length", "size"):
        table.add_column(col)
    for a in assets:
        table.add_row(
            _safe(a.id),
            _safe(a.title) + (" [yellow](needs a description)[/]" if a.needs_description else ""),
            _safe(", ".join(a.tags)),
            f"{a.duration_ms / 1000:.1f} s",
            f"{a.width}x{a.height}@{a.fps:g}",
        )
    con = _console()
    con.print(table)
    waiting = len(assets) if undescribed else sum(a.needs_description for a in assets)
    if waiting:
        con.print(
            f"{waiting} clip(s) have no words the director can find them by: "
            "`livedirector library edit ID [ID ...] --description TEXT --add-tags a,b`"
        )


@library_app.command("reindex")
def library_reindex(
    embeddings: Annotated[
        str | None,
        typer.Option(help="Switch to this embedding model first (minilm | e5); it is saved."),
    ] = None,
    library: LibraryOpt = None,
    chroma_url: ChromaOpt = None,
) -> None:
    """Rebuild every clip's vector with the embedding model in the settings (after a switch:
    e5 reads ~100 languages, minilm English best); the old index serves until it is done."""
    from livedirector_desktop.config import EMBEDDING_MODELS, save_settings
    from livedirector_desktop.core.errors import BadInputError
    from livedirector_desktop.engine import load_embedder
    from livedirector_desktop.library.library import Library

    settings = _settings()
    if embeddings is not None:
        if embeddings not in EMBEDDING_MODELS:
            raise BadInputError(
                f"--embeddings {embeddings!r} is not a known model",
                f"use one of: {', '.join(EMBEDDING_MODELS)}",
            )
        settings.embedding_model = embeddings  # type: ignore[assignment]
    lib = Library.open(
        library or settings.library_path,
        load_embedder(settings),
        chroma_url or settings.chroma_url,
        any_model=True,
    )
    before = getattr(lib.store, "stored_model", lib.embedder.name)
    with _count_bar() as bar:
        searched = lib.count() - getattr(lib.store, "undescribed_count", lambda: 0)()
        task = bar.add_task(f"embedding with {lib.embedder.name}", total=searched)
        count = lib.reindex(lambda done, total: bar.update(task, completed=done, total=total))
    if embeddings is not None:
        save_settings(settings)
    _console().print(
        f"reindexed {count} clips with {lib.embedder.name} (was {before}); "
        f"embedding_model = {settings.embedding_model}"
    )


@library_app.command("search")
def library_search(
    query: Annotated[str, typer.Argument(help="What you are looking for.")],
    k: Annotated[int, typer.Option("-k", help="How many results.")] = 5,
    library: LibraryOpt = None,
    chroma_url: ChromaOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Search the library by meaning."""
    lib = _open_library(library, chroma_url, create=False)
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
        _console().print(f"{h.score:.3f}  {_safe(h.asset.id):28s} {_safe(h.asset.title)}")


def _tag_list(tags: str | None) -> list[str] | None:
    return [t.strip() for t in tags.split(",") if t.strip()] if tags is not None else None


@library_app.command("edit")
def library_edit(
    asset_ids: Annotated[list[str], typer.Argument(help="One clip's id, or several.")],
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    description: Annotated[str | None, typer.Option(help="New description.")] = None,
    tags: Annotated[str | None, typer.Option(help="New tags, comma separated.")] = None,
    add_tags: Annotated[
        str | None, typer.Option(help="Tags to add to each clip's own, comma separated.")
    ] = None,
    category: Annotated[str | None, typer.Option(help="New category.")] = None,
    library: LibraryOpt = None,
    chroma_url: ChromaOpt = None,
) -> None:
    """Change the title, description, tags or category of one clip or several at once;
    they are re-indexed (all of them, or none on an error)."""
    lib = _open_library(library, chroma_url, create=False)
    assets = lib.edit_many(
        asset_ids,
        title=title,
        description=description,
        tags=_tag_list(tags),
        category=category,
        add_tags=_tag_list(add_tags),
    )
    out = [a.to_json() for a in assets]
    print(json.dumps(out[0] if len(out) == 1 else out, indent=2))


@library_app.command("remove")
def library_remove(
    asset_ids: list[str], library: LibraryOpt = None, chroma_url: ChromaOpt = None
) -> None:
    """Remove clips from the library (the video files are left alone)."""
    lib = _open_library(library, chroma_url, create=False)
    unknown = [i for i in asset_ids if lib.get(i) is None]
    if unknown:
        from livedirector_desktop.core.errors import BadInputError

        raise BadInputError(
            f"no such clips: {', '.join(map(repr, unknown))}", "see `livedirector library list`"
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
                f"{name.replace('_', ' ')}: {len(items)}  ({_safe(', '.join(items[:8]))}"
                f"{', …' if len(items) > 8 else ''})"
            )
    for asset_id, why in report.renamed:
        con.print(f"[yellow]kept your file[/] {_safe(asset_id)}: {_safe(why)}")
    for asset_id, why in report.conflicts:
        con.print(f"[yellow]conflict[/] {_safe(asset_id)}: {_safe(why)} (left alone)")
    for asset_id, why in report.failed:
        con.print(f"[red]failed[/] {_safe(asset_id)}: {_safe(why)}")


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
    lib = _open_library(library, chroma_url, create=False)
    director = make_director(settings, lib)
    step_ms = settings.director.min_on_screen_ms + settings.director.tail_ms
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
            f"[bold green]{_safe(decision.asset_id)}[/] ({decision.confidence:.2f})"
            if decision.asset_id
            else "[dim]nothing[/]"
        )
        con.print(
            f"[bold]{_safe(sentence)}[/]\n  -> {shown}  via {decision.path}: "
            f"{_safe(decision.reason)}; query {_safe(repr(decision.query))}; "
            f"{decision.latency_ms['total']:.0f} ms"
        )
        for c in decision.candidates[:3]:
            con.print(f"     {c.score:.3f} {_safe(c.asset_id)} - {_safe(c.title)}")


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
        library_import([clips], library=workdir / "library", chroma_url=None, json_out=False)
    except typer.Exit as exc:
        if exc.exit_code:
            raise
    con.rule("3. the director listens to a talk")
    talk_text = assets_dir() / "sample_talk.txt"
    suggest(
        None,
        file=talk_text,
        context=True,
        reasoner=None,
        llm_model=None,
        library=workdir / "library",
        chroma_url=None,
        json_out=False,
    )
    con.rule("4. render a recorded talk with B-roll")
    talk, transcript = _demo_talk(workdir, talk_text.read_text(encoding="utf-8").splitlines())
    # By name: typer commands grow options, and positions shift under a positional call.
    render(
        talk,
        output=workdir / "talk-with-broll.mp4",
        layout="pip",
        transcript=transcript,
        asr=None,
        asr_model=None,
        language="en",
        resolution=None,
        transition_ms=500.0,
        reasoner=None,
        library=workdir / "library",
        chroma_url=None,
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
    from livedirector_desktop.asr.transcript import read_transcript
    from livedirector_desktop.engine import make_director, make_recognizer
    from livedirector_desktop.pipeline.render import RenderOptions
    from livedirector_desktop.pipeline.render import render as run_render

    settings = _settings()
    if reasoner:
        settings.reasoner = reasoner
    opts = RenderOptions(layout=layout, transition_ms=transition_ms, resolution=resolution)
    cues = read_transcript(transcript) if transcript else None
    lib = _open_library(library, chroma_url, create=False)
    recognizer = (
        None
        if cues is not None
        else make_recognizer(
            settings, asr_model, language or settings.studio.language, asr, streaming=False
        )
    )
    director = make_director(settings, lib, offline=True)
    with _render_progress() as progress:
        result = run_render(
            input_path,
            output,
            lib,
            director,
            recognizer=recognizer,
            cues=cues,
            opts=opts,
            progress=progress,
            inputs=[transcript] if transcript else [],
        )
    _print_render_result(result)


@contextlib.contextmanager
def _render_progress():
    """Bars for a render's stages on stderr; yields the progress callback."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn

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

        yield progress


def _print_render_result(result) -> None:
    con = _console()
    shown = [s for s in result.segments if s.asset_id]
    con.print(
        f"wrote {_safe(result.output)} ({result.frames} frames, {len(result.cues)} sentences, "
        f"B-roll {len(shown)} times)"
    )
    for path in result.sidecars:
        con.print(f"  {_safe(path)}")
    for asset_id, why in result.unavailable.items():
        con.print(f"[yellow]not shown[/] {_safe(asset_id)}: {_safe(why)} (the camera stayed up)")


@app.command()
def conform(
    recording: Annotated[
        Path, typer.Argument(help="A studio or `live` recording (with OUT.camera.mp4 beside it).")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="The final cut (.mp4).")],
    layout: Annotated[str | None, typer.Option(help="Another layout than the recording's.")] = None,
    resolution: Annotated[
        str | None, typer.Option(help="720p, 1080p or 2160p (default: as recorded).")
    ] = None,
    library: LibraryOpt = None,
    chroma_url: ChromaOpt = None,
) -> None:
    """The final cut of a live recording: each clip starts with the sentence that asked for it.

    Re-renders from the clean camera recording with the session's decisions, manual takes
    and vetoes; the live recording itself is left as it was."""
    from livedirector_desktop.pipeline.conform import conform as run_conform
    from livedirector_desktop.pipeline.conform import read_live_log
    from livedirector_desktop.pipeline.render import RenderOptions

    log = read_live_log(recording)
    opts = RenderOptions(layout=layout or log.layout, resolution=resolution)
    lib = _open_library(library, chroma_url, create=False)
    with _render_progress() as progress:
        result = run_conform(recording, output, lib, opts, progress)
    _print_render_result(result)


CameraOpt = Annotated[
    str | None, typer.Option(help="Camera number, or a video file to play as one.")
]
MicOpt = Annotated[str | None, typer.Option(help="Microphone name/number, or an audio/video file.")]
TranscriptOpt = Annotated[
    Path | None, typer.Option(help="A timed transcript to replay instead of recognition.")
]
LayoutOpt = Annotated[str | None, typer.Option(help="fullscreen, pip or side-by-side.")]
ResolutionOpt = Annotated[
    str | None, typer.Option(help="Program size: 480p, 720p, 1080p or 2160p.")
]
FpsOpt = Annotated[int | None, typer.Option(help="Program frame rate (30 or 60).")]
RecordOpt = Annotated[Path | None, typer.Option(help="Record the program to this .mp4.")]
QuitAfterOpt = Annotated[
    float | None, typer.Option(help="Stop after this many seconds (and save).")
]
StatsOpt = Annotated[Path | None, typer.Option(help="Write frame and latency stats on quit.")]
ReasonerOpt = Annotated[str | None, typer.Option(help="llama, keyword or bedrock.")]
AsrOpt = Annotated[
    str | None,
    typer.Option(
        help="Speech recognizer: vosk or whisper (default: the settings').", metavar="ASR"
    ),
]
CaptionsOpt = Annotated[
    bool | None, typer.Option("--captions/--no-captions", help="A caption line in the program.")
]


StreamOpt = Annotated[
    str | None,
    typer.Option("--stream", help="Also send the program to rtmp://…, rtmps://… or srt://…."),
]
VirtualCameraOpt = Annotated[
    bool, typer.Option("--virtual-camera", help="The program as a webcam for other apps.")
]
ControlPortOpt = Annotated[
    int | None,
    typer.Option(help="Serve the control API and remote page on 127.0.0.1:PORT (0: off)."),
]
ControlTokenOpt = Annotated[
    str | None, typer.Option(help="The control API's token (default: settings, or a new one).")
]


def _stream_url(url: str | None) -> str | None:
    if not url:
        return None
    from livedirector_desktop.recorder.stream_output import check_stream_url

    check_stream_url(url)
    return url


def _record_path(record: Path | None) -> Path | None:
    from livedirector_desktop.core.errors import BadInputError

    if record is None:
        return None
    if record.suffix.lower() != ".mp4":
        raise BadInputError(f"--record {record}: the recording must end in .mp4")
    if record.is_dir():
        raise BadInputError(f"--record {record} is a folder", "give a file name ending in .mp4")
    return record


@app.command()
def live(
    camera: CameraOpt = None,
    mic: MicOpt = None,
    transcript: TranscriptOpt = None,
    layout: LayoutOpt = None,
    resolution: ResolutionOpt = None,
    fps: FpsOpt = None,
    record: RecordOpt = None,
    quit_after: QuitAfterOpt = None,
    stats_json: StatsOpt = None,
    reasoner: ReasonerOpt = None,
    asr: AsrOpt = None,
    captions: CaptionsOpt = None,
    library: LibraryOpt = None,
    chroma_url: ChromaOpt = None,
    stream: StreamOpt = None,
    virtual_camera: VirtualCameraOpt = False,
    control_port: ControlPortOpt = None,
    control_token: ControlTokenOpt = None,
) -> None:
    """The live session without a window: devices (or files) in, B-roll, recording out.

    Runs until Ctrl-C, --quit-after, or the end of the files given as camera and
    microphone; the recording is saved with its sidecars either way.
    """
    import signal
    import threading

    from livedirector_desktop.core.files import write_atomic
    from livedirector_desktop.engine import (
        SessionOptions,
        build_live_session,
        recover_recordings,
        session_report,
    )
    from livedirector_desktop.pipeline.headless import run_headless

    record = _record_path(record)
    stream = _stream_url(stream)
    settings = _settings()
    err = _console(stderr=True)
    # Recordings a crash cut off are finished before anything new is recorded.
    for line in recover_recordings(settings, [record.parent] if record else []):
        err.print(_safe(line))
    session, messages = build_live_session(
        SessionOptions(
            camera=camera,
            mic=mic,
            transcript=transcript,
            library=library,
            chroma_url=chroma_url,
            layout=layout,
            resolution=resolution,
            fps=fps,
            reasoner=reasoner,
            asr=asr,
            captions=captions,
        ),
        settings,
    )
    for message in messages:
        err.print(f"[yellow]{message}[/]")
    if session.camera is None and session.mic is None:
        from livedirector_desktop.core.errors import BadInputError

        raise BadInputError(
            "no camera and no microphone could be opened",
            "name a device or a file with --camera and --mic",
        )
    stop = threading.Event()

    def on_sigint(_signum, _frame) -> None:
        if stop.is_set():
            err.print("saving the recording, one moment…")
        stop.set()

    signal.signal(signal.SIGINT, on_sigint)
    signal.signal(signal.SIGTERM, on_sigint)
    cfg = session.config
    err.print(
        f"live: {cfg.width}x{cfg.height}@{cfg.fps:g} {cfg.layout}"
        f"{f', recording to {record}' if record else ''}; Ctrl-C stops"
    )
    store = _sessions_store(create=True) if record else None
    session_id = store.begin(record, session.config.layout) if store else None
    control = _start_control(session, settings, control_port, control_token, err)
    try:
        if virtual_camera:
            device = session.start_virtual_camera(settings.studio.virtual_camera_device or None)
            err.print(f"virtual camera: {device}")
        result = run_headless(
            session, record, quit_after, stop, say=err.print, session_id=session_id, stream=stream
        )
    except BaseException:
        session.stop_virtual_camera()
        raise
    finally:
        if control is not None:
            control.stop()
    if result and store is not None and session_id is not None:
        store.finish(session_id, result["duration_ms"], result["sentences"], result["clips_shown"])
    if result:
        print(f"saved {result['path']} ({result['duration_ms'] / 1000:.1f} s)")
        for path in result["sidecars"]:
            print(f"  {path}")
    summary = session.stats.summary()
    err.print(
        f"ticks {summary['ticks']}, late {summary['late_share'] * 100:.1f}%, "
        f"dropped video {summary['video_dropped']} audio {summary['audio_dropped']}"
    )
    if stats_json:
        write_atomic(stats_json, json.dumps(session_report(session, result), indent=2))


def _start_control(session, settings, port: int | None, token: str | None, err):
    """The control API when a port is given (option, else settings); None when off."""
    port = settings.studio.control_port if port is None else port
    if not port:
        return None
    from livedirector_desktop.control.server import ControlServer

    server = ControlServer(session, port, token or settings.studio.control_token or None)
    server.start()
    err.print(f"control API: {server.url}\nremote page: {server.page_url}")
    return server


@app.command()
def studio(
    camera: CameraOpt = None,
    mic: MicOpt = None,
    transcript: TranscriptOpt = None,
    layout: LayoutOpt = None,
    resolution: ResolutionOpt = None,
    fps: FpsOpt = None,
    record: Annotated[
        Path | None, typer.Option(help="Start recording to this .mp4 at once.")
    ] = None,
    quit_after: Annotated[
        float | None, typer.Option(help="Run unattended for this many seconds, then save and quit.")
    ] = None,
    screenshot: Annotated[
        Path | None, typer.Option(help="Save a window screenshot on quit.")
    ] = None,
    stats_json: StatsOpt = None,
    reasoner: ReasonerOpt = None,
    asr: AsrOpt = None,
    captions: CaptionsOpt = None,
    library: LibraryOpt = None,
    chroma_url: ChromaOpt = None,
    stream: StreamOpt = None,
    virtual_camera: VirtualCameraOpt = False,
    control_port: ControlPortOpt = None,
    control_token: ControlTokenOpt = None,
) -> None:
    """Open the live studio: camera, microphone, live B-roll, recording, going live."""
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
            record=_record_path(record),
            quit_after_s=quit_after,
            screenshot=screenshot,
            stats_json=stats_json,
            reasoner=reasoner,
            asr=asr,
            captions=captions,
            stream=_stream_url(stream),
            virtual_camera=virtual_camera,
            control_port=control_port,
            control_token=control_token,
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


# ---------------------------------------------------------------- sessions


def _sessions_store(create: bool):
    from livedirector_desktop.config import data_dir
    from livedirector_desktop.sessions.store import SessionStore

    return SessionStore(data_dir() / "sessions.sqlite", create=create)


def _recordings_dir() -> Path:
    return _settings().recordings_path


FolderOpt = Annotated[
    list[Path] | None,
    typer.Option("--folder", help="Also look in this folder (default: the recordings folder)."),
]


@sessions_app.command("list")
def sessions_list(folder: FolderOpt = None, json_out: JsonOpt = False) -> None:
    """Every studio recording, and any a crash left unfinished (see `sessions recover`)."""
    from livedirector_desktop.recorder.recovery import default_folders, find_interrupted

    store = _sessions_store(create=False)
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

    table = Table(title=f"{len(rows)} sessions ({_safe(store.path)})")
    for col in ("id", "started", "file", "length", "sentences", "clips", "state"):
        table.add_column(col)
    for r in rows:
        state = "recovered" if r.recovered else "finished" if r.finished else "unfinished"
        table.add_row(
            str(r.id),
            time.strftime("%Y-%m-%d %H:%M", time.localtime(r.started_at)),
            _safe(r.path),
            f"{(r.duration_ms or 0) / 1000:.0f} s" if r.finished else "-",
            str(r.sentences),
            str(r.clips_shown),
            state,
        )
    con = _console()
    con.print(table)
    for item in interrupted:
        note = "being recorded now" if item.in_use else "run `livedirector sessions recover`"
        con.print(
            f"[yellow]interrupted[/] {_safe(item.partial)} "
            f"({item.size_bytes / 1e6:.1f} MB, for {_safe(item.intended.name)}): {note}"
        )


@sessions_app.command("recover")
def sessions_recover(folder: FolderOpt = None, json_out: JsonOpt = False) -> None:
    """Finish recordings a crash cut off: playable MP4 under the intended name, sidecars
    from the decisions logged so far, session row completed. Existing files are never
    replaced (a recovered file takes the name "NAME (recovered).mp4" then)."""
    from livedirector_desktop.recorder.recovery import default_folders, recover_all

    store = _sessions_store(create=False)
    folders = [*default_folders(_recordings_dir(), store), *(folder or [])]
    # No sessions file yet: no studio has recorded here, so no rows to complete.
    results = recover_all(folders, store if store.exists else None)
    if json_out:
        print(json.dumps([r.to_json() for r in results], indent=2))
    else:
        con = _console()
        if not results:
            con.print("nothing to recover")
        for r in results:
            status = "" if r.ok else "[yellow]left alone[/] " if r.in_use else "[red]failed[/] "
            con.print(status + _safe(r.message))
    if any(not r.ok and not r.in_use for r in results):
        raise typer.Exit(1)


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


if __name__ == "__main__":
    main()
