"""The sidebar every page shares: device, model settings and what is loaded."""

from __future__ import annotations

import streamlit as st

from playground.config import get_settings
from playground.devices import get_device
from playground.models import registry
from playground.ui import teacher


def render_sidebar() -> None:
    settings = get_settings()
    device = get_device()
    with st.sidebar:
        st.caption("Compute")
        st.markdown(f":material/memory: **{device.kind.upper()}**: {device.describe()}",
                    help=f"Precision {device.precision}: {device.why} (PLAYGROUND_DTYPE overrides it).")
        loaded = registry.loaded()
        if loaded:
            st.caption("Loaded models")
            for info in loaded:
                st.markdown(f"- {info.name} ({info.source}, {info.load_seconds:.1f} s)")
        if settings.allow_model_choice:
            from playground.ui.models import llm_setting

            llm_setting()
    teacher.panel()
