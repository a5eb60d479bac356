"""A queue for fine-tuning runs: bounded memory, bounded concurrency, one run per session.

A full fine-tune of SmolLM2-135M holds its own fp32 copy of the model (540 MB) plus a
gradient and AdamW's two running averages for every weight: about 2.2 GB before
activations. Thirty students pressing "Train" together must not start thirty of those.
So every training run of this page asks this queue for a slot first:

* **memory**: a run states what it needs (:func:`playground.fewshot.measure.training_memory_mb`
  plus its activations); runs start only while the sum of the running ones stays within
  the budget. A run that alone needs more than the budget is refused with a message that
  says what to lower;
* **concurrency**: at most ``slots`` runs train at once (CPU cores are shared too);
* **fair order**: first come, first served; a waiting run hears how many are ahead;
* **one per session**: a session's new run waits until its own previous run has ended
  (Streamlit stops a session's old run when the user changes something; it ends at its
  next progress report).

The limits are settings: ``PLAYGROUND_FINETUNE_MEMORY_MB`` (default 4096) and
``PLAYGROUND_FINETUNE_SLOTS`` (default 1), see :func:`limits`.

Waiting is done in short naps, each followed by the ``on_wait`` callback; in the page
that callback draws "n ahead", and a rerun of the session stops the wait there.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from playground.errors import ModelBusyError, UserInputError

DEFAULT_MEMORY_MB = 4096.0  # all fine-tunes of the process together
DEFAULT_SLOTS = 1  # fine-tunes training at the same time
DEFAULT_WAIT_S = 600.0


@dataclass(eq=False)
class _Ticket:
    owner: str
    need_mb: float
    arrived: float = field(default_factory=time.perf_counter)


class TrainingQueue:
    def __init__(self, memory_mb: float = DEFAULT_MEMORY_MB, slots: int = DEFAULT_SLOTS,
                 wait_s: float = DEFAULT_WAIT_S):
        self.memory_mb = float(memory_mb)
        self.slots = max(1, int(slots))
        self.wait_s = float(wait_s)
        self._cond = threading.Condition()
        self._waiting: list[_Ticket] = []
        self._running: list[_Ticket] = []

    def configure(self, memory_mb: float, slots: int, wait_s: float | None = None) -> None:
        with self._cond:
            self.memory_mb, self.slots = float(memory_mb), max(1, int(slots))
            if wait_s is not None:
                self.wait_s = float(wait_s)
            self._cond.notify_all()

    @property
    def used_mb(self) -> float:
        with self._cond:
            return sum(t.need_mb for t in self._running)

    def running(self) -> int:
        with self._cond:
            return len(self._running)

    def waiting(self) -> int:
        with self._cond:
            return len(self._waiting)

    def _may_start(self, ticket: _Ticket) -> bool:
        if self._waiting[0] is not ticket:  # first come, first served
            return False
        if len(self._running) >= self.slots:
            return False
        if any(t.owner == ticket.owner for t in self._running):
            return False
        return sum(t.need_mb for t in self._running) + ticket.need_mb <= self.memory_mb

    @contextmanager
    def slot(self, owner: str, need_mb: float, what: str = "this fine-tune",
             on_wait: Callable[[int], None] | None = None, nap_s: float = 0.25) -> Iterator[None]:
        """Hold a training slot for the block; released on any exit (an error, a stop)."""
        if need_mb > self.memory_mb:
            raise UserInputError(
                f"{what.capitalize()} needs about {need_mb:,.0f} MB; this server allows {self.memory_mb:,.0f} MB "
                "for fine-tuning (PLAYGROUND_FINETUNE_MEMORY_MB). Use LoRA or the head only, fewer labelled "
                "examples, or a smaller batch.")
        ticket = _Ticket(owner, float(need_mb))
        deadline = time.perf_counter() + self.wait_s
        with self._cond:
            self._waiting.append(ticket)
        started = False
        try:
            while True:
                with self._cond:
                    if self._may_start(ticket):
                        self._waiting.remove(ticket)
                        self._running.append(ticket)
                        started = True
                        break
                    ahead = self._waiting.index(ticket) + len(self._running)
                    if time.perf_counter() > deadline:
                        raise ModelBusyError(
                            f"Fine-tuning is busy: {ahead} run(s) ahead of yours for over {self.wait_s:.0f} s. "
                            "Try again in a minute; the results already on the page stay.")
                if on_wait is not None:
                    on_wait(ahead)  # may raise (a Streamlit rerun): the finally below cleans up
                with self._cond:
                    self._cond.wait(nap_s)
            if on_wait is not None:
                on_wait(0)
            yield
        finally:
            with self._cond:
                if started:
                    self._running.remove(ticket)
                elif ticket in self._waiting:
                    self._waiting.remove(ticket)
                self._cond.notify_all()


TRAINING = TrainingQueue()


def _env_number(name: str, default: float, low: float) -> float:
    """A limit from the environment; a value that is not a number, or is below ``low``,
    keeps the default (a typo must not lift or zero the limit)."""
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw)
    except ValueError:
        return default
    return value if math.isfinite(value) and value >= low else default


def limits(settings=None) -> tuple[float, int]:
    """(memory budget in MB, concurrent runs) for fine-tuning: ``settings.finetune_memory_mb``
    and ``settings.finetune_slots`` when config.py defines them, else the environment's
    ``PLAYGROUND_FINETUNE_MEMORY_MB`` and ``PLAYGROUND_FINETUNE_SLOTS``, else the defaults."""
    memory = getattr(settings, "finetune_memory_mb", None)
    slots = getattr(settings, "finetune_slots", None)
    if memory is None:
        memory = _env_number("PLAYGROUND_FINETUNE_MEMORY_MB", DEFAULT_MEMORY_MB, 1)
    if slots is None:
        slots = _env_number("PLAYGROUND_FINETUNE_SLOTS", DEFAULT_SLOTS, 1)
    return float(memory), int(slots)


def configured(settings=None) -> TrainingQueue:
    """The process's queue with the limits of :func:`limits`."""
    TRAINING.configure(*limits(settings))
    return TRAINING
