"""A creator's own B-roll folder as it is: no sidecars, camera and stock names, topic
folders, titles embedded in the containers (the shared dev footage set, built with PyAV)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from livedirector_desktop.library.asset import read_sidecar, sidecar_path
from livedirector_desktop.library.importer import import_paths
from livedirector_desktop.library.library import Library
from livedirector_desktop.library.naming import folder_tags, meaningful, title_from_name
from livedirector_desktop.library.samples import write_clip
from tests.support import dev_footage, livedirector, make_footage_folder


@pytest.fixture(scope="module")
def built_footage(tmp_path_factory) -> Path:
    return make_footage_folder(tmp_path_factory.mktemp("footage") / "broll")


@pytest.fixture()
def footage_dir(tmp_path, built_footage) -> Path:
    """A copy per test: edits write sidecars beside the clips."""
    return Path(shutil.copytree(built_footage, tmp_path / "broll"))


@pytest.fixture()
def footage(tmp_path, footage_dir, embedder) -> tuple[Library, dict[str, str]]:
    """The folder imported into a fresh library, and each clip's id by its path in the set."""
    lib = Library.open(tmp_path / "lib", embedder)
    report = import_paths(lib, [footage_dir])
    assert report.ok and len(report.added) == len(dev_footage()["clips"])
    root = footage_dir.resolve()
    return lib, {str(Path(a.path).relative_to(root)): a.id for a in lib.assets()}


@pytest.mark.parametrize(
    ("stem", "title"),
    [
        ("BROLL_coffee_shop_interior_03", "Coffee shop interior"),
        ("snowy_mountain_ski_slope_4K", "Snowy mountain ski slope"),
        ("grill-steak-sizzle_v2", "Grill steak sizzle"),
        ("timelapse_busy_crosswalk_1080p", "Timelapse busy crosswalk"),
        ("Baking bread - kneading dough", "Baking bread - kneading dough"),
        ("coffeePour02", "Coffee pour"),
        ("mixkit-rain-on-a-window-1234", "Rain on a window"),
        ("Stock market crash", "Stock market crash"),
        ("3D printer", "3D printer"),
        # A person's numbers and words stay; editors' suffixes and device counters go.
        ("Apollo 11 launch", "Apollo 11 launch"),
        ("Route 66 at night", "Route 66 at night"),
        ("Final whistle", "Final whistle"),
        ("interview_final", "Interview"),
        ("Pexels sunrise", "Pexels sunrise"),
        ("iPhone unboxing", "iPhone unboxing"),
        ("Sunset over the harbour 0042", "Sunset over the harbour"),
        ("IMG_4032 copy", "IMG_4032 copy"),
        ("VID-20240517-WA0003", "VID-20240517-WA0003"),
        ("DJI_20240517143211_0042_D", "DJI_20240517143211_0042_D"),
        ("A001_C002_220101_R1AB", "A001_C002_220101_R1AB"),
        # Nothing but a device's counter or a stock site's author and number: the name stays
        # as the title, and the clip is marked as needing words.
        ("IMG_0915", "IMG_0915"),
        ("GX010042", "GX010042"),
        ("C0001", "C0001"),
        ("PXL_20240517_143211123", "PXL_20240517_143211123"),
        ("pexels-cottonbro-5453622", "pexels-cottonbro-5453622"),
        ("shutterstock_1048830203", "shutterstock_1048830203"),
    ],
)
def test_file_names_lose_camera_stock_and_technical_noise(stem, title):
    assert title_from_name(stem) == title


def test_storage_folders_are_not_topics():
    folders = ["01_Food", "Street food", "B-Roll", "DCIM", "100GOPRO", "101APPLE", "Camera"]
    assert folder_tags(folders) == ["food", "street food"]


@pytest.mark.parametrize(
    ("embedded", "kept"),
    [
        ("Apple orchard at dawn", True),
        ("Sony Center Berlin at night", True),
        ("Premiere of the play", True),
        ("Lavf62.12.102", False),
        ("GoPro AVC encoder", False),
        ("HandBrake 1.7.2", False),
        ("Core Media Video", False),
    ],
)
def test_embedded_titles_that_are_an_encoders_name_are_ignored(embedded, kept):
    assert bool(meaningful(embedded)) is kept


def test_import_reads_names_folders_and_embedded_fields(footage):
    lib, ids = footage
    drone = lib.get(ids["outdoors/DJI_0187.MP4"])
    assert drone.title == "Waterfall in a canyon, aerial"  # MP4 title atom
    assert drone.description == "drone shot over a river gorge"  # its comment
    assert drone.tags == ["outdoors"] and drone.category == "outdoors"
    contract = lib.get(ids["work/MVI_2231.MOV"])  # QuickTime, Apple's metadata keys
    assert contract.title == "Signing a contract"
    assert contract.tags == ["business deal", "handshake", "paperwork", "work"]
    cafe = lib.get(ids["city/BROLL_coffee_shop_interior_03.mp4"])
    assert (cafe.title, cafe.tags) == ("Coffee shop interior", ["city"])
    undescribed = {a.id for a in lib.needing_description()}
    assert undescribed == {ids["home/IMG_0915.MOV"], ids["shutterstock_1048830203.mov"]}
    assert not any(sidecar_path(Path(a.path)).exists() for a in lib.assets())  # read, not written


def test_a_clip_with_no_words_is_never_found_until_it_has_some(footage):
    lib, ids = footage
    phone = ids["home/IMG_0915.MOV"]
    everything = lib.search("a home", k=50)
    assert phone not in {h.asset.id for h in everything} and len(everything) == 19
    lib.edit_many([phone], add_tags=["toddler", "crayon drawing on a wall"])
    assert not lib.get(phone).needs_description
    assert lib.search("my toddler drew on the wall", k=1)[0].asset.id == phone


def test_creator_edits_and_sidecars_win_over_what_the_folder_says(footage, footage_dir):
    lib, ids = footage
    pasta = ids["cooking/pasta_boiling_pot_closeup.mp4"]
    lib.update_metadata(pasta, title="Spaghetti in boiling water")
    sidecar = sidecar_path(footage_dir / "cooking/pasta_boiling_pot_closeup.mp4")
    assert read_sidecar(sidecar)["title"] == "Spaghetti in boiling water"
    sidecar.unlink()  # even with its sidecar gone (a read-only folder), the edit stands
    again = import_paths(lib, [footage_dir])
    assert again.ok and pasta in again.unchanged
    assert lib.get(pasta).title == "Spaghetti in boiling water"


def test_a_sidecar_beats_the_embedded_title(tmp_path, embedder):
    clip = write_clip(
        {"id": "x"}, tmp_path / "travel" / "GX010042.MP4", width=160, height=96, seconds=0.5,
        fps=10, embedded={"title": "Snorkelling over a coral reef"},
    )  # fmt: skip
    lib = Library.open(tmp_path / "lib", embedder)
    import_paths(lib, [tmp_path / "travel"])
    assert lib.get("GX010042").title == "Snorkelling over a coral reef"
    sidecar_path(clip).write_text(json.dumps({"title": "Reef fish", "tags": ["sea"]}))
    import_paths(lib, [tmp_path / "travel"])
    got = lib.get("GX010042")
    assert (got.title, got.tags, got.description) == ("Reef fish", ["sea"], "")


def test_cli_lists_the_undescribed_and_edits_several_at_once(tmp_path, footage_dir):
    lib_dir = tmp_path / "lib"
    run = subprocess.run(
        livedirector("library", "import", str(footage_dir), "--library", str(lib_dir)),
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr

    def undescribed() -> list[str]:
        out = subprocess.run(
            livedirector("library", "list", "--undescribed", "--json", "--library", str(lib_dir)),
            capture_output=True, text=True, timeout=120, check=True,
        ).stdout  # fmt: skip
        return sorted(a["id"] for a in json.loads(out))

    waiting = undescribed()
    assert waiting == ["IMG_0915", "shutterstock_1048830203"]
    table = subprocess.run(
        livedirector("library", "list", "--undescribed", "--library", str(lib_dir)),
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    assert "need a description" in table and "--add-tags" in table
    edit = subprocess.run(
        livedirector(
            "library", "edit", *waiting, "--add-tags", "family, home life",
            "--library", str(lib_dir),
        ),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert edit.returncode == 0, edit.stderr
    edited = json.loads(edit.stdout)
    assert [a["tags"][-2:] for a in edited] == [["family", "home life"]] * 2
    assert undescribed() == []
    bad = subprocess.run(
        livedirector("library", "edit", "IMG_0915", "nope", "--add-tags", "x",
                     "--library", str(lib_dir)),
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert bad.returncode != 0 and "nope" in bad.stderr


def test_reimport_opens_no_unchanged_clip_and_rereads_a_changed_one(
    footage, footage_dir, monkeypatch
):
    import livedirector_desktop.library.importer as importer

    lib, ids = footage
    opened: list[Path] = []
    real = importer.read_embedded
    monkeypatch.setattr(importer, "read_embedded", lambda p: opened.append(p) or real(p))
    again = import_paths(lib, [footage_dir])
    assert again.ok and len(again.unchanged) == 21 and opened == []
    # The editor retitles the drone clip and exports it again: its new title is read.
    write_clip(
        {"id": "x"}, footage_dir / "outdoors" / "DJI_0187.MP4", width=160, height=96,
        seconds=0.5, fps=10, embedded={"title": "Gorge from above"},
    )  # fmt: skip
    third = import_paths(lib, [footage_dir])
    assert third.updated == [ids["outdoors/DJI_0187.MP4"]] and len(opened) == 1
    assert lib.get(ids["outdoors/DJI_0187.MP4"]).title == "Gorge from above"


def test_a_library_imported_before_embedded_fields_were_read_reads_them_now(footage, footage_dir):
    """Clips stored by the previous version carry no embedded fields at all ("", not "{}"):
    the next import opens them once, and the drone clip gets its title."""
    from dataclasses import replace

    lib, ids = footage
    drone = lib.get(ids["outdoors/DJI_0187.MP4"])
    lib.put([replace(drone, title="DJI_0187", description="", embedded_fields="")])
    again = import_paths(lib, [footage_dir])
    assert again.updated == [drone.id]
    assert lib.get(drone.id).title == "Waterfall in a canyon, aerial"


def test_saving_unchanged_text_is_not_an_edit_and_a_sidecar_wins_over_an_edit(footage, footage_dir):
    lib, ids = footage
    cafe = lib.get(ids["city/BROLL_coffee_shop_interior_03.mp4"])
    lib.update_metadata(cafe.id, title=cafe.title, tags=cafe.tags)  # the dialog, saved as is
    assert not lib.get(cafe.id).edited
    assert not sidecar_path(Path(cafe.path)).exists()
    lib.update_metadata(cafe.id, title="Espresso bar")
    assert lib.get(cafe.id).edited
    # Another machine's edit arrives as the sidecar (an S3 pull writes it): it wins.
    sidecar = sidecar_path(Path(cafe.path))
    sidecar.write_text(json.dumps({"title": "Latte art", "tags": ["coffee"]}))
    import_paths(lib, [footage_dir])
    assert (lib.get(cafe.id).title, lib.get(cafe.id).tags) == ("Latte art", ["coffee"])


def test_folder_tags_saved_in_a_sidecar_do_not_describe_a_clip(tmp_path, footage_dir, embedder):
    """A category-only edit of IMG_0915 writes its sidecar with the folder tag "home" in
    it; imported afresh, the clip still needs a description."""
    lib = Library.open(tmp_path / "lib", embedder)
    import_paths(lib, [footage_dir])
    lib.update_metadata("IMG_0915", category="family")
    assert read_sidecar(sidecar_path(footage_dir / "home" / "IMG_0915.MOV"))["tags"] == ["home"]
    fresh = Library.open(tmp_path / "fresh", embedder)
    import_paths(fresh, [footage_dir])
    assert fresh.get("IMG_0915").needs_description
    assert fresh.get("IMG_0915").category == "family"
