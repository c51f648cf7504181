"""Mission quirks of product data: each a small named function, selected from the label's product name or
keywords, documented with the products it hits and where the quirk is catalogued (pdr's ``formats/``).

The decoders stay generic and ask these modules only where a mission's products depart from their labels.
"""
from __future__ import annotations

from typing import Any

from . import change, kaguya, lro, smart1


def side_object(label: Any, name: str) -> str | None:
    """Why a mission's PDS3 object ``name`` is skipped (a side object its label cannot describe), or None.

    >>> side_object({"DATA_SET_ID": "SLN-L-GRS-3-ENG-SPECTRUM-V1.0"}, "TABLE")
    'the GRS engineering TABLE has no column description in its label'
    """
    return kaguya.side_object(label, name) or change.side_object(label, name)


def patched_block(label: Any, name: str, block: Any) -> Any:
    """The description of PDS3 object ``name`` to decode instead of ``block`` (a mission's label gets it
    wrong), or None. The label itself is not changed."""
    for module in (lro, kaguya, smart1):
        patched = module.patched_block(label, name, block)
        if patched is not None:
            return patched
    return None


def data_offset(label: Any, name: str, url: str) -> int | None:
    """The 0-based byte of data file ``url`` where object ``name`` starts when a mission's pointer is
    wrong, else None."""
    return lro.data_offset(label, name, url)


def shared_objects(label: Any) -> list[tuple[str, str]]:
    """(pointer, object) pairs: pointers a mission describes with another pointer's object."""
    return lro.shared_objects(label)


def pointer_name(label: Any, name: str) -> str | None:
    """The pointer name of object ``name`` when it is not ``^name``, else None."""
    return kaguya.pointer_name(label, name)


def delimited_data(label: Any, name: str, data: bytes) -> bytes:
    """The delimited text of PDS3 object ``name`` as the reader should see it (a mission's separators
    repaired), else ``data`` as it is."""
    return smart1.delimited_data(label, name, data)
