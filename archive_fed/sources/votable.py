"""VOTable answers of TAP-style services (``epn-tap``, ``pdap``): rows as plain Python values and the
``QUERY_STATUS`` of the answer.
"""
from __future__ import annotations

import io
import math
import warnings
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import numpy as np

from ..errors import SourceError

__all__ = ["read_votable", "with_query", "plain_value", "OK", "OVERFLOW", "ERROR"]

OK, OVERFLOW, ERROR = "OK", "OVERFLOW", "ERROR"


# ---------------------------------------------------------------------------------------------------
def plain_value(value: Any) -> Any:
    """numpy scalars, bytes and masked values → Python values (masked/NaN → None)."""
    if value is None or value is np.ma.masked:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def read_votable(data: bytes, url: str) -> tuple[list[dict[str, Any]], str]:
    """Rows (dicts keyed by FIELD name) and the ``QUERY_STATUS`` (``OK`` or ``OVERFLOW``) of a TAP-style
    VOTable answer. ``QUERY_STATUS=ERROR``, a document that is not a VOTable or an answer without a
    results table raise :class:`SourceError`."""
    from astropy.io.votable import parse

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            votable = parse(io.BytesIO(data), verify="ignore")
    except Exception as exc:  # noqa: BLE001 - astropy raises many types for broken XML
        raise SourceError(f"answer is not a VOTable ({type(exc).__name__}: {str(exc)[:200]})",
                          path=url) from None
    infos = list(getattr(votable, "infos", []))
    resources = list(votable.iter_resources()) if hasattr(votable, "iter_resources") else votable.resources
    for resource in resources:
        infos.extend(getattr(resource, "infos", []))
    statuses = [(str(i.value or "").upper(), (i.content or "").strip()) for i in infos
                if (i.name or "").upper() == "QUERY_STATUS"]
    for status, message in statuses:
        if status == ERROR:
            raise SourceError(f"service reports QUERY_STATUS=ERROR: {message or 'no message'}", path=url)
    tables = [t for r in resources for t in r.tables]
    if not tables:
        raise SourceError("answer holds no results table", path=url)
    table = tables[0]
    names = [field.name for field in table.fields]
    array = table.array
    rows = [{name: plain_value(row[name]) for name in names} for row in array]
    status = OVERFLOW if any(s == OVERFLOW for s, _ in statuses) else OK
    return rows, status


def with_query(url: str, params: Mapping[str, Any]) -> str:
    """``url`` with ``params`` url-encoded into its query string."""
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
