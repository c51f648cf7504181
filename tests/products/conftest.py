"""Helpers for product tests: real corpus labels copied next to synthesized data of the declared layout."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from archive_fed.products.backend import PDSArray
from tests.conftest import CORPUS, CORPUS_MISSING


def corpus_file(relative: str) -> Path:
    path = CORPUS / relative
    if not path.is_file():
        pytest.skip(CORPUS_MISSING)
    return path


def copy_label(relative: str, directory: Path, *, name: str | None = None,
               replace: dict[str, str] | None = None) -> Path:
    """A corpus label copied into ``directory`` (text substitutions applied, reported in the test)."""
    source = corpus_file(relative)
    target = directory / (name or source.name)
    if not replace:
        shutil.copyfile(source, target)
        return target
    text = source.read_bytes().decode("latin-1")
    for old, new in replace.items():
        assert old in text, f"{old!r} not in {relative}"
        text = text.replace(old, new)
    target.write_bytes(text.encode("latin-1"))
    return target


def write_attached(label: Path, target: Path, parts: dict[int, bytes], *, pad_to: int | None = None) -> Path:
    """An attached-label file: the label bytes, then each part at its 0-based byte offset."""
    head = label.read_bytes()
    if pad_to is not None:
        head = head.ljust(pad_to, b" ")
    end = max([len(head)] + [offset + len(data) for offset, data in parts.items()])
    buffer = bytearray(end)
    buffer[:len(head)] = head
    for offset, data in parts.items():
        assert offset >= len(head), "a data part would overwrite the label"
        buffer[offset:offset + len(data)] = data
    target.write_bytes(bytes(buffer))
    return target


def backend_array(data_array) -> PDSArray:
    """The PDSArray behind a lazily opened variable (through xarray's wrappers)."""
    node = data_array.variable._data
    for _ in range(10):
        if isinstance(node, PDSArray):
            return node
        node = getattr(node, "array")
    raise AssertionError("no PDSArray behind this variable")


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)
