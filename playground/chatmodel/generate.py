"""Text from the tiny model: greedy or seeded sampling, token by token, with its own
``torch.Generator`` (``model.generate`` samples from torch's global generator, which every
session of the server shares)."""

from __future__ import annotations

import torch


@torch.no_grad()
def generate(model, tokenizer, prompt: str, max_new_tokens: int = 40, temperature: float = 0.0,
             seed: int = 0, stop_at_end: bool = True) -> tuple[str, bool]:
    """(the new text, whether the model ended it with the chat end token ``<|im_end|>``).
    Generation also stops at ``<|endoftext|>`` (the end of a pre-training story), which
    does not count as ending a chat answer.

    temperature 0: the most likely token each step; otherwise a draw from
    softmax(logits / T) with ``torch.Generator().manual_seed(seed)``."""
    ids = tokenizer(prompt, return_tensors="pt")["input_ids"]
    limit = model.config.max_position_embeddings
    ids = ids[:, -(limit - max_new_tokens):] if ids.shape[1] + max_new_tokens > limit else ids
    generator = torch.Generator().manual_seed(int(seed))
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    end_ids = {im_end, tokenizer.convert_tokens_to_ids("<|endoftext|>")}
    was_training = model.training
    if was_training:  # a shared model is always in eval mode and is never written to
        model.eval()
    out: list[int] = []
    ended = False
    past = None
    step_ids = ids
    try:
        for _ in range(max_new_tokens):
            result = model(input_ids=step_ids, past_key_values=past, use_cache=True)
            past = result.past_key_values
            logits = result.logits[0, -1].float()  # (vocab,)
            if temperature <= 0:
                token = int(logits.argmax())
            else:
                probs = torch.softmax(logits / temperature, dim=-1)
                token = int(torch.multinomial(probs, 1, generator=generator))
            if stop_at_end and token in end_ids:
                ended = token == im_end
                break
            out.append(token)
            step_ids = torch.tensor([[token]])
    finally:
        if was_training:
            model.train()
    return tokenizer.decode(out, skip_special_tokens=False), ended
