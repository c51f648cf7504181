"""Vectorized catalog search (SPEC §2 "Search semantics").

A :class:`SearchIndex` holds the numpy arrays a search needs — integer codes of the categorical columns,
time intervals as int64 ns, footprints as longitude arcs — built once per catalog on first use. A query
costs a table look-up per text filter and a few comparisons per numeric filter; once the filters applied
so far keep few rows, the remaining ones run on those rows only. No per-row Python anywhere.

Longitudes follow SPEC §1: east longitude, ``lon_min > lon_max`` crosses 0°/360°, a footprint spanning
0–360 contains a pole. Every box (query or footprint) becomes up to two linear arcs within [0, 360]:
``[a, b]``; or ``[a, 360]`` and ``[0, b]`` when it crosses; or ``[0, 360]`` when it spans the globe.
Two boxes intersect when their latitudes overlap and one of their arcs meet — or when both reach the
same pole, which is one point whatever the longitude.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import missions
from ..errors import CatalogError
from . import sphere
from .encoding import NAT, Codes, decode_list, text_values, to_ns

TextFilter = str | Iterable[str] | None
#: Once the filters so far keep fewer than this fraction of rows, the next ones run on the survivors only.
SPARSE_FRACTION = 0.3
_INF = np.inf


def as_names(value: TextFilter, what: str) -> list[str]:
    """A filter value as a list of non-empty strings (a str, or any iterable of str)."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    for item in items:
        if not isinstance(item, str):
            raise CatalogError(f"{what} must be a string or a list of strings, not {item!r}")
    return [item.strip() for item in items if item.strip()]


# --- how stored values and query names are compared ------------------------------------------------

def mission_keys(name: str) -> set[str]:
    return {missions.alias_key(missions.resolve_mission(name) or name)}


def instrument_keys(name: str) -> set[str]:
    return set(missions.instrument_keys(name))


def target_keys(name: str) -> set[str]:
    return {missions.alias_key(missions.canonical_target(name) or name)}


def targets_keys(encoded: str) -> set[str]:
    return set().union(*(target_keys(t) for t in decode_list(encoded)))


def plain_keys(name: str) -> set[str]:
    return {missions.alias_key(name)}


# --- footprints ------------------------------------------------------------------------------------

def lon_arcs(lon_min: np.ndarray, lon_max: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Linear arcs of longitude boxes: ``[p1_lo, p1_hi]`` and, for boxes crossing 0°, ``[0, p2_hi]``.

    A box is the arc running east from ``lon_min`` to ``lon_max``, in either convention ([0, 360) or
    [-180, 180]): ``(350, 10)`` and ``(-10, 10)`` cross 0°, ``(170, -170)`` crosses 180° only.
    ``p2_hi`` is ``-inf`` when there is no second arc.
    """
    lo = np.asarray(lon_min, dtype=np.float64)
    hi = np.asarray(lon_max, dtype=np.float64)
    a = np.mod(lo, 360.0)
    b = np.mod(hi, 360.0)
    a = np.where(a >= 360.0, a - 360.0, a)  # np.mod(-1e-20, 360) rounds to 360
    b = np.where(b >= 360.0, b - 360.0, b)
    # the box runs east from lon_min to lon_max; it wraps all the way round when it is written
    # 360° wide or more, or as lon_min > lon_max landing on the same meridian
    full = np.where(lo <= hi, hi - lo >= 360.0, a == b)
    cross = ~full & (b < a)
    p1_lo = np.where(full, 0.0, a)
    p1_hi = np.where(full | cross, 360.0, b)
    p2_hi = np.where(cross, b, -_INF)
    return p1_lo, p1_hi, p2_hi


@dataclass(frozen=True)
class QueryBox:
    """A normalised bbox: arc ``[lo1, hi1]``, optional arc ``[0, hi2]`` (None), latitudes."""

    lo1: float
    hi1: float
    hi2: float | None
    lat_min: float
    lat_max: float

    @classmethod
    def parse(cls, bbox: Sequence[Any]) -> "QueryBox":
        try:
            lon_min, lat_min, lon_max, lat_max = (float(v) for v in bbox)
        except (TypeError, ValueError):
            raise CatalogError(f"bbox must be (lon_min, lat_min, lon_max, lat_max), not {bbox!r}") from None
        if any(np.isnan(v) or np.isinf(v) for v in (lon_min, lat_min, lon_max, lat_max)):
            raise CatalogError(f"bbox must be finite numbers, not {bbox!r}")
        if lat_min > lat_max:
            raise CatalogError(f"bbox lat_min {lat_min} is north of lat_max {lat_max}")
        if lat_max < -90 or lat_min > 90:
            raise CatalogError(f"bbox latitudes outside [-90, 90]: {bbox!r}")
        p1_lo, p1_hi, p2_hi = (float(v) for v in lon_arcs(np.array(lon_min), np.array(lon_max)))
        return cls(p1_lo, p1_hi, None if p2_hi == -_INF else p2_hi,
                   max(lat_min, -90.0), min(lat_max, 90.0))


def time_bounds(start: Any, stop: Any) -> tuple[int | None, int | None]:
    lo = None if start is None else to_ns(start, "start")
    hi = None if stop is None else to_ns(stop, "stop")
    if lo is not None and hi is not None and lo > hi:
        raise CatalogError(f"search start {start!r} is after stop {stop!r}")
    return lo, hi


# --- the index -------------------------------------------------------------------------------------

class SearchIndex:
    """Search arrays of one catalog, built lazily; :meth:`select` answers a query with row numbers.

    Parameters
    ----------
    size
        Number of products.
    codes
        ``codes(field)`` gives the :class:`~archive_fed.catalog.encoding.Codes` of a categorical field.
    column
        ``column(field)`` gives a numpy array of any field.
    parent
        For a catalog selected from another: that catalog's index and the selected rows, so arrays it
        already built are sliced rather than rebuilt.
    rows_of
        ``rows_of(field, rows)`` reads some rows of a field: when given, a filter running on few
        surviving rows reads those rows only instead of whole columns.
    keys
        A cache of category keys shared between indexes over the same categories (blocks of a store).
    """

    def __init__(self, size: int, codes: Callable[[str], Codes], column: Callable[[str], np.ndarray],
                 parent: tuple["SearchIndex", np.ndarray] | None = None,
                 rows_of: Callable[[str, np.ndarray], np.ndarray] | None = None,
                 keys: dict | None = None):
        self.size = size
        self._parent = parent  # the index this catalog's rows were selected from, and those rows
        self._codes = codes
        self._column = column
        self._rows_of = rows_of  # reads only some rows of a column (a streamed block of a store)
        # per (field, key function): the categories seen, their keys and the codes each query hit;
        # blocks streamed from one store share it, so a query resolves its names once
        self._keys: dict[tuple[str, str], KeyTable] = {} if keys is None else keys
        self._times: tuple[np.ndarray, np.ndarray] | None = None
        self._footprints: tuple[np.ndarray, ...] | None = None
        self._product_ids: pa.Array | None = None
        self._parts: tuple[sphere.Parts, tuple[np.ndarray, ...]] | None = None

    # text filters ----------------------------------------------------------------------------------
    def category_mask(self, field: str, names: list[str], keys: Callable[[str], set[str]],
                      stored_keys: Callable[[str], set[str]] | None = None) -> np.ndarray:
        """Rows whose ``field`` shares a key with one of ``names``."""
        stored_keys = stored_keys or keys
        codes = self._codes(field)
        cache_key = (field, getattr(stored_keys, "__name__", repr(stored_keys)))
        table = self._keys.get(cache_key)
        if table is None or table.categories is not codes.categories:
            table = KeyTable(codes.categories, [stored_keys(c) for c in codes.categories.tolist()])
            self._keys[cache_key] = table
        hits = table.hits(frozenset().union(*(keys(n) for n in names)))
        if len(hits) <= 4:  # a few equality tests beat a gather through a look-up table
            mask = np.zeros(self.size, dtype=bool)
            for code in hits:
                mask |= codes.codes == code
            return mask
        lut = np.zeros(len(codes.categories) + 1, dtype=bool)
        lut[hits] = True
        return lut[codes.codes]

    def product_id_mask(self, names: list[str]) -> np.ndarray:
        """Case-insensitive product_id match; ``*`` and ``?`` are wildcards."""
        if self._product_ids is None:
            values = text_values(self._column("product_id"))
            self._product_ids = pc.utf8_lower(pa.array(values, type=pa.string()))
        exact = [n.lower() for n in names if not any(c in n for c in "*?")]
        mask = np.zeros(self.size, dtype=bool)
        if exact:
            mask |= pc.is_in(self._product_ids, value_set=pa.array(exact)).to_numpy(zero_copy_only=False)
        for pattern in (n for n in names if any(c in n for c in "*?")):
            regex = "^" + "".join(".*" if c == "*" else "." if c == "?" else re.escape(c)
                                  for c in pattern.lower()) + "$"
            mask |= pc.match_substring_regex(self._product_ids, regex).to_numpy(zero_copy_only=False)
        return mask

    # numeric filters -------------------------------------------------------------------------------
    def times(self, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(lo, hi)`` int64 ns per product (of ``rows`` only, if given); no times → lo = +max,
        hi = -max so nothing overlaps."""
        if self._times is None and self._parent and self._parent[0]._times is not None:
            index, parent_rows = self._parent
            self._times = tuple(a[parent_rows] for a in index.times())  # type: ignore[assignment]
        if self._times is None and rows is not None and self._rows_of is not None:
            return time_arrays(self._rows_of("start_time", rows), self._rows_of("stop_time", rows))
        if self._times is None:
            self._times = time_arrays(self._column("start_time"), self._column("stop_time"))
        return self._times if rows is None else (self._times[0][rows], self._times[1][rows])

    def footprints(self, rows: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
        """``(p1_lo, p1_hi, p2_hi, lat_lo, lat_hi)`` (of ``rows`` only, if given); no footprint →
        arcs that meet nothing."""
        fields = ("lon_min", "lon_max", "lat_min", "lat_max")
        if self._footprints is None and self._parent and self._parent[0]._footprints is not None:
            index, parent_rows = self._parent
            self._footprints = tuple(a[parent_rows] for a in index.footprints())
        if self._footprints is None and rows is not None and self._rows_of is not None:
            return footprint_arrays(*(self._rows_of(f, rows) for f in fields))
        if self._footprints is None:
            self._footprints = footprint_arrays(*(self._column(f) for f in fields))
        return self._footprints if rows is None else tuple(a[rows] for a in self._footprints)

    def parts(self) -> tuple[sphere.Parts, tuple[np.ndarray, ...]]:
        """Footprint parts on the sphere (:mod:`~archive_fed.catalog.sphere`) and their box arrays."""
        if self._parts is None:
            columns = [self._column(f) for f in ("footprint", "lon_min", "lon_max", "lat_min", "lat_max")]
            parts = sphere.parts_from_columns(text_values(columns[0]),
                                              *(np.asarray(c, dtype=np.float64) for c in columns[1:]))
            self._parts = parts, footprint_arrays(*parts.box)
        return self._parts

    def geometry_rows(self, query: "sphere.Cap | sphere.Region", rows: np.ndarray | None) -> np.ndarray:
        """Rows (among ``rows``, or all) whose footprint meets ``query`` on the sphere."""
        parts, arrays = self.parts()

        def box_masks(boxes: list, within: np.ndarray | None = None) -> np.ndarray:
            subset = arrays if within is None else tuple(a[within] for a in arrays)
            return np.array([self.box_mask(subset, QueryBox.parse((lon_min, lat_min, lon_max, lat_max)))
                             for lon_min, lat_min, lon_max, lat_max in boxes], dtype=bool).reshape(
                                 len(boxes), len(subset[0]))

        return sphere.matching_rows(parts, query, rows, self.size, box_masks)

    def range_mask(self, field: str, bounds: Sequence[Any], rows: np.ndarray | None = None) -> np.ndarray:
        """Products whose ``{field}_min``–``{field}_max`` range overlaps ``bounds`` = (lo, hi), either
        None for open; products without the value never match."""
        lo, hi = _range(field, bounds)
        low = np.asarray(self._read(f"{field}_min", rows), dtype=np.float64)
        high = np.asarray(self._read(f"{field}_max", rows), dtype=np.float64)
        low, high = np.where(np.isnan(low), high, low), np.where(np.isnan(high), low, high)
        mask = ~np.isnan(low)
        if lo is not None:
            mask &= np.fmax(low, high) >= lo
        if hi is not None:
            mask &= np.fmin(low, high) <= hi
        return mask

    def _read(self, field: str, rows: np.ndarray | None) -> np.ndarray:
        if rows is None:
            return self._column(field)
        if self._rows_of is not None:
            return self._rows_of(field, rows)
        return np.asarray(self._column(field))[rows]

    @staticmethod
    def time_mask(arrays: tuple[np.ndarray, np.ndarray], lo: int | None, hi: int | None) -> np.ndarray:
        p_lo, p_hi = arrays
        if lo is None:
            return p_lo <= hi
        if hi is None:
            return p_hi >= lo
        return (p_lo <= hi) & (p_hi >= lo)

    @staticmethod
    def box_mask(arrays: tuple[np.ndarray, ...], box: QueryBox) -> np.ndarray:
        p1_lo, p1_hi, p2_hi, lat_lo, lat_hi = arrays
        lon = ((p1_lo <= box.hi1) & (p1_hi >= box.lo1)) | (p2_hi >= box.lo1)
        if box.hi2 is not None:  # the query's own second arc [0, hi2]
            lon |= ((p1_lo <= box.hi2) & (p1_hi >= 0.0)) | (p2_hi >= 0.0)
        mask = lon & (lat_lo <= box.lat_max) & (lat_hi >= box.lat_min)
        if box.lat_max >= 90.0:
            mask |= lat_hi >= 90.0
        if box.lat_min <= -90.0:
            mask |= lat_lo <= -90.0
        return mask

    # the query -------------------------------------------------------------------------------------
    def select(self, *, mission: TextFilter = None, instrument: TextFilter = None,
               target: TextFilter = None, level: TextFilter = None, start: Any = None, stop: Any = None,
               bbox: Sequence[float] | None = None, agency: TextFilter = None,
               archive: TextFilter = None, product_id: TextFilter = None, geometry: Any = None,
               incidence: Sequence[Any] | None = None, emission: Sequence[Any] | None = None,
               phase: Sequence[Any] | None = None, resolution: Sequence[Any] | None = None,
               wavelength: Sequence[Any] | None = None, product_type: TextFilter = None) -> np.ndarray:
        """Sorted row numbers of the products matching every filter (see ``Catalog.search``)."""
        t_lo, t_hi = time_bounds(start, stop)
        box = None if bbox is None else QueryBox.parse(bbox)
        shape = None if geometry is None else sphere.parse_query(geometry)
        ranges = [(f, v) for f, v in (("incidence", incidence), ("emission", emission), ("phase", phase),
                                      ("resolution", resolution), ("wavelength", wavelength))
                  if v is not None]
        for field, value in ranges:
            _range(field, value)  # bad ranges fail before any work
        masks = []
        for field, value, keys in (("mission", mission, mission_keys),
                                   ("instrument", instrument, instrument_keys),
                                   ("agency", agency, plain_keys), ("archive", archive, plain_keys),
                                   ("product_type", product_type, plain_keys)):
            names = as_names(value, field)
            if names:
                masks.append(self.category_mask(field, names, keys))
        names = as_names(target, "target")
        if names:
            masks.append(self.category_mask("target", names, target_keys)
                         | self.category_mask("targets", names, target_keys, targets_keys))
        names = as_names(level, "level")
        if names:
            masks.append(self.category_mask("processing_level", names, plain_keys)
                         | self.category_mask("processing_level_native", names, plain_keys))
        names = as_names(product_id, "product_id")
        if names:
            masks.append(self.product_id_mask(names))
        mask = None
        for m in masks:
            mask = m if mask is None else mask & m
        stages: list[tuple[Callable[[tuple], np.ndarray], Callable[..., tuple]]] = []
        if t_lo is not None or t_hi is not None:
            stages.append((lambda arrays: self.time_mask(arrays, t_lo, t_hi), self.times))
        if box is not None:
            stages.append((lambda arrays: self.box_mask(arrays, box), self.footprints))
        for field, value in ranges:
            stages.append((lambda mask: mask, lambda rows=None, f=field, v=value: self.range_mask(f, v, rows)))
        # Each stage narrows the rows; once few survive, later stages look at those rows only.
        rows = None if mask is None else self._rows_if_sparse(mask)
        for test, arrays in stages:
            if rows is not None:
                if rows.size:
                    rows = rows[test(arrays(rows))]
                continue
            stage_mask = test(arrays())
            mask = stage_mask if mask is None else mask & stage_mask
            rows = self._rows_if_sparse(mask)
        if shape is not None:
            if rows is None and mask is not None:
                rows = np.flatnonzero(mask)
            return self.geometry_rows(shape, rows)
        if rows is not None:
            return rows
        return np.arange(self.size) if mask is None else np.flatnonzero(mask)

    def _rows_if_sparse(self, mask: np.ndarray) -> np.ndarray | None:
        if np.count_nonzero(mask) <= SPARSE_FRACTION * self.size:
            return np.flatnonzero(mask)
        return None


def _range(field: str, bounds: Any) -> tuple[float | None, float | None]:
    """A ``(min, max)`` search range (either may be None)."""
    try:
        lo, hi = bounds
        lo = None if lo is None else float(lo)
        hi = None if hi is None else float(hi)
    except (TypeError, ValueError):
        raise CatalogError(f"{field} must be (min, max), either None, not {bounds!r}") from None
    if any(v is not None and np.isnan(v) for v in (lo, hi)):
        raise CatalogError(f"{field} range must not be NaN: {bounds!r}")
    if lo is not None and hi is not None and lo > hi:
        raise CatalogError(f"{field} range min {lo} is above max {hi}")
    return lo, hi


class KeyTable:
    """The keys of each category of a column, and the codes each set of wanted keys hits."""

    def __init__(self, categories: np.ndarray, keys: list[set[str]]) -> None:
        self.categories = categories
        self.keys = keys
        self._hits: dict[frozenset[str], list[int]] = {}

    def hits(self, wanted: frozenset[str]) -> list[int]:
        found = self._hits.get(wanted)
        if found is None:
            if len(self._hits) >= 1024:  # a long-lived catalog asked many different names
                self._hits.clear()
            found = self._hits[wanted] = [i for i, k in enumerate(self.keys) if k & wanted]
        return found


def time_arrays(start: np.ndarray, stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)`` int64 ns of observation intervals (see :meth:`SearchIndex.times`)."""
    start = np.asarray(start).astype("datetime64[ns]").view(np.int64)
    stop = np.asarray(stop).astype("datetime64[ns]").view(np.int64)
    start = np.where(start == NAT, stop, start)  # a missing end is an instant at the other
    stop = np.where(stop == NAT, start, stop)
    missing = start == NAT
    lo = np.where(missing, np.iinfo(np.int64).max, np.minimum(start, stop))
    hi = np.where(missing, NAT, np.maximum(start, stop))
    return lo, hi


def footprint_arrays(lon_min: np.ndarray, lon_max: np.ndarray, lat_min: np.ndarray,
                     lat_max: np.ndarray) -> tuple[np.ndarray, ...]:
    """``(p1_lo, p1_hi, p2_hi, lat_lo, lat_hi)`` of footprints (see :meth:`SearchIndex.footprints`)."""
    lon_min, lon_max, lat_min, lat_max = (np.asarray(a, dtype=np.float64)
                                          for a in (lon_min, lon_max, lat_min, lat_max))
    missing = np.isnan(lon_min) | np.isnan(lon_max) | np.isnan(lat_min) | np.isnan(lat_max)
    p1_lo, p1_hi, p2_hi = lon_arcs(lon_min, lon_max)
    lat_lo = np.minimum(lat_min, lat_max)
    lat_hi = np.maximum(lat_min, lat_max)
    for array, never in ((p1_lo, _INF), (p1_hi, -_INF), (p2_hi, -_INF), (lat_lo, _INF), (lat_hi, -_INF)):
        array[missing] = never
    return p1_lo, p1_hi, p2_hi, lat_lo, lat_hi
