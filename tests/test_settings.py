"""Settings: one validated model; bad values stop at load naming the file, the key and what
is allowed; saving keeps the user's comments; platform folders."""

from __future__ import annotations

import subprocess
import sys

import pytest

from livedirector_desktop.config import (
    LAYOUT_NAMES,
    REASONERS,
    Settings,
    default_recordings_dir,
    load_settings,
    logs_dir,
    save_settings,
    setting_keys,
)
from livedirector_desktop.core.errors import BadInputError

BAD = [
    ("[studio]\nfps = 0\n", "studio.fps", "greater than or equal to 1"),
    ("[studio]\nfps = 500\n", "studio.fps", "less than or equal to 120"),
    ('reasoner = "bedrok"\n', "reasoner", "'llama', 'keyword' or 'bedrock'"),
    ('[studio]\nlayout = "diagonal"\n', "studio.layout", "'pip', 'fullscreen' or 'side-by-side'"),
    ("[director]\nthreshold = 5\n", "director.threshold", "less than or equal to 1"),
    ("[director]\nthreshold_low = -0.1\n", "director.threshold_low", "greater than or equal to 0"),
    ("llm_timeout_ms = -1\n", "llm_timeout_ms", "greater than 0"),
    ("bedrock_timeout_ms = 0\n", "bedrock_timeout_ms", "greater than 0"),
    ("[director]\ntop_k = 0\n", "director.top_k", "greater than or equal to 1"),
    ('[studio]\nresolution = "4k"\n', "studio.resolution", "'1080p' or '2160p'"),
    ('embedding_model = "bert"\n', "embedding_model", "'minilm', 'e5' or 'titan'"),
    ("[studio]\nfps = 'fast'\n", "studio.fps", "valid integer"),
]


@pytest.mark.parametrize(
    ("text", "key", "allowed"), BAD, ids=[b[1] + str(i) for i, b in enumerate(BAD)]
)
def test_a_bad_value_stops_at_load_with_file_key_and_what_is_allowed(tmp_path, text, key, allowed):
    path = tmp_path / "settings.toml"
    path.write_text(text)
    with pytest.raises(BadInputError) as caught:
        load_settings(path)
    message = str(caught.value).splitlines()[0]
    assert str(path) in message and key in message and allowed in message


def test_unknown_keys_name_the_known_ones(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("[director]\nthreshhold = 0.3\n")
    with pytest.raises(
        BadInputError, match=r"unknown setting 'threshhold' in \[director\].*threshold"
    ):
        load_settings(path)


def test_retired_keys_load_with_a_warning_not_on_the_wrong_scale(tmp_path, caplog):
    path = tmp_path / "settings.toml"
    path.write_text("[director]\njudge_threshold = 1.5\nmin_gap = 0.1\nthreshold = 0.3\n")
    settings = load_settings(path)
    assert settings.director.threshold == 0.3  # the rest of the file still counts
    assert settings.director.evidence_threshold == Settings().director.evidence_threshold
    assert "judge_threshold is no longer used" in caplog.text
    assert "min_gap is no longer used" in caplog.text


def test_the_cli_says_it_in_one_line_and_exits_2(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("[studio]\nfps = 0\n")
    env = {"LIVEDIRECTOR_CONFIG": str(path), "LIVEDIRECTOR_HOME": str(tmp_path), "PATH": "/usr/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "livedirector_desktop.cli", "library", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    first = result.stderr.strip().splitlines()[0]
    assert first.startswith("error: ") and "studio.fps" in first and str(path) in first
    assert "Traceback" not in result.stderr


def test_saving_keeps_comments_and_layout(tmp_path):
    path = tmp_path / "settings.toml"
    original = (
        "# My studio\n"
        'reasoner = "keyword"  # fast on my laptop\n'
        "\n"
        "[studio]\n"
        "# the USB camera\n"
        'camera = "1"\n'
    )
    path.write_text(original)
    settings = load_settings(path)
    settings.studio.layout = "side-by-side"
    settings.director.threshold = 0.3
    settings.llm_threads = 4
    save_settings(settings, path)
    text = path.read_text()
    assert text.startswith('# My studio\nreasoner = "keyword"  # fast on my laptop\n')
    assert '# the USB camera\ncamera = "1"\n' in text
    again = load_settings(path)
    assert (again.studio.layout, again.director.threshold, again.llm_threads) == (
        "side-by-side",
        0.3,
        4,
    )
    assert again.reasoner == "keyword" and again.studio.camera == "1"
    # A bad value is refused on save too, and the file is left as it was.
    before = path.read_text()
    again.studio.fps = 0
    with pytest.raises(BadInputError, match=r"studio\.fps"):
        save_settings(again, path)
    assert path.read_text() == before


def test_choices_match_the_registries():
    from livedirector_desktop.compositor.scene import LAYOUTS
    from livedirector_desktop.director.backends import REGISTRY

    assert set(LAYOUT_NAMES) == set(LAYOUTS)
    assert set(REGISTRY) <= set(REASONERS) and set(REASONERS) - set(REGISTRY) == {"bedrock"}
    keys = dict(setting_keys())
    assert set(keys["studio.layout"].annotation.__args__) == set(LAYOUTS)


def test_platform_folders(monkeypatch, tmp_path):
    monkeypatch.delenv("LIVEDIRECTOR_HOME", raising=False)
    import platformdirs

    assert default_recordings_dir() == (
        __import__("pathlib").Path(platformdirs.user_videos_dir()) / "LiveDirector"
    )
    assert Settings().recordings_path == default_recordings_dir()
    assert "livedirector" in str(logs_dir()).lower()
    monkeypatch.setenv("LIVEDIRECTOR_HOME", str(tmp_path))
    assert default_recordings_dir() == tmp_path / "recordings"
    assert logs_dir() == tmp_path / "logs"


def test_a_session_flag_overrides_the_settings_without_writing_them(tmp_path, settings_session):
    """`studio --reasoner keyword` runs the session with the keyword reasoner; the settings
    object the studio keeps (and saves on a layout change) still says llama."""
    from livedirector_desktop.engine import SessionOptions, build_live_session

    settings = settings_session.model_copy(deep=True)
    assert settings.reasoner == "llama"
    options = SessionOptions(
        reasoner="keyword", library=tmp_path / "lib", camera="none", mic="none"
    )
    session, _messages = build_live_session(options, settings)
    assert session.director.reasoner.name == "keyword"
    assert settings.reasoner == "llama"
