"""Sampling lab: what a slider move costs, beside one model forward pass.

A slider move re-runs the sampling pipeline on the prompt's cached logits
(transformers' processors one by one), rolls the dice, and rebuilds the figures
and the formula; the model is not called. The baseline is the one forward pass
the page runs per prompt (what a slider move would cost if nothing were cached).

    .venv/bin/python benchmarks/bench_sampling.py

Prints medians of several runs and their ratio. Budget: a slider move < 100 ms.
"""

from __future__ import annotations

import itertools
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("PLAYGROUND_CACHE_DIR", str(ROOT / ".cache" / "models"))

import torch  # noqa: E402

from playground.models.llm import GenerationSettings, load_llm  # noqa: E402
from playground.sampling import charts  # noqa: E402
from playground.sampling import lab as smp  # noqa: E402
from playground.threads import one_thread  # noqa: E402

RUNS = 15


def timed_ms(fn, runs: int = RUNS) -> tuple[float, float]:
    """(median, fastest) of several runs, in ms. On a shared machine the fastest run
    shows the cost without waiting for a busy core; the median what a user gets."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, min(times) * 1000


def slider_settings():
    """A stream of slider positions, each different from the last (as when a user drags)."""
    grid = itertools.product((0.0, 0.3, 0.7, 1.0, 1.5, 2.0), (0, 50), (0.9, 1.0), (0.0, 0.05), (1.0, 1.3))
    for t, k, p, m, r in itertools.cycle(grid):
        yield GenerationSettings(temperature=t, top_k=k, top_p=p, min_p=m, repetition_penalty=r, seed=0)


def main() -> None:
    lm = load_llm("")
    example = smp.EXAMPLES[0]
    ids = lm.encode(example.text, example.mode)
    strings = lm.token_strings(list(range(lm.vocab_size)))
    print(f"model: {lm.info.name} on {lm.info.device}; prompt {example.text!r} ({len(ids)} tokens); "
          f"torch threads: {torch.get_num_threads()}; {RUNS} runs each (9 for the forward pass)")

    # Baseline: one uncached forward pass for the same prompt (what the page runs once per prompt).
    x = torch.tensor([ids], device=lm.model.device)

    def forward():
        with torch.inference_mode():
            lm.model(input_ids=x).logits[0, -1].float().cpu()

    forward()  # warm-up
    base, base_best = timed_ms(forward, runs=9)
    logits = lm.next_token_logits(ids)
    calls = lm.model_calls

    settings = slider_settings()

    def compute():
        with one_thread():
            return smp.analyse(logits, ids, next(settings), 1000)

    def compute_inline():
        return smp.analyse(logits, ids, next(settings), 1000)

    def slider_move():
        """Everything the page recomputes for a slider move, figures serialised as Streamlit does."""
        a = compute()
        figures = [charts.waterfall_figure(a.waterfall, strings), charts.distribution_figure(a.raw_probs, strings),
                   charts.funnel_figure(a.waterfall), charts.dice_figure(a.dice, strings, 1000)]
        if a.numbers is not None:
            smp.softmax_latex(a.numbers, strings)
        for fig in figures:
            fig.to_json()

    for fn in (compute, compute_inline, slider_move):
        fn()  # warm-up
    rows = [
        ("pipeline + dice + formula numbers (one worker thread)", *timed_ms(compute)),
        ("same, on the calling thread (torch's own threads)", *timed_ms(compute_inline)),
        ("slider move: pipeline + 4 figures + formula + JSON", *timed_ms(slider_move)),
    ]
    assert lm.model_calls == calls, "a slider move called the model"
    print(f"\n{'what':<56} {'median ms':>9} {'÷ forward':>9} {'fastest ms':>10} {'÷ forward':>9}")
    print(f"{'baseline: one model forward pass (same prompt, uncached)':<56} {base:>9.1f} {1:>9.3f} "
          f"{base_best:>10.1f} {1:>9.3f}")
    for name, med, best in rows:
        print(f"{name:<56} {med:>9.1f} {med / base:>9.3f} {best:>10.1f} {best / base_best:>9.3f}")
    slider = rows[-1][1]
    print(f"\nslider move (median) = {slider:.1f} ms = {slider / base:.3f} × one forward pass "
          f"(budget 100 ms: {'met' if slider < 100 else 'NOT met'}); model calls during slider moves: "
          f"{lm.model_calls - calls}")

if __name__ == "__main__":
    main()
