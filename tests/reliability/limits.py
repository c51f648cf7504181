"""Bounds the reliability tests assert, and the environment their subprocesses run in.

The targets are the guarantees of docs/reliability.md: a hostile label is refused (or read) within
1 s and with less than 200 MB of extra memory. ``ARCHIVE_FED_CI_FACTOR`` (default 2) widens the time
bound for slow or loaded CI machines; the memory bound does not depend on the machine.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CI_FACTOR = float(os.environ.get("ARCHIVE_FED_CI_FACTOR", "2"))
#: CPU seconds one hostile label may take, read + normalize (the 1 s target times the CI factor); the
#: wall clock may take WALL_FACTOR times longer on a loaded machine (tests share two cores in CI)
TIME_LIMIT = 1.0 * CI_FACTOR
WALL_FACTOR = 3.0
#: bytes of peak resident memory one hostile label may add
MEMORY_LIMIT = 200 * 1024 * 1024


def child_env(**extra: str) -> dict[str, str]:
    """The environment for ``python -m …`` children: this checkout first on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_FED_TOKEN_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra)
    return env


PYTHON = sys.executable
