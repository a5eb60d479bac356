"""Stage 3, preference tuning with DPO (Rafailov et al. 2023), trained by ``trl``'s DPOTrainer.

For an instruction x, a chosen answer y_w and a rejected one y_l, with the model being
trained π and a frozen copy of the fine-tuned model π_ref (the reference):

1. log-probabilities of each whole answer: log π(y | x) = Σ_t log π(y_t | x, y_<t), summed
   over the answer's tokens only (the prompt is not scored);
2. the implicit rewards: r_w = β (log π(y_w|x) − log π_ref(y_w|x)), r_l likewise;
3. the loss: L = −log σ(r_w − r_l). It falls when the model raises the chosen answer
   *relative to the reference* more than the rejected one. β sets how far the model may
   drift from the reference: a small β lets it move far; a large β holds it close.

:func:`hand_loss` writes these steps out with the numbers of one pair; a test checks it
against trl's loss on the same batch.

About seeds: trl's DPOTrainer (a ``transformers.Trainer``) calls ``set_seed(seed)`` when it
is built, which reseeds Python's, numpy's and torch's *global* random generators for the
whole process. Nothing in the app draws from those (every draw takes its own generator),
so the reseed cannot change another session's results; to leave the process as it was,
the generators' states are saved before the trainer is built and put back after it
finished (:func:`_global_rng_kept`). The run itself draws nothing at random: the pairs are
shuffled here with the run's own seed and the trainer reads them in order
(``train_sampling_strategy="sequential"``), and the model has no dropout.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from playground.chatmodel import corpus
from playground.chatmodel.tokenizer import chat_prompt

_RNG_LOCK = threading.Lock()


@dataclass(frozen=True)
class DPOSettings:
    steps: int = 240
    batch_size: int = 8
    lr: float = 3e-5
    beta: float = 0.3
    eval_every: int = 10
    seed: int = 0


# -- the loss by hand ------------------------------------------------------------------------


@torch.no_grad()
def answer_logprob(model, tokenizer, instruction: str, answer: str) -> float:
    """log π(answer | instruction): the sum of the answer's token log-probabilities, the
    answer as the chat template writes it (its text, ``<|im_end|>`` and the newline)."""
    ids, start = answer_ids(tokenizer, instruction, answer)
    was = model.training
    if was:  # a shared model stays in eval mode and is never written to
        model.eval()
    try:
        logits = model(input_ids=torch.tensor([ids])).logits[0].float()  # (T, vocab)
    finally:
        if was:
            model.train()
    logp = torch.log_softmax(logits[:-1], dim=-1)  # position i predicts token i + 1
    targets = torch.tensor(ids[1:])
    return float(logp[torch.arange(len(targets)), targets][start - 1:].sum())


def answer_ids(tokenizer, instruction: str, answer: str) -> tuple[list[int], int]:
    """(ids of prompt + answer as trl tokenizes a conversation, index of the answer's first token)."""
    prompt = tokenizer(chat_prompt(tokenizer, instruction), add_special_tokens=False)["input_ids"]
    full = tokenizer.apply_chat_template([{"role": "user", "content": instruction},
                                          {"role": "assistant", "content": answer}], tokenize=False)
    ids = tokenizer(full, add_special_tokens=False)["input_ids"]
    assert ids[:len(prompt)] == prompt, "the prompt must be a prefix of prompt + answer"
    return ids, len(prompt)


@dataclass(frozen=True)
class HandLoss:
    """The DPO loss of one pair, step by step (the numbers the page prints)."""
    policy_chosen: float
    policy_rejected: float
    ref_chosen: float
    ref_rejected: float
    beta: float

    @property
    def reward_chosen(self) -> float:
        return self.beta * (self.policy_chosen - self.ref_chosen)

    @property
    def reward_rejected(self) -> float:
        return self.beta * (self.policy_rejected - self.ref_rejected)

    @property
    def margin(self) -> float:
        return self.reward_chosen - self.reward_rejected

    @property
    def loss(self) -> float:
        # −log σ(m) = log(1 + e^(−m)), written stably
        m = self.margin
        return math.log1p(math.exp(-m)) if m > -30 else -m


def hand_loss(model, ref, tokenizer, pair: corpus.Preference, beta: float) -> HandLoss:
    return HandLoss(answer_logprob(model, tokenizer, pair.prompt, pair.chosen),
                    answer_logprob(model, tokenizer, pair.prompt, pair.rejected),
                    answer_logprob(ref, tokenizer, pair.prompt, pair.chosen),
                    answer_logprob(ref, tokenizer, pair.prompt, pair.rejected), beta)


# -- what the page and the tests measure ------------------------------------------------------


def logprob_margin(model, tokenizer, pairs) -> float:
    """Mean of log π(chosen | x) − log π(rejected | x) over pairs."""
    return float(np.mean([answer_logprob(model, tokenizer, p.prompt, p.chosen)
                          - answer_logprob(model, tokenizer, p.prompt, p.rejected) for p in pairs]))


@torch.no_grad()
def kl_to_reference(model, ref, tokenizer, pairs) -> float:
    """KL(π ‖ π_ref) per answer token, in nats: at every position of the held-out chosen
    answers, Σ_v π(v) (log π(v) − log π_ref(v)) over the whole vocabulary, averaged."""
    total, count = 0.0, 0
    was = model.training
    if was:  # a shared model stays in eval mode and is never written to
        model.eval()
    try:
        for p in pairs:
            ids, start = answer_ids(tokenizer, p.prompt, p.chosen)
            x = torch.tensor([ids])
            lp = torch.log_softmax(model(input_ids=x).logits[0, start - 1:-1].float(), dim=-1)
            lq = torch.log_softmax(ref(input_ids=x).logits[0, start - 1:-1].float(), dim=-1)
            total += float((lp.exp() * (lp - lq)).sum())
            count += lp.shape[0]
    finally:
        if was:
            model.train()
    return total / max(count, 1)


@dataclass
class DPOHistory:
    steps: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    reward_margin: list[float] = field(default_factory=list)  # trl's rewards/margins on the batch
    eval_steps: list[int] = field(default_factory=list)
    eval_margin: list[float] = field(default_factory=list)  # held-out log π(chosen) − log π(rejected)
    eval_kl: list[float] = field(default_factory=list)  # KL to the reference per answer token
    seconds: float = 0.0

    def to_dict(self) -> dict:
        """A copy (the training thread may be appending while the page reads it)."""
        return {k: list(v) if isinstance(v, list) else v for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, d: dict) -> DPOHistory:
        return cls(**d)


@contextlib.contextmanager
def _global_rng_kept():
    """Put Python's, numpy's and torch's global random states back after the block (the
    Trainer reseeds them; see the module's docstring)."""
    with _RNG_LOCK:
        states = random.getstate(), np.random.get_state(), torch.random.get_rng_state()
    try:
        yield
    finally:
        with _RNG_LOCK:
            random.setstate(states[0])
            np.random.set_state(states[1])
            torch.random.set_rng_state(states[2])


def seeded_order(pairs, steps: int, batch: int, seed: int) -> list[corpus.Preference]:
    """The pairs in a seeded order, repeated (each repeat freshly shuffled) until there
    are steps × batch of them: the order the trainer reads them in."""
    rng = random.Random(seed)
    rows: list[corpus.Preference] = []
    while len(rows) < steps * batch:
        order = list(pairs)
        rng.shuffle(order)
        rows += order
    return rows[:steps * batch]


def _dataset(order):
    """trl's conversational format: prompt, chosen and rejected as chat messages."""
    from datasets import Dataset

    return Dataset.from_list([{"prompt": [{"role": "user", "content": p.prompt}],
                               "chosen": [{"role": "assistant", "content": p.chosen}],
                               "rejected": [{"role": "assistant", "content": p.rejected}]} for p in order])


class DPORun:
    """One DPO run with trl's DPOTrainer on a session's own model (``model`` is trained in
    place; ``ref`` stays frozen). ``tick()`` is called after every optimizer step: it may
    block (pause) and returns False to stop the run."""

    def __init__(self, model, ref, tokenizer, settings: DPOSettings, pairs=None, held=None):
        from transformers import TrainerCallback
        from transformers.trainer_callback import PrinterCallback
        from trl import DPOConfig, DPOTrainer

        logging.getLogger("trl").setLevel(logging.ERROR)
        import datasets
        datasets.disable_progress_bars()
        self.model, self.ref, self.tokenizer, self.settings = model, ref, tokenizer, settings
        train, held_pairs = corpus.preference_pairs()
        self.pairs = list(pairs if pairs is not None else train)
        self.held = list(held if held is not None else held_pairs)
        self.order = seeded_order(self.pairs, settings.steps, settings.batch_size, settings.seed)
        self.history = DPOHistory()
        self.step_count = 0
        self.tick: Callable[[], bool] = lambda: True
        self._out = tempfile.TemporaryDirectory(prefix="chatmodel-dpo-")
        args = DPOConfig(
            output_dir=self._out.name, max_steps=settings.steps, per_device_train_batch_size=settings.batch_size,
            learning_rate=settings.lr, lr_scheduler_type="constant", warmup_steps=0, beta=settings.beta,
            loss_type=["sigmoid"], max_length=128, logging_steps=1, save_strategy="no", report_to=[],
            disable_tqdm=True, use_cpu=True, dataloader_num_workers=0, seed=settings.seed,
            train_sampling_strategy="sequential", bf16=False, fp16=False, gradient_checkpointing=False,
            precompute_ref_log_probs=False, weight_decay=0.0)
        run = self

        class Progress(TrainerCallback):
            def on_log(self, args, state, control, logs=None, **kw):
                if logs and "loss" in logs:
                    run.history.steps.append(state.global_step)
                    run.history.loss.append(float(logs["loss"]))
                    run.history.reward_margin.append(float(logs.get("rewards/margins", float("nan"))))

            def on_step_end(self, args, state, control, **kw):
                run.step_count = state.global_step
                run.history.seconds = time.perf_counter() - run._started - run._eval_s
                if state.global_step % settings.eval_every == 0 or state.global_step >= settings.steps:
                    run._evaluate()
                if not run.tick():
                    control.should_training_stop = True

        with _global_rng_kept():
            self.trainer = DPOTrainer(model=model, ref_model=ref, args=args, processing_class=tokenizer,
                                      train_dataset=_dataset(self.order),
                                      callbacks=[Progress()])
        self.trainer.remove_callback(PrinterCallback)  # it prints every step's logs to the server's console
        self._started = time.perf_counter()
        self._eval_s = 0.0
        self._evaluate()

    @property
    def total(self) -> int:
        return self.settings.steps

    @property
    def done(self) -> bool:
        return self.step_count >= self.settings.steps

    def _evaluate(self) -> None:
        start = time.perf_counter()
        h = self.history
        if not h.eval_steps or h.eval_steps[-1] != self.step_count:
            h.eval_steps.append(self.step_count)
            h.eval_margin.append(logprob_margin(self.model, self.tokenizer, self.held))
            h.eval_kl.append(kl_to_reference(self.model, self.ref, self.tokenizer, self.held))
        self._eval_s += time.perf_counter() - start

    def train(self, tick: Callable[[], bool] = lambda: True) -> None:
        """Run to the end, or until ``tick()`` says stop."""
        self.tick = tick
        with _global_rng_kept():
            self._started = time.perf_counter()
            self._eval_s = 0.0
            self.trainer.train()
        self.model.eval()
        self._out.cleanup()

    def trl_loss(self, n: int = 2) -> tuple[float, list[corpus.Preference]]:
        """trl's own loss (mean over the batch) on the first ``n`` pairs of the run's order,
        collated and tokenized by trl, with no update; and those pairs: what
        :func:`hand_loss` is checked against."""
        batch = self.trainer.data_collator([self.trainer.train_dataset[i] for i in range(n)])
        with torch.no_grad():
            loss = self.trainer.compute_loss(self.model, batch)
        return float(loss), self.order[:n]
