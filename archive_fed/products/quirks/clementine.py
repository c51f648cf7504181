"""Clementine product data quirks.

Quoted pointers
    Clementine bistatic radar (BSR) RDR labels write the file-and-record pointer as one quoted string,
    ``^TABLE = "(BSR_RDR_DATA.TAB, 3)"``, instead of the ODL sequence ``("BSR_RDR_DATA.TAB", 3)``; the
    number is a record (1-based, of ``RECORD_BYTES``). Catalogued by pdr (``pdr/formats/clementine.py``
    ``get_offset``/``get_fn``, ``clem_GEO`` ``bsr_rdr_data``).

>>> quoted_pointer("(BSR_RDR_DATA.TAB, 3)"), quoted_pointer("BSR.TAB")
(('BSR_RDR_DATA.TAB', 3, False), None)
"""
from __future__ import annotations

import re

_QUOTED = re.compile(r'^\(\s*"?([^",()]+?)"?\s*,\s*(\d+)\s*(<\s*BYTES?\s*>)?\s*\)$', re.IGNORECASE)


def quoted_pointer(text: str) -> tuple[str, int, bool] | None:
    """(file name, number, whether the number counts bytes) of a pointer written as the string
    ``"(file, n)"`` (``"(file, n <BYTES>)"``); None otherwise."""
    match = _QUOTED.match(text.strip())
    if match is None:
        return None
    return match.group(1).strip(), int(match.group(2)), match.group(3) is not None
