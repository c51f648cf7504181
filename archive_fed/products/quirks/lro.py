"""Lunar Reconnaissance Orbiter product data quirks, as catalogued by pdr (``pdr/formats/lro.py``,
selected in ``pdr/formats/checkers.py``).

CRaTER EDR (``INSTRUMENT_ID = CRAT``, ``PRODUCT_TYPE = EDR``)
    ``TABLE_1`` follows a header table of one 64-byte row, but its pointer counts records of another
    size (and the wrong record): the table starts at byte 64 (``get_crater_offset``). The raw-data
    set (``LRO-L-CRAT-2-EDR-RAWDATA-V1.0``) writes bit columns as ``BIT_STRING`` (big-endian) and
    some integers as ``N/A`` (``MSB_UNSIGNED_INTEGER``) (``crater_bit_col_sample_type``).
RSS WEA tracking (``LRO-L-RSS-1-TRACKING-V1.0``)
    ``WEAREC_TABLE`` undercounts ``ROW_BYTES`` by one (``rss_get_position``).
Mini-RF global mosaic (``LRO-L-MRFLRO-5-GLOBAL-MOSAIC-V1.0``)
    The ``GLOBAL_S4_32PPD`` label gives the wrong ``LINES``/``LINE_SAMPLES``: the mosaic is 5760 x
    11520 (``mini_rf_image_loader``).

>>> data_offset({"INSTRUMENT_ID": "CRAT", "PRODUCT_TYPE": "EDR"}, "TABLE_1")
64
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...labels.base import Block
from .blocks import columns_changed, identifier, replaced

CRATER_RAW = "LRO-L-CRAT-2-EDR-RAWDATA-V1.0"


def data_offset(label: Mapping[str, Any], name: str) -> int | None:
    """The 0-based byte where object ``name`` starts when its pointer is wrong, else None."""
    if identifier(label, "INSTRUMENT_ID") == "CRAT" and identifier(label, "PRODUCT_TYPE") == "EDR" \
            and name.upper() == "TABLE_1":
        return 64
    return None


def patched_block(label: Mapping[str, Any], name: str, block: Block) -> Block | None:
    """The corrected description of object ``name``, or None when the label's is right."""
    data_set, upper = identifier(label, "DATA_SET_ID"), name.upper()
    if data_set == CRATER_RAW:
        return columns_changed(block, _crater_column)
    if data_set == "LRO-L-RSS-1-TRACKING-V1.0" and upper == "WEAREC_TABLE":
        row_bytes = block.get("ROW_BYTES")
        if isinstance(row_bytes, int):
            return replaced(block, {"ROW_BYTES": row_bytes + 1})
    if data_set == "LRO-L-MRFLRO-5-GLOBAL-MOSAIC-V1.0" and "GLOBAL_S4_32PPD" in identifier(label, "PRODUCT_ID") \
            and upper == "IMAGE":
        return replaced(block, {"LINES": 5760, "LINE_SAMPLES": 11520})
    return None


def _crater_column(column: Block) -> Block:
    data_type = "_".join(str(column.get("DATA_TYPE", "")).upper().split())
    if data_type == "BIT_STRING":
        return replaced(column, {"DATA_TYPE": "MSB_BIT_STRING"})
    if "N/A" in data_type:
        return replaced(column, {"DATA_TYPE": "MSB_UNSIGNED_INTEGER"})
    return column
