"""Teacher mode: every page's settings live in its URL, so a link opens the page exactly
as it was set up, and a link can lock or hide chosen controls.

How it works, for a page author:

* Draw a control with :func:`control` (or :func:`playground.ui.common.kept`, which uses it)
  instead of calling the widget directly. On a run whose address carries a value for
  that control (``?smp_T=0.2``), the value is checked against the widget's own options
  or range *before* the widget is drawn, then used; a value that does not fit is ignored
  with a note that says what would have fit.
* After the page ran, :func:`sync_url` writes the current value of every control that
  differs from its default back into the address bar, so the address is always a link
  to what the student sees.
* ``?lock=smp_T,smp_top_k`` (or ``lock=all``) draws those controls disabled and holds
  them at the link's values; ``?hide=...`` does not draw them at all (they keep the
  link's value or the page's default).
* ``?preset=NAME`` applies one of the page's lesson presets (:func:`presets`), which are
  also offered in the sidebar.

A student can edit the address, so locks are a convenience for a lesson, not security.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import streamlit as st

RESERVED = ("lock", "hide", "preset")
MAX_TEXT_IN_URL = 500  # characters; longer texts are not put into the address
_RUN = "_teacher_run"  # this run's controls: key -> (label, default)
_APPLIED = "_teacher_applied"  # the address last applied or written, per page
_PRESETS = "_teacher_presets"  # this run's page presets


# -- reading the address ---------------------------------------------------------------------


def _names(param: str) -> set[str]:
    raw = st.query_params.get(param, "")
    return {name.strip() for name in raw.split(",") if name.strip()}


def locked(key: str) -> bool:
    names = _names("lock")
    return "all" in names or key in names


def hidden(key: str) -> bool:
    return key in _names("hide")


def _query_string() -> str:
    return urlencode(sorted(st.query_params.to_dict().items()))


def _page() -> str:
    return st.session_state.get("_teacher_page", "page")  # set by Home.py for every run


def set_page(url_path: str) -> None:
    """Home.py: which page this run shows (the address's settings are per page)."""
    st.session_state["_teacher_page"] = url_path or "home"


def _fresh_address() -> bool:
    """Does the address carry settings this session has not applied yet (a link was
    opened), rather than the ones this page wrote itself?"""
    return st.session_state.get(_APPLIED, {}).get(_page()) != _query_string()


def parse(raw: str, options: Sequence | None, low=None, high=None, like: Any = None) -> Any:
    """A value from the address, checked like the widget would check it.

    ``options``: the widget's choices (the raw text must equal one of them as text);
    otherwise the type of ``like`` (int, float, bool or str) and the range [low, high]."""
    if options is not None:
        for option in options:
            if str(option) == raw:
                return option
        try:  # numbers are written short in the address: 0.0 as "0", 1000.0 as "1000"
            number = float(raw)
        except ValueError:
            number = None
        for option in options:
            if (number is not None and isinstance(option, (int, float)) and not isinstance(option, bool)
                    and float(option) == number):
                return option
        shown = ", ".join(str(o) for o in list(options)[:12])
        raise ValueError(f"one of {shown}{' ...' if len(options) > 12 else ''}")
    if isinstance(like, bool):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError("true or false")
    if isinstance(like, int):
        try:
            value: Any = int(raw)
        except ValueError:
            raise ValueError("a whole number") from None
    elif isinstance(like, float):
        try:
            value = float(raw)
        except ValueError:
            raise ValueError("a number") from None
        if not math.isfinite(value):
            raise ValueError("a finite number")
    else:
        return raw
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"a number from {low} to {high}")
    return value


# -- drawing controls -------------------------------------------------------------------------


def control(widget: Callable, label: str, *args, key: str, default: Any = None, **kwargs) -> Any:
    """Draw ``widget(label, *args, key=key, **kwargs)`` under teacher mode and return its value.

    ``default`` is the page's default for the control (the address leaves it out when the
    value equals it); without it, the widget's own ``value`` / ``index`` / ``min_value``."""
    signature = inspect.signature(widget)
    bound = signature.bind_partial(label, *args, key=key, **kwargs)
    call = dict(bound.arguments)
    for name, param in signature.parameters.items():  # a wrapper's **kwargs: read them flat
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            call.update(call.pop(name, {}))
    options = call.get("options")
    options = list(options) if options is not None else None
    if default is None:
        if "value" in call and call["value"] is not None:
            default = call["value"]
        elif options:
            default = options[call.get("index", 0) or 0]
        elif "min_value" in call:
            default = call["min_value"]
    raw = st.query_params.get(key)
    set_now = False
    if raw is not None and (_fresh_address() or locked(key) or hidden(key)):
        like = st.session_state.get(key, default)
        try:
            st.session_state[key] = parse(raw, options, call.get("min_value"), call.get("max_value"), like)
            set_now = True
        except ValueError as why:
            st.warning(f"The link sets {label!r} to {raw[:40]!r}, but it takes {why}; the page keeps "
                       f"{st.session_state.get(key, default)!r}.", icon=":material/link_off:")
    elif hidden(key) and key not in st.session_state and default is not None:
        st.session_state[key] = default
    st.session_state.setdefault(_RUN, {})[key] = (label, default)
    if hidden(key):
        return st.session_state.get(key, default)
    kwargs = dict(kwargs)
    if locked(key):
        kwargs["disabled"] = True
    if set_now:  # the value was set above: a second default would draw Streamlit's warning
        for name in ("value", "index"):
            kwargs.pop(name, None)
            if name in bound.arguments and name in signature.parameters:
                position = list(signature.parameters).index(name) - 1  # label is first
                if 0 <= position < len(args):  # given by position: drop it and what follows
                    args, rest = args[:position], args[position + 1:]
                    names = list(signature.parameters)[position + 2:position + 2 + len(rest)]
                    kwargs.update(dict(zip(names, rest)))
    return widget(label, *args, key=key, **kwargs)


# -- writing the address ----------------------------------------------------------------------


def _encode(value: Any) -> str | None:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float, str)):
        text = f"{value:g}" if isinstance(value, float) else str(value)
        return text if len(text) <= MAX_TEXT_IN_URL else None
    return None  # lists, ranges, files: not put into the address


def sync_url() -> None:
    """Write this run's control values (those that differ from their defaults) into the
    address, keeping the lock / hide / preset parameters."""
    controls: dict[str, tuple[str, Any]] = st.session_state.pop(_RUN, {})
    if not controls:
        return
    params = {k: v for k, v in st.query_params.to_dict().items() if k in RESERVED and k != "preset"}
    for key, (_, default) in sorted(controls.items()):
        value = st.session_state.get(key)
        if value is None or value == default:
            continue
        encoded = _encode(value)
        if encoded is not None:
            params[key] = encoded
    if params != st.query_params.to_dict():
        st.query_params.from_dict(params)
    st.session_state.setdefault(_APPLIED, {})[_page()] = _query_string()
    st.session_state["_teacher_last_controls"] = controls


# -- presets and the teacher's panel ------------------------------------------------------------


def presets(page_presets: Mapping[str, Mapping[str, Any]]) -> None:
    """Offer the page's lesson presets (name -> control values) in the sidebar panel, and
    apply ``?preset=NAME`` from a link. Call it near the top of the page, before its controls."""
    st.session_state[_PRESETS] = dict(page_presets)
    name = st.query_params.get("preset")
    if name and _fresh_address():
        if name in page_presets:
            _apply(page_presets[name])
        else:
            st.warning(f"This page has no lesson preset {name[:40]!r}; it has: {', '.join(page_presets)}.",
                       icon=":material/link_off:")


def _apply(values: Mapping[str, Any]) -> None:
    for key, value in values.items():
        if not locked(key):
            st.session_state[key] = value


def _apply_chosen_preset() -> None:
    page_presets = st.session_state.get(_PRESETS, {})
    chosen = st.session_state.get("_teacher_preset_pick")
    if chosen in page_presets:
        _apply(page_presets[chosen])


def panel() -> None:
    """Sidebar: lesson presets, and a link to this page as set up, with chosen controls locked
    or hidden. Call it after the page ran."""
    controls: dict[str, tuple[str, Any]] = st.session_state.get("_teacher_last_controls", {})
    page_presets = st.session_state.get(_PRESETS, {})
    if not controls and not page_presets:
        return
    with st.sidebar.expander("Teacher: presets and links", icon=":material/school:"):
        if page_presets:
            st.selectbox("Lesson preset", list(page_presets), key="_teacher_preset_pick")
            st.button("Set the page up", key="_teacher_preset_apply", on_click=_apply_chosen_preset,
                      help="Sets the controls as the preset says; the address bar follows.")
        if controls:
            labels = {key: label for key, (label, _) in controls.items()}
            lock = st.multiselect("Lock in the link", list(labels), format_func=labels.get,
                                  key="_teacher_lock_pick",
                                  help="Students who open the link see these controls greyed out.")
            hide = st.multiselect("Hide in the link", list(labels), format_func=labels.get,
                                  key="_teacher_hide_pick")
            params = {k: v for k, v in st.query_params.to_dict().items() if k not in RESERVED}
            if lock:
                params["lock"] = ",".join(lock)
            if hide:
                params["hide"] = ",".join(hide)
            try:
                base = st.context.url.split("?", 1)[0]
            except Exception:  # noqa: BLE001 - AppTest has no URL
                base = ""
            st.caption("The address bar always holds this page's settings. Link for the class:")
            st.code(base + ("?" + urlencode(params) if params else ""), language=None, wrap_lines=True)
