"""Fine-tuning the language model as a classifier: the head only, LoRA, or every weight.

The classifier is what transformers' ``LlamaForSequenceClassification`` is: the LLM's
body (SmolLM2-135M without its vocabulary head), then one linear layer, the *head*,
from the last real token's hidden state (576 numbers) to one score per label, trained
with cross-entropy. Three ways to train it, from cheapest to dearest:

1. **Head only.** The body stays frozen, so its last-token states never change: they are
   computed once (by the shared model, read-only) and only the head learns, 576 x labels
   weights.
2. **LoRA** (Hu et al. 2021, with ``peft``). Every chosen weight matrix W (d_out x d_in)
   stays frozen and gains a low-rank update: ``W x + (alpha / r) B A x`` with A (r x d_in)
   random and B (d_out x r) zero at the start, so training starts from the model as it
   is. Only A, B and the head learn: r (d_in + d_out) weights per matrix.
3. **Full fine-tuning.** Every weight of the body and the head learns (135M).

Fine-tuning never touches the shared model. ``peft`` injects its adapters into the model
it is given, in place, so LoRA and full fine-tuning work on this session's own copy of
the body (``copy.deepcopy`` taken during the model's turn in its queue, then converted to
fp32 for training) and the copy is dropped after the run. Every random draw has its own
seed: the head's and LoRA's initial weights (``playground.seeding.build``) and the order
of the batches (a numpy generator); nothing in these models drops out at random.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from playground import seeding
from playground.errors import UserInputError
from playground.threads import one_thread

Progress = Callable[[float, str], None]
METHODS = ("head", "lora", "full")
DEFAULT_LR = {"head": 3e-3, "lora": 2e-3, "full": 1e-4}
DEFAULT_EPOCHS = {"head": 40, "lora": 4, "full": 3}
MAX_TOKENS = 48  # tokens of a text the classifier reads (customer messages are ~15)


@dataclass(frozen=True)
class FinetuneConfig:
    method: str = "lora"  # "head" | "lora" | "full"
    epochs: int = 4
    batch_size: int = 8
    learning_rate: float = 2e-3
    lora_r: int = 8
    lora_alpha: int = 16
    lora_targets: tuple[str, ...] = ("q_proj", "v_proj")

    @staticmethod
    def default(method: str, **changes) -> FinetuneConfig:
        values = {"method": method, "epochs": DEFAULT_EPOCHS[method], "learning_rate": DEFAULT_LR[method]}
        values.update(changes)
        return FinetuneConfig(**values)


@dataclass(frozen=True)
class Curves:
    """Per epoch: mean training loss over its batches, validation loss and accuracy after it."""

    train_loss: tuple[float, ...] = ()
    val_loss: tuple[float, ...] = ()
    val_accuracy: tuple[float, ...] = ()

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def best_epoch(self) -> int:
        """1-based epoch of the lowest validation loss."""
        return int(np.argmin(self.val_loss)) + 1 if self.val_loss else 0


@dataclass
class FinetuneFit:
    config: FinetuneConfig
    predictions: np.ndarray  # (n_test,)
    curves: Curves
    trainable: int
    total: int
    peft_report: tuple[int, int] | None = None  # peft's own (trainable, all) count, LoRA only
    steps: int = 0
    train_s: float = 0.0  # LoRA / full: training, measured inside (the copy is dropped after the test)
    test_s: float = 0.0  # LoRA / full: predicting the test set
    head: nn.Module | None = None  # head only: the trained head (predict with predict_head)


# ---------------------------------------------------------------------------
# The classifier
# ---------------------------------------------------------------------------


class SequenceClassifier(nn.Module):
    """body -> last real token's hidden state -> linear head (no bias, as in transformers)."""

    def __init__(self, body: nn.Module, hidden: int, n_labels: int):
        super().__init__()
        self.body = body
        self.head = nn.Linear(hidden, n_labels, bias=False)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                position_ids: torch.Tensor) -> torch.Tensor:
        device = self.head.weight.device  # the session's copy sits where the shared model does (CPU or GPU)
        input_ids, attention_mask, position_ids = (t.to(device) for t in (input_ids, attention_mask, position_ids))
        hidden = self.body(input_ids=input_ids, attention_mask=attention_mask,
                           position_ids=position_ids).last_hidden_state  # (B, T, H)
        last = attention_mask.sum(1) - 1  # (B,) right padding: each row's last real token
        return self.head(hidden[torch.arange(hidden.shape[0]), last])  # (B, labels)


def new_head(hidden: int, n_labels: int, seed: int) -> nn.Linear:
    """The head, initialised as transformers does (normal, std 0.02), from its own generator."""
    head = nn.Linear(hidden, n_labels, bias=False)
    with torch.no_grad():
        head.weight.normal_(0.0, 0.02, generator=torch.Generator().manual_seed(int(seed)))
    return head


def body_copy(lm) -> nn.Module:
    """This session's own fp32 copy of the shared model's body (the vocabulary head is not
    needed). Copied while holding the model's turn, so no other request runs meanwhile;
    the shared model is only read."""
    with lm._guarded():
        body = copy.deepcopy(lm.model.base_model)
    body = body.float()
    body.config.use_cache = False
    return body


def linear_names(model: nn.Module) -> list[str]:
    """The names of the body's linear layers that LoRA can target (q_proj, v_proj, ...)."""
    base = getattr(model, "base_model", model)
    return sorted({name.rsplit(".", 1)[-1] for name, m in base.named_modules() if isinstance(m, nn.Linear)})


def lora_parameter_count(body: nn.Module, r: int, targets: Sequence[str]) -> int:
    """r (d_in + d_out) for every linear layer of the body whose name is a target."""
    total = 0
    for name, module in body.named_modules():
        if isinstance(module, nn.Linear) and name.rsplit(".", 1)[-1] in targets:
            total += r * (module.in_features + module.out_features)
    return total


def hidden_size(lm) -> int:
    return int(lm.model.config.hidden_size)


def body_parameters(lm) -> int:
    return int(sum(p.numel() for p in lm.model.base_model.parameters()))


def expected_trainable(lm, config: FinetuneConfig, n_labels: int) -> int:
    """Trainable weights of a run, known before it starts."""
    head = hidden_size(lm) * n_labels
    if config.method == "head":
        return head
    if config.method == "lora":
        return head + lora_parameter_count(lm.model.base_model, config.lora_r, config.lora_targets)
    return head + body_parameters(lm)


def memory_need_mb(lm, config: FinetuneConfig, n_labels: int) -> float:
    """What a run holds at its peak, estimated: its fp32 copy of the body, a gradient and
    AdamW's two averages per trainable weight, and the activations of one batch kept
    for the backward pass (about 40 numbers per hidden unit, token and layer)."""
    from playground.fewshot.measure import training_memory_mb

    trainable = expected_trainable(lm, config, n_labels)
    if config.method == "head":
        return training_memory_mb(0, trainable) + 1
    layers = int(getattr(lm.model.config, "num_hidden_layers", 30))
    activations = config.batch_size * MAX_TOKENS * hidden_size(lm) * layers * 40 * 4 / 2**20
    return training_memory_mb(body_parameters(lm), trainable) + activations


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


def tokenize(lm, texts: Sequence[str]) -> list[list[int]]:
    with lm._guarded():
        return [list(lm.tokenizer(t, add_special_tokens=False)["input_ids"])[:MAX_TOKENS] or [lm.pad_id]
                for t in texts]


def _batch(lm, rows: Sequence[Sequence[int]]):
    from playground.models.llm.scoring import pad_batch

    ids, mask, positions, _ = pad_batch(rows, lm.pad_id, "right")
    return ids, mask, positions


def _evaluate(model: SequenceClassifier, lm, rows, y: np.ndarray, batch: int = 32) -> tuple[float, np.ndarray]:
    """(mean cross-entropy, predictions) without gradients."""
    losses, preds = [], []
    with torch.inference_mode():
        for start in range(0, len(rows), batch):
            ids, mask, positions = _batch(lm, rows[start:start + batch])
            logits = model(ids, mask, positions)
            target = torch.as_tensor(y[start:start + batch]).to(logits.device)
            losses.append(float(nn.functional.cross_entropy(logits, target, reduction="sum")))
            preds.append(logits.argmax(-1).cpu().numpy())
    return sum(losses) / max(len(rows), 1), np.concatenate(preds)


def _loop(model, params, lm, rows, y, val_rows, val_y, config, seed, progress, head_only=False):
    """Mini-batch AdamW for ``config.epochs`` epochs; validation after every epoch."""
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=0.0)
    rng = np.random.default_rng([seed, 3])
    n = len(rows)
    per_epoch = -(-n // config.batch_size)
    total = per_epoch * config.epochs
    train_losses, val_losses, val_accs = [], [], []
    step = 0
    for epoch in range(config.epochs):
        model.train()
        order = rng.permutation(n)
        epoch_losses = []
        for start in range(0, n, config.batch_size):
            pick = order[start:start + config.batch_size]
            target = torch.as_tensor(y[pick])
            if head_only:
                logits = model(rows[pick])  # rows: (n, hidden) frozen features
            else:
                ids, mask, positions = _batch(lm, [rows[i] for i in pick])
                logits = model(ids, mask, positions)
            loss = nn.functional.cross_entropy(logits, target.to(logits.device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            epoch_losses.append(float(loss.detach()) * len(pick))
            step += 1
            if not head_only or step == total or step % 20 == 0:
                progress(step / (total + 1), f"Epoch {epoch + 1}/{config.epochs} · step {step}/{total} · "
                                             f"loss {float(loss.detach()):.3f}")
        train_losses.append(sum(epoch_losses) / n)
        model.eval()
        if head_only:
            with torch.inference_mode():
                logits = model(val_rows)
                val_loss = float(nn.functional.cross_entropy(logits, torch.as_tensor(val_y)))
                val_pred = logits.argmax(-1).numpy()
        else:
            val_loss, val_pred = _evaluate(model, lm, val_rows, val_y)
        val_losses.append(val_loss)
        val_accs.append(float((val_pred == val_y).mean()))
    return Curves(tuple(train_losses), tuple(val_losses), tuple(val_accs)), step


def train_head(features: np.ndarray, y: np.ndarray, val_features: np.ndarray, val_y: np.ndarray,
               n_labels: int, config: FinetuneConfig, seed: int, progress: Progress | None = None) -> FinetuneFit:
    """Method 1: only the head learns, on the frozen body's last-token states."""
    progress = progress or (lambda fraction, text: None)
    with one_thread():
        head = new_head(features.shape[1], n_labels, seed)
        x = torch.as_tensor(np.asarray(features, dtype=np.float32))
        curves, steps = _loop(head, list(head.parameters()), None, x, np.asarray(y), 
                              torch.as_tensor(np.asarray(val_features, dtype=np.float32)), np.asarray(val_y),
                              config, seed, progress, head_only=True)
    trainable = head.weight.numel()
    progress(1.0, "Trained")
    return FinetuneFit(config, np.zeros(0, dtype=int), curves, trainable, trainable, steps=steps, head=head)


def predict_head(fit: FinetuneFit, features: np.ndarray) -> np.ndarray:
    with one_thread(), torch.inference_mode():
        return fit.head(torch.as_tensor(np.asarray(features, dtype=np.float32))).argmax(-1).numpy()


def build_classifier(lm, config: FinetuneConfig, n_labels: int, seed: int):
    """(model, trainable parameters, peft's (trainable, all) report or None), on a copy."""
    body = body_copy(lm)
    model = SequenceClassifier(body, hidden_size(lm), n_labels)
    model.head = new_head(hidden_size(lm), n_labels, seed)
    if config.method == "full":
        return model, [p for p in model.parameters()], None
    if config.method != "lora":
        raise ValueError(config.method)
    from peft import LoraConfig, get_peft_model

    known = linear_names(body)
    unknown = [t for t in config.lora_targets if t not in known]
    if not config.lora_targets or unknown:
        raise UserInputError(f"LoRA needs target modules among the model's linear layers: {', '.join(known)}"
                             + (f" ({', '.join(unknown)} is not one)." if unknown else "."))
    lora = LoraConfig(r=int(config.lora_r), lora_alpha=int(config.lora_alpha),
                      target_modules=list(config.lora_targets), lora_dropout=0.0, bias="none",
                      modules_to_save=["head"])
    # peft draws A's initial values (Kaiming uniform) as the adapters are injected: seeded here
    peft_model = seeding.build(lambda: get_peft_model(model, lora), seed)
    report = tuple(int(v) for v in peft_model.get_nb_trainable_parameters())
    params = [p for p in peft_model.parameters() if p.requires_grad]
    return peft_model, params, report


def train_copy(lm, texts: Sequence[str], y: np.ndarray, val_texts: Sequence[str], val_y: np.ndarray,
               test_texts: Sequence[str], n_labels: int, config: FinetuneConfig, seed: int,
               progress: Progress | None = None) -> FinetuneFit:
    """Methods 2 and 3 (LoRA, full) on this session's own fp32 copy of the body."""
    progress = progress or (lambda fraction, text: None)
    progress(0.0, "Copying the model (this session's own fp32 copy)")
    rows, val_rows, test_rows = tokenize(lm, texts), tokenize(lm, val_texts), tokenize(lm, test_texts)
    with one_thread():
        start = time.perf_counter()
        model, params, report = build_classifier(lm, config, n_labels, seed)
        total = int(sum(p.numel() for p in model.parameters()))
        trainable = int(sum(p.numel() for p in params))
        curves, steps = _loop(model, params, lm, rows, np.asarray(y), val_rows, np.asarray(val_y), config, seed,
                              progress)
        train_s = time.perf_counter() - start
        progress(steps / (steps + 1), "Predicting the test set")
        model.eval()
        start = time.perf_counter()
        _, predictions = _evaluate(model, lm, test_rows, np.zeros(len(test_rows), dtype=int))
        test_s = time.perf_counter() - start
    del model, params
    progress(1.0, "Trained")
    return FinetuneFit(config, predictions, curves, trainable, total, peft_report=report, steps=steps,
                       train_s=train_s, test_s=test_s)


def steps_for(n_examples: int, config: FinetuneConfig) -> int:
    return -(-n_examples // config.batch_size) * config.epochs
