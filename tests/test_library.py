"""Importing real clips (made with PyAV) into a real embedded Chroma library."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from livedirector_desktop.library.importer import import_paths
from livedirector_desktop.library.library import Library
from livedirector_desktop.library.samples import write_clip


@pytest.fixture()
def library(tmp_path, embedder) -> Library:
    return Library.open(tmp_path / "lib", embedder)


def test_import_probes_thumbnails_and_indexes(library, small_clips):
    report = import_paths(library, [small_clips])
    assert report.ok and sorted(report.added) == ["coffee", "rocket", "waves"]
    rocket = library.get("rocket")
    assert rocket.title == "Rocket launch" and rocket.tags == ["space", "launch"]
    assert (rocket.width, rocket.height, rocket.fps) == (160, 96, 15.0)
    assert 900 <= rocket.duration_ms <= 1100
    assert not rocket.has_audio and len(rocket.sha256) == 64
    thumb = Path(rocket.thumbnail)
    assert thumb.read_bytes()[:2] == b"\xff\xd8"  # a JPEG
    import cv2

    assert cv2.imread(str(thumb)).shape[1] == 320
    assert library.search("espresso in the morning", 3)[0].asset.id == "coffee"


def test_reimport_is_a_noop_and_changes_are_reindexed(library, small_clips):
    import_paths(library, [small_clips])
    again = import_paths(library, [small_clips])
    assert sorted(again.unchanged) == ["coffee", "rocket", "waves"] and not again.added

    # Same content, new text in the sidecar: updated without re-probing.
    sidecar = small_clips / "waves.json"
    data = json.loads(sidecar.read_text())
    data["title"] = "Surfers at dawn"
    sidecar.write_text(json.dumps(data))
    # A changed file: new content under the same name.
    write_clip(
        {"id": "rocket", "title": "x"},
        small_clips / "rocket.mp4",
        width=192,
        height=108,
        seconds=2.0,
        fps=15,
    )
    report = import_paths(library, [small_clips])
    assert sorted(report.updated) == ["rocket", "waves"] and report.unchanged == ["coffee"]
    assert library.get("waves").title == "Surfers at dawn"
    assert library.get("rocket").width == 192
    assert library.search("surfing at sunrise", 1)[0].asset.id == "waves"
    assert library.count() == 3


def test_clip_without_sidecar_takes_its_name(library, tmp_path):
    clip = write_clip(
        {"id": "x", "title": "x"},
        tmp_path / "My Holiday_Video.mp4",
        width=160,
        height=96,
        seconds=1.0,
        fps=15,
    )
    report = import_paths(library, [clip])
    assert report.added == ["My-Holiday_Video"]
    assert library.get("My-Holiday_Video").title == "My Holiday Video"


def test_bad_files_are_named_and_skipped_and_nothing_is_lost(library, small_clips, tmp_path):
    import_paths(library, [small_clips])
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "notes.txt").write_text("not a clip")
    (bad / "corrupt.mp4").write_bytes(os.urandom(4096))
    shutil.copy(small_clips / "coffee.mp4", bad / "truncated.mp4")
    with open(bad / "truncated.mp4", "r+b") as fh:
        fh.truncate(600)
    good = write_clip(
        {"id": "good", "title": "Good"}, bad / "good.mp4", width=160, height=96, seconds=1.0, fps=15
    )
    broken_sidecar_clip = write_clip(
        {"id": "b", "title": "B"}, bad / "broken.mp4", width=160, height=96, seconds=1.0, fps=15
    )
    broken_sidecar_clip.with_suffix(".json").write_text("{not json")
    wrong_types = write_clip(
        {"id": "w", "title": "W"}, bad / "wrongtags.mp4", width=160, height=96, seconds=1.0, fps=15
    )
    wrong_types.with_suffix(".json").write_text(json.dumps({"tags": "ok", "title": 5}))
    stray = tmp_path / "readme.pdf"
    stray.write_text("x")
    report = import_paths(library, [bad, stray, tmp_path / "missing-folder"])
    failed = {Path(p).name: msg for p, msg in report.failed}
    assert set(failed) == {
        "corrupt.mp4",
        "truncated.mp4",
        "broken.mp4",
        "wrongtags.mp4",
        "readme.pdf",
        "missing-folder",
    }
    assert "cannot be read" in failed["broken.mp4"] and "broken.json" in failed["broken.mp4"]
    assert "'title' must be a string" in failed["wrongtags.mp4"]
    assert "not a video file" in failed["readme.pdf"]
    assert report.added == ["good"] and good.exists()
    assert [Path(p).name for p in report.ignored] == ["notes.txt"]
    assert library.count() == 4  # the three from before are all still there


def test_unreadable_subfolder_is_reported_even_as_root(library, small_clips, monkeypatch):
    """os.walk's error path, driven by a real failing listdir (root can read anything)."""
    real_scandir = os.scandir
    locked = small_clips / "locked"
    locked.mkdir()

    def scandir(path="."):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    report = import_paths(library, [small_clips])
    assert [(Path(p).name, m) for p, m in report.failed] == [
        ("locked", "folder cannot be read: Permission denied")
    ]
    assert len(report.added) == 3


def test_interrupted_import_keeps_the_library_consistent(library, dev_clips, embedder):
    def stop_midway(done, total, path):
        if done == 20:
            raise KeyboardInterrupt

    report = import_paths(library, [dev_clips], stop_midway)
    assert report.interrupted
    stored = library.assets()
    # Only whole clips: each stored clip has its thumbnail and its vector.
    assert 0 < len(stored) <= 20
    for asset in stored:
        assert Path(asset.thumbnail).is_file()
    assert library.vectors([a.id for a in stored]).shape == (len(stored), 384)
    # A fresh process sees the same library, and a second run completes it.
    reopened = Library.open(library.root, embedder)
    assert reopened.count() == len(stored)
    report = import_paths(reopened, [dev_clips])
    assert report.ok and reopened.count() == 40
    assert len(report.unchanged) == len(stored)


def test_duplicate_ids_are_reported(library, small_clips, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    clip = write_clip(
        {"id": "c", "title": "C"}, other / "clip.mp4", width=160, height=96, seconds=1.0, fps=15
    )
    clip.with_suffix(".json").write_text(json.dumps({"id": "rocket", "title": "Not a rocket"}))
    report = import_paths(library, [small_clips, other])
    assert [Path(p).name for p, _ in report.failed] == ["clip.mp4"]
    assert "already used" in report.failed[0][1]
    assert library.get("rocket").title == "Rocket launch"


def test_edit_metadata_reindexes(library, small_clips):
    import_paths(library, [small_clips])
    assert library.search("volcano eruption lava", 1)[0].asset.id != "waves"
    library.update_metadata("waves", title="Volcano erupting", tags=["volcano", "lava"])
    assert library.search("volcano eruption lava", 1)[0].asset.id == "waves"


def _cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "livedirector_desktop", *args],
        capture_output=True,
        text=True,
        check=check,
    )


def test_cli_import_list_search(tmp_path, small_clips):
    lib = str(tmp_path / "cli-lib")
    out = _cli("library", "import", str(small_clips), "--library", lib, "--json")
    assert sorted(json.loads(out.stdout)["added"]) == ["coffee", "rocket", "waves"]
    listed = json.loads(_cli("library", "list", "--library", lib, "--json").stdout)
    assert [a["id"] for a in listed] == ["coffee", "rocket", "waves"]
    hits = json.loads(_cli("library", "search", "space launch", "--library", lib, "--json").stdout)
    assert hits[0]["asset_id"] == "rocket" and 0 < hits[0]["score"] <= 1
    (small_clips / "junk.mp4").write_bytes(b"\x00" * 100)
    bad = _cli("library", "import", str(small_clips), "--library", lib, check=False)
    assert bad.returncode == 1 and "junk.mp4" in bad.stdout and "Traceback" not in bad.stderr


def test_one_search_for_several_vectors_equals_separate_searches(dev_library):
    vecs = dev_library.embed_queries(["a rocket launch", "espresso in a cafe"])
    together = dev_library.store.query_many(vecs, 4)
    apart = [dev_library.store.query(v, 4) for v in vecs]
    assert [[h.asset.id for h in hits] for hits in together] == [
        [h.asset.id for h in hits] for hits in apart
    ]
    assert together[0][0].score == pytest.approx(apart[0][0].score)
    assert together[0][0].asset.id != together[1][0].asset.id
