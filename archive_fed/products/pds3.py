"""PDS3 products → :class:`~archive_fed.products.layout.ProductLayout`, from the label alone.

Supported objects, found wherever their ``^POINTER`` is (root, or a FILE object as in M3 labels):

* images — any object with ``LINES``/``LINE_SAMPLES`` (``IMAGE``, ``RDN_IMAGE``, Kaguya's
  ``GEOMETRIC_DATA_ALTITUDE``...): ``BANDS`` in ``BAND_SEQUENTIAL``/``LINE_INTERLEAVED``/
  ``SAMPLE_INTERLEAVED`` order, ``LINE_PREFIX_BYTES``/``LINE_SUFFIX_BYTES`` skipped, every
  ``SAMPLE_TYPE`` of 8-64 bits (VAX floats included) and packed integer samples of any other width
  (12-bit, 10-bit...), ``SCALING_FACTOR``/``OFFSET``, invalid/missing/null/saturation constants;
* ``QUBE``/``SPECTRAL_QUBE`` cores (any axis order, suffix planes skipped, ``CORE_BASE``/
  ``CORE_MULTIPLIER``, ``BAND_BIN`` centres as the ``wavelength`` coordinate);
* tables — ``TABLE``, ``SERIES``, ``SPECTRUM``, ``*_TABLE`` (binary: lazy columns; ASCII: parsed on
  open), with ``COLUMN`` ``ITEMS``, ``BIT_COLUMN``, ``CONTAINER`` repetitions and ``^STRUCTURE`` format
  files; and
  ``SPREADSHEET`` (delimited fields).

The module finds objects and their pointers and asks the mission quirks (:mod:`.quirks`); the decoders
are :mod:`.pds3_images` and :mod:`.pds3_tables`, sharing :mod:`.pds3_values` (context, counts, special
constants, scaling, attributes).

Pointers: ``^X = n`` (record ``n`` of this file), ``^X = n <BYTES>`` (1-based byte), ``^X = "F.IMG"``,
``^X = ("F.IMG", n)`` / ``("F.IMG", n <BYTES>)``.
"""
from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..labels.base import Block, UnitValue
from .io import ByteSource, is_remote, resolve
from .layout import ObjectDecoder, ProductLayout, ProductWarning, Strided, Variable
from .pds3_images import image, is_qube, qube
from .pds3_tables import table
from .pds3_values import Context
from .quirks import data_offset, patched_block, pointer_name, shared_objects, side_object
from .quirks.clementine import quoted_pointer

_TABLE_NAME = re.compile(r"(^|_)(TABLE|SERIES|SPECTRUM|SPREADSHEET|INDEX)$")


# ---- discovery ----------------------------------------------------------------------------------------
def _objects(block: Block, parents: tuple[Block, ...] = ()) -> Iterator[tuple[str, Block, tuple[Block, ...]]]:
    """Every OBJECT block with the chain of blocks enclosing it (innermost last); table internals skipped."""
    for name, child in block.blocks("OBJECT"):
        yield name, child, parents + (block,)
        if not _is_table(name, child):
            yield from _objects(child, parents + (block,))


def _is_image(block: Block) -> bool:
    return ("LINES" in block and "LINE_SAMPLES" in block) or is_qube(block)


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


def _locate(ctx: Context, name: str, pointer: Any, chain: tuple[Block, ...], block: Block) -> tuple[str, int]:
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



# ---- entry --------------------------------------------------------------------------------------------
def _data_object(ctx: Context, name: str, block: Block, chain: tuple, pointer: Any,
                 is_image: bool) -> list[Variable]:
    url, offset = _locate(ctx, name, pointer, chain + (block,), block)
    fixed = data_offset(ctx.label, name, url)
    if fixed is not None:    # a mission's pointer is wrong (products/quirks)
        offset = fixed
    if is_image:
        return qube(ctx, name, block, url, offset) if is_qube(block) else [image(ctx, name, block, url, offset)]
    return table(ctx, name, block, url, offset)


def layout_pds3(label: Block, label_url: str | None = None) -> tuple[ProductLayout, dict[str, ByteSource]]:
    """The variables of a PDS3 product and the byte sources they read from (nothing read yet, except
    ASCII tables and spreadsheets, parsed here)."""
    ctx = Context(label, label_url or getattr(label, "path", None))
    decoder = ObjectDecoder(ctx.label_url)
    variables: list[Variable] = []
    seen: dict[tuple[int, str], int] = {}
    for name, block, chain in _objects(label):
        reason = side_object(label, name)
        if reason is not None:   # a mission quirk (products/quirks): open the rest, say what was left out
            warnings.warn(f"{ctx.label_url}: object {name} skipped: {reason}", ProductWarning, stacklevel=2)
            continue
        patched = patched_block(label, name, block)     # a mission's description corrected (quirks)
        block = block if patched is None else patched
        is_image, is_table = _is_image(block), _is_table(name, block)
        if not (is_image or is_table):
            continue
        ordinal = seen.get((id(chain[-1]), name.upper()), 0)
        seen[(id(chain[-1]), name.upper())] = ordinal + 1
        pointer = _pointer(pointer_name(label, name) or name, ordinal, chain)
        if pointer is None:
            if any(shared == name.upper() for _, shared in shared_objects(label)):
                continue          # the object describes other pointers (below)
            warnings.warn(f"{ctx.label_url}: object {name} has no ^{name} pointer; skipped", ProductWarning,
                          stacklevel=2)
            continue
        variables.extend(decoder.run(name, _data_object, ctx, name, block, chain, pointer, is_image))
    for pointer_key, object_name in shared_objects(label):   # several pointers, one object (quirks)
        shared = label.get(object_name)
        pointer = label.get("^" + pointer_key)
        if isinstance(shared, Block) and pointer is not None:
            variables.extend(decoder.run(pointer_key, _data_object, ctx, pointer_key, shared, (label,), pointer,
                                         _is_image(shared)))
    decoder.finish(variables)
    if not variables:
        raise ctx.error("no IMAGE, QUBE, TABLE, SERIES, SPECTRUM or SPREADSHEET object with a data pointer")
    for variable in variables:
        if isinstance(variable.data, Strided):
            ctx.source(variable.data.url)
    return ProductLayout(variables), ctx.sources

