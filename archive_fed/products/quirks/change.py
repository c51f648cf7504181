"""Chang'e (CNSA/GRAS) product data quirks.

Whitespace tables
    Chang'e-4/5/6 Table_Character products whose ``field_location``/``field_length`` do not match the
    text (values shifted by a column or two: read by position, ``10.5`` comes out ``10.0``, silently).
    The values are separated by blanks, so they are read by whitespace, one token per field element in
    record order. Catalogued by pdr (``pdr/formats/change.py``: ``read_change_fw_table`` for CE-5/CE-6
    LMS-M/S/N SCI 2B and CE-4 VNIS-SD SCI 2B; ``read_table_using_spaces`` for CE-4 LND-DPSL/ThN/TID 2A and
    ASAN-SCI 2B; selected in ``pdr/formats/checkers.py`` from the product file name).

>>> reads_by_whitespace("CE4_GRAS_LND-TID_SCI_N_20190103000000_20190103235959_0001_A.2AL")
True
>>> reads_by_whitespace("CE4_GRAS_LPR-2B_SCI_N_20231216075001_20231217065500_0316_A.2BL")
False
"""
from __future__ import annotations

import re
from typing import Any

_WHITESPACE_TABLES = re.compile(
    r"(?:CE[56]-L_GRAS_LMS-[MSN]_SCI_.*\.2B"
    r"|CE4_GRAS_VNIS-SD_SCI_.*\.2B"
    r"|CE4_GRAS_ASAN-SCI_SCI_.*\.2B"
    r"|CE4_GRAS_LND-(?:DPSL|ThN|TID)_SCI_.*\.2A)", re.IGNORECASE)


def reads_by_whitespace(name: str | None) -> bool:
    """Whether the character tables of product ``name`` (file name, URL or logical identifier) are read
    by whitespace rather than by the label's field locations."""
    if not name:
        return False
    return _WHITESPACE_TABLES.search(name.rsplit("/", 1)[-1].rsplit(":", 1)[-1]) is not None


def side_object(label: Any, name: str) -> str | None:
    """Why object ``name`` of a Chang'e PDS3 ``label`` is skipped, or None when it is read.

    * Chang'e-1 ``IMAGE_PREFIX`` (IIM level 0/2A): the prefix table is not laid out as the label says
      (pdr ``formats/change.py`` ``image_prefix_trivial``, selected on ``SPACECRAFT_NAME = CE1``);
    * Chang'e-3 VNIS-CC ``CAL_TARGET_DATA``: a separate file not distributed with the product, named
      between non-UTF-8 characters (pdr ``cal_target_data_trivial``, selected on the product name).

    >>> side_object({"SPACECRAFT_NAME": "CE1"}, "IMAGE_PREFIX")
    "the Chang'e-1 IMAGE_PREFIX table is not laid out as its label says"
    """
    name = name.upper()
    spacecraft = str(label.get("SPACECRAFT_NAME") or "").strip().upper()
    product = str(label.get("PRODUCT_ID") or "").strip().upper()
    if "IMAGE_PREFIX" in name and (spacecraft == "CE1" or product.startswith("CE1_")):
        return "the Chang'e-1 IMAGE_PREFIX table is not laid out as its label says"
    if name == "CAL_TARGET_DATA" and "CE3_BMYK_VNIS-CC_SCI_" in product:
        return "the Chang'e-3 VNIS-CC CAL_TARGET_DATA is a separate file not distributed with the product"
    return None
