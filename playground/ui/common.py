"""Widgets every page shares: the intro with "try this" experiments, error display
that never shows a traceback, and a progress bar with a time estimate."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import streamlit as st

from playground.errors import ModelBusyError, UserInputError
from playground.ui import teacher

T = TypeVar("T")
log = logging.getLogger("playground")


def page_intro(title: str, what: str, try_this: list[str]) -> None:
    """Title, a few sentences on what the page shows, and 2-3 experiments."""
    st.title(title)
    st.markdown(what)
    with st.expander("Try this", icon=":material/science:"):
        for item in try_this:
            st.markdown(f"- {item}")


@contextlib.contextmanager
def friendly_errors(what: str = "this step") -> Iterator[None]:
    """Show bad input as a clear message and anything unexpected without a
    traceback; what the page already drew stays on screen.

    Streamlit's own control-flow exceptions (rerun, stop) pass through."""
    try:
        yield
    except UserInputError as exc:
        st.error(str(exc), icon=":material/error:")
    except ModelBusyError as exc:
        st.warning(str(exc), icon=":material/hourglass_top:")
    except Exception as exc:  # noqa: BLE001 - the last line of defence on screen
        if type(exc).__module__.startswith("streamlit"):
            raise
        log.exception("error in %s", what)
        st.error(
            f"Something went wrong in {what}: {type(exc).__name__}: {exc}. "
            "Change a setting and try again; the details are in the server log.",
            icon=":material/error:",
        )


def track(items: Iterable[T], total: int, label: str) -> Iterator[T]:
    """Iterate with a progress bar and a time estimate. Streamlit stops the loop
    cleanly when the user changes a widget (the script reruns)."""
    bar = st.progress(0.0, text=label)
    start = time.perf_counter()
    last = 0.0
    try:
        for i, item in enumerate(items, start=1):
            yield item
            now = time.perf_counter()
            if now - last > 0.1 or i == total:
                last = now
                elapsed = now - start
                eta = elapsed / i * (total - i)
                bar.progress(min(i / max(total, 1), 1.0),
                             text=f"{label}: {i}/{total} · {elapsed:.1f} s, about {eta:.0f} s left")
    finally:
        bar.empty()


def kept(widget: Callable, label: str, key: str, default, **kwargs):
    """A widget whose value survives while it is not drawn.

    Lazy tabs draw only the open tab's widgets, and Streamlit forgets the state
    of widgets that were not drawn, so the value is also kept under a second key
    and put back when the widget comes back."""
    store = f"_kept_{key}"
    options = kwargs.get("options")
    if key not in st.session_state:
        value = st.session_state.get(store, default)
        if options is not None and value not in list(options):
            value = default if default in list(options) else list(options)[0]
        st.session_state[key] = value
    value = teacher.control(widget, label, key=key, default=default, **kwargs)
    st.session_state[store] = value
    return value


def forget(key: str) -> None:
    """Drop a kept widget value (its options changed, e.g. a new upload)."""
    st.session_state.pop(key, None)
    st.session_state.pop(f"_kept_{key}", None)
