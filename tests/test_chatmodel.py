"""The chat-model page's logic: the three stages on the tiny model, on the shipped
checkpoints (made by ``python -m playground.chatmodel.build``) and on short live runs."""

from __future__ import annotations

import math
import re
import time

import pytest
import torch
from safetensors.torch import load_file

from playground.chatmodel import corpus, dpo, evaluate, live, pretrain, sft, shipped
from playground.chatmodel.model import n_parameters


@pytest.fixture(scope="module")
def ship():
    return shipped.load()


@pytest.fixture(scope="module")
def tok(ship):
    return ship.tokenizer()


def trainable(model):
    copy = evaluate.frozen(model)
    for p in copy.parameters():
        p.requires_grad_(True)
    copy.train()
    return copy


# -- data and tokenizer -----------------------------------------------------------------------------


def test_the_corpus_is_the_same_every_time_and_held_out_questions_are_new():
    assert corpus.story(__import__("random").Random(3)) == corpus.story(__import__("random").Random(3))
    train, held = corpus.instruction_examples()
    seen = {(e.kind, e.subject) for e in train}
    assert held and not any((e.kind, e.subject) in seen for e in held)
    assert {e.kind for e in held} == set(corpus.KINDS)  # every template is tested
    share = sum(corpus.is_rude(a) for _, a in corpus.sft_pairs()) / len(corpus.sft_pairs())
    assert 0.15 < share < 0.35  # about a quarter rude, as the page says
    pairs, held_pairs = corpus.preference_pairs()
    assert all(not corpus.is_rude(p.chosen) for p in pairs + held_pairs)


def test_the_tokenizer_round_trips_and_writes_smollm2s_chat_template(tok):
    text = corpus.pretraining_stories()[5]
    assert tok.decode(tok(text, add_special_tokens=False)["input_ids"]) == text
    prompt = sft.chat_prompt(tok, "What does a cow eat?")
    assert prompt == "<|im_start|>user\nWhat does a cow eat?<|im_end|>\n<|im_start|>assistant\n"
    assert tok.eos_token == "<|im_end|>" and tok.pad_token_id is not None


def test_the_model_is_smollm2s_family_at_a_few_million_weights(ship):
    model = ship.models["pretrained"]
    assert type(model).__name__ == "LlamaForCausalLM"
    assert 1_000_000 < n_parameters(model) < 5_000_000
    c = model.config
    assert c.num_key_value_heads < c.num_attention_heads and c.tie_word_embeddings  # GQA, tied, as SmolLM2


# -- stage 1 -------------------------------------------------------------------------------------


def test_shipped_pretraining_beats_the_bigram_and_the_loss_fell(ship, tok):
    pc = pretrain.PretrainConfig()
    figures = evaluate.pretrain_figures(ship.models["pretrained"], tok, pc)
    assert figures["perplexity"] < 0.6 * figures["bigram_perplexity"], figures
    assert figures["bigram_perplexity"] < figures["unigram_perplexity"]
    h = ship.report["pretrain"]["history"]
    assert h["eval_loss"][0] > math.log(len(tok)) - 1.0  # a random model: about ln(vocabulary)
    assert h["eval_loss"][-1] < 0.2 * h["eval_loss"][0]
    assert abs(figures["held_out_loss"] - ship.report["pretrain"]["held_out_loss"]) < 1e-4  # the report is true


def test_a_short_live_pretraining_run_lowers_the_loss(ship, tok):
    run = pretrain.PretrainRun(shipped.fresh(ship, 1), tok,
                               pretrain.PretrainConfig(steps=30, batch_size=8, seq_len=32, warmup=5, eval_every=30,
                                                       eval_windows=8))
    while not run.done:
        run.step()
    h = run.history
    assert sum(h.loss[-5:]) / 5 < h.loss[0] - 1.5
    assert h.eval_loss[-1] < h.eval_loss[0] - 1.5


def _words(texts):
    return [w for t in texts for w in re.findall(r"[A-Za-z]+", t)]


def test_samples_turn_from_gibberish_into_words_then_sentences(ship):
    """The first "try this": step 0 random pieces, words by step 50, sentences by step 100."""
    vocabulary = set(_words(corpus.pretraining_stories()[:3000]))
    samples = {int(k): v for k, v in ship.report["pretrain"]["history"]["samples"].items()}

    def known(step):
        words = _words(samples[step])
        return sum(w in vocabulary for w in words) / max(len(words), 1)

    assert known(0) < 0.5
    assert known(50) > 0.8 and known(100) > 0.9
    assert sum(s.count(". ") for s in samples[100]) >= 3  # whole sentences


# -- stage 2 ------------------------------------------------------------------------------------


def test_the_fine_tuning_loss_counts_the_answer_only(tok):
    ids, mask = sft.encode_pair(tok, "What does a cow eat?", "A cow eats grass.")
    counted = tok.decode([i for i, m in zip(ids, mask) if m])
    assert counted == "A cow eats grass.<|im_end|>"
    batch = sft.collate([(ids, mask)], tok.pad_token_id)
    assert (batch["labels"][0] != -100).sum() == sum(mask)


def test_fine_tuning_teaches_the_chat_format(ship, tok):
    before = evaluate.held_answers(ship.models["pretrained"], tok)
    after = evaluate.held_answers(ship.models["sft"], tok)
    assert sft.format_rate(before) <= 0.2
    assert sft.format_rate(after) >= 0.8
    assert all(not a.text.startswith("<|im_start|>") for a in after)  # it answers as the assistant


# -- stage 3 ------------------------------------------------------------------------------------


def test_dpo_widens_the_held_out_margin(ship, tok):
    held = corpus.preference_pairs()[1]
    before = dpo.logprob_margin(ship.models["sft"], tok, held)
    after = dpo.logprob_margin(ship.models["dpo"], tok, held)
    assert after > before + 5.0, (before, after)


def test_the_hand_written_dpo_loss_equals_trls(ship, tok):
    """π = the shipped DPO model, π_ref = the shipped fine-tuned one, so the margins are not 0."""
    policy, ref = trainable(ship.models["dpo"]), evaluate.frozen(ship.models["sft"])
    run = dpo.DPORun(policy, ref, tok, dpo.DPOSettings(steps=1, batch_size=4, beta=0.1))
    trl_value, pairs = run.trl_loss(4)
    hand = [dpo.hand_loss(policy, ref, tok, p, 0.1) for p in pairs]
    assert any(abs(h.margin) > 0.1 for h in hand)
    assert trl_value == pytest.approx(sum(h.loss for h in hand) / len(hand), abs=1e-5)


def test_dpo_leaves_the_global_random_generators_as_they_were(ship, tok):
    state = torch.random.get_rng_state()
    run = dpo.DPORun(trainable(ship.models["sft"]), evaluate.frozen(ship.models["sft"]), tok,
                     dpo.DPOSettings(steps=2, batch_size=2, eval_every=2))
    run.train()
    assert torch.equal(torch.random.get_rng_state(), state)


# -- seeds, copies, live runs -------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_curves(ship, tok):
    def pre(seed):
        run = pretrain.PretrainRun(shipped.fresh(ship, seed), tok,
                                   pretrain.PretrainConfig(steps=6, batch_size=4, seq_len=32, eval_every=3,
                                                           eval_windows=4, seed=seed))
        while not run.done:
            run.step()
        return run.history.loss, run.history.eval_loss

    def fine(seed):
        run = sft.SFTRun(trainable(ship.models["pretrained"]), tok, sft.SFTConfig(steps=4, batch_size=4, seed=seed,
                                                                                  eval_every=2))
        while not run.done:
            run.step()
        return run.history.loss

    def pref(seed):
        run = dpo.DPORun(trainable(ship.models["sft"]), evaluate.frozen(ship.models["sft"]), tok,
                         dpo.DPOSettings(steps=3, batch_size=2, eval_every=3, seed=seed))
        run.train()
        return run.history.loss, run.history.eval_margin

    assert pre(0) == pre(0) and pre(0) != pre(1)
    assert fine(0) == fine(0) and fine(0) != fine(1)
    assert pref(0) == pref(0) and pref(0) != pref(1)


def test_training_a_copy_never_changes_the_shipped_checkpoint(ship, tok):
    saved = load_file(str(shipped.FOLDER / "sft.safetensors"))
    copy = ship.copy_of("sft")
    run = sft.SFTRun(copy, tok, sft.SFTConfig(steps=2, batch_size=4))
    run.step()
    run.step()
    now = ship.models["sft"].state_dict()
    assert all(torch.equal(now[k], v.float()) for k, v in saved.items())
    assert not torch.equal(copy.state_dict()["model.embed_tokens.weight"], now["model.embed_tokens.weight"])


def test_a_live_run_pauses_resumes_and_stops_midway_keeping_its_curve(ship, tok):
    run = pretrain.PretrainRun(shipped.fresh(ship, 0), tok,
                               pretrain.PretrainConfig(steps=500, batch_size=2, seq_len=16, eval_every=1000,
                                                       eval_windows=2, sample_every=1000))
    slots = live.Slots(1)
    assert slots.take()
    job = live.LiveRun("pretrain", run, live.step_loop(run), slots=slots)
    while run.step_count < 3:
        time.sleep(0.05)
    job.pause()
    time.sleep(0.3)
    paused_at = run.step_count
    time.sleep(0.5)
    assert run.step_count == paused_at and job.paused and job.running
    job.resume()
    while run.step_count < paused_at + 3:
        time.sleep(0.05)
    job.stop()
    assert not job.running and job.stopped and run.step_count < 500
    assert len(run.history.loss) == run.step_count  # nothing lost
    assert slots.take()  # the slot was given back


def test_the_slots_refuse_a_run_past_the_limit():
    slots = live.Slots(2)
    assert slots.take() and slots.take() and not slots.take()
    slots.give()
    assert slots.take()


def test_generation_uses_its_own_seed_not_the_global_generator(ship, tok):
    prompt = "Once upon a time"
    a = pretrain.samples(ship.models["pretrained"], tok, [prompt], seed=3)
    torch.random.manual_seed(123)  # a test may reseed the global generator; the app never does
    b = pretrain.samples(ship.models["pretrained"], tok, [prompt], seed=3)
    assert a == b


def test_measured_flops_are_plausible(ship, tok):
    flops = pretrain.measure_flops(shipped.fresh(ship, 0), tok, pretrain.PretrainConfig(batch_size=4, seq_len=32))
    assert 1e8 < flops < 1e13


@pytest.mark.slow  # a whole DPO run at the page's defaults: 240 steps, about a minute on two cores
def test_a_larger_beta_holds_the_model_nearer_the_reference(ship, tok):
    """The third "try this": β = 1.0 with the page's default steps and learning rate keeps the
    KL to the reference far lower than the shipped run at β = 0.3, and the margin grows more slowly."""
    shipped_run = ship.report["dpo"]["history"]
    assert ship.report["dpo"]["config"]["beta"] == 0.3
    run = dpo.DPORun(trainable(ship.models["sft"]), evaluate.frozen(ship.models["sft"]), tok,
                     dpo.DPOSettings(beta=1.0))
    run.train()
    assert run.history.eval_kl[-1] < 0.5 * shipped_run["eval_kl"][-1]
    assert run.history.eval_margin[-1] < shipped_run["eval_margin"][-1]
