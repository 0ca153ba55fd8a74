"""`live` and `studio`: a session with devices, recording, streams and the control API."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from livedirector_desktop.cli.common import ChromaOpt, LibraryOpt, app, console, safe, user_settings
from livedirector_desktop.cli.sessions import sessions_store

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
    import threading

    from livedirector_desktop.core.errors import BadInputError
    from livedirector_desktop.runner import RunOptions, SessionRunner, on_stop_signals

    err = console(stderr=True)
    runner = SessionRunner(
        RunOptions(
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
            record=_record_path(record),
            stream=_stream_url(stream),
            virtual_camera=virtual_camera,
            control_port=control_port,
            control_token=control_token,
            stats_json=stats_json,
        ),
        user_settings(),
        store=sessions_store(create=True) if record else None,
    )
    for line in runner.recover():
        err.print(safe(line))
    session = runner.build()
    if session.camera is None and session.mic is None:
        raise BadInputError(
            "no camera and no microphone could be opened",
            "name a device or a file with --camera and --mic",
        )
    control = runner.serve_control()
    for message in runner.messages:
        err.print(f"[yellow]{safe(message)}[/]")
    if control is not None:
        err.print(f"control API: {control.url}\nremote page: {control.page_url}")
    stop = threading.Event()

    def on_signal(count: int) -> None:
        if count > 1:
            err.print("saving the recording, one moment…")
        stop.set()

    restore = on_stop_signals(on_signal)
    cfg = session.config
    err.print(
        f"live: {cfg.width}x{cfg.height}@{cfg.fps:g} {cfg.layout}"
        f"{f', recording to {record}' if record else ''}; Ctrl-C stops"
    )
    try:
        result = runner.run(stop, quit_after, say=err.print)
    finally:
        restore()
    _report(session, result, err)


def _report(session, result, err) -> None:
    """What the session saved (a RecordingResult, or None) and how the tick kept up."""
    if result is not None:
        print(f"saved {result.path} ({result.duration_ms / 1000:.1f} s)")
        for path in result.sidecars:
            print(f"  {path}")
    summary = session.stats.summary()
    err.print(
        f"ticks {summary['ticks']}, late {summary['late_share'] * 100:.1f}%, "
        f"dropped video {summary['video_dropped']} audio {summary['audio_dropped']}"
    )


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
