"""How a chat model is made: pre-training, supervised fine-tuning, preference tuning (DPO),
run live on a tiny model of SmolLM2's family, beside SmolLM2-135M-Instruct at scale.

The logic lives in playground/chatmodel/ (corpus, tokenizer, model, the three stages, the
live runner, the shipped checkpoints, the scale table, charts); this page reads the
controls, starts and stops a session's own runs, and places the results."""

from __future__ import annotations

import math

import streamlit as st

from playground.chatmodel import (
    charts,
    corpus,
    dpo,
    evaluate,
    live,
    pretrain,
    scale,
    sft,
    shipped,
)
from playground.config import get_settings
from playground.models.llm import GenerationSettings
from playground.threads import one_thread
from playground.ui.common import friendly_errors, kept, page_intro
from playground.ui.entry import run_through_navigation
from playground.ui.limits import allow_heavy
from playground.ui.models import get_llm, model_key_of, model_queue_notice
from playground.ui.teacher import control, presets

run_through_navigation()  # a deep link on a fresh server still runs inside Home.py's navigation
settings = get_settings()
PLOT = {"displayModeBar": False}
FRAME_S = 1.0  # while a run trains, its panel redraws this often
MAX_ASK_CHARS = 300  # the tiny model reads 256 tokens; its questions are short
STAGE_NAMES = {"pretrain": "pre-training", "sft": "fine-tuning", "dpo": "DPO"}

page_intro(
    "How a chat model is made",
    "A chat model is made in stages. **Pre-training** on raw text teaches a model to continue text. "
    "**Supervised fine-tuning** on instruction / answer pairs teaches it to answer (and to stop). "
    "**Preference tuning** (RLHF, or DPO today) teaches it which of two answers people prefer. Here all three "
    "run on a tiny model of the same family as SmolLM2-135M-Instruct (the app's language model), small enough "
    "to train on this machine's CPU in minutes, with its own tokenizer and its own data. The shipped checkpoints "
    "answer at once; every stage can be re-run live, and the last section sets each stage beside SmolLM2's.",
    [
        ("Under *1. Pre-training*, read the samples table from top to bottom: at step 0 the model writes random "
         "pieces of words, by step 50 it writes words, by step 100 it writes whole sentences of the stories. "
         "Press **Train** to watch the same happen live (about two minutes)."),
        ("Under *2. Fine-tuning*, compare the two answer columns: the pre-trained model never closes a chat "
         "answer (it continues the text), the fine-tuned one answers in the chat format and stops."),
        ("Under *3. Preference tuning*, set **β** to 1.0 and press **Train**: the KL to the reference stays far "
         "lower than the shipped run's at β = 0.3, and the margin grows more slowly; β holds the model near "
         "where it started."),
    ],
)

DEFAULTS = {
    "cm_pt_steps": pretrain.PretrainConfig().steps, "cm_pt_lr": pretrain.PretrainConfig().lr, "cm_pt_seed": 0,
    "cm_sft_steps": sft.SFTConfig().steps, "cm_sft_lr": sft.SFTConfig().lr, "cm_sft_from": "shipped",
    "cm_dpo_steps": dpo.DPOSettings().steps, "cm_dpo_beta": dpo.DPOSettings().beta,
    "cm_dpo_lr": dpo.DPOSettings().lr, "cm_dpo_from": "shipped", "cm_pair": 0,
    "cm_ask": "What does a cow eat?", "cm_example": 0,
}
presets({
    "Watch pre-training": {"cm_pt_steps": DEFAULTS["cm_pt_steps"], "cm_pt_lr": DEFAULTS["cm_pt_lr"], "cm_pt_seed": 0},
    "Before and after fine-tuning": {"cm_ask": "Where does a horse live?", "cm_example": 0},
    "β holds the model near the reference": {"cm_dpo_beta": 1.0, "cm_dpo_steps": DEFAULTS["cm_dpo_steps"]},
})


@st.cache_resource(show_spinner=False)
def shipped_models() -> shipped.Shipped:
    """The shipped tokenizer, checkpoints and report, once per process, read-only."""
    return shipped.load()


@st.cache_data(show_spinner=False, max_entries=256)
def shipped_answers(question: str) -> tuple[tuple[str, str, bool], ...]:
    """(stage, text, ended) of the three shipped checkpoints' greedy answers: the same for
    every session, so computed once per question (each rerun computed them again: 0.2 s)."""
    models = shipped_models()
    tokenizer = models.tokenizer()  # its own: tokenizers are not shared between threads
    out = []
    with one_thread():
        for stage in shipped.STAGES:
            a = sft.answer(models.models[stage], tokenizer, question)
            out.append((stage, a.text, a.ended))
    return tuple(out)


@st.cache_data(show_spinner=False, max_entries=64)
def smol_answer(_lm, model_key: str, question: str) -> str:
    """SmolLM2's greedy answer, once per model and question (48 tokens take seconds)."""
    return _lm.generate_text(_lm.encode(question), GenerationSettings(max_new_tokens=48, temperature=0))


@st.cache_data(show_spinner="Measuring this machine's training speed", ttl=3600)
def machine_flops() -> float:
    """This machine's training FLOP/s for the tiny model, measured once an hour per server
    (on a throw-away copy), not once per visitor."""
    models = shipped_models()
    with one_thread():
        return pretrain.measure_flops(shipped.fresh(models, 0), models.tokenizer())


@st.cache_data(show_spinner=False)
def tiny_stage_tokens() -> dict[str, int]:
    """Tokens each shipped stage trained on (the same for every session)."""
    models = shipped_models()
    return evaluate.stage_tokens(models.tokenizer(), models.report)


ship: shipped.Shipped | None = None
with friendly_errors("loading the tiny chat model"):
    ship = shipped_models()
if ship is None:
    st.stop()
report = ship.report
ss = st.session_state
if "_cm_tok" not in ss:
    ss["_cm_tok"] = ship.tokenizer()  # this session's own tokenizer
tok = ss["_cm_tok"]
results: dict = ss.setdefault("cm_results", {})  # stage -> this session's finished run
slots = live.configured_slots(settings.chatmodel_live_runs)
LIMITS = {"pretrain": settings.chatmodel_max_pretrain_steps, "sft": settings.chatmodel_max_tune_steps,
          "dpo": settings.chatmodel_max_tune_steps}
st.caption(f"Built by `{report['command']}` on {report['date']} ({report['machine']}); "
           f"tiny model: {report['parameters']:,} weights, {report['vocab']} tokens. Shipped figures below say so; "
           "live runs are marked *live*.")


# -- live runs: start, watch, finish -------------------------------------------------------------


def current_run() -> live.LiveRun | None:
    return ss.get("cm_live")


def _finish(run: live.LiveRun) -> None:
    """A run's thread ended: keep what it trained (also when stopped midway) as this
    session's result of the stage, and free the live slot."""
    ss.pop("cm_live", None)
    error = None if run.error is None else f"{type(run.error).__name__}: {run.error}"
    results[run.stage] = {"model": run.run.model, "history": run.run.history.to_dict(), "steps": run.run.step_count,
                          "total": run.run.total, "stopped": run.stopped or error is not None, "error": error,
                          "settings": getattr(run, "settings_text", ""), "figures": getattr(run.run, "figures", {})}


def start(stage: str, make) -> bool:
    """Start a live run of ``stage`` unless one is going (then say so); ``make()`` returns
    (run, job, a description of its settings). True when a run started."""
    going = current_run()
    if going is not None and going.running:
        done, total, _ = going.progress()
        st.warning(f"Your {STAGE_NAMES[going.stage]} run is still going (step {done} of {total}). Pause or stop "
                   "it first (its buttons are in its section); everything it trained so far stays.",
                   icon=":material/hourglass_top:")
        return False
    if going is not None:
        _finish(going)
    if not allow_heavy(f"train ({STAGE_NAMES[stage]})"):
        return False
    if not slots.take():
        st.warning(f"{slots.limit} training runs are going on this server already (the limit, "
                   "PLAYGROUND_CHATMODEL_LIVE_RUNS). Try again in a minute; the shipped results stay on the page.",
                   icon=":material/hourglass_top:")
        return False
    try:
        with st.spinner("Preparing the run"), one_thread():
            run, job, text = make()
        ss["cm_live"] = live.LiveRun(stage, run, job, slots=slots)
        ss["cm_live"].settings_text = text
        results.pop(stage, None)
    except BaseException:
        slots.give()
        raise
    return True


def controls_row(stage: str, label: str, make) -> None:
    """Train / Pause or Resume / Stop for one stage."""
    run = current_run()
    mine = run is not None and run.stage == stage and run.running
    c = st.columns([3, 1, 1, 2])
    if c[0].button(label, key=f"cm_{stage}_train", icon=":material/play_arrow:", type="primary",
                   disabled=mine, width="stretch") and start(stage, make):
        st.rerun()
    if mine and run.paused:
        if c[1].button("Resume", key=f"cm_{stage}_resume", icon=":material/play_arrow:", width="stretch"):
            run.resume()
            st.rerun()
    elif c[1].button("Pause", key=f"cm_{stage}_pause", icon=":material/pause:", disabled=not mine, width="stretch"):
        run.pause()
        st.rerun()
    if c[2].button("Stop", key=f"cm_{stage}_stop", icon=":material/stop:", disabled=not mine, width="stretch",
                   help="Ends the run; what it trained so far is kept and measured."):
        run.stop()
        _finish(run)
        st.rerun()


def live_status(stage: str) -> None:
    """The progress of this stage's live run, redrawn every FRAME_S while it trains."""
    run = current_run()
    if run is None or run.stage != stage:
        return
    run.seen()
    if not run.running:
        _finish(run)
        st.rerun(scope="app")
    done, total, left = run.progress()
    text = f"{STAGE_NAMES[stage]} (live): step {done} of {total}"
    if run.paused:
        text += " · paused"
    elif done >= total:
        text += " · measuring the result"
    elif left is not None:
        text += f" · about {left:.0f} s left"
    st.progress(min(done / max(total, 1), 1.0), text=text)


def live_or_result(stage: str) -> dict | None:
    """This session's history of the stage: the run going now, else its last finished one."""
    run = current_run()
    if run is not None and run.stage == stage:
        return run.run.history.to_dict()
    if stage in results:
        return results[stage]["history"]
    return None


def result_note(stage: str) -> None:
    r = results.get(stage)
    if r is None:
        return
    if r.get("error"):
        st.warning(f"Your live run ended early with an error ({r['error']}); its curves so far are kept. "
                   "Change a setting and train again.", icon=":material/warning:")
    how = f"stopped at step {r['steps']} of {r['total']}" if r["stopped"] else "finished"
    st.caption(f"Your live run ({r['settings']}): {how}. It trained a copy of its own; the shipped checkpoints "
               "are unchanged. Where its line hides the shipped one, the two are the same curve: the same "
               "settings and seed give the same run.")


def watched(stage: str, draw) -> None:
    """Draw ``draw()`` in a fragment that reruns every FRAME_S while this stage trains."""
    run = current_run()
    playing = run is not None and run.stage == stage and run.running

    def body():
        with friendly_errors(f"the {STAGE_NAMES[stage]} panel"):
            live_status(stage)
            draw()

    st.fragment(body, run_every=FRAME_S if playing else None)()


# -- 1. pre-training -------------------------------------------------------------------------------

st.header("1. Pre-training: continue the text")
pre = report["pretrain"]
left, right = st.columns([3, 2], gap="medium")
with left:
    st.markdown(
        f"The corpus: {len(corpus.pretraining_stories()):,} short stories in simple sentences, "
        f"{pre['train_tokens']:,} tokens to train on and 5 % of the stories held out. They are generated by "
        "`playground/chatmodel/corpus.py` from word lists and templates written for this project (same licence as "
        "the repository), so the page needs no download. The model sees nothing but this text, one token at a "
        "time, and learns to predict the next token.")
    with st.expander("Three stories of the corpus"):
        for s in corpus.pretraining_stories()[:3]:
            st.text(s)
with right:
    example = corpus.pretraining_stories()[0][:60]
    pieces = [tok.decode([i]) for i in tok(example, add_special_tokens=False)["input_ids"]]
    st.markdown(f"**Its tokenizer**: byte-pair encoding trained on the same text with the `tokenizers` library "
                f"({len(tok)} tokens; SmolLM2's has 49,152). The first 60 characters of a story:")
    st.code(" | ".join(pieces), language=None, wrap_lines=True)
c = st.columns(4)
c[0].metric("Held-out perplexity", f"{pre['perplexity']:.2f}", f"loss {pre['held_out_loss']:.3f}", delta_color="off", delta_arrow="off",
            help="exp(mean cross-entropy) on held-out stories: how many tokens the model hesitates between, on average.")
c[1].metric("Bigram baseline", f"{pre['bigram_perplexity']:.2f}", f"loss {pre['bigram_loss']:.3f}",
            delta_color="off", delta_arrow="off", help="Next token from the previous one only, counted on the same training tokens.")
c[2].metric("Unigram baseline", f"{pre['unigram_perplexity']:.1f}", "token frequencies only", delta_color="off", delta_arrow="off")
c[3].metric("Tokens trained on", f"{pre['tokens_seen']:,}", f"{pre['config']['steps']} steps, "
            f"{pre['history']['seconds']:.0f} s", delta_color="off", delta_arrow="off")

c = st.columns(3)
pt_limit = LIMITS["pretrain"]
pt_steps = int(kept(c[0].select_slider, "Steps", "cm_pt_steps", DEFAULTS["cm_pt_steps"],
                    options=[s for s in (50, 100, 200, 400, 600, 1000, 1500, 2000) if s <= pt_limit] or [pt_limit],
                    help=f"At most {pt_limit} on this server (PLAYGROUND_CHATMODEL_MAX_PRETRAIN_STEPS)."))
pt_lr = float(kept(c[1].select_slider, "Learning rate", "cm_pt_lr", DEFAULTS["cm_pt_lr"],
                   options=[3e-4, 1e-3, 3e-3, 1e-2, 3e-2], format_func=lambda v: f"{v:g}"))
pt_seed = int(control(c[2].number_input, "Seed", key="cm_pt_seed", default=DEFAULTS["cm_pt_seed"], min_value=0,
                      max_value=9999, step=1, help="The initial weights and the order of the batches."))


def make_pretrain():
    config = pretrain.PretrainConfig(steps=pt_steps, lr=pt_lr, seed=pt_seed)
    model = shipped.fresh(ship, pt_seed)
    run = pretrain.PretrainRun(model, ship.tokenizer(), config)
    return run, live.step_loop(run), f"{pt_steps} steps, learning rate {pt_lr:g}, seed {pt_seed}"


per_step = pre["history"]["seconds"] / max(pre["config"]["steps"], 1)
controls_row("pretrain", f"Train from random weights (about {per_step * pt_steps:.0f} s)", make_pretrain)


def draw_pretrain():
    mine = live_or_result("pretrain")
    curves = {"shipped": pre["history"]} | ({"live": mine} if mine else {})
    st.plotly_chart(charts.loss_figure(curves, {"bigram": pre["bigram_loss"], "unigram": pre["unigram_loss"]},
                                       title="Next-token loss: training batches and held-out stories"),
                    width="stretch", config=PLOT, key="cm_pt_loss")
    samples = mine["samples"] if mine else pre["history"]["samples"]
    where = "your live run" if mine else f"the shipped run (`{report['command']}`)"
    rows = [{"step": int(step), **{p: "… " + text for p, text in zip(pretrain.PROMPTS, texts)}}
            for step, texts in sorted(samples.items(), key=lambda kv: int(kv[0]))]
    st.markdown(f"**Samples from the same prompts** ({where}; temperature 0.8, the same seed at every step)")
    st.dataframe(rows, hide_index=True, width="stretch")
    if mine and mine["eval_loss"]:
        last = mine["eval_loss"][-1]
        st.caption(f"Live held-out loss {last:.3f} (perplexity {math.exp(last):.2f}) against the bigram's "
                   f"{pre['bigram_loss']:.3f}: {'better' if last < pre['bigram_loss'] else 'not yet better'}.")
    result_note("pretrain")


watched("pretrain", draw_pretrain)
st.markdown(
    f"Reading it: the loss starts near ln(vocabulary) = ln({len(tok)}) ≈ {math.log(len(tok)):.1f} (a uniform guess), "
    "drops past the unigram "
    "line once the model knows which tokens are common, past the bigram line once it uses more than the previous "
    "token, and then slowly on. The held-out line stays on the training line: the model has not memorised the "
    "stories. SmolLM2 went through the same stage on 2 trillion tokens of web pages, books and code.")

# -- 2. supervised fine-tuning ----------------------------------------------------------------------

st.header("2. Supervised fine-tuning: answer, then stop")
sf = report["sft"]
train_ex, held_ex = corpus.instruction_examples()
st.markdown(
    f"{len(corpus.sft_pairs())} instruction / answer pairs ({len(train_ex)} questions about the stories' world, "
    f"each three times), written by `corpus.py` in SmolLM2's chat template. About a quarter of the answers are "
    "rude, as answers gathered from the web are: fine-tuning copies what it is shown. The loss is the same "
    "next-token loss, counted **on the answer only**:")
examples = list(corpus.sft_pairs()[:6])
ex_i = int(control(st.selectbox, "Example", key="cm_example", default=DEFAULTS["cm_example"],
                   options=list(range(len(examples))), format_func=lambda i: examples[i][0]))
st.plotly_chart(charts.token_strip(sft.token_mask_view(tok, *examples[ex_i])), width="stretch", config=PLOT,
                key="cm_mask")
st.caption("Grey tokens (the user's turn and the assistant's header) are read but not scored: their labels are "
           "−100, which the loss skips. Green: the answer and its closing <|im_end|>, the token that ends a turn.")

c = st.columns(3)
c[0].metric("Answers in the chat format, pre-trained", f"{sf['format_before']:.0%}",
            f"{len(held_ex)} held-out instructions", delta_color="off", delta_arrow="off")
c[1].metric("… after fine-tuning", f"{sf['format_after']:.0%}", "ends with <|im_end|>", delta_color="off", delta_arrow="off")
c[2].metric("Right answers after fine-tuning", f"{sf['right_after']:.0%}", f"before: {sf['right_before']:.0%}",
            delta_color="off", delta_arrow="off", help="Word for word the expected answer (stories: about the right person).")
rows = [{"instruction": b["instruction"], "pre-trained model": b["text"] + ("" if b["ended"] else " …"),
         "fine-tuned model": a["text"] + (" ✓" if a["ended"] else " …")}
        for b, a in zip(sf["answers_before"], sf["answers_after"])]
st.dataframe(rows, hide_index=True, width="stretch", height=300)
st.caption("Held-out instructions (no training question has the same template and subject), greedy answers of "
           "the shipped checkpoints, at most 48 tokens; ✓: the model ended its turn with <|im_end|>, …: it did not. The "
           "questions are new to the model; fine-tuning teaches the format well and the facts badly: a model of "
           "1.7 M weights mostly repeats answers it saw.")

c = st.columns(3)
tune_limit = LIMITS["sft"]
sft_steps = int(kept(c[0].select_slider, "Steps", "cm_sft_steps", DEFAULTS["cm_sft_steps"],
                     options=[s for s in (20, 60, 120, 200, 300, 600) if s <= tune_limit] or [tune_limit]))
sft_lr = float(kept(c[1].select_slider, "Learning rate", "cm_sft_lr", DEFAULTS["cm_sft_lr"],
                    options=[1e-4, 3e-4, 1e-3, 3e-3], format_func=lambda v: f"{v:g}"))
sft_from_options = ["shipped"] + (["mine"] if "pretrain" in results else [])
if ss.get("cm_sft_from") not in sft_from_options:
    ss["cm_sft_from"] = "shipped"
sft_from = control(c[2].radio, "Start from", key="cm_sft_from", default="shipped", options=sft_from_options,
                   format_func={"shipped": "shipped pre-trained", "mine": "my pre-trained run"}.get, horizontal=True)


def make_sft():
    source = results["pretrain"]["model"] if sft_from == "mine" else ship.models["pretrained"]
    with ship.lock:
        before = evaluate.frozen(source)
    model = evaluate.frozen(before)
    for p in model.parameters():
        p.requires_grad_(True)
    model.train()
    run = sft.SFTRun(model, ship.tokenizer(), sft.SFTConfig(steps=sft_steps, lr=sft_lr))
    loop = live.step_loop(run)

    def job(tick):
        loop(tick)
        run.figures = evaluate.sft_figures(before, run.model, run.tokenizer)  # measured in the thread

    return run, job, f"{sft_steps} steps, learning rate {sft_lr:g}, from the {sft_from} pre-trained model"


sft_per_step = sf["history"]["seconds"] / max(sf["config"]["steps"], 1)
controls_row("sft", f"Fine-tune (about {sft_per_step * sft_steps + 10:.0f} s)", make_sft)


def draw_sft():
    mine = live_or_result("sft")
    curves = {"shipped": sf["history"]} | ({"live": mine} if mine else {})
    st.plotly_chart(charts.loss_figure(curves, title="Answer-only loss: training batches and held-out pairs",
                                       held_label="held-out answers"), width="stretch", config=PLOT,
                    key="cm_sft_loss")
    figures = results.get("sft", {}).get("figures")
    if figures:
        st.markdown(f"**Your run**: answers in the chat format {figures['format_before']:.0%} before → "
                    f"**{figures['format_after']:.0%}** after; right answers {figures['right_after']:.0%}.")
    result_note("sft")


watched("sft", draw_sft)
st.caption("The held-out loss falls, then rises while the training loss keeps falling: past that point the model "
           "memorises the training answers. The shipped run stops at 120 steps.")

# -- 3. preference tuning ------------------------------------------------------------------------------

st.header("3. Preference tuning (DPO): the answer people prefer")
dp = report["dpo"]
train_pairs, held_pairs = corpus.preference_pairs()
st.markdown(
    f"{len(train_pairs)} preference pairs: an instruction, a **chosen** answer (polite and right) and a "
    "**rejected** one (rude, or wrong). DPO (direct preference optimisation) raises the chosen answer's "
    "probability and lowers the rejected one's, each measured *relative to a frozen copy of the fine-tuned "
    "model* (the reference), so the model changes as little as it needs to. Trained with `trl`'s DPOTrainer.")
c = st.columns(4)
c[0].metric("Held-out margin, fine-tuned", f"{dp['margin_before']:.1f}", "log π(chosen) − log π(rejected)",
            delta_color="off", delta_arrow="off")
c[1].metric("… after DPO", f"{dp['margin_after']:.1f}", f"{len(held_pairs)} held-out pairs", delta_color="off", delta_arrow="off")
c[2].metric("Rude answers, fine-tuned → DPO", f"{dp['rude_before']:.0%} → {dp['rude_after']:.0%}",
            f"{evaluate.SAMPLED_ANSWERS * len(held_ex)} samples at T = 1", delta_color="off", delta_arrow="off",
            help=f"{evaluate.SAMPLED_ANSWERS} seeded samples per held-out instruction at temperature 1, before and "
                 "after DPO.")
c[3].metric("KL to the reference after DPO", f"{dp['kl_after']:.2f}", "nats per answer token", delta_color="off", delta_arrow="off")

st.subheader("The DPO loss by hand, for one pair")
pair_i = int(control(st.selectbox, "Pair", key="cm_pair", default=DEFAULTS["cm_pair"],
                     options=list(range(min(8, len(held_pairs)))),
                     format_func=lambda i: f"{held_pairs[i].prompt} (rejected: {held_pairs[i].why})"))
pair = held_pairs[pair_i]
beta_shown = float(dp["config"]["beta"])
with friendly_errors("the DPO loss by hand"), one_thread():
    hl = dpo.hand_loss(ship.models["dpo"], ship.models["sft"], tok, pair, beta_shown)
    st.markdown(
        f"x = *{pair.prompt}* · chosen y_w = *{pair.chosen}* · rejected y_l = *{pair.rejected}*  \n"
        f"π = the shipped DPO model, π_ref = the shipped fine-tuned model, β = {beta_shown:g}.")
    st.code(
        f"1. log π(y_w|x) = {hl.policy_chosen:9.3f}   log π_ref(y_w|x) = {hl.ref_chosen:9.3f}\n"
        f"   log π(y_l|x) = {hl.policy_rejected:9.3f}   log π_ref(y_l|x) = {hl.ref_rejected:9.3f}\n"
        f"2. r_w = β·({hl.policy_chosen:.3f} − {hl.ref_chosen:.3f}) = {hl.reward_chosen:.3f}\n"
        f"   r_l = β·({hl.policy_rejected:.3f} − {hl.ref_rejected:.3f}) = {hl.reward_rejected:.3f}\n"
        f"3. L = −log σ(r_w − r_l) = −log σ({hl.margin:.3f}) = {hl.loss:.4f}",
        language=None)
    drift = ""
    if hl.policy_chosen < hl.ref_chosen and hl.policy_rejected < hl.ref_rejected:
        drift = (" Here both answers became less likely than under the reference, the rejected one by more: DPO "
                 "only asks the gap to grow, and often lowers the chosen answer too (a known trait of DPO).")
    st.caption("Each log π is the sum of the answer's token log-probabilities (its closing <|im_end|> included), "
               "the prompt not scored. tests/test_chatmodel.py checks these steps against trl's DPOTrainer on "
               "the same batch (equal within 1e-5)." + drift)

c = st.columns(4)
dpo_steps = int(kept(c[0].select_slider, "Steps", "cm_dpo_steps", DEFAULTS["cm_dpo_steps"],
                     options=[s for s in (20, 60, 120, 240, 400, 600) if s <= LIMITS["dpo"]] or [LIMITS["dpo"]]))
dpo_beta = float(kept(c[1].select_slider, "β", "cm_dpo_beta", DEFAULTS["cm_dpo_beta"],
                      options=[0.01, 0.03, 0.1, 0.3, 1.0], format_func=lambda v: f"{v:g}",
                      help="How strongly the model is held near the reference: small β lets it drift far."))
dpo_lr = float(kept(c[2].select_slider, "Learning rate", "cm_dpo_lr", DEFAULTS["cm_dpo_lr"],
                    options=[1e-5, 3e-5, 1e-4, 3e-4], format_func=lambda v: f"{v:g}"))
dpo_from_options = ["shipped"] + (["mine"] if "sft" in results else [])
if ss.get("cm_dpo_from") not in dpo_from_options:
    ss["cm_dpo_from"] = "shipped"
dpo_from = control(c[3].radio, "Start from", key="cm_dpo_from", default="shipped", options=dpo_from_options,
                   format_func={"shipped": "shipped fine-tuned", "mine": "my fine-tuned run"}.get)


def make_dpo():
    source = results["sft"]["model"] if dpo_from == "mine" else ship.models["sft"]
    with ship.lock:
        ref = evaluate.frozen(source)
    model = evaluate.frozen(ref)
    for p in model.parameters():
        p.requires_grad_(True)
    model.train()
    run = dpo.DPORun(model, ref, ship.tokenizer(), dpo.DPOSettings(steps=dpo_steps, beta=dpo_beta, lr=dpo_lr))

    def job(tick):
        run.train(tick)

    return run, job, f"{dpo_steps} steps, β = {dpo_beta:g}, learning rate {dpo_lr:g}, from the {dpo_from} model"


dpo_per_step = dp["history"]["seconds"] / max(dp["config"]["steps"], 1)
controls_row("dpo", f"Train with DPO (about {dpo_per_step * dpo_steps + 5:.0f} s)", make_dpo)


def draw_dpo():
    mine = live_or_result("dpo")
    curves = {f"shipped (β = {dp['config']['beta']:g})": dp["history"]} | ({"live": mine} if mine else {})
    st.plotly_chart(charts.dpo_figure(curves), width="stretch", config=PLOT, key="cm_dpo_curves")
    if mine and mine["eval_margin"]:
        st.caption(f"Your run: held-out margin {mine['eval_margin'][0]:.1f} → {mine['eval_margin'][-1]:.1f}, "
                   f"KL to the reference {mine['eval_kl'][-1]:.2f} nats per token.")
    result_note("dpo")


watched("dpo", draw_dpo)
rows = [{"instruction": b["instruction"], "fine-tuned": b["text"], "after DPO": a["text"]}
        for b, a in zip(dp["answers_before"], dp["answers_after"])]
with st.expander("Greedy answers to the held-out instructions, before and after DPO (shipped)"):
    st.dataframe(rows, hide_index=True, width="stretch")
st.markdown(
    "**RLHF, the older way**: instead of one loss on the pairs, RLHF first trains a separate *reward model* to "
    "score answers like the people did, then improves the chat model by reinforcement learning (PPO) to get "
    "more reward, with a KL penalty to the reference. DPO reaches the same objective without the reward model "
    "or the sampling loop.")
st.plotly_chart(charts.rlhf_diagram(), width="stretch", config=PLOT, key="cm_rlhf")

# -- ask the three models ---------------------------------------------------------------------------------

st.header("Ask the three stages")
question = kept(st.text_input, "Instruction", "cm_ask", DEFAULTS["cm_ask"],
                help=f"At most {MAX_ASK_CHARS} characters: the tiny model reads 256 tokens.")
with_smol = bool(control(st.toggle, "Ask SmolLM2-135M-Instruct too", key="cm_smol", default=False,
                         help="The app's language model, made by the same three stages at scale (it loads in a "
                              "few seconds the first time); its architecture is then compared in section 4."))
lm = None
if with_smol:
    with friendly_errors("loading the language model"):
        lm = get_llm()
if not question.strip():
    st.info("Type an instruction, for example *What does a duck say?* or *Tell me a story about Mia.*",
            icon=":material/edit:")
elif len(question) > MAX_ASK_CHARS:
    st.warning(f"That is {len(question):,} characters; the tiny model reads at most {MAX_ASK_CHARS}. Shorten the "
               "instruction (your text is kept in the box).", icon=":material/warning:")
else:
    with friendly_errors("answering"), st.spinner("The three checkpoints answer"):
        cols = st.columns(3)
        for col, (stage, text, ended) in zip(cols, shipped_answers(question.strip())):
            col.markdown(f"**{ {'pretrained': 'pre-trained', 'sft': 'fine-tuned', 'dpo': 'after DPO'}[stage]}**")
            col.text(text + (" ✓" if ended else " …"))
        st.caption("Greedy answers of the shipped checkpoints, at most 48 tokens (✓: it ended its turn). The tiny "
                   "model only knows its stories' world: ask about other things and it answers with words from the "
                   "stories.")
    if lm is not None:
        with friendly_errors("answering with the language model"), model_queue_notice(), \
                st.spinner(f"{lm.info.name} answers"):
            text = smol_answer(lm, model_key_of(lm), question.strip())
            st.markdown(f"**{lm.info.name}** (greedy, at most 48 tokens, {lm.precision})")
            st.text(text)

# -- 4. scale ----------------------------------------------------------------------------------------------

st.header("4. The same stages at scale: SmolLM2-135M")
flops = 0.0
with friendly_errors("measuring this machine"):
    flops = machine_flops()
tiny_tokens = tiny_stage_tokens()
N = report["parameters"]
rows = []
for stage, smol_data, smol_tokens in [
        ("pre-training", "2 trillion tokens of web, books, code", scale.SMOL_PRETRAIN_TOKENS),
        ("fine-tuning", "smol-smoltalk: 100 K-1 M conversations", None),
        ("preference tuning", f"UltraFeedback: about {scale.SMOL_DPO_PAIRS:,} pairs × {scale.SMOL_DPO_EPOCHS} epochs",
         None)]:
    key = {"pre-training": "pretrain", "fine-tuning": "sft", "preference tuning": "dpo"}[stage]
    t_c = 6.0 * N * tiny_tokens[key]
    s_c = None if smol_tokens is None else 6.0 * scale.SMOL_PARAMS * smol_tokens
    rows.append({"stage": stage, "tiny: tokens": f"{tiny_tokens[key]:,}", "tiny: compute": scale.human_number(t_c),
                 "tiny: time here": scale.human_time(scale.seconds_at(t_c, flops)),
                 "SmolLM2: data": smol_data, "SmolLM2: compute": scale.human_number(s_c),
                 "SmolLM2: time here": scale.human_time(scale.seconds_at(s_c, flops))})
st.dataframe(rows, hide_index=True, width="stretch")
if lm is not None:
    c = lm.model.config
    tiny_c = ship.config
    st.dataframe([{"": name, "tiny model": str(a), lm.info.name: str(b)} for name, a, b in [
        ("architecture", type(ship.models["dpo"]).__name__, type(lm.model).__name__),
        ("layers", tiny_c.num_hidden_layers, c.num_hidden_layers), ("hidden size", tiny_c.hidden_size, c.hidden_size),
        ("query heads / key-value heads", f"{tiny_c.num_attention_heads} / {tiny_c.num_key_value_heads}",
         f"{c.num_attention_heads} / {c.num_key_value_heads}"),
        ("vocabulary", tiny_c.vocab_size, c.vocab_size),
        ("weights (counted)", f"{N:,}", f"{sum(p.numel() for p in lm.model.parameters()):,}")]],
        hide_index=True, width="stretch")
else:
    st.caption("Switch on *Ask SmolLM2-135M-Instruct too* (above) to set the two architectures side by side.")
st.plotly_chart(charts.scale_figure([(r["stage"], 6.0 * N * tiny_tokens[k],
                                      None if k != "pretrain" else 6.0 * scale.SMOL_PARAMS * scale.SMOL_PRETRAIN_TOKENS)
                                     for r, k in zip(rows, ("pretrain", "sft", "dpo"))]),
                width="stretch", config=PLOT, key="cm_scale")
st.caption(
    f"Compute ≈ 6 × parameters × tokens (2 FLOPs per weight per token forward, 4 backward); the tiny model has "
    f"{N:,} weights, SmolLM2 135 M (tokens of the tiny model counted on its data: "
    "a DPO step reads each pair's chosen and rejected answer; its frozen reference adds another third, not "
    f"counted). Time here: at **{flops / 1e9:,.1f} GFLOP/s**, the tiny model's training speed measured just now "
    "on one CPU thread of this machine. SmolLM2's figures are public, not measured here: "
    + "; ".join(scale.SOURCES.values()) + ". Its fine-tuning and DPO token counts are not published, so their "
    "compute is left out.")
st.markdown(
    "**A tiny model is not SmolLM2.** It knows twelve animals and twelve names, answers mostly by copying "
    "answers it saw, and makes up stories from templates. SmolLM2 learned its language and knowledge from "
    "2 trillion tokens, then needed far less data to learn the chat format and preferences, the same as here: the order of the "
    "stages and what each changes are the same; the sizes are not.")
