"""How far is a lower precision from fp32? Measured on a real text, position by position.

bf16 keeps fp32's range but only 8 bits of mantissa (about 3 significant digits), so
every weight and activation is rounded. What matters to a user is the next-token
distribution that comes out, so we compare it at every position of a text:

* **top-1 agreement**: the share of positions where both pick the same most likely token;
* **mean KL**: ``KL(p_fp32 || p_other) = Σ_i p_i (log p_i - log q_i)``, in nats, averaged
  over positions (0 = identical distributions);
* **largest probability difference**: ``max_i |p_i - q_i|`` over every token and position.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

ARTICLE = Path(__file__).resolve().parents[2] / "assets" / "texts" / "lighthouses.txt"  # written by the project


@dataclass(frozen=True)
class PrecisionAgreement:
    reference: str  # e.g. "float32"
    other: str  # e.g. "bfloat16"
    positions: int
    top1_agreement: float  # 0..1
    mean_kl: float  # nats
    max_prob_diff: float

    def describe(self) -> str:
        return (f"{self.other} vs {self.reference} over {self.positions:,} positions: same top token at "
                f"{self.top1_agreement:.1%}, mean KL {self.mean_kl:.4f} nats, largest probability "
                f"difference {self.max_prob_diff:.3f}")


def article_ids(lm, max_tokens: int = 1024) -> list[int]:
    """The project's English article as token ids (raw text, at most ``max_tokens``)."""
    return lm.encode(ARTICLE.read_text(), mode="raw", check_length=False)[:max_tokens]


def _all_logits(lm, ids: list[int]) -> torch.Tensor:
    """The logits the app works with at every position (the head in float32)."""
    with lm._guarded(), torch.inference_mode():
        hidden = lm.model.base_model(input_ids=torch.tensor([ids], device=lm.device)).last_hidden_state[0]
        return lm.logits_from_hidden(hidden).cpu()  # (T, V)


def compare(reference, other, ids: list[int]) -> PrecisionAgreement:
    """Next-token distributions of two loaded copies of one model on the same ids."""
    p_log = torch.log_softmax(_all_logits(reference, ids), dim=-1)  # (T, V)
    q_log = torch.log_softmax(_all_logits(other, ids), dim=-1)
    p = p_log.exp()
    kl = (p * (p_log - q_log)).sum(-1)  # (T,)
    same = (p_log.argmax(-1) == q_log.argmax(-1)).float()
    return PrecisionAgreement(reference.precision, other.precision, len(ids), float(same.mean()),
                              float(kl.mean()), float((p - q_log.exp()).abs().max()))
