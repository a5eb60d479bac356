"""Pick the compute device and dtype once: cuda > mps > cpu.

GPUs run half precision (bf16 where supported, else fp16); the CPU runs fp32,
which is both the fastest and the most accurate choice there.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch

from playground.config import get_settings


@dataclass(frozen=True)
class DeviceInfo:
    device: torch.device
    dtype: torch.dtype
    name: str  # "CPU (2 cores)" or the GPU's name
    memory_gb: float | None  # GPU memory; None on CPU

    @property
    def kind(self) -> str:
        return self.device.type

    def describe(self) -> str:
        dtype = str(self.dtype).removeprefix("torch.")
        mem = f", {self.memory_gb:.0f} GB" if self.memory_gb else ""
        return f"{self.name}{mem} · {dtype}"


def _resolve(preference: str) -> DeviceInfo:
    preference = preference.lower()
    if preference in ("auto", "cuda") and torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return DeviceInfo(torch.device("cuda", 0), dtype, props.name, props.total_memory / 2**30)
    mps = getattr(torch.backends, "mps", None)
    if preference in ("auto", "mps") and mps is not None and mps.is_available():
        return DeviceInfo(torch.device("mps"), torch.float16, "Apple GPU (MPS)", None)
    import os

    return DeviceInfo(torch.device("cpu"), torch.float32, f"CPU ({os.cpu_count()} cores)", None)


@functools.cache
def get_device() -> DeviceInfo:
    """The device every model in this process uses (chosen once)."""
    return _resolve(get_settings().device)
