"""Record footprints as geometries: GeoJSON (STAC, GeoParquet), WKB, WKT and STC-S (EPN-TAP ``s_region``).

A record's footprint is a lon/lat box in east longitudes [0, 360) (SPEC §1): ``lon_min > lon_max`` crosses
0°/360°, a footprint containing a pole spans 0–360, a lander is a point (min = max), no footprint is all
nulls. GeoJSON wants longitudes in [-180, 180] (RFC 7946), so a box is shifted there and, where it then
crosses ±180°, split at the antimeridian into a MultiPolygon with a ``west > east`` bbox (RFC 7946 §5.2).
A box spanning every longitude (a polar cap or a global band) becomes a band polygon from -180 to 180.

STC-S regions stay in [0, 360) (EPN-TAP ``body`` frames); their edges are great circles on the sphere, so
box edges along parallels are densified and a polar cap is a ring of vertices around its pole.

>>> footprint_geometry(359.0, 0.5, -1.0, 1.0)["coordinates"][0][:2]
[[-1.0, -1.0], [0.5, -1.0]]
>>> footprint_geometry(170.0, 190.0, 0.0, 1.0)["type"], footprint_bbox(170.0, 190.0, 0.0, 1.0)
('MultiPolygon', [170.0, 0.0, -170.0, 1.0])
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Iterable, Sequence

from ...geometry import to_wkb, to_wkt

__all__ = ["footprint_bbox", "footprint_geometry", "stcs_region", "to_wkb", "to_wkt", "union_bbox"]

#: Longest box edge between STC-S vertices (degrees of longitude).
STCS_STEP = 10.0


def _finite(*values: Any) -> bool:
    return all(v is not None and isinstance(v, numbers.Real) and math.isfinite(v) for v in values)


def _east180(lon: float) -> float:
    """[0, 360) → [-180, 180]; 180 stays 180 (a west edge at 180 is moved to -180 by the caller)."""
    return round(lon - 360.0, 9) if lon > 180.0 else float(lon)


def _full_circle(lon_min: float, lon_max: float) -> bool:
    return lon_max - lon_min >= 360.0 - 1e-9


def _ring(west: float, east: float, south: float, north: float) -> list[list[float]]:
    """A counter-clockwise closed ring (RFC 7946 exterior ring)."""
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


def footprint_geometry(lon_min: Any, lon_max: Any, lat_min: Any, lat_max: Any) -> dict[str, Any] | None:
    """The GeoJSON geometry of a record footprint (None when there is none).

    Point for a lander (min = max); Polygon for a box; MultiPolygon for a box crossing ±180°; a band
    polygon (-180 to 180) for a footprint spanning every longitude; LineString(s) for a box of zero width
    or height.
    """
    if not _finite(lon_min, lon_max, lat_min, lat_max):
        return None
    south, north = min(lat_min, lat_max), max(lat_min, lat_max)
    if _full_circle(lon_min, lon_max):
        return {"type": "Polygon", "coordinates": [_ring(-180.0, 180.0, south, north)]}
    west, east = _east180(lon_min), _east180(lon_max)
    if west == east:
        if south == north:
            return {"type": "Point", "coordinates": [west, south]}
        return {"type": "LineString", "coordinates": [[west, south], [west, north]]}
    if west == 180.0:
        west = -180.0
    if east == -180.0:
        east = 180.0
    if west < east:
        if south == north:
            return {"type": "LineString", "coordinates": [[west, south], [east, south]]}
        return {"type": "Polygon", "coordinates": [_ring(west, east, south, north)]}
    # crosses the antimeridian: one part up to +180, one from -180
    if south == north:
        return {"type": "MultiLineString",
                "coordinates": [[[west, south], [180.0, south]], [[-180.0, south], [east, south]]]}
    return {"type": "MultiPolygon",
            "coordinates": [[_ring(west, 180.0, south, north)], [_ring(-180.0, east, south, north)]]}


def footprint_bbox(lon_min: Any, lon_max: Any, lat_min: Any, lat_max: Any) -> list[float] | None:
    """The GeoJSON bbox ``[west, south, east, north]`` matching :func:`footprint_geometry`.

    ``west > east`` for a box crossing the antimeridian (RFC 7946 §5.2); a full-longitude footprint
    gives -180 … 180.
    """
    geometry = footprint_geometry(lon_min, lon_max, lat_min, lat_max)
    if geometry is None:
        return None
    south, north = min(lat_min, lat_max), max(lat_min, lat_max)
    if geometry["type"] in ("MultiPolygon", "MultiLineString"):
        first, second = geometry["coordinates"]
        ring = first[0] if geometry["type"] == "MultiPolygon" else first
        other = second[0] if geometry["type"] == "MultiPolygon" else second
        return [min(p[0] for p in ring), south, max(p[0] for p in other), north]
    points = _points(geometry)
    return [min(p[0] for p in points), south, max(p[0] for p in points), north]


def union_bbox(boxes: Iterable[Sequence[float] | None]) -> list[float] | None:
    """A bbox holding every given bbox; any antimeridian-crossing box widens it to -180 … 180."""
    west = south = math.inf
    east = north = -math.inf
    crossing = False
    for box in boxes:
        if box is None:
            continue
        crossing = crossing or box[0] > box[2]
        west, south = min(west, box[0]), min(south, box[1])
        east, north = max(east, box[2]), max(north, box[3])
    if not math.isfinite(west):
        return None
    return [-180.0, south, 180.0, north] if crossing else [west, south, east, north]


def _points(geometry: dict[str, Any]) -> list[Sequence[float]]:
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        return [coords]
    if kind == "LineString":
        return list(coords)
    if kind in ("Polygon", "MultiLineString"):
        return [p for part in coords for p in part]
    return [p for polygon in coords for ring in polygon for p in ring]


def _num(value: float) -> str:
    return format(round(float(value), 7), ".12g")


# ---- STC-S (EPN-TAP s_region) ------------------------------------------------------------------------
def _steps(width: float) -> int:
    return max(1, math.ceil(width / STCS_STEP - 1e-9))


def _wrap360(lon: float) -> float:
    value = lon % 360.0
    return 0.0 if value >= 360.0 else value


def stcs_region(lon_min: Any, lon_max: Any, lat_min: Any, lat_max: Any, frame: str = "UNKNOWNFrame"
                ) -> str | None:
    """An STC-S ``Polygon`` of a footprint in east longitudes [0, 360), counter-clockwise as seen from
    outside the body (EPN-TAP ``s_region`` for ``spatial_frame_type = body``).

    None for no footprint, a point or a line (``c1``/``c2`` carry those), and for a full-longitude band
    that contains no pole or both (not a simple spherical polygon).

    >>> stcs_region(10.0, 12.0, -1.0, 1.0)
    'Polygon UNKNOWNFrame 10 -1 12 -1 12 1 10 1'
    """
    if not _finite(lon_min, lon_max, lat_min, lat_max):
        return None
    south, north = min(lat_min, lat_max), max(lat_min, lat_max)
    if south == north:
        return None
    if _full_circle(lon_min, lon_max):
        if south <= -90.0 < 90.0 <= north or (south > -90.0 and north < 90.0):
            return None
        n = _steps(360.0)
        if north >= 90.0:  # north cap: eastward around the pole is counter-clockwise from above
            vertices = [(i * 360.0 / n, south) for i in range(n)]
        else:
            vertices = [((n - i) % n * 360.0 / n, north) for i in range(n)]
        return _stcs(vertices, frame)
    width = (lon_max - lon_min) % 360.0
    if width == 0.0:
        return None
    n = _steps(width)
    bottom = [(_wrap360(lon_min + width * i / n), south) for i in range(n + 1)]
    top = [(_wrap360(lon_min + width * i / n), north) for i in range(n, -1, -1)]
    return _stcs(bottom + top, frame)


def _stcs(vertices: list[tuple[float, float]], frame: str) -> str:
    return f"Polygon {frame} " + " ".join(f"{_num(lon)} {_num(lat)}" for lon, lat in vertices)
