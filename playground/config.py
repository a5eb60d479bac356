"""Settings and limits, read from ``PLAYGROUND_*`` environment variables.

Defaults suit a laptop. A teacher hosting a class raises or lowers them without
touching code, for example ``PLAYGROUND_MAX_NEW_TOKENS=64 streamlit run Home.py``.
Every limit is documented in README.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ai-playground"


@dataclass(frozen=True)
class Settings:
    """All tunable settings. Field name ``x`` is read from ``PLAYGROUND_X``."""

    # Models
    llm: str = ""  # Hugging Face id or local folder; "" means the embedded SmolLM2
    diffusion_pipeline: str = ""  # a Stable Diffusion family id or folder, GPU only
    device: str = "auto"  # auto | cpu | cuda | mps
    dtype: str = "auto"  # auto | float32 | bfloat16 | float16 (auto: see playground/devices.py)
    cache_dir: Path = _default_cache_dir()  # converted models live here
    hub_timeout_s: float = 3.0  # how long to wait for the Hub before falling back
    allow_model_choice: bool = True  # show the sidebar setting that swaps the LLM

    # Language-model limits
    max_new_tokens: int = 200
    max_prompt_tokens: int = 1024
    max_samples: int = 8  # completions generated side by side
    llm_concurrency: int = 1  # inference calls running at once on the shared LLM
    llm_wait_s: float = 120.0  # how long a request waits for the shared LLM
    score_token_budget: int = 16384  # tokens (batch x length) in one batched scoring pass
    max_trace_tokens: int = 512  # longest text traced for attention maps (30 layers x 9 heads x n^2)

    # Training and data limits
    max_training_steps: int = 5000
    max_episodes: int = 5000
    max_upload_mb: int = 10
    max_csv_rows: int = 20000
    max_image_pixels: int = 4096 * 4096


def _parse(kind: type | str, raw: str):
    kind = {"bool": bool, "int": int, "float": float, "str": str, "Path": Path}.get(kind, kind)
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return kind(raw)


def get_settings() -> Settings:
    """Read the settings from the environment (cheap; call it where needed)."""
    values = {}
    for f in fields(Settings):
        raw = os.environ.get(f"PLAYGROUND_{f.name.upper()}")
        if raw is None or raw == "":
            continue
        try:
            values[f.name] = _parse(f.type, raw)
        except ValueError as exc:
            raise ValueError(
                f"PLAYGROUND_{f.name.upper()}={raw!r} is not a valid {f.type}: {exc}"
            ) from exc
    return Settings(**values)
