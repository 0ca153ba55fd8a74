"""Builds the engine's parts from settings: the one place that knows which backend to use.

`build_live_session` assembles a whole live session (devices, recognizer, director, scene,
writer) for every view of it: the studio window, headless `livedirector live`, tests and
benchmarks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from livedirector_desktop.compositor.figure_card import FigureStyle
    from livedirector_desktop.core.types import RecordingResult
    from livedirector_desktop.pipeline.live import LiveSession

from livedirector_desktop import models
from livedirector_desktop.config import Settings, StudioSettings, check_asr
from livedirector_desktop.core.errors import BadInputError, LiveDirectorError
from livedirector_desktop.director.backends import REGISTRY as REASONERS
from livedirector_desktop.director.director import Director
from livedirector_desktop.director.reasoner import Reasoner
from livedirector_desktop.library.embeddings import REGISTRY as EMBEDDERS
from livedirector_desktop.library.library import Library

log = logging.getLogger(__name__)


def _titan(settings: Settings):
    from livedirector_desktop.cloud.bedrock import TitanEmbedder

    return TitanEmbedder(region=settings.aws_region)


def _minilm(settings: Settings):
    return EMBEDDERS["minilm"](
        models.require("embeddings", settings.models_path), threads=settings.embedding_threads
    )


def _e5(settings: Settings):
    return EMBEDDERS["e5"](threads=settings.embedding_threads)


def load_embedder(settings: Settings):
    makers = {"minilm": _minilm, "e5": _e5, "titan": _titan}
    if settings.embedding_model not in makers:
        raise BadInputError(
            f"unknown embedding model {settings.embedding_model!r}",
            "use minilm (local, English), e5 (local, multilingual) or titan (Amazon Bedrock)",
        )
    return makers[settings.embedding_model](settings)


def open_library(
    settings: Settings, library_dir: Path | None = None, chroma_url: str | None = None
) -> Library:
    root = library_dir or settings.library_path
    return Library.open(root, load_embedder(settings), chroma_url or settings.chroma_url)


def make_reasoner(settings: Settings, name: str | None = None) -> Reasoner:
    name = name or settings.reasoner
    if name not in REASONERS and name != "bedrock":
        raise BadInputError(
            f"unknown reasoner {name!r}", f"use one of: {', '.join([*REASONERS, 'bedrock'])}"
        )
    if name == "llama":
        path = models.resolve_llm(settings.llm_model, settings.models_path)
        return REASONERS[name](model_path=path, threads=settings.llm_threads)
    if name == "bedrock":
        from livedirector_desktop.cloud.bedrock import BedrockReasoner

        try:
            local = make_reasoner(settings, "llama")
        except LiveDirectorError as exc:
            log.warning("no local LLM to fall back on: %s", exc.message)
            local = REASONERS["keyword"]()
        return BedrockReasoner(
            model_id=settings.bedrock_model,
            region=settings.aws_region,
            timeout_s=settings.bedrock_timeout_ms / 1000,
            fallback=local,
        )
    return REASONERS[name]()


# Offline (render) no one is waiting on a sentence: the director takes the time it needs,
# and this bound only stops a hung model.
OFFLINE_TIMEOUT_MS = 60_000


def make_director(
    settings: Settings, library: Library, reasoner: Reasoner | None = None, offline: bool = False
) -> Director:
    """The director of the settings; `offline` (render): no real-time bound on the LLM."""
    from livedirector_desktop.director.judge import make_judge

    reasoner = reasoner if reasoner is not None else make_reasoner(settings)
    judge = make_judge(reasoner, library) if settings.director.judge else None
    return Director(
        library,
        reasoner,
        settings.director,
        timeout_ms=OFFLINE_TIMEOUT_MS if offline else settings.llm_timeout_ms,
        judge=judge,
        judge_timeout_ms=OFFLINE_TIMEOUT_MS if offline else None,
    )


def make_recognizer(
    settings: Settings,
    model_path: Path | None = None,
    language: str = "en",
    asr: str | None = None,
    streaming: bool = True,
):
    """The speech recognizer of the settings (or `asr`: vosk | whisper) for the language.

    `streaming` is for live input (partials, finals as each utterance ends); `render` passes
    False so Whisper hears the whole talk at once. `model_path` overrides the model.
    """
    from livedirector_desktop.asr.recognizer import REGISTRY as RECOGNIZERS

    asr = check_asr(asr or settings.studio.asr)
    hint = "; or give a timed transcript with --transcript FILE (.srt, .vtt, .json)"
    if asr == "whisper":
        try:
            path = model_path or models.resolve_whisper(
                settings.studio.whisper_model, settings.models_path
            )
        except models.ModelMissingError as exc:
            exc.hint += hint
            raise
        return RECOGNIZERS["whisper"](
            path, language=language, streaming=streaming, threads=settings.studio.whisper_threads
        )
    if model_path is None:
        name = models.ASR_BY_LANGUAGE.get(language)
        if name is None:
            raise BadInputError(
                f"no speech model known for language {language!r}",
                f"use --asr-model PATH, --asr whisper, or one of: "
                f"{', '.join(models.ASR_BY_LANGUAGE)}",
            )
        try:
            model_path = models.require(name, settings.models_path)
        except models.ModelMissingError as exc:
            exc.hint += hint
            raise
    return RECOGNIZERS["vosk"](model_path)


@dataclass
class SessionOptions:
    """What a user may choose for one live session; None means "as in the settings"."""

    camera: str | None = None
    mic: str | None = None
    transcript: Path | None = None
    library: Path | None = None
    chroma_url: str | None = None
    layout: str | None = None
    resolution: str | None = None
    fps: int | None = None
    reasoner: str | None = None
    captions: bool | None = None
    asr: str | None = None  # vosk | whisper (None: as in the settings)


def build_live_session(
    options: SessionOptions, settings: Settings
) -> tuple[LiveSession, list[str]]:
    """A live session ready to start, and what the user should be told (no camera, ...).

    A missing camera, microphone or speech model is a message, not an error: the session
    runs without it. A bad choice (an unknown layout, resolution or reasoner) raises.
    """
    from livedirector_desktop.asr.replay import ReplayRecognizer
    from livedirector_desktop.core.geometry import RESOLUTIONS
    from livedirector_desktop.media.devices import open_camera, open_mic
    from livedirector_desktop.pipeline.live import LiveConfig, LiveSession

    if options.reasoner:
        # For this session only: the caller's settings (the studio saves them) stay as set.
        settings = settings.model_copy(update={"reasoner": options.reasoner})
    studio = settings.studio
    resolution = options.resolution or studio.resolution
    if resolution not in RESOLUTIONS:
        raise BadInputError(
            f"unknown resolution {resolution!r}", f"use one of: {', '.join(RESOLUTIONS)}"
        )
    size = RESOLUTIONS[resolution]
    fps = options.fps if options.fps is not None else studio.fps
    config = LiveConfig(
        width=size[0],
        height=size[1],
        fps=fps,
        layout=options.layout or studio.layout,
        transition_ms=studio.transition_ms,
        captions=studio.captions if options.captions is None else options.captions,
        caption_font=studio.caption_font,
        figure_style=figure_style(studio),
        max_bitrate_kbps=studio.stream_max_kbps,
    )
    messages: list[str] = []
    library = open_library(settings, options.library, options.chroma_url)
    if library.count() == 0:
        messages.append("Your library is empty: import clips on the Library page.")
    director = make_director(settings, library)
    if options.transcript:
        recognizer = ReplayRecognizer.from_file(options.transcript)
    else:
        try:
            recognizer = make_recognizer(settings, language=studio.language, asr=options.asr)
        except models.ModelMissingError as exc:
            recognizer = None
            messages.append(f"No speech recognition: {exc.message}. {exc.hint}")
    camera, why = open_camera(options.camera or studio.camera, size, fps)
    if why:
        messages.append(why)
    mic, why = open_mic(options.mic or studio.mic)
    if why:
        messages.append(why)
    return LiveSession(library, director, recognizer, camera, mic, config), messages


def session_report(session: LiveSession, recording: RecordingResult | None = None) -> dict:
    """What a session did, for --stats-json: counters, latencies, decisions, CPU by thread."""
    return {
        **session.stats.summary(),
        "sentence_to_screen_ms": list(session.stats.stage_ms["sentence_to_screen"]),
        "decisions": [d.to_json() for d in session.decisions],
        "recording": recording.to_json() if recording else {},
        "cpu_s_by_thread": session.cpu_s_by_thread,
    }


def recover_recordings(settings: Settings, also_in: list[Path] | None = None) -> list[str]:
    """Finish recordings a crash cut off (in the recordings folder, the folders of unfinished
    session rows, and `also_in`); one line for the user about each."""
    from livedirector_desktop.config import data_dir
    from livedirector_desktop.recorder.recovery import default_folders, recover_all
    from livedirector_desktop.sessions.store import SessionStore

    store = SessionStore(data_dir() / "sessions.sqlite", create=False)
    rows = store if store.exists else None
    folders = [*default_folders(settings.recordings_path, rows), *(also_in or [])]
    try:
        results = recover_all(folders, rows)
    except Exception as exc:  # recovery must never stop the app from starting
        log.exception("recovering interrupted recordings failed")
        return [f"Interrupted recordings could not be checked: {exc}"]
    return [r.message for r in results if not r.in_use]


def figure_style(studio: StudioSettings) -> FigureStyle:
    """How drawn figures look, from the studio settings."""
    from livedirector_desktop.compositor.figure_card import FigureStyle

    return FigureStyle(studio.figure_accent, studio.figure_side)
