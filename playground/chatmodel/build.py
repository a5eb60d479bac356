"""Build the shipped tokenizer and the three checkpoints: ``python -m playground.chatmodel.build``.

Trains the byte-pair tokenizer on the corpus, then the tiny model through the three
stages with the default settings of each (seed 0), on one CPU thread, and writes into
``playground/chatmodel/checkpoints/``:

* ``tokenizer.json``, ``config.json``;
* ``pretrained.safetensors``, ``sft.safetensors``, ``dpo.safetensors`` (bfloat16, about
  3.5 MB each; every stage starts from the previous stage's *saved* weights, exactly as a
  live run on the page does);
* ``report.json``: the curves, samples and measurements the page shows for the shipped
  models, labelled with this command, the date and the machine.

About 3-6 minutes on one core of the 2-core development machine.
"""

from __future__ import annotations

import copy
import datetime
import json
import platform
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from playground.chatmodel import dpo, evaluate, pretrain, sft
from playground.chatmodel import model as tiny
from playground.chatmodel import tokenizer as tk

HERE = Path(__file__).resolve().parent
OUT = HERE / "checkpoints"
COMMAND = "python -m playground.chatmodel.build"


def save(model, path: Path) -> None:
    state = {k: v.detach().to(torch.bfloat16).contiguous() for k, v in model.state_dict().items()
             if k != "lm_head.weight"}  # tied to the input embeddings
    save_file(state, str(path))


def load(config, path: Path):
    state = {k: v.float() for k, v in load_file(str(path)).items()}
    return tiny.from_state(config, state)


def main(out: Path = OUT) -> dict:
    torch.set_num_threads(1)  # a command-line script may; the server never does
    out.mkdir(parents=True, exist_ok=True)
    report: dict = {"command": COMMAND, "date": datetime.date.today().isoformat(),
                    "machine": f"{platform.processor() or platform.machine()}, 1 thread",
                    "torch": torch.__version__}
    t0 = time.perf_counter()

    # 0. the tokenizer
    tok = tk.train()
    tok.backend_tokenizer.save(str(out / "tokenizer.json"))
    tok = tk.load(out)
    config = tiny.TinyConfig(vocab_size=len(tok)).llama(tok.bos_token_id, tok.eos_token_id, tok.pad_token_id)
    config.save_pretrained(str(out))
    report["vocab"] = len(tok)
    print(f"tokenizer: {len(tok)} tokens ({time.perf_counter() - t0:.0f} s)", flush=True)

    # 1. pre-training
    model = tiny.build(config, seed=0)
    report["parameters"] = tiny.n_parameters(model)
    pc = pretrain.PretrainConfig()
    run = pretrain.PretrainRun(model, tok, pc)
    while not run.done:
        run.step()
        if run.step_count % 50 == 0:
            print(f"pre-training {run.step_count}/{pc.steps}: loss {run.history.loss[-1]:.3f} "
                  f"({run.history.seconds:.0f} s)", flush=True)
    save(model, out / "pretrained.safetensors")
    pre = load(config, out / "pretrained.safetensors")
    report["pretrain"] = {"config": pc.__dict__, "history": run.history.to_dict(),
                          **evaluate.pretrain_figures(pre, tok, pc)}
    print(f"pre-training done: held-out loss {report['pretrain']['held_out_loss']:.3f}, "
          f"bigram {report['pretrain']['bigram_loss']:.3f}", flush=True)

    # 2. supervised fine-tuning, from the saved pre-trained weights
    model = copy.deepcopy(pre)
    sc = sft.SFTConfig()
    srun = sft.SFTRun(model, tok, sc)
    while not srun.done:
        srun.step()
    save(model, out / "sft.safetensors")
    tuned = load(config, out / "sft.safetensors")
    report["sft"] = {"config": sc.__dict__, "history": srun.history.to_dict(),
                     **evaluate.sft_figures(pre, tuned, tok)}
    print(f"fine-tuning done: format {report['sft']['format_before']:.0%} -> {report['sft']['format_after']:.0%} "
          f"({srun.history.seconds:.0f} s)", flush=True)

    # 3. DPO, from the saved fine-tuned weights, the same weights frozen as the reference
    model, ref = copy.deepcopy(tuned), evaluate.frozen(tuned)
    dc = dpo.DPOSettings()
    drun = dpo.DPORun(model, ref, tok, dc)
    drun.train()
    save(model, out / "dpo.safetensors")
    aligned = load(config, out / "dpo.safetensors")
    report["dpo"] = {"config": dc.__dict__, "history": drun.history.to_dict(),
                     **evaluate.dpo_figures(tuned, aligned, tok)}
    print(f"DPO done: held-out margin {report['dpo']['margin_before']:.1f} -> {report['dpo']['margin_after']:.1f}, "
          f"rude {report['dpo']['rude_before']:.0%} -> {report['dpo']['rude_after']:.0%}", flush=True)

    report["seconds_total"] = time.perf_counter() - t0
    (out / "report.json").write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {out} in {report['seconds_total']:.0f} s", flush=True)
    return report


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
