"""Seeded networks without torch's global random generator.

Every browser session runs on its own thread of one Python process, and torch has one
global random generator for the whole process. ``torch.manual_seed(seed)`` followed by
building a network is therefore not reproducible while serving: another session can
reseed the generator, or draw from it, between the seed and the draws (and
``torch.random.fork_rng`` does not help: it saves and restores the state around the
block, but other threads share the generator inside it). So nothing in the app touches
the global generator: every draw takes its own ``torch.Generator``.

A layer draws its initial weights from the global generator as soon as it is
constructed (``nn.Linear(...)`` calls ``nn.init.kaiming_uniform_(weight)`` with no
generator). ``build(factory, seed)`` runs ``factory()`` under a torch function mode
that hands ``torch.Generator().manual_seed(seed)`` to every torch random function
called without a generator (all of them accept one except dropout, which building a
network never runs). The mode belongs to the calling thread only, and the layers'
own initialisation code runs unchanged in its usual order, so the network gets
exactly the values that ``torch.manual_seed(seed)`` followed by ``factory()`` gave
(tests/test_seeding.py checks this for every network of the app): seeded results
and the shipped weights' training runs did not change.

``load(factory, state_dict)`` builds a network straight from saved weights, drawing
nothing at all (the layers are built on the "meta" device, which has shapes but no
values, then take the saved tensors).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import TypeVar

import torch
from torch.overrides import TorchFunctionMode

M = TypeVar("M")

# random functions implemented in C, whose signature Python cannot read
_RANDOM_BUILTINS = frozenset({
    torch.Tensor.uniform_, torch.Tensor.normal_, torch.Tensor.random_, torch.Tensor.bernoulli_,
    torch.Tensor.exponential_, torch.Tensor.cauchy_, torch.Tensor.log_normal_,
    torch.Tensor.geometric_,
    torch.rand, torch.randn, torch.randint, torch.randperm, torch.normal, torch.bernoulli,
    torch.multinomial, torch.poisson, torch.rand_like, torch.randn_like, torch.randint_like,
})


@functools.cache
def _draws(func) -> bool:
    """Does ``func`` draw random numbers (it takes a ``generator`` argument)?"""
    if func in _RANDOM_BUILTINS:
        return True
    try:
        return "generator" in inspect.signature(func).parameters  # nn.init.*, for example
    except (TypeError, ValueError):
        return False


class _SeededDraws(TorchFunctionMode):
    """Inside ``with _SeededDraws(g):``, on this thread, torch functions that draw
    random numbers without a generator draw from ``g`` instead of the global one."""

    def __init__(self, generator: torch.Generator):
        super().__init__()
        self.generator = generator

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        if kwargs.get("generator") is None and _draws(func):
            kwargs["generator"] = self.generator
        return func(*args, **kwargs)


def build(factory: Callable[[], M], seed: int) -> M:
    """``factory()``'s network with the initial weights that ``torch.manual_seed(seed)``
    would have given it, without touching torch's global random generator."""
    with _SeededDraws(torch.Generator().manual_seed(int(seed))):
        return factory()


def load(factory: Callable[[], M], state_dict: Mapping[str, torch.Tensor]) -> M:
    """``factory()``'s network holding the saved weights; nothing is drawn at random
    (and no time is spent on initial values that would be overwritten)."""
    with torch.device("meta"):  # per thread, like the mode above
        module = factory()
    module.load_state_dict(state_dict, assign=True)  # strict: every tensor must be there
    left = [n for n, t in [*module.named_parameters(), *module.named_buffers()] if t.is_meta]
    if left:
        raise ValueError(f"the saved weights lack {left}")
    return module
