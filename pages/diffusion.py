"""Diffusion: the forward (noising) process on a digit or an upload, a small
class-conditional UNet that turns noise into digits with classifier-free guidance,
the same idea on 2D points, and real text-to-image when a pipeline is configured."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from playground.config import get_settings
from playground.devices import get_device
from playground.diffusion import charts, digits, evaluate, images, points2d, text2image
from playground.diffusion import schedule as sch
from playground.ui.common import friendly_errors, page_intro, track
from playground.ui.entry import run_through_navigation
from playground.ui.teacher import control, presets

run_through_navigation()
settings = get_settings()

page_intro(
    "Diffusion: images out of noise",
    "**Diffusion models** learn to undo noise. The *forward process* adds a little Gaussian "
    "noise at each of 1,000 steps until a picture is pure noise; it needs no learning, and "
    "any step can be reached at once with one formula. A neural network (a **UNet**) is "
    "trained to look at a noisy picture and say which noise was added. The *reverse process* "
    "starts from pure noise and removes the predicted noise step by step: a new picture "
    "appears. Below, every picture is computed now: a tiny model this project trained on "
    "scikit-learn's 1,797 handwritten digits draws the digit you ask for, and a classifier "
    "trained on the real digits checks what it drew.",
    [
        "**Two schedules.** In *1 · Forward process* set t = 500 and switch the schedule: the "
        "linear one has left ᾱ ≈ 0.08 of the signal (SNR ≈ 0.08, the digit is nearly gone), the "
        "cosine one about half (SNR ≈ 1).",
        "**Guidance.** In *2 · Reverse process* set the guidance scale to 0: the model ignores "
        "the label and the classifier reads the requested digit in only a few samples (about "
        "chance, 10 %). At 3 it reads it in nearly all of them.",
        "**See the answer early.** Scrub the denoising steps: a third of the way in, the "
        "*predicted clean image* x0 already shows readable digits while the noisy image x_t is "
        "still unreadable noise; the chart under the grids measures both with the classifier.",
    ],
)

# lesson presets: the "try this" experiments, set up (sidebar, or ?preset=... in a link)
presets({
    "Two schedules": {"diff_t": 500, "diff_schedule": "linear"},
    "No guidance": {"diff_guidance": 0.0},
    "Strong guidance": {"diff_guidance": 3.0},
})


# ---- cached work (page edge) ---------------------------------------------------------


@st.cache_resource(show_spinner="Loading the digit diffusion model...")
def get_digit_model() -> digits.DigitModel:
    return digits.load_model()


@st.cache_resource(show_spinner=False)
def get_classifier():
    return evaluate.digit_classifier()


@st.cache_data(show_spinner=False, max_entries=16)
def sample_digits(labels: tuple[int, ...], steps: int, guidance: float, sampler: str,
                  seed: int) -> tuple[digits.Trajectory, np.ndarray, dict[str, list[float]]]:
    """Trajectory, what the classifier reads in each final sample, and per-step agreement."""
    get_classifier()
    traj = digits.sample(get_digit_model(), list(labels), steps=steps, guidance=guidance,
                         sampler=sampler, seed=seed)
    read = evaluate.classify(traj.final)
    per_step = evaluate.agreement_per_step(traj.x_t, traj.x0, traj.labels)
    return traj, read, per_step


@st.cache_resource(show_spinner=False)
def shipped_points_model(dataset: str) -> points2d.PointModel:
    return points2d.load_shipped(dataset)


@st.cache_data(show_spinner=False, max_entries=32)
def sample_points(_model: points2d.PointModel, model_key: str, steps: int, sampler: str,
                  seed: int) -> np.ndarray:
    return points2d.sample(_model, n=500, steps=steps, sampler=sampler, seed=seed)


@st.cache_resource(show_spinner=False, max_entries=1)
def get_text_to_image(ref: str) -> text2image.TextToImage:
    return text2image.load_pipeline(ref)


def train_points_live(dataset: str, steps: int, seed: int) -> points2d.PointModel:
    """Train with a progress bar (track() over the training steps)."""
    steps_done = iter(track(range(steps), steps, f"Training the 2D denoiser on {dataset}"))
    next(steps_done, None)  # draw the bar
    model = points2d.train(dataset, steps=steps, seed=seed, progress=lambda done, total: next(steps_done, None))
    for _ in steps_done:  # finish the iteration so the bar is removed
        pass
    return model


def pixels(x, scale: int = 8, lo: float = -1.0, hi: float = 1.0) -> np.ndarray:
    return images.to_pixels(x, scale, lo, hi)


def framed(x, lo: float = -1.0, hi: float = 1.0) -> np.ndarray:
    """One 16x16 image drawn 160 px wide with a thin grey frame."""
    return images.grid(np.asarray(x)[None], cols=1, scale=10, pad=2, lo=lo, hi=hi)


def clamp_state(key: str, lo: int, hi: int, default: int) -> None:
    """Give a slider whose range depends on other widgets a valid starting value."""
    value = st.session_state.get(key, default)
    st.session_state[key] = int(min(max(value, lo), hi))


# ---- 1 · forward process -------------------------------------------------------------

st.header("1 · Forward process: add noise")
left, right = st.columns([1, 2], gap="large")
with left:
    source = control(st.radio, "Start from", ["a digit from the data set", "my own picture"],
                      key="diff_source", horizontal=True)
    x0, label_text = None, ""
    if source == "my own picture":
        upload = st.file_uploader(
            "A picture (PNG, JPEG, ...). It becomes 16x16 gray pixels.", key="diff_upload",
            help=f"Up to {settings.max_upload_mb} MB and {settings.max_image_pixels / 1e6:.0f} megapixels.")
        if upload is not None:
            with friendly_errors("reading the picture"):
                result = images.read_upload(upload.getvalue(), upload.name, settings)
                for note in result.notes:
                    st.info(note, icon=":material/info:")
                x0, label_text = result.image, f"your picture ({upload.name})"
        if x0 is None:
            st.caption("No usable picture yet: showing digit number 0 from the data set.")
    index = control(st.number_input, "Digit number in the data set (0-1796)", min_value=0, max_value=1796,
                            value=0, step=1, key="diff_index", disabled=x0 is not None)
    if x0 is None:
        x0, label = images.one_digit(int(index))
        label_text = f"digit #{int(index)} (a {label})"
    schedule_name = control(st.radio, "Noise schedule", list(sch.SCHEDULES), index=1, key="diff_schedule", horizontal=True,
                             help="linear: betas from 1e-4 to 0.02 (DDPM); cosine: squaredcos_cap_v2 "
                                  "(improved DDPM). Both are diffusers' DDPMScheduler beta_schedule.")
    t = control(st.slider, "Timestep t", 0, sch.T_TRAIN - 1, 250, key="diff_t")
    noise_seed = control(st.number_input, "Noise seed", min_value=0, max_value=2**31 - 1, value=0, key="diff_noise_seed")

alpha_bar = sch.alpha_bars(schedule_name)
eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(int(noise_seed)))  # (1, 1, 16, 16)
x_t = sch.add_noise(x0, eps, t, alpha_bar)  # our formula (tested against diffusers' add_noise)
a = float(alpha_bar[t])
with right:
    st.latex(rf"x_t = \sqrt{{\bar\alpha_t}}\,x_0 + \sqrt{{1-\bar\alpha_t}}\,\varepsilon"
             rf"\quad\Rightarrow\quad x_{{{t}}} = {a ** 0.5:.3f}\,x_0 + {(1 - a) ** 0.5:.3f}\,\varepsilon")
    c1, c2, c3 = st.columns(3)
    c1.image(framed(x0[0, 0]), caption=f"x0: {label_text}")
    c2.image(framed(eps[0, 0], -2.5, 2.5), caption="ε: Gaussian noise (seeded)")
    c3.image(framed(x_t[0, 0]), caption=f"x_t at t = {t}")
    st.markdown(f"ᾱ_t = **{a:.3f}** of the signal's variance is left; signal-to-noise ratio "
                f"ᾱ/(1−ᾱ) = **{sch.snr(alpha_bar)[t]:.3g}**.")
    strip_t = [0, 100, 200, 300, 400, 500, 600, 700, 800, 999]
    strip = []
    for name in sch.SCHEDULES:
        ab = sch.alpha_bars(name)
        strip.extend(sch.add_noise(x0.expand(len(strip_t), -1, -1, -1), eps.expand(len(strip_t), -1, -1, -1),
                                   torch.tensor(strip_t), ab)[:, 0].numpy())
    st.image(images.grid(np.stack(strip), cols=len(strip_t), scale=4),
             caption="The same x0 and ε at t = 0, 100, ..., 800, 999. Top row: linear schedule; "
                     "bottom row: cosine.")
st.plotly_chart(charts.schedule_figure(t, schedule_name), width="stretch", key="diff_schedule_chart")

# ---- 2 · reverse process --------------------------------------------------------------

st.header("2 · Reverse process: digits from noise")
model = get_digit_model()
info = model.info
st.markdown(
    f"A class-conditional UNet (diffusers `UNet2DModel`, {model.parameters / 1e3:.0f} k parameters) "
    f"trained by this project for {info.get('steps', '?')} steps (batch {info.get('batch_size', '?')}, "
    f"seed {info.get('seed', '?')}) on the 1,797 digits upsampled to 16x16 "
    "(`playground/diffusion/train_digits.py`). Ten class embeddings say which digit to draw; an "
    "eleventh, the *null class*, means \"any digit\" and was used for 10 % of the training images. "
    "**Classifier-free guidance** runs both at each step and extrapolates: "
    "ε = ε(x_t, ∅) + w · (ε(x_t, digit) − ε(x_t, ∅)).")
options = ["all ten"] + [str(d) for d in range(10)]
c1, c2, c3, c4, c5 = st.columns(5)
choice = control(c1.selectbox, "Digit", options, index=0, key="diff_class")
sampler = control(c2.selectbox, "Sampler (diffusers)", list(sch.SAMPLERS), index=list(sch.SAMPLERS).index("DDIM"),
                       key="diff_sampler",
                       help="DDPMScheduler, DDIMScheduler, DPMSolverMultistepScheduler (DPM-Solver++), "
                            "EulerDiscreteScheduler, each built fresh from the saved scheduler config.")
steps = control(c3.slider, "Steps", 1, 100, 25, key="diff_steps")
guidance = control(c4.slider, "Guidance scale w", 0.0, 10.0, 3.0, 0.5, key="diff_guidance",
                     help="0: ignore the digit; 1: the plain conditional model; above 1: push harder.")
seed = control(c5.number_input, "Seed", min_value=0, max_value=2**31 - 1, value=0, key="diff_seed")
labels = tuple(i % 10 for i in range(16)) if choice == "all ten" else (int(choice),) * 16


@st.fragment
def scrub_denoising(traj, per_step, steps: int) -> None:
    """Moving the step slider reruns only this section (the samples come from the cache)."""
    with friendly_errors("scrubbing through the denoising"):
        st.subheader("Scrub through the denoising")
        clamp_state("diff_traj_step", 1, int(steps), max(1, int(steps) // 3))
        if int(steps) > 1:
            i = control(st.slider, "Denoising step", 1, int(steps), key="diff_traj_step",
                        help="Step 1 starts from pure noise; the last step gives the samples above.")
        else:  # a slider needs two ends: with one step there is nothing to scrub through
            i = 1
            st.caption("One denoising step: the samples above come straight out of the noise below. "
                       "Raise **Steps** to scrub through the denoising.")
        tt, ab = float(traj.timesteps[i - 1]), float(traj.alpha_bar[i - 1])
        g1, g2, g3 = st.columns(3)
        g1.image(images.grid(traj.x_t[i - 1], cols=4, scale=5),
                 caption=f"x_t: the model's input at step {i} (t = {tt:.0f}, ᾱ_t = {ab:.3f})")
        g2.image(images.grid(traj.eps[i - 1], cols=4, scale=5, lo=-2.5, hi=2.5),
                 caption="the guided noise prediction ε")
        g3.image(images.grid(traj.x0[i - 1], cols=4, scale=5),
                 caption="predicted clean image x0 = (x_t − √(1−ᾱ_t) ε) / √ᾱ_t")
        st.plotly_chart(charts.agreement_figure(per_step, current=i), width="stretch", key="diff_agree_chart")
        st.caption("Share of the 16 images that the classifier reads as the requested digit, at each "
                   "step: in the noisy input x_t and in the model's prediction of the clean image. At the "
                   "first steps x0 is a blurry 'average' digit of the requested class; the details that "
                   "make each sample different come in later steps.")


with friendly_errors("sampling digits"):
    with st.spinner("Denoising 16 images..."):
        traj, read, per_step = sample_digits(labels, int(steps), float(guidance), sampler, int(seed))
    hits = int((read == traj.labels).sum())
    st.subheader("16 samples")
    st.image([pixels(img, 5) for img in traj.final],
             caption=[f"asked {y} · reads {r}" for y, r in zip(traj.labels, read)])
    st.markdown(
        f"The digit classifier (trained on the real digits) reads the requested digit in "
        f"**{hits} of 16** samples (chance: about 10 %). {steps} steps of {sampler} with guidance "
        f"{guidance:g} took **{traj.seconds:.2f} s** ({2 * steps if guidance != 1 else steps} UNet "
        f"evaluations of the 16 images, on {get_device().name.split(' (')[0]}, one thread).")

    scrub_denoising(traj, per_step, int(steps))

# ---- 3 · 2D points ------------------------------------------------------------------------

st.header("3 · The same idea on 2D points")
st.markdown(
    "Here each data point is just (x, y). The forward process turns any shape into a round "
    "Gaussian cloud; a small MLP learns the noise ε(x_t, t) (the same training loop as the "
    "digits, with a linear schedule). Sampling moves 500 noise points back, step by step: the lines "
    "are the routes of 80 of them.")
p1, p2, p3, p4 = st.columns(4)
dataset = control(p1.selectbox, "Data", points2d.DATASETS, key="diff_pts_data")
pt_sampler = control(p2.selectbox, "Sampler", list(sch.SAMPLERS), index=list(sch.SAMPLERS).index("DDIM"),
                          key="diff_pts_sampler",
                          help="DDPM adds fresh noise at every step, so its routes zig-zag; DDIM, "
                               "DPM-Solver++ and Euler follow smooth, deterministic paths.")
pt_steps = control(p3.slider, "Steps", 1, 200, 50, key="diff_pts_steps")
pt_seed = control(p4.number_input, "Seed", min_value=0, max_value=2**31 - 1, value=0, key="diff_pts_seed")

live = st.session_state.setdefault("diff_live_models", {})
with st.expander("Train the 2D denoiser yourself", icon=":material/model_training:"):
    e1, e2, e3 = st.columns([2, 1, 1], vertical_alignment="bottom")
    cap = max(min(settings.max_training_steps, 10000), 1)  # PLAYGROUND_MAX_TRAINING_STEPS bounds it
    train_steps = control(e1.number_input, "Training steps", min_value=1, max_value=cap,
                                  value=min(points2d.LIVE_STEPS, cap), step=100, key="diff_pts_train_steps",
                                  help="About 3 ms per step on one CPU core.")
    train_seed = control(e2.number_input, "Training seed", min_value=0, max_value=2**31 - 1, value=0,
                                 key="diff_pts_train_seed")
    if e3.button("Train live", key="diff_pts_train", type="primary"):
        with friendly_errors("training the 2D denoiser"):
            live[dataset] = train_points_live(dataset, int(train_steps), int(train_seed))
    if dataset in live and st.button("Back to the shipped weights", key="diff_pts_reset"):
        live.pop(dataset)
pt_model = live.get(dataset) or shipped_points_model(dataset)
# training is seeded and deterministic, so (data, steps, seed) names a live model
model_key = f"live:{dataset}:{pt_model.steps}:{pt_model.seed}" if dataset in live else f"shipped:{dataset}"

@st.fragment
def points_view(path, pt_model, pt_steps: int, pt_seed: int) -> None:
    """Moving the step slider reruns only this section (the sampled path comes from the cache)."""
    with friendly_errors("drawing the 2D points"):
        clamp_state("diff_pts_step", 0, int(pt_steps), int(pt_steps))
        k = control(st.slider, "Show the points after step", 0, int(pt_steps), key="diff_pts_step")
        f1, f2 = st.columns([3, 2])
        f1.plotly_chart(charts.points_figure(path, pt_model.data, k), width="stretch", key="diff_pts_chart")
        with f2:
            rng = np.random.default_rng(int(pt_seed))
            noise_dist = points2d.nearest_distance(rng.standard_normal((500, 2)).astype(np.float32), pt_model.data)
            st.markdown(
                f"Model: **{pt_model.source}**, {pt_model.steps} training steps (seed {pt_model.seed}), "
                f"{pt_model.seconds:.1f} s of training.\n\n"
                f"Mean distance from each point to the nearest training point: "
                f"**{points2d.nearest_distance(path[k], pt_model.data):.3f}** after step {k} "
                f"(pure noise: {noise_dist:.3f}; final: {points2d.nearest_distance(path[-1], pt_model.data):.3f}).")
            st.plotly_chart(charts.loss_figure(points2d.loss_curve(pt_model), x_scale=points2d.CURVE_EVERY),
                            width="stretch", key="diff_pts_loss")


with friendly_errors("sampling 2D points"):
    path = sample_points(pt_model, model_key, int(pt_steps), pt_sampler, int(pt_seed))
    points_view(path, pt_model, int(pt_steps), int(pt_seed))

# ---- 4 · text to image --------------------------------------------------------------------

st.header("4 · Real text-to-image (Stable Diffusion)")
ref = text2image.configured(settings)
device = get_device()
if not ref:
    st.info(text2image.HOW_TO_ENABLE + f" This server runs on **{device.describe()}** with no "
            "pipeline configured, so this section is off.", icon=":material/settings:")
else:
    if device.kind == "cpu":
        st.warning(f"`{ref}` is configured but this server has no GPU: a 512x512 picture takes "
                   "minutes on the CPU.", icon=":material/speed:")
    with st.form("diff_t2i_form", border=True):
        prompt = control(st.text_area, "Prompt", "a watercolor painting of a lighthouse at dawn", key="diff_prompt",
                              max_chars=text2image.MAX_PROMPT_CHARS)
        f1, f2, f3 = st.columns(3)
        t2i_steps = control(f1.slider, "Steps", 1, 50, 25, key="diff_t2i_steps")
        t2i_guidance = control(f2.slider, "Guidance scale", 0.0, 15.0, 7.5, 0.5, key="diff_t2i_guidance")
        t2i_seed = control(f3.number_input, "Seed", min_value=0, max_value=2**31 - 1, value=0, key="diff_t2i_seed")
        submitted = st.form_submit_button("Generate", type="primary", key="diff_t2i_go")
    if submitted:
        with friendly_errors("text-to-image"):
            with st.spinner(f"Loading {ref} (once per server)..."):
                t2i = get_text_to_image(ref)
            with st.spinner(f"Denoising {t2i_steps} steps..."):
                st.session_state["diff_t2i_result"] = text2image.generate(
                    t2i, prompt, int(t2i_steps), float(t2i_guidance), int(t2i_seed))
    result = st.session_state.get("diff_t2i_result")
    if result is not None:
        st.image(result.image, caption=f"final picture ({result.seconds:.1f} s)")
        if result.note:
            st.caption(result.note)
        if result.previews:
            st.image([img for _, _, img in result.previews],
                     caption=[f"after step {s} (t = {tt})" for s, tt, _ in result.previews], width=160)
            st.caption("Latents decoded through the VAE during sampling (callback_on_step_end).")

# ---- how the toy differs -------------------------------------------------------------------

st.header("This toy model vs. Stable Diffusion")
st.markdown(
    "| | this page's digit model | Stable Diffusion 1.5 |\n"
    "|---|---|---|\n"
    "| where it denoises | **pixel space**: the 16x16x1 image itself | **latent space**: a 64x64x4 code, "
    "decoded by a VAE into 512x512x3 pixels |\n"
    "| what it is told | one of 10 digit labels (or the null class) | a text prompt, read by a CLIP text "
    "encoder into 77 vectors, attended to by cross-attention |\n"
    f"| network | UNet with {model.parameters / 1e3:.0f} k parameters | UNet with about 860 M parameters |\n"
    "| training data | 1,797 digits, minutes on a CPU | billions of image-text pairs, many GPU-years |\n"
    "| what is the same | noise schedule, ε-prediction, samplers, classifier-free guidance | "
    "the same ideas, at scale |\n")
st.caption("So this model can only draw small digits like those it saw; it shows the mechanism, "
           "not the quality of a large text-to-image model.")
