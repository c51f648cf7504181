"""mypy, strict, on the modules whose types other code leans on: ``record``, ``errors``, ``transport/`` and
``sources/base`` (the ``[tool.mypy]`` table of pyproject.toml). Runs in CI through the ``[test]`` extra."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
STRICT = ["archive_fed/record.py", "archive_fed/errors.py", "archive_fed/transport", "archive_fed/sources/base.py"]


def test_the_config_checks_the_strict_modules():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert sorted(config["files"]) == sorted(STRICT)
    strict = [o for o in config["overrides"] if o.get("strict")]
    assert strict and {"archive_fed.record", "archive_fed.errors", "archive_fed.transport.*",
                       "archive_fed.sources.base"} <= set(strict[0]["module"])


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed (pip install -e .[test])")
def test_mypy_strict_passes(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache")], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout
