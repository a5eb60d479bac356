"""Planning and learning on a tabular environment.

* Value iteration plans with the model ``P`` (it knows the rules):
      V_{k+1}(s) = max_a  sum_{s'} p(s', r | s, a) [ r + gamma * V_k(s') ]
* Q-learning, SARSA and Monte Carlo learn Q(s, a) from experience only
  (``env.reset`` / ``env.step``), exploring with an epsilon-greedy policy:
      Q-learning  Q(s,a) <- Q(s,a) + alpha [ r + gamma max_a' Q(s',a') - Q(s,a) ]   (off-policy)
      SARSA       Q(s,a) <- Q(s,a) + alpha [ r + gamma Q(s',a')       - Q(s,a) ]   (on-policy, a' is
                                                                                    the action it will take)
      Monte Carlo Q(s,a) <- Q(s,a) + 1/N(s,a) [ G - Q(s,a) ]  (G = return after the first visit)

Everything random takes a seed: one numpy Generator drives the agent (exploration,
tie-breaking) and another the environment, both derived from ``seed``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from playground.rl.envs import TabularEnv

METHODS = {"q_learning": "Q-learning", "sarsa": "SARSA", "monte_carlo": "Monte Carlo"}


# --- 1. Value iteration (planning) --------------------------------------------------
def q_from_v(env: TabularEnv, V: np.ndarray, gamma: float) -> np.ndarray:
    """One Bellman backup for every (s, a), shape (S, A):
    Q(s,a) = sum_k p_k [ r_k + gamma * V(s'_k) * (1 - done_k) ]   (sum over outcomes k)."""
    future = np.where(env.done, 0.0, V[env.next_state])  # (S, A, K)
    return (env.prob * (env.reward + gamma * future)).sum(axis=-1)


@dataclass
class ValueIteration:
    values: np.ndarray  # V after each sweep, shape (sweeps + 1, S); row 0 is V_0 = 0
    deltas: np.ndarray  # max_s |V_k(s) - V_{k-1}(s)| for k = 1..sweeps
    gamma: float

    @property
    def sweeps(self) -> int:
        return len(self.deltas)

    def converged_at(self, tol: float = 1e-6) -> int | None:
        """The first sweep whose largest change is below ``tol`` (None if none)."""
        below = np.flatnonzero(self.deltas < tol)
        return int(below[0]) + 1 if len(below) else None


def value_iteration(env: TabularEnv, gamma: float, sweeps: int = 200,
                    tol: float = 1e-10) -> ValueIteration:
    """Synchronous value iteration, keeping V after every sweep so a page can step
    through them. Stops early once a sweep changes no value by more than ``tol``."""
    V = np.zeros(env.n_states)
    history, deltas = [V], []
    for _ in range(sweeps):
        # V_{k+1}(s) = max_a Q_k(s, a); terminal states stay at 0
        V_new = np.where(env.terminal, 0.0, q_from_v(env, V, gamma).max(axis=1))
        deltas.append(float(np.abs(V_new - V).max()))
        history.append(V_new)
        V = V_new
        if deltas[-1] < tol:
            break
    return ValueIteration(np.array(history), np.array(deltas), gamma)


def greedy_policy(Q: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """argmax_a Q(s, a) per state, shape (S,); ties go to the lowest action index."""
    return np.argmax(Q >= Q.max(axis=1, keepdims=True) - tol, axis=1)


def arrows_policy(Q: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """The greedy action per state, or -1 where every action ties (no preference yet)."""
    policy = greedy_policy(Q, tol)
    policy[Q.max(axis=1) - Q.min(axis=1) <= tol] = -1
    return policy


@dataclass(frozen=True)
class Backup:
    """One value-iteration backup of one state, worked out with numbers."""

    state: int
    gamma: float
    terms: list[list[tuple[float, float, float, int]]]  # per action: (p, r, V(s'), s')
    q: list[float]  # per action
    new_value: float


def backup_example(env: TabularEnv, V: np.ndarray, gamma: float, state: int) -> Backup:
    """The numbers inside V_{k+1}(state) = max_a sum p [r + gamma V_k(s')]."""
    terms, q = [], []
    for a in range(env.n_actions):
        row = []
        for p, s2, r, d in env.P[state][a]:
            row.append((p, r, 0.0 if d else float(V[s2]), s2))
        terms.append(row)
        q.append(sum(p * (r + gamma * v) for p, r, v, _ in row))
    return Backup(state, gamma, terms, q, max(q))


# --- 2. Learning from experience ----------------------------------------------------
@dataclass(frozen=True)
class AgentConfig:
    method: str = "q_learning"  # one of METHODS
    episodes: int = 300
    alpha: float = 0.5  # learning rate (Monte Carlo averages returns and ignores it)
    gamma: float = 0.9  # discount
    epsilon: float = 0.1  # exploration: a random action with probability epsilon
    seed: int = 0


@dataclass(frozen=True)
class Update:
    """One update the agent made, with every number that went into it."""

    state: int
    action: int
    reward: float  # r (TD) or the return G (Monte Carlo)
    next_state: int | None
    done: bool
    q_before: float
    next_q: tuple[float, ...]  # Q(s', .) at that moment (TD methods)
    next_action: int | None  # SARSA: the a' it will take; Q-learning: argmax
    target: float  # r + gamma * (max or chosen) Q(s', a'), or G
    step_size: float  # alpha, or 1/N(s,a) for Monte Carlo
    q_after: float


@dataclass
class TrainResult:
    config: AgentConfig
    Q: np.ndarray  # (S, A)
    returns: np.ndarray  # undiscounted return of each finished episode
    lengths: np.ndarray  # steps of each finished episode
    last_updates: list[Update] = field(default_factory=list)  # updates in the last episode

    @property
    def episodes_done(self) -> int:
        return len(self.returns)

    @property
    def policy(self) -> np.ndarray:
        return greedy_policy(self.Q)


def _rngs(seed: int) -> tuple[np.random.Generator, int]:
    """The agent's Generator and the environment's integer seed, both from ``seed``."""
    agent_ss, env_ss = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(agent_ss), int(env_ss.generate_state(1)[0])


class Uniforms:
    """u ~ U[0, 1) from a Generator, drawn 4096 at a time (the same numbers, in the
    same order, as calling ``rng.random()`` once per draw, only faster)."""

    def __init__(self, rng: np.random.Generator, block: int = 4096):
        self.rng, self.block = rng, block
        self.buf: list[float] = []
        self.i = 0

    def __call__(self) -> float:
        if self.i == len(self.buf):
            self.buf, self.i = self.rng.random(self.block).tolist(), 0
        self.i += 1
        return self.buf[self.i - 1]


def epsilon_greedy(q_row: list[float], epsilon: float, u: Uniforms) -> int:
    """With probability epsilon a uniformly random action, else a greedy one
    (ties broken at random, so an untrained agent does not always go 'up')."""
    if epsilon > 0 and u() < epsilon:
        return int(u() * len(q_row))
    best = max(q_row)
    if q_row.count(best) == 1:
        return q_row.index(best)
    ties = [i for i, q in enumerate(q_row) if q == best]
    return ties[int(u() * len(ties))]


class _TableStepper:
    """reset/step driven by the environment's transition table (the fast path):
    the same sampling rule as ``TabularEnv.step``, with plain lists and block draws."""

    def __init__(self, env: TabularEnv, env_seed: int):
        self.env, self.u = env, Uniforms(np.random.default_rng(env_seed))
        self.deterministic = env.prob.shape[-1] == 1  # one outcome per (s, a): no draw needed

    def reset(self) -> int:
        u, cum = self.u(), self.env._init_cum
        return int(np.argmax(cum > u))

    def step(self, s: int, a: int) -> tuple[int, float, bool]:
        env = self.env
        k = 0
        if not self.deterministic:
            u, cum = self.u(), env._cum[s][a]
            while cum[k] <= u:
                k += 1
        return env._next[s][a][k], env._reward[s][a][k], env._done[s][a][k]


class _GymStepper:
    """The same through Gymnasium's own ``env.step`` (the library path, slower)."""

    def __init__(self, env: TabularEnv, env_seed: int):
        self.gym_env, self.seed = env.make_gym(), env_seed

    def reset(self) -> int:
        s, _ = self.gym_env.reset(seed=self.seed)  # seed only once: the first reset
        self.seed = None
        return int(s)

    def step(self, s: int, a: int) -> tuple[int, float, bool]:
        s2, r, terminated, _truncated, _ = self.gym_env.step(a)
        return int(s2), float(r), bool(terminated)


def train_iter(env: TabularEnv, cfg: AgentConfig, report_every: int = 25,
               backend: str = "table") -> Iterator[TrainResult]:
    """Train ``cfg.episodes`` episodes and yield the result so far every
    ``report_every`` episodes (the last yield is the finished result).

    ``backend="table"`` steps the environment's transition table; ``"gym"`` calls
    Gymnasium's ``env.step`` and gives exactly the same run, only slower."""
    if cfg.method not in METHODS:
        raise ValueError(f"unknown method {cfg.method!r}; use one of {list(METHODS)}")
    rng, env_seed = _rngs(cfg.seed)
    u = Uniforms(rng)
    stepper = (_GymStepper if backend == "gym" else _TableStepper)(env, env_seed)
    # Q_0(s, a) = 0 everywhere. Kept as lists of rows: scalar reads and writes on
    # Python lists are several times cheaper than on a numpy array.
    Q = [[0.0] * env.n_actions for _ in range(env.n_states)]
    N = [[0] * env.n_actions for _ in range(env.n_states)]  # visit counts (Monte Carlo)
    returns, lengths = np.zeros(cfg.episodes), np.zeros(cfg.episodes, dtype=int)
    run = _mc_episode if cfg.method == "monte_carlo" else _td_episode
    last: list[Update] = []
    for ep in range(cfg.episodes):
        record = [] if ep == cfg.episodes - 1 else None
        returns[ep], lengths[ep] = run(env, stepper, Q, N, cfg, u, record)
        if record is not None:
            last = record
        if (ep + 1) % report_every == 0 or ep + 1 == cfg.episodes:
            yield TrainResult(cfg, np.array(Q), returns[:ep + 1].copy(), lengths[:ep + 1].copy(),
                              list(last))


def train(env: TabularEnv, cfg: AgentConfig, backend: str = "table") -> TrainResult:
    """Train to the end and return the result."""
    if cfg.episodes < 1:
        raise ValueError("episodes must be at least 1")
    result = None
    for result in train_iter(env, cfg, report_every=cfg.episodes, backend=backend):
        pass
    return result


def _td_episode(env, stepper, Q, N, cfg, u, record) -> tuple[float, int]:
    """One episode of Q-learning or SARSA; returns (return, steps)."""
    sarsa = cfg.method == "sarsa"
    alpha, gamma, eps = cfg.alpha, cfg.gamma, cfg.epsilon
    s = stepper.reset()
    a = epsilon_greedy(Q[s], eps, u)
    total, t = 0.0, 0
    while t < env.max_steps:
        # 1. act, observe (r, s', done)
        s2, r, done = stepper.step(s, a)
        total += r
        t += 1
        # 2. choose the next action a' with the behaviour policy (epsilon-greedy)
        a2 = epsilon_greedy(Q[s2], eps, u) if not done else -1
        # 3. TD target: SARSA bootstraps from the a' it will take, Q-learning from the best a'
        if done:
            target = r  # no future after a terminal state
        elif sarsa:
            target = r + gamma * Q[s2][a2]
        else:
            target = r + gamma * max(Q[s2])
        q_before = Q[s][a]
        if record is not None:  # Q(s', .) as the target saw it, before this update
            next_q = tuple(Q[s2])
        # 4. move Q(s,a) a fraction alpha of the way to the target
        Q[s][a] = q_before + alpha * (target - q_before)
        if record is not None:
            shown = a2 if sarsa else (None if done else int(np.argmax(next_q)))
            record.append(Update(s, a, r, s2, done, q_before, next_q,
                                 None if done else shown, target, alpha, Q[s][a]))
        if done:
            break
        s, a = s2, a2
    return total, t


def _mc_episode(env, stepper, Q, N, cfg, u, record) -> tuple[float, int]:
    """One episode of first-visit Monte Carlo control (epsilon-soft, sample averages)."""
    # 1. play a whole episode with the current epsilon-greedy policy
    s = stepper.reset()
    states, actions, rewards = [], [], []
    for _ in range(env.max_steps):
        a = epsilon_greedy(Q[s], cfg.epsilon, u)
        s2, r, done = stepper.step(s, a)
        states.append(s)
        actions.append(a)
        rewards.append(r)
        s = s2
        if done:
            break
    # 2. returns backwards: G_t = r_{t+1} + gamma * G_{t+1}
    T = len(rewards)
    G = [0.0] * (T + 1)
    for t in range(T - 1, -1, -1):
        G[t] = rewards[t] + cfg.gamma * G[t + 1]
    # 3. first visit of each (s, a): average its return into Q
    seen = set()
    for t in range(T):
        s, a = states[t], actions[t]
        if (s, a) in seen:
            continue
        seen.add((s, a))
        N[s][a] += 1
        q_before = Q[s][a]
        Q[s][a] = q_before + (G[t] - q_before) / N[s][a]
        if record is not None:
            record.append(Update(s, a, G[t], None, False, q_before, (), None, G[t],
                                 1.0 / N[s][a], Q[s][a]))
    return float(sum(rewards)), T


# --- 3. Evaluating a policy ---------------------------------------------------------
@dataclass
class Rollout:
    states: list[int]  # s_0 .. s_T
    actions: list[int]
    rewards: list[float]
    reached_goal: bool

    @property
    def total(self) -> float:
        return float(sum(self.rewards))


def rollout(env: TabularEnv, policy: np.ndarray, seed: int = 0,
            max_steps: int | None = None) -> Rollout:
    """Follow ``policy`` (one action per state) from the start for one episode."""
    rng = np.random.default_rng(seed)
    s = env.reset(rng)
    states, actions, rewards, done = [s], [], [], False
    for _ in range(max_steps or env.max_steps):
        a = int(policy[s])
        s, r, done = env.step(s, a, rng)
        states.append(s)
        actions.append(a)
        rewards.append(r)
        if done:
            break
    return Rollout(states, actions, rewards, bool(done and env.goal_states[s]))


def evaluate(env: TabularEnv, policy: np.ndarray, episodes: int = 200,
             seed: int = 0) -> tuple[float, float]:
    """Run ``policy`` for ``episodes`` episodes (no exploration).
    Returns (fraction that reach a goal cell G, mean undiscounted return). Where the
    environment is deterministic every episode is the same, so one is run (a policy that
    walks in circles until the step limit on CliffWalking: 200,000 steps saved)."""
    if env.deterministic:
        episodes = 1
    seeds = np.random.SeedSequence(seed).generate_state(episodes)
    runs = [rollout(env, policy, int(sd)) for sd in seeds]
    return float(np.mean([r.reached_goal for r in runs])), float(np.mean([r.total for r in runs]))


def reachable_states(env: TabularEnv, policy: np.ndarray) -> np.ndarray:
    """Non-terminal states the policy can visit from the start (any outcome with p > 0)."""
    seen = np.zeros(env.n_states, dtype=bool)
    stack = [int(s) for s in np.flatnonzero(env.initial > 0)]
    while stack:
        s = stack.pop()
        if seen[s] or env.terminal[s]:
            continue
        seen[s] = True
        a = int(policy[s])
        stack.extend(int(s2) for s2 in env.next_state[s, a][env.prob[s, a] > 0])
    return np.flatnonzero(seen)


def policy_agreement(env: TabularEnv, Q_learned: np.ndarray, Q_star: np.ndarray,
                     on: str = "optimal", tol: float = 1e-6) -> tuple[int, int]:
    """How many learned greedy actions are optimal too (reach the optimal value
    Q*(s, a) = V*(s))? Counted on the states the optimal policy visits (``on="optimal"``)
    or on those the learned policy visits (``on="learned"``). Returns (agree, total)."""
    states = reachable_states(env, greedy_policy(Q_star if on == "optimal" else Q_learned))
    chosen = greedy_policy(Q_learned)[states]
    ok = Q_star[states, chosen] >= Q_star[states].max(axis=1) - tol
    return int(ok.sum()), len(states)


def moving_average(x: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last ``window`` values at each point (shorter at the start)."""
    x = np.asarray(x, dtype=float)
    if len(x) == 0:
        return x
    c = np.cumsum(np.insert(x, 0, 0.0))
    idx = np.arange(1, len(x) + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)
