"""Streamlit helpers of the reinforcement-learning page: one store of finished
training runs shared by every session, so the same settings train only once."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import streamlit as st


@st.cache_resource
def _store() -> tuple[threading.Lock, OrderedDict]:
    return threading.Lock(), OrderedDict()


def recall(key: tuple) -> Any | None:
    """A finished result for these exact settings, or None."""
    lock, items = _store()
    with lock:
        if key in items:
            items.move_to_end(key)
            return items[key]
    return None


def remember(key: tuple, value: Any, max_items: int = 64) -> None:
    """Keep a finished result (the oldest go first once ``max_items`` are kept)."""
    lock, items = _store()
    with lock:
        items[key] = value
        items.move_to_end(key)
        while len(items) > max_items:
            items.popitem(last=False)
