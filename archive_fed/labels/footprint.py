"""Footprints: label coordinates → the record's lon/lat box (SPEC §1) and footprint polygon (SPEC §5).

Longitudes are east, in [0, 360); ``lon_min > lon_max`` means the box crosses the 0°/360° meridian; a
footprint that contains a pole spans longitudes 0–360 (``lon_min = 0``, ``lon_max = 360``) and reaches
that pole's latitude. No footprint: all four None (never zeros).
"""
from __future__ import annotations

import math
from typing import NamedTuple, Sequence

from .. import geometry as geo
from ..geometry import wrap360

__all__ = ["BBox", "Footprint", "NONE", "NO_FOOTPRINT", "bounded", "from_bounds", "from_corners", "located",
           "point", "scene", "wrap360"]


class BBox(NamedTuple):
    lon_min: float | None
    lon_max: float | None
    lat_min: float | None
    lat_max: float | None


NO_FOOTPRINT = BBox(None, None, None, None)


def _valid_lat(lat: float) -> bool:
    return -90.0 <= lat <= 90.0


def point(lon: float, lat: float) -> BBox:
    """A lander/rover location: min = max."""
    if not (math.isfinite(lon) and math.isfinite(lat) and _valid_lat(lat)):
        return NO_FOOTPRINT
    lon = wrap360(lon)
    return BBox(lon, lon, lat, lat)


def from_bounds(west: float, east: float, south: float, north: float) -> BBox:
    """A box from bounding coordinates (west/east in either -180..180 or 0..360 convention).

    ``west > east`` after wrapping means the box crosses 0°/360°. A box spanning 360° of longitude
    (e.g. west -180, east 180 or west 0, east 360) spans 0–360.
    """
    values = (west, east, south, north)
    if not all(math.isfinite(v) for v in values):
        return NO_FOOTPRINT
    lat_min, lat_max = min(south, north), max(south, north)
    if not (_valid_lat(lat_min) and _valid_lat(lat_max)):
        return NO_FOOTPRINT
    if east - west >= 360.0 - 1e-9:
        return BBox(0.0, 360.0, lat_min, lat_max)
    return BBox(wrap360(west), wrap360(east), lat_min, lat_max)


def from_corners(lons: Sequence[float], lats: Sequence[float]) -> BBox:
    """The box around a quadrilateral (corners in order around the edge).

    The longitude range is the shortest arc that holds every corner, so scenes that straddle 0°/360° give
    a crossing box; a scene whose edge winds around a pole (the longitude differences along its edge sum
    to ±360°) contains the pole: it spans 0–360 and reaches ±90°.
    """
    points = [(float(lo), float(la)) for lo, la in zip(lons, lats)]
    if not points or not all(math.isfinite(lo) and math.isfinite(la) and _valid_lat(la) for lo, la in points):
        return NO_FOOTPRINT
    lat_min = min(la for _, la in points)
    lat_max = max(la for _, la in points)
    winding = 0.0
    for (lo1, _), (lo2, _) in zip(points, points[1:] + points[:1]):
        delta = (lo2 - lo1 + 180.0) % 360.0 - 180.0
        winding += delta
    if len(points) > 2 and abs(winding) > 180.0:
        if lat_min + lat_max >= 0:
            return BBox(0.0, 360.0, lat_min, 90.0)
        return BBox(0.0, 360.0, -90.0, lat_max)
    wrapped = sorted(wrap360(lo) for lo, _ in points)
    # the largest gap between consecutive longitudes (circularly) is the part not covered
    gaps = [(wrapped[i + 1] - wrapped[i], i) for i in range(len(wrapped) - 1)]
    gaps.append((wrapped[0] + 360.0 - wrapped[-1], len(wrapped) - 1))
    size, index = max(gaps)
    lon_min = wrapped[(index + 1) % len(wrapped)]
    lon_max = wrapped[index]
    if len(wrapped) == 1 or size >= 360.0:
        lon_min = lon_max = wrapped[0]
    return BBox(lon_min, lon_max, lat_min, lat_max)


# ---- box and polygon together -------------------------------------------------------------------------
class Footprint(NamedTuple):
    """A record's lon/lat box and its footprint geometry (:mod:`archive_fed.geometry`; None when none)."""

    box: BBox
    geometry: dict | None

    def fields(self) -> dict:
        return {**self.box._asdict(), "footprint": self.geometry}


NONE = Footprint(NO_FOOTPRINT, None)


def located(lon: float, lat: float) -> Footprint:
    """A lander/rover location."""
    box = point(lon, lat)
    return Footprint(box, geo.point(lon, lat)) if box != NO_FOOTPRINT else NONE


def scene(lons: Sequence[float], lats: Sequence[float]) -> Footprint:
    """A scene from its corners in order around its edge (great-circle edges between them)."""
    box = from_corners(lons, lats)
    return Footprint(box, geo.polygon_from_corners(lons, lats)) if box != NO_FOOTPRINT else NONE


def bounded(west: float, east: float, south: float, north: float) -> Footprint:
    """A lon/lat box from bounding coordinates."""
    box = from_bounds(west, east, south, north)
    if box == NO_FOOTPRINT:
        return NONE
    return Footprint(box, geo.polygon_from_bounds(*box))
