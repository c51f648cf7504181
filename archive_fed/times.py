"""The one parser of times: label times (lenient, :func:`utc_time`) and user-given times (strict, typed
errors, :func:`user_time`): ``--since``, catalog and federated search bounds, record fields.

Accepted: ISO 8601 text with or without a zone (``Z``, ``+02:00``), date only, day of year
(``2009-123T12:00``); :class:`datetime.datetime` and :class:`datetime.date`; numpy ``datetime64`` and
pandas timestamps; astropy :class:`~astropy.time.Time` (any scale, converted to UTC). Times without a
zone are UTC (the PDS3 convention, and what a user typing ``--since 2009-01-01`` means). Precision is
the microsecond.
"""
from __future__ import annotations

import datetime as _dt
import re
from typing import Any

from .errors import ArchiveFedError, TimeError

#: Texts that mean "no value" in PDS3 and PDS4 labels (and GRAS's literal ``None``).
NULL_TEXTS = frozenset({"", "UNK", "UNKNOWN", "N/A", "NA", "NULL", "NONE", "-", "NAN"})

_TIME = re.compile(
    r"^(?P<year>\d{4})-(?:(?P<doy>\d{3})|(?P<month>\d{1,2})-(?P<day>\d{1,2}))"
    r"(?:[T ](?P<hour>\d{1,2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<frac>\d*))?)?)?)?"
    r"\s*(?P<zone>Z|[+-]\d{2}:?\d{2})?$", re.IGNORECASE)


def utc_time(value: Any) -> _dt.datetime | None:
    """An aware UTC datetime from a label time (datetime, date, ISO text with or without zone,
    day-of-year ``2009-123T...``, date-only ``2012-03-01Z``); None for null texts or unparseable values.
    Times without a zone are UTC (PDS3 convention)."""
    if isinstance(value, (list, tuple)):   # a label list or set: its first item
        value = value[0] if value else None
    elif isinstance(value, (set, frozenset)):
        value = sorted(value, key=str)[0] if value else None
    if value is None or (isinstance(value, str) and value.strip().upper() in NULL_TEXTS):
        return None
    if isinstance(value, _dt.datetime):
        if value != value:  # pandas NaT
            return None
        if hasattr(value, "to_pydatetime"):  # a pandas Timestamp: a plain datetime (µs)
            value = value.to_pydatetime(warn=False)
        return value.replace(tzinfo=_dt.timezone.utc) if value.tzinfo is None else value.astimezone(
            _dt.timezone.utc)
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day, tzinfo=_dt.timezone.utc)
    if not isinstance(value, str):
        return _other_time(value)
    match = _TIME.match(value.strip())
    if not match:
        return None
    try:
        year = int(match["year"])
        if match["doy"]:
            base = _dt.datetime(year, 1, 1) + _dt.timedelta(days=int(match["doy"]) - 1)
            if int(match["doy"]) < 1 or base.year != year:  # day 000, day 366 of a common year
                return None
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


def _other_time(value: Any) -> _dt.datetime | None:
    """numpy datetime64 and astropy Time (by duck type: neither library is needed to import this)."""
    if type(value).__name__ == "datetime64":
        if value != value:  # NaT
            return None
        micro = int(value.astype("datetime64[us]").astype("int64"))
        return _EPOCH + _dt.timedelta(microseconds=micro)
    if hasattr(value, "jd") and hasattr(value, "utc") and hasattr(value, "to_datetime"):
        if getattr(value, "shape", ()) != ():
            return None  # an array of times is not one time
        try:
            return value.utc.to_datetime(timezone=_dt.timezone.utc).astimezone(_dt.timezone.utc)
        except (ValueError, OverflowError):  # a leap second, a year outside datetime's range
            return None
    return None


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def user_time(value: Any, *, what: str = "time", error: type[ArchiveFedError] | None = None) -> _dt.datetime:
    """A user-given time (``--since``, search bounds) as an aware UTC datetime; garbage is an error.

    Parameters
    ----------
    value : str, datetime.datetime, datetime.date, numpy.datetime64, pandas.Timestamp or astropy Time
        ISO 8601 text (``2009-01-01``, ``2009-01-01T12:00Z``, ``2009-123T00:00``, offsets), or a time
        object (naive = UTC).
    what : str
        Names the value in the error message.
    error : type of ArchiveFedError, optional
        Raised for garbage; :class:`~archive_fed.errors.TimeError` (a ``ValueError`` too) when None.

    Examples
    --------
    >>> user_time("2009-01-01")
    datetime.datetime(2009, 1, 1, 0, 0, tzinfo=datetime.timezone.utc)
    >>> user_time("2009-01-01T12:00+02:00").hour
    10
    """
    result = utc_time(value) if not isinstance(value, (list, tuple)) else None
    if result is None:
        message = f"{what}: not a date or time: {value!r} (expected ISO 8601, e.g. 2009-01-01T00:00:00Z)"
        raise (error or TimeError)(message)
    return result
