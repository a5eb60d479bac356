"""A per-session limit on heavy actions (generating text, training, sampling images).

On a shared class server one student pressing Generate twenty times a minute slows
everybody down. ``PLAYGROUND_HEAVY_ACTIONS_PER_MINUTE`` (6 in the class profile, off on a
laptop) bounds how many heavy actions one browser session may start in any 60 seconds;
past it the page says how long to wait and keeps everything it already shows.
"""

from __future__ import annotations

import time

import streamlit as st

from playground.config import get_settings

WINDOW_S = 60.0
_KEY = "_heavy_actions"


def seconds_until_allowed(started: list[float], per_minute: int, now: float) -> float:
    """0 if another action may start now, else how many seconds until one may."""
    if per_minute <= 0:
        return 0.0
    recent = [t for t in started if now - t < WINDOW_S]
    if len(recent) < per_minute:
        return 0.0
    return WINDOW_S - (now - recent[-per_minute])


def allow_heavy(what: str) -> bool:
    """Count one heavy action of this session if the limit allows it; otherwise show why
    not and return False (the caller then skips the work)."""
    per_minute = get_settings().heavy_actions_per_minute
    now = time.monotonic()
    started = [t for t in st.session_state.get(_KEY, []) if now - t < WINDOW_S]
    wait = seconds_until_allowed(started, per_minute, now)
    if wait > 0:
        st.warning(f"This server allows {per_minute} heavy actions (generating, training) per student "
                   f"per minute, so that everybody's stay fast. {what.capitalize()} again in {wait:.0f} s; "
                   "everything on the page stays as it is.", icon=":material/hourglass_top:")
        st.session_state[_KEY] = started
        return False
    st.session_state[_KEY] = started + [now]
    return True
