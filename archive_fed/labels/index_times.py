"""Index-table times parsed a column at a time: numpy digit arithmetic on a byte matrix, no per-row Python.

PDS index times are almost all in one of two shapes, ``YYYY-MM-DD[Thh:mm:ss[.fff…]][Z]`` and the day-of-year
``YYYY-DDD[Thh:mm:ss[.fff…]][Z]``. :func:`parse_times` reads those shapes straight from the text bytes
(each field padded to one width, viewed as a ``rows × width`` ``uint8`` matrix); every other text — a
one-digit month, a zone offset, a leap second, garbage — goes through :func:`~archive_fed.times.utc_time`,
the one lenient parser of label times, once per distinct value. The fast path accepts only texts on which it
gives what :func:`utc_time` gives (microseconds truncated, a day of year counted from 1 January, real
calendar dates), so the result always equals :func:`utc_time` applied row by row.

>>> import pyarrow as pa
>>> values, bad = parse_times(pa.array(["2010-093T12:00:00.5", "2010-04-03Z", "2010-4-3T1:02", "soon"]))
>>> values.astype(str).tolist()
['2010-04-03T12:00:00.500000', '2010-04-03T00:00:00.000000', '2010-04-03T01:02:00.000000', 'NaT']
>>> bad.tolist()
[False, False, False, True]
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..times import utc_time

#: Widest text the fast path reads (``2010-123T12:34:56.123456789Z`` is 29 bytes).
WIDTH = 32
_NAT = np.datetime64("NaT", "us")


def _matrix(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(rows × WIDTH byte matrix of the texts, space-padded; mask of rows too long for it, or null)."""
    if values.type == pa.large_string():
        offsets = np.frombuffer(values.buffers()[1], dtype=np.int64)
    else:
        values = values.cast(pa.string())
        offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)
    offsets = offsets[values.offset:values.offset + len(values) + 1].astype(np.int64)
    data = values.buffers()[2]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    lengths = np.diff(offsets)
    slow = lengths > WIDTH
    if values.null_count:
        slow |= values.is_null().to_numpy(zero_copy_only=False)
    matrix = np.full((len(lengths), WIDTH), ord(" "), dtype=np.uint8)
    size = int(lengths[0]) if len(lengths) else 0
    if size <= WIDTH and np.all(lengths == size):  # texts of one length (a fixed format): a reshape
        matrix[:, :size] = data[offsets[0]:offsets[-1]].reshape(len(lengths), size)
        return matrix, slow
    padded = np.concatenate([data, np.full(WIDTH, ord(" "), np.uint8)])
    columns = np.arange(WIDTH)
    matrix = padded[offsets[:-1, None] + columns[None, :]]
    matrix[columns[None, :] >= lengths[:, None]] = ord(" ")
    return matrix, slow


def _number(d: np.ndarray, digit: np.ndarray, at: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The number written by ``count`` digits at column ``at``, and whether they all are digits."""
    value = d[:, at].astype(np.int64)
    ok = digit[:, at].copy()
    for k in range(at + 1, at + count):
        value = value * 10 + d[:, k]
        ok &= digit[:, k]
    return value, ok


def _fast_form(m: np.ndarray, calendar: bool) -> tuple[np.ndarray, np.ndarray]:
    """Microseconds since 1970 and exactness of rows all in the calendar (or day-of-year) shape."""
    d = m - np.uint8(48)  # digits as 0-9, anything else wraps beyond
    digit = d < 10
    year, ok = _number(d, digit, 0, 4)
    ok &= (m[:, 4] == ord("-")) & (year >= 1900) & (year <= 2200)
    years = np.clip(year - 1970, -100, 300).astype("datetime64[Y]")
    if calendar:
        month, month_ok = _number(d, digit, 5, 2)
        mday, day_ok = _number(d, digit, 8, 2)
        month_start = years.astype("datetime64[M]") + np.clip(month - 1, 0, 11)
        first = month_start.astype("datetime64[D]")
        month_days = ((month_start + 1).astype("datetime64[D]") - first).astype(np.int64)
        ok &= (m[:, 7] == ord("-")) & month_ok & day_ok & (month >= 1) & (month <= 12) & (mday >= 1) \
            & (mday <= month_days)
        days, end = first.astype(np.int64) + mday - 1, 10
    else:
        doy, doy_ok = _number(d, digit, 5, 3)  # 001-365 (366 in leap years), as in utc_time
        first_day = years.astype("datetime64[D]").astype(np.int64)
        year_days = (years + 1).astype("datetime64[D]").astype(np.int64) - first_day
        ok &= doy_ok & (doy >= 1) & (doy <= year_days)
        days, end = first_day + doy - 1, 8
    micro = days * 86_400_000_000
    separator = m[:, end]
    hour, hour_ok = _number(d, digit, end + 1, 2)
    minute, minute_ok = _number(d, digit, end + 4, 2)
    second, second_ok = _number(d, digit, end + 7, 2)
    timed = ((separator == ord("T")) | (separator == ord("t")) | (separator == ord(" "))) & hour_ok
    clock_ok = (hour_ok & (m[:, end + 3] == ord(":")) & minute_ok & (m[:, end + 6] == ord(":")) & second_ok
                & (hour <= 23) & (minute <= 59) & (second <= 59))
    ok &= ~timed | clock_ok  # 'T12' or 'T12:30' alone: the slow path
    micro += np.where(timed, (hour * 3600 + minute * 60 + second) * 1_000_000, 0)
    # the fraction: every digit after the point, the first six counted (utc_time truncates)
    fraction = timed & (m[:, end + 9] == ord("."))
    run = np.logical_and.accumulate(digit[:, end + 10:], axis=1)
    length = run.sum(axis=1)
    fraction_us = np.zeros(len(m), dtype=np.int64)
    for k in range(min(6, run.shape[1])):
        fraction_us += np.where(run[:, k], d[:, end + 10 + k].astype(np.int64) * 10 ** (5 - k), 0)
    micro += np.where(fraction, fraction_us, 0)
    after = np.where(fraction, end + 10 + length, np.where(timed, end + 9, end))
    # what follows: nothing but one optional Z and padding
    zone = m[np.arange(len(m)), np.minimum(after, WIDTH - 1)]
    after = after + (((zone == ord("Z")) | (zone == ord("z"))) & (after < WIDTH))
    last = WIDTH - 1 - np.argmax((m != ord(" "))[:, ::-1], axis=1)  # the last non-space column
    ok &= last < after
    return micro, ok


def _fast(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(microseconds since 1970 per row, whether the row is in a shape the fast path reads exactly)."""
    calendar = m[:, 7] == ord("-")
    micro, ok = np.zeros(len(m), dtype=np.int64), np.zeros(len(m), dtype=bool)
    for form in (True, False):
        rows = calendar if form else ~calendar
        if rows.all():
            return _fast_form(m, form)
        if rows.any():
            micro[rows], ok[rows] = _fast_form(m[rows], form)
    return micro, ok


def parse_times(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Times of stripped, non-null texts as ``datetime64[us]`` (NaT where unreadable) and the mask of the
    unreadable ones — row by row the same as :func:`~archive_fed.times.utc_time` (naive UTC)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype="datetime64[us]"), np.zeros(0, dtype=bool)
    matrix, slow = _matrix(values)
    micro, ok = _fast(matrix)
    out = micro.view("datetime64[us]").copy()
    rest = slow | ~ok
    if rest.any():  # other shapes: the lenient parser, once per distinct text
        texts = pc.filter(values, pa.array(rest))
        uniques = pc.unique(texts)
        parsed = np.array([_slow(u) for u in uniques.to_pylist()], dtype="datetime64[us]")
        out[rest] = parsed[pc.index_in(texts, value_set=uniques).to_numpy(zero_copy_only=False)]
    return out, np.isnat(out)


def _slow(value: str | None) -> np.datetime64:
    stamp = utc_time(value)
    return np.datetime64(stamp.replace(tzinfo=None), "us") if stamp else _NAT


__all__ = ["parse_times"]
