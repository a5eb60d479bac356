"""Cached model accessors: one copy of each model per process, shared by every
user. The slow one-time GGUF conversion runs outside the cache with a real
progress bar; the cached loaders then only read the local cache."""

from __future__ import annotations

import streamlit as st

from playground.config import get_settings
from playground.models import llm as llm_module
from playground.models.embedder import SentenceEmbedder, load_embedder
from playground.models.llm import LanguageModel

LLM_KEY = "playground_llm_ref"


def current_llm_ref() -> str:
    """The model this session asked for: the sidebar setting, else PLAYGROUND_LLM."""
    return st.session_state.get(LLM_KEY, get_settings().llm).strip()


@st.cache_resource(show_spinner=False, max_entries=2)
def _load_llm(ref: str) -> LanguageModel:
    return llm_module.load_llm(ref)


def _ensure_default_converted() -> None:
    folder = llm_module.converted_dir()
    if llm_module.is_converted(folder):
        return
    bar = st.progress(0.0, text="First start: converting the embedded SmolLM2 (about 30 s, once)")
    try:
        llm_module.convert_embedded(folder, lambda fraction, text: bar.progress(min(fraction, 1.0), text=text))
    finally:
        bar.empty()


def get_llm() -> LanguageModel:
    """The shared language model, loading it on first use."""
    ref = current_llm_ref()
    _ensure_default_converted()  # the default is also the fallback for any other model
    with st.spinner(f"Loading {ref or llm_module.DEFAULT_NAME}..."):
        model = _load_llm(ref)
    if model.info.note:
        st.warning(model.info.note, icon=":material/cloud_off:")
    return model


@st.cache_resource(show_spinner="Loading the sentence embedder...")
def get_embedder() -> SentenceEmbedder:
    return load_embedder()


def llm_setting() -> None:
    """Sidebar control: any Hugging Face id or local folder instead of the default."""
    value = st.sidebar.text_input(
        "Language model",
        value=current_llm_ref(),
        key="llm_ref_input",
        placeholder=f"{llm_module.DEFAULT_NAME} (embedded)",
        help="A Hugging Face model id (e.g. Qwen/Qwen2.5-0.5B-Instruct) or a local folder. "
             "Empty: the embedded SmolLM2-135M-Instruct. Without network access it falls "
             "back to the embedded model and says so.",
    )
    if st.sidebar.button("Use this model", key="llm_ref_apply"):
        st.session_state[LLM_KEY] = value.strip()
