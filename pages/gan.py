"""GANs: a 2D GAN that trains live (play, pause, step) and a small class-conditional
DCGAN on scikit-learn's digits (samples, latent directions, interpolation)."""

from __future__ import annotations

import contextlib
import hashlib

import numpy as np
import streamlit as st

from playground.config import get_settings
from playground.digits_check import classify_digits, holdout_accuracy
from playground.gan import charts, data2d, digits, toy2d
from playground.threads import one_thread
from playground.ui.common import friendly_errors, kept, page_intro
from playground.ui.teacher import presets
from playground.ui.entry import run_through_navigation

FRAME_EVERY_S = 0.3  # while playing, the browser asks for a new frame this often
HISTORY_EVERY_S = 1.5  # ... and for new loss and coverage curves this often
WARM_STEPS = 300  # the first view shows the default GAN after this many steps
UPLOAD = "upload"

run_through_navigation()
page_intro(
    "GANs: two networks in a contest",
    "A **generator** turns random noise into samples; a **discriminator** learns to tell "
    "those samples from real data. Each one trains against the other: the discriminator's "
    "mistakes are the generator's teacher. On the first tab a GAN learns a cloud of 2D "
    "points while you watch: the background is the discriminator's opinion of every "
    "location, the arrows show where the generator is pushed next, and a coverage "
    "measure says how much of the data the generator reaches, so *mode collapse* (all "
    "samples piling onto one part of the data) is seen and measured. The second tab is a "
    "small class-conditional DCGAN trained on scikit-learn's 8x8 digits.",
    [
        "**Watch a GAN learn.** On the ring with the default settings press **Play**: "
        "within about 1,000 steps the purple points spread out over most of the 8 modes "
        "and the coverage line climbs.",
        "**Cause mode collapse.** Set the generator's learning rate to **0.01** (ten "
        "times the discriminator's) and press Play: the generated points bunch up and "
        "jump from mode to mode together, and coverage stays at one or two of the 8 "
        "modes (with the default seed and most others; GAN training is that fickle).",
        "**Ask for a digit.** On the *Digits* tab pick a class: a classifier trained on "
        "real digits recognises most generated samples as that class. Move the slider of "
        "latent direction 1, then the one of direction 16: direction 1 changes the digit "
        "two to three times as much.",
    ],
)

# lesson presets: the "try this" experiments, set up (sidebar, or ?preset=... in a link)
presets({
    "Watch a GAN learn": {"gan2d_dataset": "ring", "gan2d_g_lr": 1e-3, "gan2d_d_lr": 1e-3},
    "Cause mode collapse": {"gan2d_dataset": "ring", "gan2d_g_lr": 1e-2, "gan2d_d_lr": 1e-3},
})

settings = get_settings()
# lazy tabs: only the open tab runs (Play trains only while its tab is open)
tab_2d, tab_digits, tab_scale = st.tabs(["Live 2D GAN", "Digits DCGAN", "Toy GAN vs. StyleGAN"],
                                        key="gan_tab", on_change="rerun")


# ---- cached work (page edge) ---------------------------------------------------------

@st.cache_resource(show_spinner="Training the first few hundred steps...", max_entries=4)
def _warm_start(dataset: str, steps: int) -> toy2d.Toy2DGAN:
    """The default GAN after `steps` steps; every session clones it (never mutated)."""
    gan = toy2d.Toy2DGAN(toy2d.Toy2DConfig(), data2d.make_dataset(dataset))
    gan.train(steps)
    return gan


@st.cache_data(show_spinner=False, max_entries=8)
def _builtin_points(name: str) -> data2d.Points2D:
    return data2d.make_dataset(name)


@st.cache_data(show_spinner=False, max_entries=8)
def _uploaded_points(data: bytes, max_mb: float, max_rows: int) -> data2d.Points2D:
    return data2d.points_from_csv(data, max_mb, max_rows)


@st.cache_data(show_spinner=False)
def _example_csv() -> bytes:
    pts = data2d.spiral(n=400, seed=1).points
    return ("x,y\n" + "\n".join(f"{x:.4f},{y:.4f}" for x, y in pts)).encode()


@st.cache_resource(show_spinner="Loading the digits GAN...")
def _generator() -> tuple[digits.DigitsGenerator, dict]:
    return digits.load_generator()


@st.cache_data(show_spinner="Finding the latent directions (Jacobian of G)...")
def _directions(label: int) -> digits.LatentDirections:
    return digits.latent_directions(_generator()[0], label)


# ---- tab 1: the live 2D GAN ----------------------------------------------------------

def _settings_panel() -> tuple[toy2d.Toy2DConfig, str]:
    names = {**data2d.DATASETS, UPLOAD: "Upload a CSV of points"}
    dataset = kept(st.selectbox, "Data set", "gan2d_dataset", "ring", options=list(names),
                   format_func=names.get)
    rates = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]
    widths = [4, 8, 16, 32, 64, 128]
    g, d = st.columns(2)
    with g:
        st.markdown("**Generator**")
        g_depth = kept(st.slider, "hidden layers", "gan2d_g_depth", 2, min_value=1, max_value=4)
        g_width = kept(st.select_slider, "width", "gan2d_g_width", 64, options=widths)
        g_lr = kept(st.select_slider, "learning rate", "gan2d_g_lr", 1e-3, options=rates,
                    format_func=lambda v: f"{v:g}")
        g_steps = kept(st.slider, "updates per step", "gan2d_g_steps", 1, min_value=1, max_value=5)
    with d:
        st.markdown("**Discriminator**")
        d_depth = kept(st.slider, "hidden layers", "gan2d_d_depth", 2, min_value=1, max_value=4)
        d_width = kept(st.select_slider, "width", "gan2d_d_width", 64, options=widths)
        d_lr = kept(st.select_slider, "learning rate", "gan2d_d_lr", 1e-3, options=rates,
                    format_func=lambda v: f"{v:g}")
        d_steps = kept(st.slider, "updates per step", "gan2d_d_steps", 1, min_value=1, max_value=5)
    loss = kept(st.selectbox, "Loss", "gan2d_loss", "nonsaturating", options=list(toy2d.LOSSES),
                format_func=toy2d.LOSSES.get)
    optimizer = kept(st.selectbox, "Optimizer", "gan2d_optimizer", "adam",
                     options=list(toy2d.OPTIMIZERS), format_func=toy2d.OPTIMIZERS.get)
    a, c = st.columns(2)
    noise_dim = kept(a.number_input, "noise dim", "gan2d_noise_dim", 2, min_value=1, max_value=16)
    seed = kept(c.number_input, "seed", "gan2d_seed", 0, min_value=0, max_value=99_999)
    batch = kept(st.select_slider, "batch size", "gan2d_batch", 256, options=[64, 128, 256, 512])
    cfg = toy2d.Toy2DConfig(g_depth=g_depth, g_width=g_width, d_depth=d_depth, d_width=d_width,
                            g_lr=g_lr, d_lr=d_lr, optimizer=optimizer, d_steps=d_steps,
                            g_steps=g_steps, loss=loss, noise_dim=int(noise_dim),
                            batch_size=int(batch), seed=int(seed))
    return cfg, dataset


def _load_points(dataset: str) -> tuple[data2d.Points2D | None, str]:
    """The chosen data set and a key that identifies it (a hash for uploads)."""
    if dataset != UPLOAD:
        return _builtin_points(dataset), dataset
    up = st.file_uploader("CSV with two numeric columns, x and y (a header row is optional)",
                          type=["csv", "txt"], key="gan2d_upload")
    st.download_button("Example CSV (a spiral)", _example_csv(), "spiral_points.csv", "text/csv",
                       key="gan2d_example")
    if up is not None:
        st.session_state.gan2d_upload_kept = (up.name, up.getvalue())  # survives a tab switch
    elif "gan2d_upload_kept" in st.session_state:
        st.caption(f"Using {st.session_state.gan2d_upload_kept[0]}, uploaded before; upload "
                   "another file to replace it.")
    else:
        st.info("Upload a CSV to train on your own points, or pick a built-in data set.")
        return None, ""
    data = st.session_state.gan2d_upload_kept[1]
    return (_uploaded_points(data, float(settings.max_upload_mb), settings.max_csv_rows),
            "upload:" + hashlib.sha256(data).hexdigest())


def _current_gan(cfg: toy2d.Toy2DConfig, points: data2d.Points2D, data_key: str) -> toy2d.Toy2DGAN:
    """The session's GAN: kept while the settings stay the same, rebuilt when they change."""
    ss = st.session_state
    key = (cfg, data_key)
    reset = ss.pop("gan2d_reset", False)
    if ss.get("gan2d_key") != key or reset:
        _stop_live()
        first_visit = "gan2d_key" not in ss
        if first_visit and cfg == toy2d.Toy2DConfig() and data_key in data2d.DATASETS:
            ss.gan2d_gan = _warm_start(data_key, WARM_STEPS).clone()
        else:
            ss.gan2d_gan = toy2d.Toy2DGAN(cfg, points)
        ss.gan2d_key = key
    return ss.gan2d_gan


def _live_view(limit: int) -> None:
    """The numbers and the points chart of the 2D GAN. While playing, a background
    thread trains (toy2d.LiveRun) and this fragment reruns on a timer to draw the
    latest state; the rest of the page stays as it is."""
    with friendly_errors("the 2D GAN"):  # fragment reruns do not pass through the page's
        _draw_points(limit)


def _live_history() -> None:
    """The loss and coverage curves: a fragment of their own that refreshes less often
    while playing (each frame costs the browser time; these change slowly)."""
    with friendly_errors("the 2D GAN"):
        _draw_history()


def _gan_lock():
    run = st.session_state.get("gan2d_run")
    return run.lock if run is not None else contextlib.nullcontext()


def _draw_points(limit: int) -> None:
    ss = st.session_state
    gan: toy2d.Toy2DGAN = ss.gan2d_gan
    run: toy2d.LiveRun | None = ss.get("gan2d_run")
    if run is not None and not run.running:  # the thread stopped: step limit or an error
        _stop_live()
        if run.error is not None:
            raise run.error
        st.rerun(scope="app")  # redraw the buttons too
    # 1. read one consistent state (training waits for this lock between chunks)
    with _gan_lock(), one_thread():
        fig = charts.live_points_figure(gan)
        cov, h, step = gan.last_coverage, gan.history, gan.step
        d_loss = f"{h.d_loss[-1]:.3f}" if h.d_loss else "–"
        g_loss = f"{h.g_loss[-1]:.3f}" if h.g_loss else "–"
        if run is not None:
            run.drawn(step)  # training may now go on to the next frame
    # 2. draw it
    m = st.columns(4)
    m[0].metric("step", f"{step:,}")
    m[1].metric("D loss", d_loss)
    m[2].metric("G loss", g_loss)
    m[3].metric(cov.coverage_label, cov.short, help=cov.detail)
    # the same key at every frame: the browser updates the chart in place
    st.plotly_chart(fig, width="stretch", key="gan2d_fig_points")
    if step >= limit:
        st.info(f"Reached the limit of {limit:,} steps (PLAYGROUND_MAX_TRAINING_STEPS). "
                "Press Reset to start again.")
    elif step == 0:
        st.caption("Step 0: the generator is untrained. Press Play or Step.")
    elif step == WARM_STEPS and "gan2d_touched" not in ss:
        st.caption(f"Shown after {WARM_STEPS} training steps with the default settings. "
                   "Press Play to continue, or Reset to watch from step 0.")


def _draw_history() -> None:
    gan: toy2d.Toy2DGAN = st.session_state.gan2d_gan
    with _gan_lock():
        losses, coverage = charts.live_history_figures(gan)
    lc, cc = st.columns(2)
    lc.plotly_chart(losses, width="stretch", key="gan2d_fig_losses")
    cc.plotly_chart(coverage, width="stretch", key="gan2d_fig_coverage")


def _play() -> None:
    st.session_state.gan2d_playing = True  # the script starts the training thread
    st.session_state.gan2d_touched = True


def _stop_live() -> None:
    """Pause: stop the training thread (after its current chunk) and forget it."""
    run = st.session_state.pop("gan2d_run", None)
    if run is not None:
        run.stop()
    st.session_state.gan2d_playing = False


def _request_reset() -> None:
    _stop_live()
    st.session_state.gan2d_reset = True


def live_2d_tab() -> None:
    left, right = st.columns([1, 2.4], gap="medium")
    with left, st.container(border=True):
        cfg, dataset = _settings_panel()
    with right:
        points = None
        with friendly_errors("loading the points"):
            points, data_key = _load_points(dataset)
        if points is None:
            return
        gan = _current_gan(cfg, points, data_key)
        limit = settings.max_training_steps
        playing = st.session_state.get("gan2d_playing", False)
        b = st.columns(5)
        b[0].button("Play", key="gan2d_play", icon=":material/play_arrow:", type="primary",
                    disabled=playing or gan.step >= limit, on_click=_play, width="stretch")
        b[1].button("Pause", key="gan2d_pause", icon=":material/pause:", disabled=not playing,
                    on_click=_stop_live, width="stretch")
        step_one = b[2].button("Step", key="gan2d_step", icon=":material/skip_next:",
                               disabled=playing or gan.step >= limit, width="stretch",
                               help="One training step: the discriminator's updates, then the generator's")
        step_100 = b[3].button("+100", key="gan2d_step100", disabled=playing or gan.step >= limit,
                               width="stretch", help="100 training steps")
        b[4].button("Reset", key="gan2d_reset_btn", icon=":material/restart_alt:",
                    on_click=_request_reset, width="stretch", help="Back to step 0 with new weights from the seed")
        per_frame = kept(st.select_slider, "Training steps per frame", "gan2d_per_frame", 50,
                         options=[1, 5, 25, 50, 100, 250],
                         help="Slow motion at 1, fast forward at 250. Each frame is drawn when "
                              "your browser asks for it (about 3 a second).")
        if step_one or step_100:
            st.session_state.gan2d_touched = True
            gan.train(min(1 if step_one else 100, limit - gan.step))
        if playing and "gan2d_run" not in st.session_state:
            st.session_state.gan2d_run = toy2d.LiveRun(gan, limit, per_frame)
        if playing:
            st.session_state.gan2d_run.ahead = per_frame  # the slider works while playing
        st.fragment(_live_view, run_every=FRAME_EVERY_S if playing else None)(limit)
        st.fragment(_live_history, run_every=HISTORY_EVERY_S if playing else None)()
        st.markdown(
            "**Reading the chart.** Green: real points. Purple: the generator's output for "
            "the same 512 noise vectors at every step, so you see it move. Background: "
            + {"nonsaturating": "the discriminator's probability that a location is real "
                                "(blue = real, red = generated).",
               "least_squares": "the discriminator's score (1 = real, 0 = generated).",
               "wgan_gp": "the critic's score (higher = more real; only differences matter)."}[cfg.loss]
            + " Orange arrows: the direction each generated point is pushed by the generator's "
            "loss, −∂L_G/∂x (scaled for display). "
            + ("Dotted circles: 3σ around each mode. A mode counts as *covered* when at least a "
               "quarter of its fair share (1/K) of 1,000 generated samples lands inside its circle; "
               "the dotted line is the share of samples inside any circle."
               if points.is_mixture else
               "*Coverage* (Naeem et al. 2020): the share of real points whose 5-nearest-neighbour "
               "ball holds a generated sample; the dotted line (*precision*) is the share of "
               "generated samples inside some real point's ball.")
        )


# ---- tab 2: the digits DCGAN -----------------------------------------------------------

def digits_tab() -> None:
    gen, card = _generator()
    st.markdown(
        f"A class-conditional DCGAN with {sum(p.numel() for p in gen.parameters()):,} generator "
        f"parameters, trained by this project on the 1,797 8x8 digits that ship with "
        f"scikit-learn ({card['training']['epochs']} epochs, {card['training']['seconds']:.0f} s "
        f"on {card['training']['threads']} thread of a shared CPU; script "
        f"`playground/gan/train_digits.py`). Each sample is checked by an "
        f"SVM trained on the real digits ({holdout_accuracy():.0%} accurate on real digits it "
        f"never saw); red captions mark samples it reads as another digit."
    )
    a, b = st.columns(2)
    seed = kept(a.number_input, "noise seed", "gan_digits_seed", 0, min_value=0, max_value=99_999)
    per_class = kept(b.slider, "samples per digit", "gan_digits_per_class", 8, min_value=4,
                     max_value=12)
    grid = digits.sample_grid(gen, per_class, int(seed))  # (10, P, 8, 8)
    verdict = classify_digits(grid.reshape(-1, 8, 8)).reshape(10, per_class)
    wrong = verdict != np.arange(10)[:, None]
    st.plotly_chart(charts.digits_figure(grid, [str(i) for i in range(10)], None, verdict, wrong),
                    width="content", key="gan_digits_grid")
    st.caption(f"The classifier agrees with the requested digit on {1 - wrong.mean():.0%} of these "
               f"{wrong.size} samples (chance: 10%). Each column uses one noise vector for all ten "
               "digits: the noise carries the style, the class input the identity.")

    st.subheader("Walk through the latent space")
    label = int(kept(st.segmented_control, "digit", "gan_digits_label", 3, options=list(range(10)),
                     required=True))
    dirs = _directions(label)
    st.markdown(
        "The noise z has 16 numbers. Which way to move it? For 128 random z the page computes "
        "the Jacobian J = ∂G(z)/∂z (how each of the 64 pixels responds to each noise number) "
        "and the eigenvectors of the average JᵀJ: the **principal directions**, ordered by how "
        "much they change the image. Here are the three strongest and, for contrast, the "
        "weakest (16). The number after each slider is the RMS pixel change per unit step "
        "along that direction (pixels range 0 to 1). In a small generator like this one the "
        "directions mix stroke thickness, slant and shape; no one of them is \"slant\"."
    )
    shown = (0, 1, 2, 15)
    sl, im = st.columns([2, 1])
    with sl:
        amounts = {k: kept(st.slider, f"direction {k + 1} · {dirs.strengths[k]:.3f} per unit",
                           f"gan_digits_dir{k}", 0.0, min_value=-3.0, max_value=3.0, step=0.25)
                   for k in shown}
    moved = digits.move_along(gen, int(seed), label, dirs, amounts)
    with im:
        said = classify_digits(moved[None])[0]
        st.plotly_chart(charts.digits_figure(moved[None, None], captions=np.array([[f"read as {said}"]]),
                                             wrong=np.array([[said != label]]), cell_px=200),
                        width="content", key="gan_digits_moved")
    strips = digits.direction_strips(gen, int(seed), label, dirs, shown)
    st.plotly_chart(charts.digits_figure(strips, [f"dir {k + 1}" for k in shown],
                                         ["−3", "−1.5", "0", "+1.5", "+3"]),
                    width="content", key="gan_digits_strips")

    st.subheader("Interpolate between two seeds")
    c = st.columns(4)
    seed_a = kept(c[0].number_input, "seed A", "gan_digits_seed_a", 1, min_value=0, max_value=99_999)
    seed_b = kept(c[1].number_input, "seed B", "gan_digits_seed_b", 2, min_value=0, max_value=99_999)
    label_a = kept(c[2].selectbox, "digit A", "gan_digits_label_a", 3, options=list(range(10)))
    label_b = kept(c[3].selectbox, "digit B", "gan_digits_label_b", 8, options=list(range(10)))
    path = digits.interpolate(gen, int(seed_a), int(seed_b), int(label_a), int(label_b), steps=9)
    said = classify_digits(path)
    st.plotly_chart(charts.digits_figure(path[None], captions=said[None]), width="content",
                    key="gan_digits_interp")
    st.caption("The noise moves along the sphere where Gaussian noise lives (spherical "
               "interpolation); with two different digits the class input blends too. "
               "Captions: what the classifier reads.")


# ---- tab 3: how this toy differs from large image GANs -------------------------------

def scale_tab() -> None:
    n_params = sum(p.numel() for p in _generator()[0].parameters())
    st.markdown(
        f"""
The ideas on this page are the ones large GANs use; the scale and the tricks are not.

| | this page's digits GAN | StyleGAN2 (faces, 2020) |
|---|---|---|
| images | 1,797 digits, 8x8 pixels, gray | 70,000 photos (FFHQ), 1024x1024, colour |
| generator | 4 layers, {n_params:,} parameters | about 30 million parameters, 18 style inputs |
| training | minutes on a laptop CPU | days on 8 data-centre GPUs |
| how quality is judged | a digit classifier agrees with the requested class | FID: distance between Inception-network features of real and generated images |

* **StyleGAN does not feed z straight into the image network.** An 8-layer *mapping
  network* turns z into a style vector w, which modulates the convolutions at every
  resolution; extra per-pixel noise adds detail such as hair. Its latent directions
  (GANSpace, Härkönen et al. 2020) often match one attribute each (pose, age, light);
  here, with 64 pixels, the principal directions mix thickness, slant and shape.
* **Big GANs need many stabilisers**: R1 gradient penalties, adaptive data
  augmentation, minibatch statistics, exponential moving averages of the weights, the
  *truncation trick* (sampling z closer to 0 for cleaner but less varied images).
  The digits GAN here uses only a weight average and spectral normalisation (which
  BigGAN also uses).
* **Mode collapse gets harder to see.** On 2D points you can count the modes; on
  faces, a GAN that drops a kind of face still looks fine sample by sample. Its cost
  shows up only in diversity measures (FID, precision and recall).
* **Today most image generators are diffusion models** (next page), which cover the
  data more completely and train more stably. GANs live on where one fast step
  matters: super-resolution, real-time generation, and as the adversarial loss that
  sharpens autoencoders and distilled one-step diffusion models.
"""
    )


if tab_2d.open:
    with tab_2d, friendly_errors("the 2D GAN"):
        live_2d_tab()
else:
    _stop_live()  # training runs only while you watch it
if tab_digits.open:
    with tab_digits, friendly_errors("the digits GAN"):
        digits_tab()
if tab_scale.open:
    with tab_scale:
        scale_tab()
