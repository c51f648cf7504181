"""Small value coercions shared by the normalizers: nulls, numbers, UTC times."""
from __future__ import annotations

import datetime as _dt
import re
from typing import Any

#: Texts that mean "no value" in PDS3 and PDS4 labels (and GRAS's literal ``None``).
NULL_TEXTS = frozenset({"", "UNK", "UNKNOWN", "N/A", "NA", "NULL", "NONE", "-", "NAN"})

_TIME = re.compile(
    r"^(?P<year>\d{4})-(?:(?P<doy>\d{3})|(?P<month>\d{1,2})-(?P<day>\d{1,2}))"
    r"(?:[T ](?P<hour>\d{1,2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<frac>\d*))?)?)?)?"
    r"\s*(?P<zone>Z|[+-]\d{2}:?\d{2})?$", re.IGNORECASE)


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


def utc_time(value: Any) -> _dt.datetime | None:
    """An aware UTC datetime from a label time (datetime, date, ISO text with or without zone,
    day-of-year ``2009-123T...``, date-only ``2012-03-01Z``); None for null texts or unparseable values.
    Times without a zone are UTC (PDS3 convention)."""
    value = scalar(value)
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return value.replace(tzinfo=_dt.timezone.utc) if value.tzinfo is None else value.astimezone(
            _dt.timezone.utc)
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day, tzinfo=_dt.timezone.utc)
    if not isinstance(value, str):
        return None
    match = _TIME.match(value.strip())
    if not match:
        return None
    try:
        year = int(match["year"])
        if match["doy"]:
            base = _dt.datetime(year, 1, 1) + _dt.timedelta(days=int(match["doy"]) - 1)
        else:
            base = _dt.datetime(year, int(match["month"]), int(match["day"]))
        frac = (match["frac"] or "")[:6].ljust(6, "0")
        result = base.replace(hour=int(match["hour"] or 0), minute=int(match["minute"] or 0),
                              second=int(match["second"] or 0), microsecond=int(frac))
    except ValueError:
        return None
    zone = match["zone"]
    if zone and zone.upper() != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = _dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        result = result - sign * offset
    return result.replace(tzinfo=_dt.timezone.utc)
