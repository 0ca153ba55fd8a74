"""Whisper stored with int8 weights (what the desktop app bundles) decodes bit for bit as the
float16 model the app loads with compute_type int8; on real read speech (LibriVox)."""

from __future__ import annotations

import numpy as np
import pytest

from livedirector_desktop.asr import ct2_int8
from livedirector_desktop.core.errors import BadInputError
from tests.support import LIBRIVOX


@pytest.fixture(scope="module")
def int8_model(whisper_path, tmp_path_factory):
    return ct2_int8.quantize_int8(whisper_path, tmp_path_factory.mktemp("w") / "int8")


def test_half_the_size_and_the_same_files(whisper_path, int8_model):
    before = (whisper_path / "model.bin").stat().st_size
    after = (int8_model / "model.bin").stat().st_size
    assert after < 0.55 * before
    names = {p.name for p in whisper_path.iterdir() if p.is_file()}
    assert names == {p.name for p in int8_model.iterdir()}
    model = ct2_int8.read(int8_model / "model.bin")
    kinds = {v.name: v.dtype for v in model.variables}
    assert kinds["encoder/layer_0/self_attention/linear_0/weight"] == "int8"
    assert kinds["encoder/layer_0/self_attention/linear_0/weight_scale"] == "float32"
    assert kinds["encoder/conv1/weight"] == "float16"  # the loader keeps kernels in float
    assert model.aliases == ct2_int8.read(whisper_path / "model.bin").aliases


def test_decodes_real_speech_exactly_as_the_float16_model(whisper_path, int8_model):
    from faster_whisper import WhisperModel, decode_audio

    def load(path):
        return WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=2)

    original, stored = load(whisper_path), load(int8_model)
    for wav in sorted(LIBRIVOX.glob("*.wav"))[:2]:
        audio = decode_audio(str(wav))
        features = original.feature_extractor(audio)
        np.testing.assert_array_equal(
            np.array(original.encode(features)), np.array(stored.encode(features))
        )

        assert _heard(original, audio) == _heard(stored, audio)


def _heard(model, audio):
    segments, _ = model.transcribe(audio, beam_size=3, language="en")
    return [(s.text, s.avg_logprob) for s in segments]


def test_not_a_model_folder_is_named(tmp_path):
    with pytest.raises(BadInputError, match=str(tmp_path)):
        ct2_int8.quantize_int8(tmp_path, tmp_path / "out")
    (tmp_path / "model.bin").write_bytes((5).to_bytes(4, "little") + b"junk")
    with pytest.raises(BadInputError, match="format 5"):
        ct2_int8.quantize_int8(tmp_path, tmp_path / "out")
