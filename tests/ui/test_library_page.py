"""The Library page on a creator's own folder: the clips that need words are marked and
shown alone, and several are given words at once (a real window under Xvfb)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from livedirector_desktop.library.importer import import_paths
from livedirector_desktop.library.library import Library
from livedirector_desktop.ui.background import Background
from livedirector_desktop.ui.library_page import NEEDS_WORDS, LibraryPage
from tests.support import make_footage_folder


@pytest.fixture()
def page(qtbot, tmp_path, embedder):
    lib = Library.open(tmp_path / "lib", embedder)
    assert import_paths(lib, [make_footage_folder(tmp_path / "broll", seconds=0.5)]).ok
    background = Background()
    widget = LibraryPage(lib, background)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitUntil(lambda: widget.grid.count() == 21, timeout=20_000)
    yield widget
    background.shutdown()


def texts(page: LibraryPage) -> dict[str, str]:
    grid = page.grid
    return {
        grid.item(i).data(Qt.ItemDataRole.UserRole): grid.item(i).text()
        for i in range(grid.count())
    }


def test_clips_without_words_are_badged_filtered_and_edited_together(qtbot, page):
    shown = texts(page)
    badged = sorted(i for i, t in shown.items() if NEEDS_WORDS in t)
    assert badged == ["IMG_0915", "shutterstock_1048830203"]
    assert "2 need a description" in page.status.text()
    assert page.undescribed_button.text() == "Needs a description (2)"

    qtbot.mouseClick(page.undescribed_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.grid.count() == 2)
    assert sorted(texts(page)) == badged

    page.grid.selectAll()
    assert sorted(page.selected_ids()) == badged
    page.apply_bulk_edit(
        page.selected_ids(),
        {"add_tags": ["family", "kitchen"], "description": None, "category": None},
    )
    qtbot.waitUntil(lambda: page.undescribed_button.text() == "Needs a description (0)")
    for asset_id in badged:
        got = page.library.get(asset_id)
        assert not got.needs_description and got.tags[-2:] == ["family", "kitchen"]
    # The filter is left on and empty; switching it off shows all, none badged.
    qtbot.mouseClick(page.undescribed_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.grid.count() == 21)
    assert not any(NEEDS_WORDS in t for t in texts(page).values())


def test_bulk_edit_dialog_leaves_empty_fields_to_each_clip(qtbot, page):
    from livedirector_desktop.ui.library_page import BulkEditDialog

    dialog = BulkEditDialog(page.assets[:3], page)
    qtbot.addWidget(dialog)
    assert dialog.values() == {"add_tags": None, "description": None, "category": None}
    dialog.add_tags.setText(" beach,  summer ,")
    dialog.description.setPlainText("Family holiday by the sea\n")
    assert dialog.values() == {
        "add_tags": ["beach", "summer"],
        "description": "Family holiday by the sea",
        "category": None,
    }
