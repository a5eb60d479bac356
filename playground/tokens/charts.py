"""Figures for the tokens, embeddings and attention page: data in, plotly Figure out.

Each builder writes the figure as one plain dict and validates it once with
``figure(dict)`` (far faster than adding traces one by one). Every string that comes
from the user or the model goes through :func:`label` or :func:`esc` first: plotly reads
a few HTML-like tags in text, so '<', '>' and '&' become entities and model text is
always shown as text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from playground.charts import figure
from playground.sampling.charts import esc
from playground.sampling.lab import display_width, visible
from playground.tokens.pieces import Piece
from playground.tokens.vectors import Hit

PRIMARY = "#6C4AB6"
ORANGE = "#E07A1F"
BLUE = "#3E7CB1"
GREEN = "#2E8B57"
GREY = "#9A9AA8"
# light chip colours (dark text stays readable), cycled token by token
CHIP_COLOURS = ["#C9E4F6", "#FBE3B5", "#D4EFC9", "#F6CFE0", "#DDD5F3", "#FFD9C7"]
KIND_COLOURS = {"special": "#4B3B8F", "bytes": "#D9D9E3", "unknown": "#F4A7A7"}
ATTENTION_SCALE = [[0.0, "#FFFFFF"], [0.15, "#D8CCF0"], [0.5, "#8F6FD6"], [1.0, "#2E1A6B"]]
DIVERGING = [[0.0, "#3E7CB1"], [0.5, "#FFFFFF"], [1.0, "#C0392B"]]
MAX_TICK_LABELS = 60  # token labels on heatmap axes up to this many tokens; positions beyond
PLOT = {"plot_bgcolor": "white"}


def _unit(x: float) -> float:
    """A subplot domain bound, kept inside [0, 1] despite rounding."""
    return min(1.0, max(0.0, round(x, 6)))


def label(token: str, limit: int = 16) -> str:
    """A token as a chart label: whitespace visible (␣, ↵), shortened, escaped."""
    shown = visible(token)
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return esc(shown)


def text_label(text: str, limit: int = 60) -> str:
    """A sentence as a chart label: on one line, shortened, escaped (spaces stay spaces)."""
    shown = " ".join(visible(word) for word in text.split())
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return esc(shown)


def token_axis(tokens: Sequence[str], limit: int = 12) -> list[str]:
    """Axis labels that stay unique: "3 ␣it" (the position keeps repeated tokens apart)."""
    return [f"{i} {label(t, limit)}" for i, t in enumerate(tokens)]


def _axis_ticks(tokens: Sequence[str]) -> dict:
    if len(tokens) <= MAX_TICK_LABELS:
        return {"tickmode": "array", "tickvals": list(range(len(tokens))), "ticktext": token_axis(tokens),
                "tickfont": {"family": "monospace", "size": 11}}
    return {"title": {"text": "position"}}


# ---- tokens --------------------------------------------------------------------------------


def chips_figure(pieces: Sequence[Piece], chars_per_line: int = 56, height_per_line: int = 46) -> go.Figure:
    """Tokens as coloured chips, wrapped into lines, each with its id underneath.
    Grey: part of a character (its bytes); dark: special tokens; red: unknown to the
    vocabulary. Hover shows the note (bytes, which character, ...)."""
    starts, widths, rows, texts, hovers, colours, fonts = [], [], [], [], [], [], []
    x, row = 0, 0
    for n, piece in enumerate(pieces):
        shown = visible(piece.label)  # ' many' -> '␣many'; control characters as \xNN
        width = max(display_width(shown), len(str(piece.token_id))) + 1
        if x + width > chars_per_line and x > 0:
            x, row = 0, row + 1
        starts.append(x)
        widths.append(width)
        rows.append(row)
        texts.append(f"{esc(shown)}<br><span style='font-size:10px'>{piece.token_id}</span>")
        hovers.append(f"<b>{label(piece.label, 40)}</b> · id {piece.token_id} · position {n}"
                      + (f"<br>{esc(piece.note)}" if piece.note else ""))
        colours.append(KIND_COLOURS.get(piece.kind, CHIP_COLOURS[n % len(CHIP_COLOURS)]))
        fonts.append("white" if piece.kind == "special" else "#111")
        x += width
    n_rows = row + 1
    height = max(60, 12 + height_per_line * n_rows)
    return figure({
        "data": [{
            "type": "bar", "orientation": "h", "base": starts, "x": widths, "y": rows, "width": 0.88,
            "text": texts, "textposition": "inside", "insidetextanchor": "middle", "textangle": 0,
            "constraintext": "none", "cliponaxis": False,
            "textfont": {"family": "monospace", "size": 13, "color": fonts},
            "hovertext": hovers, "hoverinfo": "text",
            "marker": {"color": colours, "line": {"color": "white", "width": 2}},
        }],
        "layout": {
            "height": height, "margin": {"l": 2, "r": 2, "t": 2, "b": 2}, "showlegend": False, **PLOT,
            "xaxis": {"range": [0, chars_per_line], "visible": False, "fixedrange": True},
            "yaxis": {"range": [max(n_rows, (height - 4) / height_per_line) - 0.5, -0.5], "visible": False,
                      "fixedrange": True},
            "uniformtext": {"minsize": 12, "mode": "show"},
        },
    })


def languages_figure(rows: Sequence[tuple[str, int, int, int]]) -> go.Figure:
    """Tokens the same sentence takes in each language, for both tokenizers."""
    names = [r[0] for r in rows]
    return figure({
        "data": [
            {"type": "bar", "x": names, "y": [r[2] for r in rows], "name": "SmolLM2 (byte-level BPE)",
             "marker": {"color": PRIMARY}, "text": [str(r[2]) for r in rows], "textposition": "outside",
             "cliponaxis": False},
            {"type": "bar", "x": names, "y": [r[3] for r in rows], "name": "MiniLM (WordPiece)",
             "marker": {"color": ORANGE}, "text": [str(r[3]) for r in rows], "textposition": "outside",
             "cliponaxis": False},
        ],
        "layout": {"barmode": "group", "height": 300, "margin": {"l": 10, "r": 10, "t": 40, "b": 10}, **PLOT,
                   "yaxis": {"title": {"text": "tokens"}}, "legend": {"orientation": "h", "y": 1.2, "x": 0}},
    })


# ---- embeddings ----------------------------------------------------------------------------


def vector_figure(vector: np.ndarray, dims: int = 32, title: str = "") -> go.Figure:
    """The first ``dims`` numbers of a vector as bars (positive red, negative blue)."""
    values = np.asarray(vector, dtype=np.float64)[:dims]
    return figure({
        "data": [{"type": "bar", "x": list(range(len(values))), "y": values.tolist(),
                  "marker": {"color": [ORANGE if v >= 0 else BLUE for v in values]},
                  "hovertemplate": "dimension %{x}: %{y:.4f}<extra></extra>"}],
        "layout": {"height": 240, "margin": {"l": 10, "r": 10, "t": 30 if title else 10, "b": 10}, **PLOT,
                   "title": {"text": esc(title), "font": {"size": 13}},
                   "xaxis": {"title": {"text": "dimension"}, "dtick": 4},
                   "yaxis": {"title": {"text": "value"}, "zeroline": True, "zerolinecolor": "#999"}},
    })


def neighbours_figure(neighbours: Sequence[tuple[int, float]], strings: Sequence[str]) -> go.Figure:
    """The nearest tokens by cosine, most similar on top."""
    ys = [f"{label(strings[i])} <sub>{i}</sub>" for i, _ in neighbours]
    values = [c for _, c in neighbours]
    return figure({
        "data": [{"type": "bar", "orientation": "h", "x": values, "y": ys, "marker": {"color": PRIMARY},
                  "text": [f"{c:.3f}" for c in values], "textposition": "outside", "cliponaxis": False,
                  "hovertemplate": "%{y}: cosine %{x:.4f}<extra></extra>"}],
        "layout": {"height": 40 + 24 * len(ys), "margin": {"l": 10, "r": 40, "t": 10, "b": 30}, **PLOT,
                   "xaxis": {"title": {"text": "cosine similarity"}, "range": [0, 1.08]},
                   "yaxis": {"autorange": "reversed", "tickfont": {"family": "monospace", "size": 13}}},
    })


def similarity_figure(matrix: np.ndarray, names: Sequence[str]) -> go.Figure:
    """Cosine similarity of every pair of sentences, the value written in each cell."""
    n = len(names)
    short = [f"{i + 1}. {text_label(t, 34)}" for i, t in enumerate(names)]
    z = np.round(np.asarray(matrix, dtype=np.float64), 3)
    show_text = n <= 16
    return figure({
        "data": [{"type": "heatmap", "z": z.tolist(), "x": short, "y": short, "zmin": -0.2, "zmax": 1.0,
                  "colorscale": ATTENTION_SCALE, "colorbar": {"title": {"text": "cosine"}},
                  "text": [[f"{v:.2f}" for v in row] for row in z] if show_text else None,
                  "texttemplate": "%{text}" if show_text else None,
                  "hovertemplate": "%{y}<br>%{x}<br>cosine %{z:.3f}<extra></extra>"}],
        "layout": {"height": max(260, 80 + 34 * n), "margin": {"l": 10, "r": 10, "t": 10, "b": 10}, **PLOT,
                   "xaxis": {"tickmode": "array", "tickvals": short, "ticktext": [str(i + 1) for i in range(n)],
                             "side": "top", "tickfont": {"size": 11}},
                   "yaxis": {"autorange": "reversed", "tickfont": {"size": 11}}},
    })


LABEL_SPOTS = {"top center": (0.0, 1.0), "bottom center": (0.0, -1.0), "middle right": (1.0, 0.0),
               "middle left": (-1.0, 0.0)}


def label_positions(coords: np.ndarray, texts: Sequence[str], width_px: float = 700,
                    height_px: float = 430, char_px: float = 6.6, line_px: float = 14) -> list[str]:
    """Where to put each point's label (above, below, right or left of it) so that labels
    overlap each other and the points as little as possible: greedy, most crowded points first,
    for a plot of about ``width_px`` x ``height_px``."""
    xy = np.asarray(coords, dtype=np.float64)[:, :2]
    span = np.maximum(xy.max(0) - xy.min(0), 1e-9)
    px = (xy - xy.min(0)) / span * np.array([width_px, height_px])  # points in pixels
    sizes = [(len(t) * char_px, line_px) for t in texts]
    boxes: list[tuple[float, float, float, float]] = [(x - 5, y - 5, x + 5, y + 5) for x, y in px]  # the markers
    crowd = [np.sum(np.linalg.norm(px - p, axis=1) < 40) for p in px]
    chosen = ["top center"] * len(texts)
    for i in sorted(range(len(texts)), key=lambda i: -crowd[i]):
        w, h = sizes[i]
        best, best_cost = "top center", None
        for spot, (dx, dy) in LABEL_SPOTS.items():
            cx = px[i, 0] + dx * (w / 2 + 7)
            cy = px[i, 1] + dy * (h / 2 + 6)
            box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            cost = sum(max(0.0, min(box[2], b[2]) - max(box[0], b[0])) * max(0.0, min(box[3], b[3]) - max(box[1], b[1]))
                       for j, b in enumerate(boxes) if j != i)
            if best_cost is None or cost < best_cost - 1e-9:
                best, best_cost = spot, cost
        chosen[i] = best
        dx, dy = LABEL_SPOTS[best]
        cx, cy = px[i, 0] + dx * (w / 2 + 7), px[i, 1] + dy * (h / 2 + 6)
        boxes.append((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
    return chosen


def map_figure(coords: np.ndarray, texts: Sequence[str], groups: Sequence[str], dims: int = 2) -> go.Figure:
    """Sentences or words as points, coloured by their group; 2D labels placed to overlap little."""
    palette = [PRIMARY, ORANGE, GREEN, BLUE, "#C0392B", "#8E6C8A", "#B8860B", "#2F4F4F"]
    order = list(dict.fromkeys(groups))
    shown = [text_label(t, 22) for t in texts]
    spots = label_positions(coords, [text_label(t, 22) for t in texts]) if dims == 2 else ["top center"] * len(texts)
    data = []
    for g_index, group in enumerate(order):
        idx = [i for i, g in enumerate(groups) if g == group]
        trace = {"name": esc(group), "mode": "markers+text", "text": [shown[i] for i in idx],
                 "textposition": [spots[i] for i in idx], "marker": {"size": 9 if dims == 2 else 5,
                                                          "color": palette[g_index % len(palette)]},
                 "hovertext": [esc(texts[i]) for i in idx], "hoverinfo": "text",
                 "x": coords[idx, 0].tolist(), "y": coords[idx, 1].tolist()}
        if dims == 3:
            trace.update({"type": "scatter3d", "z": coords[idx, 2].tolist(), "textfont": {"size": 10}})
        else:
            trace.update({"type": "scatter", "textfont": {"size": 11}})
        data.append(trace)
    layout = {"height": 520, "margin": {"l": 10, "r": 10, "t": 30, "b": 10}, **PLOT,
              "legend": {"orientation": "h", "y": 1.06, "x": 0}}
    if dims == 3:
        layout["scene"] = {"xaxis": {"title": {"text": "1"}}, "yaxis": {"title": {"text": "2"}},
                           "zaxis": {"title": {"text": "3"}}}
    else:
        layout.update({"xaxis": {"title": {"text": "map axis 1"}, "zeroline": False},
                       "yaxis": {"title": {"text": "map axis 2"}, "zeroline": False}})
    return figure({"data": data, "layout": layout})


def search_figure(hits: Sequence[Hit]) -> go.Figure:
    """Documents ranked by cosine similarity to the question."""
    ys = [f"{h.rank}. {text_label(h.text, 60)}" for h in hits]
    values = [h.score for h in hits]
    return figure({
        "data": [{"type": "bar", "orientation": "h", "x": values, "y": ys,
                  "marker": {"color": [PRIMARY if i == 0 else "#B9A8E0" for i in range(len(hits))]},
                  "text": [f"{v:.3f}" for v in values], "textposition": "outside", "cliponaxis": False,
                  "hovertext": [esc(h.text) for h in hits], "hoverinfo": "text"}],
        "layout": {"height": 60 + 30 * len(ys), "margin": {"l": 10, "r": 40, "t": 10, "b": 30}, **PLOT,
                   "xaxis": {"title": {"text": "cosine similarity with the question"},
                             "range": [min(0.0, min(values) - 0.05), max(1.0, max(values) + 0.1)]},
                   "yaxis": {"autorange": "reversed", "tickfont": {"size": 12}}},
    })


# ---- context -------------------------------------------------------------------------------


def context_figure(other: np.ndarray, same: np.ndarray, word: str) -> go.Figure:
    """Cosine of the word's vectors, layer by layer: a pair where the meaning differs and
    one where it is the same."""
    layers = list(range(len(other)))
    names = ["embeddings"] + [f"after layer {i}" for i in range(len(other) - 1)]
    data = [
        {"type": "scatter", "x": layers, "y": np.asarray(same).tolist(), "name": "A · C (meant alike)",
         "mode": "lines+markers", "line": {"color": GREEN, "width": 3}, "customdata": names,
         "hovertemplate": "%{customdata}: cosine %{y:.3f}<extra>A · C</extra>"},
        {"type": "scatter", "x": layers, "y": np.asarray(other).tolist(), "name": "A · B (meant differently)",
         "mode": "lines+markers", "line": {"color": ORANGE, "width": 3}, "customdata": names,
         "hovertemplate": "%{customdata}: cosine %{y:.3f}<extra>A · B</extra>"},
    ]
    low = float(min(np.min(other), np.min(same)))
    return figure({"data": data, "layout": {
        "height": 340, "margin": {"l": 10, "r": 10, "t": 40, "b": 10}, **PLOT,
        "title": {"text": f"cosine of {label(word, 24)}'s vectors", "font": {"size": 13}},
        "xaxis": {"title": {"text": "layer (0 = the embedding row, before any layer)"}, "dtick": 2},
        "yaxis": {"title": {"text": "cosine similarity"}, "range": [min(0.0, low - 0.05), 1.03]},
        "legend": {"orientation": "h", "y": 1.12, "x": 0.35}}})


# ---- attention -----------------------------------------------------------------------------


def attention_figure(weights: np.ndarray, tokens: Sequence[str], query: int | None = None,
                     title: str = "", height: int | None = None) -> go.Figure:
    """One head's attention: row = the token that looks (query), column = the token looked
    at (key). Above the diagonal is the causal mask: blank, never looked at."""
    T = len(tokens)
    z = np.asarray(weights, dtype=np.float32)  # sent as binary; NaN (the mask) is drawn as a gap
    names = token_axis(tokens, 14)
    shapes = []
    if query is not None:
        shapes.append({"type": "rect", "x0": -0.5, "x1": query + 0.5, "y0": query - 0.5, "y1": query + 0.5,
                       "line": {"color": ORANGE, "width": 2}})
    size = height or int(min(760, max(400, 160 + 24 * T)))
    return figure({
        "data": [{"type": "heatmap", "z": z, "x": list(range(T)), "y": list(range(T)), "zmin": 0, "zmax": 1,
                  "colorscale": ATTENTION_SCALE, "colorbar": {"title": {"text": "weight"}, "len": 0.8},
                  "customdata": [[f"{names[r]} → {names[c]}" for c in range(T)] for r in range(T)]
                  if T <= 120 else None,
                  "hovertemplate": ("%{customdata}: %{z:.3f}<extra></extra>" if T <= 120 else
                                    "query %{y} → key %{x}: %{z:.3f}<extra></extra>"),
                  "hoverongaps": False, "xgap": 1 if T <= 40 else 0, "ygap": 1 if T <= 40 else 0}],
        "layout": {"height": size, "margin": {"l": 10, "r": 10, "t": 36 if title else 10, "b": 10},
                   "plot_bgcolor": "#F3F3F6", "title": {"text": title, "font": {"size": 13}},
                   "xaxis": {**_axis_ticks(tokens), "tickangle": -50, "side": "bottom",
                             "title": {"text": "looked at (key)"}},
                   "yaxis": {**_axis_ticks(tokens), "autorange": "reversed",
                             "title": {"text": "looking (query)"}},
                   "shapes": shapes},
    })


def overview_figure(scores: np.ndarray, measure_name: str, selected: tuple[int, int] | None = None,
                    groups: Sequence[Sequence[int]] | None = None, zmax: float | None = None) -> go.Figure:
    """One number per head: layers down, heads across, thin lines between key/value groups."""
    L, H = scores.shape
    shapes = []
    if selected is not None:
        layer, head = selected
        shapes.append({"type": "rect", "x0": head - 0.5, "x1": head + 0.5, "y0": layer - 0.5, "y1": layer + 0.5,
                       "line": {"color": ORANGE, "width": 3}})
    for group in (groups or [])[1:]:
        shapes.append({"type": "line", "x0": group[0] - 0.5, "x1": group[0] - 0.5, "y0": -0.5, "y1": L - 0.5,
                       "line": {"color": "#333", "width": 2}})
    top = float(zmax if zmax is not None else max(1e-9, np.nanmax(scores)))
    return figure({
        "data": [{"type": "heatmap", "z": np.round(scores, 4).tolist(), "x": list(range(H)), "y": list(range(L)),
                  "zmin": 0, "zmax": top, "colorscale": ATTENTION_SCALE, "xgap": 1, "ygap": 1,
                  "colorbar": {"title": {"text": esc(measure_name)}, "len": 0.8},
                  "hovertemplate": "layer %{y}, head %{x}: %{z:.3f}<extra></extra>"}],
        "layout": {"height": 620, "margin": {"l": 10, "r": 10, "t": 30, "b": 10}, **PLOT,
                   "xaxis": {"title": {"text": "head (lines: heads sharing a key/value head)"}, "dtick": 1,
                             "side": "top"},
                   "yaxis": {"title": {"text": "layer"}, "autorange": "reversed", "dtick": 2},
                   "shapes": shapes},
    })


def heads_grid_figure(maps: Sequence[np.ndarray], tokens: Sequence[str], groups: Sequence[Sequence[int]],
                      layer: int) -> go.Figure:
    """All heads of one layer, one column per key/value head: the heads in a column read the
    same keys and values but ask their own questions (queries)."""
    cols = len(groups)
    rows = max(len(g) for g in groups)
    gap, vgap = 0.04, 0.09
    w = (1 - gap * (cols - 1)) / cols
    h = (1 - vgap * (rows - 1)) / rows
    data, layout, notes = [], {}, []
    for c, group in enumerate(groups):
        for r, head in enumerate(group):
            n = c * rows + r + 1
            axis = "" if n == 1 else str(n)
            weights = maps[head]
            data.append({"type": "heatmap", "z": np.asarray(weights, dtype=np.float32),
                         "zmin": 0, "zmax": 1, "colorscale": ATTENTION_SCALE, "showscale": False,
                         "xaxis": f"x{axis}", "yaxis": f"y{axis}", "hoverongaps": False,
                         "hovertemplate": f"head {head}: query %{{y}} → key %{{x}}: %{{z:.3f}}<extra></extra>"})
            x0 = c * (w + gap)
            y1 = 1 - r * (h + vgap)
            layout[f"xaxis{axis}"] = {"domain": [_unit(x0), _unit(x0 + w)], "showticklabels": False,
                                      "anchor": f"y{axis}", "fixedrange": True}
            layout[f"yaxis{axis}"] = {"domain": [_unit(y1 - h), _unit(y1)], "showticklabels": False,
                                      "autorange": "reversed",
                                      "anchor": f"x{axis}", "fixedrange": True}
            notes.append({"text": f"head {head}", "x": x0 + w / 2, "y": y1, "xref": "paper", "yref": "paper",
                          "xanchor": "center", "yanchor": "bottom", "showarrow": False, "font": {"size": 11}})
        notes.append({"text": f"<b>key/value head {c}</b>", "x": c * (w + gap) + w / 2, "y": 1.0, "xref": "paper",
                      "yref": "paper", "xanchor": "center", "yanchor": "bottom", "yshift": 16, "showarrow": False,
                      "font": {"size": 12}})
    layout.update({"height": 170 * rows + 60, "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
                   "plot_bgcolor": "#F3F3F6", "annotations": notes})
    return figure({"data": data, "layout": layout})


def where_figure(ranked: Sequence[tuple[int, float]], layer_mean: np.ndarray, tokens: Sequence[str],
                 query: int) -> go.Figure:
    """Where the chosen token looks: this head (bars) and the layer's average head (dots)."""
    positions = list(range(query + 1))
    head_row = {p: w for p, w in ranked}
    names = token_axis(tokens[: query + 1], 14)
    return figure({
        "data": [
            {"type": "bar", "x": names, "y": [head_row.get(p, None) for p in positions], "name": "this head",
             "marker": {"color": PRIMARY}, "hovertemplate": "%{x}: %{y:.3f}<extra>this head</extra>"},
            {"type": "scatter", "x": names, "y": layer_mean[: query + 1].tolist(), "name": "mean of the layer's heads",
             "mode": "markers", "marker": {"color": ORANGE, "size": 10, "symbol": "diamond"},
             "hovertemplate": "%{x}: %{y:.3f}<extra>layer mean</extra>"},
        ],
        "layout": {"height": 300, "margin": {"l": 10, "r": 10, "t": 30, "b": 10}, **PLOT,
                   "yaxis": {"title": {"text": "attention weight"}, "range": [0, 1.02]},
                   "xaxis": {"tickangle": -40, "tickfont": {"family": "monospace", "size": 11}},
                   "legend": {"orientation": "h", "y": 1.15, "x": 0}},
    })


def mask_steps_figure(scores: np.ndarray, weights: np.ndarray, tokens: Sequence[str]) -> go.Figure:
    """Three panels: the raw scores q·k/√d, the same with the causal mask (−∞ above the
    diagonal), and the softmax of each row."""
    T = len(tokens)
    masked = np.where(np.tril(np.ones((T, T), dtype=bool)), scores, np.nan)
    panels = [
        ("1. scores q·k/√d", scores, "RdBu_r", None),
        ("2. causal mask: −∞ above the diagonal", masked, "RdBu_r", None),
        ("3. softmax of each row = attention", np.where(np.isnan(masked), np.nan, weights), ATTENTION_SCALE, (0, 1)),
    ]
    span = float(np.nanmax(np.abs(scores))) if T else 1.0
    gap = 0.05
    w = (1 - 2 * gap) / 3
    data, layout, notes = [], {}, []
    for n, (title, z, scale, bounds) in enumerate(panels):
        axis = "" if n == 0 else str(n + 1)
        lo, hi = bounds or (-span, span)
        data.append({"type": "heatmap", "z": np.asarray(z, dtype=np.float32),
                     "colorscale": scale, "zmin": lo, "zmax": hi, "showscale": False, "hoverongaps": False,
                     "xaxis": f"x{axis}", "yaxis": f"y{axis}",
                     "hovertemplate": "query %{y} → key %{x}: %{z:.3f}<extra></extra>"})
        x0 = n * (w + gap)
        layout[f"xaxis{axis}"] = {"domain": [_unit(x0), _unit(x0 + w)], "anchor": f"y{axis}", "fixedrange": True,
                                  "showticklabels": False}
        layout[f"yaxis{axis}"] = {"anchor": f"x{axis}", "autorange": "reversed", "fixedrange": True,
                                  **({"tickmode": "array", "tickvals": list(range(T)),
                                      "ticktext": token_axis(tokens, 10), "tickfont": {"size": 10}}
                                     if n == 0 and T <= 40 else {"showticklabels": False})}
        notes.append({"text": title, "x": x0 + w / 2, "y": 1.0, "xref": "paper", "yref": "paper",
                      "xanchor": "center", "yanchor": "bottom", "showarrow": False, "font": {"size": 12}})
    layout.update({"height": 330, "margin": {"l": 10, "r": 10, "t": 30, "b": 10}, "plot_bgcolor": "#F3F3F6",
                   "annotations": notes})
    return figure({"data": data, "layout": layout})


# ---- position ------------------------------------------------------------------------------


def rotary_angles_figure(angles: np.ndarray, positions: np.ndarray) -> go.Figure:
    """cos(angle) of every dimension pair at every position: fast pairs stripe, slow pairs
    barely change."""
    pairs = angles.shape[0]
    return figure({
        "data": [{"type": "heatmap", "z": np.round(np.cos(angles), 3).tolist(), "x": np.asarray(positions).tolist(),
                  "y": list(range(pairs)), "zmin": -1, "zmax": 1, "colorscale": DIVERGING,
                  "colorbar": {"title": {"text": "cos(angle)"}},
                  "customdata": np.round(np.mod(angles, 2 * math.pi), 3).tolist(),
                  "hovertemplate": "pair %{y}, position %{x}: angle %{customdata:.2f} rad "
                                   "(mod 2π), cos %{z:.2f}<extra></extra>"}],
        "layout": {"height": 360, "margin": {"l": 10, "r": 10, "t": 10, "b": 10}, **PLOT,
                   "xaxis": {"title": {"text": "position of the token"}},
                   "yaxis": {"title": {"text": "dimension pair (0 = fastest)"}, "autorange": "reversed"}},
    })


def wavelength_figure(wavelengths: np.ndarray, max_positions: int) -> go.Figure:
    """Positions per full turn of each pair (log scale), and the model's context length."""
    pairs = list(range(len(wavelengths)))
    return figure({
        "data": [{"type": "scatter", "x": pairs, "y": np.asarray(wavelengths).tolist(), "mode": "lines+markers",
                  "line": {"color": PRIMARY}, "name": "positions per full turn",
                  "hovertemplate": "pair %{x}: one turn every %{y:,.1f} positions<extra></extra>"}],
        "layout": {"height": 300, "margin": {"l": 10, "r": 10, "t": 10, "b": 10}, **PLOT,
                   "xaxis": {"title": {"text": "dimension pair"}},
                   "yaxis": {"type": "log", "title": {"text": "positions per full turn"}},
                   "shapes": [{"type": "line", "x0": 0, "x1": len(pairs) - 1, "y0": max_positions,
                               "y1": max_positions, "line": {"color": ORANGE, "dash": "dash"}}],
                   "annotations": [{"x": 1, "y": math.log10(max_positions), "text":
                                    f"context length: {max_positions:,} positions", "showarrow": False,
                                    "xanchor": "left", "yanchor": "bottom", "font": {"color": ORANGE}}]},
    })


def distance_figure(distances: np.ndarray, scores: np.ndarray, actual: int | None, unrotated: float,
                    title: str = "") -> go.Figure:
    """The score of one query-key pair as the distance between them grows."""
    d = np.asarray(distances)
    data = [{"type": "scatter", "x": d.tolist(), "y": np.round(scores, 4).tolist(), "mode": "lines",
             "line": {"color": PRIMARY, "width": 2}, "name": "with rotary positions",
             "hovertemplate": "distance %{x}: score %{y:.3f}<extra></extra>"},
            {"type": "scatter", "x": [int(d[0]), int(d[-1])], "y": [unrotated, unrotated], "mode": "lines",
             "line": {"color": GREY, "dash": "dot"}, "name": "without positions (no rotation)",
             "hoverinfo": "skip"}]
    if actual is not None and d[0] <= actual <= d[-1]:
        data.append({"type": "scatter", "x": [actual], "y": [float(scores[int(actual - d[0])])], "mode": "markers",
                     "marker": {"color": ORANGE, "size": 12}, "name": "their real distance in the text",
                     "hovertemplate": "real distance %{x}: score %{y:.3f}<extra></extra>"})
    return figure({"data": data, "layout": {
        "height": 340, "margin": {"l": 10, "r": 10, "t": 40 if title else 10, "b": 10}, **PLOT,
        "title": {"text": title, "font": {"size": 13}},
        "xaxis": {"title": {"text": "distance: how many positions the query comes after the key"}},
        "yaxis": {"title": {"text": "score q·k/√d"}}, "legend": {"orientation": "h", "y": -0.25, "x": 0}}})


# ---- the forward pass ----------------------------------------------------------------------


def embedding_rows_figure(rows: np.ndarray, tokens: Sequence[str]) -> go.Figure:
    """The first numbers of each token's embedding row."""
    z = np.asarray(rows, dtype=np.float64)
    span = float(np.max(np.abs(z))) if z.size else 1.0
    return figure({
        "data": [{"type": "heatmap", "z": np.round(z, 4).tolist(), "colorscale": DIVERGING, "zmin": -span,
                  "zmax": span, "x": list(range(z.shape[1])), "y": list(range(z.shape[0])),
                  "colorbar": {"title": {"text": "value"}},
                  "hovertemplate": "token %{y}, dimension %{x}: %{z:.4f}<extra></extra>"}],
        "layout": {"height": int(min(520, 90 + 24 * len(tokens))), "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
                   **PLOT, "xaxis": {"title": {"text": "dimension (the first of 576)"}},
                   "yaxis": {**_axis_ticks(tokens), "autorange": "reversed"}},
    })


def stream_norms_figure(norms: np.ndarray, tokens: Sequence[str], position: int) -> go.Figure:
    """Size of the residual stream after each layer, one line per token (the chosen one
    thick), log scale."""
    L1, T = norms.shape
    layers = list(range(L1))
    data = []
    for t in range(T):
        chosen = t == position
        data.append({"type": "scatter", "x": layers, "y": np.round(norms[:, t], 2).tolist(), "mode": "lines",
                     "name": f"{t} {label(tokens[t], 12)}", "showlegend": chosen or t == 0,
                     "line": {"width": 4 if chosen else 1.2, "color": ORANGE if chosen else (
                         BLUE if t == 0 else "#C8C8D4")},
                     "hovertemplate": f"{t} {label(tokens[t], 14)} · %{{x}}: norm %{{y:.1f}}<extra></extra>"})
    return figure({"data": data, "layout": {
        "height": 340, "margin": {"l": 10, "r": 10, "t": 10, "b": 10}, **PLOT,
        "xaxis": {"title": {"text": "0 = embedding row, l = after layer l − 1 (the last: before the final norm)"},
                  "dtick": 2},
        "yaxis": {"type": "log", "dtick": 1, "title": {"text": "norm of the vector (log scale)"}},
        "legend": {"orientation": "h", "y": 1.1, "x": 0}}})


def top_tokens_figure(top: Sequence[tuple[int, float]], strings: Sequence[str]) -> go.Figure:
    ys = [f"{label(strings[i])} <sub>{i}</sub>" for i, _ in top]
    values = [p for _, p in top]
    return figure({
        "data": [{"type": "bar", "orientation": "h", "x": values, "y": ys, "marker": {"color": PRIMARY},
                  "text": [f"{p:.1%}" for p in values], "textposition": "outside", "cliponaxis": False,
                  "hovertemplate": "%{y}: p = %{x:.4f}<extra></extra>"}],
        "layout": {"height": 40 + 24 * len(ys), "margin": {"l": 10, "r": 50, "t": 10, "b": 30}, **PLOT,
                   "xaxis": {"title": {"text": "next-token probability"}, "tickformat": ".0%",
                             "range": [0, min(1.0, max(values) * 1.25 + 0.02)]},
                   "yaxis": {"autorange": "reversed", "tickfont": {"family": "monospace", "size": 13}}},
    })


def lens_figure(ids: np.ndarray, probs: np.ndarray, strings: Sequence[str], tokens: Sequence[str],
                positions: Sequence[int]) -> go.Figure:
    """The logit lens: the top next token read out after every layer (rows) at each of the
    last positions (columns); colour = its probability."""
    L1 = ids.shape[0]
    text = [[label(strings[int(i)], 9) for i in row] for row in ids]
    rows = ["embeddings"] + [f"after layer {i}" for i in range(L1 - 1)]
    cols = [f"{p} {label(tokens[p], 10)}" for p in positions]
    return figure({
        "data": [{"type": "heatmap", "z": np.round(probs, 3).tolist(), "x": cols, "y": rows, "zmin": 0, "zmax": 1,
                  "colorscale": ATTENTION_SCALE, "text": text, "texttemplate": "%{text}",
                  "textfont": {"family": "monospace", "size": 10}, "xgap": 1, "ygap": 1,
                  "colorbar": {"title": {"text": "p"}, "len": 0.6},
                  "hovertemplate": "%{y}, reading %{x}: top next token %{text} (p = %{z:.3f})<extra></extra>"}],
        "layout": {"height": 24 * L1 + 90, "margin": {"l": 10, "r": 10, "t": 60, "b": 10}, **PLOT,
                   "xaxis": {"side": "top", "tickfont": {"family": "monospace", "size": 11}, "tickangle": -30},
                   "yaxis": {"autorange": "reversed", "tickfont": {"size": 10}}},
    })


def lens_rank_figure(ranks: Sequence[int], probs: Sequence[float], name: str) -> go.Figure:
    """Rank (log scale) and probability of the model's final answer, layer by layer."""
    layers = list(range(len(ranks)))
    return figure({"data": [
        {"type": "scatter", "x": layers, "y": list(ranks), "name": "rank (1 = top)", "mode": "lines+markers",
         "line": {"color": PRIMARY}, "hovertemplate": "%{x}: rank %{y:,}<extra></extra>"},
        {"type": "scatter", "x": layers, "y": [round(p, 4) for p in probs], "name": "probability", "yaxis": "y2",
         "mode": "lines+markers", "line": {"color": ORANGE}, "hovertemplate": "%{x}: p = %{y:.3f}<extra></extra>"},
    ], "layout": {
        "height": 300, "margin": {"l": 10, "r": 10, "t": 40, "b": 10}, **PLOT,
        "title": {"text": f"the final answer {label(name, 20)}, read out after each layer", "font": {"size": 13}},
        "xaxis": {"title": {"text": "0 = embeddings, l = after layer l − 1"}, "dtick": 5,
                  "range": [-0.5, len(ranks) - 0.5]},
        "yaxis": {"type": "log", "dtick": 1, "autorange": "reversed", "title": {"text": "rank (log)"}},
        "yaxis2": {"overlaying": "y", "side": "right", "range": [0, 1], "tickformat": ".0%", "showgrid": False,
                   "tickvals": [0, 0.25, 0.5, 0.75, 1],
                   "title": {"text": "probability"}},
        "legend": {"orientation": "h", "y": -0.3, "x": 0}}})
