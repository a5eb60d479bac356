"""Figures for the chat-model page: data in, plotly Figure out. Text drawn into a figure is
escaped first (plotly reads a few HTML-like tags, and the tokens include ``<|im_end|>``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go
import plotly.io as pio

from playground.charts import figure, subplots

FONT = {"size": 12}
SHIPPED_COLOR, LIVE_COLOR = "#1f77b4", "#d62728"


def esc(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _layout(fig: go.Figure, title: str, height: int = 360) -> go.Figure:
    fig.update_layout(title={"text": title, "font": {"size": 14}}, height=height, font=FONT,
                      margin={"l": 50, "r": 20, "t": 50, "b": 40}, legend={"orientation": "h", "y": -0.2},
                      template=pio.templates["plotly_white"])  # unchecked, a name would reach the browser
    return fig


def loss_figure(curves: Mapping[str, Mapping], baselines: Mapping[str, float] = (), title: str = "",
                held_label: str = "held-out", y_title: str = "loss (nats per token)") -> go.Figure:
    """Training loss of every step (thin) and held-out loss (markers) for each run in
    ``curves`` (name -> history dict), and horizontal baselines (name -> loss)."""
    fig = figure()
    colors = [SHIPPED_COLOR, LIVE_COLOR, "#2ca02c", "#9467bd"]
    for i, (name, h) in enumerate(curves.items()):
        color = colors[i % len(colors)]
        n = min(len(h["steps"]), len(h["loss"]))
        fig.add_trace(go.Scatter(x=h["steps"][:n], y=h["loss"][:n], mode="lines", name=f"{name}: training",
                                 line={"color": color, "width": 1}, opacity=0.45))
        m = min(len(h["eval_steps"]), len(h["eval_loss"]))
        fig.add_trace(go.Scatter(x=h["eval_steps"][:m], y=h["eval_loss"][:m], mode="lines+markers",
                                 name=f"{name}: {held_label}", line={"color": color, "width": 2.5}))
    for j, (name, value) in enumerate(dict(baselines).items()):
        fig.add_hline(y=value, line={"dash": "dash", "color": ["#555", "#999"][j % 2]},
                      annotation_text=f"{esc(name)}: {value:.2f}", annotation_position="top right")
    fig.update_xaxes(title="step")
    fig.update_yaxes(title=y_title, rangemode="tozero")
    return _layout(fig, title)


def token_strip(tokens: Sequence[tuple[str, bool]], per_row: int = 16) -> go.Figure:
    """One box per token, green where the loss counts it (the answer), grey where not."""
    fig = figure()
    xs, ys, texts, colors = [], [], [], []
    for i, (text, counted) in enumerate(tokens):
        xs.append(i % per_row)
        ys.append(-(i // per_row))
        shown = text.replace("\n", "↵").replace(" ", "␣")
        texts.append(esc(shown))
        colors.append("#b7e4c7" if counted else "#e9ecef")
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers+text", text=texts, textfont={"size": 11},
                             marker={"symbol": "square", "size": 46, "color": colors,
                                     "line": {"color": "#adb5bd", "width": 1}},
                             hovertext=[f"{t} · {'counted' if c else 'not counted'}" for t, (_, c) in
                                        zip(texts, tokens)], hoverinfo="text", showlegend=False))
    rows = (len(tokens) - 1) // per_row + 1
    fig.update_xaxes(visible=False, range=[-0.6, per_row - 0.4])
    fig.update_yaxes(visible=False, range=[-rows + 0.4, 0.6])
    return _layout(fig, "Tokens of one example: green ones count in the loss (the answer and its end token)",
                   height=70 + 56 * rows)


def dpo_figure(curves: Mapping[str, Mapping]) -> go.Figure:
    """DPO: the loss and trl's chosen-minus-rejected reward margin on each batch (left);
    the held-out log-probability margin and the KL to the reference (right)."""
    fig = subplots(rows=1, cols=3, subplot_titles=("DPO loss (batch)", "log π(chosen) − log π(rejected), held out",
                                                    "KL to the fine-tuned reference (nats/token)"))
    colors = [SHIPPED_COLOR, LIVE_COLOR, "#2ca02c"]
    for i, (name, h) in enumerate(curves.items()):
        color = colors[i % len(colors)]
        n = min(len(h["steps"]), len(h["loss"]))
        fig.add_trace(go.Scatter(x=h["steps"][:n], y=h["loss"][:n], name=f"{name}", mode="lines",
                                 line={"color": color}, legendgroup=name), row=1, col=1)
        m = min(len(h["eval_steps"]), len(h["eval_margin"]), len(h["eval_kl"]))
        fig.add_trace(go.Scatter(x=h["eval_steps"][:m], y=h["eval_margin"][:m], mode="lines+markers",
                                 line={"color": color}, showlegend=False, legendgroup=name), row=1, col=2)
        fig.add_trace(go.Scatter(x=h["eval_steps"][:m], y=h["eval_kl"][:m], mode="lines+markers",
                                 line={"color": color}, showlegend=False, legendgroup=name), row=1, col=3)
    fig.add_hline(y=0, line={"dash": "dot", "color": "#999"}, row=1, col=2)
    fig.update_xaxes(title="step")
    return _layout(fig, "", height=340)


def rlhf_diagram() -> go.Figure:
    """Two pipelines from the same fine-tuned model: RLHF (top) with a reward model and
    reinforcement learning; DPO (bottom), one supervised loss on the pairs."""
    boxes = {
        "sft1": (0.0, 1.0, "fine-tuned<br>model"), "pairs1": (1.0, 1.0, "people pick the<br>better answer"),
        "rm": (2.0, 1.0, "reward model<br>(trained on the pairs)"), "ppo": (3.0, 1.0, "RL (PPO): more reward,<br>− β·KL to the reference"),
        "out1": (4.0, 1.0, "chat model"),
        "sft2": (0.0, 0.0, "fine-tuned<br>model"), "pairs2": (1.0, 0.0, "people pick the<br>better answer"),
        "dpo": (2.5, 0.0, "DPO loss on the pairs<br>(β, reference built in)"), "out2": (4.0, 0.0, "chat model"),
    }
    # shapes and annotations as one list each: add_shape / add_annotation check each one and
    # copy the whole list every time (this static figure took 39 ms to build that way)
    shapes = [dict(type="rect", x0=x - 0.42, x1=x + 0.42, y0=y - 0.28, y1=y + 0.28, line={"color": "#495057"},
                   fillcolor="#f1f3f5" if "model" not in text else "#d0ebff") for x, y, text in boxes.values()]
    notes = [dict(x=x, y=y, text=text, showarrow=False, font={"size": 11}) for x, y, text in boxes.values()]
    for a, b in [("sft1", "pairs1"), ("pairs1", "rm"), ("rm", "ppo"), ("ppo", "out1"),
                 ("sft2", "pairs2"), ("pairs2", "dpo"), ("dpo", "out2")]:
        (x0, y0, _), (x1, y1, _) = boxes[a], boxes[b]
        notes.append(dict(x=x1 - 0.44, y=y1, ax=x0 + 0.44, ay=y0, xref="x", yref="y", axref="x", ayref="y",
                          showarrow=True, arrowhead=2, arrowsize=1.2, arrowcolor="#495057", text=""))
    notes += [dict(x=-0.45, y=1.45, text="<b>RLHF</b> (InstructGPT, 2022)", showarrow=False, xanchor="left"),
              dict(x=-0.45, y=0.45, text="<b>DPO</b> (this page, SmolLM2)", showarrow=False, xanchor="left")]
    fig = figure().update_layout(shapes=shapes, annotations=notes)
    fig.update_xaxes(visible=False, range=[-0.5, 4.5])
    fig.update_yaxes(visible=False, range=[-0.4, 1.6])
    return _layout(fig, "", height=300)


def scale_figure(rows: Sequence[tuple[str, float | None, float | None]]) -> go.Figure:
    """Training compute per stage, tiny model against SmolLM2 (log scale)."""
    fig = figure()
    names = [r[0] for r in rows]
    fig.add_trace(go.Bar(x=names, y=[r[1] for r in rows], name="tiny model (this page)", marker_color=LIVE_COLOR))
    fig.add_trace(go.Bar(x=names, y=[r[2] for r in rows], name="SmolLM2-135M", marker_color=SHIPPED_COLOR))
    fig.update_yaxes(type="log", title="training compute (FLOPs, ≈ 6·N·D)")
    fig.update_layout(barmode="group")
    return _layout(fig, "Compute per stage", height=330)
