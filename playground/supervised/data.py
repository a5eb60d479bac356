"""Labelled data for the supervised-learning page.

Three sources, one shape: a :class:`Dataset` holds the raw feature table ``X``
(a DataFrame, one column per feature), the class index of every row ``y`` and
the names of the classes.

1. 2-D toy sets (moons, circles, blobs, XOR, spirals, linearly separable), made
   from a seed, a noise level and a number of points.
2. The small tabular sets that ship with scikit-learn (iris, wine, breast
   cancer, digits).
3. The user's own CSV: :func:`read_csv_bytes` turns the uploaded bytes into a
   DataFrame (or a :class:`UserInputError` that says what to do), and
   :func:`dataset_from_frame` picks the target column and sorts the other
   columns into numeric and categorical features.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn import datasets as skdata
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder

from playground.errors import UserInputError

# ---------------------------------------------------------------------------
# The data set every tab works on
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    """Features, labels and how they were made.

    X: (n, d) raw features; for a CSV the columns may hold text and NaN, the
       model's pipeline imputes, scales and one-hot encodes them.
    y: (n,) class index 0..k-1, ``class_names[y[i]]`` is the label of row i.
    """

    name: str
    X: pd.DataFrame
    y: np.ndarray
    class_names: tuple[str, ...]
    numeric: tuple[str, ...]  # columns imputed (median) and scaled
    categorical: tuple[str, ...]  # columns imputed (most frequent) and one-hot encoded
    notes: tuple[str, ...] = ()  # what was done to the data, shown on the page
    recipe: dict = field(default_factory=dict)  # how to make it again (for the code view)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def is_2d(self) -> bool:
        """Two complete numeric features: the boundary is drawn in the data's own plane."""
        return (len(self.numeric) == 2 and not self.categorical
                and not self.X[list(self.numeric)].isna().any().any())

    @property
    def needs_column_transformer(self) -> bool:
        """CSVs always go through ColumnTransformer (impute + scale / impute + one-hot)."""
        return self.recipe.get("kind") == "csv"


@dataclass(frozen=True)
class Split:
    """Row indices of the training and test sets (shuffled, stratified when possible)."""

    train: np.ndarray
    test: np.ndarray
    stratified: bool


# ---------------------------------------------------------------------------
# 1. Toy 2-D sets. Each generator: (n points, noise, seed) -> X (n, 2), y (n,)
# ---------------------------------------------------------------------------


def make_xor(n_samples: int, noise: float, random_state: int):
    """XOR: the class is 1 when x1 and x2 have different signs. No straight line
    separates it, two lines (or a curve) do."""
    rng = np.random.default_rng(random_state)
    X = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
    y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(int)
    X = X + noise * rng.normal(size=X.shape)  # the labels were fixed before the jitter
    return X, y


def make_spirals(n_samples: int, noise: float, random_state: int):
    """Two interleaved spirals, r = t, angle = t (+ pi for the second arm)."""
    rng = np.random.default_rng(random_state)
    n0 = n_samples // 2
    y = np.r_[np.zeros(n0, dtype=int), np.ones(n_samples - n0, dtype=int)]
    t = np.sqrt(rng.uniform(0.0, 1.0, n_samples)) * 3.0 * np.pi  # denser near the centre
    angle = t + np.pi * y
    X = np.c_[t * np.cos(angle), t * np.sin(angle)] / (3.0 * np.pi)  # radius in [0, 1]
    X = X + noise * 0.5 * rng.normal(size=X.shape)
    return X, y


def make_linear(n_samples: int, noise: float, random_state: int):
    """Two clouds on either side of the line x1 + x2 = 0, pushed 0.3 apart; with
    noise above about 0.3 some points cross the line."""
    rng = np.random.default_rng(random_state)
    X = rng.normal(size=(n_samples, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    normal = np.array([1.0, 1.0]) / np.sqrt(2.0)
    X = X + np.outer(2 * y - 1, normal) * 0.3 + noise * rng.normal(size=X.shape)
    return X, y


def make_blobs3(n_samples: int, noise: float, random_state: int):
    """Three round clouds; the noise slider widens them until they overlap."""
    centers = np.array([[-2.0, -1.5], [2.0, -1.5], [0.0, 2.0]])
    return skdata.make_blobs(n_samples=n_samples, centers=centers,
                             cluster_std=0.4 + 2.0 * noise, random_state=random_state)


TOY_SETS = ("moons", "circles", "blobs", "XOR", "spirals", "linearly separable")
SKLEARN_SETS = ("iris", "wine", "breast cancer", "digits")
CSV_SET = "your CSV"

# The code that makes each toy set, as it appears in the "show me the code" view.
TOY_CODE = {
    "moons": "make_moons(n_samples={n}, noise={noise}, random_state={seed})",
    "circles": "make_circles(n_samples={n}, noise={noise}, factor=0.5, random_state={seed})",
    "blobs": "make_blobs3(n_samples={n}, noise={noise}, random_state={seed})",
    "XOR": "make_xor(n_samples={n}, noise={noise}, random_state={seed})",
    "spirals": "make_spirals(n_samples={n}, noise={noise}, random_state={seed})",
    "linearly separable": "make_linear(n_samples={n}, noise={noise}, random_state={seed})",
}
TOY_FUNCTIONS = {"blobs": make_blobs3, "XOR": make_xor, "spirals": make_spirals,
                 "linearly separable": make_linear}


def toy_dataset(name: str, n_samples: int = 200, noise: float = 0.2, seed: int = 0) -> Dataset:
    """A 2-D toy set with two features x1, x2."""
    if name == "moons":
        X, y = skdata.make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    elif name == "circles":
        X, y = skdata.make_circles(n_samples=n_samples, noise=noise, factor=0.5,
                                   random_state=seed)
    elif name in TOY_FUNCTIONS:
        X, y = TOY_FUNCTIONS[name](n_samples=n_samples, noise=noise, random_state=seed)
    else:
        raise UserInputError(f"Unknown toy data set {name!r}; pick one of {', '.join(TOY_SETS)}.")
    k = int(y.max()) + 1
    return Dataset(
        name=name, X=pd.DataFrame(X, columns=["x1", "x2"]), y=np.asarray(y, dtype=int),
        class_names=tuple(f"class {c}" for c in range(k)), numeric=("x1", "x2"),
        categorical=(),
        recipe={"kind": "toy", "name": name, "n": n_samples, "noise": noise, "seed": seed})


# ---------------------------------------------------------------------------
# 2. scikit-learn's own small tables
# ---------------------------------------------------------------------------

_LOADERS = {"iris": "load_iris", "wine": "load_wine", "breast cancer": "load_breast_cancer",
            "digits": "load_digits"}


def sklearn_dataset(name: str) -> Dataset:
    """iris (150x4, 3 classes), wine (178x13, 3), breast cancer (569x30, 2),
    digits (1797x64, 10)."""
    if name not in _LOADERS:
        raise UserInputError(f"Unknown data set {name!r}; pick one of {', '.join(SKLEARN_SETS)}.")
    bunch = getattr(skdata, _LOADERS[name])()
    columns = [str(c) for c in bunch.feature_names]
    return Dataset(
        name=name, X=pd.DataFrame(bunch.data, columns=columns), y=np.asarray(bunch.target, int),
        class_names=tuple(str(c) for c in bunch.target_names), numeric=tuple(columns),
        categorical=(), recipe={"kind": "sklearn", "name": name, "loader": _LOADERS[name]})


# ---------------------------------------------------------------------------
# 3. The user's CSV
# ---------------------------------------------------------------------------

MIN_ROWS = 10  # fewer labelled rows leave nothing sensible to train and test on
MAX_CLASSES = 20  # more distinct labels looks like a number to predict, not a class
MAX_CATEGORIES = 50  # a text column with more values is an id or free text: left out


def _looks_binary(head: bytes) -> bool:
    """Images, zip files, spreadsheets: NUL bytes or many control characters."""
    if b"\x00" in head:
        return True
    control = sum(b < 9 or 13 < b < 32 for b in head)
    return control > 0.05 * max(len(head), 1)


def read_csv_bytes(data: bytes, max_upload_mb: float, max_rows: int) -> tuple[pd.DataFrame, dict]:
    """Uploaded bytes -> (table, {"sep", "encoding"}), or a UserInputError saying what to do.

    Checks, in order: size limit, empty file, binary file, text encoding,
    delimiter and header, at least two columns, row limit.
    """
    # 1. Size: the limit is a setting (PLAYGROUND_MAX_UPLOAD_MB).
    size_mb = len(data) / 2**20
    if size_mb > max_upload_mb:
        raise UserInputError(
            f"The file is {size_mb:.1f} MB; the limit here is {max_upload_mb:g} MB "
            "(PLAYGROUND_MAX_UPLOAD_MB). Upload a smaller sample of your rows.")
    if not data.strip():
        raise UserInputError("The file is empty. Upload a CSV with a header row and data rows.")
    # 2. Binary files (an image, an .xlsx) are not CSV text.
    if _looks_binary(data[:4096]):
        raise UserInputError(
            "This file is not a CSV: it holds binary data (an image, a spreadsheet or an "
            "archive?). Save your table as CSV (comma-separated text) and upload that.")
    # 3. Text encoding: UTF-8 (with or without BOM), else Latin-1 which never fails.
    encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        encoding = "latin-1"
        text = data.decode(encoding)
    # 4. Delimiter: comma, semicolon, tab or pipe, guessed from the first lines.
    try:
        sep = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|").delimiter
    except csv.Error:
        sep = ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise UserInputError(
            f"This file could not be read as a CSV ({exc}). Check that every row has the "
            "same number of comma-separated values and that the first row names the columns."
        ) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.shape[1] < 2:
        raise UserInputError(
            "The file has only one column. A CSV for classification needs a column to "
            "predict (the target) and at least one feature column, separated by commas.")
    if len(frame) > max_rows:
        raise UserInputError(
            f"The file has {len(frame):,} rows; the limit here is {max_rows:,} "
            "(PLAYGROUND_MAX_CSV_ROWS). Upload a sample of your rows.")
    return frame, {"sep": sep, "encoding": encoding}


def guess_target(frame: pd.DataFrame) -> str:
    """The default target: the last column with 2..MAX_CLASSES distinct values,
    else the last column."""
    for column in reversed(frame.columns):
        if 2 <= frame[column].nunique(dropna=True) <= MAX_CLASSES:
            return str(column)
    return str(frame.columns[-1])


def dataset_from_frame(frame: pd.DataFrame, target: str, name: str = CSV_SET,
                       source: dict | None = None) -> Dataset:
    """Pick the target column; the others become numeric or categorical features.

    1. Rows with no target value are dropped (they cannot teach anything).
    2. The target must have 2..MAX_CLASSES distinct values, and there must be at
       least MIN_ROWS rows.
    3. Empty columns and text columns with more than MAX_CATEGORIES values (ids,
       free text) are left out; the page says so.
    4. Numeric columns -> median imputation + scaling; the rest -> most-frequent
       imputation + one-hot (done by the model's pipeline, fitted on training rows).
    """
    if target not in frame.columns:
        raise UserInputError(f"There is no column {target!r}; pick the target from the list.")
    notes: list[str] = []
    # 1. Labelled rows only.
    labelled = frame[frame[target].notna()]
    dropped = len(frame) - len(labelled)
    if dropped:
        notes.append(f"{dropped} row(s) with no value in the target column {target!r} were "
                     "left out.")
    # 2. Enough rows, and a real choice between classes.
    if len(labelled) < MIN_ROWS:
        raise UserInputError(
            f"The data has only {len(labelled)} labelled row(s). Supervised learning needs "
            f"at least {MIN_ROWS}: some to train on and some to test on. Upload more rows.")
    n_classes = labelled[target].nunique()
    if n_classes < 2:
        value = labelled[target].iloc[0]
        raise UserInputError(
            f"The target column {target!r} has a single class ({value!r}) in every row. "
            "A classifier needs at least two classes to tell apart: pick another target "
            "column or add rows of another class.")
    if n_classes > MAX_CLASSES:
        raise UserInputError(
            f"The target column {target!r} has {n_classes} different values; this page "
            f"classifies into at most {MAX_CLASSES} classes. Pick a column of categories "
            "(the Regression tab shows how to predict a number).")
    # Infinite numbers (inf, -inf, or 1e309, too large for a float) cannot be scaled or
    # averaged: they count as missing, like an empty cell.
    infinite = {column: int(np.isinf(labelled[column]).sum()) for column in labelled.columns
                if column != target and pd.api.types.is_float_dtype(labelled[column])}
    infinite = {column: n for column, n in infinite.items() if n}
    if infinite:
        labelled = labelled.copy()
        for column in infinite:
            labelled[column] = labelled[column].replace([np.inf, -np.inf], np.nan)
        notes.append("Infinite values count as missing: "
                     + ", ".join(f"{c!r} ({n})" for c, n in infinite.items()) + ".")
    # 3. Sort the feature columns.
    numeric, categorical, skipped = [], [], []
    for column in labelled.columns:
        if column == target:
            continue
        values = labelled[column]
        if values.isna().all():
            skipped.append(f"{column!r} (empty)")
        elif pd.api.types.is_bool_dtype(values):
            categorical.append(column)
        elif pd.api.types.is_numeric_dtype(values):
            numeric.append(column)
        elif values.nunique() > MAX_CATEGORIES:
            skipped.append(f"{column!r} ({values.nunique()} different text values, like an id "
                           "or free text)")
        else:
            categorical.append(column)
    if skipped:
        notes.append("Left out: " + ", ".join(skipped) + ".")
    if not numeric and not categorical:
        raise UserInputError("No feature column is left besides the target. Upload a CSV "
                             "with at least one column of numbers or categories.")
    if categorical:
        notes.append(f"Text columns one-hot encoded (one 0/1 column per value): "
                     f"{', '.join(map(repr, categorical))}.")
    # 4. Missing values are filled in by the pipeline; say where.
    X = labelled[numeric + categorical].reset_index(drop=True)
    missing = X.isna().sum()
    missing = missing[missing > 0]
    if len(missing):
        where = ", ".join(f"{c!r} ({n})" for c, n in missing.items())
        notes.append(f"Missing values filled in (median for numbers, most frequent value for "
                     f"text, learnt from the training rows): {where}.")
    encoder = LabelEncoder()
    y = encoder.fit_transform(labelled[target].to_numpy())
    recipe = {"kind": "csv", "target": target, "numeric": list(numeric),
              "categorical": list(categorical)}
    recipe.update(source or {})
    return Dataset(name=name, X=X, y=np.asarray(y, dtype=int),
                   class_names=tuple(str(c) for c in encoder.classes_), numeric=tuple(numeric),
                   categorical=tuple(categorical), notes=tuple(notes), recipe=recipe)


def csv_dataset(data: bytes, target: str | None, max_upload_mb: float, max_rows: int) -> Dataset:
    """Bytes of an uploaded CSV -> Dataset (target None: guessed)."""
    frame, source = read_csv_bytes(data, max_upload_mb, max_rows)
    target = target if target is not None else guess_target(frame)
    return dataset_from_frame(frame, target, source=source)


def load_dataset(name: str, n_samples: int = 200, noise: float = 0.2, seed: int = 0) -> Dataset:
    """A toy or scikit-learn set by name (the CSV comes through :func:`csv_dataset`)."""
    if name in TOY_SETS:
        return toy_dataset(name, n_samples, noise, seed)
    return sklearn_dataset(name)


# ---------------------------------------------------------------------------
# Train / test split
# ---------------------------------------------------------------------------


def split_dataset(dataset: Dataset, test_size: float = 0.2, seed: int = 0) -> Split:
    """Shuffle and hold out ``test_size`` of the rows for testing.

    Stratified (every class in the same proportion in both parts) when each class
    has at least two rows and both parts can hold one row of every class."""
    n, k = len(dataset.y), dataset.n_classes
    n_test = int(np.ceil(test_size * n))
    counts = np.bincount(dataset.y, minlength=k)
    stratify = counts.min() >= 2 and n_test >= k and n - n_test >= k
    if n_test < 1 or n - n_test < 2:
        raise UserInputError(f"With {n} rows a {test_size:.0%} test split leaves no rows for "
                             "training or testing; move the split slider.")
    train, test = train_test_split(np.arange(n), test_size=test_size, random_state=seed,
                                   stratify=dataset.y if stratify else None)
    if len(np.unique(dataset.y[train])) < 2:
        raise UserInputError("The training rows hold a single class; move the split slider "
                             "or the seed so that both parts see several classes.")
    return Split(train=train, test=test, stratified=bool(stratify))
