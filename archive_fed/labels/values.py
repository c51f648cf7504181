"""Small value coercions shared by the normalizers: nulls, numbers, UTC times."""
from __future__ import annotations

from typing import Any

from ..times import NULL_TEXTS, utc_time

__all__ = ["NULL_TEXTS", "is_null", "number", "scalar", "text", "utc_time"]



def is_null(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip().upper() in NULL_TEXTS
    return False


def scalar(value: Any) -> Any:
    """First element of a sequence/set value; the value itself otherwise; None for null texts."""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    elif isinstance(value, (set, frozenset)):
        value = sorted(value, key=str)[0] if value else None
    return None if is_null(value) else value


def text(value: Any) -> str | None:
    value = scalar(value)
    if value is None:
        return None
    value = " ".join(str(value).split())
    return None if is_null(value) else value


def number(value: Any) -> float | None:
    """A float from a number, a Quantity/UnitValue (its ``.value``) or numeric text; else None."""
    value = scalar(value)
    if value is None:
        return None
    value = getattr(value, "value", value)
    if isinstance(value, bool):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if result == result and result not in (float("inf"), float("-inf")) else None
