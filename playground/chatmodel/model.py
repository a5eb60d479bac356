"""The tiny chat model: SmolLM2's architecture (LlamaForCausalLM) at a few million weights.

Same family as the app's default LLM (rotary positions, grouped-query attention, SwiGLU
MLP, RMSNorm, tied input/output embeddings); only the sizes differ (SmolLM2-135M: 30
layers, hidden size 576, 9 heads sharing 3 key/value heads, 49,152 tokens).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from transformers import LlamaConfig, LlamaForCausalLM

from playground import seeding


@dataclass(frozen=True)
class TinyConfig:
    vocab_size: int = 1024
    hidden_size: int = 192
    intermediate_size: int = 512
    num_hidden_layers: int = 4
    num_attention_heads: int = 6
    num_key_value_heads: int = 2
    max_position_embeddings: int = 256
    rope_theta: float = 10000.0

    def llama(self, bos: int, eos: int, pad: int) -> LlamaConfig:
        return LlamaConfig(**asdict(self), tie_word_embeddings=True, bos_token_id=bos, eos_token_id=eos,
                           pad_token_id=pad, attention_dropout=0.0, rms_norm_eps=1e-5)


def build(config: LlamaConfig, seed: int) -> LlamaForCausalLM:
    """A freshly initialised model; its weights come from ``seed`` alone (torch's global
    random generator is not used: see playground/seeding.py)."""
    model = seeding.build(lambda: LlamaForCausalLM(config), seed)
    model.generation_config.pad_token_id = config.pad_token_id
    model.generation_config.eos_token_id = config.eos_token_id
    return model


def from_state(config: LlamaConfig, state: dict) -> LlamaForCausalLM:
    """A model holding saved weights. Its throw-away initial values come from a fixed seed
    (not torch's global generator); the rotary tables are buffers computed from the config."""
    model = seeding.build(lambda: LlamaForCausalLM(config), 0)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or set(missing) - {"lm_head.weight"}:
        raise ValueError(f"the saved weights do not fit the model: missing {missing}, unexpected {unexpected}")
    model.tie_weights()
    model.generation_config.pad_token_id = config.pad_token_id
    model.generation_config.eos_token_id = config.eos_token_id
    return model


def n_parameters(model) -> int:
    """Distinct weights (the tied output layer counted once)."""
    seen = {}
    for p in model.parameters():
        seen[p.data_ptr()] = p.numel()
    return sum(seen.values())
