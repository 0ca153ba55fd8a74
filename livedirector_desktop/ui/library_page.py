"""The library page: clip grid with thumbnails, search, import with progress, edit."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from livedirector_desktop.library.asset import Asset
from livedirector_desktop.library.library import Library
from livedirector_desktop.ui.background import Background


def thumbnail_icon(asset: Asset, cache: dict[str, QIcon]) -> QIcon:
    key = f"{asset.id}:{asset.sha256}"
    if key not in cache:
        pixmap = QPixmap(asset.thumbnail) if asset.thumbnail else QPixmap()
        cache[key] = QIcon(pixmap) if not pixmap.isNull() else QIcon()
    return cache[key]


def save_cancel(dialog: QDialog) -> QDialogButtonBox:
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


class EditDialog(QDialog):
    def __init__(self, asset: Asset, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Edit {asset.id}")
        form = QFormLayout(self)
        self.title = QLineEdit(asset.title)
        self.description = QLineEdit(asset.description)
        self.tags = QLineEdit(", ".join(asset.tags))
        self.category = QLineEdit(asset.category)
        for label, field in (
            ("Title", self.title),
            ("Description", self.description),
            ("Tags (comma separated)", self.tags),
            ("Category", self.category),
        ):
            form.addRow(label, field)
        form.addRow(save_cancel(self))

    def values(self) -> dict:
        return {
            "title": self.title.text().strip(),
            "description": self.description.text().strip(),
            "tags": [t.strip() for t in self.tags.text().split(",") if t.strip()],
            "category": self.category.text().strip(),
        }


class BulkEditDialog(QDialog):
    """One edit for several clips: tags added to each one's own, a description and a
    category set on all (left empty: each keeps its own)."""

    def __init__(self, assets: list[Asset], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Edit {len(assets)} clips")
        form = QFormLayout(self)
        names = ", ".join(a.title for a in assets[:6]) + (" …" if len(assets) > 6 else "")
        form.addRow(QLabel(names))
        self.add_tags = QLineEdit(placeholderText="e.g. kitchen, cooking")
        self.description = QTextEdit()
        self.description.setPlaceholderText("What the clips show (empty: each keeps its own)")
        self.description.setFixedHeight(70)
        self.category = QLineEdit(placeholderText="empty: each keeps its own")
        form.addRow("Add tags (comma separated)", self.add_tags)
        form.addRow("Description", self.description)
        form.addRow("Category", self.category)
        form.addRow(save_cancel(self))

    def values(self) -> dict:
        tags = [t.strip() for t in self.add_tags.text().split(",") if t.strip()]
        description = self.description.toPlainText().strip()
        return {
            "add_tags": tags or None,
            "description": description or None,
            "category": self.category.text().strip() or None,
        }


NEEDS_WORDS = "needs a description"
NEEDS_WORDS_BRUSH = QColor(255, 196, 0, 70)


class LibraryPage(QWidget):
    changed = Signal()
    import_progress = Signal(int, int, str)

    def __init__(
        self, library: Library, background: Background, parent=None, settings=None
    ) -> None:
        super().__init__(parent)
        self.library, self.background, self.settings = library, background, settings
        self.icons: dict[str, QIcon] = {}
        self.assets: list[Asset] = []
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.search = QLineEdit(placeholderText="Search clips by meaning…")
        self.search.returnPressed.connect(self.run_search)
        self.search.textChanged.connect(lambda t: None if t else self.refresh())
        self.import_button = QPushButton("Import folder…")
        self.import_button.clicked.connect(self.choose_import)
        self.sync_button = QPushButton("Sync with S3…")
        self.sync_button.clicked.connect(self.sync)
        self.edit_button = QPushButton("Edit…")
        self.edit_button.setToolTip("Edit the selected clip, or several at once (Ctrl+E)")
        self.edit_button.clicked.connect(self.edit_selected)
        # Clips no search can find (IMG_4032.MOV): shown alone, to give them words.
        self.undescribed_button = QPushButton("Needs a description")
        self.undescribed_button.setCheckable(True)
        self.undescribed_button.setToolTip(
            "Clips whose name, folder and metadata say nothing the director can find them by"
        )
        self.undescribed_button.toggled.connect(self._on_filter)
        top.addWidget(self.search, 1)
        top.addWidget(self.undescribed_button)
        top.addWidget(self.edit_button)
        top.addWidget(self.sync_button)
        top.addWidget(self.import_button)
        layout.addLayout(top)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        layout.addWidget(self.progress)
        self.grid = QListWidget()
        self.grid.setViewMode(QListWidget.ViewMode.IconMode)
        self.grid.setIconSize(QSize(192, 108))
        self.grid.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.grid.setSpacing(8)
        self.grid.setWordWrap(True)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.grid.itemDoubleClicked.connect(lambda _i: self.edit_selected())
        QShortcut(QKeySequence("Ctrl+E"), self, activated=self.edit_selected)
        layout.addWidget(self.grid, 1)
        self.status = QLabel()
        layout.addWidget(self.status)
        self.import_progress.connect(self._on_import_progress)
        self.refresh()

    def _on_filter(self, _on: bool) -> None:
        if self.search.text():
            self.search.blockSignals(True)  # its clearing would refresh once more
            self.search.clear()
            self.search.blockSignals(False)
        self._show_assets(self.assets, None)

    def refresh(self) -> None:
        self.background.run(self.library.assets, self._show_assets)

    def _show_assets(self, assets, error) -> None:
        if error:
            self.status.setText(f"Could not read the library: {error}")
            return
        self.assets = assets
        waiting = [a for a in assets if a.needs_description]
        self.undescribed_button.setText(f"Needs a description ({len(waiting)})")
        self.undescribed_button.setEnabled(bool(waiting) or self.undescribed_button.isChecked())
        if self.undescribed_button.isChecked():
            self._fill([(a, None) for a in waiting])
            self.status.setText(
                f"{len(waiting)} clips the director cannot find until they have words: "
                "select them and Edit (Ctrl+E) to add tags or a description to all at once"
            )
            return
        self._fill([(a, None) for a in assets])
        note = f", {len(waiting)} need a description" if waiting else ""
        self.status.setText(f"{len(assets)} clips in {self.library.root}{note}")

    def _fill(self, rows: list[tuple[Asset, float | None]]) -> None:
        self.grid.clear()
        for asset, score in rows:
            text = asset.title if score is None else f"{asset.title}\n{score:.2f}"
            if asset.needs_description:
                text += f"\n⚠ {NEEDS_WORDS}"
            item = QListWidgetItem(thumbnail_icon(asset, self.icons), text)
            item.setData(Qt.ItemDataRole.UserRole, asset.id)
            tip = (
                f"{asset.id}\n{asset.description}\nTags: {', '.join(asset.tags)}\n"
                f"{asset.duration_ms / 1000:.1f} s, {asset.width}x{asset.height}"
            )
            if asset.needs_description:
                item.setBackground(QBrush(NEEDS_WORDS_BRUSH))
                tip += "\nNo words say what it shows: the director will not show it yet."
            item.setToolTip(tip)
            self.grid.addItem(item)

    def run_search(self) -> None:
        query = self.search.text().strip()
        if not query:
            self.refresh()
            return
        self.undescribed_button.blockSignals(True)  # search never finds those clips
        self.undescribed_button.setChecked(False)
        self.undescribed_button.blockSignals(False)

        def done(hits, error) -> None:
            if error:
                self.status.setText(f"Search failed: {error}")
                return
            self._fill([(h.asset, h.score) for h in hits])
            self.status.setText(f"{len(hits)} clips match {query!r}")

        self.background.run(lambda: self.library.search(query, 50), done)

    def choose_import(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a folder of clips")
        if folder:
            self.start_import([Path(folder)])

    def start_import(self, paths: list[Path]) -> None:
        from livedirector_desktop.library.importer import import_paths

        self.import_button.setEnabled(False)
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)

        def progress(done: int, total: int, path) -> None:
            self.import_progress.emit(done, total, path.name if path else "")

        def done(report, error) -> None:
            self.import_button.setEnabled(True)
            self.progress.setVisible(False)
            if error:
                QMessageBox.warning(self, "Import failed", str(error))
                return
            failed = "\n".join(f"{Path(p).name}: {m}" for p, m in report.failed[:10])
            self.status.setText(
                f"Imported: {len(report.added)} new, {len(report.updated)} updated, "
                f"{len(report.unchanged)} unchanged, {len(report.failed)} skipped"
            )
            if failed:
                QMessageBox.information(self, "Some files were skipped", failed)
            self.refresh()
            self.changed.emit()

        self.background.run(lambda: import_paths(self.library, paths, progress), done)

    def _on_import_progress(self, done: int, total: int, name: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"%v / %m  {name}")

    def selected_id(self) -> str | None:
        item = self.grid.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def selected_ids(self) -> list[str]:
        return [i.data(Qt.ItemDataRole.UserRole) for i in self.grid.selectedItems()]

    def edit_selected(self) -> None:
        ids = self.selected_ids()
        if len(ids) > 1:
            self.edit_several(ids)
            return
        asset_id = ids[0] if ids else self.selected_id()
        asset = next((a for a in self.assets if a.id == asset_id), None) or (
            self.library.get(asset_id) if asset_id else None
        )
        if asset is None:
            return
        dialog = EditDialog(asset, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        values = dialog.values()

        def done(_updated, error) -> None:
            if error:
                QMessageBox.warning(self, "Could not save", str(error))
            self.refresh()
            self.changed.emit()

        self.background.run(lambda: self.library.update_metadata(asset.id, **values), done)

    def edit_several(self, ids: list[str]) -> None:
        by_id = {a.id: a for a in self.assets}
        assets = [by_id[i] for i in ids if i in by_id]
        dialog = BulkEditDialog(assets, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.apply_bulk_edit([a.id for a in assets], dialog.values())

    def apply_bulk_edit(self, ids: list[str], values: dict) -> None:
        if not any(v is not None for v in values.values()):
            return

        def done(updated, error) -> None:
            if error:
                QMessageBox.warning(self, "Could not save", str(error))
            else:
                self.status.setText(f"Saved {len(updated)} clips")
            self.refresh()
            self.changed.emit()

        self.background.run(lambda: self.library.edit_many(ids, **values), done)

    def sync(self) -> None:
        """Push what changed here, then pull what changed there (settings: s3_bucket...)."""
        from PySide6.QtWidgets import QInputDialog

        settings = self.settings
        bucket = settings.s3_bucket if settings else ""
        if not bucket:
            bucket, ok = QInputDialog.getText(self, "Sync with S3", "Bucket:")
            if not ok or not bucket.strip():
                return
            bucket = bucket.strip()
            if settings:
                settings.s3_bucket = bucket
        prefix = settings.s3_prefix if settings else "livedirector"
        endpoint = settings.s3_endpoint_url if settings else ""
        self.sync_button.setEnabled(False)
        self.status.setText(f"Syncing with s3://{bucket}/{prefix} …")

        def work():
            from livedirector_desktop.cloud.s3sync import S3Sync

            sync = S3Sync(self.library, bucket, prefix, endpoint)
            return sync.push(), sync.pull(self.library.root / "pulled")

        def done(result, error) -> None:
            self.sync_button.setEnabled(True)
            if error:
                QMessageBox.warning(self, "Sync failed", str(error))
                self.status.setText("Sync failed")
                return
            pushed, pulled = result
            problems = [
                f"{a}: {w}"
                for a, w in pushed.conflicts + pulled.conflicts + pushed.failed + pulled.failed
            ]
            self.status.setText(
                f"Synced: {len(pushed.uploaded)} up, {len(pulled.downloaded)} down, "
                f"{len(pushed.deleted) + len(pulled.deleted)} removed, "
                f"{len(problems)} conflicts or failures"
            )
            if problems:
                QMessageBox.information(self, "Left alone", "\n".join(problems[:15]))
            self.refresh()
            self.changed.emit()

        self.background.run(work, done)
