"""Mission quirks of product data: each a small named function, selected from the label's product name or
keywords, documented with the products it hits and where the quirk is catalogued (pdr's ``formats/``).

The decoders stay generic and ask these modules only where a mission's products depart from their labels.
"""
from __future__ import annotations

from typing import Any

from . import change, kaguya


def side_object(label: Any, name: str) -> str | None:
    """Why a mission's PDS3 object ``name`` is skipped (a side object its label cannot describe), or None.

    >>> side_object({"DATA_SET_ID": "SLN-L-GRS-3-ENG-SPECTRUM-V1.0"}, "TABLE")
    'the GRS engineering TABLE has no column description in its label'
    """
    return kaguya.side_object(label, name) or change.side_object(label, name)
