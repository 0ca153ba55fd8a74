"""The PyInstaller build, smoke-tested as a creator would run it: no Python, no venv.

Builds dist/livedirector with packaging/build.sh (a few minutes; set LIVEDIRECTOR_DIST to an
existing build to reuse it), then runs the executable with a clean environment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from livedirector_desktop.media.synthetic import speak, write_talk

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def app() -> Path:
    given = os.environ.get("LIVEDIRECTOR_DIST")
    dist = Path(given) if given else ROOT / "dist" / "livedirector"
    if not given:
        build = subprocess.run(
            ["bash", str(ROOT / "packaging" / "build.sh")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=3600,
        )
        assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
        print(build.stdout[-500:])
    exe = dist / "livedirector"
    assert exe.is_file() and os.access(exe, os.X_OK)
    return exe


def run(
    exe: Path, home: Path, *args: str, timeout: int = 300, env_extra: dict | None = None
) -> subprocess.CompletedProcess:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "LIVEDIRECTOR_HOME": str(home / "ld"),
        "LANG": "C.UTF-8",
        **(env_extra or {}),
    }
    if os.environ.get("DISPLAY"):
        env["DISPLAY"] = os.environ["DISPLAY"]
        env["XAUTHORITY"] = os.environ.get("XAUTHORITY", "")
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, env=env, timeout=timeout, cwd=home
    )


def test_version(app, tmp_path):
    out = run(app, tmp_path, "--version")
    assert out.returncode == 0 and out.stdout.startswith("livedirector "), out.stderr


def test_models_are_bundled_and_the_main_job_runs_headless(app, tmp_path):
    listed = json.loads(run(app, tmp_path, "models", "list", "--json").stdout)
    bundled = {m["name"]: m for m in listed["models"]}
    assert bundled["embeddings"]["present"] and bundled["smollm2-135m"]["present"]
    assert "_internal" in bundled["embeddings"]["path"]  # from inside the bundle
    assert (
        run(
            app, tmp_path, "library", "samples", str(tmp_path / "clips"), "--seconds", "1"
        ).returncode
        == 0
    )
    imported = run(app, tmp_path, "library", "import", str(tmp_path / "clips"), "--json")
    assert imported.returncode == 0, imported.stderr
    assert len(json.loads(imported.stdout)["added"]) == 12
    out = run(
        app,
        tmp_path,
        "suggest",
        "--json",
        "SpaceX launched another rocket today.",
        "Thanks for watching!",
    )
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert rows[0]["decision"]["asset_id"] == "rocket-launch" and rows[0]["path"] == "llm"
    assert rows[1]["decision"] is None

    audio, segments = speak(["Every morning I make a double espresso.", "Thanks, bye."])
    talk = write_talk(tmp_path / "talk.mp4", audio, 22050, width=320, height=180, fps=15)
    (tmp_path / "talk.json").write_text(json.dumps({"segments": segments}))
    out = run(
        app,
        tmp_path,
        "render",
        str(talk),
        "-o",
        str(tmp_path / "final.mp4"),
        "--transcript",
        str(tmp_path / "talk.json"),
    )
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "final.mp4").stat().st_size > 10_000 and (tmp_path / "final.srt").exists()

    # Whisper is bundled when its packages were installed at build time: it hears the talk.
    assert bundled["whisper-base"]["present"], "whisper-base not bundled"
    out = run(app, tmp_path, "render", str(talk), "-o", str(tmp_path / "w.mp4"), "--asr", "whisper")
    assert out.returncode == 0, out.stderr
    assert "every morning" in (tmp_path / "w.srt").read_text().lower()


@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs a display (xvfb-run)")
def test_studio_window_opens_and_closes_cleanly(app, tmp_path):
    audio, segments = speak(["SpaceX launched another rocket today."])
    talk = write_talk(tmp_path / "talk.mp4", audio, 22050, width=320, height=180, fps=15)
    (tmp_path / "talk.json").write_text(json.dumps({"segments": segments}))
    log = tmp_path / "studio.log"
    out = run(
        app,
        tmp_path,
        "--log-file",
        str(log),
        "studio",
        "--camera",
        str(talk),
        "--mic",
        str(talk),
        "--transcript",
        str(tmp_path / "talk.json"),
        "--quit-after",
        "5",
        "--screenshot",
        str(tmp_path / "shot.png"),
    )
    text = out.stderr + (log.read_text() if log.exists() else "")
    assert out.returncode == 0, text[-3000:]
    for bad in (
        "No module named",
        "Could not load the Qt platform plugin",
        "Traceback",
        "cannot open shared object",
    ):
        assert bad not in text, text[-3000:]
    assert (tmp_path / "shot.png").stat().st_size > 5_000


def test_first_run_without_models_says_what_to_install(app, tmp_path):
    bundled = app.parent / "_internal" / "models"
    hidden = bundled.with_name("models.hidden-by-test")
    shutil.move(bundled, hidden)
    try:
        out = run(app, tmp_path, "library", "list")
        assert out.returncode == 2 and "Traceback" not in out.stderr
        assert "livedirector models install embeddings" in out.stderr
        studio = run(app, tmp_path, "studio", "--quit-after", "2")
        assert studio.returncode == 2 and "models install embeddings" in studio.stderr
        assert "Traceback" not in studio.stderr
    finally:
        shutil.move(hidden, bundled)


def test_the_bundle_syncs_a_library_with_s3(app, tmp_path):
    """The bundle keeps botocore's descriptions of only the services the app calls: S3 must
    still work from it (moto's S3 server on loopback)."""
    import boto3

    from tests.test_s3sync import _start_moto

    aws = {
        "AWS_ACCESS_KEY_ID": "testing-key",
        "AWS_SECRET_ACCESS_KEY": "testing-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    proc, url = _start_moto(aws)
    try:
        boto3.client(
            "s3", endpoint_url=url, region_name="us-east-1",
            aws_access_key_id="testing-key", aws_secret_access_key="testing-secret",
        ).create_bucket(Bucket="clips")  # fmt: skip
        samples = run(app, tmp_path, "library", "samples", str(tmp_path / "c"), "--seconds", "1")
        assert samples.returncode == 0, samples.stderr
        assert run(app, tmp_path, "library", "import", str(tmp_path / "c")).returncode == 0
        sync = ["--bucket", "clips", "--endpoint-url", url, "--json"]
        pushed = run(app, tmp_path, "library", "push", *sync, env_extra=aws)
        assert pushed.returncode == 0, pushed.stderr
        other = tmp_path / "elsewhere"
        other.mkdir()
        pulled = run(app, other, "library", "pull", *sync, env_extra=aws)
        assert pulled.returncode == 0, pulled.stderr
        listed = run(app, other, "library", "list", "--json")
        assert len(json.loads(listed.stdout)) == 12, listed.stdout[-2000:]
    finally:
        proc.terminate()
        proc.wait(10)
