"""Run the tiny diffusion models on one CPU thread.

These networks work on batches of 32 images of 16x16 pixels (or 500 points):
each convolution is too small to gain much from a second thread, and when the two
cores are busy (other users, other pages) OpenMP threads that wait for each other
make a sampling run ten times slower (measured here: 2.5 s on one thread, 38 s on
two, with the machine loaded). ``one_thread()`` limits OpenMP to one thread *for
the calling thread only* (OpenMP's thread count is a per-thread setting), so the
rest of the app keeps torch's default.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from threadpoolctl import threadpool_limits


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    torch.get_num_threads()  # let torch set up this thread's OpenMP state first, or it would undo ours
    with threadpool_limits(limits=1, user_api="openmp"):
        yield
