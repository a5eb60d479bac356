"""The libraries with tangled imports, imported once, under a lock, before any page runs.

Streamlit runs every browser session's script on a thread of its own. On a fresh server,
when two students open pages at the same moment, two threads import scikit-learn at once,
and one of them can be handed a module that the other is still initialising:
"cannot import name 'clone' from partially initialized module 'sklearn.base'" (found by
benchmarks/load.py on a cold class server). Home.py calls :func:`warm` first thing: the
first session imports these modules while the others wait on the lock, and after that
every import of them is a lookup in ``sys.modules``.
"""

from __future__ import annotations

import importlib
import threading

MODULES = (
    "pandas", "scipy.cluster", "scipy.spatial", "plotly.colors", "plotly.graph_objects", "plotly.subplots",
    "sklearn", "sklearn.base", "sklearn.cluster", "sklearn.compose", "sklearn.datasets", "sklearn.decomposition",
    "sklearn.ensemble", "sklearn.exceptions", "sklearn.impute", "sklearn.linear_model", "sklearn.manifold",
    "sklearn.metrics", "sklearn.mixture", "sklearn.model_selection", "sklearn.neighbors",
    "sklearn.neural_network", "sklearn.pipeline", "sklearn.preprocessing", "sklearn.svm", "sklearn.tree",
)

_lock = threading.Lock()
_done = False


def warm() -> None:
    """Import :data:`MODULES` once per process (the other sessions wait for the first)."""
    global _done
    if _done:
        return
    with _lock:
        if not _done:
            for name in MODULES:
                importlib.import_module(name)
            _done = True
