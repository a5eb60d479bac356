"""Cached model accessors: one copy of each model per process, shared by every
user. The slow one-time GGUF conversion runs outside the cache with a real
progress bar; the cached loaders then only read the local cache."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import streamlit as st

from playground.config import get_settings
from playground.models import llm as llm_module
from playground.models.embedder import SentenceEmbedder, load_embedder
from playground.models.llm import LanguageModel
from playground.models.llm.queue import report_waits_to
from playground.ui.common import friendly_errors

LLM_KEY = "playground_llm_ref"


def current_llm_ref() -> str:
    """The model this session asked for: the sidebar setting, else PLAYGROUND_LLM."""
    return st.session_state.get(LLM_KEY, get_settings().llm).strip()


@st.cache_resource(show_spinner=False)
def _load_default() -> LanguageModel:
    return llm_module.load_default()


@st.cache_resource(show_spinner=False, max_entries=1)
def _load_configured(ref: str) -> LanguageModel | str:
    """The configured model, or why it could not be loaded (cached too, so an
    offline machine checks the Hub once, not on every rerun)."""
    try:
        return llm_module.load_configured(ref)
    except Exception as exc:  # noqa: BLE001 - shown on screen, the default takes over
        return llm_module.fallback_note(ref, exc)


def _ensure_default_converted() -> None:
    folder = llm_module.converted_dir()
    if llm_module.is_converted(folder):
        return
    bar = st.progress(0.0, text="First start: converting the embedded SmolLM2 (about 30 s, once)")
    try:
        llm_module.convert_embedded(folder, lambda fraction, text: bar.progress(min(fraction, 1.0), text=text))
    finally:
        bar.empty()


def llm_or_stop() -> LanguageModel:
    """:func:`get_llm` for a page that cannot go on without the model: a failure to load
    is shown as a clear message and the page stops there."""
    lm = None
    with friendly_errors("loading the language model"):
        lm = get_llm()
    if lm is None:
        st.stop()
    return lm


def get_llm() -> LanguageModel:
    """The shared language model, loading it on first use. One copy of the
    default per process; a configured model replaces it for the sessions that
    asked for it, and falls back to the default with a note when it can't load."""
    ref = current_llm_ref()
    if ref:
        with st.spinner(f"Loading {ref}..."):
            model = _load_configured(ref)
        if isinstance(model, LanguageModel):
            return model
        st.warning(model, icon=":material/cloud_off:")
    _ensure_default_converted()
    with st.spinner(f"Loading {llm_module.DEFAULT_NAME}..."):
        return _load_default()


def model_key_of(lm: LanguageModel) -> str:
    """What identifies a loaded model in cache keys: its name, source and precision."""
    return f"{lm.info.name}|{lm.info.source}|{lm.precision}"


@st.cache_resource(show_spinner="Reading the vocabulary...", max_entries=2)
def vocab_strings(_lm: LanguageModel, model_key: str) -> tuple[str, ...]:
    """Every token id as text, once per model, so no slider waits for the tokenizer.
    Shared by every session: a tuple, which nobody can change."""
    return tuple(_lm.token_strings(list(range(_lm.vocab_size))))


@st.cache_data(show_spinner=False, max_entries=256)
def read_prompt(_lm: LanguageModel, model_key: str, text: str, mode: str) -> tuple[list[int], str]:
    """Token ids of the prompt (checked against the length limit) and the exact text the model reads.
    (st.cache_data hands every session its own copy.)"""
    return _lm.encode(text, mode), _lm.render_prompt(text, mode)


@st.cache_resource(show_spinner="Loading the sentence embedder...")
def get_embedder() -> SentenceEmbedder:
    return load_embedder()


def llm_setting() -> None:
    """Sidebar control: any Hugging Face id or local folder instead of the default."""
    st.sidebar.text_input(
        "Language model",
        value=current_llm_ref(),
        key="llm_ref_input",
        placeholder=f"{llm_module.DEFAULT_NAME} (embedded)",
        help="A Hugging Face model id (e.g. Qwen/Qwen2.5-0.5B-Instruct) or a local folder. "
             "Empty: the embedded SmolLM2-135M-Instruct. Without network access it falls "
             "back to the embedded model and says so.",
    )
    # a callback runs before the next script run, so the page (drawn before the
    # sidebar) already uses the new model in that run
    st.sidebar.button("Use this model", key="llm_ref_apply", on_click=_apply_llm_ref)


def _apply_llm_ref() -> None:
    st.session_state[LLM_KEY] = st.session_state.get("llm_ref_input", "").strip()


def _in_cached_function() -> bool:
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import (
            in_cached_function,
        )
    except ImportError:  # another Streamlit version: draw nothing rather than break a cache
        return True
    return bool(in_cached_function.get())


@contextlib.contextmanager
def model_queue_notice() -> Iterator[None]:
    """While a model call of this session waits for its turn, say so at the top of the
    page with the number of requests ahead; the notice goes once the turn comes."""
    notice = st.empty()

    def show(ahead: int) -> None:
        if _in_cached_function():
            # Streamlit records what a cached function draws and replays it on every cache
            # hit; a notice drawn from inside one would break the replay for everybody
            return
        if ahead > 0:
            notice.info(f"Waiting for the language model: {ahead} request{'s' if ahead > 1 else ''} "
                        "ahead of yours (other students are using it).", icon=":material/hourglass_top:")
        else:
            notice.empty()

    with report_waits_to(show):
        yield
    notice.empty()
