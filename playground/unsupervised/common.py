"""Small helpers shared by the unsupervised modules."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from threadpoolctl import threadpool_limits


def compute_threads() -> int:
    """OpenMP threads for one scikit-learn call.

    scikit-learn's k-means, t-SNE and neighbour searches spin up OpenMP threads. On a
    small shared machine (2 cores, several users or jobs at once) those threads wait on
    each other and a 0.2 s fit can take 10 s; one thread per call is then much faster.
    Bigger machines keep half of their cores per call.
    """
    cores = os.cpu_count() or 1
    return 1 if cores <= 4 else cores // 2


@contextlib.contextmanager
def limited_threads() -> Iterator[None]:
    """Limit OpenMP threads for the calls inside (OpenMP settings are per calling
    thread, so other users' requests in the same server are not affected)."""
    with threadpool_limits(limits=compute_threads(), user_api="openmp"):
        yield
