"""Figures for the few-shot vs fine-tune page: data in, plotly Figure out.

Labels can come from a user's CSV: every string is escaped before it goes into a figure
(plotly reads a few HTML-like tags in text)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from playground.charts import figure
from playground.fewshot.finetune import Curves
from playground.fewshot.methods import METHODS, MethodResult

FONT = {"size": 12}


def esc(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def short(text: str, limit: int = 22) -> str:
    text = esc(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _x_label(per_class: int, all_value: int | None) -> str:
    return f"all ({per_class})" if all_value is not None and per_class == all_value else str(per_class)


def curve_figure(points: Sequence[MethodResult], n_labels: int, all_value: int | None = None,
                 live: Sequence[MethodResult] = (), methods: Sequence[str] | None = None,
                 height: int = 460) -> go.Figure:
    """Accuracy against labelled examples per class: one line per method (the mean over
    seeds), error bars from the lowest to the highest seed; live re-runs as stars."""
    methods = list(methods or METHODS)
    shots = sorted({p.per_class for p in points if p.method != "zero"} | {p.per_class for p in live})
    traces = []
    for key in methods:
        info = METHODS[key]
        mine = [p for p in points if p.method == key]
        if not mine:
            continue
        if key == "zero":  # needs no examples: a flat line across the chart
            acc = float(np.mean([p.accuracy for p in mine]))
            xs = shots or [mine[0].per_class]
            traces.append({"type": "scatter", "x": [str(_x_label(x, all_value)) for x in xs], "y": [acc] * len(xs),
                               "mode": "lines", "name": info.label, "line": {"color": info.colour, "dash": "dash", "width": 2},
                               "hovertemplate": f"{esc(info.label)}: %{{y:.0%}} (no examples needed)<extra></extra>"})
            continue
        xs, ys, lo, hi, texts = [], [], [], [], []
        for x in sorted({p.per_class for p in mine}):
            accs = [p.accuracy for p in mine if p.per_class == x]
            mean = float(np.mean(accs))
            xs.append(_x_label(x, all_value))
            ys.append(mean)
            lo.append(mean - min(accs))
            hi.append(max(accs) - mean)
            texts.append(f"{len(accs)} seed{'s' if len(accs) > 1 else ''}: " + ", ".join(f"{a:.0%}" for a in accs))
        traces.append({
            "type": "scatter", "x": xs, "y": ys, "mode": "lines+markers", "name": info.label,
            "line": {"color": info.colour, "width": 2}, "marker": {"size": 7, "color": info.colour},
            "error_y": {"type": "data", "symmetric": False, "array": hi, "arrayminus": lo, "thickness": 1.2, "width": 4,
                         "color": info.colour},
            "customdata": texts,
            "hovertemplate": f"{esc(info.label)}<br>%{{x}} per class: %{{y:.0%}}<br>%{{customdata}}<extra></extra>"})
    for p in live:
        info = METHODS[p.method]
        traces.append({"type": "scatter", "x": [_x_label(p.per_class, all_value)], "y": [p.accuracy], "mode": "markers",
                           "name": f"live: {info.label}, seed {p.seed}", "showlegend": False,
                           "marker": {"symbol": "star", "size": 16, "color": info.colour, "line": {"color": "black", "width": 1}},
                           "hovertemplate": f"live re-run: {esc(info.label)}, seed {p.seed}: %{{y:.0%}}<extra></extra>"})
    categories = [_x_label(x, all_value) for x in shots]
    layout = {
        "height": height, "margin": {"l": 10, "r": 10, "t": 30, "b": 10}, "font": FONT,
        "xaxis": {"title": "labelled examples per class", "type": "category", "categoryorder": "array",
                   "categoryarray": categories},
        "yaxis": {"title": "accuracy on the test set", "range": [0, 1.02], "tickformat": ".0%"},
        "legend": {"orientation": "v", "x": 1.01, "y": 1, "font": {"size": 11}},
        "shapes": [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 1 / n_labels, "y1": 1 / n_labels,
                     "line": {"color": "#999", "dash": "dot", "width": 1}}],
        "annotations": [{"xref": "paper", "x": 0.0, "y": 1 / n_labels, "text": f"chance ({1 / n_labels:.0%})",
                          "showarrow": False, "yshift": 9, "xanchor": "left", "font": {"size": 10, "color": "#777"}}],
        "hovermode": "closest",
    }
    return figure({"data": traces, "layout": layout})


def cost_figure(results: Sequence[MethodResult], height: int = 380) -> go.Figure:
    """What each method wins against what it costs: accuracy against training time (log
    scale; prompting trains nothing and sits at the left edge, "none"), marker area ~
    trainable parameters."""
    floor = 0.03  # where "no training" is drawn
    seconds = [max(r.train_s, floor) for r in results]
    traces = []
    for r, x in zip(results, seconds):
        info = METHODS[r.method]
        size = 10 + 5 * np.log10(max(r.trainable, 1))
        traces.append({
            "type": "scatter", "x": [x], "y": [r.accuracy], "mode": "markers+text", "name": info.label,
            "text": [esc(info.label.replace("Fine-tune: ", "FT: "))], "textposition": "middle right",
            "textfont": {"size": 10}, "cliponaxis": False,
            "marker": {"size": size, "color": info.colour, "line": {"color": "white", "width": 1}},
            "hovertemplate": (f"{esc(info.label)}<br>accuracy %{{y:.0%}}<br>training {r.train_s:.1f} s"
                              f"<br>{r.trainable:,} trainable parameters<extra></extra>"), "showlegend": False})
    top = max(seconds + [10.0]) * 6
    ticks = [v for v in (floor, 0.1, 1, 10, 100, 1000, 10000) if v <= top]
    layout = {"height": height, "margin": {"l": 10, "r": 30, "t": 20, "b": 10}, "font": FONT,
              "xaxis": {"title": "training time on this machine (s, log scale)", "type": "log",
                        "range": [np.log10(floor) - 0.2, np.log10(top)], "tickvals": ticks,
                        "ticktext": ["none" if v == floor else f"{v:g}" for v in ticks]},
              "yaxis": {"title": "test accuracy", "range": [0, 1.05], "tickformat": ".0%"}}
    return figure({"data": traces, "layout": layout})


def loss_figure(curves: Curves, shown: int | None = None, title: str = "", height: int = 360) -> go.Figure:
    """Training and validation loss per epoch (left axis), validation accuracy (right axis).
    ``shown``: draw the first ``shown`` epochs; the lowest validation loss among them is marked."""
    n = curves.epochs if shown is None else max(1, min(shown, curves.epochs))
    epochs = list(range(1, n + 1))
    val = list(curves.val_loss[:n])
    best = int(np.argmin(val)) + 1
    traces = [
        {"type": "scatter", "x": epochs, "y": list(curves.train_loss[:n]), "mode": "lines+markers", "name": "training loss",
             "line": {"color": "#6C4AB6", "width": 2}, "marker": {"size": 5}},
        {"type": "scatter", "x": epochs, "y": val, "mode": "lines+markers", "name": "validation loss",
             "line": {"color": "#E07A1F", "width": 2}, "marker": {"size": 5}},
        {"type": "scatter", "x": epochs, "y": list(curves.val_accuracy[:n]), "mode": "lines", "name": "validation accuracy",
             "yaxis": "y2", "line": {"color": "#3BA55C", "width": 1.5, "dash": "dot"},
             "hovertemplate": "epoch %{x}: %{y:.0%}<extra>validation accuracy</extra>"},
        {"type": "scatter", "x": [best], "y": [val[best - 1]], "mode": "markers", "name": f"lowest validation loss (epoch {best})",
             "marker": {"size": 13, "symbol": "circle-open", "color": "#E07A1F", "line": {"width": 2}}},
    ]
    layout = {
        "height": height, "margin": {"l": 10, "r": 10, "t": 40 if title else 20, "b": 10}, "font": FONT,
        "title": {"text": esc(title), "font": {"size": 13}} if title else None,
        "xaxis": {"title": "epoch", "dtick": max(1, n // 12)},
        "yaxis": {"title": "cross-entropy loss", "rangemode": "tozero"},
        "yaxis2": {"title": "validation accuracy", "overlaying": "y", "side": "right", "range": [0, 1.02], "tickformat": ".0%",
                    "showgrid": False},
        "legend": {"orientation": "h", "y": -0.25}, "hovermode": "x unified",
    }
    return figure({"data": traces, "layout": {k: v for k, v in layout.items() if v is not None}})


def confusion_figure(matrix: np.ndarray, labels: Sequence[str], title: str, height: int = 300) -> go.Figure:
    """Counts of (true label, predicted label); the diagonal is right."""
    names = [short(name, 12) for name in labels]
    matrix = np.asarray(matrix)
    text = [[str(v) if v else "" for v in row] for row in matrix]
    data = [{"type": "heatmap", "z": matrix.tolist(), "x": names, "y": names, "text": text, "texttemplate": "%{text}",
                 "colorscale": [[0, "#FFFFFF"], [1, "#6C4AB6"]], "showscale": False,
                 "hovertemplate": "true %{y}, predicted %{x}: %{z}<extra></extra>"}]
    accuracy = np.trace(matrix) / max(matrix.sum(), 1)
    layout = {"height": height, "margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "font": {"size": 10},
                  "title": {"text": f"{esc(title)} · {accuracy:.0%}", "font": {"size": 12}},
                  "xaxis": {"title": "predicted", "side": "bottom", "tickangle": -35},
                  "yaxis": {"title": "true", "autorange": "reversed"}}
    return figure({"data": data, "layout": layout})


def label_scores_figure(raw: Sequence[float], calibrated: Sequence[float], labels: Sequence[str],
                        truth: int, height: int = 300) -> go.Figure:
    """One message: log p(label | prompt) for every label, and the same minus the content-free
    message's score (calibrated). The right label is marked ✓; each series' answer is its
    tallest bar."""
    names = [short(name, 16) + (" ✓" if i == truth else "") for i, name in enumerate(labels)]
    data = [
        {"type": "bar", "x": names, "y": list(raw), "name": "log p(label | prompt)",
         "marker": {"color": "#C9C2E6"}, "hovertemplate": "%{x}: %{y:.2f}<extra>raw</extra>"},
        {"type": "bar", "x": names, "y": list(calibrated), "name": "minus log p(label | N/A): calibrated",
         "marker": {"color": "#6C4AB6"}, "hovertemplate": "%{x}: %{y:.2f}<extra>calibrated</extra>"},
    ]
    layout = {"height": height, "margin": {"l": 10, "r": 10, "t": 20, "b": 10}, "font": FONT, "barmode": "group",
              "yaxis": {"title": "score (nats)", "zeroline": True}, "legend": {"orientation": "h", "y": -0.25}}
    return figure({"data": data, "layout": layout})


def orders_figure(by_method: Mapping[str, Sequence[float]], n_labels: int, height: int | None = None) -> go.Figure:
    """Accuracy of every example order, per prompting variant (one dot per order)."""
    height = height or 110 + 40 * len(by_method)
    data = []
    for name, accuracies in by_method.items():
        data.append({"type": "scatter", "x": list(accuracies), "y": [esc(name)] * len(accuracies), "mode": "markers",
                         "marker": {"size": 12, "opacity": 0.8}, "name": esc(name), "showlegend": False,
                         "hovertemplate": "%{x:.0%}<extra>%{y}</extra>"})
    layout = {"height": height, "margin": {"l": 10, "r": 10, "t": 10, "b": 10}, "font": FONT,
                  "xaxis": {"title": "test accuracy of each example order", "range": [0, 1.02], "tickformat": ".0%"},
                  "shapes": [{"type": "line", "yref": "paper", "y0": 0, "y1": 1, "x0": 1 / n_labels, "x1": 1 / n_labels,
                               "line": {"color": "#999", "dash": "dot", "width": 1}}]}
    return figure({"data": data, "layout": layout})
