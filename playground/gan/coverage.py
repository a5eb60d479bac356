"""How much of the real data does the generator cover? Two measures.

* Gaussian mixtures (ring, grid): the mode count used in the GAN literature
  (Metz et al. 2017, Unrolled GANs; Srivastava et al. 2017, VEEGAN). A generated
  sample is *high quality* when it lies within 3 standard deviations of a mode
  centre; a mode is *covered* when it received at least ``min_share`` of its fair
  share (1/K) of all generated samples. A collapsed generator covers 1 of K modes.
* Any other point cloud (moons, spiral, uploads): the k-nearest-neighbour
  *coverage* of Naeem et al. 2020 ("Reliable Fidelity and Diversity Metrics for
  Generative Models"): every real point gets a ball reaching to its k-th nearest
  real neighbour; coverage is the share of those balls that hold at least one
  generated sample, and *precision* (Kynkäänniemi et al. 2019) is the share of
  generated samples that fall inside at least one ball.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.neighbors import NearestNeighbors


@dataclass(frozen=True)
class Coverage:
    coverage: float  # share of the real data covered, 0..1 (1 = no mode left out)
    quality: float  # share of generated samples that lie on the real data, 0..1
    coverage_label: str  # what coverage counts, for the page
    quality_label: str
    detail: str  # e.g. "3 of 8 modes"
    short: str  # e.g. "3/8" or "41%", for a compact display


def mixture_coverage(samples: np.ndarray, modes: np.ndarray, sigma: float,
                     min_share: float = 0.25) -> Coverage:
    """Mode coverage of generated ``samples`` (N, 2) on a Gaussian mixture with
    centres ``modes`` (K, 2) and per-mode standard deviation ``sigma``."""
    samples = np.asarray(samples, dtype=np.float64)
    n, k = len(samples), len(modes)
    # 1. distance from every sample to every centre, shape (N, K)
    dist = np.linalg.norm(samples[:, None, :] - modes[None, :, :], axis=-1)
    nearest = dist.argmin(axis=1)  # (N,)
    # 2. high quality: within 3 sigma of its nearest centre
    good = dist[np.arange(n), nearest] <= 3.0 * sigma
    # 3. a mode is covered when it got >= min_share * N / K of the high-quality samples
    counts = np.bincount(nearest[good], minlength=k)
    covered = int((counts >= min_share * n / k).sum())
    return Coverage(covered / k, float(good.mean()), "modes covered",
                    "high-quality samples (within 3σ of a mode)", f"{covered} of {k} modes",
                    f"{covered}/{k}")


class KNNCoverage:
    """Naeem et al.'s coverage and Kynkäänniemi et al.'s precision against a fixed
    set of real points; the real points' k-NN radii are computed once."""

    def __init__(self, real: np.ndarray, k: int = 5):
        self.real = np.asarray(real, dtype=np.float64)
        # 1. radius of each real point = distance to its k-th nearest real neighbour
        #    (k + 1 neighbours because the nearest one is the point itself)
        nn = NearestNeighbors(n_neighbors=k + 1).fit(self.real)
        dist, _ = nn.kneighbors(self.real)
        self.radius = dist[:, -1]  # (M,)
        self.k = k

    def __call__(self, samples: np.ndarray) -> Coverage:
        samples = np.asarray(samples, dtype=np.float64)
        # 2. pairwise distances generated x real, shape (N, M)
        dist = np.linalg.norm(samples[:, None, :] - self.real[None, :, :], axis=-1)
        inside = dist <= self.radius[None, :]
        coverage = float(inside.any(axis=0).mean())  # real balls holding a sample
        precision = float(inside.any(axis=1).mean())  # samples inside some real ball
        return Coverage(coverage, precision, "real points covered",
                        "generated points on the data (precision)",
                        f"{coverage:.0%} of {len(self.real)} real points", f"{coverage:.0%}")
