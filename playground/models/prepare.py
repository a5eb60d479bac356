"""`python -m playground.models.prepare`: check the embedded models and convert
the language model once into the local cache (run by `make setup`)."""

from __future__ import annotations

import sys
import time

from playground.models import embedder, llm


def main() -> int:
    folder = llm.converted_dir()
    print(f"Embedded LLM: {llm.embedded_gguf_path()}")
    print(f"Embedded sentence embedder: {embedder.embedded_model_dir()}")
    if llm.is_converted(folder):
        print(f"Converted LLM already in {folder}")
        return 0
    start = time.perf_counter()

    def report(fraction: float, text: str) -> None:
        print(f"\r[{'#' * int(fraction * 30):<30}] {fraction:4.0%} {text:<50}", end="", flush=True)

    llm.convert_embedded(folder, report)
    print(f"\nConverted into {folder} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
