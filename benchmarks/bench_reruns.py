"""Server time per interaction, page by page: what one slider or choice costs.

    .venv/bin/python benchmarks/bench_reruns.py [page ...] [--checked]

``--checked``: with plotly's property checks, as before figures were built unchecked
(playground/charts.py), for the figures beside that baseline.

Every page runs in Streamlit's AppTest (the script in this process, as the server runs
it, without the browser). For each page: the first run, a rerun with nothing changed
(the floor every interaction pays), then every slider, number, select, radio and toggle
of the page's opening view moved once to another value, each timed until the script
ends (a widget inside an ``st.fragment`` reruns only its fragment). The widgets come
from the bad-input sweep's map (tests/bad_input_widgets.json). Buttons are left out:
they start training or generation, which the page's own benchmarks time.

The budget (../shared/DESIGN.md): a slider that only re-weights cached results, < 100 ms
of server time. The rerun with nothing changed is the baseline beside each figure.
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import time

from _util import ROOT  # noqa: F401 - puts the repository on the path

import streamlit.logger  # noqa: E402

import playground.charts  # noqa: E402
import tests.conftest  # noqa: E402,F401 - offline, the test model caches
from tests.test_bad_input import PAGES, drawn, kind, manifest, open_view, rerun, send_raw  # noqa: E402

BUDGET_MS = 100
KINDS = ("slider", "select_slider", "selectbox", "radio", "number_input", "checkbox", "toggle",
         "button_group")


def timed(fn) -> tuple[object, float]:
    start = time.perf_counter()
    out = fn()
    return out, (time.perf_counter() - start) * 1e3


def other_value(node):
    """A value a student would pick next: the middle of a slider's range, the next option,
    the other side of a toggle; None where there is no other value."""
    k, proto = kind(node), node.proto
    if k in ("slider", "number_input"):
        lo, hi = getattr(proto, "min", None), getattr(proto, "max", None)
        if k == "number_input" and not (proto.has_min and proto.has_max):
            return None
        if lo is None or hi is None or lo == hi:
            return None
        step = proto.step or 1
        mid = lo + round((hi - lo) / 2 / step) * step
        value = node.value[0] if isinstance(node.value, (list, tuple)) else node.value
        if mid == value:
            mid = lo
        mid = int(mid) if proto.data_type == 0 else float(mid)
        return ("set", [mid, node.value[1]] if isinstance(node.value, (list, tuple)) else mid)
    if k in ("checkbox", "toggle"):
        return ("set", not node.value)
    options = list(getattr(proto, "options", []))
    if len(options) < 2:
        return None
    default = proto.default
    now = default if isinstance(default, int) else (list(default) or [0])[0]
    return ("pick", options[1] if now == 0 else options[0])


def change(at, node, how):
    what, value = how
    if what == "pick":
        if kind(node) in ("select_slider", "button_group"):
            return send_raw(at, node, string_array_value=[value])
        return send_raw(at, node, string_value=value)
    node.set_value(value)
    return rerun(at)


def measure(name: str) -> None:
    page = PAGES[name]
    widgets = [w["key"] for w in manifest()[name]["widgets"] if w["view"] == "" and w["type"] in KINDS]
    os.environ.update(page.env())
    at, first = timed(lambda: open_view(page, []))
    at, _ = timed(lambda: rerun(at))  # warm caches of the opening view
    same = statistics.median(timed(lambda: rerun(at))[1] for _ in range(3))
    costs: list[tuple[float, str]] = []
    for key in widgets:
        node = drawn(at).get(key)
        if node is None or getattr(node.proto, "disabled", False):
            continue
        how = other_value(node)
        if how is None:
            continue
        at = open_view(page, [])  # each change from the page as it opens
        rerun(at)
        node = drawn(at)[key]
        try:
            at, ms = timed(lambda: change(at, node, how))
        except Exception as exc:  # noqa: BLE001 - a benchmark row, not a test
            print(f"  {key}: could not be changed here ({type(exc).__name__})")
            continue
        costs.append((ms, key))
    if not costs:
        print(f"{name:<16}{first:>10.0f}{same:>12.0f}{'':>12}{'':>12}  (no sliders or choices in view)")
        return
    ms = [c for c, _ in costs]
    worst, worst_key = max(costs)
    over = sum(c > BUDGET_MS for c in ms)
    print(f"{name:<16}{first:>10.0f}{same:>12.0f}{statistics.median(ms):>12.0f}{worst:>12.0f}  "
          f"{worst_key} ({len(ms)} widgets, {over} over {BUDGET_MS} ms)")


def main(argv: list[str]) -> None:
    playground.charts.CHECK_FIGURES = "--checked" in argv  # as the server builds them (the tests check them)
    argv = [a for a in argv if a != "--checked"]
    streamlit.logger.set_log_level("error")  # AppTest's "missing ScriptRunContext" notes
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("streamlit"):
            logging.getLogger(name).setLevel(logging.ERROR)
    names = argv or [n for n in PAGES if n != "diffusion_t2i"]
    print(f"Server time per interaction (AppTest, ms); budget for a slider on cached results: "
          f"{BUDGET_MS} ms")
    print(f"{'page':<16}{'first run':>10}{'no change':>12}{'median':>12}{'worst':>12}  widget")
    for name in names:
        measure(name)


if __name__ == "__main__":
    main(sys.argv[1:])
