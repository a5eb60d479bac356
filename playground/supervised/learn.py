"""Fit, predict, score, draw the boundary: the classification part of the page.

:func:`classify` is the whole pipeline behind one slider change:

1. fit the model's pipeline on the training rows (all features),
2. score it on train and test rows (accuracy, precision, recall, F1, confusion
   matrix, ROC for two classes),
3. build the plane the boundary is drawn in: the data's own two features, or,
   with more than two features, the first two principal components of the
   (scaled, one-hot) training features; in that case a second copy of the model
   is fitted on the 2-D projection and its boundary is the one drawn,
4. predict the class of every point of a (res x res) grid over that plane.

:func:`complexity_curve` and :func:`training_curve` wrap scikit-learn's
``validation_curve`` and ``learning_curve``.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import (accuracy_score, confusion_matrix, precision_recall_fscore_support,
                             roc_auc_score, roc_curve)
from sklearn.model_selection import (ShuffleSplit, StratifiedShuffleSplit, learning_curve,
                                     train_test_split, validation_curve)
from sklearn.pipeline import Pipeline

from playground.errors import UserInputError
from playground.supervised.data import Dataset, Split
from playground.supervised.models import (FIT_ROW_LIMITS, MODELS, complexity_values, grid_value,
                                          make_model,
                                          make_preprocessor, mlp_max_iter)
from playground.threads import one_thread

GRID_RES = 100  # boundary grid: GRID_RES x GRID_RES points


Progress = Callable[[int, int], None]


@dataclass
class Plane:
    """The 2-D plane a boundary is drawn in.

    xs (gx,), ys (gy,): grid coordinates; Z (gy, gx): predicted class index at
    (xs[j], ys[i]) by ``model``; points (n, 2): every row of the data set in this plane.
    """

    xlabel: str
    ylabel: str
    xs: np.ndarray
    ys: np.ndarray
    Z: np.ndarray
    points: np.ndarray
    model: Pipeline  # predicts from a DataFrame with columns (xlabel, ylabel)
    projected: bool
    explained: tuple[float, float] | None = None  # PCA explained-variance ratios
    train_pred: np.ndarray | None = None  # boundary model's predictions on the train rows
    test_pred: np.ndarray | None = None
    train_accuracy: float = float("nan")
    test_accuracy: float = float("nan")

    def grid_frame(self) -> pd.DataFrame:
        """The (gy * gx, 2) grid points, row-major like Z.ravel()."""
        return grid_frame(self.xs, self.ys, (self.xlabel, self.ylabel))


@dataclass
class Metrics:
    train_accuracy: float
    accuracy: float  # on the test rows, like everything below
    precision: float
    recall: float
    f1: float
    average: str  # "binary" (positive class = class 1) or "macro" (mean over classes)
    confusion: np.ndarray  # (k, k): rows = true class, columns = predicted class
    roc: tuple[np.ndarray, np.ndarray, float] | None = None  # fpr, tpr, AUC (two classes)


@dataclass
class ClassifyResult:
    model_name: str
    model: Pipeline  # fitted on the training rows, all features
    metrics: Metrics
    plane: Plane
    train_pred: np.ndarray
    test_pred: np.ndarray
    fit_seconds: float
    n_inputs: int  # columns the classifier sees after preprocessing (one-hot adds some)
    notes: list[str] = field(default_factory=list)


def grid_frame(xs: np.ndarray, ys: np.ndarray, columns: tuple[str, str]) -> pd.DataFrame:
    xx, yy = np.meshgrid(xs, ys)  # (gy, gx) each
    return pd.DataFrame({columns[0]: xx.ravel(), columns[1]: yy.ravel()})


def _axis(values: np.ndarray, res: int) -> np.ndarray:
    lo, hi = float(values.min()), float(values.max())
    pad = max(0.08 * (hi - lo), 0.25)
    return np.linspace(lo - pad, hi + pad, res)


def _fit(model: Pipeline, X, y, notes: list[str] | None = None) -> Pipeline:
    """fit, with one thread and a note when the network stopped before converging."""
    with one_thread(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(X, y)
    if notes is not None and any(issubclass(w.category, ConvergenceWarning) for w in caught):
        notes.append(f"The network stopped after {mlp_max_iter()} epochs before its loss "
                     "settled; the boundary is where training got to.")
    return model


def fit_subsample(y_train: np.ndarray, model_name: str, seed: int) -> tuple[np.ndarray, bool]:
    """Positions (into the training rows) the model is fitted on, and whether they were
    drawn stratified: all rows, or ``FIT_ROW_LIMITS[model_name]`` of them picked with the
    page's seed, exactly as the exported script's ``train_test_split(X_train, y_train,
    train_size=limit, random_state=seed, stratify=...)`` picks them."""
    n, limit = len(y_train), FIT_ROW_LIMITS.get(model_name)
    if limit is None or n <= limit:
        return np.arange(n), False
    counts = np.bincount(y_train)
    counts = counts[counts > 0]
    stratified = bool(counts.min() >= 2 and limit >= len(counts))
    keep, _ = train_test_split(np.arange(n), train_size=limit, random_state=seed,
                               stratify=y_train if stratified else None)
    return keep, stratified


def _predict(model: Pipeline, X) -> np.ndarray:
    with one_thread():
        return model.predict(X)


def _scores(model: Pipeline, X) -> np.ndarray:
    """Score of class 1 for the ROC curve: P(class 1), or the SVM's signed distance."""
    with one_thread():
        if hasattr(model, "predict_proba"):
            return model.predict_proba(X)[:, 1]
        return model.decision_function(X)


def score(model: Pipeline, X_test, y_test, y_train, train_pred, test_pred,
          n_classes: int) -> Metrics:
    """accuracy = correct / all; precision = TP / (TP + FP); recall = TP / (TP + FN);
    F1 = 2 P R / (P + R). Two classes: class 1 is 'positive'. More: the mean over classes."""
    average = "binary" if n_classes == 2 else "macro"
    p, r, f1, _ = precision_recall_fscore_support(y_test, test_pred, average=average,
                                                  zero_division=0)
    roc = None
    if n_classes == 2 and len(np.unique(y_test)) == 2:
        s = _scores(model, X_test)
        fpr, tpr, _ = roc_curve(y_test, s)
        roc = (fpr, tpr, float(roc_auc_score(y_test, s)))
    return Metrics(
        train_accuracy=float(accuracy_score(y_train, train_pred)),
        accuracy=float(accuracy_score(y_test, test_pred)), precision=float(p), recall=float(r),
        f1=float(f1), average=average,
        confusion=confusion_matrix(y_test, test_pred, labels=np.arange(n_classes)), roc=roc)


def projector(dataset: Dataset, seed: int = 0) -> Pipeline:
    """prep (scale / impute + one-hot) -> PCA(2): every row to a point in 2-D."""
    prep = make_preprocessor(dataset.numeric, dataset.categorical,
                             dataset.needs_column_transformer)
    return Pipeline([("prep", prep), ("pca", PCA(n_components=2, random_state=seed))])


def classify(dataset: Dataset, split: Split, model_name: str, params: dict | None = None,
             seed: int = 0, grid_res: int = GRID_RES) -> ClassifyResult:
    """Fit one model and compute everything the Classify tab shows."""
    params = params or {}
    notes: list[str] = []
    X, y = dataset.X, dataset.y
    k = {**MODELS[model_name].defaults(), **params}.get("n_neighbors", 0)
    if model_name == "k-nearest neighbours" and k > len(split.train):
        raise UserInputError(f"k = {k} neighbours, but there are only {len(split.train)} "
                             f"training rows. Choose k of at most {len(split.train)}.")
    X_train, X_test = X.iloc[split.train], X.iloc[split.test]
    y_train, y_test = y[split.train], y[split.test]
    fit_at, _ = fit_subsample(y_train, model_name, seed)  # positions in the training rows
    if len(fit_at) < len(y_train):
        notes.append(f"The {model_name} was fitted on {len(fit_at):,} of the {len(y_train):,} training "
                     f"rows, picked at random with the seed: its training time grows with the square "
                     f"of the rows, so all of them would take minutes. Train accuracy is measured on "
                     f"all {len(y_train):,} training rows, test accuracy on all {len(y_test):,} test rows.")
    # 1. Fit on every feature.
    model = make_model(model_name, params, seed, dataset.numeric, dataset.categorical,
                       dataset.needs_column_transformer)
    start = time.perf_counter()
    _fit(model, X_train.iloc[fit_at], y_train[fit_at], notes)
    fit_seconds = time.perf_counter() - start
    # 2. Score.
    train_pred, test_pred = _predict(model, X_train), _predict(model, X_test)
    metrics = score(model, X_test, y_test, y_train, train_pred, test_pred, dataset.n_classes)
    # 3. The plane.
    if dataset.is_2d:
        columns = tuple(dataset.numeric)
        points = X[list(columns)].to_numpy(dtype=float)
        boundary_model, explained = model, None
        plane_train_pred, plane_test_pred = train_pred, test_pred
    else:
        columns = ("PC1", "PC2")
        proj = projector(dataset, seed)
        with one_thread():
            proj.fit(X_train)
            points = proj.transform(X)  # (n, 2)
        explained = tuple(float(v) for v in proj.named_steps["pca"].explained_variance_ratio_)
        P = pd.DataFrame(points, columns=list(columns))
        boundary_model = make_model(model_name, params, seed, columns, (), False)
        _fit(boundary_model, P.iloc[split.train[fit_at]], y_train[fit_at])
        plane_train_pred = _predict(boundary_model, P.iloc[split.train])
        plane_test_pred = _predict(boundary_model, P.iloc[split.test])
    # 4. Predict the class at every grid point: Z[i, j] = class at (xs[j], ys[i]).
    xs, ys = _axis(points[:, 0], grid_res), _axis(points[:, 1], grid_res)
    Z = _predict(boundary_model, grid_frame(xs, ys, columns)).reshape(len(ys), len(xs))
    plane = Plane(xlabel=columns[0], ylabel=columns[1], xs=xs, ys=ys, Z=Z.astype(int),
                  points=points, model=boundary_model, projected=not dataset.is_2d,
                  explained=explained, train_pred=plane_train_pred, test_pred=plane_test_pred,
                  train_accuracy=float(accuracy_score(y_train, plane_train_pred)),
                  test_accuracy=float(accuracy_score(y_test, plane_test_pred)))
    n_inputs = model.named_steps["prep"].transform(X_train.iloc[:1]).shape[1]
    return ClassifyResult(model_name=model_name, model=model, metrics=metrics, plane=plane,
                          train_pred=train_pred, test_pred=test_pred, fit_seconds=fit_seconds,
                          n_inputs=int(n_inputs), notes=notes)


# ---------------------------------------------------------------------------
# Overfitting: validation curve (score vs complexity), learning curve (score vs size)
# ---------------------------------------------------------------------------


@dataclass
class Curve:
    """Mean and spread of train and test scores at each x (over the CV splits)."""

    x: np.ndarray
    train_mean: np.ndarray
    train_std: np.ndarray
    test_mean: np.ndarray
    test_std: np.ndarray
    xlabel: str
    ylabel: str = "accuracy"
    log_x: bool = False


def _cv(dataset: Dataset, split: Split, n_splits: int, test_size: float, seed: int,
        model_name: str):
    """n_splits = 1: exactly the page's train/test split (the numbers match the
    Classify tab). More: that many random splits of the same size, averaged. Each
    training part is cut to the model's FIT_ROW_LIMITS as on the Classify tab."""
    if n_splits <= 1:
        folds = [(split.train, split.test)]
    else:
        splitter = StratifiedShuffleSplit if split.stratified else ShuffleSplit
        folds = list(splitter(n_splits=n_splits, test_size=test_size, random_state=seed)
                     .split(dataset.X, dataset.y))
    return [(train[fit_subsample(dataset.y[train], model_name, seed)[0]], test)
            for train, test in folds]


def _mean_std(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: size too small
        return np.nanmean(scores, axis=1), np.nanstd(scores, axis=1)


def complexity_point(dataset: Dataset, split: Split, model_name: str, value,
                     params: dict | None = None, seed: int = 0, n_splits: int = 1,
                     test_size: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Train and test accuracy, one per CV split, with the complexity knob at
    ``value`` and the other hyperparameters at ``params`` (validation_curve)."""
    params = params or {}
    model = make_model(model_name, params, seed, dataset.numeric, dataset.categorical,
                       dataset.needs_column_transformer)
    with one_thread(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of the small networks
        train, test = validation_curve(model, dataset.X, dataset.y,
                                       param_name=MODELS[model_name].complexity.grid_name,
                                       param_range=[grid_value(model_name, value, params)],
                                       cv=_cv(dataset, split, n_splits, test_size, seed, model_name),
                                       scoring="accuracy", error_score=np.nan)
    return train[0], test[0]  # (n_splits,) each


def curve_from_points(x, train_scores, test_scores, xlabel: str, ylabel: str = "accuracy",
                      log_x: bool = False) -> Curve:
    """Stack per-x score arrays (n_splits,) into a Curve; x where every split
    failed (NaN: the size was too small for the model) is left out."""
    train_mean, train_std = _mean_std(np.array(train_scores, dtype=float))
    test_mean, test_std = _mean_std(np.array(test_scores, dtype=float))
    keep = ~np.isnan(test_mean)
    return Curve(np.asarray(x, dtype=float)[keep], train_mean[keep], train_std[keep],
                 test_mean[keep], test_std[keep], xlabel=xlabel, ylabel=ylabel, log_x=log_x)


def curve_values(dataset: Dataset, split: Split, model_name: str) -> tuple:
    """The complexity values swept for this model on this data."""
    n_features = len(dataset.numeric) + len(dataset.categorical)
    return complexity_values(model_name, n_features, len(split.train))


def complexity_curve(dataset: Dataset, split: Split, model_name: str, params: dict | None = None,
                     seed: int = 0, n_splits: int = 1, test_size: float = 0.2,
                     progress: Progress | None = None) -> Curve:
    """The validation curve: train and test accuracy as the complexity knob moves.
    One validation_curve call per value, so a page can show progress."""
    values = curve_values(dataset, split, model_name)
    train, test = [], []
    for i, value in enumerate(values):
        tr, te = complexity_point(dataset, split, model_name, value, params, seed, n_splits,
                                  test_size)
        train.append(tr)
        test.append(te)
        if progress:
            progress(i + 1, len(values))
    spec = MODELS[model_name].complexity
    return curve_from_points(values, train, test, spec.label, log_x=spec.log_x)


TRAIN_FRACTIONS = tuple(float(f) for f in np.linspace(0.1, 1.0, 6))


def training_point(dataset: Dataset, split: Split, model_name: str, fraction: float,
                   params: dict | None = None, seed: int = 0, n_splits: int = 1,
                   test_size: float = 0.2) -> tuple[int, np.ndarray, np.ndarray]:
    """(rows used, train scores, test scores) when the model sees only ``fraction``
    of the training rows (learning_curve). A size too small for the model (k
    larger than the rows for kNN, a single class) scores NaN."""
    model = make_model(model_name, params or {}, seed, dataset.numeric, dataset.categorical,
                       dataset.needs_column_transformer)
    with one_thread(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # failed small fits are expected, see above
        sizes, train, test = learning_curve(model, dataset.X, dataset.y, train_sizes=[fraction],
                                            cv=_cv(dataset, split, n_splits, test_size, seed, model_name),
                                            scoring="accuracy", shuffle=True, random_state=seed,
                                            error_score=np.nan)
    return int(sizes[0]), train[0], test[0]


def training_curve(dataset: Dataset, split: Split, model_name: str, params: dict | None = None,
                   seed: int = 0, n_splits: int = 1, test_size: float = 0.2,
                   progress: Progress | None = None) -> Curve:
    """The learning curve: train and test accuracy against the number of
    training rows (10% .. 100% of them)."""
    sizes, train, test = [], [], []
    for i, fraction in enumerate(TRAIN_FRACTIONS):
        n, tr, te = training_point(dataset, split, model_name, fraction, params, seed, n_splits,
                                   test_size)
        sizes.append(n)
        train.append(tr)
        test.append(te)
        if progress:
            progress(i + 1, len(TRAIN_FRACTIONS))
    return curve_from_points(sizes, train, test, "training rows")
