"""Catalog → GeoParquet and CSV.

GeoParquet (1.1.0): the catalog's own Parquet columns (exactly those of :meth:`Catalog.to_parquet`, so
:meth:`Catalog.read_parquet` reads the file back as the same catalog) plus a ``geometry`` column of WKB
footprints (see :mod:`.geometry`: lunar longitudes in [-180, 180], split at the antimeridian) and the
``geo`` file metadata naming it, with a lunar geographic CRS (IAU 2015 code 30100, the Moon sphere of
radius 1737.4 km) in PROJJSON, so GIS tools do not take the Moon for the Earth.

CSV: one row per product, the record fields as ``archive-fed search --format csv`` writes them (lists
joined with ``;``, ISO 8601 UTC times), plus the footprint as WKT (``footprint_wkt``).
"""
from __future__ import annotations

import csv
import json
import os
from typing import TYPE_CHECKING, Any, Iterator

import pyarrow as pa

from ...atomic import atomic_write
from ...record import CSV_HEADER, csv_row
from .. import parquet
from .geometry import footprint_bbox, footprint_geometry, to_wkb, to_wkt, union_bbox

if TYPE_CHECKING:
    from ..core import Catalog

GEOPARQUET_VERSION = "1.1.0"
#: The Moon's geographic CRS (planetocentric, east longitude, IAU 2015 sphere) as PROJJSON.
MOON_CRS: dict[str, Any] = {
    "$schema": "https://proj.org/schemas/v0.7/projjson.schema.json",
    "type": "GeographicCRS",
    "name": "Moon (2015) - Sphere / Ocentric",
    "datum": {
        "type": "GeodeticReferenceFrame",
        "name": "Moon (2015) - Sphere",
        "ellipsoid": {"name": "Moon (2015) - Sphere", "radius": 1737400},
        "prime_meridian": {"name": "Reference Meridian", "longitude": 0},
    },
    "coordinate_system": {
        "subtype": "ellipsoidal",
        "axis": [
            {"name": "Longitude", "abbreviation": "lon", "direction": "east", "unit": "degree"},
            {"name": "Latitude", "abbreviation": "lat", "direction": "north", "unit": "degree"},
        ],
    },
    "id": {"authority": "IAU_2015", "code": 30100},
}


def _footprints(catalog: "Catalog") -> Iterator[tuple[float, float, float, float]]:
    ds = catalog.to_xarray()
    columns = [ds[name].values.astype(float) for name in ("lon_min", "lon_max", "lat_min", "lat_max")]
    for box in zip(*columns):
        yield tuple(float(v) for v in box)  # type: ignore[misc]


def geo_metadata(geometry_types: list[str], bbox: list[float] | None) -> dict[str, Any]:
    """The GeoParquet ``geo`` metadata for one WKB ``geometry`` column."""
    column: dict[str, Any] = {"encoding": "WKB", "geometry_types": geometry_types, "crs": MOON_CRS,
                              "edges": "planar"}
    if bbox is not None:
        column["bbox"] = bbox
    return {"version": GEOPARQUET_VERSION, "primary_column": "geometry", "columns": {"geometry": column}}


def to_geoparquet(catalog: "Catalog", out: str | os.PathLike, storage_options: dict | None = None) -> None:
    """Write ``catalog`` as one GeoParquet file (the catalog columns + a WKB ``geometry`` column).

    Examples
    --------
    >>> cat.to_geoparquet("exports/lunar.parquet")      # doctest: +SKIP
    >>> Catalog.read_parquet("exports/lunar.parquet")   # the same catalog  # doctest: +SKIP
    """
    table = catalog.to_arrow()
    geometries, boxes, kinds = [], [], []
    for box in _footprints(catalog):
        geometry = footprint_geometry(*box)
        geometries.append(to_wkb(geometry))
        boxes.append(footprint_bbox(*box))
        if geometry is not None and geometry["type"] not in kinds:
            kinds.append(geometry["type"])
    metadata = dict(table.schema.metadata or {})
    metadata[b"geo"] = json.dumps(geo_metadata(sorted(kinds), union_bbox(boxes))).encode()
    table = table.append_column(pa.field("geometry", pa.binary()), pa.array(geometries, type=pa.binary()))
    parquet.write_parquet(table.replace_schema_metadata(metadata), os.fspath(out), storage_options)


def to_csv(catalog: "Catalog", out: str | os.PathLike, *, wkt: bool = True) -> None:
    """Write ``catalog`` as CSV: a header of the record fields (+ ``footprint_wkt`` when ``wkt``), one
    row per product, lists joined with ``;``, times ISO 8601 UTC, missing values empty."""
    with atomic_write(out, what="CSV") as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerow(list(CSV_HEADER) + (["footprint_wkt"] if wkt else []))
            for record in catalog.records():
                row = csv_row(record)
                if wkt:
                    box = (record.lon_min, record.lon_max, record.lat_min, record.lat_max)
                    row.append(to_wkt(footprint_geometry(*box)) or "")
                writer.writerow(row)
