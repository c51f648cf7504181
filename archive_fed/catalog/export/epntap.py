"""Catalog → an EPN-TAP 2.0 ``epn_core`` table (IVOA Recommendation), as VOTable or Parquet.

Every mandatory EPNcore column is written with the type, unit and UCD of the Recommendation (spatial
columns for ``spatial_frame_type = body``: ``c1`` east longitude and ``c2`` latitude in degrees, ``c3``
altitude in km), plus the common optional ``access_url``, ``access_format``, ``access_estsize`` (kB),
``access_md5``, ``file_name`` and ``time_scale``. Times are Julian days (UTC, double precision);
``processing_level`` is the simplified CODMAC level of the product's PDS4 level; ``s_region`` is an STC-S
polygon in ``UNKNOWNFrame`` (VOTable ``xtype="adql:REGION"``); dates are DALI timestamps. The record's
observation fields fill ``incidence_*``, ``emergence_*`` (the record's ``emission_*``), ``phase_*``,
``time_exp_*`` (``exposure_duration``), ``spectral_range_*`` (frequencies, Hz, from the wavelengths) and
``c1_resol_*``/``c2_resol_*`` (the m/pixel resolution as degrees of latitude, and of longitude at the
footprint's mid-latitude); what the record does not hold is null, as EPN-TAP allows.
The VOTable loads into a TAP server such as DaCHS (``epntap2`` mixin) as it is.
"""
from __future__ import annotations

import datetime as _dt
import os
import warnings
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from ...errors import CatalogError
from ...geometry import METRES_PER_DEGREE, SPEED_OF_LIGHT
from . import vocab
from .geometry import stcs_region

if TYPE_CHECKING:
    from ..core import Catalog

FORMATS = ("votable", "parquet")
#: Julian day of the Unix epoch (1970-01-01T00:00:00 UTC).
JD_UNIX_EPOCH = 2440587.5


class Column(NamedTuple):
    name: str
    type: str  # EPN-TAP type: Text, Double, Float, Integer, Timestamp, spoly
    unit: str | None
    ucd: str | None
    description: str


def _c(name: str, kind: str, unit: str | None, ucd: str | None, description: str) -> Column:
    return Column(name, kind, unit, ucd, description)


#: The EPN-TAP 2.0 mandatory columns, in the Recommendation's order (body frame for c1/c2/c3).
MANDATORY: tuple[Column, ...] = (
    _c("granule_uid", "Text", None, "meta.id", "Unique ID in data service"),
    _c("granule_gid", "Text", None, "meta.id", "Common to granules of same type"),
    _c("obs_id", "Text", None, "meta.id;obs", "Associates granules derived from the same data"),
    _c("dataproduct_type", "Text", None, "meta.code.class", "Organization of the data product"),
    _c("target_name", "Text", None, "meta.id;src", "Standard IAU name of target"),
    _c("target_class", "Text", None, "src.class", "Type of target"),
    _c("time_min", "Double", "d", "time.start;obs", "Start time (JD, UTC)"),
    _c("time_max", "Double", "d", "time.end;obs", "Stop time (JD, UTC)"),
    _c("time_sampling_step_min", "Float", "s", "time.resolution;stat.min", "Min time sampling step"),
    _c("time_sampling_step_max", "Float", "s", "time.resolution;stat.max", "Max time sampling step"),
    _c("time_exp_min", "Float", "s", "time.duration;obs.exposure;stat.min", "Min integration time"),
    _c("time_exp_max", "Float", "s", "time.duration;obs.exposure;stat.max", "Max integration time"),
    _c("spectral_range_min", "Float", "Hz", "em.freq;stat.min", "Min spectral range (frequency)"),
    _c("spectral_range_max", "Float", "Hz", "em.freq;stat.max", "Max spectral range (frequency)"),
    _c("spectral_sampling_step_min", "Float", "Hz", "em.freq;stat.interval;stat.min",
       "Min spectral sampling step"),
    _c("spectral_sampling_step_max", "Float", "Hz", "em.freq;stat.interval;stat.max",
       "Max spectral sampling step"),
    _c("spectral_resolution_min", "Float", None, "spect.resolution;stat.min", "Min resolving power"),
    _c("spectral_resolution_max", "Float", None, "spect.resolution;stat.max", "Max resolving power"),
    _c("c1min", "Float", "deg", "pos.bodyrc.lon;stat.min", "Westernmost east longitude"),
    _c("c1max", "Float", "deg", "pos.bodyrc.lon;stat.max", "Easternmost east longitude"),
    _c("c2min", "Float", "deg", "pos.bodyrc.lat;stat.min", "Min latitude"),
    _c("c2max", "Float", "deg", "pos.bodyrc.lat;stat.max", "Max latitude"),
    _c("c3min", "Float", "km", "pos.bodyrc.alt;stat.min", "Min altitude"),
    _c("c3max", "Float", "km", "pos.bodyrc.alt;stat.max", "Max altitude"),
    _c("s_region", "spoly", None, "pos.outline;obs.field", "Footprint (STC-S, body-fixed lon/lat)"),
    _c("c1_resol_min", "Float", "deg", "pos.angResolution;stat.min", "Min resolution in longitude"),
    _c("c1_resol_max", "Float", "deg", "pos.angResolution;stat.max", "Max resolution in longitude"),
    _c("c2_resol_min", "Float", "deg", "pos.angResolution;stat.min", "Min resolution in latitude"),
    _c("c2_resol_max", "Float", "deg", "pos.angResolution;stat.max", "Max resolution in latitude"),
    _c("c3_resol_min", "Float", "km", "pos.resolution;stat.min", "Min resolution in altitude"),
    _c("c3_resol_max", "Float", "km", "pos.resolution;stat.max", "Max resolution in altitude"),
    _c("spatial_frame_type", "Text", None, "meta.code.class;pos.frame", "Flavor of coordinate system"),
    _c("incidence_min", "Float", "deg", "pos.incidenceAng;stat.min", "Min incidence angle"),
    _c("incidence_max", "Float", "deg", "pos.incidenceAng;stat.max", "Max incidence angle"),
    _c("emergence_min", "Float", "deg", "pos.emergenceAng;stat.min", "Min emergence angle"),
    _c("emergence_max", "Float", "deg", "pos.emergenceAng;stat.max", "Max emergence angle"),
    _c("phase_min", "Float", "deg", "pos.phaseAng;stat.min", "Min phase angle"),
    _c("phase_max", "Float", "deg", "pos.phaseAng;stat.max", "Max phase angle"),
    _c("instrument_host_name", "Text", None, "meta.id;instr.obsty", "Observatory or spacecraft"),
    _c("instrument_name", "Text", None, "meta.id;instr", "Instrument"),
    _c("measurement_type", "Text", None, "meta.ucd", "UCD(s) defining the data"),
    _c("processing_level", "Integer", None, "meta.calibLevel", "Simplified CODMAC calibration level"),
    _c("creation_date", "Timestamp", None, "time.creation", "Date of first entry of this granule"),
    _c("modification_date", "Timestamp", None, "time.processing", "Date of last modification"),
    _c("release_date", "Timestamp", None, "time.release", "Start of public access period"),
    _c("service_title", "Text", None, "meta.title", "Title of resource"),
)

#: Common optional columns written too.
OPTIONAL: tuple[Column, ...] = (
    _c("access_url", "Text", None, "meta.ref.url;meta.file", "URL of the data file"),
    _c("access_format", "Text", None, "meta.code.mime", "File format (media type)"),
    _c("access_estsize", "Integer", "kbyte", "phys.size;meta.file", "Estimated file size in kbyte"),
    _c("access_md5", "Text", None, "meta.checksum;meta.file", "MD5 hash of the file"),
    _c("file_name", "Text", None, "meta.id;meta.file", "Name of the data file"),
    _c("time_scale", "Text", None, "time.scale", "Time scale of time_min/time_max"),
)
COLUMNS: tuple[Column, ...] = MANDATORY + OPTIONAL

_VOTABLE_TYPES = {"Text": ("char", "*", None), "spoly": ("char", "*", "adql:REGION"),
                  "Timestamp": ("char", "*", "timestamp"), "Double": ("double", None, None),
                  "Float": ("float", None, None), "Integer": ("int", None, None)}
_INT_NULL = -2147483648


def _hash_list(values: list[str | None]) -> str | None:
    """EPN-TAP hash-separated list (quotes and hashes are not allowed inside values)."""
    cleaned = [str(v).replace("#", "_").replace('"', "_").replace("'", "_") for v in values if v]
    return "#".join(cleaned) if cleaned else None


def _julian_days(times: pd.Series) -> np.ndarray:
    values = times.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    ns = values.view(np.int64).astype(np.float64)
    jd = ns / 86_400e9 + JD_UNIX_EPOCH
    jd[np.isnat(values)] = np.nan
    return jd


def _timestamp(value: Any, default: str) -> str:
    if value is None or pd.isna(value):
        return default
    return pd.Timestamp(value).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def _access_format(label_format: str | None) -> str:
    return "application/x-pds4" if label_format == "PDS4" else "application/x-pds"


def _text(values: Any) -> np.ndarray:
    return np.array(list(values), dtype=object)


def epntap_columns(catalog: "Catalog", service_title: str = "archive_fed") -> dict[str, np.ndarray]:
    """The ``epn_core`` columns of ``catalog`` as numpy arrays (object arrays for text, None = null;
    NaN for missing floats; ``access_estsize``/``processing_level`` as float with NaN for null)."""
    df = catalog.to_pandas()
    n = len(df)
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    out: dict[str, np.ndarray] = {}
    out["granule_uid"] = _text(df["uid"].tolist())
    out["granule_gid"] = _text(
        "-".join(p for p in (str(m or "unknown"), str(i or "unknown").lower(),
                             str(lv or "unknown").lower().replace(" ", "_")) if p)
        for m, i, lv in zip(df["mission"].tolist(), df["instrument"].tolist(),
                            df["processing_level"].tolist()))
    out["obs_id"] = _text(p if isinstance(p, str) else u for p, u in zip(df["product_id"], df["uid"]))
    kinds = [vocab.dataproduct_type(i if isinstance(i, str) else None, p if isinstance(p, str) else None)
             for i, p in zip(df["instrument"].tolist(), df["product_id"].tolist())]
    out["dataproduct_type"] = _text(kinds)
    ordered = [([t] if isinstance(t, str) else []) + [x for x in ts if x != t]
               for t, ts in zip(df["target"].tolist(), df["targets"].tolist())]
    out["target_name"] = _text(_hash_list(ts) for ts in ordered)
    out["target_class"] = _text(_hash_list([vocab.target_class(t) for t in ts]) for ts in ordered)
    start, stop = _julian_days(df["start_time"]), _julian_days(df["stop_time"])
    out["time_min"] = np.where(np.isnan(start), stop, np.fmin(start, stop))
    out["time_max"] = np.where(np.isnan(stop), start, np.fmax(start, stop))
    lon_min, lon_max = df["lon_min"].to_numpy(float), df["lon_max"].to_numpy(float)
    lat_min, lat_max = df["lat_min"].to_numpy(float), df["lat_max"].to_numpy(float)
    has_box = ~(np.isnan(lon_min) | np.isnan(lon_max) | np.isnan(lat_min) | np.isnan(lat_max))
    out["c1min"], out["c1max"] = np.where(has_box, lon_min, np.nan), np.where(has_box, lon_max, np.nan)
    out["c2min"] = np.where(has_box, np.fmin(lat_min, lat_max), np.nan)
    out["c2max"] = np.where(has_box, np.fmax(lat_min, lat_max), np.nan)
    out["s_region"] = _text(stcs_region(*box) if ok else None
                           for ok, box in zip(has_box, zip(lon_min, lon_max, lat_min, lat_max)))
    out["spatial_frame_type"] = _text("body" if ok else "none" for ok in has_box)
    out["instrument_host_name"] = _text(h if isinstance(h, str) else (m if isinstance(m, str) else None)
                                       for h, m in zip(df["instrument_host"], df["mission"]))
    out["instrument_name"] = _text(i if isinstance(i, str) else None for i in df["instrument"])
    out["measurement_type"] = _text(
        (vocab.MEASUREMENT_TYPES.get(k or "") + (";stat.uncalib" if lv in ("Raw", "Telemetry") else ""))
        if vocab.MEASUREMENT_TYPES.get(k or "") else None
        for k, lv in zip(kinds, df["processing_level"].tolist()))
    out["processing_level"] = np.array([vocab.codmac_level(lv) if isinstance(lv, str) else None
                                        for lv in df["processing_level"].tolist()], dtype=float)
    _observation(out, df)
    created = _text(_timestamp(t, now) for t in df["harvested_at"])
    out["creation_date"] = out["modification_date"] = out["release_date"] = created
    out["service_title"] = _text([service_title] * n)
    urls = [u[0] if len(u) else None for u in df["data_urls"]]
    out["access_url"] = _text(urls)
    out["access_format"] = _text(_access_format(f) if u else None for u, f in zip(urls, df["label_format"]))
    sizes = df["file_size"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    out["access_estsize"] = np.where(np.isnan(sizes), np.nan, np.ceil(sizes / 1024.0))
    out["access_md5"] = _text(m if isinstance(m, str) and f == "PDS4" else None
                             for m, f in zip(df["md5"], df["label_format"]))
    out["file_name"] = _text(vocab.file_name(u) if u else None for u in urls)
    out["time_scale"] = _text(["UTC"] * n)
    for column in COLUMNS:  # everything the record does not know is null
        if column.name not in out:
            out[column.name] = (np.full(n, np.nan) if column.type in ("Float", "Double", "Integer")
                                else np.full(n, None, dtype=object))
    return {column.name: out[column.name] for column in COLUMNS}




def _observation(out: dict[str, np.ndarray], df: pd.DataFrame) -> None:
    """Viewing angles, exposure, spectral range and resolution from the record's observation fields."""
    def values(name: str) -> np.ndarray:
        return df[name].to_numpy(dtype=float, na_value=np.nan)

    for column, field in (("incidence", "incidence"), ("emergence", "emission"), ("phase", "phase")):
        low, high = values(f"{field}_min"), values(f"{field}_max")
        out[f"{column}_min"] = np.fmin(low, high)
        out[f"{column}_max"] = np.fmax(low, high)
    out["time_exp_min"] = out["time_exp_max"] = values("exposure_duration")
    with np.errstate(divide="ignore", invalid="ignore"):
        short, long = np.fmin(values("wavelength_min"), values("wavelength_max")), \
            np.fmax(values("wavelength_min"), values("wavelength_max"))
        out["spectral_range_min"] = np.where(long > 0, SPEED_OF_LIGHT / long, np.nan)
        out["spectral_range_max"] = np.where(short > 0, SPEED_OF_LIGHT / short, np.nan)
        fine, coarse = np.fmin(values("resolution_min"), values("resolution_max")), \
            np.fmax(values("resolution_min"), values("resolution_max"))
        out["c2_resol_min"], out["c2_resol_max"] = fine / METRES_PER_DEGREE, coarse / METRES_PER_DEGREE
        mid = np.radians((values("lat_min") + values("lat_max")) / 2)
        stretch = np.where(np.cos(mid) > 0.01, 1.0 / np.cos(mid), np.nan)  # none at the poles
        out["c1_resol_min"] = out["c2_resol_min"] * stretch
        out["c1_resol_max"] = out["c2_resol_max"] * stretch


# ---- VOTable ----------------------------------------------------------------------------------------
def _votable(columns: dict[str, np.ndarray], service_title: str) -> Any:
    from astropy.io.votable.tree import Field, Info, Resource, TableElement, TimeSys, VOTableFile

    votable = VOTableFile(version="1.4")
    resource = Resource(type="results")
    votable.resources.append(resource)
    resource.time_systems.append(TimeSys(ID="epn_time", timeorigin="JD-origin", timescale="UTC",
                                         refposition="UNKNOWN",
                                         config={"version": "1.4", "version_1_4_or_later": True}))
    resource.infos.append(Info(name="QUERY_STATUS", value="OK"))
    resource.infos.append(Info(name="service_title", value=service_title))
    table = TableElement(votable, name="epn_core")
    table.description = f"EPN-TAP 2.0 epn_core table of {service_title}, written by archive_fed"
    resource.tables.append(table)
    for column in COLUMNS:
        datatype, arraysize, xtype = _VOTABLE_TYPES[column.type]
        field = Field(votable, name=column.name, datatype=datatype, arraysize=arraysize,
                      unit=column.unit, ucd=column.ucd, xtype=xtype,
                      ref="epn_time" if column.name in ("time_min", "time_max") else None)
        field.description = column.description
        if datatype == "int":
            field.values.null = _INT_NULL
        table.fields.append(field)
    n = len(columns["granule_uid"])
    table.create_arrays(n)
    for column in COLUMNS:
        values = columns[column.name]
        datatype = _VOTABLE_TYPES[column.type][0]
        if datatype == "int":
            missing = np.isnan(values)
            table.array[column.name] = np.where(missing, _INT_NULL, np.nan_to_num(values)).astype(np.int32)
            table.array.mask[column.name] = missing
        elif datatype in ("float", "double"):
            table.array[column.name] = values
            table.array.mask[column.name] = np.isnan(values)
        else:
            missing = np.array([v is None for v in values], dtype=bool)
            table.array[column.name] = np.array(["" if v is None else v for v in values], dtype=object)
            table.array.mask[column.name] = missing
    return votable


# ---- Parquet ----------------------------------------------------------------------------------------
def _arrow_table(columns: dict[str, np.ndarray], service_title: str) -> Any:
    import pyarrow as pa

    kinds = {"Text": pa.string(), "spoly": pa.string(), "Timestamp": pa.timestamp("ms", "UTC"),
             "Double": pa.float64(), "Float": pa.float32(), "Integer": pa.int32()}
    arrays, fields = [], []
    for column in COLUMNS:
        values = columns[column.name]
        kind = kinds[column.type]
        if column.type == "Timestamp":
            stamps = pd.to_datetime(pd.Series(values, dtype=object), utc=True)
            array = pa.array(stamps, type=kind)
        elif column.type in ("Double", "Float", "Integer"):
            missing = np.isnan(values)
            raw = np.where(missing, 0, values)
            raw = raw.astype(np.int32) if column.type == "Integer" else raw
            array = pa.array(raw, mask=missing).cast(kind)
        else:
            array = pa.array(list(values), type=kind)
        meta = {"ucd": column.ucd or "", "unit": column.unit or "", "description": column.description,
                "epntap_type": column.type}
        if column.type == "spoly":
            meta["xtype"] = "adql:REGION"
        arrays.append(array)
        fields.append(pa.field(column.name, kind, metadata=meta))
    table = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    return table.replace_schema_metadata({"epntap": "2.0", "service_title": service_title,
                                          "spatial_frame_type": "body", "time_scale": "UTC"})


def to_epntap(catalog: "Catalog", out: str | os.PathLike, format: str = "votable", *,
              service_title: str = "archive_fed") -> None:
    """Write ``catalog`` as an EPN-TAP 2.0 ``epn_core`` table.

    Parameters
    ----------
    out : path
        The file to write.
    format : {"votable", "parquet"}
        VOTable 1.4 (TABLEDATA; loads into DaCHS/TOPCAT) or Parquet (column units, UCDs and descriptions
        in the field metadata).
    service_title : str
        The constant ``service_title`` column (the TAP schema name); no ``#``, quotes or spaces.

    Examples
    --------
    >>> cat.to_epntap("exports/epn_core.xml")                         # doctest: +SKIP
    >>> cat.to_epntap("exports/epn_core.parquet", format="parquet")   # doctest: +SKIP
    """
    if format not in FORMATS:
        raise CatalogError(f"unknown EPN-TAP format {format!r}; choose one of {', '.join(FORMATS)}")
    if not service_title or any(c in service_title for c in "#'\" "):
        raise CatalogError("service_title must be a short name without '#', quotes or spaces: "
                           f"{service_title!r}")
    columns = epntap_columns(catalog, service_title)
    path = os.fspath(out)
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        if format == "parquet":
            import pyarrow.parquet as pq

            pq.write_table(_arrow_table(columns, service_title), path, compression="zstd")
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # astropy's unit-string chatter
                _votable(columns, service_title).to_xml(path)
    except OSError as exc:
        raise CatalogError(f"cannot write the EPN-TAP table: {exc}", path=path) from exc

