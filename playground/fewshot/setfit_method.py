"""SetFit (Tunstall et al. 2022): fine-tune a small sentence embedder contrastively, then
fit logistic regression on its embeddings.

1. **Pairs.** From the labelled examples, pairs of texts: same label -> target similarity
   1, different labels -> 0 (setfit's ``ContrastiveDataset``: ``num_iterations`` positive
   and as many negative pairs per example).
2. **Contrastive fine-tuning of MiniLM** (all 22.7M weights): for a pair (a, b) the loss is
   ``(cos(e_a, e_b) - target)^2`` (sentence-transformers' ``CosineSimilarityLoss``, the one
   SetFit uses), AdamW with linear warm-up and decay. Texts of one label move together in
   embedding space, texts of different labels apart.
3. **Head.** Logistic regression on the fine-tuned embeddings (setfit's ``SetFitModel.fit``).

What comes from the ``setfit`` package (1.2.0, installed beside transformers 5.23):
the model (``SetFitModel``: the sentence-transformers body, the scikit-learn head,
``predict``), the pair sampler and the head fit. What is written here: the short loop of
step 2, because setfit's ``Trainer`` calls ``transformers.set_seed`` (which seeds torch's
process-wide generator, shared by every session of the server) and saves checkpoints
to the working directory. Here every random draw has its own seed (the order of the
examples and the batches: numpy generators), dropout is off, and nothing is written to
disk, so the same seed gives the same model even while other sessions train.

Every run loads its own copy of MiniLM from the package folder (about 90 MB in fp32,
under a second): the shared embedder is never trained.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from playground.threads import one_thread

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class SetFitConfig:
    iterations: int = 5  # positive and negative pairs per example (setfit's num_iterations; its default is 20)
    epochs: int = 1
    batch_size: int = 16
    learning_rate: float = 2e-5  # setfit's body_learning_rate
    warmup: float = 0.1  # share of the steps with a rising learning rate


@dataclass
class SetFitFit:
    model: object  # setfit.SetFitModel
    steps: int
    losses: list[float]  # per step

    def predict(self, texts: list[str]) -> np.ndarray:
        with one_thread(), torch.inference_mode():
            return np.asarray(self.model.predict(texts, show_progress_bar=False), dtype=int)

    @property
    def trainable(self) -> int:
        body = sum(p.numel() for p in self.model.model_body.parameters())
        head = self.model.model_head
        return int(body + head.coef_.size + head.intercept_.size)

    @property
    def total(self) -> int:
        return self.trainable


MISSING = ("SetFit needs the `setfit` package (1.2.0, with sentence-transformers), which is not installed "
           "here: `pip install setfit==1.2.0`. The other methods work without it.")


def available() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in ("setfit", "sentence_transformers"))


def load_model():
    """A fresh SetFitModel on the embedded MiniLM, fp32, on the CPU (a session's own copy)."""
    if not available():
        from playground.errors import UserInputError

        raise UserInputError(MISSING)
    from setfit import SetFitModel

    from playground.models.embedder import embedded_model_dir

    quiet = logging.getLogger("setfit")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # "model_head.pkl not found ... random weights": we fit the head below
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            model = SetFitModel.from_pretrained(str(embedded_model_dir()), local_files_only=True, device="cpu",
                                                head_params={"max_iter": 1000})
    finally:
        quiet.setLevel(level)
    return model


def pairs(texts: list[str], labels: list[int], iterations: int, seed: int) -> list[dict]:
    """setfit's contrastive pairs, in an order of our own seed."""
    from setfit.sampler import ContrastiveDataset

    rng = np.random.default_rng(seed)
    order = rng.permutation(len(texts))  # the sampler's own shuffle is fixed (seed 42); vary its input
    data = ContrastiveDataset([texts[i] for i in order], [int(labels[i]) for i in order], multilabel=False,
                              num_iterations=iterations)
    out = list(data)
    return [out[i] for i in rng.permutation(len(out))]


def train(texts: list[str], labels: list[int], config: SetFitConfig, seed: int,
          progress: Progress | None = None) -> SetFitFit:
    """Fine-tune a copy of MiniLM on the pairs, then fit the head. One CPU thread."""
    progress = progress or (lambda fraction, text: None)
    model = load_model()  # first: a clear message when setfit is missing
    from sentence_transformers.sentence_transformer.losses import CosineSimilarityLoss
    from transformers import get_linear_schedule_with_warmup

    with one_thread():
        body = model.model_body
        body.eval()  # dropout off: the same seed gives the same model
        loss_fn = CosineSimilarityLoss(body)
        examples = pairs(texts, labels, config.iterations, seed)
        batches = [examples[i:i + config.batch_size] for i in range(0, len(examples), config.batch_size)]
        steps = len(batches) * config.epochs
        optimizer = torch.optim.AdamW(body.parameters(), lr=config.learning_rate)
        schedule = get_linear_schedule_with_warmup(optimizer, int(config.warmup * steps), steps)
        losses: list[float] = []
        rng = np.random.default_rng([seed, 2])
        step = 0
        for epoch in range(config.epochs):
            for b in rng.permutation(len(batches)) if epoch else range(len(batches)):
                batch = batches[b]
                a = body(body.preprocess([p["sentence_1"] for p in batch]))["sentence_embedding"]  # (B, 384)
                c = body(body.preprocess([p["sentence_2"] for p in batch]))["sentence_embedding"]  # (B, 384)
                target = torch.tensor([p["label"] for p in batch])
                loss = loss_fn.compute_loss_from_embeddings([a, c], target)  # mean (cos(a, c) - target)^2
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                schedule.step()
                losses.append(float(loss.detach()))
                step += 1
                progress(step / (steps + 1), f"Contrastive step {step}/{steps} · pair loss {losses[-1]:.3f}")
        progress(steps / (steps + 1), "Fitting the logistic-regression head")
        model.fit(list(texts), [int(y) for y in labels], num_epochs=1, show_progress_bar=False)
        progress(1.0, "Trained")
    return SetFitFit(model, steps, losses)


def steps_for(n_examples: int, config: SetFitConfig) -> int:
    """How many contrastive steps a run takes (2 x iterations pairs per example)."""
    n_pairs = 2 * config.iterations * n_examples
    return -(-n_pairs // config.batch_size) * config.epochs
