"""Plotly figures for the GAN page: data in, go.Figure out."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from playground.charts import figure

if TYPE_CHECKING:
    from playground.gan.toy2d import Toy2DGAN

REAL = "#2E8B57"  # real points: green
FAKE = "#6C4AB6"  # generated points: the theme's purple
ARROW = "#D9480F"
SURFACE_TITLE = {
    "nonsaturating": "D(x) = P(real)",
    "least_squares": "D(x): 1 real, 0 fake",
    "wgan_gp": "critic score",
}


def _downsample(steps: list[int], *series: list[float], limit: int = 1500):
    """Every k-th point so a long history stays light to send to the browser."""
    k = max(1, len(steps) // limit)
    return [np.asarray(s)[::k] for s in (steps, *series)]


def gan_2d_figure(real: np.ndarray, fake: np.ndarray, surface: tuple, arrows: tuple,
                  bounds: tuple[float, float, float, float], loss: str,
                  modes: np.ndarray | None = None, sigma: float | None = None,
                  height: int = 520) -> go.Figure:
    """Real vs generated points over D's decision surface, with the generator's
    gradient arrows. surface = (xs, ys, values); arrows = (points (n, 2), push (n, 2)).

    Built in one go (traces and layout as plain dicts): the page redraws it several
    times a second while training, and plotly's per-call validation adds up."""
    x0, x1, y0, y1 = bounds
    xs, ys, values = surface
    # 1. D's opinion of every location: red = "generated", blue = "real"
    zrange = dict(zmin=0.0, zmax=1.0) if loss != "wgan_gp" else {}
    traces = [go.Heatmap(x=xs, y=ys, z=values, colorscale="RdBu", opacity=0.55, **zrange,
                         colorbar=dict(title=dict(text=SURFACE_TITLE[loss]), len=0.8),
                         hovertemplate="D = %{z:.2f}<extra></extra>"),
              # 2. the points
              go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", name="real",
                         marker=dict(color=REAL, size=4, opacity=0.6)),
              go.Scatter(x=fake[:, 0], y=fake[:, 1], mode="markers", name="generated",
                         marker=dict(color=FAKE, size=5, opacity=0.85,
                                     line=dict(color="white", width=0.5)))]
    # 3. arrows: where each generated point is pushed by the generator's loss.
    #    Lengths are scaled so the longest is 12% of the view (directions are exact).
    pts, push = arrows
    norm = np.linalg.norm(push, axis=1)
    if len(pts) and norm.max() > 0:
        ends = pts + push * (0.12 * (x1 - x0) / norm.max())
        nan = np.full(len(pts), np.nan)
        traces.append(go.Scatter(
            x=np.column_stack([pts[:, 0], ends[:, 0], nan]).ravel(),
            y=np.column_stack([pts[:, 1], ends[:, 1], nan]).ravel(),
            mode="lines+markers", name="generator push", line=dict(color=ARROW, width=1.2),
            hoverinfo="skip", marker=dict(symbol="arrow", angleref="previous", color=ARROW,
                                          size=np.tile([0, 7, 0], len(pts)))))
    # 4. the modes' 3σ circles (mixtures only)
    shapes = []
    if modes is not None and sigma is not None:
        shapes = [dict(type="circle", x0=cx - 3 * sigma, x1=cx + 3 * sigma, y0=cy - 3 * sigma,
                       y1=cy + 3 * sigma, line=dict(color="rgba(0,0,0,0.35)", width=1, dash="dot"))
                  for cx, cy in modes]
    layout = dict(
        # an explicit width: Streamlit hides a freshly mounted chart until it knows its
        # width, and every frame of a live chart is freshly mounted (the page stretches
        # it to the column's width anyway)
        width=560, height=height, margin=dict(l=10, r=10, t=30, b=10), shapes=shapes,
        legend=dict(orientation="h", y=1.04, x=0), plot_bgcolor="white", uirevision="gan2d",
        xaxis=dict(range=[x0, x1], showgrid=False, zeroline=False, constrain="domain"),
        yaxis=dict(range=[y0, y1], showgrid=False, zeroline=False, scaleanchor="x", scaleratio=1))
    return figure(data=traces, layout=layout)


def _history_layout(height: int, **extra) -> dict:
    # an explicit width for the same reason as in gan_2d_figure
    return dict(width=360, height=height, margin=dict(l=10, r=10, t=50, b=10),
                xaxis=dict(title=dict(text="step")), legend=dict(orientation="h", y=1.02, x=0,
                                                                 yanchor="bottom"),
                **extra)


def live_points_figure(gan: Toy2DGAN) -> go.Figure:
    """One frame of the live 2D GAN as the page shows it: 400 real points, the 512
    generated ones, D on a 50 x 50 grid and 96 push arrows."""
    real = gan.data.points[:: max(1, len(gan.data.points) // 400)]
    return gan_2d_figure(real, gan.sample(), gan.decision_grid(50), gan.generator_push(96),
                         gan.bounds(), gan.config.loss, gan.data.modes, gan.data.sigma)


def live_history_figures(gan: Toy2DGAN) -> tuple[go.Figure, go.Figure]:
    """The loss curves and the coverage curves of a GAN's history."""
    cov, h = gan.last_coverage, gan.history
    return (loss_figure(h.step, h.d_loss, h.g_loss),
            coverage_figure(h.eval_step, h.coverage, h.quality, cov.coverage_label,
                            cov.quality_label))


def loss_figure(steps: list[int], d_loss: list[float], g_loss: list[float],
                height: int = 260) -> go.Figure:
    s, d, g = _downsample(steps, d_loss, g_loss)
    return figure(
        data=[go.Scatter(x=s, y=d, name="discriminator loss", line=dict(color="#1C7ED6", width=1)),
              go.Scatter(x=s, y=g, name="generator loss", line=dict(color=FAKE, width=1))],
        layout=_history_layout(height, uirevision="loss"))


def coverage_figure(steps: list[int], coverage: list[float], quality: list[float],
                    coverage_label: str, quality_label: str, height: int = 260) -> go.Figure:
    s, c, q = _downsample(steps, coverage, quality)
    return figure(
        data=[go.Scatter(x=s, y=c, name=coverage_label, line=dict(color=REAL, width=2)),
              go.Scatter(x=s, y=q, name=quality_label, line=dict(color="#868E96", width=1.5,
                                                                 dash="dot"))],
        layout=_history_layout(height, uirevision="coverage",
                               yaxis=dict(range=[0, 1.02], tickformat=".0%")))


def digits_figure(images: np.ndarray, row_labels: list[str] | None = None,
                  col_labels: list[str] | None = None, captions: np.ndarray | None = None,
                  wrong: np.ndarray | None = None, cell_px: int = 56) -> go.Figure:
    """A grid of 8x8 images (R, C, 8, 8) in [0, 1], drawn as ink on paper.

    captions (R, C) are written under each image; where wrong (R, C) is True the
    caption is red (the classifier disagrees with the requested class)."""
    r, c = images.shape[:2]
    side = 10  # 8 pixels and a gap of 2
    row = 8 + (5 if captions is not None else 2)  # room for a caption under each image
    mosaic = np.full((r * row, c * side), np.nan)
    for i in range(r):
        for j in range(c):
            mosaic[i * row:i * row + 8, j * side:j * side + 8] = images[i, j]
    # one layout dict, not add_annotation per image: plotly validates every call
    annotations = []
    if captions is not None:
        for i in range(r):
            for j in range(c):
                bad = wrong is not None and bool(wrong[i, j])
                annotations.append(dict(x=j * side + 3.5, y=i * row + 8.2, text=str(captions[i, j]),
                                        showarrow=False, yanchor="top",
                                        font=dict(size=11, color="#C92A2A" if bad else "#495057")))
    xaxis = dict(visible=False)
    yaxis = dict(autorange="reversed", visible=False, scaleanchor="x", scaleratio=1)
    if row_labels is not None:
        yaxis.update(visible=True, showgrid=False, zeroline=False, ticks="",
                     tickvals=[i * row + 3.5 for i in range(r)], ticktext=row_labels)
    if col_labels is not None:
        xaxis.update(visible=True, showgrid=False, zeroline=False, ticks="", side="top",
                     tickvals=[j * side + 3.5 for j in range(c)], ticktext=col_labels)
    layout = dict(xaxis=xaxis, yaxis=yaxis, annotations=annotations, plot_bgcolor="white",
                  height=round(r * cell_px * row / side) + (50 if col_labels else 20),
                  width=c * cell_px + (70 if row_labels else 20),
                  margin=dict(l=10, r=10, t=40 if col_labels else 10, b=10))
    fig = figure(data=[go.Heatmap(z=mosaic, colorscale="Greys", zmin=0, zmax=1, showscale=False,
                                     hovertemplate="ink %{z:.2f}<extra></extra>")],
                    layout=layout)
    return fig
