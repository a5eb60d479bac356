"""A shopping-basket example: customer groups and co-purchase rules, found with no labels.

The shop (seeded, synthetic): each customer secretly belongs to one of a few types
(gamer, home office, photographer, student). A type sets how likely each product is to be
in the customer's basket. On top, a few *planted rules* make one product follow another
for everyone ("after a laptop, a mouse with probability 0.85"). The algorithms only see
the baskets: a 0/1 matrix B (customers, products).

* Customer groups: k-means on the rows of B; a cluster's *profile* is the share of its
  customers who bought each product (the cluster centre).
* Co-purchase rules (Apriori, written out here): for item sets A and B,
      support(A)        = share of baskets containing every item of A
      confidence(A->B)  = support(A u B) / support(A)   ~ P(B in basket | A in basket)
      lift(A->B)        = confidence(A->B) / support(B) (> 1: A makes B more likely)
  Apriori grows frequent item sets one item at a time, keeping only sets whose every
  subset is frequent (a set can only be as frequent as its rarest subset).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans

from playground.errors import UserInputError
from playground.unsupervised.common import limited_threads

PRODUCTS = (
    "laptop", "mouse", "keyboard", "monitor", "desk lamp", "office chair", "printer",
    "game console", "controller", "video game", "gaming headset", "graphics card",
    "camera", "lens", "memory card", "tripod", "camera bag", "photo editor licence",
    "notebook", "backpack", "USB cable", "coffee",
)

BASE_RATE = 0.02  # any customer buys any product this often
# the hidden customer types: product -> purchase probability (BASE_RATE when not listed)
CUSTOMER_TYPES: dict[str, dict[str, float]] = {
    "gamer": {"game console": 0.6, "video game": 0.8, "gaming headset": 0.65,
              "graphics card": 0.5, "keyboard": 0.4, "coffee": 0.2},
    "home office": {"laptop": 0.65, "monitor": 0.6, "office chair": 0.55, "printer": 0.5,
                    "desk lamp": 0.5, "keyboard": 0.3, "coffee": 0.45},
    "photographer": {"camera": 0.7, "lens": 0.6, "tripod": 0.5, "camera bag": 0.55,
                     "photo editor licence": 0.5, "laptop": 0.2},
    "student": {"notebook": 0.75, "backpack": 0.65, "laptop": 0.35, "USB cable": 0.5,
                "coffee": 0.55},
}
TYPE_SHARES = {"gamer": 0.3, "home office": 0.3, "photographer": 0.2, "student": 0.2}
# planted co-purchases: (if bought, then also bought, with this probability)
PLANTED_RULES = (("laptop", "mouse", 0.85), ("camera", "memory card", 0.9),
                 ("game console", "controller", 0.9))
MAX_CUSTOMERS = 20000


@dataclass(frozen=True)
class Baskets:
    B: np.ndarray  # (customers, products) bool: bought or not
    products: tuple[str, ...]
    types: np.ndarray  # (customers,) index into type_names; hidden from the algorithms
    type_names: tuple[str, ...]


def make_baskets(n_customers: int = 1000, seed: int = 0) -> Baskets:
    """Seeded purchases: 1. draw each customer's type, 2. draw each product independently
    with the type's probability, 3. apply the planted rules in order."""
    if not 50 <= n_customers <= MAX_CUSTOMERS:
        raise UserInputError(f"Pick between 50 and {MAX_CUSTOMERS} customers.")
    rng = np.random.default_rng(seed)
    names = tuple(CUSTOMER_TYPES)
    col = {p: j for j, p in enumerate(PRODUCTS)}
    P = np.full((len(names), len(PRODUCTS)), BASE_RATE)  # (types, products)
    for t, name in enumerate(names):
        for product, p in CUSTOMER_TYPES[name].items():
            P[t, col[product]] = p
    shares = np.array([TYPE_SHARES[n] for n in names])
    types = rng.choice(len(names), size=n_customers, p=shares / shares.sum())  # 1.
    B = rng.random((n_customers, len(PRODUCTS))) < P[types]  # 2. (customers, products)
    for a, b, p in PLANTED_RULES:  # 3.
        follow = B[:, col[a]] & (rng.random(n_customers) < p)
        B[:, col[b]] |= follow
    return Baskets(B, PRODUCTS, types, names)


# --- co-purchase rules -------------------------------------------------------------------

def frequent_itemsets(B: np.ndarray, min_support: float = 0.05,
                      max_len: int = 3) -> dict[frozenset[int], float]:
    """Apriori: {item set (column indices): support} for every set with support >= min_support."""
    if not 0.0 < min_support <= 1.0:
        raise UserInputError("Minimum support must be above 0 and at most 1.")
    n = len(B)
    support = B.mean(axis=0)  # (products,) support of each single item
    level = {frozenset([j]): float(s) for j, s in enumerate(support) if s >= min_support}
    found = dict(level)
    for size in range(2, max_len + 1):
        # 1. candidates: unions of two frequent (size-1)-sets that make a size-set ...
        keys = list(level)
        candidates = {a | b for a, b in combinations(keys, 2) if len(a | b) == size}
        # 2. ... whose every (size-1)-subset is frequent (else it cannot be frequent)
        candidates = {c for c in candidates
                      if all(frozenset(s) in level for s in combinations(c, size - 1))}
        # 3. count: a basket contains the set when it has every item (AND of the columns)
        level = {}
        for c in candidates:
            s = float(B[:, sorted(c)].all(axis=1).sum() / n)
            if s >= min_support:
                level[c] = s
        if not level:
            break
        found.update(level)
    return found


def association_rules(itemsets: dict[frozenset[int], float], products: tuple[str, ...],
                      min_confidence: float = 0.5, min_lift: float = 1.0) -> pd.DataFrame:
    """Every rule A -> b (one item on the right) from the frequent sets, best lift first."""
    rows = []
    for items, supp in itemsets.items():
        if len(items) < 2:
            continue
        for b in items:
            a = items - {b}
            confidence = supp / itemsets[a]  # every subset of a frequent set is in the dict
            lift = confidence / itemsets[frozenset([b])]
            if confidence >= min_confidence and lift >= min_lift:
                rows.append({"if bought": ", ".join(sorted(products[i] for i in a)),
                             "then also": products[b], "support": supp,
                             "confidence": confidence, "lift": lift})
    columns = ["if bought", "then also", "support", "confidence", "lift"]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["lift", "confidence"], ascending=False, ignore_index=True)


def is_planted(table: pd.DataFrame) -> pd.Series:
    """Which rules of a table are the planted ones (checked after the fact)."""
    planted = {(a, b) for a, b, _ in PLANTED_RULES}
    return pd.Series([(a, b) in planted for a, b in zip(table["if bought"], table["then also"])],
                     index=table.index, dtype=bool)


# --- customer groups ---------------------------------------------------------------------

def cluster_customers(B: np.ndarray, k: int = 4, seed: int = 0) -> np.ndarray:
    """k-means on the 0/1 basket rows: (customers,) cluster of each customer."""
    if not 1 <= k <= min(12, len(B)):
        raise UserInputError("Pick between 1 and 12 customer groups.")
    with limited_threads():
        return KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(B.astype(float))


def profiles(B: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(k, products): share of each cluster's customers who bought each product."""
    k = int(labels.max()) + 1
    return np.stack([B[labels == j].mean(axis=0) for j in range(k)])


def describe_clusters(B: np.ndarray, labels: np.ndarray, products: tuple[str, ...],
                      top: int = 4) -> pd.DataFrame:
    """One row per cluster: its size and what it buys far more than the average customer."""
    P = profiles(B, labels)
    overall = B.mean(axis=0)
    rows = []
    for j, row in enumerate(P):
        ratio = row / np.maximum(overall, 1e-9)  # how much more than average (a lift)
        best = [i for i in np.argsort(-ratio) if row[i] >= 0.2][:top]
        rows.append({"group": f"group {j + 1}", "customers": int((labels == j).sum()),
                     "typically buys": ", ".join(f"{products[i]} ({row[i]:.0%})" for i in best)})
    return pd.DataFrame(rows)
