"""LLM figures beside plain transformers, measured in the same run.

    .venv/bin/python benchmarks/bench_llm.py

* cold load: converting the embedded GGUF (ours: convert + save the cache) vs
  transformers loading the GGUF directly;
* warm load: our load from the local cache vs `transformers.pipeline` on the same folder;
* next-token distribution for a short prompt (uncached and cached) vs a pipeline call
  producing one token;
* generation tokens/s at batch 1 (ours, streamed) vs `pipeline("text-generation")`;
* resident memory with the LLM and the sentence embedder loaded.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from _util import header, median_seconds, paired_medians, row

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TQDM_DISABLE", "1")  # transformers' GGUF loader draws its own bar

import psutil  # noqa: E402
import torch  # noqa: E402
from transformers import AutoModelForCausalLM, pipeline  # noqa: E402
from transformers.utils import logging as hf_logging  # noqa: E402

from playground.models import llm as llm_module  # noqa: E402
from playground.models.embedder import load_embedder  # noqa: E402
from playground.models.llm import GenerationSettings  # noqa: E402

hf_logging.disable_progress_bar()
hf_logging.set_verbosity_error()
STORY = "Write a long story about a robot who learns to paint."


def main() -> None:
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device cpu, fp32")
    header("Loading")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        folder = llm_module.convert_embedded(Path(tmp) / "converted")
        cold = time.perf_counter() - start
        gguf = llm_module.embedded_gguf_path()
        start = time.perf_counter()
        AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
        gguf_direct = time.perf_counter() - start
        print(row("cold load (GGUF -> local cache)", cold, gguf_direct, "s", "transformers from GGUF"))

        warm, pipe_load = paired_medians(
            lambda: llm_module.load_llm(str(folder)),
            lambda: pipeline("text-generation", model=str(folder), dtype=torch.float32), repeat=3)
        print(row("warm load (local cache)", warm, pipe_load, "s", "pipeline() on the same folder",
                  "budget < 3 s"))

        lm = llm_module.load_llm(str(folder))
        pipe = pipeline("text-generation", model=str(folder), dtype=torch.float32)

    header("Next-token distribution, short prompt")
    ids = lm.encode("The capital of France is", mode="raw")

    def uncached():
        lm._logits_cache.clear()
        lm.next_token_probs(ids)

    ours, base = paired_medians(
        uncached, lambda: pipe("The capital of France is", max_new_tokens=1, do_sample=False), repeat=9)
    cached = median_seconds(lambda: lm.next_token_probs(ids), repeat=9)
    print(row("uncached (one forward pass)", ours * 1e3, base * 1e3, "ms", "pipeline, 1 new token",
              "budget < 300 ms"))
    print(row("cached (same prompt again)", cached * 1e3, base * 1e3, "ms", "pipeline, 1 new token"))

    header("Generation, batch 1, greedy, up to 64 new tokens")
    prompt_ids = lm.encode(STORY)
    text = lm.render_prompt(STORY)
    ours_rates, base_rates = [], []
    for _ in range(3):
        start = time.perf_counter()
        n = sum(1 for _ in lm.generate_stream(prompt_ids, GenerationSettings(max_new_tokens=64, temperature=0)))
        ours_rates.append(n / (time.perf_counter() - start))
        start = time.perf_counter()
        out = pipe(text, max_new_tokens=64, do_sample=False, return_tensors=True)
        m = len(out[0]["generated_token_ids"]) - len(prompt_ids)
        base_rates.append(m / (time.perf_counter() - start))
    print(row("tokens/s (streamed, with per-token probs)", statistics.median(ours_rates),
              statistics.median(base_rates), "tok/s", "pipeline('text-generation')",
              "budget: ratio >= 1 (higher is better)"))

    header("Memory")
    load_embedder()
    rss = psutil.Process().memory_info().rss / 2**30
    print(f"resident memory with this benchmark's models loaded: {rss:.2f} GB "
          "(two LLM copies + pipeline + embedder; budget for the app: < 3 GB)")


if __name__ == "__main__":
    main()
