"""LLM figures beside plain transformers, measured in the same run.

    .venv/bin/python benchmarks/bench_llm.py

The baseline is what a newcomer would write: `pipeline("text-generation")` in fp32.
Ours runs in the precision the app picks (bf16 on CPUs with native bf16, see
playground/devices.py).

* cold load: converting the embedded GGUF (ours: convert + save the cache) vs
  transformers loading the GGUF directly;
* warm load: our load from the local cache vs `transformers.pipeline` on the same folder;
* next-token distribution for a short prompt (uncached and cached) vs a pipeline call
  producing one token;
* generation tokens/s at batch 1 (ours, streamed) vs the fp32 pipeline; 4 seeded
  completions in one batch vs 4 in a row;
* prefill tokens/s (32 texts x 200 tokens) vs fp32;
* scoring 64 (prompt, continuation) pairs in batches vs a loop of single calls, and
  with a shared few-shot prefix computed once;
* how far the app's precision is from fp32 on an English article;
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

from playground.devices import get_device  # noqa: E402
from playground.models import llm as llm_module  # noqa: E402
from playground.models.embedder import load_embedder  # noqa: E402
from playground.models.llm import GenerationSettings  # noqa: E402
from playground.models.llm import precision as precision_module  # noqa: E402

hf_logging.disable_progress_bar()
hf_logging.set_verbosity_error()
STORY = "Write a long story about a robot who learns to paint."


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def matrix_vector_rows() -> None:
    """Why batch-1 decode may not gain from bf16: one decode step is ~210 matrix-vector
    products. Whether torch's bf16 kernel for one row is faster than fp32 depends on the
    CPU; with 32 rows (32 completions or sessions in one step) bf16 pays on every CPU."""
    weights32 = [torch.randn(1536, 576, generator=torch.Generator().manual_seed(i)) for i in range(60)]
    weights16 = [w.bfloat16() for w in weights32]
    for rows in (1, 32):
        x = torch.randn(rows, 576, generator=torch.Generator().manual_seed(rows))
        x16 = x.bfloat16()
        t16, t32 = paired_medians(lambda: [torch.nn.functional.linear(x16, w) for w in weights16],
                                  lambda: [torch.nn.functional.linear(x, w) for w in weights32], repeat=5)
        print(row(f"576x1536 weight times {rows} row(s), bf16 (us)", t16 / 60 * 1e6, t32 / 60 * 1e6, "us",
                  "the same in fp32", "lower is better"))
    # the other one-row kernels torch has on a CPU, each beside fp32 in the same run: a decode
    # step reaching 1.5x the fp32 pipeline needs one that takes about half fp32's time
    x = torch.randn(1, 576, generator=torch.Generator().manual_seed(1))
    x16 = x.bfloat16()
    others = {"bf16 through torch.mv": lambda: [torch.mv(w, x16[0]) for w in weights16]}
    try:
        packed = [torch.ops.mkldnn._reorder_linear_weight(w, 1) for w in weights16]
        others["bf16 prepacked for oneDNN"] = lambda: [
            torch.ops.mkldnn._linear_pointwise(x16, w, None, "none", [], "") for w in packed]
    except (AttributeError, RuntimeError):
        pass
    try:
        scales = [w.abs().amax(1) / 127 for w in weights32]
        int8 = [(w / s[:, None]).round().to(torch.int8) for w, s in zip(weights32, scales)]
        scales16 = [s.bfloat16() for s in scales]
        torch.ops.aten._weight_int8pack_mm(x16, int8[0], scales16[0])
        others["int8 weights (weight-only, changes the numbers)"] = lambda: [
            torch.ops.aten._weight_int8pack_mm(x16, w, s) for w, s in zip(int8, scales16)]
    except (AttributeError, RuntimeError):
        pass
    for name, run in others.items():
        t_other, t32 = paired_medians(run, lambda: [torch.nn.functional.linear(x, w) for w in weights32], repeat=5)
        print(row(f"576x1536 weight times 1 row, {name} (us)", t_other / 60 * 1e6, t32 / 60 * 1e6, "us",
                  "fp32 linear", "lower is better"))


def main() -> None:
    device = get_device()
    print(f"{cpu_name()}; torch {torch.__version__}, {torch.get_num_threads()} threads, device {device.kind}, "
          f"ours in {device.precision} ({device.why}), baseline fp32")
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
        lm32 = llm_module.load_llm(str(folder), dtype=torch.float32)
        pipe = pipeline("text-generation", model=str(folder), dtype=torch.float32)

    header("Next-token distribution, short prompt")
    ids = lm.encode("The capital of France is", mode="raw")

    def uncached():
        lm._logits_cache.clear()
        lm.next_token_probs(ids)

    ours, base = paired_medians(
        uncached, lambda: pipe("The capital of France is", max_new_tokens=1, do_sample=False), repeat=9)
    cached = median_seconds(lambda: lm.next_token_probs(ids), repeat=9)
    print(row("uncached (one forward pass)", ours * 1e3, base * 1e3, "ms", "pipeline fp32, 1 new token",
              "budget < 300 ms"))
    print(row("cached (same prompt again)", cached * 1e3, base * 1e3, "ms", "pipeline fp32, 1 new token"))

    header("Generation, greedy, up to 64 new tokens")
    prompt_ids = lm.encode(STORY)
    text = lm.render_prompt(STORY)
    greedy = GenerationSettings(max_new_tokens=64, temperature=0)
    ours_rates, base_rates, fp32_rates = [], [], []
    for _ in range(3):
        start = time.perf_counter()
        n = sum(1 for _ in lm.generate_stream(prompt_ids, greedy))
        ours_rates.append(n / (time.perf_counter() - start))
        start = time.perf_counter()
        n = sum(1 for _ in lm32.generate_stream(prompt_ids, greedy))
        fp32_rates.append(n / (time.perf_counter() - start))
        start = time.perf_counter()
        out = pipe(text, max_new_tokens=64, do_sample=False, return_tensors=True)
        m = len(out[0]["generated_token_ids"]) - len(prompt_ids)
        base_rates.append(m / (time.perf_counter() - start))
    print(row("tokens/s, batch 1 (streamed, per-token probs)", statistics.median(ours_rates),
              statistics.median(base_rates), "tok/s", "pipeline('text-generation') fp32",
              "goal: ratio >= 1.5 (bf16 limit ~88 tok/s)"))
    print(row("tokens/s, batch 1, our engine in fp32", statistics.median(fp32_rates),
              statistics.median(base_rates), "tok/s", "pipeline('text-generation') fp32",
              "the engine's own overhead against the pipeline's"))
    sampled = GenerationSettings(max_new_tokens=32, temperature=0.8, top_p=0.95)
    seeds = [0, 1, 2, 3]

    def batched():
        return sum(len(t) for t in lm.generate_batch(prompt_ids, sampled, seeds))

    def in_a_row():
        return sum(len(lm.generate(prompt_ids, GenerationSettings(**{**sampled.__dict__, "seed": s})))
                   for s in seeds)

    t_batch, t_row = paired_medians(batched, in_a_row, repeat=3)
    produced = batched()
    print(row("4 seeded completions in one batch (tok/s)", produced / t_batch, produced / t_row, "tok/s",
              "the same 4 one after another", "higher is better"))
    matrix_vector_rows()

    header("Prefill: 32 texts x 200 tokens, one forward pass")
    article = precision_module.article_ids(lm, 2048) * 7  # ~1,060 tokens, repeated
    block = torch.tensor([article[i * 200:(i + 1) * 200] for i in range(32)])  # (32, 200)

    def prefill(model):
        def run():
            with torch.inference_mode():
                model.model(input_ids=block, logits_to_keep=1)
        return run

    t_ours, t_base = paired_medians(prefill(lm), prefill(lm32), repeat=3)
    print(row("prefill tokens/s", block.numel() / t_ours, block.numel() / t_base, "tok/s",
              "the same model in fp32", "higher is better"))

    header("Scoring 64 (prompt, continuation) pairs")
    questions = [lm.encode(f"Question {i}: is {w} a colour? Answer:", mode="raw")
                 for i, w in enumerate(["red", "table", "blue", "seven", "green", "cloud", "pink", "river"] * 4)]
    answers = [lm.tokenizer(a, add_special_tokens=False)["input_ids"] for a in (" yes", " no")]
    pairs = [(q, a) for q in questions for a in answers]
    t_batch, t_loop = paired_medians(lambda: lm.continuation_logprobs(pairs),
                                     lambda: [lm.continuation_logprob(p, c) for p, c in pairs], repeat=3)
    batched_scores = lm.continuation_logprobs(pairs)
    single_scores = [lm.continuation_logprob(p, c) for p, c in pairs]
    diff = max(abs(a.total - b.total) for a, b in zip(batched_scores, single_scores))
    print(row("64 pairs, batched (ms)", t_batch * 1e3, t_loop * 1e3, "ms", "a loop of single calls",
              f"goal: ratio <= 0.33; largest difference {diff:.2g} nats"))
    shots = lm.encode(precision_module.ARTICLE.read_text()[:1500] + "\n\nQuestion:", mode="raw")
    few_shot = [(shots + q[1:], a) for q, a in pairs]
    t_prefix, t_plain = paired_medians(lambda: lm.continuation_logprobs(few_shot),
                                       lambda: lm.continuation_logprobs(few_shot, reuse_prefix=False), repeat=3)
    print(row(f"64 pairs after a shared {len(shots)}-token prefix (ms)", t_prefix * 1e3, t_plain * 1e3, "ms",
              "batched, prefix recomputed per row", "lower is better"))

    header(f"{device.precision} against fp32 on an English article")
    if lm.dtype == torch.float32:
        print("the app runs fp32 here: nothing to compare")
    else:
        ids = precision_module.article_ids(lm32)
        print(precision_module.compare(lm32, lm, ids).describe())

    header("Memory")
    del lm32, pipe
    load_embedder()
    rss = psutil.Process().memory_info().rss / 2**30
    print(f"resident memory with this benchmark's models loaded: {rss:.2f} GB "
          "(after dropping the fp32 copies; the app's budget: < 3 GB)")


if __name__ == "__main__":
    main()
