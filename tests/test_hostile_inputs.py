"""Hostile and unlucky inputs, run through the real CLI: each ends in a clean one-line
message (exit 2) or the right result; nothing of the user's is lost, overwritten or leaked,
and no traceback is ever printed.

To add a case: append a Case to CASES. `setup` gets the World (a temporary folder with a
talk, a transcript and an imported library) and returns the CLI arguments; `check` may
assert more (a file unchanged, a folder not created).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class World:
    tmp: Path
    talk: Path  # a short talking-head video with audio
    transcript: Path  # its timed transcript (.json)
    library: Path  # an imported library (12 sample clips)
    clips: Path  # small clips to import
    env: dict[str, str] = field(default_factory=dict)
    s3_url: Callable[[], str] | None = None  # a moto S3 server, started on first use

    def digest(self, path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Case:
    name: str
    setup: Callable[[World], list[str]]
    code: int = 2
    says: str = ""  # a piece of the message (stderr for errors, stdout + stderr otherwise)
    check: Callable[[World, subprocess.CompletedProcess], None] | None = None


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "livedirector_desktop", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )


# ---------------------------------------------------------------- output paths


def _render(w: World, out: Path, *extra: str) -> list[str]:
    return [
        "render",
        str(w.talk),
        "-o",
        str(out),
        "--transcript",
        str(w.transcript),
        "--library",
        str(w.library),
        "--reasoner",
        "keyword",
        *extra,
    ]


def output_named_like_the_transcript(w: World) -> list[str]:
    d = w.tmp / "d"
    d.mkdir()
    (d / "talk.json").write_bytes(w.transcript.read_bytes())
    args = _render(w, d / "talk.mp4")
    args[args.index("--transcript") + 1] = str(d / "talk.json")
    return args


def transcript_unchanged(w: World, _out) -> None:
    assert w.digest(w.tmp / "d" / "talk.json") == w.digest(w.transcript)
    assert sorted(p.name for p in (w.tmp / "d").iterdir()) == ["talk.json"]


def output_named_like_an_srt_transcript(w: World) -> list[str]:
    d = w.tmp / "d"
    d.mkdir()
    srt = d / "talk.srt"
    srt.write_text("1\n00:00:00,500 --> 00:00:02,000\nSpaceX launched a rocket.\n")
    args = _render(w, d / "talk.mp4")
    args[args.index("--transcript") + 1] = str(srt)
    return args


def srt_unchanged(w: World, _out) -> None:
    assert (w.tmp / "d" / "talk.srt").read_text().startswith("1\n00:00:00,500")
    assert sorted(p.name for p in (w.tmp / "d").iterdir()) == ["talk.srt"]


def output_is_a_folder(w: World) -> list[str]:
    (w.tmp / "out.mp4").mkdir()
    return _render(w, w.tmp / "out.mp4")


def output_under_a_file(w: World) -> list[str]:
    (w.tmp / "notes.txt").write_text("mine")
    return _render(w, w.tmp / "notes.txt" / "out.mp4")


def output_in_an_unwritable_place(w: World) -> list[str]:
    return _render(w, Path("/proc/livedirector-test/out.mp4"))


def output_over_a_clip_sidecar(w: World) -> list[str]:
    # rocket.MP4 is a new file, but its timeline would be rocket.json: the clip's sidecar.
    w.library = w.tmp / "cliplib"
    imported = run_cli(["library", "import", str(w.clips), "--library", str(w.library)], w.env)
    assert imported.returncode == 0, imported.stderr
    return _render(w, w.clips / "rocket.MP4")


def clip_sidecar_unchanged(w: World, _out) -> None:
    assert json.loads((w.clips / "rocket.json").read_text())["title"] == "Rocket launch"


def nothing_left(w: World, _out) -> None:
    leftovers = [p.name for p in w.tmp.iterdir() if p.name.startswith(".") or "out" in p.name]
    assert leftovers in ([], ["out.mp4"]), leftovers


# ---------------------------------------------------------------- transcripts


def transcript_with_a_bad_arrow(w: World) -> list[str]:
    bad = w.tmp / "bad.srt"
    bad.write_text("1\n00:00:00,500 => 00:00:02,000\nhello\n")
    args = _render(w, w.tmp / "o.mp4")
    args[args.index("--transcript") + 1] = str(bad)
    return args


def transcript_with_control_characters(w: World) -> list[str]:
    bad = w.tmp / "evil\x1b[2J.srt"
    bad.write_text("nothing timed here\n")
    args = _render(w, w.tmp / "o.mp4")
    args[args.index("--transcript") + 1] = str(bad)
    return args


def no_escape_codes(_w: World, out) -> None:
    assert "\x1b" not in out.stderr + out.stdout and "\\x1b" in out.stderr


# ---------------------------------------------------------------- manifests (S3)


def bucket_with_manifest(manifest: object) -> Callable[[World], list[str]]:
    def setup(w: World) -> list[str]:
        import boto3

        url = w.s3_url()
        w.env.update(
            AWS_ACCESS_KEY_ID="testing-key",
            AWS_SECRET_ACCESS_KEY="testing-secret-do-not-print",
            AWS_DEFAULT_REGION="us-east-1",
        )
        w.env.pop("AWS_PROFILE", None)
        s3 = boto3.client(
            "s3",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="testing-key",
            aws_secret_access_key="testing-secret-do-not-print",
        )
        bucket = f"h{abs(hash(repr(manifest))) % 10**8}"
        s3.create_bucket(Bucket=bucket)
        body = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
        s3.put_object(Bucket=bucket, Key="p/manifest.json", Body=body)
        (w.tmp / "into").mkdir()
        (w.tmp / "into" / "clip.mp4").write_bytes(b"the user's clip")
        return [
            "library", "pull", "--bucket", bucket, "--prefix", "p", "--endpoint-url", url,
            "--library", str(w.tmp / "lib"), "--into", str(w.tmp / "into"), "--json",
        ]  # fmt: skip

    return setup


def users_clip_kept(w: World, out) -> None:
    assert (w.tmp / "into" / "clip.mp4").read_bytes() == b"the user's clip"
    assert "testing-secret" not in out.stdout + out.stderr


def entries_reported(w: World, out) -> None:
    users_clip_kept(w, out)
    report = json.loads(out.stdout)
    assert report["downloaded"] == [] and len(report["failed"]) == 4, report
    assert all("manifest entry" in f["why"] for f in report["failed"])


BAD_ENTRY = {"sha256": "0" * 64}  # no clip_key


# ---------------------------------------------------------------- settings


def settings_file(text: str) -> Callable[[World], list[str]]:
    def setup(w: World) -> list[str]:
        path = w.tmp / "settings.toml"
        path.write_text(text)
        w.env["LIVEDIRECTOR_CONFIG"] = str(path)
        return ["library", "list", "--library", str(w.library)]

    return setup


# ---------------------------------------------------------------- model files


def llm_file(data: bytes) -> Callable[[World], list[str]]:
    def setup(w: World) -> list[str]:
        path = w.tmp / "model.gguf"
        path.write_bytes(data)
        return ["suggest", "--library", str(w.library), "--llm-model", str(path), "A rocket."]

    return setup


# ---------------------------------------------------------------- libraries and files


def library_index(data: bytes) -> Callable[[World], list[str]]:
    def setup(w: World) -> list[str]:
        (w.tmp / "lib" / "chroma").mkdir(parents=True)
        (w.tmp / "lib" / "chroma" / "chroma.sqlite3").write_bytes(data)
        return ["library", "list", "--library", str(w.tmp / "lib")]

    return setup


def list_a_missing_library(w: World) -> list[str]:
    return ["library", "list", "--library", str(w.tmp / "no-such-lib"), "--json"]


def not_created(w: World, out) -> None:
    assert json.loads(out.stdout) == [] and not (w.tmp / "no-such-lib").exists()


def import_folder_with_a_symlink_loop(w: World) -> list[str]:
    folder = w.tmp / "import"
    folder.mkdir()
    (folder / "a.mp4").write_bytes((w.clips / "rocket.mp4").read_bytes())
    (folder / "loop.mp4").symlink_to(folder / "loop.mp4")
    (folder / "sub").symlink_to(folder, target_is_directory=True)  # a folder loop too
    return ["library", "import", str(folder), "--library", str(w.tmp / "lib"), "--json"]


def loop_skipped_rest_imported(_w: World, out) -> None:
    report = json.loads(out.stdout)
    assert report["added"] == ["a"]
    assert [Path(f["path"]).name for f in report["failed"]] == ["loop.mp4"]
    assert "points back at itself" in report["failed"][0]["error"]


def import_png_named_mp4(w: World) -> list[str]:
    import cv2
    import numpy as np

    folder = w.tmp / "import"
    folder.mkdir()
    _ok, png = cv2.imencode(".png", np.full((64, 64, 3), 200, np.uint8))
    (folder / "picture.mp4").write_bytes(png.tobytes())
    return ["library", "import", str(folder), "--library", str(w.tmp / "lib"), "--json"]


def png_rejected(_w: World, out) -> None:
    report = json.loads(out.stdout)
    assert report["added"] == [] and "still image" in report["failed"][0]["error"]


def import_non_latin_names(w: World) -> list[str]:
    folder = w.tmp / "import"
    folder.mkdir()
    for name in ("모닝 커피.mp4", "바다.mp4", "кофе.mp4"):
        (folder / name).write_bytes((w.clips / "coffee.mp4").read_bytes())
    return ["library", "import", str(folder), "--library", str(w.tmp / "lib"), "--json"]


def three_distinct_ids(_w: World, out) -> None:
    report = json.loads(out.stdout)
    assert len(set(report["added"])) == 3 and not report["failed"], report
    assert "clip" not in report["added"]


def import_sidecar_with_escape_codes(w: World) -> list[str]:
    folder = w.tmp / "import"
    folder.mkdir()
    (folder / "x.mp4").write_bytes((w.clips / "coffee.mp4").read_bytes())
    (folder / "x.json").write_text(json.dumps({"title": "evil\x1b]0;pwned\x07\x1b[31m"}))
    lib = str(w.tmp / "lib")
    assert run_cli(["library", "import", str(folder), "--library", lib], w.env).returncode == 0
    return ["library", "list", "--library", lib]


def escaped(_w: World, out) -> None:
    assert "\x1b" not in out.stdout and "\x07" not in out.stdout and "evil" in out.stdout


def bad_log_level(w: World) -> list[str]:
    return ["--log-level", "loud", "library", "list", "--library", str(w.library)]


def log_file_under_a_file(w: World) -> list[str]:
    (w.tmp / "f").write_text("")
    return ["--log-file", str(w.tmp / "f" / "x.log"), "library", "list"]


def sessions_list_creates_nothing(w: World) -> list[str]:
    w.env["LIVEDIRECTOR_HOME"] = str(w.tmp / "fresh-home")
    return ["sessions", "list"]


def home_not_created(w: World, _out) -> None:
    assert not (w.tmp / "fresh-home").exists()


CASES = [
    Case(
        "render -o beside its .json transcript",
        output_named_like_the_transcript,
        says="would overwrite the input",
        check=transcript_unchanged,
    ),
    Case(
        "render -o beside its .srt transcript",
        output_named_like_an_srt_transcript,
        says="would overwrite the input",
        check=srt_unchanged,
    ),
    Case("render -o a folder", output_is_a_folder, says="is a folder", check=nothing_left),
    Case("render -o under a file", output_under_a_file, says="is a file, not a folder"),
    Case("render -o an unwritable place", output_in_an_unwritable_place, says="cannot be"),
    Case(
        "render over a clip's sidecar",
        output_over_a_clip_sidecar,
        says="overwrite the input",
        check=clip_sidecar_unchanged,
    ),
    Case("SRT time line with =>", transcript_with_a_bad_arrow, says="cannot read the time line"),
    Case(
        "control characters in a file name",
        transcript_with_control_characters,
        says="holds no timed text",
        check=no_escape_codes,
    ),
    Case("manifest is a list", bucket_with_manifest([]), says="not an object"),
    Case("manifest not JSON", bucket_with_manifest(b"\x00{"), says="is corrupt"),
    Case("manifest assets a list", bucket_with_manifest({"assets": [1]}), says="'assets' must"),
    Case(
        "manifest entries null, keyless, '..'",
        bucket_with_manifest(
            {"assets": {"clip": None, "..": BAD_ENTRY, "../x": {"sha256": None}, "k": {}}}
        ),
        code=1,
        check=entries_reported,
    ),
    Case("settings not TOML", settings_file("studio = [\n"), says="is not valid TOML"),
    Case("settings unknown key", settings_file("colour = 'red'\n"), says="unknown setting"),
    Case("settings wrong type", settings_file("llm_threads = 'two'\n"), says="valid integer"),
    Case("GGUF truncated", llm_file(b"GGUF\x03\x00\x00\x00" + b"\x00" * 64), says="damaged"),
    Case("GGUF empty", llm_file(b""), says="is not a GGUF file"),
    Case("GGUF is text", llm_file(b"hello, I am not a model"), says="is not a GGUF file"),
    Case("library index 0 bytes", library_index(b""), says="is empty (0 bytes)"),
    Case("library index garbage", library_index(b"x" * 4096), says="is not a database"),
    Case("list a missing library", list_a_missing_library, code=0, check=not_created),
    Case(
        "symlink loop in an import folder",
        import_folder_with_a_symlink_loop,
        code=1,
        check=loop_skipped_rest_imported,
    ),
    Case("PNG renamed .mp4", import_png_named_mp4, code=1, check=png_rejected),
    Case("non-Latin file names", import_non_latin_names, code=0, check=three_distinct_ids),
    Case("escape codes in a sidecar", import_sidecar_with_escape_codes, code=0, check=escaped),
    Case("unknown log level", bad_log_level, says="unknown log level"),
    Case("log file under a file", log_file_under_a_file, says="cannot write the log file"),
    Case(
        "sessions list, nothing yet", sessions_list_creates_nothing, code=0, check=home_not_created
    ),
]


@pytest.fixture(scope="module")
def base_world(tmp_path_factory, sample_library) -> dict:
    from livedirector_desktop.media.synthetic import speak, write_talk

    out = tmp_path_factory.mktemp("hostile-talk")
    audio, segments = speak(["SpaceX launched a rocket.", "Thanks for watching."])
    talk = write_talk(out / "talk.mp4", audio, 22050, width=320, height=180, fps=15)
    transcript = out / "talk.json"
    transcript.write_text(json.dumps({"segments": segments}))
    return {"talk": talk, "transcript": transcript, "library": sample_library.root}


@pytest.fixture(scope="module")
def s3_server():
    """moto's S3 server on loopback, started only if a case asks for it."""
    procs: list = []

    def url() -> str:
        from tests.test_s3sync import _start_moto

        if not procs:
            procs.append(_start_moto())
        return procs[0][1]

    yield url
    for proc, _ in procs:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input(case: Case, base_world, small_clips, s3_server, tmp_path):
    work = tmp_path / "w"
    work.mkdir()
    world = World(work, env={**os.environ}, clips=small_clips, s3_url=s3_server, **base_world)
    args = case.setup(world)
    out = run_cli(args, world.env)
    text = out.stderr + out.stdout
    assert "Traceback" not in text, text
    assert out.returncode == case.code, text
    if case.code == 2:
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    if case.says:
        assert case.says in text, text
    if case.check:
        case.check(world, out)
