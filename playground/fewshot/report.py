"""Tables for the page: data in, pandas DataFrame out (the page only places them).

User text (messages, labels from a CSV) goes into DataFrames, which Streamlit shows as
text, never as HTML.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from playground.fewshot.data import Task
from playground.fewshot.facts import ASK_LABELS, ASKS, FactsResult
from playground.fewshot.methods import METHODS, MethodResult, confusion


def fmt_params(n: int) -> str:
    if n <= 0:
        return "0"
    if n >= 1e6:
        return f"{n / 1e6:,.1f}M"
    if n >= 1e4:
        return f"{n / 1e3:,.0f}k"
    return f"{n:,}"


def cost_table(results: Mapping[str, MethodResult | None], sources: Mapping[str, str]) -> pd.DataFrame:
    """One row per method: accuracy (and its spread), what it cost on this machine, and
    where the numbers come from (live, precomputed, not run)."""
    rows = []
    for key, info in METHODS.items():
        r = results.get(key)
        if r is None:
            rows.append({"method": info.label, "accuracy": None, "spread": "", "training (s)": None,
                         "inference (ms)": None, "trainable parameters": "", "peak memory (MB)": None,
                         "result": sources.get(key, "not run yet")})
            continue
        low, high = r.spread
        spread = f"{low:.0%}–{high:.0%} ({len(r.runs)} orders)" if len(r.runs) > 1 else ""
        rows.append({
            "method": info.label, "accuracy": round(r.accuracy, 2), "spread": spread,
            "training (s)": round(r.train_s, 1), "inference (ms)": round(1000 * r.infer_s, 1),
            "trainable parameters": fmt_params(r.trainable), "peak memory (MB)": round(r.peak_mb),
            "result": sources.get(key, ""),
        })
    return pd.DataFrame(rows)


def confusions(task: Task, results: Mapping[str, MethodResult]) -> dict[str, np.ndarray]:
    y = task.y(task.indices("test"))
    return {key: confusion(y, r.predictions, task.n_labels) for key, r in results.items()}


def wrong_examples(task: Task, results: Mapping[str, MethodResult], only: str | None = None) -> pd.DataFrame:
    """Test messages that at least one method (or ``only`` that one) gets wrong, with every
    method's answer; a check mark where it is right."""
    test = task.indices("test")
    y = task.y(test)
    rows = []
    for j, i in enumerate(test):
        answers = {key: int(r.predictions[j]) for key, r in results.items()}
        wrong = [k for k, a in answers.items() if a != y[j]]
        if (only and only not in wrong) or (not only and not wrong):
            continue
        row = {"message": task.texts[i], "true label": task.label_names[y[j]], "methods wrong": len(wrong)}
        for key, a in answers.items():
            row[METHODS[key].label] = "✓" if a == y[j] else task.label_names[a]
        rows.append(row)
    frame = pd.DataFrame(rows)
    if len(frame):
        frame = frame.sort_values("methods wrong", ascending=False, kind="stable").reset_index(drop=True)
    return frame


def facts_table(result: FactsResult) -> pd.DataFrame:
    """Right answers out of six: rows = how the question was asked, columns = where the
    facts were."""
    columns = {"base": "the model as it is", "prompt": "facts in the prompt", "tuned": "fine-tuned on the facts"}
    rows = []
    for ask in ASKS:
        row = {"asked": ASK_LABELS[ask]}
        for source, name in columns.items():
            n = result.count(ask, source)
            row[name] = "—" if n < 0 else f"{n} / 6"
        rows.append(row)
    return pd.DataFrame(rows)


def facts_answers(result: FactsResult, ask: str) -> pd.DataFrame:
    from playground.fewshot.facts import FACTS, prompts_for

    rows = []
    questions = prompts_for(ask, "base")
    answers = {source: result.answers(ask, source) for source in result.scores[ask]}
    for i, fact in enumerate(FACTS):
        row = {"question": questions[i][0].split("Question: ")[-1].removesuffix("\nAnswer:"),
               "fact's answer": result.truth(ask, i)}
        for source, name in (("base", "as it is"), ("prompt", "facts in prompt"), ("tuned", "fine-tuned")):
            if source in answers:
                row[name] = answers[source][i]
        rows.append(row)
    return pd.DataFrame(rows)
