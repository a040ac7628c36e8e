"""Multiprocess-mode plumbing that must not import prometheus_client (the CLI sets the variable first)."""

from __future__ import annotations

import os

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess_dir(path: str) -> None:
    """Create the directory and wipe samples of a previous run (prometheus-client requires it)."""
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name.endswith(".db"):
            os.remove(os.path.join(path, name))
