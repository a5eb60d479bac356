"""A recommender as a multi-armed bandit.

Each round a customer arrives and we recommend one of K products (pull one arm).
The customer buys it with a hidden probability p_k (reward 1) or not (reward 0).
We want many sales, so we must *explore* (try products to learn their p_k) and
*exploit* (recommend the product that looks best).

* epsilon-greedy: with probability epsilon a random product, else the best mean so far.
* UCB1 (Auer et al. 2002): the best optimistic estimate  mean_k + sqrt(2 ln t / n_k).
* Thompson sampling: keep a Beta(1 + sales_k, 1 + misses_k) belief about each p_k,
  draw one sample per product and recommend the largest draw.

Regret after T rounds = sum_t (p* - p_{a_t}): the sales we expect to have lost
against always recommending the best product. A learner that keeps exploring at a
fixed rate loses a fixed amount per round (regret grows linearly); UCB1 and
Thompson sampling explore less and less, and their regret grows like log T.

Everything is vectorised over ``runs`` independent repetitions: arrays are (R, K).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ALGORITHMS = {"epsilon_greedy": "ε-greedy", "ucb1": "UCB1", "thompson": "Thompson sampling"}
PRODUCT_NAMES = (
    "Headphones", "Coffee beans", "Running shoes", "Desk lamp", "Novel", "Backpack",
    "Water bottle", "Board game", "Sunglasses", "Plant pot", "Phone case", "Yoga mat",
    "Tea set", "Notebook", "Umbrella", "Scarf", "Bike light", "Candle", "Puzzle", "Mug",
)


@dataclass(frozen=True)
class Shop:
    products: tuple[str, ...]
    probs: np.ndarray  # hidden purchase probability of each product, shape (K,)

    @property
    def best(self) -> int:
        return int(np.argmax(self.probs))


def make_shop(n_products: int = 5, seed: int = 0, low: float = 0.02, high: float = 0.3) -> Shop:
    """K products with purchase probabilities drawn uniformly in [low, high]."""
    if not 2 <= n_products <= len(PRODUCT_NAMES):
        raise ValueError(f"n_products must be between 2 and {len(PRODUCT_NAMES)}")
    rng = np.random.default_rng(seed)
    probs = rng.uniform(low, high, size=n_products)
    return Shop(PRODUCT_NAMES[:n_products], probs)


@dataclass
class BanditRun:
    algorithm: str
    rewards: np.ndarray  # sales per round, mean over runs, shape (T,)
    regret: np.ndarray  # expected regret per round p* - p_a, mean over runs, shape (T,)
    regret_runs: np.ndarray  # cumulative regret of every run, shape (R, T)
    pulls: np.ndarray  # how often each product was recommended, mean over runs, shape (K,)

    @property
    def cumulative_reward(self) -> np.ndarray:
        return np.cumsum(self.rewards)

    @property
    def cumulative_regret(self) -> np.ndarray:
        return np.cumsum(self.regret)


def run_bandit(shop: Shop, algorithm: str, rounds: int = 2000, runs: int = 20,
               seed: int = 0, epsilon: float = 0.1) -> BanditRun:
    """Play ``rounds`` rounds, ``runs`` times independently; return mean curves."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}; use one of {list(ALGORITHMS)}")
    rng = np.random.default_rng(seed)
    p = shop.probs
    K, R = len(p), runs
    rows = np.arange(R)
    n = np.zeros((R, K))  # times each product was recommended
    sales = np.zeros((R, K))  # times it was bought
    reward_t = np.zeros((R, rounds))
    regret_t = np.zeros((R, rounds))
    for t in range(rounds):
        # 1. pick one product per run, shape (R,)
        if algorithm == "epsilon_greedy":
            means = np.divide(sales, n, out=np.zeros_like(sales), where=n > 0)
            # greedy with random tie-breaking: a tiny random nudge never beats a real gap
            greedy = np.argmax(means + 1e-9 * rng.random((R, K)), axis=1)
            explore = rng.random(R) < epsilon
            arm = np.where(explore, rng.integers(K, size=R), greedy)
        elif algorithm == "ucb1":
            if t < K:
                arm = np.full(R, t)  # recommend every product once first
            else:
                bonus = np.sqrt(2.0 * np.log(t) / n)  # the less tried, the larger the bonus
                arm = np.argmax(sales / n + bonus, axis=1)
        else:  # thompson
            draws = rng.beta(1.0 + sales, 1.0 + n - sales)  # one sample of each p_k, (R, K)
            arm = np.argmax(draws, axis=1)
        # 2. the customer buys with the hidden probability p_arm
        bought = rng.random(R) < p[arm]
        n[rows, arm] += 1
        sales[rows, arm] += bought
        reward_t[:, t] = bought
        regret_t[:, t] = p.max() - p[arm]
    return BanditRun(algorithm, reward_t.mean(axis=0), regret_t.mean(axis=0),
                     np.cumsum(regret_t, axis=1), n.mean(axis=0))


def run_all(shop: Shop, rounds: int = 2000, runs: int = 20, seed: int = 0,
            epsilon: float = 0.1) -> dict[str, BanditRun]:
    """Every algorithm on the same shop, each with the same seed."""
    return {a: run_bandit(shop, a, rounds, runs, seed, epsilon) for a in ALGORITHMS}
