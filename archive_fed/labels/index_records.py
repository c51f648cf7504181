"""Index rows → record columns, a chunk at a time (archive-scale ingest without fetching labels).

An index row carries what a product label carries about identity, time and footprint. The columns are
read by the names archives use (PRODUCT_ID, FILE_SPECIFICATION_NAME or PATH_NAME + FILE_NAME,
DATA_SET_ID, START_TIME / STOP_TIME / IMAGE_TIME, corner and CENTER_ LATITUDE/LONGITUDE,
MINIMUM_/MAXIMUM_LATITUDE, WESTERNMOST_/EASTERNMOST_LONGITUDE, INSTRUMENT_ID, TARGET_NAME, ...); a column
the index lacks takes the volume default (index label, VOLDESC.CAT). Mission, agency, instrument and
processing level come from the label normalizer itself, run once per distinct combination of the
identity columns, so an index record equals the label record on every field the index carries.

Everything is vectorised over the chunk (pyarrow compute, numpy): times are read from their bytes by
:func:`~archive_fed.labels.index_times.parse_times`, and only texts in other shapes (a one-digit month, a
zone offset) go through :func:`~archive_fed.times.utc_time`, once per distinct value. The output is the
column batch :class:`~archive_fed.catalog.bulk.CatalogWriter` takes.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import missions
from ..record import CATEGORICAL, Codes
from ..record import FIELDS, FLOAT, INT
from .base import Block
from .normalize import pds3_fields
from .index_times import parse_times
from .values import NULL_TEXTS

_IDENTITY = ("DATA_SET_ID", "INSTRUMENT_HOST_NAME", "INSTRUMENT_HOST_ID", "SPACECRAFT_NAME", "MISSION_NAME",
             "INSTRUMENT_ID", "INSTRUMENT_NAME", "PRODUCT_TYPE", "PROCESSING_LEVEL_ID", "TARGET_NAME")
_CORNERS = ("UPPER_LEFT", "UPPER_RIGHT", "LOWER_RIGHT", "LOWER_LEFT")
_BOUNDS = (("WESTERNMOST_LONGITUDE", "MINIMUM_LONGITUDE"), ("EASTERNMOST_LONGITUDE", "MAXIMUM_LONGITUDE"),
           ("MINIMUM_LATITUDE",), ("MAXIMUM_LATITUDE",))
_CENTERS = (("SCENE_CENTER_LONGITUDE", "SCENE_CENTER_LATITUDE"), ("CENTER_LONGITUDE", "CENTER_LATITUDE"),
            ("LANDING_SITE_LONGITUDE", "LANDING_SITE_LATITUDE"))
_PRODUCT_ID = ("PRODUCT_ID", "PDS3_PRODUCT_ID", "BASENAME")
_FILE = ("FILE_SPECIFICATION_NAME", "FILE_SPECIFICATION", "PDS4_PATH", "PATH_NAME", "FILE_NAME")
_TIMES = ("START_TIME", "IMAGE_TIME", "STOP_TIME", "PRODUCT_CREATION_TIME")
_NULLS = pa.array(sorted(NULL_TEXTS))
#: Every index column :func:`index_batch` reads (a reader may skip building the others).
COLUMNS_READ = frozenset(
    _IDENTITY + _PRODUCT_ID + _FILE + _TIMES + ("PRODUCT_VERSION_ID", "MD5_CHECKSUM")
    + tuple(f"{c}_{axis}" for c in _CORNERS for axis in ("LATITUDE", "LONGITUDE"))
    + tuple(name for group in _BOUNDS for name in group) + tuple(name for pair in _CENTERS for name in pair))


@dataclass
class IndexBatch:
    """Record columns of the good rows of one chunk, their 1-based row numbers, and the bad rows."""

    columns: dict[str, Any]
    rows: np.ndarray
    failures: list[tuple[int, str]] = field(default_factory=list)  # (row, message)

    def __len__(self) -> int:
        return len(self.rows)


def _column(table: pa.Table, defaults: Mapping[str, str], *names: str) -> pa.Array | None:
    for name in names:
        if name in table.column_names:
            return table.column(name).combine_chunks()
    for name in names:
        if defaults.get(name):
            return pa.array(np.full(table.num_rows, defaults[name], dtype=object), pa.string())
    return None


def _nullish(values: pa.Array) -> np.ndarray:
    return pc.is_in(pc.utf8_upper(values), value_set=_NULLS).to_numpy(zero_copy_only=False)


def _numbers(values: pa.Array | None, n: int, bad: np.ndarray, messages: dict[int, str], name: str
             ) -> np.ndarray:
    """Floats (NaN where null); an unparsable number marks its row bad."""
    if values is None:
        return np.full(n, np.nan)
    empty = _nullish(values)
    cleaned = pc.if_else(pa.array(empty), pa.scalar(None, pa.string()), values)
    try:
        return pc.cast(cleaned, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        out = pd.to_numeric(cleaned.to_numpy(zero_copy_only=False), errors="coerce").astype(np.float64)
        wrong = np.isnan(out) & ~empty
        for i in np.flatnonzero(wrong & ~bad)[:1000]:
            messages[int(i)] = f"{name} {values[int(i)].as_py()!r} is not a number"
        bad |= wrong
        return out


def _times(values: pa.Array | None, n: int, bad: np.ndarray, messages: dict[int, str], name: str
           ) -> np.ndarray:
    """datetime64[us] (NaT where null), as :func:`utc_time` reads label times; a bad time marks its row."""
    if values is None:
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    empty = _nullish(values)
    out, unread = parse_times(values)
    wrong = unread & ~empty
    if wrong.any():
        for i in np.flatnonzero(wrong & ~bad)[:1000]:
            messages[int(i)] = f"{name} {values[int(i)].as_py()!r} is not a time"
        bad |= wrong
    return out


def _wrap360(lon: np.ndarray) -> np.ndarray:
    value = np.fmod(lon, 360.0)
    value = np.where(value < 0, value + 360.0, value)
    return np.where(value == 360.0, 0.0, value)


def _valid_lat(lat: np.ndarray) -> np.ndarray:
    return (lat >= -90.0) & (lat <= 90.0)


def _corner_boxes(lons: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, ...]:
    """Vectorised :func:`~archive_fed.labels.footprint.from_corners` over rows of 4 corners."""
    n = lons.shape[0]
    ok = np.all(np.isfinite(lons) & np.isfinite(lats) & _valid_lat(lats), axis=1)
    lat_min, lat_max = lats.min(axis=1), lats.max(axis=1)
    winding = np.zeros(n)
    for k in range(4):
        winding += (lons[:, (k + 1) % 4] - lons[:, k] + 180.0) % 360.0 - 180.0
    wrapped = np.sort(_wrap360(lons), axis=1)
    gaps = np.concatenate([wrapped[:, 1:] - wrapped[:, :-1], (wrapped[:, :1] + 360.0 - wrapped[:, -1:])],
                          axis=1)
    index = 3 - np.argmax(gaps[:, ::-1], axis=1)  # the last of equal gaps, as max() over (size, i)
    rows = np.arange(n)
    size = gaps[rows, index]
    lon_min, lon_max = wrapped[rows, (index + 1) % 4], wrapped[rows, index]
    whole = size >= 360.0
    lon_min, lon_max = np.where(whole, wrapped[:, 0], lon_min), np.where(whole, wrapped[:, 0], lon_max)
    pole = np.abs(winding) > 180.0
    north = lat_min + lat_max >= 0
    lon_min, lon_max = np.where(pole, 0.0, lon_min), np.where(pole, 360.0, lon_max)
    lat_max = np.where(pole & north, 90.0, lat_max)
    lat_min = np.where(pole & ~north, -90.0, lat_min)
    return ok, lon_min, lon_max, lat_min, lat_max


def _bound_boxes(west: np.ndarray, east: np.ndarray, south: np.ndarray, north: np.ndarray
                 ) -> tuple[np.ndarray, ...]:
    """Vectorised :func:`~archive_fed.labels.footprint.from_bounds`."""
    lat_min, lat_max = np.minimum(south, north), np.maximum(south, north)
    ok = (np.isfinite(west) & np.isfinite(east) & np.isfinite(south) & np.isfinite(north)
          & _valid_lat(lat_min) & _valid_lat(lat_max))
    whole = east - west >= 360.0 - 1e-9
    return (ok, np.where(whole, 0.0, _wrap360(west)), np.where(whole, 360.0, _wrap360(east)), lat_min,
            lat_max)


def _footprints(table: pa.Table, defaults: Mapping[str, str], n: int, bad: np.ndarray,
                messages: dict[int, str]) -> tuple[np.ndarray, ...]:
    """lon_min, lon_max, lat_min, lat_max: corners first, then bounds, then a centre point (the order
    the label normalizer uses)."""
    sign = -1.0 if (defaults.get("POSITIVE_LONGITUDE_DIRECTION") or "EAST").upper() == "WEST" else 1.0
    out = [np.full(n, np.nan) for _ in range(4)]
    done = np.zeros(n, dtype=bool)

    def number(name: str) -> np.ndarray:
        return _numbers(_column(table, {}, name), n, bad, messages, name)

    if all(f"{c}_LATITUDE" in table.column_names for c in _CORNERS):
        lons = np.stack([sign * number(f"{c}_LONGITUDE") for c in _CORNERS], axis=1)
        lats = np.stack([number(f"{c}_LATITUDE") for c in _CORNERS], axis=1)
        ok, *box = _corner_boxes(lons, lats)
        for target, values in zip(out, box):
            target[ok] = values[ok]
        done |= ok
    names = [next((c for c in group if c in table.column_names), None) for group in _BOUNDS]
    if all(names):
        west, east, south, north = (number(c) for c in names)  # type: ignore[arg-type]
        ok, *box = _bound_boxes(sign * west, sign * east, south, north)
        ok &= ~done
        for target, values in zip(out, box):
            target[ok] = values[ok]
        done |= ok
    for lon_name, lat_name in _CENTERS:
        if lon_name in table.column_names and lat_name in table.column_names:
            lon, lat = _wrap360(sign * number(lon_name)), number(lat_name)
            ok = np.isfinite(lon) & np.isfinite(lat) & _valid_lat(lat) & ~done
            for target, values in zip(out, (lon, lon, lat, lat)):
                target[ok] = values[ok]
            done |= ok
    return tuple(out)


def _identities(table: pa.Table, defaults: Mapping[str, str], product_ids: pa.Array
                ) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Per row the code of its identity combination, and per combination what the label normalizer
    makes of those keywords (mission, instrument, level, targets...)."""
    n = table.num_rows
    present = [(name, _column(table, defaults, name)) for name in _IDENTITY]
    present = [(name, values) for name, values in present if values is not None]
    if present:
        key = pc.binary_join_element_wise(*[pc.fill_null(v, "") for _, v in present], "\x1f")
        uniques = pc.unique(key)
        codes = pc.index_in(key, value_set=uniques).to_numpy(zero_copy_only=False)
    else:
        uniques, codes = pa.array([""]), np.zeros(n, dtype=np.int64)
    first = np.full(len(uniques), -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(n)[::-1]  # the first row of each combination
    outcomes = []
    for row in first.tolist():
        items = [(name, values[row].as_py()) for name, values in present if values[row].as_py()]
        fields = pds3_fields(Block(items + [("PRODUCT_ID", product_ids[row].as_py() or "?")]))
        outcomes.append(fields)
    return codes, outcomes


def _leaves_root(spec: Any) -> np.ndarray:
    """Which relative file specs leave the volume: absolute paths, URLs, drive letters, NUL and ``..``
    segments, also percent-encoded (``%2e%2e``, ``..%2f``, ``%5c``: servers decode them)."""
    decoded = pc.replace_substring_regex(spec, r"(?i)%2f|%5c", "/")
    decoded = pc.replace_substring_regex(decoded, r"(?i)%2e", ".")
    pattern = r"(?i)(^/|://|^[a-z]:|\x00|%00|(^|/)\.\.(/|$))"
    return pc.match_substring_regex(decoded, pattern).to_numpy(zero_copy_only=False)


def index_batch(table: pa.Table, first_row: int, *, defaults: Mapping[str, str], base_url: str,
                index_url: str, archive: str, harvested_at: _dt.datetime, label_format: str = "PDS3"
                ) -> IndexBatch:
    """Record columns for one chunk of index rows (see the module docstring).

    Rows without a product id, with an unparsable time or number, or whose file leaves the volume are
    left out and reported as ``(row, message)``.
    """
    n = table.num_rows
    bad = np.zeros(n, dtype=bool)
    messages: dict[int, str] = {}
    product_ids = _column(table, {}, *_PRODUCT_ID)
    if product_ids is None:
        product_ids = pa.array([""] * n, pa.string())
    no_id = _nullish(product_ids)
    bad |= no_id
    for i in np.flatnonzero(no_id)[:1000]:
        messages[int(i)] = "no PRODUCT_ID"
    spec = _column(table, {}, *_FILE[:3])
    if spec is None:
        folder, name = _column(table, {}, "PATH_NAME"), _column(table, {}, "FILE_NAME")
        if name is not None:
            spec = name if folder is None else pc.if_else(
                pc.equal(pc.utf8_length(folder), 0), name,
                pc.binary_join_element_wise(pc.utf8_rtrim(folder, "/"), name, "/"))
    label_url = None
    if spec is not None:
        spec = pc.replace_substring(spec, "\\", "/")
        outside = _leaves_root(spec)
        for i in np.flatnonzero(outside & ~bad)[:1000]:
            messages[int(i)] = f"file {spec[int(i)].as_py()!r} points outside the volume root {base_url}: refused"
        bad |= outside
        label_url = pc.binary_join_element_wise(pa.scalar(base_url.rstrip("/")), spec, "/")
    start = _times(_column(table, {}, "START_TIME", "IMAGE_TIME"), n, bad, messages, "START_TIME")
    stop = _times(_column(table, {}, "STOP_TIME"), n, bad, messages, "STOP_TIME")
    _times(_column(table, {}, "PRODUCT_CREATION_TIME"), n, bad, messages, "PRODUCT_CREATION_TIME")
    lon_min, lon_max, lat_min, lat_max = _footprints(table, defaults, n, bad, messages)
    codes, identity = _identities(table, defaults, product_ids)

    data_set = _column(table, defaults, "DATA_SET_ID")
    pid = product_ids.to_numpy(zero_copy_only=False)
    if data_set is None:
        uid = pid.astype(object)
    else:  # DATA_SET_ID/PRODUCT_ID, as the label normalizer builds it
        data_set = pc.if_else(pa.array(_nullish(data_set)), "", data_set)
        joined = pc.binary_join_element_wise(data_set, product_ids, "/")
        uid = pc.if_else(pc.equal(data_set, ""), product_ids, joined).to_numpy(zero_copy_only=False)

    def categorical(values: list[Any]) -> Codes:
        return Codes(codes, np.array([v or "" for v in values], dtype=object))

    targets = [missions.canonical_targets(f.get("target_names", [])) for f in identity]
    urls = label_url.to_numpy(zero_copy_only=False) if label_url is not None else np.full(n, "", object)
    attached = np.zeros(n, dtype=bool) if label_url is None else ~pc.match_substring_regex(
        label_url, r"\.(lbl|xml)$", ignore_case=True).to_numpy(zero_copy_only=False)
    data_urls = np.full(n, "[]", dtype=object)
    if attached.any():  # an attached label: the file the index names is the data file
        import json
        picked = pc.filter(label_url, pa.array(attached))
        plain = ~pc.match_substring_regex(picked, r'["\\\x00-\x1f]|[^\x00-\x7f]').to_numpy(zero_copy_only=False)
        # JSON of a one-element list of plain ASCII text, built whole; others through json.dumps
        quoted = pc.binary_join_element_wise('["', picked, '"]', "").to_numpy(zero_copy_only=False).astype(object)
        quoted[~plain] = [json.dumps([u]) for u in picked.to_numpy(zero_copy_only=False)[~plain]]
        data_urls[attached] = quoted
    version = _column(table, {}, "PRODUCT_VERSION_ID")
    md5 = _column(table, {}, "MD5_CHECKSUM")
    columns: dict[str, Any] = {
        "uid": uid, "lid": uid, "vid": (version.to_numpy(zero_copy_only=False) if version is not None
                                        else np.full(n, "", dtype=object)),
        "product_id": pid, "title": np.array([f.get("title") or "" for f in identity], dtype=object)[codes],
        "mission": categorical([f.get("mission") for f in identity]),
        "agency": categorical([missions.agency(f.get("mission")) for f in identity]),
        "instrument_host": categorical([f.get("instrument_host") for f in identity]),
        "instrument": categorical([f.get("instrument") for f in identity]),
        "targets": Codes(codes, np.array([_json_list(t) for t in targets], dtype=object)),
        "target": categorical(["Moon" if "Moon" in t else (t[0] if t else None) for t in targets]),
        "processing_level": categorical([f.get("processing_level") for f in identity]),
        "processing_level_native": categorical([f.get("processing_level_native") for f in identity]),
        "start_time": start, "stop_time": stop,
        "lon_min": lon_min, "lon_max": lon_max, "lat_min": lat_min, "lat_max": lat_max,
        "label_format": Codes(np.zeros(n, dtype=np.int64), np.array([label_format], dtype=object)),
        "label_url": urls, "data_urls": data_urls, "file_size": np.full(n, np.nan),
        "md5": (pc.utf8_lower(md5).to_numpy(zero_copy_only=False) if md5 is not None
                else np.full(n, "", dtype=object)),
        "archive": Codes(np.zeros(n, dtype=np.int64), np.array([archive], dtype=object)),
        "harvested_at": np.full(n, np.datetime64(harvested_at.replace(tzinfo=None), "us")),
    }
    if "metadata_source" in FIELDS:
        columns["metadata_source"] = Codes(np.zeros(n, dtype=np.int64), np.array(["index"], dtype=object))
    if data_set is not None:
        columns["data_set_id"] = data_set.to_numpy(zero_copy_only=False).astype(object)
    for name, kind in FIELDS.items():  # what an index row does not tell
        if name not in columns:
            columns[name] = np.full(n, np.nan) if kind in (FLOAT, INT) else np.full(n, "", dtype=object)
    # a field the catalog does not store as categories takes text
    columns = {name: (values.decode() if isinstance(values, Codes) and name not in CATEGORICAL else values)
               for name, values in columns.items()}
    good = np.flatnonzero(~bad)
    if len(good) < n:
        columns = {name: _take(values, good) for name, values in columns.items()}
    failures = [(first_row + i, messages.get(i, "bad row")) for i in np.flatnonzero(bad).tolist()]
    return IndexBatch(columns, first_row + good, failures)


def _json_list(values: list[str]) -> str:
    import json

    return json.dumps(values)


def _take(values: Any, rows: np.ndarray) -> Any:
    return values.take(rows) if isinstance(values, Codes) else np.asarray(values)[rows]
