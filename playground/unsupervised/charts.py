"""Plotly figures for the unsupervised page: data in, go.Figure out."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from playground.charts import figure
from playground.unsupervised.anomaly import Detection
from playground.unsupervised.clustering import Dendrogram, KCurve
from playground.unsupervised.kmeans import KMeansRun, KMeansStep

PALETTE = qualitative.Plotly + qualitative.D3  # 20 distinct colours
NOISE = "#B0B0B0"
_MARGIN = dict(l=10, r=10, t=40, b=10)


def colour(label: int) -> str:
    return NOISE if label < 0 else PALETTE[label % len(PALETTE)]


def _ranges(X2: np.ndarray, pad: float = 0.08) -> tuple[list[float], list[float]]:
    lo, hi = X2.min(axis=0), X2.max(axis=0)
    span = np.maximum(hi - lo, 1e-9)
    return ([lo[0] - pad * span[0], hi[0] + pad * span[0]],
            [lo[1] - pad * span[1], hi[1] + pad * span[1]])


def _square(fig: go.Figure, X2: np.ndarray, height: int = 460) -> go.Figure:
    xr, yr = _ranges(X2)
    fig.update_xaxes(range=xr, zeroline=False)
    fig.update_yaxes(range=yr, zeroline=False)
    fig.update_layout(height=height, margin=_MARGIN, legend=dict(itemsizing="constant"))
    return fig


def _ellipse(mean: np.ndarray, cov: np.ndarray, n_std: float = 2.0, n: int = 60) -> np.ndarray:
    """Points (n, 2) on the n_std ellipse of a 2-D Gaussian: mean + n_std * V sqrt(L) u."""
    vals, vecs = np.linalg.eigh(cov)
    t = np.linspace(0, 2 * np.pi, n)
    circle = np.stack([np.cos(t), np.sin(t)])  # (2, n)
    return (mean[:, None] + n_std * vecs @ (np.sqrt(np.maximum(vals, 0))[:, None] * circle)).T


def cluster_figure(X2: np.ndarray, labels: np.ndarray, title: str, *,
                   centres2: np.ndarray | None = None, covariances2: np.ndarray | None = None,
                   hover: Sequence[str] | None = None) -> go.Figure:
    """Points coloured by cluster (grey = noise), optional centres (x) and 2-sigma ellipses."""
    fig = figure()
    for lab in sorted(set(labels.tolist())):
        m = labels == lab
        name = "noise" if lab < 0 else f"cluster {lab + 1}"
        fig.add_trace(go.Scattergl(
            x=X2[m, 0], y=X2[m, 1], mode="markers", name=name,
            marker=dict(size=6, color=colour(lab), line=dict(width=0)),
            text=None if hover is None else np.asarray(hover)[m],
            hovertemplate=f"{name}<br>%{{text}}<extra></extra>" if hover is not None
            else f"{name}<extra></extra>"))
    if covariances2 is not None and centres2 is not None:
        for j, (mu, cov) in enumerate(zip(centres2, covariances2)):
            pts = _ellipse(mu, cov)
            fig.add_trace(go.Scatter(x=pts[:, 0], y=pts[:, 1], mode="lines", showlegend=False,
                                     line=dict(color=colour(j), width=2), hoverinfo="skip"))
    if centres2 is not None:
        fig.add_trace(go.Scatter(x=centres2[:, 0], y=centres2[:, 1], mode="markers", name="centres",
                                 marker=dict(symbol="x", size=14, color="black",
                                             line=dict(width=2, color="white"))))
    fig.update_layout(title=title)
    return _square(fig, X2)


def kmeans_step_figure(X2: np.ndarray, step: KMeansStep, centres2: np.ndarray,
                       previous2: np.ndarray | None, title: str) -> go.Figure:
    """One k-means step: points in their current cluster colour (grey before the first
    assign), centres as crosses, and at an update step an arrow from each old centre to
    its new place. X2 (n, 2), centres2 / previous2 (k, 2) already in plot coordinates."""
    fig = figure()
    if step.labels is None:
        fig.add_trace(go.Scattergl(x=X2[:, 0], y=X2[:, 1], mode="markers", name="not assigned",
                                   marker=dict(size=6, color=NOISE)))
    else:
        for lab in range(len(centres2)):
            m = step.labels == lab
            fig.add_trace(go.Scattergl(x=X2[m, 0], y=X2[m, 1], mode="markers",
                                       name=f"cluster {lab + 1}",
                                       marker=dict(size=6, color=colour(lab), opacity=0.75)))
    if step.phase == "update" and previous2 is not None:
        for j, (a, b) in enumerate(zip(previous2, centres2)):
            fig.add_annotation(x=b[0], y=b[1], ax=a[0], ay=a[1], xref="x", yref="y", axref="x",
                               ayref="y", showarrow=True, arrowhead=2, arrowwidth=2,
                               arrowcolor="black", text="")
    fig.add_trace(go.Scatter(
        x=centres2[:, 0], y=centres2[:, 1], mode="markers", name="centres",
        marker=dict(symbol="x", size=16, line=dict(width=2, color="black"),
                    color=[colour(j) for j in range(len(centres2))])))
    fig.update_layout(title=title)
    return _square(fig, np.vstack([X2, centres2]))


def inertia_figure(run: KMeansRun, current: int) -> go.Figure:
    """Inertia after every step (it never goes up); the current step is ringed."""
    xs = [i for i, s in enumerate(run.steps) if s.inertia is not None]
    ys = [run.steps[i].inertia for i in xs]
    symbols = ["circle" if run.steps[i].phase == "assign" else "square" for i in xs]
    fig = figure(go.Scatter(x=xs, y=ys, mode="lines+markers", marker=dict(symbol=symbols),
                               name="inertia", hovertemplate="step %{x}: %{y:.2f}<extra></extra>"))
    if run.steps[current].inertia is not None:
        fig.add_trace(go.Scatter(x=[current], y=[run.steps[current].inertia], mode="markers",
                                 marker=dict(size=16, color="rgba(0,0,0,0)",
                                             line=dict(width=2, color="red")), name="this step"))
    fig.update_layout(height=260, margin=_MARGIN, title="Inertia (sum of squared distances)",
                      xaxis_title="step (circle = assign, square = update)", showlegend=False,
                      xaxis=dict(dtick=1 if len(run.steps) <= 20 else None))
    return fig


def dendrogram_figure(d: Dendrogram, k: int) -> go.Figure:
    """scipy's dendrogram drawn with plotly: every merge a ⊓, coloured by the cluster it
    ends up in below the cut; the dashed line is the cut that leaves k clusters."""
    names = sorted({c for c in d.colours if c != "grey"},
                   key=lambda c: int(c[1:]) if c[1:].isdigit() else 0)
    mapping = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(names)}
    mapping["grey"] = "#888888"
    fig = figure()
    for xs, ys, c in zip(d.icoord, d.dcoord, d.colours):
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines",
                                 line=dict(color=mapping.get(c, "#888888"), width=1.5),
                                 hoverinfo="skip", showlegend=False))
    fig.add_hline(y=d.cut_height, line=dict(dash="dash", color="red"),
                  annotation_text=f"cut: {k} clusters", annotation_position="top right")
    ticks = 5 + 10 * np.arange(len(d.leaf_labels))  # scipy puts leaf i at x = 5 + 10 i
    fig.update_xaxes(tickvals=ticks, ticktext=d.leaf_labels, tickangle=-90, tickfont=dict(size=9))
    fig.update_layout(height=360, margin=_MARGIN, yaxis_title="merge height (distance)",
                      title="Dendrogram (last merges; (n) = n points folded together)")
    return fig


def k_curve_figure(curve: KCurve, true_k: int | None = None) -> go.Figure:
    """Inertia and silhouette against k, side by side, with the elbow and the best
    silhouette ringed. (Two axes laid out by hand: make_subplots costs ~80 ms a rerun.)"""
    ring = dict(size=16, symbol="circle-open", color="red", line=dict(width=3))
    e = int(np.where(curve.ks == curve.elbow_k)[0][0])
    b = int(np.where(curve.ks == curve.best_silhouette_k)[0][0])
    data = [
        go.Scatter(x=curve.ks, y=curve.inertia, mode="lines+markers", name="inertia"),
        go.Scatter(x=[curve.elbow_k], y=[curve.inertia[e]], mode="markers", marker=ring,
                   name="elbow"),
        go.Scatter(x=curve.ks[1:], y=curve.silhouette[1:], mode="lines+markers",
                   name="silhouette", xaxis="x2", yaxis="y2"),
        go.Scatter(x=[curve.best_silhouette_k], y=[curve.silhouette[b]], mode="markers",
                   marker=ring, name="best", xaxis="x2", yaxis="y2"),
    ]
    shapes = [] if true_k is None else [
        dict(type="line", xref=x, yref=f"{y} domain", x0=true_k, x1=true_k, y0=0, y1=1,
             line=dict(dash="dot", color="grey")) for x, y in (("x", "y"), ("x2", "y2"))]
    title = dict(showarrow=False, xanchor="center", yanchor="bottom", yref="paper", y=1.0,
                 xref="paper", font=dict(size=14))
    layout = go.Layout(
        xaxis=dict(domain=[0, 0.45], title="k", dtick=1),
        yaxis=dict(title="inertia"),
        xaxis2=dict(domain=[0.55, 1], title="k", dtick=1, anchor="y2"),
        yaxis2=dict(anchor="x2", title="silhouette"),
        annotations=[dict(title, x=0.225,
                          text=f"Elbow: inertia vs k (bends at k = {curve.elbow_k})"),
                     dict(title, x=0.775,
                          text=f"Silhouette vs k (highest at k = {curve.best_silhouette_k})")],
        shapes=shapes, height=320, margin=dict(l=10, r=10, t=40, b=10), showlegend=False)
    return figure(data=data, layout=layout)


def digit_grid_figure(images: np.ndarray, titles: Sequence[str], cols: int = 10,
                      height_per_row: int = 110) -> go.Figure:
    """Small 8x8 images side by side (e.g. the cluster centres of the digits), one heatmap
    per image on its own pair of axes, laid out by hand (make_subplots is slow)."""
    m = len(images)
    rows = max(int(np.ceil(m / cols)), 1)
    gap_x, gap_y = 0.01, 0.12 / rows
    w = (1 - gap_x * (cols - 1)) / cols
    h = (1 - gap_y * (rows - 1)) / rows
    data, layout, notes = [], {}, []
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        n = "" if i == 0 else str(i + 1)
        x0, y1 = c * (w + gap_x), 1 - r * (h + gap_y)
        data.append(go.Heatmap(z=img[::-1], colorscale="Greys", showscale=False, zmin=0, zmax=1,
                               xaxis=f"x{n}", yaxis=f"y{n}",
                               hovertemplate="%{z:.2f}<extra></extra>"))
        layout[f"xaxis{n}"] = dict(domain=[x0, x0 + w], visible=False, anchor=f"y{n}")
        layout[f"yaxis{n}"] = dict(domain=[y1 - h, y1], visible=False, anchor=f"x{n}",
                                   scaleanchor=f"x{n}", constrain="domain")
        notes.append(dict(text=titles[i], x=x0 + w / 2, y=y1, xref="paper", yref="paper",
                          xanchor="center", yanchor="bottom", showarrow=False,
                          font=dict(size=11)))
    return figure(data=data, layout=go.Layout(
        **layout, annotations=notes, height=height_per_row * rows + 30,
        margin=dict(l=0, r=0, t=30, b=0)))


def contingency_figure(counts: np.ndarray, row_names: Sequence[str],
                       col_names: Sequence[str], title: str) -> go.Figure:
    """How many points of each true group (rows) landed in each cluster (columns)."""
    fig = figure(go.Heatmap(z=counts, x=list(col_names), y=list(row_names), colorscale="Blues",
                               text=counts, texttemplate="%{text}", showscale=False,
                               hovertemplate="%{y} -> %{x}: %{z}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category")
    fig.update_layout(height=max(260, 30 * len(row_names) + 80), margin=_MARGIN, title=title)
    return fig


def embedding_figure(E: np.ndarray, digits: np.ndarray, index: np.ndarray, title: str,
                     selected: int | None = None) -> go.Figure:
    """A 2-D map of the digits, one colour per true digit (the method never saw them).
    customdata = [image index, digit] so a selected point names its image."""
    fig = figure()
    for dgt in range(10):
        m = digits == dgt
        fig.add_trace(go.Scatter(
            x=E[m, 0], y=E[m, 1], mode="markers", name=str(dgt),
            marker=dict(size=6, color=PALETTE[dgt]),
            customdata=np.c_[index[m], digits[m]],
            hovertemplate="digit %{customdata[1]} (image #%{customdata[0]})<extra></extra>"))
    if selected is not None and selected in set(index.tolist()):
        i = int(np.where(index == selected)[0][0])
        fig.add_trace(go.Scatter(x=[E[i, 0]], y=[E[i, 1]], mode="markers", name="shown",
                                 marker=dict(size=18, color="rgba(0,0,0,0)",
                                             line=dict(width=3, color="black")),
                                 hoverinfo="skip"))
    fig.update_layout(title=title, legend_title_text="true digit")
    return _square(fig, E, height=520)


def digit_figure(images: Sequence[np.ndarray], titles: Sequence[str]) -> go.Figure:
    """One or two digits as 8x8 heatmaps (original beside its reconstruction)."""
    return digit_grid_figure(np.asarray(images), titles, cols=len(images), height_per_row=230)


def explained_variance_figure(ratio: np.ndarray, n_show: int = 30) -> go.Figure:
    """Share of variance per principal component (bars, left axis) and running total
    (line, right axis)."""
    n = min(n_show, len(ratio))
    ks = np.arange(1, n + 1)
    cum = np.cumsum(ratio)[:n]
    return figure(
        data=[go.Bar(x=ks, y=ratio[:n], name="per component",
                     hovertemplate="component %{x}: %{y:.1%}<extra></extra>"),
              go.Scatter(x=ks, y=cum, mode="lines+markers", name="cumulative", yaxis="y2",
                         hovertemplate="first %{x}: %{y:.1%}<extra></extra>")],
        layout=go.Layout(
            xaxis=dict(title="principal component"),
            yaxis=dict(title="per component", tickformat=".0%"),
            yaxis2=dict(title="cumulative", tickformat=".0%", range=[0, 1.02], dtick=0.25,
                        overlaying="y", side="right", showgrid=False),
            height=330, margin=_MARGIN, title="Explained variance",
            legend=dict(orientation="h", y=-0.25)))


def anomaly_figure(X: np.ndarray, flags: np.ndarray, truth: np.ndarray,
                   grid: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
                   threshold: float | None, title: str) -> go.Figure:
    """Background: the detector's normality score (darker = more anomalous), the line
    where the flag threshold lies; points by outcome against the injected outliers."""
    fig = figure()
    if grid is not None:
        xs, ys, Z = grid
        fig.add_trace(go.Contour(x=xs, y=ys, z=Z, colorscale="Purples", reversescale=True,
                                 showscale=False, opacity=0.55, contours=dict(showlines=False),
                                 hoverinfo="skip", ncontours=15))
        if threshold is not None:  # one contour line, at the threshold
            fig.add_trace(go.Contour(x=xs, y=ys, z=Z, showscale=False, hoverinfo="skip",
                                     contours=dict(coloring="none", start=threshold,
                                                   end=threshold, size=1.0),
                                     line=dict(color="red", width=2, dash="dash"),
                                     name="flag threshold", showlegend=True))
    groups = (
        ("normal, not flagged", ~flags & ~truth, dict(size=5, color="#4C78A8", opacity=0.6)),
        ("flagged: injected outlier (hit)", flags & truth,
         dict(size=11, color="#D62728", symbol="circle", line=dict(width=1, color="black"))),
        ("flagged: normal point (false alarm)", flags & ~truth,
         dict(size=10, color="#FF9F1C", symbol="diamond", line=dict(width=1, color="black"))),
        ("injected outlier, missed", ~flags & truth,
         dict(size=11, color="#D62728", symbol="x-open", line=dict(width=2))),
    )
    for name, m, marker in groups:
        fig.add_trace(go.Scatter(x=X[m, 0], y=X[m, 1], mode="markers",
                                 name=f"{name} ({int(m.sum())})",
                                 marker=marker, hovertemplate=f"{name}<extra></extra>"))
    fig.update_layout(title=title, legend=dict(orientation="h", y=-0.12))
    return _square(fig, X, height=520)


def sweep_figure(contaminations: np.ndarray, detections: list[Detection],
                 current: float) -> go.Figure:
    """Precision and recall against the contamination setting."""
    fig = figure()
    fig.add_trace(go.Scatter(x=contaminations, y=[d.precision for d in detections],
                             mode="lines", name="precision", line=dict(color="#1F77B4")))
    fig.add_trace(go.Scatter(x=contaminations, y=[d.recall for d in detections],
                             mode="lines", name="recall", line=dict(color="#FF7F0E")))
    fig.add_vline(x=current, line=dict(dash="dash", color="grey"))
    fig.update_xaxes(title_text="contamination (share of points flagged)", tickformat=".0%")
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%")
    fig.update_layout(height=300, margin=_MARGIN, title="Precision and recall vs contamination",
                      legend=dict(orientation="h", y=-0.3))
    return fig


def profile_figure(P: np.ndarray, products: Sequence[str], group_names: Sequence[str],
                   title: str) -> go.Figure:
    """Heatmap: share of each group's customers (rows) that bought each product (columns)."""
    fig = figure(go.Heatmap(z=P, x=list(products), y=list(group_names), colorscale="Greens",
                               zmin=0, zmax=1, texttemplate="%{z:.0%}", textfont=dict(size=9),
                               hovertemplate="%{y}: %{z:.0%} bought %{x}<extra></extra>",
                               colorbar=dict(tickformat=".0%")))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(tickangle=-45)
    fig.update_layout(height=120 + 40 * len(group_names), margin=_MARGIN, title=title)
    return fig
