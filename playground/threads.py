"""The app's one thread policy: run small numerical work on one CPU thread.

Why one thread is faster here
-----------------------------
The models and data sets of this app are small (a 16x16 UNet, MLPs of width 64 on
batches of 256, a few thousand rows for scikit-learn). Splitting such small pieces of
work across threads costs more in synchronisation than it saves, and on a busy
machine (two cores shared by every student's session, plus other pages) a thread
that waits for a sibling descheduled by the OS makes everything crawl. Measured on a
loaded 2-core machine:

* a diffusion sampling run: 2.5 s on one thread, 38 s on two;
* an lbfgs neural-network fit: 3.5 s -> 0.2 s; ten k-means fits: 11.5 s -> 0.2 s;
  a Gaussian mixture of the digits: 13 s -> 1.3 s;
* a 2D GAN step: up to ten times slower with a waiting OpenMP thread.

Many sessions, one process
--------------------------
Streamlit runs every browser session's script on its own thread of one Python
process, so a limit must never leak into other sessions more than necessary, and
must survive many threads entering and leaving at once. ``one_thread()`` limits two
kinds of thread pools, which differ in scope:

* OpenMP (torch's own OpenMP runtime, scikit-learn's, and any other loaded one): the
  thread count is a *per-thread* setting (``omp_set_num_threads`` changes the calling
  thread's value only). Inside the block the calling thread uses 1; every other
  thread keeps its own value; on exit the caller gets back exactly what it had.
* BLAS (the OpenBLAS inside numpy and scipy): its thread count is *process-wide*.
  A lock and a count of the threads inside the block manage it: the first thread
  to enter sets 1, the last one to leave restores the original value. (Saving and
  restoring per thread would race: B saves A's 1, A restores 2, B restores 1.)
  While anyone is inside, BLAS calls elsewhere in the process also use one thread.

Never call ``torch.set_num_threads`` while serving: it is process-wide (torch also
stores the number for every thread it meets later, and sets MKL's global count).
A standalone training script run from the command line may.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator

from threadpoolctl import ThreadpoolController

_LOCK = threading.Lock()  # guards everything below
_controller: ThreadpoolController | None = None
_modules_seen = -1  # len(sys.modules) when _controller was built
_blas_users = 0  # threads inside one_thread() now
_blas_saved: dict[str, tuple[object, int]] = {}  # filepath -> (library controller, original count)


def _libraries() -> ThreadpoolController:
    """The loaded OpenMP / BLAS libraries. Finding them costs ~10 ms, so the answer is
    kept until a new module was imported (which may have loaded a new library, e.g.
    torch's OpenMP runtime on the first visit to a torch page). Hold _LOCK."""
    global _controller, _modules_seen
    if _controller is None or len(sys.modules) != _modules_seen:
        _modules_seen = len(sys.modules)
        _controller = ThreadpoolController()
    return _controller


def _set_process_wide(lib, n: int) -> None:
    """Set a BLAS library's process-wide count. threadpoolctl (3.6+) lets only one
    "controlling" Python thread change OpenBLAS and silently ignores the others; we
    serialise the changes ourselves (_LOCK), so take control for this one call."""
    clear = getattr(type(lib), "clear_controlling_thread", None)
    if clear is not None:
        clear(force=True)
    lib.set_num_threads(n)
    if clear is not None:
        clear(force=True)


def _per_thread(lib) -> bool:
    """OpenMP runtimes, and BLAS built on OpenMP, keep one count per thread."""
    return lib.user_api == "openmp" or getattr(lib, "threading_layer", None) == "openmp"


def _enter_blas() -> list:
    """Count this thread in; the first one in sets BLAS to 1 thread. Returns the
    per-thread (OpenMP) libraries, for the caller to limit for itself."""
    global _blas_users
    with _LOCK:
        controller = _libraries()
        _blas_users += 1
        for lib in controller.lib_controllers:
            # a library loaded while others were inside is limited too
            if not _per_thread(lib) and lib.filepath not in _blas_saved:
                _blas_saved[lib.filepath] = (lib, lib.num_threads)
                _set_process_wide(lib, 1)
        return [lib for lib in controller.lib_controllers if _per_thread(lib)]


def _leave_blas() -> None:
    """Count this thread out; the last one out restores BLAS's original counts."""
    global _blas_users
    with _LOCK:
        _blas_users -= 1
        if _blas_users == 0:
            for lib, original in _blas_saved.values():
                if original is not None:
                    _set_process_wide(lib, original)
            _blas_saved.clear()


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Inside the block: OpenMP (torch included) uses one thread for the calling
    thread, and BLAS (numpy / scipy) one thread for the process. Nests; safe to use
    from many threads at once; restores everything on exit, also after an error."""
    torch = sys.modules.get("torch")  # no import: the scikit-learn pages do not need torch
    if torch is not None:
        # torch sets up a thread's OpenMP count lazily, on its first parallel call;
        # let it do that now, or it would overwrite our 1 later in the block
        torch.get_num_threads()
    openmp = _enter_blas()
    saved: list[tuple[object, int]] = []
    try:
        for lib in openmp:
            saved.append((lib, lib.num_threads))  # this thread's own value
            lib.set_num_threads(1)
        yield
    finally:
        for lib, before in reversed(saved):
            if before is not None:
                lib.set_num_threads(before)
        _leave_blas()
