"""Pick the compute device and the precision once: cuda > mps > cpu.

Precision (``PLAYGROUND_DTYPE``, default ``auto``):

* GPUs: bf16 where supported, else fp16.
* CPUs with native bf16 instructions (``avx512_bf16`` or AMX, as on the project's
  2-core AMD EPYC machines): bf16. Measured there for SmolLM2-135M: decode 24.7 -> 48.5
  tokens/s, prefill 525 -> 2,084 tokens/s, and the same greedy text; README.md gives
  how far its next-token distributions are from fp32.
* Other CPUs: fp32. Without native instructions bf16 is emulated and slower.

``PLAYGROUND_DTYPE=float32`` (or ``bfloat16``, ``float16``) overrides the choice.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from playground.config import get_settings

DTYPES = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16,
          "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16}
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


@dataclass(frozen=True)
class DeviceInfo:
    device: torch.device
    dtype: torch.dtype  # the precision the models run in
    name: str  # "CPU (2 cores)" or the GPU's name
    memory_gb: float | None  # GPU memory; None on CPU
    why: str = ""  # why this precision, in a few words

    @property
    def kind(self) -> str:
        return self.device.type

    @property
    def precision(self) -> str:
        return dtype_name(self.dtype)

    def describe(self) -> str:
        mem = f", {self.memory_gb:.0f} GB" if self.memory_gb else ""
        return f"{self.name}{mem} · {self.precision}"


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The instruction-set flags of the first CPU (empty where /proc/cpuinfo is missing)."""
    try:
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def cpu_has_native_bf16(flags: set[str] | None = None) -> bool:
    flags = cpu_flags() if flags is None else flags
    return any(flag in flags for flag in NATIVE_BF16_FLAGS)


def parse_dtype(name: str) -> torch.dtype | None:
    """``auto`` -> None; a known precision name -> its dtype; anything else raises."""
    name = name.strip().lower()
    if name in ("", "auto"):
        return None
    if name not in DTYPES:
        raise ValueError(f"PLAYGROUND_DTYPE={name!r}: use auto, float32, bfloat16 or float16.")
    return DTYPES[name]


def _resolve(preference: str, dtype_setting: str = "auto") -> DeviceInfo:
    preference = preference.lower()
    forced = parse_dtype(dtype_setting)
    if preference in ("auto", "cuda") and torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        why = "GPU half precision"
        if forced is not None:
            dtype, why = forced, "set by PLAYGROUND_DTYPE"
        return DeviceInfo(torch.device("cuda", 0), dtype, props.name, props.total_memory / 2**30, why)
    mps = getattr(torch.backends, "mps", None)
    if preference in ("auto", "mps") and mps is not None and mps.is_available():
        dtype, why = (torch.float16, "GPU half precision") if forced is None else (forced, "set by PLAYGROUND_DTYPE")
        return DeviceInfo(torch.device("mps"), dtype, "Apple GPU (MPS)", None, why)
    if forced is not None:
        dtype, why = forced, "set by PLAYGROUND_DTYPE"
    elif cpu_has_native_bf16():
        dtype, why = torch.bfloat16, "the CPU has native bf16 instructions"
    else:
        dtype, why = torch.float32, "this CPU has no native bf16 instructions"
    return DeviceInfo(torch.device("cpu"), dtype, f"CPU ({os.cpu_count()} cores)", None, why)


@functools.cache
def get_device() -> DeviceInfo:
    """The device and precision every model in this process uses (chosen once)."""
    settings = get_settings()
    return _resolve(settings.device, settings.dtype)
