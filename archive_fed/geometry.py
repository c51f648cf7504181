"""Footprint geometries: building them from label coordinates, and their one storage form.

A record's ``footprint`` (SPEC §5) is a GeoJSON-shaped geometry in east longitudes [0, 360] and
planetocentric latitudes: a ``Point`` (a lander), a ``LineString`` (a box of zero width or height), or a
``Polygon`` / ``MultiPolygon``. Polygon edges are **great-circle arcs** between consecutive vertices, so the
footprint means the same region on the sphere whatever the map projection:

- a quadrilateral from four corners keeps its corners; where an edge crosses the 0°/360° meridian it is
  cut there (at the great-circle crossing point) and the parts become separate polygons, one in
  [0, 360] each side;
- a ring that winds around a pole contains it: it is closed through that pole (up the meridian at the end
  of the ring, along the pole, down at its start), so every part is a plain lon/lat polygon;
- a lon/lat box from bounding coordinates has its parallels densified (a vertex every
  :data:`PARALLEL_STEP` degrees), its meridians are great circles already; boxes wider than 90° are cut
  into parts at most 90° wide.

Exterior rings run counter-clockwise as seen from outside the body (east then north: RFC 7946 order).
In a record and in the catalog the geometry is ISO WKB (little endian, 2-D), as hexadecimal text
(:func:`encode`); ``record.to_dict()`` gives the GeoJSON mapping (:func:`decode`).

>>> g = polygon_from_corners([359.0, 1.0, 1.0, 359.0], [-1.0, -1.0, 1.0, 1.0])
>>> g["type"], len(g["coordinates"])
('MultiPolygon', 2)
>>> decode(encode(g)) == g
True
"""
from __future__ import annotations

import ast
import json
import math
import numbers
import re
import struct
from typing import Any, Iterable, Sequence

from .errors import GeometryError

#: Mean radius of the Moon (km), for point-radius searches.
MOON_RADIUS_KM = 1737.4
#: Speed of light (m/s): spectral ranges given as frequencies ↔ wavelengths.
SPEED_OF_LIGHT = 299_792_458.0
#: Metres of the Moon's great circle per degree (map resolutions in pixels per degree → m/pixel).
METRES_PER_DEGREE = 2 * math.pi * MOON_RADIUS_KM * 1000.0 / 360.0
#: Longest step along a parallel between the vertices of a box edge (degrees of longitude).
PARALLEL_STEP = 1.0
#: Widest part of a box footprint (degrees of longitude).
PART_WIDTH = 90.0
#: Vertices closer than this to a meridian a polygon is cut at are moved onto it (degrees; ~3 mm).
SNAP = 1e-7

_WKB_TYPES = {"Point": 1, "LineString": 2, "Polygon": 3, "MultiPoint": 4, "MultiLineString": 5,
              "MultiPolygon": 6}
_WKB_NAMES = {v: k for k, v in _WKB_TYPES.items()}


# ---- small helpers ---------------------------------------------------------------------------------
def wrap360(lon: float) -> float:
    """East longitude in [0, 360)."""
    value = math.fmod(lon, 360.0)
    if value < 0:
        value += 360.0
    return 0.0 if value == 360.0 else value


def _finite(*values: Any) -> bool:
    return all(v is not None and isinstance(v, numbers.Real) and math.isfinite(v) for v in values)


def xyz(lon: float, lat: float) -> tuple[float, float, float]:
    lo, la = math.radians(lon), math.radians(lat)
    return math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)


def _lonlat(p: Sequence[float]) -> tuple[float, float]:
    x, y, z = p
    return math.degrees(math.atan2(y, x)), math.degrees(math.atan2(z, math.hypot(x, y)))


def _cross(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    return a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]


def _meridian_crossing(lon1: float, lat1: float, lon2: float, lat2: float, meridian: float) -> float:
    """Latitude where the great-circle arc (lon1, lat1)→(lon2, lat2) meets the meridian ``meridian``."""
    n = _cross(xyz(lon1, lat1), xyz(lon2, lat2))
    m = (-math.sin(math.radians(meridian)), math.cos(math.radians(meridian)), 0.0)  # the meridian's plane
    p = _cross(n, m)
    norm = math.sqrt(sum(c * c for c in p))
    if norm == 0.0:  # the arc lies in the meridian plane
        return lat1
    p = tuple(c / norm for c in p)
    # of the two intersections, the one on the meridian's half (not its antimeridian)
    if p[0] * math.cos(math.radians(meridian)) + p[1] * math.sin(math.radians(meridian)) < 0:
        p = tuple(-c for c in p)
    return _lonlat(p)[1]


# ---- rings → lon/lat parts --------------------------------------------------------------------------
def _signed_area(ring: Sequence[tuple[float, float]]) -> float:
    return 0.5 * sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]))


def _unroll(lons: Sequence[float], lats: Sequence[float], step: float,
            turns: Sequence[float] | None = None) -> tuple[list[tuple[float, float]], float]:
    """The ring with continuous longitudes along its great-circle edges, a vertex inserted wherever an edge
    crosses a multiple of ``step`` degrees, and closed (its last vertex is the first shifted by the
    winding); and the winding (total change of longitude). ``turns``: the change of longitude along each
    edge when the caller knows it (edges along a pole), else the shorter way round (0 to or from a pole)."""
    # a vertex within SNAP of a cut meridian is put on it: no sliver between it and a crossing point
    lons = [round(lon / step) * step if abs(lon - round(lon / step) * step) < SNAP else lon for lon in lons]
    points = [(wrap360(lons[0]), float(lats[0]))]
    winding = 0.0
    n = len(lons)
    for i in range(n):
        lon1, lat1 = points[-1]
        lon2, lat2 = float(lons[(i + 1) % n]), float(lats[(i + 1) % n])
        if turns is not None:
            delta = float(turns[i])
        elif abs(lat1) >= 90.0 or abs(lat2) >= 90.0:
            delta = 0.0
        else:
            delta = (lon2 - lon1 + 180.0) % 360.0 - 180.0
        end = lon1 + delta
        lo, hi = sorted((lon1, end))
        cuts = [k * step for k in range(math.floor(lo / step) + 1, math.ceil(hi / step))]
        along_pole = abs(lat1) >= 90.0 and lat1 == lat2
        for cut in (reversed(cuts) if delta < 0 else cuts):
            points.append((cut, lat1 if along_pole else _meridian_crossing(lon1, lat1, end, lat2, cut)))
        winding += delta
        points.append((end, lat2))
    return points, winding


def _clip_half(ring: list[tuple[float, float]], line: float, keep_east: bool) -> list[tuple[float, float]]:
    """Sutherland-Hodgman against one meridian line of the planar ring (edges meet it at vertices only,
    so an intersection is a vertex on the line)."""
    def inside(p: tuple[float, float]) -> bool:
        return p[0] >= line - 1e-9 if keep_east else p[0] <= line + 1e-9

    def meet(s: tuple[float, float], e: tuple[float, float]) -> tuple[float, float]:
        for p in (e, s):
            if abs(p[0] - line) <= 1e-9:  # (always so: edges meet cut lines at their vertices)
                return line, p[1]
        t = (line - s[0]) / (e[0] - s[0])
        return line, s[1] + t * (e[1] - s[1])

    out: list[tuple[float, float]] = []
    for i, e in enumerate(ring):
        s = ring[i - 1]
        if inside(e):
            if not inside(s):
                out.append(meet(s, e))
            out.append(e)
        elif inside(s):
            out.append(meet(s, e))
    return out


def _clip_strips(ring: list[tuple[float, float]], step: float) -> list[list[tuple[float, float]]]:
    """Cut a planar ring into strips ``[k*step, (k+1)*step]`` of longitude, each shifted into [0, 360]."""
    xs = [x for x, _ in ring]
    parts = []
    for k in range(math.floor(min(xs) / step + 1e-9), math.ceil(max(xs) / step - 1e-9)):
        lo, hi = k * step, (k + 1) * step
        piece = _clip_half(_clip_half(ring, lo, True), hi, False)
        piece = _dedupe([(min(max(x, lo), hi), y) for x, y in piece])
        area = _signed_area(piece)
        if len(piece) >= 3 and abs(area) > 1e-12:
            if area < 0:  # (planar orientation is only a display convention: edges are great circles)
                piece.reverse()
            shift = math.floor(lo / 360.0 + 1e-9) * 360.0
            piece = _dedupe([(round(x - shift, 10), y) for x, y in piece])
            if len(piece) >= 3:
                parts.append(piece)
    return parts


def _dedupe(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for p in points:
        if not out or out[-1] != p:
            out.append(p)
    while len(out) > 1 and out[0] == out[-1]:
        out.pop()
    return out


def ring_parts(lons: Sequence[float], lats: Sequence[float], step: float = 360.0
               ) -> list[list[tuple[float, float]]]:
    """A spherical polygon (vertices in order, great-circle edges) as counter-clockwise lon/lat rings,
    cut at every multiple of ``step`` degrees of longitude (0°/360° always), a pole it contains closed
    through that pole. Rings are open (first vertex not repeated)."""
    lons, lats = [float(v) for v in lons], [float(v) for v in lats]
    points, winding = _unroll(lons, lats, step)
    if abs(winding) > 180.0:  # the ring winds around a pole: the one on the side of its vertices
        pole = math.copysign(90.0, sum(lats))
        if (winding > 0) != (pole > 0):  # counter-clockwise from outside: east round the north pole
            points, winding = _unroll(lons[::-1], lats[::-1], step)
        closing = points[-1]
        ring = _dedupe(points + [(closing[0], pole), (points[0][0], pole)])
    else:
        ring = _dedupe(points)
        if _signed_area(ring) < 0:
            ring.reverse()
    return _clip_strips(ring, step)


def split_part(lons: Sequence[float], lats: Sequence[float], step: float = PART_WIDTH
               ) -> list[list[tuple[float, float]]]:
    """A footprint part cut at every multiple of ``step`` degrees of longitude, as counter-clockwise open
    lon/lat rings in [0, 360].

    The part is read as :func:`ring_parts` writes them: great-circle edges between consecutive vertices,
    and a run of vertices at latitude ±90 is that pole, the ring going along it from the meridian it
    reached the pole on to the one it leaves on (so a cap part closed through its pole, however wide,
    comes out as strips of that cap). A ring without a vertex on a pole is given to :func:`ring_parts`.

    >>> cap = [(0.0, -80.0), (120.0, -80.0), (240.0, -80.0), (360.0, -80.0), (360.0, -90.0), (0.0, -90.0)]
    >>> [(min(x for x, _ in p), max(x for x, _ in p)) for p in split_part(*zip(*cap), step=90.0)]
    [(0.0, 90.0), (90.0, 180.0), (180.0, 270.0), (270.0, 360.0)]
    """
    lons, lats = [float(v) for v in lons], [float(v) for v in lats]
    n = len(lons)
    at_pole = [abs(lat) >= 90.0 for lat in lats]
    if not any(at_pole):
        return ring_parts(lons, lats, step)
    if all(at_pole):
        return []
    # a run of pole vertices becomes two: on the meridian of the edge that reaches the pole, and on the
    # meridian of the edge that leaves it
    ring: list[tuple[float, float]] = []
    for i in range(n):
        if not at_pole[i]:
            ring.append((lons[i], lats[i]))
            continue
        pole = math.copysign(90.0, lats[i])
        if not at_pole[i - 1]:
            ring.append((lons[i - 1], pole))
        if not at_pole[(i + 1) % n]:
            ring.append((lons[(i + 1) % n], pole))
    m = len(ring)
    turns: list[float | None] = []
    for i in range(m):
        (lon1, lat1), (lon2, lat2) = ring[i], ring[(i + 1) % m]
        if abs(lat1) >= 90.0 and abs(lat2) >= 90.0:
            turns.append(None)  # along the pole: whatever closes the ring
        elif abs(lat1) >= 90.0 or abs(lat2) >= 90.0:
            turns.append(0.0)   # a meridian to or from the pole
        else:
            turns.append((lon2 - lon1 + 180.0) % 360.0 - 180.0)
    rest = -sum(t for t in turns if t is not None)
    first = turns.index(None)
    closing = [rest if i == first else (t or 0.0) for i, t in enumerate(turns)]
    points, _ = _unroll([p[0] for p in ring], [p[1] for p in ring], step, closing)
    return _clip_strips(_dedupe(points), step)


# ---- footprints from label coordinates --------------------------------------------------------------
def _close(ring: list[tuple[float, float]]) -> list[list[float]]:
    return [[x, y] for x, y in ring] + [[ring[0][0], ring[0][1]]]


def _polygons(parts: list[list[tuple[float, float]]]) -> dict[str, Any] | None:
    if not parts:
        return None
    if len(parts) == 1:
        return {"type": "Polygon", "coordinates": [_close(parts[0])]}
    return {"type": "MultiPolygon", "coordinates": [[_close(p)] for p in parts]}


def point(lon: Any, lat: Any) -> dict[str, Any] | None:
    """A lander/rover location."""
    if not _finite(lon, lat) or not -90.0 <= lat <= 90.0:
        return None
    return {"type": "Point", "coordinates": [wrap360(lon), float(lat)]}


def polygon_from_corners(lons: Sequence[Any], lats: Sequence[Any]) -> dict[str, Any] | None:
    """The footprint of a scene from its corners in order around its edge (great-circle edges)."""
    pairs = [(lo, la) for lo, la in zip(lons, lats)]
    if len(pairs) < 3 or not all(_finite(lo, la) and -90.0 <= la <= 90.0 for lo, la in pairs):
        return None
    lons, lats = [float(p[0]) for p in pairs], [float(p[1]) for p in pairs]
    parts = split_part(lons, lats, 360.0)  # a corner on a pole: reached along its neighbours' meridians
    if not parts:  # every corner on one point or one arc: no area
        distinct = list(dict.fromkeys((0.0 if abs(la) >= 90.0 else wrap360(lo), float(la)) for lo, la in pairs))
        if len(distinct) == 1:
            return point(*distinct[0])
        return {"type": "LineString", "coordinates": [list(p) for p in distinct]}
    return _polygons(parts)


def polygon_from_bounds(lon_min: Any, lon_max: Any, lat_min: Any, lat_max: Any) -> dict[str, Any] | None:
    """The footprint of a lon/lat box in the record's convention (SPEC §1: east longitudes,
    ``lon_min > lon_max`` crosses 0°/360°, 0–360 spans every longitude)."""
    if not _finite(lon_min, lon_max, lat_min, lat_max):
        return None
    south, north = min(lat_min, lat_max), max(lat_min, lat_max)
    if south < -90.0 or north > 90.0:
        return None
    full = lon_max - lon_min >= 360.0 - 1e-9
    west = 0.0 if full else wrap360(lon_min)
    width = 360.0 if full else (wrap360(lon_max) - west) % 360.0
    if width == 0.0:
        if south == north:
            return point(west, south)
        return {"type": "LineString", "coordinates": [[west, south], [west, north]]}
    if south == north:
        n = max(1, math.ceil(width / PARALLEL_STEP - 1e-9))
        return {"type": "LineString",
                "coordinates": [[wrap360(west + width * i / n), south] for i in range(n + 1)]}
    # parts at most PART_WIDTH wide, none crossing 0°/360°
    edges = [west + width * i / math.ceil(width / PART_WIDTH - 1e-9)
             for i in range(math.ceil(width / PART_WIDTH - 1e-9) + 1)]
    if west + width > 360.0 and 360.0 not in edges:
        edges = sorted(edges + [360.0])
    parts = []
    for a, b in zip(edges, edges[1:]):
        shift = 360.0 if a >= 360.0 else 0.0
        parts.append(_box_ring(a - shift, b - shift, south, north))
    return _polygons(parts)


def _box_ring(west: float, east: float, south: float, north: float) -> list[tuple[float, float]]:
    n = max(1, math.ceil((east - west) / PARALLEL_STEP - 1e-9))
    bottom = [(west + (east - west) * i / n, south) for i in range(n + 1)]
    top = [(east - (east - west) * i / n, north) for i in range(n + 1)]
    if south <= -90.0:
        bottom = [(west, south), (east, south)]
    if north >= 90.0:
        top = [(east, north), (west, north)]
    return _dedupe(bottom + top)


# ---- WKB / WKT / GeoJSON -----------------------------------------------------------------------------
def _wkb_points(points: Sequence[Sequence[float]]) -> bytes:
    return struct.pack("<I", len(points)) + b"".join(struct.pack("<2d", p[0], p[1]) for p in points)


def _wkb_body(kind: str, coords: Any) -> bytes:
    if kind == "Point":
        return struct.pack("<2d", coords[0], coords[1])
    if kind == "LineString":
        return _wkb_points(coords)
    if kind == "Polygon":
        return struct.pack("<I", len(coords)) + b"".join(_wkb_points(ring) for ring in coords)
    part = {"MultiPoint": "Point", "MultiLineString": "LineString", "MultiPolygon": "Polygon"}[kind]
    return struct.pack("<I", len(coords)) + b"".join(to_wkb({"type": part, "coordinates": c}) for c in coords)


def to_wkb(geometry: dict[str, Any] | None) -> bytes | None:
    """ISO WKB (little endian, 2-D) of a GeoJSON geometry (Point, LineString, Polygon and their multis)."""
    if geometry is None:
        return None
    kind = geometry["type"]
    if kind not in _WKB_TYPES:
        raise GeometryError(f"unsupported geometry type {kind!r}")
    return struct.pack("<BI", 1, _WKB_TYPES[kind]) + _wkb_body(kind, geometry["coordinates"])


def from_wkb(data: bytes) -> dict[str, Any]:
    """GeoJSON mapping of ISO WKB (either byte order, 2-D)."""
    try:
        geometry, end = _read_wkb(memoryview(bytes(data)), 0)
    except (struct.error, KeyError, IndexError) as exc:
        raise GeometryError(f"not WKB: {exc}") from None
    if end != len(data):
        raise GeometryError(f"WKB has {len(data) - end} trailing bytes")
    return geometry


def _read_wkb(buf: memoryview, at: int) -> tuple[dict[str, Any], int]:
    order = "<" if buf[at] == 1 else ">"
    (code,) = struct.unpack_from(order + "I", buf, at + 1)
    kind = _WKB_NAMES[code]
    at += 5

    def points(at: int) -> tuple[list[list[float]], int]:
        (n,) = struct.unpack_from(order + "I", buf, at)
        values = struct.unpack_from(order + f"{2 * n}d", buf, at + 4)
        return [[values[2 * i], values[2 * i + 1]] for i in range(n)], at + 4 + 16 * n

    if kind == "Point":
        x, y = struct.unpack_from(order + "2d", buf, at)
        return {"type": kind, "coordinates": [x, y]}, at + 16
    if kind == "LineString":
        coords, at = points(at)
        return {"type": kind, "coordinates": coords}, at
    (n,) = struct.unpack_from(order + "I", buf, at)
    at += 4
    parts = []
    for _ in range(n):
        if kind == "Polygon":
            ring, at = points(at)
            parts.append(ring)
        else:
            inner, at = _read_wkb(buf, at)
            parts.append(inner["coordinates"])
    return {"type": kind, "coordinates": parts}, at


def encode(value: Any) -> str | None:
    """The record/catalog form of a geometry: WKB as hexadecimal text (None stays None).

    Accepts a GeoJSON mapping (or Feature), an object with ``__geo_interface__`` (shapely), WKB bytes,
    WKB hex text or WKT text.
    """
    if isinstance(value, str) and value[:2] in ("01", "00") and _HEX.match(value):
        return value.lower()  # already the stored form (read back from a catalog or a record table)
    geometry = as_geojson(value)
    return None if geometry is None else to_wkb(geometry).hex()  # type: ignore[union-attr]


def decode(text: str | None) -> dict[str, Any] | None:
    """The GeoJSON mapping of a stored footprint (hex WKB); None for no footprint."""
    if not text:
        return None
    try:
        data = bytes.fromhex(text)
    except ValueError:
        raise GeometryError(f"footprint is not hex WKB: {text[:40]!r}") from None
    return from_wkb(data)


_HEX = re.compile(r"^(?:[0-9A-Fa-f]{2})+$")


def as_geojson(value: Any) -> dict[str, Any] | None:
    """A GeoJSON geometry mapping from any accepted form (see :func:`encode`)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if hasattr(value, "__geo_interface__"):
        value = value.__geo_interface__
    if isinstance(value, (bytes, bytearray, memoryview)):
        return from_wkb(bytes(value))
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            try:
                return as_geojson(json.loads(text))
            except json.JSONDecodeError as exc:
                raise GeometryError(f"not GeoJSON: {exc}") from None
        if _HEX.match(text):
            return decode(text)
        return parse_wkt(text)
    if isinstance(value, dict):
        if value.get("type") == "Feature":
            return as_geojson(value.get("geometry"))
        kind = value.get("type")
        if kind not in _WKB_TYPES or "coordinates" not in value:
            raise GeometryError(f"not a GeoJSON geometry: {str(value)[:80]!r}")
        return {"type": kind, "coordinates": _plain(value["coordinates"])}
    raise GeometryError(f"not a geometry: {type(value).__name__}")


def _plain(coords: Any) -> Any:
    if coords and isinstance(coords[0], numbers.Real):
        return [float(coords[0]), float(coords[1])]
    return [_plain(c) for c in coords]


_WKT_TYPES = {name.upper(): name for name in _WKB_TYPES}


def parse_wkt(text: str) -> dict[str, Any]:
    """GeoJSON mapping of 2-D WKT (POINT, LINESTRING, POLYGON and their MULTI forms)."""
    match = re.match(r"^\s*([A-Za-z]+)\s*(?:Z|M|ZM)?\s*(\(.*\))\s*$", text, re.S)
    if not match or match.group(1).upper() not in _WKT_TYPES:
        raise GeometryError(f"not WKT: {text[:60]!r}")
    kind = _WKT_TYPES[match.group(1).upper()]
    body = match.group(2)
    if not re.fullmatch(r"[\s\d.,()+\-eE]*", body):
        raise GeometryError(f"not WKT: {text[:60]!r}")
    nested = body.replace("(", "[").replace(")", "]")
    nested = re.sub(r"([\d.eE+\-]+)\s+([\d.eE+\-]+)(?:\s+[\d.eE+\-]+)*", r"[\1,\2]", nested)
    try:
        coords = ast.literal_eval(nested)
    except (ValueError, SyntaxError):
        raise GeometryError(f"not WKT: {text[:60]!r}") from None
    if kind == "Point":
        coords = coords[0]
    elif kind == "MultiPoint":
        coords = [c[0] if isinstance(c[0], list) else c for c in coords]
    return {"type": kind, "coordinates": _plain(coords)}


def to_wkt(geometry: dict[str, Any] | None) -> str | None:
    """WKT of a GeoJSON geometry (None stays None)."""
    if geometry is None:
        return None
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        return f"POINT ({_num(coords[0])} {_num(coords[1])})"
    if kind == "LineString":
        return "LINESTRING " + _wkt_points(coords)
    if kind == "MultiPoint":
        return "MULTIPOINT " + _wkt_points(coords)
    if kind == "Polygon":
        return "POLYGON (" + ", ".join(_wkt_points(r) for r in coords) + ")"
    if kind == "MultiLineString":
        return "MULTILINESTRING (" + ", ".join(_wkt_points(line) for line in coords) + ")"
    return "MULTIPOLYGON (" + ", ".join("(" + ", ".join(_wkt_points(r) for r in polygon) + ")"
                                         for polygon in coords) + ")"


def _wkt_points(points: Sequence[Sequence[float]]) -> str:
    return "(" + ", ".join(f"{_num(p[0])} {_num(p[1])}" for p in points) + ")"


def _num(value: float) -> str:
    return format(round(float(value), 7), ".12g")


def iter_rings(geometry: dict[str, Any]) -> Iterable[tuple[str, list[Sequence[float]]]]:
    """``(kind, vertices)`` per part: ``"polygon"`` (exterior rings, open), ``"line"`` or ``"point"``."""
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        yield "point", [coords]
    elif kind == "MultiPoint":
        for c in coords:
            yield "point", [c]
    elif kind == "LineString":
        yield "line", list(coords)
    elif kind == "MultiLineString":
        for line in coords:
            yield "line", list(line)
    else:
        for polygon in ([coords] if kind == "Polygon" else coords):
            ring = [tuple(p) for p in polygon[0]]
            if len(ring) > 1 and ring[0] == ring[-1]:
                ring = ring[:-1]
            yield "polygon", ring
