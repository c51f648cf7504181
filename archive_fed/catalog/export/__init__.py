"""Exports of a catalog to the formats other tools read (issue 7).

* :func:`to_stac` — a static STAC catalog (pystac): collections per mission/instrument, items per product
  with lunar footprints, the Solar System (``ssys``) extension, label and data assets.
* :func:`to_epntap` — an EPN-TAP 2.0 ``epn_core`` table (VOTable or Parquet) for a TAP server (DaCHS).
* :func:`to_geoparquet` — GeoParquet (the catalog columns + WKB footprints, lunar CRS).
* :func:`to_csv` — CSV of the record fields + WKT footprints.

Each is also a :class:`~archive_fed.catalog.Catalog` method (``cat.to_stac(...)`` …) and an
``archive-fed export --to …`` target.
"""
from __future__ import annotations

from .epntap import to_epntap
from .stac import build_stac, to_stac
from .tables import to_csv, to_geoparquet

#: ``archive-fed export --to`` targets.
TARGETS = ("stac", "epntap", "parquet", "geoparquet", "csv")

__all__ = ["to_stac", "build_stac", "to_epntap", "to_geoparquet", "to_csv", "TARGETS"]
