"""Tests of playground.rl: environments against Gymnasium, value iteration against
closed-form and linear-programming solutions, the learners against value iteration
and against the textbook CliffWalking result, the bandits' regret, and every claim
the page makes in its "try this" list."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from scipy.optimize import linprog

from playground.errors import UserInputError
from playground.rl import algorithms as alg
from playground.rl import bandits, charts, explain
from playground.rl import envs as rl_envs
from playground.rl.envs import GRID_PRESETS, TabularEnv, cliff_walking, frozen_lake, grid_world

MAZE = GRID_PRESETS["Maze with a trap"]
TWO_EXITS = GRID_PRESETS["Two exits (near +3, far +10)"]


def optimal_q(env: TabularEnv, gamma: float) -> np.ndarray:
    vi = alg.value_iteration(env, gamma, sweeps=5000)
    return alg.q_from_v(env, vi.values[-1], gamma)


def end_cell(env: TabularEnv, policy: np.ndarray) -> str:
    return env.cell(alg.rollout(env, policy).states[-1])


# --- environments: the same dynamics as Gymnasium ------------------------------------
@pytest.mark.parametrize("make, gym_id, kwargs", [
    (lambda: frozen_lake(False), "FrozenLake-v1", dict(is_slippery=False)),
    (lambda: frozen_lake(True), "FrozenLake-v1", dict(is_slippery=True)),
    (lambda: frozen_lake(True, "8x8"), "FrozenLake-v1", dict(is_slippery=True, map_name="8x8")),
    (cliff_walking, "CliffWalking-v1", {}),
])
def test_transition_table_is_gymnasiums(make, gym_id, kwargs):
    env = make()
    ref = gym.make(gym_id, **kwargs).unwrapped
    assert (env.n_states, env.n_actions) == (ref.observation_space.n, ref.action_space.n)
    for s in range(env.n_states):
        for a in range(env.n_actions):
            assert env.P[s][a] == [(float(p), int(s2), float(r), bool(d)) for p, s2, r, d in ref.P[s][a]]
    assert np.allclose(env.initial, ref.initial_state_distrib)


@pytest.mark.parametrize("make, seed", [(lambda: frozen_lake(True), 3),
                                        (lambda: frozen_lake(True, "8x8"), 5),
                                        (cliff_walking, 7)])
def test_step_samples_exactly_like_env_step(make, seed):
    """Same seed, same actions: TabularEnv.reset/step and Gymnasium's reset/step
    give the same states, rewards and terminations, step for step."""
    env = make()
    ref = env.make_gym()
    rng = np.random.default_rng(seed)  # Gymnasium seeds its np_random the same way
    actions = np.random.default_rng(99).integers(env.n_actions, size=600)
    s, _ = ref.reset(seed=seed)
    mine = env.reset(rng)
    assert mine == s
    for a in actions:
        s2, r, term, trunc, _ = ref.step(int(a))
        m2, mr, md = env.step(mine, int(a), rng)
        assert (m2, mr, md) == (s2, r, term)
        mine = m2
        if term or trunc:
            s, _ = ref.reset()
            mine = env.reset(rng)
            assert mine == s


@pytest.mark.parametrize("make, method", [(lambda: frozen_lake(True), "q_learning"),
                                          (cliff_walking, "sarsa")])
def test_training_on_the_table_equals_training_through_gymnasium(make, method):
    env = make()
    cfg = alg.AgentConfig(method, episodes=60, alpha=0.3, gamma=0.95, epsilon=0.2, seed=11)
    fast, slow = alg.train(env, cfg, backend="table"), alg.train(env, cfg, backend="gym")
    assert np.array_equal(fast.Q, slow.Q)
    assert np.array_equal(fast.returns, slow.returns)


def test_uniforms_are_the_generators_own_draws():
    u, rng = alg.Uniforms(np.random.default_rng(4), block=7), np.random.default_rng(4)
    assert [u() for _ in range(30)] == [rng.random() for _ in range(30)]


# --- the grid world editor ------------------------------------------------------------
@pytest.mark.parametrize("rows, message", [
    (["....", "...G"], "exactly one start"),
    (["S..S", "...G"], "exactly one start"),
    (["S...", "...."], "at least one goal"),
    (["S.#.", "..#G"], "No path"),
    (["S..X", "..XG"], "No path"),
    (["S..", "..G."], "same length"),
    (["S.?", "..G"], "use one of"),
    ([], "empty"),
])
def test_bad_grids_get_a_clear_message(rows, message):
    with pytest.raises(UserInputError, match=message):
        grid_world(rows)


def test_grid_world_rewards_walls_and_terminals():
    env = grid_world(["S#G", "...", "+.X"], step_reward=-0.5)
    up, right, down, left = range(4)  # states: row * 3 + col
    assert env.P[0][right] == [(1.0, 0, -0.5, False)]  # a wall: stay, pay the step
    assert env.P[0][up] == [(1.0, 0, -0.5, False)]  # the border too
    assert env.P[0][down] == [(1.0, 3, -0.5, False)]
    assert env.P[5][up] == [(1.0, 2, 10.0, True)]  # G: +10, the episode ends
    assert env.P[7][right] == [(1.0, 8, -10.0, True)]  # X: -10, ends
    assert env.P[3][down] == [(1.0, 6, 3.0, True)]  # +: +3, ends
    assert env.terminal[[2, 6, 8]].all() and not env.terminal[[0, 3, 4, 5, 7]].any()
    assert env.blocked[1] and env.start_state == 0 and env.entry_reward(2) == 10.0


def test_none_cells_from_the_editor_count_as_floor():
    assert rl_envs.parse_grid([["S", None, "G"]]) == ("S.G",)


# --- value iteration --------------------------------------------------------------------
def two_state_mdp() -> TabularEnv:
    """Stay in A for +1, or move to B for 0; in B, stay for +2 or move back for 0.
    With gamma = 0.9: V(B) = 2 / (1 - 0.9) = 20, V(A) = max(1 / 0.1, 0.9 * 20) = 18."""
    P = {0: {0: [(1.0, 0, 1.0, False)], 1: [(1.0, 1, 0.0, False)]},
         1: {0: [(1.0, 0, 0.0, False)], 1: [(1.0, 1, 2.0, False)]}}
    return TabularEnv("two states", ("..",), P, ("left", "right"), np.array([1.0, 0.0]), 100)


def test_value_iteration_solves_a_two_state_mdp():
    vi = alg.value_iteration(two_state_mdp(), 0.9, sweeps=2000)
    assert np.allclose(vi.values[-1], [18.0, 20.0], atol=1e-8)
    assert list(alg.greedy_policy(optimal_q(two_state_mdp(), 0.9))) == [1, 1]


def test_value_iteration_on_a_corridor_matches_the_closed_form():
    """S . . . G with no step cost: V(d steps from G) = 10 * gamma^(d - 1)."""
    gamma = 0.8
    env = grid_world(["S...G"], step_reward=0.0)
    vi = alg.value_iteration(env, gamma)
    assert np.allclose(vi.values[-1][:4], [10 * gamma ** (3 - c) for c in range(4)])
    assert vi.converged_at(1e-9) == 5  # 4 sweeps to reach S, a fifth changes nothing


def test_one_sweep_moves_value_one_step_back():
    env = grid_world(["S...G"], step_reward=0.0)
    vi = alg.value_iteration(env, 0.9)
    assert np.count_nonzero(vi.values[1]) == 1 and vi.values[1][3] == 10.0
    assert np.count_nonzero(vi.values[2]) == 2


@pytest.mark.parametrize("make, gamma", [(lambda: frozen_lake(True), 0.95),
                                         (lambda: grid_world(MAZE), 0.9),
                                         (cliff_walking, 0.99)])
def test_value_iteration_matches_the_linear_program(make, gamma):
    """V* is the smallest V with V(s) >= sum p [r + gamma V(s')] for every (s, a):
    solve that LP with scipy and compare."""
    env = make()
    S = env.n_states
    A_ub, b_ub = [], []
    for s in range(S):
        for a in range(env.n_actions):
            row = np.zeros(S)
            row[s] -= 1.0
            for p, s2, r, d in env.P[s][a]:
                if not d:
                    row[s2] += gamma * p
            A_ub.append(row)
            b_ub.append(-sum(p * r for p, _, r, _ in env.P[s][a]))
    bounds = [(0, 0) if env.terminal[s] else (None, None) for s in range(S)]
    lp = linprog(np.ones(S), A_ub=np.array(A_ub), b_ub=np.array(b_ub), bounds=bounds, method="highs")
    assert lp.success
    vi = alg.value_iteration(env, gamma, sweeps=5000)
    assert np.allclose(vi.values[-1], lp.x, atol=1e-6)


def test_backup_example_is_the_sweep():
    env = frozen_lake(True)
    vi = alg.value_iteration(env, 0.9)
    for k in (1, 4):
        for s in (0, 9, 14):
            b = alg.backup_example(env, vi.values[k], 0.9, s)
            assert b.new_value == pytest.approx(vi.values[k + 1][s])
    text = "".join(explain.backup_latex(env, alg.backup_example(env, vi.values[4], 0.9, 14)))
    assert "0.33" in text and "left" in text


# --- learning -----------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_q_learning_on_a_deterministic_grid_reaches_the_optimal_policy(seed):
    env, gamma = grid_world(MAZE), 0.9
    Q_star = optimal_q(env, gamma)
    res = alg.train(env, alg.AgentConfig("q_learning", 1000, 0.5, gamma, 0.1, seed))
    agree, total = alg.policy_agreement(env, res.Q, Q_star, on="optimal")
    assert total > 5 and agree == total  # on the states the optimal policy visits
    agree, total = alg.policy_agreement(env, res.Q, Q_star, on="learned")
    assert agree == total
    V_star = Q_star.max(axis=1)
    ro = alg.rollout(env, res.policy)
    discounted = sum(r * gamma ** t for t, r in enumerate(ro.rewards))
    assert ro.reached_goal and discounted == pytest.approx(V_star[env.start_state])


def test_q_learning_finds_an_optimal_path_in_an_open_room():
    """Many optimal paths: every action the learned policy takes is optimal."""
    env, gamma = grid_world(GRID_PRESETS["Empty room to draw in"]), 0.9
    res = alg.train(env, alg.AgentConfig("q_learning", 500, 0.5, gamma, 0.1, 0))
    agree, total = alg.policy_agreement(env, res.Q, optimal_q(env, gamma), on="learned")
    assert agree == total == 11


def test_training_is_seeded_and_reports_progress():
    env = grid_world(MAZE)
    cfg = alg.AgentConfig("sarsa", 100, 0.5, 0.9, 0.1, 3)
    steps = list(alg.train_iter(env, cfg, report_every=30))
    assert [r.episodes_done for r in steps] == [30, 60, 90, 100]
    again = alg.train(env, cfg)
    assert np.array_equal(steps[-1].Q, again.Q)
    other = alg.train(env, alg.AgentConfig("sarsa", 100, 0.5, 0.9, 0.1, 4))
    assert not np.array_equal(other.returns, again.returns)


@pytest.mark.parametrize("method", ["q_learning", "sarsa"])
def test_recorded_updates_are_the_td_rule(method):
    gamma, alpha = 0.9, 0.4
    env = grid_world(MAZE)
    res = alg.train(env, alg.AgentConfig(method, 50, alpha, gamma, 0.2, 1))
    assert res.last_updates and len(res.last_updates) == res.lengths[-1]
    for u in res.last_updates:
        if u.done:
            assert u.target == pytest.approx(u.reward)
        elif method == "sarsa":
            assert u.target == pytest.approx(u.reward + gamma * u.next_q[u.next_action])
        else:
            assert u.target == pytest.approx(u.reward + gamma * max(u.next_q))
        assert u.q_after == pytest.approx(u.q_before + alpha * (u.target - u.q_before))
    u = max(res.last_updates, key=lambda u: abs(u.target - u.q_before))
    text = "".join(explain.td_update_latex(env, u, method, gamma))
    assert f"{u.q_after:.4f}" in text and ("max" in text) == (method == "q_learning")


def test_monte_carlo_first_visit_averages_returns():
    env = grid_world(["S...G"], step_reward=-1.0)
    res = alg.train(env, alg.AgentConfig("monte_carlo", 1, gamma=1.0, epsilon=0.0, seed=0))
    first = res.last_updates[0]
    assert first.target == pytest.approx(res.returns[0])  # gamma = 1: G_0 is the episode's return
    assert all(u.step_size == 1.0 and u.q_after == pytest.approx(u.target) for u in res.last_updates)
    assert len({(u.state, u.action) for u in res.last_updates}) == len(res.last_updates)
    res = alg.train(env, alg.AgentConfig("monte_carlo", 300, gamma=0.9, epsilon=0.1, seed=0))
    ro = alg.rollout(env, res.policy)
    assert ro.reached_goal and len(ro.actions) == 4
    assert "N(s,a)" in "".join(explain.mc_update_latex(env, res.last_updates[0]))


def test_arrows_policy_marks_ties():
    Q = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 2.0, 2.0, 0.0]])
    assert list(alg.arrows_policy(Q)) == [-1, 1]


# --- Sutton & Barto, Example 6.6 ------------------------------------------------------
SEEDS = range(6)


@pytest.fixture(scope="module")
def cliff_runs():
    env = cliff_walking()
    runs = {m: [alg.train(env, alg.AgentConfig(m, 500, 0.5, 1.0, 0.1, seed)) for seed in SEEDS]
            for m in ("q_learning", "sarsa")}
    return env, runs


def test_q_learning_learns_the_path_along_the_cliff(cliff_runs):
    env, runs = cliff_runs
    for res in runs["q_learning"]:
        ro = alg.rollout(env, res.policy)
        assert ro.reached_goal and len(ro.actions) == 13 and ro.total == -13
        assert rl_envs.cliff_edge_share(ro.states) == 1.0


def test_sarsa_learns_the_safe_path(cliff_runs):
    env, runs = cliff_runs
    walks = [alg.rollout(env, res.policy) for res in runs["sarsa"]]
    # it keeps away from the edge with every seed (at most the last column step next to it)...
    assert all(rl_envs.cliff_edge_share(w.states) <= 0.1 for w in walks)
    # ...and with most seeds its greedy path is a longer, safe way to the goal
    safe = [w for w in walks if w.reached_goal]
    assert len(safe) >= 4 and all(len(w.actions) >= 15 for w in safe)


def test_sarsa_collects_more_reward_while_exploring(cliff_runs):
    _, runs = cliff_runs
    q = np.array([r.returns[50:].mean() for r in runs["q_learning"]])
    s = np.array([r.returns[50:].mean() for r in runs["sarsa"]])
    assert (s > q).all()  # with every seed
    assert s.mean() - q.mean() > 10  # about -30 against about -55 per episode


def test_with_epsilon_zero_sarsa_and_q_learning_coincide():
    """Try this: epsilon = 0 makes SARSA's next action the greedy one."""
    env = cliff_walking()
    for seed in (0, 1):
        q = alg.train(env, alg.AgentConfig("q_learning", 300, 0.5, 1.0, 0.0, seed))
        s = alg.train(env, alg.AgentConfig("sarsa", 300, 0.5, 1.0, 0.0, seed))
        assert np.array_equal(q.returns, s.returns)
        for res in (q, s):
            ro = alg.rollout(env, res.policy)
            assert len(ro.actions) == 13 and rl_envs.cliff_edge_share(ro.states) == 1.0


# --- the other "try this" claims -------------------------------------------------------
def test_slippery_ice_lowers_success_and_the_plan_avoids_holes():
    gamma = 0.99
    dry, icy = frozen_lake(False), frozen_lake(True)
    dry_policy = alg.greedy_policy(optimal_q(dry, gamma))
    Q_icy = optimal_q(icy, gamma)
    icy_policy = alg.greedy_policy(Q_icy)
    assert alg.evaluate(dry, dry_policy, 200)[0] == 1.0
    success = alg.evaluate(icy, icy_policy, 1000)[0]
    assert 0.65 < success < 0.85  # "about 3 times in 4"
    # next to a hole it picks an action no slip can turn into a fall, wherever one exists
    holes = np.array([icy.cell(s) == "H" for s in range(icy.n_states)])
    fall = (icy.prob * holes[icy.next_state]).sum(axis=-1)  # P(fall | s, a), shape (S, A)
    next_to_hole = 0
    for s in alg.reachable_states(icy, icy_policy):
        if fall[s].max() > 0:
            next_to_hole += 1
            assert fall[s, icy_policy[s]] == pytest.approx(fall[s].min())
    assert next_to_hole >= 5
    assert icy.actions[icy_policy[0]] == "left"  # at the start it pushes into the wall


def test_slippery_ice_lowers_what_q_learning_achieves():
    for slippery, (lo, hi) in ((False, (1.0, 1.0)), (True, (0.5, 0.85))):
        env = frozen_lake(slippery)
        res = alg.train(env, alg.AgentConfig("q_learning", 2000, 0.1, 0.99, 0.1, 0))
        assert lo <= alg.evaluate(env, res.policy, 500)[0] <= hi


def test_two_exits_discount_and_exploration():
    env = grid_world(TWO_EXITS)
    assert end_cell(env, alg.greedy_policy(optimal_q(env, 0.9))) == "G"
    for gamma in (0.5, 0.7, 0.75):  # the claim: 0.75 switches (the slider's step is 0.01) ...
        assert end_cell(env, alg.greedy_policy(optimal_q(env, gamma))) == "+"
    assert end_cell(env, alg.greedy_policy(optimal_q(env, 0.76))) == "G"  # ... 0.76 does not
    for seed in range(4):  # the learner at gamma = 0.9, epsilon = 0.1 settles for the +3
        res = alg.train(env, alg.AgentConfig("q_learning", 300, 0.5, 0.9, 0.1, seed))
        assert end_cell(env, res.policy) == "+"


# --- bandits ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bandit_runs():
    T = 3000
    return T, [bandits.run_all(bandits.make_shop(5, seed, 0.05, 0.5), T, 20, seed, 0.1)
               for seed in range(4)]


def _half_ratio(curve: np.ndarray) -> float:
    """Regret added in the second half of the rounds / regret of the first half."""
    half = len(curve) // 2
    return (curve[-1] - curve[half - 1]) / curve[half - 1]


def test_ucb_and_thompson_regret_grow_sublinearly(bandit_runs):
    T, runs = bandit_runs
    ratio = {a: np.mean([_half_ratio(r[a].cumulative_regret) for r in runs]) for a in bandits.ALGORITHMS}
    assert ratio["ucb1"] < 0.5  # linear growth would give 1.0
    assert ratio["thompson"] < 0.3
    for a in ("ucb1", "thompson"):
        per_round = np.mean([r[a].cumulative_regret for r in runs], axis=0) / np.arange(1, T + 1)
        assert per_round[-1] < 0.6 * per_round[T // 10]  # regret(T)/T keeps falling
    assert ratio["epsilon_greedy"] > ratio["ucb1"] > ratio["thompson"]


def test_thompson_sampling_wins_on_this_shop(bandit_runs):
    _, runs = bandit_runs
    for r in runs:
        assert r["thompson"].cumulative_regret[-1] < r["ucb1"].cumulative_regret[-1]
        assert r["thompson"].cumulative_regret[-1] < r["epsilon_greedy"].cumulative_regret[-1]


def test_pure_greedy_regret_grows_linearly():
    """The page's claim: with epsilon = 0 epsilon-greedy sticks with the first product
    that sells, so its regret climbs in a straight line."""
    shop = bandits.make_shop(5, 0, 0.05, 0.5)
    run = bandits.run_bandit(shop, "epsilon_greedy", 3000, 20, 0, epsilon=0.0)
    assert _half_ratio(run.cumulative_regret) > 0.9
    # in every run almost all recommendations go to one product
    assert run.regret_runs.shape == (20, 3000)


def test_bandit_bookkeeping():
    shop = bandits.make_shop(4, 1)
    run = bandits.run_bandit(shop, "ucb1", 200, 5, 2)
    assert run.pulls.sum() == pytest.approx(200)
    assert np.all(run.regret >= 0) and run.cumulative_regret[-1] == pytest.approx(run.regret.sum())
    assert 0 <= run.cumulative_reward[-1] <= 200
    assert np.allclose(run.regret_runs.mean(axis=0), np.cumsum(run.regret))
    again = bandits.run_bandit(shop, "ucb1", 200, 5, 2)
    assert np.array_equal(again.rewards, run.rewards)


# --- figures --------------------------------------------------------------------------------
def test_figures_build():
    env = frozen_lake(True)
    res = alg.train(env, alg.AgentConfig("q_learning", 50, 0.1, 0.99, 0.1, 0))
    ro = alg.rollout(env, res.policy)
    figs = [charts.value_figure(env, res.Q.max(axis=1), alg.arrows_policy(res.Q)),
            charts.q_figure(env, res.Q), charts.returns_figure(res.returns, reference=0.7),
            charts.rollout_figure(env, ro), charts.convergence_figure(np.array([1.0, 0.1]), 1),
            charts.compare_figure({"Q-learning": res.returns}),
            charts.paths_figure(env, {"Q-learning": ro})]
    assert all(len(f.data) > 0 for f in figs)
    assert len(figs[3].frames) == len(ro.states)
    shop = bandits.make_shop(3, 0)
    runs = bandits.run_all(shop, 50, 2)
    assert len(charts.bandit_figure(runs).data) == 3
    assert len(charts.pulls_figure(shop, runs, reveal=True).data) == 3


def test_evaluation_runs_one_episode_where_every_episode_is_the_same():
    """A deterministic environment gives every episode of a fixed policy the same path, so
    evaluate() runs one; its figures equal those of many seeded episodes."""
    cliff, slippery = rl_envs.cliff_walking(max_steps=300), rl_envs.frozen_lake(slippery=True)
    assert cliff.deterministic and rl_envs.frozen_lake().deterministic and not slippery.deterministic
    rng = np.random.default_rng(3)
    for policy in (rng.integers(0, 4, cliff.n_states), np.zeros(cliff.n_states, dtype=int)):
        many = [alg.rollout(cliff, policy, seed) for seed in range(5)]
        assert alg.evaluate(cliff, policy, episodes=200) == (
            float(np.mean([r.reached_goal for r in many])), float(np.mean([r.total for r in many])))


def test_a_wandering_rollout_is_animated_for_its_first_steps_only():
    env = cliff_walking()
    ro = alg.rollout(env, np.zeros(env.n_states, dtype=int), seed=0)  # "up" at the start: never ends
    assert len(ro.actions) == env.max_steps
    fig = charts.rollout_figure(env, ro)
    assert len(fig.frames) == charts.ROLLOUT_FRAMES + 1
    assert f"first {charts.ROLLOUT_FRAMES} of {env.max_steps} steps" in fig.layout.title.text
