"""Measuring what a method costs on this machine: time and peak memory.

* **Time**: wall-clock seconds (``time.perf_counter``) around training and around
  predicting the test set; inference is reported per test example.
* **Peak memory**: the process's resident memory (RSS), sampled every 10 ms by a
  background thread while the method runs; reported as the peak *above* what the
  process held when the method started (after handing memory the C allocator kept from
  earlier work back to the system, which would otherwise be reused unseen). It is a measurement of the whole process, so on
  a server with other sessions busy it includes their growth too; on a quiet machine
  it is this method's own memory (copies of the model, gradients, optimizer state,
  activations). :func:`training_memory_mb` gives the textbook estimate beside it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time
from typing import Self

import psutil

_PROCESS = psutil.Process()


def _trim() -> None:
    """Give memory that was freed but kept by the C allocator back to the system (glibc's
    ``malloc_trim``), so that the starting RSS is what the process really holds: memory
    a method then allocates shows up as growth instead of reusing kept pages unseen."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, musl): measure without trimming
        pass


def rss_mb() -> float:
    return _PROCESS.memory_info().rss / 2**20


class PeakMemory:
    """``with PeakMemory() as peak: ...`` then ``peak.mb``: the highest RSS above the start."""

    def __init__(self, every_s: float = 0.01):
        self.every_s = every_s
        self.start_mb = 0.0
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> None:
        while not self._stop.wait(self.every_s):
            self.peak_mb = max(self.peak_mb, rss_mb())

    def __enter__(self) -> Self:
        _trim()
        self.start_mb = self.peak_mb = rss_mb()
        self._thread = threading.Thread(target=self._sample, daemon=True, name="peak-memory")
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak_mb = max(self.peak_mb, rss_mb())

    @property
    def mb(self) -> float:
        return max(0.0, self.peak_mb - self.start_mb)


class Stopwatch:
    """``with Stopwatch() as t: ...`` then ``t.seconds``."""

    def __enter__(self) -> Self:
        self._start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._start


def training_memory_mb(total_params: int, trainable_params: int, bytes_per_param: int = 4) -> float:
    """The textbook memory of training with AdamW, without activations: the weights, plus
    for every trainable weight its gradient and Adam's two running averages (m and v)."""
    return (total_params + 3 * trainable_params) * bytes_per_param / 2**20
