"""Plotly figure builders shared by several pages: data in, go.Figure out."""

from __future__ import annotations

import plotly.graph_objects as go

# Plotly checks every property as it is set. For a figure of many shapes or frames that is
# most of its build time, and figures are most of a rerun: the RL page's Q-table figure is
# built in 41 ms checked, 12 ms unchecked (benchmarks/bench_reruns.py measures whole pages).
# Pages build their figures with figure(), unchecked; tests/conftest.py sets CHECK_FIGURES,
# so every figure a unit or AppTest test builds is checked and a wrong property fails there.
# The browser tests run real servers, which build them unchecked as a class server does.
CHECK_FIGURES = False


def figure(*args, frames=None, **kwargs) -> go.Figure:
    """``go.Figure(...)``, checked only under the tests (see CHECK_FIGURES).

    Animation ``frames`` are attached as built: plotly copies and checks every frame even in
    an unchecked figure (its frames validator takes no ``_validate``), which was 90 % of
    building the RL page's 100-frame rollout (0.35 s -> 0.03 s). Build them with
    ``unchecked(go.Frame, ...)``."""
    fig = go.Figure(*args, _validate=CHECK_FIGURES, **kwargs)
    if frames is not None:
        if CHECK_FIGURES:
            fig.frames = frames
        else:
            fig._frame_objs = tuple(frames)  # what the frames setter stores, minus the copies
    return fig


def subplots(**kwargs) -> go.Figure:
    """``make_subplots(...)`` into a figure from figure(): unchecked in the app, so the traces
    and lines added to it are not checked again."""
    from plotly.subplots import make_subplots

    return make_subplots(figure=figure(), **kwargs)


def unchecked(cls, **kwargs):
    """A plotly object (``go.Scatter``, ``go.Frame``...), checked only under the tests. Traces
    added to an unchecked figure are not checked again, but their constructor checks them."""
    return cls(_validate=CHECK_FIGURES, **kwargs)

# (label, examples, colour) from the outside in
_NESTING = (
    ("Artificial intelligence", "search, planning, rules, games", "#E8E1F7"),
    ("Machine learning", "trees, k-means, Q-learning", "#CDBFF0"),
    ("Deep learning", "neural networks, many layers", "#A992E2"),
    ("Generative AI", "LLMs, GANs, diffusion", "#6C4AB6"),
)


def ai_nesting_figure() -> go.Figure:
    """AI ⊃ machine learning ⊃ deep learning ⊃ generative AI, as nested shapes."""
    shapes, notes = [], []  # one list each: add_shape / add_annotation check and copy per call
    for depth, (label, examples, colour) in enumerate(_NESTING):
        x0, x1 = depth * 0.1, 1 - depth * 0.1
        y0, y1 = depth * 0.04, 1 - depth * 0.15  # room above each box for its label
        shapes.append(dict(type="rect", x0=x0, y0=y0, x1=x1, y1=y1, fillcolor=colour,
                           line=dict(color="#4B2F8F", width=1), layer="below"))
        text_colour = "white" if depth == len(_NESTING) - 1 else "#2D1B5A"
        notes.append(dict(x=0.5, y=y1 - 0.045, text=f"<b>{label}</b>", showarrow=False,
                          font=dict(size=15, color=text_colour)))
        notes.append(dict(x=0.5, y=y1 - 0.085, text=examples, showarrow=False,
                          font=dict(size=11, color=text_colour)))
    fig = figure().update_layout(shapes=shapes, annotations=notes)
    fig.update_xaxes(visible=False, range=[0, 1])
    fig.update_yaxes(visible=False, range=[0, 1])
    fig.update_layout(height=340, margin=dict(l=0, r=0, t=0, b=0),
                      plot_bgcolor="rgba(0,0,0,0)", paper_bgcolor="rgba(0,0,0,0)")
    return fig
