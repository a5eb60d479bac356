"""Plotly figures for the diffusion page: data in, ``go.Figure`` out."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.charts import figure, subplots
from playground.diffusion import schedule as sch

COLORS = {"linear": "#E4572E", "cosine": "#6C4AB6"}


def schedule_figure(t: int, selected: str = "cosine") -> go.Figure:
    """alpha_bar_t (share of the signal's variance left) and SNR_t = alpha_bar/(1-alpha_bar)
    for both schedules, with the current t marked."""
    fig = subplots(rows=1, cols=2, horizontal_spacing=0.12, subplot_titles=(
        "signal left: ᾱ_t", "signal-to-noise ratio ᾱ_t / (1 − ᾱ_t), log scale"))
    steps = np.arange(sch.T_TRAIN)
    for name in sch.SCHEDULES:
        ab = sch.alpha_bars(name)
        snr = sch.snr(ab).numpy()
        width = 3 if name == selected else 1.5
        fig.add_trace(go.Scatter(x=steps, y=ab.numpy(), name=name, legendgroup=name,
                                 line=dict(color=COLORS[name], width=width)), row=1, col=1)
        fig.add_trace(go.Scatter(x=steps, y=snr, name=name, legendgroup=name, showlegend=False,
                                 line=dict(color=COLORS[name], width=width)), row=1, col=2)
        fig.add_trace(go.Scatter(x=[t], y=[float(ab[t])], mode="markers", showlegend=False,
                                 marker=dict(color=COLORS[name], size=10)), row=1, col=1)
        fig.add_trace(go.Scatter(x=[t], y=[float(snr[t])], mode="markers", showlegend=False,
                                 marker=dict(color=COLORS[name], size=10)), row=1, col=2)
    for col in (1, 2):
        fig.add_vline(x=t, line=dict(color="grey", dash="dot"), row=1, col=col)
        fig.update_xaxes(title_text="timestep t", row=1, col=col)
    fig.add_hline(y=1.0, line=dict(color="grey", width=1, dash="dash"), row=1, col=2,
                  annotation_text="SNR = 1", annotation_position="top right")
    fig.update_yaxes(type="log", exponentformat="power", row=1, col=2)
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=40, b=10),
                      legend=dict(orientation="h", y=-0.25))
    return fig


def loss_figure(losses: list[float], title: str = "training loss (MSE of the noise prediction)",
                x_scale: int = 1) -> go.Figure:
    x = np.arange(1, len(losses) + 1) * x_scale
    fig = figure(go.Scatter(x=x, y=losses, mode="lines", line=dict(color="#6C4AB6")))
    fig.update_layout(title=title, height=240, margin=dict(l=10, r=10, t=40, b=10),
                      xaxis_title="training step", yaxis_title="loss")
    return fig


def points_figure(path: np.ndarray, data: np.ndarray, step: int, n_lines: int = 80) -> go.Figure:
    """2D reverse diffusion. path: (S+1, n, 2) from x_T (index 0) to x_0 (index S).

    Grey dots: the training data. Thin lines: the whole route of ``n_lines`` points
    from noise to their final place. Coloured dots: every point at ``step``."""
    s = path.shape[0] - 1
    step = int(np.clip(step, 0, s))
    fig = figure()
    fig.add_trace(go.Scattergl(x=data[:, 0], y=data[:, 1], mode="markers", name="training data",
                               marker=dict(color="lightgrey", size=4)))
    # one trace for all routes, separated by None gaps (fast to draw)
    k = min(n_lines, path.shape[1])
    xs, ys = [], []
    for i in range(k):
        xs.extend(path[:, i, 0].tolist() + [None])
        ys.extend(path[:, i, 1].tolist() + [None])
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=f"routes of {k} points",
                             line=dict(color="rgba(108,74,182,0.35)", width=1)))
    fig.add_trace(go.Scatter(x=path[0, :k, 0], y=path[0, :k, 1], mode="markers", name="start (noise)",
                             marker=dict(color="rgba(0,0,0,0.5)", size=4, symbol="x")))
    fig.add_trace(go.Scattergl(x=path[step, :, 0], y=path[step, :, 1], mode="markers",
                               name=f"all points after {step}/{s} steps",
                               marker=dict(color="#E4572E", size=5)))
    lim = float(np.clip(np.abs(path[[0, step, -1]]).max(), 2.0, 4.0)) * 1.05
    fig.update_xaxes(range=[-lim, lim], zeroline=False)
    fig.update_yaxes(range=[-lim, lim], scaleanchor="x", scaleratio=1, zeroline=False)
    fig.update_layout(height=520, margin=dict(l=10, r=10, t=10, b=10),
                      legend=dict(orientation="h", y=-0.08))
    return fig


def agreement_figure(scores: dict[str, list[float]], current: int | None = None) -> go.Figure:
    """Per sampler step, the share of images the digit classifier reads as the
    requested digit: one line per kind of image (x_t, predicted x0)."""
    fig = figure()
    for (name, ys), color in zip(scores.items(), ("#999999", "#6C4AB6")):
        fig.add_trace(go.Scatter(x=np.arange(1, len(ys) + 1), y=ys, mode="lines+markers", name=name,
                                 line=dict(color=color)))
    fig.add_hline(y=0.1, line=dict(color="grey", dash="dot"), annotation_text="chance (10 %)",
                  annotation_position="bottom right")
    if current is not None:
        fig.add_vline(x=current, line=dict(color="#E4572E", dash="dot"))
    fig.update_layout(height=280, margin=dict(l=10, r=10, t=40, b=10),
                      xaxis_title="sampler step", yaxis_title="read as the requested digit",
                      yaxis=dict(range=[0, 1.08], tickformat=".0%"),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom"))
    return fig
