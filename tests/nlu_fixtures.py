"""Fixtures for the understanding tests: the e5 model folder and the loaded model, once per test process.

HF_HOME points at an empty folder so that a warm Hugging Face cache cannot hide a missing local file. The model
folder is the project cache ($CAREBOT_MODELS_DIR or ~/.local/share/carebot/models) when it is already built
there, else it is built once into a temporary folder. Registered for every test by tests/conftest.py.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from tests.scratch import process_scratch_dir

os.environ["HF_HOME"] = process_scratch_dir("carebot-hf-home-")
os.environ["HF_HUB_OFFLINE"] = "1"

from robot.adapters.e5_encoder import MANIFEST_NAME, default_model_dir, ensure_model_dir  # noqa: E402
from robot.adapters.embedding_nlu import EmbeddingUnderstanding  # noqa: E402
from robot.paths import PROFILES_DIR  # noqa: E402


@functools.lru_cache(maxsize=1)
def _model_dir() -> Path:
    cached = default_model_dir()
    if (cached / MANIFEST_NAME).is_file():
        return cached
    return ensure_model_dir(Path(process_scratch_dir("carebot-models-")) / cached.name)


@functools.lru_cache(maxsize=1)
def _understanding() -> EmbeddingUnderstanding:
    return EmbeddingUnderstanding.load(PROFILES_DIR, _model_dir().parent)


@pytest.fixture(scope="session")
def e5_model_dir() -> Path:
    """A built, verified e5 transformers folder."""
    return _model_dir()


@pytest.fixture(scope="session")
def understanding() -> EmbeddingUnderstanding:
    """The project's exemplars with the real encoder."""
    return _understanding()
