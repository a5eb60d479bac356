"""Stage 2, supervised fine-tuning (SFT): the same next-token loss, on chat-formatted
instruction / answer pairs, counted on the answers only.

Each example is the chat template's text (SmolLM2's ChatML)::

    <|im_start|>user\\nWhat does a cow eat?<|im_end|>\\n<|im_start|>assistant\\nA cow eats grass.<|im_end|>

The model reads all of it, but only the answer's tokens (and its closing ``<|im_end|>``)
are scored: the labels of the prompt's tokens are -100, which the loss ignores. So the
model learns to *answer* (and to stop), not to write questions. A plain torch loop, for
the reason given in :mod:`.pretrain` (Trainer reseeds the process's random generators);
trl's ``SFTTrainer`` with ``assistant_only_loss`` computes the same loss.

Steps: 1. shuffle the pairs with the run's own generator, every epoch; 2. pad a batch on
the right; labels = the tokens where the mask is 1, else -100; 3. forward, loss, backward,
AdamW (constant learning rate after a short warm-up); 4. every ``eval_every`` steps, the
loss on held-out pairs (questions whose template and subject never appear in training).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from playground.chatmodel import corpus
from playground.chatmodel.generate import generate
from playground.chatmodel.pretrain import History, optimizer_step
from playground.chatmodel.tokenizer import chat_prompt

IGNORE = -100


@dataclass(frozen=True)
class SFTConfig:
    steps: int = 120
    batch_size: int = 16
    lr: float = 1e-3
    warmup: int = 20
    eval_every: int = 25
    seed: int = 0


def encode_pair(tokenizer, instruction: str, answer: str) -> tuple[list[int], list[int]]:
    """(token ids, mask): mask 1 on the answer's tokens and its end token, 0 on the prompt."""
    prompt = chat_prompt(tokenizer, instruction)
    p = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    a = tokenizer(answer + "<|im_end|>", add_special_tokens=False)["input_ids"]
    return p + a, [0] * len(p) + [1] * len(a)


def collate(rows: list[tuple[list[int], list[int]]], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-padded input_ids, attention_mask and labels (-100 where not counted)."""
    width = max(len(ids) for ids, _ in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), width), IGNORE, dtype=torch.long)
    attention = torch.zeros((len(rows), width), dtype=torch.long)
    for i, (row, mask) in enumerate(rows):
        n = len(row)
        ids[i, :n] = torch.tensor(row)
        attention[i, :n] = 1
        labels[i, :n] = torch.where(torch.tensor(mask) == 1, torch.tensor(row), IGNORE)
    return {"input_ids": ids, "attention_mask": attention, "labels": labels}


@torch.no_grad()
def answer_loss(model, rows, pad_id: int, batch: int = 32) -> float:
    """Mean cross-entropy per answer token."""
    was = model.training
    if was:  # a shared model stays in eval mode and is never written to
        model.eval()
    total, count = 0.0, 0
    try:
        for i in range(0, len(rows), batch):
            b = collate(rows[i:i + batch], pad_id)
            logits = model(input_ids=b["input_ids"], attention_mask=b["attention_mask"]).logits.float()
            labels = b["labels"][:, 1:]  # the logits at i score token i + 1
            logp = torch.log_softmax(logits[:, :-1], dim=-1)
            keep = labels != IGNORE
            total += float(-logp.gather(-1, labels.clamp(min=0)[..., None])[..., 0][keep].sum())
            count += int(keep.sum())
    finally:
        if was:
            model.train()
    return total / max(count, 1)


class SFTRun:
    """One fine-tuning run, one optimizer step per :meth:`step`."""

    def __init__(self, model, tokenizer, config: SFTConfig, pairs=None, held=None):
        self.model, self.tokenizer, self.config = model, tokenizer, config
        self.pad_id = tokenizer.pad_token_id
        pairs = corpus.sft_pairs() if pairs is None else pairs
        held = [(e.prompt, e.answer) for e in corpus.instruction_examples()[1]] if held is None else held
        self.rows = [encode_pair(tokenizer, q, a) for q, a in pairs]
        self.held_rows = [encode_pair(tokenizer, q, a) for q, a in held]
        self.generator = torch.Generator().manual_seed(config.seed)
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.0)
        self.order: list[int] = []
        self.step_count = 0
        self.history = History()
        self.model.train()
        self._evaluate()

    @property
    def total(self) -> int:
        return self.config.steps

    @property
    def done(self) -> bool:
        return self.step_count >= self.config.steps

    def batch(self) -> dict[str, torch.Tensor]:
        if len(self.order) < self.config.batch_size:  # a new epoch: a fresh seeded shuffle
            self.order += torch.randperm(len(self.rows), generator=self.generator).tolist()
        take, self.order = self.order[:self.config.batch_size], self.order[self.config.batch_size:]
        return collate([self.rows[i] for i in take], self.pad_id)

    def step(self) -> float:
        c = self.config
        start = time.perf_counter()
        for group in self.optimizer.param_groups:
            group["lr"] = c.lr * min(1.0, (self.step_count + 1) / c.warmup)
        loss = self.model(**self.batch()).loss  # labels -100 on the prompt: answers only
        self.step_count += 1
        optimizer_step(self.model, self.optimizer, loss, self.history, self.step_count, start)
        if self.step_count % c.eval_every == 0 or self.done:
            self._evaluate()
        return self.history.loss[-1]

    def _evaluate(self) -> None:
        self.history.eval_steps.append(self.step_count)
        self.history.eval_loss.append(answer_loss(self.model, self.held_rows, self.pad_id))


# -- what the page and the tests measure --------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    instruction: str
    text: str
    ended: bool  # the model closed its answer with <|im_end|>

    @property
    def follows_format(self) -> bool:
        """An assistant's answer: some text, no new turn started, closed by the end token."""
        return self.ended and bool(self.text.strip()) and "<|im_start|>" not in self.text

    @property
    def rude(self) -> bool:
        return corpus.is_rude(self.text)


def answer(model, tokenizer, instruction: str, max_new_tokens: int = 48, temperature: float = 0.0,
           seed: int = 0) -> Answer:
    text, ended = generate(model, tokenizer, chat_prompt(tokenizer, instruction), max_new_tokens,
                           temperature=temperature, seed=seed)
    return Answer(instruction, text, ended)


def is_right(example: corpus.Example, text: str) -> bool:
    """The polite, right answer (word for word, except stories: about the right person)."""
    text = text.strip()
    if example.kind == "story":
        return example.subject in text and not corpus.is_rude(text) and text.endswith(".")
    return text == example.answer


def format_rate(answers: list[Answer]) -> float:
    return sum(a.follows_format for a in answers) / max(len(answers), 1)


def token_mask_view(tokenizer, instruction: str, answer_text: str) -> list[tuple[str, bool]]:
    """(token as text, counted in the loss) for one example: what the page colours."""
    ids, mask = encode_pair(tokenizer, instruction, answer_text)
    return [(tokenizer.decode([i]), bool(m)) for i, m in zip(ids, mask)]
