"""PDS4 products → :class:`~archive_fed.products.layout.ProductLayout`, from the label alone.

Every ``File_Area_*`` of the label is read: its ``File/file_name`` (resolved next to the label) and its
data objects —

* ``Array``, ``Array_1D``... ``Array_3D_Spectrum``: axes in ``sequence_number`` order named by
  ``axis_name`` (lower case), ``axis_index_order``, ``offset``, ``Element_Array`` (``data_type``,
  ``scaling_factor``, ``value_offset``, ``unit``) and ``Special_Constants`` → one lazy variable;
* ``Table_Binary``: one lazy variable per ``Field_Binary``, dimension ``record``, one more dimension
  per enclosing ``Group_Field_Binary`` (named after the group);
* ``Table_Character`` and ``Table_Delimited`` (and collection ``Inventory`` tables): one variable per
  field, parsed when opened;
* ``Packed_Data_Fields``: each ``Field_Bit`` one more variable beside its field (:mod:`.bits`);
* ``Encoded_Image`` (JPEG, PNG, GIF, TIFF, JPEG 2000): decoded with Pillow when opened.

Data files named ``*.gz`` are inflated first (:class:`~.io.GzipFile`).

Real-world tolerance: Chang'e GRAS labels (``*.2BL``) declare multi-byte opaque fields as
``UnsignedByte`` with ``field_length`` 4-28 (pds4_tools refuses them). :func:`_byte_vector` reads each
such field as a ``uint8`` vector with an extra ``<field>_byte`` dimension and warns once per product.
"""
from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..errors import ProductError
from ..labels.pds4 import PDS4Label
from .bits import bit_field
from .dtypes import (in_integer_domain, parse_text_column, pds4_element, pds4_text_kind, text_strings,
                     unit_attrs)
from .io import ByteSource, open_source, resolve
from .quirks.change import reads_by_whitespace
from .quirks.chandrayaan2 import table_offset as class_table_offset
from .layout import Element, ObjectDecoder, ProductLayout, ProductWarning, Strided, Variable, sanitize, unique
from .text_tables import column, delimiter, fixed_width, split_records

_HEX = re.compile(r"^(?:0x([0-9A-Fa-f]+)|16#([0-9A-Fa-f]+)#)$")


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class _Context:
    def __init__(self, label: PDS4Label, label_url: str | None) -> None:
        self.label = label
        self.label_url = label_url
        self.sources: dict[str, ByteSource] = {}
        self.byte_vectors: list[str] = []

    def source(self, url: str) -> ByteSource:
        if url not in self.sources:
            self.sources[url] = open_source(url)
        return self.sources[url]

    def text(self, path: str, within: Any) -> str | None:
        return self.label.find(path, within)

    def integer(self, path: str, within: Any, default: int | None = None) -> int:
        text = self.text(path, within)
        if text is None:
            if default is None:
                raise self.error(f"missing <{path}>", within)
            return default
        try:
            number = float(text)
        except ValueError:
            raise self.error(f"<{path}> is not a number: {text!r}", within) from None
        if not number.is_integer() or number < 0:
            raise self.error(f"<{path}> is not a count: {text!r}", within)
        return int(number)

    def number(self, path: str, within: Any) -> float | None:
        text = self.text(path, within)
        try:
            return float(text) if text is not None else None
        except ValueError:
            return None

    def error(self, message: str, node: Any = None) -> ProductError:
        where = None
        if node is not None and hasattr(node, "getroottree"):
            where = node.getroottree().getpath(node)
            where = re.sub(r"\{[^}]*\}", "", where) if where else None
        return ProductError(message, path=self.label_url, element=where)


# ---- shared -------------------------------------------------------------------------------------------
def _constant(text: str, element: Element | None) -> Any:
    text = text.strip()
    match = _HEX.match(text)
    value_dtype = element.value_dtype if element is not None else np.dtype(np.float64)
    if match:
        bits = int(match.group(1) or match.group(2), 16)
        if value_dtype.kind == "f":
            size = value_dtype.itemsize
            return np.array([bits], dtype=f"u{size}").view(f"f{size}")[0].item()
        return bits
    try:
        value: Any = int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            return None
    return in_integer_domain(value, value_dtype)


def _special(ctx: _Context, node: Any, element: Element | None) -> tuple[list[Any], dict[str, Any]]:
    """Mask values and valid-range attributes from a ``Special_Constants`` child of ``node``."""
    constants = ctx.label.element("Special_Constants", node)
    if constants is None:
        return [], {}
    masks, attrs = [], {}
    for child in constants:
        tag = _local(child.tag)
        text = (child.text or "").strip()
        if not text or not tag:
            continue
        # as pds4_tools: every child but valid_* is a value that is not data (also spellings we do not know)
        if tag.startswith("valid_"):
            value = _constant(text, element)
            if value is not None and tag in ("valid_minimum", "valid_maximum"):
                attrs["valid_min" if tag == "valid_minimum" else "valid_max"] = value
            continue
        value = _constant(text, element)
        if value is not None:
            masks.append(value)
    return list(dict.fromkeys(masks)), attrs


def _common_attrs(ctx: _Context, node: Any, owner: str, data_type: str | None) -> dict[str, Any]:
    attrs: dict[str, Any] = {"pds_object": owner}
    if data_type:
        attrs["pds_data_type"] = data_type
    attrs.update(unit_attrs(ctx.text("unit", node)))
    description = ctx.text("description", node)
    if description:
        attrs["description"] = description
    return attrs


def _owner_name(ctx: _Context, node: Any) -> str:
    return ctx.text("name", node) or ctx.text("local_identifier", node) or _local(node.tag)


def _scaling(ctx: _Context, node: Any) -> tuple[float | None, float | None]:
    scale, offset = ctx.number("scaling_factor", node), ctx.number("value_offset", node)
    return (scale if scale not in (None, 1.0) else None), (offset if offset not in (None, 0.0) else None)


# ---- arrays -------------------------------------------------------------------------------------------
def _array(ctx: _Context, node: Any, url: str) -> Variable:
    offset = ctx.integer("offset", node, 0)
    element_node = ctx.label.element("Element_Array", node)
    if element_node is None:
        raise ctx.error("array without <Element_Array>", node)
    data_type = ctx.text("data_type", element_node) or ""
    element = pds4_element(data_type, path=ctx.label_url)
    if element.codec == "text":
        raise ctx.error(f"array of text type {data_type} is not supported", node)
    axes = sorted(ctx.label.elements("Axis_Array", node),
                  key=lambda a: ctx.integer("sequence_number", a, 0))
    if not axes:
        raise ctx.error("array without <Axis_Array>", node)
    shape = [ctx.integer("elements", a) for a in axes]
    dims, taken = [], set()
    for k, axis in enumerate(axes):
        dim = sanitize(ctx.text("axis_name", axis) or f"axis_{k}").lower()
        while dim in taken:
            dim += "_"
        taken.add(dim)
        dims.append(dim)
    itemsize = element.stored.itemsize
    strides = [0] * len(shape)
    order = (ctx.text("axis_index_order", node) or "Last Index Fastest").lower()
    step = itemsize
    for k in (range(len(shape)) if order.startswith("first") else reversed(range(len(shape)))):
        strides[k] = step
        step *= shape[k]
    name = _owner_name(ctx, node)
    masks, valid = _special(ctx, node, element)
    scale, add = _scaling(ctx, element_node)
    attrs = _common_attrs(ctx, node, name, data_type)
    attrs.update(unit_attrs(ctx.text("unit", element_node)) or {})
    attrs.update(valid)
    attrs["pds_class"] = _local(node.tag)
    return Variable(sanitize(name), tuple(dims), Strided(url, offset, tuple(shape), tuple(strides),
                                                         element.stored), element, scale, add, masks, attrs)


# ---- tables -------------------------------------------------------------------------------------------
class _Field:
    """A field with the groups around it: 0-based ``start`` in the record, ``reps`` = (dim, count, stride)."""

    def __init__(self, node: Any, start: int, reps: list[tuple[str, int, int]], number: int) -> None:
        self.node, self.start, self.reps, self.number = node, start, reps, number


def _fixed_fields(ctx: _Context, record: Any, kind: str, base: int = 0,
                  reps: list | None = None) -> Iterator[_Field]:
    """Fields of a Record_Binary/Record_Character (``kind`` = ``Binary``/``Character``), groups expanded."""
    reps = reps or []
    for child in record:
        tag = _local(child.tag)
        if tag == f"Field_{kind}":
            yield _Field(child, base + ctx.integer("field_location", child) - 1, reps,
                         ctx.integer("field_number", child, 0))
        elif tag == f"Group_Field_{kind}":
            count = ctx.integer("repetitions", child)
            length = ctx.integer("group_length", child)
            if count == 0:
                continue
            if length % count:
                raise ctx.error(f"group_length {length} is not a multiple of {count} repetitions", child)
            name = ctx.text("name", child) or _first_field_name(ctx, child, kind)
            yield from _fixed_fields(ctx, child, kind, base + ctx.integer("group_location", child) - 1,
                                     reps + [(name, count, length // count)])


def _first_field_name(ctx: _Context, group: Any, kind: str) -> str:
    """An unnamed group's dimension is named after its first field (``SHEN_COUNTS`` → ``SHEN_COUNTS_index``)."""
    for node in group.iter("{*}Field_" + kind):
        name = ctx.text("name", node)
        if name:
            return name
    return "group"


def _group_dims(fields: list[_Field], names: set[str]) -> None:
    """Group dimension names: the group's name, ``_index`` added where it equals a field's name, and
    ``_2``, ``_3``... where nested groups would repeat a name (unnamed groups inside unnamed groups)."""
    for field in fields:
        field.reps = [(dim, count, stride) for dim, (count, stride) in
                      zip(group_dim_names([name for name, _, _ in field.reps], names),
                          [(count, stride) for _, count, stride in field.reps])]


def group_dim_names(groups: list[str], field_names: set[str]) -> list[str]:
    """Dimension names for nested groups, outermost first, distinct from each other and from ``record``.

    >>> group_dim_names(["A", "A"], {"A"})
    ['A_index', 'A_index_2']
    """
    taken = {"record"}
    dims = []
    for name in groups:
        clean = sanitize(name)
        dims.append(unique(clean + ("_index" if clean in field_names else ""), taken))
    return dims


def _byte_vector(ctx: _Context, name: str, data_type: str, length: int) -> bool:
    """Chang'e GRAS quirk: a multi-byte field typed ``UnsignedByte``/``SignedByte`` (CE-4 LPR
    ``FRAME_IDENTIFICATION``, ``TIME``, ``DataParameter1/2``) is a vector of bytes."""
    if data_type in ("UnsignedByte", "SignedByte") and length > 1:
        ctx.byte_vectors.append(name)
        return True
    return False


def _table_binary(ctx: _Context, node: Any, url: str) -> list[Variable]:
    owner = _owner_name(ctx, node)
    offset = ctx.integer("offset", node, 0)
    fits_offset = class_table_offset(url)       # Chandrayaan-2 CLASS: the table is FITS extension 1
    if fits_offset is not None and fits_offset != offset:
        warnings.warn(f"{ctx.label_url}: {owner} read at byte {fits_offset} (FITS extension 1), not at the "
                      f"label's offset {offset}", ProductWarning, stacklevel=3)
        offset = fits_offset
    records = ctx.integer("records", node)
    record = ctx.label.element("Record_Binary", node)
    if record is None:
        raise ctx.error("Table_Binary without <Record_Binary>", node)
    record_length = ctx.integer("record_length", record)
    fields = list(_fixed_fields(ctx, record, "Binary"))
    _group_dims(fields, {sanitize(ctx.text("name", f.node) or "") for f in fields})
    variables = []
    for field in fields:
        name = ctx.text("name", field.node) or f"field_{field.number}"
        data_type = ctx.text("data_type", field.node) or ""
        length = ctx.integer("field_length", field.node, 0)
        shape = [records] + [count for _, count, _ in field.reps]
        strides = [record_length] + [stride for _, _, stride in field.reps]
        dims = ["record"] + [dim for dim, _, _ in field.reps]
        if _byte_vector(ctx, name, data_type, length):
            element = Element(np.dtype("u1" if data_type == "UnsignedByte" else "i1"))
            shape, strides, dims = shape + [length], strides + [1], dims + [sanitize(name) + "_byte"]
        else:
            element = pds4_element(data_type, length, path=ctx.label_url)
            if element.codec == "bytes":
                shape, strides, dims = shape + [length], strides + [1], dims + [sanitize(name) + "_byte"]
            elif length and element.stored.itemsize != length:
                warnings.warn(f"{ctx.label_url}: field {name} is {data_type} but {length} bytes long; "
                              f"reading {element.stored.itemsize} bytes", ProductWarning, stacklevel=3)
        if field.start + element.stored.itemsize > record_length:
            raise ctx.error(f"field {name} ends past record_length {record_length}", field.node)
        if element.codec == "text" and pds4_text_kind(data_type) != "string":
            # ASCII_Integer/Real/Numeric_Base*/Boolean/Date* inside a binary record: parsed (hence read)
            # now, as character tables are, so they are scaled and masked like any number
            stored = Strided(url, offset + field.start, tuple(shape), tuple(strides), element.stored)
            raw = ctx.source(url).read(stored, tuple(slice(None) for _ in shape))
            variables.append(_text_variable(ctx, owner, field.node, name, dims, text_strings(raw)))
            continue
        packed = ctx.label.element("Packed_Data_Fields", field.node)
        if packed is not None:
            outer = len(field.reps) + 1          # record and group dimensions, then the field's bytes
            stored = Strided(url, offset + field.start, tuple(shape[:outer]) + (length,),
                             tuple(strides[:outer]) + (1,), np.dtype("u1"))
            raw = ctx.source(url).read(stored, tuple(slice(None) for _ in range(outer + 1)))
            variables.extend(_bit_fields(ctx, owner, packed, raw, dims[:outer]))
        masks, valid = _special(ctx, field.node, element)
        scale, add = _scaling(ctx, field.node)
        attrs = _common_attrs(ctx, field.node, owner, data_type)
        attrs.update(valid)
        variables.append(Variable(sanitize(name), tuple(dims),
                                  Strided(url, offset + field.start, tuple(shape), tuple(strides),
                                          element.stored), element, scale, add,
                                  masks if element.codec == "native" else [], attrs))
    return variables


def _bit_fields(ctx: _Context, owner: str, packed: Any, raw: np.ndarray, dims: list[str]) -> list[Variable]:
    """The ``Field_Bit`` children of a ``Packed_Data_Fields``, extracted now from the containing field's
    bytes ``raw`` (its bytes on the last axis). pds4_tools does not read bit fields: they follow the
    Information Model (bits counted from 1 at the most significant bit of the field's first byte;
    ``start_bit_location``/``stop_bit_location``, or ``start_bit``/``stop_bit`` before IM 1.11)."""
    variables = []
    for node in ctx.label.elements("Field_Bit", packed):
        name = ctx.text("name", node) or f"bit_field_{ctx.integer('field_number', node, 0)}"
        start = ctx.integer("start_bit_location", node, 0) or ctx.integer("start_bit", node)
        stop = ctx.integer("stop_bit_location", node, 0) or ctx.integer("stop_bit", node)
        data_type = ctx.text("data_type", node) or "UnsignedBitString"
        if start < 1 or stop < start:
            raise ctx.error(f"bit field {name}: bits {start}-{stop}", node)
        try:
            values = bit_field(raw, start - 1, stop - start + 1, signed=data_type.startswith("Signed"))
        except ProductError as error:
            raise ctx.error(f"bit field {name}: {error.message}", node) from None
        element = Element(values.dtype)
        masks, valid = _special(ctx, node, element)
        attrs = _common_attrs(ctx, node, owner, data_type)
        attrs.update(valid)
        attrs.update({"start_bit": start, "stop_bit": stop})
        variables.append(Variable(sanitize(name), tuple(dims), values, element, None, None, masks, attrs))
    return variables


def _text_variable(ctx: _Context, owner: str, node: Any, name: str, dims: list[str],
                   strings: np.ndarray) -> Variable:
    data_type = ctx.text("data_type", node) or "ASCII_String"
    values = parse_text_column(strings, pds4_text_kind(data_type))
    element = Element(np.dtype(values.dtype)) if values.dtype.kind in "iuf" else None
    masks, valid = _special(ctx, node, element) if element is not None else ([], {})
    scale, add = _scaling(ctx, node)
    attrs = _common_attrs(ctx, node, owner, data_type)
    attrs.update(valid)
    return Variable(sanitize(name), tuple(dims), values, element, scale, add, masks, attrs)


def _table_character(ctx: _Context, node: Any, url: str) -> list[Variable]:
    owner = _owner_name(ctx, node)
    offset = ctx.integer("offset", node, 0)
    records = ctx.integer("records", node)
    record = ctx.label.element("Record_Character", node)
    if record is None:
        raise ctx.error("Table_Character without <Record_Character>", node)
    record_length = ctx.integer("record_length", record)
    fields = list(_fixed_fields(ctx, record, "Character"))
    _group_dims(fields, {sanitize(ctx.text("name", f.node) or "") for f in fields})
    if reads_by_whitespace(ctx.label_url) or reads_by_whitespace(ctx.text(".//logical_identifier", None)):
        return _whitespace_table(ctx, node, owner, url, offset, records, fields)
    buffer = ctx.source(url).read_span(offset, offset + records * record_length)
    if len(buffer) < records * record_length - 2:  # the last record's delimiter may be missing
        raise ctx.error(f"table holds {len(buffer)} bytes, {records} records need {records * record_length}",
                        node)
    buffer = buffer.ljust(records * record_length, b" ")
    variables = []
    for field in fields:
        name = ctx.text("name", field.node) or f"field_{field.number}"
        length = ctx.integer("field_length", field.node)
        shape = tuple([records] + [count for _, count, _ in field.reps])
        strides = tuple([record_length] + [stride for _, _, stride in field.reps])
        strings = np.char.decode(fixed_width(buffer, field.start, shape, strides, length), "latin-1")
        variables.append(_text_variable(ctx, owner, field.node, name,
                                        ["record"] + [d for d, _, _ in field.reps], strings))
    return variables


def _whitespace_table(ctx: _Context, node: Any, owner: str, url: str, offset: int, records: int,
                      fields: list[_Field]) -> list[Variable]:
    """Chang'e quirk (:mod:`.quirks.change`): a character table read by whitespace, one token per field
    element, elements ordered by their declared byte position."""
    source = ctx.source(url)
    lines = [line.split() for line in source.read_span(offset, source.size()).decode("latin-1").splitlines()
             if line.strip()][:records]
    elements = []   # (declared position, field number, index within the field)
    for k, field in enumerate(fields):
        counts = [count for _, count, _ in field.reps]
        for index in np.ndindex(*counts) if counts else [()]:
            position = field.start + sum(i * stride for i, (_, _, stride) in zip(index, field.reps))
            elements.append((position, k, index))
    elements.sort()
    short = [r for r, tokens in enumerate(lines) if len(tokens) != len(elements)]
    if short or len(lines) != records:
        raise ctx.error(f"whitespace-separated table: {len(lines)} records (label: {records}), record "
                        f"{short[0] + 1 if short else '-'} does not hold {len(elements)} values", node)
    tokens = np.array(lines, dtype=str)
    strings = [np.empty((records, *[c for _, c, _ in f.reps]), dtype=tokens.dtype) for f in fields]
    for column_index, (_, k, index) in enumerate(elements):
        strings[k][(slice(None), *index)] = tokens[:, column_index]
    warnings.warn(f"{ctx.label_url}: {owner} read by whitespace (Chang'e tables whose field_location does "
                  "not match the text)", ProductWarning, stacklevel=4)
    return [_text_variable(ctx, owner, f.node, ctx.text("name", f.node) or f"field_{f.number}",
                           ["record"] + [d for d, _, _ in f.reps], s) for f, s in zip(fields, strings)]


def _delimited_columns(ctx: _Context, record: Any, reps: list | None = None,
                       position: list[int] | None = None) -> Iterator[tuple[Any, list, list[int]]]:
    """(field node, group reps, column index of each repetition, flattened) in record order."""
    reps = reps or []
    position = position if position is not None else [0]
    children = [c for c in record if _local(c.tag) in ("Field_Delimited", "Group_Field_Delimited")]
    for child in children:
        if _local(child.tag) == "Field_Delimited":
            yield child, reps, [position[0]]
            position[0] += 1
            continue
        count = ctx.integer("repetitions", child)
        name = ctx.text("name", child) or _first_field_name(ctx, child, "Delimited")
        collected: dict[int, tuple[Any, list, list[int]]] = {}
        for _ in range(count):
            for k, (node, inner, columns) in enumerate(_delimited_columns(ctx, child, [], position)):
                if k in collected:
                    collected[k][2].extend(columns)
                else:
                    collected[k] = (node, [(name, count)] + inner, list(columns))
        yield from collected.values()


def _table_delimited(ctx: _Context, node: Any, url: str) -> list[Variable]:
    owner = _owner_name(ctx, node)
    offset = ctx.integer("offset", node, 0)
    records = ctx.integer("records", node)
    record = ctx.label.element("Record_Delimited", node)
    if record is None:
        raise ctx.error(f"{_local(node.tag)} without <Record_Delimited>", node)
    source = ctx.source(url)
    data = source.read_span(offset, source.size())
    rows = split_records(data, records, delimiter(ctx.text("field_delimiter", node)),
                         where=f"{ctx.label_url}: {owner}")
    fields = list(_delimited_columns(ctx, record))
    names = {sanitize(ctx.text("name", f) or "") for f, _, _ in fields}
    variables = []
    for number, (field, reps, columns) in enumerate(fields, 1):
        name = ctx.text("name", field) or f"field_{number}"
        shape = [len(rows)] + [count for _, count in reps]
        strings = np.stack([column(rows, c) for c in columns], axis=1).reshape(shape) if reps else \
            column(rows, columns[0])
        dims = ["record"] + group_dim_names([g for g, _ in reps], names)
        variables.append(_text_variable(ctx, owner, field, name, dims, strings))
    return variables


def _uniformly_sampled(ctx: _Context, node: Any) -> dict[str, tuple[str, Any, dict[str, Any]]]:
    """A table's ``Uniformly_Sampled`` fields as coordinates on ``record`` (linear, logarithmic or
    exponential sampling, as the PDS4 Information Model and pds4_tools define them)."""
    coords: dict[str, tuple[str, Any, dict[str, Any]]] = {}
    records = ctx.integer("records", node, 0)
    for sampled in ctx.label.elements("Uniformly_Sampled", node):
        name = ctx.text("sampling_parameter_name", sampled) or "sampling_parameter"
        first = ctx.number("first_sampling_parameter_value", sampled)
        interval = ctx.number("sampling_parameter_interval", sampled)
        if first is None or interval is None:
            raise ctx.error("Uniformly_Sampled without first value or interval", sampled)
        scale = (ctx.text("sampling_parameter_scale", sampled) or "Linear").lower()
        j = np.arange(records, dtype=np.float64)
        if scale.startswith("log"):
            values = first * interval ** j
        elif scale.startswith("exp"):
            base = ctx.number("sampling_parameter_base", sampled) or 10.0
            values = np.log10(base ** first + j * interval) / np.log10(base)
        else:
            values = first + j * interval
        attrs = {"pds_class": "Uniformly_Sampled", **unit_attrs(ctx.text("sampling_parameter_unit", sampled))}
        last = ctx.number("last_sampling_parameter_value", sampled)
        if last is not None and records and not np.isclose(values[-1], last, rtol=1e-3):
            warnings.warn(f"{ctx.label_url}: Uniformly_Sampled {name} ends at {values[-1]}, the label says "
                          f"{last}", ProductWarning, stacklevel=3)
        coords[sanitize(name)] = ("record", values, attrs)
    return coords


def _encoded_image(ctx: _Context, node: Any, url: str) -> list[Variable]:
    """An ``Encoded_Image`` (JPEG, PNG, GIF, TIFF, JPEG 2000...) decoded with Pillow when opened:
    (line, sample) for one channel, (line, sample, band) for colour."""
    offset = ctx.integer("offset", node, 0)
    length = ctx.integer("object_length", node, 0)
    standard = ctx.text("encoding_standard_id", node) or "unknown encoding"
    source = ctx.source(url)
    data = source.read_span(offset, offset + length if length else source.size())
    try:
        from PIL import Image
    except ImportError:
        raise ctx.error(f"decoding a {standard} Encoded_Image needs Pillow (pip install pillow)", node) from None
    try:
        with Image.open(io.BytesIO(data)) as image:
            mode = image.mode
            values = np.asarray(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise ctx.error(f"cannot decode the {standard} Encoded_Image: {error}", node) from None
    dims = ("line", "sample") if values.ndim == 2 else ("line", "sample", "band")
    name = _owner_name(ctx, node)
    attrs = _common_attrs(ctx, node, name, None)
    attrs.update({"pds_class": "Encoded_Image", "encoding_standard_id": standard, "image_mode": mode})
    return [Variable(sanitize(name), dims, values, Element(values.dtype), attrs=attrs)]


_READERS = {"Table_Binary": _table_binary, "Table_Character": _table_character,
            "Table_Delimited": _table_delimited, "Inventory": _table_delimited, "Encoded_Image": _encoded_image}


def _data_object(ctx: _Context, node: Any, tag: str, url: str) -> list[Variable]:
    if tag.startswith("Array"):
        return [_array(ctx, node, url)]
    table = _READERS[tag](ctx, node, url)
    if table and tag != "Encoded_Image":
        table[0].coords.update(_uniformly_sampled(ctx, node))
    return table


def layout_pds4(label: PDS4Label, label_url: str | None = None) -> tuple[ProductLayout, dict[str, ByteSource]]:
    """The variables of a PDS4 product and the byte sources they read from (nothing read yet, except
    character and delimited tables, parsed here)."""
    ctx = _Context(label, label_url or label.path)
    decoder = ObjectDecoder(ctx.label_url)
    variables: list[Variable] = []
    for area in label.root:
        if not _local(area.tag).startswith("File_Area"):
            continue
        file_name = ctx.text("File/file_name", area)
        if not file_name:
            continue
        if not ctx.label_url:
            raise ctx.error(f"data file {file_name!r} cannot be located: the label's location is unknown")
        url = resolve(ctx.label_url, file_name)
        for node in area:
            tag = _local(node.tag)
            if tag.startswith("Array") or tag in _READERS:
                variables.extend(decoder.run(f"{tag} {_owner_name(ctx, node)}", _data_object, ctx, node, tag, url))
    if ctx.byte_vectors:
        warnings.warn(f"{ctx.label_url}: {len(ctx.byte_vectors)} multi-byte fields typed UnsignedByte/"
                      f"SignedByte read as byte vectors: {', '.join(ctx.byte_vectors)}", ProductWarning,
                      stacklevel=2)
    decoder.finish(variables)
    if not variables:
        raise ctx.error("no Array or Table data object in any File_Area")
    for variable in variables:
        if isinstance(variable.data, Strided):
            ctx.source(variable.data.url)
    return ProductLayout(variables), ctx.sources
