"""Small helpers shared by the benchmark scripts."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def median_seconds(fn: Callable[[], object], repeat: int = 5, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def paired_medians(ours: Callable[[], object], baseline: Callable[[], object],
                   repeat: int = 7, warmup: int = 1) -> tuple[float, float]:
    """Median seconds of two functions, measured alternately so that a noisy
    neighbour on a shared machine slows both alike."""
    for _ in range(warmup):
        ours()
        baseline()
    a, b = [], []
    for _ in range(repeat):
        for fn, out in ((ours, a), (baseline, b)):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return statistics.median(a), statistics.median(b)


def row(what: str, ours: float, baseline: float, unit: str, baseline_name: str, budget: str = "") -> str:
    """One line: our figure, the baseline's, and their ratio (ours / baseline)."""
    ratio = ours / baseline if baseline else float("nan")
    return (f"{what:<44} {ours:>10.3f} {unit:<6} | {baseline_name:<36} {baseline:>10.3f} {unit:<6}"
            f" | ratio {ratio:5.2f}  {budget}")


def header(title: str) -> None:
    print(f"\n== {title}")
    print(f"{'measure':<44} {'ours':>17} | {'baseline (same run)':<36} {'value':>17} | ours/baseline")
