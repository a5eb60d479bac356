"""Hallucination page: the default needle-in-a-haystack sweep beside plain transformers.

    .venv/bin/python benchmarks/bench_limits.py            # the default grid (25 cells)
    .venv/bin/python benchmarks/bench_limits.py --quick    # 2 x 2 cells, a smoke run

Ours: the page's default sweep (lengths 128 to 2,048 tokens x depths 0 to 100 %, the
password needle), each cell a greedy answer and the log-probability of the right answer
from one read of the prompt (``context.answer_and_score``: one forward pass over prompt +
right answer, its key/value cache cut back to the prompt for the greedy steps), in the
precision the app picks (bf16 on CPUs with native bf16). Baseline: the same prompts one by one through plain
transformers in fp32, the same two measurements (``model.generate`` greedy with the same
stop rule, then one forward pass over prompt + right answer). Cells are measured
alternately, ours then the baseline's, so a noisy neighbour slows both alike.

Budget: the default sweep in under 2 minutes on the 2-core CPU.
"""

from __future__ import annotations

import math
import os
import sys
import time

from _util import ROOT, header, row

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("PLAYGROUND_CACHE_DIR", str(ROOT / ".cache" / "models"))

import torch
from transformers import StoppingCriteria, StoppingCriteriaList
from transformers.utils import logging as hf_logging

from playground.limits import context as cx
from playground.limits import data
from playground.limits.text import contains
from playground.models.llm import load_llm
from playground.models.llm.loading import _load_folder, converted_dir

hf_logging.set_verbosity_error()
hf_logging.disable_progress_bar()


class StopAtSentenceEnd(StoppingCriteria):
    """The engine's stop rule for needle answers: a line break, or a '.' after some text."""

    def __init__(self, tokenizer, prompt_length: int):
        self.tokenizer, self.n = tokenizer, prompt_length

    def __call__(self, input_ids, scores, **kwargs) -> bool:
        text = self.tokenizer.decode(input_ids[0, self.n:], skip_special_tokens=True)
        return "\n" in text.lstrip() or (text.rstrip().endswith(".") and len(text.strip()) > 1)


def baseline_cell(model, tokenizer, ids: list[int], gold: list[int]) -> tuple[str, float]:
    """Plain transformers, fp32: greedy generate, then log p(right answer) from one forward pass."""
    x = torch.tensor([ids])
    with torch.inference_mode():
        out = model.generate(x, attention_mask=torch.ones_like(x), max_new_tokens=cx.ANSWER_TOKENS, do_sample=False,
                             stopping_criteria=StoppingCriteriaList([StopAtSentenceEnd(tokenizer, len(ids))]),
                             pad_token_id=tokenizer.eos_token_id)
        answer = tokenizer.decode(out[0, len(ids):], skip_special_tokens=True).strip().split("\n")[0]
        logits = model(torch.tensor([ids + gold])).logits[0].float()  # (T, V)
    logp = torch.log_softmax(logits[len(ids) - 1: -1], dim=-1)  # position i predicts token i+1
    return answer, float(logp[torch.arange(len(gold)), torch.tensor(gold)].sum())


def main() -> None:
    quick = "--quick" in sys.argv
    lm = load_llm("")
    model, tokenizer = _load_folder(str(converted_dir()), "cpu", torch.float32, local_only=True)
    needle = data.NEEDLES[0]
    config = cx.SweepConfig() if not quick else cx.SweepConfig(lengths=(128, 512), depths=(0.0, 1.0))
    hay = cx.build_haystack(lm)
    prompts = cx.needle_prompts(lm, hay, needle, config)
    gold = cx.piece_ids(lm, cx.needle_continuation(needle))
    tokens = sum(len(p.ids) for p in prompts)
    print(f"model: {lm.info.name}, ours in {lm.precision}, baseline fp32 (plain transformers); torch "
          f"{torch.__version__}, {torch.get_num_threads()} threads; {len(prompts)} cells, lengths "
          f"{', '.join(map(str, config.lengths))}, {tokens:,} prompt tokens in all")
    # warm up both (first calls allocate)
    cx.run_needle_cell(lm, prompts[0], needle)
    baseline_cell(model, tokenizer, list(prompts[0].ids), gold)

    ours_s = base_s = ours_cpu = base_cpu = 0.0
    agree = 0
    deltas = []
    ours_found = base_found = 0
    for p in prompts:
        start, cpu = time.perf_counter(), time.process_time()
        cell = cx.run_needle_cell(lm, p, needle)
        ours_s += time.perf_counter() - start
        ours_cpu += time.process_time() - cpu
        start, cpu = time.perf_counter(), time.process_time()
        answer, logprob = baseline_cell(model, tokenizer, list(p.ids), gold)
        base_s += time.perf_counter() - start
        base_cpu += time.process_time() - cpu
        found = contains(answer, needle.answer)
        ours_found += cell.found
        base_found += found
        agree += cell.found == found
        deltas.append(abs(cell.logprob - logprob))
        print(f"  {p.length:>5} tokens, depth {p.depth:4.0%}: ours {cell.answer!r:<22} {cell.logprob:7.2f} | "
              f"fp32 {answer!r:<22} {logprob:7.2f}", flush=True)

    header("Needle in a haystack: the default sweep" if not quick else "Needle in a haystack: quick grid")
    print(row(f"sweep, {len(prompts)} cells (s)", ours_s, base_s, "s", "plain transformers fp32, one by one",
              "budget < 120 s" if not quick else ""))
    print(row("per cell (s)", ours_s / len(prompts), base_s / len(prompts), "s", "plain transformers fp32"))
    # on a shared machine the wall time depends on the neighbours; the CPU time this process used,
    # divided by its threads, is what the sweep would take with the cores to itself
    threads = torch.get_num_threads()
    print(row(f"CPU time / {threads} threads (s)", ours_cpu / threads, base_cpu / threads, "s",
              "plain transformers fp32", "idle-machine estimate"))
    print(row("prompt tokens per second", tokens / ours_s, tokens / base_s, "tok/s", "plain transformers fp32"))
    print(f"found: ours {ours_found}/{len(prompts)}, fp32 {base_found}/{len(prompts)}; the same verdict in "
          f"{agree}/{len(prompts)} cells; |log p(right answer) ours - fp32|: mean "
          f"{sum(deltas) / len(deltas):.3f}, largest {max(deltas):.3f} nats"
          + ("" if lm.precision == "float32" else f" ({lm.precision} against fp32)"))
    if not math.isfinite(ours_s) or ours_s <= 0:
        raise SystemExit("no cells ran")


if __name__ == "__main__":
    main()
