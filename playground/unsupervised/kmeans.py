"""k-means by hand, one step at a time (Lloyd's algorithm).

Given n points X (n, d) and k starting centres C (k, d), repeat two steps:

1. **Assign**: give each point the label of its nearest centre,
       label_i = argmin_j ||x_i - c_j||^2
2. **Update**: move each centre to the mean of the points assigned to it,
       c_j = (1 / |S_j|) * sum_{i in S_j} x_i

Each step can only lower the *inertia* (the sum of squared distances from every point to
its centre), so the loop stops when an assign step changes no label: the next update
would leave every centre where it is. The result is a local minimum, and which one
depends on the starting centres, so ``init_centres`` takes a seed.

``tests/test_unsupervised.py`` checks that from the same starting centres this loop ends
exactly where scikit-learn's ``KMeans(algorithm="lloyd")`` ends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import kmeans_plusplus

from playground.errors import UserInputError

INITS = ("k-means++", "random points")


def init_centres(X: np.ndarray, k: int, method: str = "k-means++", seed: int = 0) -> np.ndarray:
    """k starting centres (k, d).

    * "random points": k distinct data points picked at random.
    * "k-means++": the first centre is a random point; each next one is a point drawn with
      probability proportional to its squared distance to the nearest centre chosen so far
      (spread-out starts, scikit-learn's default). We call scikit-learn's implementation.
    """
    if not 1 <= k <= len(X):
        raise UserInputError(f"k must be between 1 and the number of points ({len(X)}).")
    rng = np.random.default_rng(seed)
    if method == "random points":
        return X[rng.choice(len(X), size=k, replace=False)].copy()
    if method == "k-means++":
        centres, _ = kmeans_plusplus(X, k, random_state=int(rng.integers(2**31 - 1)))
        return centres
    raise UserInputError(f"Unknown start {method!r}; pick one of {', '.join(INITS)}.")


@dataclass(frozen=True)
class KMeansStep:
    """The state after one step. phase: "init", "assign" or "update"."""

    phase: str
    iteration: int
    centres: np.ndarray  # (k, d)
    labels: np.ndarray | None  # (n,) nearest-centre label, None before the first assign
    inertia: float | None  # sum of squared distances to the assigned centre
    changed: int  # points whose label changed (assign) / 0
    shift: float  # how far the centres moved in total (update) / 0


@dataclass(frozen=True)
class KMeansRun:
    steps: list[KMeansStep]
    converged: bool

    @property
    def final(self) -> KMeansStep:
        return self.steps[-1]

    @property
    def labels(self) -> np.ndarray:
        return self.final.labels

    @property
    def centres(self) -> np.ndarray:
        return self.final.centres

    @property
    def inertia(self) -> float:
        return self.final.inertia

    @property
    def n_iter(self) -> int:
        return self.final.iteration


def squared_distances(X: np.ndarray, C: np.ndarray) -> np.ndarray:
    """||x_i - c_j||^2 for every point and centre: (n, 1, d) - (1, k, d) -> (n, k, d) -> (n, k)."""
    diff = X[:, None, :] - C[None, :, :]
    return np.einsum("nkd,nkd->nk", diff, diff)


def assign(X: np.ndarray, C: np.ndarray) -> tuple[np.ndarray, float]:
    """Step 1: nearest centre of each point, and the inertia with those labels."""
    d2 = squared_distances(X, C)  # (n, k)
    labels = d2.argmin(axis=1)  # (n,)
    return labels, float(d2[np.arange(len(X)), labels].sum())


def update(X: np.ndarray, labels: np.ndarray, C: np.ndarray) -> np.ndarray:
    """Step 2: each centre moves to the mean of its points. A centre that lost all its
    points stays where it is (scikit-learn instead moves it to a far-away point)."""
    new = C.copy()
    for j in range(len(C)):
        members = X[labels == j]  # (|S_j|, d)
        if len(members):
            new[j] = members.mean(axis=0)
    return new


def kmeans_steps(X: np.ndarray, centres: np.ndarray, max_iter: int = 100) -> KMeansRun:
    """Run Lloyd's algorithm from ``centres`` and record every step.

    steps[0] is the start; then assign, update, assign, update, ... and the run ends with
    the assign step that changed nothing (converged) or after ``max_iter`` iterations."""
    X = np.asarray(X, dtype=np.float64)
    C = np.asarray(centres, dtype=np.float64).copy()
    steps = [KMeansStep("init", 0, C.copy(), None, None, 0, 0.0)]
    labels = None
    for it in range(1, max_iter + 1):
        new_labels, inertia = assign(X, C)
        changed = len(X) if labels is None else int((new_labels != labels).sum())
        labels = new_labels
        steps.append(KMeansStep("assign", it, C.copy(), labels, inertia, changed, 0.0))
        if changed == 0:
            return KMeansRun(steps, converged=True)
        new_C = update(X, labels, C)
        shift = float(np.linalg.norm(new_C - C, axis=1).sum())
        C = new_C
        inertia = float(squared_distances(X, C)[np.arange(len(X)), labels].sum())
        steps.append(KMeansStep("update", it, C.copy(), labels, inertia, 0, shift))
    # out of iterations: one last assign so the labels match the final centres
    final_labels, inertia = assign(X, C)
    changed = int((final_labels != labels).sum())
    steps.append(KMeansStep("assign", max_iter + 1, C.copy(), final_labels, inertia, changed, 0.0))
    return KMeansRun(steps, converged=False)


def describe_step(step: KMeansStep) -> str:
    """One sentence saying what a step did, for the page."""
    if step.phase == "init":
        return "Start: k centres placed, no point assigned yet."
    if step.phase == "assign":
        if step.changed == 0 and step.iteration > 0:
            return (f"Iteration {step.iteration}, assign: no point changed its centre, so the "
                    f"centres will not move again. Converged, inertia {step.inertia:.2f}.")
        return (f"Iteration {step.iteration}, assign: each point takes the colour of its nearest "
                f"centre; {step.changed} points changed. Inertia {step.inertia:.2f}.")
    return (f"Iteration {step.iteration}, update: each centre moved to the mean of its points "
            f"(total move {step.shift:.3f}). Inertia {step.inertia:.2f}.")
