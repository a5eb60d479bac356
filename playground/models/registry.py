"""A process-wide record of which models are loaded, from where, and how fast.

Loaders call :func:`record`; Home's status panel reads :func:`loaded`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class ModelInfo:
    key: str  # unique, e.g. "llm:HuggingFaceTB/SmolLM2-135M-Instruct"
    name: str  # what users read
    role: str  # "language model", "sentence embedder", ...
    source: str  # "embedded package", "local cache", "local folder", "Hugging Face cache", "Hub", "trained by the project"
    detail: str = ""  # e.g. the package or path it came from
    device: str = "cpu"
    dtype: str = "float32"
    load_seconds: float = 0.0
    parameters: int = 0
    note: str = ""  # shown on screen, e.g. why a fallback happened
    extra: dict = field(default_factory=dict)


_LOCK = threading.Lock()
_LOADED: dict[str, ModelInfo] = {}


def record(info: ModelInfo) -> None:
    with _LOCK:
        _LOADED[info.key] = info


def loaded() -> list[ModelInfo]:
    with _LOCK:
        return list(_LOADED.values())
