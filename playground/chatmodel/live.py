"""Live training in a background thread: play, pause, stop, with a bound on how many
runs train at once in the process.

The page starts a :class:`LiveRun` with a *job*: a function that trains one stage and
calls ``tick()`` after every optimizer step. ``tick()`` is where the run pauses (it
waits while paused) and where it ends (it returns False after Stop, or when no browser
has looked at the run for ``idle_s`` seconds: the tab was closed). The page reads the
run's ``history`` on a timer (``st.fragment(run_every=...)``); each stage's step appends
to it, and the lists are copied before drawing.

Every run trains a session's own copy of a model, on one CPU thread
(:func:`playground.threads.one_thread`), never the shipped checkpoints.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from playground.threads import one_thread


class Slots:
    """At most ``limit`` live runs at once in the process; ``take`` never waits."""

    def __init__(self, limit: int):
        self.limit = max(1, int(limit))
        self._lock = threading.Lock()
        self._used = 0

    def take(self) -> bool:
        with self._lock:
            if self._used >= self.limit:
                return False
            self._used += 1
            return True

    def give(self) -> None:
        with self._lock:
            self._used = max(0, self._used - 1)

    @property
    def used(self) -> int:
        with self._lock:
            return self._used


SLOTS = Slots(2)


class LiveRun:
    """Run ``job(tick)`` in a daemon thread; ``run`` is the stage's run object (its
    ``history``, ``step_count``, ``total``), shown by the page while the job trains it."""

    def __init__(self, stage: str, run, job: Callable[[Callable[[], bool]], None], slots: Slots | None = None,
                 idle_s: float = 120.0):
        self.stage, self.run = stage, run
        self.idle_s = idle_s
        self.error: Exception | None = None
        self.stopped = False  # ended by Stop (or a closed tab) before its last step
        self.started_at = time.perf_counter()
        self._slots = slots
        self._stop = threading.Event()
        self._go = threading.Event()
        self._go.set()
        self._seen = time.monotonic()
        self._thread = threading.Thread(target=self._main, args=(job,), name=f"chatmodel-{stage}", daemon=True)
        self._thread.start()

    def _main(self, job) -> None:
        try:
            with one_thread():
                job(self.tick)
        except Exception as exc:  # noqa: BLE001 - the page shows it as a message
            self.error = exc
        finally:
            if self._slots is not None:
                self._slots.give()

    def tick(self) -> bool:
        """Called by the job after each step: waits while paused; False means stop now."""
        while not self._go.is_set() and not self._stop.is_set():
            if time.monotonic() - self._seen > self.idle_s:
                self._stop.set()
            self._go.wait(0.1)
        if time.monotonic() - self._seen > self.idle_s:
            self._stop.set()
        if self._stop.is_set():
            self.stopped = True
            return False
        return True

    def seen(self) -> None:
        """The page drew the run: it is still being watched."""
        self._seen = time.monotonic()

    def pause(self) -> None:
        self._go.clear()

    def resume(self) -> None:
        self.seen()
        self._go.set()

    def stop(self, wait_s: float = 30.0) -> None:
        self._stop.set()
        self._go.set()
        self._thread.join(timeout=wait_s)

    @property
    def paused(self) -> bool:
        return not self._go.is_set()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def progress(self) -> tuple[int, int, float | None]:
        """(steps done, steps in all, seconds left at the speed so far, or None)."""
        done, total = int(self.run.step_count), int(self.run.total)
        seconds = float(getattr(self.run.history, "seconds", 0.0))
        left = seconds / done * (total - done) if done >= 3 and seconds > 0 else None
        return done, total, left


def step_loop(run) -> Callable[[Callable[[], bool]], None]:
    """The job of a hand-written loop (pre-training, fine-tuning): step until done or told to stop."""
    def job(tick: Callable[[], bool]) -> None:
        while not run.done:
            run.step()
            if not tick():
                break
        run.model.eval()
    return job


def configured_slots(limit: int) -> Slots:
    """The process's slots with the limit of the settings (PLAYGROUND_CHATMODEL_LIVE_RUNS)."""
    with SLOTS._lock:
        SLOTS.limit = max(1, int(limit))
    return SLOTS
