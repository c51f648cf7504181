"""PDS3 image objects: any object with ``LINES``/``LINE_SAMPLES`` (``IMAGE``, ``RDN_IMAGE``, Kaguya's
``GEOMETRIC_DATA_ALTITUDE``...), ``BANDS`` in ``BAND_SEQUENTIAL``/``LINE_INTERLEAVED``/``SAMPLE_INTERLEAVED``
order, line prefixes/suffixes skipped, band centres as a ``wavelength`` coordinate, map coordinates."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..labels.base import Block
from . import cartography
from .bits import packed_bytes, unpack_samples
from .dtypes import pds3_element, pds3_integer_sign, unit_attrs
from .layout import Element, Strided, Variable, sanitize
from .pds3_values import Context, attrs_of, counted, mask_values, plain, scaling

_STORAGE = {"BAND_SEQUENTIAL": "BSQ", "LINE_INTERLEAVED": "BIL", "SAMPLE_INTERLEAVED": "BIP",
            "BSQ": "BSQ", "BIL": "BIL", "BIP": "BIP"}


def image(ctx: Context, name: str, block: Block, url: str, offset: int) -> Variable:
    lines, samples = counted(ctx, block, "LINES"), counted(ctx, block, "LINE_SAMPLES")
    bands = counted(ctx, block, "BANDS", 1)
    sample_type = block.get("SAMPLE_TYPE")
    if sample_type is None:
        raise ctx.error(f"{name} has no SAMPLE_TYPE", block)
    bits = counted(ctx, block, "SAMPLE_BITS", 8)
    prefix, suffix = counted(ctx, block, "LINE_PREFIX_BYTES", 0), counted(ctx, block, "LINE_SUFFIX_BYTES", 0)
    storage_text = "_".join(str(block.get("BAND_STORAGE_TYPE", "BAND_SEQUENTIAL")).upper().split())
    storage = _STORAGE.get(storage_text)
    if storage is None:
        raise ctx.error(f"unknown BAND_STORAGE_TYPE {storage_text!r}", block)
    shape: tuple[int, ...] = (bands, lines, samples)
    dims: tuple[str, ...] = ("band", "line", "sample")
    data: Strided | np.ndarray
    if bits % 8:
        values = _packed(ctx, name, block, url, offset, shape, bits, prefix, suffix, storage)
        element = Element(values.dtype)
        data = values if bands > 1 else values[0]
    else:
        element = pds3_element(sample_type, bits, where=name, path=ctx.label_url)
        size = element.stored.itemsize
        if storage == "BSQ":
            row = prefix + samples * size + suffix
            strides = (lines * row, row, size)
        elif storage == "BIL":
            row = prefix + bands * samples * size + suffix
            strides = (samples * size, row, size)
        else:
            row = prefix + samples * bands * size + suffix
            strides = (size, row, bands * size)
        if bands == 1:
            data = Strided(url, offset + prefix, shape[1:], strides[1:], element.stored)
        else:
            data = Strided(url, offset + prefix, shape, strides, element.stored)
    if bands == 1:
        dims = dims[1:]
    scale, add = scaling(block)
    attrs = attrs_of(name, block, sample_type)
    if storage != "BSQ" or bands > 1:
        attrs["band_storage_type"] = storage_text
    if bits % 8:
        attrs["sample_bits"] = bits
    variable = Variable(sanitize(name), dims, data, element, scale, add, mask_values(block, element), attrs)
    return _finish(ctx, block, variable, lines, samples, bands)


def _finish(ctx: Context, block: Block, variable: Variable, lines: int, samples: int, bands: int) -> Variable:
    """Band centres and names, filter wavelength attributes, map coordinates."""
    attrs = variable.attrs
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


def _packed(ctx: Context, name: str, block: Block, url: str, offset: int, shape: tuple[int, int, int], bits: int,
            prefix: int, suffix: int, storage: str) -> np.ndarray:
    """An image of ``SAMPLE_BITS`` that are not whole bytes, decoded now (band, line, sample).

    Samples are packed most significant bit first; each line starts on a byte boundary after its
    prefix (the last byte of a line is padded when ``LINE_SAMPLES`` x ``SAMPLE_BITS`` is no multiple
    of 8); bands follow each other (band sequential only)."""
    bands, lines, samples = shape
    if storage != "BSQ" and bands > 1:
        raise ctx.error(f"{bits}-bit packed samples in {storage} order are not supported", block)
    signed = pds3_integer_sign(str(block.get("SAMPLE_TYPE")), where=name, path=ctx.label_url)
    line_bytes = packed_bytes(samples, bits)
    row = prefix + line_bytes + suffix
    total = bands * lines * row
    buffer = ctx.source(url).read_span(offset, offset + total)
    if len(buffer) < total:
        raise ctx.error(f"{name}: {bands * lines} lines of {row} bytes need {total} bytes, the file holds "
                        f"{len(buffer)} from byte {offset + 1}", block)
    rows = np.frombuffer(buffer, dtype=np.uint8).reshape(bands * lines, row)[:, prefix:prefix + line_bytes]
    if samples * bits % 8 == 0:     # the lines form one continuous bit stream
        values = unpack_samples(np.ascontiguousarray(rows), bits, bands * lines * samples, signed)
    else:
        values = np.concatenate([unpack_samples(line, bits, samples, signed) for line in rows])
    return values.reshape(shape)


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




# ---- QUBE / SPECTRAL_QUBE -----------------------------------------------------------------------------
def is_qube(block: Block) -> bool:
    return "CORE_ITEMS" in block and "AXIS_NAME" in block


def _axis_values(ctx: Context, block: Block, key: str, axes: int, default: int | None = None) -> list[int]:
    given = block.get(key)
    if given is None and default is not None:
        return [default] * axes
    values = [plain(v) for v in (given if isinstance(given, (list, tuple)) else [given])]
    if len(values) != axes or not all(isinstance(v, int) and v >= 0 for v in values):
        raise ctx.error(f"{key} = {given!r} does not give a count for each of the {axes} axes", block)
    return values


def qube(ctx: Context, name: str, block: Block, url: str, offset: int) -> list[Variable]:
    """An ISIS2-style ``QUBE``/``SPECTRAL_QUBE`` core as one (band, line, sample) variable.

    ``AXIS_NAME`` lists the axes fastest first (``(SAMPLE, LINE, BAND)`` is band sequential); the core
    is ``CORE_ITEMS`` items of ``CORE_ITEM_BYTES``/``CORE_ITEM_TYPE``, values ``CORE_BASE +
    CORE_MULTIPLIER`` x stored, ``CORE_NULL``/``CORE_*_SATURATION`` masked. Suffix planes
    (``SUFFIX_ITEMS`` per axis, ``<AXIS>_SUFFIX_ITEM_BYTES`` or ``SUFFIX_BYTES`` each) are skipped: each
    run along an axis is followed by that axis' suffix bytes, counted in core rows beyond the first axis
    (as pdr lays them out); suffix planes of core-sized items come as variables beside the core
    (:func:`_suffix_planes`). ``BAND_BIN_CENTER`` of the ``BAND_BIN`` group is the ``wavelength``
    coordinate (unit ``BAND_BIN_UNIT``)."""
    names = block.get("AXIS_NAME")
    names = [str(n).upper() for n in (names if isinstance(names, (list, tuple)) else [names])]
    if sorted(names) != ["BAND", "LINE", "SAMPLE"]:
        raise ctx.error(f"AXIS_NAME = {names!r}: a qube needs the axes SAMPLE, LINE and BAND", block)
    core = _axis_values(ctx, block, "CORE_ITEMS", 3)
    suffix = _axis_values(ctx, block, "SUFFIX_ITEMS", 3, 0)
    item_type = block.get("CORE_ITEM_TYPE")
    if item_type is None:
        raise ctx.error(f"{name} has no CORE_ITEM_TYPE", block)
    size = counted(ctx, block, "CORE_ITEM_BYTES")
    element = pds3_element(item_type, size * 8, where=name, path=ctx.label_url)
    strides, step = [], size
    for k, axis in enumerate(names):
        strides.append(step)
        item_bytes = counted(ctx, block, f"{axis}_SUFFIX_ITEM_BYTES", counted(ctx, block, "SUFFIX_BYTES", size))
        run = core[k] * step                    # bytes of one core run along this axis
        if k == 0:
            step = run + suffix[0] * item_bytes
        else:
            pad = suffix[k] * item_bytes * step
            if pad % size:
                raise ctx.error(f"{axis} suffix of {suffix[k]} x {item_bytes} bytes is no whole number of "
                                f"{size}-byte core rows", block)
            step = run + pad // size
    order = [names.index(axis) for axis in ("BAND", "LINE", "SAMPLE")]
    shape = tuple(core[k] for k in order)
    data = Strided(url, offset, shape, tuple(strides[k] for k in order), element.stored)
    base, multiplier = plain(block.get("CORE_BASE", 0)), plain(block.get("CORE_MULTIPLIER", 1))
    scale = float(multiplier) if isinstance(multiplier, (int, float)) and multiplier != 1 else None
    add = float(base) if isinstance(base, (int, float)) and base != 0 else None
    attrs = attrs_of(name, block, item_type)
    attrs.update(unit_attrs(plain(block.get("CORE_UNIT"))))
    if isinstance(block.get("CORE_NAME"), str):
        attrs["long_name"] = str(block["CORE_NAME"])
    attrs["axis_name"] = ", ".join(names)
    if any(suffix):
        attrs["suffix_items"] = suffix
    variable = Variable(sanitize(name), ("band", "line", "sample"), data, element, scale, add,
                        mask_values(block, element), attrs)
    variables = [variable] + _suffix_planes(ctx, name, block, url, offset, names, core, suffix, strides, order)
    variable.coords.update(_band_coords(ctx, block, shape[0]))
    if "wavelength" in variable.coords and "units" not in variable.coords["wavelength"][2]:
        band_bin = next((b for n, b in block.blocks() if n.upper() == "BAND_BIN"), None)
        unit = plain(band_bin.get("BAND_BIN_UNIT")) if band_bin is not None else None
        if unit is not None:
            dim, values, coord_attrs = variable.coords["wavelength"]
            variable.coords["wavelength"] = (dim, values, {**coord_attrs, **unit_attrs(unit)})
    return variables


def _suffix_planes(ctx: Context, name: str, block: Block, url: str, offset: int, names: list[str],
                   core: list[int], suffix: list[int], strides: list[int], order: list[int]) -> list[Variable]:
    """Suffix planes whose items are as wide as the core's, as variables beside it: the suffix items of
    an axis continue that axis (``<name>_band_suffix`` holds the backplanes, dims ``band_suffix``,
    ``line``, ``sample``), typed by ``<AXIS>_SUFFIX_ITEM_TYPE``, named by ``<AXIS>_SUFFIX_NAME``,
    scaled by ``<AXIS>_SUFFIX_BASE``/``_MULTIPLIER``. Narrower or wider suffix items stay unread."""
    size = counted(ctx, block, "CORE_ITEM_BYTES")
    planes = []
    for k, axis in enumerate(names):
        item_bytes = counted(ctx, block, f"{axis}_SUFFIX_ITEM_BYTES", counted(ctx, block, "SUFFIX_BYTES", size))
        if not suffix[k] or item_bytes != size:
            continue
        item_type = block.get(f"{axis}_SUFFIX_ITEM_TYPE", block.get("CORE_ITEM_TYPE"))
        element = pds3_element(item_type, size * 8, where=f"{name} {axis} suffix", path=ctx.label_url)
        counts = list(core)
        counts[k] = suffix[k]
        dims = [a.lower() + ("_suffix" if a == axis else "") for a in names]
        data = Strided(url, offset + core[k] * strides[k], tuple(counts[j] for j in order),
                       tuple(strides[j] for j in order), element.stored)
        base, multiplier = plain(block.get(f"{axis}_SUFFIX_BASE", 0)), plain(block.get(f"{axis}_SUFFIX_MULTIPLIER", 1))
        scale = float(multiplier) if isinstance(multiplier, (int, float)) and multiplier != 1 else None
        add = float(base) if isinstance(base, (int, float)) and base != 0 else None
        attrs = {"pds_object": name, "pds_data_type": str(item_type), "pds_suffix_axis": axis}
        plane = Variable(sanitize(f"{name}_{axis.lower()}_suffix"), tuple(dims[j] for j in order), data, element,
                         scale, add, [], attrs)
        labels, _ = _listed(block.get(f"{axis}_SUFFIX_NAME", []))
        if len(labels) == suffix[k]:
            plane.coords[f"{axis.lower()}_suffix_name"] = (dims[k], np.asarray([str(v) for v in labels]), {})
        planes.append(plane)
    return planes
