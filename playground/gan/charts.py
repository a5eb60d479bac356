"""Plotly figures for the GAN page: data in, go.Figure out."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

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
    gradient arrows. surface = (xs, ys, values); arrows = (points (n, 2), push (n, 2))."""
    x0, x1, y0, y1 = bounds
    xs, ys, values = surface
    fig = go.Figure()
    # 1. D's opinion of every location: red = "generated", blue = "real"
    zmin, zmax = (0.0, 1.0) if loss != "wgan_gp" else (None, None)
    fig.add_trace(go.Heatmap(x=xs, y=ys, z=values, colorscale="RdBu", zmin=zmin, zmax=zmax,
                             opacity=0.55, colorbar=dict(title=SURFACE_TITLE[loss], len=0.8),
                             hovertemplate="D = %{z:.2f}<extra></extra>"))
    # 2. the modes' 3σ circles (mixtures only)
    if modes is not None and sigma is not None:
        for cx, cy in modes:
            fig.add_shape(type="circle", x0=cx - 3 * sigma, x1=cx + 3 * sigma,
                          y0=cy - 3 * sigma, y1=cy + 3 * sigma,
                          line=dict(color="rgba(0,0,0,0.35)", width=1, dash="dot"))
    # 3. the points
    fig.add_trace(go.Scatter(x=real[:, 0], y=real[:, 1], mode="markers", name="real",
                             marker=dict(color=REAL, size=4, opacity=0.6)))
    fig.add_trace(go.Scatter(x=fake[:, 0], y=fake[:, 1], mode="markers", name="generated",
                             marker=dict(color=FAKE, size=5, opacity=0.85,
                                         line=dict(color="white", width=0.5))))
    # 4. arrows: where each generated point is pushed by the generator's loss.
    #    Lengths are scaled so the longest is 12% of the view (directions are exact).
    pts, push = arrows
    norm = np.linalg.norm(push, axis=1)
    if len(pts) and norm.max() > 0:
        scale = 0.12 * (x1 - x0) / norm.max()
        ends = pts + push * scale
        xs_a = np.column_stack([pts[:, 0], ends[:, 0], np.full(len(pts), np.nan)]).ravel()
        ys_a = np.column_stack([pts[:, 1], ends[:, 1], np.full(len(pts), np.nan)]).ravel()
        sizes = np.tile([0, 7, 0], len(pts))
        fig.add_trace(go.Scatter(x=xs_a, y=ys_a, mode="lines+markers", name="generator push",
                                 line=dict(color=ARROW, width=1.2), hoverinfo="skip",
                                 marker=dict(symbol="arrow", angleref="previous", size=sizes,
                                             color=ARROW)))
    fig.update_xaxes(range=[x0, x1], showgrid=False, zeroline=False, constrain="domain")
    fig.update_yaxes(range=[y0, y1], showgrid=False, zeroline=False, scaleanchor="x",
                     scaleratio=1)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(orientation="h", y=1.04, x=0), plot_bgcolor="white",
                      uirevision="gan2d")
    return fig


def loss_figure(steps: list[int], d_loss: list[float], g_loss: list[float],
                height: int = 260) -> go.Figure:
    s, d, g = _downsample(steps, d_loss, g_loss)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=s, y=d, name="discriminator loss", line=dict(color="#1C7ED6", width=1)))
    fig.add_trace(go.Scatter(x=s, y=g, name="generator loss", line=dict(color=FAKE, width=1)))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), xaxis_title="step",
                      legend=dict(orientation="h", y=1.15, x=0), uirevision="loss")
    return fig


def coverage_figure(steps: list[int], coverage: list[float], quality: list[float],
                    coverage_label: str, quality_label: str, height: int = 260) -> go.Figure:
    s, c, q = _downsample(steps, coverage, quality)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=s, y=c, name=coverage_label, line=dict(color=REAL, width=2)))
    fig.add_trace(go.Scatter(x=s, y=q, name=quality_label, line=dict(color="#868E96", width=1.5,
                                                                         dash="dot")))
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), xaxis_title="step",
                      legend=dict(orientation="h", y=1.15, x=0), uirevision="coverage")
    return fig


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
    fig = go.Figure(go.Heatmap(z=mosaic, colorscale="Greys", zmin=0, zmax=1, showscale=False,
                               hovertemplate="ink %{z:.2f}<extra></extra>"))
    if captions is not None:
        for i in range(r):
            for j in range(c):
                bad = wrong is not None and bool(wrong[i, j])
                fig.add_annotation(x=j * side + 3.5, y=i * row + 8.2, text=str(captions[i, j]),
                                   showarrow=False, yanchor="top",
                                   font=dict(size=11, color="#C92A2A" if bad else "#495057"))
    fig.update_yaxes(autorange="reversed", visible=False, scaleanchor="x", scaleratio=1)
    fig.update_xaxes(visible=False)
    if row_labels is not None:
        fig.update_yaxes(visible=True, showgrid=False, zeroline=False, ticks="",
                         tickvals=[i * row + 3.5 for i in range(r)], ticktext=row_labels)
    if col_labels is not None:
        fig.update_xaxes(visible=True, showgrid=False, zeroline=False, ticks="", side="top",
                         tickvals=[j * side + 3.5 for j in range(c)], ticktext=col_labels)
    width = c * cell_px + (70 if row_labels else 20)
    fig.update_layout(height=round(r * cell_px * row / side) + (50 if col_labels else 20), width=width,
                      margin=dict(l=10, r=10, t=40 if col_labels else 10, b=10),
                      plot_bgcolor="white")
    return fig
