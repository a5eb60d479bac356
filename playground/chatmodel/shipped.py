"""The shipped tokenizer, checkpoints and build report (made by
``python -m playground.chatmodel.build``), loaded read-only.

The models returned by :func:`load` are shared by every session of the server: they are
only ever run (no gradients, eval mode). A session that trains gets its own deep copy,
made under :data:`Shipped.lock` so no copy is taken while another is being made.
"""

from __future__ import annotations

import copy
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

from safetensors.torch import load_file
from transformers import LlamaConfig

from playground.chatmodel import model as tiny
from playground.chatmodel import tokenizer as tk

FOLDER = Path(__file__).resolve().parent / "checkpoints"
STAGES = ("pretrained", "sft", "dpo")
COMMAND = "python -m playground.chatmodel.build"


@dataclass(frozen=True)
class Shipped:
    config: LlamaConfig
    models: dict  # stage -> LlamaForCausalLM (read-only)
    report: dict
    folder: Path
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False)

    def copy_of(self, stage: str):
        """A session's own trainable copy of a shipped model."""
        with self.lock:
            model = copy.deepcopy(self.models[stage])
        for p in model.parameters():
            p.requires_grad_(True)
        model.train()
        return model

    def tokenizer(self):
        """A session's own tokenizer (fast tokenizers are not safe to share between threads)."""
        return tk.load(self.folder)


def exists(folder: Path = FOLDER) -> bool:
    return all((folder / f"{s}.safetensors").exists() for s in STAGES) and (folder / "report.json").exists()


def load(folder: Path = FOLDER) -> Shipped:
    if not exists(folder):
        raise FileNotFoundError(f"The chat-model checkpoints are missing in {folder}: run {COMMAND}.")
    config = LlamaConfig.from_pretrained(str(folder))
    models = {}
    for stage in STAGES:
        state = {k: v.float() for k, v in load_file(str(folder / f"{stage}.safetensors")).items()}
        model = tiny.from_state(config, state)
        model.eval()
        for p in model.parameters():
            p.requires_grad_(False)
        models[stage] = model
    report = json.loads((folder / "report.json").read_text())
    return Shipped(config, models, report, folder)


def fresh(shipped: Shipped, seed: int):
    """A randomly initialised model of the shipped architecture (seeded, own generator)."""
    model = tiny.build(shipped.config, seed)
    model.train()
    return model

