"""Reinforcement-learning figures beside a baseline measured in the same run.

    .venv/bin/python benchmarks/bench_rl.py

* 500 Q-learning episodes on CliffWalking (alpha 0.5, gamma 1, epsilon 0.1; budget < 2 s):
  ours steps the environment's own transition table (``env.unwrapped.P``); the baseline is
  the very same learning loop driving Gymnasium's ``env.step``. Both runs must end with
  identical Q-tables (same seed, same random draws), so only the speed differs.
* the same for SARSA, and for Q-learning on slippery FrozenLake (2000 episodes, the
  page's default there), where every step draws a random outcome;
* value iteration to convergence on slippery FrozenLake 8x8: numpy sweeps vs the same
  sweeps as plain Python loops over ``P[s][a]``;
* the bandit tab (3 algorithms, 2000 rounds, 10 runs), vectorised over runs, vs one run
  at a time.

Medians of several runs, measured alternately so a busy neighbour slows both alike.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from playground.rl import algorithms as alg  # noqa: E402
from playground.rl import bandits  # noqa: E402
from playground.rl.envs import cliff_walking, frozen_lake  # noqa: E402
from _util import paired_medians  # noqa: E402


def paired(ours: Callable[[], object], baseline: Callable[[], object], repeat: int = 5,
           warmup: bool = True) -> tuple[float, float]:
    return paired_medians(ours, baseline, repeat=repeat, warmup=int(warmup))


def line(what: str, ours: float, base: float, base_name: str, budget: str = "") -> None:
    print(f"{what:<48} {ours:8.3f} s | {base_name:<34} {base:8.3f} s | ratio {ours / base:5.2f} "
          f"({base / ours:4.1f}x faster) {budget}")


def python_value_iteration(env, gamma: float, tol: float = 1e-10, sweeps: int = 1000) -> np.ndarray:
    """The baseline: the same synchronous sweeps written as loops over P[s][a]."""
    V = [0.0] * env.n_states
    for _ in range(sweeps):
        new = []
        for s in range(env.n_states):
            if env.terminal[s]:
                new.append(0.0)
                continue
            new.append(max(sum(p * (r + (0.0 if d else gamma * V[s2])) for p, s2, r, d in env.P[s][a])
                           for a in range(env.n_actions)))
        delta = max(abs(x - y) for x, y in zip(new, V))
        V = new
        if delta < tol:
            break
    return np.array(V)


def main() -> int:
    ok = True
    print("== Reinforcement learning (ours | baseline in the same run | ours / baseline)")

    cliff = cliff_walking()
    for method in ("q_learning", "sarsa"):
        cfg = alg.AgentConfig(method, 500, 0.5, 1.0, 0.1, 0)
        same = np.array_equal(alg.train(cliff, cfg).Q, alg.train(cliff, cfg, backend="gym").Q)
        t_ours, t_gym = paired(lambda: alg.train(cliff, cfg), lambda: alg.train(cliff, cfg, backend="gym"))
        steps = int(alg.train(cliff, cfg).lengths.sum())
        budget = f"[budget < 2 s: {'ok' if t_ours < 2 else 'OVER'}]" if method == "q_learning" else ""
        line(f"CliffWalking, 500 eps {alg.METHODS[method]} ({steps} steps)", t_ours, t_gym,
             "same loop on gymnasium env.step", budget)
        print(f"{'':<48} identical Q-table with both: {same}")
        ok &= same and (method != "q_learning" or t_ours < 2)

    icy = frozen_lake(True)
    cfg = alg.AgentConfig("q_learning", 2000, 0.1, 0.99, 0.1, 0)
    same = np.array_equal(alg.train(icy, cfg).Q, alg.train(icy, cfg, backend="gym").Q)
    t_ours, t_gym = paired(lambda: alg.train(icy, cfg), lambda: alg.train(icy, cfg, backend="gym"), 3,
                           warmup=False)  # the parity check above was the warm-up
    line("FrozenLake slippery, 2000 eps Q-learning", t_ours, t_gym, "same loop on gymnasium env.step")
    print(f"{'':<48} identical Q-table with both: {same}")
    ok &= same

    big = frozen_lake(True, "8x8")
    V_np = alg.value_iteration(big, 0.99, sweeps=1000).values[-1]
    V_py = python_value_iteration(big, 0.99)
    t_ours, t_py = paired(lambda: alg.value_iteration(big, 0.99, sweeps=1000),
                          lambda: python_value_iteration(big, 0.99), 3)
    line("value iteration, FrozenLake 8x8 slippery", t_ours, t_py, "Python loops over P[s][a]")
    print(f"{'':<48} same values: {np.allclose(V_np, V_py, atol=1e-8)}")
    ok &= bool(np.allclose(V_np, V_py, atol=1e-8))

    shop = bandits.make_shop(5, 0, 0.05, 0.5)
    t_ours, t_loop = paired(
        lambda: bandits.run_all(shop, 2000, 10, 0),
        lambda: [bandits.run_all(shop, 2000, 1, seed) for seed in range(10)], 3, warmup=False)
    line("bandits: 3 algorithms x 2000 rounds x 10 runs", t_ours, t_loop, "one run at a time")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
