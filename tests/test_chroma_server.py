"""The same library code against a real `chroma run` server on loopback."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    port = _free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    chroma = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen(
        [str(chroma), "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail("chroma run exited before it was ready")
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("chroma run did not answer within 60 s")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_import_and_search_through_a_server(chroma_server, small_clips, tmp_path):
    def cli(*args):
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "livedirector_desktop",
                *args,
                "--library",
                str(tmp_path / "lib"),
                "--chroma-url",
                chroma_server,
            ],
            capture_output=True,
            text=True,
            check=True,
        )

    added = json.loads(cli("library", "import", str(small_clips), "--json").stdout)["added"]
    assert sorted(added) == ["coffee", "rocket", "waves"]
    hits = json.loads(cli("library", "search", "a cup of espresso", "--json").stdout)
    assert hits[0]["asset_id"] == "coffee"
    # A second client (another team member's machine) sees the same index.
    listed = json.loads(cli("library", "list", "--json").stdout)
    assert [a["id"] for a in listed] == ["coffee", "rocket", "waves"]
    assert not (tmp_path / "lib" / "chroma").exists()  # nothing was stored locally


def test_unreachable_server_is_a_clear_error(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "livedirector_desktop",
            "library",
            "list",
            "--chroma-url",
            f"http://127.0.0.1:{_free_port()}",
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "cannot open the Chroma library" in out.stderr and "chroma run" in out.stderr
