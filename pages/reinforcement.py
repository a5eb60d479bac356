"""Reinforcement learning: an agent learns from rewards and penalties.

Three tabs: plan and learn on a grid world you draw or on Gymnasium's FrozenLake and
CliffWalking; compare SARSA and Q-learning on CliffWalking; a recommender bandit."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import streamlit as st

from playground.config import get_settings
from playground.rl import algorithms as alg
from playground.rl import bandits, charts, explain
from playground.rl import envs as rl_envs
from playground.ui.common import friendly_errors, page_intro, track
from playground.ui.rl import recall, remember
from playground.ui.entry import run_through_navigation
from playground.ui.teacher import control, presets

run_through_navigation()  # first visitor of a fresh server: go through Home.py

settings = get_settings()
MAX_EPISODES = max(10, settings.max_episodes)

page_intro(
    "Reinforcement learning",
    "An agent is never told the right answer. It acts, receives a **reward** (or a penalty) "
    "and a new situation, and must find the actions that collect the most reward over time. "
    "Below, **value iteration** *plans* with the rules of a world it is given, while "
    "**Q-learning**, **SARSA** and **Monte Carlo** *learn* the same thing from trial and error, "
    "live, on the world you pick. The last tab is a shop recommending products: the same "
    "explore-or-exploit trade-off with a single state.\n\n"
    "These agents keep one number per state and action in a table, so they only work on small "
    "worlds. Game-playing agents and the RLHF step that tunes chatbots replace the table with a "
    "neural network (and use methods such as PPO); rewards, values and exploration work the same "
    "way, at a very different scale.",
    [
        "**Compare on CliffWalking**: set ε to 0. SARSA and Q-learning now draw the very same "
        "curve and both take the 13-step path along the cliff: without random moves SARSA's next "
        "action is the greedy one, so its update is exactly Q-learning's.",
        "**Grid world & Gymnasium → FrozenLake**: turn on *slippery ice*. Even the best plan "
        "(value iteration) now reaches the goal only about 3 times in 4 instead of every time, "
        "and next to a hole it pushes *away* from it, often into a wall, so that no slip can "
        "carry it in.",
        "**Grid world → preset *Two exits***: at γ = 0.9 value iteration's arrows lead to the far "
        "+10 goal, yet Q-learning (ε = 0.1) settles for the near +3 prize: it rarely explores far "
        "enough to find the +10. Lower γ to 0.75 (at 0.76 it still heads for the +10) and the plan "
        "switches to the +3 too: a reward t steps away is worth only γᵗ of itself now.",
    ],
)

ENV_CHOICES = ("Your grid world", "FrozenLake", "CliffWalking")
ENV_DEFAULTS = {  # hyper-parameters that work on each world; the user can change them
    "Your grid world": dict(rl_gamma=0.9, rl_alpha=0.5, rl_epsilon=0.1, rl_episodes=300),
    "FrozenLake": dict(rl_gamma=0.99, rl_alpha=0.1, rl_epsilon=0.1, rl_episodes=2000),
    "CliffWalking": dict(rl_gamma=1.0, rl_alpha=0.5, rl_epsilon=0.1, rl_episodes=500),
}
METHOD_KEYS = {label: key for key, label in alg.METHODS.items()}
MAX_ROUNDS = max(100, min(10_000, settings.max_training_steps))
# Every widget's starting value. The page keeps them in Session State itself (re-assigned on
# each run), so a value survives runs in which its widget is not drawn: another tab is open,
# or the grid has an error.
WIDGET_DEFAULTS = {
    "rl_env": ENV_CHOICES[0], "rl_preset": next(iter(rl_envs.GRID_PRESETS)), "rl_step_reward": -0.1,
    "rl_slippery": False, "rl_map": "4x4", "rl_method": "Q-learning", "rl_seed": 0,
    **{k: min(v, MAX_EPISODES) if k == "rl_episodes" else v
       for k, v in ENV_DEFAULTS[ENV_CHOICES[0]].items()},
    "cmp_methods": ["Q-learning", "SARSA"], "cmp_episodes": max(50, min(500, MAX_EPISODES)),
    "cmp_runs": 5, "cmp_epsilon": 0.1, "cmp_alpha": 0.5, "cmp_gamma": 1.0,
    "bd_products": 5, "bd_rounds": min(2000, MAX_ROUNDS), "bd_runs": 20, "bd_epsilon": 0.1,
    "bd_seed": 0, "bd_reveal": False,
}


# --- cached computations (keyed by the real inputs) ---------------------------------
@st.cache_resource(show_spinner=False, max_entries=32)
def get_env(kind: str, cells: tuple[str, ...], step_reward: float, slippery: bool,
            map_name: str) -> rl_envs.TabularEnv:
    if kind == "FrozenLake":
        return rl_envs.frozen_lake(slippery, map_name)
    if kind == "CliffWalking":
        return rl_envs.cliff_walking()
    return rl_envs.grid_world(list(cells), step_reward)


@st.cache_data(show_spinner=False, max_entries=64)
def plan(_env: rl_envs.TabularEnv, env_key: tuple, gamma: float) -> alg.ValueIteration:
    return alg.value_iteration(_env, gamma, sweeps=1000)


@st.cache_data(show_spinner=False, max_entries=128)
def evaluate(_env: rl_envs.TabularEnv, env_key: tuple, policy: tuple[int, ...]) -> tuple[float, float]:
    return alg.evaluate(_env, np.array(policy), episodes=200, seed=0)


@st.cache_data(show_spinner="Running the bandits…", max_entries=32)
def play_bandits(n_products: int, rounds: int, runs: int, epsilon: float, seed: int):
    shop = bandits.make_shop(n_products, seed, low=0.05, high=0.5)
    return shop, bandits.run_all(shop, rounds, runs, seed, epsilon)


def train_live(env: rl_envs.TabularEnv, env_key: tuple, cfg: alg.AgentConfig) -> alg.TrainResult | None:
    """Train with a progress bar and a live return chart; reuse a finished run.

    A widget change stops the loop (Streamlit reruns the script); the Stop button keeps
    what was learned so far."""
    key = ("train", env_key, cfg)
    done = recall(key)
    if done is not None:
        return done
    partial = st.session_state.get("rl_partial")
    if st.session_state.get("rl_stopped") == key:
        if partial and partial[0] == key:
            st.info(f"Training stopped after {partial[1].episodes_done} of {cfg.episodes} episodes; "
                    "the results below are from that point. Change a setting or press "
                    "**Train again** to start over.", icon=":material/pause_circle:")
            return partial[1]
        return None
    live = st.empty()
    every = max(cfg.episodes // 20, 5)
    n_reports = -(-cfg.episodes // every)
    last_draw = time.perf_counter()
    result = None
    for result in track(alg.train_iter(env, cfg, report_every=every), n_reports,
                        f"Training {alg.METHODS[cfg.method]}"):
        st.session_state["rl_partial"] = (key, result)
        if time.perf_counter() - last_draw > 0.5:  # redraw the curve at most twice a second
            live.plotly_chart(charts.returns_figure(result.returns, title="Return per episode (live)"),
                              width="stretch")
            last_draw = time.perf_counter()
    live.empty()
    remember(key, result)
    return result


# --- tab 1: grid world & Gymnasium ---------------------------------------------------
def _apply_env_defaults() -> None:
    for k, v in ENV_DEFAULTS[st.session_state["rl_env"]].items():
        st.session_state[k] = min(v, MAX_EPISODES) if k == "rl_episodes" else v


def _reset_grid_edits() -> None:
    for k in ("rl_grid", "rl_grid_saved", "rl_grid_base"):
        st.session_state.pop(k, None)


def _step_sweep(max_sweeps: int) -> None:
    st.session_state["rl_vi_sweeps"] = min(st.session_state.get("rl_vi_sweeps", 0) + 1, max_sweeps)


def _jump_converged(max_sweeps: int) -> None:
    st.session_state["rl_vi_sweeps"] = max_sweeps


def _stop(key: tuple) -> None:
    st.session_state["rl_stopped"] = key


def _restart() -> None:
    st.session_state.pop("rl_stopped", None)


def choose_environment() -> tuple[rl_envs.TabularEnv, tuple] | None:
    kind = control(st.radio, "World", ENV_CHOICES, horizontal=True, key="rl_env",
                    on_change=_apply_env_defaults)
    cells, step_reward, slippery, map_name = (), 0.0, False, "4x4"
    if kind == "Your grid world":
        c1, c2 = st.columns(2)
        preset = control(c1.selectbox, "Start from", list(rl_envs.GRID_PRESETS), key="rl_preset",
                              on_change=_reset_grid_edits)
        step_reward = control(c2.slider, "Reward per step on floor", -1.0, 0.0, step=0.05,
                                key="rl_step_reward",
                                help="A small cost per move makes short paths better.")
        # The editor shows a base grid plus the user's edits. The base stays fixed while the
        # editor lives; when Streamlit drops the editor (another tab was open) it restarts
        # from the last edited grid, so edits are not lost.
        if "rl_grid" not in st.session_state or st.session_state.get("rl_grid_base", ("",))[0] != preset:
            saved = st.session_state.get("rl_grid_saved")
            base = (saved[1] if saved and saved[0] == preset
                    else [list(r) for r in rl_envs.GRID_PRESETS[preset]])
            st.session_state["rl_grid_base"] = (preset, base)
        base = st.session_state["rl_grid_base"][1]
        frame = pd.DataFrame(base, columns=[str(c) for c in range(len(base[0]))])
        edited = st.data_editor(
            frame, key="rl_grid", num_rows="fixed", hide_index=True,
            column_config={c: st.column_config.SelectboxColumn(c, options=list(rl_envs.CELL_CODES),
                                                               required=True, width="small")
                           for c in frame.columns})
        st.caption("Click a cell to change it. Cells: " + " · ".join(
            f"`{c}` {rl_envs.CELL_LABELS[c][2:]}" for c in rl_envs.CELL_CODES))
        st.session_state["rl_grid_saved"] = (preset, edited.values.tolist())
        with friendly_errors("building the grid world"):
            cells = rl_envs.parse_grid(edited.values.tolist())
        if not cells:
            return None
    elif kind == "FrozenLake":
        c1, c2 = st.columns(2)
        slippery = control(c1.toggle, "Slippery ice", key="rl_slippery",
                             help="Each move goes the intended way or to either side, p = 1/3 each.")
        map_name = control(c2.selectbox, "Map", ["4x4", "8x8"], key="rl_map")
        st.caption("Gymnasium `FrozenLake-v1`: reward 1 for reaching G, 0 otherwise; falling into "
                   "a hole H ends the episode.")
    else:
        st.caption("Gymnasium `CliffWalking-v1` (Sutton & Barto, Example 6.6): −1 per step; stepping "
                   "into the cliff costs −100 and sends you back to S.")
    env_key = (kind, cells, step_reward, slippery, map_name)
    return get_env(*env_key), env_key


def planning_section(env: rl_envs.TabularEnv, env_key: tuple, gamma: float) -> alg.ValueIteration:
    st.subheader("1 · Plan with the rules: value iteration")
    st.markdown(
        "Value iteration knows every transition `P[s][a]`. Each **sweep** updates every state "
        "at once with the Bellman optimality equation "
        "$V_{k+1}(s) = \\max_a \\sum_{s'} p(s',r\\mid s,a)\\,[\\,r + \\gamma V_k(s')\\,]$: "
        "value flows backwards from the rewards, one step per sweep. The arrows show the best "
        "action under the current values.")
    vi = plan(env, env_key, gamma)
    if st.session_state.get("rl_vi_for") != (env_key, gamma) or "rl_vi_sweeps" not in st.session_state:
        # a new world (or γ): start again at sweep 3
        st.session_state["rl_vi_for"] = (env_key, gamma)
        st.session_state["rl_vi_sweeps"] = min(3, vi.sweeps)
    st.session_state["rl_vi_sweeps"] = min(st.session_state["rl_vi_sweeps"], vi.sweeps)
    c1, c2, c3 = st.columns([4, 1, 1], vertical_alignment="bottom")
    k = control(c1.slider, "Sweeps", 0, vi.sweeps, key="rl_vi_sweeps")
    c2.button("+1", key="rl_vi_step", on_click=_step_sweep, args=(vi.sweeps,),
              icon=":material/skip_next:", width="stretch", help="Run one more sweep")
    c3.button("End", key="rl_vi_end", on_click=_jump_converged, args=(vi.sweeps,),
              icon=":material/fast_forward:", width="stretch", help="Jump to the converged values")
    V = vi.values[k]
    policy = alg.arrows_policy(alg.q_from_v(env, V, gamma))
    left, right = st.columns([3, 2])
    left.plotly_chart(charts.value_figure(env, V, policy,
                                          title=f"V after {k} sweep{'s' * (k != 1)}", width=400),
                      width="stretch", key="rl_vi_chart")
    with right:
        st.plotly_chart(charts.convergence_figure(vi.deltas, k), width="stretch", key="rl_vi_conv")
        conv = vi.converged_at(1e-6)
        st.caption(f"Converged (no value moves by more than 10⁻⁶) after **{conv}** sweeps."
                   if conv else f"Still changing after {vi.sweeps} sweeps: raise γ's patience or "
                   "lower γ.")
    with st.expander(f"One backup worked out: the start state, sweep {k} → {k + 1}"):
        b = alg.backup_example(env, V, gamma, env.start_state)
        for block in explain.backup_latex(env, b):
            st.latex(block)
    return vi


def learning_section(env: rl_envs.TabularEnv, env_key: tuple, gamma: float,
                     vi: alg.ValueIteration) -> None:
    st.subheader("2 · Learn from experience")
    st.markdown(
        "Now the agent does **not** know `P`: it only plays episodes (`reset`, `step`) and "
        "updates a table $Q(s,a)$, its estimate of the return after taking action $a$ in state $s$. "
        "It explores with **ε-greedy**: a random action with probability ε, otherwise the best "
        "one so far.")
    c1, c2, c3 = st.columns([3, 2, 1])
    method = METHOD_KEYS[control(c1.radio, "Algorithm", list(METHOD_KEYS), key="rl_method", horizontal=True)]
    episodes = control(c2.slider, "Episodes", 10, MAX_EPISODES, step=10, key="rl_episodes")
    seed = control(c3.number_input, "Seed", 0, 10_000, key="rl_seed")
    c4, c5 = st.columns(2)
    alpha = control(c4.slider, "Learning rate α", 0.01, 1.0, step=0.01, key="rl_alpha",
                      help="Monte Carlo averages returns (step 1/N) and does not use α.")
    epsilon = control(c5.slider, "Exploration ε", 0.0, 1.0, step=0.01, key="rl_epsilon")
    cfg = alg.AgentConfig(method, int(episodes), float(alpha), float(gamma), float(epsilon), int(seed))
    key = ("train", env_key, cfg)
    b1, b2, _ = st.columns([1, 1, 3])
    b1.button("Stop", key="rl_stop", on_click=_stop, args=(key,), icon=":material/stop:",
              width="stretch", help="Stop training and keep what was learned so far")
    b2.button("Train again", key="rl_restart", on_click=_restart, icon=":material/replay:",
              width="stretch")
    result = train_live(env, env_key, cfg)
    if result is None:
        st.info("Training was stopped before the first report. Press **Train again**.")
        return

    Q_star = alg.q_from_v(env, vi.values[-1], gamma)
    policy = result.policy
    success, mean_return = evaluate(env, env_key, tuple(int(a) for a in policy))
    best_success, best_return = evaluate(env, env_key, tuple(int(a) for a in alg.greedy_policy(Q_star)))
    agree, total = alg.policy_agreement(env, result.Q, Q_star, on="learned")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Reaches G", f"{success:.0%}", f"{success - best_success:+.0%} vs plan",
              help="Share of 200 test episodes in which the learned greedy policy (no exploration) "
                   "reaches a goal G. The difference is against value iteration's optimal policy.")
    m2.metric("Test return", f"{mean_return:.2f}", f"{mean_return - best_return:+.2f} vs plan",
              help="Mean return of the same 200 test episodes.")
    tail = result.returns[-max(len(result.returns) // 10, 1):]
    m3.metric("Learning return", f"{tail.mean():.2f}",
              help="Mean return of the last 10% of training episodes, exploration included: "
                   "what the agent actually collected.")
    m4.metric("Optimal actions", f"{agree}/{total}",
              help="On the states the learned greedy policy visits, how many of its actions are "
                   "optimal according to value iteration (Q*(s,a) = V*(s)).")

    left, right = st.columns(2)
    left.plotly_chart(charts.value_figure(env, result.Q.max(axis=1), alg.arrows_policy(result.Q),
                                          title="Learned values max Q(s,·) and greedy policy"),
                      width="stretch", key="rl_learned_v")
    right.plotly_chart(charts.q_figure(env, result.Q), width="stretch", key="rl_learned_q")
    with st.expander("Q-table (every state and action)"):
        table = pd.DataFrame(result.Q, columns=list(env.actions))
        table.insert(0, "cell", [f"row {s // env.shape[1]}, col {s % env.shape[1]} ({env.cell(s)})"
                                 for s in range(env.n_states)])
        live = ~(env.blocked | env.terminal)
        st.dataframe(table[live], hide_index=True, width="stretch",
                     column_config={a: st.column_config.NumberColumn(format="%.3f")
                                    for a in env.actions})
    st.plotly_chart(charts.returns_figure(result.returns, window=max(len(result.returns) // 25, 5),
                                          reference=best_return,
                                          reference_label="optimal policy, no exploration"),
                    width="stretch", key="rl_returns")
    ro = alg.rollout(env, policy, seed=int(seed))
    st.plotly_chart(charts.rollout_figure(env, ro), width="stretch", key="rl_rollout")
    st.caption(f"One test episode of the greedy policy: {len(ro.actions)} steps, return {ro.total:g}"
               + (", reaches G." if ro.reached_goal else ", does not reach G."))

    updates = result.last_updates
    if updates:
        st.markdown("**One update worked out**, from the last training episode, with the numbers "
                    "the agent really used:")
        i = 0
        if len(updates) > 1:
            if st.session_state.get("rl_update_for") != key or "rl_update_step" not in st.session_state:
                # a new run: start at the update that changed Q the most
                st.session_state["rl_update_for"] = key
                st.session_state["rl_update_step"] = int(np.argmax(
                    [abs(u.target - u.q_before) for u in updates]))
            st.session_state["rl_update_step"] = min(st.session_state["rl_update_step"],
                                                     len(updates) - 1)
            i = control(st.slider, "Update number in the last episode (starts at the one that changed Q most)",
                          0, len(updates) - 1, key="rl_update_step")
        u = updates[i]
        if method == "monte_carlo":
            blocks = explain.mc_update_latex(env, u)
        else:
            blocks = explain.td_update_latex(env, u, method, gamma)
        for block in blocks:
            st.latex(block)
        if method != "monte_carlo":
            if u.done:
                st.caption("s′ ends the episode, so there is no future term: the target is just r.")
            else:
                values = ", ".join(f"{env.actions[a]} {q:.3f}" for a, q in enumerate(u.next_q))
                which = ("a′ = " + env.actions[u.next_action] + ", the action SARSA takes next"
                         if method == "sarsa" else "the largest")
                st.caption(f"Q(s′, ·) at that moment: {values}; the target used {which}.")


def grid_tab() -> None:
    chosen = choose_environment()
    if chosen is None:
        return
    env, env_key = chosen
    gamma = control(st.slider, "Discount γ (how much later rewards count)", 0.0, 1.0, step=0.01,
                      key="rl_gamma")
    vi = None
    with friendly_errors("planning"):
        vi = planning_section(env, env_key, gamma)
    if vi is None:
        return
    st.divider()
    with friendly_errors("training"):
        learning_section(env, env_key, gamma, vi)


# --- tab 2: compare on CliffWalking --------------------------------------------------
def compare_tab() -> None:
    st.markdown(
        "The textbook experiment (Sutton & Barto, Example 6.6): with ε-greedy exploration, "
        "**Q-learning** learns the values of the *greedy* policy and walks the shortest path, "
        "right along the cliff edge, where a random step now and then throws it off (−100). "
        "**SARSA** learns the values of the policy it actually follows, exploration included, so "
        "it prefers the safer path further from the edge and collects **more** reward while "
        "learning. Curves are averaged over several seeds.")
    c1, c2, c3 = st.columns([2, 1, 1])
    methods = control(c1.multiselect, "Algorithms", list(METHOD_KEYS), key="cmp_methods")
    episodes = control(c2.slider, "Episodes", 50, max(50, min(2000, MAX_EPISODES)), step=50, key="cmp_episodes")
    runs = control(c3.slider, "Seeds averaged", 1, 10, key="cmp_runs")
    c4, c5, c6 = st.columns(3)
    epsilon = control(c4.slider, "Exploration ε", 0.0, 0.5, step=0.01, key="cmp_epsilon")
    alpha = control(c5.slider, "Learning rate α", 0.05, 1.0, step=0.05, key="cmp_alpha")
    gamma = control(c6.slider, "Discount γ", 0.8, 1.0, step=0.01, key="cmp_gamma")
    if not methods:
        st.info("Pick at least one algorithm.")
        return
    env = get_env("CliffWalking", (), 0.0, False, "4x4")
    jobs = [(m, seed) for m in methods for seed in range(runs)]
    results: dict[str, list[alg.TrainResult]] = {m: [] for m in methods}
    for m, seed in track(jobs, len(jobs), "Training on CliffWalking"):
        cfg = alg.AgentConfig(METHOD_KEYS[m], int(episodes), float(alpha), float(gamma),
                              float(epsilon), seed)
        key = ("train", ("CliffWalking",), cfg)
        res = recall(key)
        if res is None:
            res = alg.train(env, cfg)
            remember(key, res)
        results[m].append(res)
    curves = {m: np.mean([r.returns for r in rs], axis=0) for m, rs in results.items()}
    st.plotly_chart(charts.compare_figure(curves, window=10), width="stretch", key="cmp_curves")

    rows, paths = [], {}
    for m, rs in results.items():
        walks = [alg.rollout(env, r.policy) for r in rs]
        paths[m] = walks[0]
        edge = [rl_envs.cliff_edge_share(w.states) for w in walks]
        rows.append({
            "algorithm": m,
            "return/episode": float(np.mean(curves[m])),
            "path steps (seed 0)": len(walks[0].actions),
            "paths reach G": f"{sum(w.reached_goal for w in walks)}/{len(walks)}",
            "on cliff edge": float(np.mean(edge)),
        })
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
        "return/episode": st.column_config.NumberColumn(
            format="%.1f", help="Mean return per training episode, exploration included"),
        "path steps (seed 0)": st.column_config.NumberColumn(
            help="Length of the greedy path (no exploration) of the seed-0 agent"),
        "paths reach G": st.column_config.TextColumn(
            help="How many seeds' greedy paths reach the goal"),
        "on cliff edge": st.column_config.NumberColumn(
            format="percent", help="Share of columns 1-10 where the greedy path walks right "
                                   "above the cliff, averaged over seeds")})
    st.plotly_chart(charts.paths_figure(env, paths, title="Greedy path after training (seed 0)"),
                    width="stretch", key="cmp_paths")
    st.caption("The greedy path is what each agent would do once exploration is switched off. "
               "With a constant α = 0.5 SARSA's values stay noisy, so with some seeds its greedy "
               "path still wanders in the top rows after 500 episodes.")


# --- tab 3: bandits ------------------------------------------------------------------
def bandit_tab() -> None:
    st.markdown(
        "A shop shows each visitor **one** recommended product and scores a point when the "
        "visitor buys it. Every product has a **hidden** purchase probability. Recommend the "
        "best-looking product too early and you may never find a better one; keep exploring and "
        "you waste visitors. **Regret** counts the sales expected to be lost against always "
        "recommending the truly best product: a learner that stops exploring wrong products has "
        "a regret curve that flattens.")
    c1, c2, c3 = st.columns(3)
    n_products = control(c1.slider, "Products", 2, len(bandits.PRODUCT_NAMES), key="bd_products")
    rounds = control(c2.slider, "Visitors (rounds)", 100, MAX_ROUNDS, step=100, key="bd_rounds")
    runs = control(c3.slider, "Runs averaged", 1, 50, key="bd_runs")
    c4, c5, _ = st.columns(3)
    epsilon = control(c4.slider, "ε of ε-greedy", 0.0, 1.0, step=0.01, key="bd_epsilon")
    seed = control(c5.number_input, "Shop seed", 0, 10_000, key="bd_seed")
    shop, res = play_bandits(int(n_products), int(rounds), int(runs), float(epsilon), int(seed))
    cols = st.columns(len(res))
    for col, (algo, run) in zip(cols, res.items()):
        col.metric(bandits.ALGORITHMS[algo], f"{run.cumulative_reward[-1]:.0f} sales",
                   f"regret {run.cumulative_regret[-1]:.1f}", delta_color="off", delta_arrow="off",
                   help="Mean over runs of the sales in all rounds, and of the regret")
    left, right = st.columns(2)
    left.plotly_chart(charts.bandit_figure(res, "regret"), width="stretch", key="bd_regret")
    right.plotly_chart(charts.bandit_figure(res, "reward"), width="stretch", key="bd_reward")
    reveal = control(st.toggle, "Reveal the hidden purchase probabilities", key="bd_reveal")
    st.plotly_chart(charts.pulls_figure(shop, res, reveal), width="stretch", key="bd_pulls")
    if reveal:
        st.caption(f"The best product is **{shop.products[shop.best]}** "
                   f"(p = {shop.probs[shop.best]:.2f}).")
    st.caption("UCB1's bonus √(2 ln t / n) is large next to purchase probabilities this small, so "
               "it keeps trying weak products for a long time; its regret still grows like log t, "
               "only with a large constant. Set ε to 0 and ε-greedy becomes pure greedy: it "
               "sticks with the first product that sells, and its regret climbs in a straight line.")


# lesson presets: the "try this" experiments, set up (sidebar, or ?preset=... in a link); a preset
# that changes the world also sets that world's hyper-parameters, as choosing it by hand does
def _env_values(world: str, **changes) -> dict:
    values = {**ENV_DEFAULTS[world], **changes}
    values["rl_episodes"] = min(values["rl_episodes"], MAX_EPISODES)
    return {"rl_env": world, **values}


presets({
    "SARSA equals Q-learning at ε = 0": {"rl_tab": "Compare on CliffWalking", "cmp_methods": ["Q-learning", "SARSA"],
                                         "cmp_epsilon": 0.0},
    "Slippery FrozenLake": {"rl_tab": "Grid world & Gymnasium", "rl_slippery": True, "rl_map": "4x4",
                            **_env_values("FrozenLake")},
    "Two exits, far-sighted": {"rl_tab": "Grid world & Gymnasium", "rl_preset": "Two exits (near +3, far +10)",
                               **_env_values("Your grid world")},
    "Two exits, short-sighted": {"rl_tab": "Grid world & Gymnasium", "rl_preset": "Two exits (near +3, far +10)",
                                 **_env_values("Your grid world", rl_gamma=0.75)},
})
for _k, _v in WIDGET_DEFAULTS.items():
    st.session_state[_k] = st.session_state.get(_k, _v)
tab_grid, tab_cmp, tab_bandit = st.tabs(
    ["Grid world & Gymnasium", "Compare on CliffWalking", "Bandits"], key="rl_tab", on_change="rerun")
if tab_grid.open:
    with tab_grid:
        grid_tab()
if tab_cmp.open:
    with tab_cmp, friendly_errors("the comparison"):
        compare_tab()
if tab_bandit.open:
    with tab_bandit, friendly_errors("the bandits"):
        bandit_tab()
