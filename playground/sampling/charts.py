"""Figures for the sampling lab: data in, plotly Figure out.

Each builder writes the figure as one plain dict and validates it once with
``figure(dict)``: that is about 30 times faster than adding traces and
annotations one by one (fig.add_annotation re-validates the whole layout each
time), which keeps a slider move well under 100 ms.

Every string that comes from the model or the user is escaped before it goes
into a figure: plotly reads a few HTML-like tags (<b>, <br>, <a>) in text, so
'<' '>' '&' become entities and model text is always shown as text."""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go

from playground.charts import figure
from playground.models.llm import GeneratedToken
from playground.sampling.lab import DiceRow, SampleStats, Waterfall, display_width, visible

PRIMARY = "#6C4AB6"
GHOST = "#D9D9E3"
OFF = "#B9A8E0"
ORANGE = "#E07A1F"
BLUE = "#3E7CB1"
# light colours so dark text stays readable: unlikely (red) -> likely (green)
HEAT_SCALE = [[0.0, "#F8A5A5"], [0.25, "#FBC99A"], [0.5, "#FDE68A"], [0.75, "#C9EBA0"], [1.0, "#8FDDB2"]]


def esc(text: str) -> str:
    """Escape text for plotly's HTML-like labels."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def label(token: str, limit: int = 18) -> str:
    """A token as a chart label: whitespace visible, shortened, escaped."""
    shown = visible(token)
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return esc(shown)


def pct(p: float) -> str:
    if p >= 0.1:
        return f"{p:.0%}"
    if p >= 0.001:
        return f"{p:.1%}"
    return f"{p:.1e}" if p > 0 else "0"


def distribution_figure(probs, strings: Sequence[str], k: int = 15) -> go.Figure:
    """The top k next tokens and their probabilities, most likely on top."""
    values, indices = probs.topk(min(k, probs.numel()))
    ids, values = indices.tolist(), values.tolist()
    # the id keeps two tokens that look the same (say "A" and "␣A" shortened) apart
    ys = [f"{label(strings[i])} <sub>{i}</sub>" for i in ids]
    return figure({
        "data": [{
            "type": "bar", "orientation": "h", "x": values, "y": ys, "marker": {"color": PRIMARY},
            "text": [pct(v) for v in values], "textposition": "outside", "cliponaxis": False,
            "hovertext": [f"{label(strings[i], 40)} (id {i}): p = {v:.4f}" for i, v in zip(ids, values)],
            "hoverinfo": "text",
        }],
        "layout": {
            "height": 40 + 24 * len(ids), "margin": {"l": 10, "r": 40, "t": 10, "b": 30},
            "xaxis": {"title": {"text": "probability (T = 1)"}, "tickformat": ".0%",
                      "range": [0, min(1.0, max(values) * 1.2 + 0.02)]},
            "yaxis": {"autorange": "reversed", "tickfont": {"family": "monospace", "size": 13}},
            "plot_bgcolor": "white", "bargap": 0.25,
        },
    })


def waterfall_figure(wf: Waterfall, strings: Sequence[str], rows: int = 12) -> go.Figure:
    """One panel per stage, the same tokens in each row: how each stage reshapes
    the distribution. Kept tokens in purple (renormalised probability), removed
    tokens as grey ghosts at the probability they had before the stage, with ✕."""
    token_ids = wf.row_tokens(rows)
    ys = [label(strings[i], 14) for i in token_ids]
    n = len(wf.stages)
    gap = 0.014
    width = (1 - gap * (n - 1)) / n
    x_max = max(float(s.probs[token_ids].max()) for s in wf.stages)
    data, layout, notes = [], {}, []
    before = None
    for col, stage in enumerate(wf.stages):
        axis = "" if col == 0 else str(col + 1)
        probs = stage.probs[token_ids].tolist()
        kept = [math.isfinite(v) for v in stage.logits[token_ids].tolist()]
        before = before or probs
        shown = [p if keep else b for p, b, keep in zip(probs, before, kept)]
        data.append({
            "type": "bar", "orientation": "h", "x": shown, "y": ys, "showlegend": False,
            "marker": {"color": [(PRIMARY if stage.active else OFF) if keep else GHOST for keep in kept]},
            "text": [pct(p) if keep else "✕" for p, keep in zip(probs, kept)],
            "textposition": "outside", "cliponaxis": False, "textfont": {"size": 11},
            "hovertext": [f"{y}: p = {p:.4f}" if keep else f"{y}: removed by {esc(stage.name)}"
                          for y, p, keep in zip(ys, probs, kept)],
            "hoverinfo": "text", "xaxis": f"x{axis}", "yaxis": f"y{axis}",
        })
        domain = [col * (width + gap), col * (width + gap) + width]
        layout[f"xaxis{axis}"] = {"domain": domain, "range": [0, x_max * 1.5], "showticklabels": False,
                                  "showgrid": False, "zeroline": True, "zerolinecolor": "#999",
                                  "fixedrange": True}
        layout[f"yaxis{axis}"] = {"anchor": f"x{axis}", "autorange": "reversed", "showticklabels": col == 0,
                                  "tickfont": {"family": "monospace", "size": 12}, "fixedrange": True}
        notes.append({
            "text": (f"<b>{col}. {esc(stage.short)}</b><br>{esc(stage.setting)}<br>"
                     f"{stage.survivors:,} kept<br>H = {stage.entropy:.2f} bits"),
            "x": sum(domain) / 2, "y": 1.0, "xref": "paper", "yref": "paper", "xanchor": "center",
            "yanchor": "bottom", "showarrow": False, "align": "center",
            "font": {"size": 11, "color": "#222" if stage.active else "#999"},
        })
        before = probs
    layout.update({"height": 100 + 24 * len(ys), "margin": {"l": 10, "r": 10, "t": 84, "b": 10},
                   "plot_bgcolor": "white", "bargap": 0.3, "annotations": notes})
    return figure({"data": data, "layout": layout})


def funnel_figure(wf: Waterfall) -> go.Figure:
    """Tokens that survive each stage (bars, log scale) and the entropy left (line)."""
    names = [f"{i}. {s.short}" for i, s in enumerate(wf.stages)]
    kept = [s.survivors for s in wf.stages]
    entropy = [s.entropy for s in wf.stages]
    return figure({
        "data": [
            {"type": "bar", "x": names, "y": kept, "name": "tokens kept", "text": [f"{k:,}" for k in kept],
             "textposition": "outside", "cliponaxis": False,
             "marker": {"color": [PRIMARY if s.active else OFF for s in wf.stages]}},
            {"type": "scatter", "x": names, "y": entropy, "name": "entropy (bits)", "yaxis": "y2",
             "mode": "lines+markers", "line": {"color": ORANGE, "width": 3}, "marker": {"size": 9},
             "hovertemplate": "%{x}: H = %{y:.2f} bits<extra></extra>"},
        ],
        "layout": {
            "height": 300, "margin": {"l": 10, "r": 10, "t": 30, "b": 10}, "plot_bgcolor": "white",
            "yaxis": {"type": "log", "title": {"text": "tokens kept (log scale)"},
                      "range": [-0.2, math.log10(max(kept)) + 0.6]},
            "yaxis2": {"overlaying": "y", "side": "right", "title": {"text": "entropy (bits)"},
                       "range": [0, max(max(entropy) * 1.15, 1.0)], "showgrid": False,
                       "tickmode": "auto", "nticks": 6, "rangemode": "tozero"},
            "xaxis": {"tickangle": 0},
            "legend": {"orientation": "h", "y": 1.15, "x": 0},
        },
    })


def dice_figure(rows: Sequence[DiceRow], strings: Sequence[str], n: int) -> go.Figure:
    """Observed frequency of each token in n draws beside its probability."""
    names = [f"{label(strings[r.token_id])} <sub>{r.token_id}</sub>" if r.token_id is not None
             else "(all others)" for r in rows]
    return figure({
        "data": [
            {"type": "bar", "x": names, "y": [r.frequency for r in rows], "name": f"drawn ({n:,} draws)",
             "marker": {"color": PRIMARY}, "text": [str(r.count) for r in rows],
             "textposition": "outside", "cliponaxis": False},
            {"type": "bar", "x": names, "y": [r.probability for r in rows], "name": "probability",
             "marker": {"color": ORANGE}, "opacity": 0.75},
        ],
        "layout": {
            "barmode": "group", "height": 320, "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
            "yaxis": {"tickformat": ".0%", "title": {"text": "share of draws"}}, "plot_bgcolor": "white",
            "xaxis": {"tickfont": {"family": "monospace", "size": 12}},
            "legend": {"orientation": "h", "y": 1.15, "x": 0},
        },
    })


def _hover(token: GeneratedToken, forced: bool) -> str:
    """At most four short lines: plotly hides a hover label taller than the figure."""
    p = f"p = {token.prob:.3f}" if not math.isnan(token.prob) else "p = ?"
    if forced:
        p += " (the alternative you picked)"
    elif not math.isnan(token.sampled_prob):
        p += f" ({token.sampled_prob:.3f} with the settings used)"
    lines = [f"<b>{label(token.text, 30)}</b>  {p}"]
    if token.alternatives:
        alts = [f"{label(s, 14)} {q:.3f}" for _, s, q in token.alternatives]
        lines += ["top alternatives at this step:", " · ".join(alts[:3])]
        if alts[3:]:
            lines.append(" · ".join(alts[3:]))
    return "<br>".join(lines)


def wrap_tokens(pieces: Sequence[str], chars_per_line: int, newline_breaks: bool
                ) -> tuple[list[int], list[int], list[int], list[str], int]:
    """Lay token texts out as boxes in lines of ``chars_per_line`` monospace characters:
    (start, width, line, escaped text shown) of each, and the number of lines (a final new
    line counts its empty line). Tabs show as ⇥, new lines as ↵ (and,
    with ``newline_breaks``, start a new line after the box), an empty piece (part of a
    multi-byte character) as ·."""
    starts, widths, rows, texts = [], [], [], []
    x, row = 0, 0
    for piece in pieces:
        shown = piece.replace("\r", "").replace("\t", "⇥")
        newlines = shown.count("\n")
        shown = shown.replace("\n", "↵") or "·"
        width = max(1, display_width(shown))
        if x + width > chars_per_line and x > 0:
            x, row = 0, row + 1
        starts.append(x)
        widths.append(width)
        rows.append(row)
        texts.append(esc(shown))
        x += width
        if newline_breaks and newlines:
            x, row = 0, row + newlines
    return starts, widths, rows, texts, row + 1


def heat_strip_figure(tokens: Sequence[GeneratedToken], chars_per_line: int = 48,
                      forced_step: int | None = None, height_per_line: int = 26) -> go.Figure:
    """Generated text as a strip of token boxes, wrapped into lines, each box
    coloured by the model's probability for that token (T = 1); hover shows the
    top alternatives at that step. Monospace text: x is measured in characters."""
    starts, widths, rows, texts, n_rows = wrap_tokens([t.text for t in tokens], chars_per_line,
                                                      newline_breaks=True)
    hovers = [_hover(token, i == forced_step) for i, token in enumerate(tokens)]
    probs = [0.0 if math.isnan(token.prob) else token.prob for token in tokens]
    borders = [3 if i == forced_step else 1 for i in range(len(tokens))]
    height = max(100, 30 + height_per_line * n_rows)  # >= 100 px: room for the hover label
    shown_rows = max(n_rows, (height - 8) / height_per_line)  # boxes keep their height; blank space below
    return figure({
        "data": [{
            "type": "bar", "orientation": "h", "base": starts, "x": widths, "y": rows, "width": 0.86,
            "text": texts, "textposition": "inside", "insidetextanchor": "middle", "textangle": 0,
            "constraintext": "none", "cliponaxis": False,
            "textfont": {"family": "monospace", "size": 13, "color": "#111"},
            "hovertext": hovers, "hoverinfo": "text",
            "marker": {"color": probs, "colorscale": HEAT_SCALE, "cmin": 0, "cmax": 1,
                       "line": {"color": ["#222" if b == 3 else "white" for b in borders], "width": borders}},
        }],
        "layout": {
            "height": height, "margin": {"l": 4, "r": 4, "t": 4, "b": 4},
            "plot_bgcolor": "white", "showlegend": False,
            "xaxis": {"range": [0, chars_per_line], "visible": False, "fixedrange": True},
            "yaxis": {"range": [shown_rows - 0.5, -0.5], "visible": False, "fixedrange": True},
            "uniformtext": {"minsize": 13, "mode": "show"},
        },
    })


def compare_figure(a: SampleStats, b: SampleStats, label_a: str, label_b: str) -> go.Figure:
    """The diversity metrics of two settings side by side: shares (0-1) on the left,
    mean log-probability (negative, its own scale) on the right."""
    shares = ["distinct-1", "distinct-2", "repetition (3-grams)"]
    traces = []
    for stats, name, color in ((a, label_a, BLUE), (b, label_b, ORANGE)):
        values = [stats.distinct_1, stats.distinct_2, stats.repetition_3]
        common = {"type": "bar", "name": esc(name), "marker": {"color": color}, "legendgroup": name,
                  "textposition": "outside", "cliponaxis": False}
        traces.append({**common, "x": shares, "y": values, "text": [f"{v:.2f}" for v in values]})
        traces.append({**common, "x": ["mean log-prob"], "y": [stats.mean_logprob], "showlegend": False,
                       "text": [f"{stats.mean_logprob:.2f}"], "xaxis": "x2", "yaxis": "y2"})
    low = min(a.mean_logprob, b.mean_logprob, -0.1)
    return figure({
        "data": traces,
        "layout": {"barmode": "group", "height": 320, "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
                   "plot_bgcolor": "white", "legend": {"orientation": "h", "y": 1.18, "x": 0},
                   "xaxis": {"domain": [0, 0.7]}, "xaxis2": {"domain": [0.8, 1.0], "anchor": "y2"},
                   "yaxis": {"range": [0, 1.15], "title": {"text": "share"}},
                   "yaxis2": {"anchor": "x2", "range": [low * 1.25, 0], "title": {"text": "nats per token"}}},
    })
