"""Home: what AI, ML, deep learning and generative AI are, a card per page,
and a live status panel of the hardware and models."""

import streamlit as st

from playground.charts import ai_nesting_figure
from playground.devices import get_device
from playground.models import registry
from playground.pages import GROUPS, available_pages
from playground.ui.common import friendly_errors
from playground.ui.entry import run_through_navigation
from playground.ui.models import get_llm

run_through_navigation()
st.title("AI Playground")
st.markdown(
    "Learn AI by doing it. Every page runs a real model on your input, here, on this "
    "machine: move a slider and watch what changes. Nothing is pre-recorded."
)

left, right = st.columns([3, 2], vertical_alignment="center")
with left:
    st.plotly_chart(ai_nesting_figure(), width="stretch", config={"displayModeBar": False})
with right:
    st.markdown(
        "**Artificial intelligence** is any program that does something we would call "
        "intelligent: planning, recognising, deciding.\n\n"
        "**Machine learning** is the part of AI that learns its behaviour from data instead "
        "of hand-written rules.\n\n"
        "**Deep learning** is machine learning with neural networks of many layers.\n\n"
        "**Generative AI** is deep learning that produces new text, images or sound "
        "(language models, GANs, diffusion)."
    )

st.header("Pages")
for group in GROUPS[1:]:
    specs = [p for p in available_pages() if p.group == group]
    if not specs:
        continue
    st.subheader(group)
    columns = st.columns(3)
    for i, spec in enumerate(specs):
        with columns[i % 3].container(border=True):
            st.page_link(spec.file, label=spec.title, icon=spec.icon)
            st.caption(spec.question)

st.header("Status")
device = get_device()
st.markdown(f"**Device:** {device.kind.upper()}: {device.describe()}")
with friendly_errors("loading the language model"):
    get_llm()
for info in registry.loaded():
    with st.container(border=True):
        st.markdown(
            f"**{info.name}** · {info.role}  \n"
            f"Source: **{info.source}** ({info.detail})  \n"
            f"Device: **{info.device}** · {info.dtype} · {info.parameters / 1e6:.1f} M parameters · "
            f"loaded in {info.load_seconds:.2f} s"
        )
        if info.note:
            st.caption(info.note)
