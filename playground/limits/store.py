"""Finished results, shared read-only by every session of the process.

A sweep or a probe-set run takes minutes on a CPU; when a whole class presses Run with
the same settings, the work should happen once. The store keeps finished results by
everything that made them (model, precision, settings, input texts), least recently used
dropped first. Only immutable values go in (tuples of frozen dataclasses), so a session
that reads one cannot change what another sees.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class ResultStore:
    def __init__(self, size: int = 32):
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

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

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
