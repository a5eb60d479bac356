"""Finished results, shared read-only by every session of the process.

A sweep or a probe-set run takes minutes on a CPU; when a whole class presses Run with
the same settings, the work should happen once. The store keeps finished results by
everything that made them (model, precision, settings, input texts), least recently used
dropped first. Only immutable values go in (tuples of frozen dataclasses), so a session
that reads one cannot change what another sees.

Work under way is shared too (:meth:`ResultStore.run_once`): a session that presses Run
while another session computes the same key follows that run's results as they come
instead of computing them a second time, and takes the work over if that run is stopped.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Flight:
    """One run under way: the results so far, and whether its session still runs it."""

    items: list = field(default_factory=list)
    active: bool = True


_DONE, _STOPPED = object(), object()  # the last entry of a finished or stopped flight


class ResultStore:
    def __init__(self, size: int = 32):
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._flights: dict[Hashable, _Flight] = {}
        self._changed = threading.Condition(self._lock)

    def get(self, key: Hashable) -> Any:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Hashable, value: Any) -> None:
        if not isinstance(value, tuple):
            raise TypeError("store tuples (of frozen dataclasses): values are shared read-only")
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def run_once(self, key: Hashable, have: tuple, work: Callable[[tuple], Iterator[Any]],
                 on_follow: Callable[[], None] | None = None, poll_s: float = 0.5) -> Iterator[Any]:
        """Yield the results of ``key`` that ``have`` lacks, computing each only once per process.

        ``work(done)`` yields the results missing from the tuple ``done``. With no run of
        ``key`` under way, this session runs it and publishes each result as it comes. With
        one under way, it follows that run (``on_follow`` is called once) and yields its new
        results; when that run ends complete it returns, and when it was stopped (its
        session moved on), this session continues the work from everything seen so far.
        Stopping this generator (Streamlit's rerun) ends this session's part only."""
        seen = list(have)
        while True:
            with self._lock:
                flight = self._flights.get(key)
                if flight is None or not flight.active:
                    flight = _Flight(items=list(seen))
                    self._flights[key] = flight
                    owner = True
                else:
                    owner = False
            if owner:
                complete = False
                try:
                    for item in work(tuple(seen)):
                        with self._changed:
                            flight.items.append(item)
                            self._changed.notify_all()
                        seen.append(item)
                        yield item
                    complete = True
                finally:
                    with self._changed:
                        flight.active = False
                        flight.items.append(_DONE if complete else _STOPPED)
                        if self._flights.get(key) is flight:
                            del self._flights[key]
                        self._changed.notify_all()
                return
            if on_follow is not None:
                on_follow()
                on_follow = None
            index, ended = 0, None
            while ended is None:
                with self._changed:
                    while index == len(flight.items):
                        self._changed.wait(poll_s)
                    new = flight.items[index:]
                    index = len(flight.items)
                for item in new:
                    if item is _DONE or item is _STOPPED:
                        ended = item
                        break
                    if item not in seen:
                        seen.append(item)
                        yield item
            if ended is _DONE:
                return
            # the run we followed was stopped: take the rest over

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
