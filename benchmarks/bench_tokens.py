"""Tokens, embeddings & attention page: a new sentence to its attention overview, and a
slider move between layers and heads, beside a plain transformers forward pass.

* ours, new text: the engine's trace (eager twin, one thread per session) into read-only
  arrays, the per-head measure for the overview and the figures the Attention tab draws
  first (the chosen head, the layer x head overview), serialised as Streamlit sends them.
* ours, slider move: another layer and head from the cached arrays (no model call).
* baseline: plain ``transformers`` on an eager-attention fp32 copy of the same model,
  ``output_attentions=True`` (what a page without the engine would run per text), with
  torch's default threads and, for reference, on one thread too.

    .venv/bin/python benchmarks/bench_tokens.py

Budgets: a new 30-token sentence to its attention overview < 1 s; a slider move < 100 ms
and no model call.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("PLAYGROUND_CACHE_DIR", str(ROOT / ".cache" / "models"))

import torch  # noqa: E402

from benchmarks._util import header, paired_medians, row  # noqa: E402
from playground.models.llm import converted_dir, load_llm  # noqa: E402
from playground.models.llm.tracing import TracingMixin  # noqa: E402
from playground.threads import one_thread  # noqa: E402
from playground.tokens import attention as att  # noqa: E402
from playground.tokens import charts  # noqa: E402

SENTENCES = [  # about 30 tokens each, all different: every run is a new text
    "Alice went to the market early on a sunny Sunday morning to buy apples, bread and cheese for the picnic she "
    "had planned with her two best friends.",
    "The old lighthouse keeper climbed the long spiral stairs every single evening to light the lamp, even on "
    "nights when no ship at all was expected in the harbour.",
    "After the storm had finally passed, the children ran down to the beach to collect all the shells and "
    "pieces of wood the waves had left behind.",
    "Our small team spent three long weeks testing the new bridge design in the wind tunnel before the "
    "engineers finally agreed that the design was safe.",
]


def overview(lm, ids: list[int]) -> None:
    """What the Attention tab computes for a new text before the first figures go out."""
    view = att.trace_view(lm, ids)
    it = view.length - 1
    scores = att.head_scores(view, "pair", it, 0)
    charts.overview_figure(scores, "pair", (13, 8), att.kv_groups(view.heads, 3), zmax=1.0).to_json()
    charts.attention_figure(att.head_map(view, 13, 8), view.tokens, it, "layer 13, head 8").to_json()


def main() -> None:
    from transformers import AutoConfig, AutoModelForCausalLM

    lm = load_llm("")
    ids_list = [lm.encode(s, mode="raw") for s in SENTENCES]
    lengths = sorted({len(i) for i in ids_list})
    config = AutoConfig.from_pretrained(str(converted_dir()))
    if isinstance(getattr(config, "quantization_config", None), dict):
        del config.quantization_config
    eager = AutoModelForCausalLM.from_pretrained(str(converted_dir()), config=config, dtype=torch.float32,
                                                 attn_implementation="eager").eval()
    print(f"model: {lm.info.name} ({lm.precision}) on {lm.info.device}; sentences of {lengths} tokens; "
          f"torch threads: {torch.get_num_threads()}")

    turn = {"i": 0}

    def next_ids() -> list[int]:
        turn["i"] += 1
        return ids_list[turn["i"] % len(ids_list)]

    def ours() -> None:
        overview(lm, next_ids())

    def baseline() -> None:
        with torch.inference_mode():
            out = eager(input_ids=torch.tensor([next_ids()]), output_attentions=True)
            torch.stack([a[0] for a in out.attentions])

    def baseline_one_thread() -> None:
        with one_thread():
            baseline()

    header("a new ~30-token sentence to its attention overview")
    a, b = paired_medians(ours, baseline, repeat=7)
    print(row("trace + overview + 2 figures (ours)", a, b, "s", "transformers eager fp32, attentions",
              "budget < 1 s: " + ("OK" if a < 1.0 else "OVER")))
    a1, b1 = paired_medians(ours, baseline_one_thread, repeat=5)
    print(row("same, ours", a1, b1, "s", "the same baseline on one thread"))

    header("a slider move between layers and heads (cached arrays)")
    view = att.trace_view(lm, ids_list[0])
    calls = []
    original = TracingMixin.trace
    TracingMixin.trace = lambda self, ids: calls.append(1) or original(self, ids)  # count model calls
    positions = [(layer, head) for layer in (0, 7, 13, 21, 29) for head in (0, 4, 8)]
    step = {"i": 0}

    def slider() -> None:
        layer, head = positions[step["i"] % len(positions)]
        step["i"] += 1
        with one_thread():
            charts.attention_figure(att.head_map(view, layer, head), view.tokens, view.length - 1).to_json()
            charts.overview_figure(att.head_scores(view, "previous"), "previous", (layer, head),
                                   att.kv_groups(view.heads, 3), zmax=1.0).to_json()

    try:
        s, f = paired_medians(slider, baseline, repeat=15)
    finally:
        TracingMixin.trace = original
    print(row("head map + overview from the cache (ours)", s * 1000, f * 1000, "ms",
              "transformers eager fp32, attentions", "budget < 100 ms: " + ("OK" if s < 0.1 else "OVER")))
    print(f"model calls during slider moves: {len(calls)} (must be 0)")


if __name__ == "__main__":
    main()
