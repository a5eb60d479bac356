"""No global random generator: every seeded result of the app is the same whatever
other threads do to torch's (and numpy's) global generators, and building a network
from a seed gives the values torch.manual_seed(seed) + construction gave."""

from __future__ import annotations

import ast
import contextlib
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from playground import seeding
from playground.diffusion import digits as dd
from playground.diffusion import points2d
from playground.diffusion.points2d import Denoiser
from playground.gan import data2d, toy2d
from playground.gan import digits as gd
from playground.gan import train_digits as gan_training
from playground.threads import one_thread

ROOT = Path(__file__).resolve().parent.parent

NETWORKS = {
    "diffusion UNet": lambda: dd.UNet2DModel(**dd.UNET_CONFIG),
    "2D denoiser": Denoiser,
    "DCGAN generator": lambda: gd.DigitsGenerator(gd.DigitsGANConfig()),
    "DCGAN discriminator (spectral norm)": lambda: gd.DigitsDiscriminator(gd.DigitsGANConfig()),
    "2D GAN G and D": lambda: nn.ModuleList([toy2d.mlp(2, 64, 2, 2), toy2d.mlp(2, 64, 2, 1)]),
}


def _the_old_way(factory, seed):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return factory()


def _assert_same_tensors(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k, v in a.items():
        assert torch.equal(v, b[k]), k


@pytest.mark.parametrize("name", NETWORKS)
@pytest.mark.parametrize("seed", [0, 7])
def test_build_gives_the_manual_seed_values_without_touching_the_global_generator(name, seed):
    factory = NETWORKS[name]
    expected = _the_old_way(factory, seed).state_dict()
    state = torch.get_rng_state()
    built = seeding.build(factory, seed)
    assert torch.equal(torch.get_rng_state(), state)  # nothing drawn from the global generator
    _assert_same_tensors(built.state_dict(), expected)


def test_load_draws_nothing_and_holds_the_saved_weights():
    saved = _the_old_way(NETWORKS["2D denoiser"], 3).state_dict()
    state = torch.get_rng_state()
    net = seeding.load(Denoiser, saved)
    assert torch.equal(torch.get_rng_state(), state)
    _assert_same_tensors(net.state_dict(), saved)
    net(torch.zeros(4, 2), torch.tensor(10)).sum().backward()  # real, trainable tensors
    with pytest.raises(RuntimeError, match="Missing key"):
        seeding.load(Denoiser, {k: v for k, v in saved.items() if not k.endswith("bias")})


@contextlib.contextmanager
def noisy_neighbour():
    """Another session on another thread that keeps reseeding and drawing from torch's
    and numpy's global generators."""
    stop = threading.Event()
    draws = [0]

    def loop():
        k = 0
        while not stop.is_set():
            k += 1
            torch.manual_seed(k)
            torch.randn(64)
            torch.nn.Linear(8, 8)  # default initialisation draws from the global generator
            np.random.seed(k % 2**32)
            np.random.rand(8)
            draws[0] += 1
            stop.wait(0.001)  # leave the GIL to the code under test now and then

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    try:
        yield draws
    finally:
        stop.set()
        t.join()


def _with_and_without_interference(run):
    """run() twice: alone after torch.manual_seed(123), then after torch.manual_seed(456)
    while a neighbour reseeds and draws. Returns both results."""
    torch.manual_seed(123)
    np.random.seed(123)
    alone = run()
    torch.manual_seed(456)
    np.random.seed(456)
    with noisy_neighbour() as draws:
        crowded = run()
    assert draws[0] > 0  # the neighbour did interfere
    return alone, crowded


def test_2d_gan_training_ignores_the_global_generators():
    ring = data2d.ring(seed=0)

    def run():
        gan = toy2d.Toy2DGAN(toy2d.Toy2DConfig(seed=4, loss="wgan_gp"), ring, eval_every=10)
        gan.train(30)
        return gan

    a, b = _with_and_without_interference(run)
    _assert_same_tensors(a.G.state_dict(), b.G.state_dict())
    _assert_same_tensors(a.D.state_dict(), b.D.state_dict())
    assert a.history.d_loss == b.history.d_loss and a.history.coverage == b.history.coverage
    np.testing.assert_array_equal(a.sample(100, seed=2), b.sample(100, seed=2))


def test_2d_diffusion_training_and_sampling_ignore_the_global_generators():
    def run():
        model = points2d.train("two moons", steps=60, seed=3)
        return model, points2d.sample(model, n=100, steps=10, sampler="DDPM", seed=1)

    (ma, pa), (mb, pb) = _with_and_without_interference(run)
    _assert_same_tensors(ma.net.state_dict(), mb.net.state_dict())
    assert ma.losses == mb.losses
    np.testing.assert_array_equal(pa, pb)


def test_digit_sampling_ignores_the_global_generators():
    model = dd.load_model()

    def run():  # DDPM draws fresh noise at every step
        return dd.sample(model, [3, 7], steps=8, guidance=2.0, sampler="DDPM", seed=5).final

    a, b = _with_and_without_interference(run)
    np.testing.assert_array_equal(a, b)


def test_digit_gan_training_ignores_the_global_generators():
    small = gd.DigitsGANConfig(g_channels=8, d_channels=8)

    def run():
        with one_thread():  # what train_digits' main does (--threads 1); two threads crawl here
            return gan_training.train(small, gan_training.TrainConfig(epochs=1, batch_size=256, seed=2))

    (ga, la), (gb, lb) = _with_and_without_interference(run)
    _assert_same_tensors(ga.state_dict(), gb.state_dict())
    assert la["d_loss"] == lb["d_loss"]


def test_diffusion_unet_is_built_from_its_seed_alone():
    with noisy_neighbour():
        unet = dd.build_unet(1)
    _assert_same_tensors(unet.state_dict(), _the_old_way(NETWORKS["diffusion UNet"], 1).state_dict())


# ---- what the app's code may call -----------------------------------------------------

GLOBAL_SEEDING = {("torch", "manual_seed"), ("torch", "seed"), ("torch.random", "manual_seed"),
                  ("torch.random", "seed"), ("np.random", "seed"), ("numpy.random", "seed"),
                  ("torch", "set_num_threads")}
NEEDS_A_GENERATOR = {"rand", "randn", "randint", "randperm", "multinomial", "normal", "bernoulli",
                     "normal_", "uniform_", "random_", "bernoulli_", "exponential_"}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return "?"


def _offences(path: Path) -> list[str]:
    found = []
    tree = ast.parse(path.read_text(), str(path))
    scripts = {n for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == "main"
               for n in ast.walk(f)}  # a command-line script's main may set its own threads
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner, name = _dotted(node.func.value), node.func.attr
        where = f"{path.relative_to(ROOT)}:{node.lineno}"
        if (owner, name) in GLOBAL_SEEDING and not (name == "set_num_threads" and node in scripts):
            found.append(f"{where} {owner}.{name}")
        elif owner == "np.random" and name not in {"default_rng", "Generator", "SeedSequence", "PCG64",
                                                   "RandomState"}:  # (seeded) generators of their own
            found.append(f"{where} np.random.{name} (numpy's global generator)")
        elif (name in NEEDS_A_GENERATOR and (owner in {"torch", "nn.init", "torch.nn.init", "init"}
                                              or name.endswith("_"))
              and not any(k.arg == "generator" for k in node.keywords)):
            found.append(f"{where} {owner}.{name} without generator=")
    return found


# The one place that reads and writes the global generators' states, and why: trl's
# DPOTrainer (transformers' Trainer) reseeds Python's, numpy's and torch's process-wide
# generators when it is built; the chat-model page's DPO run puts their states back after
# it (playground/chatmodel/dpo.py, _global_rng_kept). Nothing in the app draws from them.
ALLOWED = {("playground/chatmodel/dpo.py", "np.random.get_state"),
           ("playground/chatmodel/dpo.py", "np.random.set_state")}


def test_the_app_never_uses_a_global_generator_or_sets_torch_threads():
    files = sorted([*(ROOT / "playground").rglob("*.py"), *(ROOT / "pages").glob("*.py")])
    offences = [o for f in files for o in _offences(f)
                if (o.split(":")[0], o.split(" ")[1]) not in ALLOWED]
    assert not offences, "\n".join(offences)
