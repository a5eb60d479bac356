"""Can the Hugging Face Hub be reached? Answered within a timeout, never a hang."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse


def reachable(timeout_s: float = 3.0) -> tuple[bool, str]:
    """(True, "") when a TCP connection to the Hub opens within ``timeout_s``;
    otherwise (False, why). Honours HF_HUB_OFFLINE and HF_ENDPOINT."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes", "on"}:
        return False, "HF_HUB_OFFLINE is set"
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    host, port = url.hostname or "huggingface.co", url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True, ""
    except OSError as exc:
        return False, f"{host}:{port}: {exc.__class__.__name__}: {exc}"
