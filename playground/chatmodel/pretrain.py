"""Stage 1, pre-training: predict the next token of raw text.

A plain torch loop over ``transformers``' LlamaForCausalLM and its own loss (the model
shifts the labels by one: the logits at position i are scored against token i + 1).
Why not ``transformers.Trainer``: its constructor calls ``set_seed``, which reseeds
torch's, numpy's and Python's global random generators for the whole server process
(every student's session shares them). This loop draws its batches from its own
``torch.Generator`` and the model has no dropout, so a seed gives the same curve in any
session. benchmarks/bench_chatmodel.py times it beside ``Trainer``.

Steps, as the loop runs them:

1. draw ``batch_size`` windows of ``seq_len + 1`` tokens at random offsets of the token
   stream (the training stories joined by ``<|endoftext|>``);
2. forward pass; loss = mean cross-entropy of each next token;
3. backward pass, clip the gradient norm to 1, AdamW step; the learning rate warms up
   linearly, then follows a cosine down to a tenth;
4. every ``eval_every`` steps, the held-out loss (stories never trained on) and its
   perplexity exp(loss), beside a bigram model counted on the same training tokens;
5. every ``sample_every`` steps, text from the same fixed prompts (seeded), so gibberish
   visibly turns into words, then sentences.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field

import torch

from playground.chatmodel import corpus
from playground.chatmodel.generate import generate

PROMPTS = ("Once upon a time, there was", "Tom liked to", "One day, Mia found a", "The cow said,")


@dataclass(frozen=True)
class PretrainConfig:
    steps: int = 400
    batch_size: int = 16
    seq_len: int = 64
    lr: float = 3e-3
    warmup: int = 30
    weight_decay: float = 0.1
    eval_every: int = 25
    sample_every: int = 100  # and at steps 10, 25 and 50, where the text changes fastest
    eval_windows: int = 64
    seed: int = 0
    sample_steps: tuple[int, ...] = (10, 25, 50)

    def samples_at(self, step: int) -> bool:
        return step % self.sample_every == 0 or step in self.sample_steps or step == self.steps


def optimizer_step(model, optimizer, loss, history: History, step: int, start: float) -> None:
    """Backpropagate ``loss``, clip the gradient norm at 1, take the optimizer step, and
    record it in ``history`` as step ``step``, timed from ``start`` (time.perf_counter)."""
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    history.seconds += time.perf_counter() - start
    history.steps.append(step)
    history.loss.append(loss.item())


@dataclass
class History:
    """What the page draws: the training loss of every step, the held-out loss at each
    evaluation, samples at each sampling step, and the time each step took."""
    steps: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    eval_loss: list[float] = field(default_factory=list)
    samples: dict[int, list[str]] = field(default_factory=dict)
    seconds: float = 0.0  # training time, evaluation and samples excluded

    def to_dict(self) -> dict:
        """A copy (a training thread may be appending to the lists while the page reads it)."""
        return {"steps": list(self.steps), "loss": list(self.loss), "eval_steps": list(self.eval_steps),
                "eval_loss": list(self.eval_loss),
                "samples": {str(k): list(v) for k, v in list(self.samples.items())}, "seconds": self.seconds}

    @classmethod
    def from_dict(cls, d: dict) -> History:
        return cls(list(d["steps"]), list(d["loss"]), list(d["eval_steps"]), list(d["eval_loss"]),
                   {int(k): list(v) for k, v in d["samples"].items()}, float(d.get("seconds", 0.0)))


# -- the token streams and the bigram baseline ----------------------------------------------


def _stream(tokenizer, texts) -> torch.Tensor:
    eos = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    ids: list[int] = []
    for ids_one in tokenizer(list(texts), add_special_tokens=False)["input_ids"]:
        ids.extend(ids_one)
        ids.append(eos)
    return torch.tensor(ids, dtype=torch.long)


@functools.lru_cache(maxsize=4)
def streams(tokenizer, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(training tokens, held-out tokens); read-only: tensors shared by every session."""
    train, held = corpus.split_stories(seed)
    return _stream(tokenizer, train), _stream(tokenizer, held)


def eval_windows(held: torch.Tensor, n: int, seq_len: int) -> torch.Tensor:
    """The first ``n`` non-overlapping windows of ``seq_len + 1`` held-out tokens: (n, seq_len + 1)."""
    n = min(n, (len(held) - 1) // (seq_len + 1))
    return held[: n * (seq_len + 1)].view(n, seq_len + 1)


def bigram_log_probs(train: torch.Tensor, vocab: int, alpha: float = 0.1) -> torch.Tensor:
    """log p(next | current) from counts on the training tokens, add-alpha smoothed: (vocab, vocab)."""
    counts = torch.zeros(vocab * vocab, dtype=torch.float64)
    counts.index_add_(0, train[:-1] * vocab + train[1:], torch.ones(len(train) - 1, dtype=torch.float64))
    counts = counts.view(vocab, vocab) + alpha
    return (counts / counts.sum(dim=1, keepdim=True)).log()


def bigram_loss(train: torch.Tensor, windows: torch.Tensor, vocab: int) -> float:
    """Mean cross-entropy (nats per token) of the bigram model on the same positions the
    transformer is scored on: every token of a window after its first."""
    logp = bigram_log_probs(train, vocab)
    return float(-logp[windows[:, :-1], windows[:, 1:]].mean())


def unigram_loss(train: torch.Tensor, windows: torch.Tensor, vocab: int) -> float:
    counts = torch.bincount(train, minlength=vocab).double() + 0.1
    logp = (counts / counts.sum()).log()
    return float(-logp[windows[:, 1:]].mean())


@torch.no_grad()
def held_out_loss(model, windows: torch.Tensor, batch: int = 32) -> float:
    """Mean next-token cross-entropy on held-out windows (nats per token)."""
    was = model.training
    if was:  # a shared model stays in eval mode and is never written to
        model.eval()
    total, count = 0.0, 0
    try:
        for i in range(0, len(windows), batch):
            w = windows[i:i + batch]
            out = model(input_ids=w[:, :-1])
            logp = torch.log_softmax(out.logits.float(), dim=-1)  # (B, T, vocab)
            total += float(-logp.gather(-1, w[:, 1:, None]).sum())
            count += w[:, 1:].numel()
    finally:
        if was:
            model.train()
    return total / count


# -- the loop ------------------------------------------------------------------------------


def lr_at(step: int, total: int, peak: float, warmup: int) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))


class PretrainRun:
    """One pre-training run, one optimizer step per :meth:`step` call (a background thread
    calls it; the page reads ``history`` between steps)."""

    def __init__(self, model, tokenizer, config: PretrainConfig, prompts=PROMPTS):
        self.model, self.tokenizer, self.config, self.prompts = model, tokenizer, config, tuple(prompts)
        self.train_ids, held = streams(tokenizer)
        self.windows = eval_windows(held, config.eval_windows, config.seq_len)
        self.generator = torch.Generator().manual_seed(config.seed)
        decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
        no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
        self.optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": config.weight_decay},
                                            {"params": no_decay, "weight_decay": 0.0}],
                                           lr=config.lr, betas=(0.9, 0.95))
        self.step_count = 0
        self.history = History()
        self.model.train()
        self._evaluate()  # step 0: the random model

    @property
    def total(self) -> int:
        return self.config.steps

    @property
    def done(self) -> bool:
        return self.step_count >= self.config.steps

    def batch(self) -> torch.Tensor:
        c = self.config
        starts = torch.randint(0, len(self.train_ids) - c.seq_len - 1, (c.batch_size,), generator=self.generator)
        return torch.stack([self.train_ids[s:s + c.seq_len + 1] for s in starts.tolist()])  # (B, T + 1)

    def step(self) -> float:
        c = self.config
        start = time.perf_counter()
        for group in self.optimizer.param_groups:
            group["lr"] = lr_at(self.step_count, c.steps, c.lr, c.warmup)
        ids = self.batch()
        # the model shifts labels itself: logits at i are scored against labels at i + 1
        loss = self.model(input_ids=ids, labels=ids).loss
        self.step_count += 1
        optimizer_step(self.model, self.optimizer, loss, self.history, self.step_count, start)
        if self.step_count % c.eval_every == 0 or c.samples_at(self.step_count) or self.done:
            self._evaluate()
        return self.history.loss[-1]

    def _evaluate(self) -> None:
        c, h = self.config, self.history
        if not h.eval_steps or h.eval_steps[-1] != self.step_count:
            h.eval_steps.append(self.step_count)
            h.eval_loss.append(held_out_loss(self.model, self.windows))
        if c.samples_at(self.step_count):
            h.samples[self.step_count] = samples(self.model, self.tokenizer, self.prompts, seed=c.seed)


def samples(model, tokenizer, prompts, seed: int = 0, max_new_tokens: int = 24) -> list[str]:
    """One continuation per prompt, sampled at temperature 0.8 with a seed per prompt."""
    return [generate(model, tokenizer, p, max_new_tokens, temperature=0.8, seed=seed + i, stop_at_end=True)[0]
            for i, p in enumerate(prompts)]


def measure_flops(model, tokenizer, config: PretrainConfig = PretrainConfig(), steps: int = 2) -> float:
    """This machine's training speed for the tiny model, in FLOP/s (≈ 6 × parameters ×
    tokens per second), timed over ``steps`` optimizer steps after one warm-up step, on a
    throw-away model (the caller passes a fresh one)."""
    from playground.chatmodel.model import n_parameters

    generator = torch.Generator().manual_seed(config.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr)
    model.train()
    seconds = 0.0
    for i in range(steps + 1):
        # the speed does not depend on which tokens: random ones spare tokenizing the corpus
        ids = torch.randint(0, len(tokenizer), (config.batch_size, config.seq_len + 1), generator=generator)
        start = time.perf_counter()
        model(input_ids=ids, labels=ids).loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if i:  # the first step warms up
            seconds += time.perf_counter() - start
    tokens = steps * config.batch_size * (config.seq_len + 1)
    return 6.0 * n_parameters(model) * tokens / seconds
