"""Footprint intersections on the sphere, vectorised over a whole catalog.

Every product's footprint (:mod:`archive_fed.geometry`: great-circle edges, parts cut at 0°/360°, polar
caps closed through the pole) becomes *parts* in flat numpy arrays: the vertices of each part, its kind
(point, line, polygon) and a lon/lat box that holds the part on the sphere — its latitude range includes
the poleward bulge of great-circle edges, so the box never misses a product. A product with a box but no
footprint polygon is searched as its box (:func:`~archive_fed.geometry.polygon_from_bounds`).

A query (polygon or spherical cap) first keeps the parts whose box meets the query's box (a few
comparisons per part), then tests those exactly:

- polygon query: the part and the query intersect when one of their great-circle edges cross, or a
  vertex of one lies inside the other (with no crossing, one holds the other whole or they are
  apart);
- cap query (point + radius): the part's nearest point to the centre, over its vertices, its edges and
  its interior, is within the radius.

Point-in-polygon is the winding number on the sphere: the angles each edge subtends at a point ``p`` sum
to ±2π when exactly one of ``p`` and its antipode lies inside the part, 0 otherwise. Every part lies
within 90° of the centre of its box (boxes are cut at most 90° wide, scenes are far smaller than a
hemisphere), so ``p`` is the one inside when it is also on the part's side of the sphere.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import geometry as geo
from ..errors import GeometryError

POINT, LINE, POLYGON = 0, 1, 2
#: Parts per block when computing the latitude reach of their edges (bounds the memory used).
BULGE_BLOCK = 100_000
#: Cut query polygons into parts at most this wide (degrees of longitude) for the winding test.
QUERY_PART_WIDTH = 90.0


def to_xyz(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lo, la = np.radians(lon), np.radians(lat)
    c = np.cos(la)
    return np.stack([c * np.cos(lo), c * np.sin(lo), np.sin(la)], axis=-1)


@dataclass
class Parts:
    """Footprint parts in flat arrays (``start[i]:start[i+1]`` are part ``i``'s vertices)."""

    row: np.ndarray      # int64 (P,) product row of each part
    kind: np.ndarray     # int8 (P,) POINT / LINE / POLYGON
    start: np.ndarray    # int64 (P + 1,) vertex offsets
    lon: np.ndarray      # float64 (V,)
    lat: np.ndarray      # float64 (V,)
    box: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # lon_min, lon_max, lat_min, lat_max

    @property
    def size(self) -> int:
        return len(self.row)


# ---- building parts --------------------------------------------------------------------------------
_SIMPLE_PREFIX = "010300000001000000"  # WKB little endian Polygon with one ring


def parts_from_columns(footprint: np.ndarray, lon_min: np.ndarray, lon_max: np.ndarray,
                       lat_min: np.ndarray, lat_max: np.ndarray) -> Parts:
    """Parts of every product: its footprint (hex WKB), else its lon/lat box, else none."""
    text = np.asarray(footprint, dtype=object)
    n = len(text)
    has = np.array([bool(t) for t in text.tolist()], dtype=bool) if n else np.zeros(0, dtype=bool)
    pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []  # row, kind, counts, lonlat
    rows = np.flatnonzero(has)
    if rows.size:
        lengths = np.fromiter((len(t) for t in text[rows].tolist()), dtype=np.int64, count=rows.size)
        simple = np.fromiter((t.startswith(_SIMPLE_PREFIX) for t in text[rows].tolist()), dtype=bool,
                             count=rows.size)
        for length in np.unique(lengths[simple]):
            group = rows[simple & (lengths == length)]
            raw = np.frombuffer(bytes.fromhex("".join(text[group].tolist())), dtype=np.uint8)
            raw = raw.reshape(group.size, int(length) // 2)
            count = int.from_bytes(raw[0, 9:13].tobytes(), "little")
            coords = np.ascontiguousarray(raw[:, 13:13 + 16 * count]).view("<f8").reshape(group.size, count, 2)
            if count > 1 and np.array_equal(coords[:, 0], coords[:, -1]):
                coords = coords[:, :-1]  # the closing vertex
            k = coords.shape[1]
            pieces.append((group, np.full(group.size, POLYGON, np.int8), np.full(group.size, k),
                           coords.reshape(-1, 2)))
        for row in rows[~simple].tolist():
            _add_geometry(pieces, row, geo.decode(text[row]))
    boxed = np.flatnonzero(~has & ~(np.isnan(lon_min) | np.isnan(lon_max) | np.isnan(lat_min)
                                    | np.isnan(lat_max)))
    for row in _boxes_in_bulk(pieces, boxed, lon_min, lon_max, lat_min, lat_max).tolist():
        _add_geometry(pieces, row, geo.polygon_from_bounds(float(lon_min[row]), float(lon_max[row]),
                                                           float(lat_min[row]), float(lat_max[row])))
    return _assemble(pieces)


def _boxes_in_bulk(pieces: list, rows: np.ndarray, lon_min: np.ndarray, lon_max: np.ndarray,
                   lat_min: np.ndarray, lat_max: np.ndarray) -> np.ndarray:
    """Points and plain boxes (one part, no pole, no 0°/360° crossing) of ``rows`` as parts, as
    :func:`~archive_fed.geometry.polygon_from_bounds` builds them; returns the rows left to it."""
    west, east = lon_min[rows], lon_max[rows]
    south, north = np.minimum(lat_min[rows], lat_max[rows]), np.maximum(lat_min[rows], lat_max[rows])
    inside = (west >= 0) & (east < 360.0) & (south > -90.0) & (north < 90.0)
    point = inside & (west == east) & (south == north)
    if point.any():
        pieces.append((rows[point], np.full(int(point.sum()), POINT, np.int8), np.ones(int(point.sum())),
                       np.stack([west[point], south[point]], axis=1)))
    plain = inside & (west < east) & (east - west <= geo.PART_WIDTH) & (south < north)
    steps = np.maximum(1, np.ceil((east - west) / geo.PARALLEL_STEP - 1e-9)).astype(np.int64)
    for n in np.unique(steps[plain]).tolist():
        pick = plain & (steps == n)
        w, e, s, t = (a[pick][:, None] for a in (west, east, south, north))
        frac = np.arange(n + 1)[None, :] / n
        lon = np.concatenate([w + (e - w) * frac, e - (e - w) * frac], axis=1)
        lat = np.concatenate([np.repeat(s, n + 1, axis=1), np.repeat(t, n + 1, axis=1)], axis=1)
        coords = np.stack([lon, lat], axis=2).reshape(-1, 2)
        pieces.append((rows[pick], np.full(int(pick.sum()), POLYGON, np.int8),
                       np.full(int(pick.sum()), 2 * (n + 1)), coords))
    return rows[~(point | plain)]


def parts_from_geometry(geometry: dict[str, Any]) -> Parts:
    pieces: list = []
    _add_geometry(pieces, 0, geometry)
    return _assemble(pieces)


def _add_geometry(pieces: list, row: int, geometry: dict[str, Any] | None) -> None:
    if geometry is None:
        return
    for kind, ring in geo.iter_rings(geometry):
        if not ring:
            continue
        code = {"point": POINT, "line": LINE, "polygon": POLYGON}[kind]
        coords = np.asarray([[float(p[0]), float(p[1])] for p in ring], dtype=np.float64)
        pieces.append((np.array([row]), np.array([code], np.int8), np.array([len(coords)]), coords))


def _assemble(pieces: list) -> Parts:
    if not pieces:
        empty = np.zeros(0)
        return Parts(np.zeros(0, np.int64), np.zeros(0, np.int8), np.zeros(1, np.int64), empty, empty,
                     (empty, empty, empty, empty))
    row = np.concatenate([p[0] for p in pieces]).astype(np.int64)
    kind = np.concatenate([p[1] for p in pieces])
    counts = np.concatenate([p[2] for p in pieces]).astype(np.int64)
    coords = np.concatenate([p[3] for p in pieces])
    start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    lon = np.mod(coords[:, 0], 360.0)
    lon = np.where(coords[:, 0] == 360.0, 360.0, lon)  # a part's east edge on the meridian stays 360
    lat = coords[:, 1]
    if np.any(np.abs(lat) > 90.0) or not np.all(np.isfinite(coords)):
        raise GeometryError("footprint latitudes must be finite and within [-90, 90]")
    parts = Parts(row, kind, start, lon, lat, (lon, lon, lat, lat))
    parts.box = _boxes(parts)
    return parts


def _boxes(parts: Parts) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per part: a lon/lat box (SPEC §1 convention) that holds it on the sphere."""
    start = parts.start[:-1]
    counts = np.diff(parts.start)
    lon_lo = np.minimum.reduceat(parts.lon, start) if len(start) else np.zeros(0)
    lon_hi = np.maximum.reduceat(parts.lon, start) if len(start) else np.zeros(0)
    lat_lo = np.minimum.reduceat(parts.lat, start) if len(start) else np.zeros(0)
    lat_hi = np.maximum.reduceat(parts.lat, start) if len(start) else np.zeros(0)
    # great-circle edges bulge poleward: the extreme latitude of each edge whose apex lies on it
    for begin in range(0, parts.size, BULGE_BLOCK):
        which = np.arange(begin, min(begin + BULGE_BLOCK, parts.size))
        north, south = _bulges(parts, which)
        lat_hi[which] = np.maximum(lat_hi[which], north)
        lat_lo[which] = np.minimum(lat_lo[which], south)
    # a part reaching a pole, or wider than half the globe in its vertices, gets every longitude
    wide = (lon_hi - lon_lo > 180.0) | (lat_hi >= 90.0) | (lat_lo <= -90.0)
    lon_lo = np.where(wide, 0.0, lon_lo)
    lon_hi = np.where(wide, 360.0, lon_hi)
    single = counts == 1
    lon_hi = np.where(single & ~wide, lon_lo, lon_hi)
    return lon_lo, lon_hi, lat_lo, lat_hi


def _bulges(parts: Parts, which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per part of ``which``: the northernmost and southernmost latitude its great-circle edges reach
    between their vertices (-inf / +inf when none bulges past its ends)."""
    north = np.full(which.size, -np.inf)
    south = np.full(which.size, np.inf)
    a, b, part = edges(parts, which)
    if not len(a):
        return north, south
    n = np.cross(a, b)
    norm = np.linalg.norm(n, axis=1)
    ok = norm > 1e-15
    n = n[ok] / norm[ok, None]
    a, b, part = a[ok], b[ok], part[ok]
    apex_lat = np.degrees(np.arccos(np.clip(np.abs(n[:, 2]), 0.0, 1.0)))
    u = -n[:, 2:3] * n  # the northern apex (z - nz n) / |z - nz n|
    u[:, 2] += 1.0
    u_norm = np.linalg.norm(u, axis=1)
    good = u_norm > 1e-15
    u[good] /= u_norm[good, None]
    for sign, extreme, reduce in ((1.0, north, np.maximum), (-1.0, south, np.minimum)):
        w = sign * u
        on_arc = good & (np.einsum("ij,ij->i", np.cross(a, w), n) > 0) \
            & (np.einsum("ij,ij->i", np.cross(w, b), n) > 0)
        reduce.at(extreme, part[on_arc], sign * apex_lat[on_arc])
    return north, south


def edges(parts: Parts, which: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Great-circle edges ``a → b`` (unit vectors) of the parts ``which``, and the position in ``which``
    of each edge's part. Polygons are closed; points have none."""
    which = np.asarray(which, dtype=np.int64)
    if which.size == 0:
        z = np.zeros((0, 3))
        return z, z, np.zeros(0, np.int64)
    counts = np.diff(parts.start)[which]
    kind = parts.kind[which]
    n_edges = np.where(kind == POLYGON, counts, np.where(kind == LINE, counts - 1, 0))
    n_edges = np.where((kind == POLYGON) & (counts < 3), np.maximum(counts - 1, 0), n_edges)
    total = int(n_edges.sum())
    owner = np.repeat(np.arange(which.size), n_edges)
    first = np.cumsum(n_edges) - n_edges
    local = np.arange(total) - np.repeat(first, n_edges)
    base = parts.start[which][owner]
    ia = base + local
    ib = base + (local + 1) % np.repeat(counts, n_edges)
    lon = np.concatenate([parts.lon[ia], parts.lon[ib]])
    lat = np.concatenate([parts.lat[ia], parts.lat[ib]])
    pts = to_xyz(lon, lat)
    return pts[:total], pts[total:], owner


# ---- predicates -------------------------------------------------------------------------------------
def _det(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    return np.einsum("...i,...i->...", np.cross(a, b), c)


#: Orientation determinants smaller than this are taken as zero: arcs on one great circle (the meridian
#: seams of cut parts) do not cross, whatever the rounding says.
COPLANAR = 1e-15


def crossing(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Whether great-circle arcs ``a→b`` and ``c→d`` (each shorter than 180°) cross (broadcasting)."""
    dets = (_det(a, c, b), _det(b, d, a), _det(c, b, d), _det(d, a, c))
    acb, bda, cbd, dac = (np.where(np.abs(v) < COPLANAR, 0.0, np.sign(v)) for v in dets)
    return (acb != 0) & (acb == bda) & (bda == cbd) & (cbd == dac)


def representative(parts: Parts, which: np.ndarray) -> np.ndarray:
    """One vertex (unit vector) of each part ``which``, away from cut meridians (multiples of
    :data:`QUERY_PART_WIDTH`, which include the 0°/360° seam) and the poles where the part has one, so
    it lies on another part's cut edge only by chance."""
    counts = np.diff(parts.start)[which]
    owner = np.repeat(np.arange(which.size), counts)
    first = np.cumsum(counts) - counts
    vi = parts.start[which][owner] + (np.arange(int(counts.sum())) - np.repeat(first, counts))
    lon, lat = parts.lon[vi], parts.lat[vi]
    score = np.abs((lon + QUERY_PART_WIDTH / 2) % QUERY_PART_WIDTH - QUERY_PART_WIDTH / 2)
    score = np.where(np.abs(lat) >= 90.0, -1.0, score)
    order = np.lexsort((-score, owner))
    best = order[first]  # the highest score of each owner comes first
    return to_xyz(lon[best], lat[best])


def centres(parts: Parts, which: np.ndarray) -> np.ndarray:
    """Unit vector of each part's box centre: every point of the part lies within 90° of it."""
    lon_lo, lon_hi, lat_lo, lat_hi = (a[which] for a in parts.box)
    return to_xyz((lon_lo + lon_hi) / 2, (lat_lo + lat_hi) / 2)


def winding(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Signed angle each edge ``a→b`` subtends at ``points`` (broadcasting)."""
    num = _det(a, b, points)
    den = np.einsum("...i,...i->...", a, b) - np.einsum("...i,...i->...", a, points) \
        * np.einsum("...i,...i->...", b, points)
    return np.arctan2(num, den)


def arc_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angular distance (radians) from point ``p`` (3,) to each arc ``a→b`` (E, 3)."""
    n = np.cross(a, b)
    norm = np.linalg.norm(n, axis=1)
    ends = np.minimum(_angle(p, a), _angle(p, b))
    ok = norm > 1e-15
    n_hat = np.zeros_like(n)
    n_hat[ok] = n[ok] / norm[ok, None]
    q = p - (n_hat @ p)[:, None] * n_hat  # p's projection onto each arc's great circle
    q_norm = np.linalg.norm(q, axis=1)
    ok &= q_norm > 1e-15
    q[ok] /= q_norm[ok, None]
    within = ok & (np.einsum("ij,ij->i", np.cross(a, q), n) >= 0) & (np.einsum("ij,ij->i", np.cross(q, b), n) >= 0)
    across = np.arcsin(np.clip(np.abs(n_hat @ p), 0.0, 1.0))
    return np.where(within, np.minimum(across, ends), ends)


def _angle(p: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Angle between unit vector ``p`` and each row of ``v`` (robust near 0)."""
    return np.arctan2(np.linalg.norm(np.cross(v, p), axis=-1), v @ p)


# ---- queries ----------------------------------------------------------------------------------------
@dataclass
class Cap:
    """Every point within ``radius_km`` of (``lon``, ``lat``) on a sphere of ``body_radius_km``."""

    lon: float
    lat: float
    radius_km: float
    body_radius_km: float = geo.MOON_RADIUS_KM

    @property
    def angle(self) -> float:
        return self.radius_km / self.body_radius_km

    def box(self) -> tuple[float, float, float, float]:
        """(lon_min, lat_min, lon_max, lat_max) holding the cap."""
        d = math.degrees(self.angle)
        south, north = self.lat - d, self.lat + d
        if north >= 90.0 or south <= -90.0 or d >= 90.0:
            return 0.0, max(south, -90.0), 360.0, min(north, 90.0)
        half = math.degrees(math.asin(min(1.0, math.sin(self.angle) / math.cos(math.radians(self.lat)))))
        return self.lon - half, south, self.lon + half, north


@dataclass
class Region:
    """A query polygon: parts cut at most :data:`QUERY_PART_WIDTH` wide."""

    parts: Parts

    def boxes(self) -> list[tuple[float, float, float, float]]:
        lon_lo, lon_hi, lat_lo, lat_hi = self.parts.box
        return [(float(a), float(c), float(b), float(d)) for a, b, c, d in zip(lon_lo, lon_hi, lat_lo, lat_hi)]


def parse_query(value: Any) -> Cap | Region:
    """A ``geometry=`` search value: ``(lon, lat, radius_km)``, a shapely geometry, GeoJSON or WKT."""
    if isinstance(value, (tuple, list)) and len(value) == 3 and all(isinstance(v, (int, float)) for v in value):
        lon, lat, radius = (float(v) for v in value)
        if not (math.isfinite(lon) and -90.0 <= lat <= 90.0 and math.isfinite(radius) and radius >= 0):
            raise GeometryError(f"geometry (lon, lat, radius_km) needs latitude in [-90, 90] and a radius "
                                f">= 0, not {value!r}")
        return Cap(lon, lat, radius)
    geometry = geo.as_geojson(value)
    if geometry is None:
        raise GeometryError("empty search geometry")
    if geometry["type"] == "Point":
        return Cap(*geometry["coordinates"], 0.0)
    pieces: list = []
    for kind, ring in geo.iter_rings(geometry):
        lons = [float(p[0]) for p in ring]
        lats = [float(p[1]) for p in ring]
        if any(not -90.0 <= la <= 90.0 for la in lats):
            raise GeometryError(f"search geometry latitudes outside [-90, 90]: {geo.to_wkt(geometry)[:80]}")
        if kind == "polygon":
            lons, lats = _densify_parallels(lons, lats)
            for part in geo.ring_parts(lons, lats, QUERY_PART_WIDTH):
                _add_geometry(pieces, 0, {"type": "Polygon", "coordinates": [part + part[:1]]})
        else:
            _add_geometry(pieces, 0, {"type": "LineString" if kind == "line" else "Point",
                                      "coordinates": ring if kind == "line" else ring[0]})
    if not pieces:
        raise GeometryError(f"search geometry has no area or vertices: {geo.to_wkt(geometry)}")
    return Region(_assemble(pieces))


def _densify_parallels(lons: list[float], lats: list[float]) -> tuple[list[float], list[float]]:
    """A ring edge along a parallel (same latitude, as a lon/lat box writes it) becomes vertices every
    :data:`~archive_fed.geometry.PARALLEL_STEP` degrees, so it means that parallel on the sphere."""
    out_lon, out_lat = [], []
    n = len(lons)
    for i in range(n):
        lo1, la1, lo2, la2 = lons[i], lats[i], lons[(i + 1) % n], lats[(i + 1) % n]
        out_lon.append(lo1)
        out_lat.append(la1)
        width = lo2 - lo1
        if la1 == la2 and abs(la1) < 90.0 and abs(width) > geo.PARALLEL_STEP:
            steps = math.ceil(abs(width) / geo.PARALLEL_STEP)
            out_lon += [lo1 + width * k / steps for k in range(1, steps)]
            out_lat += [la1] * (steps - 1)
    # a closed lon/lat band (first and last vertex on one meridian 360° apart) keeps its winding
    return out_lon, out_lat


def region_hits(parts: Parts, candidates: np.ndarray, region: Region) -> np.ndarray:
    """Which of the ``candidates`` parts intersect the query region (bool per candidate)."""
    hit = np.zeros(candidates.size, dtype=bool)
    if candidates.size == 0:
        return hit
    a, b, owner = edges(parts, candidates)
    q = region.parts
    first_v = representative(parts, candidates)
    for j in range(q.size):
        qa, qb, _ = edges(q, np.array([j]))
        # edges crossing: loop over the shorter list
        if len(qa) and len(a):
            crossed = np.zeros(len(a), dtype=bool)
            if len(qa) <= len(a):
                for k in range(len(qa)):
                    crossed |= crossing(a, b, qa[k], qb[k])
            else:
                for k in range(len(a)):
                    crossed[k] = crossing(a[k], b[k], qa, qb).any()
            hit[np.unique(owner[crossed])] = True
        todo = np.flatnonzero(~hit)
        if todo.size == 0:
            break
        # a candidate's first vertex inside the query part
        if q.kind[j] == POLYGON and len(qa):
            total = np.zeros(todo.size)
            for k in range(len(qa)):
                total += winding(first_v[todo], qa[k], qb[k])
            facing = first_v[todo] @ centres(q, np.array([j]))[0] > 0
            hit[todo[(np.abs(total) > math.pi) & facing]] = True
        # the query part's first vertex inside a candidate polygon
        todo = np.flatnonzero(~hit & (parts.kind[candidates] == POLYGON))
        if todo.size:
            p = representative(q, np.array([j]))[0]
            sel = np.isin(owner, todo)
            if sel.any():
                angles = winding(p, a[sel], b[sel])
                total = np.zeros(candidates.size)
                np.add.at(total, owner[sel], angles)
                hit |= (np.abs(total) > math.pi) & (centres(parts, candidates) @ p > 0)
    return hit


def cap_hits(parts: Parts, candidates: np.ndarray, cap: Cap) -> np.ndarray:
    """Which of the ``candidates`` parts come within the cap (bool per candidate)."""
    hit = np.zeros(candidates.size, dtype=bool)
    if candidates.size == 0:
        return hit
    c = to_xyz(np.float64(cap.lon), np.float64(cap.lat))
    angle = cap.angle
    # vertices (covers points)
    counts = np.diff(parts.start)[candidates]
    vertex_owner = np.repeat(np.arange(candidates.size), counts)
    first = np.cumsum(counts) - counts
    vi = parts.start[candidates][vertex_owner] + (np.arange(counts.sum()) - np.repeat(first, counts))
    v = to_xyz(parts.lon[vi], parts.lat[vi])
    near = _angle(c, v) <= angle
    hit[np.unique(vertex_owner[near])] = True
    a, b, owner = edges(parts, candidates)
    if len(a):
        keep = ~hit[owner]
        if keep.any():
            close = arc_distance(c, a[keep], b[keep]) <= angle
            hit[np.unique(owner[keep][close])] = True
        # the centre inside a polygon
        todo = ~hit[owner] & (parts.kind[candidates][owner] == POLYGON)
        if todo.any():
            total = np.zeros(candidates.size)
            np.add.at(total, owner[todo], winding(c, a[todo], b[todo]))
            hit |= (np.abs(total) > math.pi) & (centres(parts, candidates) @ c > 0)
    return hit


def matching_rows(parts: Parts, query: Cap | Region, rows: np.ndarray | None, size: int,
                  box_mask: Any) -> np.ndarray:
    """Sorted product rows (among ``rows``, or all) whose footprint meets ``query``.

    ``box_mask(boxes)`` gives, per part, whether its box meets any of the query boxes.
    """
    boxes = [query.box()] if isinstance(query, Cap) else query.boxes()
    mask = box_mask(boxes)
    if rows is not None:
        wanted = np.zeros(size, dtype=bool)
        wanted[rows] = True
        mask &= wanted[parts.row]
    candidates = np.flatnonzero(mask)
    hit = cap_hits(parts, candidates, query) if isinstance(query, Cap) else region_hits(parts, candidates, query)
    return np.unique(parts.row[candidates[hit]])

