"""Streamlit helpers of the supervised-learning page: widgets that keep their
value while their tab is hidden, and the page-edge caches.

Every cached function takes a hashable ``data_key`` that identifies the data
(name, size, noise, seed, or the CSV's SHA-1 and target) and the data itself as
an unhashed ``_dataset`` argument, so a 10 MB upload is hashed once per run,
not once per cached call.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from playground.supervised import learn, regression
from playground.ui.common import forget, kept  # noqa: F401 - used as ui.kept / ui.forget by the page
from playground.supervised.data import Dataset, Split, csv_dataset, load_dataset, read_csv_bytes


def digest(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


@st.cache_data(max_entries=8, show_spinner=False)
def csv_columns(sha1: str, _data: bytes, max_upload_mb: float, max_rows: int) -> list[str]:
    frame, _ = read_csv_bytes(_data, max_upload_mb, max_rows)
    return [str(c) for c in frame.columns]


@st.cache_data(max_entries=8, show_spinner=False)
def csv_target_guess(sha1: str, _data: bytes, max_upload_mb: float, max_rows: int) -> str:
    from playground.supervised.data import guess_target

    frame, _ = read_csv_bytes(_data, max_upload_mb, max_rows)
    return guess_target(frame)


@st.cache_data(max_entries=16, show_spinner=False)
def dataset(data_key: tuple, _csv: bytes | None = None, max_upload_mb: float = 10,
            max_rows: int = 20000) -> Dataset:
    """data_key: ("toy"/"sklearn", name, n, noise, seed) or ("csv", sha1, target)."""
    if data_key[0] == "csv":
        return csv_dataset(_csv, data_key[2], max_upload_mb, max_rows)
    _, name, n, noise, seed = data_key
    return load_dataset(name, n, noise, seed)


@st.cache_data(max_entries=64, show_spinner="Training the model…")
def classification(data_key: tuple, _dataset: Dataset, _split: Split, test_size: float,
                   seed: int, model: str, params: tuple) -> learn.ClassifyResult:
    return learn.classify(_dataset, _split, model, dict(params), seed)


@st.cache_data(max_entries=512, show_spinner=False)
def complexity_point(data_key: tuple, _dataset: Dataset, _split: Split, test_size: float,
                     seed: int, model: str, value, n_splits: int):
    return learn.complexity_point(_dataset, _split, model, value, {}, seed, n_splits, test_size)


@st.cache_data(max_entries=512, show_spinner=False)
def training_point(data_key: tuple, _dataset: Dataset, _split: Split, test_size: float,
                   seed: int, model: str, params: tuple, fraction: float, n_splits: int):
    return learn.training_point(_dataset, _split, model, fraction, dict(params), seed, n_splits,
                                test_size)


@st.cache_data(max_entries=32, show_spinner=False)
def regression_data(function: str, n: int, noise: float, seed: int) -> regression.RegressionData:
    return regression.make_data(function, n, noise, 0.3, seed)


@st.cache_data(max_entries=64, show_spinner=False)
def regression_fit(key: tuple, _data: regression.RegressionData, model: str, value: int,
                   seed: int) -> regression.RegressionFit:
    return regression.fit_regression(_data, model, value, seed)


@st.cache_data(max_entries=512, show_spinner=False)
def regression_point(key: tuple, _data: regression.RegressionData, model: str, value: int,
                     seed: int) -> tuple[float, float]:
    return regression.error_point(_data, model, value, seed)
