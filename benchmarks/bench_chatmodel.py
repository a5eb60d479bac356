"""Chat-model page benchmark: how fast each stage trains the tiny model, beside plain
``transformers.Trainer`` on the same model and the same batches, in the same run; and how
long live pre-training takes to reach the shipped checkpoint's held-out loss.

    .venv/bin/python benchmarks/bench_chatmodel.py

Budget: live pre-training reaches the shipped checkpoint's held-out loss (within 1 %) in
at most the shipped run's steps (400) and under 3 minutes on the 2-core CPU (one thread,
as the page trains). Steps per second are medians of alternating runs; absolute numbers
drift on a shared machine, the ratios less.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from the repo root

from playground.chatmodel import corpus, dpo, evaluate, pretrain, sft, shipped

BUDGET_S = 180.0
STEPS = 20  # timed steps per repeat for the steps/s figures
REPEATS = 3


def trainer_rate(model, batches: list[dict], lr: float) -> float:
    """Steps per second of ``transformers.Trainer`` on the same model and the same batches
    (a dataset of those batches, read in order, one batch per step)."""
    from torch.utils.data import Dataset
    from transformers import Trainer, TrainingArguments
    from transformers.trainer_callback import PrinterCallback

    class Batches(Dataset):
        def __len__(self):
            return len(batches)

        def __getitem__(self, i):
            return batches[i]

    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(output_dir=out, max_steps=len(batches), per_device_train_batch_size=1,
                                 learning_rate=lr, lr_scheduler_type="constant", report_to=[], save_strategy="no",
                                 logging_steps=10**6, disable_tqdm=True, use_cpu=True, dataloader_num_workers=0,
                                 train_sampling_strategy="sequential", seed=0)
        trainer = Trainer(model=model, args=args, train_dataset=Batches(),
                          data_collator=lambda rows: rows[0])
        trainer.remove_callback(PrinterCallback)  # it prints its logs
        start = time.perf_counter()
        trainer.train()
        return len(batches) / (time.perf_counter() - start)


def loop_rate(run, steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        run.step()
    return steps / (time.perf_counter() - start)


def paired(ours, theirs, repeats: int = REPEATS) -> tuple[float, float]:
    a, b = [], []
    for _ in range(repeats):
        a.append(ours())
        b.append(theirs())
    return statistics.median(a), statistics.median(b)


def main() -> None:
    torch.set_num_threads(1)  # as the page trains: one thread per run (a script may set it)
    ship = shipped.load()
    tok = ship.tokenizer()
    report = ship.report
    print(f"torch {torch.__version__}; tiny model {report['parameters']:,} weights; one thread\n")

    # 1. live pre-training until the shipped held-out loss
    target = report["pretrain"]["held_out_loss"]
    config = pretrain.PretrainConfig(sample_every=10**9, sample_steps=())
    run = pretrain.PretrainRun(shipped.fresh(ship, 0), tok, config)
    start = time.perf_counter()
    reached = None
    while not run.done:
        run.step()
        if run.history.eval_steps[-1] == run.step_count and run.history.eval_loss[-1] <= target * 1.01:
            reached = run.step_count
            break
    wall = time.perf_counter() - start
    ok = reached is not None and reached <= report["pretrain"]["config"]["steps"] and wall < BUDGET_S
    print("== live pre-training to the shipped checkpoint's held-out loss")
    print(f"  target {target:.3f} (shipped, {report['pretrain']['config']['steps']} steps); reached "
          f"{run.history.eval_loss[-1]:.3f} at step {reached} in {wall:.0f} s (evaluations every "
          f"{config.eval_every} steps included) -> {'meets' if ok else 'MISSES'} the budget "
          f"(<= {report['pretrain']['config']['steps']} steps, < {BUDGET_S:.0f} s)")
    flops = evaluate.flops_per_second(report["parameters"], run.step_count * config.batch_size * config.seq_len,
                                      run.history.seconds)
    print(f"  training speed {flops / 1e9:.1f} GFLOP/s (6 x parameters x tokens / training seconds)\n")

    print("== steps per second: our loop beside transformers.Trainer, same model, same batches")
    # 2. pre-training steps
    model = shipped.fresh(ship, 0)
    ours_run = pretrain.PretrainRun(model, tok, pretrain.PretrainConfig(steps=10**6, eval_every=10**9,
                                                                        sample_every=10**9, sample_steps=()))
    batches = [{"input_ids": b, "labels": b} for b in (ours_run.batch() for _ in range(STEPS))]
    base_model = shipped.fresh(ship, 0)
    ours, theirs = paired(lambda: loop_rate(ours_run, STEPS), lambda: trainer_rate(base_model, batches, 3e-3))
    print(f"  pre-training (batch 16 x 64)      ours {ours:6.2f} steps/s | Trainer {theirs:6.2f} steps/s | "
          f"ratio {ours / theirs:.2f}")

    # 3. fine-tuning steps
    srun = sft.SFTRun(ship.copy_of("pretrained"), tok, sft.SFTConfig(steps=10**6, eval_every=10**9))
    sbatches = [srun.batch() for _ in range(STEPS)]
    sbase = ship.copy_of("pretrained")
    ours, theirs = paired(lambda: loop_rate(srun, STEPS), lambda: trainer_rate(sbase, sbatches, 1e-3))
    print(f"  fine-tuning (batch 16 pairs)      ours {ours:6.2f} steps/s | Trainer {theirs:6.2f} steps/s | "
          f"ratio {ours / theirs:.2f}")

    # 4. DPO steps (trl) beside a plain Trainer step on the same sequences (next-token loss on
    # the chosen and rejected answers: the policy's forward and backward without the reference)
    pairs = corpus.preference_pairs()[0]

    def dpo_rate() -> float:
        policy = ship.copy_of("sft")
        ref = evaluate.frozen(ship.models["sft"])
        drun = dpo.DPORun(policy, ref, tok, dpo.DPOSettings(steps=STEPS, eval_every=10**9))
        start = time.perf_counter()
        drun.train()
        return STEPS / (time.perf_counter() - start - drun._eval_s)  # the held-out check at the end left out

    collated = []
    order = dpo.seeded_order(pairs, STEPS, 8, 0)
    for i in range(STEPS):
        rows = [sft.encode_pair(tok, p.prompt, a) for p in order[i * 8:(i + 1) * 8] for a in (p.chosen, p.rejected)]
        collated.append(sft.collate(rows, tok.pad_token_id))
    dbase = ship.copy_of("sft")
    ours, theirs = paired(dpo_rate, lambda: trainer_rate(dbase, collated, 3e-5))
    print(f"  DPO with trl (batch 8 pairs)      ours {ours:6.2f} steps/s | Trainer {theirs:6.2f} steps/s | "
          f"ratio {ours / theirs:.2f}  (DPO also runs the frozen reference)")


if __name__ == "__main__":
    main()
