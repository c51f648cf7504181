"""Record ⇄ column encodings of the catalog.

In memory a catalog is an :class:`xarray.Dataset` with one dimension ``product`` and one variable per
record field (:data:`archive_fed.record.FIELDS`):

=========  ==========================================================================================
kind       in-memory variable
=========  ==========================================================================================
``str``    text (object or numpy ``StringDType``), missing as ``""``
``list``   JSON array text (``'["Moon","Earth"]'``, ``'[]'``): exact for any characters
``float``  float64, missing as NaN
``int``    float64, missing as NaN (exact: sizes of 2**53 bytes and more are refused)
``time``   ``datetime64[ns]``, UTC without zone, missing as NaT
=========  ==========================================================================================

Low-cardinality text fields (:data:`archive_fed.record.CATEGORICAL`) are also kept as integer codes into a category table
(``-1`` = missing). Codes make searches a table look-up and, on disk, shrink each of those columns to a
byte or two per product before compression (see :mod:`archive_fed.catalog.store`).
"""
from __future__ import annotations

import datetime as _dt
import json
import re
from operator import attrgetter
from typing import Any, Iterable, Iterator, Mapping

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import CatalogError
from ..times import user_time
from ..record import CATEGORICAL as CATEGORICAL  # re-exported: the fields kept as integer codes
from ..record import Codes as Codes, code_dtype as code_dtype  # re-exported: the categorical column
from ..record import FIELDS, INT, LIST, STR, TIME, ProductRecord

DIM = "product"
SCHEMA_VERSION = 1

TEXT_KINDS = (STR, LIST)
#: Integers from 2**53 on are not exact in float64; no product is that large.
MAX_EXACT_INT = 2 ** 53
NAT = np.iinfo(np.int64).min
_UTC = _dt.timezone.utc


def factorize(values: np.ndarray) -> Codes:
    """Integer codes of a text column, ``""`` → ``-1``."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)
    empty = np.flatnonzero(uniques == "")
    if empty.size:
        # drop "" from the table: its code becomes -1, codes above it shift down by one
        e = int(empty[0])
        codes = np.where(codes == e, -1, codes - (codes > e))
        uniques = np.delete(uniques, e)
    return Codes(codes.astype(code_dtype(len(uniques))), uniques)


def concat_codes(parts: list[Codes]) -> Codes:
    """Concatenate categorical columns, merging their category tables (no per-row Python)."""
    table: dict[str, int] = {}
    remapped = []
    for part in parts:
        lut = np.empty(len(part.categories) + 1, dtype=np.int64)
        for i, category in enumerate(part.categories):
            lut[i] = table.setdefault(category, len(table))
        lut[-1] = -1
        remapped.append(lut[part.codes])
    categories = np.array(list(table), dtype=object) if table else np.empty(0, dtype=object)
    codes = np.concatenate(remapped) if remapped else np.empty(0, dtype=np.int64)
    return Codes(codes.astype(code_dtype(len(categories))), categories)


# --- lists -----------------------------------------------------------------------------------------

_JSON_ESCAPED = re.compile(r'["\\\x00-\x1f]')


def encode_list(values: Iterable[str]) -> str:
    """JSON text of a list of strings: exact for every character, ``[]`` for an empty list."""
    items = list(values)
    if not items:
        return "[]"
    if _JSON_ESCAPED.search("".join(items)) is None:  # nothing to escape: what json.dumps writes
        return '["' + '","'.join(items) + '"]'
    return json.dumps(items, ensure_ascii=False, separators=(",", ":"))


def decode_list(text: str | None) -> list[str]:
    if not text:
        return []
    return [str(v) for v in json.loads(text)]


# --- times -----------------------------------------------------------------------------------------

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_UTC)
_NS_RANGE = (np.iinfo(np.int64).min + 1, np.iinfo(np.int64).max)


def to_ns(value: Any, what: str = "time") -> int:
    """A user-given time (any form :func:`archive_fed.times.user_time` reads) as int64 ns since 1970 UTC.

    Naive times are UTC; aware ones are converted; garbage and times outside 1677-2262 are a
    :class:`CatalogError`.
    """
    when = user_time(value, what=what, error=CatalogError)
    ns = (when - _EPOCH) // _dt.timedelta(microseconds=1) * 1000
    if not _NS_RANGE[0] <= ns <= _NS_RANGE[1]:
        raise CatalogError(f"{what}: time out of the catalog's range (1677-2262): {value!r}")
    return ns


def time_column(values: list[_dt.datetime | None]) -> np.ndarray:
    """datetime64[ns] column (naive UTC) from datetimes (naive ones are UTC) or None."""
    try:
        stamps = pd.to_datetime(list(values), utc=True, cache=False).tz_convert(None)
        return np.asarray(stamps.as_unit("ns").to_numpy(), dtype="datetime64[ns]")
    except (pd.errors.OutOfBoundsDatetime, OverflowError) as exc:
        raise CatalogError(f"time out of the catalog's range (1677-2262): {exc}") from None


def time_objects(column: np.ndarray) -> list[_dt.datetime | None]:
    """Aware UTC datetimes (or None) from a datetime64 column."""
    micro = np.asarray(column).astype("datetime64[us]").astype(object)
    return [None if v is None else v.replace(tzinfo=_UTC) for v in micro]


# --- records ⇄ columns -----------------------------------------------------------------------------

def as_record(item: ProductRecord | Mapping[str, Any]) -> ProductRecord:
    if isinstance(item, ProductRecord):
        return item
    if isinstance(item, Mapping):
        try:
            return ProductRecord.from_dict(item)
        except (TypeError, ValueError) as exc:
            raise CatalogError(f"not a product record: {exc}") from exc
    raise CatalogError(f"not a product record: {type(item).__name__}")


def text_array(values: Iterable[Any]) -> np.ndarray:
    """An object array of text, None → ``""``."""
    items = values if isinstance(values, (list, tuple)) else list(values)
    out = np.empty(len(items), dtype=object)
    out[:] = items
    out[np.equal(out, None)] = ""
    return out


def variable(values: np.ndarray, attrs: Mapping[str, Any] | None = None) -> xr.Variable:
    """A Variable along ``product`` without xarray's per-element scan of object arrays."""
    return xr.Variable((DIM,), values, attrs=dict(attrs or {}), fastpath=values.dtype == object)


def columns_from_records(records: Iterable[ProductRecord | Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """In-memory columns (see the module doc) of records, in order."""
    rows = list(map(attrgetter(*FIELDS), map(as_record, records)))
    columns = list(zip(*rows)) if rows else [()] * len(FIELDS)
    out: dict[str, np.ndarray] = {}
    for (name, kind), values in zip(FIELDS.items(), columns):
        if kind == STR:
            out[name] = text_array(values)
        elif kind == LIST:
            out[name] = text_array(_memoized(encode_list, map(tuple, values)))
        elif kind == TIME:
            out[name] = time_column(list(values))
        else:
            out[name] = np.array(values, dtype=np.float64)  # None → NaN
            if kind == INT and np.nanmax(np.abs(out[name]), initial=0) >= MAX_EXACT_INT:
                raise CatalogError(f"{name} of 2**53 or more cannot be stored exactly")
    return out


#: Fields added to the record after catalogs were first written: a store or table without them reads
#: them as missing values (a catalog saved by an older archive_fed still opens).
LATER_FIELDS = ("metadata_source", "footprint", "product_type", "data_set_id", "collection_lid",
                "incidence_min", "incidence_max", "emission_min", "emission_max", "phase_min", "phase_max",
                "resolution_min", "resolution_max", "wavelength_min", "wavelength_max", "exposure_duration")


def null_columns(n: int, names: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """Missing-value columns (the in-memory encoding) of ``n`` products for ``names`` (all fields)."""
    out: dict[str, np.ndarray] = {}
    for name in FIELDS if names is None else names:
        kind = FIELDS[name]
        if kind in TEXT_KINDS:
            out[name] = np.full(n, "[]" if kind == LIST else "", dtype=object)
        elif kind == TIME:
            out[name] = np.full(n, np.datetime64("NaT", "ns"))
        else:
            out[name] = np.full(n, np.nan)
    return out


def _memoized(function: Any, values: Iterable[Any]) -> Iterator[Any]:
    """``map(function, values)`` computing each distinct value once (lists repeat a lot)."""
    cache: dict[Any, Any] = {}
    for value in values:
        try:
            yield cache[value]
        except KeyError:
            yield cache.setdefault(value, function(value))


VAR_ATTRS = {
    "lon_min": {"units": "degrees_east"}, "lon_max": {"units": "degrees_east"},
    "lat_min": {"units": "degrees_north"}, "lat_max": {"units": "degrees_north"},
    "file_size": {"units": "bytes"},
}


def dataset_from_columns(columns: Mapping[str, np.ndarray], attrs: Mapping[str, Any]) -> xr.Dataset:
    data_vars = {}
    for name, kind in FIELDS.items():
        var_attrs = {"kind": kind, **VAR_ATTRS.get(name, {})}
        if kind == TIME:
            var_attrs["timezone"] = "UTC"
        data_vars[name] = variable(columns[name], var_attrs)
    return xr.Dataset(data_vars, attrs=dict(attrs))


def text_values(variable: xr.DataArray | xr.Variable | np.ndarray) -> np.ndarray:
    """A text column as an object array (loads lazily stored columns)."""
    values = np.asarray(getattr(variable, "values", variable))
    return values if values.dtype == object else values.astype(object)


def records_from_columns(columns: Mapping[str, np.ndarray]) -> Iterator[ProductRecord]:
    """ProductRecords from in-memory columns (the inverse of :func:`columns_from_records`)."""
    decoded: list[list[Any]] = []
    for name, kind in FIELDS.items():
        values = columns[name]
        if kind == STR:
            decoded.append([v or None for v in text_values(values).tolist()])
        elif kind == LIST:
            decoded.append([list(v) for v in _memoized(decode_list, text_values(values).tolist())])
        elif kind == TIME:
            decoded.append(time_objects(values))
        elif kind == INT:
            decoded.append([None if v != v else int(v) for v in np.asarray(values).tolist()])
        else:
            decoded.append([None if v != v else v for v in np.asarray(values, dtype=np.float64).tolist()])
    names = list(FIELDS)
    for row in zip(*decoded):
        yield ProductRecord(**dict(zip(names, row)))


# --- versions --------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\d+|[^\W\d_]+")


def vid_key(vid: str | None) -> tuple:
    """Sort key of a version id: numeric parts compare as numbers (``"1.10" > "1.9"``).

    Missing versions sort first; letters sort before numbers at the same position
    (``"V1.0"`` < ``"1.0"`` is arbitrary but total and stable).
    """
    if not vid:
        return ()
    return tuple((1, int(t), "") if t.isdigit() else (0, 0, t.casefold()) for t in _TOKEN.findall(vid)) \
        or ((0, 0, vid.casefold()),)


def vid_ranks(codes: Codes) -> np.ndarray:
    """Per-row rank of the version (higher is newer; missing is -1)."""
    order = sorted(range(len(codes.categories)), key=lambda i: (vid_key(codes.categories[i]), i))
    rank = np.empty(len(codes.categories) + 1, dtype=np.int64)
    for position, i in enumerate(order):
        rank[i] = position
    rank[-1] = -1
    # equal keys ("1.0" and "01.0") share a rank so the harvest time decides between them
    keys = [vid_key(codes.categories[i]) for i in order]
    for position in range(1, len(order)):
        if keys[position] == keys[position - 1]:
            rank[order[position]] = rank[order[position - 1]]
    return rank[codes.codes]
