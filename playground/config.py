"""Settings and limits, read from ``PLAYGROUND_*`` environment variables.

Defaults suit a laptop. ``PLAYGROUND_PROFILE=class`` switches to the limits for a
class sharing one server (:data:`PROFILES`); any single variable still overrides
its profile, for example ``PLAYGROUND_PROFILE=class PLAYGROUND_MAX_NEW_TOKENS=64``.
Every setting is documented in README.md.
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

    profile: str = "laptop"  # laptop | class: a set of defaults for the limits below

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
    max_context_tokens: int = 8192  # longest prompt the context-window page runs (never past the model's window)
    max_trace_tokens: int = 512  # longest text traced for attention maps (30 layers x 9 heads x n^2)

    # Training and data limits
    max_training_steps: int = 5000
    max_episodes: int = 5000
    max_upload_mb: int = 10
    max_csv_rows: int = 20000
    max_image_pixels: int = 4096 * 4096
    finetune_memory_mb: int = 4096  # memory all fine-tuned model copies of the process may hold together
    finetune_slots: int = 1  # fine-tuning runs at once in the process (the rest queue)
    chatmodel_max_pretrain_steps: int = 2000  # most steps of one live pre-training run (chat-model page)
    chatmodel_max_tune_steps: int = 600  # most steps of one live fine-tuning or DPO run (chat-model page)
    chatmodel_live_runs: int = 2  # live chat-model trainings at once in the process (the others are refused)

    # Sharing a server
    heavy_actions_per_minute: int = 0  # per browser session: generations, training runs; 0 = no limit


# The limits for a class: about thirty students on one server (see README.md, "Hosting a
# class"). Each is what one student may start at once; everything else stays as on a laptop.
PROFILES: dict[str, dict[str, object]] = {
    "laptop": {},
    "class": {
        "allow_model_choice": False,  # one shared model: a student must not swap it for everyone's memory
        "max_new_tokens": 96,
        "max_prompt_tokens": 512,
        "max_samples": 4,
        "llm_wait_s": 60.0,
        "max_trace_tokens": 256,
        "max_context_tokens": 2048,
        "max_training_steps": 2000,
        "max_episodes": 2000,
        "max_upload_mb": 5,
        "max_csv_rows": 5000,
        "max_image_pixels": 2048 * 2048,
        "heavy_actions_per_minute": 6,
        "chatmodel_max_pretrain_steps": 600,
        "chatmodel_max_tune_steps": 200,
        "chatmodel_live_runs": 2,
    },
}


def _parse(kind: type | str, raw: str):
    kind = {"bool": bool, "int": int, "float": float, "str": str, "Path": Path}.get(kind, kind)
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return kind(raw)


def get_settings() -> Settings:
    """Read the settings from the environment (cheap; call it where needed)."""
    profile = (os.environ.get("PLAYGROUND_PROFILE") or "laptop").strip().lower()
    if profile not in PROFILES:
        raise ValueError(f"PLAYGROUND_PROFILE={profile!r}: use one of {', '.join(PROFILES)}.")
    values: dict[str, object] = {"profile": profile, **PROFILES[profile]}
    for f in fields(Settings):
        if f.name == "profile":
            continue
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
