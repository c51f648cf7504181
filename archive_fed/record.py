"""ProductRecord: the one schema of archive_fed (SPEC §1), and its one codec.

A record is one archive product, one row of the catalog. It is defined once here, with its field kinds,
and serialised one way everywhere:

* JSON: :meth:`ProductRecord.to_dict` gives JSON-safe values (ISO 8601 UTC times ending in ``Z``),
  :meth:`ProductRecord.from_dict` reads them back; :func:`records_to_json` is the array the CLI prints.
* Arrow: :data:`ARROW_SCHEMA` is the one columnar schema (the harvest journal, the Parquet export and
  :meth:`Catalog.to_arrow <archive_fed.catalog.Catalog.to_arrow>` all use it);
  :func:`records_to_arrow` / :func:`records_from_arrow` convert, :func:`conform_arrow` checks and
  casts any table to it.
* CSV: :data:`CSV_HEADER` and :func:`csv_row` (lists joined with ``;``, times ISO 8601 ``Z``, missing
  values empty), used by ``search --format csv`` and the CSV export.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
from operator import attrgetter
from typing import Any, Iterable, Iterator, Mapping

import numpy as np
import pyarrow as pa

from .errors import CatalogError
from . import geometry
from .times import user_time

#: Field kinds, used by the catalog to choose column encodings.
STR, FLOAT, INT, TIME, LIST = "str", "float", "int", "time", "list"

FIELDS: dict[str, str] = {
    "uid": STR,
    "lid": STR,
    "vid": STR,
    "product_id": STR,
    "title": STR,
    "mission": STR,
    "agency": STR,
    "instrument_host": STR,
    "instrument": STR,
    "targets": LIST,
    "target": STR,
    "processing_level": STR,
    "processing_level_native": STR,
    "start_time": TIME,
    "stop_time": TIME,
    "lon_min": FLOAT,
    "lon_max": FLOAT,
    "lat_min": FLOAT,
    "lat_max": FLOAT,
    "label_format": STR,
    "label_url": STR,
    "data_urls": LIST,
    "file_size": INT,
    "md5": STR,
    "archive": STR,
    "harvested_at": TIME,
    "metadata_source": STR,  # where the metadata came from: "label", "index" or "service"
    # observation geometry (SPEC §5); footprint: hex WKB here and in the catalog, GeoJSON in to_dict()
    "footprint": STR,
    "product_type": STR,
    "data_set_id": STR,
    "collection_lid": STR,
    "incidence_min": FLOAT,
    "incidence_max": FLOAT,
    "emission_min": FLOAT,
    "emission_max": FLOAT,
    "phase_min": FLOAT,
    "phase_max": FLOAT,
    "resolution_min": FLOAT,  # m/pixel
    "resolution_max": FLOAT,
    "wavelength_min": FLOAT,  # m
    "wavelength_max": FLOAT,
    "exposure_duration": FLOAT,  # s
}
#: Fields holding a geometry (hex WKB in the record and the catalog, GeoJSON in JSON).
GEOMETRY_FIELDS = ("footprint",)

#: Text fields with few distinct values: dictionary-encoded in Arrow, integer codes in the catalog.
CATEGORICAL = (
    "vid", "mission", "agency", "instrument_host", "instrument", "targets", "target",
    "processing_level", "processing_level_native", "label_format", "archive",
    "product_type", "data_set_id", "collection_lid",
)

#: The PDS4 processing-level vocabulary.
PROCESSING_LEVELS = ("Telemetry", "Raw", "Partially Processed", "Calibrated", "Derived")


def _identifier(value: Any) -> str | None:
    """An identifier as an archive reported it, cleaned the one way every source cleans it: surrounding
    blanks and double quotes dropped, inner runs of white space made one space; None when empty."""
    if value is None:
        return None
    cleaned = " ".join(str(value).strip().strip('"').split())
    return cleaned or None


def pds3_uid(data_set_id: Any, product_id: Any) -> str | None:
    """The uid of a PDS3 product (SPEC §1): ``DATA_SET_ID/PRODUCT_ID`` as labelled (case kept), or the
    product id alone without a data set. Every PDS3 path builds it here — the label normalizer, the
    PDS3 index reader, ``ode`` (``Data_Set_Id``, ``pdsid``), ``pdap``, ``epn-tap`` (PSA's
    ``DATA_SET_ID:DATA:PRODUCT_ID::version``) and ``pds-api`` — so one product is one uid whichever
    archive reports it.

    >>> pds3_uid(' "LRO-L-LROC-2-EDR-V1.0" ', "M103595705LE")
    'LRO-L-LROC-2-EDR-V1.0/M103595705LE'
    """
    product = _identifier(product_id)
    if product is None:
        return None
    data_set = _identifier(data_set_id)
    return f"{data_set}/{product}" if data_set else product


def pds4_uid(lid: Any, vid: Any = None) -> str | None:
    """The uid of a PDS4 product: ``lid::vid`` (or the LID alone without a version)."""
    lid, vid = _identifier(lid), _identifier(vid)
    if lid is None:
        return None
    return f"{lid}::{vid}" if vid else lid


def _utc(value: Any, what: str = "time") -> _dt.datetime | None:
    """An aware UTC datetime from a datetime (fast path) or anything :func:`archive_fed.times.user_time`
    reads; None and ``""`` stay None, garbage is a :class:`~archive_fed.errors.TimeError`."""
    if value is None or value == "":
        return None
    if type(value) is _dt.datetime:
        if value.tzinfo is None:
            return value.replace(tzinfo=_dt.timezone.utc)
        return value if value.tzinfo is _dt.timezone.utc else value.astimezone(_dt.timezone.utc)
    return user_time(value, what=what)


def format_time(value: _dt.datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z`` suffix, microseconds kept only when present."""
    if value is None:
        return None
    value = _utc(value)
    assert value is not None
    text = value.replace(tzinfo=None).isoformat()
    return text + "Z"


def _float(value: Any) -> float | None:
    if value is None or value == "":
        return None
    number = float(value)
    return None if math.isnan(number) else number


@dataclasses.dataclass
class ProductRecord:
    """One archive product in the federated schema (SPEC §1).

    Examples
    --------
    >>> rec = ProductRecord(uid="DS/P1", lid="DS/P1", product_id="P1", mission="kaguya")
    >>> rec.to_dict()["mission"]
    'kaguya'
    """

    uid: str | None = None
    lid: str | None = None
    vid: str | None = None
    product_id: str | None = None
    title: str | None = None
    mission: str | None = None
    agency: str | None = None
    instrument_host: str | None = None
    instrument: str | None = None
    targets: list[str] = dataclasses.field(default_factory=list)
    target: str | None = None
    processing_level: str | None = None
    processing_level_native: str | None = None
    start_time: _dt.datetime | None = None
    stop_time: _dt.datetime | None = None
    lon_min: float | None = None
    lon_max: float | None = None
    lat_min: float | None = None
    lat_max: float | None = None
    label_format: str | None = None
    label_url: str | None = None
    data_urls: list[str] = dataclasses.field(default_factory=list)
    file_size: int | None = None
    md5: str | None = None
    archive: str | None = None
    harvested_at: _dt.datetime | None = None
    metadata_source: str | None = None
    footprint: str | None = None
    product_type: str | None = None
    data_set_id: str | None = None
    collection_lid: str | None = None
    incidence_min: float | None = None
    incidence_max: float | None = None
    emission_min: float | None = None
    emission_max: float | None = None
    phase_min: float | None = None
    phase_max: float | None = None
    resolution_min: float | None = None
    resolution_max: float | None = None
    wavelength_min: float | None = None
    wavelength_max: float | None = None
    exposure_duration: float | None = None

    def __post_init__(self) -> None:
        for name, kind in FIELDS.items():
            value = getattr(self, name)
            if name in GEOMETRY_FIELDS:
                setattr(self, name, geometry.encode(value))
            elif kind == TIME:
                setattr(self, name, _utc(value, name))
            elif kind == FLOAT:
                setattr(self, name, _float(value))
            elif kind == INT:
                setattr(self, name, None if value is None or value == "" else int(value))
            elif kind == LIST:
                setattr(self, name, [str(v) for v in (value or [])])
            elif value is not None and not isinstance(value, str):
                setattr(self, name, str(value))
            elif value == "":
                setattr(self, name, None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: times as ISO 8601 UTC strings with ``Z``, missing values as None."""
        out: dict[str, Any] = {}
        for name, kind in FIELDS.items():
            value = getattr(self, name)
            out[name] = format_time(value) if kind == TIME else (list(value) if kind == LIST else value)
        for name in GEOMETRY_FIELDS:
            out[name] = geometry.decode(out[name])
        return out

    @property
    def footprint_geojson(self) -> dict[str, Any] | None:
        """The footprint as a GeoJSON geometry mapping (east longitudes in [0, 360]; see
        :mod:`archive_fed.geometry`)."""
        return geometry.decode(self.footprint)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ProductRecord":
        """Inverse of :meth:`to_dict`; unknown keys are refused."""
        unknown = set(data) - set(FIELDS)
        if unknown:
            raise ValueError(f"unknown record fields: {sorted(unknown)}")
        return cls(**dict(data))

    def replace(self, **changes: Any) -> "ProductRecord":
        """A copy with ``changes`` applied; this record is left as it is."""
        return dataclasses.replace(self, **changes)

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        for name in FIELDS:
            yield name, getattr(self, name)


# --- JSON ------------------------------------------------------------------------------------------

def record_to_json(record: ProductRecord) -> str:
    """One record as one line of JSON (non-ASCII kept as is)."""
    return json.dumps(record.to_dict(), ensure_ascii=False)


def records_to_json(records: Iterable[ProductRecord]) -> str:
    """A JSON array of records, one per line (``[]`` when there are none)."""
    lines = [record_to_json(r) for r in records]
    return "[\n" + ",\n".join(lines) + "\n]" if lines else "[]"


# --- CSV -------------------------------------------------------------------------------------------

#: The CSV header: the record fields, in order.
CSV_HEADER: tuple[str, ...] = tuple(FIELDS)


def csv_value(kind: str, value: Any) -> Any:
    """One field as CSV text: lists joined with ``;``, times ISO 8601 ``Z``, missing as ``""``."""
    if value is None:
        return ""
    if kind == LIST:
        return ";".join(value)
    if kind == TIME:
        return format_time(value)
    return value


def csv_row(record: ProductRecord) -> list[Any]:
    """The CSV cells of one record, in :data:`CSV_HEADER` order (geometries as WKT)."""
    return [csv_value(kind, geometry.to_wkt(geometry.decode(getattr(record, name))) if name in GEOMETRY_FIELDS
                      else getattr(record, name)) for name, kind in FIELDS.items()]


# --- Arrow -----------------------------------------------------------------------------------------

_ARROW_TYPES = {STR: pa.string(), LIST: pa.list_(pa.string()), TIME: pa.timestamp("ns", tz="UTC"),
                FLOAT: pa.float64(), INT: pa.int64()}
_CODES = pa.dictionary(pa.int32(), pa.string())

#: The one Arrow schema of records: text as ``string`` (categorical fields dictionary-encoded), lists
#: as ``list<string>`` (never null: an empty list), times as ``timestamp[ns, UTC]`` (1677-2262),
#: floats as ``double`` and ``file_size`` as ``int64``; missing values are nulls.
ARROW_SCHEMA = pa.schema([pa.field(name, _CODES if name in CATEGORICAL and kind == STR else _ARROW_TYPES[kind])
                          for name, kind in FIELDS.items()])


def _arrow_error(name: str, exc: Exception) -> CatalogError:
    if isinstance(exc, (OverflowError, pa.ArrowInvalid)) and FIELDS[name] == TIME:
        return CatalogError(f"{name}: time out of the catalog's range (1677-2262): {exc}")
    return CatalogError(f"{name}: cannot be stored as {ARROW_SCHEMA.field(name).type}: {exc}")


def records_to_arrow(records: Iterable[ProductRecord | Mapping[str, Any]]) -> pa.Table:
    """Records (or dicts as from :meth:`ProductRecord.to_dict`) as an Arrow table of :data:`ARROW_SCHEMA`.

    Examples
    --------
    >>> table = records_to_arrow([ProductRecord(uid="P1", targets=["Moon"], file_size=3)])
    >>> table.num_rows, table.column("targets").to_pylist(), str(table.schema.field("start_time").type)
    (1, [['Moon']], 'timestamp[ns, tz=UTC]')
    """
    items = [r if isinstance(r, ProductRecord) else ProductRecord.from_dict(r) for r in records]
    rows = list(map(attrgetter(*FIELDS), items))
    columns = list(zip(*rows)) if rows else [()] * len(FIELDS)
    arrays = []
    for field, values in zip(ARROW_SCHEMA, columns):
        try:
            arrays.append(pa.array(values, type=field.type))
        except (OverflowError, pa.ArrowException, TypeError, ValueError) as exc:
            raise _arrow_error(field.name, exc) from None
    return pa.Table.from_arrays(arrays, schema=ARROW_SCHEMA)


def conform_arrow(table: pa.Table, where: str | None = None) -> pa.Table:
    """The record columns of ``table`` cast to :data:`ARROW_SCHEMA` (extra columns dropped, schema
    metadata kept); a :class:`CatalogError` naming ``where`` when a field is missing or cannot be cast."""
    missing = [name for name in FIELDS if name not in table.column_names]
    if missing:
        raise CatalogError(f"not an archive_fed record table: no columns {missing}", path=where)
    arrays = []
    for field in ARROW_SCHEMA:
        column = table.column(field.name)
        if column.type != field.type:
            try:
                column = column.cast(field.type)
            except (pa.ArrowException, OverflowError) as exc:
                raise CatalogError(f"column {field.name} ({column.type}) is not {field.type}: {exc}",
                                   path=where) from None
        arrays.append(column)
    return pa.Table.from_arrays(arrays, schema=ARROW_SCHEMA.with_metadata(table.schema.metadata))


def records_from_arrow(table: pa.Table, where: str | None = None) -> list[ProductRecord]:
    """The records of an Arrow table of :data:`ARROW_SCHEMA` (or one :func:`conform_arrow` can cast),
    the inverse of :func:`records_to_arrow`; times keep microseconds (ProductRecord's precision)."""
    table = conform_arrow(table, where)
    decoded = [_python_values(kind, table.column(name)) for name, kind in FIELDS.items()]
    names = list(FIELDS)
    return [ProductRecord(**dict(zip(names, row))) for row in zip(*decoded)]


def _python_values(kind: str, column: pa.ChunkedArray) -> list[Any]:
    """Python values of one conformed column (vectorised where Arrow's ``to_pylist`` is slow)."""
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if kind == TIME:
        micro = array.cast(pa.timestamp("us", tz="UTC"), safe=False).to_numpy(zero_copy_only=False)
        return [None if v is None else v.replace(tzinfo=_dt.timezone.utc)
                for v in micro.astype("datetime64[us]").astype(object).tolist()]
    if kind == LIST:
        flat = array.flatten().to_numpy(zero_copy_only=False).tolist()
        offsets = array.offsets.to_numpy(zero_copy_only=False).tolist()
        return [flat[offsets[i]:offsets[i + 1]] for i in range(len(array))]  # a null list is empty
    if pa.types.is_dictionary(array.type):
        table = np.empty(len(array.dictionary) + 1, dtype=object)
        table[:-1] = array.dictionary.to_pylist()  # the last slot (None) is what index -1 picks
        values: list[Any] = table[array.indices.fill_null(-1).to_numpy(zero_copy_only=False)].tolist()
    elif kind == INT:
        values = array.to_pylist()  # to_numpy would turn nulls into NaN floats
    else:
        values = array.to_numpy(zero_copy_only=False).tolist()
    return values


# --- categorical columns (the catalog keeps CATEGORICAL fields as integer codes) ----------------------
@dataclasses.dataclass(frozen=True)
class Codes:
    """A categorical column: ``categories[codes]`` is the text, code ``-1`` is missing (``""``)."""

    codes: np.ndarray
    categories: np.ndarray  # object array of distinct non-empty strings

    def decode(self) -> np.ndarray:
        """The text of every row (``""`` where missing)."""
        table = np.empty(len(self.categories) + 1, dtype=object)
        table[:-1] = self.categories
        table[-1] = ""  # code -1 indexes the last slot
        text: np.ndarray = table[self.codes]
        return text

    def take(self, index: np.ndarray | slice) -> "Codes":
        """Some rows, sharing the category table."""
        return Codes(self.codes[index], self.categories)


def code_dtype(n_categories: int) -> np.dtype:
    """The smallest signed integer type holding ``n_categories`` codes and -1."""
    for dtype in (np.int8, np.int16, np.int32):
        if n_categories < np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int64)
