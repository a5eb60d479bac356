"""Every test runs offline, with caches the test suite owns.

* No network: the Hugging Face libraries are told they are offline.
* Models: the embedded SmolLM2 is converted once into ``.cache/test-models`` in
  the repository (or ``PLAYGROUND_CACHE_DIR`` when set), never the user's cache.
* The Hugging Face cache points at an empty temporary folder, so no test can
  silently use a model that happens to be downloaded on the machine.
* Figures: plotly checks every property of every figure a test builds.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="playground-hf-")
os.environ.setdefault("PLAYGROUND_CACHE_DIR", str(ROOT / ".cache" / "test-models"))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import playground.charts  # noqa: E402

# Every figure a test builds (unit and AppTest tests) goes through plotly's property checks;
# the app builds them unchecked (playground/charts.py). Browser tests run real servers.
playground.charts.CHECK_FIGURES = True


@pytest.fixture(scope="session")
def llm():
    """The real default language model (converted on first use)."""
    from playground.models.llm import load_llm

    return load_llm("")


@pytest.fixture(scope="session")
def llm_fp32():
    """The default model in fp32, whatever precision this machine picks: the reference
    that batched, prefix-reusing and traced computations must match within 1e-4."""
    import torch

    from playground.models.llm import load_default

    return load_default(dtype=torch.float32)


@pytest.fixture(scope="session")
def embedder():
    from playground.models.embedder import load_embedder

    return load_embedder()
