"""playground.imports.warm: the tangled libraries are imported once, in one thread."""

from __future__ import annotations

import subprocess
import sys

from playground.pages import ROOT


def test_warm_imports_every_listed_module_in_a_fresh_process():
    code = ("import sys, threading; from playground import imports; "
            "ts = [threading.Thread(target=imports.warm) for _ in range(4)]; "
            "[t.start() for t in ts]; [t.join() for t in ts]; "
            "missing = [m for m in imports.MODULES if m not in sys.modules]; "
            "print('missing', missing); assert not missing")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]


def test_home_warms_the_imports_before_the_navigation_runs():
    home = (ROOT / "Home.py").read_text()
    assert home.index("warm()") < home.index("navigation.run()")


def test_the_app_builds_figures_unchecked_and_the_tests_check_them():
    """The app skips plotly's property checks (a third to two thirds of a figure's build
    time); under the tests they run, so a wrong property still fails a test."""
    import plotly.graph_objects as go
    import pytest

    import playground.charts as charts

    assert charts.CHECK_FIGURES  # tests/conftest.py
    with pytest.raises(ValueError):
        charts.figure().update_layout(shapes=[{"type": "no such shape"}])
    charts.CHECK_FIGURES = False
    try:
        fig = charts.figure().update_layout(shapes=[{"type": "rect", "x0": 0, "x1": 1, "y0": 0, "y1": 1}])
        assert go.Figure(fig.to_dict()).layout.shapes[0].type == "rect"  # the same figure, checked
    finally:
        charts.CHECK_FIGURES = True


def test_an_animation_built_unchecked_is_the_checked_one():
    """The RL rollout's frames skip plotly's frame validator in the app (it checks each frame
    again even in an unchecked figure); the frames that reach the browser are the same (and
    spelled as plotly.js reads them: unchecked, plotly does not expand ``title_text``)."""
    import numpy as np

    import playground.charts as charts
    from playground.rl import algorithms, charts as rl_charts, envs

    env = envs.cliff_walking()
    ro = algorithms.rollout(env, np.random.default_rng(0).integers(0, 4, env.n_states), seed=0)
    checked = rl_charts.rollout_figure(env, ro).to_dict()
    charts.CHECK_FIGURES = False
    try:
        fast = rl_charts.rollout_figure(env, ro).to_dict()
    finally:
        charts.CHECK_FIGURES = True
    assert len(fast["frames"]) == rl_charts.ROLLOUT_FRAMES + 1
    assert fast["frames"] == checked["frames"] and fast["data"] == checked["data"]


def test_a_named_template_reaches_the_browser_as_a_template():
    """Unchecked, plotly keeps ``template="plotly_white"`` as a name that plotly.js cannot
    read; the chat-model figures pass the template itself, so both builds are the same."""
    import json

    import playground.charts as charts
    from playground.chatmodel import charts as chat_charts

    checked = chat_charts.rlhf_diagram().to_dict()
    charts.CHECK_FIGURES = False
    try:
        fast = chat_charts.rlhf_diagram().to_dict()
    finally:
        charts.CHECK_FIGURES = True
    assert isinstance(fast["layout"]["template"], dict)
    assert json.dumps(fast, sort_keys=True) == json.dumps(checked, sort_keys=True)
