"""What the page asks for, in plain functions (no Streamlit here): the settings from the
page's controls, which result to show for each method (live, precomputed or none), the
loss curves behind the epochs slider, time estimates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from playground.fewshot import finetune as ft
from playground.fewshot import prompting as pr
from playground.fewshot import setfit_method as sf
from playground.fewshot.data import Task
from playground.fewshot.methods import (
    METHODS,
    MethodResult,
    Models,
    RunSettings,
    cached,
)
from playground.fewshot.shipped import Precomputed

SHOTS = (2, 4, 8, 16, 32)  # labelled examples per class offered, plus "all"
MAX_K = 40  # most examples in a prompt (about 750 tokens for the shipped messages)
LORA_RANKS = (1, 2, 4, 8, 16, 32, 64)
LORA_ALPHAS = (1, 2, 4, 8, 16, 32, 64, 128)
LEARNING_RATES = {
    "head": (3e-4, 1e-3, 3e-3, 1e-2, 3e-2),
    "lora": (1e-4, 3e-4, 1e-3, 2e-3, 5e-3, 1e-2),
    "full": (1e-5, 3e-5, 5e-5, 1e-4, 3e-4),
}
MAX_EPOCHS = {"head": 300, "lora": 20, "full": 12}

LIVE, PRECOMPUTED, NOT_RUN = "live", "precomputed", "not run yet"
# How much faster one row per prompt scores than one row per (prompt, label) pair, measured
# on the shipped task's 100 test messages (2-core CPU, bf16): for time estimates made from
# precomputed points that were timed with the earlier scorer.
SCORER_SPEEDUP = {"zero": 3.5, "few_random": 4.0, "few_nearest": 1.4}


def shot_options(task: Task) -> list[int]:
    """Labelled examples per class the task allows: 2, 4, ... up to every training row ("all")."""
    top = task.max_per_class()
    return [s for s in SHOTS if s < top] + [top]


def shots_label(per_class: int, task: Task) -> str:
    return f"all ({per_class})" if per_class == task.max_per_class() else str(per_class)


def settings_from(values: Mapping) -> RunSettings:
    """RunSettings from the page's control values (missing ones keep their defaults)."""
    d = RunSettings()
    targets = values.get("lora_targets", d.lora.lora_targets)
    return RunSettings(
        prompt=pr.PromptConfig(k=int(values.get("k", d.prompt.k)), selection="random",
                               orders=int(values.get("orders", d.prompt.orders)),
                               calibrate=bool(values.get("calibrate", d.prompt.calibrate))),
        setfit=replace(d.setfit, iterations=int(values.get("setfit_iterations", d.setfit.iterations))),
        head=replace(d.head, epochs=int(values.get("epochs_head", d.head.epochs)),
                     learning_rate=float(values.get("lr_head", d.head.learning_rate))),
        lora=replace(d.lora, epochs=int(values.get("epochs_lora", d.lora.epochs)),
                     learning_rate=float(values.get("lr_lora", d.lora.learning_rate)),
                     lora_r=int(values.get("lora_r", d.lora.lora_r)),
                     lora_alpha=int(values.get("lora_alpha", d.lora.lora_alpha)),
                     lora_targets=tuple(sorted(targets))),
        full=replace(d.full, epochs=int(values.get("epochs_full", d.full.epochs)),
                     learning_rate=float(values.get("lr_full", d.full.learning_rate))),
    )


@dataclass(frozen=True)
class Current:
    results: dict  # method -> MethodResult (only methods with a result)
    sources: dict  # method -> LIVE | PRECOMPUTED | NOT_RUN


def current(task: Task, per_class: int, seed: int, settings: RunSettings, models: Models,
            pre: Precomputed | None) -> Current:
    """For every method: the live result of exactly these inputs if one was run (from any
    session), else the precomputed one if it was made with these inputs, else none."""
    results, sources = {}, {}
    usable = pre is not None and pre.matches(task.key, models.key)
    for method in METHODS:
        live = cached(method, task, per_class, seed, settings, models)
        if live is not None:
            results[method], sources[method] = live, LIVE
            continue
        point = pre.point(method, per_class, seed, repr(settings.of(method))) if usable else None
        if point is not None:
            results[method], sources[method] = point, PRECOMPUTED
        else:
            sources[method] = NOT_RUN
    return Current(results, sources)


def precomputed_points(task: Task, settings: RunSettings, models: Models,
                       pre: Precomputed | None) -> tuple[list[MethodResult], list[str]]:
    """(the precomputed points made with the current settings of their method, the methods
    left out because their settings were changed)."""
    if pre is None or not pre.matches(task.key, models.key):
        return [], []
    points, changed = [], []
    for method in METHODS:
        mine = pre.of(method, repr(settings.of(method)))
        if mine:
            points.extend(mine)
        elif pre.of(method):
            changed.append(method)
    return points, changed


def long_curves(method: str, config: ft.FinetuneConfig, task: Task, models: Models,
                pre: Precomputed | None, per_class: int, seed: int) -> MethodResult | None:
    """The precomputed long run behind the epochs slider, if it was trained with this
    configuration (any number of epochs at least the slider's) on these inputs."""
    if pre is None or method not in pre.long_curves or not pre.matches(task.key, models.key):
        return None
    run = pre.long_curves[method]
    if (run.per_class, run.seed) != (per_class, seed) or run.curves is None:
        return None
    made = pre.long_settings.get(method, "")
    wanted = repr(replace(config, epochs=run.curves.epochs))
    return run if made == wanted and config.epochs <= run.curves.epochs else None


def estimate_s(method: str, per_class: int, task: Task, settings: RunSettings,
               pre: Precomputed | None) -> float | None:
    """About how long a live run takes here: the precomputed timing of the same method at
    the same size if there is one, scaled by the number of training steps."""
    if pre is None:
        return None
    points = [p for p in pre.of(method) if p.per_class == (0 if method == "zero" else per_class)]
    if not points and method != "zero":  # the nearest size that was measured
        sizes = sorted({p.per_class for p in pre.of(method)}, key=lambda s: abs(s - per_class))
        points = [p for p in pre.of(method) if sizes and p.per_class == sizes[0]]
    if not points:
        return None
    p = points[0]
    n_test = len(task.indices("test"))
    base = p.train_s + p.infer_s * n_test * max(1, len(p.runs))
    if method in SCORER_SPEEDUP and "scorer" not in p.extra:  # timed with the earlier, slower scorer
        base /= SCORER_SPEEDUP[method]
    scale = 1.0
    n = per_class * task.n_labels
    if method in ("head", "lora", "full"):
        made = getattr(RunSettings(), method)
        scale = ft.steps_for(n, getattr(settings, method)) / max(1, ft.steps_for(n, made))
    elif method == "setfit":
        scale = sf.steps_for(n, settings.setfit) / max(1, sf.steps_for(n, RunSettings().setfit))
    elif method in ("few_random", "few_nearest"):
        scale = settings.prompt.orders / max(1, len(p.runs))
    return base * scale


def total_estimate(methods: Sequence[str], per_class: int, task: Task, settings: RunSettings,
                   pre: Precomputed | None) -> float | None:
    parts = [estimate_s(m, per_class, task, settings, pre) for m in methods]
    return None if any(p is None for p in parts) else float(sum(parts))


def mean_accuracy(pre: Precomputed, method: str, per_class: int) -> float | None:
    """The precomputed accuracy of a method at one size, averaged over the seeds."""
    points = [p.accuracy for p in pre.of(method, repr(RunSettings().of(method))) if p.per_class == per_class]
    return sum(points) / len(points) if points else None
