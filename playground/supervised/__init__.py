"""Supervised learning: learn a mapping from features to labels from labelled
examples, and see when it generalises and when it memorises.

Read in this order:

    data.py        the data sets (toy 2-D, scikit-learn's tables, your CSV) and the split
    models.py      seven classifiers as scikit-learn pipelines, their hyperparameters
    learn.py       fit -> score -> decision boundary; validation and learning curves
    regression.py  a noisy 1-D function fitted by polynomial, tree and network
    code.py        the stand-alone script that reproduces the Classify tab
    charts.py      plotly figures
"""

from playground.supervised.data import (CSV_SET, SKLEARN_SETS, TOY_SETS, Dataset, Split,
                                        csv_dataset, dataset_from_frame, guess_target,
                                        load_dataset, read_csv_bytes, split_dataset)
from playground.supervised.learn import (ClassifyResult, Curve, Plane, classify,
                                         complexity_curve, complexity_point, curve_from_points,
                                         curve_values, training_curve, training_point)
from playground.supervised.models import MODEL_NAMES, MODELS, make_model

__all__ = [
    "CSV_SET", "SKLEARN_SETS", "TOY_SETS", "Dataset", "Split", "csv_dataset",
    "dataset_from_frame", "guess_target", "load_dataset", "read_csv_bytes", "split_dataset",
    "ClassifyResult", "Curve", "Plane", "classify", "complexity_curve", "complexity_point",
    "curve_from_points", "curve_values", "training_curve", "training_point", "MODEL_NAMES",
    "MODELS", "make_model",
]
