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
LAMP EDR/RDR (``LRO-L-LAMP-2-EDR-V1.0``, ``LRO-L-LAMP-3-RDR-V1.0``)
    Data in FITS files. RDR pointers give wrong bytes: each object is found by its FITS extension
    name (``Acquisition List``, ``Calibrated Histogram Mode Data``...), read with astropy, its data
    (or, for ``*_HEADER``, its header) byte used; several ``CAL_HISTOGRAM_*_IMAGE`` pointers share one
    ``CAL_HISTOGRAM_DATA_IMAGE`` object, all at that extension. EDR and RDR pointers to extensions that
    hold no data are skipped (``lamp_rdr_hdu_start_byte``, ``lamp_edr_hdu_exceptions``,
    ``lamp_rdr_histogram_image_loader``).

>>> data_offset({"INSTRUMENT_ID": "CRAT", "PRODUCT_TYPE": "EDR"}, "TABLE_1", "crat.dat")
64
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...labels.base import Block
from .blocks import columns_changed, identifier, replaced

CRATER_RAW = "LRO-L-CRAT-2-EDR-RAWDATA-V1.0"


LAMP_RDR, LAMP_EDR = "LRO-L-LAMP-3-RDR-V1.0", "LRO-L-LAMP-2-EDR-V1.0"
#: pointer-name word → FITS EXTNAME (RDR; the first match wins)
LAMP_RDR_EXTENSIONS = [("ACQUISITION_LIST", ("Acquisition List",)),
                       ("CAL_PIXELLIST_DATA", ("Calibrated Pixel List Mode Data",)),
                       ("ANCILLARY_DATA", ("Ancillary Data",)),
                       ("CAL_HISTOGRAM_", ("Calibrated Histogram Mode Data",)),
                       ("CAL_CALCULATED_COUNTRATE", ("Calculated Countrate", "Reduced Count Rate")),
                       ("LTS_DATA", ("LTS Data",)), ("HOUSEKEEPING", ("Housekeeping Data",)),
                       ("WAVELENGTH_LOOKUP", ("Wavelength Lookup Image",))]
LAMP_EDR_EXTENSIONS = {"ACQUISITION_LIST_TABLE": "Acquisition List", "FRAME_DATA_TABLE": "Raw Frame Data",
                       "CALCULATED_COUNTRATE_TABLE": "Calculated Countrate", "LTS_DATA_TABLE": "LTS Data",
                       "HOUSEKEEPING_TABLE": "Housekeeping Data"}
LAMP_HISTOGRAM_OBJECT = "CAL_HISTOGRAM_DATA_IMAGE"


def data_offset(label: Mapping[str, Any], name: str, url: str) -> int | None:
    """The 0-based byte of data file ``url`` where object ``name`` starts when its pointer is wrong,
    else None. Raises :class:`~archive_fed.errors.ProductError` for a LAMP object whose FITS
    extension holds no data (the object is then skipped with a warning)."""
    upper = name.upper()
    if identifier(label, "INSTRUMENT_ID") == "CRAT" and identifier(label, "PRODUCT_TYPE") == "EDR" \
            and upper == "TABLE_1":
        return 64
    data_set = identifier(label, "DATA_SET_ID")
    if data_set == LAMP_EDR and upper in LAMP_EDR_EXTENSIONS:
        _lamp_extension(url, name, (LAMP_EDR_EXTENSIONS[upper],))     # only checks that it holds data
        return None
    if data_set == LAMP_RDR:
        names = next((extensions for word, extensions in LAMP_RDR_EXTENSIONS if word in upper), None)
        if names is not None:
            header, data = _lamp_extension(url, name, names)
            return header if "HEADER" in upper else data
    return None


def _lamp_extension(url: str, name: str, extnames: tuple[str, ...]) -> tuple[int, int]:
    from ...errors import ProductError
    from .fits import hdu_location

    for extname in extnames:
        try:
            header, data, span = hdu_location(url, extname)
        except ProductError:
            continue
        if span == 0 and "HEADER" not in name.upper():
            raise ProductError(f"the FITS extension {extname!r} of {name} holds no data: the object does not "
                               "exist in this product", path=url, element=name)
        return header, data
    raise ProductError(f"no FITS extension {' or '.join(map(repr, extnames))} for {name}", path=url, element=name)


def shared_objects(label: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(pointer, object) pairs of pointers described by another pointer's object: the LAMP RDR
    ``CAL_HISTOGRAM_*_IMAGE`` pointers without an object of their own."""
    if identifier(label, "DATA_SET_ID") != LAMP_RDR or LAMP_HISTOGRAM_OBJECT not in label:
        return []
    pairs = []
    for key, _ in getattr(label, "items_", []):
        pointer = key[1:].upper() if key.startswith("^") else ""
        if "HISTOGRAM" in pointer and "IMAGE" in pointer and pointer not in label:
            pairs.append((pointer, LAMP_HISTOGRAM_OBJECT))
    return list(dict.fromkeys(pairs))


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
