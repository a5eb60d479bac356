"""The sampling lab's logic: parity with transformers' logits processors, the
waterfall's properties, the page's claims on the real default model, dice,
diversity metrics, forks and figures."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from transformers import (
    MinPLogitsWarper,
    RepetitionPenaltyLogitsProcessor,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from playground.sampling import lab as smp
from playground.threads import one_thread
from playground.sampling import charts
from playground.errors import UserInputError
from playground.models.llm import GeneratedToken, GenerationSettings

V = 1000  # vocabulary of the random-logit tests


def random_logits(seed: int, scale: float = 3.0) -> torch.Tensor:
    return torch.randn(V, generator=torch.Generator().manual_seed(seed)) * scale


def run(processor, z: torch.Tensor, context=(1, 2, 3)) -> np.ndarray:
    return processor(torch.tensor([list(context)]), z.reshape(1, -1).clone())[0].numpy()


def same(a: np.ndarray, b: np.ndarray) -> None:
    """Equal where finite, -inf at the same places."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert np.array_equal(np.isfinite(a), np.isfinite(b))
    np.testing.assert_allclose(a[np.isfinite(a)], b[np.isfinite(b)], rtol=1e-5, atol=1e-5)


def by_text(strings: list[str], text: str) -> int:
    return strings.index(text)


@pytest.fixture(scope="module")
def strings(llm):
    return llm.token_strings(list(range(llm.vocab_size)))


def example(label_start: str) -> smp.ExamplePrompt:
    return next(e for e in smp.EXAMPLES if e.label.startswith(label_start))


def waterfall_for(llm, ex: smp.ExamplePrompt, **settings) -> smp.Waterfall:
    ids = llm.encode(ex.text, ex.mode)
    return smp.sampling_waterfall(llm.next_token_logits(ids), ids, GenerationSettings(**settings))


# ---------------------------------------------------------------------------
# 1. Each stage by hand (numpy) == transformers' processor, on random logits
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("theta", [0.7, 1.3, 2.0])
def test_repetition_penalty_matches_transformers(seed, theta):
    z = random_logits(seed)
    context = [5, 17, 17, 400, 999]
    same(smp.reference_repetition_penalty(z.numpy(), context, theta),
         run(RepetitionPenaltyLogitsProcessor(theta), z, context))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("temperature", [0.05, 0.5, 1.5, 3.0])
def test_temperature_matches_transformers(seed, temperature):
    z = random_logits(seed)
    same(smp.reference_temperature(z.numpy(), temperature), run(TemperatureLogitsWarper(temperature), z))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("k", [1, 5, 50, V, V + 10])
def test_top_k_matches_transformers(seed, k):
    z = random_logits(seed)
    same(smp.reference_top_k(z.numpy(), k), run(TopKLogitsWarper(k), z))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("p", [0.05, 0.3, 0.9, 0.99])
@pytest.mark.parametrize("scale", [0.5, 3.0])
def test_top_p_matches_transformers(seed, p, scale):
    z = random_logits(seed, scale)
    same(smp.reference_top_p(z.numpy(), p), run(TopPLogitsWarper(p), z))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("min_p", [0.01, 0.1, 0.5])
def test_min_p_matches_transformers(seed, min_p):
    z = random_logits(seed)
    same(smp.reference_min_p(z.numpy(), min_p), run(MinPLogitsWarper(min_p), z))


def test_temperature_zero_by_hand_is_the_argmax():
    z = random_logits(0).numpy()
    out = smp.reference_temperature(z, 0.0)
    assert np.isfinite(out).sum() == 1 and np.isfinite(out[np.argmax(z)])


# ---------------------------------------------------------------------------
# 2. The waterfall == transformers, stage by stage and as a whole chain
# ---------------------------------------------------------------------------

SETTINGS = [
    GenerationSettings(temperature=0.7, top_k=50, top_p=0.9),
    GenerationSettings(temperature=1.0),
    GenerationSettings(temperature=0.0),
    GenerationSettings(temperature=0.0, repetition_penalty=1.5),
    GenerationSettings(temperature=2.0, top_p=0.5, min_p=0.05, repetition_penalty=1.3),
    GenerationSettings(temperature=1.3, top_k=5, top_p=0.95, min_p=0.2, repetition_penalty=0.8),
    GenerationSettings(temperature=0.05, top_k=1000, top_p=0.3),
    GenerationSettings(temperature=1.5, min_p=0.1),
]


@pytest.mark.parametrize("gen", SETTINGS, ids=smp.settings_label)
@pytest.mark.parametrize("seed", range(3))
def test_waterfall_full_chain_matches_lm_logits_processors(llm, gen, seed):
    """The last stage == transformers' whole processor list (what generate uses)."""
    z = random_logits(seed)
    context = [3, 3, 10, 200, 777]
    wf = smp.sampling_waterfall(z, context, gen)
    expected = smp.apply_chain(llm.logits_processors(gen), z, context)
    if gen.greedy:  # generate takes the argmax of the processed scores
        finite = np.isfinite(wf.final.logits.numpy())
        assert finite.sum() == 1 and int(np.argmax(finite)) == int(expected.argmax())
        assert float(wf.probs.max()) == 1.0
    else:
        same(wf.final.logits.numpy(), expected.numpy())
        torch.testing.assert_close(wf.probs, torch.softmax(expected, -1))


@pytest.mark.parametrize("gen", SETTINGS, ids=smp.settings_label)
def test_each_stage_matches_its_processor_and_the_hand_formula(gen):
    z = random_logits(7)
    context = [1, 2, 2, 9]
    wf = smp.sampling_waterfall(z, context, gen)
    assert [s.key for s in wf.stages] == ["logits", "penalty", "temperature", "top_k", "top_p", "min_p"]
    same(wf.stages[0].logits.numpy(), z.numpy())
    expected = smp.reference_repetition_penalty(z.numpy(), context, gen.repetition_penalty)
    same(wf.stages[1].logits.numpy(), expected)
    if gen.greedy:
        same(wf.stages[2].logits.numpy(), smp.reference_temperature(expected, 0.0))
        return
    expected = smp.reference_temperature(expected, gen.temperature)
    same(wf.stages[2].logits.numpy(), expected)
    if gen.top_k:
        expected = smp.reference_top_k(expected, gen.top_k)
    same(wf.stages[3].logits.numpy(), expected)
    if gen.top_p < 1:
        expected = smp.reference_top_p(expected, gen.top_p)
    same(wf.stages[4].logits.numpy(), expected)
    if gen.min_p > 0:
        expected = smp.reference_min_p(expected, gen.min_p)
    same(wf.stages[5].logits.numpy(), expected)


def test_every_stage_is_a_distribution_and_survivors_never_grow():
    wf = smp.sampling_waterfall(random_logits(1), [1], GenerationSettings(temperature=0.8, top_k=40, top_p=0.8,
                                                                          min_p=0.05))
    counts = [s.survivors for s in wf.stages]
    assert counts == sorted(counts, reverse=True) and counts[0] == V
    for stage in wf.stages:
        assert abs(float(stage.probs.sum()) - 1) < 1e-5
        assert int((stage.probs > 0).sum()) == stage.survivors
        assert 0 <= stage.entropy <= math.log2(stage.survivors) + 1e-6


@pytest.mark.parametrize("seed", range(5))
def test_temperature_zero_gives_the_argmax(seed):
    z = random_logits(seed)
    wf = smp.sampling_waterfall(z, [1, 2], GenerationSettings(temperature=0.0, top_k=3, top_p=0.5))
    assert wf.final.survivors == 1
    assert int(wf.probs.argmax()) == int(z.argmax()) and float(wf.probs.max()) == 1.0
    assert wf.final.entropy == 0.0


def test_greedy_with_a_penalty_takes_the_argmax_after_the_penalty():
    z = torch.zeros(V)
    z[5], z[6] = 4.0, 3.0  # token 5 leads, but it is in the context and gets z/θ = 2.0
    wf = smp.sampling_waterfall(z, [5], GenerationSettings(temperature=0.0, repetition_penalty=2.0))
    assert int(wf.probs.argmax()) == 6


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8, 0.95])
def test_top_p_keeps_the_smallest_set_with_mass_at_least_p(seed, p):
    z = random_logits(seed, scale=1.5)
    wf = smp.sampling_waterfall(z, [0], GenerationSettings(temperature=1.0, top_p=p))
    probs = torch.softmax(z.double(), -1)
    kept = torch.isfinite(wf.stages[4].logits)
    mass = float(probs[kept].sum())
    assert mass >= p - 1e-6  # enough mass
    smallest_kept = float(probs[kept].min())
    assert mass - smallest_kept < p  # and no token could be dropped
    assert float(probs[~kept].max()) <= smallest_kept  # the kept ones are the most likely


def test_settings_are_checked():
    z = random_logits(0)
    for bad in (dict(temperature=-1.0), dict(top_k=-1), dict(top_p=0.0), dict(top_p=1.5),
                dict(min_p=-0.1), dict(repetition_penalty=0.0)):
        with pytest.raises(UserInputError):
            smp.sampling_waterfall(z, [1], GenerationSettings(**bad))


def test_analyse_on_one_thread_matches_inline_and_passes_errors_through():
    z = random_logits(3)
    gen = GenerationSettings(temperature=0.9, top_k=20, seed=4)
    a = smp.analyse(z, [1, 2], gen, draws=500)
    with one_thread():
        b = smp.analyse(z, [1, 2], gen, draws=500)
    torch.testing.assert_close(a.waterfall.probs, b.waterfall.probs)
    assert torch.equal(a.draws, b.draws)
    with pytest.raises(UserInputError), one_thread():
        smp.analyse(z, [1], GenerationSettings(top_p=0.0))


# ---------------------------------------------------------------------------
# 3. On the real model: temperature, the example prompts and the "try this" claims
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("label", ["Wide open", "Near-certain", "Most likely", "Chat"])
def test_entropy_grows_with_temperature_on_a_real_prompt(llm, label):
    ex = example(label)
    ids = llm.encode(ex.text, ex.mode)
    logits = llm.next_token_logits(ids)
    entropies = [smp.sampling_waterfall(logits, ids, GenerationSettings(temperature=t)).final.entropy
                 for t in smp.TEMPERATURES]
    assert entropies[0] == 0.0
    # never falls, and strictly rises once the float32 probabilities of the runners-up are not 0
    assert all(b >= a for a, b in zip(entropies, entropies[1:])), entropies
    assert all(b > a for a, b in zip(entropies, entropies[1:]) if a > 1e-9), entropies
    assert entropies[-1] > 10


def test_slider_work_never_calls_the_model(llm):
    ex = example("Wide open")
    ids = llm.encode(ex.text, ex.mode)
    logits = llm.next_token_logits(ids)
    calls = llm.model_calls
    for t in (0.0, 0.3, 1.0, 2.0):
        for k in (0, 50):
            llm.next_token_logits(ids)  # the page asks again on every rerun: a cache hit
            smp.analyse(logits, ids, GenerationSettings(temperature=t, top_k=k, top_p=0.9))
    assert llm.model_calls == calls


def test_example_wide_open(llm, strings):
    wf = waterfall_for(llm, example("Wide open"), temperature=1.0)
    assert float(wf.probs.max()) < 0.10  # "less than 10 %"
    nucleus = waterfall_for(llm, example("Wide open"), temperature=1.0, top_p=0.9)
    assert nucleus.final.survivors >= 200  # "hundreds of tokens"


def test_example_near_certain(llm, strings):
    wf = waterfall_for(llm, example("Near-certain"), temperature=1.0)
    top = int(wf.probs.argmax())
    assert strings[top] == " Paris" and float(wf.probs[top]) > 0.5


def test_example_counting_tokens_are_not_words(llm, strings):
    wf = waterfall_for(llm, example("Tokens are not words"), temperature=1.0)
    top = int(wf.probs.argmax())
    assert strings[top] == " " and float(wf.probs[top]) > 0.8  # "almost sure", "a lone space"
    assert llm.token_strings(llm.encode(" 5", "raw")) == [" ", "5"]  # ␣5 is two tokens
    assert llm.token_strings(llm.encode("1234", "raw")) == ["1", "2", "3", "4"]  # one token per digit


def test_example_most_likely_is_not_most_correct(llm, strings):
    wf = waterfall_for(llm, example("Most likely"), temperature=1.0)
    order = wf.probs.argsort(descending=True).tolist()
    assert strings[order[0]] == " sky" and strings[order[1]] == " east"


def test_example_chat_openers(llm, strings):
    ex = example("Chat")
    assert ex.mode == "chat"
    wf = waterfall_for(llm, ex, temperature=1.0)
    values, ids = wf.probs.topk(5)
    assert {strings[i] for i in ids.tolist()} == {"The", "There", "A", "I", "One"}
    assert float(values.sum()) > 0.5  # "share most of the mass"


def test_try_this_greedy_and_hot_on_the_fact(llm, strings):
    """Try this 1: T = 0 ends with exactly ␣Paris at 100 %; T = 2: in the ÷T panel ␣Paris < 10 %
    and H > 10 bits, then top-k and top-p (the page's defaults) lower the entropy again."""
    defaults = dict(top_k=40, top_p=0.8)  # the page's other defaults stay as they are
    cold = waterfall_for(llm, example("Near-certain"), temperature=0.0, **defaults)
    assert cold.final.survivors == 1
    assert strings[int(cold.probs.argmax())] == " Paris" and float(cold.probs.max()) == 1.0
    hot = waterfall_for(llm, example("Near-certain"), temperature=2.0, **defaults)
    assert float(hot.stages[2].probs[by_text(strings, " Paris")]) < 0.10
    assert hot.stages[2].entropy > 10
    assert hot.final.entropy < hot.stages[2].entropy  # "top-k and top-p then cut the tail back"


def test_try_this_nucleus_size_depends_on_the_prompt(llm):
    """Try this 2: T = 1, top-k off, top-p 0.9: hundreds survive on the story, < 20 on the fact."""
    story = waterfall_for(llm, example("Wide open"), temperature=1.0, top_k=0, top_p=0.9)
    fact = waterfall_for(llm, example("Near-certain"), temperature=1.0, top_k=0, top_p=0.9)
    assert story.final.survivors >= 200
    assert fact.final.survivors < 20


def test_try_this_min_p_cuts_the_hot_tail(llm):
    """Try this 3: T = 1.5, no top-k/top-p: all tokens stay; min-p 0.1: < 100 survive and the
    entropy drops below its value at T = 1."""
    hot = waterfall_for(llm, example("Wide open"), temperature=1.5, top_k=0, top_p=1.0)
    assert hot.final.survivors == llm.vocab_size == 49152
    cut = waterfall_for(llm, example("Wide open"), temperature=1.5, top_k=0, top_p=1.0, min_p=0.1)
    at_one = waterfall_for(llm, example("Wide open"), temperature=1.0, top_k=0, top_p=1.0)
    assert cut.final.survivors < 100
    assert cut.final.entropy < at_one.final.entropy


def test_greedy_waterfall_pick_is_what_generate_picks(llm):
    ex = example("Most likely")
    ids = llm.encode(ex.text, ex.mode)
    for penalty in (1.0, 1.5):
        gen = GenerationSettings(max_new_tokens=1, temperature=0.0, repetition_penalty=penalty)
        wf = smp.sampling_waterfall(llm.next_token_logits(ids), ids, gen)
        assert llm.generate(ids, gen)[0].token_id == int(wf.probs.argmax())


def test_greedy_completions_ignore_the_seed(llm):
    ex = example("Wide open")
    ids = llm.encode(ex.text, ex.mode)
    runs = [llm.generate(ids, GenerationSettings(max_new_tokens=6, temperature=0.0, seed=s)) for s in (0, 1)]
    assert smp.sample_stats(runs).identical


@pytest.mark.slow
def test_compare_hot_side_is_more_diverse_and_less_likely(llm):
    """The Compare section's expectation, with the page's defaults: A T = 0.2, B T = 1.5,
    3 samples each, 24 new tokens, seed 0, on the default prompt."""
    ex = smp.EXAMPLES[0]
    ids = llm.encode(ex.text, ex.mode)
    stats = {}
    for name, t in (("A", 0.2), ("B", 1.5)):
        samples = [llm.generate(ids, GenerationSettings(max_new_tokens=24, temperature=t, seed=i)) for i in range(3)]
        stats[name] = smp.sample_stats(samples)
    assert stats["B"].distinct_2 > stats["A"].distinct_2
    assert stats["B"].mean_logprob < stats["A"].mean_logprob


# ---------------------------------------------------------------------------
# 4. Dice, metrics, forks, text helpers, figures
# ---------------------------------------------------------------------------


def test_dice_are_seeded_and_follow_the_distribution():
    wf = smp.sampling_waterfall(random_logits(2), [1], GenerationSettings(temperature=1.0, top_k=8))
    a = smp.roll_dice(wf.probs, 20000, seed=3)
    assert torch.equal(a, smp.roll_dice(wf.probs, 20000, seed=3))
    assert not torch.equal(a, smp.roll_dice(wf.probs, 20000, seed=4))
    assert set(a.tolist()) <= set(torch.nonzero(wf.probs).flatten().tolist())  # only survivors
    rows = smp.dice_table(a, wf.probs)
    assert sum(r.count for r in rows) == 20000
    for r in rows:
        assert abs(r.frequency - r.probability) < 0.02
    with pytest.raises(UserInputError):
        smp.roll_dice(wf.probs, 0, 0)


def test_dice_table_lumps_the_rest():
    probs = torch.softmax(random_logits(5, scale=0.5), -1)
    rows = smp.dice_table(smp.roll_dice(probs, 300, 0), probs, top=5)
    assert len(rows) == 6 and rows[-1].token_id is None
    assert abs(sum(r.probability for r in rows) - 1) < 1e-5


def test_diversity_metrics():
    assert smp.distinct_n([[1, 2, 3], [1, 2, 3]], 1) == 0.5
    assert smp.distinct_n([[1, 2, 3], [4, 5, 6]], 2) == 1.0
    assert smp.repetition_rate([1, 2, 3, 1, 2, 3], 3) == pytest.approx(1 - 3 / 4)
    assert smp.repetition_rate([1, 2, 3, 4], 3) == 0.0
    assert math.isnan(smp.repetition_rate([1], 3))
    tokens = [GeneratedToken(1, "a", 0.5, 0.5), GeneratedToken(2, "b", 0.25, 0.5)]
    assert smp.mean_logprob(tokens) == pytest.approx((math.log(0.5) + math.log(0.25)) / 2)
    stats = smp.sample_stats([tokens, tokens])
    assert stats.identical and stats.samples == 2 and stats.tokens == 4


def test_fork_context_and_forced_token():
    tokens = [GeneratedToken(10, "a", 0.5, 0.5, [(10, "a", 0.5), (11, "b", 0.3)]),
              GeneratedToken(20, "c", 0.4, 0.4, [(20, "c", 0.4), (21, "d", 0.2)])]
    assert smp.fork_ids([1, 2], tokens, 1, 21) == [1, 2, 10, 21]
    assert smp.fork_ids([1, 2], tokens, 0, 11) == [1, 2, 11]
    forced = smp.forced_token(tokens, 1, 21, "d")
    assert forced.token_id == 21 and forced.prob == 0.2 and forced.alternatives == tokens[1].alternatives
    with pytest.raises(UserInputError):
        smp.fork_ids([1], tokens, 2, 5)


def test_visible_and_latex_text():
    assert smp.visible(" Paris") == "␣Paris"
    assert smp.visible("\n\t") == "↵⇥"
    assert smp.visible("") == "∅"
    assert smp.visible("a\x00b") == "a\\x00b"
    latex = smp.latex_text("{x}_$\\ 🦜")
    assert latex == r"\text{\{x\}\_\$\textbackslash{}␣?}"


def test_softmax_numbers_match_torch():
    z = random_logits(4)
    numbers = smp.softmax_numbers(z, 0.7, k=3)
    expected = torch.softmax(z.double() / 0.7, -1)
    for term in numbers.terms:
        assert term.probability == pytest.approx(float(expected[term.token_id]), rel=1e-9)
    assert numbers.terms[0].numerator == 1.0
    latex = smp.softmax_latex(numbers, [f"t{i}" for i in range(V)])
    assert latex.startswith(r"\begin{aligned}") and latex.count(r"\frac") == 2 + 2 * 3


def test_figures_escape_model_text_and_have_the_right_shape():
    strings = [f"t{i}" for i in range(V)]
    strings[0] = "<script>alert(1)</script>"
    strings[1] = "<b>bold</b>"
    z = random_logits(0)
    z[0], z[1] = 20.0, 19.0
    wf = smp.sampling_waterfall(z, [0], GenerationSettings(temperature=0.7, top_k=5, repetition_penalty=1.2))
    figures = [charts.distribution_figure(wf.stages[0].probs, strings), charts.waterfall_figure(wf, strings),
               charts.funnel_figure(wf),
               charts.dice_figure(smp.dice_table(smp.roll_dice(wf.probs, 100, 0), wf.probs), strings, 100)]
    tokens = [GeneratedToken(0, strings[0], 0.9, 0.9, [(1, strings[1], 0.05)]),
              GeneratedToken(2, " next\nline", 0.1, 0.2, [])]
    figures.append(charts.heat_strip_figure(tokens, chars_per_line=20, forced_step=0))
    for fig in figures:
        text = fig.to_json()
        assert "<script" not in text and "<b>bold" not in text
    assert "&lt;script&gt;" in figures[0].to_json()
    assert len(figures[1].data) == 6 and len(figures[1].layout.annotations) == 6
    strip = figures[-1].data[0]
    assert list(strip.y) == [0, 1] and strip.marker.line.width[0] == 3  # wrapped; forced token outlined


def test_heat_strip_wraps_long_text():
    tokens = [GeneratedToken(i, " word", 0.5, 0.5) for i in range(30)]
    fig = charts.heat_strip_figure(tokens, chars_per_line=20)
    rows = list(fig.data[0].y)
    assert max(rows) == 7  # 4 five-character tokens per 20-character line
    for row in set(rows):
        ends = [b + w for b, w, r in zip(fig.data[0].base, fig.data[0].x, rows) if r == row]
        assert max(ends) <= 20
