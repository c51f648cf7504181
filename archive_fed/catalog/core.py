"""The Catalog: every product record of a federation in one xarray Dataset (SPEC §2)."""
from __future__ import annotations

import copy
import datetime as _dt
import html
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence, TypeVar

import numpy as np
import pandas as pd
import xarray as xr
from fsspec.core import url_to_fs

from ..errors import CatalogError
from ..record import CATEGORICAL, FIELDS, INT, LIST, STR, TIME, ProductRecord, format_time
from . import parquet, store, stream
from .encoding import (DIM, SCHEMA_VERSION, Codes, columns_from_records, concat_codes,
                       dataset_from_columns, decode_list, factorize, records_from_columns,
                       text_values, vid_ranks)
from .reader import StoreReader
from .search import SearchIndex, TextFilter

#: Rows decoded at a time by :meth:`Catalog.records` (one stored chunk).
BATCH_ROWS = store.CHUNK_ROWS


def _now() -> str:
    return format_time(_dt.datetime.now(_dt.timezone.utc).replace(microsecond=0))  # type: ignore[return-value]


def _new_attrs() -> dict[str, Any]:
    now = _now()
    return {"schema_version": SCHEMA_VERSION, "created": now, "updated": now, "state": "{}"}


T = TypeVar("T")
#: tries of :meth:`Catalog.open` when the store is replaced while it is being opened
OPEN_ATTEMPTS = 5


@dataclass
class StoreSource:
    """The store a lazily opened catalog reads from, and the generation it opened (shared by the
    catalogs selected from it)."""

    path: str
    storage_options: dict | None
    token: str | None
    location: store.Location | None = None
    _reader: StoreReader | None = None
    summaries: dict[int, dict] = field(default_factory=dict)  # streamed summaries of this generation

    def check(self) -> None:
        """Raise :class:`CatalogError` if the store was replaced since this generation was opened."""
        if self.token is not None and store.read_token(self.path, self.storage_options) != self.token:
            raise CatalogError("the catalog store was replaced since this catalog was opened; "
                               "open it again (or .load() a catalog before saving over its store)",
                               path=self.path)

    def read(self, read: Callable[..., T], *args: Any) -> T:
        """``read(*args)`` between two :meth:`check` calls: a store replaced while it ran (its files then
        belong to the new generation, or are gone) raises :class:`CatalogError` instead of mixing."""
        self.check()
        try:
            out = read(*args)
        except Exception:
            self.check()
            raise
        self.check()
        return out

    @property
    def reader(self) -> StoreReader:
        """Direct column reads from the store generation opened (made on first use)."""
        if self._reader is None:
            where = self.location or store.locate(self.path, self.storage_options)
            self._reader = StoreReader(where.fs, where.root, where.url, where.storage_options)
        return self._reader


def latest_per_uid(uid: np.ndarray, vid: Codes, harvested_at: np.ndarray,
                   metadata_source: np.ndarray | None = None) -> np.ndarray:
    """Row numbers (sorted) of the newest row of each ``uid``.

    A record read from the product's label (or a service) beats one built from an index row
    (``metadata_source == "index"``) whatever their times; then newer means a higher ``vid``
    (compared numerically, ``"1.10" > "1.9"``), then a later ``harvested_at``, then a later row.
    Rows without a uid are all kept.
    """
    n = len(uid)
    codes, uniques = pd.factorize(text_values(uid))
    blank = np.flatnonzero(np.asarray(uniques, dtype=object) == "")
    if blank.size:
        rows = np.flatnonzero(codes == blank[0])
        codes[rows] = len(uniques) + np.arange(rows.size)  # each its own group
    stamps = np.asarray(harvested_at).astype("datetime64[ns]").view(np.int64)
    rank = (np.zeros(n, dtype=np.int8) if metadata_source is None
            else (text_values(metadata_source) != "index").astype(np.int8))
    order = np.lexsort((np.arange(n), stamps, vid_ranks(vid), rank, codes))
    grouped = codes[order]
    last = np.ones(n, dtype=bool)
    last[:-1] = grouped[1:] != grouped[:-1]
    return np.sort(order[last])


class Catalog:
    """Product records in an :class:`xarray.Dataset` with dimension ``product`` (SPEC §1 fields).

    Build one with :meth:`from_records`, :meth:`open` (Zarr, lazily), :meth:`read_parquet`, or from a
    dataset shaped like :meth:`to_xarray`'s. A catalog is not changed in place except for its harvest
    state (:meth:`set_state`); :meth:`upsert`, :meth:`merge` and :meth:`search` return new catalogs.

    Examples
    --------
    >>> from archive_fed.record import ProductRecord
    >>> cat = Catalog.from_records([ProductRecord(uid="DS/P1", mission="kaguya", instrument="TC1",
    ...                                           start_time="2008-01-01T00:00:00Z")])
    >>> len(cat.search(mission="SELENE", start="2007-12-31", stop="2008-02-01"))
    1
    """

    def __init__(self, dataset: xr.Dataset, *, codes: Mapping[str, Codes] | None = None,
                 _parent: tuple[SearchIndex, np.ndarray] | None = None,
                 _source: StoreSource | None = None, _whole_source: bool = False,
                 _rows: np.ndarray | None = None, _block: int | None = None) -> None:
        missing = [name for name in FIELDS if name not in dataset.variables]
        if missing:
            raise CatalogError(f"a catalog dataset needs every record field; missing {missing}")
        if any(dataset[name].dims != (DIM,) for name in FIELDS):
            raise CatalogError(f"catalog variables must have the one dimension {DIM!r}")
        self._ds = dataset.copy(deep=False)
        self._ds.attrs = {**_new_attrs(), **dataset.attrs}
        self._codes: dict[str, Codes] = dict(codes or {})
        self._parent = _parent
        self._index: SearchIndex | None = None
        self._source = _source  # lazily read store, if any
        self._whole_source = _whole_source  # every row of that store, unchanged
        # with a source: this catalog's row numbers in the store (None: all of them, in order);
        # text and numeric columns are read from there, categorical ones are in self._codes/self._ds
        self._rows = _rows
        self._block = _block  # products per block when streamed (Catalog.open with chunks)
        # fields whose values self._ds holds in memory even though the catalog reads from a store
        self._loaded = frozenset(self._codes) if _block is None else frozenset()

    # --- constructors and storage ------------------------------------------------------------------
    @classmethod
    def from_records(cls, records: Iterable[ProductRecord | Mapping[str, Any]]) -> "Catalog":
        """A catalog of records (``ProductRecord`` or dicts as from ``to_dict``), one per ``uid``.

        When a uid repeats, the newest version wins (see :meth:`upsert`).
        """
        return cls._from_columns(columns_from_records(records), {}, _new_attrs())

    @classmethod
    def _from_columns(cls, columns: dict[str, np.ndarray], codes: dict[str, Codes],
                      attrs: dict[str, Any]) -> "Catalog":
        codes = {name: codes.get(name) or factorize(columns[name]) for name in CATEGORICAL}
        keep = latest_per_uid(columns["uid"], codes["vid"], columns["harvested_at"],
                              columns.get("metadata_source"))
        if keep.size < len(columns["uid"]):
            columns = {name: values[keep] for name, values in columns.items()}
            codes = {name: column.take(keep) for name, column in codes.items()}
        return cls(dataset_from_columns(columns, attrs), codes=codes)

    @classmethod
    def open(cls, path: str, chunks: Any = None, storage_options: dict | None = None) -> "Catalog":
        """Open a catalog store lazily: a Zarr directory (``catalogs/x.zarr``) or any fsspec URL
        (``s3://bucket/lunar.zarr`` with ``storage_options`` for s3fs, ``memory://``, ...).

        Without ``chunks`` the small categorical columns are read at once, the others when needed;
        the first search builds an in-memory index (fast for up to tens of millions of products).

        With ``chunks`` nothing is read until asked, and nothing whole is kept: :meth:`search`,
        :meth:`summary` (``repr``) and :meth:`records` stream the store a block of ``chunks``
        products at a time, reading only the columns they need, so memory stays bounded by the block
        size for catalogs larger than memory. :meth:`search` returns the hits as an in-memory
        catalog. ``chunks`` is a number of products, ``"auto"`` (about a million), ``{}`` (one stored
        shard) or ``{"product": n}``; :meth:`to_xarray` gives dask arrays of that chunking.

        A ``.parquet`` path is read with :meth:`read_parquet`. A store left by an interrupted
        :meth:`save` is recovered first.

        Examples
        --------
        >>> big = Catalog.open("catalogs/federation.zarr", chunks="auto")  # doctest: +SKIP
        >>> hits = big.search(mission="LRO", start="2010-01-01", stop="2010-02-01",
        ...                   bbox=(350, -10, 10, 10))  # doctest: +SKIP
        """
        if str(path).endswith(".parquet"):
            return cls.read_parquet(path, storage_options=storage_options)
        for attempt in range(1, OPEN_ATTEMPTS + 1):  # a save replacing the store while it is opened: again
            before = store.read_token(str(path), storage_options)
            try:
                return cls._open_store(str(path), chunks, storage_options)
            except Exception:  # a store swapped under the reads fails in many ways (zarr shape errors...)
                if attempt == OPEN_ATTEMPTS or store.read_token(str(path), storage_options) == before:
                    raise
        raise AssertionError("unreachable")

    @classmethod
    def _open_store(cls, path: str, chunks: Any, storage_options: dict | None) -> "Catalog":
        """One generation of the store, checked unchanged from the first read of :meth:`open` to its last."""
        if chunks is None:
            ds, codes, token, location = store.open_zarr(str(path), storage_options=storage_options)
            source = StoreSource(str(path), storage_options, token, location)
            source.check()
            return cls(ds, codes=codes, _source=source, _whole_source=True)
        source = StoreSource(str(path), storage_options, None)
        source.location = store.locate(str(path), storage_options)
        source.token = store.read_token(source.location.url, source.location.storage_options)
        reader = source.reader
        block = stream.block_rows(chunks, reader.columns["uid"].shard, len(reader))
        ds, _, _, _ = store.open_zarr(source.location.url, chunks={DIM: block},
                                      storage_options=source.location.storage_options,
                                      lazy_categories=True)
        source.check()
        return cls(ds, _source=source, _whole_source=True, _block=block)

    def save(self, path: str, storage_options: dict | None = None) -> None:
        """Write the catalog to a Zarr store, atomically (see :mod:`archive_fed.catalog.store`).

        Saving over the store this catalog was opened from is fine; other catalogs still reading
        lazily from a replaced store raise :class:`CatalogError` rather than mix generations.
        """
        if self._source is not None:
            self._source.check()
        token = store.write_zarr(self._ds, self._codes_of, str(path), storage_options)
        if self._source is not None and self._whole_source and _same_store(self._source.path, str(path)):
            self._source.token = token  # the new store holds exactly what this catalog reads

    @classmethod
    def read_parquet(cls, path: str, storage_options: dict | None = None) -> "Catalog":
        """A catalog from one Parquet file written by :meth:`to_parquet` (or any file whose columns
        cast to :data:`archive_fed.record.ARROW_SCHEMA`)."""
        return cls.from_arrow(parquet.read_parquet(str(path), storage_options), where=str(path))

    def to_parquet(self, path: str, storage_options: dict | None = None) -> None:
        """Write the catalog to one Parquet file (exact round trip with :meth:`read_parquet`)."""
        parquet.write_parquet(self.to_arrow(), str(path), storage_options)

    @classmethod
    def from_arrow(cls, table: Any, where: str = "arrow table") -> "Catalog":
        """A catalog from an Arrow table of records (:data:`archive_fed.record.ARROW_SCHEMA`, as from
        :meth:`to_arrow` or :func:`archive_fed.record.records_to_arrow`), one row per ``uid``.

        Catalog attributes are read from the ``archive_fed`` schema metadata when present; ``where``
        names the table in errors.
        """
        columns, codes, attrs = parquet.from_table(table, where)
        return cls._from_columns(columns, codes, {**_new_attrs(), **attrs})

    def to_arrow(self) -> Any:
        """The catalog as a :class:`pyarrow.Table` of :data:`archive_fed.record.ARROW_SCHEMA` (the
        columns of :meth:`to_parquet`), catalog attributes in the ``archive_fed`` schema metadata.

        An exact round trip with :meth:`from_arrow`; ``archive_fed.record.records_from_arrow(cat.to_arrow())``
        gives the records of ``cat``.
        """
        return parquet.to_table(self._column, self._codes_of, dict(self._ds.attrs))

    # --- columns -----------------------------------------------------------------------------------
    def _store_rows(self, rows: slice | np.ndarray = slice(None)) -> slice | np.ndarray:
        """Row numbers in the source store of this catalog's ``rows``."""
        if self._rows is None:
            return slice(*rows.indices(len(self))) if isinstance(rows, slice) else rows
        return self._rows[rows]

    def _column(self, name: str) -> np.ndarray:
        if self._source is None:
            return np.asarray(self._ds[name].values)
        self._source.check()
        if name in self._loaded:
            return np.asarray(self._ds[name].values)
        return self._source.read(self._source.reader.values, name, self._store_rows())

    def _columns(self, rows: slice) -> dict[str, np.ndarray]:
        """Every field of some rows; from a store, each column's chunks are read once, in bulk."""
        if self._source is None:
            batch = self._ds.isel({DIM: rows})
            return {name: batch[name].values for name in FIELDS}
        self._source.check()
        out = {name: np.asarray(self._ds[name].values)[rows] for name in FIELDS if name in self._loaded}
        where = self._store_rows(rows)
        missing = [n for n in FIELDS if n not in out]
        reader = self._source.reader
        out.update(self._source.read(reader.take, where, missing) if isinstance(where, np.ndarray) else
                   self._source.read(reader.block, where.start, where.stop, missing))
        return out

    def _codes_of(self, name: str) -> Codes:
        if name not in self._codes:
            if self._source is not None and self._source.reader.columns[name].categories is not None:
                self._codes[name] = self._source.read(self._source.reader.codes, name, self._store_rows())
            else:
                self._codes[name] = factorize(text_values(self._column(name)))
        return self._codes[name]

    def _gather(self, rows: np.ndarray) -> "Catalog":
        """An in-memory catalog of some rows of the source store (all fields)."""
        reader = self._source.reader  # type: ignore[union-attr]
        raw = self._source.read(reader.raw_many, rows)  # type: ignore[union-attr]
        codes = {name: Codes(raw[name], reader.columns[name].categories) for name in CATEGORICAL
                 if reader.columns[name].categories is not None}
        columns = {name: codes[name].decode() if name in codes else reader.decode(name, values)
                   for name, values in raw.items()}
        return Catalog(dataset_from_columns(columns, self._ds.attrs), codes=codes)

    def _search_index(self) -> SearchIndex:
        if self._index is None:
            self._index = SearchIndex(len(self), self._codes_of, self._column, parent=self._parent)
        return self._index

    def _take(self, rows: np.ndarray | slice) -> "Catalog":
        if isinstance(rows, np.ndarray) and rows.size == len(self) and self._is_all(rows):
            same = Catalog(self._ds, codes=self._codes, _parent=self._parent, _source=self._source,
                           _whole_source=self._whole_source, _rows=self._rows, _block=self._block)
            same._index = self._index  # same rows: the same search arrays
            return same
        if isinstance(rows, slice):
            rows = np.arange(len(self))[rows]
        if self._block is not None:  # streamed: the selection is read into memory
            return self._gather(np.asarray(self._store_rows(rows)))
        ds = self._ds.isel({DIM: rows})
        codes = {name: column.take(rows) for name, column in self._codes.items()}
        return Catalog(ds, codes=codes, _parent=(self._search_index(), rows), _source=self._source,
                       _rows=None if self._source is None else np.asarray(self._store_rows(rows)))

    @staticmethod
    def _is_all(rows: np.ndarray) -> bool:
        return bool(rows.size == 0 or (rows[0] == 0 and np.all(np.diff(rows) == 1)))

    def load(self) -> "Catalog":
        """Read every lazily stored column into memory (returns self)."""
        if self._source is not None:
            self._source.read(self._ds.load)
        else:
            self._ds.load()
        self._source = None
        self._rows = self._block = None
        return self

    # --- records -----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self._ds.sizes.get(DIM, 0))

    def records(self) -> Iterator[ProductRecord]:
        """Every record, in catalog order (decoded a stored chunk at a time)."""
        for begin in range(0, len(self), BATCH_ROWS):
            yield from records_from_columns(self._columns(slice(begin, begin + BATCH_ROWS)))

    def __iter__(self) -> Iterator[ProductRecord]:
        return self.records()

    def record(self, i: int) -> ProductRecord:
        """The record at position ``i`` (negative counts from the end)."""
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"product {i} out of range for a catalog of {n}")
        return next(records_from_columns(self._columns(slice(i % n, i % n + 1))))

    def __getitem__(self, key: int | slice | Sequence[int] | np.ndarray) -> Any:
        """``cat[i]`` is a record; a slice, row numbers or a boolean mask give a catalog."""
        if isinstance(key, (int, np.integer)):
            return self.record(int(key))
        if isinstance(key, slice):
            return self._take(key)
        rows = np.asarray(key)
        if rows.dtype == bool:
            if rows.shape != (len(self),):
                raise IndexError("a boolean mask must have one value per product")
            rows = np.flatnonzero(rows)
        if rows.size and not np.issubdtype(rows.dtype, np.integer):
            raise IndexError(f"cannot index a catalog with {key!r}")
        n = len(self)
        if rows.size and (rows.min() < -n or rows.max() >= n):
            raise IndexError(f"product numbers out of range for a catalog of {n}")
        return self._take(np.where(rows < 0, rows + n, rows).astype(np.int64))

    # --- conversions -------------------------------------------------------------------------------
    def to_xarray(self) -> xr.Dataset:
        """The catalog as an :class:`xarray.Dataset`: dimension ``product``, one variable per field."""
        ds = self._ds.copy(deep=False)
        ds.attrs = dict(ds.attrs)
        return ds

    def to_pandas(self) -> pd.DataFrame:
        """A DataFrame: text as ``str`` (missing NaN), lists as Python lists, times UTC-aware,
        ``file_size`` as nullable ``Int64``."""
        data: dict[str, Any] = {}
        for name, kind in FIELDS.items():
            values = self._column(name)
            if kind == STR:
                text = text_values(values).copy()
                text[text == ""] = None
                data[name] = pd.array(text, dtype="str")
            elif kind == LIST:
                cache: dict[str, list[str]] = {}
                lists = np.empty(len(values), dtype=object)
                lists[:] = [list(cache[v]) if v in cache else list(cache.setdefault(v, decode_list(v)))
                            for v in text_values(values).tolist()]
                data[name] = lists
            elif kind == TIME:
                data[name] = pd.DatetimeIndex(values.astype("datetime64[ns]")).tz_localize("UTC")
            elif kind == INT:
                data[name] = pd.array(values, dtype="Float64").astype("Int64")
            else:
                data[name] = values.astype(np.float64)
        return pd.DataFrame(data)

    # --- harvest state -----------------------------------------------------------------------------
    @property
    def attrs(self) -> dict[str, Any]:
        """Catalog attributes: ``schema_version``, ``created``, ``updated`` (ISO UTC), ``state`` (JSON)."""
        return self._ds.attrs

    @property
    def state(self) -> dict[str, Any]:
        """Harvest state of every source (a copy), keyed by source key."""
        try:
            return json.loads(self._ds.attrs.get("state") or "{}")
        except ValueError as exc:
            raise CatalogError(f"catalog harvest state is not JSON: {exc}") from exc

    def get_state(self, source_key: str) -> dict[str, Any]:
        """The harvest state of one source (an empty dict when it never ran)."""
        return dict(self.state.get(source_key, {}))

    def set_state(self, source_key: str, value: Mapping[str, Any]) -> None:
        """Replace the harvest state of one source; ``value`` must be JSON-able."""
        state = self.state
        state[source_key] = dict(value)
        try:
            text = json.dumps(state, sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise CatalogError(f"harvest state of {source_key!r} is not JSON-able: {exc}") from exc
        self._ds.attrs["state"] = text
        self._ds.attrs["updated"] = _now()

    # --- combining ---------------------------------------------------------------------------------
    def upsert(self, records: "Catalog | Iterable[ProductRecord | Mapping[str, Any]]") -> "Catalog":
        """A new catalog with ``records`` added or replacing those with the same ``uid``.

        Per uid the newest wins: higher ``vid`` compared as numbers (``"1.10" > "1.9"``), then a
        later ``harvested_at``; on a full tie the incoming record wins. A record from the product's label
        (or a service) always beats one built from an index row (``metadata_source``).
        """
        other = records if isinstance(records, Catalog) else Catalog.from_records(records)
        return Catalog.merge(self, other)

    @classmethod
    def merge(cls, *catalogs: "Catalog") -> "Catalog":
        """The union of catalogs, one row per uid as in :meth:`upsert` (later catalogs win ties).

        Harvest states are merged per source (later catalogs win); ``created`` is the earliest.
        """
        if not catalogs:
            return cls.from_records([])
        state: dict[str, Any] = {}
        for catalog in catalogs:
            state.update(catalog.state)
        attrs = {**_new_attrs(), "created": min(c.attrs.get("created") or _now() for c in catalogs),
                 "state": json.dumps(state, sort_keys=True)}
        parts = [c for c in catalogs if len(c)] or [catalogs[0]]
        if len(parts) == 1:
            ds = parts[0]._ds.copy(deep=False)
            ds.attrs = {**parts[0]._ds.attrs, **attrs}
            return cls(ds, codes=parts[0]._codes, _source=parts[0]._source,
                       _whole_source=parts[0]._whole_source, _rows=parts[0]._rows,
                       _block=parts[0]._block)
        codes = {name: concat_codes([c._codes_of(name) for c in parts]) for name in CATEGORICAL}
        columns: dict[str, np.ndarray] = {}
        for name, kind in FIELDS.items():
            if name in codes:
                columns[name] = codes[name].decode()
            elif kind in (STR, LIST):
                columns[name] = np.concatenate([text_values(c._column(name)) for c in parts])
            elif kind == TIME:
                columns[name] = np.concatenate([c._column(name).astype("datetime64[ns]") for c in parts])
            else:
                columns[name] = np.concatenate([c._column(name).astype(np.float64) for c in parts])
        return cls._from_columns(columns, codes, attrs)

    # --- search ------------------------------------------------------------------------------------
    def search(self, mission: TextFilter = None, instrument: TextFilter = None, target: TextFilter = None,
               level: TextFilter = None, start: Any = None, stop: Any = None,
               bbox: Sequence[float] | None = None, agency: TextFilter = None, archive: TextFilter = None,
               product_id: TextFilter = None, geometry: Any = None, incidence: Sequence[Any] | None = None,
               emission: Sequence[Any] | None = None, phase: Sequence[Any] | None = None,
               resolution: Sequence[Any] | None = None, wavelength: Sequence[Any] | None = None,
               product_type: TextFilter = None) -> "Catalog":
        """Products matching every given filter (SPEC §2), as a new catalog in the same order.

        Parameters
        ----------
        mission, instrument, target, level, agency, archive, product_id
            A name or a list of names (any of them matches); case-insensitive and alias-aware:
            ``"SELENE"``, ``"Kaguya"`` mean ``kaguya``; ``"CE4"``, ``"Chang'E-4"`` mean ``change-4``;
            ``"MOON"``, ``"Lunar"`` mean ``Moon`` (matched against every one of ``targets``). ``level``
            matches the PDS4 ``processing_level`` or the archive's own ``processing_level_native``.
            ``product_id`` accepts ``*`` and ``?`` wildcards.
        start, stop
            Keep products whose [start_time, stop_time] overlaps [start, stop] (either may be omitted);
            ISO text, datetime, numpy or pandas times; naive times are UTC. A product without stop
            time is an instant; products without times are dropped by a time filter.
        bbox
            ``(lon_min, lat_min, lon_max, lat_max)`` in degrees east ([0, 360) or [-180, 180]);
            ``lon_min > lon_max`` crosses 0°. Keeps products whose footprint intersects it, across the
            meridian and at the poles; products without a footprint are dropped.
        geometry
            A region: a shapely geometry, a GeoJSON mapping, WKT text (polygon edges are great circles;
            an edge along a parallel means that parallel), or ``(lon, lat, radius_km)`` on the Moon.
            Keeps products whose footprint polygon (else box, else point) meets it on the sphere.
        incidence, emission, phase, resolution, wavelength
            ``(min, max)`` (either None): keeps products whose ``*_min``–``*_max`` range overlaps it;
            degrees, m/pixel, metres. Products without the value are dropped.
        product_type
            The label's product type (case-insensitive).

        Examples
        --------
        >>> hits = cat.search(mission="kaguya", start="2008-01-01", stop="2009-01-01",
        ...                   bbox=(350, -10, 10, 10))  # doctest: +SKIP
        >>> hits = cat.search(geometry=(3.6, 26.1, 50.0), incidence=(0, 70),
        ...                   resolution=(None, 2.0))  # doctest: +SKIP
        """
        filters = {"mission": mission, "instrument": instrument, "target": target, "level": level,
                   "start": start, "stop": stop, "bbox": bbox, "agency": agency, "archive": archive,
                   "product_id": product_id, "geometry": geometry, "incidence": incidence,
                   "emission": emission, "phase": phase, "resolution": resolution,
                   "wavelength": wavelength, "product_type": product_type}
        if self._block is not None and self._source is not None:  # streamed: whole store, in order
            return self._gather(self._source.read(stream.select, self._source.reader, self._block, filters))
        return self._take(self._search_index().select(**filters))

    # --- display -----------------------------------------------------------------------------------
    def summary(self, top: int = 8) -> dict[str, Any]:
        """Counts and extents shown by ``repr``: missions, instruments, time span, lon/lat extent.

        A streamed catalog (opened with ``chunks``) is summarised block by block.
        """
        if self._block is not None and self._source is not None:
            self._source.check()
            if top not in self._source.summaries:  # one pass over the store per generation
                self._source.summaries[top] = self._source.read(stream.summary, self._source.reader,
                                                                self._block, top)
            return copy.deepcopy(self._source.summaries[top])
        return stream.Summary().add(self._search_index(), self._column, self._codes_of).result(top)

    def __repr__(self) -> str:
        s = self.summary()
        lines = [f"<Catalog: {s['products']:,} products"]
        for name in ("mission", "instrument"):
            if s[name]:
                more = s[f"{name}_kinds"] - len(s[name])
                lines.append(f"  {name}s: " + ", ".join(f"{k} {v:,}" for k, v in s[name])
                             + (f", … {more} more" if more > 0 else ""))
        if s["time"]:
            lines.append(f"  time: {s['time'][0]} … {s['time'][1]}")
        if s["extent"]:
            lo_lon, lo_lat, hi_lon, hi_lat = s["extent"]
            lines.append(f"  lon: {lo_lon:g} … {hi_lon:g}°E  lat: {lo_lat:g} … {hi_lat:g}°")
        return "\n".join(lines) + ">"

    def _repr_html_(self) -> str:
        s = self.summary()
        rows = [("products", f"{s['products']:,}")]
        for name in ("mission", "instrument"):
            rows.append((f"{name}s", ", ".join(f"{k} ({v:,})" for k, v in s[name]) or "—"))
        rows.append(("time", " … ".join(s["time"]) if s["time"] else "—"))
        if s["extent"]:
            lo_lon, lo_lat, hi_lon, hi_lat = s["extent"]
            rows.append(("extent", f"lon {lo_lon:g} … {hi_lon:g}°E, lat {lo_lat:g} … {hi_lat:g}°"))
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                       f"<td style='text-align:left'>{html.escape(v)}</td></tr>" for k, v in rows)
        return f"<table><caption>archive_fed Catalog</caption>{body}</table>"

    # --- exports (issue 7): thin delegates to archive_fed.catalog.export -----------------------------
    def to_stac(self, out: str, **options: Any) -> Any:
        """Write a self-contained STAC catalog under ``out``: :func:`archive_fed.catalog.export.to_stac`."""
        from .export import to_stac
        return to_stac(self, out, **options)

    def to_epntap(self, out: str, format: str = "votable", **options: Any) -> None:
        """Write an EPN-TAP 2.0 ``epn_core`` table: :func:`archive_fed.catalog.export.to_epntap`."""
        from .export import to_epntap
        return to_epntap(self, out, format=format, **options)

    def to_geoparquet(self, out: str, **options: Any) -> None:
        """Write GeoParquet (WKB footprints): :func:`archive_fed.catalog.export.to_geoparquet`."""
        from .export import to_geoparquet
        return to_geoparquet(self, out, **options)

    def to_csv(self, out: str, **options: Any) -> None:
        """Write CSV (record fields + WKT footprint): :func:`archive_fed.catalog.export.to_csv`."""
        from .export import to_csv
        return to_csv(self, out, **options)

    # --- coverage (issue 17): a thin delegate to archive_fed.catalog.coverage ----------------------
    def coverage(self, max_depth: int = 10) -> Any:
        """Where these products observed, as an IVOA MOC (a :class:`mocpy.MOC`, HEALPix cells down to
        order ``max_depth``; 10 is about 1.7 km on the Moon).

        mocpy calls it a sky MOC in ICRS, but the frame is only a container: its longitude is the east
        longitude on the Moon and its latitude the planetocentric latitude, so ``sky_fraction`` is the
        fraction of the lunar sphere, and ``a.coverage().intersection(b.coverage())`` is where two
        catalogs overlap. Footprint polygons give the cells they meet, a product with only a lon/lat box
        its box, a lander point the cell holding it; products with none of these are left out and
        counted in a :class:`~archive_fed.catalog.coverage.CoverageWarning` (``.skipped``). Needs mocpy
        (``pip install 'archive_fed[geometry]'``), else :class:`~archive_fed.errors.DependencyError`.
        See :mod:`archive_fed.catalog.coverage`.

        >>> moc = cat.search(mission="kaguya").coverage(max_depth=8)   # doctest: +SKIP
        >>> moc.sky_fraction                                             # doctest: +SKIP
        0.0123
        >>> moc.save("kaguya.fits", format="fits")                      # doctest: +SKIP
        """
        from .coverage import catalog_coverage
        return catalog_coverage(self, max_depth)

    # --- getting the data: a thin delegate to archive_fed.retrieval -------------------------------
    def download(self, dest: str, *, include: Sequence[str] = ("label", "data"), workers: int = 8,
                 verify: bool = True, **options: Any) -> Any:
        """Download the files of these products under ``dest``: :func:`archive_fed.retrieval.download`.

        Files keep their paths relative to the archive root they were harvested from; verified copies
        are recorded beside the catalog (``<catalog>.files.sqlite``) and in the user's registry, so
        :func:`archive_fed.open_product` reads them locally afterwards.

        >>> report = cat.search(instrument="TC1").download("data/")   # doctest: +SKIP
        """
        from ..retrieval import LocalCopies, download

        roots = [info["url"] for info in self.state.values() if isinstance(info, dict) and info.get("url")]
        registries = options.pop("registries", None)
        if registries is None:
            registries = [LocalCopies()]
            if self._source is not None and "://" not in self._source.path:
                registries.append(LocalCopies(self._source.path.rstrip("/") + ".files.sqlite"))
        return download(self.records(), dest, include=include, workers=workers, verify=verify,
                        roots=roots, registries=registries, **options)


def merge(*catalogs: Catalog) -> Catalog:
    """The union of catalogs, deduplicated by uid (see :meth:`Catalog.merge`)."""
    return Catalog.merge(*catalogs)


def _same_store(a: str, b: str) -> bool:
    (fs_a, root_a), (fs_b, root_b) = url_to_fs(a), url_to_fs(b)
    return type(fs_a) is type(fs_b) and root_a.rstrip("/") == root_b.rstrip("/")
