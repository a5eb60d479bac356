"""The precomputed results of the shipped task (``results/shipped.json``).

Every method x labelled examples per class x seed on a 2-core CPU takes about an hour,
far too long to run while a student waits, so ``python -m playground.fewshot.precompute``
runs them once and writes this file; the page shows it labelled as precomputed, with the
command, the machine and the date, and can re-run any single point live (the same code,
the same seeds: the numbers come out the same, up to the last digits of bf16 scoring).

A point is used only when it was made on the same task with the same model (name,
source, precision) and with the page's current settings of its method (changing LoRA's
rank leaves the precomputed prompting points usable).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

from playground.fewshot.facts import FactsResult
from playground.fewshot.methods import MethodResult

RESULTS_FILE = Path(__file__).resolve().parent / "results" / "shipped.json"
COMMAND = "python -m playground.fewshot.precompute"


@dataclass(frozen=True)
class Precomputed:
    meta: dict
    settings: str  # RunSettings.key() of the page defaults the points were made with
    model_key: str
    task_key: str
    points: tuple[MethodResult, ...]
    long_curves: dict = field(default_factory=dict)  # method -> MethodResult trained for many epochs
    long_settings: dict = field(default_factory=dict)  # method -> repr of its config
    facts: FactsResult | None = None
    facts_config: str = ""

    def matches(self, task_key: str, model_key: str) -> bool:
        """Made on this task with this model (each point also holds its method's settings)."""
        return (task_key, model_key) == (self.task_key, self.model_key)

    def point(self, method: str, per_class: int, seed: int, config: str | None = None) -> MethodResult | None:
        """The point, if there is one (and ``config``: made with these settings of its method)."""
        if method == "zero":
            per_class, seed = 0, 0
        for p in self.points:
            if (p.method, p.per_class, p.seed) == (method, per_class, seed) and config in (None, p.config):
                return p
        return None

    def of(self, method: str, config: str | None = None) -> list[MethodResult]:
        return [p for p in self.points if p.method == method and config in (None, p.config)]

    @property
    def shots(self) -> list[int]:
        return sorted({p.per_class for p in self.points if p.method != "zero"})

    @property
    def seeds(self) -> list[int]:
        return sorted({p.seed for p in self.points if p.method != "zero"})

    def caption(self) -> str:
        m = self.meta
        return (f"Precomputed with `{m.get('command', COMMAND)}` on {m.get('machine', 'this machine')} "
                f"({m.get('made', '')[:10]}, {m.get('precision', '')}, one CPU thread per run, "
                f"{m.get('total_minutes', 0):.0f} minutes in all).")


def from_dict(data: dict) -> Precomputed:
    return Precomputed(
        meta=data.get("meta", {}), settings=data["settings"], model_key=data["model_key"], task_key=data["task_key"],
        points=tuple(MethodResult.from_dict(p) for p in data.get("points", [])),
        long_curves={k: MethodResult.from_dict(v) for k, v in data.get("long_curves", {}).items()},
        long_settings=dict(data.get("long_settings", {})),
        facts=FactsResult.from_dict(data["facts"]) if data.get("facts") else None,
        facts_config=data.get("facts_config", ""))


@functools.lru_cache(maxsize=2)
def load(path: str = str(RESULTS_FILE)) -> Precomputed | None:
    """The shipped results, or None when the file is missing (the page then runs live only)."""
    file = Path(path)
    if not file.exists():
        return None
    return from_dict(json.loads(file.read_text()))
