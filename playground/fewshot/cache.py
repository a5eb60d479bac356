"""Results cached by their real inputs, shared by every session of the process.

A method's result depends on the task's content, the method and its settings, the number
of labelled examples, the seed and the model (name and precision); the cache key is
exactly that tuple. Running the same point twice, from any session, costs nothing the
second time. Values are immutable (frozen dataclasses whose arrays are read-only), so
sharing them is safe. Least recently used entries go first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


class ResultCache:
    def __init__(self, size: int = 128):
        self.size = size
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key: Hashable, value: T) -> T:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value, or ``compute()`` (run outside the lock; an interrupted
        computation stores nothing)."""
        found = self.get(key)
        if found is not None:
            return found  # type: ignore[return-value]
        return self.put(key, compute())

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


RESULTS = ResultCache(256)  # method results (small: predictions and numbers)
FEATURES = ResultCache(8)  # embeddings / hidden states of a task's texts (a few MB each)
