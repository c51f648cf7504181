"""PDS3 object values shared by the image and table decoders: the decoding context, counts, special
constants in the stored domain, scaling and the attributes of a variable."""
from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..errors import ProductError
from ..labels.base import Block
from .dtypes import in_integer_domain, unit_attrs
from .io import ByteSource, open_source
from .layout import Element

MASK_KEY = re.compile(r"^(CORE_)?(NULL|NULL_VALUE|MISSING|MISSING_CONSTANT|MISSING_VALUE|INVALID|INVALID_VALUE"
                       r"|INVALID_CONSTANT|NULL_CONSTANT|(LOW|HIGH)_(REPR|INSTR)_SATURATION|SATURATION_VALUE"
                       r"|OUT_OF_IMAGE_BOUNDS_VALUE|UNKNOWN_CONSTANT|NOT_APPLICABLE_CONSTANT)$")


class Context:
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



def plain(value: Any) -> Any:
    return getattr(value, "value", value)


def mask_values(block: Block, element: Element) -> list[Any]:
    """Stored values the object declares invalid (lists as in Kaguya labels included)."""
    values: list[Any] = []
    for key, raw in block.items_:
        if isinstance(raw, Block) or not MASK_KEY.match(key.upper()):
            continue
        for item in (raw if isinstance(raw, (list, tuple, set)) else [raw]):
            item = plain(item)
            if isinstance(item, bool) or not isinstance(item, (int, float)):
                continue
            values.append(as_stored(item, element))
    return [v for v in dict.fromkeys(values) if v is not None]


def as_stored(item: Any, element: Element) -> Any:
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


def scaling(block: Block) -> tuple[float | None, float | None]:
    scale, offset = plain(block.get("SCALING_FACTOR")), plain(block.get("OFFSET"))
    scale = float(scale) if isinstance(scale, (int, float)) and scale != 1 else None
    offset = float(offset) if isinstance(offset, (int, float)) and offset != 0 else None
    return scale, offset


def attrs_of(name: str, block: Block, data_type: Any) -> dict[str, Any]:
    attrs: dict[str, Any] = {"pds_object": name, "pds_data_type": str(data_type)}
    attrs.update(unit_attrs(plain(block.get("UNIT"))))
    for key, attr in (("IMAGE_VALUE_TYPE", "long_name"), ("DESCRIPTION", "description")):
        text = block.get(key)
        if isinstance(text, str) and text.strip():
            attrs[attr] = " ".join(text.split())
    for key, attr in (("VALID_MINIMUM", "valid_min"), ("VALID_MAXIMUM", "valid_max")):
        value = plain(block.get(key))
        if isinstance(value, (int, float)):
            attrs[attr] = value
    return attrs


def counted(ctx: Context, block: Block, key: str, default: int | None = None) -> int:
    value = plain(block.get(key, default))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or value < 0:
        raise ctx.error(f"{key} = {value!r} is not a count", block)
    return value

