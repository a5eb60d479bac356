"""The same three stages at scale: SmolLM2-135M beside the tiny model.

Training compute by the usual estimate C ≈ 6 × N × D (N parameters, D tokens trained on:
2 FLOPs per weight per token forward, 4 backward; Kaplan et al. 2020), and the time each
would take on this machine at the tiny model's measured FLOP/s.

Where SmolLM2's figures come from (public, not measured here):

* parameters: 135 M (the model card, HuggingFaceTB/SmolLM2-135M; the page also counts the
  loaded model's weights);
* pre-training: 2 trillion tokens ("The 135M model was trained on 2 trillion tokens",
  the same model card);
* fine-tuning: the smol-smoltalk conversations (the model card names them; its dataset
  card gives the size class 100 K-1 M conversations and no token count, so no compute is
  estimated for this stage);
* preference tuning: DPO on UltraFeedback (the model card), whose binarized preference
  split has about 61 thousand pairs (HuggingFaceH4/ultrafeedback_binarized), for 2 epochs
  (the checkpoint's original name in the model repository, ``smollm2-135M-8k-lc100k-dpo-ultaf-ep2``).
"""

from __future__ import annotations

from dataclasses import dataclass

SMOL_PARAMS = 135_000_000
SMOL_PRETRAIN_TOKENS = 2_000_000_000_000
SMOL_DPO_PAIRS = 61_000
SMOL_DPO_EPOCHS = 2
SOURCES = {
    "pretrain": "model card of HuggingFaceTB/SmolLM2-135M: 2 trillion tokens",
    "sft": "model card: smol-smoltalk; dataset card: 100 K-1 M conversations (no token count published)",
    "dpo": "model card: UltraFeedback; HuggingFaceH4/ultrafeedback_binarized: about 61 thousand pairs, 2 epochs",
}


@dataclass(frozen=True)
class StageScale:
    stage: str
    tiny_data: str
    tiny_tokens: int
    smol_data: str
    smol_tokens: int | None  # None: not published

    def compute(self, params: int, tokens: int | None) -> float | None:
        return None if tokens is None else 6.0 * params * tokens


def seconds_at(flops: float | None, flops_per_s: float) -> float | None:
    return None if flops is None or flops_per_s <= 0 else flops / flops_per_s


def human_time(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    for unit, size in (("years", 365.25 * 86400), ("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            return f"{seconds / size:,.1f} {unit}"
    return f"{seconds:,.1f} s"


def human_number(x: float | None) -> str:
    if x is None:
        return "–"
    for suffix, size in (("×10²¹", 1e21), ("×10¹⁸", 1e18), ("×10¹⁵", 1e15), ("×10¹²", 1e12), ("×10⁹", 1e9),
                         ("×10⁶", 1e6)):
        if x >= size:
            return f"{x / size:,.1f} {suffix}"
    return f"{x:,.0f}"
