"""The decoders' common output: where each variable's bytes are and how to turn them into values.

A PDS3 or PDS4 decoder reads a label and returns a :class:`ProductLayout` without touching the data.
Almost every binary PDS object is a *strided* array inside one file: an image band/line/sample cube with
line prefixes, a binary table column repeated every record, a group field repeated inside a record. So
one description, :class:`Strided` (file, first-element offset, shape, byte strides, stored dtype), covers
them all; the backend turns it into a lazily indexed array over a memory map or HTTP byte ranges.
Text tables are parsed when opened and carried as plain arrays.
"""
from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import ProductError


class ProductWarning(UserWarning):
    """A product was decoded despite a defect or an unusual layout (see the message)."""


@dataclasses.dataclass(frozen=True)
class Strided:
    """Elements of one stored dtype at regular byte strides in one file.

    ``offset`` is the byte position of element ``[0, 0, ...]``; strides are in bytes and never negative.
    """

    url: str
    offset: int
    shape: tuple[int, ...]
    strides: tuple[int, ...]
    dtype: np.dtype

    @property
    def end(self) -> int:
        """One past the last byte any element occupies."""
        if any(n == 0 for n in self.shape):
            return self.offset
        return self.offset + sum((n - 1) * s for n, s in zip(self.shape, self.strides)) + self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize


@dataclasses.dataclass(frozen=True)
class Element:
    """How stored elements become values: a numpy dtype to view the bytes as, and a codec.

    ``codec`` is ``"native"`` (a numpy number type, byte order in ``stored``), ``"vax_f"``, ``"vax_d"``,
    ``"vax_g"`` (VAX floats stored as little-endian words), ``"text"`` (fixed-width bytes, stripped and
    decoded to ``str``) or ``"bytes"`` (opaque ``uint8`` vectors).
    """

    stored: np.dtype
    codec: str = "native"

    @property
    def value_dtype(self) -> np.dtype:
        """The dtype of decoded (unscaled) values, in native byte order."""
        if self.codec == "vax_f":
            return np.dtype(np.float32)
        if self.codec in ("vax_d", "vax_g"):
            return np.dtype(np.float64)
        if self.codec == "text":
            return np.dtype(f"U{max(self.stored.itemsize, 1)}")
        return self.stored.newbyteorder("=")


@dataclasses.dataclass
class Variable:
    """One data variable to build: a name, dimension names and where its values come from.

    ``data`` is a :class:`Strided` (read lazily) or an in-memory array of decoded values (text tables).
    ``mask_values`` are stored values meaning "no valid value" (NaN after ``mask_and_scale``); ``coords``
    maps a coordinate name to ``(dim, values, attrs)`` on one of this variable's dimensions.
    """

    name: str
    dims: tuple[str, ...]
    data: Strided | np.ndarray
    element: Element | None = None
    scale_factor: float | None = None
    add_offset: float | None = None
    mask_values: list[Any] = dataclasses.field(default_factory=list)
    attrs: dict[str, Any] = dataclasses.field(default_factory=dict)
    coords: dict[str, tuple[str, Any, dict[str, Any]]] = dataclasses.field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.data.shape)


@dataclasses.dataclass
class ProductLayout:
    """Everything a decoder learnt from a label: the variables and the dataset attributes."""

    variables: list[Variable]
    attrs: dict[str, Any] = dataclasses.field(default_factory=dict)


_UNSAFE = re.compile(r"[^0-9A-Za-z_]+")


def sanitize(name: str) -> str:
    """A variable or dimension name from a label name: ``"LINE NUMBER"`` → ``"LINE_NUMBER"``."""
    clean = _UNSAFE.sub("_", str(name).strip()).strip("_")
    if not clean:
        return "data"
    return "_" + clean if clean[0].isdigit() else clean


def unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``... whichever is not in ``taken``; the result is added to it."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    taken.add(candidate)
    return candidate


#: Errors numpy/xarray/the decoders raise on a label that does not describe its data (never let out raw).
DECODE_ERRORS = (ValueError, TypeError, IndexError, KeyError, ArithmeticError, AttributeError, MemoryError)


def as_product_error(error: BaseException, path: str | None, element: str | None) -> ProductError:
    """``error`` as a :class:`ProductError` naming the file and the object (ProductErrors are kept)."""
    if isinstance(error, ProductError):
        if error.element is None and element:
            error.element = element
        if error.path is None:
            error.path = path
        return error
    wrapped = ProductError(f"{type(error).__name__}: {error}", path=path, element=element)
    wrapped.__cause__ = error
    return wrapped


class ObjectDecoder:
    """Decodes a product's data objects one by one: an object that cannot be decoded is skipped and
    listed in one :class:`ProductWarning`; when no object can be, the first error is raised.

    >>> decoder = ObjectDecoder("p.lbl")
    >>> decoder.run("IMAGE", list, "ab")
    ['a', 'b']
    """

    def __init__(self, label_url: str | None) -> None:
        self.label_url = label_url
        self.skipped: list[tuple[str, ProductError]] = []

    def run(self, name: str, decode: Callable[..., list[Any]], *args: Any) -> list[Any]:
        """``decode(*args)``, or ``[]`` when it fails (the failure is kept for :meth:`finish`)."""
        try:
            return decode(*args)
        except (ProductError, *DECODE_ERRORS) as error:
            self.skipped.append((name, as_product_error(error, self.label_url, name)))
            return []

    def finish(self, variables: list[Any]) -> None:
        """Raise if nothing was decoded but something failed; warn about what was skipped."""
        if not self.skipped:
            return
        if not variables:
            raise self.skipped[0][1]
        listing = "; ".join(f"{name} ({error.message})" for name, error in self.skipped)
        warnings.warn(f"{self.label_url}: {len(self.skipped)} data objects skipped: {listing}", ProductWarning,
                      stacklevel=3)
