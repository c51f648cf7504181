"""The xarray backend ``engine="pds"``: PDS3/PDS4 products as lazily indexed datasets.

:class:`PDSArray` is an xarray ``BackendArray`` over a :class:`~archive_fed.products.layout.Strided`
layout: nothing is read when the dataset opens; indexing reads only the selection (a memory-map slice
for local files, planned byte ranges over fsspec for URLs), decodes it (byte order, VAX floats, text)
and, with ``mask_and_scale``, applies ``scale_factor``/``add_offset`` and turns special constants into
NaN. Register it in ``pyproject.toml``::

    [project.entry-points."xarray.backends"]
    pds = "archive_fed.products.backend:PDSBackendEntrypoint"

>>> import xarray as xr                                                        # doctest: +SKIP
>>> ds = xr.open_dataset("TC1S2B0_01_06691S820E0465.lbl", engine="pds")        # doctest: +SKIP
"""
from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np
import xarray as xr
from xarray.backends import BackendArray, BackendEntrypoint
from xarray.core import indexing

from ..errors import ProductError
from ..labels.base import Label
from .dtypes import decode
from .io import ByteSource, is_remote
from .layout import DECODE_ERRORS, Element, ProductLayout, ProductWarning, Strided, Variable, as_product_error, sanitize, unique

LABEL_SUFFIXES = (".lbl", ".xml", ".2bl", ".2cl", ".01l", ".pvl")
ATTACHED_SUFFIXES = (".img", ".dat", ".qub", ".tab", ".bin", ".raw", ".sp", ".cub")


# ---- values -------------------------------------------------------------------------------------------
def value_dtype(variable: Variable, mask_and_scale: bool) -> np.dtype:
    """The dtype ``variable`` is presented with: decoded values, or floats once scaled/masked.

    Scaled values must be exact (issue 16): float32 only where it holds every result — stored integers
    of up to 16 bits (float32 holds them exactly) with no offset and a scale whose float32 product
    stays finite — float64 otherwise (a 1e44 scale, an offset of 987654540100, 32-bit integers)."""
    element = variable.element
    if element is None:
        return np.asarray(variable.data).dtype
    base = element.value_dtype
    if not mask_and_scale or base.kind not in "iufc":
        return base
    scale, add = variable.scale_factor, variable.add_offset
    if base.kind == "c":    # complex samples (SAR) scale as complex128; masks do not apply
        return np.dtype(np.complex128) if scale is not None or add is not None else base
    if scale is None and add is None:
        if not variable.mask_values or base.kind == "f":
            return base
        return np.dtype(np.float32 if base.itemsize <= 2 else np.float64)
    if base.kind in "iu" and base.itemsize <= 2 and add is None and _float32_scale(scale, base):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def _float32_scale(scale: float | None, base: np.dtype) -> bool:
    """Whether float32 represents ``scale`` times every ``base`` integer without overflow/underflow."""
    if scale is None:
        return True
    largest = float(max(abs(np.iinfo(base).min), np.iinfo(base).max))
    tiny, huge = float(np.finfo(np.float32).tiny), float(np.finfo(np.float32).max)
    return scale == 0 or tiny <= abs(scale) and abs(scale) * largest <= huge


#: Elements unpacked per block: big enough to amortise Python overhead, small enough for the cache.
_BLOCK = 1 << 18


def needs_unpack(variable: Variable) -> bool:
    return variable.scale_factor is not None or variable.add_offset is not None or any(
        not (isinstance(m, float) and np.isnan(m)) for m in variable.mask_values)


def unpack(values: np.ndarray, variable: Variable, out_dtype: np.dtype) -> np.ndarray:
    """Stored numbers (any byte order, any strides) → ``out_dtype`` values, scaled, NaN where a special
    constant was stored. Works block by block along the first axis, so no full-size temporaries."""
    if values.dtype.kind not in "iufc" or not needs_unpack(variable):
        return values
    masks = [np.asarray(m).astype(values.dtype.newbyteorder("="))
             for m in variable.mask_values if not (isinstance(m, float) and np.isnan(m))]
    scale = None if variable.scale_factor is None else out_dtype.type(variable.scale_factor)
    add = None if variable.add_offset is None else out_dtype.type(variable.add_offset)
    out = np.empty(values.shape, dtype=out_dtype)
    if values.ndim == 0:
        source, target = values.reshape(1), out.reshape(1)
    else:
        source, target = values, out
    per_row = max(1, source[0].size if source.shape[0] else 1)
    step = max(1, _BLOCK // per_row)
    nan = out_dtype.type(np.nan) if out_dtype.kind == "f" else None
    if values.dtype.kind == "c":
        masks = []
    for start in range(0, source.shape[0], step):
        block, into = source[start:start + step], target[start:start + step]
        if scale is not None:
            np.multiply(block, scale, out=into, casting="unsafe")
        else:
            np.copyto(into, block, casting="unsafe")
        if add is not None:
            np.add(into, add, out=into)
        if masks and nan is not None:
            hit = block == masks[0]
            for value in masks[1:]:
                hit |= block == value
            np.copyto(into, nan, where=hit)
    return out


class PDSArray(BackendArray):
    """One variable's stored data, read and decoded on indexing (basic indexing; xarray does the rest)."""

    def __init__(self, source: ByteSource, variable: Variable, mask_and_scale: bool) -> None:
        assert isinstance(variable.data, Strided) and variable.element is not None
        self.source = source
        self.layout: Strided = variable.data
        self.element: Element = variable.element
        self.variable = variable
        self.mask_and_scale = mask_and_scale
        self.shape = self.layout.shape
        self.dtype = value_dtype(variable, mask_and_scale)

    def __getitem__(self, key: indexing.ExplicitIndexer) -> np.ndarray:
        return indexing.explicit_indexing_adapter(key, self.shape, indexing.IndexingSupport.BASIC, self._read)

    def _read(self, key: tuple[Any, ...]) -> np.ndarray:
        raw = self.source.read(self.layout, key)
        if self.mask_and_scale and self.element.codec == "native" and needs_unpack(self.variable):
            return unpack(raw, self.variable, self.dtype)     # straight from the stored bytes
        values = decode(raw, self.element)
        return unpack(values, self.variable, self.dtype) if self.mask_and_scale else values


# ---- dataset assembly ---------------------------------------------------------------------------------
def _signature(variable: Variable, dim: str) -> tuple:
    """What a dimension must agree on to be shared: its size and the coordinates put on it."""
    size = variable.shape[variable.dims.index(dim)]
    coords = tuple(sorted((name, np.asarray(values).tobytes()) for name, (d, values, _) in variable.coords.items()
                          if d == dim))
    return size, coords


def _allocate_dims(variables: list[Variable]) -> list[dict[str, str]]:
    """Per variable, local dim → dataset dim: shared where size and coordinates agree, else
    ``<dim>_<object>`` (Kaguya MI_MAP's 5×5 IMAGE and 2048×2048 altitude get distinct line/sample).

    Objects named like the product's main kinds (``IMAGE``, ``TABLE``) claim the plain names first."""
    registry: dict[str, tuple] = {}
    order = sorted(range(len(variables)), key=lambda i: (
        str(variables[i].attrs.get("pds_object", "")).upper() not in ("IMAGE", "TABLE", "SPECTRUM", "SERIES"), i))
    mapping: list[dict[str, str]] = [{} for _ in variables]
    for i in order:
        variable = variables[i]
        suffix = sanitize(str(variable.attrs.get("pds_object") or variable.name)).lower()
        for dim in variable.dims:
            signature = _signature(variable, dim)
            candidate, n = dim, 1
            while candidate in registry and registry[candidate] != signature:
                n += 1
                candidate = f"{dim}_{suffix}" if n == 2 else f"{dim}_{suffix}_{n - 1}"
            registry[candidate] = signature
            mapping[i][dim] = candidate
    return mapping


def build_dataset(layout: ProductLayout, sources: dict[str, ByteSource], *, mask_and_scale: bool = True,
                  drop_variables: Iterable[str] | None = None) -> xr.Dataset:
    """Lazily indexed variables (eager for text tables) + coordinates + attributes."""
    dropped = set(drop_variables or ())
    kept = [v for v in layout.variables if v.name not in dropped]
    names: set[str] = set()
    for variable in kept:
        variable.name = unique(variable.name, names)
    mapping = _allocate_dims(kept)
    all_dims = {d for m in mapping for d in m.values()}
    data_vars: dict[str, xr.Variable] = {}
    coords: dict[str, xr.Variable] = {}
    skipped: list[str] = []
    for variable, dims in zip(kept, mapping):
        name = variable.name
        if name in all_dims:
            name = unique(f"{name}_values", names)
        ds_dims = tuple(dims[d] for d in variable.dims)
        attrs, encoding = _cf_attrs(variable, mask_and_scale)
        if isinstance(variable.data, Strided):
            data: Any = indexing.LazilyIndexedArray(
                PDSArray(sources[variable.data.url], variable, mask_and_scale))
        else:
            values = np.asarray(variable.data)
            data = unpack(values, variable, value_dtype(variable, True)) if mask_and_scale and \
                variable.element is not None else values
        try:
            data_vars[name] = xr.Variable(ds_dims, data, attrs, encoding=encoding)
            for coord, (dim, values, coord_attrs) in variable.coords.items():
                renamed = coord if dims[dim] == dim else f"{coord}_{dims[dim][len(dim) + 1:]}"
                if renamed not in coords:
                    coords[renamed] = xr.Variable((dims[dim],), np.asarray(values), coord_attrs)
        except DECODE_ERRORS as error:
            data_vars.pop(name, None)
            skipped.append(f"{name} ({type(error).__name__}: {error})")
    if skipped:
        warnings.warn(f"{layout.attrs.get('label_url')}: {len(skipped)} variables skipped: {'; '.join(skipped)}",
                      ProductWarning, stacklevel=2)
    dataset = xr.Dataset(data_vars, coords=coords, attrs=dict(layout.attrs))
    dataset.set_close(_Release(list(sources.values())))
    return dataset


class _Release:
    """``Dataset.close`` for PDS products: drop the memory maps (picklable, unlike a lambda)."""

    def __init__(self, sources: list[ByteSource]) -> None:
        self.sources = sources

    def __call__(self) -> None:
        for source in self.sources:
            source.__dict__.pop("_map", None)


def _cf_attrs(variable: Variable, mask_and_scale: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """Attributes, and encoding: packing info goes in ``encoding`` once applied, else in ``attrs``."""
    attrs = dict(variable.attrs)
    packing: dict[str, Any] = {}
    if variable.scale_factor is not None:
        packing["scale_factor"] = variable.scale_factor
    if variable.add_offset is not None:
        packing["add_offset"] = variable.add_offset
    masks = [m for m in variable.mask_values if m is not None]
    encoding: dict[str, Any] = {}
    if variable.element is not None and variable.element.codec == "native":
        encoding["dtype"] = variable.element.value_dtype
    if not mask_and_scale:
        attrs.update(packing)
        if masks:
            attrs["missing_value"] = masks[0] if len(masks) == 1 else np.asarray(masks)
        return attrs, encoding
    encoding.update(packing)
    if masks and value_dtype(variable, True).kind == "f":
        encoding["_FillValue"] = masks[0]
        if len(masks) > 1:
            attrs["pds_special_constants"] = np.asarray(masks)
    return attrs, encoding


# ---- opening ------------------------------------------------------------------------------------------
def _label_for(target: Any, transport: Any = None) -> Label:
    from ..labels import read_label
    from ..record import ProductRecord

    if isinstance(target, Label):
        return target
    if isinstance(target, ProductRecord):
        if not target.label_url:
            raise ProductError("the record has no label_url", path=target.uid)
        from ..retrieval.registry import local_product

        # a downloaded copy (archive_fed.retrieval: label and data files at the same relative paths)
        # is read instead of the network
        target = local_product(target) or target.label_url
    if isinstance(target, os.PathLike):
        target = os.fspath(target)
    if not isinstance(target, str):
        raise TypeError(f"cannot open a product from {type(target).__name__}: give a ProductRecord, a Label, "
                        "a path or a URL")
    return read_label(target, transport=transport)


def _dataset_attrs(label: Label) -> dict[str, Any]:
    from ..errors import NormalizeError
    from ..labels import normalize

    attrs: dict[str, Any] = {"label_format": label.format}
    if label.path:
        attrs["label_url"] = label.path
    try:
        record = normalize(label)
    except (NormalizeError, ValueError, TypeError, KeyError):
        return attrs
    for key, value in record.to_dict().items():
        if value is None or value == [] or key in ("harvested_at", "archive"):
            continue
        attrs[key] = list(value) if isinstance(value, list) else value
    return attrs


def open_layout(target: Any, transport: Any = None) -> tuple[ProductLayout, dict[str, ByteSource]]:
    """The decoded layout and byte sources of a product, the label read from ``target``; http(s) label
    and data reads go through ``transport`` (None: a shared default one)."""
    from .io import shared_transport, use_transport

    transport = transport if transport is not None else shared_transport()
    label = _label_for(target, transport)
    with use_transport(transport):
        return _decode(label)


def _decode(label: Label) -> tuple[ProductLayout, dict[str, ByteSource]]:
    if label.format == "PDS4":
        from .pds4 import layout_pds4

        layout, sources = layout_pds4(label)  # type: ignore[arg-type]
    else:
        from .pds3 import layout_pds3

        layout, sources = layout_pds3(label)  # type: ignore[arg-type]
    layout.attrs.update(_dataset_attrs(label))
    return layout, sources


class PDSBackendEntrypoint(BackendEntrypoint):
    """xarray backend for PDS3 and PDS4 products (``engine="pds"``).

    ``filename_or_obj`` is a label path or URL (detached ``.lbl``/``.xml``/``.2bl``, or an ``.img``
    with an attached PDS3 label), a parsed :class:`~archive_fed.labels.base.Label` or a
    :class:`~archive_fed.record.ProductRecord`.
    """

    description = "PDS3 and PDS4 planetary data products (labels .lbl/.xml/.2bl, attached-label .img)"
    url = "https://pds.nasa.gov/datastandards/documents/"
    open_dataset_parameters = ("filename_or_obj", "drop_variables", "mask_and_scale", "transport")

    def open_dataset(self, filename_or_obj: Any, *, drop_variables: Iterable[str] | None = None,
                     mask_and_scale: bool = True, transport: Any = None) -> xr.Dataset:
        layout, sources = open_layout(filename_or_obj, transport)
        try:
            return build_dataset(layout, sources, mask_and_scale=mask_and_scale, drop_variables=drop_variables)
        except DECODE_ERRORS as error:   # xarray refusing what the decoders built: name the product
            raise as_product_error(error, layout.attrs.get("label_url"), None) from error

    def guess_can_open(self, filename_or_obj: Any) -> bool:
        if isinstance(filename_or_obj, Label):
            return True
        try:
            target = os.fspath(filename_or_obj)
        except TypeError:
            return False
        if not isinstance(target, str):
            return False
        lower = target.split("?", 1)[0].lower()
        if lower.endswith((".lbl", ".2bl", ".2cl")):
            return True
        if not lower.endswith((".xml",) + ATTACHED_SUFFIXES) or is_remote(target):
            return False
        try:
            with open(target, "rb") as stream:
                head = stream.read(2048)
        except OSError:
            return False
        if lower.endswith(".xml"):
            return b"pds.nasa.gov/pds4" in head or b"<Product_" in head
        from ..labels.pds3 import looks_like_pds3

        return looks_like_pds3(head)
