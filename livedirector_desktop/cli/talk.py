"""`suggest`, `demo`, `render` and `conform`: the director on a known or recorded talk."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Annotated

import typer

from livedirector_desktop.cli.common import (
    ChromaOpt,
    JsonOpt,
    LibraryOpt,
    app,
    console,
    open_library,
    safe,
    user_settings,
)
from livedirector_desktop.cli.library import library_import, library_samples


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

    settings = user_settings()
    if reasoner:
        settings.reasoner = reasoner
    if llm_model:
        settings.llm_model = llm_model
    sentences = _sentences(text, file)
    lib = open_library(library, chroma_url, create=False)
    director = make_director(settings, lib)
    step_ms = settings.director.min_on_screen_ms + settings.director.tail_ms
    history: list[str] = []
    con = console()
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
            f"[bold green]{safe(decision.asset_id)}[/] ({decision.confidence:.2f})"
            if decision.asset_id
            else "[dim]nothing[/]"
        )
        con.print(
            f"[bold]{safe(sentence)}[/]\n  -> {shown}  via {decision.path}: "
            f"{safe(decision.reason)}; query {safe(repr(decision.query))}; "
            f"{decision.latency_ms['total']:.0f} ms"
        )
        for c in decision.candidates[:3]:
            con.print(f"     {c.score:.3f} {safe(c.asset_id)} - {safe(c.title)}")


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
    con = console()
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
        from livedirector_desktop.cli.live import studio

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
    from livedirector_desktop.engine import figure_style, make_director, make_recognizer
    from livedirector_desktop.pipeline.render import RenderOptions
    from livedirector_desktop.pipeline.render import render as run_render

    settings = user_settings()
    if reasoner:
        settings.reasoner = reasoner
    opts = RenderOptions(
        layout=layout,
        transition_ms=transition_ms,
        resolution=resolution,
        figure_style=figure_style(settings.studio),
    )
    cues = read_transcript(transcript) if transcript else None
    lib = open_library(library, chroma_url, create=False)
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
        console=console(stderr=True),
        transient=True,
    ) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: float, total: float) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels.get(stage, stage), total=total or None)
            bar.update(tasks[stage], completed=done, total=total or None)

        yield progress


def _print_render_result(result) -> None:
    con = console()
    shown = [s for s in result.segments if s.asset_id]
    con.print(
        f"wrote {safe(result.output)} ({result.frames} frames, {len(result.cues)} sentences, "
        f"B-roll {len(shown)} times)"
    )
    for path in result.sidecars:
        con.print(f"  {safe(path)}")
    for asset_id, why in result.unavailable.items():
        con.print(f"[yellow]not shown[/] {safe(asset_id)}: {safe(why)} (the camera stayed up)")


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
    from livedirector_desktop.engine import figure_style
    from livedirector_desktop.pipeline.conform import conform as run_conform
    from livedirector_desktop.pipeline.conform import read_live_log
    from livedirector_desktop.pipeline.render import RenderOptions

    log = read_live_log(recording)
    opts = RenderOptions(
        layout=layout or log.layout,
        resolution=resolution,
        figure_style=figure_style(user_settings().studio),
    )
    lib = open_library(library, chroma_url, create=False)
    with _render_progress() as progress:
        result = run_conform(recording, output, lib, opts, progress)
    _print_render_result(result)
