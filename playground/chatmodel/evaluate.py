"""What each stage changed, measured on held-out data: the figures the page shows (for the
shipped checkpoints, computed by build.py; for a session's own runs, the same functions)."""

from __future__ import annotations

import copy
import math

from playground.chatmodel import corpus, dpo, pretrain, sft

SAMPLED_ANSWERS = 8  # sampled answers per held-out instruction for the rude share


def frozen(model):
    """A copy that does not train (the DPO reference, a "before" model)."""
    ref = copy.deepcopy(model)
    ref.eval()
    for p in ref.parameters():
        p.requires_grad_(False)
    return ref


def pretrain_figures(model, tokenizer, config: pretrain.PretrainConfig) -> dict:
    train_ids, held = pretrain.streams(tokenizer)
    windows = pretrain.eval_windows(held, config.eval_windows, config.seq_len)
    loss = pretrain.held_out_loss(model, windows)
    bigram = pretrain.bigram_loss(train_ids, windows, len(tokenizer))
    unigram = pretrain.unigram_loss(train_ids, windows, len(tokenizer))
    return {"held_out_loss": loss, "perplexity": math.exp(loss), "bigram_loss": bigram,
            "bigram_perplexity": math.exp(bigram), "unigram_loss": unigram, "unigram_perplexity": math.exp(unigram),
            "train_tokens": len(train_ids), "held_tokens": int(windows[:, 1:].numel()),
            "tokens_seen": config.steps * config.batch_size * config.seq_len}


def held_answers(model, tokenizer, examples=None, temperature: float = 0.0, per: int = 1) -> list[sft.Answer]:
    examples = corpus.instruction_examples()[1] if examples is None else examples
    return [sft.answer(model, tokenizer, e.prompt, temperature=temperature, seed=s)
            for e in examples for s in range(per)]


def _answers_dict(answers: list[sft.Answer]) -> list[dict]:
    return [{"instruction": a.instruction, "text": a.text, "ended": a.ended} for a in answers]


def sft_figures(before_model, after_model, tokenizer) -> dict:
    examples = corpus.instruction_examples()[1]
    before = held_answers(before_model, tokenizer, examples)
    after = held_answers(after_model, tokenizer, examples)
    return {"format_before": sft.format_rate(before), "format_after": sft.format_rate(after),
            "right_before": sum(sft.is_right(e, a.text) for e, a in zip(examples, before)) / len(examples),
            "right_after": sum(sft.is_right(e, a.text) for e, a in zip(examples, after)) / len(examples),
            "answers_before": _answers_dict(before), "answers_after": _answers_dict(after)}


def rude_share(model, tokenizer, examples=None) -> float:
    """Share of rude answers among seeded samples at temperature 1 (SAMPLED_ANSWERS per instruction)."""
    answers = held_answers(model, tokenizer, examples, temperature=1.0, per=SAMPLED_ANSWERS)
    return sum(a.rude for a in answers) / len(answers)


def dpo_figures(before_model, after_model, tokenizer) -> dict:
    held = corpus.preference_pairs()[1]
    examples = corpus.instruction_examples()[1]
    before, after = held_answers(before_model, tokenizer, examples), held_answers(after_model, tokenizer, examples)
    return {"margin_before": dpo.logprob_margin(before_model, tokenizer, held),
            "margin_after": dpo.logprob_margin(after_model, tokenizer, held),
            "kl_after": dpo.kl_to_reference(after_model, before_model, tokenizer, held),
            "rude_before": rude_share(before_model, tokenizer, examples),
            "rude_after": rude_share(after_model, tokenizer, examples),
            "format_before": sft.format_rate(before), "format_after": sft.format_rate(after),
            "answers_before": _answers_dict(before), "answers_after": _answers_dict(after)}


def flops_per_second(n_params: int, tokens: int, seconds: float) -> float:
    """Training FLOP/s by the usual estimate: 6 × parameters × tokens (2 for the forward
    pass, 4 for the backward) per second of training."""
    return 6.0 * n_params * tokens / max(seconds, 1e-9)


def stage_tokens(tokenizer, report: dict) -> dict[str, int]:
    """Tokens each shipped stage trained on (the policy's tokens, padding not counted):
    pre-training steps × batch × length; fine-tuning steps × batch × the mean pair length;
    DPO steps × batch × the mean length of a pair's chosen plus rejected sequence."""
    pre, tune, pref = report["pretrain"]["config"], report["sft"]["config"], report["dpo"]["config"]
    pairs = corpus.sft_pairs()
    mean_sft = sum(len(sft.encode_pair(tokenizer, q, a)[0]) for q, a in pairs) / len(pairs)
    prefs = corpus.preference_pairs()[0]
    mean_dpo = sum(len(dpo.answer_ids(tokenizer, p.prompt, p.chosen)[0])
                   + len(dpo.answer_ids(tokenizer, p.prompt, p.rejected)[0]) for p in prefs) / len(prefs)
    return {"pretrain": pre["steps"] * pre["batch_size"] * pre["seq_len"],
            "sft": int(mean_sft * tune["steps"] * tune["batch_size"]),
            "dpo": int(mean_dpo * pref["steps"] * pref["batch_size"])}
