"""Plotly figures for the reinforcement-learning page: data in, go.Figure out.

Grid coordinates: cell (row r, column c) is centred at x = c, y = r, with the y axis
reversed so that row 0 is at the top, as in the text map."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from playground.charts import figure, unchecked
from playground.rl.algorithms import Rollout, moving_average
from playground.rl.bandits import ALGORITHMS, BanditRun, Shop
from playground.rl.envs import (
    ARROWS, CLIFF, DELTAS, GOAL, HOLE, PRIZE, START, TRAP, WALL, TabularEnv,
)

VALUE_SCALE = "RdYlGn"
CELL_COLOURS = {
    WALL: "#4a4a4a", CLIFF: "#c0392b", HOLE: "#2e86c1", TRAP: "#c0392b",
    GOAL: "#27ae60", PRIZE: "#82e0aa", START: "#f4d03f",
}
METHOD_COLOURS = {"Q-learning": "#1f77b4", "SARSA": "#d62728", "Monte Carlo": "#2ca02c",
                  "ε-greedy": "#ff7f0e", "UCB1": "#9467bd", "Thompson sampling": "#17becf"}


def grid_height(env: TabularEnv, width: int = 330, extra: int = 50, max_cell: int = 75) -> int:
    """A chart height that keeps cells square in a column about ``width`` pixels wide
    (cells at most ``max_cell`` pixels, so a 4x4 map does not fill the screen)."""
    h, w = env.shape
    cell = min(width / w, max_cell)
    return int(min(620, max(160, extra + cell * h)))


def _grid_layout(fig: go.Figure, env: TabularEnv, title: str, height: int | None = None) -> go.Figure:
    h, w = env.shape
    fig.update_layout(
        title=title, margin=dict(l=10, r=10, t=40, b=10),
        height=height or grid_height(env),
        plot_bgcolor="white",
        xaxis=dict(range=[-0.5, w - 0.5], showgrid=False, zeroline=False, showticklabels=False,
                   constrain="domain"),
        yaxis=dict(range=[h - 0.5, -0.5], showgrid=False, zeroline=False, showticklabels=False,
                   scaleanchor="x", constrain="domain"),
    )
    return fig


def _cell_shapes(env: TabularEnv, special_only: bool = False) -> list[dict]:
    """A rectangle per cell: walls, cliffs, holes, traps and goals in their colours."""
    shapes = []
    h, w = env.shape
    for r in range(h):
        for c in range(w):
            code = env.cells[r][c]
            colour = CELL_COLOURS.get(code)
            if colour is None and special_only:
                continue
            shapes.append(dict(type="rect", x0=c - 0.5, x1=c + 0.5, y0=r - 0.5, y1=r + 0.5,
                               fillcolor=colour or "#f7f7f7", line=dict(color="white", width=1),
                               layer="below"))
    return shapes


def _start_outline(env: TabularEnv) -> dict:
    r, c = divmod(env.start_state, env.shape[1])
    return dict(type="rect", x0=c - 0.47, x1=c + 0.47, y0=r - 0.47, y1=r + 0.47,
                line=dict(color="#1f3b73", width=3), layer="above")


def _cell_label(code: str) -> str:
    return {GOAL: "G", PRIZE: "+", TRAP: "X", HOLE: "H", CLIFF: "", WALL: "", START: "S"}.get(code, "")


# --- values and policies -------------------------------------------------------------
def value_figure(env: TabularEnv, V: np.ndarray, policy: np.ndarray | None = None,
                 title: str = "State values V(s) and greedy policy", width: int = 330) -> go.Figure:
    """Heatmap of V over the grid, the greedy action as an arrow in each cell."""
    h, w = env.shape
    z = np.array(V, dtype=float).reshape(h, w).copy()
    text = np.empty((h, w), dtype=object)
    for s in range(env.n_states):
        r, c = divmod(s, w)
        code = env.cells[r][c]
        if env.blocked[s]:
            z[r, c] = np.nan
            text[r, c] = ""
        elif env.terminal[s]:
            z[r, c] = np.nan
            reward = env.entry_reward(s)
            text[r, c] = _cell_label(code) + (f"<br>{reward:+g}" if reward else "")
        else:
            arrow = ARROWS[env.actions[int(policy[s])]] if policy is not None and policy[s] >= 0 else ""
            text[r, c] = f"{arrow}<br>{V[s]:.2f}" if arrow else f"{V[s]:.2f}"
    fig = figure(go.Heatmap(
        z=z, text=text, texttemplate="%{text}", colorscale=VALUE_SCALE,
        textfont=dict(size=13 if w <= 8 else 11), xgap=1, ygap=1,
        hovertemplate="row %{y}, col %{x}<br>V = %{z:.3f}<extra></extra>",
        colorbar=dict(title="V(s)", thickness=12)))
    fig.update_layout(shapes=_cell_shapes(env, special_only=True) + [_start_outline(env)])
    return _grid_layout(fig, env, title, grid_height(env, width))


def q_figure(env: TabularEnv, Q: np.ndarray, title: str = "Q(s, a): one triangle per action",
             width: int = 330) -> go.Figure:
    """Each cell split into four triangles, one per action, coloured by Q(s, a)."""
    h, w = env.shape
    live = [s for s in range(env.n_states) if not env.blocked[s] and not env.terminal[s]]
    qs = Q[live] if live else np.zeros((1, env.n_actions))
    lo, hi = float(qs.min()), float(qs.max())
    span = hi - lo if hi > lo else 1.0
    shapes = _cell_shapes(env, special_only=True)
    xs, ys, texts, hovers, colours, paths = [], [], [], [], [], []
    for s in live:
        r, c = divmod(s, w)
        for a, name in enumerate(env.actions):
            dr, dc = DELTAS[name]
            # the triangle from the cell centre to the two corners on the action's side
            if dr == 0:
                corners = [(c + dc * 0.5, r - 0.5), (c + dc * 0.5, r + 0.5)]
            else:
                corners = [(c - 0.5, r + dr * 0.5), (c + 0.5, r + dr * 0.5)]
            paths.append(f"M {c},{r} L {corners[0][0]},{corners[0][1]} L {corners[1][0]},{corners[1][1]} Z")
            xs.append(c + dc * 0.3)
            ys.append(r + dr * 0.3)
            texts.append(f"{Q[s, a]:.1f}" if span > 5 else f"{Q[s, a]:.2f}")
            hovers.append(f"row {r}, col {c}, {name}: Q = {Q[s, a]:.3f}")
            colours.append(Q[s, a])
    fills = sample_colorscale(VALUE_SCALE, [(q - lo) / span for q in colours]) if colours else []
    shapes += [dict(type="path", path=p, fillcolor=f, line=dict(color="white", width=0.5),
                    layer="below") for p, f in zip(paths, fills)]
    for s in range(env.n_states):
        if env.terminal[s] and not env.blocked[s]:
            r, c = divmod(s, w)
            xs.append(c)
            ys.append(r)
            texts.append(_cell_label(env.cells[r][c]))
            hovers.append(f"row {r}, col {c}: the episode ends here")
            colours.append(None)
    show_text = w <= 5 and h <= 5  # numbers only where they fit; hover shows them everywhere
    fig = figure(go.Scatter(
        x=xs, y=ys, mode="markers+text" if show_text else "markers",
        text=texts, textfont=dict(size=9), hovertext=hovers, hoverinfo="text",
        marker=dict(size=8, opacity=0, color=[q if q is not None else lo for q in colours],
                    colorscale=VALUE_SCALE, cmin=lo, cmax=hi, showscale=True,
                    colorbar=dict(title="Q", thickness=12)),
        showlegend=False))
    fig.update_layout(shapes=shapes + [_start_outline(env)])
    return _grid_layout(fig, env, title, grid_height(env, width))


def convergence_figure(deltas: np.ndarray, current: int) -> go.Figure:
    """Largest change of V per sweep (log scale), with the sweep shown now marked."""
    k = np.arange(1, len(deltas) + 1)
    d = np.maximum(deltas, 1e-12)
    fig = figure(go.Scatter(x=k, y=d, mode="lines+markers", name="max |V_k − V_{k−1}|",
                               marker=dict(size=4)))
    if 1 <= current <= len(deltas):
        fig.add_trace(go.Scatter(x=[current], y=[d[current - 1]], mode="markers",
                                 marker=dict(size=12, color="#d62728"), name="this sweep"))
    fig.update_layout(title="How much a sweep still changes V", height=260,
                      margin=dict(l=10, r=10, t=40, b=10), xaxis_title="sweep k",
                      yaxis=dict(type="log", title="largest change", exponentformat="power"),
                      showlegend=False)
    return fig


# --- learning curves -----------------------------------------------------------------
def returns_figure(returns: np.ndarray, window: int = 20, title: str = "Return per episode",
                   reference: float | None = None, reference_label: str = "") -> go.Figure:
    """Return of each episode (faint) and its moving average (bold)."""
    ep = np.arange(1, len(returns) + 1)
    fig = figure()
    fig.add_trace(go.Scatter(x=ep, y=returns, mode="lines", name="return",
                             line=dict(color="rgba(31,119,180,0.3)", width=1)))
    fig.add_trace(go.Scatter(x=ep, y=moving_average(returns, window), mode="lines",
                             name=f"moving average ({window})", line=dict(color="#1f77b4", width=3)))
    if reference is not None:
        fig.add_hline(y=reference, line_dash="dash", line_color="#27ae60",
                      annotation_text=reference_label, annotation_position="bottom right")
    fig.update_layout(title=title, height=320, margin=dict(l=10, r=10, t=40, b=10),
                      xaxis_title="episode", yaxis_title="return (sum of rewards)",
                      legend=dict(orientation="h", y=-0.25))
    return fig


def compare_figure(curves: dict[str, np.ndarray], window: int = 10,
                   y_range: tuple[float, float] | None = (-100, 0),
                   title: str = "Return per episode while learning") -> go.Figure:
    """Moving-average return of several methods on one chart."""
    fig = figure()
    for name, r in curves.items():
        fig.add_trace(go.Scatter(x=np.arange(1, len(r) + 1), y=moving_average(r, window),
                                 mode="lines", name=name,
                                 line=dict(width=2.5, color=METHOD_COLOURS.get(name))))
    fig.update_layout(title=title, height=380, margin=dict(l=10, r=10, t=40, b=10),
                      xaxis_title="episode",
                      yaxis=dict(title=f"return, moving average ({window})",
                                 range=list(y_range) if y_range else None),
                      legend=dict(orientation="h", y=-0.2))
    return fig


def paths_figure(env: TabularEnv, paths: dict[str, Rollout],
                 title: str = "Greedy path after training") -> go.Figure:
    """Each method's greedy path drawn over the map (slightly offset so they do not hide)."""
    h, w = env.shape
    fig = figure()
    offsets = np.linspace(-0.12, 0.12, max(len(paths), 1))
    for (name, ro), off in zip(paths.items(), offsets):
        rc = [divmod(s, w) for s in ro.states]
        label = f"{name}: {len(ro.actions)} steps, return {ro.total:g}"
        if not ro.reached_goal:
            label += " (does not reach G)"
        fig.add_trace(go.Scatter(x=[c + off for _, c in rc], y=[r + off for r, _ in rc],
                                 mode="lines+markers", name=label, marker=dict(size=5),
                                 line=dict(width=3, color=METHOD_COLOURS.get(name))))
    _add_cell_labels(fig, env)
    fig.update_layout(shapes=_cell_shapes(env), legend=dict(orientation="h", y=-0.05))
    return _grid_layout(fig, env, title, height=grid_height(env, 680, 150))


def _add_cell_labels(fig: go.Figure, env: TabularEnv) -> None:
    """Write each special cell's letter (S, G, X, ...) on the map."""
    w = env.shape[1]
    for s in range(env.n_states):
        r, c = divmod(s, w)
        label = _cell_label(env.cells[r][c])
        if label:
            fig.add_annotation(x=c, y=r, text=f"<b>{label}</b>", showarrow=False,
                               font=dict(color="black", size=16))


ROLLOUT_FRAMES = 100


def rollout_figure(env: TabularEnv, ro: Rollout,
                   title: str = "The learned policy, step by step") -> go.Figure:
    """An animation of one episode: press play, or drag the step slider. A policy that
    wanders until the step limit (1,000 steps on CliffWalking) is animated for its first
    ROLLOUT_FRAMES steps: frame t draws the path so far, so the figure grows with the
    square of the steps (1,000 steps: half a million points, a minute to build)."""
    h, w = env.shape
    rc = [divmod(s, w) for s in ro.states][:ROLLOUT_FRAMES + 1]
    cum = np.concatenate([[0.0], np.cumsum(ro.rewards)])
    cut = f" (first {ROLLOUT_FRAMES} of {len(ro.states) - 1} steps)" if len(ro.states) > len(rc) else ""

    def caption(t: int) -> str:
        if t == 0:
            return f"{title} · step 0: start{cut}"
        return (f"{title} · step {t}: {env.actions[ro.actions[t - 1]]}, reward {ro.rewards[t - 1]:+g}, "
                f"return {cum[t]:+g}")

    def traces(t: int) -> list[go.Scatter]:
        return [
            unchecked(go.Scatter, x=[c for _, c in rc[:t + 1]], y=[r for r, _ in rc[:t + 1]], mode="lines",
                      line=dict(color="rgba(31,119,180,0.5)", width=4), hoverinfo="skip"),
            unchecked(go.Scatter, x=[rc[t][1]], y=[rc[t][0]], mode="markers",
                      marker=dict(size=26, color="#1f77b4", symbol="circle",
                                  line=dict(color="white", width=2)), hoverinfo="skip"),
        ]

    fig = figure(data=traces(0), frames=[
        unchecked(go.Frame, data=traces(t), name=str(t), layout=dict(title=dict(text=caption(t))))
        for t in range(len(rc))])
    _add_cell_labels(fig, env)
    fig.update_layout(
        shapes=_cell_shapes(env), showlegend=False,
        updatemenus=[dict(type="buttons", direction="left", x=0, y=-0.02, xanchor="left",
                          yanchor="top", buttons=[
                              dict(label="▶ Play", method="animate",
                                   args=[None, dict(frame=dict(duration=350, redraw=True),
                                                    transition=dict(duration=0), fromcurrent=True)]),
                              dict(label="❚❚ Pause", method="animate",
                                   args=[[None], dict(frame=dict(duration=0, redraw=False),
                                                      mode="immediate")])])],
        sliders=[dict(active=0, x=0.2, len=0.8, y=-0.02, yanchor="top", pad=dict(t=5),
                      currentvalue=dict(visible=False),
                      steps=[dict(label=str(t), method="animate",
                                  args=[[str(t)], dict(mode="immediate",
                                                       frame=dict(duration=0, redraw=True))])
                             for t in range(len(rc))])])
    _grid_layout(fig, env, caption(0), height=grid_height(env, 560, 130))
    fig.update_layout(margin=dict(l=10, r=10, t=40, b=80))
    return fig


# --- bandits -------------------------------------------------------------------------
def bandit_figure(runs: dict[str, BanditRun], kind: str = "regret") -> go.Figure:
    """Cumulative regret (or cumulative sales) per round, mean over runs."""
    fig = figure()
    for algo, run in runs.items():
        name = ALGORITHMS[algo]
        y = run.cumulative_regret if kind == "regret" else run.cumulative_reward
        fig.add_trace(go.Scatter(x=np.arange(1, len(y) + 1), y=y, mode="lines", name=name,
                                 line=dict(width=2.5, color=METHOD_COLOURS.get(name))))
    title = "Cumulative regret (expected lost sales)" if kind == "regret" else "Cumulative sales (points)"
    fig.update_layout(title=title, height=340, margin=dict(l=10, r=10, t=40, b=10),
                      xaxis_title="customer (round)",
                      yaxis_title="regret" if kind == "regret" else "sales",
                      legend=dict(orientation="h", y=-0.25))
    return fig


def pulls_figure(shop: Shop, runs: dict[str, BanditRun], reveal: bool) -> go.Figure:
    """How often each algorithm recommended each product (share of rounds)."""
    fig = figure()
    labels = list(shop.products)
    if reveal:
        labels = [f"{p} (p={q:.2f})" for p, q in zip(shop.products, shop.probs)]
    for algo, run in runs.items():
        name = ALGORITHMS[algo]
        fig.add_trace(go.Bar(x=labels, y=run.pulls / run.pulls.sum(), name=name,
                             marker_color=METHOD_COLOURS.get(name)))
    fig.update_layout(title="Share of recommendations per product", barmode="group", height=320,
                      margin=dict(l=10, r=10, t=40, b=10), yaxis=dict(title="share", tickformat=".0%"),
                      legend=dict(orientation="h", y=-0.35))
    return fig
