"""ProductRecord: the one schema of archive_fed (SPEC §1).

A record is one archive product, one row of the catalog. It is defined once here, with its field kinds,
and serialised one way everywhere: :meth:`ProductRecord.to_dict` gives JSON-safe values (ISO 8601 UTC
times ending in ``Z``), :meth:`ProductRecord.from_dict` reads them back.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import math
from typing import Any, Iterator, Mapping

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
}

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


def _utc(value: Any) -> _dt.datetime | None:
    """Coerce a datetime/date/ISO string to an aware UTC datetime (None stays None)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        value = _dt.datetime.fromisoformat(text)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=_dt.timezone.utc)
        return value.astimezone(_dt.timezone.utc)
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day, tzinfo=_dt.timezone.utc)
    if hasattr(value, "to_pydatetime"):  # pandas / numpy timestamps
        return _utc(value.to_pydatetime())
    raise TypeError(f"not a time: {value!r}")


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

    def __post_init__(self) -> None:
        for name, kind in FIELDS.items():
            value = getattr(self, name)
            if kind == TIME:
                setattr(self, name, _utc(value))
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
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ProductRecord":
        """Inverse of :meth:`to_dict`; unknown keys are refused."""
        unknown = set(data) - set(FIELDS)
        if unknown:
            raise ValueError(f"unknown record fields: {sorted(unknown)}")
        return cls(**dict(data))

    def replace(self, **changes: Any) -> "ProductRecord":
        return dataclasses.replace(self, **changes)

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        for name in FIELDS:
            yield name, getattr(self, name)
