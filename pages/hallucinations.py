"""Hallucinations & context window: find the limits of a real language model and measure them.

Five sections (lazy tabs: only the open one runs): the context window and truncation, a
needle-in-a-haystack sweep, lost in the middle, probe questions with their uncertainty and
retrieval, and the probe-set summary. The logic lives in playground.limits; long runs keep
their finished part when stopped and are shared by every session that asks for the same."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterator

import pandas as pd
import streamlit as st

from playground.config import get_settings
from playground.limits import charts, data
from playground.limits import context as cx
from playground.limits import probes as pr
from playground.limits import retrieval as rt
from playground.limits.store import ResultStore
from playground.limits.text import (
    check_paste,
    check_question,
    contains,
    md_escape,
    shorten,
)
from playground.models.llm import LanguageModel
from playground.ui.common import friendly_errors, kept, page_intro, track
from playground.ui.entry import run_through_navigation
from playground.ui.limits import allow_heavy
from playground.ui.models import get_embedder, llm_or_stop, model_key_of
from playground.ui.teacher import control, presets

run_through_navigation()  # a deep link on a fresh server still runs inside Home.py's navigation
settings = get_settings()
PLOT = {"displayModeBar": False}
TABS = ["Context window", "Needle in a haystack", "Lost in the middle", "Probe questions", "Probe-set summary"]
MAX_K = max(2, min(8, settings.max_samples))
MAX_NEW = max(8, min(24, settings.max_new_tokens))  # one short sentence
OWN = "Your own"

page_intro(
    "Hallucinations & context window",  # the title in playground/pages.py, exactly
    "A language model reads only so many tokens at once (its *context window*), may not find a fact "
    "in a long text, and answers questions it cannot know with the same fluency as those it can. "
    "Here the shared model (SmolLM2-135M) meets each limit on your input, and every answer is "
    "checked by an exact rule against a gold answer the project wrote, never by another model. "
    "Uncertainty is shown as uncertainty: probabilities, entropies and agreement between samples, "
    "not a verdict.",
    [
        ("**Context window**: press *Ask*. With the whole text the model names **Ada Linwood**, the keeper "
        "in the first sentence. Set the window to **1,024** tokens (74 fewer than the prompt) and ask again: "
        "the first sentence is cut away and the model now names someone else from the essay "
        "(**John Smeaton**, an engineer), just as fluently."),
        ("**Lost in the middle**: press *Run*. With the answer's document first or last, most answers are "
        "right; with it in the middle (position 3 or 6 of 10), at most a third are. Without documents "
        "(closed book) none are: the towns are made up."),
        ("**Probe questions**, *after training*: ask *Which country won the Eurovision Song Contest in "
        "2025?* The model names a winner that does not exist, and its 5 sampled answers all mean different "
        "things (semantic entropy 2.32 bits, the most 5 answers can have). Switch **retrieval** on: the "
        "passage about Austria ranks first and the answer says Austria."),
    ],
)

WINDOWS = (128, 256, 512, 1024, 2048, 4096, 8192)
presets({
    "Forgets the beginning": {"hal_tab": "Context window", "hal_cw_window": 1024, "hal_cw_side": "start"},
    "Needle among distractors": {"hal_tab": "Needle in a haystack", "hal_nih_distractors": True,
                                 "hal_nih_window": 0},
    "Grounding a recent event": {"hal_tab": "Probe questions", "hal_pq_category": "after training",
                                 "hal_pq_question": "Which country won the Eurovision Song Contest in 2025?",
                                 "hal_pq_retrieval": True},
})

lm = llm_or_stop()
model_key = model_key_of(lm)
window_max = cx.model_window(lm)
bound = cx.context_bound(lm, settings)


# -- shared, cached --------------------------------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def shared_results() -> ResultStore:
    """Finished sweeps and probe-set runs, shared read-only by every session."""
    return ResultStore(48)


@st.cache_resource(show_spinner="Embedding the knowledge base (once)...")
def knowledge_base() -> rt.KnowledgeBase:
    return rt.build_knowledge_base(get_embedder())


@st.cache_resource(show_spinner="Measuring retrieval (once)...")
def retrieval_recall() -> tuple[tuple[str, float, float], ...]:
    """(retriever, recall@1, recall@3) over the gold questions; shared, so immutable tuples."""
    embedder, kb = get_embedder(), knowledge_base()
    return tuple((name, rt.recall_at_k(kb, embedder, k=1, method=method),
                  rt.recall_at_k(kb, embedder, k=3, method=method)) for method, name in rt.METHODS.items())


@st.cache_data(show_spinner="Reading the text into tokens...", max_entries=16)
def haystack(_lm: LanguageModel, model_key: str, text: str | None) -> cx.Haystack:
    return cx.build_haystack(_lm, text)


@st.cache_data(show_spinner="Counting tokens...", max_entries=32)
def windowed(_lm: LanguageModel, model_key: str, text: str, question: str, window: int, side: str,
             start: str) -> tuple[cx.WindowPrompt, str]:
    first = cx.split_sentences(text)[0].strip() if text.strip() else None
    prompt = cx.window_prompt(_lm, text, question, window, side, start, fact=first)
    return prompt, (_lm.decode(list(prompt.ids)) if prompt.ids else "")


def digest(*parts) -> str:
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:16]


def tabs(label: str, key: str | None = None, options=(), on_change="rerun", disabled: bool = False):
    """st.tabs drawn like any other control, so the open tab lives in the address (teacher mode);
    ``on_change="rerun"`` makes them lazy: only the open tab's section runs."""
    return st.tabs(list(options), key=key, on_change=on_change)


def run_buttons(run_label: str, key: str) -> tuple[bool, bool]:
    c = st.columns([1, 1, 3])
    run = c[0].button(run_label, type="primary", key=f"{key}_run", icon=":material/play_arrow:", width="stretch")
    stop = c[1].button("Stop", key=f"{key}_stop", icon=":material/stop:", width="stretch",
                       help="Stops after the current step; what is finished stays, and Run continues from there.")
    return run, stop


def partial(name: str) -> dict:
    return st.session_state.setdefault(f"_hal_partial_{name}", {})


def run_shared(name: str, key: tuple, results: list, total: int, label: str,
               work: Callable[[tuple], Iterator]) -> None:
    """Add the missing results of ``key`` to ``results`` with a progress bar: computed here,
    or followed from another session that is computing the same key right now (a class
    pressing Run together runs the work once). Unfinished results stay in this session;
    finished ones go to the store every session reads."""
    def following() -> None:
        st.info("Another session on this server is running exactly this right now: its results "
                "appear here as they come instead of being computed twice.", icon=":material/group:")

    for item in track(shared_results().run_once(key, tuple(results), work, on_follow=following),
                      total - len(results), label):
        results.append(item)
        partial(name)[key] = tuple(results)
    if len(results) == total:
        shared_results().put(key, tuple(results))
        partial(name).pop(key, None)


def highlighted(pieces: list[tuple[str, str]]) -> str:
    """Prompt pieces as markdown: the needle green, distractors orange, all text escaped."""
    out = []
    for text, kind in pieces:
        body = md_escape(text)
        if kind == "text" or not text.strip():
            out.append(body)
        else:
            lead = text[: len(text) - len(text.lstrip())]
            colour = "green" if kind == "needle" else "orange"
            out.append(md_escape(lead) + f":{colour}-background[{md_escape(text.strip())}]")
    return "".join(out)


picked = control(tabs, "Section", key="hal_tab", default=TABS[0], options=TABS, on_change="rerun")
if isinstance(picked, str):  # a teacher's link hid the tab bar: show that one section
    section, where = picked, st.container()
else:
    section, where = next(((name, tab) for name, tab in zip(TABS, picked) if tab.open), (TABS[0], picked[0]))
store = shared_results()

# ---- 1. the context window ---------------------------------------------------------------------------------

if section == "Context window":
    with where:
        st.markdown(
            f"The model reads at most **{window_max:,} tokens** at once: its context window (positions it was "
            f"trained on). This server runs prompts of up to {bound:,} tokens. When a prompt is longer than "
            "the window, something has to go: a chat app drops the *beginning* of the conversation; a "
            "tokenizer called with `truncation=True` drops the *end*, the question included. Pick a window "
            "smaller than the text to see what the model does without the part it cannot read (a real "
            f"{window_max:,}-token window cuts the same way, only later).")
        left, right = st.columns([3, 2], gap="medium")
        with left:
            text = kept(st.text_area, "Text", key="hal_cw_text", default=data.forget_text(), height=230,
                        help="Its first sentence holds the fact; paste your own (up to 200,000 characters).")
        with right:
            question = kept(st.text_input, "Question at the end", key="hal_cw_question",
                            default=data.FORGET_QUESTION)
            start = kept(st.text_input, "The answer starts with", key="hal_cw_start",
                         default=data.FORGET_ANSWER_START,
                         help="Written after 'Answer:' so the model continues it; a small model answers "
                              "far more reliably this way. May be empty.")
            window = kept(st.select_slider, "Window (tokens)", key="hal_cw_window", default=window_max,
                          options=[w for w in WINDOWS if w <= window_max],
                          format_func=lambda w: f"{w:,}" + (" (the model's own)" if w == window_max else ""))
            side = kept(st.radio, "When the prompt is longer", key="hal_cw_side", default="start",
                        options=["start", "end"], horizontal=True,
                        format_func={"start": "cut the beginning", "end": "cut the end"}.get)
        wp = None
        with friendly_errors("reading the text"):
            check_paste(text)
            note = check_question(question)
            if note:
                st.warning(note, icon=":material/translate:")
            wp, kept_text = windowed(lm, model_key, text, question, int(window), side, start)
        if wp is not None:
            total = len(wp.full)
            m = st.columns(4)
            m[0].metric("Prompt (text + question)", f"{total:,} tokens",
                        f"{total - window_max:+,} vs the model's window" if total > window_max else
                        f"fits the model's {window_max:,}", delta_color="off")
            m[1].metric("Read by the model", f"{len(wp.ids):,} tokens", f"window {int(window):,}", delta_color="off")
            m[2].metric("Cut away", f"{wp.cut_start + wp.cut_end:,} tokens",
                        "from the beginning" if wp.cut_start else "from the end" if wp.cut_end else "nothing",
                        delta_color="off")
            m[3].metric("First sentence", "read" if wp.fact_kept else "cut away",
                        "the question too" if wp.question_kept else "the question is cut away", delta_color="off")
            st.plotly_chart(charts.window_figure(total, wp.cut_start, wp.cut_end, wp.fact_span,
                                                 wp.question_tokens, int(window), window_max),
                            width="stretch", config=PLOT, key="hal_cw_bar")
            with st.expander(f"What the model reads after the cut ({len(wp.ids):,} tokens)"):
                st.code(kept_text, language=None, wrap_lines=True, height=260)
            ask = st.button("Ask", type="primary", key="hal_cw_ask", icon=":material/play_arrow:",
                            help="Answers twice: with the whole text (when it fits) and with what the window keeps.")
            answer_key = (model_key, wp.full, wp.ids)
            if ask and allow_heavy("ask"):
                with friendly_errors("answering"):
                    runs = {}
                    if len(wp.full) <= bound:
                        with st.spinner("Answering with the whole text..."):
                            runs["whole"] = cx.greedy_answer(lm, wp.full, 16)
                    if wp.ids != wp.full and len(wp.ids) <= bound:
                        with st.spinner("Answering with what the window keeps..."):
                            runs["window"] = cx.greedy_answer(lm, wp.ids, 16)
                    st.session_state["hal_cw_answers"] = {"key": answer_key, "runs": runs}
            stored = st.session_state.get("hal_cw_answers")
            if len(wp.full) > bound:
                st.info(f"The whole prompt is {len(wp.full):,} tokens: more than this server runs at once "
                        f"({bound:,}{'; the model cannot read it at all' if len(wp.full) > window_max else ''}). "
                        "Only the windowed version can be asked; pick a window of at most "
                        f"{bound:,} tokens.", icon=":material/content_cut:")
            if stored and stored["key"] == answer_key:
                cols = st.columns(2)
                for col, (name, label) in zip(cols, (("whole", f"Whole text ({len(wp.full):,} tokens)"),
                                                     ("window", f"Window of {int(window):,} tokens"))):
                    answer = stored["runs"].get(name)
                    with col.container(border=True):
                        st.markdown(f"**{label}**")
                        if answer is None:
                            st.caption("Nothing cut: the window holds the whole prompt." if name == "window"
                                       else "Too long to run whole.")
                            continue
                        st.markdown("Answer: " + (md_escape(answer.text) or "*(nothing: the model ended at once)*"))
                        if text == data.forget_text():
                            found = contains(answer.text, data.FORGET_ANSWER)
                            st.caption(f"Holds the name from the first sentence (Ada Linwood): "
                                       f"**{'yes' if found else 'no'}**.")
                st.caption("Greedy answers (temperature 0), up to the first line break or sentence end. A model "
                           "never sees what was cut and cannot tell that anything is missing: it answers from "
                           "what it has, as fluently as ever.")

# ---- 2. needle in a haystack ---------------------------------------------------------------------------------

if section == "Needle in a haystack":
    with where:
        st.markdown(
            "A fact (the *needle*) is hidden in a filler text (the *haystack*) at a chosen depth, the text is "
            "cut to a chosen length, and the model is asked about the fact. Each cell is scored twice: "
            "**found** when the greedy answer contains the right words (an exact rule), and the "
            "**log-probability** the model gives the right answer (0 = certain; −20 = hopeless), read from "
            "the same forward pass that starts the answer (the prompt is read once). Click a cell to see its prompt, the needle highlighted, and the answer.")
        names = [n.name for n in data.NEEDLES] + [f"{OWN} needle"]
        c = st.columns([2, 2, 2, 2])
        with c[0]:
            needle_name = kept(st.selectbox, "Needle", key="hal_nih_needle", default=names[0], options=names)
        with c[1]:
            source = kept(st.radio, "Haystack", key="hal_nih_source", default="essays",
                          options=["essays", "own"], horizontal=True,
                          format_func={"essays": "the project's essays", "own": "your text"}.get)
        with c[2]:
            longest = kept(st.select_slider, "Longest prompt (tokens)", key="hal_nih_longest",
                           default=min(8192 if lm.device.type == "cuda" else 2048, bound),
                           options=[n for n in (1024, 2048, 4096, 8192) if n <= bound] or [bound],
                           help="Five lengths (four for 1,024), each double the last. Up to 2,048 runs in "
                                "under 2 minutes on two CPU cores; 4,096 and 8,192 take several times longer "
                                "there (on a GPU the whole window is the default).")
            window = kept(st.select_slider, "Window (tokens)", key="hal_nih_window", default=0,
                          options=[0, 256, 512, 1024, 2048],
                          format_func=lambda w: "no cut" if w == 0 else f"{w:,}",
                          help="Keep only the last tokens of each prompt (the question stays).")
        with c[3]:
            distractors = kept(st.toggle, "Distractors", key="hal_nih_distractors", default=False,
                               help="Three look-alike sentences that answer other questions, spread through "
                                    "the haystack.")
            colour_by = kept(st.radio, "Colour", key="hal_nih_colour", default="found",
                             options=["found", "logprob"], horizontal=True,
                             format_func={"found": "found or not", "logprob": "log p(right answer)"}.get)
        needle = hay = None
        ready = False
        with friendly_errors("reading the needle and the haystack"):
            if needle_name == names[-1]:
                o = st.columns(3)
                with o[0]:
                    sentence = kept(st.text_input, "Needle sentence", key="hal_nih_sentence",
                                    default="The door code of the old boathouse is 5813.")
                with o[1]:
                    q = kept(st.text_input, "Question", key="hal_nih_question",
                             default="What is the door code of the old boathouse?")
                with o[2]:
                    a = kept(st.text_input, "Right answer (words of the needle)", key="hal_nih_answer",
                             default="5813")
                for what, value in (("needle", sentence), ("question", q)):
                    note = check_question(value, what)
                    if note:
                        st.warning(note, icon=":material/translate:")
                needle = data.Needle("own", sentence.strip(), q.strip(), a.strip())
                cx.check_needle(needle)
            else:
                needle = data.NEEDLES[names.index(needle_name)]
            hay_text = None
            if source == "own":
                hay_text = check_paste(kept(st.text_area, "Your haystack text", key="hal_nih_text", default="",
                                            height=150, help="Repeated to fill lengths longer than it."),
                                    "haystack")
            hay = haystack(lm, model_key, hay_text)
            config = cx.SweepConfig(cx.lengths_up_to(int(longest)), cx.DEFAULT_DEPTHS, bool(distractors), int(window))
            cx.needle_prompts(lm, hay, needle, cx.SweepConfig(config.lengths[:1], (0.5,), config.distractors))
            ready = True
        if ready:
            key = ("needle", model_key, digest(hay.ids), needle, config)
            cells = list(store.get(key) or partial("needle").get(key, ()))
            run, _ = run_buttons("Run the sweep", "hal_nih")
            st.caption(f"{config.cells} cells: lengths {', '.join(f'{n:,}' for n in config.lengths)} tokens × "
                       f"depths {', '.join(f'{d:.0%}' for d in config.depths)}; greedy answers in {lm.precision}. "
                       "Finished sweeps are kept for everyone on this server.")
            if run and len(cells) < config.cells and allow_heavy("sweep"):
                with friendly_errors("the sweep"):
                    run_shared("needle", key, cells, config.cells, "Sweeping lengths × depths",
                               lambda have: cx.needle_sweep(lm, hay, needle, config,
                                                            skip={(c.length, c.depth) for c in have}))
            if cells:
                if len(cells) < config.cells:
                    st.info(f"Stopped after {len(cells)} of {config.cells} cells; *Run the sweep* continues.",
                            icon=":material/pause:")
                options = [f"{n}@{d:g}" for n in config.lengths for d in config.depths]
                default_cell = f"{config.lengths[-1]}@0.5"
                # a click on the heatmap (its selection, read before the chart is drawn again, so the
                # outline moves at once) picks the cell whose prompt is shown below
                state = st.session_state.get("hal_nih_heat") or {}
                points = (state.get("selection") or {}).get("points") or []
                if points and points[0].get("customdata"):
                    n, d = points[0]["customdata"][:2]
                    clicked = f"{int(n)}@{float(d):g}"
                    if clicked in options:
                        st.session_state["hal_nih_cell"] = clicked
                chosen = (st.session_state.get("hal_nih_cell") or st.session_state.get("_kept_hal_nih_cell")
                          or default_cell)
                selected = tuple(map(float, chosen.split("@"))) if chosen in options else None
                # the figure must not change between a draw and the click on it (Streamlit ties the
                # selection to the figure), so the outline comes from state that exists before the click
                st.plotly_chart(
                    charts.needle_heatmap(cells, config, colour_by,
                                          (int(selected[0]), selected[1]) if selected else None),
                    width="stretch", config=PLOT, key="hal_nih_heat", on_select="rerun", selection_mode="points")
                found = sum(cell.found for cell in cells)
                took = sum(cell.seconds for cell in cells)
                st.markdown(f"**Found in {found} of {len(cells)} cells**; mean log p(right answer) "
                            f"{sum(cell.logprob for cell in cells) / len(cells):.2f}; "
                            f"{took:.0f} s of model time. "
                            + ("Cells marked *✗ cut* lost the needle to the window: no model could answer them. "
                               if any(not cell.needle_kept for cell in cells) else "")
                            + (f"Answers that took a distractor's words: {sum(1 for c in cells if c.distractor)}."
                               if distractors else ""))
                cell_choice = kept(st.selectbox, "Show the prompt of", key="hal_nih_cell",
                                   default=default_cell, options=options,
                                   format_func=lambda o: f"{int(o.split('@')[0]):,} tokens · needle at "
                                                         f"{float(o.split('@')[1]):.0%}")
                by_key = {f"{cell.length}@{cell.depth:g}": cell for cell in cells}
                cell = by_key.get(cell_choice)
                if cell is None:
                    st.caption("That cell has not run yet.")
                else:
                    left, right = st.columns([3, 1])
                    with right:
                        st.metric("Found", "yes" if cell.found else "no",
                                  "needle read" if cell.needle_kept else "needle cut away", delta_color="off")
                        st.metric("log p(right answer)", f"{cell.logprob:.2f}",
                                  f"p = {math.exp(cell.logprob):.1%}", delta_color="off")
                        st.markdown("**Answer:** " + (md_escape(cell.answer) or "*(empty)*"))
                        if cell.distractor:
                            st.caption(f"The answer holds a distractor's words: {md_escape(cell.distractor)}.")
                    with left:
                        st.caption(f"The prompt, {cell.tokens:,} tokens (needle :green-background[green], "
                                   "distractors :orange-background[orange])"
                                   + (f"; {cell.prompt.cut:,} tokens before it were cut by the window." if cell.prompt.cut
                                      else ".")
                                   + (" The haystack repeats to reach this length." if cell.prompt.repeated else ""))
                        pieces = cx.segments(lm, cell.prompt)
                        at = next((i for i, (_, kind) in enumerate(pieces) if kind == "needle"), None)
                        if at is not None:  # the needle with a little text on either side, then the whole prompt
                            before = pieces[at - 1][0][-240:] if at > 0 else ""
                            after = pieces[at + 1][0][:160] if at + 1 < len(pieces) else ""
                            st.markdown("**Around the needle:** …" + highlighted(
                                [(before.replace("\n", " "), "text"), pieces[at], (after.replace("\n", " "), "text")]) + "…")
                        with st.container(height=320, border=True):
                            st.markdown(highlighted(pieces))

# ---- 3. lost in the middle -------------------------------------------------------------------------------------

if section == "Lost in the middle":
    with where:
        st.markdown(
            "k short documents about ten made-up towns, one of them holding the answer; the question asks "
            "about one town. The answer's document moves from first to last; the other documents stay in "
            "place. Large models answer best when the answer is at the start or the end of the context "
            "and worst in the middle (Liu et al. 2023, *Lost in the Middle*). The dashed line is the "
            "closed-book score: the same questions with no documents.")
        c = st.columns([2, 2, 1, 3])
        with c[0]:
            k = kept(st.select_slider, "Documents", key="hal_lim_docs", default=10, options=[3, 5, 10])
        with c[1]:
            n_q = kept(st.select_slider, "Questions", key="hal_lim_questions", default=10, options=[5, 10, 20, 30],
                       help="Ten towns × three questions (festival month, river, trade).")
        with c[2]:
            seed = kept(st.number_input, "Seed", key="hal_lim_seed", default=0, min_value=0, max_value=9999,
                        step=1, help="The order of the other documents.")
        config = cx.MiddleConfig(int(k), cx.positions_for(int(k)), int(n_q), int(seed))
        key = ("middle", model_key, config)
        results = list(store.get(key) or partial("middle").get(key, ()))
        total = config.questions * (len(config.positions) + 1)
        run, _ = run_buttons("Run", "hal_lim")
        if run and len(results) < total and allow_heavy("sweep"):
            with friendly_errors("lost in the middle"):
                run_shared("middle", key, results, total, "Asking",
                           lambda have: cx.middle_run(lm, config, skip={(r.question, r.position) for r in have}))
        questions = cx.middle_questions(config)
        if results:
            if len(results) < total:
                st.info(f"Stopped after {len(results)} of {total} prompts; *Run* continues.", icon=":material/pause:")
            curve = cx.middle_curve(results, config)
            st.plotly_chart(charts.middle_figure(curve, config.documents), width="stretch", config=PLOT,
                            key="hal_lim_curve")
            rows = []
            for i, q in enumerate(questions):
                row = {"question": q.question, "right answer": q.answer}
                for r in results:
                    if r.question == i:
                        name = "closed book" if r.position is None else f"at {r.position}"
                        row[name] = ("✓ " if r.right else "✗ ") + shorten(r.answer, 28)
                rows.append(row)
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        with st.expander("One prompt as the model reads it"):
            st.code(cx.middle_text(questions[0], config.positions[len(config.positions) // 2]), language=None,
                    wrap_lines=True)

# ---- 4. probe questions ---------------------------------------------------------------------------------------

if section == "Probe questions":
    with where:
        st.markdown(
            "Questions in five categories with gold answers the project wrote, or your own. The answer is "
            "greedy (temperature 0); each token is coloured by the model's probability for it (or the entropy "
            "of the distribution it came from), read from the logits one position before it. Then k answers "
            "are sampled and grouped by meaning with MiniLM: the entropy over the groups (*semantic entropy*) "
            "is high when the samples say different things. With **retrieval** on, the three passages of "
            "the project's knowledge base closest to the question go in front of it.")
        categories = list(data.CATEGORIES) + [OWN]
        all_probes = pr.all_probes()
        c = st.columns([2, 4])
        with c[0]:
            category = kept(st.selectbox, "Category", key="hal_pq_category", default="after training",
                            options=categories,
                            format_func=lambda x: "your own question" if x == OWN else x)
        with c[1]:
            if category == OWN:
                asked = kept(st.text_input, "Your question", key="hal_pq_own",
                             default="Who was the first woman to win a Nobel Prize?")
            else:
                in_category = [p.question for p in all_probes if p.category == category]
                asked = kept(st.selectbox, "Question", key="hal_pq_question",
                             default="Which country won the Eurovision Song Contest in 2025?"
                             if category == "after training" else in_category[0], options=in_category)
        if category != OWN:
            st.caption(f"*{category}*: {data.CATEGORY_HELP[category]}.")
        c = st.columns(6)
        with c[0]:
            grounded = kept(st.toggle, "Retrieval", key="hal_pq_retrieval", default=False,
                            help="Put the 3 closest passages of the knowledge base in front of the question "
                                 "and answer both ways.")
            retriever = kept(st.radio, "Retrieve by", key="hal_pq_retriever", default="minilm",
                             options=list(rt.METHODS), format_func=rt.METHODS.get,
                             help="MiniLM: cosine similarity of sentence vectors (meaning). BM25: the "
                                  "search-engine score of shared words, rare words weighing most.")
        with c[1]:
            k = kept(st.number_input, "Samples (k)", key="hal_pq_samples", default=min(5, MAX_K), min_value=2,
                     max_value=MAX_K, step=1)
        with c[2]:
            temperature = kept(st.select_slider, "Sample temperature", key="hal_pq_T", default=0.7,
                               options=[0.3, 0.5, 0.7, 1.0, 1.3])
        with c[3]:
            threshold = kept(st.slider, "Same meaning at cosine ≥", key="hal_pq_threshold", default=0.85,
                             min_value=0.5, max_value=0.99, step=0.01,
                             help="Two sampled answers are one group when their MiniLM vectors are at least "
                                  "this similar (numbers: when they state the same number).")
        with c[4]:
            seed = kept(st.number_input, "Seed", key="hal_pq_seed", default=0, min_value=0, max_value=9999, step=1,
                        help="Sample i uses seed + i.")
        with c[5]:
            colour_by = kept(st.radio, "Colour tokens by", key="hal_pq_colour", default="prob",
                             options=["prob", "entropy"], format_func={"prob": "probability",
                                                                      "entropy": "entropy"}.get)
        probe = None
        with friendly_errors("reading the question"):
            if category == OWN:
                note = check_question(asked)
                if note:
                    st.warning(note, icon=":material/translate:")
                probe = pr.own_question(asked)
            else:
                probe = next(p for p in all_probes if p.question == asked)
        config = pr.ProbeConfig(temperature=float(temperature), samples=int(k), seed=int(seed),
                                threshold=float(threshold), max_new_tokens=MAX_NEW, retriever=retriever)
        ask = st.button("Ask", type="primary", key="hal_pq_ask", icon=":material/play_arrow:")
        ask_key = (model_key, probe, config, bool(grounded))
        if ask and probe is not None and allow_heavy("ask"):
            with friendly_errors("answering"):
                embedder = get_embedder()
                kb = knowledge_base()  # retrieved either way: the answer without them is checked against them
                found = {}
                conditions = [("without", False)] + ([("with", True)] if grounded else [])
                for name, shown in track(conditions, len(conditions), "Answering and sampling"):
                    found[name] = pr.examine(lm, embedder, probe, config, kb, grounded=shown)
                st.session_state["hal_pq_result"] = {"key": ask_key, "found": found}
        stored = st.session_state.get("hal_pq_result")
        if stored and stored["key"] == ask_key:
            found = stored["found"]
            cols = st.columns(len(found))
            for col, (name, ex) in zip(cols, found.items()):
                with col.container(border=True):
                    st.markdown(f"**{'With' if name == 'with' else 'Without'} retrieval**")
                    if ex.tokens:
                        st.plotly_chart(charts.token_strip(ex.tokens, colour_by, 46 if len(found) > 1 else 100),
                                        width="stretch", config=PLOT, key=f"hal_pq_strip_{name}")
                    else:
                        st.caption("The model ended its answer at once: no tokens.")
                    summary = pr.summarise_tokens(ex.tokens)
                    m = st.columns(3)
                    m[0].metric("Mean token entropy", f"{summary.mean_entropy:.2f} bits" if ex.tokens else "–")
                    m[1].metric("Lowest token p", f"{summary.lowest_prob:.1%}" if ex.tokens else "–")
                    if ex.consistency:
                        m[2].metric("Semantic entropy", f"{ex.consistency.entropy:.2f} bits",
                                    f"{len(ex.consistency.groups)} meaning{'s' if len(ex.consistency.groups) > 1 else ''} "
                                    f"in {len(ex.consistency.answers)}", delta_color="off")
                    if ex.outcome is not None:
                        verdict = {"right": "right", "don't know": "says it does not know", "wrong": "wrong"}[ex.outcome]
                        extra = (" (the right answer here)" if ex.outcome == "don't know" and ex.probe.abstain_ok else "")
                        st.markdown(f"By the gold rule the answer is **{verdict}**{extra}.")
                    else:
                        st.caption("Your own question has no gold answer: judge it yourself.")
                    if ex.consistency:
                        agree = ex.consistency.agreement
                        st.markdown(f"**{len(ex.consistency.answers)} sampled answers** (T = {config.temperature:g}), "
                                    f"grouped by {ex.consistency.how} (the number is the group); {agree:.0%} of them "
                                    "mean the same as the greedy answer:")
                        for g, members in enumerate(ex.consistency.groups, start=1):
                            for i in members:
                                mark = f" · {ex.sample_outcomes[i]}" if ex.sample_outcomes else ""
                                st.markdown(f"**{g}** · {md_escape(shorten(ex.consistency.answers[i], 140))} "
                                            f":gray[(seed {config.seed + i}{mark})]")
                    if ex.passages and ex.grounded:
                        how = ("cosine similarity to the question" if config.retriever == "minilm"
                               else "BM25 score: shared words, rare ones weighing most")
                        st.markdown(f"**Retrieved passages** ({how}):\n"
                                    + "\n".join(f"- **{p.score:.3f}** · {md_escape(p.text)}" for p in ex.passages))
                    if ex.words is not None:
                        w = ex.words
                        where = ("the passages above" if ex.grounded else
                                 f"the {len(ex.passages)} passages retrieved for the question (not shown to the model)")
                        if w.found or w.missing:
                            st.markdown(
                                f"**Support:** {len(w.found)} of {len(w.found) + len(w.missing)} new words of the "
                                f"answer (not in the question) are in {where}"
                                + (f"; found: {md_escape(', '.join(w.found))}" if w.found else "")
                                + (f"; not found: {md_escape(', '.join(w.missing))}" if w.missing else "") + ".")
                        else:
                            st.markdown(f"**Support:** the answer adds no word to the question to look for in {where}.")
                        st.caption(f"Closest passage to the answer by meaning: cosine {ex.support:.2f}. Words found in "
                                   "a passage are a hint that the answer repeats it, not proof that either is true.")
                    with st.expander("What the model reads"):
                        st.code(ex.prompt, language=None, wrap_lines=True)
            st.caption("Colours: probability :red-background[near 0] :orange-background[25 %] "
                       ":yellow-background[50 %] :green-background[near 100 %]; entropy white (one likely token) "
                       "to :blue-background[blue] (6+ bits: spread over many). Hover a token for its top "
                       "alternatives. A low probability or a high entropy is uncertainty, not proof of an error: "
                       "confident answers can be wrong and unsure ones right.")
            with st.expander("How often does retrieval find the right passage?"):
                st.dataframe(pd.DataFrame([{"retriever": name, "recall@1": f"{r1:.0%}", "recall@3": f"{r3:.0%}"}
                                           for name, r1, r3 in retrieval_recall()]),
                             hide_index=True, width="stretch")
                st.caption(f"Over the {sum(1 for p in data.PROBES if p.passage)} probe questions whose answer a passage of the "
                           f"knowledge base ({len(data.KNOWLEDGE_BASE)} passages) holds: the share whose passage "
                           "is the first retrieved (recall@1) or among the first three (recall@3, what the "
                           "model is shown).")

# ---- 5. the probe-set summary ----------------------------------------------------------------------------------

if section == "Probe-set summary":
    with where:
        st.markdown(
            "Every probe question, greedy and sampled, without and with retrieval, graded by the exact rule; "
            "additions of 1 to 6 digits beside the GPT-3 paper's few-shot results; and how well each "
            "uncertainty signal separates wrong answers from right ones (AUROC on this probe set).")
        c = st.columns([3, 2, 1, 1])
        with c[0]:
            size = kept(st.radio, "Probe set", key="hal_ps_size", default="quick", options=["quick", "full"],
                        horizontal=True,
                        format_func={"quick": "quick: 2 per category, 2 additions per size",
                                     "full": "full: 26 questions, 5 additions per size"}.get)
        with c[1]:
            temperature = kept(st.select_slider, "Second temperature", key="hal_ps_T", default=0.7,
                               options=[0.3, 0.5, 0.7, 1.0, 1.3], help="The first is 0 (greedy).")
        with c[2]:
            k = kept(st.number_input, "Samples (k)", key="hal_ps_samples", default=min(5, MAX_K), min_value=2,
                     max_value=MAX_K, step=1)
        with c[3]:
            seed = kept(st.number_input, "Seed", key="hal_ps_seed", default=0, min_value=0, max_value=9999, step=1)
        config = pr.ProbeConfig(temperature=float(temperature), samples=int(k), seed=int(seed), max_new_tokens=MAX_NEW,
                                per_category=2 if size == "quick" else 0, per_digit=2 if size == "quick" else 5)
        key = ("probes", model_key, config)
        runs = list(store.get(key) or partial("probes").get(key, ()))
        total = pr.planned_runs(config)
        run, _ = run_buttons("Run the probe set", "hal_ps")
        st.caption(f"{total} questions-and-conditions, each a greedy answer and {int(k)} samples: about "
                   f"{total * 5 // 60 + 1}–{total * 12 // 60 + 1} minutes on two CPU cores (seconds on a GPU). "
                   "Finished runs are kept for everyone on this server.")
        if run and len(runs) < total and allow_heavy("sweep"):
            with friendly_errors("the probe set"):
                embedder = get_embedder()
                kb = knowledge_base()
                run_shared("probes", key, runs, total, "Asking the probe set",
                           lambda have: pr.run_probe_set(lm, embedder, kb, config,
                                                         skip={(r.probe.question, r.retrieval) for r in have}))
        if runs:
            if len(runs) < total:
                st.info(f"Stopped after {len(runs)} of {total}; *Run the probe set* continues.", icon=":material/pause:")
            summary = pr.summarise(runs, config)
            st.markdown("**Wrong answers by category** (\"don't know\" is not wrong; hover for its share)")
            st.plotly_chart(charts.wrong_rate_figure(summary), width="stretch", config=PLOT, key="hal_ps_wrong")
            left, right = st.columns(2)
            with left:
                st.markdown("**Addition: this model beside GPT-3 175B**")
                st.plotly_chart(charts.arithmetic_figure(summary, data.GPT3_ADDITION, config.temperature),
                                width="stretch", config=PLOT, key="hal_ps_arith")
                st.caption("GPT-3: few-shot, 2 to 5 digits (Brown et al. 2020, table 3.9). Here: the same "
                           "\"Q: What is a plus b? A:\" format with three examples; right when the first "
                           "number of the answer is the sum.")
            with right:
                st.markdown("**Does uncertainty point at wrong answers?**")
                st.plotly_chart(charts.separation_figure(summary), width="stretch", config=PLOT, key="hal_ps_auroc")
                st.caption("AUROC over the greedy answers without retrieval that were right or wrong (\"don't "
                           "know\" left out): the chance that a wrong answer is more uncertain than a right one. "
                           "0.5 is a coin flip.")
            with st.expander("Every answer"):
                st.dataframe(pd.DataFrame([{
                    "category": r.probe.category, "question": r.probe.question, "retrieval": r.retrieval,
                    "greedy answer": r.greedy, "grade": r.outcome,
                    f"samples wrong (of {len(r.samples)})": sum(o == "wrong" for o in r.sample_outcomes),
                    "token entropy": round(r.mean_entropy, 2), "semantic entropy": round(r.semantic_entropy, 2),
                } for r in runs]), hide_index=True, width="stretch")

# ---- a small model is not a frontier model ------------------------------------------------------------------------

st.subheader("A 135M model is not a frontier model")
st.markdown(
    "- **Knowledge.** SmolLM2-135M has 135 million parameters; frontier models have hundreds of billions and "
    "know far more facts. The probe set's *real facts* are easy for them; many are not for this model. "
    "All models still invent answers about things they cannot know (fictional names, events after their "
    "training data); larger chat models are also trained to say \"I don't know\" more often.\n"
    "- **Arithmetic.** GPT-3 175B added 2-digit numbers almost perfectly and 5-digit numbers 9 % of the time; "
    "this model struggles from 2 digits on. Today's frontier models add long numbers well, often by writing "
    "out steps or calling a calculator tool.\n"
    f"- **Context.** This model was trained on {window_max:,} positions; frontier models read 100,000 tokens "
    "and more, and find a single needle almost anywhere in them. Distractors, several needles and questions "
    "that need reasoning over the text (as in the RULER benchmark) still make them fail long before their "
    "window ends, and the U-shaped *lost in the middle* curve was first measured on large models.\n"
    "- **Uncertainty.** Token probabilities and sample agreement carry some signal about errors in large "
    "models too (semantic entropy was introduced on them), but a model that is consistently wrong looks "
    "certain. No threshold turns these numbers into a reliable lie detector.")
