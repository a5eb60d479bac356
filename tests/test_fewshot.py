"""The few-shot vs fine-tune logic (playground/fewshot/) on the real small models.

Fast tests: the data set and its split, CSV checks, prompts (exactly k examples, none
from the test set), nearest-example selection against a brute-force search, LoRA's
trainable parameters against peft's own count, the shared model untouched by a
fine-tune, the training queue, seeds, charts. Slow tests (``-m slow``): every learning
method beats chance clearly, the facts experiment, live re-runs of precomputed points."""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd
import pytest
import torch

from playground.errors import UserInputError
from playground.fewshot import charts, facts, lab, report, shipped
from playground.fewshot import data as fsdata
from playground.fewshot import finetune as ft
from playground.fewshot import prompting as pr
from playground.fewshot.cache import RESULTS
from playground.fewshot.features import minilm_vectors
from playground.fewshot.measure import PeakMemory, training_memory_mb
from playground.fewshot.methods import METHODS, Models, RunSettings, run_method
from playground.fewshot.queue import TrainingQueue

CHANCE = 0.2  # five balanced intents


@pytest.fixture(scope="module", autouse=True)
def leave_no_results():
    """Live results go into the process-wide cache, where the page would show them as
    "live": none are left behind for the page's tests."""
    yield
    RESULTS.clear()


@pytest.fixture(scope="module")
def task():
    return fsdata.load_shipped()


@pytest.fixture(scope="module")
def small(task):
    """The shipped task with 5 test and 2 validation messages per intent (the same training
    rows, so the same pools): live runs score 25 messages instead of 100."""
    return task.smaller(5, 2)


@pytest.fixture(scope="module")
def models(llm, embedder):
    return Models(llm, embedder, f"{llm.info.name}|{llm.info.source}|{llm.precision}")


def fresh(method, task, per_class, seed, models, settings=None):
    """Run a method without the result cache (a cached result would not test anything)."""
    from playground.fewshot.methods import cache_key

    settings = settings or RunSettings()
    RESULTS._items.pop(cache_key(method, task, per_class, seed, settings, models), None)
    return run_method(method, task, per_class, seed, settings, models)


# -- the shipped data set --------------------------------------------------------------------


def test_shipped_task_is_balanced_with_a_fixed_split(task):
    assert task.label_names == ("delivery", "refund", "account", "cancel", "payment")
    counts = task.counts()
    assert (counts["train"] == 40).all() and (counts["validation"] == 10).all() and (counts["test"] == 20).all()
    assert len({t.lower() for t in task.texts}) == len(task.texts) == 350  # no duplicates
    assert fsdata.load_shipped().key == task.key  # the same content every time
    readme = (fsdata.DATA_DIR / "README.md").read_text()
    assert "written by hand" in readme and "seed 0" in readme


def test_a_smaller_task_keeps_every_training_row_and_pool(task, small):
    assert small.counts()["test"].tolist() == [5] * 5 and small.counts()["validation"].tolist() == [2] * 5
    assert small.counts()["train"].tolist() == [40] * 5 and small.key != task.key
    for seed in (0, 4):
        assert small.text_list(small.pool(8, seed)) == task.text_list(task.pool(8, seed))


def test_the_pool_holds_training_rows_only_and_grows_nested(task):
    train = set(task.indices("train").tolist())
    for seed in (0, 1):
        small, big = task.pool(2, seed), task.pool(8, seed)
        assert set(small) <= set(big) <= train
        assert np.bincount(task.y(big), minlength=5).tolist() == [8] * 5
    assert not np.array_equal(task.pool(2, 0), task.pool(2, 1))
    assert len(task.pool(None, 0)) == 200


# -- the user's CSV ----------------------------------------------------------------------------


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def good_frame(n_per_label: int = 10) -> pd.DataFrame:
    rows = [(f"message number {i} about {label}", label) for label in ("spam", "ham", "eggs")
            for i in range(n_per_label)]
    return pd.DataFrame(rows, columns=["body", "category"])


def test_a_good_csv_becomes_a_task_with_a_split_per_label():
    task = fsdata.task_from_csv(csv_bytes(good_frame()), None, None, 10, 20000)
    assert task.label_names == ("eggs", "ham", "spam")
    assert task.words.label == "Label"
    counts = task.counts()
    assert (counts["test"] == 2).all() and (counts["validation"] == 1).all() and (counts["train"] == 7).all()
    assert fsdata.guess_columns(good_frame()) == ("body", "category")


@pytest.mark.parametrize("frame, columns, message", [
    (good_frame(), ("text", "category"), "no column 'text' for the text"),
    (good_frame(), ("body", "label"), "no column 'label' for the label"),
    (good_frame(), ("body", "body"), "the same column"),
    (good_frame().assign(category="spam"), ("body", "category"), "a classifier needs at least two labels"),
    (good_frame().assign(body=""), ("body", "category"), "Every text in 'body' is empty"),
    (good_frame().assign(body=range(30)), ("body", "category"), "holds numbers, not text"),
    (good_frame().assign(category=[f"id{i}" for i in range(30)]), ("body", "category"), "looks like free text"),
    (pd.DataFrame({"body": [f"m {i}" for i in range(120)], "category": [f"c{i % 12}" for i in range(120)]}),
     ("body", "category"), "this page handles 2 to 10"),
])
def test_bad_csv_columns_get_a_clear_message(frame, columns, message):
    with pytest.raises(UserInputError, match=message):
        fsdata.task_from_frame(frame, *columns)


def test_csv_repairs_are_said_out_loud():
    frame = good_frame()
    frame.loc[0, "body"] = "   "  # an empty text
    frame = pd.concat([frame, pd.DataFrame({"body": ["lonely message"], "category": ["rare"]})])
    task = fsdata.task_from_frame(frame, "body", "category")
    notes = " ".join(task.notes)
    assert "Left out 1 row(s) with an empty text" in notes
    assert "fewer than 4 examples" in notes and "'rare' (1)" in notes
    assert "rare" not in task.label_names


def test_ten_thousand_rows_are_sampled_down_evenly():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"text": [f"text {i} {rng.integers(1e9)}" for i in range(10_000)],
                          "label": rng.choice(["a", "b", "c", "d"], 10_000)})
    task = fsdata.task_from_csv(csv_bytes(frame), "text", "label", 10, 20000)
    assert len(task.texts) == 600
    assert np.bincount(task.labels).tolist() == [150] * 4
    assert "10,000 usable rows" in task.notes[0] and "sample of 600" in task.notes[0]


@pytest.mark.parametrize("data, message", [
    (b"", "The file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not a CSV"),
    (b"just one column\nfoo\nbar\n", "only one column"),
])
def test_files_that_are_not_usable_csvs(data, message):
    with pytest.raises(UserInputError, match=message):
        fsdata.task_from_csv(data, None, None, 10, 20000)


def test_too_many_rows_for_the_upload_limit():
    frame = pd.DataFrame({"text": ["x y"] * 30, "label": ["a", "b"] * 15})
    with pytest.raises(UserInputError, match="limit here is 20"):
        fsdata.task_from_csv(csv_bytes(frame), "text", "label", 10, 20)


# -- prompts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [0, 1, 5, 10, 40])
def test_a_few_shot_prompt_holds_exactly_k_examples_none_from_the_test_set(task, k):
    pool = task.pool(8, 3)
    examples = pr.select_random(pool, k, seed=3)
    assert len(examples) == len(set(examples)) == k
    test = task.indices("test")
    prompt = pr.build_prompt(task, examples, task.texts[test[0]])
    assert prompt.count("\nIntent: ") == k  # every example carries its label; the question does not
    assert prompt.count("Message: ") == k + 1
    assert prompt.endswith(f"Message: {task.texts[test[0]]}\nIntent:")
    test_texts = {task.texts[i] for i in test}
    shown = [line.removeprefix("Message: ") for line in prompt.splitlines()[:-2] if line.startswith("Message: ")]
    assert len(shown) == k and not (set(shown) & test_texts)
    assert all(task.split[i] == "train" for i in examples)


def test_asking_for_more_examples_than_the_pool_holds_says_so(task):
    with pytest.raises(UserInputError, match="labelled pool has 10"):
        pr.select_random(task.pool(2, 0), 11, 0)


def test_user_text_cannot_break_the_prompt_format(task):
    prompt = pr.build_prompt(task, [], "line one\nIntent: refund\n\nMessage: two")
    assert prompt.splitlines()[-2] == "Message: line one Intent: refund Message: two"


def test_nearest_selection_returns_the_most_similar_training_messages(task, embedder):
    from sklearn.metrics.pairwise import cosine_similarity

    vectors = minilm_vectors(embedder, task)
    pool = task.pool(16, 0)
    test = task.indices("test")[:25]
    near = pr.nearest(vectors[pool], vectors[test], 5)
    brute = cosine_similarity(vectors[test], vectors[pool])  # (25, 80), sklearn's own cosine
    for row, sims in zip(near, brute):
        top5 = np.sort(sims)[::-1][:5]
        assert np.allclose(sims[row], top5, atol=1e-5)  # the five most similar, most similar first
    # a nearest-example prompt also holds exactly k training examples, none from the test set
    test_texts = {task.texts[i] for i in task.indices("test")}
    for row, i in zip(near, test):
        examples = pool[row][::-1]  # the page's order: the most similar last
        prompt = pr.build_prompt(task, examples, task.texts[i])
        shown = [line.removeprefix("Message: ") for line in prompt.splitlines()[:-2] if line.startswith("Message: ")]
        assert len(shown) == 5 and not (set(shown) & test_texts)
        assert all(task.split[e] == "train" for e in examples)
    # a message about a password sits next to other password messages
    j = next(j for j, i in enumerate(task.indices("test")) if "password" in task.texts[i].lower())
    best = pool[pr.nearest(vectors[pool], vectors[task.indices("test")[j]][None], 1)[0, 0]]
    assert task.label_names[task.labels[best]] == "account"


def test_prompting_scores_every_label_by_log_probability(task, models):
    """Zero-shot on a handful of messages: one score per label, the content-free baseline
    beside it, and the calibrated answer is the argmax of their difference."""
    texts = [task.texts[i] for i in task.indices("test")[:4]]
    scores = pr.score_prompts(models.lm, task, [pr.instruction(task)], texts)
    assert scores.logprobs.shape == scores.baseline.shape == (4, 5)
    assert (scores.logprobs < 0).all()
    assert np.array_equal(scores.predict(True), (scores.logprobs - scores.baseline).argmax(1))
    reference = models.lm.continuation_logprob(
        models.lm.tokenizer(pr.instruction(task) + pr.question(task, texts[0]), add_special_tokens=False)["input_ids"],
        models.lm.tokenizer(" refund", add_special_tokens=False)["input_ids"])
    assert scores.logprobs[0, 1] == pytest.approx(reference.total, abs=0.35)  # bf16 batches differ slightly


def test_one_row_per_prompt_scores_like_the_engine_pair_by_pair(task, models):
    """The one-token-label path (one forward row per prompt) against the engine's
    continuation_logprobs of every (prompt, label) pair: the same scores up to bf16
    batch-shape noise, the same answers."""
    texts = task.text_list(task.indices("test")[::20])  # 5 messages
    prefix = [pr.prefix(task, pr.select_random(task.pool(4, 0), 4, 0))]
    assert pr.single_token_labels(models.lm, task) is not None
    fast = pr.score_prompts(models.lm, task, prefix, texts)
    pairs = pr.score_prompts(models.lm, task, prefix, texts, one_row_per_prompt=False)
    tolerance = 1e-4 if models.lm.precision == "float32" else 0.3
    assert np.abs(fast.logprobs - pairs.logprobs).max() < tolerance
    assert np.abs(fast.baseline - pairs.baseline).max() < tolerance
    assert np.array_equal(fast.predict(True), pairs.predict(True))


def test_calibration_lifts_zero_shot_from_chance(task, models):
    """The page's claim: uncalibrated, the small model answers 'refund' to almost everything;
    and the live run gives the precomputed point (within two messages: bf16 batches)."""
    result = fresh("zero", task, 8, 0, models)
    raw = result.calibrated(False)
    assert raw.accuracy < 0.3
    assert np.bincount(raw.predictions, minlength=5)[1] >= 80  # 'refund'
    assert result.accuracy > 0.45
    point = shipped.load().point("zero", 0, 0, repr(RunSettings().of("zero")))
    assert result.accuracy == pytest.approx(point.accuracy, abs=0.021)
    assert raw.accuracy == pytest.approx(point.calibrated(False).accuracy, abs=0.021)


# -- fine-tuning: what learns ---------------------------------------------------------------------


def test_lora_trains_only_its_adapters_as_peft_counts_them(llm, task):
    config = ft.FinetuneConfig.default("lora", lora_r=4, lora_targets=("q_proj", "v_proj"))
    model, params, report_ = ft.build_classifier(llm, config, task.n_labels, seed=0)
    trainable = sum(p.numel() for p in params)
    assert report_[0] == trainable == ft.expected_trainable(llm, config, task.n_labels)
    # 30 blocks x (q: 4 x (576 + 576), v: 4 x (576 + 192)) + the head 576 x 5
    assert trainable == 30 * (4 * (576 + 576) + 4 * (576 + 192)) + 576 * 5
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert names and all("lora_" in n or "modules_to_save" in n for n in names)
    # one step changes the adapters and leaves every original weight as it was
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    ids, mask, positions = ft._batch(llm, ft.tokenize(llm, ["where is my parcel", "refund please"]))
    loss = torch.nn.functional.cross_entropy(model(ids, mask, positions), torch.tensor([0, 1]))
    loss.backward()
    torch.optim.AdamW(params, lr=1e-2).step()
    assert all(torch.equal(p, frozen[n]) for n, p in model.named_parameters() if not p.requires_grad)
    lora_b = next(p for n, p in model.named_parameters() if "lora_B" in n)
    assert lora_b.abs().sum() > 0  # B starts at zero; the step moved it


def test_trainable_parameters_and_memory_estimates(llm):
    head = ft.expected_trainable(llm, ft.FinetuneConfig.default("head"), 5)
    lora = ft.expected_trainable(llm, ft.FinetuneConfig.default("lora"), 5)
    full = ft.expected_trainable(llm, ft.FinetuneConfig.default("full"), 5)
    assert head == 2880 < lora < full == ft.body_parameters(llm) + 2880
    assert 0.2 < 100 * lora / full < 0.5  # LoRA r=8 on q and v, plus the head: about 0.35 % of the weights
    assert ft.memory_need_mb(llm, ft.FinetuneConfig.default("full"), 5) > 2000  # weights + grads + Adam
    assert training_memory_mb(1_000_000, 0) == pytest.approx(3.81, abs=0.01)


def test_the_head_only_run_is_seeded_and_shows_overfitting_numbers(small, models):
    a = fresh("head", small, 8, 0, models)
    b = fresh("head", small, 8, 0, models)
    assert a.predictions == b.predictions and a.curves == b.curves
    c = fresh("head", small, 8, 1, models)
    assert c.predictions != a.predictions or c.curves != a.curves
    curves = a.curves
    assert curves.epochs == ft.DEFAULT_EPOCHS["head"]
    assert curves.train_loss[-1] < 0.5 * curves.val_loss[-1]  # it fits its 40 examples far better


# -- every learner beats chance, live -------------------------------------------------------------


def _shared_weights(lm) -> dict:
    return {n: p.detach().clone() for n, p in lm.model.named_parameters()}


@pytest.mark.parametrize("method, per_class", [
    ("feat_minilm", 8), ("feat_llm", 8), ("head", 8), ("setfit", 4), ("lora", 8), ("full", 8)])
def test_every_learning_method_beats_chance_clearly(small, models, method, per_class):
    """Live, with the page's code: the feature-based, SetFit and fine-tuned methods score
    more than twice chance on the shipped task's messages (25 of its test messages, to keep
    the suite quick; the precomputed curves below cover all 100 and three seeds).
    The page's default settings, except SetFit's pairs per example (2 instead of 5).
    Fine-tuning leaves the shared model exactly as it was."""
    settings = RunSettings()
    if method == "setfit":
        from dataclasses import replace

        settings = replace(settings, setfit=replace(settings.setfit, iterations=2))
    before = _shared_weights(models.lm) if method in ("lora", "full") else None
    result = fresh(method, small, per_class, 0, models, settings)
    assert result.accuracy > 2 * CHANCE, result.accuracy
    assert result.trainable > 0 and result.train_s > 0
    if method == "lora":
        assert result.extra["peft_report"][0] == result.trainable
        assert result.trainable == ft.expected_trainable(models.lm, settings.lora, 5)
    if method == "full":
        assert result.trainable == ft.body_parameters(models.lm) + 576 * 5
    if before is not None:
        after = dict(models.lm.model.named_parameters())
        assert set(after) == set(before) and all(torch.equal(before[n], after[n].detach()) for n in before)
        assert not any(type(m).__name__.startswith("Lora") for m in models.lm.model.modules())
        assert result.curves is not None and result.curves.epochs == getattr(settings, method).epochs


# -- seeds and the table ------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_table(task, models):
    """Every method but the three that train a copy of a model (their seeding is checked
    by the SetFit test here and the head's; LoRA and full fine-tuning use the same loop),
    twice, on 10 test messages: the same table."""
    tiny = task.smaller(2, 1)
    methods = ("zero", "few_random", "few_nearest", "feat_minilm", "feat_llm", "head")
    settings = RunSettings(prompt=pr.PromptConfig(k=2, orders=2))  # short prompts: quicker
    first = {m: fresh(m, tiny, 4, 7, models, settings) for m in methods}
    second = {m: fresh(m, tiny, 4, 7, models, settings) for m in methods}
    for m in methods:
        assert first[m].predictions == second[m].predictions
        assert first[m].runs == second[m].runs
    sources = {m: "live" for m in methods}
    columns = ["method", "accuracy", "spread", "trainable parameters"]
    assert report.cost_table(first, sources)[columns].equals(report.cost_table(second, sources)[columns])
    other = fresh("few_random", tiny, 4, 8, models, settings)  # another seed: other examples
    assert other.extra["examples_first"] != first["few_random"].extra["examples_first"]


def test_results_are_cached_by_their_real_inputs(task, models):
    a = run_method("feat_minilm", task, 2, 5, RunSettings(), models)
    assert run_method("feat_minilm", task, 2, 5, RunSettings(), models) is a
    assert run_method("feat_minilm", task, 2, 6, RunSettings(), models) is not a


def test_calibration_is_not_part_of_the_cache_key():
    on = RunSettings(prompt=pr.PromptConfig(calibrate=True))
    off = RunSettings(prompt=pr.PromptConfig(calibrate=False))
    assert on.key() == off.key() and on.of("zero") == off.of("zero")
    assert RunSettings().of("few_nearest").orders == 1


def test_a_run_over_the_step_limit_is_refused_before_it_starts():
    from dataclasses import replace

    from playground.fewshot.methods import check_steps

    settings = replace(RunSettings(), head=ft.FinetuneConfig.default("head", epochs=300))
    assert check_steps("head", 40, settings, 5000) == 5 * 300
    with pytest.raises(UserInputError, match="7,500 training steps here; this server allows 5,000"):
        check_steps("head", 200, settings, 5000)
    assert check_steps("zero", 200, settings, 1) == 0


# -- the training queue --------------------------------------------------------------------------------


def test_the_queue_refuses_a_run_bigger_than_the_budget():
    queue = TrainingQueue(memory_mb=1000, slots=2)
    with pytest.raises(UserInputError, match="needs about 2,000 MB; this server allows 1,000 MB"), \
            queue.slot("a", 2000):
        pass


def test_the_queue_runs_in_order_within_memory_and_one_per_session():
    queue = TrainingQueue(memory_mb=1000, slots=2, wait_s=30)
    order, heard = [], []
    release = threading.Event()

    def run(owner, need, name):
        with queue.slot(owner, need, on_wait=lambda n: heard.append((name, n)), nap_s=0.02):
            order.append(name)
            release.wait(5)

    first = threading.Thread(target=run, args=("s1", 600, "first"))
    first.start()
    time.sleep(0.1)
    blocked = [threading.Thread(target=run, args=("s2", 600, "over memory")),
               threading.Thread(target=run, args=("s1", 100, "same session"))]
    for t in blocked:
        t.start()
        time.sleep(0.05)
    time.sleep(0.2)
    assert order == ["first"] and queue.waiting() == 2
    assert ("over memory", 1) in heard  # one run ahead of it
    release.set()
    for t in [first, *blocked]:
        t.join(10)
    assert order == ["first", "over memory", "same session"]
    assert queue.running() == 0 and queue.waiting() == 0


def test_a_stopped_wait_leaves_the_queue_clean():
    queue = TrainingQueue(memory_mb=1000, slots=1)

    def stop(ahead):
        raise KeyboardInterrupt  # what a Streamlit rerun does inside the page's callback

    with queue.slot("a", 10):
        with pytest.raises(KeyboardInterrupt), queue.slot("b", 10, on_wait=stop):
            pass
        assert queue.waiting() == 0
    assert queue.running() == 0


def test_the_fine_tuning_limits_are_settings(monkeypatch):
    from playground.fewshot import queue as fsqueue

    monkeypatch.delenv("PLAYGROUND_FINETUNE_MEMORY_MB", raising=False)
    monkeypatch.delenv("PLAYGROUND_FINETUNE_SLOTS", raising=False)
    assert fsqueue.limits(object()) == (fsqueue.DEFAULT_MEMORY_MB, fsqueue.DEFAULT_SLOTS)
    monkeypatch.setenv("PLAYGROUND_FINETUNE_MEMORY_MB", "1500")
    monkeypatch.setenv("PLAYGROUND_FINETUNE_SLOTS", "3")
    assert fsqueue.limits(object()) == (1500.0, 3)
    monkeypatch.setenv("PLAYGROUND_FINETUNE_MEMORY_MB", "lots")  # a typo keeps the default
    assert fsqueue.limits(object())[0] == fsqueue.DEFAULT_MEMORY_MB

    class Configured:  # config.py's settings win when they define the limits
        finetune_memory_mb, finetune_slots = 800.0, 2

    assert fsqueue.limits(Configured()) == (800.0, 2)


# -- measuring ---------------------------------------------------------------------------------------------


def test_peak_memory_sees_an_allocation():
    with PeakMemory() as peak:
        block = np.ones(50 * 2**20 // 8)  # 50 MB
        time.sleep(0.05)
        del block
    assert peak.mb > 40


# -- the precomputed results ------------------------------------------------------------------------------------


def test_the_shipped_results_cover_every_method_and_match_the_defaults(task):
    pre = shipped.load()
    assert pre is not None, "run: python -m playground.fewshot.precompute"
    assert pre.task_key == task.key
    defaults = RunSettings()
    for method in METHODS:
        points = pre.of(method, repr(defaults.of(method)))
        assert points, f"no precomputed points of {method} with the page's default settings"
        if method != "zero":
            assert len({p.seed for p in points}) >= 3
            assert {p.per_class for p in points} >= {2, 8, task.max_per_class()}
    assert pre.meta["command"] == shipped.COMMAND
    assert pre.facts is not None and set(pre.long_curves) == {"head", "lora", "full"}


def test_the_precomputed_learners_beat_chance_clearly():
    pre = shipped.load()
    for method in ("feat_minilm", "feat_llm", "setfit", "head", "lora", "full"):
        at8 = [p.accuracy for p in pre.of(method) if p.per_class == 8]
        assert min(at8) > 2 * CHANCE, (method, at8)


@pytest.mark.parametrize("method", ["feat_minilm", "feat_llm", "head"])
def test_a_precomputed_point_comes_out_the_same_live(task, models, method):
    pre = shipped.load()
    point = pre.point(method, 8, 1, repr(RunSettings().of(method)))
    live = fresh(method, task, 8, 1, models)
    assert live.accuracy == pytest.approx(point.accuracy, abs=0.021)  # bf16 scoring: at most 2 messages


def test_the_page_shows_live_then_precomputed_then_nothing(task):
    from dataclasses import replace

    from playground.fewshot.cache import RESULTS
    from playground.fewshot.methods import MethodResult, cache_key

    settings = RunSettings()
    models = Models(None, None, "model-x")

    def point(method, accuracy):
        return MethodResult(method, 8, 0, accuracy, (accuracy,), (0,) * 100, 1.0, 0.01, 10, 100, 5.0,
                            config=repr(settings.of(method)))

    pre = shipped.Precomputed(meta={}, settings=settings.key(), model_key="model-x", task_key=task.key,
                              points=(point("feat_minilm", 0.9), point("lora", 0.7), point("zero", 0.5)))
    live = point("lora", 0.8)
    RESULTS.put(cache_key("lora", task, 8, 0, settings, models), live)
    now = lab.current(task, 8, 0, settings, models, pre)
    assert now.sources["lora"] == lab.LIVE and now.results["lora"] is live
    assert now.sources["feat_minilm"] == lab.PRECOMPUTED
    assert now.sources["setfit"] == lab.NOT_RUN
    # another LoRA rank: LoRA's precomputed point no longer fits, the others still do
    other = replace(settings, lora=replace(settings.lora, lora_r=16))
    now = lab.current(task, 8, 0, other, models, pre)
    assert now.sources["lora"] == lab.NOT_RUN and now.sources["feat_minilm"] == lab.PRECOMPUTED
    points, changed = lab.precomputed_points(task, other, models, pre)
    assert changed == ["lora"] and {p.method for p in points} == {"feat_minilm", "zero"}
    # another model: nothing precomputed applies
    assert lab.current(task, 8, 0, settings, Models(None, None, "model-y"), pre).sources["zero"] == lab.NOT_RUN


# -- the facts experiment: its prompts -------------------------------------------------------------


def test_the_facts_prompts_hold_the_facts_only_where_they_should():
    for fact in facts.FACTS:
        assert fact.answer in fact.candidates and fact.company in facts.COMPANIES
        assert fact.stem in fact.statement and fact.statement.split(fact.stem)[1].strip(" .").startswith(fact.answer)
    base = facts.prompts_for("forward", "base")
    prompted = facts.prompts_for("forward", "prompt")
    assert all("Facts:" not in p for p, _ in base)
    assert all(all(f.statement in p for f in facts.FACTS) for p, _ in prompted)
    unseen = facts.prompts_for("unseen", "tuned")
    assert all(facts.UNSEEN in p and not any(c in p for c in facts.COMPANIES) for p, _ in unseen)
    assert all(c == facts.COMPANIES for _, c in facts.prompts_for("reverse", "base"))


def test_facts_counts_and_summary_come_from_the_scores():
    n = len(facts.FACTS)
    right = tuple(tuple(1.0 if c == f.answer else 0.0 for c in f.candidates) for f in facts.FACTS)
    wrong = tuple(tuple(1.0 if c == next(x for x in f.candidates if x != f.answer) else 0.0 for c in f.candidates)
                  for f in facts.FACTS)
    scores = {"verbatim": {"base": wrong, "tuned": right}, "forward": {"base": wrong, "prompt": right, "tuned": right},
              "reverse": {"base": tuple((0.0,) * 6 for _ in range(n)), "prompt": tuple((0.0,) * 6 for _ in range(n)),
                          "tuned": tuple((0.0,) * 6 for _ in range(n))},
              "unseen": {"base": wrong, "prompt": right, "tuned": right}}
    result = facts.FactsResult(facts.FactsConfig(), scores, (1.0, 0.1), 3.0)
    assert result.count("verbatim", "tuned") == 6 and result.count("verbatim", "base") == 0
    assert result.count("verbatim", "prompt") == -1  # not asked
    assert result.count("reverse", "tuned") == 1  # every score equal: the first company, Brindlewood
    text = facts.summary(result)
    assert "**6 of 6**" in text and "which words go together" in text
    assert facts.FactsResult.from_dict(result.to_dict()) == result


# -- charts ----------------------------------------------------------------------------------------------------


def test_charts_escape_user_labels(task):
    pre = shipped.load()
    fig = charts.curve_figure(list(pre.points), 5, 40)
    assert fig.data and fig.layout.yaxis.range[1] > 1
    matrix = np.eye(2, dtype=int) * 3
    fig = charts.confusion_figure(matrix, ["<b>bold</b>", "ok"], "<script>x</script>")
    assert "<b>" not in str(fig.data[0].x) and "&lt;b&gt;" in fig.data[0].x[0]
    assert "<script>" not in fig.layout.title.text
    fig = charts.loss_figure(ft.Curves((1.0, 0.5, 0.2), (1.1, 0.9, 1.0), (0.3, 0.5, 0.5)), shown=3)
    assert fig.data[3].x == (2,)  # the lowest validation loss


def test_lab_shot_options_and_settings(task):
    assert lab.shot_options(task) == [2, 4, 8, 16, 32, 40]
    assert lab.shots_label(40, task) == "all (40)"
    s = lab.settings_from({"k": 4, "lora_r": 16, "lora_targets": ["v_proj", "q_proj"], "calibrate": False})
    assert s.prompt.k == 4 and s.lora.lora_r == 16 and s.lora.lora_targets == ("q_proj", "v_proj")
    assert lab.settings_from({}) == RunSettings()


# -- SetFit and the facts -----------------------------------------------------------------------------------


def test_setfit_same_seed_same_model(task):
    from playground.fewshot import setfit_method as sf

    pool = task.pool(2, 0)
    config = sf.SetFitConfig(iterations=1)
    test = task.text_list(task.indices("test")[:20])
    a = sf.train(task.text_list(pool), list(task.y(pool)), config, 0)
    b = sf.train(task.text_list(pool), list(task.y(pool)), config, 0)
    assert a.steps == sf.steps_for(len(pool), config) and a.losses == b.losses
    assert np.array_equal(a.predict(test), b.predict(test))


@pytest.mark.slow
def test_fine_tuning_on_facts_recites_them_but_carries_answers_to_an_unknown_company(llm):
    result = facts.run(llm, facts.FactsConfig())
    assert result.count("verbatim", "base") == 0
    assert result.count("verbatim", "tuned") == 6
    assert result.count("unseen", "tuned") >= 3  # answers about Fernhollow, which no fact mentions
    assert result.count("reverse", "tuned") <= 2
    assert "With the facts in its prompt" in facts.summary(result)
    pre = shipped.load()
    if pre.facts is None:  # the shipped file's coverage is checked above
        return
    for ask in facts.ASKS:
        for source in result.scores[ask]:
            assert abs(result.count(ask, source) - pre.facts.count(ask, source)) <= 1
