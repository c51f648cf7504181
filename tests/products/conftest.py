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
        node = node.array
    raise AssertionError("no PDSArray behind this variable")


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# ---- LRO LEND RDR: the column layout of its PDS4 twin, for a plausible PDS3 ^STRUCTURE file -------
LEND_COLUMNS = [  # name, data type, start byte, bytes, items (after the PDS4 twin of this product)
    ("LRO_TIME", "MSB_UNSIGNED_INTEGER", 1, 8, 1), ("UTC", "CHARACTER", 9, 23, 1),
    ("LOCAL_HOUR", "MSB_UNSIGNED_INTEGER", 32, 1, 1), ("LOCAL_MINUTE", "MSB_UNSIGNED_INTEGER", 33, 1, 1),
    ("LUNARCENTRIC_LATITUDE", "IEEE_REAL", 34, 4, 1), ("LUNARCENTRIC_EAST_LONGITUDE", "IEEE_REAL", 38, 4, 1),
    ("COLLECTION_DURATION", "MSB_UNSIGNED_INTEGER", 42, 4, 1),
] + [(f"{d}_{kind}", "IEEE_REAL", 46 + 8 * i + 4 * k, 4, 1)
     for i, d in enumerate(["STN1", "SETN", "STN2", "STN3", "CSETN1", "CSETN2", "CSETN3", "CSETN4"])
     for k, kind in enumerate(["BKGD", "COUNTS"])] + [
    ("SHEN_BKGD", "IEEE_REAL", 110, 64, 16), ("SHEN_COUNTS", "IEEE_REAL", 174, 64, 16),
    ("SUN_ACTIVITY", "MSB_UNSIGNED_INTEGER", 238, 1, 1), ("NADIR_POINTING", "MSB_UNSIGNED_INTEGER", 239, 1, 1)]


def lend_fmt() -> str:
    out = []
    for name, data_type, start, size, items in LEND_COLUMNS:
        out.append(f"OBJECT = COLUMN\r\n  NAME = {name}\r\n  DATA_TYPE = {data_type}\r\n"
                   f"  START_BYTE = {start}\r\n  BYTES = {size}\r\n")
        if items > 1:
            out.append(f"  ITEMS = {items}\r\n  ITEM_BYTES = 4\r\n")
        if name.endswith(("COUNTS", "BKGD")):
            out.append("  UNIT = COUNTS\r\n  MISSING_CONSTANT = -1.0\r\n")
        out.append("END_OBJECT = COLUMN\r\n\r\n")
    return "".join(out)


def lend_rows(rows: int) -> np.ndarray:
    fields = []
    for name, data_type, _start, size, items in LEND_COLUMNS:
        kind = {"MSB_UNSIGNED_INTEGER": f">u{size}", "IEEE_REAL": ">f4", "CHARACTER": f"S{size}"}[data_type]
        fields.append((name, kind, (items,)) if items > 1 else (name, kind))
    dtype = np.dtype(fields)
    assert dtype.itemsize == 239
    generator = rng(11)
    table = np.zeros(rows, dtype=dtype)
    table["LRO_TIME"] = 740102399 + np.arange(rows)
    table["UTC"] = [f"2024-06-15T00:00:{i % 60:02d}.000".encode() for i in range(rows)]
    table["LOCAL_HOUR"] = np.arange(rows) % 24
    table["LUNARCENTRIC_LATITUDE"] = generator.uniform(-90, 90, rows)
    table["SHEN_COUNTS"] = generator.random((rows, 16)) * 100
    table["STN1_COUNTS"] = generator.random(rows)
    table["STN1_COUNTS"][3 % rows] = -1.0
    table["NADIR_POINTING"] = 1
    return table
