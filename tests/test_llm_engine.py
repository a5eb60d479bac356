"""The LLM engine the language-model pages share: precision, batched scoring, shared
prefixes, batched seeded generation, traces, read-only shared results. Real SmolLM2,
offline; exact comparisons run on an fp32 copy, bf16 ones within the stated tolerance."""

from __future__ import annotations

import threading
import time

import pytest
import torch

from playground.devices import get_device
from playground.errors import ModelBusyError, UserInputError
from playground.models.llm import GenerationSettings
from playground.models.llm import precision as precision_module
from playground.models.llm.queue import ModelQueue, report_waits_to
from playground.models.llm.scoring import MIN_SHARED_PREFIX, common_prefix_length, pad_batch

# bf16 rounds logits to 3 significant digits: one logit near 20 moves by up to 0.06, so a
# log-probability of the same pair computed in another batch shape moves by up to ~0.2 nats
BF16_LOGPROB_TOLERANCE = 0.3


def tokens(lm, text: str) -> list[int]:
    return lm.tokenizer(text, add_special_tokens=False)["input_ids"]


def mixed_pairs(lm) -> list[tuple[list[int], list[int]]]:
    """Pairs with prompts and continuations of different lengths (so rows get padding)."""
    prompts = [lm.encode(t, mode="raw") for t in (
        "The capital of France is", "Once upon a time, there was a", "2 + 2 =",
        "The animal didn't cross the street because it was too tired. It refers to the")]
    continuations = [tokens(lm, t) for t in (" Paris", " little girl who lived in a castle", " 4", " animal")]
    return [(p, c) for p in prompts for c in continuations]


def shared_prefix_pairs(lm) -> list[tuple[list[int], list[int]]]:
    """A few-shot prompt: a long shared prefix, different questions, label continuations."""
    prefix = lm.encode("Classify each message as billing, delivery or account.\n"
                       "Message: I was charged twice. Label: billing\n"
                       "Message: My parcel never arrived. Label: delivery\n"
                       "Message: I cannot log in. Label: account\n", mode="raw")
    questions = [tokens(lm, f"Message: {q} Label:") for q in
                 ("Where is my order?", "Refund the extra fee please.", "Reset my password")]
    labels = [tokens(lm, f" {label}") for label in ("billing", "delivery", "account")]
    return [(prefix + q, c) for q in questions for c in labels]


def max_difference(a, b) -> float:
    return max(abs(x - y) for sa, sb in zip(a, b) for x, y in zip(sa.logprobs, sb.logprobs))


# -- precision -----------------------------------------------------------------------


def test_the_model_runs_in_the_precision_chosen_with_the_device(llm):
    device = get_device()
    assert llm.precision == device.precision == llm.info.dtype
    assert {p.dtype for p in llm.model.parameters()} == {device.dtype}


@pytest.mark.slow
def test_bf16_is_close_to_fp32_on_a_real_text(llm_fp32):
    """The figures README.md states: bf16 against fp32 over an English article."""
    from playground.models.llm import load_default

    bf16 = load_default(dtype=torch.bfloat16)
    ids = precision_module.article_ids(llm_fp32)
    assert len(ids) == 1024
    result = precision_module.compare(llm_fp32, bf16, ids)
    print(result.describe())
    assert result.top1_agreement > 0.93
    assert result.mean_kl < 0.01
    assert result.max_prob_diff < 0.15


# -- batched scoring ---------------------------------------------------------------------


def test_padding_keeps_each_tokens_position():
    ids, mask, positions, starts = pad_batch([[5, 6, 7], [8]], pad_id=0, side="left", offset=10)
    assert ids.tolist() == [[5, 6, 7], [0, 0, 8]] and mask.tolist() == [[1, 1, 1], [0, 0, 1]]
    assert positions[0].tolist() == [10, 11, 12] and positions[1, 2].item() == 10 and starts == [0, 2]
    ids, mask, positions, starts = pad_batch([[5, 6, 7], [8]], pad_id=0, side="right")
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0]] and positions[1, 0].item() == 0 and starts == [0, 0]
    assert common_prefix_length([[1, 2, 3], [1, 2, 4], [1, 2]]) == 2


@pytest.mark.parametrize("side", ["right", "left"])
def test_batched_scoring_equals_single_scoring_in_fp32(llm_fp32, side):
    pairs = mixed_pairs(llm_fp32)
    single = [llm_fp32.continuation_logprob(p, c) for p, c in pairs]
    batched = llm_fp32.continuation_logprobs(pairs, padding_side=side)
    assert [s.token_ids for s in batched] == [list(c) for _, c in pairs]
    assert max_difference(single, batched) < 1e-4


def test_batched_scoring_in_the_default_precision_is_within_its_tolerance(llm):
    pairs = mixed_pairs(llm)
    single = [llm.continuation_logprob(p, c) for p, c in pairs]
    batched = llm.continuation_logprobs(pairs)
    tolerance = 1e-4 if llm.dtype == torch.float32 else BF16_LOGPROB_TOLERANCE
    assert max_difference(single, batched) < tolerance


def test_a_small_token_budget_cuts_batches_but_not_the_numbers(llm_fp32):
    pairs = mixed_pairs(llm_fp32)
    whole = llm_fp32.continuation_logprobs(pairs)
    chunked = llm_fp32.continuation_logprobs(pairs, token_budget=24)  # a few rows per batch
    assert max_difference(whole, chunked) < 1e-4


@pytest.mark.parametrize("side", ["right", "left"])
def test_a_shared_prefix_runs_once_and_gives_the_same_scores(llm_fp32, side):
    pairs = shared_prefix_pairs(llm_fp32)
    assert common_prefix_length([p for p, _ in pairs]) >= MIN_SHARED_PREFIX
    without = llm_fp32.continuation_logprobs(pairs, reuse_prefix=False)
    before = llm_fp32.prefix_passes
    reused = llm_fp32.continuation_logprobs(pairs, padding_side=side)
    again = llm_fp32.continuation_logprobs(pairs, padding_side=side, token_budget=200)  # several chunks
    assert llm_fp32.prefix_passes - before <= 1  # computed at most once (maybe cached already)
    assert max_difference(without, reused) < 1e-4
    assert max_difference(without, again) < 1e-4
    single = [llm_fp32.continuation_logprob(p, c) for p, c in pairs]
    assert max_difference(single, reused) < 1e-4


def test_the_shared_prefix_cache_is_never_grown_by_a_request(llm_fp32):
    pairs = shared_prefix_pairs(llm_fp32)
    llm_fp32.continuation_logprobs(pairs)
    state = next(reversed(llm_fp32._prefixes.values()))
    shapes = [k.shape for k in state.keys]
    snapshot = state.keys[0].clone()
    llm_fp32.continuation_logprobs(pairs)
    assert [k.shape for k in state.keys] == shapes and torch.equal(state.keys[0], snapshot)


def test_bad_pairs_get_clear_messages(llm):
    with pytest.raises(UserInputError, match="continuation is empty"):
        llm.continuation_logprobs([([1, 2], [])])
    with pytest.raises(UserInputError, match="prompt is empty"):
        llm.continuation_logprobs([([], [5])])
    assert llm.continuation_logprobs([]) == []


# -- generation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("gen", [
    GenerationSettings(max_new_tokens=16, temperature=1.0, seed=0),
    GenerationSettings(max_new_tokens=16, temperature=0.8, top_k=40, top_p=0.9, repetition_penalty=1.2, seed=0),
    GenerationSettings(max_new_tokens=16, temperature=0, seed=0),
], ids=["plain", "every stage", "greedy"])
def test_batched_generation_with_seed_s_equals_single_generation_with_seed_s(llm, gen):
    ids = llm.encode("Tell me a story about a cat.")
    seeds = [3, 11, 42]
    batch = llm.generate_batch(ids, gen, seeds)
    for seed, tokens in zip(seeds, batch):
        single = llm.generate(ids, GenerationSettings(**{**gen.__dict__, "seed": seed}))
        assert [t.token_id for t in tokens] == [t.token_id for t in single]
        assert [t.prob for t in tokens] == pytest.approx([t.prob for t in single], abs=2e-2)
    if not gen.greedy:
        assert len({tuple(t.token_id for t in tokens) for tokens in batch}) == 3


def test_generation_never_touches_torchs_global_generator(llm):
    ids = llm.encode("Tell me a story about a cat.")
    gen = GenerationSettings(max_new_tokens=10, temperature=1.2, seed=5)
    expected = [t.token_id for t in llm.generate(ids, gen)]
    state = torch.random.get_rng_state()
    stop = threading.Event()

    def reseed_all_the_time():  # another session training a GAN, say
        while not stop.is_set():
            torch.manual_seed(123)
            torch.rand(10)

    other = threading.Thread(target=reseed_all_the_time)
    torch.manual_seed(0)
    state = torch.random.get_rng_state()
    other.start()
    try:
        got = [t.token_id for t in llm.generate(ids, gen)]
    finally:
        stop.set()
        other.join()
    assert got == expected
    torch.manual_seed(0)
    torch.random.set_rng_state(state)
    before = torch.random.get_rng_state()
    llm.generate(ids, gen)
    assert torch.equal(torch.random.get_rng_state(), before)


def test_each_completion_ends_at_its_own_end_of_sequence(llm):
    ids = llm.encode("Answer with one word: what colour is the sky?")
    gen = GenerationSettings(max_new_tokens=40, temperature=0.7, seed=0)
    batch = llm.generate_batch(ids, gen, [0, 1, 2, 3])
    for tokens in batch:
        ends = [i for i, t in enumerate(tokens) if t.token_id in llm.eos_ids]
        assert not ends or ends == [len(tokens) - 1]  # nothing after an end-of-sequence token


def test_generation_limits_get_clear_messages(llm):
    ids = llm.encode("Hello")
    with pytest.raises(UserInputError, match="PLAYGROUND_MAX_SAMPLES"):
        list(llm.generate_batch_stream(ids, GenerationSettings(max_new_tokens=4), seeds=range(99)))
    with pytest.raises(UserInputError, match="at least one new token"):
        list(llm.generate_stream(ids, GenerationSettings(max_new_tokens=0)))


# -- shared results are read-only -----------------------------------------------------------------


def test_cached_logits_cannot_be_changed_by_a_caller(llm):
    ids = llm.encode("The capital of France is", mode="raw")
    first = llm.next_token_logits(ids)
    top = int(first.argmax())
    first[top] = -float("inf")  # one session bans the top token in its own copy
    llm.next_token_probs(ids)[top] = 0.0
    again = llm.next_token_logits(ids)
    assert int(again.argmax()) == top and torch.isfinite(again[top])


# -- traces ---------------------------------------------------------------------------------------


def test_trace_returns_every_layer_and_head(llm_fp32):
    lm = llm_fp32
    ids = lm.encode("The animal didn't cross the street because it was too tired", mode="raw")
    trace = lm.trace(ids)
    n, cfg = len(ids), lm.model.config
    assert trace.hidden_states.shape == (cfg.num_hidden_layers + 1, n, cfg.hidden_size)
    assert trace.attentions.shape == (cfg.num_hidden_layers, cfg.num_attention_heads, n, n)
    # every query's weights sum to 1, and no token attends to a later one (the causal mask)
    torch.testing.assert_close(trace.attentions.sum(-1), torch.ones(cfg.num_hidden_layers, cfg.num_attention_heads, n))
    assert torch.triu(trace.attentions, diagonal=1).abs().max() == 0
    # the eager twin computes what the shared fast model computes
    with torch.inference_mode():
        reference = lm.model(input_ids=torch.tensor([ids]), output_hidden_states=True)
    torch.testing.assert_close(trace.logits, reference.logits[0].float(), atol=1e-3, rtol=1e-4)
    torch.testing.assert_close(trace.hidden_states[5], reference.hidden_states[5][0].float(), atol=1e-3, rtol=1e-4)


def test_the_attention_twin_shares_the_weights_and_leaves_the_shared_model_alone(llm):
    twin = llm.attention_model()
    assert llm.model.config._attn_implementation == "sdpa"
    assert twin.config._attn_implementation == "eager"
    shared = dict(llm.model.named_parameters())
    for name, param in twin.named_parameters():
        assert param.data_ptr() == shared[name].data_ptr()
    for name, buffer in twin.named_buffers():
        assert buffer.device.type != "meta", name


def test_trace_is_bounded_by_the_token_limit(llm):
    too_long = list(range(100, 100 + llm.settings.max_trace_tokens + 1))
    with pytest.raises(UserInputError, match="PLAYGROUND_MAX_TRACE_TOKENS"):
        llm.trace(too_long)
    with pytest.raises(UserInputError, match="empty"):
        llm.trace([])


# -- the queue in front of the model ---------------------------------------------------------------


def test_the_queue_serves_in_arrival_order_and_says_how_many_are_ahead():
    queue = ModelQueue(slots=1, wait_s=10)
    order, heard = [], {}
    release = threading.Event()

    def holder():
        with queue.turn():
            release.wait(5)

    def worker(i):
        with report_waits_to(lambda ahead: heard.setdefault(i, []).append(ahead)), queue.turn():
            order.append(i)

    first = threading.Thread(target=holder)
    first.start()
    while queue.waiting() or not queue._running:
        time.sleep(0.01)
    threads = []
    for i in range(5):
        t = threading.Thread(target=worker, args=(i,))
        t.start()
        threads.append(t)
        while queue.waiting() < i + 1:  # queued in this order
            time.sleep(0.01)
    release.set()
    for t in threads + [first]:
        t.join()
    assert order == [0, 1, 2, 3, 4]
    assert heard[4][0] == 5 and heard[4][-1] == 0  # four waiting plus the one running, then "your turn"
    assert heard[0] == [1, 0]


def test_the_queue_gives_up_after_its_wait_with_a_clear_message():
    queue = ModelQueue(slots=1, wait_s=0.3)
    with queue.turn():
        got = []

        def late():
            try:
                with queue.turn():
                    pass
            except ModelBusyError as exc:
                got.append(str(exc))

        t = threading.Thread(target=late)
        t.start()
        t.join()
    assert got and "busy" in got[0] and "try again" in got[0]
    assert queue.waiting() == 0
    with queue.turn():  # and the queue still works
        pass


@pytest.mark.parametrize("which", ["fp32", "default"])
def test_waiting_next_token_requests_share_one_forward_pass(llm, llm_fp32, which):
    llm = llm_fp32 if which == "fp32" else llm
    prompts = [llm.encode(f"Student {i} asks: what is a {w}?") for i, w in
               enumerate(["dog", "cat", "cloud", "river", "tree", "lamp"])]
    alone = [llm.next_token_logits(p) for p in prompts]
    llm._logits_cache.clear()
    batches, requests = llm.queue.batches, llm.queue.batched_requests
    results: dict[int, torch.Tensor] = {}
    start = threading.Barrier(len(prompts) + 1)

    def student(i):
        start.wait()
        results[i] = llm.next_token_logits(prompts[i])

    with llm.queue.turn():  # the model is busy: the six requests queue up behind it
        threads = [threading.Thread(target=student, args=(i,)) for i in range(len(prompts))]
        for t in threads:
            t.start()
        start.wait()
        while llm.queue.waiting() < len(prompts):
            time.sleep(0.01)
    for t in threads:
        t.join()
    assert llm.queue.batched_requests - requests == len(prompts)
    assert llm.queue.batches - batches == 1  # all six in one padded forward pass
    # fp32: the same numbers; bf16: the same top token, probabilities within a few percent
    for i, logits in results.items():
        assert int(logits.argmax()) == int(alone[i].argmax())
        if llm.dtype == torch.float32:
            assert (logits - alone[i]).abs().max() < 1e-3
        else:
            assert (logits.softmax(-1) - alone[i].softmax(-1)).abs().max() < 0.05
