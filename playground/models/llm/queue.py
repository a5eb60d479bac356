"""One queue in front of the shared model: fair order, batching, a timeout, "n ahead".

Every session's model call (a next-token distribution, one generation step, a scoring
batch, a trace) waits here for its turn:

* **Fair order.** Requests are served first come, first served (a plain semaphore wakes
  waiters in any order, so a busy session could starve another).
* **Batching.** Next-token requests that wait together are answered by one forward pass:
  the request whose turn it is takes up to ``max_batch`` others of its kind from the
  queue and runs them as one padded batch. When the model is idle, the first request
  waits ``gather_s`` (a few ms) so that requests sent at the same moment (a class pressing
  Enter together) share that pass.
* **Bounded waits.** A request that waits longer than ``PLAYGROUND_LLM_WAIT_S`` leaves the
  queue with a "busy" message instead of hanging.
* **"n ahead".** While a request waits, the callback set with :func:`report_waits_to`
  (per thread, so per Streamlit session) hears how many requests are ahead of it.

Long work takes one turn per forward pass (generation: one per token), so it never
holds the model while other sessions wait for a whole completion.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from playground.errors import ModelBusyError

WaitCallback = Callable[[int], None]  # called with the number of requests ahead
_local = threading.local()


@contextmanager
def report_waits_to(callback: WaitCallback | None) -> Iterator[None]:
    """Model calls made by this thread inside the block report their place in the queue
    to ``callback`` (with 0 once their turn comes, if they had to wait)."""
    before = getattr(_local, "callback", None)
    _local.callback = callback
    try:
        yield
    finally:
        _local.callback = before


@dataclass(eq=False)
class _Ticket:
    kind: str  # requests of the same non-empty kind may share one batch
    payload: Any = None
    result: Any = None
    error: BaseException | None = None
    taken: bool = False  # taken into another request's batch, not answered yet
    served: bool = False  # answered inside another request's batch
    arrived: float = field(default_factory=time.perf_counter)


class ModelQueue:
    def __init__(self, slots: int = 1, wait_s: float = 120.0, gather_s: float = 0.004, max_batch: int = 16):
        self.slots = max(1, int(slots))
        self.wait_s = float(wait_s)
        self.gather_s = float(gather_s)
        self.max_batch = max(1, int(max_batch))
        self._cond = threading.Condition()
        self._queue: deque[_Ticket] = deque()
        self._running = 0
        self.batches = 0  # forward passes run for batched requests (tests and benchmarks read them)
        self.batched_requests = 0

    # -- waiting for a turn ------------------------------------------------------------------

    def waiting(self) -> int:
        with self._cond:
            return len(self._queue)

    def _wait_turn(self, ticket: _Ticket) -> bool:
        """Block until ``ticket`` may run (True) or was answered in another batch (False).
        Called with the condition held; leaves it held."""
        callback = getattr(_local, "callback", None)
        deadline = time.perf_counter() + self.wait_s
        told = None
        while True:
            if ticket.served:
                return False
            if ticket.taken:  # its batch is running: the answer comes soon
                self._cond.wait(timeout=0.25)
                continue
            if self._queue[0] is ticket and self._running < self.slots:
                self._queue.popleft()
                self._running += 1
                if told:  # it had to wait: say the turn has come
                    self._tell(callback, 0)
                return True
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                self._queue.remove(ticket)
                self._cond.notify_all()
                raise ModelBusyError(
                    f"The language model stayed busy with other requests for {self.wait_s:.0f} s. "
                    "Wait a moment and try again.")
            ahead = self._queue.index(ticket) + self._running
            if callback is not None and ahead != told and ahead > 0:
                told = ahead
                self._tell(callback, ahead)
            self._cond.wait(timeout=min(remaining, 0.25))

    def _tell(self, callback: WaitCallback | None, ahead: int) -> None:
        if callback is None:
            return
        self._cond.release()  # never call out (Streamlit drawing) while holding the queue
        try:
            callback(ahead)
        except Exception:  # noqa: BLE001 - a failing notice must not break the model call
            pass
        finally:
            self._cond.acquire()

    def _done(self) -> None:
        with self._cond:
            self._running -= 1
            self._cond.notify_all()

    # -- the two ways in ---------------------------------------------------------------------------

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold the model for one piece of work, in arrival order."""
        ticket = _Ticket(kind="")
        with self._cond:
            self._queue.append(ticket)
            self._wait_turn(ticket)
        try:
            yield
        finally:
            self._done()

    def batched(self, kind: str, payload: Any, run: Callable[[Sequence[Any]], Sequence[Any]]) -> Any:
        """Answer ``payload`` with ``run([payloads...])[i]``, in one batch with other waiting
        requests of the same ``kind``."""
        ticket = _Ticket(kind=kind, payload=payload)
        with self._cond:
            idle = not self._queue and self._running == 0
            self._queue.append(ticket)
            if not self._wait_turn(ticket):
                return _answer(ticket)
        try:
            if idle and self.gather_s > 0:
                time.sleep(self.gather_s)  # let requests sent at the same moment join
            with self._cond:
                batch = [ticket] + [t for t in self._queue if t.kind == kind][: self.max_batch - 1]
                for t in batch[1:]:
                    self._queue.remove(t)
                    t.taken = True
            try:
                results = run([t.payload for t in batch])
                for t, result in zip(batch, results, strict=True):
                    t.result = result
            except BaseException as exc:  # noqa: BLE001 - every request of the batch hears it
                for t in batch:
                    t.error = exc
            with self._cond:
                self.batches += 1
                self.batched_requests += len(batch)
                for t in batch[1:]:
                    t.served = True
            return _answer(ticket)
        finally:
            self._done()


def _answer(ticket: _Ticket) -> Any:
    if ticket.error is not None:
        raise ticket.error
    return ticket.result
