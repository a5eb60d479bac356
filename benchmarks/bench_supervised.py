"""Supervised-learning page: server time of one slider change on a toy set.

For every model (default hyperparameters, moons, 200 points, 20% test) it
times what a slider change recomputes:

    make the data -> split -> fit -> scores (+ ROC) -> 100 x 100 boundary grid
    -> boundary, confusion and ROC figures -> their JSON (what Streamlit sends)

beside a baseline measured in the same run: the bare scikit-learn classifier's
``fit`` + ``predict`` on the same rows (no scaling, no grid, no figures). Each
figure is the median of several runs, each run with a new noise value so no
cache can help. The budget is 300 ms. Wall time and CPU time are both printed:
on a shared machine wall time includes waiting for a free core.

Then a full AppTest rerun of the page after a noise-slider change (cache miss),
beside an AppTest rerun with nothing changed.

    .venv/bin/python benchmarks/bench_supervised.py
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playground.supervised import MODEL_NAMES, classify, load_dataset, split_dataset  # noqa: E402
from playground.supervised import charts  # noqa: E402
from playground.supervised.models import make_model  # noqa: E402
from playground.threads import one_thread  # noqa: E402

BUDGET_MS = 300
RUNS = 7


def slider_change(model: str, noise: float) -> None:
    """Everything the Classify tab recomputes when a toy-set slider moves."""
    data = load_dataset("moons", 200, noise, 0)
    split = split_dataset(data, 0.2, 0)
    result = classify(data, split, model, {}, 0)
    figures = [charts.boundary_figure(result, data, split),
               charts.confusion_figure(result.metrics.confusion, data.class_names)]
    if result.metrics.roc is not None:
        figures.append(charts.roc_figure(*result.metrics.roc))
    for fig in figures:
        fig.to_json()


def bare_fit_predict(model: str, noise: float) -> None:
    """Baseline: the classifier alone, fit on the training rows, predict the test rows."""
    data = load_dataset("moons", 200, noise, 0)
    split = split_dataset(data, 0.2, 0)
    clf = make_model(model, {}, 0).named_steps["clf"]
    X = data.X.to_numpy()
    with one_thread():
        clf.fit(X[split.train], data.y[split.train])
        clf.predict(X[split.test])


def median_ms(fn, model: str) -> tuple[float, float]:
    """(median wall ms, median CPU ms). The machine is shared: wall time includes
    waiting for a core, CPU time (this process, all threads) does not."""
    wall, cpu = [], []
    for i in range(RUNS):
        noise = 0.1 + 0.05 * i  # a new data set every run
        start, start_cpu = time.perf_counter(), time.process_time()
        fn(model, noise)
        wall.append(1000 * (time.perf_counter() - start))
        cpu.append(1000 * (time.process_time() - start_cpu))
    return statistics.median(wall), statistics.median(cpu)


def apptest_rerun(runs: int = 5) -> dict[str, float]:
    """Median wall and CPU ms of a page rerun after a noise change (cache miss)
    and of a rerun with nothing changed (everything cached)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "supervised.py"), default_timeout=120).run()
    assert not at.exception
    times: dict[str, list[float]] = {k: [] for k in ("changed", "changed_cpu", "same",
                                                     "same_cpu")}
    for i in range(runs):
        for label in ("changed", "same"):
            if label == "changed":
                at.slider(key="sup_noise").set_value(round(0.25 + 0.05 * i, 2))
            start, start_cpu = time.perf_counter(), time.process_time()
            at.run()
            times[label].append(1000 * (time.perf_counter() - start))
            times[label + "_cpu"].append(1000 * (time.process_time() - start_cpu))
            assert not at.exception
    return {k: statistics.median(v) for k, v in times.items()}


def upload_table(rows: int):
    """A table like an uploaded CSV: 10 numeric columns, one text column, 3 classes."""
    import numpy as np
    import pandas as pd

    from playground.supervised.data import dataset_from_frame

    rng = np.random.default_rng(rows)
    X = rng.standard_normal((rows, 10))
    y = (X[:, 0] + X[:, 1] ** 2 + rng.standard_normal(rows) > 1).astype(int) + (X[:, 2] > 1)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(10)])
    frame["colour"] = rng.choice(["red", "green", "blue"], rows)
    frame["label"] = [f"class {v}" for v in y]
    return dataset_from_frame(frame, "label")


def upload_sizes() -> None:
    """Time of one Classify run (fit, scores, PCA plane, boundary grid) against the rows of
    an uploaded table, up to the largest file each profile accepts, beside the bare
    classifier's fit + predict on the same rows."""
    from playground.config import PROFILES, Settings

    sizes = sorted({1000, PROFILES["class"]["max_csv_rows"], Settings().max_csv_rows})
    print(f"\nUpload size: one Classify run on a table of 11 columns and 3 classes; "
          f"{PROFILES['class']['max_csv_rows']:,} rows = the class profile's limit, "
          f"{Settings().max_csv_rows:,} = the laptop's")
    print(f"{'model':<22}" + "".join(f"{n:>10,} rows" for n in sizes) + "   bare fit+predict at the largest")
    tables = {n: upload_table(n) for n in sizes}
    splits = {n: split_dataset(t, 0.2, 0) for n, t in tables.items()}
    for model in MODEL_NAMES:
        cells = []
        for n in sizes:
            start = time.perf_counter()
            classify(tables[n], splits[n], model, {}, 0)
            cells.append(time.perf_counter() - start)
        data, split = tables[sizes[-1]], splits[sizes[-1]]
        pipe = make_model(model, {}, 0, data.numeric, data.categorical, data.needs_column_transformer)
        start = time.perf_counter()
        with one_thread():
            pipe.fit(data.X.iloc[split.train], data.y[split.train])
            pipe.predict(data.X.iloc[split.test])
        bare = time.perf_counter() - start
        print(f"{model:<22}" + "".join(f"{c:>13.2f} s" for c in cells) + f"   {bare:10.2f} s")


def main() -> None:
    warnings.simplefilter("ignore")  # the network stops at 200 epochs, as on the page
    for model in MODEL_NAMES:  # warm up imports and code paths
        slider_change(model, 0.05)
    print(f"Slider change on moons (200 points), median of {RUNS} runs, budget {BUDGET_MS} ms "
          "server time")
    print(f"{'model':<22}{'page pipeline':>22}{'bare fit+predict':>22}{'ratio':>8}  budget")
    print(f"{'':<22}{'wall / CPU ms':>22}{'wall / CPU ms':>22}{'(CPU)':>8}")
    for model in MODEL_NAMES:
        page, page_cpu = median_ms(slider_change, model)
        bare, bare_cpu = median_ms(bare_fit_predict, model)
        verdict = "ok" if page < BUDGET_MS else ("ok on CPU" if page_cpu < BUDGET_MS else "OVER")
        print(f"{model:<22}{page:>12.0f} / {page_cpu:>5.0f}{bare:>14.0f} / {bare_cpu:>5.0f}"
              f"{page_cpu / bare_cpu:>7.1f}x  {verdict}")
    t = apptest_rerun()
    print(f"\nAppTest full page rerun after a noise-slider change (decision tree): "
          f"{t['changed']:.0f} ms wall / {t['changed_cpu']:.0f} ms CPU; rerun with nothing "
          f"changed: {t['same']:.0f} / {t['same_cpu']:.0f} ms "
          f"(ratio {t['changed_cpu'] / t['same_cpu']:.1f}x on CPU)")
    upload_sizes()


if __name__ == "__main__":
    main()
