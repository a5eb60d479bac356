"""playground.limits: the context window, needles, lost in the middle, probe questions,
uncertainty signals and retrieval, on the real SmolLM2 and MiniLM (offline).

Grids are reduced here (a few cells); the page's default grid runs in one slow test."""

from __future__ import annotations

import itertools
import math
import threading
import time

import numpy as np
import pytest
import torch

from playground.errors import UserInputError
from playground.limits import charts, data
from playground.limits import context as cx
from playground.limits import probes as pr
from playground.limits import retrieval as rt
from playground.limits import uncertainty as un
from playground.limits.store import ResultStore
from playground.limits.text import (
    MAX_PASTE_CHARS,
    check_paste,
    check_question,
    contains,
    md_escape,
    normalise,
    numbers_in,
)

PASSWORD = data.NEEDLES[0]


@pytest.fixture(scope="module")
def hay(llm):
    return cx.build_haystack(llm)


@pytest.fixture(scope="module")
def kb(embedder):
    return rt.build_knowledge_base(embedder)


# -- the exact rules ---------------------------------------------------------------------------------


def test_normalise_and_contains_match_whole_words():
    assert normalise("  Blue  PELICAN!  ") == "blue pelican"
    assert normalise("Café — naïve") == "cafe naive"
    assert normalise("Don’t, men's!") == "don't men's"  # apostrophes inside words stay
    assert contains("The password is Blue Pelican.", "blue pelican")
    assert not contains("It is blue, like a pelican", "blue pelican")
    assert not contains("because", "au") and contains("The symbol is Au.", "au")
    assert contains("The men's title", "men's") and contains("I don't know.", "i don't know")
    assert contains("Water freezes at 0°C.", "0") and not contains("It is 10 degrees", "0")


def test_numbers_are_read_with_thousands_separators():
    assert numbers_in("4821 + 3907 = 8,728.") == [4821, 3907, 8728]
    assert numbers_in("about 31.1 million") == [31]
    assert numbers_in("no digits") == []


@pytest.mark.parametrize("probe", data.PROBES, ids=lambda p: p.question[:40])
def test_gold_labels_are_checked_by_the_exact_rule(probe):
    """Every question's gold passage, read as an answer, is graded right; a confident made-up
    answer is graded wrong; "I don't know" is an abstention (right where the probe allows it)."""
    if probe.passage:
        assert pr.grade(probe, data.KNOWLEDGE_BASE[probe.passage]) == "right", data.KNOWLEDGE_BASE[probe.passage]
    elif probe.accept:
        pytest.fail("a probe with accepted phrases needs a gold passage")
    assert pr.grade(probe, "It was Zorblat Quenby in the year 1742.") == "wrong"
    assert pr.grade(probe, "I don't know.") in ("don't know", "right")
    assert pr.counts_as_right(probe, pr.grade(probe, "I don't know.")) == probe.abstain_ok


def test_every_category_has_questions_and_passages_exist():
    assert {p.category for p in pr.all_probes()} == set(data.CATEGORIES)
    for p in data.PROBES:
        assert not p.passage or p.passage in data.KNOWLEDGE_BASE
    assert len({p.question for p in data.PROBES}) == len(data.PROBES)
    assert list(data.GPT3_ADDITION.values()) == [1.0, 0.804, 0.255, 0.093]


def test_arithmetic_is_drawn_from_its_seed_and_graded_by_the_first_number():
    a, b = pr.addition(3, 4, seed=1), pr.addition(3, 4, seed=1)
    assert a == b and a != pr.addition(3, 4, seed=2)
    for p in a:
        x, y = numbers_in(p.question)
        assert 100 <= x <= 999 and 100 <= y <= 999 and p.number == x + y
        assert pr.grade(p, f"{p.number}") == "right"
        assert pr.grade(p, f"{p.number:,}") == "right"
        assert pr.grade(p, f"{p.number + 1}") == "wrong"
        assert pr.grade(p, "I don't know") == "don't know"
    assert [pr.digits_of(p) for p in pr.arithmetic_probes(1)] == [1, 2, 3, 4, 5, 6]


# -- bad input -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, message", [
    ("", "is empty"), ("   ", "is empty"), ("🤔🤔🔥 ❓", "no letters or digits"), ("x" * 600, "characters long"),
])
def test_questions_that_cannot_be_asked_get_a_message(text, message):
    with pytest.raises(UserInputError, match=message):
        check_question(text)


def test_a_question_in_another_script_is_asked_with_a_note():
    assert "Latin alphabet" in check_question("Какая столица Франции?")
    assert "Latin alphabet" in check_question("法国的首都是哪里？")
    assert check_question("Qui a peint la Joconde ?") is None
    assert check_question("What is 2 + 2?") is None


def test_a_megabyte_paste_and_an_empty_haystack_are_refused():
    with pytest.raises(UserInputError, match="1,000,000 characters"):
        check_paste("a" * 1_000_000)
    check_paste("a" * MAX_PASTE_CHARS)
    with pytest.raises(UserInputError, match="empty"):
        check_paste("  \n ")


def test_haystack_and_needle_errors_say_what_to_do(llm):
    with pytest.raises(UserInputError, match="haystack is empty"):
        cx.build_haystack(llm, "   ")
    tiny = cx.build_haystack(llm, "Short.")
    with pytest.raises(UserInputError, match="longer than the haystack"):
        cx.needle_prompt(llm, tiny, PASSWORD, 512, 0.5)
    with pytest.raises(UserInputError, match="not in the needle sentence"):
        cx.check_needle(data.Needle("own", "The code is 4711.", "What is the code?", "1234"))
    with pytest.raises(UserInputError, match="no room for filler"):
        cx.needle_prompt(llm, cx.build_haystack(llm), PASSWORD, 40, 0.5, distractors=True)


def test_markdown_escaping_keeps_text_as_text():
    escaped = md_escape("**bold** [link](x) :red[no] $x$ <b>")
    for raw in ("**", "[link]", ":red[", "$x$", "<b>"):
        assert raw not in escaped


# -- needle in a haystack ---------------------------------------------------------------------------------


def test_needle_prompts_put_the_needle_where_asked(llm, hay):
    for length in (256, 1024):
        for depth in (0.0, 0.5, 1.0):
            p = cx.needle_prompt(llm, hay, PASSWORD, length, depth)
            assert length - 60 <= len(p.ids) <= length  # whole sentences up to the length
            s, e = p.needle_span
            assert llm.decode(list(p.ids[s:e])).strip() == PASSWORD.sentence
            if depth == 0.0:
                assert s == 0
            if depth == 1.0:  # right before the question
                assert llm.decode(list(p.ids[e:])).startswith("\n\nQuestion:")
            assert llm.decode(list(p.ids)).endswith("Answer: " + PASSWORD.answer_start)
    with_d = cx.needle_prompt(llm, hay, PASSWORD, 1024, 0.5, distractors=True)
    assert len(with_d.distractor_spans) == 3
    texts = [llm.decode(list(with_d.ids[s:e])).strip() for s, e in with_d.distractor_spans]
    assert sorted(texts) == sorted(PASSWORD.distractors)
    kinds = [k for _, k in cx.segments(llm, with_d)]
    assert kinds.count("needle") == 1 and kinds.count("distractor") == 3


def test_the_window_cuts_the_beginning_and_keeps_the_question(llm, hay):
    p = cx.needle_prompt(llm, hay, PASSWORD, 1024, 0.0, window=256)
    assert len(p.ids) == 256 and p.cut > 0 and p.needle_span is None
    assert llm.decode(list(p.ids)).endswith("Answer: " + PASSWORD.answer_start)
    kept = cx.needle_prompt(llm, hay, PASSWORD, 1024, 1.0, window=256)
    assert kept.needle_span is not None


def test_the_needle_is_found_inside_the_window_and_not_when_truncated_away(llm, hay):
    config = cx.SweepConfig(lengths=(512,), depths=(0.0, 1.0), window=256)
    cut, kept = list(cx.needle_sweep(llm, hay, PASSWORD, config))
    assert not cut.needle_kept and not cut.found
    assert "blue pelican" not in normalise(cut.answer)
    assert kept.needle_kept and kept.found, kept.answer
    assert kept.logprob > -3 > -10 > cut.logprob  # the right answer is likely only while it is readable
    # the same cell with nothing cut: found again
    whole = next(cx.needle_sweep(llm, hay, PASSWORD, cx.SweepConfig(lengths=(512,), depths=(0.0,))))
    assert whole.needle_kept and whole.found, whole.answer


def test_the_sweep_skips_done_cells_and_stops_between_cells(llm, hay):
    import threading

    config = cx.SweepConfig(lengths=(128,), depths=(0.0, 0.5, 1.0))
    stop = threading.Event()
    done = []
    for cell in cx.needle_sweep(llm, hay, PASSWORD, config, stop=stop, skip={(128, 0.0)}):
        done.append(cell)
        stop.set()
    assert [(c.length, c.depth) for c in done] == [(128, 0.5)]
    table = cx.sweep_table(done, config)
    assert table.found == ((None, 1.0 if done[0].found else 0.0, None),)


def test_one_read_of_the_prompt_gives_the_same_answer_and_score_as_two(llm_fp32, hay):
    """answer_and_score (one prefill, its cache cut back to the prompt) against the engine's
    greedy generation plus a separate scoring pass, in fp32 where both must agree closely."""
    lm = llm_fp32
    gold = cx.piece_ids(lm, cx.needle_continuation(PASSWORD))
    assert lm.decode(gold) == " blue pelican"
    for depth in (0.5,):
        prompt = cx.needle_prompt(lm, hay, PASSWORD, 160, depth, distractors=True)
        answer, score = cx.answer_and_score(lm, prompt.ids, gold, cx.ANSWER_TOKENS)
        reference = cx.greedy_answer(lm, prompt.ids, cx.ANSWER_TOKENS)
        assert answer.text == reference.text and answer.token_ids == reference.token_ids
        assert list(answer.probs) == pytest.approx(list(reference.probs), abs=1e-4)
        assert score == pytest.approx(lm.continuation_logprob(list(prompt.ids), gold).total, abs=1e-3)


def test_lengths_and_positions():
    assert cx.lengths_up_to(2048) == (128, 256, 512, 1024, 2048)
    assert cx.lengths_up_to(8192) == (512, 1024, 2048, 4096, 8192)
    assert cx.lengths_up_to(1024) == (128, 256, 512, 1024)
    assert cx.positions_for(10) == (1, 3, 6, 8, 10) == cx.MiddleConfig().positions
    assert cx.positions_for(3) == (1, 2, 3)


# -- the context window and truncation -------------------------------------------------------------------------


def test_window_prompt_cuts_either_end(llm):
    text = data.forget_text()
    whole = cx.window_prompt(llm, text, data.FORGET_QUESTION, 8192, "start", data.FORGET_ANSWER_START,
                             data.FORGET_FACT)
    assert whole.ids == whole.full and whole.fact_kept and whole.question_kept
    assert cx.model_window(llm) == 8192
    start = cx.window_prompt(llm, text, data.FORGET_QUESTION, 512, "start", data.FORGET_ANSWER_START,
                             data.FORGET_FACT)
    assert len(start.ids) == 512 and start.ids == start.full[-512:]
    assert not start.fact_kept and start.question_kept
    end = cx.window_prompt(llm, text, data.FORGET_QUESTION, 512, "end", data.FORGET_ANSWER_START, data.FORGET_FACT)
    assert end.ids == end.full[:512] and end.fact_kept and not end.question_kept
    assert end.question_tokens == len(cx.piece_ids(llm, cx.question_block(data.FORGET_QUESTION,
                                                                           data.FORGET_ANSWER_START)))


# -- lost in the middle ---------------------------------------------------------------------------------------


def test_middle_questions_have_one_document_with_the_answer():
    config = cx.MiddleConfig(documents=10, questions=30)
    questions = cx.middle_questions(config)
    assert len({q.question for q in questions}) == 30
    for q in questions:
        assert contains(q.gold, q.answer) and q.town.name in q.gold
        assert len(q.documents) == 9 and not any(contains(d, q.answer) for d in q.documents)
        assert not any(q.town.name in d for d in q.documents)
        for position in (1, 5, 10):
            text = cx.middle_text(q, position)
            assert f"Document [{position}]: {q.gold}" in text and "Document [10]" in text
        assert "Document" not in cx.middle_text(q, None)
    assert cx.middle_questions(config) == questions  # seeded
    with pytest.raises(UserInputError, match="Positions go from 1 to 3"):
        cx.middle_questions(cx.MiddleConfig(documents=3, positions=(1, 5)))


def test_middle_run_and_curve(llm):
    config = cx.MiddleConfig(documents=3, positions=(1, 3), questions=1)
    results = list(cx.middle_run(llm, config))
    assert [r.position for r in results] == [None, 1, 3]
    curve = cx.middle_curve(results, config)
    assert curve.positions == (1, 3) and curve.questions == 1
    assert curve.closed_book == float(results[0].right)
    assert all(r.logprob < 0 for r in results)


# -- uncertainty ------------------------------------------------------------------------------------------


def test_token_probabilities_agree_with_a_manual_forward_pass(llm_fp32):
    """The logits at position i predict token i+1: answer token j is read one position back."""
    lm = llm_fp32
    prompt = lm.encode("What is the capital of France?")
    answer = lm.tokenizer(" The capital of France is Paris.", add_special_tokens=False)["input_ids"]
    infos = un.token_uncertainty(lm, prompt, answer)
    with torch.inference_mode():
        logits = lm.model(torch.tensor([prompt + answer])).logits[0].float()  # (T, V)
    logp = torch.log_softmax(logits, -1)
    n = len(prompt)
    for j, info in enumerate(infos):
        row = logp[n + j - 1]
        assert info.token_id == answer[j]
        assert info.prob == pytest.approx(float(row[answer[j]].exp()), abs=1e-4)
        assert info.entropy == pytest.approx(float(-(row.exp() * row).sum() / math.log(2)), abs=1e-3)
        assert info.alternatives[0][1] == pytest.approx(float(row.exp().max()), abs=1e-4)
    # and with the engine's scoring of the same continuation
    score = lm.continuation_logprob(prompt, answer)
    assert [math.log(i.prob) for i in infos] == pytest.approx(score.logprobs, abs=1e-4)
    assert infos[-2].text == " Paris" and infos[-2].prob > 0.5


def test_greedy_answer_probabilities_match_generation(llm):
    ids = llm.encode("What is the capital of France?")
    answer = cx.greedy_answer(llm, ids, 12, stop_at_period=False)
    assert "Paris" in answer.text and "<|im_end|>" not in answer.text
    infos = un.token_uncertainty(llm, ids, answer.token_ids)
    assert [i.token_id for i in infos] == list(answer.token_ids)
    # the same token probabilities, from a one-pass forward vs. step by step (bf16 tolerance)
    assert [i.prob for i in infos] == pytest.approx(list(answer.probs), abs=0.05)


def test_grouping_by_meaning_and_semantic_entropy(embedder):
    same = un.consistency(["Paris.", "Paris.", "It is Paris.", "The capital is Paris."], "Paris", embedder, 0.6)
    assert len(same.groups) == 1 and same.entropy == 0.0 and same.agreement == 1.0
    spread = un.consistency(["Paris.", "A banana.", "The year 1789.", "Jupiter is a planet."], "Paris", embedder, 0.85)
    assert len(spread.groups) == 4 and spread.entropy == pytest.approx(2.0)
    assert spread.agreement == 0.25
    numbers = un.consistency(["8728", "The answer is 8728.", "8729", ""], "8728", numeric=True)
    assert [len(g) for g in numbers.groups] == [2, 1, 1] and numbers.how == "number"
    assert un.entropy_bits([2, 1, 1]) == pytest.approx(1.5)


def test_auroc_matches_scikit_learn():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    scores = rng.normal(size=40).round(1)  # with ties
    wrong = rng.random(40) < 0.4
    assert un.auroc(scores, wrong) == pytest.approx(roc_auc_score(wrong, scores))
    assert un.auroc([0.1, 0.9], [False, True]) == 1.0
    assert math.isnan(un.auroc([0.1, 0.2], [False, False]))
    assert un.auroc([float("nan"), 0.1, 0.9], [True, False, True]) == 1.0


# -- retrieval ---------------------------------------------------------------------------------------------


def test_retrieval_ranks_the_gold_passage_first_and_is_read_only(kb, embedder):
    top = kb.search(embedder, "Which country won the Eurovision Song Contest in 2025?", 3)
    assert top[0].id == "eurovision2025" and top[0].score > top[1].score > top[2].score
    assert not kb.vectors.flags.writeable  # shared by every session: read-only


def test_retrieval_returns_the_gold_passage_for_every_gold_question(kb, embedder):
    """recall@3 of both retrievers over the gold questions (the page shows the same table),
    and our BM25 (Lucene variant, k1 1.5, b 0.75) against the bm25s library on the same words."""
    gold = [p for p in data.PROBES if p.passage]
    questions = [p.question for p in gold]
    recall = {}
    for method in rt.METHODS:  # one search per question: its top 3, in order
        found = [[r.id for r in kb.search(embedder, p.question, 3, method)] for p in gold]
        ranks = [ids.index(p.passage) + 1 if p.passage in ids else 99 for p, ids in zip(gold, found)]
        recall[method] = (sum(r <= 1 for r in ranks) / len(gold), sum(r <= 3 for r in ranks) / len(gold))
    print("recall@1, recall@3 over", len(questions), "gold questions:", recall)
    assert recall["bm25"][1] == 1.0 and recall["minilm"][1] == 1.0
    assert recall["bm25"][1] == rt.recall_at_k(kb, embedder, k=3, method="bm25")  # the page's function
    top = kb.search(embedder, "Which country won the Eurovision Song Contest in 2025?", 3, "bm25")
    assert top[0].id == "eurovision2025" and top[0].method == "bm25" and top[0].score > top[1].score
    assert not kb.bm25.tf.flags.writeable and rt.words("The Sun's moons!") == ["sun's", "moons"]
    assert kb.bm25.scores("zzz qqq").tolist() == [0.0] * len(kb.ids)  # no shared word: all zero
    bm25s = pytest.importorskip("bm25s")
    library = bm25s.BM25()  # defaults: method "lucene", k1 1.5, b 0.75
    library.index([rt.words(t) for t in kb.texts], show_progress=False)
    vocabulary = set(kb.bm25.vocabulary)
    for question in questions:
        terms = list(dict.fromkeys(w for w in rt.words(question) if w in vocabulary))
        assert kb.bm25.scores(terms) == pytest.approx(library.get_scores(terms), abs=1e-5), question


def test_word_support_is_an_exact_rule(kb, embedder):
    question = "Which country won the Eurovision Song Contest in 2025?"
    passages = kb.search(embedder, question, 3)
    right = rt.word_support("Austria won the 2025 contest with Wasted Love by JJ.", question, passages)
    assert set(right.found) >= {"austria", "wasted", "love", "jj"} and right.share == 1.0
    made_up = rt.word_support("Sweden won it with Tattoo by Loreen.", question, passages)
    assert {"sweden", "tattoo", "loreen"} <= set(made_up.missing) and made_up.share < 0.5
    assert math.isnan(rt.word_support("Eurovision 2025.", question, passages).share)  # nothing new to check


def test_grounded_prompt_holds_the_passages(llm, kb, embedder):
    probe = data.PROBES[0]
    passages = kb.search(embedder, probe.question, 3)
    text = pr.prompt_text(llm, probe, passages)
    assert "[1] " + passages[0].text in text and probe.question in text and pr.SYSTEM in text
    assert rt.support("Paris is the capital of France.", passages, embedder) > 0.7


# -- the probe set -----------------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_table(llm, embedder, kb):
    config = pr.ProbeConfig(samples=2, max_new_tokens=8, per_category=1, digits=(2,), per_digit=1)
    plan = [(p.question, g) for p in pr.probe_set(config) for g in ((False,) if p.number else (False, True))]
    assert len(plan) == pr.planned_runs(config) == 9
    first = list(itertools.islice(pr.run_probe_set(llm, embedder, kb, config), 2))
    assert [(r.probe.question, r.retrieval) for r in first] == plan[:2]
    # again, skipping the first run (as Run does after a stop): the same seed, the same run and table
    again = [first[0]] + list(itertools.islice(pr.run_probe_set(llm, embedder, kb, config, skip={plan[0]}), 1))
    assert again == first
    assert repr(pr.summarise(first, config)) == repr(pr.summarise(again, config))  # repr: nan == nan
    assert first[0].samples and all(o in pr.OUTCOMES for o in first[0].sample_outcomes)


def test_summary_tables_from_hand_made_runs():
    config = pr.ProbeConfig(temperature=0.7)
    fact = data.PROBES[0]
    add = pr.addition(2, 1)[0]

    def run(probe, grounded, outcome, samples, entropy):
        return pr.ProbeRun(probe, grounded, (), "x", outcome, ("a",) * len(samples), tuple(samples), entropy,
                           entropy, entropy, 0.5)

    runs = [run(fact, False, "wrong", ["wrong", "right"], 3.0), run(fact, True, "right", ["right", "right"], 1.0),
            run(add, False, "right", ["wrong", "wrong"], 0.5)]
    s = pr.summarise(runs, config)
    assert s.wrong["real facts"] == {"T=0 · no retrieval": 1.0, "T=0.7 · no retrieval": 0.5,
                                     "T=0 · retrieval": 0.0, "T=0.7 · retrieval": 0.0}
    assert s.arithmetic == {2: (1.0, 0.0, 1)}
    assert s.separation["token entropy (mean)"] == (1.0, 1, 1)  # the wrong answer is the more uncertain one


def test_examine_an_own_question(llm, embedder, kb):
    with pytest.raises(UserInputError):
        pr.own_question("😀😀")
    probe = pr.own_question("  What is the capital   of France? ")
    assert probe.question == "What is the capital of France?"
    # not grounded: the passages are retrieved to check the answer against, not shown to the model
    ex = pr.examine(llm, embedder, probe, pr.ProbeConfig(samples=2, max_new_tokens=10, retriever="bm25"), kb,
                    grounded=False)
    assert ex.outcome is None and ex.sample_outcomes == ()
    assert ex.passages[0].id == "france" and not ex.grounded and "Passages:" not in ex.prompt
    assert ex.tokens and not math.isnan(ex.support)
    assert "paris" in ex.words.found, (ex.answer, ex.words)
    assert len(ex.consistency.answers) == 2


# -- sharing and figures --------------------------------------------------------------------------------------


def test_the_store_keeps_tuples_only_least_recently_used_first():
    store = ResultStore(size=2)
    with pytest.raises(TypeError):
        store.put("a", [1])
    store.put("a", (1,))
    store.put("b", (2,))
    assert store.get("a") == (1,)
    store.put("c", (3,))
    assert store.get("b") is None and store.get("a") == (1,) and len(store) == 2


def test_figures_escape_model_text(llm, hay):
    prompt = cx.needle_prompt(llm, hay, PASSWORD, 128, 0.5)
    cell = cx.NeedleCell(prompt, "<script>alert(1)</script>", False, -12.0, 3, None, 0.1)
    config = cx.SweepConfig(lengths=(128,), depths=(0.5, 1.0))
    fig = charts.needle_heatmap([cell], config, "found", (128, 0.5))
    spec = fig.to_json()
    assert "<script>" not in spec and "&lt;script&gt;" in spec
    assert fig.layout.shapes  # the selected cell is outlined
    by_logprob = charts.needle_heatmap([cell], config, "logprob")
    assert by_logprob.data[0].z[0][0] == -12.0 and by_logprob.data[0].z[0][1] is None  # not run yet
    assert list(by_logprob.data[1].customdata[0]) == [128, 0.5]  # what a click sends back
    tokens = [un.TokenInfo(1, "<b>", 0.2, 3.0, (("<b>", 0.2), (" x", 0.1)))]
    for colour in ("prob", "entropy"):
        assert "<b>" not in charts.token_strip(tokens, colour).data[0].text[0]
    curve = cx.MiddleCurve((1, 2), (0.5, 0.0), (-1.0, -2.0), 0.0, -9.0, 2)
    assert len(charts.middle_figure(curve, 2).data) == 3
    wp = cx.window_prompt(llm, data.forget_text(), "Who?", 256, "start", fact=data.FORGET_FACT)
    assert charts.window_figure(len(wp.full), wp.cut_start, wp.cut_end, wp.fact_span, wp.question_tokens, 256,
                                8192).data


def _counting_work(n: int, calls: list, delay: float = 0.0, gate=None):
    """work(done) yielding the items 0..n-1 missing from done; records every call."""
    def work(done: tuple):
        calls.append(done)
        for i in range(n):
            if i in done:
                continue
            if gate is not None:
                gate.wait(5)
            time.sleep(delay)
            yield i
    return work


def test_a_run_under_way_is_followed_by_a_second_session_not_repeated():
    store, calls, got = ResultStore(), [], {}
    work = _counting_work(6, calls, delay=0.05)
    first = store.run_once("k", (), work)
    got["a"] = [next(first)]  # the first session is running the work now
    followed = []

    def second():
        got["b"] = list(store.run_once("k", (), work, on_follow=lambda: followed.append(True)))

    thread = threading.Thread(target=second)
    thread.start()
    got["a"] += list(first)
    thread.join(10)
    assert got["a"] == list(range(6)) and sorted(got["b"]) == list(range(6))
    assert len(calls) == 1 and followed == [True]  # computed once, the second session was told


def test_a_stopped_run_is_taken_over_by_the_session_following_it():
    store, calls, got = ResultStore(), [], {}
    gate = threading.Event()
    work = _counting_work(5, calls, gate=gate)
    first = store.run_once("k", (), work)
    gate.set()
    got["a"] = [next(first), next(first)]  # items 0 and 1, then the session moves on

    def second():
        got["b"] = list(store.run_once("k", (), work))

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.2)
    first.close()  # Streamlit stops the first session's script: its generator is closed
    thread.join(10)
    assert sorted(got["b"]) == list(range(5))
    assert calls == [(), (0, 1)]  # the second session computed only what was missing
    assert list(store.run_once("k", (0, 1, 2, 3, 4), work)) == [] and len(calls) == 3  # nothing left to do
