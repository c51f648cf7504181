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
