"""Few-shot vs fine-tune page: the default run of every method on the shipped task, and
each method beside the plain transformers (or library) equivalent where there is one.

1. **Every method at the page's defaults** (8 labelled examples per class, seed 0, nothing
   cached): its time, and the sum against the budget of 3 minutes on the 2-core CPU.
2. **Beside a baseline measured in the same run**, on the same inputs:

   * label scoring (zero-/few-shot): the page's scorer (one row per prompt: one-token labels
     are all read from the logits at the prompt's last token; the shared prefix runs once)
     and the engine's batched scorer of every (prompt, label) pair, against a loop of plain
     forward passes, one per (prompt, label) pair;
   * the LLM's hidden states (feature-based): padded batches against one forward pass per text;
   * MiniLM embeddings: the app's embedder against sentence-transformers' ``encode``;
   * SetFit: the page's loop against setfit's own ``Trainer`` (same pairs, same steps);
   * head only: features once + the head's epochs, against transformers'
     ``LlamaForSequenceClassification`` with a frozen body, which reads every text again
     in every epoch (one epoch timed, times the epochs);
   * LoRA and full fine-tuning: the page's loop against transformers' ``Trainer`` on
     ``LlamaForSequenceClassification`` (+ peft), time per training step.

    .venv/bin/python benchmarks/bench_fewshot.py            # all of it (~10 minutes on 2 busy cores)
    .venv/bin/python benchmarks/bench_fewshot.py --quick    # the default run only
    .venv/bin/python benchmarks/bench_fewshot.py --baselines  # the comparisons only
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("PLAYGROUND_CACHE_DIR", str(ROOT / ".cache" / "models"))

import numpy as np
import torch

from benchmarks._util import header, row
from playground.fewshot import features as feat
from playground.fewshot import finetune as ft
from playground.fewshot import prompting as pr
from playground.fewshot import setfit_method as sf
from playground.fewshot.data import load_shipped
from playground.fewshot.methods import METHODS, Models, RunSettings, run_method
from playground.threads import one_thread

BUDGET_S = 180
PER_CLASS, SEED = 8, 0


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def default_run(task, models) -> None:
    header(f"every method at the defaults ({PER_CLASS} per class, seed {SEED}; budget {BUDGET_S} s in all)")
    total = 0.0
    for method in METHODS:
        result, seconds = timed(lambda m=method: run_method(m, task, PER_CLASS, SEED, RunSettings(), models))
        total += seconds
        print(f"{METHODS[method].label:<36} {seconds:8.1f} s   accuracy {result.accuracy:5.1%}   "
              f"training {result.train_s:7.1f} s   inference {1000 * result.infer_s:7.1f} ms/example   "
              f"peak {result.peak_mb:6.0f} MB", flush=True)
    verdict = "within" if total <= BUDGET_S else "OVER"
    print(f"{'all methods':<36} {total:8.1f} s   {verdict} the {BUDGET_S} s budget "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


# -- baselines ---------------------------------------------------------------------------------


def scoring(task, lm) -> None:
    """Few-shot label scoring of 20 messages: batched with the prefix once vs a plain loop."""
    pool = task.pool(PER_CLASS, SEED)
    examples = pr.select_random(pool, 10, SEED)
    texts = task.text_list(task.indices("test")[:20])
    prefix = pr.prefix(task, examples)

    def ours():
        with one_thread():
            return pr.score_prompts(lm, task, [prefix], texts).logprobs

    def engine_pairs():
        with one_thread():
            return pr.score_prompts(lm, task, [prefix], texts, one_row_per_prompt=False).logprobs

    def plain():
        tok, out = lm.tokenizer, []
        with one_thread(), torch.inference_mode():
            for text in texts + [pr.CONTENT_FREE]:
                prompt = tok(prefix + pr.question(task, text), add_special_tokens=False)["input_ids"]
                for y in range(task.n_labels):
                    label = tok(pr.label_continuation(task, y), add_special_tokens=False)["input_ids"]
                    ids = torch.tensor([prompt + label])
                    logp = torch.log_softmax(lm.model(input_ids=ids).logits[0].float(), -1)
                    out.append(sum(float(logp[len(prompt) - 1 + j, t]) for j, t in enumerate(label)))
        return np.array(out).reshape(-1, task.n_labels)[:-1]

    a, t_ours = timed(ours)
    c, t_pairs = timed(engine_pairs)
    b, t_plain = timed(plain)
    header("label scoring, 20 messages x 5 labels (+ the N/A row), k = 10 examples")
    print(row("page: one row per prompt, prefix once", t_ours, t_plain, "s", "loop of model(prompt + label)"))
    print(row("engine: one row per (prompt, label)", t_pairs, t_plain, "s", "loop of model(prompt + label)"))
    for name, x in (("page", a), ("engine pairs", c)):
        print(f"  {name}: same answers as the loop: {np.array_equal(x.argmax(1), b.argmax(1))}, largest score "
              f"difference {np.abs(x - b).max():.3f} nats ({lm.precision})")


def hidden_states(task, lm) -> None:
    texts = task.text_list(task.indices("test"))

    def plain():
        out = []
        with one_thread(), torch.inference_mode():
            for text in texts:
                ids = torch.tensor([lm.tokenizer(text, add_special_tokens=False)["input_ids"]])
                out.append(lm.model.base_model(input_ids=ids).last_hidden_state[0].float().mean(0).numpy())
        return np.array(out)

    a, t_ours = timed(lambda: feat.llm_hidden(lm, texts, "mean"))
    b, t_plain = timed(plain)
    header("LLM hidden states of the 100 test messages (mean over tokens)")
    print(row("padded batches of 32", t_ours, t_plain, "s", "one forward pass per text"))
    print(f"  largest difference {np.abs(a - b).max():.3f} (bf16 batches vs single rows)")


def minilm(task, embedder) -> None:
    from sentence_transformers import SentenceTransformer

    from playground.models.embedder import embedded_model_dir

    texts = list(task.texts)
    with contextlib.redirect_stderr(io.StringIO()):
        st_model = SentenceTransformer(str(embedded_model_dir()), device="cpu", local_files_only=True)
    with one_thread():
        a, t_ours = timed(lambda: embedder.encode(texts))
        b, t_st = timed(lambda: st_model.encode(texts, batch_size=32, normalize_embeddings=True))
    header("MiniLM embeddings of the 350 messages")
    print(row(f"app embedder ({embedder.info.dtype})", t_ours, t_st, "s", "sentence-transformers encode (fp32)"))
    print(f"  cosine agreement: min {float(np.min(np.sum(a * b, axis=1))):.4f}")


def setfit_vs_trainer(task) -> None:
    from datasets import Dataset
    from setfit import Trainer, TrainingArguments

    pool = task.pool(PER_CLASS, SEED)
    texts, labels = task.text_list(pool), [int(v) for v in task.y(pool)]
    config = sf.SetFitConfig()
    _, t_ours = timed(lambda: sf.train(texts, labels, config, SEED))

    def theirs():
        with tempfile.TemporaryDirectory() as out, one_thread(), contextlib.redirect_stderr(io.StringIO()), \
                contextlib.redirect_stdout(io.StringIO()):
            args = TrainingArguments(output_dir=out, batch_size=config.batch_size, num_epochs=config.epochs,
                                     num_iterations=config.iterations, body_learning_rate=config.learning_rate,
                                     seed=SEED, save_strategy="no", report_to="none", show_progress_bar=False)
            trainer = Trainer(model=sf.load_model(), args=args,
                              train_dataset=Dataset.from_dict({"text": texts, "label": labels}))
            trainer.train()

    _, t_theirs = timed(theirs)
    header(f"SetFit, {len(texts)} examples, {sf.steps_for(len(texts), config)} contrastive steps")
    print(row("page loop + setfit model and sampler", t_ours, t_theirs, "s", "setfit Trainer"))


def hf_classifier(lm, n_labels: int):
    """transformers' LlamaForSequenceClassification with SmolLM2's weights. The converted
    folder keeps the tied embeddings under ``lm_head`` and a note that it came from a GGUF
    file (which Trainer refuses to train), so the body is copied from the causal model."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSequenceClassification

    from playground.models.llm import converted_dir

    config = AutoConfig.from_pretrained(str(converted_dir()))
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    with contextlib.redirect_stderr(io.StringIO()):
        causal = AutoModelForCausalLM.from_pretrained(str(converted_dir()), config=config, dtype=torch.float32)
    config.num_labels = n_labels
    config.pad_token_id = lm.pad_id
    model = AutoModelForSequenceClassification.from_config(config, dtype=torch.float32)
    model.model.load_state_dict(causal.model.state_dict())
    return model


def head_only(task, lm) -> None:
    pool, val = task.pool(PER_CLASS, SEED), task.indices("validation")
    config = ft.FinetuneConfig.default("head")

    def ours():
        with one_thread():
            X = feat.llm_hidden(lm, task.text_list(np.concatenate([pool, val])), "last")
        return ft.train_head(X[:len(pool)], task.y(pool), X[len(pool):], task.y(val), task.n_labels, config, SEED)

    _, t_ours = timed(ours)
    model = hf_classifier(lm, task.n_labels)
    for p in model.model.parameters():
        p.requires_grad_(False)
    optimizer = torch.optim.AdamW(model.score.parameters(), lr=config.learning_rate)
    rows = ft.tokenize(lm, task.text_list(pool))
    y = torch.as_tensor(task.y(pool))

    def one_epoch():
        with one_thread():
            for start in range(0, len(rows), config.batch_size):
                ids, mask, _ = ft._batch(lm, rows[start:start + config.batch_size])
                loss = torch.nn.functional.cross_entropy(model(input_ids=ids, attention_mask=mask).logits,
                                                         y[start:start + config.batch_size])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()

    _, t_epoch = timed(one_epoch)
    header(f"head only, {len(pool)} examples, {config.epochs} epochs")
    print(row("features once, then the head", t_ours, t_epoch * config.epochs, "s",
              "frozen LlamaForSequenceClassification"))


def trainer_steps(task, lm, method: str, steps: int = 4) -> None:
    from datasets import Dataset
    from transformers import Trainer, TrainingArguments

    pool = task.pool(PER_CLASS, SEED)
    config = ft.FinetuneConfig.default(method, epochs=1)
    n = steps * config.batch_size
    texts, y = task.text_list(pool[:n]), task.y(pool[:n])
    fit = ft.train_copy(lm, texts, y, texts[:1], y[:1], texts[:1], task.n_labels, config, SEED)
    model = hf_classifier(lm, task.n_labels)
    if method == "lora":
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha,
                                                 target_modules=list(config.lora_targets), lora_dropout=0.0,
                                                 task_type="SEQ_CLS"))
    rows = ft.tokenize(lm, texts)
    data = Dataset.from_dict({"input_ids": rows, "labels": [int(v) for v in y]})

    def collate(batch):
        ids, mask, _ = ft._batch(lm, [b["input_ids"] for b in batch])
        return {"input_ids": ids, "attention_mask": mask, "labels": torch.tensor([b["labels"] for b in batch])}

    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(output_dir=out, per_device_train_batch_size=config.batch_size, num_train_epochs=1,
                                 learning_rate=config.learning_rate, save_strategy="no", report_to=[],
                                 disable_tqdm=True, use_cpu=True, logging_strategy="no", seed=SEED)
        trainer = Trainer(model=model, args=args, train_dataset=data, data_collator=collate)
        with one_thread():
            _, t_theirs = timed(trainer.train)
    header(f"{METHODS[method].label}: {steps} training steps of {config.batch_size} messages")
    print(row("page loop on a session copy (per step)", fit.train_s / steps, t_theirs / steps, "s",
              "transformers Trainer (per step)"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="only the default run of every method")
    parser.add_argument("--baselines", action="store_true", help="only the comparisons with the baselines")
    args = parser.parse_args()
    from playground.models.embedder import load_embedder
    from playground.models.llm import load_llm

    lm, embedder = load_llm(""), load_embedder()
    models = Models(lm, embedder, f"{lm.info.name}|{lm.info.source}|{lm.precision}")
    task = load_shipped()
    print(f"SmolLM2 in {lm.precision}; MiniLM in {embedder.info.dtype}; one CPU thread per run; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if not args.baselines:
        default_run(task, models)
    if args.quick:
        return
    scoring(task, lm)
    hidden_states(task, lm)
    minilm(task, embedder)
    head_only(task, lm)
    setfit_vs_trainer(task)
    trainer_steps(task, lm, "lora")
    trainer_steps(task, lm, "full")


if __name__ == "__main__":
    main()
