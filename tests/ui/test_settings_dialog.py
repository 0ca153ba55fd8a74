"""The Settings dialog (built from the settings model), the first-run installer, the About box."""

from __future__ import annotations

import pytest

from livedirector_desktop import models
from livedirector_desktop.compositor.scene import LAYOUTS
from livedirector_desktop.config import GROUPS, load_settings, setting_keys
from livedirector_desktop.core.errors import ModelMissingError

pytest.importorskip("pytestqt")

COMMENTED = '# my studio, by hand\nreasoner = "keyword"  # fast on this laptop\n\n[director]\n# tuned on my clips\nthreshold = 0.3\n'  # noqa: E501


@pytest.fixture
def settings_file(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text(COMMENTED)
    return path


def test_the_dialog_shows_every_key_with_the_model_s_choices_and_ranges(qtbot, settings_file):
    from livedirector_desktop.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(load_settings(settings_file), settings_file)
    qtbot.addWidget(dialog)
    dialog.show()
    keys = [k for k, _ in setting_keys()]
    assert list(dialog.widgets) == keys and len(keys) >= 30
    assert [dialog.tabs.tabText(i).lower() for i in range(dialog.tabs.count())] == list(GROUPS)
    for key, widget in dialog.widgets.items():  # each on a tab page, each with help
        assert widget.parent() is not None and widget.toolTip(), key
    fps = dialog.widgets["studio.fps"]
    assert (fps.minimum(), fps.maximum()) == (1, 120)
    layout = dialog.widgets["studio.layout"]
    assert {layout.itemText(i) for i in range(layout.count())} == set(LAYOUTS)
    assert dialog.widgets["reasoner"].currentText() == "keyword"
    assert dialog.widgets["director.threshold"].value() == pytest.approx(0.3)
    assert dialog.widgets["director.threshold"].maximum() == 1.0
    assert dialog.widgets["llm_timeout_ms"].minimum() == 1  # > 0


def test_a_bad_value_is_refused_with_a_message_and_nothing_written(qtbot, settings_file):
    from livedirector_desktop.ui.settings_dialog import SettingsDialog

    settings = load_settings(settings_file)
    dialog = SettingsDialog(settings, settings_file)
    qtbot.addWidget(dialog)
    dialog.widgets["llm_model"].setText("")
    assert dialog.save() is False
    assert "llm_model" in dialog.error.text() and "at least 1" in dialog.error.text()
    assert dialog.result() != dialog.DialogCode.Accepted
    assert settings_file.read_text() == COMMENTED and settings.llm_model == "smollm2-135m"


def test_saving_keeps_the_comments_and_updates_the_studio_s_settings(qtbot, settings_file):
    from livedirector_desktop.ui.settings_dialog import SettingsDialog

    settings = load_settings(settings_file)
    dialog = SettingsDialog(settings, settings_file)
    qtbot.addWidget(dialog)
    dialog.widgets["studio.layout"].setCurrentText("side-by-side")
    dialog.widgets["director.top_k"].setValue(5)
    dialog.widgets["s3_bucket"].setText("team-clips")
    assert dialog.save() is True, dialog.error.text()
    text = settings_file.read_text()
    assert "# my studio, by hand" in text and "# fast on this laptop" in text
    assert "# tuned on my clips" in text
    again = load_settings(settings_file)
    assert (again.studio.layout, again.director.top_k, again.s3_bucket) == (
        "side-by-side",
        5,
        "team-clips",
    )
    assert settings.studio.layout == "side-by-side"  # the studio's own object too


def test_first_run_installs_a_missing_model_with_progress(qtbot, tmp_path, monkeypatch):
    """A real download from a loopback server (installer, checksum, unpack), with progress."""
    import contextlib

    from livedirector_desktop.ui.settings_dialog import InstallModelDialog
    from tests.support import serve_folder
    from tests.test_models import _minilm_tarball

    stack = contextlib.ExitStack()
    www = tmp_path / "www"
    www.mkdir()
    base = stack.enter_context(serve_folder(www))
    sha = _minilm_tarball(www / "onnx.tar.gz")
    spec = models.REGISTRY["embeddings"]
    monkeypatch.setitem(
        models.REGISTRY,
        "embeddings",
        models.ModelSpec(**{**spec.__dict__, "sha256": sha, "url": f"{base}/onnx.tar.gz"}),
    )
    with pytest.raises(ModelMissingError) as missing:
        models.require("embeddings", tmp_path / "m")
    assert missing.value.model == "embeddings"
    dialog = InstallModelDialog("embeddings", missing.value.message, tmp_path / "m")
    qtbot.addWidget(dialog)
    dialog.show()
    seen = []
    dialog.signals.progress.connect(lambda d, t: seen.append((d, t)))
    with qtbot.waitSignal(dialog.accepted, timeout=120_000):
        dialog.install_button.click()
    assert dialog.result_error == "" and seen and seen[-1][0] == seen[-1][1]
    assert models.require("embeddings", tmp_path / "m").exists()
    stack.close()


def test_about_names_versions_and_the_log_folder(qtbot):
    from livedirector_desktop.config import logs_dir
    from livedirector_desktop.ui.settings_dialog import show_about, versions

    box = show_about(None)
    qtbot.addWidget(box)
    text = box.text()
    assert str(logs_dir()) in text
    for name in ("LiveDirector", "Python", "Qt", "PyAV", "OpenTimelineIO"):
        assert f"{name}: " in text
    assert versions()["PyAV"][0].isdigit()
