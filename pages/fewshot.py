"""Few-shot vs fine-tune: seven ways to teach a model a classification task, measured on
the same task, the same test set and this machine.

The logic lives in playground/fewshot/ (data, prompting, features, SetFit, fine-tuning,
the facts experiment, the precomputed results, tables and charts); this page reads the
controls, places the results and runs a method when a button asks for it."""

from __future__ import annotations

import time
import uuid

import streamlit as st

from playground.config import get_settings
from playground.fewshot import charts, lab, report, shipped
from playground.fewshot import data as fsdata
from playground.fewshot import facts as fsfacts
from playground.fewshot import finetune as ft
from playground.fewshot import prompting as pr
from playground.fewshot.features import minilm_vectors
from playground.fewshot.methods import METHODS, TRAINED, Models, cached, run_method
from playground.fewshot.queue import configured
from playground.fewshot.report import fmt_params
from playground.ui.common import friendly_errors, kept, page_intro
from playground.ui.entry import run_through_navigation
from playground.ui.limits import allow_heavy
from playground.ui.models import get_embedder, get_llm, model_key_of, model_queue_notice
from playground.ui.teacher import control, presets

run_through_navigation()  # a deep link on a fresh server still runs inside Home.py's navigation
settings = get_settings()
PLOT = {"displayModeBar": False}
SHIPPED, CSV = "shipped", "csv"
LORA_TARGETS = ft.FinetuneConfig().lora_targets  # ("q_proj", "v_proj")

page_intro(
    "Few-shot vs fine-tune",
    "Teach a model to sort customer messages into five intents, seven ways, and measure each on the "
    "same 100 test messages on this machine. **Prompting** leaves the model as it is: the label is "
    "whichever the language model (SmolLM2-135M) finds most likely after the message, with no "
    "examples (zero-shot) or k examples in the prompt (few-shot). **Frozen features** feed a "
    "model's vectors to a logistic regression. **Fine-tuning** changes weights: SetFit trains the "
    "small MiniLM embedder, and the language model can learn a classification head only, LoRA "
    "adapters, or all of its 135 million weights. Below: accuracy against the number of labelled "
    "examples, what each method costs, its loss curves, its mistakes, and what fine-tuning does "
    "*not* do.",
    [
        ("At the defaults (8 labelled examples per class, seed 0), compare the table: **MiniLM "
        "embeddings + LR**, trained in about a second, score above 90 %, ahead of **LoRA** "
        "fine-tuning of the 135M language model, which trains for a minute or more, and ahead of "
        "every prompting method."),
        ("Under *Prompting*, switch **Calibrate** off: zero-shot falls to chance (about 20 %), "
        "because the small model answers *refund* to almost every message. Switch it back on: "
        "51 %. The prompts and the model are the same; only the correction for the model's bias "
        "toward some labels changes."),
        ("Under *Fine-tuning*, choose **LoRA** and drag **Epochs** to **12**: the training loss falls "
        "to nearly 0 (0.001), while the validation loss stays near 0.7 from epoch 5 on, hundreds of "
        "times higher, and validation accuracy stops at about 70 %: after epoch 5 the model "
        "memorises its 40 examples without getting better on new messages. Drag back to 5 to see "
        "where it stopped improving."),
    ],
)

DEFAULTS = {
    "fs_source": SHIPPED, "fs_shots": 8, "fs_seed": 0,
    "fs_k": 10, "fs_orders": 3, "fs_calibrate": True, "fs_view": "random", "fs_message": 0,
    "fs_ft_method": "lora", "fs_epochs_head": ft.DEFAULT_EPOCHS["head"], "fs_epochs_lora": ft.DEFAULT_EPOCHS["lora"],
    "fs_epochs_full": ft.DEFAULT_EPOCHS["full"], "fs_lr_head": ft.DEFAULT_LR["head"],
    "fs_lr_lora": ft.DEFAULT_LR["lora"], "fs_lr_full": ft.DEFAULT_LR["full"], "fs_lora_r": 8, "fs_lora_alpha": 16,
    "fs_setfit_iterations": 5, "fs_run_method": "lora", "fs_point_method": "lora", "fs_point_seed": 0,
    "fs_wrong_method": "any", "fs_fact_steps": fsfacts.FactsConfig().steps, "fs_facts_ask": "verbatim",
}
for key in ("fs_seed", "fs_k", "fs_orders", "fs_calibrate", "fs_view", "fs_message", "fs_fact_steps", "fs_facts_ask"):
    st.session_state.setdefault(key, DEFAULTS[key])  # controls drawn without kept(): their first value
presets({
    "The comparison at 8 per class": {"fs_source": SHIPPED, "fs_shots": 8, "fs_seed": 0, "fs_calibrate": True},
    "Calibration off": {"fs_source": SHIPPED, "fs_shots": 8, "fs_seed": 0, "fs_calibrate": False},
    "LoRA memorises": {"fs_source": SHIPPED, "fs_shots": 8, "fs_seed": 0, "fs_ft_method": "lora",
                      "fs_epochs_lora": 12},
})
if "_fs_owner" not in st.session_state:
    st.session_state["_fs_owner"] = uuid.uuid4().hex  # this session, for the training queue


def progress_panel():
    """A progress bar with a time estimate and a Stop button, for one run of the page.
    Pressing Stop (or changing any setting) reruns the page; the run's next progress update
    then ends it cleanly (its training slot is given back, its model copy dropped, nothing
    half-done is cached). ``stage(label)`` gives the progress callback of one stage."""
    box = st.container(border=True)
    left, right = box.columns([6, 1])
    bar = left.progress(0.0, text="Starting")
    right.button("Stop", key="fs_stop", icon=":material/stop:", width="stretch")

    def stage(label: str):
        start = time.perf_counter()
        last = [0.0]

        def update(fraction: float, text: str) -> None:
            now = time.perf_counter()
            if now - last[0] < 0.1 and fraction < 1.0:
                return
            last[0] = now
            elapsed = now - start
            left_s = f", about {elapsed / fraction * (1 - fraction):.0f} s left" if fraction > 0.03 else ""
            bar.progress(min(max(fraction, 0.0), 1.0), text=f"{label} · {text} · {elapsed:.0f} s{left_s}")

        update(0.0, "starting")
        return update

    return box, stage


# -- 1. the task ------------------------------------------------------------------------------

st.subheader("1. The task")
task: fsdata.Task | None = None
left, right = st.columns([1, 2], gap="medium")
with left:
    source = kept(st.radio, "Data", "fs_source", DEFAULTS["fs_source"], options=[SHIPPED, CSV], horizontal=True,
                  format_func={SHIPPED: "customer messages (shipped)", CSV: "your CSV"}.get)
    if source == SHIPPED:
        task = fsdata.load_shipped()
    else:
        upload = st.file_uploader(
            "CSV with a text column and a label column", key="fs_csv", max_upload_size=settings.max_upload_mb,
            help=f"At most {settings.max_upload_mb} MB. Larger files are sampled down to "
                 f"{fsdata.MAX_ROWS_USED} rows, 2 to {fsdata.MAX_LABELS} labels.")
        if upload is None:
            st.info("Upload a CSV: one row per example, a column with the text and a column with its label.",
                    icon=":material/upload_file:")
        else:
            with friendly_errors("reading the CSV"):
                frame = fsdata.read_table(upload.getvalue(), settings.max_upload_mb, settings.max_csv_rows)
                columns = [str(c) for c in frame.columns]
                guess_text, guess_label = fsdata.guess_columns(frame)
                text_col = kept(st.selectbox, "Text column", "fs_text_col", guess_text, options=columns)
                label_col = kept(st.selectbox, "Label column", "fs_label_col", guess_label, options=columns)
                task = fsdata.task_from_frame(frame, text_col, label_col, name=f"Your CSV ({upload.name})")
if task is None:
    st.stop()

shot_options = lab.shot_options(task)
if st.session_state.get("fs_shots") not in shot_options:
    st.session_state["fs_shots"] = 8 if 8 in shot_options else shot_options[0]
with left:
    per_class = kept(st.select_slider, "Labelled examples per class", "fs_shots", DEFAULTS["fs_shots"],
                     options=shot_options, format_func=lambda s: lab.shots_label(s, task),
                     help="The pool every method learns from: this many training messages of each label.")
    seed = int(control(st.number_input, "Seed", key="fs_seed", default=DEFAULTS["fs_seed"], min_value=0, max_value=9999,
                       step=1, help="Draws the pool, the example orders, the initial weights and the batches."))
with right:
    for note in task.notes:
        st.warning(note, icon=":material/info:")
    counts = task.counts()
    st.caption(f"**{task.name}**: {len(task.texts)} texts, {task.n_labels} labels. Every method learns from "
               f"{per_class} training texts per label ({per_class * task.n_labels} in all), is checked on the "
               f"validation texts while it trains, and is scored once on the test texts.")
    st.dataframe(counts, width="stretch")
    with st.expander("Some training messages"):
        pool = task.pool(per_class, seed)
        st.dataframe({"text": task.text_list(pool[:12]), "label": [task.label_names[task.labels[i]] for i in pool[:12]]},
                     hide_index=True, width="stretch")
    if source == SHIPPED:
        st.caption("Written by hand for this project: 70 messages per intent, split once at random (seed 0) "
                   "into 40 train, 10 validation and 20 test (playground/fewshot/data/README.md).")

# -- the models, the settings, what is known ----------------------------------------------------

lm = embedder = None
with friendly_errors("loading the models"):
    lm = get_llm()
    embedder = get_embedder()
if lm is None or embedder is None:
    st.stop()
models = Models(lm, embedder, model_key_of(lm))


def kept_list(widget, label: str, key: str, default: list, **kwargs) -> list:
    """kept() for a multiselect, whose value is a list (kept() checks a single value
    against the options): the list survives while the widget is not drawn."""
    store = f"_kept_{key}"
    options = list(kwargs.get("options", []))
    if key in st.query_params:  # a list is not written into links; a hand-made one would set a string
        del st.query_params[key]
    if not isinstance(st.session_state.get(key), list):
        saved = st.session_state.get(store, default)
        saved = saved if isinstance(saved, (list, tuple)) else default
        st.session_state[key] = [v for v in saved if v in options]
    chosen = control(widget, label, key=key, default=default, **kwargs)
    chosen = list(chosen) if isinstance(chosen, (list, tuple)) else list(default)
    st.session_state[store] = chosen
    return chosen


def value(key: str, default=None):
    """A control's current value, also while it is not drawn (kept() stores it aside)."""
    fallback = DEFAULTS.get(key, default)
    return st.session_state.get(key, st.session_state.get(f"_kept_{key}", fallback))


# the controls of sections 4 and 5 set every method's settings; they are read here, before
# they are drawn, because sections 2 and 3 already show results for them
values = {key.removeprefix("fs_"): value(key) for key in DEFAULTS}
values["lora_targets"] = tuple(value("fs_lora_targets", LORA_TARGETS))
run_settings = lab.settings_from(values)
pre = shipped.load() if source == SHIPPED else None
calibrate = bool(st.session_state.get("fs_calibrate", True))
queue = configured(settings)
owner = st.session_state["_fs_owner"]


def run_live(methods: list[str], point: tuple[int, int] | None = None, what: str = "run") -> bool:
    """Run methods live, one after another, with a progress bar each; True when all ran."""
    point_class, point_seed = point or (per_class, seed)
    if not allow_heavy(what):
        return False
    with friendly_errors(f"running {', '.join(METHODS[m].label for m in methods)}"), model_queue_notice():
        box, stage = progress_panel()
        try:
            for i, method in enumerate(methods, 1):
                update = stage(f"{METHODS[method].label} ({i}/{len(methods)})")
                run_method(method, task, point_class, point_seed, run_settings, models, update, owner=owner,
                           queue=queue if method in TRAINED else None)
        finally:
            box.empty()
        return True
    return False


now = lab.current(task, per_class, seed, run_settings, models, pre)
shown = {m: r.calibrated(calibrate) for m, r in now.results.items()}

# -- 2. accuracy against labelled examples -----------------------------------------------------------

st.subheader("2. Accuracy against the number of labelled examples")
pre_points, changed = lab.precomputed_points(task, run_settings, models, pre)
usable = bool(pre_points)
live_points = [p for key, p in st.session_state.get("fs_live_points", [])
               if key == (task.key, models.key) and p.config == repr(run_settings.of(p.method))]
if usable or live_points:
    st.plotly_chart(charts.curve_figure([p.calibrated(calibrate) for p in pre_points], task.n_labels,
                                        task.max_per_class(), live=[p.calibrated(calibrate) for p in live_points]),
                    width="stretch", config=PLOT, key="fs_curve")
if usable:
    st.caption(
        f"{pre.caption()} Each line is the mean over seeds {', '.join(map(str, pre.seeds))} (a seed draws "
        f"the labelled pool, the example order and the initial weights); the bars reach from the worst "
        f"to the best seed. Few-shot prompts hold k = {run_settings.prompt.k} examples: random ones cannot "
        "use a bigger pool, nearest ones pick the most similar of it. Zero-shot needs no examples (dashed). "
        "Stars: points re-run live below."
        + (f" Left out, because their settings differ from the precomputed ones: "
           f"{', '.join(METHODS[m].label for m in changed)}." if changed else ""))
else:
    st.info("The precomputed curves belong to the shipped task with the embedded model. Here, re-run points "
            "live below; each appears as a star.", icon=":material/info:")
with st.expander("Re-run one point live", icon=":material/replay:", expanded=not usable):
    c = st.columns([2, 1, 1, 1])
    point_method = kept(c[0].selectbox, "Method", "fs_point_method", DEFAULTS["fs_point_method"],
                        options=list(METHODS), format_func=lambda m: METHODS[m].label)
    point_shots = kept(c[1].selectbox, "Per class", "fs_point_shots", per_class, options=shot_options,
                       format_func=lambda s: lab.shots_label(s, task))
    point_seed = int(kept(c[2].number_input, "Seed", "fs_point_seed", DEFAULTS["fs_point_seed"], min_value=0,
                          max_value=9999, step=1))
    estimate = lab.estimate_s(point_method, point_shots, task, run_settings, pre)
    c[3].markdown(f"about {estimate:.0f} s" if estimate else "")
    if c[3].button("Re-run", key="fs_point_run", icon=":material/play_arrow:", width="stretch") \
            and run_live([point_method], (point_shots, point_seed), "re-run a point"):
        result = run_method(point_method, task, point_shots, point_seed, run_settings, models)
        kept_points = st.session_state.setdefault("fs_live_points", [])
        kept_points.append(((task.key, models.key), result))
        del kept_points[:-20]
        st.rerun()
    for p in live_points[-3:][::-1]:
        before = pre.point(p.method, p.per_class, p.seed, p.config) if usable else None
        line = (f"Live: **{METHODS[p.method].label}**, {lab.shots_label(p.per_class, task)} per class, seed "
                f"{p.seed}: **{p.calibrated(calibrate).accuracy:.0%}**")
        if before is not None:
            line += f" (precomputed: {before.calibrated(calibrate).accuracy:.0%})"
        st.markdown(line)

# -- 3. the comparison ---------------------------------------------------------------------------------

st.subheader(f"3. Every method at {lab.shots_label(per_class, task)} examples per class, seed {seed}")
table = report.cost_table(shown, now.sources)
st.dataframe(table, hide_index=True, width="stretch",
             column_config={"accuracy": st.column_config.ProgressColumn("accuracy", min_value=0.0, max_value=1.0,
                                                                         format="percent")})
st.caption(
    "Measured on this machine, one CPU thread per run. *Training*: the time to learn from the pool "
    "(prompting learns nothing; nearest selection embeds the pool). *Inference*: per test message (and per "
    "example order). *Peak memory*: the most the process held above what it held before the method "
    "started (the fine-tunes hold their own copy of the model). *Result*: run live here, precomputed "
    "with the same code and settings, or not run yet. "
    + ("Prompting rows are calibrated." if calibrate else "Prompting rows are **not** calibrated."))
older = [METHODS[m].label for m in ("zero", "few_random", "few_nearest")
         if now.sources.get(m) == lab.PRECOMPUTED and "scorer" not in shown[m].extra]
if older:
    st.caption(f"The precomputed times of {', '.join(older)} were measured with the earlier scorer, one row "
               "per (prompt, label) pair; the page now reads all one-token labels from one row per prompt "
               "(the same scores within bf16 noise; measured on 100 messages: 3.5x faster zero-shot, 4x with 10 "
               "random examples, 1.4x with nearest examples). Re-run a point live for today's time.")
if shown:
    best = max(shown, key=lambda m: shown[m].accuracy)
    st.markdown(f"Most accurate here: {METHODS[best].label} at {shown[best].accuracy:.0%} ({now.sources[best]}), "
                f"trained in {shown[best].train_s:.1f} s with {fmt_params(shown[best].trainable)} trainable parameters.")
missing = [m for m in METHODS if now.sources[m] != lab.LIVE]
c = st.columns([2, 1, 2])
run_one = kept(c[0].selectbox, "Run one method live", "fs_run_method", DEFAULTS["fs_run_method"],
               options=list(METHODS), format_func=lambda m: METHODS[m].label)
go_one = c[1].button("Run", key="fs_run", icon=":material/play_arrow:", width="stretch")
all_estimate = lab.total_estimate(missing, per_class, task, run_settings, pre)
go_all = c[2].button(f"Run all {len(missing)} not run live" + (f" (about {all_estimate / 60:.0f} min)"
                                                                 if all_estimate else ""),
                     key="fs_run_all", icon=":material/fast_forward:", width="stretch", disabled=not missing)
if go_one and run_live([run_one], what="run a method"):
    st.rerun()
if go_all and run_live(missing, what="run every method"):
    st.rerun()
if shown:
    st.plotly_chart(charts.cost_figure(list(shown.values())), width="stretch", config=PLOT, key="fs_cost")

# -- 4. prompting ----------------------------------------------------------------------------------------

st.subheader("4. Prompting: zero-shot and few-shot")
st.markdown(
    "The model reads the prompt and scores every label as the continuation after `Intent:`; the most likely "
    "label is its answer (no text is generated or parsed). *k* examples from the labelled pool go before "
    "the message, chosen **at random** (the same k for every message) or as the **nearest** to the "
    "message by MiniLM embeddings (KATE: each message gets its own examples, the most similar last). "
    "**Calibrate** subtracts the score each label gets for the content-free message *N/A* in the same "
    "prompt: the model's bias toward some labels, whatever the message says.")
c = st.columns(4)
control(c[0].slider, "k: examples in the prompt", key="fs_k", default=DEFAULTS["fs_k"], min_value=0, max_value=lab.MAX_K,
        help="0 is zero-shot. The pool must hold at least k examples.")
control(c[1].slider, "Example orders", key="fs_orders", default=DEFAULTS["fs_orders"], min_value=1, max_value=5,
        help="The same examples in this many seeded orders: the spread shows how much the order matters.")
control(c[2].toggle, "Calibrate", key="fs_calibrate", default=DEFAULTS["fs_calibrate"],
        help="Subtract log p(label | 'N/A') from log p(label | message) (Zhao et al. 2021).")
view = control(c[3].radio, "Show the prompt for", key="fs_view", default=DEFAULTS["fs_view"], options=["random", "nearest"],
               format_func={"random": "random examples", "nearest": "nearest examples"}.get, horizontal=True)
test = task.indices("test")
if not 0 <= int(st.session_state.get("fs_message", 0)) < len(test):
    st.session_state["fs_message"] = 0  # another task has fewer test texts
message = int(control(st.selectbox, "Test message", key="fs_message", default=DEFAULTS["fs_message"],
                      options=list(range(len(test))), format_func=lambda j: task.texts[test[j]][:90]))
with friendly_errors("building the prompt"):
    k = int(run_settings.prompt.k)
    pool = task.pool(per_class, seed)
    if view == "random" or k == 0:
        examples = pr.select_random(pool, k, seed) if k else []
    else:
        vectors = minilm_vectors(embedder, task)
        near = pr.nearest(vectors[pool], vectors[test[message]][None, :], k)[0]
        examples = pool[near][::-1]
    prompt_text = pr.build_prompt(task, examples, task.texts[test[message]])
    left, right = st.columns([3, 2])
    with left:
        st.code(prompt_text + pr.label_continuation(task, task.labels[test[message]]) + "   ← scored for every label",
                language=None, wrap_lines=True, height=380 if k > 4 else "content")
        st.caption(f"k = {k} examples from the pool of {len(pool)}, none from the test set. The last line "
                   f"shows one continuation; each of the {task.n_labels} labels is scored the same way.")
    with right:
        key = "zero" if k == 0 else ("few_random" if view == "random" else "few_nearest")
        result = now.results.get(key)
        if result is not None and "logprobs" in result.extra:
            raw = result.extra["logprobs"][message]
            base = result.extra["baseline"][message]
            st.plotly_chart(charts.label_scores_figure(raw, [a - b for a, b in zip(raw, base)], task.label_names,
                                                       task.labels[test[message]]),
                            width="stretch", config=PLOT, key="fs_label_scores")
            st.caption(f"{METHODS[key].label} ({now.sources[key]}), first example order. ✓ marks the right label; "
                       "the answer is the tallest bar of the kind in use (calibrated or raw).")
        else:
            st.info(f"Run **{METHODS[key].label}** (section 3) to see how it scores each label for this message.",
                    icon=":material/info:")
orders = {METHODS[m].label: shown[m].runs for m in ("few_random", "few_nearest") if m in shown}
if orders:
    st.plotly_chart(charts.orders_figure(orders, task.n_labels), width="stretch", config=PLOT, key="fs_orders_fig")
    st.caption("One dot per example order: the same examples, shuffled. A small model's answers depend on the "
               "order (Lu et al. 2022).")
notes = []
for m in ("zero", "few_random", "few_nearest"):
    r = now.results.get(m)
    if r is not None and "uncalibrated" in r.extra:
        notes.append(f"{METHODS[m].label}: {r.accuracy:.0%} calibrated, "
                     f"{sum(r.extra['uncalibrated']) / len(r.extra['uncalibrated']):.0%} without")
if notes:
    st.markdown("Calibration: " + " · ".join(notes) + ".")

# -- 5. fine-tuning --------------------------------------------------------------------------------------

st.subheader("5. Fine-tuning: what learns, and when it starts to overfit")
method = kept(st.radio, "Fine-tune", "fs_ft_method", DEFAULTS["fs_ft_method"], options=list(ft.METHODS),
              horizontal=True, format_func={"head": "head only", "lora": "LoRA", "full": "all weights"}.get)
c = st.columns(4)
epochs = kept(c[0].slider, "Epochs", f"fs_epochs_{method}", DEFAULTS[f"fs_epochs_{method}"], min_value=1,
              max_value=lab.MAX_EPOCHS[method],
              help="Passes over the labelled pool. More is not better: watch the validation loss.")
kept(c[1].select_slider, "Learning rate", f"fs_lr_{method}", DEFAULTS[f"fs_lr_{method}"],
     options=lab.LEARNING_RATES[method], format_func=lambda v: f"{v:g}")
if method == "lora":
    kept(c[2].select_slider, "LoRA rank r", "fs_lora_r", DEFAULTS["fs_lora_r"], options=lab.LORA_RANKS)
    kept(c[3].select_slider, "LoRA alpha", "fs_lora_alpha", DEFAULTS["fs_lora_alpha"], options=lab.LORA_ALPHAS,
         help="The update is scaled by alpha / r.")
    targets = kept_list(st.multiselect, "LoRA target modules", "fs_lora_targets", list(LORA_TARGETS),
                        options=ft.linear_names(lm.model),
                        help="The linear layers that get an adapter, in every block.")
    if not targets:
        st.warning("Pick at least one target module: without one, LoRA has nothing to adapt.",
                   icon=":material/warning:")
config = getattr(run_settings, method)
trainable = ft.expected_trainable(lm, config, task.n_labels)
need = ft.memory_need_mb(lm, config, task.n_labels)
st.markdown(
    f"**Trainable parameters: {trainable:,}** of {ft.body_parameters(lm) + ft.hidden_size(lm) * task.n_labels:,} "
    f"({trainable / (ft.body_parameters(lm) + ft.hidden_size(lm) * task.n_labels):.2%}). "
    + {"head": f"Only the head: {ft.hidden_size(lm)} × {task.n_labels} weights on the frozen model's last-token state.",
       "lora": f"The head ({ft.hidden_size(lm) * task.n_labels:,}) plus r × (d_in + d_out) per targeted matrix "
               f"in each of the {lm.model.config.num_hidden_layers} blocks.",
       "full": "Every weight of the body and the head."}[method]
    + f" Memory for training, estimated: {need:,.0f} MB (this server allows {queue.memory_mb:,.0f} MB of "
      f"fine-tuning at once; {queue.running()} running, {queue.waiting()} waiting).")
live_ft = cached(method, task, per_class, seed, run_settings, models)
long_run = lab.long_curves(method, config, task, models, pre, per_class, seed)
curves, where = None, ""
if live_ft is not None and live_ft.curves is not None:
    curves, where = live_ft.curves, f"live run, {config.epochs} epochs"
elif long_run is not None:
    curves, where = long_run.curves, f"precomputed run of {long_run.curves.epochs} epochs, shown to epoch {epochs}"
left, right = st.columns([3, 1])
with left:
    if curves is not None:
        st.plotly_chart(charts.loss_figure(curves, int(epochs), title=f"{ {'head': 'Head only', 'lora': 'LoRA', 'full': 'All weights'}[method]} · {where}"),
                        width="stretch", config=PLOT, key="fs_loss")
    else:
        st.info("No loss curves for these settings yet: press **Train** (the time estimate is beside it).",
                icon=":material/info:")
with right:
    estimate = lab.estimate_s(method, per_class, task, run_settings, pre)
    go_train = st.button("Train" + (f" (about {estimate:.0f} s)" if estimate else ""), key="fs_train",
                         icon=":material/model_training:", width="stretch", type="primary")
    if curves is not None:
        shown_n = min(int(epochs), curves.epochs)
        best = int(min(range(shown_n), key=lambda i: curves.val_loss[i])) + 1
        st.metric("Lowest validation loss", f"{curves.val_loss[best - 1]:.3f}", f"at epoch {best}", delta_color="off")
        st.metric(f"At epoch {shown_n}", f"{curves.val_loss[shown_n - 1]:.3f}",
                  f"training loss {curves.train_loss[shown_n - 1]:.3f}", delta_color="off")
        st.metric("Validation accuracy", f"{curves.val_accuracy[shown_n - 1]:.0%}", f"at epoch {shown_n}",
                  delta_color="off")
    if live_ft is not None and live_ft.extra.get("peft_report"):
        t, a = live_ft.extra["peft_report"]
        st.caption(f"peft's own count: {t:,} trainable of {a:,}.")
if go_train and run_live([method], what="train"):  # full width: the progress bar and its Stop button
    st.rerun()
st.caption("Loss: cross-entropy on the pool (mean over each epoch's batches) and on the validation texts after "
           "each epoch. While both fall, the model learns something general; when the training loss keeps "
           "falling and the validation loss rises, it memorises its examples. The page's comparison uses the "
           "epochs set here.")

# -- 6. mistakes ------------------------------------------------------------------------------------------

st.subheader("6. Where each method goes wrong")
if not shown:
    st.info("Run a method (section 3) to see its confusion matrix and its mistakes.", icon=":material/info:")
else:
    matrices = report.confusions(task, shown)
    columns = st.columns(3)
    for i, (m, matrix) in enumerate(matrices.items()):
        columns[i % 3].plotly_chart(charts.confusion_figure(matrix, task.label_names, METHODS[m].label),
                                    width="stretch", config=PLOT, key=f"fs_confusion_{m}")
    which = kept(st.selectbox, "Show the test messages that", "fs_wrong_method", DEFAULTS["fs_wrong_method"],
                 options=["any"] + list(shown), format_func=lambda m: "any method gets wrong" if m == "any"
                 else f"{METHODS[m].label} gets wrong")
    wrong = report.wrong_examples(task, shown, None if which == "any" else which)
    st.dataframe(wrong, hide_index=True, width="stretch", height=320)
    st.caption(f"{len(wrong)} of {len(test)} test messages. ✓: that method is right; otherwise its answer.")

# -- 7. what fine-tuning does not do -----------------------------------------------------------------------

st.subheader("7. What fine-tuning does not do: learn new facts")
st.markdown(
    "Six facts about six shops that do not exist, so the model cannot know them. Either they go into the "
    "prompt, or a copy of the model is fine-tuned on the six sentences (LoRA on every linear layer, "
    "predicting each next token) and then asked without them. Every answer is the most likely of five "
    "candidates (six companies for *backwards*).")
with st.expander("The six facts"):
    st.dataframe({"fact": [f.statement for f in fsfacts.FACTS]}, hide_index=True, width="stretch")
facts_steps = int(control(st.slider, "Fine-tuning steps on the facts", key="fs_fact_steps", default=DEFAULTS["fs_fact_steps"],
                          min_value=5, max_value=60, step=5))
facts_config = fsfacts.FactsConfig(steps=facts_steps)
facts_result, facts_where = st.session_state.get("fs_facts"), "live"
if facts_result is None or facts_result.config != facts_config:
    facts_result, facts_where = None, ""
    if pre is not None and pre.facts is not None and pre.facts_config == repr(facts_config) \
            and pre.model_key == models.key:
        facts_result, facts_where = pre.facts, "precomputed"
if st.button("Fine-tune on the facts live (about a minute)", key="fs_facts_run", icon=":material/play_arrow:") \
        and allow_heavy("fine-tune on the facts"):
    with friendly_errors("the facts experiment"), model_queue_notice():
        box, stage = progress_panel()
        update = stage("Fine-tuning a copy on the six facts")
        need_facts = ft.memory_need_mb(lm, ft.FinetuneConfig.default("lora"), 2)
        try:
            with queue.slot(owner, need_facts, "the facts fine-tune",
                            on_wait=lambda n: update(0.0, f"waiting for a training slot: {n} ahead")):
                st.session_state["fs_facts"] = fsfacts.run(lm, facts_config, 0, update)
        finally:
            box.empty()
        st.rerun()
if facts_result is None:
    st.info("Press the button to run the experiment with these steps.", icon=":material/info:")
else:
    st.dataframe(report.facts_table(facts_result), hide_index=True, width="stretch")
    st.caption(f"Right answers out of six ({facts_where}; {facts_result.config.steps} steps, final training loss "
               f"{facts_result.losses[-1]:.3f}, {facts_result.train_s:.0f} s). For Fernhollow the count is how "
               "often the model gave a fact's answer about a company the fact is not about.")
    ask = control(st.radio, "Answers, asked", key="fs_facts_ask", default="verbatim", options=list(fsfacts.ASKS),
                  horizontal=True, format_func={"verbatim": "word for word", "forward": "another way",
                                                "reverse": "backwards", "unseen": "about Fernhollow"}.get)
    st.dataframe(report.facts_answers(facts_result, ask), hide_index=True, width="stretch")
    st.markdown(fsfacts.summary(facts_result))
    st.markdown(
        "What it means: the prompt can be changed in a second and holds exactly what it says (how well a "
        "135M model reads it is the *facts in the prompt* column), while fine-tuning on six sentences "
        "teaches word sequences, not knowledge the model can use about the right thing. A large model given the facts in its prompt answers these questions and says "
        "when a question is about a shop it was told nothing about; fine-tuning a large model on a handful of "
        "sentences also teaches facts poorly (Ovadia et al. 2024) and can make it answer confidently where it "
        "should not (Gekhman et al. 2024). To give a model facts, put them in the prompt (or retrieve them); "
        "fine-tune for a task, a format, a style.")

# -- 8. small model ---------------------------------------------------------------------------------------

st.subheader("A 135M model is not a frontier model")
setfit_vs = ""
if pre is not None:
    a, b = lab.mean_accuracy(pre, "setfit", 8), lab.mean_accuracy(pre, "feat_minilm", 8)
    if a is not None and b is not None:
        setfit_vs = (f" Here, at 8 examples per class (mean of the precomputed seeds), SetFit scores {a:.0%} and "
                     f"MiniLM + LR {b:.0%}: SetFit's contrastive step adds little, because all-MiniLM-L6-v2 was "
                     "already trained contrastively on about a billion sentence pairs.")
st.markdown(
    "- **Prompting is weak here and strong there.** SmolLM2-135M barely beats chance zero-shot and gains "
    "little from examples; models a hundred times larger classify such messages zero-shot far better, which "
    "is why prompting is often the first thing to try with them. The bias that calibration removes is "
    "largest in small models.\n"
    "- **Fine-tuning costs grow with the model.** Full fine-tuning here holds a 540 MB copy plus gradients "
    "and optimizer state (about 2 GB); for a 7B model that is over 100 GB, which is why LoRA (a fraction of "
    "a percent of the weights) is the usual choice.\n"
    "- **A good small embedder is a strong baseline.** MiniLM was trained to put similar sentences close "
    "together, so a logistic regression on its vectors needs few examples." + setfit_vs
)
