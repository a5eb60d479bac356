"""Small helpers shared by the unsupervised modules."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from playground.threads import one_thread

SMALL_MACHINE_CORES = 4


@contextlib.contextmanager
def limited_threads() -> Iterator[None]:
    """Run scikit-learn / scipy calls with one OpenMP and one BLAS thread on small machines.

    k-means, t-SNE, neighbour searches (OpenMP) and Gaussian mixtures (many small BLAS
    calls) start threads that wait on each other when the cores are busy: measured on a
    shared 2-core machine, 10 k-means fits took 11.5 s with 2 threads and 0.2 s with one,
    and a Gaussian mixture of the digits 13 s against 1.3 s. scikit-learn's own KMeans.fit
    limits BLAS the same way while it runs. Machines with more than 4 cores keep the
    libraries' defaults.
    """
    if (os.cpu_count() or 1) > SMALL_MACHINE_CORES:
        yield
        return
    with one_thread():
        yield
