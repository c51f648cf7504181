"""SMART-1 (ESA) product data quirks.

SPEDE plasma tables (``INSTRUMENT_ID = SPEDE``, files ``*PD_40_*.TAB``)
    Comma-separated tables with a few doubled commas between some columns, so a plain CSV reader
    finds more columns than the format file names; runs of commas are one separator (pdr
    ``pdr/formats/smart1_esa.py`` ``spede_plasma40_table_reader``, selected in
    ``pdr/formats/checkers.py`` from ``INSTRUMENT_ID`` and ``FILE_NAME``).

>>> delimited_data({"INSTRUMENT_ID": "SPEDE", "FILE_NAME": "SPEDE_PD_40_0001.TAB"}, "TABLE", b"1,,2,3\\n")
b'1,2,3\\n'
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .blocks import identifier, replaced

_COMMA_RUNS = re.compile(rb",{2,}")


def is_spede_pd40(label: Mapping[str, Any]) -> bool:
    if identifier(label, "INSTRUMENT_ID") != "SPEDE":
        return False
    names = [identifier(label, "FILE_NAME"), identifier(label, "PRODUCT_ID")]
    names += [str(value).upper() for key, value in getattr(label, "items_", []) if key.startswith("^")]
    return any("PD_40_" in name and ".TAB" in name for name in names)


def patched_block(label: Mapping[str, Any], name: str, block: Any) -> Any:
    """A SPEDE PD_40 table is read as comma-separated text, whatever its column byte positions say."""
    if is_spede_pd40(label) and "TABLE" in name.upper() and "FIELD_DELIMITER" not in block:
        return replaced(block, {"FIELD_DELIMITER": "COMMA"})
    return None


def delimited_data(label: Mapping[str, Any], name: str, data: bytes) -> bytes:
    """The delimited text of object ``name`` as the reader should see it."""
    if is_spede_pd40(label) and "TABLE" in name.upper():
        return _COMMA_RUNS.sub(b",", data)
    return data
