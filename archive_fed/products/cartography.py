"""Latitude/longitude coordinates of map-projected PDS3 images (IMAGE_MAP_PROJECTION).

Cylindrical projections (``SIMPLE CYLINDRICAL``, ``EQUIRECTANGULAR``, ``EQUIDISTANT``) give 1-D ``lat``
along lines and ``lon`` along samples, from the PDS formulas (1-based line ``l``, sample ``s``)::

    lat(l) = CENTER_LATITUDE  + (LINE_PROJECTION_OFFSET - (l - 1)) / lines_per_degree
    lon(s) = CENTER_LONGITUDE + ((s - 1) - SAMPLE_PROJECTION_OFFSET) / samples_per_degree

Producers disagree on the sign of the projection offsets (Kaguya MI/TC maps store the sample offset
negated; ISIS guesses the same way): where the label gives ``MAXIMUM_LATITUDE`` or ``WESTERNMOST_/
EASTERNMOST_LONGITUDE``, the sign that puts the first pixel on that edge wins. Longitudes are east,
the first one in [0, 360) and the rest continuous (a map crossing 0° runs past 360). Other projections
(polar stereographic, orthographic...) get no coordinates: their lat/lon are 2-D and need the full
projection maths; the projection type is kept in the variable's attributes.
"""
from __future__ import annotations

import math
from typing import Any

import astropy.units as u
import numpy as np

CYLINDRICAL = {"SIMPLE_CYLINDRICAL", "EQUIRECTANGULAR", "EQUIDISTANT", "EQUIDISTANT_CYLINDRICAL",
               "CYLINDRICAL_EQUIDISTANT", "SIMPLE_CYLINDRICAL_PROJECTION"}


def _number(value: Any, unit: str | None = None) -> float | None:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    if value is None:
        return None
    if unit is not None and hasattr(value, "to") and hasattr(value, "unit"):
        try:
            return float(value.to(unit).value)
        except (u.UnitConversionError, u.UnitsError, TypeError, ValueError):
            return None
    value = getattr(value, "value", value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def projection_type(projection: Any) -> str:
    return "_".join(str(projection.get("MAP_PROJECTION_TYPE", "")).upper().replace("-", " ").split())


def _per_degree(projection: Any) -> tuple[float, float] | None:
    """(lines per degree of latitude, samples per degree of longitude): ``MAP_RESOLUTION`` where given
    (exact; ``MAP_SCALE`` is usually rounded), else ``MAP_SCALE`` and ``A_AXIS_RADIUS``. Equirectangular
    maps centred off the equator shrink longitude spacing by cos(CENTER_LATITUDE)."""
    center_lat = _number(projection.get("CENTER_LATITUDE")) or 0.0
    lines = _number(projection.get("MAP_RESOLUTION"))
    if not lines:
        scale_km = _number(projection.get("MAP_SCALE"), "km / pix")
        radius = _number(projection.get("A_AXIS_RADIUS"), "km")
        if not (scale_km and radius):
            return None
        lines = 2 * math.pi * radius / 360.0 / scale_km
    samples = lines
    if projection_type(projection) == "EQUIRECTANGULAR" and center_lat:
        samples = lines * math.cos(math.radians(center_lat))
    return lines, samples


def _pick(candidates: list[np.ndarray], edges: list[float], step: float, period: float | None) -> np.ndarray:
    """The candidate whose first value is nearest one of ``edges`` (mod ``period``), default the first."""
    if not edges:
        return candidates[0]

    def distance(values: np.ndarray) -> float:
        best = math.inf
        for edge in edges:
            gap = abs(values[0] - edge)
            if period:
                gap = min(gap % period, period - gap % period)
            best = min(best, gap)
        return best

    scores = [distance(c) for c in candidates]
    return candidates[int(np.argmin(scores))] if min(scores) <= abs(step) * 1.01 else candidates[0]


def map_coordinates(projection: Any, lines: int, samples: int) -> dict[str, tuple[str, np.ndarray, dict]]:
    """``{"lat": ("line", values, attrs), "lon": ("sample", values, attrs)}``, empty when the projection
    is not cylindrical or its keywords are incomplete."""
    if projection_type(projection) not in CYLINDRICAL:
        return {}
    per_degree = _per_degree(projection)
    line_offset = _number(projection.get("LINE_PROJECTION_OFFSET"))
    sample_offset = _number(projection.get("SAMPLE_PROJECTION_OFFSET"))
    if per_degree is None or line_offset is None or sample_offset is None:
        return {}
    per_lat, per_lon = per_degree
    center_lat = _number(projection.get("CENTER_LATITUDE")) or 0.0
    center_lon = _number(projection.get("CENTER_LONGITUDE")) or 0.0
    line_index = np.arange(lines, dtype=np.float64)
    sample_index = np.arange(samples, dtype=np.float64)

    lat_candidates = [center_lat + (sign * line_offset - line_index) / per_lat for sign in (1, -1)]
    max_lat = _number(projection.get("MAXIMUM_LATITUDE"))
    lat = _pick(lat_candidates, [max_lat] if max_lat is not None else [], 1 / per_lat, None)

    west = str(projection.get("POSITIVE_LONGITUDE_DIRECTION", "EAST")).upper().startswith("W")
    direction = -1.0 if west else 1.0
    lon_candidates = [center_lon + direction * (sample_index - sign * sample_offset) / per_lon
                      for sign in (1, -1)]
    edges = [e for e in (_number(projection.get("WESTERNMOST_LONGITUDE")),
                         _number(projection.get("EASTERNMOST_LONGITUDE"))) if e is not None]
    lon = _pick(lon_candidates, edges, 1 / per_lon, 360.0)
    if west:
        lon = -lon
    lon = lon - 360.0 * math.floor(lon[0] / 360.0) if lon.size else lon
    return {
        "lat": ("line", lat, {"units": "degrees_north", "standard_name": "latitude",
                              "long_name": "latitude of pixel centres"}),
        "lon": ("sample", lon, {"units": "degrees_east", "standard_name": "longitude",
                                "long_name": "east longitude of pixel centres"}),
    }
