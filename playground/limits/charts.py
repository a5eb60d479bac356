"""Figures for the hallucination page: data in, plotly Figure out.

Every string from the model or the user is escaped before it goes into a figure
(plotly reads a few HTML-like tags in text), so model text is always shown as text."""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go

from playground.charts import figure
from playground.limits.context import MiddleCurve, NeedleCell, SweepConfig
from playground.limits.probes import Summary
from playground.limits.uncertainty import TokenInfo
from playground.sampling.charts import HEAT_SCALE, esc, wrap_tokens
from playground.sampling.lab import visible

PRIMARY = "#6C4AB6"
GREEN = "#2E9E6A"
RED = "#D9534F"
GREY = "#B8B8C8"
ORANGE = "#E07A1F"
BLUE = "#3E7CB1"
FOUND_SCALE = [[0.0, "#F4A6A6"], [0.5, "#F4A6A6"], [0.5, "#9FDDB8"], [1.0, "#9FDDB8"]]
LOGPROB_SCALE = [[0.0, "#F4A6A6"], [0.5, "#FDE68A"], [1.0, "#8FDDB2"]]
# entropy: white (certain) to deep blue (spread over many tokens)
ENTROPY_SCALE = [[0.0, "#F4F7FB"], [0.35, "#BFD7EA"], [0.7, "#6FA3CF"], [1.0, "#2F5F8F"]]
ENTROPY_TOP = 6.0  # bits at the darkest colour


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return esc(text if len(text) <= limit else text[: limit - 1] + "…")


# -- context window ---------------------------------------------------------------------------------


def window_figure(total: int, cut_start: int, cut_end: int, fact_span: tuple[int, int] | None,
                  question_tokens: int, window: int, model_window: int) -> go.Figure:
    """One bar, the prompt's tokens from first to last: what the window keeps (purple),
    what was cut (grey), where the fact and the question sit."""
    kept = total - cut_start - cut_end
    bars = [("cut away", cut_start, GREY), ("read by the model", kept, PRIMARY), ("cut away", cut_end, GREY)]
    data, base = [], 0
    for name, width, colour in bars:
        if width > 0:
            data.append({"type": "bar", "orientation": "h", "y": ["prompt"], "x": [width], "base": [base],
                         "marker": {"color": colour}, "name": name, "showlegend": False,
                         "text": [f"{name}: {width:,} tokens"], "textposition": "inside",
                         "insidetextanchor": "middle", "hoverinfo": "text",
                         "hovertext": [f"tokens {base:,}–{base + width:,}: {name}"]})
        base += width
    marks = [(total - question_tokens, total, "question", ORANGE)]
    if fact_span:
        marks.append((fact_span[0], fact_span[1], "fact", GREEN))
    shapes, notes = [], []
    for start, end, label, colour in marks:
        shapes.append({"type": "rect", "x0": start, "x1": max(end, start + total * 0.004), "y0": 0.62,
                       "y1": 0.95, "yref": "paper", "fillcolor": colour, "line": {"width": 0}})
        notes.append({"x": (start + end) / 2, "y": 1.0, "yref": "paper", "text": label, "showarrow": False,
                      "yanchor": "bottom", "font": {"color": colour, "size": 12}})
    top = max(total, window) * 1.02
    return figure({
        "data": data,
        "layout": {
            "height": 150, "margin": {"l": 10, "r": 10, "t": 24, "b": 36}, "barmode": "overlay",
            "plot_bgcolor": "white", "shapes": shapes, "annotations": notes,
            "xaxis": {"range": [0, top], "title": {"text": f"tokens (window {window:,}; the model's own "
                                                           f"window {model_window:,})"},
                      "fixedrange": True, "tickformat": ","},
            "yaxis": {"visible": False, "fixedrange": True, "domain": [0, 0.6]},
        },
    })


# -- needle in a haystack -------------------------------------------------------------------------------


def needle_heatmap(cells: Sequence[NeedleCell], config: SweepConfig, colour_by: str = "found",
                   selected: tuple[int, float] | None = None) -> go.Figure:
    """Lengths (rows) x depths (columns). Colour: found (green) or not (red), or the
    log-probability of the right answer. A transparent marker over each cell carries
    the click (plotly heatmaps send no selection events)."""
    xs = [f"{d:.0%}" for d in config.depths]
    ys = [f"{n:,}" for n in config.lengths]
    by_key = {(c.length, c.depth): c for c in cells}
    z, text, hover = [], [], []
    for n in config.lengths:
        zr, tr, hr = [], [], []
        for d in config.depths:
            c = by_key.get((n, d))
            if c is None:
                zr.append(None)
                tr.append("…")
                hr.append("not run yet")
                continue
            zr.append(float(c.found) if colour_by == "found" else max(c.logprob, -20.0))
            mark = "✓" if c.found else ("✗ cut" if not c.needle_kept else "✗")
            tr.append(f"{mark}<br>{c.logprob:.1f}")
            hr.append(f"{c.tokens:,} tokens read, needle at {d:.0%}"
                      + ("" if c.needle_kept else " (cut away by the window)")
                      + f"<br>answer: {_short(c.answer)}<br>log p(right answer) = {c.logprob:.2f}"
                      + (f"<br>took a distractor's answer: {esc(c.distractor)}" if c.distractor else ""))
        z.append(zr)
        text.append(tr)
        hover.append(hr)
    heat = {"type": "heatmap", "x": xs, "y": ys, "z": z, "showscale": colour_by != "found",
            "xgap": 3, "ygap": 3, "hoverinfo": "skip"}
    if colour_by == "found":
        heat.update({"colorscale": FOUND_SCALE, "zmin": 0, "zmax": 1})
    else:
        heat.update({"colorscale": LOGPROB_SCALE, "zmin": -20, "zmax": 0,
                     "colorbar": {"title": {"text": "log p"}, "thickness": 12}})
    points = {"type": "scatter", "mode": "markers+text", "x": [x for _ in ys for x in xs],
              "y": [y for y in ys for _ in xs], "text": [t for row in text for t in row],
              "hovertext": [h for row in hover for h in row], "hoverinfo": "text",
              "customdata": [[n, d] for n in config.lengths for d in config.depths],
              "marker": {"size": 44, "symbol": "square", "color": "rgba(0,0,0,0)"},
              "textfont": {"size": 12, "color": "#222"}, "showlegend": False,
              "selected": {"marker": {"color": "rgba(0,0,0,0)"}},
              "unselected": {"marker": {"opacity": 1}}}
    shapes = []
    if selected is not None and selected[0] in config.lengths and selected[1] in config.depths:
        i, j = config.lengths.index(selected[0]), config.depths.index(selected[1])
        shapes.append({"type": "rect", "x0": j - 0.5, "x1": j + 0.5, "y0": i - 0.5, "y1": i + 0.5,
                       "line": {"color": "#222", "width": 3}})
    return figure({
        "data": [heat, points],
        "layout": {
            "height": 90 + 58 * len(ys), "margin": {"l": 10, "r": 10, "t": 10, "b": 50},
            "plot_bgcolor": "white", "shapes": shapes, "clickmode": "event+select",
            "xaxis": {"title": {"text": "needle depth (0% = first sentence, 100% = just before the question)"},
                      "type": "category", "fixedrange": True},
            "yaxis": {"title": {"text": "prompt length (tokens)"}, "type": "category", "fixedrange": True},
        },
    })


# -- lost in the middle ------------------------------------------------------------------------------------


def middle_figure(curve: MiddleCurve, documents: int) -> go.Figure:
    """Accuracy against the position of the answer's document, the closed-book score as
    a dashed line; the mean log-probability of the right answer on the right axis."""
    xs = list(curve.positions)
    data = [
        {"type": "scatter", "mode": "lines+markers+text", "x": xs, "y": list(curve.accuracy),
         "name": "accuracy with the documents", "line": {"color": PRIMARY, "width": 3},
         "marker": {"size": 10}, "text": [f"{a:.0%}" for a in curve.accuracy], "textposition": "bottom right",
         "cliponaxis": False},
        {"type": "scatter", "mode": "lines", "x": [0.7, documents + 0.3], "y": [curve.closed_book] * 2,
         "name": f"closed book (no documents): {curve.closed_book:.0%}",
         "line": {"color": ORANGE, "dash": "dash", "width": 2}},
        {"type": "scatter", "mode": "lines+markers", "x": xs, "y": list(curve.mean_logprob), "yaxis": "y2",
         "name": "mean log p(right answer)", "line": {"color": BLUE, "dash": "dot", "width": 1.5},
         "marker": {"size": 6}},
    ]
    return figure({
        "data": data,
        "layout": {
            "height": 380, "margin": {"l": 10, "r": 10, "t": 30, "b": 40}, "plot_bgcolor": "white",
            "legend": {"orientation": "h", "y": -0.22},
            "xaxis": {"title": {"text": f"position of the document with the answer (1 = first of {documents})"},
                      "range": [0.7, documents + 0.3], "dtick": 1, "fixedrange": True},
            "yaxis": {"title": {"text": "answers right"}, "range": [-0.05, 1.12], "tickformat": ".0%",
                      "fixedrange": True, "gridcolor": "#eee"},
            "yaxis2": {"title": {"text": "mean log p(right answer), nats"}, "overlaying": "y", "side": "right",
                       "showgrid": False, "fixedrange": True, "tickformat": ".1f"},
        },
    })


# -- one answer, token by token ---------------------------------------------------------------------------


def token_strip(tokens: Sequence[TokenInfo], colour_by: str = "prob", chars_per_line: int = 90) -> go.Figure:
    """The answer as token boxes, wrapped into lines, coloured by the model's probability
    of each token (red unlikely, green likely) or by the entropy of the distribution it
    came from (white certain, blue spread); hover shows both and the top alternatives."""
    starts, widths, rows, texts, n_rows = wrap_tokens([t.text for t in tokens], chars_per_line,
                                                      newline_breaks=False)
    hovers, values = [], []
    for t in tokens:
        alts = "<br>".join(f"{esc(visible(s))}: {p:.1%}" for s, p in t.alternatives)
        hovers.append(f"<b>{esc(visible(t.text))}</b>: p = {t.prob:.1%}, entropy = {t.entropy:.2f} bits"
                      f"<br>top tokens at this step:<br>{alts}")
        values.append(t.prob if colour_by == "prob" else min(t.entropy, ENTROPY_TOP))
    height = max(70, 24 + 28 * n_rows)
    scale = HEAT_SCALE if colour_by == "prob" else ENTROPY_SCALE
    top = 1.0 if colour_by == "prob" else ENTROPY_TOP
    return figure({
        "data": [{
            "type": "bar", "orientation": "h", "base": starts, "x": widths, "y": rows, "width": 0.86,
            "text": texts, "textposition": "inside", "insidetextanchor": "middle", "textangle": 0,
            "constraintext": "none", "cliponaxis": False,
            "textfont": {"family": "monospace", "size": 13,
                         "color": ["#111" if colour_by == "prob" or v < 4 else "#fff" for v in values]},
            "hovertext": hovers, "hoverinfo": "text",
            "marker": {"color": values, "colorscale": scale, "cmin": 0, "cmax": top,
                       "line": {"color": "white", "width": 1}},
        }],
        "layout": {
            "height": height, "margin": {"l": 4, "r": 4, "t": 4, "b": 4}, "plot_bgcolor": "white",
            "showlegend": False,
            "xaxis": {"range": [0, chars_per_line], "visible": False, "fixedrange": True},
            "yaxis": {"range": [max(n_rows, (height - 8) / 28) - 0.5, -0.5], "visible": False, "fixedrange": True},
            "uniformtext": {"minsize": 13, "mode": "show"},
        },
    })


# -- the probe-set summary ----------------------------------------------------------------------------------

CONDITION_COLOURS = (BLUE, GREEN, ORANGE, PRIMARY)


def wrong_rate_figure(summary: Summary) -> go.Figure:
    """Wrong-answer rate by category, one bar per condition (temperature x retrieval)."""
    categories = [c for c in summary.wrong if summary.wrong[c]]
    data = []
    for colour, condition in zip(CONDITION_COLOURS, summary.conditions):
        ys = [summary.wrong[c].get(condition) for c in categories]
        data.append({"type": "bar", "name": esc(condition), "x": categories, "y": ys,
                     "marker": {"color": colour},
                     "text": [("" if y is None else f"{y:.0%}") for y in ys], "textposition": "outside",
                     "cliponaxis": False,
                     "hovertext": [f"{esc(c)} · {esc(condition)}: wrong {y:.0%}, \"don't know\" "
                                   f"{summary.dont_know[c].get(condition, float('nan')):.0%}"
                                   if y is not None else "not measured" for c, y in zip(categories, ys)],
                     "hoverinfo": "text"})
    return figure({
        "data": data,
        "layout": {
            "height": 380, "barmode": "group", "margin": {"l": 10, "r": 10, "t": 30, "b": 40},
            "plot_bgcolor": "white", "legend": {"orientation": "h", "y": 1.12},
            "yaxis": {"title": {"text": "wrong answers"}, "tickformat": ".0%", "range": [0, 1.12],
                      "fixedrange": True, "gridcolor": "#eee"},
            "xaxis": {"fixedrange": True},
        },
    })


def arithmetic_figure(summary: Summary, gpt3: dict[int, float], temperature: float) -> go.Figure:
    """This model's addition accuracy against the number of digits, beside GPT-3 175B."""
    ds = sorted(summary.arithmetic)
    greedy = [summary.arithmetic[d][0] for d in ds]
    sampled = [summary.arithmetic[d][1] for d in ds]
    data = [
        {"type": "scatter", "mode": "lines+markers+text", "x": ds, "y": greedy, "name": "this model, T = 0",
         "line": {"color": PRIMARY, "width": 3}, "marker": {"size": 9},
         "text": [f"{v:.0%}" for v in greedy], "textposition": "top center", "cliponaxis": False},
        {"type": "scatter", "mode": "lines+markers", "x": ds, "y": sampled, "name": f"this model, T = {temperature:g}",
         "line": {"color": BLUE, "dash": "dot"}, "marker": {"size": 7}},
        {"type": "scatter", "mode": "lines+markers+text", "x": list(gpt3), "y": list(gpt3.values()),
         "name": "GPT-3 175B, few-shot (paper)", "line": {"color": ORANGE, "dash": "dash"},
         "marker": {"size": 9, "symbol": "diamond"}, "text": [f"{v:.0%}" for v in gpt3.values()],
         "textposition": "top right", "cliponaxis": False},
    ]
    return figure({
        "data": data,
        "layout": {
            "height": 360, "margin": {"l": 10, "r": 10, "t": 30, "b": 40}, "plot_bgcolor": "white",
            "legend": {"orientation": "h", "y": -0.25},
            "xaxis": {"title": {"text": "digits in each number"}, "dtick": 1, "fixedrange": True,
                      "range": [0.6, 6.4]},
            "yaxis": {"title": {"text": "additions right"}, "tickformat": ".0%", "range": [-0.05, 1.12],
                      "fixedrange": True, "gridcolor": "#eee"},
        },
    })


def separation_figure(summary: Summary) -> go.Figure:
    """AUROC of each uncertainty signal for telling wrong from right answers (0.5 = chance)."""
    names = list(summary.separation)
    values = [summary.separation[n][0] for n in names]
    shown = [0.5 if math.isnan(v) else v for v in values]
    return figure({
        "data": [{"type": "bar", "orientation": "h", "y": names, "x": shown, "marker": {"color": PRIMARY},
                  "text": ["n/a" if math.isnan(v) else f"{v:.2f}" for v in values], "textposition": "outside",
                  "cliponaxis": False, "hoverinfo": "text",
                  "hovertext": [f"{esc(n)}: AUROC {'n/a' if math.isnan(v) else f'{v:.2f}'} over "
                                f"{summary.separation[n][1]} wrong and {summary.separation[n][2]} right answers"
                                for n, v in zip(names, values)]}],
        "layout": {
            "height": 80 + 44 * len(names), "margin": {"l": 10, "r": 40, "t": 10, "b": 40},
            "plot_bgcolor": "white",
            "shapes": [{"type": "line", "x0": 0.5, "x1": 0.5, "y0": -0.5, "y1": len(names) - 0.5,
                        "line": {"color": "#888", "dash": "dash"}}],
            "xaxis": {"range": [0, 1.08], "title": {"text": "AUROC (0.5 = a coin flip, 1 = separates perfectly)"},
                      "fixedrange": True},
            "yaxis": {"autorange": "reversed", "fixedrange": True},
        },
    })
