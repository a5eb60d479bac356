"""playground.tokens on the real default models: tokenizer round trips, embeddings and
their cosines, the same word in context, attention (rows, mask, recomputed by hand from
q and k within 1e-4 in fp32), rotary positions against transformers, the forward pass
and the logit lens, bad input, and every "try this" claim of the page at its defaults."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from playground.errors import UserInputError
from playground.tokens import attention as att
from playground.tokens import charts, context, forward, inside, pieces, rotary, vectors

ATTENTION_TEXT = "The animal didn't cross the street because it was too tired"  # the page's default
FORWARD_TEXT = "The capital of France is"
SENTENCES = ["A cat is sitting on the mat.", "A kitten rests on a rug.", "The stock market crashed today.",
             "Shares fell sharply on Wall Street.", "I love pizza."]
ODD_TEXTS = {
    "emoji": "I love 🍓 and 🦜! 👍🏽 family: 👨‍👩‍👧",
    "arabic": "القطة نائمة على النافذة",
    "hebrew": "החתול ישן",
    "cjk": "猫が寝ています。你好",
    "control": "a\x00b\x07c\u200bd\u202ee\tf\r\ng",
    "code": "def add(a, b):\n    return a + b  # ∑",
    "combining": "naïve café e\u0301",
}


@pytest.fixture(scope="module")
def vocab(llm):
    return pieces.vocabulary(llm.tokenizer)


@pytest.fixture(scope="module")
def wordpiece():
    return pieces.load_wordpiece()


@pytest.fixture(scope="module")
def default_view(llm):
    return att.trace_view(llm, llm.encode(ATTENTION_TEXT, mode="raw"))


def view_of(lm, text: str) -> att.TraceView:
    return att.trace_view(lm, lm.encode(text, mode="raw"))


# ---- tokens --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ODD_TEXTS))
def test_byte_level_round_trip_keeps_every_character(llm, vocab, name):
    text = ODD_TEXTS[name]
    ids = llm.encode(text, mode="raw")
    assert llm.decode(ids) == text
    assert b"".join(vocab.raw[i] for i in ids) == text.encode("utf-8")  # the chips' bytes are the text
    shown = pieces.llm_pieces(llm, vocab, text)
    assert shown.ids == ids and shown.characters == len(text)


def test_an_emoji_is_spelled_with_byte_tokens(llm, vocab):
    shown = pieces.llm_pieces(llm, vocab, "🍓")
    assert [p.label for p in shown.pieces] == ["⟨F0 9F⟩", "⟨8D⟩", "⟨93⟩"]
    assert all(p.kind == "bytes" and "'🍓'" in p.note for p in shown.pieces)
    assert "bytes 1-2 of the 4 bytes" in shown.pieces[0].note


def test_wordpiece_lowercases_strips_accents_and_marks_unknown(wordpiece):
    shown = pieces.wordpiece_pieces(wordpiece, "Naïve Café 🍓")
    assert [p.label for p in shown.pieces] == ["[CLS]", "naive", "cafe", "[UNK]", "[SEP]"]
    assert [p.kind for p in shown.pieces] == ["special", "word-start", "word-start", "unknown", "special"]
    assert pieces.wordpiece_text(wordpiece, "Naïve Café 🍓") == "naive cafe [UNK]"
    # right to left: Hebrew letters survive in stored order; accent stripping even changes an Arabic
    # letter (ئ, yeh with hamza, loses its hamza and becomes ي)
    hebrew = ODD_TEXTS["hebrew"]
    assert pieces.wordpiece_text(wordpiece, hebrew).replace(" ", "") == hebrew.replace(" ", "")
    arabic = pieces.wordpiece_text(wordpiece, ODD_TEXTS["arabic"])
    assert "ئ" in ODD_TEXTS["arabic"] and "ئ" not in arabic and "ي" in arabic
    assert pieces.wordpiece_text(wordpiece, "a\x00b\x07c") == "abc"  # control characters dropped


def test_claim_strawberry_is_one_token_and_its_letters_never_appear(llm, vocab, wordpiece):
    question = pieces.EXAMPLES[0].text  # the page's default text
    shown = pieces.llm_pieces(llm, vocab, question)
    assert shown.count == 8
    straw = [p for p in shown.pieces if "strawberry" in p.label]
    assert [(p.label, p.token_id) for p in straw] == [(" strawberry", 35199)]
    alone = pieces.llm_pieces(llm, vocab, "strawberry")
    assert [p.label for p in alone.pieces] == ["st", "raw", "berry"]
    assert "strawberry" in [p.label for p in pieces.wordpiece_pieces(wordpiece, question).pieces]


def test_claim_numbers_digit_by_digit_and_wordpiece_chunks(llm, vocab, wordpiece):
    text = pieces.EXAMPLES[1].text
    shown = pieces.llm_pieces(llm, vocab, text)
    assert shown.count == 17
    digits = [p for p in shown.pieces if p.label.strip().isdigit()]
    assert len(digits) == 13 and all(len(p.label) == 1 for p in digits)  # one token per digit
    assert [p.label for p in pieces.wordpiece_pieces(wordpiece, text).pieces][1:3] == ["123", "##45"]


def test_claim_chat_mode_adds_the_template_and_a_system_prompt(llm, vocab):
    question = pieces.EXAMPLES[0].text
    raw = pieces.llm_pieces(llm, vocab, question, "raw")
    chat = pieces.llm_pieces(llm, vocab, question, "chat")
    assert (raw.count, chat.count, chat.special_count) == (8, 38, 5)
    specials = [p.label for p in chat.pieces if p.kind == "special"]
    assert specials == ["<|im_start|>", "<|im_end|>", "<|im_start|>", "<|im_end|>", "<|im_start|>"]
    assert "system" in [p.label for p in chat.pieces]


def test_claim_the_same_sentence_costs_four_times_more_tokens_in_hindi(llm, wordpiece):
    rows = {r[0]: r for r in pieces.language_counts(llm, wordpiece)}
    assert rows["English"][2] == 10 and rows["Hindi"][2] == 39  # the caption's numbers
    assert rows["Japanese"][2] > 2 * rows["English"][2]
    example = pieces.EXAMPLES[5]  # "Other languages": 8 characters, 14 tokens
    assert (len(example.text), len(llm.encode(example.text, mode="raw"))) == (8, 14)


def test_bad_text_gets_a_clear_message_and_nothing_is_cut(llm, vocab):
    for empty in ("", "   \n\t "):
        with pytest.raises(UserInputError, match="empty"):
            pieces.check_text(empty)
    with pytest.raises(UserInputError, match="50,000 characters long; this view reads at most 20,000"):
        pieces.check_text("x" * 50_000)
    with pytest.raises(UserInputError, match="tokens long; this view shows at most 1,024"):
        pieces.llm_pieces(llm, vocab, "word " * 1500)
    notes = " ".join(pieces.text_notes(ODD_TEXTS["control"]))
    assert "U+0000" in notes and "U+200B" in notes and "U+202E" in notes
    assert "right-to-left" in " ".join(pieces.text_notes(ODD_TEXTS["hebrew"]))
    assert "emoji" in " ".join(pieces.text_notes(ODD_TEXTS["emoji"]))
    assert pieces.text_notes("Plain English.") == []


def test_chips_escape_markup(llm, vocab):
    text = '<script>alert(1)</script><b>x</b>'
    spec = charts.chips_figure(pieces.llm_pieces(llm, vocab, text).pieces).to_json()
    assert "<script" not in spec and "<b>x" not in spec and "&lt;" in spec


# ---- embeddings ----------------------------------------------------------------------------


def test_claim_monday_neighbours_are_the_other_weekdays(llm):
    matrix = vectors.embedding_matrix(llm.model)
    tv = vectors.token_vector(matrix, vectors.row_norms(matrix), llm.encode(" Monday", mode="raw")[0])
    names = [llm.decode([i]) for i, _ in tv.neighbours[:6]]
    assert sorted(names) == sorted([" Tuesday", " Wednesday", " Thursday", " Friday", " Saturday", " Sunday"])
    # the cosines are the direct computation
    rows = matrix.float()
    for token_id, cos in tv.neighbours[:3]:
        direct = torch.nn.functional.cosine_similarity(rows[tv.token_id], rows[token_id], dim=0)
        assert cos == pytest.approx(float(direct), abs=1e-5)
    assert tv.norm == pytest.approx(float(rows[tv.token_id].norm()), rel=1e-6)
    assert tv.token_id not in [i for i, _ in tv.neighbours]


def test_similarity_matrix_is_symmetric_with_ones_on_the_diagonal(embedder):
    vecs = embedder.encode(SENTENCES)
    sims = vectors.cosine_matrix(vecs)
    assert np.array_equal(sims, sims.T)
    assert np.all(np.diag(sims) == 1.0)
    direct = np.array([[float(torch.nn.functional.cosine_similarity(torch.tensor(a), torch.tensor(b), dim=0))
                        for b in vecs] for a in vecs])
    assert np.abs(sims - direct).max() < 1e-5


def test_claim_cat_and_kitten_are_close_without_a_shared_word(embedder):
    sims = vectors.cosine_matrix(embedder.encode(SENTENCES))
    assert 0.6 <= sims[0, 1] <= 0.7  # "about 0.65"
    assert sims[0, 2] <= 0.15  # cat vs stock market: "about 0.1"
    assert 0.5 <= sims[2, 3]  # the two market sentences
    assert not vectors.word_overlap(SENTENCES[0], SENTENCES[1]) - {"the"}


def test_claim_the_map_groups_come_out_without_labels(embedder):
    texts, groups = vectors.example_points("Animals, fruits, vehicles, emotions")
    vecs = embedder.encode(texts)
    purity = vectors.neighbour_purity(vecs, groups)
    assert round(purity * len(texts)) >= 30 and len(texts) == 32
    for method in ("PCA", "t-SNE"):
        for dims in (2, 3):
            coords, caption = vectors.project(vecs, method, dims)
            assert coords.shape == (32, dims) and np.isfinite(coords).all() and caption
    a, _ = vectors.project(vecs, "t-SNE", 2, seed=0)
    b, _ = vectors.project(vecs, "t-SNE", 2, seed=0)
    assert np.allclose(a, b)  # seeded


def test_claim_search_finds_meaning_not_words(embedder):
    corpus = embedder.encode(list(vectors.CORPUS))
    hits = vectors.search(embedder.encode(["How do I fix a flat tyre?"])[0], corpus, vectors.CORPUS)
    assert "bicycle tube" in hits[0].text
    assert not vectors.word_overlap("How do I fix a flat tyre?", hits[0].text)
    hits = vectors.search(embedder.encode(["Why is the sea level rising and falling every day?"])[0], corpus,
                          vectors.CORPUS)
    assert "tides" in hits[0].text and "boils" in hits[1].text
    assert {"sea", "level"} <= vectors.word_overlap("Why is the sea level rising and falling every day?",
                                                     hits[1].text)
    assert hits[0].score > hits[1].score and [h.rank for h in hits] == [1, 2, 3, 4, 5]


def test_bad_sentence_lists_get_messages():
    with pytest.raises(UserInputError, match="at least 2"):
        vectors.read_lines("only one\n\n")
    with pytest.raises(UserInputError, match="at most 60"):
        vectors.read_lines("\n".join(f"line {i}" for i in range(61)))
    with pytest.raises(UserInputError, match="Line 2 is 501 characters"):
        vectors.read_lines("fine\n" + "x" * 501)
    with pytest.raises(UserInputError, match="at least 3"):
        vectors.project(np.eye(2, 4), "PCA", 2)


# ---- context -------------------------------------------------------------------------------


def compare_example(lm, vocab, example: context.ContextExample) -> context.ContextComparison:
    views, found = [], []
    for sentence in (example.a, example.b, example.c):
        ids = lm.encode(sentence, mode="raw")
        found.append(context.word_token_positions(ids, vocab, sentence, example.word))
        views.append(att.trace_view(lm, ids))
    return context.compare(views, found)


def test_claim_server_restaurant_pair_stays_closer_from_layer_6(llm, vocab):
    result = compare_example(llm, vocab, context.EXAMPLES[0])
    assert result.same_token and result.word_tokens[0] == (" server",)
    assert result.same[0] == pytest.approx(1.0, abs=1e-6) and result.other[0] == pytest.approx(1.0, abs=1e-6)
    assert (result.gap[6:] > 0).all()


def test_claim_bank_gap_opens_by_layer_6(llm, vocab):
    result = compare_example(llm, vocab, context.EXAMPLES[1])
    assert result.gap[6] > 0.15
    assert 0.15 < result.gap[8] < 0.3  # "about 0.2 closer" (the example's caption)


def test_claim_only_the_words_before_count(llm, vocab):
    result = compare_example(llm, vocab, context.EXAMPLES[2])
    assert (result.other >= 0.999).all()  # A and B: the same vector at every layer
    assert result.same[1:].min() < 0.95


def test_word_positions_follow_bytes_and_refuse_missing_words(llm, vocab):
    text = "I ate a strawberry, then strawberries."
    ids = llm.encode(text, mode="raw")
    found = context.word_token_positions(ids, vocab, text, "strawberries")
    assert "".join(llm.decode([ids[i]]) for i in found).strip() == "strawberries"
    found = context.word_token_positions(ids, vocab, text, "STRAWBERRY")  # case ignored, whole words only
    assert "".join(llm.decode([ids[i]]) for i in found) == " strawberry"
    with pytest.raises(UserInputError, match="is not a word of"):
        context.word_token_positions(ids, vocab, text, "straw")
    with pytest.raises(UserInputError, match="Type the word"):
        context.word_token_positions(ids, vocab, text, "  ")
    with pytest.raises(UserInputError, match="Sentence B is empty"):
        context.check_sentence(" ", "B")


# ---- attention -----------------------------------------------------------------------------


def test_rows_sum_to_one_and_nothing_above_the_diagonal(default_view, llm_fp32):
    A = default_view.attentions
    T = default_view.length
    assert A.shape == (30, 9, T, T)
    assert np.abs(A.sum(-1) - 1).max() < 1e-2  # bf16 softmax
    assert np.triu(A, k=1).max() == 0.0
    A32 = view_of(llm_fp32, ATTENTION_TEXT).attentions
    assert np.abs(A32.sum(-1) - 1).max() < 1e-5
    assert np.triu(A32, k=1).max() == 0.0


@pytest.mark.parametrize("layer", [0, 13, 29])
def test_attention_recomputed_by_hand_from_q_and_k_matches_the_model(llm_fp32, layer):
    """RMSNorm, q and k projections, rotary, keys shared across the group, causal mask,
    softmax(q kᵀ/√d): the model's own weights within 1e-4 (fp32), every head."""
    ids = llm_fp32.encode(ATTENTION_TEXT, mode="raw")
    trace = llm_fp32.trace(ids)
    by_hand = inside.attention_by_hand(llm_fp32.model, trace.hidden_states[layer].clone(), layer)
    assert by_hand.shape == trace.attentions[layer].shape
    assert (by_hand - trace.attentions[layer]).abs().max() < 1e-4
    # and with transformers' own rotary and repeat_kv, to check our rotation and grouping
    from transformers.models.llama.modeling_llama import apply_rotary_pos_emb, repeat_kv

    parts = inside.qkv(llm_fp32.model, trace.hidden_states[layer].clone(), layer)
    positions = torch.arange(len(ids))[None]
    cos, sin = llm_fp32.model.model.rotary_emb(parts.q[None], positions)
    q_ref, k_ref = apply_rotary_pos_emb(parts.q[None], parts.k[None], cos, sin)
    assert (q_ref[0] - parts.q_rot).abs().max() < 1e-5 and (k_ref[0] - parts.k_rot).abs().max() < 1e-5
    keys = repeat_kv(k_ref, 3)[0]
    scores = q_ref[0] @ keys.transpose(-1, -2) / 8.0
    assert (scores - inside.scores_by_hand(parts, llm_fp32.model)).abs().max() < 1e-4


def test_one_layer_by_hand_gives_the_next_hidden_state(llm_fp32):
    trace = llm_fp32.trace(llm_fp32.encode(ATTENTION_TEXT, mode="raw"))
    for layer in (0, 17):
        _, out = inside.layer_by_hand(llm_fp32.model, trace.hidden_states[layer].clone(), layer)
        expected = trace.hidden_states[layer + 1]
        assert ((out - expected).abs().max() / expected.abs().max()) < 1e-5


def test_claim_it_looks_at_the_animal_in_layer_13_head_8(default_view):
    it, animal, street = (att.find_token(default_view.tokens, w) for w in ("it", "animal", "street"))
    A = default_view.attentions
    assert 0.70 <= A[13, 8, it, animal] <= 0.80  # "about 75 %"
    assert A[13, 8, it, street] <= 0.02  # "about 1 %"
    scores = att.head_scores(default_view, "pair", it, animal)
    assert att.top_heads(scores, 1)[0][:2] == (13, 8)  # the brightest cell of the overview
    looks = att.where_it_looks(default_view, 13, 8, it, k=1)
    assert looks[0][0] == animal


def test_claim_changing_tired_to_wide_leaves_the_row_of_it_unchanged(llm, default_view):
    wide = view_of(llm, ATTENTION_TEXT.replace("tired", "wide"))
    it = att.find_token(default_view.tokens, "it")
    assert wide.tokens[: it + 1] == default_view.tokens[: it + 1]
    diff = np.abs(wide.attentions[:, :, it, : it + 1] - default_view.attentions[:, :, it, : it + 1]).max()
    assert diff < 1e-2  # identical computation up to bf16 rounding in differently sized batches


def test_claim_previous_and_first_token_heads_found_by_a_measure(default_view):
    previous = att.head_scores(default_view, "previous")
    best = {(layer, head) for layer, head, _ in att.top_heads(previous, 4)}
    assert {(16, 0), (1, 2)} <= best
    assert previous[16, 0] > 0.6 and previous[1, 2] > 0.6
    first = att.head_scores(default_view, "first")
    assert (first > 0.5).sum() > 135  # more than half of the 270 heads
    spread = att.head_scores(default_view, "spread")
    assert spread.shape == (30, 9) and (spread >= 0).all()
    assert att.head_scores(default_view, "self").max() <= 1.0


def test_kv_groups_follow_transformers_repeat_kv():
    from transformers.models.llama.modeling_llama import repeat_kv

    kv = torch.arange(3.0).view(1, 3, 1, 1)  # key head j holds the number j
    repeated = repeat_kv(kv, 3)[0, :, 0, 0].tolist()  # the key head each query head reads
    groups = att.kv_groups(9, 3)
    assert groups == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert all(repeated[head] == g for g, heads in enumerate(groups) for head in heads)
    shapes = inside.Shapes(30, 9, 3, 64, 576)
    assert [shapes.kv_head_of(h) for h in range(9)] == [int(r) for r in repeated]


def test_trace_view_is_read_only_and_bounded(llm, default_view):
    assert not default_view.attentions.flags.writeable and not default_view.hidden.flags.writeable
    with pytest.raises(ValueError):
        default_view.attentions[0, 0, 0, 0] = 5.0
    weights = att.head_map(default_view, 13, 8)  # a copy with NaN above the diagonal
    assert np.isnan(weights[0, 1]) and not np.isnan(default_view.attentions[13, 8, 0, 1])
    with pytest.raises(UserInputError, match="at most 512"):
        att.trace_view(llm, llm.encode("word " * 600, mode="raw", check_length=False))
    with pytest.raises(UserInputError, match="layer from 0 to 29"):
        att.head_map(default_view, 30, 0)
    with pytest.raises(UserInputError, match="earlier"):
        att.head_scores(default_view, "pair", 2, 5)


# ---- position ------------------------------------------------------------------------------


def test_our_rotation_is_transformers_rotation(llm_fp32):
    from transformers.models.llama.modeling_llama import apply_rotary_pos_emb

    info = rotary.rotary_of(llm_fp32.model)
    x = torch.randn(2, 7, info.head_dim, generator=torch.Generator().manual_seed(0))
    positions = torch.tensor([0, 1, 2, 5, 100, 4000, 8191])
    cos, sin = llm_fp32.model.model.rotary_emb(x[None], positions[None])
    ref, _ = apply_rotary_pos_emb(x[None], x[None], cos, sin)
    ours = rotary.rotate(x, positions, torch.tensor(info.inv_freq))
    assert (ours - ref[0]).abs().max() < 1e-4


def test_a_score_depends_only_on_the_distance(llm_fp32):
    info = rotary.rotary_of(llm_fp32.model)
    g = torch.Generator().manual_seed(1)
    q, k = torch.randn(info.head_dim, generator=g), torch.randn(info.head_dim, generator=g)
    inv = torch.tensor(info.inv_freq)
    curve = rotary.score_vs_distance(q.numpy(), k.numpy(), info, np.arange(0, 300))
    for m, n in [(5, 2), (103, 100), (260, 3), (7, 7)]:
        qm = rotary.rotate(q[None], torch.tensor([m]), inv)[0]
        kn = rotary.rotate(k[None], torch.tensor([n]), inv)[0]
        assert float(qm @ kn / 8) == pytest.approx(float(curve[m - n]), abs=1e-4)
    assert curve[0] == pytest.approx(float(q @ k / 8), abs=1e-4)  # distance 0: as if not rotated


def test_claim_rotation_speeds_of_the_fastest_and_slowest_pairs(llm):
    info = rotary.rotary_of(llm.model)
    assert (info.base, info.head_dim, info.pairs, info.max_positions) == (100_000.0, 64, 32, 8192)
    waves = info.wavelengths()
    assert info.inv_freq[0] == 1.0 and waves[0] == pytest.approx(2 * math.pi)
    assert waves[-1] == pytest.approx(2 * math.pi * 100_000 ** (62 / 64), rel=1e-4)
    assert 437_000 < waves[-1] < 439_000  # "438,000 positions for a turn"
    assert rotary.angles(info, np.array([8192]))[-1, 0] < 0.12  # "only 0.12 radians"
    assert np.all(np.diff(info.inv_freq) < 0)


def test_claim_the_previous_token_head_peaks_at_distance_1(llm, default_view):
    info = rotary.rotary_of(llm.model)
    parts = inside.qkv(llm.model, np.array(default_view.hidden[1]), 1)
    kv = inside.shapes_of(llm.model).kv_head_of(2)
    distances = np.arange(0, 257)
    for i in range(1, default_view.length):  # every token and the one before it
        curve = rotary.score_vs_distance(parts.q[2, i].numpy(), parts.k[kv, i - 1].numpy(), info, distances)
        assert int(np.argmax(curve)) == 1
    it = att.find_token(default_view.tokens, "it")
    assert default_view.tokens[it - 1] == " because"
    curve = rotary.score_vs_distance(parts.q[2, it].numpy(), parts.k[kv, it - 1].numpy(), info, distances)
    assert curve[100:].max() < 0  # "100 or more positions apart it stays below 0"
    unrotated = float(parts.q[2, it] @ parts.k[kv, it - 1] / 8)
    assert curve[0] == pytest.approx(unrotated, abs=1e-4)  # distance 0 meets the grey line


# ---- the forward pass ----------------------------------------------------------------------


def test_logit_lens_at_the_last_layer_equals_the_model_logits(llm_fp32):
    ids = llm_fp32.encode(FORWARD_TEXT, mode="raw")
    view = att.trace_view(llm_fp32, ids)
    stream = forward.residual_stream(llm_fp32, view)
    trace = llm_fp32.trace(ids)
    lens_last = forward.lens_logits(llm_fp32, stream[-1])  # final norm + head on the recomputed last layer
    assert (lens_last - trace.logits).abs().max() < 1e-4
    normed = inside.rms_norm(torch.from_numpy(np.array(stream[-1])), llm_fp32.model.model.norm)
    assert (normed - trace.hidden_states[-1]).abs().max() < 1e-4
    assert np.array_equal(stream[:-1], view.hidden[:-1])  # layers 0..28 as the model computed them


def test_claim_paris_appears_only_in_the_last_layers(llm):
    view = view_of(llm, FORWARD_TEXT)
    steps = forward.forward_steps(llm, view, forward.residual_stream(llm, view))
    top_id, top_p = steps.top[0]
    assert llm.decode([top_id]) == " Paris" and 0.7 <= top_p <= 0.85  # "about 77 %"
    ranks = [row.final_rank for row in steps.lens]
    assert len(ranks) == 31
    assert all(r > 100 for r in ranks[:25])  # outside the top 100 up to layer 23 (row 24)
    assert ranks[-1] == 1 and all(r > 1 for r in ranks[:-1])  # on top only after the last layer
    assert steps.lens[-1].top[0][0] == top_id  # the lens's last row is the model's answer


def test_claim_first_token_stream_and_the_final_norm(llm):
    view = view_of(llm, FORWARD_TEXT)
    steps = forward.forward_steps(llm, view, forward.residual_stream(llm, view))
    norms = steps.stream_norms
    assert (norms[0] < 5).all()  # embedding rows: about 3 long
    assert (norms[12:28, 0] > 20_000).all() and (norms[12:28, 0] < 25_000).all()  # "about 22,500 after layer 11"
    assert (norms[:12, 0] < 1_000).all()  # ... and not before
    assert (norms[12:28, 0] > 30 * norms[12:28, 1:].max(axis=1)).all()  # "over 30 times any other token"
    assert 550 < steps.before_norm < 700 and 40 < steps.after_norm < 48  # "about 600 ... about 44"


def test_claim_counting_the_lens_reads_and_before_five(llm):
    view = view_of(llm, "One, two, three, four,")
    steps = forward.forward_steps(llm, view, forward.residual_stream(llm, view))
    assert llm.decode([steps.top[0][0]]) == " five"
    lens_top = [llm.decode([row.top[0][0]]) for row in steps.lens]
    assert lens_top[-1] == " five" and lens_top.count(" and") > len(lens_top) / 2


def test_lens_grid_agrees_with_the_steps(llm):
    view = view_of(llm, FORWARD_TEXT)
    stream = forward.residual_stream(llm, view)
    ids, probs = forward.lens_grid(llm, stream, [view.length - 1])
    steps = forward.forward_steps(llm, view, stream)
    assert [int(i) for i in ids[:, 0]] == [row.top[0][0] for row in steps.lens]
    assert np.allclose(probs[:, 0], [row.top[0][1] for row in steps.lens], atol=1e-5)
    with pytest.raises(UserInputError, match="from 0 to"):
        forward.forward_steps(llm, view, stream, position=99)


def test_own_words_and_map_labels():
    texts, groups = vectors.own_points("fruit: apple\nfruit: pear\ntool: saw\nhammer")
    assert texts == ["apple", "pear", "saw", "hammer"] and groups == ["fruit", "fruit", "tool", "your words"]
    with pytest.raises(UserInputError, match="text after its 'group:'"):
        vectors.own_points("a:\nb: x\nc: y\nd: z")
    crowded = np.array([[0.0, 0.0], [0.01, 0.0], [0.0, 0.01], [1.0, 1.0]])
    spots = charts.label_positions(crowded, ["alpha", "beta", "gamma", "delta"])
    assert set(spots) <= set(charts.LABEL_SPOTS) and len(set(spots[:3])) == 3  # crowded labels spread out
