""""Show me the code": a stand-alone scikit-learn script that reproduces what the
Classify tab shows, written from the page's current settings.

The script makes (or loads) the same data, splits it with the same seed, builds
the same pipeline, prints the same test accuracy and computes the same boundary
grid ``Z``. tests/test_supervised.py runs it and compares.
"""

from __future__ import annotations

import inspect

from playground.supervised.data import TOY_CODE, TOY_FUNCTIONS, Dataset, Split
from playground.supervised.learn import GRID_RES, fit_subsample
from playground.supervised.models import MODELS, estimator_kwargs

_CLASS_IMPORTS = {
    "Logistic regression": ("sklearn.linear_model", "LogisticRegression"),
    "k-nearest neighbours": ("sklearn.neighbors", "KNeighborsClassifier"),
    "Decision tree": ("sklearn.tree", "DecisionTreeClassifier"),
    "Random forest": ("sklearn.ensemble", "RandomForestClassifier"),
    "SVM": ("sklearn.svm", "SVC"),
    "Gradient boosting": ("sklearn.ensemble", "HistGradientBoostingClassifier"),
    "Neural network": ("sklearn.neural_network", "MLPClassifier"),
}


def _call(name: str, kwargs: dict) -> str:
    return f"{name}(" + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) + ")"


def _data_code(dataset: Dataset, csv_path: str) -> tuple[list[str], list[str]]:
    """(imports, lines) that leave X (DataFrame) and y (class indices)."""
    recipe = dataset.recipe
    kind = recipe.get("kind")
    if kind == "toy":
        name = recipe["name"]
        call = TOY_CODE[name].format(n=recipe["n"], noise=recipe["noise"], seed=recipe["seed"])
        if name in TOY_FUNCTIONS:
            imports = ["from sklearn import datasets as skdata"] if name == "blobs" else []
            source = inspect.getsource(TOY_FUNCTIONS[name]).rstrip()
            lines = [source, "", "", f"X, y = {call}"]
        else:
            imports = [f"from sklearn.datasets import {call.split('(')[0]}"]
            lines = [f"X, y = {call}"]
        lines.append('X = pd.DataFrame(X, columns=["x1", "x2"])')
        return imports, lines
    if kind == "sklearn":
        loader = recipe["loader"]
        return [f"from sklearn.datasets import {loader}"], [
            f"data = {loader}()",
            "X = pd.DataFrame(data.data, columns=[str(c) for c in data.feature_names])",
            "y = data.target",
        ]
    if kind == "csv":
        target = recipe["target"]
        return ["from sklearn.preprocessing import LabelEncoder"], [
            f"df = pd.read_csv({csv_path!r}, sep={recipe.get('sep', ',')!r}, "
            f"encoding={recipe.get('encoding', 'utf-8-sig')!r})",
            "df.columns = [str(c).strip() for c in df.columns]",
            f"df = df[df[{target!r}].notna()]  # rows with no label cannot teach anything",
            f"numeric = {list(dataset.numeric)!r}",
            f"categorical = {list(dataset.categorical)!r}",
            "df[numeric] = df[numeric].replace([np.inf, -np.inf], np.nan)  # inf counts as missing",
            "X = df[numeric + categorical].reset_index(drop=True)",
            f"y = LabelEncoder().fit_transform(df[{target!r}].to_numpy())  # classes sorted",
        ]
    raise ValueError(f"no code for data of kind {kind!r}")


def _prep_code(dataset: Dataset) -> tuple[list[str], list[str]]:
    if not dataset.needs_column_transformer:
        return ["from sklearn.preprocessing import StandardScaler"], ["prep = StandardScaler()"]
    return [
        "from sklearn.compose import ColumnTransformer",
        "from sklearn.impute import SimpleImputer",
        "from sklearn.preprocessing import OneHotEncoder, StandardScaler",
    ], [
        "numbers = Pipeline([(\"impute\", SimpleImputer(strategy=\"median\")), "
        "(\"scale\", StandardScaler())])",
        "text = Pipeline([(\"impute\", SimpleImputer(strategy=\"most_frequent\")),",
        "                 (\"onehot\", OneHotEncoder(handle_unknown=\"ignore\"))])",
        "prep = ColumnTransformer([(\"num\", numbers, numeric), (\"cat\", text, categorical)],",
        "                         sparse_threshold=0.0)",
    ]


def _model_steps(model: str, params: dict, seed: int, prep: str) -> tuple[list[str], str]:
    """(imports, "Pipeline([...])" source) for the model on top of ``prep``."""
    module, cls = _CLASS_IMPORTS[model]
    imports = [f"from {module} import {cls}"]
    steps = [f"(\"prep\", {prep})"]
    if model == "Logistic regression":
        degree = {**MODELS[model].defaults(), **params}["degree"]
        imports.append("from sklearn.preprocessing import PolynomialFeatures, StandardScaler")
        steps += [f"(\"poly\", PolynomialFeatures(degree={degree}, include_bias=False))",
                  "(\"scale\", StandardScaler())"]
    steps.append(f"(\"clf\", {_call(cls, estimator_kwargs(model, params, seed))})")
    body = ",\n    ".join(steps)
    return imports, f"Pipeline([\n    {body},\n])"


def _subsample_lines(dataset: Dataset, split: Split, model: str, seed: int) -> list[str]:
    """The lines that cut the training rows to the model's FIT_ROW_LIMITS, as the page does."""
    y_train = dataset.y[split.train]
    keep, stratified = fit_subsample(y_train, model, seed)
    if len(keep) == len(y_train):
        return []
    return [f"# 2b. A {model}'s training time grows with the square of the rows: fit it on "
            f"{len(keep):,} of the {len(y_train):,}",
            "#     training rows, picked at random with the seed (as the page does)",
            "X_fit, _, y_fit, _ = train_test_split(",
            f"    X_train, y_train, train_size={len(keep)}, random_state={seed}, "
            f"stratify={'y_train' if stratified else 'None'})", ""]


def classification_code(dataset: Dataset, split: Split, model: str, params: dict, seed: int,
                        test_size: float, csv_path: str = "your_data.csv",
                        grid_res: int = GRID_RES) -> str:
    """The script. Variables it leaves: model, accuracy, xs, ys, Z (and, with more
    than two features, projector and boundary_model)."""
    data_imports, data_lines = _data_code(dataset, csv_path)
    prep_imports, prep_lines = _prep_code(dataset)
    model_imports, pipeline = _model_steps(model, params, seed, "prep")
    projected = not dataset.is_2d
    imports = ["import numpy as np", "import pandas as pd",
               "from sklearn.metrics import accuracy_score",
               "from sklearn.model_selection import train_test_split",
               "from sklearn.pipeline import Pipeline"]
    if projected:
        imports += ["from sklearn.base import clone", "from sklearn.decomposition import PCA",
                    "from sklearn.preprocessing import StandardScaler"]
    imports = sorted(set(imports + data_imports + prep_imports + model_imports),
                     key=lambda s: (not s.startswith("import"), s))
    stratify = "y" if split.stratified else "None"
    subsampled = bool(_subsample_lines(dataset, split, model, seed))
    fit_x, fit_y = ("X_fit", "y_fit") if subsampled else ("X_train", "y_train")
    out = [f'"""{model} on {dataset.name}: the Supervised learning page, as a script."""',
           *imports, "", "# 1. The data: X is a table of features, y the class of each row",
           *data_lines, "",
           f"# 2. Hold out {test_size:.0%} of the rows for testing (same seed as the page)",
           "X_train, X_test, y_train, y_test = train_test_split(",
           f"    X, y, test_size={test_size!r}, random_state={seed}, stratify={stratify})", "",
           *_subsample_lines(dataset, split, model, seed),
           "# 3. The model: preprocessing, then the classifier, in one pipeline",
           *prep_lines,
           f"model = {pipeline}",
           f"model.fit({fit_x}, {fit_y})", "",
           "# 4. Score it on rows it has never seen",
           "accuracy = accuracy_score(y_test, model.predict(X_test))",
           "print(f\"train accuracy: {accuracy_score(y_train, model.predict(X_train)):.3f}\")",
           "print(f\"test accuracy:  {accuracy:.3f}\")", ""]
    if projected:
        _, boundary = _model_steps(model, params, seed, "StandardScaler()")
        out += [
            "# 5. The picture: more than two features, so project every row onto the first",
            "#    two principal components (fitted on the training rows) and refit the same",
            "#    model there. Its boundary is the one drawn; its accuracy differs.",
            "projector = Pipeline([(\"prep\", clone(prep)), "
            f"(\"pca\", PCA(n_components=2, random_state={seed}))]).fit(X_train)",
            "points = pd.DataFrame(projector.transform(X), columns=[\"PC1\", \"PC2\"])",
            "P_train = pd.DataFrame(projector.transform(X_train), columns=[\"PC1\", \"PC2\"])",
            "P_test = pd.DataFrame(projector.transform(X_test), columns=[\"PC1\", \"PC2\"])",
            *(["P_fit = pd.DataFrame(projector.transform(X_fit), columns=[\"PC1\", \"PC2\"])"]
              if subsampled else []),
            f"boundary_model = {boundary}",
            f"boundary_model.fit({'P_fit' if subsampled else 'P_train'}, {fit_y})",
            "projected_accuracy = accuracy_score(y_test, boundary_model.predict(P_test))",
            "print(f\"test accuracy on the 2-D projection: {projected_accuracy:.3f}\")", ""]
        columns, plane_model = '["PC1", "PC2"]', "boundary_model"
        step = 6
    else:
        columns, plane_model = '["x1", "x2"]' if list(dataset.numeric) == ["x1", "x2"] else \
            repr(list(dataset.numeric)), "model"
        step = 5
    out += [
        f"# {step}. The boundary: predict the class at every point of a {grid_res} x {grid_res} "
        "grid",
        *([] if projected else ["points = X  # the data's own two features"]),
        "def axis(v):",
        "    pad = max(0.08 * (v.max() - v.min()), 0.25)",
        f"    return np.linspace(v.min() - pad, v.max() + pad, {grid_res})",
        "",
        "xs, ys = axis(points.iloc[:, 0].to_numpy()), axis(points.iloc[:, 1].to_numpy())",
        "xx, yy = np.meshgrid(xs, ys)",
        f"grid = pd.DataFrame({{c: v.ravel() for c, v in zip({columns}, (xx, yy))}})",
        f"Z = {plane_model}.predict(grid).reshape(xx.shape)  # Z[i, j]: class at (xs[j], ys[i])",
        "# to draw it: plotly.express.imshow(Z, x=xs, y=ys, origin=\"lower\")",
    ]
    return "\n".join(out) + "\n"
