"""PDS3 image objects: any object with ``LINES``/``LINE_SAMPLES`` (``IMAGE``, ``RDN_IMAGE``, Kaguya's
``GEOMETRIC_DATA_ALTITUDE``...), ``BANDS`` in ``BAND_SEQUENTIAL``/``LINE_INTERLEAVED``/``SAMPLE_INTERLEAVED``
order, line prefixes/suffixes skipped, band centres as a ``wavelength`` coordinate, map coordinates."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..labels.base import Block
from . import cartography
from .dtypes import pds3_element, unit_attrs
from .layout import Strided, Variable, sanitize
from .pds3_values import Context, attrs_of, counted, mask_values, plain, scaling

_STORAGE = {"BAND_SEQUENTIAL": "BSQ", "LINE_INTERLEAVED": "BIL", "SAMPLE_INTERLEAVED": "BIP",
            "BSQ": "BSQ", "BIL": "BIL", "BIP": "BIP"}


def image(ctx: Context, name: str, block: Block, url: str, offset: int) -> Variable:
    lines, samples = counted(ctx, block, "LINES"), counted(ctx, block, "LINE_SAMPLES")
    bands = counted(ctx, block, "BANDS", 1)
    sample_type = block.get("SAMPLE_TYPE")
    if sample_type is None:
        raise ctx.error(f"{name} has no SAMPLE_TYPE", block)
    element = pds3_element(sample_type, counted(ctx, block, "SAMPLE_BITS", 8), where=name, path=ctx.label_url)
    size = element.stored.itemsize
    prefix, suffix = counted(ctx, block, "LINE_PREFIX_BYTES", 0), counted(ctx, block, "LINE_SUFFIX_BYTES", 0)
    storage_text = "_".join(str(block.get("BAND_STORAGE_TYPE", "BAND_SEQUENTIAL")).upper().split())
    storage = _STORAGE.get(storage_text)
    if storage is None:
        raise ctx.error(f"unknown BAND_STORAGE_TYPE {storage_text!r}", block)
    if storage == "BSQ":
        row = prefix + samples * size + suffix
        strides = (lines * row, row, size)
    elif storage == "BIL":
        row = prefix + bands * samples * size + suffix
        strides = (samples * size, row, size)
    else:
        row = prefix + samples * bands * size + suffix
        strides = (size, row, bands * size)
    shape: tuple[int, ...] = (bands, lines, samples)
    dims: tuple[str, ...] = ("band", "line", "sample")
    if bands == 1:
        shape, strides, dims = shape[1:], strides[1:], dims[1:]
    data = Strided(url, offset + prefix, shape, strides, element.stored)
    scale, add = scaling(block)
    attrs = attrs_of(name, block, sample_type)
    if storage != "BSQ" or bands > 1:
        attrs["band_storage_type"] = storage_text
    variable = Variable(sanitize(name), dims, data, element, scale, add, mask_values(block, element), attrs)
    if bands > 1:
        variable.coords.update(_band_coords(ctx, block, bands))
    if "wavelength" not in variable.coords:   # one band, or a list not matching BANDS (cropped labels)
        given = block.get("CENTER_FILTER_WAVELENGTH", ctx.label.get("CENTER_FILTER_WAVELENGTH"))
        if given is not None:
            values, unit = _listed(given)
            numbers = [float(v) for v in values if isinstance(v, (int, float))]
            if numbers:
                attrs["center_filter_wavelength"] = numbers[0] if len(numbers) == 1 else numbers
                if unit:
                    attrs["center_filter_wavelength_units"] = unit
    projection = _find_projection(ctx.label)
    if projection is not None:
        variable.attrs["map_projection"] = str(projection.get("MAP_PROJECTION_TYPE", ""))
        variable.coords.update(cartography.map_coordinates(projection, lines, samples))
    return variable


def _band_coords(ctx: Context, block: Block, bands: int) -> dict[str, tuple[str, Any, dict]]:
    """Band centre wavelengths and band names, from the object, its BAND_BIN group or the label root."""
    coords: dict[str, tuple[str, Any, dict]] = {}
    band_bin = next((b for n, b in block.blocks() if n.upper() == "BAND_BIN"), None)
    places = [block] + ([band_bin] if band_bin is not None else []) + [ctx.label]
    for keys, coord in ((("CENTER_FILTER_WAVELENGTH", "BAND_BIN_CENTER", "CENTER_WAVELENGTH"), "wavelength"),
                        (("BAND_NAME", "FILTER_NAME", "BAND_BIN_FILTER_NAME"), "band_name")):
        for place in places:
            found = next((place[k] for k in keys if k in place), None)
            if found is None:
                continue
            values, unit = _listed(found)
            if len(values) == bands:
                attrs = unit_attrs(unit) if unit else {}
                if coord == "wavelength":
                    coords[coord] = ("band", np.asarray(values, dtype=np.float64), attrs)
                else:
                    coords[coord] = ("band", np.asarray([str(v) for v in values]), attrs)
                break
    return coords


def _listed(value: Any) -> tuple[list[Any], str | None]:
    """Values and unit of ``(1, 2) <nm>``, ``(1 <nm>, 2 <nm>)`` or a scalar."""
    unit = None
    if hasattr(value, "unit") and isinstance(getattr(value, "value", None), (list, tuple)):
        unit, value = str(value.unit), value.value
    if not isinstance(value, (list, tuple)):
        value = [value]
    items = []
    for item in value:
        if hasattr(item, "unit"):
            unit = unit or str(item.unit)
        items.append(plain(item))
    return items, unit


def _find_projection(label: Block) -> Block | None:
    for name, block in label.walk():
        if name.upper() == "IMAGE_MAP_PROJECTION":
            return block
    return None


