"""Tokens, embeddings & attention: what a language model actually sees, on the real
default models (SmolLM2-135M-Instruct and all-MiniLM-L6-v2).

Six lazy tabs (only the open one runs): tokens, embeddings, context, attention, position,
the forward pass. The model runs once per text (playground.tokens.attention.trace_view,
kept read-only in st.cache_resource); sliders between layers and heads only read it."""

from __future__ import annotations

import numpy as np
import streamlit as st

from playground.config import get_settings
from playground.models.llm import LanguageModel
from playground.tokens import attention as att
from playground.tokens import charts, context, forward, inside, lessons, pieces, rotary, vectors
from playground.ui.common import forget, friendly_errors, kept, page_intro
from playground.ui.entry import run_through_navigation
from playground.ui.models import get_embedder, llm_or_stop, model_key_of, vocab_strings
from playground.ui.teacher import control, presets

run_through_navigation()  # a deep link on a fresh server still runs inside Home.py's navigation
settings = get_settings()
PLOT = {"displayModeBar": False}
QUIET = {"delta_color": "off", "delta_arrow": "off"}  # a metric's delta line as a plain note
TABS = ["Tokens", "Embeddings", "Context", "Attention", "Position", "Forward pass"]
ATTENTION_TEXT = "The animal didn't cross the street because it was too tired"
FORWARD_TEXT = "The capital of France is"
SENTENCES = ("A cat is sitting on the mat.\nA kitten rests on a rug.\nThe stock market crashed today.\n"
             "Shares fell sharply on Wall Street.\nI love pizza.")
OWN_SET = "fruit: apple\nfruit: banana\nfruit: cherry\ntool: hammer\ntool: screwdriver\ntool: wrench"
MAP_SETS = [*vectors.EXAMPLE_SETS, "Your own words"]
GRID_LIMIT = 128  # tokens: the nine heads side by side and the step-by-step mask are drawn up to this

page_intro(lessons.TITLE, lessons.WHAT, lessons.TRY_THIS)

lm = llm_or_stop()
model_key = model_key_of(lm)


# ---- cached work (page edge): one copy per process, read only --------------------------------

@st.cache_resource(show_spinner="Reading the vocabulary...", max_entries=2)
def vocabulary(_lm: LanguageModel, key: str) -> pieces.Vocabulary:
    with _lm.queue.turn():  # the tokenizer is shared: take a turn
        return pieces.vocabulary(_lm.tokenizer)


@st.cache_resource(show_spinner=False)
def wordpiece():
    return pieces.load_wordpiece()


@st.cache_resource(show_spinner="Running the model on the text...", max_entries=4)
def traced(_lm: LanguageModel, key: str, ids: tuple[int, ...]) -> att.TraceView:
    """Hidden states and attention of one text (read-only arrays, ~0.3 GB at 512 tokens; the
    Context tab's three sentences and one more text fit)."""
    return att.trace_view(_lm, ids)


@st.cache_resource(show_spinner=False, max_entries=4)
def stream(_lm: LanguageModel, key: str, ids: tuple[int, ...]) -> np.ndarray:
    return forward.residual_stream(_lm, traced(_lm, key, ids))


@st.cache_data(show_spinner=False, max_entries=16)
def lens_table(_lm: LanguageModel, key: str, ids: tuple[int, ...], shown: tuple[int, ...]):
    return forward.lens_grid(_lm, stream(_lm, key, ids), list(shown))


@st.cache_data(show_spinner=False, max_entries=32)
def steps_of(_lm: LanguageModel, key: str, ids: tuple[int, ...], position: int) -> forward.ForwardSteps:
    return forward.forward_steps(_lm, traced(_lm, key, ids), stream(_lm, key, ids), position)


@st.cache_resource(show_spinner=False, max_entries=2)
def embedding_norms(_lm: LanguageModel, key: str) -> np.ndarray:
    return vectors.row_norms(vectors.embedding_matrix(_lm.model))


@st.cache_data(show_spinner=False, max_entries=64)
def encoded(_lm: LanguageModel, key: str, text: str, mode: str = "raw") -> list[int]:
    return _lm.encode(pieces.check_text(text), mode=mode, check_length=False)


@st.cache_data(show_spinner=False, max_entries=2)
def language_rows(_lm: LanguageModel, key: str) -> list[tuple[str, int, int, int]]:
    return pieces.language_counts(_lm, wordpiece())


@st.cache_data(show_spinner="Embedding the sentences...", max_entries=32)
def sentence_vectors(texts: tuple[str, ...]) -> np.ndarray:
    return get_embedder().encode(list(texts))


@st.cache_data(show_spinner=False, max_entries=32)
def projected(texts: tuple[str, ...], method: str, dims: int) -> tuple[np.ndarray, str]:
    return vectors.project(sentence_vectors(texts), method, dims)


_default_tokens = [vocab_strings(lm, model_key)[i] for i in encoded(lm, model_key, ATTENTION_TEXT)]
default_it = att.find_token(_default_tokens, "it")
default_animal = att.find_token(_default_tokens, "animal")
EXAMPLE = {i: {"tok_example": i, "tok_text": e.text, "tok_mode": "raw"} for i, e in enumerate(pieces.EXAMPLES)}
presets({
    "Strawberry": {"tok_tab": "Tokens", **EXAMPLE[0]},
    "Numbers": {"tok_tab": "Tokens", **EXAMPLE[1]},
    "Who is it": {
        "tok_tab": "Attention", "tok_att_text": ATTENTION_TEXT, "tok_att_layer": 13, "tok_att_head": 8,
        "tok_att_query": default_it, "tok_att_key": default_animal, "tok_att_measure": "pair"},
    "Previous-token heads": {"tok_tab": "Attention", "tok_att_text": ATTENTION_TEXT, "tok_att_measure": "previous",
                             "tok_att_layer": 1, "tok_att_head": 2},
    "Logit lens": {"tok_tab": "Forward pass", "tok_fwd_text": FORWARD_TEXT},
})


def _tabs(label: str, key: str, options, disabled: bool = False, **kwargs):
    """st.tabs drawn like any other control, so the open tab lives in the address (teacher mode)."""
    return st.tabs(list(options), key=key, **kwargs)


picked = control(_tabs, "Section", key="tok_tab", default=TABS[0], options=TABS, on_change="rerun")
if isinstance(picked, str):  # a teacher's link hid the tab bar: show that one section
    section, where = picked, st.container()
else:
    section, where = next(((name, tab) for name, tab in zip(TABS, picked) if tab.open), (TABS[0], picked[0]))


def try_this(items: list[str]) -> None:
    with st.expander("Try this", icon=":material/science:"):
        for item in items:
            st.markdown(f"- {item}")


# ---- 1. tokens ---------------------------------------------------------------------------------

def use_example() -> None:
    example = pieces.EXAMPLES[st.session_state["tok_example"]]
    st.session_state["tok_text"] = example.text
    st.session_state["tok_mode"] = "raw"


if section == "Tokens":
    with where:
        lesson = lessons.SECTIONS["Tokens"]
        st.markdown(lesson.intro)
        try_this(lesson.try_this)
        left, right = st.columns([1, 2.2], gap="medium")
        with left:
            kept(st.selectbox, "Examples", "tok_example", 0, options=range(len(pieces.EXAMPLES)),
                 format_func=lambda i: pieces.EXAMPLES[i].label, on_change=use_example)
            kept(st.text_area, "Text", "tok_text", pieces.EXAMPLES[0].text, height=110,
                 help=f"At most {pieces.MAX_CHARS:,} characters.")
            kept(st.radio, "Mode", "tok_mode", "raw", options=["raw", "chat"], horizontal=True,
                 format_func={"raw": "raw text", "chat": "chat template"}.get,
                 help="Chat: the text becomes a user message inside SmolLM2's chat template.")
            example = pieces.EXAMPLES[st.session_state["tok_example"]]
            if st.session_state["tok_text"] == example.text:
                st.caption(example.shows)
        with right, friendly_errors("tokenizing"):
            text = pieces.check_text(st.session_state["tok_text"])
            for note in pieces.text_notes(text):
                st.info(note, icon=":material/info:")
            smol = pieces.llm_pieces(lm, vocabulary(lm, model_key), text, st.session_state["tok_mode"])
            mini = pieces.wordpiece_pieces(wordpiece(), text)
            m = st.columns(4)
            m[0].metric("SmolLM2 tokens", f"{smol.count:,}",
                        f"{smol.special_count} special" if smol.special_count else None, **QUIET)
            m[1].metric("Characters", f"{smol.characters:,}")
            m[2].metric("Characters per token", f"{smol.chars_per_token:.2f}")
            m[3].metric("MiniLM tokens", f"{mini.count:,}", "with [CLS] and [SEP]", **QUIET)
            st.markdown(f"**SmolLM2** · byte-level BPE · {smol.count} tokens")
            st.plotly_chart(charts.chips_figure(smol.pieces, 72), width="stretch", config=PLOT, key="tok_chips_llm")
            if smol.special_count:
                st.caption("Dark chips are **special tokens**: the chat template marks where a message starts "
                           "(`<|im_start|>` and the role) and ends (`<|im_end|>`). SmolLM2's template also adds a "
                           "default system prompt. The model was fine-tuned on this layout; it is how it knows "
                           "whose turn it is.")
            st.markdown(f"**MiniLM** · WordPiece · {mini.count} tokens")
            st.plotly_chart(charts.chips_figure(mini.pieces, 72), width="stretch", config=PLOT, key="tok_chips_wp")
            back = pieces.wordpiece_text(wordpiece(), text)
            st.caption("Decoded back to text, SmolLM2's ids give your text exactly (bytes lose nothing); "
                       "MiniLM's give:")
            st.code(back or "(nothing)", language=None, wrap_lines=True)
        st.subheader("What this means")
        st.markdown(
            "- **Letter counting.** To count the r's in *strawberry* the model would have to know how its token "
            "is spelled, a fact it can only have memorised from text about spelling: it never sees the letters.\n"
            "- **Arithmetic.** SmolLM2 reads one digit per token, so the digits of two numbers line up. "
            "Tokenizers that cut numbers into chunks (WordPiece, GPT-2's BPE) give 12345 and 12346 different "
            "chunk boundaries, which makes column-by-column arithmetic harder to learn.\n"
            "- **Languages.** The vocabulary was learned mostly from English, so other scripts need more tokens "
            "for the same meaning: more cost, and less text fits in the context window.")
        with friendly_errors("counting tokens per language"):
            rows = language_rows(lm, model_key)
            st.plotly_chart(charts.languages_figure(rows), width="stretch", config=PLOT, key="tok_languages")
            english = next(r for r in rows if r[0] == "English")
            hindi = next(r for r in rows if r[0] == "Hindi")
            st.caption(f"'The cat is sleeping on the warm windowsill.' in seven languages. SmolLM2 needs "
                       f"{english[2]} tokens in English and {hindi[2]} in Hindi ({hindi[2] / english[2]:.1f}×).")


# ---- 2. embeddings -----------------------------------------------------------------------------

if section == "Embeddings":
    with where:
        lesson = lessons.SECTIONS["Embeddings"]
        st.markdown(lesson.intro)
        try_this(lesson.try_this)
        st.subheader("A token's vector and its nearest tokens")
        left, right = st.columns([1, 2.2], gap="medium")
        with left:
            kept(st.text_input, "Word or token", "tok_word", "Monday", max_chars=60)
            kept(st.toggle, "Space before it", "tok_space", True,
                 help="Inside a sentence a word comes with its space: ' Monday' (one token) is not 'Monday'.")
        with right, friendly_errors("looking up the embedding"):
            word = pieces.check_text(st.session_state["tok_word"], 60, "the word")
            spelled = (" " + word.strip()) if st.session_state["tok_space"] else word.strip()
            ids = lm.encode(spelled, mode="raw", check_length=False)
            strings = vocab_strings(lm, model_key)
            if len(ids) > 1:
                st.info(f"{spelled!r} is {len(ids)} tokens ({' · '.join(strings[i] for i in ids)}); showing the "
                        f"first, {strings[ids[0]]!r}. A rare word has no row of its own.", icon=":material/info:")
            tv = vectors.token_vector(vectors.embedding_matrix(lm.model), embedding_norms(lm, model_key), ids[0])
            m = st.columns(3)
            m[0].metric("Token", repr(strings[tv.token_id]))
            m[1].metric("Id (its row)", f"{tv.token_id:,}")
            m[2].metric("Length of the vector", f"{tv.norm:.2f}", f"{len(tv.vector)} numbers", **QUIET)
            a, b = st.columns(2)
            a.plotly_chart(charts.vector_figure(tv.vector, 32, "the first 32 of its 576 numbers"), width="stretch",
                           config=PLOT, key="tok_vector")
            b.plotly_chart(charts.neighbours_figure(tv.neighbours, strings), width="stretch", config=PLOT,
                           key="tok_neighbours")
            b.caption(f"The 12 rows of the 49,152 with the highest cosine to {strings[tv.token_id]!r}'s row.")

        st.subheader("Sentences as vectors: how similar is each pair?")
        left, right = st.columns([1, 2.2], gap="medium")
        with left:
            kept(st.text_area, "Sentences (one per line)", "tok_sentences", SENTENCES, height=180,
                 help=f"2 to {vectors.MAX_SENTENCES} lines.")
        with right, friendly_errors("comparing the sentences"):
            lines = vectors.read_lines(st.session_state["tok_sentences"])
            sims = vectors.cosine_matrix(sentence_vectors(tuple(lines)))
            st.plotly_chart(charts.similarity_figure(sims, lines), width="stretch", config=PLOT, key="tok_sims")
            st.caption("Cosine similarity of the all-MiniLM-L6-v2 vectors (384 numbers each). The matrix is "
                       "symmetric and 1 on the diagonal (every sentence is identical to itself).")

        st.subheader("A map of meanings")
        left, right = st.columns([1, 2.2], gap="medium")
        with left:
            kept(st.selectbox, "Words to map", "tok_map_set", MAP_SETS[0], options=MAP_SETS)
            if st.session_state["tok_map_set"] == "Your own words":
                kept(st.text_area, "Your words (group: text, one per line)", "tok_map_own", OWN_SET, height=160,
                     help="The group is only used for the colour; the embedder never sees it.")
            kept(st.radio, "Squeeze 384 dimensions with", "tok_map_method", "PCA", options=["PCA", "t-SNE"],
                 horizontal=True)
            kept(st.radio, "Map", "tok_map_dims", 2, options=[2, 3], horizontal=True, format_func=lambda d: f"{d}D")
        with right, friendly_errors("drawing the map"):
            if st.session_state["tok_map_set"] == "Your own words":
                texts, groups = vectors.own_points(st.session_state.get("tok_map_own", OWN_SET))
            else:
                texts, groups = vectors.example_points(st.session_state["tok_map_set"])
            dims = int(st.session_state["tok_map_dims"])
            coords, how = projected(tuple(texts), st.session_state["tok_map_method"], dims)
            st.plotly_chart(charts.map_figure(coords, texts, groups, dims), width="stretch", config=PLOT,
                            key="tok_map")
            purity = vectors.neighbour_purity(sentence_vectors(tuple(texts)), groups)
            st.caption(f"{how} In the full 384 dimensions, {round(purity * len(texts))} of {len(texts)} points "
                       "have their most similar point in their own group. The embedder was never told the groups.")

        st.subheader("Semantic search: find by meaning, not by words")
        left, right = st.columns([1, 2.2], gap="medium")
        with left:
            kept(st.text_input, "Question", "tok_query", "How do I fix a flat tyre?", max_chars=300)
            with st.expander(f"The {len(vectors.CORPUS)} documents"):
                st.text("\n".join(vectors.CORPUS))
        with right, friendly_errors("searching"):
            query = pieces.check_text(st.session_state["tok_query"], 300, "the question")
            corpus_vectors = sentence_vectors(vectors.CORPUS)
            hits = vectors.search(sentence_vectors((query,))[0], corpus_vectors, vectors.CORPUS, 5)
            st.plotly_chart(charts.search_figure(hits), width="stretch", config=PLOT, key="tok_search")
            shared = vectors.word_overlap(query, hits[0].text)
            st.caption("Every document was embedded once; the question is embedded and compared with each by "
                       "cosine, and the best come first. This is the retrieval step of a RAG system. Words the "
                       f"question shares with the top hit: {', '.join(sorted(shared)) if shared else 'none'}.")


# ---- 3. context --------------------------------------------------------------------------------

def use_context_example() -> None:
    example = context.EXAMPLES[st.session_state["tok_ctx_example"]]
    for key, value in (("tok_ctx_a", example.a), ("tok_ctx_b", example.b), ("tok_ctx_c", example.c),
                       ("tok_ctx_word", example.word)):
        st.session_state[key] = value


if section == "Context":
    with where:
        first = context.EXAMPLES[0]
        lesson = lessons.SECTIONS["Context"]
        st.markdown(lesson.intro)
        try_this(lesson.try_this)
        left, right = st.columns([1, 2.2], gap="medium")
        with left:
            kept(st.selectbox, "Examples", "tok_ctx_example", 0, options=range(len(context.EXAMPLES)),
                 format_func=lambda i: context.EXAMPLES[i].label, on_change=use_context_example)
            kept(st.text_input, "Word", "tok_ctx_word", first.word, max_chars=40)
            kept(st.text_input, "A", "tok_ctx_a", first.a, max_chars=context.MAX_SENTENCE_CHARS)
            kept(st.text_input, "B: the word means something else", "tok_ctx_b", first.b,
                 max_chars=context.MAX_SENTENCE_CHARS)
            kept(st.text_input, "C: the word means the same as in A", "tok_ctx_c", first.c,
                 max_chars=context.MAX_SENTENCE_CHARS)
            example = context.EXAMPLES[st.session_state["tok_ctx_example"]]
            if st.session_state["tok_ctx_a"] == example.a and st.session_state["tok_ctx_word"] == example.word:
                st.caption(example.shows)
        with right, friendly_errors("following the word"):
            vocab = vocabulary(lm, model_key)
            views, found = [], []
            for name in "abc":
                sentence = context.check_sentence(st.session_state[f"tok_ctx_{name}"], name.upper())
                ids = encoded(lm, model_key, sentence)
                found.append(context.word_token_positions(ids, vocab, sentence, st.session_state["tok_ctx_word"]))
                views.append(traced(lm, model_key, tuple(ids)))
            result = context.compare(views, found)
            m = st.columns(3)
            m[0].metric("Layer 0 (the embedding row)", f"{result.same[0]:.2f} / {result.other[0]:.2f}",
                        "A · C / A · B", **QUIET)
            widest = int(np.argmax(result.gap))
            m[1].metric("Widest gap", f"{result.gap[widest]:+.2f}", f"at layer {widest}", **QUIET)
            m[2].metric("Last layer", f"{result.same[-1]:.2f} / {result.other[-1]:.2f}", "A · C / A · B",
                        **QUIET)
            st.plotly_chart(charts.context_figure(result.other, result.same, st.session_state["tok_ctx_word"]),
                            width="stretch", config=PLOT, key="tok_ctx_fig")
            tokens = " | ".join(f"{n}: {' · '.join(t)}" for n, t in zip("ABC", result.word_tokens))
            st.caption(f"The word's tokens ({tokens}). When a word is several tokens, its last token is followed "
                       "(it has read the whole word). Cosines in a model's middle layers are high for almost any "
                       "two vectors; what matters is the gap between the two lines.")
            if not result.same_token:
                st.info("The word is not the same token in all three sentences (a capital letter or a missing "
                        "space changes the token), so even layer 0 gives a cosine below 1.", icon=":material/info:")


# ---- 4. attention ------------------------------------------------------------------------------

def new_attention_text() -> None:
    for key in ("tok_att_query", "tok_att_key"):
        forget(key)


if section == "Attention":
    with where:
        lesson = lessons.SECTIONS["Attention"]
        st.markdown(lesson.intro)
        try_this(lesson.try_this)
        top, _ = st.columns([3, 1])
        with top:
            kept(st.text_area, "Text", "tok_att_text", ATTENTION_TEXT, height=70, on_change=new_attention_text,
                 help=f"At most {settings.max_trace_tokens:,} tokens (PLAYGROUND_MAX_TRACE_TOKENS).")
        view = None
        with friendly_errors("running the model on the text"):
            ids = encoded(lm, model_key, st.session_state["tok_att_text"])
            view = traced(lm, model_key, tuple(ids))
        if view is not None:
            names = charts.token_axis(view.tokens, 20)
            c = st.columns(4)
            with c[0]:
                layer = kept(st.slider, "Layer", "tok_att_layer", 13, min_value=0, max_value=view.layers - 1)
            with c[1]:
                head = kept(st.slider, "Head", "tok_att_head", 8, min_value=0, max_value=view.heads - 1)
            with c[2]:
                query = kept(st.selectbox, "Token that looks", "tok_att_query",
                             att.find_token(view.tokens, "it") if att.find_token(view.tokens, "it") is not None
                             else view.length - 1, options=range(view.length), format_func=names.__getitem__)
            with c[3]:
                found = att.find_token(view.tokens[: query + 1], "animal")
                key_pick = kept(st.selectbox, "Token looked at", "tok_att_key", found if found is not None else 0,
                                options=range(query + 1), format_func=names.__getitem__)
            shapes = inside.shapes_of(lm.model)
            groups = att.kv_groups(view.heads, shapes.kv_heads)
            with friendly_errors("drawing the attention"):
                left, right = st.columns([1.25, 1], gap="medium")
                weights = att.head_map(view, layer, head)
                left.plotly_chart(charts.attention_figure(weights, view.tokens, query,
                                                          f"layer {layer}, head {head}"),
                                  width="stretch", config=PLOT, key="tok_att_map")
                with right:
                    w = float(view.attentions[layer, head, query, key_pick])
                    m = st.columns(2)
                    m[0].metric(f"{names[query]} → {names[key_pick]}", f"{w:.1%}", "this head", **QUIET)
                    m[1].metric("Key/value head", f"{shapes.kv_head_of(head)}",
                                f"shared by heads {groups[shapes.kv_head_of(head)][0]}-"
                                f"{groups[shapes.kv_head_of(head)][-1]}", **QUIET)
                    ranked = att.where_it_looks(view, layer, head, query, k=query + 1)
                    st.plotly_chart(charts.where_figure(ranked, view.attentions[layer, :, query].mean(0), view.tokens,
                                                        query), width="stretch", config=PLOT, key="tok_att_where")
                    st.caption(f"Where {names[query]} looks in layer {layer}: this head (bars) and the mean of the "
                               f"layer's {view.heads} heads (diamonds). Computed in {view.precision}.")

                st.subheader("Every head at once")
                left, right = st.columns([1.25, 1], gap="medium")
                with right:
                    measure = kept(st.selectbox, "Measure per head", "tok_att_measure", "pair",
                                   options=list(att.MEASURES), format_func=att.MEASURES.get)
                    scores = att.head_scores(view, measure, query, key_pick)
                    best = att.top_heads(scores, 5, largest=measure != "spread")
                    what = (f"{names[query]} → {names[key_pick]}" if measure == "pair" else att.MEASURES[measure])
                    st.markdown(f"**Heads with the {'lowest' if measure == 'spread' else 'highest'} "
                                f"score** ({what}):")
                    st.dataframe([{"layer": li, "head": hi, "score": round(s, 3)} for li, hi, s in best],
                                 hide_index=True, width="stretch")
                    if measure == "first":
                        st.caption(f"{int((scores > 0.5).sum())} of {scores.size} heads put more than half their "
                                   "attention on the first token: an *attention sink*, where a head rests when it "
                                   "has nothing useful to read.")
                    elif measure == "previous":
                        st.caption("Previous-token heads copy what came just before; later heads build on them "
                                   "(for example to continue a pattern seen earlier).")
                    else:
                        st.caption("Found by a measure over all 270 heads, not picked by hand. The orange box is "
                                   "the head shown above.")
                left.plotly_chart(charts.overview_figure(scores, att.UNITS[measure], (layer, head), groups,
                                                         zmax=None if measure == "spread" else 1.0),
                                  width="stretch", config=PLOT, key="tok_att_overview")

                st.subheader(f"Layer {layer}: the {view.heads} heads, grouped by the key/value head they share")
                if view.length <= GRID_LIMIT:
                    maps = [att.head_map(view, layer, h) for h in range(view.heads)]
                    st.plotly_chart(charts.heads_grid_figure(maps, view.tokens, groups, layer), width="stretch",
                                    config=PLOT, key="tok_att_grid")
                    st.caption("Each column reads the same keys and values; the heads in it differ only in their "
                               "queries, and still look at different tokens.")

                    st.subheader("The causal mask, step by step (recomputed by hand)")
                    hidden_in = np.array(view.hidden[layer])  # the layer's input, a private copy
                    parts = inside.qkv(lm.model, hidden_in, layer)
                    scores_hand = inside.scores_by_hand(parts, lm.model)[head]  # (T, T)
                    by_hand = inside.weights_from_scores(scores_hand).numpy()
                    scores_hand = scores_hand.numpy()
                    st.plotly_chart(charts.mask_steps_figure(scores_hand, by_hand, view.tokens), width="stretch",
                                    config=PLOT, key="tok_att_mask")
                    model_w = view.attentions[layer, head]
                    st.caption(
                        f"From the layer's input: RMSNorm, q = x·W_q and k = x·W_k (key head "
                        f"{shapes.kv_head_of(head)}), both rotated by position, scores q·k/√{shapes.head_dim}, "
                        "−∞ above the diagonal (a token may not look ahead), then softmax along each row. Largest "
                        f"difference from the model's own weights: {float(np.abs(by_hand - model_w).max()):.1e} "
                        f"(the model ran in {view.precision}; in float32 they agree within 1e-4). Rows sum to 1 "
                        f"within {float(np.abs(model_w.sum(-1) - 1).max()):.0e}; the largest weight above the "
                        f"diagonal is {float(np.triu(model_w, 1).max()):.0f}.")
                else:
                    st.info(f"The nine heads side by side and the mask step by step are drawn for texts of up to "
                            f"{GRID_LIMIT} tokens; this one has {view.length}. The head above shows all of it.",
                            icon=":material/info:")


# ---- 5. position -------------------------------------------------------------------------------

def new_position_text() -> None:
    for key in ("tok_pos_query", "tok_pos_key"):
        forget(key)


if section == "Position":
    with where:
        lesson = lessons.SECTIONS["Position"]
        st.markdown(lesson.intro)
        try_this(lesson.try_this)
        with friendly_errors("reading the rotary positions"):
            info = rotary.rotary_of(lm.model)
            left, right = st.columns([1.4, 1], gap="medium")
            with left:
                span = kept(st.select_slider, "Positions shown", "tok_pos_span", 64, options=[32, 64, 128, 256, 512])
                positions = np.arange(span)
                st.plotly_chart(charts.rotary_angles_figure(rotary.angles(info, positions), positions),
                                width="stretch", config=PLOT, key="tok_pos_angles")
            with right:
                waves = info.wavelengths()
                m = st.columns(2)
                m[0].metric("Pair 0: positions per turn", f"{waves[0]:.1f}")
                m[1].metric(f"Pair {info.pairs - 1}: positions per turn", f"{waves[-1]:,.0f}")
                st.plotly_chart(charts.wavelength_figure(waves, info.max_positions), width="stretch", config=PLOT,
                                key="tok_pos_waves")
                st.caption(f"Read from the model: θ = {info.base:,.0f}, {info.pairs} pairs per head of "
                           f"{info.head_dim}. Fast pairs tell neighbours apart; slow pairs still change over "
                           f"thousands of tokens.")

        st.subheader("One query and one key, moved apart")
        kept(st.text_area, "Text", "tok_pos_text", ATTENTION_TEXT, height=70, on_change=new_position_text)
        view = None
        with friendly_errors("running the model on the text"):
            ids = encoded(lm, model_key, st.session_state["tok_pos_text"])
            view = traced(lm, model_key, tuple(ids))
        if view is not None:
            names = charts.token_axis(view.tokens, 20)
            c = st.columns(5)
            with c[0]:
                layer = kept(st.slider, "Layer", "tok_pos_layer", 1, min_value=0, max_value=view.layers - 1)
            with c[1]:
                head = kept(st.slider, "Head", "tok_pos_head", 2, min_value=0, max_value=view.heads - 1)
            with c[2]:
                found = att.find_token(view.tokens, "it")
                query = kept(st.selectbox, "Query token", "tok_pos_query",
                             found if found is not None else view.length - 1, options=range(view.length),
                             format_func=names.__getitem__)
            with c[3]:
                key_pick = kept(st.selectbox, "Key token", "tok_pos_key", max(0, query - 1), options=range(query + 1),
                                format_func=names.__getitem__)
            with c[4]:
                far = kept(st.select_slider, "Farthest distance", "tok_pos_far", 256,
                           options=[64, 256, 1024, 8192])
            with friendly_errors("scoring the pair"):
                parts = inside.qkv(lm.model, np.array(view.hidden[layer]), layer)
                shapes = inside.shapes_of(lm.model)
                q_vec = parts.q[head, query].numpy()
                k_vec = parts.k[shapes.kv_head_of(head), key_pick].numpy()
                distances = np.arange(0, far + 1)
                scores = rotary.score_vs_distance(q_vec, k_vec, info, distances)
                unrotated = float(q_vec @ k_vec / np.sqrt(len(q_vec)))
                real = query - key_pick
                st.plotly_chart(charts.distance_figure(distances, scores, real, unrotated,
                                                       f"{names[query]} (query) and {names[key_pick]} (key), "
                                                       f"layer {layer}, head {head}"),
                                width="stretch", config=PLOT, key="tok_pos_distance")
                m = st.columns(3)
                m[0].metric("Highest score at distance", f"{int(distances[np.argmax(scores)]):,}")
                m[1].metric(f"Score at their real distance ({real})", f"{scores[real]:.2f}")
                far_part = scores[distances >= 100]
                m[2].metric("Highest score 100+ positions apart", f"{far_part.max():.2f}" if far_part.size else "–")
                st.caption("The same two vectors (the query and key the model computed for these tokens, before "
                           "rotation), placed at every distance. Grey: their score without any rotation, which "
                           "would be the same at every distance.")


# ---- 6. the forward pass -----------------------------------------------------------------------

if section == "Forward pass":
    with where:
        lesson = lessons.SECTIONS["Forward pass"]
        st.markdown(lesson.intro)
        try_this(lesson.try_this)
        kept(st.text_area, "Text", "tok_fwd_text", FORWARD_TEXT, height=70, on_change=lambda: forget("tok_fwd_pos"),
             help=f"At most {settings.max_trace_tokens:,} tokens.")
        view = None
        with friendly_errors("running the model on the text"):
            ids = encoded(lm, model_key, st.session_state["tok_fwd_text"])
            view = traced(lm, model_key, tuple(ids))
        if view is not None:
            strings = vocab_strings(lm, model_key)
            names = charts.token_axis(view.tokens, 20)
            with friendly_errors("the forward pass"):
                position = kept(st.selectbox, "Predict the token after", "tok_fwd_pos", view.length - 1,
                                options=range(view.length), format_func=names.__getitem__)
                steps = steps_of(lm, model_key, tuple(ids), position)
                st.subheader("1. Input ids")
                st.plotly_chart(charts.chips_figure(pieces.bpe_pieces(view.token_ids, vocabulary(lm, model_key)), 110),
                                width="stretch", config=PLOT, key="tok_fwd_ids")
                st.subheader("2. Embedding rows: the start of the residual stream")
                left, right = st.columns([2, 1])
                left.plotly_chart(charts.embedding_rows_figure(steps.embedding_rows, view.tokens), width="stretch",
                                  config=PLOT, key="tok_fwd_rows")
                right.markdown("One row of the embedding matrix per id; here the first "
                               f"{steps.embedding_rows.shape[1]} of its 576 numbers. Lengths of the rows: "
                               + ", ".join(f"{n:.1f}" for n in steps.embedding_norms[:12])
                               + (" ..." if view.length > 12 else "") + ".")
                st.subheader("3. Through the layers: the residual stream grows")
                st.plotly_chart(charts.stream_norms_figure(steps.stream_norms, view.tokens, position), width="stretch",
                                config=PLOT, key="tok_fwd_norms")
                st.caption("Each layer adds what its attention and MLP computed to the vector of each token. The "
                           "first token (blue) gets a few huge numbers after layer 11 (a massive activation) and "
                           "then barely changes: many heads use it as a resting place (see the attention sink on "
                           "the Attention tab).")
                st.subheader("4. Final norm, 5. logits and probabilities")
                left, right = st.columns([1, 2])
                left.metric("Length before the final norm", f"{steps.before_norm:,.1f}")
                left.metric("... and after it", f"{steps.after_norm:,.1f}")
                left.caption("RMSNorm rescales the vector; then one dot product per vocabulary row gives "
                             f"{lm.vocab_size:,} logits, and softmax turns them into probabilities.")
                right.plotly_chart(charts.top_tokens_figure(steps.top, strings), width="stretch", config=PLOT,
                                   key="tok_fwd_top")
                st.subheader("6. The logit lens: what the model would say after each layer")
                shown = list(range(max(0, view.length - 10), view.length))
                lens_ids, lens_probs = lens_table(lm, model_key, tuple(ids), tuple(shown))
                left, right = st.columns([1.3, 1])
                left.plotly_chart(charts.lens_figure(lens_ids, lens_probs, strings, view.tokens, shown),
                                  width="stretch", config=PLOT, key="tok_fwd_lens")
                final = steps.lens[-1].top[0][0]
                right.plotly_chart(charts.lens_rank_figure([r.final_rank for r in steps.lens],
                                                           [r.final_prob for r in steps.lens], strings[final]),
                                   width="stretch", config=PLOT, key="tok_fwd_rank")
                right.caption(f"Column by column, the lens reads the stream of each of the last {len(shown)} tokens; "
                              "each cell is the top next token with its probability. The last layer's stream is "
                              "recomputed by hand from the layer before (transformers returns it already normed); "
                              "the lens of that last row is the model's own answer.")
