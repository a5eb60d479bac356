"""The seven classifiers, their main hyperparameters and their complexity knob.

Every model is a scikit-learn ``Pipeline``:

    prep  ->  [poly -> scale]  ->  clf
    prep: StandardScaler (built-in sets) or, for a CSV, a ColumnTransformer with
          median imputer + scaler on numbers, most-frequent imputer + one-hot on text
    poly: PolynomialFeatures(degree), logistic regression only (degree 1 = the inputs)
    clf:  the classifier

The page draws one widget per :class:`Param` and the Overfitting tab sweeps
each model's :class:`Complexity` parameter with ``validation_curve``.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb
from typing import Any

from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, PolynomialFeatures, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from playground.config import get_settings

LOG_C = (0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0)


@dataclass(frozen=True)
class Param:
    """One hyperparameter: a slider over ``values`` (numbers) or a choice (text)."""

    name: str
    label: str
    values: tuple
    default: Any
    help: str = ""

    @property
    def is_choice(self) -> bool:
        """Text options (a drop-down) rather than an ordered scale (a slider)."""
        return all(isinstance(v, str) for v in self.values)


@dataclass(frozen=True)
class Complexity:
    """The knob that moves a model from too simple to too flexible.

    ``param`` is one of the model's Params (or "width" for the network, which
    sets the width of every hidden layer); ``grid_name`` is the pipeline
    parameter validation_curve sets; ``simple_end`` says which end underfits.
    """

    param: str
    label: str
    values: tuple
    grid_name: str
    simple_end: str  # "low" or "high"
    log_x: bool = False


@dataclass(frozen=True)
class ModelSpec:
    name: str
    short: str  # for chart titles
    params: tuple[Param, ...]
    complexity: Complexity
    blurb: str

    def defaults(self) -> dict:
        return {p.name: p.default for p in self.params}


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "Logistic regression", "Logistic reg.",
            (Param("C", "Inverse regularisation C", LOG_C, 1.0,
                   "Small C = strong penalty on large weights (simpler model)."),
             Param("degree", "Polynomial degree of the features", tuple(range(1, 11)), 1,
                   "1 = a straight boundary; higher degrees add x1², x1·x2, ... so it can bend.")),
            Complexity("degree", "polynomial degree", tuple(range(1, 11)), "poly__degree", "low"),
            "A weighted sum of the features squashed by the sigmoid: p = σ(w·x + b). "
            "Its boundary is a straight line unless you add polynomial features."),
        ModelSpec(
            "k-nearest neighbours", "kNN",
            (Param("n_neighbors", "Neighbours k", tuple(range(1, 51)), 5,
                   "A point gets the majority class of its k nearest training points."),
             Param("weights", "Vote weights", ("uniform", "distance"), "uniform",
                   "distance: closer neighbours count more.")),
            Complexity("n_neighbors", "neighbours k",
                       (1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100), "clf__n_neighbors", "high",
                       log_x=True),
            "No training at all: it stores the training points and lets the k nearest vote."),
        ModelSpec(
            "Decision tree", "Tree",
            (Param("max_depth", "Maximum depth", tuple(range(1, 21)), 5,
                   "How many yes/no questions in a row the tree may ask."),
             Param("min_samples_leaf", "Minimum points per leaf", tuple(range(1, 21)), 1),
             Param("criterion", "Split criterion", ("gini", "entropy"), "gini")),
            Complexity("max_depth", "tree depth", tuple(range(1, 16)), "clf__max_depth", "low"),
            "A flow chart of yes/no questions like 'x1 > 0.3?', learnt greedily: "
            "each split is the one that makes the two sides purest."),
        ModelSpec(
            "Random forest", "Forest",
            (Param("n_estimators", "Number of trees", (10, 20, 50, 100, 200), 50),
             Param("max_depth", "Maximum depth of each tree", tuple(range(1, 21)), 6)),
            Complexity("max_depth", "tree depth", tuple(range(1, 16)), "clf__max_depth", "low"),
            "Many trees, each trained on a bootstrap sample of the rows with random "
            "feature choices; they vote. Averaging smooths out one tree's quirks."),
        ModelSpec(
            "SVM", "SVM",
            (Param("kernel", "Kernel", ("rbf", "linear", "poly"), "rbf",
                   "rbf: bumps around the support vectors; linear: a straight boundary."),
             Param("C", "Penalty C", LOG_C, 1.0, "Large C = fewer training mistakes allowed."),
             Param("gamma", "Kernel gamma", ("scale", 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0,
                                             100.0), "scale",
                   "Large gamma = narrow bumps = a wigglier boundary (rbf and poly). "
                   "'scale' = 1 / (number of features × feature variance).")),
            Complexity("gamma", "kernel gamma (rbf)",
                       (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0),
                       "clf__gamma", "low", log_x=True),
            "A support vector machine finds the boundary with the widest margin; the kernel "
            "lets that boundary curve."),
        ModelSpec(
            "Gradient boosting", "Boosting",
            (Param("max_iter", "Boosting rounds", (10, 25, 50, 100, 200, 300), 100),
             Param("learning_rate", "Learning rate", (0.01, 0.03, 0.1, 0.3, 1.0), 0.1),
             Param("max_depth", "Depth of each tree", tuple(range(1, 9)), 3)),
            Complexity("max_depth", "depth of each tree", tuple(range(1, 9)), "clf__max_depth",
                       "low"),
            "Small trees added one after another, each one fitted to the mistakes "
            "(the gradient of the loss) of the trees before it. This is scikit-learn's "
            "histogram-based version, which bins each feature into at most 255 values."),
        ModelSpec(
            "Neural network", "Network",
            (Param("layers", "Hidden layers", (1, 2, 3, 4), 2),
             Param("width", "Neurons per layer", (2, 4, 8, 16, 32, 64, 128), 16),
             Param("activation", "Activation", ("relu", "tanh", "logistic"), "relu"),
             Param("learning_rate_init", "Learning rate", (0.0001, 0.001, 0.01, 0.1), 0.01),
             Param("alpha", "Regularisation alpha (L2)", (0.00001, 0.0001, 0.001, 0.01, 0.1, 1.0,
                                                          10.0), 0.0001,
                   "Penalty on large weights; larger = smoother boundary.")),
            Complexity("width", "neurons per layer", (1, 2, 4, 8, 16, 32, 64, 128),
                       "clf__hidden_layer_sizes", "low", log_x=True),
            "A multi-layer perceptron: layers of weighted sums and activations, trained "
            "with Adam on the cross-entropy loss."),
    )
}
MODEL_NAMES = tuple(MODELS)

# Most training rows a model is fitted on; a larger training part is subsampled (stratified,
# with the page's seed) and the page says so. A kernel SVM's fit grows with the square of
# the rows or faster: 16,000 rows (a 20,000-row upload) took 59 s on the 2-core machine,
# 4,000 rows about 3 s (benchmarks/bench_supervised.py, "Upload size").
FIT_ROW_LIMITS = {"SVM": 5000}
MLP_MAX_ITER = 200  # Adam epochs (scikit-learn's default); capped by PLAYGROUND_MAX_TRAINING_STEPS


def mlp_max_iter() -> int:
    return min(MLP_MAX_ITER, get_settings().max_training_steps)


def estimator_kwargs(model: str, params: dict, seed: int) -> dict:
    """The keyword arguments of the scikit-learn classifier (what the code view prints)."""
    p = {**MODELS[model].defaults(), **params}
    if model == "Logistic regression":
        return {"C": p["C"], "max_iter": 2000}
    if model == "k-nearest neighbours":
        return {"n_neighbors": p["n_neighbors"], "weights": p["weights"]}
    if model == "Decision tree":
        return {"max_depth": p["max_depth"], "min_samples_leaf": p["min_samples_leaf"],
                "criterion": p["criterion"], "random_state": seed}
    if model == "Random forest":
        return {"n_estimators": p["n_estimators"], "max_depth": p["max_depth"],
                "random_state": seed}
    if model == "SVM":
        return {"kernel": p["kernel"], "C": p["C"], "gamma": p["gamma"]}
    if model == "Gradient boosting":
        return {"max_iter": p["max_iter"], "learning_rate": p["learning_rate"],
                "max_depth": p["max_depth"], "early_stopping": False, "random_state": seed}
    if model == "Neural network":
        return {"hidden_layer_sizes": (p["width"],) * p["layers"], "activation": p["activation"],
                "learning_rate_init": p["learning_rate_init"], "alpha": p["alpha"],
                "max_iter": mlp_max_iter(), "random_state": seed}
    raise KeyError(model)


_CLASSES = {"Logistic regression": LogisticRegression, "k-nearest neighbours": KNeighborsClassifier,
            "Decision tree": DecisionTreeClassifier, "Random forest": RandomForestClassifier,
            "SVM": SVC, "Gradient boosting": HistGradientBoostingClassifier,
            "Neural network": MLPClassifier}


def make_preprocessor(numeric, categorical, column_transformer: bool):
    """StandardScaler, or the CSV ColumnTransformer (impute + scale / impute + one-hot)."""
    if not column_transformer:
        return StandardScaler()
    numbers = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    text = Pipeline([("impute", SimpleImputer(strategy="most_frequent")),
                     ("onehot", OneHotEncoder(handle_unknown="ignore"))])
    return ColumnTransformer([("num", numbers, list(numeric)), ("cat", text, list(categorical))],
                             sparse_threshold=0.0)  # dense: every classifier accepts it


def make_model(model: str, params: dict, seed: int = 0, numeric=("x1", "x2"), categorical=(),
               column_transformer: bool = False) -> Pipeline:
    """The full pipeline for one model and its hyperparameters (not fitted)."""
    steps = [("prep", make_preprocessor(numeric, categorical, column_transformer))]
    if model == "Logistic regression":
        degree = {**MODELS[model].defaults(), **params}["degree"]
        steps += [("poly", PolynomialFeatures(degree=degree, include_bias=False)),
                  ("scale", StandardScaler())]
    steps.append(("clf", _CLASSES[model](**estimator_kwargs(model, params, seed))))
    return Pipeline(steps)


def complexity_values(model: str, n_features: int, n_train: int) -> tuple:
    """The complexity values that make sense for this data.

    Polynomial degree d on f features makes C(f + d, d) - 1 columns: capped at
    2500 so digits (64 features) stops at degree 2. k must stay below the
    number of training points."""
    spec = MODELS[model].complexity
    values = spec.values
    if model == "Logistic regression":
        values = tuple(d for d in values if comb(n_features + d, d) <= 2500) or (1,)
    if model == "k-nearest neighbours":
        values = tuple(k for k in values if k <= n_train) or (1,)
    return values


def grid_value(model: str, value, params: dict):
    """The value validation_curve sets for a complexity value (network: a layer tuple)."""
    if model == "Neural network":
        layers = {**MODELS[model].defaults(), **params}["layers"]
        return (int(value),) * layers
    return value
