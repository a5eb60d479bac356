"""Precompute the shipped task's results: every method x labelled examples per class x seed.

    python -m playground.fewshot.precompute            # everything (about an hour on 2 CPU cores)
    python -m playground.fewshot.precompute --quick    # 8 per class, seed 0 (a few minutes)
    python -m playground.fewshot.precompute --redo few_nearest   # measure one method's points again

Writes ``playground/fewshot/results/shipped.json``, point by point (an interrupted run
resumes where it stopped; points made with other settings or another model are redone).
It runs the page's own code (:func:`playground.fewshot.methods.run_method`) with the
page's default settings, one CPU thread per run as the page does, so every point can
be re-run live on the page and comes out the same. Besides the points it stores:

* the long training runs behind the page's epochs slider (head only, LoRA and full
  fine-tuning at 8 examples per class, seed 0, for many epochs);
* the facts experiment (:mod:`playground.fewshot.facts`).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path

from playground.fewshot import facts as facts_module
from playground.fewshot.data import load_shipped
from playground.fewshot.methods import (
    METHODS,
    Models,
    RunSettings,
    run_method,
)
from playground.fewshot.shipped import COMMAND, RESULTS_FILE

SHOTS = (2, 4, 8, 16, 40)  # 40 = all; 32 would add little and cost another 20 minutes
SEEDS = (0, 1, 2)
LONG = {"head": 200, "lora": 12, "full": 8}  # epochs of the long runs behind the epochs slider
LONG_AT = (8, 0)  # (per class, seed) of the long runs
# cheap methods first, so a partial file is already useful
ORDER = ("zero", "feat_minilm", "feat_llm", "head", "few_random", "few_nearest", "setfit", "lora", "full")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores"


def model_key(lm) -> str:
    """As the page names a loaded model (playground.ui.models.model_key_of)."""
    return f"{lm.info.name}|{lm.info.source}|{lm.precision}"


def _save(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="8 per class, seed 0, no long runs")
    parser.add_argument("--shots", type=int, nargs="*", default=list(SHOTS))
    parser.add_argument("--seeds", type=int, nargs="*", default=list(SEEDS))
    parser.add_argument("--methods", nargs="*", default=list(ORDER), choices=list(METHODS))
    parser.add_argument("--no-long", action="store_true", help="skip the long runs behind the epochs slider")
    parser.add_argument("--no-facts", action="store_true", help="skip the facts experiment")
    parser.add_argument("--redo", nargs="*", default=[], choices=list(METHODS),
                        help="measure these methods' points again even if they were made with the same settings "
                             "(after a change to their code, e.g. a faster scorer)")
    parser.add_argument("--out", default=str(RESULTS_FILE))
    args = parser.parse_args(argv)
    if args.quick:
        args.shots, args.seeds, args.no_long = [8], [0], True

    from playground.models.embedder import load_embedder
    from playground.models.llm import load_llm

    lm, embedder = load_llm(""), load_embedder()
    models = Models(lm, embedder, model_key(lm))
    task = load_shipped()
    settings = RunSettings()
    out = Path(args.out)
    old = json.loads(out.read_text()) if out.exists() else {}
    same = (old.get("model_key"), old.get("task_key")) == (models.key, task.key)
    data = {
        "meta": {"command": COMMAND, "made": datetime.datetime.now().isoformat(timespec="seconds"),
                 "machine": machine(), "precision": lm.precision, "python": sys.version.split()[0],
                 "total_minutes": old.get("meta", {}).get("total_minutes", 0.0) if same else 0.0},
        "settings": settings.key(), "model_key": models.key, "task_key": task.key,
        "points": old.get("points", []) if same else [],
        "long_curves": old.get("long_curves", {}) if same else {},
        "long_settings": old.get("long_settings", {}) if same else {},
        "facts": old.get("facts") if same else None, "facts_config": old.get("facts_config", "") if same else "",
    }
    # keep the points made with the current settings of their method; redo the others
    data["points"] = [p for p in data["points"] if p.get("config") == repr(settings.of(p["method"]))
                      and p["method"] not in args.redo]
    done = {(p["method"], p["per_class"], p["seed"]) for p in data["points"]}
    shots = [min(s, task.max_per_class()) for s in args.shots]
    todo = []
    for method in [m for m in ORDER if m in args.methods]:
        for seed in ([0] if method == "zero" else args.seeds):
            for per_class in ([0] if method == "zero" else shots):
                if (method, per_class, seed) not in done:
                    todo.append((method, per_class, seed))
    start_all = time.perf_counter()

    def tick(label: str):
        last = [0.0]

        def progress(fraction: float, text: str) -> None:
            now = time.perf_counter()
            if now - last[0] > 10:
                last[0] = now
                print(f"    {label}: {fraction:.0%} {text}", flush=True)
        return progress

    def account() -> None:
        data["meta"]["total_minutes"] += (time.perf_counter() - account.since) / 60
        account.since = time.perf_counter()
    account.since = start_all

    for i, (method, per_class, seed) in enumerate(todo, 1):
        label = f"[{i}/{len(todo)}] {method}, {per_class} per class, seed {seed}"
        print(label, flush=True)
        t = time.perf_counter()
        result = run_method(method, task, per_class, seed, settings, models, tick(label))
        print(f"    accuracy {result.accuracy:.1%} ({', '.join(f'{a:.0%}' for a in result.runs)}), "
              f"{time.perf_counter() - t:.0f} s", flush=True)
        data["points"].append(result.to_dict())
        account()
        _save(out, data)

    if not args.no_long:
        per_class, seed = LONG_AT
        for method, epochs in LONG.items():
            config = replace(getattr(settings, method), epochs=epochs)
            if data["long_settings"].get(method) == repr(config) and method in data["long_curves"]:
                continue
            print(f"long run: {method}, {epochs} epochs", flush=True)
            long_settings = replace(settings, **{method: config})
            result = run_method(method, task, per_class, seed, long_settings, models, tick(f"long {method}"))
            data["long_curves"][method] = result.to_dict()
            data["long_settings"][method] = repr(config)
            account()
            _save(out, data)

    if not args.no_facts:
        config = facts_module.FactsConfig()
        if data["facts_config"] != repr(config) or not data["facts"]:
            print("facts experiment", flush=True)
            result = facts_module.run(lm, config, 0, tick("facts"))
            data["facts"] = result.to_dict()
            data["facts_config"] = repr(config)
            account()
            _save(out, data)
    account()
    _save(out, data)
    print(f"wrote {out} ({len(data['points'])} points, {data['meta']['total_minutes']:.1f} minutes in all)")


if __name__ == "__main__":
    main()
