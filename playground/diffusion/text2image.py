"""Real text-to-image with a Stable Diffusion family pipeline, when one is configured.

``PLAYGROUND_DIFFUSION_PIPELINE`` names a diffusers pipeline: a Hugging Face id
(``stabilityai/sd-turbo``, ``stable-diffusion-v1-5/stable-diffusion-v1-5``, ...) or a
local folder saved with ``save_pretrained``. It is meant for a GPU; on a CPU it runs,
slowly.

What differs from the digits model on this page:

* latent space: the UNet denoises a 4 x 64 x 64 *latent* (for 512 x 512 pictures);
  a VAE decoder turns latents into pixels. Our digits model denoises pixels directly.
* text conditioning: a CLIP text encoder turns the prompt into 77 vectors that the
  UNet reads through cross-attention; our model gets one of 11 class embeddings.
* classifier-free guidance is the same formula, with the empty prompt as the null class.

To show the denoising, ``callback_on_step_end`` receives the latents after each step
and we decode some of them through the VAE (what the pipeline does once at the end).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from playground.config import Settings, get_settings
from playground.devices import DeviceInfo, get_device
from playground.errors import UserInputError
from playground.models import hub
from playground.models.registry import ModelInfo, record

MAX_PROMPT_CHARS = 500
MAX_STEPS = 100

HOW_TO_ENABLE = (
    "Text-to-image needs a real Stable Diffusion pipeline (about 2-5 GB) and, to be quick, a GPU. "
    "Start the app with `PLAYGROUND_DIFFUSION_PIPELINE` set to a Hugging Face id such as "
    "`stabilityai/sd-turbo` (fast: 1-4 steps, guidance 0) or "
    "`stable-diffusion-v1-5/stable-diffusion-v1-5`, or to a local folder made with "
    "`pipeline.save_pretrained(folder)`. Without network access, download it first "
    "(`hf download stabilityai/sd-turbo`) on a machine that has one."
)


@dataclass
class TextToImage:
    pipe: object  # a diffusers text-to-image pipeline
    info: ModelInfo
    lock: threading.Lock = field(default_factory=threading.Lock)  # one generation at a time


@dataclass
class Generation:
    image: Image.Image
    previews: list[tuple[int, int, Image.Image]]  # (step number, timestep, decoded latents)
    seconds: float
    note: str = ""


def configured(settings: Settings | None = None) -> str:
    return (settings or get_settings()).diffusion_pipeline.strip()


def _from_pretrained(ref: str | Path, dtype: torch.dtype, **kwargs):
    from diffusers import AutoPipelineForText2Image

    return AutoPipelineForText2Image.from_pretrained(ref, dtype=dtype, **kwargs)


def load_pipeline(ref: str, device: DeviceInfo | None = None,
                  settings: Settings | None = None) -> TextToImage:
    """Load ``ref`` (a local folder, a cached Hub id, or a Hub id to download).

    Fails within ``settings.hub_timeout_s`` with a clear message when the model is
    neither local nor cached and the Hub is out of reach."""
    settings = settings or get_settings()
    device = device or get_device()
    ref = ref.strip()
    if not ref:
        raise UserInputError(HOW_TO_ENABLE)
    start = time.perf_counter()
    path = Path(ref).expanduser()
    if path.exists():
        if not (path / "model_index.json").exists():
            raise UserInputError(
                f"{path} has no model_index.json, so it is not a diffusers pipeline folder. "
                "Save one with `pipeline.save_pretrained(folder)`.")
        source, detail = "local folder", str(path)
        pipe = _load_checked(path, device.dtype)
    else:
        try:  # 1. already in the Hugging Face cache?
            pipe = _load_checked(ref, device.dtype, local_files_only=True)
            source, detail = "Hugging Face cache", ref
        except UserInputError:
            raise
        except (OSError, ValueError):
            # 2. download it, but only if the Hub answers quickly
            ok, why = hub.reachable(settings.hub_timeout_s)
            if not ok:
                raise UserInputError(
                    f"Cannot load the text-to-image pipeline {ref!r}: it is not a local folder, not "
                    f"in the Hugging Face cache, and the Hub cannot be reached ({why}). Download it "
                    f"where there is network (`hf download {ref}`) or set PLAYGROUND_DIFFUSION_PIPELINE "
                    "to a local folder.") from None
            pipe = _load_checked(ref, device.dtype)
            source, detail = "Hub", ref
    pipe = pipe.to(device.device)
    pipe.set_progress_bar_config(disable=True)
    params = sum(p.numel() for p in pipe.unet.parameters()) if getattr(pipe, "unet", None) else 0
    note = "" if device.kind != "cpu" else (
        "Running on the CPU: expect minutes per picture at 512x512. A GPU makes this seconds.")
    info = ModelInfo(
        key=f"diffusion:{ref}", name=ref if len(ref) < 60 else path.name, role="text-to-image pipeline",
        source=source, detail=detail, device=device.kind, dtype=str(device.dtype).removeprefix("torch."),
        load_seconds=time.perf_counter() - start, parameters=params, note=note)
    record(info)
    return TextToImage(pipe, info)


def _load_checked(ref, dtype, **kwargs):
    try:
        pipe = _from_pretrained(ref, dtype, **kwargs)
    except ValueError as exc:
        if "AutoPipeline can't find a pipeline" in str(exc):
            raise UserInputError(f"{ref} is not a text-to-image pipeline ({exc}).") from exc
        raise
    if not hasattr(pipe, "vae"):
        raise UserInputError(f"{ref} has no VAE; this page shows latent diffusion pipelines "
                             "(the Stable Diffusion family).")
    return pipe


def _decode(pipe, latents: torch.Tensor) -> Image.Image | None:
    """Latents (1, 4, h, w) -> a picture, as the pipeline does at the end:
    x = VAE.decode(latents / scaling_factor (+ shift_factor))."""
    if latents.ndim != 4:  # packed latents (Flux and others): no preview
        return None
    vae = pipe.vae
    z = latents[:1].to(vae.dtype) / vae.config.scaling_factor
    shift = getattr(vae.config, "shift_factor", None)
    if shift:
        z = z + shift
    with torch.no_grad():
        x = vae.decode(z, return_dict=False)[0]  # (1, 3, 8h, 8w) in about [-1, 1]
    if not torch.isfinite(x).all():  # e.g. SDXL's VAE overflows in float16: skip this preview
        return None
    a = ((x[0].float().clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).cpu().numpy()
    return Image.fromarray(a)


def generate(model: TextToImage, prompt: str, steps: int = 25, guidance: float = 7.5,
             seed: int = 0, previews: int = 6, height: int | None = None,
             width: int | None = None) -> Generation:
    """Run the pipeline once; decode about ``previews`` intermediate latents."""
    prompt = (prompt or "").strip()
    if not prompt:
        raise UserInputError("Type a prompt first, for example 'a watercolor fox in the snow'.")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise UserInputError(f"The prompt is {len(prompt)} characters; keep it under {MAX_PROMPT_CHARS} "
                             "(the text encoder reads only 77 tokens anyway).")
    if not 1 <= steps <= MAX_STEPS:
        raise UserInputError(f"Choose between 1 and {MAX_STEPS} steps.")
    pipe = model.pipe
    every = max(steps // max(previews, 1), 1)
    shots: list[tuple[int, int, Image.Image]] = []

    def on_step_end(p, i, t, kwargs):
        if (i + 1) % every == 0 and i + 1 < steps:
            img = _decode(p, kwargs["latents"])
            if img is not None:
                shots.append((i + 1, int(t), img))
        return {}

    generator = torch.Generator("cpu").manual_seed(seed)  # same seed, same picture on any device
    start = time.perf_counter()
    with model.lock:
        original = pipe.scheduler
        # a fresh scheduler for this request: schedulers keep per-run state
        pipe.scheduler = original.__class__.from_config(original.config)
        try:
            out = pipe(prompt, num_inference_steps=steps, guidance_scale=guidance, generator=generator,
                       height=height, width=width, callback_on_step_end=on_step_end,
                       callback_on_step_end_tensor_inputs=["latents"])
        finally:
            pipe.scheduler = original
    note = ""
    if guidance > 1 and getattr(pipe, "do_classifier_free_guidance", True) is False:
        note = "This pipeline ignores guidance (distilled models such as sd-turbo run without it)."
    image = out.images[0]
    if isinstance(image, np.ndarray):
        image = Image.fromarray((image * 255).round().astype(np.uint8))
    return Generation(image, shots, time.perf_counter() - start, note)
