"""Plotly figures for the supervised-learning page: data in, go.Figure out.

The boundary figure's first trace is a Heatmap whose ``z`` is exactly the
model's predicted class on the grid (x = plane.xs, y = plane.ys), so a test can
compare the picture with ``model.predict`` point by point.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from playground.charts import figure, subplots
from playground.supervised.data import Dataset, Split
from playground.supervised.learn import ClassifyResult, Curve, Plane
from playground.supervised.regression import RegressionData, RegressionFit

PALETTE = qualitative.Plotly + qualitative.Dark24  # class i -> PALETTE[i]
TRAIN, TEST = "#1f77b4", "#ff7f0e"


def _hex_to_rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i:i + 2], 16) for i in (0, 2, 4))


def _light(colour: str, strength: float = 0.35) -> str:
    """The colour mixed with white: strength 1 = the colour, 0 = white."""
    r, g, b = (round(255 - strength * (255 - c)) for c in _hex_to_rgb(colour))
    return f"rgb({r},{g},{b})"


def class_colorscale(k: int) -> list:
    """Stepwise colour scale: value i in [i - 0.5, i + 0.5] -> light colour of class i
    (with zmin = -0.5, zmax = k - 0.5)."""
    scale = []
    for i in range(k):
        colour = _light(PALETTE[i % len(PALETTE)])
        scale += [[i / k, colour], [(i + 1) / k, colour]]
    return scale


def _boundary_traces(plane: Plane, dataset: Dataset, split: Split, *, legend: bool,
                     marker_size: int = 8, mark_errors: bool = True) -> list:
    k = dataset.n_classes
    traces = [go.Heatmap(
        x=plane.xs, y=plane.ys, z=plane.Z, zmin=-0.5, zmax=k - 0.5,
        colorscale=class_colorscale(k), showscale=False, zsmooth=False,
        hovertemplate=f"{plane.xlabel}=%{{x:.2f}}<br>{plane.ylabel}=%{{y:.2f}}<br>"
                      "predicted class index %{z}<extra></extra>")]
    y = dataset.y
    for part, rows, symbol, outline in (("train", split.train, "circle", "white"),
                                        ("test", split.test, "diamond", "black")):
        for c in range(k):
            idx = rows[y[rows] == c]
            if not len(idx):
                continue
            traces.append(go.Scatter(
                x=plane.points[idx, 0], y=plane.points[idx, 1], mode="markers",
                name=f"{dataset.class_names[c]} · {part}", legendgroup=f"{part}{c}",
                showlegend=legend,
                marker=dict(symbol=symbol, size=marker_size, color=PALETTE[c % len(PALETTE)],
                            line=dict(color=outline, width=1)),
                hovertemplate=f"{part}: {dataset.class_names[c]}<extra></extra>"))
    if mark_errors and plane.train_pred is not None:
        wrong = np.r_[split.train[plane.train_pred != y[split.train]],
                      split.test[plane.test_pred != y[split.test]]]
        if len(wrong):
            traces.append(go.Scatter(
                x=plane.points[wrong, 0], y=plane.points[wrong, 1], mode="markers",
                name="misclassified", showlegend=legend,
                marker=dict(symbol="circle-open", size=marker_size + 8, color="black",
                            line=dict(width=2)),
                hoverinfo="skip"))
    return traces


def boundary_figure(result: ClassifyResult, dataset: Dataset, split: Split,
                    height: int = 520, compact: bool = False) -> go.Figure:
    """Coloured background = predicted class; circles = train, diamonds = test;
    a black ring = a point the drawn model gets wrong. ``compact``: a short
    title and the legend under the plot, for a narrow column."""
    plane = result.plane
    fig = figure(_boundary_traces(plane, dataset, split, legend=True))
    if plane.projected:
        ev = plane.explained
        title = (f"{result.model_name} refit on the 2-D PCA projection: train "
                 f"{plane.train_accuracy:.0%}, test {plane.test_accuracy:.0%}")
        xlabel = f"PC1 ({ev[0]:.0%} of the variance)"
        ylabel = f"PC2 ({ev[1]:.0%} of the variance)"
    else:
        m = result.metrics
        title = f"{result.model_name}: train {m.train_accuracy:.0%}, test {m.accuracy:.0%}"
        xlabel, ylabel = plane.xlabel, plane.ylabel
    if compact:
        title = title.split(": ", 1)[1] if not plane.projected else "refit on 2-D PCA: " + \
            title.split(": ", 1)[1]
        legend = dict(orientation="h", y=-0.27, yanchor="top", font=dict(size=10))
    else:
        legend = dict(orientation="v", x=1.02, y=1)
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=50, b=10),
                      legend=legend, plot_bgcolor="white")
    fig.update_xaxes(title=xlabel, range=[plane.xs[0], plane.xs[-1]], showgrid=False)
    fig.update_yaxes(title=ylabel, range=[plane.ys[0], plane.ys[-1]], showgrid=False)
    return fig


def confusion_figure(confusion: np.ndarray, class_names: tuple[str, ...]) -> go.Figure:
    """Rows: the true class; columns: the predicted class; the diagonal is right."""
    names = [str(c) for c in class_names]
    fig = figure(go.Heatmap(
        z=confusion, x=names, y=names, colorscale="Purples", showscale=False,
        texttemplate="%{z}", hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>"))
    fig.update_layout(title="Confusion matrix (test rows)", height=360,
                      margin=dict(l=10, r=10, t=50, b=10))
    fig.update_xaxes(title="predicted", type="category")
    fig.update_yaxes(title="true", type="category", autorange="reversed")
    return fig


def roc_figure(fpr: np.ndarray, tpr: np.ndarray, auc: float) -> go.Figure:
    """True-positive rate against false-positive rate as the threshold moves."""
    fig = figure([
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance",
                   line=dict(dash="dash", color="grey")),
        go.Scatter(x=fpr, y=tpr, mode="lines", name=f"model (AUC {auc:.3f})",
                   line=dict(color="#6C4AB6", width=3), line_shape="hv")])
    fig.update_layout(title=f"ROC curve (test rows), AUC = {auc:.3f}", height=360,
                      margin=dict(l=10, r=10, t=50, b=10), legend=dict(x=0.45, y=0.1))
    fig.update_xaxes(title="false-positive rate", range=[0, 1])
    fig.update_yaxes(title="true-positive rate", range=[0, 1.02])
    return fig


def compare_figure(results: list[ClassifyResult], dataset: Dataset, split: Split,
                   cols: int = 4) -> go.Figure:
    """scikit-learn's classifier comparison: the data, then every model's boundary
    on it, titled with test accuracy (on all features)."""
    rows = int(np.ceil((len(results) + 1) / cols))
    titles = ["the data"] + [f"{r.model_name}<br>test {r.metrics.accuracy:.0%}" for r in results]
    fig = subplots(rows=rows, cols=cols, subplot_titles=titles,
                   horizontal_spacing=0.02, vertical_spacing=0.09)
    first = results[0].plane
    for trace in _boundary_traces(first, dataset, split, legend=False, marker_size=5,
                                  mark_errors=False)[1:]:
        fig.add_trace(trace, row=1, col=1)
    for i, result in enumerate(results, start=1):
        for trace in _boundary_traces(result.plane, dataset, split, legend=False,
                                      marker_size=5, mark_errors=False):
            fig.add_trace(trace, row=i // cols + 1, col=i % cols + 1)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False,
                     range=[first.xs[0], first.xs[-1]])
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False,
                     range=[first.ys[0], first.ys[-1]])
    fig.update_layout(height=290 * rows, margin=dict(l=5, r=5, t=50, b=5), plot_bgcolor="white")
    fig.update_annotations(font_size=13)
    return fig


def curve_figure(curve: Curve, title: str, current: float | None = None,
                 flexible_right: bool | None = None, y_range: list | None = None) -> go.Figure:
    """Train and test score against x, with a ±1 std band when several splits
    were averaged, and a dotted line at the current setting. ``flexible_right``:
    True/False for a complexity axis (False reverses it, so that more flexible
    is always to the right), None for any other axis."""
    fig = figure()
    for name, mean, std, colour in (("train", curve.train_mean, curve.train_std, TRAIN),
                                    ("test", curve.test_mean, curve.test_std, TEST)):
        if np.any(std > 0):
            r, g, b = _hex_to_rgb(colour)
            fig.add_trace(go.Scatter(
                x=np.r_[curve.x, curve.x[::-1]], y=np.r_[mean + std, (mean - std)[::-1]],
                fill="toself", fillcolor=f"rgba({r},{g},{b},0.15)", line=dict(width=0),
                hoverinfo="skip", showlegend=False))
        fig.add_trace(go.Scatter(x=curve.x, y=mean, mode="lines+markers", name=name,
                                 line=dict(color=colour, width=3)))
    if current is not None:
        # a trace, not add_vline: its label would be placed at 10^x on a log axis
        lo, hi = y_range or (float(np.nanmin(np.r_[curve.train_mean, curve.test_mean])),
                             float(np.nanmax(np.r_[curve.train_mean, curve.test_mean])))
        fig.add_trace(go.Scatter(x=[current, current], y=[lo, hi], mode="lines",
                                 name=f"current ({current:g})", hoverinfo="skip",
                                 line=dict(color="grey", dash="dot", width=2)))
    fig.update_layout(title=title, height=380, margin=dict(l=10, r=10, t=50, b=10),
                      legend=dict(orientation="h", y=-0.25, yanchor="top"))
    arrow = "" if flexible_right is None else "  (more flexible →)"
    fig.update_xaxes(title=curve.xlabel + arrow, type="log" if curve.log_x else "linear",
                     autorange="reversed" if flexible_right is False else True)
    fig.update_yaxes(title=curve.ylabel, range=y_range)
    return fig


def accuracy_range(*curves: Curve) -> list[float]:
    """A y range that shows the gap between the curves: from a bit under the
    lowest score to just above 1."""
    lowest = min(float(np.nanmin(np.r_[c.train_mean - c.train_std, c.test_mean - c.test_std]))
                 for c in curves)
    return [max(0.0, lowest - 0.05), 1.02]


def regression_figure(data: RegressionData, fit: RegressionFit, title: str) -> go.Figure:
    """The noisy points, the true function and the model's prediction."""
    y_lo, y_hi = float(data.y.min()), float(data.y.max())
    pad = 0.3 * (y_hi - y_lo)
    fig = figure([
        go.Scatter(x=fit.x_line, y=fit.y_true, mode="lines", name="true function",
                   line=dict(color="grey", dash="dash")),
        go.Scatter(x=fit.x_line, y=fit.y_line, mode="lines", name="model",
                   line=dict(color="#6C4AB6", width=3)),
        go.Scatter(x=data.x[data.train], y=data.y[data.train], mode="markers", name="train",
                   marker=dict(color=TRAIN, size=8)),
        go.Scatter(x=data.x[data.test], y=data.y[data.test], mode="markers", name="test",
                   marker=dict(color=TEST, size=9, symbol="diamond")),
    ])
    fig.update_layout(title=title, height=400, margin=dict(l=10, r=10, t=50, b=10),
                      legend=dict(orientation="h", y=-0.2, yanchor="top"))
    fig.update_xaxes(title="x", range=[0, 1])
    fig.update_yaxes(title="y", range=[y_lo - pad, y_hi + pad])  # wild fits leave the frame
    return fig
