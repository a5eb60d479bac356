"""Regression: predict a number. A noisy 1-D function fitted by a polynomial, a
tree and a small network, to see under- and over-fitting as error curves.

    y = f(x) + noise * N(0, 1),  x ~ U(0, 1)

Mean squared error, MSE = mean((y - ŷ)²), on the training points falls as the
model gets more flexible; on the test points it falls, then rises again once
the model starts to follow the noise.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import train_test_split, validation_curve
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import PolynomialFeatures
from sklearn.tree import DecisionTreeRegressor

from playground.config import get_settings
from playground.supervised.learn import Curve, Progress
from playground.threads import one_thread

FUNCTIONS = {
    "cos(1.5πx)": lambda x: np.cos(1.5 * np.pi * x),
    "sin(2πx)": lambda x: np.sin(2 * np.pi * x),
    "step at x = 0.5": lambda x: (x > 0.5).astype(float),
    "|x - 0.5|": lambda x: np.abs(x - 0.5) * 2,
}


@dataclass(frozen=True)
class RegressionModel:
    name: str
    knob: str  # what the complexity slider sets
    values: tuple
    default: int
    grid_name: str  # the pipeline parameter validation_curve sets
    log_x: bool = False


REGRESSORS = {
    m.name: m
    for m in (
        RegressionModel("Polynomial", "degree", tuple(range(0, 16)), 3, "poly__degree"),
        RegressionModel("Decision tree", "depth", tuple(range(1, 13)), 3, "model__max_depth"),
        RegressionModel("Neural network", "neurons per layer", (1, 2, 4, 8, 16, 32, 64), 8,
                        "model__hidden_layer_sizes", log_x=True),
    )
}


@dataclass
class RegressionData:
    x: np.ndarray  # (n,)
    y: np.ndarray  # (n,)
    train: np.ndarray  # indices
    test: np.ndarray
    function: str


@dataclass
class RegressionFit:
    x_line: np.ndarray  # (400,) dense x for drawing
    y_line: np.ndarray  # model's prediction on x_line
    y_true: np.ndarray  # f(x_line), the noise-free function
    train_mse: float
    test_mse: float


def make_data(function: str = "cos(1.5πx)", n_samples: int = 40, noise: float = 0.2,
              test_size: float = 0.3, seed: int = 0) -> RegressionData:
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0.0, 1.0, n_samples))
    y = FUNCTIONS[function](x) + noise * rng.normal(size=n_samples)
    train, test = train_test_split(np.arange(n_samples), test_size=test_size, random_state=seed)
    return RegressionData(x, y, np.sort(train), np.sort(test), function)


def make_regressor(name: str, complexity: int, seed: int = 0) -> Pipeline:
    """Polynomial: [1, x, x², ..., x^d] -> least squares (degree 0 = a constant).
    Tree: piecewise-constant with up to 2^depth steps.
    Network: two tanh layers of ``complexity`` neurons, trained with L-BFGS."""
    if name == "Polynomial":
        return Pipeline([("poly", PolynomialFeatures(degree=complexity, include_bias=True)),
                         ("model", LinearRegression(fit_intercept=False))])
    if name == "Decision tree":
        return Pipeline([("model", DecisionTreeRegressor(max_depth=complexity, random_state=seed))])
    if name == "Neural network":
        steps = min(1000, get_settings().max_training_steps)
        return Pipeline([("model", MLPRegressor(hidden_layer_sizes=(complexity, complexity),
                                                activation="tanh", solver="lbfgs", alpha=1e-5,
                                                max_iter=steps, random_state=seed))])
    raise KeyError(name)


def _grid_value(name: str, value: int):
    return (int(value), int(value)) if name == "Neural network" else int(value)


def fit_regression(data: RegressionData, name: str, complexity: int,
                   seed: int = 0) -> RegressionFit:
    model = make_regressor(name, complexity, seed)
    X = data.x[:, None]  # (n, 1): scikit-learn wants a column of features
    with one_thread(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lbfgs stopping at max_iter
        model.fit(X[data.train], data.y[data.train])
        x_line = np.linspace(0.0, 1.0, 400)
        y_line = model.predict(x_line[:, None])
        train_mse = mean_squared_error(data.y[data.train], model.predict(X[data.train]))
        test_mse = mean_squared_error(data.y[data.test], model.predict(X[data.test]))
    return RegressionFit(x_line, y_line, FUNCTIONS[data.function](x_line), float(train_mse),
                         float(test_mse))


def error_point(data: RegressionData, name: str, value: int, seed: int = 0) -> tuple[float, float]:
    """(train MSE, test MSE) at one complexity value, by validation_curve on the
    page's own train/test split (so it matches the fit drawn)."""
    spec = REGRESSORS[name]
    with one_thread(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lbfgs stopping at max_iter
        train, test = validation_curve(make_regressor(name, spec.default, seed), data.x[:, None],
                                       data.y, param_name=spec.grid_name,
                                       param_range=[_grid_value(name, value)],
                                       cv=[(data.train, data.test)],
                                       scoring="neg_mean_squared_error")
    return float(-train[0, 0]), float(-test[0, 0])


def error_curve_from_points(name: str, points: list[tuple[float, float]]) -> Curve:
    spec = REGRESSORS[name]
    train = np.array([p[0] for p in points])
    test = np.array([p[1] for p in points])
    zeros = np.zeros(len(points))
    return Curve(np.array(spec.values[:len(points)], dtype=float), train, zeros, test, zeros,
                 xlabel=spec.knob, ylabel="mean squared error", log_x=spec.log_x)


def error_curve(data: RegressionData, name: str, seed: int = 0,
                progress: Progress | None = None) -> Curve:
    """Train and test MSE for every complexity value of the model."""
    values = REGRESSORS[name].values
    points = []
    for i, value in enumerate(values):
        points.append(error_point(data, name, value, seed))
        if progress:
            progress(i + 1, len(values))
    return error_curve_from_points(name, points)
