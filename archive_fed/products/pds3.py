"""PDS3 products → :class:`~archive_fed.products.layout.ProductLayout`, from the label alone.

Supported objects, found wherever their ``^POINTER`` is (root, or a FILE object as in M3 labels):

* images — any object with ``LINES``/``LINE_SAMPLES`` (``IMAGE``, ``RDN_IMAGE``, Kaguya's
  ``GEOMETRIC_DATA_ALTITUDE``...): ``BANDS`` in ``BAND_SEQUENTIAL``/``LINE_INTERLEAVED``/
  ``SAMPLE_INTERLEAVED`` order, ``LINE_PREFIX_BYTES``/``LINE_SUFFIX_BYTES`` skipped, every
  ``SAMPLE_TYPE`` of 8-64 bits (VAX floats included), ``SCALING_FACTOR``/``OFFSET``, invalid/missing/
  null/saturation constants;
* tables — ``TABLE``, ``SERIES``, ``SPECTRUM``, ``*_TABLE`` (binary: lazy columns; ASCII: parsed on
  open), with ``COLUMN`` ``ITEMS``, ``CONTAINER`` repetitions and ``^STRUCTURE`` format files; and
  ``SPREADSHEET`` (delimited fields).

Pointers: ``^X = n`` (record ``n`` of this file), ``^X = n <BYTES>`` (1-based byte), ``^X = "F.IMG"``,
``^X = ("F.IMG", n)`` / ``("F.IMG", n <BYTES>)``.
"""
from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..errors import ProductError
from ..labels.base import Block, UnitValue
from . import cartography
from .dtypes import PDS3_TEXT_KINDS, in_integer_domain, parse_text_column, pds3_element, unit_attrs
from .io import ByteSource, is_remote, local_path, open_source, resolve
from .quirks import side_object
from .quirks.clementine import quoted_pointer
from .layout import Element, ObjectDecoder, ProductLayout, ProductWarning, Strided, Variable, sanitize
from .text_tables import column, delimiter, fixed_width, split_records

_TABLE_NAME = re.compile(r"(^|_)(TABLE|SERIES|SPECTRUM|SPREADSHEET|INDEX)$")
_MASK_KEY = re.compile(r"^(CORE_)?(NULL|NULL_VALUE|MISSING|MISSING_CONSTANT|MISSING_VALUE|INVALID|INVALID_VALUE"
                       r"|INVALID_CONSTANT|NULL_CONSTANT|(LOW|HIGH)_(REPR|INSTR)_SATURATION|SATURATION_VALUE"
                       r"|OUT_OF_IMAGE_BOUNDS_VALUE|UNKNOWN_CONSTANT|NOT_APPLICABLE_CONSTANT)$")
_STORAGE = {"BAND_SEQUENTIAL": "BSQ", "LINE_INTERLEAVED": "BIL", "SAMPLE_INTERLEAVED": "BIP",
            "BSQ": "BSQ", "BIL": "BIL", "BIP": "BIP"}


class _Context:
    """What every object decoder needs: the label, where it is, and opened byte sources."""

    def __init__(self, label: Block, label_url: str | None) -> None:
        self.label = label
        self.label_url = label_url
        self.sources: dict[str, ByteSource] = {}

    def source(self, url: str) -> ByteSource:
        if url not in self.sources:
            self.sources[url] = open_source(url)
        return self.sources[url]

    def error(self, message: str, block: Block | None = None) -> ProductError:
        return ProductError(message, path=self.label_url, line=getattr(block, "line", None))


# ---- discovery ----------------------------------------------------------------------------------------
def _objects(block: Block, parents: tuple[Block, ...] = ()) -> Iterator[tuple[str, Block, tuple[Block, ...]]]:
    """Every OBJECT block with the chain of blocks enclosing it (innermost last); table internals skipped."""
    for name, child in block.blocks("OBJECT"):
        yield name, child, parents + (block,)
        if not _is_table(name, child):
            yield from _objects(child, parents + (block,))


def _is_image(block: Block) -> bool:
    return "LINES" in block and "LINE_SAMPLES" in block


def _is_table(name: str, block: Block) -> bool:
    if _is_image(block):
        return False
    if _TABLE_NAME.search(name.upper()):
        return True
    return any(k.upper() in ("COLUMN", "FIELD", "CONTAINER") for k, _ in block.blocks("OBJECT")) \
        or "^STRUCTURE" in block


def _pointer(name: str, ordinal: int, chain: tuple[Block, ...]) -> Any:
    for block in reversed(chain):
        values = block.getall("^" + name)
        if values:
            return values[min(ordinal, len(values) - 1)]
    return None


def _record_bytes(chain: tuple[Block, ...]) -> int | None:
    for block in reversed(chain):
        value = block.get("RECORD_BYTES")
        if isinstance(getattr(value, "value", value), (int, float)):
            return int(getattr(value, "value", value))
    return None


def _is_bytes_unit(value: Any) -> bool:
    return str(getattr(value, "unit", "")).strip().upper() in ("BYTES", "BYTE", "B", "BYTE(S)")


def _locate(ctx: _Context, name: str, pointer: Any, chain: tuple[Block, ...], block: Block) -> tuple[str, int]:
    """(data file URL, 0-based byte offset) of a pointer value."""
    file_name, location = None, None
    quoted = quoted_pointer(pointer) if isinstance(pointer, str) else None
    if quoted is not None:   # Clementine BSR: ^TABLE = "(file, n)" (products/quirks/clementine.py)
        file_name, number, in_bytes = quoted
        pointer = [file_name, UnitValue(number, "BYTES") if in_bytes else number]
    if isinstance(pointer, str):
        file_name = pointer
    elif isinstance(pointer, (list, tuple)):
        if not pointer:
            raise ctx.error(f"empty pointer ^{name}", block)
        file_name = str(pointer[0])
        location = pointer[1] if len(pointer) > 1 else None
    else:
        location = pointer
    offset = 0
    if location is not None:
        number = getattr(location, "value", location)
        if isinstance(number, np.generic):      # an integer Quantity's value is a numpy scalar
            number = number.item()
        if not isinstance(number, (int, float)):
            raise ctx.error(f"unreadable pointer ^{name} = {pointer!r}", block)
        if _is_bytes_unit(location):
            offset = int(number) - 1
        else:
            record_bytes = _record_bytes(chain)
            if record_bytes is None:
                raise ctx.error(f"^{name} counts records but the label has no RECORD_BYTES", block)
            offset = (int(number) - 1) * record_bytes
    if file_name is None:
        if not ctx.label_url:
            raise ctx.error(f"^{name} points into the labelled file, but the label's location is unknown",
                            block)
        label_bytes = getattr(ctx.label, "label_bytes", 0)
        if label_bytes and offset < label_bytes:
            warnings.warn(f"{ctx.label_url}: ^{name} points at byte {offset + 1}, inside the label "
                          f"({label_bytes} bytes); reading there anyway", ProductWarning, stacklevel=4)
        return ctx.label_url, max(offset, 0)
    if not ctx.label_url and not (is_remote(file_name) or file_name.startswith("/")):
        raise ctx.error(f"^{name} names {file_name!r} but the label's location is unknown", block)
    return resolve(ctx.label_url or "", file_name), max(offset, 0)


# ---- values -------------------------------------------------------------------------------------------
def _value(value: Any) -> Any:
    return getattr(value, "value", value)


def _mask_values(block: Block, element: Element) -> list[Any]:
    """Stored values the object declares invalid (lists as in Kaguya labels included)."""
    values: list[Any] = []
    for key, raw in block.items_:
        if isinstance(raw, Block) or not _MASK_KEY.match(key.upper()):
            continue
        for item in (raw if isinstance(raw, (list, tuple, set)) else [raw]):
            item = _value(item)
            if isinstance(item, bool) or not isinstance(item, (int, float)):
                continue
            values.append(_as_stored(item, element))
    return [v for v in dict.fromkeys(values) if v is not None]


def _as_stored(item: Any, element: Element) -> Any:
    """A constant in the value domain of ``element``; None when it cannot occur there.

    An integer given for a float type beyond the range floats hold exactly, whose bits read as a float
    are huge or NaN, is a bit pattern: ISIS writes ``CORE_NULL = 16#FF7FFFFB#`` (-3.4028227e38)."""
    value_dtype = element.value_dtype
    if value_dtype.kind == "f" and isinstance(item, int):
        size = value_dtype.itemsize
        if 2 ** (24 if size == 4 else 53) < item < 2 ** (8 * size):
            pattern = float(np.array([item], dtype=f"u{size}").view(f"f{size}")[0])
            if not np.isfinite(pattern) or abs(pattern) > 1e30:
                return pattern
        return float(item)
    return in_integer_domain(item, value_dtype)


def _scaling(block: Block) -> tuple[float | None, float | None]:
    scale, offset = _value(block.get("SCALING_FACTOR")), _value(block.get("OFFSET"))
    scale = float(scale) if isinstance(scale, (int, float)) and scale != 1 else None
    offset = float(offset) if isinstance(offset, (int, float)) and offset != 0 else None
    return scale, offset


def _attrs(name: str, block: Block, data_type: Any) -> dict[str, Any]:
    attrs: dict[str, Any] = {"pds_object": name, "pds_data_type": str(data_type)}
    attrs.update(unit_attrs(_value(block.get("UNIT"))))
    for key, attr in (("IMAGE_VALUE_TYPE", "long_name"), ("DESCRIPTION", "description")):
        text = block.get(key)
        if isinstance(text, str) and text.strip():
            attrs[attr] = " ".join(text.split())
    for key, attr in (("VALID_MINIMUM", "valid_min"), ("VALID_MAXIMUM", "valid_max")):
        value = _value(block.get(key))
        if isinstance(value, (int, float)):
            attrs[attr] = value
    return attrs


# ---- images -------------------------------------------------------------------------------------------
def _int(ctx: _Context, block: Block, key: str, default: int | None = None) -> int:
    value = _value(block.get(key, default))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or value < 0:
        raise ctx.error(f"{key} = {value!r} is not a count", block)
    return value


def _image(ctx: _Context, name: str, block: Block, url: str, offset: int) -> Variable:
    lines, samples = _int(ctx, block, "LINES"), _int(ctx, block, "LINE_SAMPLES")
    bands = _int(ctx, block, "BANDS", 1)
    sample_type = block.get("SAMPLE_TYPE")
    if sample_type is None:
        raise ctx.error(f"{name} has no SAMPLE_TYPE", block)
    element = pds3_element(sample_type, _int(ctx, block, "SAMPLE_BITS", 8), where=name, path=ctx.label_url)
    size = element.stored.itemsize
    prefix, suffix = _int(ctx, block, "LINE_PREFIX_BYTES", 0), _int(ctx, block, "LINE_SUFFIX_BYTES", 0)
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
    scale, add = _scaling(block)
    attrs = _attrs(name, block, sample_type)
    if storage != "BSQ" or bands > 1:
        attrs["band_storage_type"] = storage_text
    variable = Variable(sanitize(name), dims, data, element, scale, add, _mask_values(block, element), attrs)
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


def _band_coords(ctx: _Context, block: Block, bands: int) -> dict[str, tuple[str, Any, dict]]:
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
        items.append(_value(item))
    return items, unit


def _find_projection(label: Block) -> Block | None:
    for name, block in label.walk():
        if name.upper() == "IMAGE_MAP_PROJECTION":
            return block
    return None


# ---- tables -------------------------------------------------------------------------------------------
class _Column:
    """One COLUMN (or FIELD) with the container repetitions around it, positions 0-based in the row."""

    def __init__(self, name: str, block: Block, start: int, reps: list[tuple[str, int, int]]) -> None:
        self.name, self.block, self.start, self.reps = name, block, start, reps


def _structure(ctx: _Context, value: Any, block: Block) -> Block:
    """A ``^STRUCTURE`` format file, looked up next to the label, then in ``LABEL/`` up the tree."""
    from ..labels.pds3 import parse_pds3

    name = value[0] if isinstance(value, (list, tuple)) else value
    if not isinstance(name, str) or not ctx.label_url:
        raise ctx.error(f"unusable ^STRUCTURE {value!r}", block)
    candidates = [resolve(ctx.label_url, name)]
    if not is_remote(ctx.label_url):
        for up in ("../LABEL/", "../../LABEL/", "../../../LABEL/", "LABEL/"):
            candidates.append(resolve(ctx.label_url, up + name))
    for candidate in candidates:
        try:
            source = ctx.source(candidate)
            if is_remote(candidate):
                data = source.read_span(0, source.size())
            else:
                with open(local_path(candidate), "rb") as stream:
                    data = stream.read()
        except (OSError, ProductError):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return parse_pds3(data.rstrip(b"\x00") + b"\r\nEND\r\n", path=candidate, lenient=True)
    raise ctx.error(f"^STRUCTURE file {name!r} not found next to the label or in a LABEL directory", block)


def _columns(ctx: _Context, block: Block, base: int = 0, reps: list | None = None,
             depth: int = 0) -> list[_Column]:
    """The columns of a table (or container), ^STRUCTURE files expanded in place."""
    if depth > 20:
        raise ctx.error("^STRUCTURE/CONTAINER nesting deeper than 20", block)
    out: list[_Column] = []
    reps = reps or []
    for key, value in block.items_:
        upper = key.upper()
        if upper == "^STRUCTURE":
            out.extend(_columns(ctx, _structure(ctx, value, block), base, reps, depth + 1))
        elif isinstance(value, Block) and upper in ("COLUMN", "FIELD"):
            start = _value(value.get("START_BYTE", 1))
            out.append(_Column(str(value.get("NAME", f"COLUMN_{len(out) + 1}")), value,
                               base + int(start) - 1 if isinstance(start, (int, float)) else base, reps))
        elif isinstance(value, Block) and upper == "CONTAINER":
            start = int(_value(value.get("START_BYTE", 1))) - 1
            count = _int(ctx, value, "REPETITIONS", 1)
            length = _int(ctx, value, "BYTES", 0)
            name = str(value.get("NAME", "CONTAINER"))
            out.extend(_columns(ctx, value, base + start, reps + [(name, count, length)], depth + 1))
    return out


def _table(ctx: _Context, name: str, block: Block, url: str, offset: int) -> list[Variable]:
    if name.upper().endswith("SPREADSHEET") or "FIELD_DELIMITER" in block:
        return _spreadsheet(ctx, name, block, url, offset)
    rows = _int(ctx, block, "ROWS")
    row_bytes = _int(ctx, block, "ROW_BYTES")
    prefix, suffix = _int(ctx, block, "ROW_PREFIX_BYTES", 0), _int(ctx, block, "ROW_SUFFIX_BYTES", 0)
    stride = prefix + row_bytes + suffix
    columns = _columns(ctx, block)
    if not columns:
        raise ctx.error(f"{name} has no COLUMN definitions", block)
    binary = str(block.get("INTERCHANGE_FORMAT", "")).upper() == "BINARY" or (
        "INTERCHANGE_FORMAT" not in block and any(_is_binary(c.block.get("DATA_TYPE", "")) for c in columns))
    buffer = None if binary else ctx.source(url).read_span(offset, offset + rows * stride)
    variables = []
    for col in columns:
        variables.append(_column(ctx, name, col, url, offset + prefix, rows, stride, buffer))
    return variables


def _is_binary(data_type: Any) -> bool:
    text = "_".join(str(data_type).upper().split())
    return text not in PDS3_TEXT_KINDS and not text.startswith("ASCII")


def _column(ctx: _Context, table: str, col: _Column, url: str, start: int, rows: int, stride: int,
            buffer: bytes | None) -> Variable:
    block = col.block
    data_type = str(block.get("DATA_TYPE", "CHARACTER"))
    items = _int(ctx, block, "ITEMS", 1)
    size = _int(ctx, block, "BYTES", 0)
    item_bytes = _int(ctx, block, "ITEM_BYTES", size // items if items else size)
    item_offset = _int(ctx, block, "ITEM_OFFSET", item_bytes)
    shape: list[int] = [rows]
    strides: list[int] = [stride]
    dims = ["record"]
    for rep_name, count, length in col.reps:
        shape.append(count)
        strides.append(length)
        dims.append(sanitize(rep_name))
    if items > 1:
        shape.append(items)
        strides.append(item_offset)
        dims.append(sanitize(col.name) + "_item")
    name = sanitize(col.name)
    attrs = _attrs(table, block, data_type)
    attrs["pds_column"] = col.name
    scale, add = _scaling(block)
    if buffer is not None:  # ASCII table: parse now
        kind = PDS3_TEXT_KINDS.get("_".join(data_type.upper().split()), "string")
        if col.start + (item_bytes or 1) > stride:
            raise ctx.error(f"column {col.name} lies outside ROW_BYTES", block)
        if len(buffer) < (rows - 1) * stride + col.start + item_bytes:
            raise ctx.error(f"table {table} is truncated: {len(buffer)} bytes for {rows} rows", block)
        buffer = buffer.ljust(rows * stride, b" ")   # the last row may lack its line end
        strings = fixed_width(buffer, col.start, tuple(shape), tuple(strides), max(item_bytes, 1))
        values = parse_text_column(np.char.decode(strings, "latin-1"), kind)
        element = Element(np.dtype(values.dtype)) if values.dtype.kind in "iuf" else None
        masks = _mask_values(block, element) if element is not None else []
        return Variable(name, tuple(dims), values, element, scale, add, masks, attrs)
    element = pds3_element(data_type, item_bytes * 8, where=col.name, path=ctx.label_url,
                           small_ints_unsigned=False)
    if element.codec == "bytes":
        shape.append(item_bytes)
        strides.append(1)
        dims.append(name + "_byte")
    data = Strided(url, start + col.start, tuple(shape), tuple(strides), element.stored)
    masks = _mask_values(block, element) if element.codec != "text" else []
    return Variable(name, tuple(dims), data, element, scale, add, masks, attrs)


def _spreadsheet(ctx: _Context, name: str, block: Block, url: str, offset: int) -> list[Variable]:
    rows = _value(block.get("ROWS"))
    fields = [(n, b) for n, b in block.blocks("OBJECT") if n.upper() == "FIELD"]
    data = ctx.source(url).read_span(offset, ctx.source(url).size())
    records = split_records(data, int(rows) if isinstance(rows, int) else None,
                            delimiter(block.get("FIELD_DELIMITER")), where=f"{ctx.label_url}: {name}")
    variables, position = [], 0
    for index, (_, field) in enumerate(fields):
        number = _value(field.get("FIELD_NUMBER", index + 1))
        position = int(number) - 1 if isinstance(number, int) else position
        items = _int(ctx, field, "ITEMS", 1)
        data_type = str(field.get("DATA_TYPE", "CHARACTER"))
        kind = PDS3_TEXT_KINDS.get("_".join(data_type.upper().split()), "string")
        if items > 1:
            values = np.stack([parse_text_column(column(records, position + i), kind) for i in range(items)],
                              axis=1)
            dims: tuple[str, ...] = ("record", sanitize(str(field.get("NAME", "FIELD"))) + "_item")
        else:
            values = parse_text_column(column(records, position), kind)
            dims = ("record",)
        position += items
        element = Element(np.dtype(values.dtype)) if values.dtype.kind in "iuf" else None
        attrs = _attrs(name, field, data_type)
        scale, add = _scaling(field)
        variables.append(Variable(sanitize(str(field.get("NAME", f"FIELD_{index + 1}"))), dims, values,
                                  element, scale, add, _mask_values(field, element) if element else [], attrs))
    return variables


# ---- entry --------------------------------------------------------------------------------------------
def _data_object(ctx: _Context, name: str, block: Block, chain: tuple, pointer: Any,
                 is_image: bool) -> list[Variable]:
    url, offset = _locate(ctx, name, pointer, chain + (block,), block)
    if is_image:
        return [_image(ctx, name, block, url, offset)]
    return _table(ctx, name, block, url, offset)


def layout_pds3(label: Block, label_url: str | None = None) -> tuple[ProductLayout, dict[str, ByteSource]]:
    """The variables of a PDS3 product and the byte sources they read from (nothing read yet, except
    ASCII tables and spreadsheets, parsed here)."""
    ctx = _Context(label, label_url or getattr(label, "path", None))
    decoder = ObjectDecoder(ctx.label_url)
    variables: list[Variable] = []
    seen: dict[tuple[int, str], int] = {}
    for name, block, chain in _objects(label):
        reason = side_object(label, name)
        if reason is not None:   # a mission quirk (products/quirks): open the rest, say what was left out
            warnings.warn(f"{ctx.label_url}: object {name} skipped: {reason}", ProductWarning, stacklevel=2)
            continue
        is_image, is_table = _is_image(block), _is_table(name, block)
        if not (is_image or is_table):
            continue
        ordinal = seen.get((id(chain[-1]), name.upper()), 0)
        seen[(id(chain[-1]), name.upper())] = ordinal + 1
        pointer = _pointer(name, ordinal, chain)
        if pointer is None:
            warnings.warn(f"{ctx.label_url}: object {name} has no ^{name} pointer; skipped", ProductWarning,
                          stacklevel=2)
            continue
        variables.extend(decoder.run(name, _data_object, ctx, name, block, chain, pointer, is_image))
    decoder.finish(variables)
    if not variables:
        raise ctx.error("no IMAGE, TABLE, SERIES, SPECTRUM or SPREADSHEET object with a data pointer")
    for variable in variables:
        if isinstance(variable.data, Strided):
            ctx.source(variable.data.url)
    return ProductLayout(variables), ctx.sources

