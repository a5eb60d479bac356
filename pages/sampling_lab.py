"""Temperature & sampling lab: the real next-token distribution of the shared
language model, the sampling pipeline as a waterfall, dice rolls, streamed
completions with forks, and a comparison of two settings.

Sliders only re-weight the cached logits (playground.sampling.lab, no model call);
the model runs once per prompt, and again only when a Generate button is pressed."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pandas as pd
import streamlit as st

from playground.config import get_settings
from playground.models.llm import GeneratedToken, GenerationSettings, LanguageModel
from playground.sampling import charts
from playground.sampling import lab as smp
from playground.threads import one_thread
from playground.ui.common import friendly_errors, page_intro
from playground.ui.entry import run_through_navigation
from playground.ui.limits import allow_heavy
from playground.ui.models import llm_or_stop, model_key_of, read_prompt, vocab_strings
from playground.ui.teacher import control, presets

run_through_navigation()  # a deep link on a fresh server still runs inside Home.py's navigation
settings = get_settings()
PLOT_CONFIG = {"displayModeBar": False}
CHARS_PER_LINE = {1: 100, 2: 52, 3: 32}  # heat-strip width in characters, by columns side by side
MAX_SIDE_BY_SIDE = max(1, min(3, settings.max_samples))  # completions side by side
MAX_COMPARE = max(2, min(4, settings.max_samples))  # samples per side in the comparison
MAX_NEW = max(4, min(96, settings.max_new_tokens))

page_intro(
    "Temperature & sampling lab",
    "For the text so far, a language model scores every token of its vocabulary (the *logits*); a "
    "sampling rule then picks one. Below: the model's real scores for your prompt, each stage of "
    "the rule (repetition penalty, temperature, top-k, top-p, min-p) with how many tokens survive "
    "it, dice rolls, streamed completions and a comparison of two settings. The model runs once "
    "per prompt; the sliders only re-weight its cached scores.",
    [
        "Pick **Near-certain: a fact** and drag the temperature to **0**: the waterfall ends with "
        "exactly one token, ␣Paris, at p = 100 % (greedy decoding is the argmax). Then try **2.0**: "
        "in the ÷ T panel ␣Paris falls below 10 % and the entropy climbs above 10 bits; top-k and "
        "top-p then cut the tail back.",
        "Pick **Wide open: a story start**, set temperature **1**, top-k **off** and top-p **0.9**: "
        "hundreds of tokens survive the nucleus. Switch to **Near-certain: a fact**: the same "
        "top-p keeps fewer than 20.",
        "On the story prompt, set temperature **1.5** with top-k and top-p off: all 49,152 tokens "
        "stay in play. Now add min-p **0.1**: fewer than 100 survive, and the entropy drops "
        "below what it was at temperature 1.",
    ],
)

DEFAULTS = {
    "smp_example": 0, "smp_prompt": smp.EXAMPLES[0].text, "smp_mode": smp.EXAMPLES[0].mode,
    "smp_T": 0.7, "smp_top_k": 40, "smp_top_p": 0.8, "smp_min_p": 0.0, "smp_penalty": 1.0, "smp_seed": 0,
    "smp_draws": 1000, "smp_n": min(2, MAX_SIDE_BY_SIDE), "smp_new": min(24, MAX_NEW),
    "smp_cmp_T_a": 0.2, "smp_cmp_p_a": 1.0, "smp_cmp_T_b": 1.5, "smp_cmp_p_b": 1.0, "smp_cmp_n": min(3, MAX_COMPARE),
}
for key, value in DEFAULTS.items():
    st.session_state.setdefault(key, value)

# lesson presets: the "try this" experiments, set up (sidebar, or ?preset=... in a link)
EXAMPLE_SETUP = {e.label: {"smp_example": i, "smp_prompt": e.text, "smp_mode": e.mode}
                 for i, e in enumerate(smp.EXAMPLES)}
presets({
    "Greedy on a fact": {**EXAMPLE_SETUP["Near-certain: a fact"], "smp_T": 0.0},
    "Hot on a fact": {**EXAMPLE_SETUP["Near-certain: a fact"], "smp_T": 2.0},
    "Nucleus on a story": {**EXAMPLE_SETUP["Wide open: a story start"], "smp_T": 1.0, "smp_top_k": 0,
                           "smp_top_p": 0.9, "smp_min_p": 0.0},
    "min-p against the tail": {**EXAMPLE_SETUP["Wide open: a story start"], "smp_T": 1.5, "smp_top_k": 0,
                               "smp_top_p": 1.0, "smp_min_p": 0.1},
})


def use_example() -> None:
    example = smp.EXAMPLES[st.session_state["smp_example"]]
    st.session_state["smp_prompt"] = example.text
    st.session_state["smp_mode"] = example.mode


def strip(tokens, columns: int, forced_step: int | None = None, key: str | None = None, where=st) -> None:
    where.plotly_chart(charts.heat_strip_figure(tokens, CHARS_PER_LINE[columns], forced_step),
                       width="stretch", config=PLOT_CONFIG, key=key)


def stream(placeholders, lm: LanguageModel, ids: list[int], gen: GenerationSettings, seeds: list[int],
           columns: int, key: str, prefix: list[GeneratedToken] | None = None, forced_step: int | None = None,
           as_text: bool = False) -> list[list[GeneratedToken]]:
    """Generate one completion per seed in one batch, redrawing each placeholder as its
    tokens arrive (at most ~6 times a second)."""
    completions = [list(prefix or []) for _ in seeds]
    shown_at = 0.0

    def draw() -> None:
        for i, (where, tokens) in enumerate(zip(placeholders, completions)):
            if as_text:
                where.text("".join(t.text for t in tokens) + " ▌")
            else:
                strip(tokens, columns, forced_step, key=f"{key}{i}_live_{len(tokens)}", where=where)

    for events in lm.generate_batch_stream(ids, gen, seeds, stop=threading.Event(), alternatives=5):
        for tokens, token in zip(completions, events):
            if token is not None:
                tokens.append(token)
        if time.perf_counter() - shown_at > 0.15:
            shown_at = time.perf_counter()
            draw()
    return completions


# -- 1. prompt and settings (left) · the waterfall (right) ---------------------------

lm = llm_or_stop()
model_key = model_key_of(lm)

controls, results = st.columns([1, 2.4], gap="medium")
with controls:
    control(st.text_area, "Prompt", key="smp_prompt", default=DEFAULTS["smp_prompt"], height=90,
                 help=f"At most {settings.max_prompt_tokens:,} tokens (PLAYGROUND_MAX_PROMPT_TOKENS).")
    control(st.selectbox, "Example prompts", options=range(len(smp.EXAMPLES)), key="smp_example", default=0, on_change=use_example,
                 format_func=lambda i: smp.EXAMPLES[i].label,
                 help="Chosen because their distributions teach something; the text goes into the prompt box.")
    example = smp.EXAMPLES[st.session_state["smp_example"]]
    if st.session_state["smp_prompt"] == example.text and st.session_state["smp_mode"] == example.mode:
        st.caption(example.shows)
    control(st.radio, "Mode", options=["raw", "chat"], key="smp_mode", default=DEFAULTS["smp_mode"], horizontal=True,
             format_func={"raw": "raw completion", "chat": "chat (instruct template)"}.get,
             help="Raw: the model continues your text. Chat: your text becomes a user message in the "
                  "model's chat template and the model starts the assistant's reply.")
    reads = st.container()
    st.markdown("**Sampling settings**")
    control(st.select_slider, "Temperature", options=smp.TEMPERATURES, key="smp_T", default=DEFAULTS["smp_T"],
                     help="Divides every logit by T. Fine steps near 0; 0 is greedy (always the argmax).")
    control(st.select_slider, "top-k", options=smp.TOP_KS, key="smp_top_k", default=DEFAULTS["smp_top_k"],
                     format_func=lambda k: "off" if k == 0 else str(k), help="Keep the k most likely tokens.")
    control(st.slider, "top-p (nucleus)", min_value=0.05, max_value=1.0, step=0.01, key="smp_top_p",
              default=DEFAULTS["smp_top_p"],
              help="Keep the smallest set of most likely tokens with total probability ≥ p. 1 = off.")
    control(st.slider, "min-p", min_value=0.0, max_value=0.5, step=0.01, key="smp_min_p",
              default=DEFAULTS["smp_min_p"],
              help="Keep tokens at least min-p times as likely as the top token. 0 = off.")
    control(st.slider, "Repetition penalty", min_value=1.0, max_value=2.0, step=0.05, key="smp_penalty",
              default=DEFAULTS["smp_penalty"],
              help="θ: tokens already in the context get z/θ (z > 0) or z·θ (z < 0). 1 = off.")
    control(st.number_input, "Seed", min_value=0, max_value=2**31 - 1, step=1, key="smp_seed",
                    default=DEFAULTS["smp_seed"],
                    help="Seeds the dice and the generated completions (completion i uses seed + i).")

gen = GenerationSettings(
    max_new_tokens=int(st.session_state["smp_new"]),
    temperature=float(st.session_state["smp_T"]), top_k=int(st.session_state["smp_top_k"]),
    top_p=float(st.session_state["smp_top_p"]), min_p=float(st.session_state["smp_min_p"]),
    repetition_penalty=float(st.session_state["smp_penalty"]), seed=int(st.session_state["smp_seed"]),
)

prompt_ids: list[int] | None = None
strings: list[str] | None = None
analysis: smp.Analysis | None = None
with results:
    with friendly_errors("reading the prompt"):
        prompt_ids, rendered = read_prompt(lm, model_key, st.session_state["smp_prompt"], st.session_state["smp_mode"])
        with st.spinner("Running the model on the prompt..."):
            logits = lm.next_token_logits(prompt_ids)  # (V,), cached inside the model by prompt
        strings = vocab_strings(lm, model_key)
    if prompt_ids is not None and strings is not None:
        with friendly_errors("the sampling pipeline"):
            # no model call from here on: a slider move only re-weights the cached logits
            with one_thread():  # ~20 small tensor operations: one thread each is fastest on a shared box
                analysis = smp.analyse(logits, prompt_ids, gen, int(st.session_state["smp_draws"]))
if analysis is None:
    results.info("Fix the prompt or the settings to see the next-token distribution.", icon=":material/edit:")
    st.stop()
prompt_key = (model_key, tuple(prompt_ids))
wf = analysis.waterfall
raw_stage = wf.stages[0]
top_id = int(analysis.raw_probs.argmax())
pick_id = int(wf.probs.argmax())

with reads.expander(f"What the model reads: {len(prompt_ids)} tokens"):
    st.code(rendered, language=None, wrap_lines=True)

with results:
    m = st.columns(4)
    m[0].metric("Most likely next token", smp.visible(strings[top_id]),
                f"p = {float(analysis.raw_probs[top_id]):.1%} at T = 1", delta_color="off")
    m[1].metric("Entropy of the model", f"{raw_stage.entropy:.2f} bits",
                f"≈ {raw_stage.effective_choices:,.0f} equal choices", delta_color="off")
    m[2].metric("Tokens left to draw from", f"{wf.final.survivors:,}", f"of {lm.vocab_size:,}", delta_color="off")
    m[3].metric("Entropy left", f"{wf.final.entropy:.2f} bits",
                f"top: {smp.visible(strings[pick_id])} {float(wf.probs[pick_id]):.1%}", delta_color="off")
    st.plotly_chart(charts.waterfall_figure(wf, strings, rows=16), width="stretch", config=PLOT_CONFIG, key="smp_waterfall")
    st.caption(
        "The sampling pipeline, one panel per stage in the order `generate` runs them (transformers' own "
        "logits processors applied one at a time to this prompt's cached logits). Panel 0 is the model's "
        "own distribution. Rows are the same tokens in every panel; **✕** marks a token the stage removed "
        "(grey: the probability it had). Each panel is renormalised over the tokens still alive; the "
        "last one is what the next token is drawn from."
    )

# -- 2. the distribution, the stages in numbers ------------------------------------------------

st.subheader("The model's next-token distribution, and what each stage did")
left, right = st.columns([2, 3])
with left:
    st.plotly_chart(charts.distribution_figure(analysis.raw_probs, strings), width="stretch",
                    config=PLOT_CONFIG, key="smp_dist")
    st.caption(
        f"The top 15 of the {lm.vocab_size:,} tokens at temperature 1, computed by the model in "
        f"{lm.precision} on the {lm.info.device.upper()}; spaces shown as ␣, new lines as ↵ "
        "(the small number is the token id). Entropy measures the uncertainty: *H* bits is as uncertain "
        f"as a fair pick among 2^*H* tokens. Model forward passes for next-token distributions since the "
        f"server started: {lm.model_calls}; a new prompt costs one, the sliders reuse the cached logits."
    )
with right:
    st.plotly_chart(charts.funnel_figure(wf), width="stretch", config=PLOT_CONFIG, key="smp_funnel")
    st.dataframe(
        pd.DataFrame([{
            "stage": f"{i}. {s.name}", "setting": s.setting, "tokens kept": s.survivors,
            "entropy (bits)": round(s.entropy, 2), "top token p": round(float(s.probs.max()), 4),
            "what it did": s.detail,
        } for i, s in enumerate(wf.stages)]),
        hide_index=True, width="stretch",
    )
    st.caption(
        "The repetition penalty comes first because `generate` applies it first; it looks at every token "
        "already in the context, here the prompt (in chat mode that includes the template's tokens). "
        "This page implements the repetition penalty only: the presence and frequency penalties of some "
        "APIs are not part of transformers' sampling."
    )

# -- 5. the formula ---------------------------------------------------------------------------------

st.subheader("The formula, with this prompt's numbers")
if analysis.numbers is None:
    st.latex(rf"T = 0:\quad \text{{next token}} = \arg\max_i z_i = {smp.latex_text(strings[pick_id])}")
    st.markdown("At temperature 0 there is no softmax and no chance: `generate` takes the highest score.")
else:
    st.latex(smp.softmax_latex(analysis.numbers, strings))
    first = analysis.numbers.terms[0]
    final_p = float(wf.probs[first.token_id])
    st.markdown(
        f"*z* are the logits after the repetition penalty. Subtracting the largest one "
        f"({analysis.numbers.z_max:.2f}) changes nothing (it cancels out) but keeps the powers of *e* "
        "from overflowing. "
        f"Top-k, top-p and min-p then remove tokens and renormalise what is left: the survivors held "
        f"{analysis.kept_mass:.1%} of the probability, so the top token's final probability is "
        f"{first.probability:.4f} / {analysis.kept_mass:.4f} = **{final_p:.4f}**."
    )

# -- 6. roll the dice -----------------------------------------------------------------------------------

st.subheader("Roll the dice")
left, right = st.columns([1, 3])
with left:
    control(st.select_slider, "Draws", options=[10, 100, 1000, 10000], key="smp_draws",
            default=DEFAULTS["smp_draws"])
    drawn = len(set(analysis.draws.tolist()))
    st.markdown(
        f"{int(st.session_state['smp_draws']):,} tokens drawn from the final distribution with seed "
        f"{gen.seed}: **{drawn}** different tokens came up. Few draws wander far from the probabilities; "
        "many draws settle on them. Change the seed for another roll."
    )
with right:
    st.plotly_chart(charts.dice_figure(analysis.dice, strings, int(st.session_state["smp_draws"])),
                    width="stretch", config=PLOT_CONFIG, key="smp_dice")

# -- 7. generate -------------------------------------------------------------------------------------------

st.subheader("Generate")
st.markdown(
    "Each completion runs the same loop as `model.generate` with the settings above (transformers' own "
    "logits processors, then one draw from the completion's own seeded generator), streamed token by token; "
    "side-by-side completions run together in one batch. "
    "Colour = the model's own probability (temperature 1) of each chosen token, from the logits one "
    "position before it: :red-background[near 0] :orange-background[25 %] :yellow-background[50 %] "
    ":green-background[near 100 %]. Hover a token to see the top alternatives at that step."
)
c = st.columns([1, 1, 1])
control(c[0].number_input, "Completions", min_value=1, max_value=MAX_SIDE_BY_SIDE, step=1, key="smp_n",
        default=DEFAULTS["smp_n"],
                  help="Completion i uses seed + i; all of them run together in one batch.")
control(c[1].slider, "New tokens", min_value=4, max_value=MAX_NEW, step=4, key="smp_new",
        default=DEFAULTS["smp_new"],
            help=f"About 12 tokens a second on two CPU cores; at most {MAX_NEW}.")
go_generate = c[2].button("Generate", type="primary", key="smp_generate", icon=":material/play_arrow:",
                          width="stretch")

n_cols = int(st.session_state["smp_n"])
if go_generate and allow_heavy("generate"):
    st.session_state.pop("smp_runs", None)
    st.session_state.pop("smp_forked", None)
    with friendly_errors("generating"):
        columns = st.columns(n_cols)
        seeds = [gen.seed + i for i in range(n_cols)]
        for seed, column in zip(seeds, columns):
            column.caption(f"seed {seed}")
        completions = stream([column.empty() for column in columns], lm, prompt_ids, gen, seeds, n_cols, "smp_gen")
        runs = list(zip(seeds, completions))
        st.session_state["smp_runs"] = {"prompt": prompt_key, "settings": gen, "runs": runs}
        st.rerun()

stored = st.session_state.get("smp_runs")
if stored and stored["prompt"] == prompt_key:
    runs = stored["runs"]
    st.caption(f"Generated with {smp.settings_label(stored['settings'])}, {stored['settings'].max_new_tokens} "
               "new tokens at most.")
    columns = st.columns(len(runs))
    for i, (column, (seed, tokens)) in enumerate(zip(columns, runs)):
        stats = smp.sample_stats([tokens])
        column.caption(f"seed {seed} · {len(tokens)} tokens · mean log p = {stats.mean_logprob:.2f}")
        strip(tokens, len(runs), key=f"smp_strip_{i}", where=column)
        with column.expander("Plain text"):
            st.text("".join(t.text for t in tokens))
    if len(runs) > 1 and smp.sample_stats([t for _, t in runs]).identical:
        st.caption("All completions are identical: " + (
            "temperature 0 is greedy, so the seed plays no part." if stored["settings"].greedy else
            "the settings leave (almost) one choice at each step."))

    st.subheader("Fork: take another path")
    st.markdown("Pick a step and one of the model's alternatives there; generation continues from the "
                "prompt, the tokens before that step and your alternative.")
    f = st.columns([1, 2, 2, 1])
    run_index = f[0].selectbox("Completion", range(len(runs)), key="smp_fork_run",
                               format_func=lambda i: f"seed {runs[i][0]}")
    tokens = runs[run_index][1]
    step = f[1].selectbox("Step", range(len(tokens)), key="smp_fork_step",
                          format_func=lambda i: f"{i}: {smp.visible(tokens[i].text)} ({tokens[i].prob:.1%})")
    alternatives = [a for a in tokens[step].alternatives if a[0] != tokens[step].token_id]
    alt_index = f[2].selectbox("Alternative", range(len(alternatives)), key="smp_fork_alt",
                               format_func=lambda i: f"{smp.visible(alternatives[i][1])} ({alternatives[i][2]:.1%})")
    go_fork = f[3].button("Continue", key="smp_fork_go", icon=":material/call_split:", help="Continue from here",
                          width="stretch", disabled=not alternatives)
    if go_fork and alternatives and allow_heavy("continue the fork"):
        alt_id, alt_text, _ = alternatives[alt_index]
        with friendly_errors("generating the fork"):
            fork_context = smp.fork_ids(prompt_ids, tokens, step, alt_id)
            forced = smp.forced_token(tokens, step, alt_id, alt_text)
            fork_gen = replace(stored["settings"], seed=runs[run_index][0],
                               max_new_tokens=max(4, stored["settings"].max_new_tokens - step - 1))
            new = stream([st.empty()], lm, fork_context, fork_gen, [fork_gen.seed], 1, "smp_fork",
                         prefix=list(tokens[:step]) + [forced], forced_step=step)[0]
            st.session_state["smp_forked"] = {"prompt": prompt_key, "step": step, "tokens": new,
                                               "from": runs[run_index][0]}
            st.rerun()
    forked = st.session_state.get("smp_forked")
    if forked and forked["prompt"] == prompt_key:
        st.caption(f"Fork of seed {forked['from']} at step {forked['step']} (outlined box: your alternative).")
        strip(forked["tokens"], 1, forked["step"], key="smp_fork_strip")

# -- 8. compare two settings -------------------------------------------------------------------------------

st.subheader("Compare two settings")
st.markdown(
    "The same prompt, the same seeds, two settings (top-k, min-p and the penalty off). "
    "**distinct-n**: distinct n-grams across all samples ÷ all n-grams (1 = the samples never repeat "
    "each other). **repetition**: share of 3-grams a sample already used earlier. **mean log-prob**: "
    "the average log-probability of the chosen tokens under the model at temperature 1 (closer to 0 = "
    "text the model itself finds likely). Expect the hotter side to be more diverse and less likely."
)
a, b, s = st.columns([2, 2, 1])
with a.container(border=True):
    st.markdown("**A**")
    control(st.select_slider, "Temperature A", options=smp.TEMPERATURES, key="smp_cmp_T_a",
            default=DEFAULTS["smp_cmp_T_a"])
    control(st.slider, "top-p A", min_value=0.05, max_value=1.0, step=0.01, key="smp_cmp_p_a",
            default=DEFAULTS["smp_cmp_p_a"])
with b.container(border=True):
    st.markdown("**B**")
    control(st.select_slider, "Temperature B", options=smp.TEMPERATURES, key="smp_cmp_T_b",
            default=DEFAULTS["smp_cmp_T_b"])
    control(st.slider, "top-p B", min_value=0.05, max_value=1.0, step=0.01, key="smp_cmp_p_b",
            default=DEFAULTS["smp_cmp_p_b"])
with s:
    control(st.number_input, "Samples each", min_value=2, max_value=MAX_COMPARE, step=1, key="smp_cmp_n",
            default=DEFAULTS["smp_cmp_n"])
    go_compare = st.button("Compare", key="smp_compare", icon=":material/compare_arrows:", width="stretch")
sides = {
    name: GenerationSettings(max_new_tokens=gen.max_new_tokens, temperature=float(st.session_state[f"smp_cmp_T_{k}"]),
                             top_p=float(st.session_state[f"smp_cmp_p_{k}"]), seed=gen.seed)
    for name, k in (("A", "a"), ("B", "b"))
}
if go_compare and allow_heavy("compare"):
    st.session_state.pop("smp_cmp", None)
    with friendly_errors("comparing"):
        n = int(st.session_state["smp_cmp_n"])
        results = {}
        for name, side in sides.items():
            st.caption(f"{name}: {smp.settings_label(side)}")
            cols = st.columns(n)
            results[name] = stream([col.empty() for col in cols], lm, prompt_ids, side,
                                   [side.seed + i for i in range(n)], n, f"smp_cmp_{name}", as_text=True)
        st.session_state["smp_cmp"] = {"prompt": prompt_key, "sides": sides, "results": results}
        st.rerun()
compared = st.session_state.get("smp_cmp")
if compared and compared["prompt"] == prompt_key:
    stats = {name: smp.sample_stats(samples) for name, samples in compared["results"].items()}
    labels = {name: f"{name}: {smp.settings_label(side)}" for name, side in compared["sides"].items()}
    left, right = st.columns([3, 2])
    left.plotly_chart(charts.compare_figure(stats["A"], stats["B"], labels["A"], labels["B"]),
                      width="stretch", config=PLOT_CONFIG, key="smp_cmp_fig")
    right.dataframe(pd.DataFrame({
        "": ["samples", "tokens", "distinct-1", "distinct-2", "repetition (3-grams)", "mean log-prob"],
        **{labels[name]: [st_.samples, st_.tokens, round(st_.distinct_1, 3), round(st_.distinct_2, 3),
                          round(st_.repetition_3, 3), round(st_.mean_logprob, 3)]
           for name, st_ in stats.items()},
    }), hide_index=True, width="stretch")
    for name, samples in compared["results"].items():
        with right.expander(f"Samples {labels[name]}"):
            for tokens in samples:
                st.text("".join(t.text for t in tokens))

# -- 9. small model vs frontier model -----------------------------------------------------------------------

st.subheader("A 135M model is not a frontier model")
st.markdown(
    f"The default model, SmolLM2-135M-Instruct, has 135 million parameters; frontier models have "
    "hundreds of billions. The sampling rule is the same, but the distributions it works on differ:\n"
    "- **Less certain.** Its probability is spread thin: on open prompts the top token often gets a few "
    "percent and a long tail of the vocabulary holds much of the rest. That tail is why temperatures "
    "of 1.5 and above turn its text into word salad within a few tokens; a large model concentrates "
    "more mass on sensible tokens, although it too loses coherence at high temperature. Top-p and "
    "min-p exist to cut that tail.\n"
    "- **More repetition.** Small models tend to fall into loops (the same phrase again and again), "
    "most of all at low temperature and in long outputs; the repetition column under *Compare* "
    "measures it and the repetition penalty pushes against it. Frontier models loop less, and chat "
    "products usually sample at temperatures around 0.7-1 with top-p.\n"
    "- **Fewer facts.** The most probable token is the model's best guess, not a fact it looked up: "
    "try *Most likely is not most correct*. A larger model's distribution is sharper on facts, but "
    "greedy decoding still only takes the most probable path.\n"
    "- **Same machinery.** Everything on this page (logits, temperature, top-k/top-p/min-p, the "
    "repetition penalty, seeds) works the same way in large models; only the numbers change."
)
