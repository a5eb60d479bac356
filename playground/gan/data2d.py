"""2D data sets for the live GAN: a ring of Gaussians, a grid of Gaussians, two
moons, a spiral, and points the user uploads as a CSV file.

Every data set is a fixed pool of points (drawn once from a seeded generator);
training samples mini-batches from the pool. Mixtures of Gaussians also carry
their mode centres and standard deviation, so coverage can be measured per mode.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.datasets import make_moons

from playground.errors import UserInputError

DATASETS = {
    "ring": "Ring of 8 Gaussians",
    "grid": "Grid of 25 Gaussians",
    "moons": "Two moons",
    "spiral": "Spiral",
}
POOL_SIZE = 4096
MIN_POINTS = 20


@dataclass(frozen=True)
class Points2D:
    """A 2D data set: the pool of real points and, for Gaussian mixtures, the modes."""

    name: str
    points: np.ndarray  # (N, 2) float32
    modes: np.ndarray | None = None  # (K, 2) centres of a Gaussian mixture
    sigma: float | None = None  # the standard deviation of every mode

    @property
    def is_mixture(self) -> bool:
        return self.modes is not None


def ring(n: int = POOL_SIZE, k: int = 8, radius: float = 2.0, sigma: float = 0.1,
         seed: int = 0) -> Points2D:
    """k Gaussians evenly spaced on a circle (the classic mode-collapse test)."""
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(k) / k
    modes = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    which = rng.integers(0, k, size=n)
    pts = modes[which] + sigma * rng.standard_normal((n, 2))
    return Points2D("ring", pts.astype(np.float32), modes.astype(np.float32), sigma)


def grid(n: int = POOL_SIZE, side: int = 5, spacing: float = 1.0, sigma: float = 0.05,
         seed: int = 0) -> Points2D:
    """side x side Gaussians on a square lattice centred at the origin."""
    rng = np.random.default_rng(seed)
    axis = (np.arange(side) - (side - 1) / 2) * spacing
    modes = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
    which = rng.integers(0, len(modes), size=n)
    pts = modes[which] + sigma * rng.standard_normal((n, 2))
    return Points2D("grid", pts.astype(np.float32), modes.astype(np.float32), sigma)


def moons(n: int = POOL_SIZE, noise: float = 0.05, seed: int = 0) -> Points2D:
    """scikit-learn's two interleaved half circles, centred and scaled to about [-2, 2]."""
    pts, _ = make_moons(n_samples=n, noise=noise, random_state=seed)
    pts = (pts - pts.mean(axis=0)) * 1.6
    return Points2D("moons", pts.astype(np.float32))


def spiral(n: int = POOL_SIZE, turns: float = 1.5, noise: float = 0.04, seed: int = 0) -> Points2D:
    """One arm of an Archimedean spiral, r grows linearly with the angle."""
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.uniform(0.05, 1.0, size=n))  # sqrt: points spread evenly along the arm
    angle = 2 * np.pi * turns * t
    r = 2.2 * t
    pts = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
    pts += noise * rng.standard_normal((n, 2))
    return Points2D("spiral", pts.astype(np.float32))


def make_dataset(name: str, seed: int = 0) -> Points2D:
    """One of the built-in data sets by key (see DATASETS)."""
    makers = {"ring": ring, "grid": grid, "moons": moons, "spiral": spiral}
    if name not in makers:
        raise UserInputError(f"Unknown data set {name!r}; pick one of {', '.join(DATASETS)}.")
    return makers[name](seed=seed)


def points_from_csv(data: bytes, max_mb: float, max_rows: int) -> Points2D:
    """Parse an uploaded CSV with two numeric columns (x, y; a header row is optional).

    The points are standardised (mean 0, standard deviation 1 per column, then
    scaled by 1.5) so the same network sizes and learning rates work for any units.
    Every problem raises UserInputError with a message that says what to fix.
    """
    # 1. size and type
    if len(data) > max_mb * 2**20:
        raise UserInputError(
            f"The file is {len(data) / 2**20:.1f} MB; the limit is {max_mb:g} MB. "
            "Upload fewer points (a few thousand are plenty).")
    if not data.strip():
        raise UserInputError("The file is empty. Upload a CSV with two numeric columns, x and y.")
    if b"\x00" in data[:4096]:
        raise UserInputError("This file is not a CSV text file (it looks binary). "
                             "Upload a CSV with two numeric columns, x and y.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserInputError("This file is not UTF-8 text, so it is not a CSV this page can read. "
                             "Save it as CSV (UTF-8) with two numeric columns, x and y.") from None
    # 2. table shape
    try:
        table = pd.read_csv(io.StringIO(text), header=None, dtype=str, skip_blank_lines=True,
                            skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise UserInputError(f"This file could not be read as a CSV ({exc}). "
                             "Upload comma-separated rows of two numbers, x and y.") from None
    if table.shape[1] != 2:
        raise UserInputError(
            f"The CSV has {table.shape[1]} column(s); it needs exactly two numeric columns "
            "(x and y), one point per row.")
    # a first row with no numbers in it is a header
    first = pd.to_numeric(table.iloc[0], errors="coerce")
    if first.isna().all():
        table = table.iloc[1:]
    if len(table) > max_rows:
        raise UserInputError(f"The CSV has {len(table)} rows; the limit is {max_rows}. "
                             "Upload fewer points.")
    # 3. every cell must be a finite number
    values = table.apply(pd.to_numeric, errors="coerce")
    bad = values.isna() | ~np.isfinite(values.fillna(0.0))
    if bad.to_numpy().any():
        row, col = np.argwhere(bad.to_numpy())[0]
        cell = table.iat[row, col]
        raise UserInputError(
            f"Row {row + 1} (column {col + 1}) holds {cell!r}, which is not a number. "
            "Every row needs two numbers, x and y, with no empty cells.")
    pts = values.to_numpy(dtype=np.float64)
    if len(pts) < MIN_POINTS:
        raise UserInputError(f"The CSV has {len(pts)} point(s); the GAN needs at least "
                             f"{MIN_POINTS} to learn a shape from.")
    std = pts.std(axis=0)
    if (std < 1e-12).any():
        raise UserInputError("All points have the same x or the same y value; "
                             "upload points that spread out in both directions.")
    pts = (pts - pts.mean(axis=0)) / std * 1.5
    return Points2D("uploaded", pts.astype(np.float32))
