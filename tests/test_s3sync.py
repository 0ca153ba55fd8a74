"""S3 sync against a real S3 API on loopback: moto's server, started by the tests."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import numpy as np
import pytest

from livedirector_desktop.cloud.s3sync import S3Sync
from livedirector_desktop.core.errors import LiveDirectorError
from livedirector_desktop.library.importer import import_paths
from livedirector_desktop.library.library import Library
from livedirector_desktop.library.samples import write_clip

pytestmark = pytest.mark.server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_moto(env_extra: dict | None = None):
    port = _free_port()
    env = {**os.environ, **(env_extra or {})}
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    pytest.fail("moto_server did not start")


@pytest.fixture(scope="module")
def moto_url():
    proc, url = _start_moto()
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture(autouse=True)
def aws_env(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret-do-not-print")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)


def s3(url: str):
    return boto3.client("s3", endpoint_url=url, region_name="us-east-1")


@pytest.fixture()
def bucket(moto_url, request):
    name = f"b{abs(hash(request.node.name)) % 10**8}"
    s3(moto_url).create_bucket(Bucket=name)
    return name


def library(tmp_path: Path, name: str, embedder) -> Library:
    return Library.open(tmp_path / name, embedder)


def test_push_then_pull_into_an_empty_library(moto_url, bucket, small_clips, tmp_path, embedder):
    a = library(tmp_path, "a", embedder)
    import_paths(a, [small_clips])
    report = S3Sync(a, bucket, "team", moto_url).push()
    assert sorted(report.uploaded) == ["coffee", "rocket", "waves"]
    keys = {o["Key"] for o in s3(moto_url).list_objects_v2(Bucket=bucket)["Contents"]}
    assert {
        "team/manifest.json",
        "team/clips/rocket.mp4",
        "team/sidecars/rocket.json",
        "team/thumbnails/rocket.jpg",
    } <= keys
    assert S3Sync(a, bucket, "team", moto_url).push().unchanged == ["coffee", "rocket", "waves"]

    b = library(tmp_path, "b", embedder)
    report = S3Sync(b, bucket, "team", moto_url).pull(tmp_path / "b-clips")
    assert sorted(report.downloaded) == ["coffee", "rocket", "waves"] and not report.failed
    assert {x.id: x.sha256 for x in b.assets()} == {x.id: x.sha256 for x in a.assets()}
    assert b.get("rocket").title == "Rocket launch" and Path(b.get("rocket").thumbnail).is_file()
    assert b.search("a rocket lifting off", 1)[0].asset.id == "rocket"
    assert not list((tmp_path / "b-clips").glob(".*"))


def test_changed_deleted_and_conflicting_clips(moto_url, bucket, small_clips, tmp_path, embedder):
    a = library(tmp_path, "a", embedder)
    import_paths(a, [small_clips])
    S3Sync(a, bucket, "", moto_url).push()
    b = library(tmp_path, "b", embedder)
    S3Sync(b, bucket, "", moto_url).pull(tmp_path / "b-clips")

    # A changes a clip and deletes another, and renames a third (metadata only).
    write_clip(
        {"id": "rocket", "title": "x"},
        small_clips / "rocket.mp4",
        width=192,
        height=108,
        seconds=1.0,
        fps=15,
    )
    import_paths(a, [small_clips])
    a.remove(["waves"])
    a.update_metadata("coffee", title="Espresso shot")
    pushed = S3Sync(a, bucket, "", moto_url).push()
    assert pushed.uploaded == ["rocket"] and pushed.deleted == ["waves"]
    assert pushed.updated_metadata == ["coffee"]

    pulled = S3Sync(b, bucket, "", moto_url).pull(tmp_path / "b-clips")
    assert pulled.downloaded == ["rocket"] and pulled.deleted == ["waves"]
    assert pulled.updated_metadata == ["coffee"]
    assert b.get("rocket").sha256 == a.get("rocket").sha256 and b.get("rocket").width == 192
    assert b.get("waves") is None and b.get("coffee").title == "Espresso shot"

    # Both sides change the same clip: reported, nothing overwritten.
    write_clip(
        {"id": "rocket", "title": "A"},
        small_clips / "rocket.mp4",
        width=160,
        height=96,
        seconds=2.0,
        fps=15,
    )
    import_paths(a, [small_clips])
    S3Sync(a, bucket, "", moto_url).push()
    b_clip = Path(b.get("rocket").path)
    write_clip({"id": "rocket", "title": "B"}, b_clip, width=160, height=96, seconds=1.5, fps=15)
    import_paths(b, [b_clip])
    before = b.get("rocket").sha256
    pulled = S3Sync(b, bucket, "", moto_url).pull(tmp_path / "b-clips")
    assert [c[0] for c in pulled.conflicts] == ["rocket"]
    assert "both sides" in pulled.conflicts[0][1]
    assert b.get("rocket").sha256 == before
    pushed = S3Sync(b, bucket, "", moto_url).push()
    assert [c[0] for c in pushed.conflicts] == ["rocket"]  # and B cannot overwrite A's either


@pytest.fixture()
def big_clip(tmp_path) -> Path:
    """About 12 MB of noise video: more than one 8 MB multipart part."""
    import av

    path = tmp_path / "big" / "noise.mp4"
    path.parent.mkdir()
    rng = np.random.default_rng(1)
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=30, options={"preset": "ultrafast", "qp": "0"})
        s.width, s.height, s.pix_fmt = 320, 240, "yuv420p"
        for i in range(90):
            frame = av.VideoFrame.from_ndarray(
                rng.integers(0, 255, (240, 320, 3), np.uint8), format="bgr24"
            )
            frame.pts = i
            out.mux(s.encode(frame))
        out.mux(s.encode(None))
    assert path.stat().st_size > 9 * 1024 * 1024, path.stat().st_size
    return path


def test_interrupted_transfers_leave_things_clean(moto_url, bucket, big_clip, tmp_path, embedder):
    a = library(tmp_path, "a", embedder)
    import_paths(a, [big_clip])
    sync = S3Sync(a, bucket, "", moto_url)
    moved = [0]

    def cut(n: int) -> None:
        moved[0] += n
        if moved[0] > 4 * 1024 * 1024:
            raise ConnectionError("network went away")

    sync.transfer_callback = cut
    with pytest.raises((ConnectionError, LiveDirectorError)):
        sync.push()
    client = s3(moto_url)
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert "Contents" not in client.list_objects_v2(Bucket=bucket, Prefix="manifest.json")
    sync.transfer_callback = None
    assert sync.push().uploaded == ["noise"]  # a rerun finishes the job
    head = client.head_object(Bucket=bucket, Key="clips/noise.mp4")
    assert head["ContentLength"] == big_clip.stat().st_size and "-" in head["ETag"]  # multipart

    b = library(tmp_path, "b", embedder)
    pull = S3Sync(b, bucket, "", moto_url)
    moved[0] = 0
    pull.transfer_callback = cut
    report = pull.pull(tmp_path / "b-clips")
    assert report.failed and report.failed[0][0] == "noise" and not report.downloaded
    assert list((tmp_path / "b-clips").iterdir()) == []  # no half-written clip, no temp file
    pull.transfer_callback = None
    assert pull.pull(tmp_path / "b-clips").downloaded == ["noise"]
    assert b.get("noise").sha256 == a.get("noise").sha256


def test_missing_bucket_and_wrong_credentials_are_clear(moto_url, small_clips, tmp_path, embedder):
    a = library(tmp_path, "a", embedder)
    import_paths(a, [small_clips])
    with pytest.raises(LiveDirectorError, match="bucket does not exist"):
        S3Sync(a, "no-such-bucket", "", moto_url).push()

    # A server that checks credentials: moto with IAM auth on after three set-up calls.
    proc, url = _start_moto({"INITIAL_NO_AUTH_ACTION_COUNT": "3"})
    try:
        iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1")
        iam.create_user(UserName="creator")
        key = iam.create_access_key(UserName="creator")["AccessKey"]
        iam.put_user_policy(
            UserName="creator",
            PolicyName="s3",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
                }
            ),
        )
        good = boto3.client(
            "s3",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
        )
        good.create_bucket(Bucket="team")
        assert S3Sync(a, "team", "", url, client=good).push().uploaded  # valid keys work
        os.environ["AWS_ACCESS_KEY_ID"] = "AKIAWRONGWRONGWRONG1"
        os.environ["AWS_SECRET_ACCESS_KEY"] = "wrong-secret-never-shown"
        with pytest.raises(LiveDirectorError) as err:
            S3Sync(a, "team", "", url).push()
        text = str(err.value)
        assert "refused the credentials" in text
        assert "wrong-secret-never-shown" not in text and "AKIAWRONG" not in text
    finally:
        proc.terminate()
        proc.wait(10)


def test_cli_push_and_pull(moto_url, bucket, small_clips, tmp_path):
    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "livedirector_desktop", "library", *args],
            capture_output=True,
            text=True,
        )

    lib_a, lib_b = str(tmp_path / "a"), str(tmp_path / "b")
    assert cli("import", str(small_clips), "--library", lib_a).returncode == 0
    out = cli("push", "--bucket", bucket, "--endpoint-url", moto_url, "--library", lib_a, "--json")
    assert out.returncode == 0, out.stderr
    assert len(json.loads(out.stdout)["uploaded"]) == 3
    out = cli("pull", "--bucket", bucket, "--endpoint-url", moto_url, "--library", lib_b)
    assert out.returncode == 0 and "downloaded: 3" in out.stdout, out.stderr
    out = cli("push", "--bucket", "nope", "--endpoint-url", moto_url, "--library", lib_a)
    assert out.returncode == 2 and "bucket does not exist" in out.stderr
    assert "Traceback" not in out.stderr and "testing-secret" not in out.stderr


def _manifest(moto_url: str, bucket: str, prefix: str) -> dict:
    body = s3(moto_url).get_object(Bucket=bucket, Key=f"{prefix}/manifest.json")["Body"].read()
    return json.loads(body)


def _put_manifest(moto_url: str, bucket: str, prefix: str, manifest) -> None:
    s3(moto_url).put_object(
        Bucket=bucket, Key=f"{prefix}/manifest.json", Body=json.dumps(manifest).encode()
    )


def test_pull_never_overwrites_the_users_files_and_keys_become_safe_names(
    moto_url, bucket, small_clips, tmp_path, embedder
):
    a = library(tmp_path, "a", embedder)
    import_paths(a, [small_clips])
    S3Sync(a, bucket, "p", moto_url).push()
    manifest = _manifest(moto_url, bucket, "p")
    entries = manifest["assets"]
    entries["waves copy"] = dict(entries["waves"])  # same clip_key base name as "waves"
    entries[".."] = dict(entries["rocket"])  # a hostile key
    entries["../../evil"] = dict(entries["coffee"])
    _put_manifest(moto_url, bucket, "p", manifest)

    into = tmp_path / "mine"
    into.mkdir()
    (into / "rocket.mp4").write_bytes(b"my own rocket video")
    (into / "coffee.json").write_text('{"title": "my own notes"}')
    b = library(tmp_path, "b", embedder)
    report = S3Sync(b, bucket, "p", moto_url).pull(into)
    assert not report.failed, report.failed
    assert len(report.downloaded) == 6 and b.count() == 6
    assert (into / "rocket.mp4").read_bytes() == b"my own rocket video"
    assert json.loads((into / "coffee.json").read_text()) == {"title": "my own notes"}
    assert dict(report.renamed) == {
        "rocket": "saved as rocket-2.mp4: rocket.mp4 already exists",
        "coffee": "saved as coffee-2.mp4: coffee.mp4 already exists",
    }
    ids = {x.id for x in b.assets()}
    assert {"rocket", "coffee", "waves"} <= ids and "waves copy" not in ids
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", i) for i in ids)
    # Every clip landed inside the folder, each in a file of its own.
    paths = [Path(x.path) for x in b.assets()]
    assert len(set(paths)) == 6 and all(p.parent == into.resolve() for p in paths)
    assert not (tmp_path / "evil.mp4").exists() and not list(tmp_path.glob("*.mp4"))


@pytest.mark.parametrize(
    ("manifest", "says"),
    [
        ([], "holds a JSON list, not an object"),
        ({"assets": []}, "'assets' must be an object"),
        ("just text", "holds a JSON str"),
    ],
)
def test_wrong_shape_manifests_are_clear_errors(moto_url, bucket, tmp_path, manifest, says):
    _put_manifest(moto_url, bucket, "p", manifest)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "livedirector_desktop",
            "library",
            "pull",
            "--bucket",
            bucket,
            "--prefix",
            "p",
            "--endpoint-url",
            moto_url,
            "--library",
            str(tmp_path / "lib"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and says in out.stderr, out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_malformed_manifest_entries_are_reported_and_skipped(
    moto_url, bucket, small_clips, tmp_path, embedder
):
    a = library(tmp_path, "a", embedder)
    import_paths(a, [small_clips])
    S3Sync(a, bucket, "p", moto_url).push()
    manifest = _manifest(moto_url, bucket, "p")
    manifest["assets"].update(
        {
            "nulled": None,
            "no-hash": {"sha256": None, "clip_key": "p/clips/x.mp4"},
            "no-key": {"sha256": "0" * 64},
            "bad-meta": {**manifest["assets"]["waves"], "metadata": ["x"]},
        }
    )
    _put_manifest(moto_url, bucket, "p", manifest)
    b = library(tmp_path, "b", embedder)
    report = S3Sync(b, bucket, "p", moto_url).pull(tmp_path / "b-clips")
    assert sorted(report.downloaded) == ["coffee", "rocket", "waves"]
    assert sorted(i for i, _ in report.failed) == ["bad-meta", "no-hash", "no-key", "nulled"]
    # A push from a library that has the clips writes good entries over the bad ones.
    assert S3Sync(a, bucket, "p", moto_url).push().unchanged == ["coffee", "rocket", "waves"]
