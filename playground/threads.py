"""Thread limits for the numpy / scipy / scikit-learn libraries.

On small matrices one thread is faster than several fighting over a shared CPU
(measured on a busy 2-core machine: an lbfgs network fit 3.5 s -> 0.2 s, ten
k-means fits 11.5 s -> 0.2 s). torch's own thread pools are left out: other
pages share them."""

from __future__ import annotations

from threadpoolctl import ThreadpoolController

_CONTROLLER: ThreadpoolController | None = None


def _non_torch_libraries() -> ThreadpoolController:
    """The OpenMP / BLAS libraries loaded by everything but torch, found once (~10 ms)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        every = ThreadpoolController()
        ours = [c.filepath for c in every.lib_controllers if "torch" not in c.filepath]
        _CONTROLLER = every.select(filepath=ours)
    return _CONTROLLER


def one_library_thread():
    """Context: numpy, scipy and scikit-learn limited to one thread inside the block."""
    return _non_torch_libraries().limit(limits=1)
