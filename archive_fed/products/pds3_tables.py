"""PDS3 tables: ``TABLE``, ``SERIES``, ``SPECTRUM``, ``*_TABLE`` (binary: lazy columns; ASCII: parsed on
open), with ``COLUMN`` ``ITEMS``, ``CONTAINER`` repetitions and ``^STRUCTURE`` format files; and
``SPREADSHEET`` (delimited fields)."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..errors import ProductError
from ..labels.base import Block
from .bits import bit_field
from .dtypes import PDS3_TEXT_KINDS, parse_text_column, pds3_element, pds3_integer_sign
from .io import is_remote, local_path, resolve
from .layout import Element, Strided, Variable, sanitize
from .quirks import delimited_data
from .pds3_values import Context, attrs_of, counted, mask_values, plain, scaling
from .text_tables import column, delimiter, fixed_width, split_records


class _Column:
    """One COLUMN (or FIELD) with the container repetitions around it, positions 0-based in the row."""

    def __init__(self, name: str, block: Block, start: int, reps: list[tuple[str, int, int]]) -> None:
        self.name, self.block, self.start, self.reps = name, block, start, reps


def _structure(ctx: Context, value: Any, block: Block) -> Block:
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


def _columns(ctx: Context, block: Block, base: int = 0, reps: list | None = None,
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
            start = plain(value.get("START_BYTE", 1))
            out.append(_Column(str(value.get("NAME", f"COLUMN_{len(out) + 1}")), value,
                               base + int(start) - 1 if isinstance(start, (int, float)) else base, reps))
        elif isinstance(value, Block) and upper == "CONTAINER":
            start = int(plain(value.get("START_BYTE", 1))) - 1
            count = counted(ctx, value, "REPETITIONS", 1)
            length = counted(ctx, value, "BYTES", 0)
            name = str(value.get("NAME", "CONTAINER"))
            out.extend(_columns(ctx, value, base + start, reps + [(name, count, length)], depth + 1))
    return out


def table(ctx: Context, name: str, block: Block, url: str, offset: int) -> list[Variable]:
    if name.upper().endswith("SPREADSHEET") or "FIELD_DELIMITER" in block:
        return _spreadsheet(ctx, name, block, url, offset)
    row_bytes = counted(ctx, block, "ROW_BYTES")
    prefix, suffix = counted(ctx, block, "ROW_PREFIX_BYTES", 0), counted(ctx, block, "ROW_SUFFIX_BYTES", 0)
    stride = prefix + row_bytes + suffix
    if "ROWS" in block:
        rows = counted(ctx, block, "ROWS")
    else:    # no ROWS (a table a quirk module describes from its format document): as many as fit
        rows = max(ctx.source(url).size() - offset, 0) // max(stride, 1)
    columns = _columns(ctx, block)
    if not columns:
        raise ctx.error(f"{name} has no COLUMN definitions", block)
    binary = str(block.get("INTERCHANGE_FORMAT", "")).upper() == "BINARY" or (
        "INTERCHANGE_FORMAT" not in block and any(_is_binary(c.block.get("DATA_TYPE", "")) for c in columns))
    buffer = None if binary else ctx.source(url).read_span(offset, offset + rows * stride)
    variables = []
    for col in columns:
        variables.append(_column(ctx, name, col, url, offset + prefix, rows, stride, buffer))
        if binary and any(k.upper() == "BIT_COLUMN" for k, _ in col.block.blocks("OBJECT")):
            variables.extend(_bit_columns(ctx, name, col, url, offset + prefix, rows, stride))
    return variables


def _bit_columns(ctx: Context, table: str, col: _Column, url: str, start: int, rows: int,
                 stride: int) -> list[Variable]:
    """The ``BIT_COLUMN`` objects of a binary column, extracted now from the column's bytes.

    ``START_BIT`` counts from 1 at the most significant bit of the column's first byte (of its last
    byte for ``LSB_BIT_STRING``/``LSB_*`` columns, whose bytes are reversed first, as pdr reads them);
    ``ITEMS`` repetitions are ``ITEM_OFFSET`` bits apart; ``MSB_INTEGER``/``INTEGER`` bit columns are
    two's complement. Inside ``CONTAINER`` repetitions, the container dimensions follow ``record``."""
    size = counted(ctx, col.block, "BYTES")
    shape = (rows, *[count for _, count, _ in col.reps], size)
    strides = (stride, *[length for _, _, length in col.reps], 1)
    raw = ctx.source(url).read(Strided(url, start + col.start, shape, strides, np.dtype("u1")),
                               tuple(slice(None) for _ in shape))
    if str(col.block.get("DATA_TYPE", "")).upper().startswith(("LSB", "VAX", "PC_")):
        raw = raw[..., ::-1]
    outer = ("record", *[sanitize(rep) for rep, _, _ in col.reps])
    variables = []
    for kind, bit in col.block.blocks("OBJECT"):
        if kind.upper() != "BIT_COLUMN":
            continue
        name = str(bit.get("NAME", f"{col.name}_BITS"))
        data_type = str(bit.get("BIT_DATA_TYPE", "MSB_UNSIGNED_INTEGER"))
        signed = pds3_integer_sign(data_type, where=name, path=ctx.label_url)
        first, bits = counted(ctx, bit, "START_BIT"), counted(ctx, bit, "BITS")
        items = counted(ctx, bit, "ITEMS", 1)
        item_bits = counted(ctx, bit, "ITEM_BITS", bits // items if items else bits)
        item_offset = counted(ctx, bit, "ITEM_OFFSET", item_bits)
        if first < 1:
            raise ctx.error(f"BIT_COLUMN {name}: START_BIT = {first}", bit)
        try:
            parts = [bit_field(raw, first - 1 + k * item_offset, item_bits, signed) for k in range(items)]
        except ProductError as error:
            raise ctx.error(f"BIT_COLUMN {name}: {error.message}", bit) from None
        values = parts[0] if items == 1 else np.stack(parts, axis=-1)
        dims = outer if items == 1 else (*outer, sanitize(name) + "_item")
        element = Element(values.dtype)
        attrs = attrs_of(table, bit, data_type)
        attrs.update({"pds_column": col.name, "start_bit": first, "bits": bits})
        scale, add = scaling(bit)
        variables.append(Variable(sanitize(name), dims, values, element, scale, add, mask_values(bit, element),
                                  attrs))
    return variables


def _is_binary(data_type: Any) -> bool:
    text = "_".join(str(data_type).upper().split())
    return text not in PDS3_TEXT_KINDS and not text.startswith("ASCII")


def _column(ctx: Context, table: str, col: _Column, url: str, start: int, rows: int, stride: int,
            buffer: bytes | None) -> Variable:
    block = col.block
    data_type = str(block.get("DATA_TYPE", "CHARACTER"))
    items = counted(ctx, block, "ITEMS", 1)
    size = counted(ctx, block, "BYTES", 0)
    item_bytes = counted(ctx, block, "ITEM_BYTES", size // items if items else size)
    item_offset = counted(ctx, block, "ITEM_OFFSET", item_bytes)
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
    attrs = attrs_of(table, block, data_type)
    attrs["pds_column"] = col.name
    scale, add = scaling(block)
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
        masks = mask_values(block, element) if element is not None else []
        return Variable(name, tuple(dims), values, element, scale, add, masks, attrs)
    element = pds3_element(data_type, item_bytes * 8, where=col.name, path=ctx.label_url,
                           small_ints_unsigned=False)
    if element.codec == "bytes":
        shape.append(item_bytes)
        strides.append(1)
        dims.append(name + "_byte")
    data = Strided(url, start + col.start, tuple(shape), tuple(strides), element.stored)
    masks = mask_values(block, element) if element.codec != "text" else []
    return Variable(name, tuple(dims), data, element, scale, add, masks, attrs)


def _spreadsheet(ctx: Context, name: str, block: Block, url: str, offset: int) -> list[Variable]:
    rows = plain(block.get("ROWS"))
    fields = [(n, b) for n, b in block.blocks("OBJECT") if n.upper() == "FIELD"]
    if not fields:      # a TABLE read as delimited text (products/quirks): its COLUMNs in order
        fields = [(c.name, c.block) for c in _columns(ctx, block)]
    data = delimited_data(ctx.label, name, ctx.source(url).read_span(offset, ctx.source(url).size()))
    records = split_records(data, int(rows) if isinstance(rows, int) else None,
                            delimiter(block.get("FIELD_DELIMITER")), where=f"{ctx.label_url}: {name}")
    variables, position = [], 0
    for index, (_, field) in enumerate(fields):
        number = plain(field.get("FIELD_NUMBER"))
        position = int(number) - 1 if isinstance(number, int) else position
        items = counted(ctx, field, "ITEMS", 1)
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
        attrs = attrs_of(name, field, data_type)
        scale, add = scaling(field)
        variables.append(Variable(sanitize(str(field.get("NAME", f"FIELD_{index + 1}"))), dims, values,
                                  element, scale, add, mask_values(field, element) if element else [], attrs))
    return variables


