"""Train the 2D point denoisers the page ships, one per toy data set.

    .venv/bin/python -m playground.diffusion.train_points2d

Writes playground/assets/diffusion/points2d.safetensors (all three MLPs, about
20 k parameters each) and points2d.json (steps, seed, seconds, loss curve).
The loop is ``points2d.train``; the page can run the same loop live.
"""

from __future__ import annotations

import argparse

from playground.diffusion import points2d


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=5000)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    models = {}
    for name in points2d.DATASETS:
        m = points2d.train(name, steps=args.steps, seed=args.seed)
        print(f"{name}: {m.steps} steps in {m.seconds:.1f} s, final loss {sum(m.losses[-100:]) / 100:.4f}",
              flush=True)
        models[name] = m
    points2d.save_all(models)
    print(f"saved to {points2d.WEIGHTS}")


if __name__ == "__main__":
    main()
