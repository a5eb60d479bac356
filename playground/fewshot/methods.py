"""The seven methods on one task, one split, one machine: run one, measure what it cost.

========================  ==========================================  ======================
method                    what learns                                 module
========================  ==========================================  ======================
zero-shot prompt          nothing: the labels are scored              :mod:`.prompting`
few-shot prompt           nothing: k examples go into the prompt      :mod:`.prompting`
  (random / nearest)
frozen features + LR      logistic regression on MiniLM embeddings    :mod:`.features`
                          or on the LLM's last hidden state
SetFit                    MiniLM (contrastively), then LR             :mod:`.setfit_method`
fine-tune: head only      576 x labels weights on the LLM's states    :mod:`.finetune`
fine-tune: LoRA           low-rank adapters + the head                :mod:`.finetune`
fine-tune: all weights    the whole LLM body + the head               :mod:`.finetune`
========================  ==========================================  ======================

Every method gets the same labelled pool (``per_class`` training examples of each label,
:meth:`~playground.fewshot.data.Task.pool`) and is scored on the same test messages.
:func:`run_method` also measures, on this machine: the training time (for prompting:
none; nearest selection: embedding the pool), the inference time per test example, the
trainable parameters, and the peak memory above the start (:mod:`.measure`).
Results are cached by their real inputs (:mod:`.cache`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from playground.config import get_settings
from playground.errors import UserInputError
from playground.fewshot import features as feat
from playground.fewshot import finetune as ft
from playground.fewshot import prompting as pr
from playground.fewshot import setfit_method as sf
from playground.fewshot.cache import RESULTS
from playground.fewshot.data import Task
from playground.fewshot.measure import PeakMemory, Stopwatch
from playground.threads import one_thread

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class MethodInfo:
    key: str
    label: str
    family: str  # "prompting" | "features" | "fine-tuning"
    colour: str
    learns: str


METHODS: dict[str, MethodInfo] = {m.key: m for m in (
    MethodInfo("zero", "Zero-shot prompt", "prompting", "#9E9E9E", "nothing"),
    MethodInfo("few_random", "Few-shot, random examples", "prompting", "#F2A541", "nothing"),
    MethodInfo("few_nearest", "Few-shot, nearest examples (KATE)", "prompting", "#E07A1F", "nothing"),
    MethodInfo("feat_minilm", "MiniLM embeddings + LR", "features", "#5FB3B3", "a logistic regression"),
    MethodInfo("feat_llm", "LLM hidden state + LR", "features", "#2E86AB", "a logistic regression"),
    MethodInfo("setfit", "SetFit (MiniLM)", "fine-tuning", "#3BA55C", "MiniLM and a logistic regression"),
    MethodInfo("head", "Fine-tune: head only", "fine-tuning", "#B48EDB", "the LLM's classification head"),
    MethodInfo("lora", "Fine-tune: LoRA", "fine-tuning", "#6C4AB6", "LoRA adapters and the head"),
    MethodInfo("full", "Fine-tune: all weights", "fine-tuning", "#3B1F7A", "every weight of the LLM and the head"),
)}
SCORER_ROWS, SCORER_PAIRS = "one row per prompt", "one row per (prompt, label)"
TRAINED = ("setfit", "lora", "full")  # runs that hold a model copy: they go through the training queue


@dataclass(frozen=True)
class RunSettings:
    """The settings of every method (one object, so a comparison is one cache key each)."""

    prompt: pr.PromptConfig = field(default_factory=pr.PromptConfig)
    setfit: sf.SetFitConfig = field(default_factory=sf.SetFitConfig)
    head: ft.FinetuneConfig = field(default_factory=lambda: ft.FinetuneConfig.default("head"))
    lora: ft.FinetuneConfig = field(default_factory=lambda: ft.FinetuneConfig.default("lora"))
    full: ft.FinetuneConfig = field(default_factory=lambda: ft.FinetuneConfig.default("full"))

    def of(self, method: str):
        """The part of the settings that ``method`` depends on. Calibration is not part of
        it: a prompting result holds the calibrated and the raw answers (the same scores)."""
        prompt = replace(self.prompt, calibrate=True)
        if method == "zero":
            return replace(prompt, k=0, selection="random", orders=1)
        if method == "few_random":
            return replace(prompt, selection="random")
        if method == "few_nearest":  # one order: KATE's, the most similar example last
            return replace(prompt, selection="nearest", orders=1)
        if method in ("feat_minilm", "feat_llm"):
            return None
        return getattr(self, method)


    def key(self) -> str:
        """What identifies these settings in caches and in the precomputed file."""
        return repr(replace(self, prompt=replace(self.prompt, calibrate=True)))


@dataclass(frozen=True)
class MethodResult:
    method: str
    per_class: int
    seed: int
    accuracy: float  # mean over runs
    runs: tuple[float, ...]  # prompting: one accuracy per example order; else one
    predictions: tuple[int, ...]  # test predictions (prompting: of the first order)
    train_s: float
    infer_s: float  # per test example (and per order for prompting)
    trainable: int  # weights that learn (0 for prompting)
    total: int  # weights involved (the models the method runs)
    peak_mb: float
    curves: ft.Curves | None = None
    config: str = ""  # repr of the settings the method depends on (RunSettings.of)
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def spread(self) -> tuple[float, float]:
        return (min(self.runs), max(self.runs)) if self.runs else (self.accuracy, self.accuracy)

    def calibrated(self, calibrate: bool) -> MethodResult:
        """A prompting result as scored with (the default) or without calibration."""
        if calibrate or "uncalibrated" not in self.extra:
            return self
        runs = tuple(self.extra["uncalibrated"])
        return replace(self, accuracy=float(np.mean(runs)), runs=runs,
                       predictions=tuple(self.extra["uncalibrated_predictions"]))

    def to_dict(self) -> dict:
        data = asdict(self)
        data["curves"] = asdict(self.curves) if self.curves else None
        return data

    @staticmethod
    def from_dict(data: dict) -> MethodResult:
        data = dict(data)
        curves = data.get("curves")
        data["curves"] = ft.Curves(**{k: tuple(v) for k, v in curves.items()}) if curves else None
        data["runs"] = tuple(data["runs"])
        data["predictions"] = tuple(data["predictions"])
        return MethodResult(**data)


@dataclass(frozen=True)
class Models:
    """The shared models a run reads (never trains): the LLM and the sentence embedder."""

    lm: object
    embedder: object
    key: str  # model name, source and precision: part of every cache key


def _quiet(fraction: float, text: str) -> None:
    pass


def cache_key(method: str, task: Task, per_class: int, seed: int, settings: RunSettings, models: Models):
    config = settings.of(method)
    if method == "zero":
        per_class, seed = 0, 0  # zero-shot reads no examples and draws nothing
    return (method, task.key, int(per_class), int(seed), repr(config), models.key)


def cached(method: str, task: Task, per_class: int, seed: int, settings: RunSettings,
           models: Models) -> MethodResult | None:
    return RESULTS.get(cache_key(method, task, per_class, seed, settings, models))


def run_method(method: str, task: Task, per_class: int, seed: int, settings: RunSettings, models: Models,
               progress: Progress = _quiet, owner: str = "", queue=None) -> MethodResult:
    """Run one method on one pool (``per_class`` examples of each label, drawn with ``seed``)
    and score it on the test set; cached by every input."""
    key = cache_key(method, task, per_class, seed, settings, models)
    found = RESULTS.get(key)
    if found is not None:
        return found
    result = _run(method, task, per_class, seed, settings, models, progress, owner, queue)
    return RESULTS.put(key, result)


def check_steps(method: str, n_examples: int, settings: RunSettings, max_steps: int) -> int:
    """The training steps a run takes; a UserInputError when over the server's limit."""
    if method == "setfit":
        steps = sf.steps_for(n_examples, settings.setfit)
    elif method in ("head", "lora", "full"):
        steps = ft.steps_for(n_examples, getattr(settings, method))
    else:
        return 0
    if steps > max_steps:
        raise UserInputError(
            f"{METHODS[method].label} would take {steps:,} training steps here; this server allows {max_steps:,} "
            "per run (PLAYGROUND_MAX_TRAINING_STEPS). Lower the epochs (or SetFit's pairs per example), or "
            "use fewer labelled examples per class.")
    return steps


def _run(method, task, per_class, seed, settings, models, progress, owner, queue) -> MethodResult:
    pool = task.pool(per_class, seed)
    check_steps(method, len(pool), settings, get_settings().max_training_steps)
    test, val = task.indices("test"), task.indices("validation")
    y_test = task.y(test)
    extra: dict = {}
    curves = None
    with PeakMemory() as peak:
        if method in ("zero", "few_random", "few_nearest"):
            config = settings.of(method)  # calibrated; the raw answers are kept beside
            train_s, vectors = 0.0, None
            if method == "few_nearest":
                with Stopwatch() as t:  # "training" of nearest selection: embedding the pool
                    vectors = _minilm(models.embedder, task, np.concatenate([pool, test]))
                train_s = t.seconds
            with Stopwatch() as t, one_thread():  # one thread: 4x faster than two on a busy 2-core machine
                run = pr.run_prompting(models.lm, task, pool, config, seed, vectors, progress)
            accuracies = run.accuracies(y_test)
            predictions = run.per_order[0].predict(config.calibrate)
            first = run.per_order[0]
            extra = {"uncalibrated": run.accuracies(y_test, calibrate=False),
                     "uncalibrated_predictions": [int(v) for v in first.predict(False)],
                     "prompt_tokens": run.prompt_tokens,
                     # how the labels were scored (the timing depends on it; older points lack it)
                     "scorer": SCORER_ROWS if pr.single_token_labels(models.lm, task) is not None else SCORER_PAIRS,
                     "k": config.k, "examples_first": list(run.examples[0]),
                     # the first order's scores, for the per-message view (rounded: they are shown, not reused)
                     "logprobs": np.round(first.logprobs, 3).tolist(), "baseline": np.round(first.baseline, 3).tolist()}
            infer_s = t.seconds / (len(test) * len(run.per_order))
            trainable, total = 0, _lm_params(models.lm)
            if method == "few_nearest":
                total += _embedder_params(models.embedder)
        elif method in ("feat_minilm", "feat_llm"):
            with Stopwatch() as t_train:
                X_pool = _features(method, models, task, pool, progress)
                clf, _ = feat.fit_predict(X_pool, task.y(pool), X_pool[:1], seed)
            with Stopwatch() as t_test:
                X_test = _features(method, models, task, test, progress)
                with one_thread():
                    predictions = clf.predict(X_test)
            accuracies = [float((predictions == y_test).mean())]
            train_s, infer_s = t_train.seconds, t_test.seconds / len(test)
            trainable = feat.classifier_size(X_pool.shape[1], task.n_labels)
            total = trainable + (_embedder_params(models.embedder) if method == "feat_minilm"
                                 else _body_params(models.lm))
        elif method == "setfit":
            config = settings.setfit
            need = 4 * 23e6 * 4 / 2**20 + 200  # fp32 MiniLM, its gradient and AdamW state, activations
            with _slot(queue, owner, need, "SetFit", progress):
                with Stopwatch() as t_train:
                    fit = sf.train(task.text_list(pool), list(task.y(pool)), config, seed, progress)
                with Stopwatch() as t_test:
                    predictions = fit.predict(task.text_list(test))
            accuracies = [float((predictions == y_test).mean())]
            train_s, infer_s = t_train.seconds, t_test.seconds / len(test)
            trainable, total = fit.trainable, fit.total
            extra = {"steps": fit.steps}
        elif method == "head":
            config = settings.head
            with Stopwatch() as t_train:  # the frozen body reads the pool and validation texts once
                X = _llm_last(models.lm, task, np.concatenate([pool, val]))
                fit = ft.train_head(X[:len(pool)], task.y(pool), X[len(pool):], task.y(val), task.n_labels,
                                    config, seed, progress)
            with Stopwatch() as t_test:
                X_test = _llm_last(models.lm, task, test)
                predictions = ft.predict_head(fit, X_test)
            accuracies = [float((predictions == y_test).mean())]
            train_s, infer_s = t_train.seconds, t_test.seconds / len(test)
            trainable, total = fit.trainable, fit.trainable + _body_params(models.lm)
            curves = fit.curves
        elif method in ("lora", "full"):
            config = getattr(settings, method)
            need = ft.memory_need_mb(models.lm, config, task.n_labels)
            with _slot(queue, owner, need, f"this {METHODS[method].label.lower()}", progress):
                fit = ft.train_copy(models.lm, task.text_list(pool), task.y(pool), task.text_list(val),
                                        task.y(val), task.text_list(test), task.n_labels, config, seed, progress)
            predictions = fit.predictions
            accuracies = [float((predictions == y_test).mean())]
            train_s, infer_s = fit.train_s, fit.test_s / len(test)
            trainable, total = fit.trainable, fit.total
            curves = fit.curves
            extra = {"peft_report": list(fit.peft_report) if fit.peft_report else None, "steps": fit.steps,
                     "memory_estimate_mb": round(need)}
        else:
            raise ValueError(f"unknown method {method!r}")
    return MethodResult(
        method=method, per_class=int(per_class), seed=int(seed), accuracy=float(np.mean(accuracies)),
        runs=tuple(float(a) for a in accuracies), predictions=tuple(int(p) for p in predictions),
        train_s=float(train_s), infer_s=float(infer_s), trainable=int(trainable), total=int(total),
        peak_mb=float(peak.mb), curves=curves, config=repr(settings.of(method)), extra=extra)


# -- helpers ---------------------------------------------------------------------------------


class _NoQueue:
    def slot(self, *args, **kwargs):
        import contextlib

        return contextlib.nullcontext()


def _slot(queue, owner: str, need_mb: float, what: str, progress: Progress):
    queue = queue or _NoQueue()

    def waiting(ahead: int) -> None:
        if ahead:
            progress(0.0, f"Waiting for a training slot: {ahead} run(s) ahead of yours")

    return queue.slot(owner or "anonymous", need_mb, what, on_wait=waiting)


def _minilm(embedder, task: Task, rows: np.ndarray) -> np.ndarray:
    """MiniLM vectors of the given rows, placed in a task-sized array (others zero)."""
    vectors = np.zeros((len(task.texts), 384), dtype=np.float32)
    with one_thread():
        vectors[rows] = embedder.encode(task.text_list(rows))
    return vectors


def _llm_last(lm, task: Task, rows: np.ndarray) -> np.ndarray:
    with one_thread():
        return feat.llm_hidden(lm, task.text_list(rows), "last")


def _features(method: str, models: Models, task: Task, rows: np.ndarray, progress: Progress) -> np.ndarray:
    with one_thread():
        if method == "feat_minilm":
            return models.embedder.encode(task.text_list(rows)).astype(np.float32)
        return feat.llm_hidden(models.lm, task.text_list(rows), "mean")


def _lm_params(lm) -> int:
    return int(sum(p.numel() for p in lm.model.parameters()))


def _body_params(lm) -> int:
    return ft.body_parameters(lm)


def _embedder_params(embedder) -> int:
    return int(sum(p.numel() for p in embedder.model.parameters()))


def confusion(y_true, y_pred, n_labels: int) -> np.ndarray:
    """(n_labels, n_labels): row = the true label, column = the predicted one."""
    matrix = np.zeros((n_labels, n_labels), dtype=int)
    for t, p in zip(y_true, y_pred):
        matrix[int(t), int(p)] += 1
    return matrix
